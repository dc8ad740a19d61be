//! The `sync.deep` job: seed → plan → fetch the work list by id (bounded concurrency,
//! call budget, records and checkpoint in one transaction per batch, quarantine after
//! bounded attempts) → mark the initial pass done → live cycles. Between batches it
//! honours pause, cancel, a lost lease and SIGTERM (finish the batch, release the lease).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::icims::{ClientConfig, IcimsClient, IcimsError, Id};
use crate::mapping::storage;
use crate::onboarding::{Approval, ExportOutcome, keys};
use crate::store::{CredentialKind, Store, Team, jobs::write_checkpoint, now_text};
use crate::worker::JobHandle;

use super::budget::{Budget, Decision};
use super::fields::{FieldPlan, ObjectFields, Statuses};
use super::plan::{self, human_secs};
use super::settings::{self, SyncSettings};
use super::{OBJECTS, SyncError, SyncParams, live, profile_type, progress, seed};

/// Attempts per record before it is quarantined (transient failures).
pub const MAX_ATTEMPTS: u32 = 3;

/// What the job reports when it ends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub fetched: u64,
    pub deleted: u64,
    pub quarantined: u64,
    pub calls: u64,
    pub retries: u64,
    pub live_cycles: u64,
}

/// Everything a running sync holds.
pub struct Ctx<'a> {
    pub store: &'a Store,
    pub conn: &'a Connection,
    pub team: &'a Team,
    pub handle: &'a JobHandle,
    pub client: Arc<IcimsClient>,
    pub budget: Arc<Budget>,
    pub settings: SyncSettings,
    pub fields: FieldPlan,
    pub statuses: Statuses,
    pub report: SyncReport,
    /// Client stats already added to the store.
    counted: (u64, u64),
    last_sample: Instant,
    sample_records: u64,
    sample_calls: u64,
    pub events: &'a mut dyn FnMut(&str),
}

impl Ctx<'_> {
    /// Client stats already added to the store (calls, retries).
    pub fn counted_calls(&self) -> (u64, u64) {
        self.counted
    }

    pub fn set_counted(&mut self, calls: u64, retries: u64) {
        self.counted = (calls, retries);
    }
}

/// Builds the API client of a team: the REST OAuth credential, else the Basic one.
pub fn client_for(store: &Store, team: &Team) -> Result<IcimsClient, SyncError> {
    let cred = match store.credential(team, CredentialKind::Rest)? {
        Some(c) => c,
        None => store
            .credential(team, CredentialKind::Basic)?
            .ok_or_else(|| SyncError::NotReady {
                team: team.name.clone(),
                reason: "no REST (or Basic) API credential stored".into(),
            })?,
    };
    let config = ClientConfig {
        // The sync must see changes at once, not iCIMS's 15-minute-old search index.
        search_staleness: Some(0),
        ..ClientConfig::default()
    };
    Ok(IcimsClient::for_team(team, &cred, config)?)
}

/// The export's cut-off from the import fact, else the newest updated date seeded.
pub fn export_cutoff(store: &Store, team: &Team) -> Result<String, SyncError> {
    if let Some(o) = store.fact::<ExportOutcome>(team, keys::EXPORT_IMPORTED)?
        && let Some(c) = o.cutoff
        && plan::parse_when(&c).is_some()
    {
        return Ok(c);
    }
    let newest: Option<String> = store
        .conn()
        .prepare(
            "SELECT updated_at FROM sync_records WHERE team_id = ?1 AND updated_at IS NOT NULL",
        )?
        .query_map([team.id], |r| r.get::<_, String>(0))?
        .filter_map(|r| r.ok())
        .filter_map(|s| plan::parse_when(&s))
        .max()
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string());
    newest.ok_or_else(|| SyncError::NotReady {
        team: team.name.clone(),
        reason: "the export's cut-off is unknown (import the export first)".into(),
    })
}

/// The approved mapping's field plan; refused when the mapping is not approved.
pub fn field_plan(store: &Store, team: &Team) -> Result<FieldPlan, SyncError> {
    if storage::approval(store, team)?.is_none() {
        return Err(SyncError::NotReady {
            team: team.name.clone(),
            reason: "the field mapping is not approved (step 4)".into(),
        });
    }
    let entries = storage::load(store, team)?;
    Ok(FieldPlan::from_mapping(&entries))
}

