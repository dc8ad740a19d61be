//! The headless worker: claims jobs by lease, renews the lease while a job runs, runs
//! `export.fetch` / `export.import` / `sync.deep` (a [`JobKind`] each, one arm in `dispatch`),
//! writes progress to the job row, and can be started detached by the console or CLI.
//!
//! Liveness of the detached worker is a lock file next to the database
//! (`<db>.worker.lock`): a worker holds an exclusive `flock` on it for its whole life and
//! writes its pid into it; the kernel drops the lock when the process dies, however it
//! dies. Jobs themselves are protected by their leases (owner `host:pid:nonce`); a lease
//! whose owner process is gone on this host is taken over at once instead of waiting for
//! it to expire, which is how an import killed with SIGKILL resumes immediately.

mod handle;
mod kind;
mod lease;
mod lock;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

pub use handle::JobHandle;
use kind::Ending;
pub use kind::{JobError, JobKind};
pub use lease::{claim_job_by_id, lease_alive, owner_id, reap_dead_leases};
pub use lock::{WorkerLock, WorkerStatus, ensure_worker, live_worker_pid, lock_path};

use crate::export::{self, ExportError, FetchParams, ImportOptions, ImportParams};
use crate::sftp::Progress;
use crate::store::{Job, JobState, Store};

/// Seconds a lease lasts; renewed every third of it while the job runs.
pub const LEASE_SECS: i64 = 30;

/// Job kinds this worker runs.
pub const JOB_KINDS: &[&str] = &[export::FETCH_JOB, export::IMPORT_JOB, crate::sync::SYNC_JOB];

