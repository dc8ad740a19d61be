//! The sync's controls as library functions (the CLI and the console call these):
//! start (queue the job, or attach to the open one, and make sure a worker runs it),
//! pause, resume and cancel. They only write the store and start a detached worker;
//! the worker notices pause/cancel between batches.

use std::path::Path;

use serde::Serialize;

use crate::onboarding::{self, OnboardingFacts, Step};
use crate::store::{Actor, JobState, Store, Team};
use crate::worker::{self, WorkerStatus};

use super::{SYNC_JOB, SyncError, SyncParams};

/// What `start` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartOutcome {
    pub job_id: i64,
    /// False when an open sync job existed and was attached to.
    pub queued: bool,
    /// The worker that runs it (pid), started now or already running.
    pub worker_pid: Option<u32>,
    pub worker_started: bool,
}

/// The team's open (queued, running or paused) sync job.
pub fn open_job(store: &Store, team: &Team) -> Result<Option<crate::store::Job>, SyncError> {
    Ok(store
        .latest_job(team, SYNC_JOB)?
        .filter(|j| j.state.is_open()))
}

/// The gates of step 5 (steps 2–4 done); an empty list when the sync may run.
pub fn unmet_gates(store: &Store, team: &Team) -> Result<Vec<String>, SyncError> {
    let facts = OnboardingFacts::load(store, team)?;
    Ok(onboarding::gates(Step::DeepSync, &facts))
}

/// Queues the sync (or attaches to the open one; a paused one is resumed) and starts a
/// detached worker unless one is alive. `log` is the worker's log file.
pub fn start(
    store: &Store,
    team: &Team,
    params: &SyncParams,
    actor: &Actor,
    spawn_worker: Option<&Path>,
) -> Result<StartOutcome, SyncError> {
    let gates = unmet_gates(store, team)?;
    if !gates.is_empty() {
        return Err(SyncError::NotReady {
            team: team.name.clone(),
            reason: gates.join("; "),
        });
    }
    let (job_id, queued) = match open_job(store, team)? {
        Some(job) => {
            if job.state == JobState::Paused {
                store.set_job_state(job.id, JobState::Queued)?;
            }
            (job.id, false)
        }
        None => {
            let value = serde_json::to_value(params).unwrap_or_default();
            (store.enqueue_job(team, SYNC_JOB, &value)?, true)
        }
    };
    if queued {
        store.audit(actor, Some(&team.name), "sync.start", None)?;
    }
    let (worker_pid, worker_started) = match spawn_worker {
        Some(log) => match worker::ensure_worker(store.path(), log) {
            Ok(WorkerStatus::Running { pid }) => (Some(pid), false),
            Ok(WorkerStatus::Started { pid }) => (Some(pid), true),
            Err(e) => {
                return Err(SyncError::Runtime(format!(
                    "the sync is queued (job {job_id}) but no worker could be started: {e}"
                )));
            }
        },
        None => (None, false),
    };
    Ok(StartOutcome {
        job_id,
        queued,
        worker_pid,
        worker_started,
    })
}

fn require_open(store: &Store, team: &Team) -> Result<crate::store::Job, SyncError> {
    open_job(store, team)?.ok_or_else(|| SyncError::NotReady {
        team: team.name.clone(),
        reason: "no sync is queued, running or paused".into(),
    })
}

/// Pauses the open sync (the worker stops after its batch and releases the lease).
pub fn pause(store: &Store, team: &Team, actor: &Actor) -> Result<i64, SyncError> {
    let job = require_open(store, team)?;
    store.set_job_state(job.id, JobState::Paused)?;
    super::progress::ensure_state(store.conn(), team.id)?;
    super::progress::event(
        store.conn(),
        team.id,
        "paused",
        &format!("paused by {}", actor.user),
    )?;
    store.audit(actor, Some(&team.name), "sync.pause", None)?;
    Ok(job.id)
}

/// Resumes a paused sync (queued again; call [`start`] or run a worker to pick it up).
pub fn resume(
    store: &Store,
    team: &Team,
    actor: &Actor,
    spawn_worker: Option<&Path>,
) -> Result<StartOutcome, SyncError> {
    let job = require_open(store, team)?;
    if job.state == JobState::Paused {
        store.set_job_state(job.id, JobState::Queued)?;
        super::progress::event(
            store.conn(),
            team.id,
            "resumed",
            &format!("resumed by {}", actor.user),
        )?;
        store.audit(actor, Some(&team.name), "sync.resume", None)?;
    }
    start(store, team, &SyncParams::default(), actor, spawn_worker)
}

/// Cancels the open sync (the worker stops after its batch; records stay).
pub fn cancel(store: &Store, team: &Team, actor: &Actor) -> Result<i64, SyncError> {
    let job = require_open(store, team)?;
    let running = job.state == JobState::Running;
    store.set_job_state(job.id, JobState::Cancelled)?;
    if !running {
        store.finish_job(job.id, JobState::Cancelled, None)?;
    }
    super::progress::ensure_state(store.conn(), team.id)?;
    super::progress::event(
        store.conn(),
        team.id,
        "cancelled",
        &format!("cancelled by {}", actor.user),
    )?;
    store.audit(actor, Some(&team.name), "sync.cancel", None)?;
    Ok(job.id)
}

/// For a console or CLI starting up: when any team's sync job is queued or running and no
/// worker holds the lock (it was killed), starts a detached worker that resumes it.
/// Returns the worker started, if one was.
pub fn ensure_running(store: &Store, log: &Path) -> Result<Option<u32>, SyncError> {
    let open: i64 = store.conn().query_row(
        "SELECT COUNT(*) FROM jobs WHERE kind = ?1 AND state IN ('queued', 'running')",
        [SYNC_JOB],
        |r| r.get(0),
    )?;
    if open == 0 {
        return Ok(None);
    }
    match worker::ensure_worker(store.path(), log) {
        Ok(WorkerStatus::Started { pid }) => Ok(Some(pid)),
        Ok(WorkerStatus::Running { .. }) => Ok(None),
        Err(e) => Err(SyncError::Runtime(format!("cannot start a worker: {e}"))),
    }
}