fn phase(conn: &Connection, team_id: i64) -> Result<String, SyncError> {
    Ok(conn
        .query_row(
            "SELECT phase FROM sync_state WHERE team_id = ?1",
            [team_id],
            |r| r.get::<_, String>(0),
        )
        .unwrap_or_else(|_| "none".into()))
}

fn rank(phase: &str) -> u8 {
    match phase {
        "seeded" => 1,
        "planned" => 2,
        "running" => 3,
        "live" => 4,
        _ => 0,
    }
}

/// Reads the status catalogue (one call), tolerating tenants without one.
async fn statuses(ctx_client: &IcimsClient, budget: &Budget) -> (Statuses, u64) {
    let _ = budget.acquire();
    let r = ctx_client.status_catalogue().await;
    budget.release(ctx_client.quota());
    match r {
        Ok(opts) => (Statuses::from_options(&opts), 1),
        Err(e) => {
            tracing::warn!(error = %e, "status catalogue unavailable; status ids resolved from workflows only");
            (Statuses::default(), 1)
        }
    }
}

/// Seeds (if not done) and makes the plan, for `sync plan` and the job.
pub async fn seed_and_plan(
    store: &Store,
    team: &Team,
    client: &IcimsClient,
    budget: &Budget,
    settings: &SyncSettings,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
) -> Result<(plan::Plan, Statuses), SyncError> {
    let conn = store.conn();
    progress::ensure_state(conn, team.id)?;
    let fields = field_plan(store, team)?;
    let (statuses, catalogue_calls) = statuses(client, budget).await;
    conn.execute(
        "UPDATE sync_state SET statuses = ?2 WHERE team_id = ?1",
        params![
            team.id,
            serde_json::to_string(&statuses).unwrap_or_default()
        ],
    )?;
    if rank(&phase(conn, team.id)?) < 1 {
        seed::seed(conn, team.id, &fields, &statuses, &settings.scope)?;
    }
    let cutoff = export_cutoff(store, team)?;
    let p = plan::make(
        conn,
        team.id,
        client,
        budget,
        settings,
        &cutoff,
        catalogue_calls,
        fields.not_synced.clone(),
        check,
    )
    .await?;
    let stats = client.stats();
    progress::add_calls(conn, team.id, stats.api_calls, stats.retries)?;
    Ok((p, statuses))
}

/// Runs the `sync.deep` job on the calling thread (its own tokio runtime).
pub fn run_job(
    store: &Store,
    team: &Team,
    handle: &JobHandle,
    params: &SyncParams,
    events: &mut dyn FnMut(&str),
) -> Result<SyncReport, SyncError> {
    // One thread for the fetches and the writes: measured (benches/sync.rs) a third less
    // CPU per record than fetching on two runtime threads beside a writing thread, and
    // faster on two cores shared with other work — every hand-over between threads was a
    // context switch. The API's latency, not this thread, bounds a real tenant's sync.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| SyncError::Runtime(format!("cannot start the runtime: {e}")))?;
    let result = rt.block_on(run(store, team, handle, params, events));
    if let Err(e) = &result
        && !matches!(
            e,
            SyncError::Stopped | SyncError::LeaseLost | SyncError::Cancelled
        )
    {
        let conn = store.conn();
        let _ = progress::ensure_state(conn, team.id);
        let _ = conn.execute(
            "UPDATE sync_state SET error = ?2, wait_until = NULL, wait_reason = NULL WHERE team_id = ?1",
            params![team.id, e.to_string()],
        );
        let _ = progress::event(conn, team.id, "failed", &format!("sync failed: {e}"));
    }
    let conn = store.conn();
    let _ = conn.execute(
        "UPDATE sync_state SET wait_until = NULL, wait_reason = NULL WHERE team_id = ?1",
        [team.id],
    );
    match &result {
        Err(SyncError::Stopped) => {
            let _ = progress::event(
                conn,
                team.id,
                "stopped",
                "sync stopped; the lease is released and it resumes from its checkpoint",
            );
        }
        Err(SyncError::Cancelled) => {
            let _ = progress::event(conn, team.id, "cancelled", "sync cancelled");
        }
        _ => {}
    }
    result
}