/// What a running job reports (for a CLI printing progress).
#[derive(Debug, Clone)]
pub enum JobEvent {
    Fetch(Progress),
    Import(export::ImportProgress),
    /// A line of sync news (plan made, waiting for quota, batch written, cycle ran).
    Sync(String),
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub struct JobOutcome {
    pub job_id: i64,
    pub kind: String,
    pub state: JobState,
    pub error: Option<String>,
    /// The job's result (the fetch or import report as JSON).
    pub result: serde_json::Value,
}

/// Worker loop settings.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Exit when no job is waiting instead of polling.
    pub until_idle: bool,
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            until_idle: false,
            poll: Duration::from_secs(2),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs jobs from the database at `db` until idle (with `until_idle`) or forever.
/// Returns the outcomes of the jobs it ran.
pub fn run_worker(
    db: &Path,
    opts: &WorkerOptions,
    events: &mut dyn FnMut(i64, &JobEvent),
) -> Result<Vec<JobOutcome>, WorkerError> {
    let _lock = WorkerLock::try_acquire(db)?;
    let mut store = Store::open(db)?;
    let owner = owner_id();
    let mut outcomes = Vec::new();
    loop {
        if shutdown_requested() {
            return Ok(outcomes);
        }
        reap_dead_leases(&store)?;
        match store.claim_job(&owner, LEASE_SECS, JOB_KINDS)? {
            Some(job) => {
                tracing::info!(job = job.id, kind = %job.kind, "claimed job");
                let id = job.id;
                let actor = format!("worker {owner}");
                let outcome =
                    run_claimed(&mut store, db, job, &owner, &actor, &mut |e| events(id, e))?;
                tracing::info!(job = id, state = %outcome.state, error = ?outcome.error, "job ended");
                outcomes.push(outcome);
            }
            None if opts.until_idle => return Ok(outcomes),
            None => std::thread::sleep(opts.poll),
        }
    }
}

/// Claims one job by id (taking it over if its owner died) and runs it in this process.
/// `None` if it is held by a live worker or no longer open.
pub fn run_job_inline(
    db: &Path,
    job_id: i64,
    events: &mut dyn FnMut(&JobEvent),
) -> Result<Option<JobOutcome>, WorkerError> {
    let mut store = Store::open(db)?;
    let owner = owner_id();
    reap_dead_leases(&store)?;
    let Some(job) = claim_job_by_id(&store, job_id, &owner, LEASE_SECS)? else {
        return Ok(None);
    };
    let actor = crate::store::Actor::from_env().user;
    Ok(Some(run_claimed(
        &mut store, db, job, &owner, &actor, events,
    )?))
}

fn cancelled_in_store(store: &Store, job_id: i64) -> bool {
    store
        .job(job_id)
        .ok()
        .flatten()
        .is_some_and(|j| j.state == JobState::Cancelled)
}

/// Runs a claimed job to its end, renewing the lease from a helper thread.
pub fn run_claimed(
    store: &mut Store,
    db: &Path,
    job: Job,
    owner: &str,
    actor: &str,
    events: &mut dyn FnMut(&JobEvent),
) -> Result<JobOutcome, WorkerError> {
    let cancel = Arc::new(AtomicBool::new(false));
    let renewer = lease::Renewer::start(db, job.id, owner, LEASE_SECS, cancel.clone());
    let handle = JobHandle {
        id: job.id,
        owner: owner.to_string(),
        actor: actor.to_string(),
        checkpoint: job.checkpoint.clone(),
        cancel: cancel.clone(),
    };
    let result = dispatch(store, db, &job, &handle, events);
    renewer.stop();
    let (state, error, value) = match result {
        Ok(value) => (JobState::Done, None, value),
        Err(JobError::Export(ExportError::LeaseLost | ExportError::Cancelled))
            if cancelled_in_store(store, job.id) =>
        {
            // Cancelled from elsewhere (a later import, the console): stop for real, leave
            // the row as the canceller set it, and fail the unit this job left open.
            let _ = export::stage::fail_open_units(
                store.conn(),
                job.id,
                "the import was cancelled before it finished",
            );
            return Ok(JobOutcome {
                job_id: job.id,
                kind: job.kind,
                state: JobState::Cancelled,
                error: None,
                result: serde_json::Value::Null,
            });
        }
        Err(e) => match e.ending(handle.cancelled()) {
            Ending::LeaseLost => {
                // Another worker owns the job now; leave its row alone.
                return Ok(JobOutcome {
                    job_id: job.id,
                    kind: job.kind,
                    state: JobState::Running,
                    error: Some("lease lost; stopped".into()),
                    result: serde_json::Value::Null,
                });
            }
            Ending::Release => {
                let state = store.release_job(job.id, owner)?;
                return Ok(JobOutcome {
                    job_id: job.id,
                    kind: job.kind,
                    state,
                    error: None,
                    result: serde_json::Value::Null,
                });
            }
            Ending::Finish if e.is_cancel() => (JobState::Cancelled, None, serde_json::Value::Null),
            Ending::Finish => (
                JobState::Failed,
                Some(e.to_string()),
                serde_json::Value::Null,
            ),
        },
    };
    if !value.is_null() {
        store.set_job_progress(job.id, &value)?;
    }
    store.finish_job(job.id, state, error.as_deref())?;
    Ok(JobOutcome {
        job_id: job.id,
        kind: job.kind,
        state,
        error,
        result: value,
    })
}

/// One sentence for an import where some files failed: how many of how many, each failed
/// file with its reason (its name once), and what was imported.
fn not_all_imported(report: &export::ImportReport) -> String {
    let imported: Vec<&str> = report
        .units
        .iter()
        .map(|u| u.name.as_str())
        .filter(|n| !report.failed.iter().any(|(f, _)| f == n))
        .collect();
    let total = imported.len() + report.failed.len();
    let list: Vec<String> = report
        .failed
        .iter()
        .map(|(name, why)| format!("{name}: {why}"))
        .collect();
    let rest = match imported.as_slice() {
        [] => "nothing was imported".to_string(),
        [one] => format!("{one} was imported"),
        few if few.len() <= 3 => format!("{} were imported", few.join(", ")),
        many => format!("the other {} were imported", many.len()),
    };
    format!(
        "{} of {total} file{} not imported: {}; {rest}",
        report.failed.len(),
        if total == 1 { "" } else { "s" },
        list.join("; ")
    )
}

/// Runs one job by kind.
fn dispatch(
    store: &mut Store,
    db: &Path,
    job: &Job,
    handle: &JobHandle,
    events: &mut dyn FnMut(&JobEvent),
) -> Result<serde_json::Value, JobError> {
    let kind = JobKind::parse(&job.kind).ok_or_else(|| JobError::UnknownKind(job.kind.clone()))?;
    let team = store.team_by_id(job.team_id)?;
    let bad_params = |e: serde_json::Error| JobError::Params {
        job: job.id,
        reason: e.to_string(),
    };
    match kind {
        JobKind::ExportFetch => {
            let params: FetchParams =
                serde_json::from_value(job.params.clone()).map_err(bad_params)?;
            let shared: &Store = store;
            let mut last_write = Instant::now() - Duration::from_secs(10);
            let report = export::run_fetch(shared, &team, handle, &params, &mut |p| {
                if p.done || last_write.elapsed() >= Duration::from_millis(500) {
                    last_write = Instant::now();
                    let _ = shared.set_job_progress(handle.id, &json!({ "fetch": p }));
                }
                events(&JobEvent::Fetch(p.clone()));
            })?;
            Ok(json!({ "fetch": report }))
        }
        JobKind::ExportImport => {
            let params: ImportParams =
                serde_json::from_value(job.params.clone()).map_err(bad_params)?;
            let report = export::run_import(
                store,
                &team,
                handle,
                &params,
                &ImportOptions::default(),
                &mut |p| events(&JobEvent::Import(p.clone())),
            )?;
            if !report.failed.is_empty() {
                return Err(ExportError::NotAllImported(not_all_imported(&report)).into());
            }
            Ok(json!({ "import": report }))
        }
        JobKind::SyncDeep => {
            let params: crate::sync::SyncParams =
                serde_json::from_value(job.params.clone()).map_err(bad_params)?;
            let _ = db;
            let report = crate::sync::run_job(store, &team, handle, &params, &mut |line| {
                events(&JobEvent::Sync(line.to_string()))
            })?;
            Ok(json!({ "sync": report }))
        }
    }
}

static SHUTDOWN: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigterm(_: libc::c_int) {
    SHUTDOWN.store(true, Ordering::SeqCst);
}

/// Makes SIGTERM ask for a graceful stop: the running job finishes its batch and
/// releases its lease, and the worker claims nothing more.
pub fn install_sigterm_handler() {
    // SAFETY: the handler only stores to an atomic (async-signal-safe).
    unsafe {
        libc::signal(
            libc::SIGTERM,
            on_sigterm as extern "C" fn(libc::c_int) as libc::sighandler_t,
        );
    }
}

/// True once SIGTERM was received (or [`request_shutdown`] called).
pub fn shutdown_requested() -> bool {
    SHUTDOWN.load(Ordering::SeqCst)
}

/// Asks this process's worker loop and running jobs to stop gracefully.
pub fn request_shutdown() {
    SHUTDOWN.store(true, Ordering::SeqCst);
}
