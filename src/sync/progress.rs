//! Writes of the sync's progress: records, phase, counters, quota seen, waits, heartbeat,
//! rate samples, quarantine and the event log. Functions take a `Connection` so they run
//! inside the caller's transaction (records and their checkpoint commit together).

use rusqlite::{Connection, params};

use crate::store::now_text;

use super::fields::SyncedRecord;

/// Begins a write transaction `IMMEDIATE` (takes the write lock at once, waiting up to the
/// busy timeout, instead of failing later when another process wrote in between).
pub fn begin(conn: &Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)
}

/// Makes sure the team has a `sync_state` row.
pub fn ensure_state(conn: &Connection, team_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO sync_state (team_id) VALUES (?1)",
        [team_id],
    )?;
    Ok(())
}

/// A record ready to be written: its JSON columns already encoded (the deep sync does
/// that as each record arrives, not while it holds the write transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub icims_id: String,
    pub status_id: Option<String>,
    pub status_name: Option<String>,
    /// JSON object: standard field id → value.
    pub fields: String,
    /// JSON object: customer field → value, as read.
    pub raw: String,
    pub updated_at: Option<String>,
}

impl RecordRow {
    /// Encodes a record; `raw_text` (the body as received) is kept instead of encoding
    /// `rec.raw` again when given.
    pub fn of(rec: SyncedRecord, raw_text: Option<String>) -> RecordRow {
        let fields = serde_json::to_string(&rec.fields).unwrap_or_else(|_| "{}".into());
        let raw = raw_text
            .unwrap_or_else(|| serde_json::to_string(&rec.raw).unwrap_or_else(|_| "{}".into()));
        RecordRow {
            icims_id: rec.icims_id,
            status_id: rec.status_id,
            status_name: rec.status_name,
            fields,
            raw,
            updated_at: rec.updated_at,
        }
    }
}

/// Inserts or replaces a synced record (and revives it if it was marked deleted).
pub fn upsert_record(
    conn: &Connection,
    team_id: i64,
    object: &str,
    rec: &SyncedRecord,
    source: &str,
) -> rusqlite::Result<()> {
    upsert_row(
        conn,
        team_id,
        object,
        &RecordRow::of(rec.clone(), None),
        source,
    )
}

/// [`upsert_record`] for a record already encoded.
pub fn upsert_row(
    conn: &Connection,
    team_id: i64,
    object: &str,
    row: &RecordRow,
    source: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_records (team_id, object, icims_id, deleted, status_id, status_name, fields, raw, source, updated_at)
         VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (team_id, object, icims_id) DO UPDATE SET deleted = 0, status_id = excluded.status_id,
             status_name = excluded.status_name, fields = excluded.fields, raw = excluded.raw,
             source = excluded.source, updated_at = excluded.updated_at",
    )?
    .execute(params![
        team_id,
        object,
        row.icims_id,
        row.status_id,
        row.status_name,
        row.fields,
        row.raw,
        source,
        row.updated_at
    ])?;
    Ok(())
}

/// Marks a record deleted (kept, not dropped). Returns whether a live row changed.
pub fn mark_deleted(
    conn: &Connection,
    team_id: i64,
    object: &str,
    id: &str,
) -> rusqlite::Result<bool> {
    let n = conn
        .prepare_cached(
            "UPDATE sync_records SET deleted = 1 WHERE team_id = ?1 AND object = ?2 AND icims_id = ?3 AND deleted = 0",
        )?
        .execute(params![team_id, object, id])?;
    Ok(n > 0)
}

pub fn set_phase(conn: &Connection, team_id: i64, phase: &str) -> rusqlite::Result<()> {
    ensure_state(conn, team_id)?;
    conn.execute(
        "UPDATE sync_state SET phase = ?2 WHERE team_id = ?1",
        params![team_id, phase],
    )?;
    Ok(())
}

/// Appends to the event log.
pub fn event(conn: &Connection, team_id: i64, kind: &str, message: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_events (team_id, at, kind, message) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![team_id, now_text(), kind, message])?;
    tracing::info!(team = team_id, kind, "{message}");
    Ok(())
}

/// Adds calls and retries made.
pub fn add_calls(
    conn: &Connection,
    team_id: i64,
    calls: u64,
    retries: u64,
) -> rusqlite::Result<()> {
    if calls == 0 && retries == 0 {
        return Ok(());
    }
    conn.prepare_cached(
        "UPDATE sync_state SET calls_used = calls_used + ?2, retries = retries + ?3 WHERE team_id = ?1",
    )?
    .execute(params![team_id, calls as i64, retries as i64])?;
    Ok(())
}

/// Records the latest `x-ratelimit-*` figures.
pub fn set_quota(
    conn: &Connection,
    team_id: i64,
    limit: Option<u64>,
    remaining: Option<u64>,
    reset_at: Option<&str>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sync_state SET quota_limit = COALESCE(?2, quota_limit), quota_remaining = COALESCE(?3, quota_remaining),
             quota_reset_at = COALESCE(?4, quota_reset_at), quota_seen_at = ?5 WHERE team_id = ?1",
    )?
    .execute(params![
        team_id,
        limit.map(|v| v as i64),
        remaining.map(|v| v as i64),
        reset_at,
        now_text()
    ])?;
    Ok(())
}

/// Starts a quota wait (counted) with its end and reason.
pub fn begin_wait(
    conn: &Connection,
    team_id: i64,
    until: &str,
    reason: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sync_state SET waits = waits + 1, wait_until = ?2, wait_reason = ?3 WHERE team_id = ?1",
        params![team_id, until, reason],
    )?;
    Ok(())
}

pub fn end_wait(conn: &Connection, team_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE sync_state SET wait_until = NULL, wait_reason = NULL WHERE team_id = ?1",
        [team_id],
    )?;
    Ok(())
}

/// The worker's pid and a fresh heartbeat.
pub fn heartbeat(conn: &Connection, team_id: i64, pid: u32) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE sync_state SET worker_pid = ?2, heartbeat_at = ?3 WHERE team_id = ?1",
    )?
    .execute(params![team_id, pid as i64, now_text()])?;
    Ok(())
}

/// One throughput sample.
pub fn rate_sample(
    conn: &Connection,
    team_id: i64,
    records: u64,
    calls: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_rate_samples (team_id, at, at_unix, records, calls) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        team_id,
        now_text(),
        chrono::Utc::now().timestamp(),
        records as i64,
        calls as i64
    ])?;
    // Keep the newest 2,000 samples per team.
    conn.prepare_cached(
        "DELETE FROM sync_rate_samples WHERE team_id = ?1 AND id <= (SELECT id FROM sync_rate_samples WHERE team_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET 2000)",
    )?
    .execute([team_id])?;
    Ok(())
}

/// Quarantines a record with its reason.
pub fn quarantine(
    conn: &Connection,
    team_id: i64,
    object: &str,
    id: &str,
    reason: &str,
    attempts: u32,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_quarantine (team_id, object, icims_id, reason, attempts, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (team_id, object, icims_id) DO UPDATE SET reason = excluded.reason, attempts = excluded.attempts, at = excluded.at",
    )?
    .execute(params![team_id, object, id, reason, attempts as i64, now_text()])?;
    Ok(())
}

/// Clears a record's quarantine row (it was read after all).
pub fn unquarantine(
    conn: &Connection,
    team_id: i64,
    object: &str,
    id: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "DELETE FROM sync_quarantine WHERE team_id = ?1 AND object = ?2 AND icims_id = ?3",
    )?
    .execute(params![team_id, object, id])?;
    Ok(())
}