/// Pause, cancel, lease and shutdown checks (between batches and during waits).
pub fn control_check(conn: &Connection, handle: &JobHandle) -> Result<(), SyncError> {
    let state: Option<String> = conn
        .query_row("SELECT state FROM jobs WHERE id = ?1", [handle.id], |r| {
            r.get(0)
        })
        .ok();
    match state.as_deref() {
        Some("paused") => return Err(SyncError::Stopped),
        Some("cancelled") => return Err(SyncError::Cancelled),
        _ => {}
    }
    if handle.cancelled() {
        return Err(SyncError::LeaseLost);
    }
    if crate::worker::shutdown_requested() {
        return Err(SyncError::Stopped);
    }
    Ok(())
}

async fn run(
    store: &Store,
    team: &Team,
    handle: &JobHandle,
    params: &SyncParams,
    events: &mut dyn FnMut(&str),
) -> Result<SyncReport, SyncError> {
    let conn = store.conn();
    progress::ensure_state(conn, team.id)?;
    let settings = settings::load(store, team)?;
    let client = Arc::new(client_for(store, team)?);
    let budget = Arc::new(Budget::new(settings.quota_share));
    let pid = std::process::id();
    conn.execute(
        "UPDATE sync_state SET job_id = ?2, error = NULL, started_at = COALESCE(started_at, ?3) WHERE team_id = ?1",
        params![team.id, handle.id, now_text()],
    )?;
    progress::heartbeat(conn, team.id, pid)?;
    let mut check = || control_check(conn, handle);
    let cur = phase(conn, team.id)?;
    let (fields, statuses) = if rank(&cur) < 2 {
        events("planning");
        let (p, statuses) =
            seed_and_plan(store, team, &client, &budget, &settings, &mut check).await?;
        events(&format!(
            "plan: {} GETs, {} calls in all, ETA day {}",
            p.gets, p.calls_total, p.eta_day
        ));
        (field_plan(store, team)?, statuses)
    } else {
        // The catalogue read when planning (no call on resume).
        let fields = field_plan(store, team)?;
        let stored: Option<String> = conn
            .query_row(
                "SELECT statuses FROM sync_state WHERE team_id = ?1",
                [team.id],
                |r| r.get(0),
            )
            .unwrap_or(None);
        let statuses = match stored.and_then(|s| serde_json::from_str::<Statuses>(&s).ok()) {
            Some(s) => s,
            None => statuses(&client, &budget).await.0,
        };
        (fields, statuses)
    };
    let counted = {
        let s = client.stats();
        (s.api_calls, s.retries)
    };
    let mut ctx = Ctx {
        store,
        conn,
        team,
        handle,
        client,
        budget,
        settings,
        fields,
        statuses,
        report: SyncReport::default(),
        counted,
        last_sample: Instant::now(),
        sample_records: 0,
        sample_calls: 0,
        events,
    };
    // Calls of a resumed run's setup (a catalogue read if none was stored) count too.
    if rank(&cur) >= 2 {
        ctx.counted = (0, 0);
    }
    if rank(&phase(conn, team.id)?) < 3 {
        let tx = super::progress::begin(conn)?;
        progress::set_phase(&tx, team.id, "running")?;
        progress::event(&tx, team.id, "started", "initial pass started")?;
        tx.commit()?;
    } else {
        progress::event(conn, team.id, "resumed", "resuming from the checkpoint")?;
    }
    if rank(&phase(conn, team.id)?) < 4 {
        run_work(&mut ctx).await?;
        finish_initial(&mut ctx)?;
    }
    live::run_cycles(&mut ctx, params).await?;
    Ok(ctx.report.clone())
}

