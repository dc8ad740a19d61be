//! The read-only view of a team's deep sync, for `sync status`, the console's monitor and
//! the home screen's alerts: [`load`] reads everything a monitor shows from the store
//! (no talking to the worker), [`quarantine_page`] and [`events_page`] page through the
//! quarantine and the event log. All of it works on a plain `Connection` (WAL readers).

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::store::JobState;

use super::{OBJECTS, SYNC_JOB, SyncError};

/// Where a sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Nothing planned or started yet.
    NotStarted,
    /// A plan is stored; the sync was not started.
    Planned,
    /// Queued or running the initial pass.
    Running,
    /// Running, waiting for the daily quota to reset.
    WaitingQuota,
    Paused,
    /// Initial pass complete; live cycles running.
    Live,
    /// Initial pass complete; the job ended (no live cycles running).
    Done,
    Failed,
    Cancelled,
}

impl SyncState {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::NotStarted => "not_started",
            SyncState::Planned => "planned",
            SyncState::Running => "running",
            SyncState::WaitingQuota => "waiting_quota",
            SyncState::Paused => "paused",
            SyncState::Live => "live",
            SyncState::Done => "done",
            SyncState::Failed => "failed",
            SyncState::Cancelled => "cancelled",
        }
    }
}

/// Per object progress of the current pass.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObjectProgress {
    /// Records to fetch or mark (the plan's work list).
    pub total: u64,
    pub done: u64,
    pub failed: u64,
    /// Records seeded from the export.
    pub seeded: u64,
}

/// Per object counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PerObject {
    pub people: u64,
    pub jobs: u64,
    pub workflows: u64,
}

impl PerObject {
    fn set(&mut self, object: &str, n: u64) {
        match object {
            "people" => self.people = n,
            "jobs" => self.jobs = n,
            _ => self.workflows = n,
        }
    }
}

/// The customer's daily quota as last seen in `x-ratelimit-*`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QuotaView {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// When the quota resets (00:00 UTC), RFC 3339.
    pub reset: Option<String>,
    /// Share of the daily quota the sync may use.
    pub share: f64,
    pub seen_at: Option<String>,
}

/// The current quota wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaitView {
    pub until: String,
    pub reason: String,
    /// Seconds left (0 when past).
    pub secs_left: i64,
}

/// One throughput sample.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateSample {
    pub at: String,
    pub at_unix: i64,
    pub records: u64,
    pub calls: u64,
}

/// The worker running the sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkerView {
    pub pid: Option<u32>,
    pub heartbeat_at: Option<String>,
    /// A worker holds the lock file next to the database.
    pub alive: bool,
    /// The job is open but no worker is alive to run it (a `sync start`, `worker` or
    /// console start replaces it).
    pub gone: bool,
}

/// Live cycles after the initial pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveView {
    pub cycles: u64,
    pub last_cycle_at: Option<String>,
    /// Records changed, created or deleted found by the last cycle.
    pub last_cycle_changes: Option<u64>,
    pub next_cycle_at: Option<String>,
    /// How the last cycle found changes: `stream` (Data Stream events), `poll`
    /// (`updateddate` searches) or `stream+poll` (some objects polled).
    pub last_cycle_mode: Option<String>,
    /// Data Stream events the last cycle read, and how many of them were not understood.
    pub last_cycle_events: Option<u64>,
    pub last_cycle_events_unknown: Option<u64>,
    /// Why the last cycle polled (no Data Stream credential or subscription, an error,
    /// events not understood, objects no subscription carries).
    pub last_cycle_note: Option<String>,
}

/// The job behind the sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobView {
    pub id: i64,
    pub state: JobState,
    pub error: Option<String>,
}

/// Everything a monitor shows about one team's sync.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncStatus {
    pub team_id: i64,
    pub state: SyncState,
    pub phase: String,
    pub objects: BTreeMap<String, ObjectProgress>,
    /// Live (not deleted) records stored per object.
    pub records: PerObject,
    /// Records marked deleted per object.
    pub deleted: PerObject,
    /// API calls made by the sync (planning searches, GETs, retries).
    pub calls_used: u64,
    /// Of those, the planning searches.
    pub plan_calls: u64,
    /// Calls the plan said the whole initial pass needs (searches + GETs).
    pub planned_calls: Option<u64>,
    pub quota: QuotaView,
    /// Estimated end of the initial pass (RFC 3339), from the plan and progress.
    pub eta: Option<String>,
    pub quarantined: u64,
    pub waits: u64,
    pub wait: Option<WaitView>,
    pub retries: u64,
    /// Records per second over the recent samples.
    pub rate: Option<f64>,
    /// Newest last, at most 120.
    pub rate_samples: Vec<RateSample>,
    pub worker: WorkerView,
    pub live: LiveView,
    pub job: Option<JobView>,
    pub started_at: Option<String>,
    pub initial_done_at: Option<String>,
    pub error: Option<String>,
    /// The stored plan (calls per object, share, day-by-day ETA, scope), if any.
    pub plan: Option<serde_json::Value>,
}

