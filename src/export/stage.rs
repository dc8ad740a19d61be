//! Staging tables (one per imported unit, columns named by the customer's own headers)
//! and the unit and quarantine rows that describe them.

use rusqlite::{Connection, OptionalExtension, params};

use super::sniff::ObjectKind;
use crate::store::now_text;

/// The staging table of a unit.
pub fn stage_table(unit_id: i64) -> String {
    format!("export_stage_{unit_id}")
}

/// Quotes an SQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Makes headers usable as column names: trimmed, empty ones named `column_N`,
/// duplicates suffixed ` (2)`, ` (3)`, and `_line` kept free for the source line.
pub fn column_names(headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(headers.len());
    for (i, h) in headers.iter().enumerate() {
        let base = match h.trim() {
            "" => format!("column_{}", i + 1),
            "_line" => "_line (source)".to_string(),
            t => t.to_string(),
        };
        let mut name = base.clone();
        let mut n = 2;
        while out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
            name = format!("{base} ({n})");
            n += 1;
        }
        out.push(name);
    }
    out
}

/// Drops and recreates a unit's staging table.
pub fn recreate_stage(conn: &Connection, unit_id: i64, columns: &[String]) -> rusqlite::Result<()> {
    let table = stage_table(unit_id);
    let cols: Vec<String> = columns
        .iter()
        .map(|c| format!("{} TEXT", quote_ident(c)))
        .collect();
    conn.execute_batch(&format!(
        "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (_line INTEGER NOT NULL, {});",
        cols.join(", ")
    ))
}

/// The INSERT statement of a staging table with `ncols` columns.
pub fn insert_sql(unit_id: i64, ncols: usize) -> String {
    let marks: Vec<String> = (1..=ncols + 1).map(|i| format!("?{i}")).collect();
    format!(
        "INSERT INTO {} VALUES ({})",
        stage_table(unit_id),
        marks.join(", ")
    )
}

/// Creates (or resets, keeping its id) the unit row of `name` for a new import.
pub fn start_unit(
    conn: &Connection,
    team_id: i64,
    name: &str,
    file_path: &str,
    object: ObjectKind,
    job_id: i64,
) -> rusqlite::Result<i64> {
    let existing: Option<i64> = conn
        .query_row(
            "SELECT id FROM export_units WHERE team_id = ?1 AND name = ?2",
            params![team_id, name],
            |r| r.get(0),
        )
        .optional()?;
    match existing {
        Some(id) => {
            conn.execute(
                "UPDATE export_units SET file_path = ?2, object = ?3, state = 'importing', rows = 0,
                     bad_rows = 0, summary = NULL, error = NULL, job_id = ?4, started_at = ?5,
                     finished_at = NULL WHERE id = ?1",
                params![id, file_path, object.as_str(), job_id, now_text()],
            )?;
            conn.execute("DELETE FROM export_quarantine WHERE unit_id = ?1", [id])?;
            Ok(id)
        }
        None => {
            conn.execute(
                "INSERT INTO export_units (team_id, name, file_path, object, state, job_id, started_at)
                 VALUES (?1, ?2, ?3, ?4, 'importing', ?5, ?6)",
                params![team_id, name, file_path, object.as_str(), job_id, now_text()],
            )?;
            Ok(conn.last_insert_rowid())
        }
    }
}

/// Records a finished unit with its counts and summary JSON.
pub fn finish_unit(
    conn: &Connection,
    unit_id: i64,
    rows: u64,
    bad_rows: u64,
    summary: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE export_units SET state = 'done', rows = ?2, bad_rows = ?3, summary = ?4, finished_at = ?5 WHERE id = ?1",
        params![unit_id, rows as i64, bad_rows as i64, summary, now_text()],
    )?;
    Ok(())
}

/// Records a unit that could not be imported (whole or in part).
pub fn fail_unit(
    conn: &Connection,
    team_id: i64,
    name: &str,
    file_path: &str,
    job_id: i64,
    error: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO export_units (team_id, name, file_path, object, state, error, job_id, started_at, finished_at)
         VALUES (?1, ?2, ?3, 'unknown', 'failed', ?4, ?5, ?6, ?6)
         ON CONFLICT (team_id, name) DO UPDATE SET state = 'failed', error = excluded.error,
             job_id = excluded.job_id, finished_at = excluded.finished_at",
        params![team_id, name, file_path, error, job_id, now_text()],
    )?;
    Ok(())
}

/// Marks the units a job left `importing` as failed with `reason` (the job stopped: a
/// full disk, a cancel). Units another job has taken over since are left alone.
pub fn fail_open_units(conn: &Connection, job_id: i64, reason: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE export_units SET state = 'failed', error = ?2, finished_at = ?3
         WHERE job_id = ?1 AND state = 'importing'",
        params![job_id, reason, now_text()],
    )
}

/// Rows of the finished (`done`) unit named `name`, if there is one.
pub fn done_rows(conn: &Connection, team_id: i64, name: &str) -> rusqlite::Result<Option<u64>> {
    conn.query_row(
        "SELECT rows FROM export_units WHERE team_id = ?1 AND name = ?2 AND state = 'done'",
        params![team_id, name],
        |r| r.get::<_, i64>(0),
    )
    .optional()
    .map(|r| r.map(|n| n.max(0) as u64))
}