/// Marks the initial pass complete (fact `sync.initial_done`, phase `live`).
fn finish_initial(ctx: &mut Ctx<'_>) -> Result<(), SyncError> {
    let watermark = live::newest_updated(ctx.conn, ctx.team.id)?;
    let tx = super::progress::begin(ctx.conn)?;
    let now = now_text();
    tx.execute(
        "UPDATE sync_state SET phase = 'live', initial_done_at = ?2, watermark = ?3 WHERE team_id = ?1",
        params![ctx.team.id, now, watermark],
    )?;
    let status = super::status::load(&tx, ctx.team.id)?;
    let msg = format!(
        "initial pass complete: {} people, {} jobs, {} workflows; {} deleted; {} quarantined; {} calls ({} retries)",
        status.records.people,
        status.records.jobs,
        status.records.workflows,
        status.deleted.people + status.deleted.jobs + status.deleted.workflows,
        status.quarantined,
        status.calls_used,
        status.retries
    );
    progress::event(&tx, ctx.team.id, "initial_done", &msg)?;
    tx.commit()?;
    let actor = crate::store::Actor::named(&ctx.handle.actor);
    ctx.store.set_fact(
        ctx.team,
        keys::SYNC_INITIAL_DONE,
        &Approval {
            note: Some(msg.clone()),
        },
        &actor,
    )?;
    (ctx.events)(&msg);
    // Step 6's workflow counts now come from the synced records.
    live::refresh_stage_catalogue(ctx, None);
    Ok(())
}

/// One record's fetch.
enum Outcome {
    /// Read and encoded (by the fetching task), ready to write.
    Record(Box<progress::RecordRow>),
    /// 404: deleted since it was listed.
    Gone,
    /// Transient failure (after the client's own retries).
    Retry(String),
    /// Not readable: quarantine now.
    Bad(String),
    /// The budget is spent: not fetched, wait.
    Wait(chrono::DateTime<chrono::Utc>, u64),
    /// A failure of the whole sync (credentials, configuration).
    Fatal(IcimsError),
    /// Not started: the loop was stopping or waiting when its turn came (left to do).
    Skipped,
}

/// One row of the work list: object, iCIMS id, reason, attempts so far.
#[derive(Debug, Clone)]
struct Item {
    object: String,
    id: String,
    reason: String,
    attempts: u32,
}

/// What the fetching task needs, shared with it (it runs beside the task that writes to
/// the store).
struct Fetcher {
    client: Arc<IcimsClient>,
    budget: Arc<Budget>,
    fields: FieldPlan,
    statuses: Statuses,
    /// Per object, the `fields=` of its GETs.
    api_fields: Vec<(String, Vec<String>)>,
    /// Set while the loop stops or waits: queued items are skipped, not fetched.
    halt: AtomicBool,
}

impl Fetcher {
    async fn fetch(&self, item: &Item) -> Outcome {
        if self.halt.load(Ordering::Relaxed) {
            return Outcome::Skipped;
        }
        if item.reason == "deleted" {
            return Outcome::Gone;
        }
        let Ok(num) = item.id.parse::<u64>() else {
            return Outcome::Bad(format!(
                "id {:?} is not a number iCIMS can be asked for",
                item.id
            ));
        };
        let empty = ObjectFields::default();
        let of = self.fields.of(&item.object).unwrap_or(&empty);
        let wanted: Vec<&str> = self
            .api_fields
            .iter()
            .find(|(o, _)| *o == item.object)
            .map(|(_, f)| f.iter().map(String::as_str).collect())
            .unwrap_or_default();
        match self.budget.acquire() {
            Decision::Go => {}
            Decision::Wait { until, secs } => return Outcome::Wait(until, secs),
        }
        let r = self
            .client
            .get_profile_and_text(profile_type(&item.object), Id(num), &wanted)
            .await;
        self.budget.release(self.client.quota());
        match r {
            Ok((p, text)) => {
                let rec = of.from_api_owned(&item.object, &item.id, p.fields, &self.statuses);
                Outcome::Record(Box::new(progress::RecordRow::of(rec, Some(text))))
            }
            Err(IcimsError::NotFound { .. }) => Outcome::Gone,
            Err(IcimsError::QuotaExhausted { reset_secs, .. }) => {
                self.budget.exhausted(reset_secs);
                let secs = reset_secs.unwrap_or(60);
                Outcome::Wait(
                    chrono::Utc::now() + chrono::Duration::seconds(secs as i64),
                    secs,
                )
            }
            Err(e @ (IcimsError::Rejected { .. } | IcimsError::AccessDenied { .. })) => {
                Outcome::Bad(e.to_string())
            }
            Err(
                e @ (IcimsError::Server { .. }
                | IcimsError::Throttled { .. }
                | IcimsError::Timeout { .. }
                | IcimsError::Transport { .. }
                | IcimsError::Unreachable { .. }
                | IcimsError::Malformed { .. }),
            ) => Outcome::Retry(e.to_string()),
            Err(e) => Outcome::Fatal(e),
        }
    }
}