/// A quarantined record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantineRow {
    pub object: String,
    pub icims_id: String,
    pub reason: String,
    pub attempts: u32,
    pub at: String,
}

/// An event of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    pub kind: String,
    pub message: String,
}

fn table_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [name],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| n > 0)
}

/// Reads a team's sync status from the store, all of it from one snapshot: outside a
/// transaction the reads run in one (deferred, read-only) transaction, so a worker
/// committing in between (initial pass marked done, then its job marked done) is never
/// seen half-way — "job done, initial pass not done" reads as failed, and made
/// `sync start --wait` exit 1 now and then on a loaded machine. Inside the caller's
/// transaction it reads that transaction's view.
pub fn load(conn: &Connection, team_id: i64) -> Result<SyncStatus, SyncError> {
    if conn.is_autocommit() {
        // Deferred, not the store's default IMMEDIATE: a read must not take the write lock.
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Deferred)?;
        let st = load_in(&tx, team_id)?;
        tx.rollback()?;
        return Ok(st);
    }
    load_in(conn, team_id)
}

fn load_in(conn: &Connection, team_id: i64) -> Result<SyncStatus, SyncError> {
    let mut st = SyncStatus {
        team_id,
        state: SyncState::NotStarted,
        phase: "none".into(),
        objects: OBJECTS
            .iter()
            .map(|o| (o.to_string(), ObjectProgress::default()))
            .collect(),
        records: PerObject::default(),
        deleted: PerObject::default(),
        calls_used: 0,
        plan_calls: 0,
        planned_calls: None,
        quota: QuotaView {
            share: 0.8,
            ..Default::default()
        },
        eta: None,
        quarantined: 0,
        waits: 0,
        wait: None,
        retries: 0,
        rate: None,
        rate_samples: Vec::new(),
        worker: WorkerView {
            pid: None,
            heartbeat_at: None,
            alive: false,
            gone: false,
        },
        live: LiveView {
            cycles: 0,
            last_cycle_at: None,
            last_cycle_changes: None,
            next_cycle_at: None,
            last_cycle_mode: None,
            last_cycle_events: None,
            last_cycle_events_unknown: None,
            last_cycle_note: None,
        },
        job: None,
        started_at: None,
        initial_done_at: None,
        error: None,
        plan: None,
    };
    if !table_exists(conn, "sync_state")? {
        return Ok(st);
    }
    if let Some(share) = conn
        .query_row(
            "SELECT quota_share FROM sync_settings WHERE team_id = ?1",
            [team_id],
            |r| r.get::<_, f64>(0),
        )
        .optional()?
    {
        st.quota.share = share;
    }
    let row = conn
        .query_row(
            "SELECT phase, plan, plan_calls, calls_used, retries, waits, wait_until, wait_reason,
                    quota_limit, quota_remaining, quota_reset_at, quota_seen_at, worker_pid, heartbeat_at,
                    started_at, initial_done_at, cycles, last_cycle_at, next_cycle_at, last_cycle_changes, error
             FROM sync_state WHERE team_id = ?1",
            [team_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    (r.get::<_, i64>(2)?, r.get::<_, i64>(3)?, r.get::<_, i64>(4)?, r.get::<_, i64>(5)?),
                    (r.get::<_, Option<String>>(6)?, r.get::<_, Option<String>>(7)?),
                    (
                        r.get::<_, Option<i64>>(8)?,
                        r.get::<_, Option<i64>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                    ),
                    (r.get::<_, Option<i64>>(12)?, r.get::<_, Option<String>>(13)?),
                    (r.get::<_, Option<String>>(14)?, r.get::<_, Option<String>>(15)?),
                    (
                        r.get::<_, i64>(16)?,
                        r.get::<_, Option<String>>(17)?,
                        r.get::<_, Option<String>>(18)?,
                        r.get::<_, Option<i64>>(19)?,
                    ),
                    r.get::<_, Option<String>>(20)?,
                ))
            },
        )
        .optional()?;
    if let Some((phase, plan, counts, wait, quota, worker, times, live, error)) = row {
        st.phase = phase;
        st.plan = plan.and_then(|p| serde_json::from_str(&p).ok());
        st.planned_calls = st
            .plan
            .as_ref()
            .and_then(|p| p.get("calls_total"))
            .and_then(|v| v.as_u64());
        st.plan_calls = counts.0.max(0) as u64;
        st.calls_used = counts.1.max(0) as u64;
        st.retries = counts.2.max(0) as u64;
        st.waits = counts.3.max(0) as u64;
        if let (Some(until), reason) = wait {
            let secs_left = chrono::DateTime::parse_from_rfc3339(&until)
                .map(|t| (t.timestamp() - chrono::Utc::now().timestamp()).max(0))
                .unwrap_or(0);
            st.wait = Some(WaitView {
                until,
                reason: reason.unwrap_or_default(),
                secs_left,
            });
        }
        st.quota.limit = quota.0.map(|v| v.max(0) as u64);
        st.quota.remaining = quota.1.map(|v| v.max(0) as u64);
        st.quota.reset = quota.2;
        st.quota.seen_at = quota.3;
        st.worker.pid = worker.0.map(|p| p as u32);
        st.worker.heartbeat_at = worker.1;
        st.started_at = times.0;
        st.initial_done_at = times.1;
        st.live = LiveView {
            cycles: live.0.max(0) as u64,
            last_cycle_at: live.1,
            next_cycle_at: live.2,
            last_cycle_changes: live.3.map(|v| v.max(0) as u64),
            ..st.live
        };
        if let Some((mode, events, unknown, note)) = conn
            .query_row(
                "SELECT mode, events, events_unknown, note FROM sync_cycles WHERE team_id = ?1
                 ORDER BY id DESC LIMIT 1",
                [team_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?
        {
            st.live.last_cycle_mode = Some(mode);
            st.live.last_cycle_events = Some(events.max(0) as u64);
            st.live.last_cycle_events_unknown = Some(unknown.max(0) as u64);
            st.live.last_cycle_note = note;
        }
        st.error = error;
    }
    {
        let mut stmt = conn.prepare(
            "SELECT object, seeded, total, done, failed FROM sync_objects WHERE team_id = ?1",
        )?;
        let rows = stmt.query_map([team_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ObjectProgress {
                    seeded: r.get::<_, i64>(1)?.max(0) as u64,
                    total: r.get::<_, i64>(2)?.max(0) as u64,
                    done: r.get::<_, i64>(3)?.max(0) as u64,
                    failed: r.get::<_, i64>(4)?.max(0) as u64,
                },
            ))
        })?;
        for row in rows {
            let (o, p) = row?;
            st.objects.insert(o, p);
        }
    }
    {
        let mut stmt = conn.prepare(
            // Kept by triggers on sync_records (migration 9): a few rows, not a scan.
            "SELECT object, deleted, n FROM sync_record_counts WHERE team_id = ?1",
        )?;
        let rows = stmt.query_map([team_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (o, deleted, n) = row?;
            if deleted != 0 {
                st.deleted.set(&o, n.max(0) as u64);
            } else {
                st.records.set(&o, n.max(0) as u64);
            }
        }
    }
    st.quarantined = conn
        .query_row(
            "SELECT COUNT(*) FROM sync_quarantine WHERE team_id = ?1",
            [team_id],
            |r| r.get::<_, i64>(0),
        )?
        .max(0) as u64;
    {
        let mut stmt = conn.prepare(
            "SELECT at, at_unix, records, calls FROM (SELECT * FROM sync_rate_samples WHERE team_id = ?1
             ORDER BY id DESC LIMIT 120) ORDER BY id",
        )?;
        st.rate_samples = stmt
            .query_map([team_id], |r| {
                Ok(RateSample {
                    at: r.get(0)?,
                    at_unix: r.get(1)?,
                    records: r.get::<_, i64>(2)?.max(0) as u64,
                    calls: r.get::<_, i64>(3)?.max(0) as u64,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
    }
    st.rate = rate_of(&st.rate_samples);
    st.job = conn
        .query_row(
            "SELECT id, state, error FROM jobs WHERE team_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT 1",
            params![team_id, SYNC_JOB],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            },
        )
        .optional()?
        .map(|(id, state, error)| JobView {
            id,
            state: parse_job_state(&state),
            error,
        });
    let db = conn.path().filter(|p| !p.is_empty()).map(Path::new);
    st.worker.alive = worker_alive(conn, db, team_id)?;
    st.state = derive_state(&st);
    st.worker.gone = matches!(
        st.state,
        SyncState::Running | SyncState::WaitingQuota | SyncState::Live
    ) && !st.worker.alive;
    st.eta = eta_of(&st);
    Ok(st)
}

fn parse_job_state(s: &str) -> JobState {
    match s {
        "running" => JobState::Running,
        "paused" => JobState::Paused,
        "done" => JobState::Done,
        "failed" => JobState::Failed,
        "cancelled" => JobState::Cancelled,
        _ => JobState::Queued,
    }
}

/// Whether a worker is running the team's sync: one holds the worker lock next to the
/// database at `db`, or the sync job's lease is held by a live process (a worker that started
/// while another held the lock runs jobs without it).
pub fn worker_alive(conn: &Connection, db: Option<&Path>, team_id: i64) -> Result<bool, SyncError> {
    let locked = db
        .and_then(|p| crate::worker::live_worker_pid(p).ok().flatten())
        .is_some();
    if locked {
        return Ok(true);
    }
    let lease: Option<(Option<String>, Option<i64>)> = conn
        .query_row(
            "SELECT lease_owner, lease_expires_at FROM jobs WHERE team_id = ?1 AND kind = ?2
             AND state = 'running' ORDER BY id DESC LIMIT 1",
            params![team_id, SYNC_JOB],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(matches!(lease, Some((Some(owner), Some(expires)))
        if crate::worker::lease_alive(&owner, expires)))
}

fn derive_state(st: &SyncStatus) -> SyncState {
    let initial_done = st.initial_done_at.is_some();
    match &st.job {
        Some(job) => match job.state {
            JobState::Queued | JobState::Running if initial_done => SyncState::Live,
            JobState::Queued | JobState::Running if st.wait.is_some() => SyncState::WaitingQuota,
            JobState::Queued | JobState::Running => SyncState::Running,
            JobState::Paused => SyncState::Paused,
            JobState::Failed => SyncState::Failed,
            JobState::Cancelled => SyncState::Cancelled,
            JobState::Done if initial_done => SyncState::Done,
            JobState::Done => SyncState::Failed,
        },
        None if st.plan.is_some() => SyncState::Planned,
        None => SyncState::NotStarted,
    }
}

/// Records per second over the samples of the last five minutes.
fn rate_of(samples: &[RateSample]) -> Option<f64> {
    let last = samples.last()?;
    let from = last.at_unix - 300;
    let recent: Vec<&RateSample> = samples.iter().filter(|s| s.at_unix >= from).collect();
    let first = recent.first()?;
    let span = (last.at_unix - first.at_unix).max(1) as f64;
    let records: u64 = recent.iter().skip(1).map(|s| s.records).sum();
    if recent.len() < 2 {
        return None;
    }
    Some(records as f64 / span)
}

/// The ETA: the plan's, moved by the measured rate once running.
fn eta_of(st: &SyncStatus) -> Option<String> {
    if st.initial_done_at.is_some() {
        return st.initial_done_at.clone();
    }
    let plan_eta = st
        .plan
        .as_ref()
        .and_then(|p| p.get("eta"))
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let left: u64 = st
        .objects
        .values()
        .map(|o| o.total.saturating_sub(o.done + o.failed))
        .sum();
    match (st.rate, &st.wait) {
        (_, Some(w)) => {
            // Waiting: after the reset, the rest at the measured rate (or the plan's).
            let base = chrono::DateTime::parse_from_rfc3339(&w.until).ok()?;
            let rate = st.rate.unwrap_or(0.0);
            if rate > 0.0 {
                Some(
                    (base + chrono::Duration::seconds((left as f64 / rate) as i64))
                        .to_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            } else {
                plan_eta
            }
        }
        (Some(rate), None) if rate > 0.0 && st.job.is_some() => {
            let per_day = st
                .quota
                .limit
                .map(|l| (l as f64 * st.quota.share) as u64)
                .unwrap_or(u64::MAX);
            let usable_today = st
                .quota
                .remaining
                .zip(st.quota.limit)
                .map(|(r, l)| r.saturating_sub(l - (l as f64 * st.quota.share) as u64))
                .unwrap_or(u64::MAX);
            if left <= usable_today || per_day == 0 {
                Some(
                    (chrono::Utc::now() + chrono::Duration::seconds((left as f64 / rate) as i64))
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            } else {
                let reset = st
                    .quota
                    .reset
                    .as_deref()
                    .and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok())?;
                let rest = left - usable_today;
                let days = (rest - 1) / per_day;
                let last = rest - days * per_day;
                Some(
                    (reset
                        + chrono::Duration::days(days as i64)
                        + chrono::Duration::seconds((last as f64 / rate) as i64))
                    .to_utc()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
            }
        }
        _ => plan_eta,
    }
}

/// A page of quarantined records (oldest first).
pub fn quarantine_page(
    conn: &Connection,
    team_id: i64,
    offset: u64,
    limit: u64,
) -> Result<Vec<QuarantineRow>, SyncError> {
    if !table_exists(conn, "sync_quarantine")? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT object, icims_id, reason, attempts, at FROM sync_quarantine WHERE team_id = ?1
         ORDER BY at, object, icims_id LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt
        .query_map(params![team_id, limit as i64, offset as i64], |r| {
            Ok(QuarantineRow {
                object: r.get(0)?,
                icims_id: r.get(1)?,
                reason: r.get(2)?,
                attempts: r.get::<_, i64>(3)?.max(0) as u32,
                at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// A page of the event log, newest first: events with id below `before` (all when `None`).
pub fn events_page(
    conn: &Connection,
    team_id: i64,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<EventRow>, SyncError> {
    if !table_exists(conn, "sync_events")? {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare(
        "SELECT id, at, kind, message FROM sync_events WHERE team_id = ?1 AND id < ?2
         ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(
            params![team_id, before.unwrap_or(i64::MAX), limit as i64],
            |r| {
                Ok(EventRow {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    kind: r.get(2)?,
                    message: r.get(3)?,
                })
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// `sync start --wait` follows `load`: a worker finishing the initial pass (initial
    /// pass marked done, then the job marked done, in two commits) must never be seen
    /// half-way as "job done, initial pass not done" = failed. `load` reads one snapshot.
    #[test]
    fn a_load_racing_the_end_of_the_initial_pass_never_sees_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let store = Store::open(&db).unwrap();
        let team = store.add_test_team("Acme");
        let job = store
            .enqueue_job(&team, SYNC_JOB, &serde_json::json!({}))
            .unwrap();
        super::super::progress::ensure_state(store.conn(), team.id).unwrap();
        // Many records make a load take a while (the window of the race).
        {
            let tx = store.conn().unchecked_transaction().unwrap();
            for i in 0..3000 {
                tx.execute(
                    "INSERT INTO sync_records (team_id, object, icims_id, fields, raw, source) VALUES (?1, 'people', ?2, '{}', '{}', 'api')",
                    params![team.id, i.to_string()],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let db = db.clone();
            let stop = stop.clone();
            let team_id = team.id;
            std::thread::spawn(move || {
                let w = Store::open(&db).unwrap();
                let c = w.conn();
                let mut rounds = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    c.execute_batch(&format!(
                        "BEGIN IMMEDIATE;
                         UPDATE sync_state SET initial_done_at = NULL WHERE team_id = {team_id};
                         UPDATE jobs SET state = 'running' WHERE id = {job};
                         COMMIT;"
                    ))
                    .unwrap();
                    c.execute(
                        "UPDATE sync_state SET initial_done_at = '2026-12-02T00:00:00Z' WHERE team_id = ?1",
                        [team_id],
                    )
                    .unwrap();
                    c.execute("UPDATE jobs SET state = 'done' WHERE id = ?1", [job])
                        .unwrap();
                    rounds += 1;
                }
                rounds
            })
        };
        let started = std::time::Instant::now();
        let mut loads = 0;
        while started.elapsed() < std::time::Duration::from_secs(3) {
            let st = load(store.conn(), team.id).unwrap();
            assert!(
                matches!(
                    st.state,
                    SyncState::Running | SyncState::Live | SyncState::Done
                ),
                "load {loads}: {:?} (initial_done_at {:?}, job {:?})",
                st.state,
                st.initial_done_at,
                st.job
            );
            loads += 1;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let rounds = writer.join().unwrap();
        assert!(
            rounds > 10 && loads > 10,
            "{rounds} writer rounds, {loads} loads"
        );
    }

    /// (team, object, deleted, count) rows.
    type Counts = Vec<(i64, String, i64, i64)>;

    /// The counts the triggers keep, and the counts of the rows themselves.
    fn counts_both_ways(conn: &Connection) -> (Counts, Counts) {
        let read = |sql: &str| {
            conn.prepare(sql)
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<Vec<_>>>()
                .unwrap()
        };
        (
            read(
                "SELECT team_id, object, deleted, n FROM sync_record_counts WHERE n != 0 ORDER BY 1, 2, 3",
            ),
            read(
                "SELECT team_id, object, deleted != 0, COUNT(*) FROM sync_records GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            ),
        )
    }

    /// `load` reads counts kept by triggers; every kind of write to the records must keep
    /// them equal to the rows: inserts, upserts that update (and revive), deletion marks,
    /// row deletes, a changed object, and a team's removal (cascade).
    #[test]
    fn record_counts_follow_every_write_to_the_records() {
        use crate::sync::fields::SyncedRecord;
        use crate::sync::progress::{mark_deleted, upsert_record};
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let (a, b) = (store.add_test_team("A"), store.add_test_team("B"));
        let conn = store.conn();
        let rec = |id: &str| SyncedRecord {
            icims_id: id.into(),
            fields: Default::default(),
            raw: Default::default(),
            status_id: None,
            status_name: None,
            updated_at: None,
        };
        for t in [&a, &b] {
            for i in 0..50 {
                let object = ["people", "jobs", "workflows"][i % 3];
                upsert_record(conn, t.id, object, &rec(&i.to_string()), "export").unwrap();
            }
        }
        // Upserts that find their row (some revive a deleted one), deletion marks (some
        // of rows already deleted, one of a row that does not exist), row deletes.
        for i in 0..20 {
            mark_deleted(conn, a.id, "people", &(i * 3).to_string()).unwrap();
        }
        mark_deleted(conn, a.id, "people", "nope").unwrap();
        for i in 0..10 {
            upsert_record(conn, a.id, "people", &rec(&(i * 3).to_string()), "api").unwrap();
            mark_deleted(conn, a.id, "people", &(i * 3).to_string()).unwrap();
            mark_deleted(conn, a.id, "people", &(i * 3).to_string()).unwrap();
        }
        for i in 0..5 {
            upsert_record(conn, a.id, "people", &rec(&(i * 3).to_string()), "api").unwrap();
        }
        conn.execute(
            "DELETE FROM sync_records WHERE team_id = ?1 AND object = 'jobs' AND CAST(icims_id AS INTEGER) < 20",
            [a.id],
        )
        .unwrap();
        conn.execute(
            "UPDATE sync_records SET object = 'workflows', deleted = 1 WHERE team_id = ?1 AND icims_id = '49'",
            [a.id],
        )
        .unwrap();
        let (kept, rows) = counts_both_ways(conn);
        assert_eq!(kept, rows);
        let st = load(conn, a.id).unwrap();
        assert_eq!(st.deleted.people, 12, "{st:?}");
        assert_eq!(st.records.people + st.deleted.people, 17);

        conn.execute("DELETE FROM teams WHERE id = ?1", [b.id])
            .unwrap();
        let (kept, rows) = counts_both_ways(conn);
        assert_eq!(kept, rows);
        assert!(rows.iter().all(|r| r.0 == a.id), "{rows:?}");
        let st = load(conn, b.id).unwrap();
        assert_eq!((st.records.people, st.deleted.people), (0, 0));
    }

    /// A store made before the counts existed gets them from its rows when it opens.
    #[test]
    fn a_store_from_before_the_counts_gets_them_when_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        {
            let store = Store::open(&db).unwrap();
            let a = store.add_test_team("A");
            store
                .conn()
                .execute_batch(&format!(
                    "DROP TRIGGER sync_records_counted_insert;
                     DROP TRIGGER sync_records_counted_delete;
                     DROP TRIGGER sync_records_counted_update;
                     DROP TABLE sync_record_counts;
                     INSERT INTO sync_records (team_id, object, icims_id, deleted, fields, raw, source) VALUES
                        ({0}, 'people', '1', 0, '{{}}', '{{}}', 'api'),
                        ({0}, 'people', '2', 1, '{{}}', '{{}}', 'api'),
                        ({0}, 'jobs', '1', 0, '{{}}', '{{}}', 'api');
                     PRAGMA user_version = 8;",
                    a.id
                ))
                .unwrap();
        }
        let store = Store::open(&db).unwrap();
        let (kept, rows) = counts_both_ways(store.conn());
        assert_eq!(kept.len(), 3);
        assert_eq!(kept, rows);
    }
}
