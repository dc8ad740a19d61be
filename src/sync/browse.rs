//! Windows onto the sync's event log and quarantine for a monitor that scrolls (by
//! offset, with totals, so the position reads `123/10,000` and a frame never holds more
//! than what is on screen), and the quarantine written as CSV for a spreadsheet (cells
//! that a spreadsheet would run as a formula are neutralised). Read-only.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};

use super::SyncError;
use super::status::{EventRow, QuarantineRow};

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// A cheap fingerprint of everything the monitor shows about a team's sync (the state
/// row, per-object counters, the newest event and rate sample, the quarantine size, the
/// job's state and whether a worker holds the lock): equal fingerprints mean a full
/// [`super::status::load`] would read the same, so a monitor polling every second skips
/// it. One indexed query and a lock-file check. The worker's heartbeat is left out (it
/// beats every few seconds while idle): [`heartbeat`] reads it alone.
pub fn probe(conn: &Connection, db: &Path, team_id: i64) -> Result<String, SyncError> {
    if !table_exists(conn, "sync_state")? {
        return Ok("no sync tables".into());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT COALESCE((SELECT phase || '|' || calls_used || '|' || retries || '|' || waits
                    || '|' || COALESCE(wait_until, '') || '|' || COALESCE(quota_limit, '')
                    || '|' || COALESCE(quota_remaining, '') || '|' || COALESCE(quota_reset_at, '')
                    || '|' || COALESCE(worker_pid, '')
                    || '|' || COALESCE(started_at, '') || '|' || COALESCE(initial_done_at, '')
                    || '|' || cycles || '|' || COALESCE(last_cycle_at, '') || '|' || COALESCE(next_cycle_at, '')
                    || '|' || COALESCE(last_cycle_changes, '') || '|' || COALESCE(error, '')
                    || '|' || length(COALESCE(plan, '')) || '|' || COALESCE(job_id, '')
                  FROM sync_state WHERE team_id = ?1), '-')
             || '#' || COALESCE((SELECT group_concat(object || ':' || total || ':' || done || ':' || failed)
                  FROM sync_objects WHERE team_id = ?1), '')
             || '#' || COALESCE((SELECT MAX(id) FROM sync_events WHERE team_id = ?1), 0)
             || '#' || (SELECT COUNT(*) FROM sync_quarantine WHERE team_id = ?1)
             || '#' || COALESCE((SELECT MAX(id) FROM sync_rate_samples WHERE team_id = ?1), 0)
             || '#' || COALESCE((SELECT id || ':' || state || ':' || COALESCE(error, '') FROM jobs
                  WHERE team_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT 1), '')
             || '#' || COALESCE((SELECT quota_share FROM sync_settings WHERE team_id = ?1), '')",
    )?;
    let row: String = stmt.query_row(params![team_id, super::SYNC_JOB], |r| r.get(0))?;
    let alive = super::status::worker_alive(conn, Some(db), team_id)?;
    Ok(format!("{row}#{alive}"))
}

/// The worker's last heartbeat (RFC 3339), if any.
pub fn heartbeat(conn: &Connection, team_id: i64) -> Result<Option<String>, SyncError> {
    if !table_exists(conn, "sync_state")? {
        return Ok(None);
    }
    let mut stmt = conn.prepare_cached("SELECT heartbeat_at FROM sync_state WHERE team_id = ?1")?;
    let mut rows = stmt.query([team_id])?;
    Ok(match rows.next()? {
        Some(r) => r.get(0)?,
        None => None,
    })
}

/// How many events the team's log holds.
pub fn event_count(conn: &Connection, team_id: i64) -> Result<u64, SyncError> {
    if !table_exists(conn, "sync_events")? {
        return Ok(0);
    }
    Ok(conn
        .query_row(
            "SELECT COUNT(*) FROM sync_events WHERE team_id = ?1",
            [team_id],
            |r| r.get::<_, i64>(0),
        )?
        .max(0) as u64)
}

/// Events newest first, skipping the `offset` newest.
pub fn events_window(
    conn: &Connection,
    team_id: i64,
    offset: u64,
    limit: u64,
) -> Result<Vec<EventRow>, SyncError> {
    if !table_exists(conn, "sync_events")? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, at, kind, message FROM sync_events WHERE team_id = ?1
         ORDER BY id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt
        .query_map(params![team_id, limit as i64, offset as i64], |r| {
            Ok(EventRow {
                id: r.get(0)?,
                at: r.get(1)?,
                kind: r.get(2)?,
                message: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Neutralises a CSV cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, CR at
/// the start) by prefixing `'`.
pub fn csv_cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

fn quote(s: &str) -> String {
    let s = csv_cell(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Writes the team's quarantine as CSV (`object,icims_id,reason,attempts,at`, UTF-8 with
/// BOM), paging through it; returns the rows written.
pub fn write_quarantine_csv(
    conn: &Connection,
    team_id: i64,
    out: &mut dyn Write,
) -> Result<u64, SyncError> {
    let io = |e: std::io::Error| SyncError::Runtime(format!("cannot write the CSV: {e}"));
    out.write_all("\u{feff}object,icims_id,reason,attempts,at\r\n".as_bytes())
        .map_err(io)?;
    let mut offset = 0u64;
    const PAGE: u64 = 5_000;
    loop {
        let rows: Vec<QuarantineRow> = super::status::quarantine_page(conn, team_id, offset, PAGE)?;
        for r in &rows {
            write!(
                out,
                "{},{},{},{},{}\r\n",
                quote(&r.object),
                quote(&r.icims_id),
                quote(&r.reason),
                r.attempts,
                quote(&r.at)
            )
            .map_err(io)?;
        }
        offset += rows.len() as u64;
        if (rows.len() as u64) < PAGE {
            break;
        }
    }
    out.flush().map_err(io)?;
    Ok(offset)
}

/// Where the console writes a team's quarantine CSV: next to the database, in a folder
/// keyed by the team's id.
pub fn quarantine_csv_path(db: &Path, team_id: i64) -> PathBuf {
    let base = db.parent().map(Path::to_path_buf).unwrap_or_default();
    base.join("sync")
        .join(format!("team-{team_id}"))
        .join("sync-quarantine.csv")
}

/// Writes the quarantine CSV to [`quarantine_csv_path`] (0600, via a temporary file);
/// returns the path and the rows written.
pub fn export_quarantine(
    conn: &Connection,
    db: &Path,
    team_id: i64,
) -> Result<(PathBuf, u64), SyncError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = quarantine_csv_path(db, team_id);
    let io =
        |e: std::io::Error| SyncError::Runtime(format!("cannot write {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("csv.part");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(io)?;
    let mut w = std::io::BufWriter::new(file);
    let n = write_quarantine_csv(conn, team_id, &mut w)?;
    drop(w);
    std::fs::rename(&tmp, &path).map_err(io)?;
    Ok((path, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_leading_cells_are_neutralised_and_quoted() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("404 not found"), "404 not found");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("=1,\"2\""), "\"'=1,\"\"2\"\"\"");
    }
}