/// Up to `n` work rows still to do, after `after` (object, id) in the list's order.
fn next_items(
    conn: &Connection,
    team_id: i64,
    after: Option<&(String, String)>,
    n: usize,
) -> Result<Vec<Item>, SyncError> {
    let (object, id) = after
        .map(|(o, i)| (o.as_str(), i.as_str()))
        .unwrap_or(("", ""));
    let mut stmt = conn.prepare_cached(
        "SELECT object, icims_id, reason, attempts FROM sync_work
         WHERE team_id = ?1 AND state = 'todo' AND (object, icims_id) > (?2, ?3)
         ORDER BY object, icims_id LIMIT ?4",
    )?;
    let rows = stmt
        .query_map(params![team_id, object, id, n as i64], |r| {
            Ok(Item {
                object: r.get(0)?,
                id: r.get(1)?,
                reason: r.get(2)?,
                attempts: r.get::<_, i64>(3)?.max(0) as u32,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Aborts the fetching task when the work loop ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What one written batch asks of the loop.
#[derive(Default)]
struct Written {
    /// Records stored or marked deleted.
    stored: u64,
    /// Items left to do because of a transient failure.
    retried: u64,
    wait: Option<(chrono::DateTime<chrono::Utc>, u64)>,
    fatal: Option<IcimsError>,
}

/// Works through `sync_work` until nothing is left to do.
///
/// A spawned task fetches (bounded concurrency) while this task writes what came back,
/// a batch per transaction with the checkpoint: requests stay in flight at the API
/// while a batch is written. The list is read in passes (keyset order); an item left `todo` by a
/// transient failure is retried by the next pass. On pause, cancel, a lost lease or
/// SIGTERM it stops feeding, writes what is in flight, and returns.
pub async fn run_work(ctx: &mut Ctx<'_>) -> Result<(), SyncError> {
    let concurrency = ctx.settings.concurrency.max(1);
    // Items fetched or queued at once, and the most written per transaction (a batch is
    // also cut after 100 ms, so a slow tenant still shows progress).
    let window = (concurrency * 16).max(1024);
    let batch_size = 512;
    let fetcher = Arc::new(Fetcher {
        client: ctx.client.clone(),
        budget: ctx.budget.clone(),
        fields: ctx.fields.clone(),
        statuses: ctx.statuses.clone(),
        api_fields: OBJECTS
            .iter()
            .map(|o| {
                (
                    o.to_string(),
                    ctx.fields.of(o).map(|f| f.api_fields()).unwrap_or_default(),
                )
            })
            .collect(),
        halt: AtomicBool::new(false),
    });
    let shared = fetcher.clone();
    let (item_tx, mut item_rx) = tokio::sync::mpsc::channel::<Item>(window);
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Vec<(Item, Outcome)>>(window);
    let _task = AbortOnDrop(tokio::spawn(async move {
        futures::stream::poll_fn(move |cx| item_rx.poll_recv(cx))
            .map(move |item| {
                let f = fetcher.clone();
                async move {
                    let out = f.fetch(&item).await;
                    (item, out)
                }
            })
            .buffer_unordered(concurrency)
            // What finished together goes over in one message (fewer wake-ups).
            .ready_chunks(64)
            .for_each(move |r| {
                let out_tx = out_tx.clone();
                async move {
                    let _ = out_tx.send(r).await;
                }
            })
            .await;
    }));

    let mut cursor: Option<(String, String)> = None;
    let mut scan_done = false;
    let mut pass_fed = 0u64;
    let mut in_flight = 0usize;
    let mut stop: Option<SyncError> = None;
    let mut wait: Option<(chrono::DateTime<chrono::Utc>, u64)> = None;
    let mut fatal: Option<IcimsError> = None;
    loop {
        if stop.is_none()
            && let Err(e) = control_check(ctx.conn, ctx.handle)
        {
            stop = Some(e);
        }
        if stop.is_none() && wait.is_none() && fatal.is_none() {
            while in_flight < window && !scan_done {
                let items = next_items(ctx.conn, ctx.team.id, cursor.as_ref(), window - in_flight)?;
                let Some(last) = items.last() else {
                    scan_done = true;
                    break;
                };
                cursor = Some((last.object.clone(), last.id.clone()));
                for item in items {
                    in_flight += 1;
                    pass_fed += 1;
                    item_tx
                        .send(item)
                        .await
                        .map_err(|_| SyncError::Runtime("the fetching task ended".into()))?;
                }
            }
        }
        if stop.is_some() || wait.is_some() || fatal.is_some() {
            shared.halt.store(true, Ordering::Relaxed);
        }
        if in_flight == 0 {
            if let Some(e) = fatal {
                return Err(e.into());
            }
            if let Some(e) = stop {
                return Err(e);
            }
            if let Some((until, secs)) = wait.take() {
                (ctx.events)(&format!("waiting for quota ({})", human_secs(secs)));
                let conn = ctx.conn;
                let handle = ctx.handle;
                plan::wait_for_quota(conn, ctx.team.id, until, secs, &mut || {
                    control_check(conn, handle)
                })
                .await?;
                shared.halt.store(false, Ordering::Relaxed);
                (cursor, scan_done, pass_fed) = (None, false, 0);
                continue;
            }
            if scan_done {
                if pass_fed == 0 {
                    return Ok(());
                }
                // Another pass for what a transient failure left to do.
                (cursor, scan_done, pass_fed) = (None, false, 0);
                continue;
            }
        }
        // Collect a batch: what came back within a short window, up to `batch_size`.
        let mut outcomes = Vec::with_capacity(batch_size);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(100);
        while outcomes.len() < batch_size && outcomes.len() < in_flight {
            let next = if outcomes.is_empty() {
                out_rx.recv().await
            } else {
                match tokio::time::timeout_at(deadline, out_rx.recv()).await {
                    Ok(r) => r,
                    Err(_) => break,
                }
            };
            match next {
                Some(r) => outcomes.extend(r),
                None => return Err(SyncError::Runtime("the fetching task ended".into())),
            }
        }
        in_flight -= outcomes.len();
        let w = write_batch(ctx, outcomes)?;
        if let Some(x) = w.wait
            && wait.is_none_or(|(_, s)| x.1 > s)
        {
            wait = Some(x);
        }
        if w.fatal.is_some() {
            fatal = w.fatal;
        }
        if w.stored == 0 && w.retried > 0 && wait.is_none() && stop.is_none() {
            // Nothing in the batch could be read (network trouble): back off a little
            // before the next attempts instead of spending them at once.
            for _ in 0..8 {
                if let Err(e) = control_check(ctx.conn, ctx.handle) {
                    stop = Some(e);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

/// Writes one batch of outcomes with the counters and the checkpoint, in one transaction.
fn write_batch(ctx: &mut Ctx<'_>, outcomes: Vec<(Item, Outcome)>) -> Result<Written, SyncError> {
    let mut w = Written::default();
    let stats = ctx.client.stats();
    let calls = stats.api_calls.saturating_sub(ctx.counted.0);
    let retries = stats.retries.saturating_sub(ctx.counted.1);
    let tx = super::progress::begin(ctx.conn)?;
    let team_id = ctx.team.id;
    // Quarantined ids are rare: look each record up only when the team has some.
    let any_quarantined: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM sync_quarantine WHERE team_id = ?1)",
        [team_id],
        |r| r.get(0),
    )?;
    // Per object: (done, failed) to add to its counters.
    let mut counts: Vec<(String, i64, i64)> = Vec::new();
    let mut count = |object: &str, failed: bool| {
        let i = match counts.iter().position(|(o, _, _)| o == object) {
            Some(i) => i,
            None => {
                counts.push((object.to_string(), 0, 0));
                counts.len() - 1
            }
        };
        if failed {
            counts[i].2 += 1;
        } else {
            counts[i].1 += 1;
        }
    };
    for (item, out) in outcomes {
        let Item {
            object,
            id,
            attempts,
            ..
        } = item;
        let finish = |tx: &Connection, failed: bool| -> rusqlite::Result<()> {
            tx.prepare_cached(
                "UPDATE sync_work SET state = ?4, attempts = attempts + 1 WHERE team_id = ?1 AND object = ?2 AND icims_id = ?3",
            )?
            .execute(params![team_id, object, id, if failed { "failed" } else { "done" }])?;
            Ok(())
        };
        match out {
            Outcome::Record(rec) => {
                progress::upsert_row(&tx, team_id, &object, &rec, "api")?;
                if any_quarantined {
                    progress::unquarantine(&tx, team_id, &object, &id)?;
                }
                finish(&tx, false)?;
                count(&object, false);
                ctx.report.fetched += 1;
                w.stored += 1;
            }
            Outcome::Gone => {
                if progress::mark_deleted(&tx, team_id, &object, &id)? {
                    ctx.report.deleted += 1;
                }
                finish(&tx, false)?;
                count(&object, false);
                w.stored += 1;
            }
            Outcome::Retry(reason) if attempts + 1 >= MAX_ATTEMPTS => {
                progress::quarantine(&tx, team_id, &object, &id, &reason, attempts + 1)?;
                finish(&tx, true)?;
                count(&object, true);
                ctx.report.quarantined += 1;
            }
            Outcome::Retry(_) => {
                tx.prepare_cached(
                    "UPDATE sync_work SET attempts = attempts + 1 WHERE team_id = ?1 AND object = ?2 AND icims_id = ?3",
                )?
                .execute(params![team_id, object, id])?;
                w.retried += 1;
            }
            Outcome::Bad(reason) => {
                progress::quarantine(&tx, team_id, &object, &id, &reason, attempts + 1)?;
                finish(&tx, true)?;
                count(&object, true);
                ctx.report.quarantined += 1;
            }
            Outcome::Wait(until, secs) => {
                if w.wait.is_none_or(|(_, s)| secs > s) {
                    w.wait = Some((until, secs));
                }
            }
            Outcome::Fatal(e) => w.fatal = Some(e),
            Outcome::Skipped => {}
        }
    }
    for (object, done, failed) in &counts {
        tx.prepare_cached(
            "UPDATE sync_objects SET done = done + ?3, failed = failed + ?4 WHERE team_id = ?1 AND object = ?2",
        )?
        .execute(params![team_id, object, done, failed])?;
    }
    progress::add_calls(&tx, team_id, calls, retries)?;
    let (limit, remaining, reset) = ctx.budget.seen();
    progress::set_quota(&tx, team_id, limit, remaining, reset.as_deref())?;
    progress::heartbeat(&tx, team_id, std::process::id())?;
    ctx.sample_records += w.stored;
    ctx.sample_calls += calls;
    if ctx.last_sample.elapsed() >= Duration::from_secs(1) {
        progress::rate_sample(&tx, team_id, ctx.sample_records, ctx.sample_calls)?;
        ctx.sample_records = 0;
        ctx.sample_calls = 0;
        ctx.last_sample = Instant::now();
    }
    // The work list is the checkpoint; the job row records how far it got (and the
    // write fails when another worker took the lease, rolling the batch back).
    write_checkpoint(
        &tx,
        ctx.handle.id,
        &ctx.handle.owner,
        &serde_json::json!({"phase": "work", "fetched": ctx.report.fetched, "deleted": ctx.report.deleted}),
    )
    .map_err(|_| SyncError::LeaseLost)?;
    tx.commit()?;
    ctx.counted = (stats.api_calls, stats.retries);
    ctx.report.calls += calls;
    ctx.report.retries += retries;
    Ok(w)
}

/// Opens the store of `db` for a read of the status (convenience for faces).
pub fn status_of(db: &Path, team_id: i64) -> Result<super::SyncStatus, SyncError> {
    let store = Store::open(db)?;
    super::status::load(store.conn(), team_id)
}
