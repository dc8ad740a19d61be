//! The driver of the step 5 page: reads the sync's status and the windows of its event
//! log and quarantine (store only, on the console thread — a handful of indexed
//! queries), runs the controls (start, pause, resume, cancel: store writes plus a
//! detached worker), makes the plan off the console thread (it searches the tenant), and
//! writes the quarantine CSV. A sync whose worker is gone gets a new worker here, so
//! opening the page is enough to resume it.

use std::path::Path;

use super::Out;
use crate::store::{Actor, Store, Team};
use crate::sync;
use crate::tui::pages::deep_sync::{DeepSyncReply, DeepSyncWork, Snapshot, Window};
use crate::{paths, worker};

/// Runs one piece of step 5 work; a reply ready now is returned, later ones go to `out`.
pub fn run(
    store: &Store,
    actor: &Actor,
    work: DeepSyncWork,
    out: &Out<DeepSyncReply>,
) -> Option<DeepSyncReply> {
    match work {
        DeepSyncWork::Load {
            team_id,
            log,
            quarantine,
            probe,
        } => {
            if let Some(previous) = probe {
                match sync::browse::probe(store.conn(), store.path(), team_id) {
                    Ok(now) if now == previous => {
                        return Some(match sync::browse::heartbeat(store.conn(), team_id) {
                            Ok(heartbeat_at) => DeepSyncReply::Same {
                                now: chrono::Utc::now(),
                                heartbeat_at,
                            },
                            Err(e) => DeepSyncReply::Loaded(Err(e.to_string())),
                        });
                    }
                    Ok(_) => {}
                    Err(e) => return Some(DeepSyncReply::Loaded(Err(e.to_string()))),
                }
            }
            Some(DeepSyncReply::Loaded(
                load(store, team_id, log, quarantine).map(Box::new),
            ))
        }
        DeepSyncWork::Plan { team_id } => {
            let db = store.path().to_path_buf();
            let actor = actor.clone();
            let out = out.clone();
            // Its own thread: planning runs a small runtime of its own and searches the tenant.
            std::thread::spawn(move || out.send(DeepSyncReply::Done(plan(&db, team_id, &actor))));
            Some(DeepSyncReply::Planning)
        }
        DeepSyncWork::Start { team_id } => {
            Some(DeepSyncReply::Done(with_team(store, team_id, |t| {
                let o = sync::start(
                    store,
                    t,
                    &sync::SyncParams::default(),
                    actor,
                    Some(&paths::log_file_path()),
                )
                .map_err(|e| e.to_string())?;
                Ok(started("started", &o))
            })))
        }
        DeepSyncWork::Resume { team_id } => {
            Some(DeepSyncReply::Done(with_team(store, team_id, |t| {
                let o = sync::resume(store, t, actor, Some(&paths::log_file_path()))
                    .map_err(|e| e.to_string())?;
                Ok(started("resumed", &o))
            })))
        }
        DeepSyncWork::Pause { team_id } => {
            Some(DeepSyncReply::Done(with_team(store, team_id, |t| {
                sync::pause(store, t, actor).map_err(|e| e.to_string())?;
                Ok("paused: the worker stops after its current batch".into())
            })))
        }
        DeepSyncWork::Cancel { team_id } => {
            Some(DeepSyncReply::Done(with_team(store, team_id, |t| {
                sync::cancel(store, t, actor).map_err(|e| e.to_string())?;
                Ok("cancelled: records synced so far are kept".into())
            })))
        }
        DeepSyncWork::Revive { team_id } => {
            // The next read shows the new worker (or still "gone", and why in the log).
            match worker::ensure_worker(store.path(), &paths::log_file_path()) {
                Ok(_) => None,
                Err(err) => {
                    tracing::warn!(team = team_id, "cannot start a worker for the sync: {err}");
                    Some(DeepSyncReply::Done(Err(format!(
                        "the sync's worker is gone and a new one could not be started: {err}"
                    ))))
                }
            }
        }
        DeepSyncWork::ExportQuarantine { team_id } => Some(DeepSyncReply::Done(
            sync::browse::export_quarantine(store.conn(), store.path(), team_id)
                .map(|(path, n)| format!("{n} quarantined records written to {}", path.display()))
                .map_err(|e| e.to_string()),
        )),
    }
}

fn with_team(
    store: &Store,
    team_id: i64,
    f: impl FnOnce(&Team) -> Result<String, String>,
) -> Result<String, String> {
    let team = store.team_by_id(team_id).map_err(|e| e.to_string())?;
    f(&team)
}

fn started(what: &str, o: &sync::StartOutcome) -> String {
    let worker = match (o.worker_pid, o.worker_started) {
        (Some(pid), true) => format!("worker {pid} started"),
        (Some(pid), false) => format!("worker {pid} already running"),
        (None, _) => "no worker yet".into(),
    };
    format!("sync {what} (job {}); {worker}", o.job_id)
}

/// Reads what the page shows. A sync whose worker died is handed to a new worker.
pub fn load(
    store: &Store,
    team_id: i64,
    log: Window,
    quarantine: Option<Window>,
) -> Result<Snapshot, String> {
    let conn = store.conn();
    let e = |e: sync::SyncError| e.to_string();
    // The fingerprint first: a change made between the two reads shows on the next poll.
    let probe = sync::browse::probe(conn, store.path(), team_id).map_err(e)?;
    let status = sync::status::load(conn, team_id).map_err(e)?;
    let events = sync::browse::events_window(conn, team_id, log.offset, log.limit).map_err(e)?;
    let events_total = sync::browse::event_count(conn, team_id).map_err(e)?;
    let (quarantine, quarantine_offset) = match quarantine {
        Some(w) => (
            sync::status::quarantine_page(conn, team_id, w.offset, w.limit).map_err(e)?,
            w.offset,
        ),
        None => (Vec::new(), 0),
    };
    Ok(Snapshot {
        status,
        events,
        log_offset: log.offset,
        events_total,
        quarantine,
        quarantine_offset,
        now: chrono::Utc::now(),
        probe,
    })
}

/// Makes the plan on its own connection (blocking: it searches the tenant).
fn plan(db: &Path, team_id: i64, actor: &Actor) -> Result<String, String> {
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let team = store.team_by_id(team_id).map_err(|e| e.to_string())?;
    let _ = actor;
    let gates = sync::control::unmet_gates(&store, &team).map_err(|e| e.to_string())?;
    if !gates.is_empty() {
        return Err(format!("cannot plan yet: {}", gates.join("; ")));
    }
    if let Some(job) = sync::control::open_job(&store, &team).map_err(|e| e.to_string())? {
        return Err(format!(
            "a sync is in progress (job {}): cancel it before planning again",
            job.id
        ));
    }
    // A fresh plan: the seed is redone from the export, the work list rebuilt (as `sync plan`).
    store
        .conn()
        .execute(
            "UPDATE sync_state SET phase = 'none' WHERE team_id = ?1 AND phase IN ('seeded', 'planned')",
            [team.id],
        )
        .map_err(|e| e.to_string())?;
    let settings = sync::settings::load(&store, &team).map_err(|e| e.to_string())?;
    let client = sync::engine::client_for(&store, &team).map_err(|e| e.to_string())?;
    let budget = sync::budget::Budget::new(settings.quota_share);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let (plan, _) = rt
        .block_on(sync::engine::seed_and_plan(
            &store,
            &team,
            &client,
            &budget,
            &settings,
            &mut || Ok(()),
        ))
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "planned: {} calls, ETA {}",
        crate::tui::sync_summary::thousands(plan.calls_total),
        plan.eta
    ))
}
