//! The `sync.deep` job: seed → plan → fetch the work list by id (bounded concurrency,
//! call budget, records and checkpoint in one transaction per batch, quarantine after
//! bounded attempts) → mark the initial pass done → live cycles. Between batches it
//! honours pause, cancel, a lost lease and SIGTERM (finish the batch, release the lease).

use std::path::Path;
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
use super::fields::{FieldPlan, ObjectFields, Statuses, SyncedRecord};
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
    pub client: IcimsClient,
    pub budget: Budget,
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
    let client = client_for(store, team)?;
    let budget = Budget::new(settings.quota_share);
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
    Record(Box<SyncedRecord>),
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
}

async fn fetch(
    client: &IcimsClient,
    budget: &Budget,
    fields: &ObjectFields,
    api_fields: &[String],
    statuses: &Statuses,
    object: &str,
    id: &str,
) -> Outcome {
    let Ok(num) = id.parse::<u64>() else {
        return Outcome::Bad(format!("id {id:?} is not a number iCIMS can be asked for"));
    };
    match budget.acquire() {
        Decision::Go => {}
        Decision::Wait { until, secs } => return Outcome::Wait(until, secs),
    }
    let wanted: Vec<&str> = api_fields.iter().map(String::as_str).collect();
    let r = client
        .get_profile(profile_type(object), Id(num), &wanted)
        .await;
    budget.release(client.quota());
    match r {
        Ok(p) => Outcome::Record(Box::new(fields.from_api(object, id, &p.fields, statuses))),
        Err(IcimsError::NotFound { .. }) => Outcome::Gone,
        Err(IcimsError::QuotaExhausted { reset_secs, .. }) => {
            budget.exhausted(reset_secs);
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

/// Work rows still to do, a batch at a time.
fn next_batch(
    conn: &Connection,
    team_id: i64,
    n: usize,
) -> Result<Vec<(String, String, String, u32)>, SyncError> {
    let mut stmt = conn.prepare_cached(
        "SELECT object, icims_id, reason, attempts FROM sync_work WHERE team_id = ?1 AND state = 'todo'
         ORDER BY object, icims_id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![team_id, n as i64], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get::<_, i64>(3)?.max(0) as u32,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Works through `sync_work` until nothing is left to do.
pub async fn run_work(ctx: &mut Ctx<'_>) -> Result<(), SyncError> {
    let batch_size = (ctx.settings.concurrency * 8).clamp(16, 400);
    let api_fields: Vec<(String, Vec<String>)> = OBJECTS
        .iter()
        .map(|o| {
            (
                o.to_string(),
                ctx.fields.of(o).map(|f| f.api_fields()).unwrap_or_default(),
            )
        })
        .collect();
    let empty = ObjectFields::default();
    loop {
        control_check(ctx.conn, ctx.handle)?;
        let batch = next_batch(ctx.conn, ctx.team.id, batch_size)?;
        if batch.is_empty() {
            return Ok(());
        }
        let outcomes: Vec<((String, String, String, u32), Outcome)> = {
            let client = &ctx.client;
            let budget = &ctx.budget;
            let fields = &ctx.fields;
            let statuses = &ctx.statuses;
            let api_fields = &api_fields;
            let empty = &empty;
            futures::stream::iter(batch)
                .map(|item| async move {
                    if item.2 == "deleted" {
                        return (item, Outcome::Gone);
                    }
                    let of = fields.of(&item.0).unwrap_or(empty);
                    let af = api_fields
                        .iter()
                        .find(|(o, _)| *o == item.0)
                        .map(|(_, f)| f.as_slice())
                        .unwrap_or(&[]);
                    let out = fetch(client, budget, of, af, statuses, &item.0, &item.1).await;
                    (item, out)
                })
                .buffer_unordered(ctx.settings.concurrency.max(1))
                .collect()
                .await
        };
        let mut wait: Option<(chrono::DateTime<chrono::Utc>, u64)> = None;
        let mut fatal: Option<IcimsError> = None;
        let stats = ctx.client.stats();
        let calls = stats.api_calls.saturating_sub(ctx.counted.0);
        let retries = stats.retries.saturating_sub(ctx.counted.1);
        let tx = super::progress::begin(ctx.conn)?;
        let team_id = ctx.team.id;
        let mut written = 0u64;
        for ((object, id, _reason, attempts), out) in outcomes {
            let done = |tx: &Connection, failed: bool| -> rusqlite::Result<()> {
                tx.prepare_cached(
                    "UPDATE sync_work SET state = ?4, attempts = attempts + 1 WHERE team_id = ?1 AND object = ?2 AND icims_id = ?3",
                )?
                .execute(params![team_id, object, id, if failed { "failed" } else { "done" }])?;
                tx.prepare_cached(&format!(
                    "UPDATE sync_objects SET {} = {} + 1 WHERE team_id = ?1 AND object = ?2",
                    if failed { "failed" } else { "done" },
                    if failed { "failed" } else { "done" }
                ))?
                .execute(params![team_id, object])?;
                Ok(())
            };
            match out {
                Outcome::Record(rec) => {
                    progress::upsert_record(&tx, team_id, &object, &rec, "api")?;
                    progress::unquarantine(&tx, team_id, &object, &id)?;
                    done(&tx, false)?;
                    ctx.report.fetched += 1;
                    written += 1;
                }
                Outcome::Gone => {
                    if progress::mark_deleted(&tx, team_id, &object, &id)? {
                        ctx.report.deleted += 1;
                    }
                    done(&tx, false)?;
                    written += 1;
                }
                Outcome::Retry(reason) if attempts + 1 >= MAX_ATTEMPTS => {
                    progress::quarantine(&tx, team_id, &object, &id, &reason, attempts + 1)?;
                    done(&tx, true)?;
                    ctx.report.quarantined += 1;
                }
                Outcome::Retry(_) => {
                    tx.prepare_cached(
                        "UPDATE sync_work SET attempts = attempts + 1 WHERE team_id = ?1 AND object = ?2 AND icims_id = ?3",
                    )?
                    .execute(params![team_id, object, id])?;
                }
                Outcome::Bad(reason) => {
                    progress::quarantine(&tx, team_id, &object, &id, &reason, attempts + 1)?;
                    done(&tx, true)?;
                    ctx.report.quarantined += 1;
                }
                Outcome::Wait(until, secs) => {
                    if wait.is_none_or(|(_, s)| secs > s) {
                        wait = Some((until, secs));
                    }
                }
                Outcome::Fatal(e) => fatal = Some(e),
            }
        }
        progress::add_calls(&tx, team_id, calls, retries)?;
        let (limit, remaining, reset) = ctx.budget.seen();
        progress::set_quota(&tx, team_id, limit, remaining, reset.as_deref())?;
        progress::heartbeat(&tx, team_id, std::process::id())?;
        ctx.sample_records += written;
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
        if let Some(e) = fatal {
            return Err(e.into());
        }
        if written == 0 && wait.is_none() {
            // Nothing in the batch could be read (network trouble): back off a little
            // before the next attempts instead of spending them at once.
            let conn = ctx.conn;
            let handle = ctx.handle;
            for _ in 0..8 {
                control_check(conn, handle)?;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
        if let Some((until, secs)) = wait {
            (ctx.events)(&format!("waiting for quota ({})", human_secs(secs)));
            let conn = ctx.conn;
            let handle = ctx.handle;
            plan::wait_for_quota(conn, team_id, until, secs, &mut || {
                control_check(conn, handle)
            })
            .await?;
        }
    }
}

/// Opens the store of `db` for a read of the status (convenience for faces).
pub fn status_of(db: &Path, team_id: i64) -> Result<super::SyncStatus, SyncError> {
    let store = Store::open(db)?;
    super::status::load(store.conn(), team_id)
}
