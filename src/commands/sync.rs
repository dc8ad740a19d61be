//! `sync plan|start|pause|resume|cancel|status|settings TEAM`: step 5 from the command
//! line over `crate::sync` — the plan before starting, the job on a detached worker
//! (`--wait` follows it until the initial pass completes or fails), the controls, and
//! the status as people read it or as JSON (`sync::status::SyncStatus`).

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use color_eyre::Result;
use color_eyre::eyre::eyre;

use super::{UsageError, open_store};
use crate::store::{Actor, Store, Team};
use crate::sync::plan::{Plan, human_secs};
use crate::sync::status::{self, SyncState, SyncStatus};
use crate::sync::{self, SyncParams, settings};

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Seed from the export and plan: calls per object, quota share, day-by-day ETA.
    Plan(TeamJson),
    /// Queue the sync (or attach to the open one) and start a detached worker.
    Start(StartArgs),
    /// Pause the sync (the worker stops after its batch).
    Pause(TeamJson),
    /// Resume a paused sync on a worker.
    Resume(TeamJson),
    /// Cancel the sync (records stay).
    Cancel(TeamJson),
    /// Where the sync stands (`--json`: the fields scripts rely on).
    Status(StatusArgs),
    /// Show or change the sync settings (quota share, concurrency, scope, live interval).
    Settings(SettingsArgs),
}

#[derive(Debug, Args)]
pub struct TeamJson {
    /// Team name.
    pub name: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Team name.
    pub name: String,
    /// Return when the initial pass is complete (exit 0) or has failed (exit 1).
    #[arg(long)]
    pub wait: bool,
    #[arg(long)]
    pub json: bool,
    /// Live cycles to run after the initial pass before the job ends (default: forever).
    #[arg(long, value_name = "N")]
    pub live_cycles: Option<u32>,
    /// Seconds between live cycles (default: the team's setting, 300).
    #[arg(long, value_name = "SECS")]
    pub live_interval: Option<u64>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Team name.
    pub name: String,
    #[arg(long)]
    pub json: bool,
    /// Keep printing until the initial pass completes or fails.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct SettingsArgs {
    /// Team name.
    pub name: String,
    /// Share of the daily quota the sync may use, e.g. 0.8.
    #[arg(long, value_name = "SHARE")]
    pub quota_share: Option<f64>,
    /// Profile GETs in flight at once (1–64).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Minutes searched before the export's cut-off.
    #[arg(long, value_name = "MIN")]
    pub overlap_minutes: Option<i64>,
    /// Seconds between live cycles.
    #[arg(long, value_name = "SECS")]
    pub live_interval: Option<u64>,
    /// Reconcile ids every N live cycles.
    #[arg(long, value_name = "N")]
    pub reconcile_every: Option<u32>,
    /// Person folders kept, comma-separated ("all" for every folder).
    #[arg(long, value_name = "LIST")]
    pub person_folders: Option<String>,
    /// Job folders kept, comma-separated ("all" for every folder).
    #[arg(long, value_name = "LIST")]
    pub job_folders: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(db: Option<&Path>, cmd: &SyncCommand) -> Result<ExitCode> {
    let store = open_store(db)?;
    match cmd {
        SyncCommand::Plan(a) => plan(&store, a),
        SyncCommand::Start(a) => start(&store, a),
        SyncCommand::Pause(a) => {
            let team = store.team(&a.name)?;
            let id = sync::pause(&store, &team, &Actor::from_env())?;
            done(a.json, &format!("sync job {id} paused"), id)
        }
        SyncCommand::Resume(a) => {
            let team = store.team(&a.name)?;
            let out = sync::resume(
                &store,
                &team,
                &Actor::from_env(),
                Some(&crate::paths::log_file_path()),
            )?;
            done(
                a.json,
                &format!("sync job {} resumed", out.job_id),
                out.job_id,
            )
        }
        SyncCommand::Cancel(a) => {
            let team = store.team(&a.name)?;
            let id = sync::cancel(&store, &team, &Actor::from_env())?;
            done(a.json, &format!("sync job {id} cancelled"), id)
        }
        SyncCommand::Status(a) => status_cmd(&store, a),
        SyncCommand::Settings(a) => settings_cmd(&store, a),
    }
}

fn done(json: bool, line: &str, job: i64) -> Result<ExitCode> {
    if json {
        println!("{}", serde_json::json!({ "job_id": job, "message": line }));
    } else {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

fn plan(store: &Store, a: &TeamJson) -> Result<ExitCode> {
    let team = store.team(&a.name)?;
    let gates = sync::control::unmet_gates(store, &team)?;
    if !gates.is_empty() {
        return Err(eyre!(
            "team {:?} cannot sync yet: {}",
            team.name,
            gates.join("; ")
        ));
    }
    if let Some(job) = sync::control::open_job(store, &team)? {
        return Err(eyre!(
            "team {:?} has a sync in progress (job {}); `sync status {}` shows its plan",
            team.name,
            job.id,
            team.name
        ));
    }
    // A fresh plan: the seed is redone from the export, the work list rebuilt.
    store.conn().execute(
        "UPDATE sync_state SET phase = 'none' WHERE team_id = ?1 AND phase IN ('seeded', 'planned')",
        [team.id],
    )?;
    let settings = settings::load(store, &team)?;
    let client = sync::engine::client_for(store, &team)?;
    let budget = sync::budget::Budget::new(settings.quota_share);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (p, _) = rt.block_on(sync::engine::seed_and_plan(
        store,
        &team,
        &client,
        &budget,
        &settings,
        &mut || Ok(()),
    ))?;
    if a.json {
        println!("{}", serde_json::to_string(&p)?);
    } else {
        print_plan(&team, &p);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_plan(team: &Team, p: &Plan) {
    println!("deep sync plan for {}", sanitize(&team.name));
    println!(
        "  export cut-off {}; searching changes from {} ({} min overlap)",
        p.cutoff, p.search_from, p.overlap_minutes
    );
    println!("  scope: {}", sanitize(&p.scope));
    println!(
        "  {:<10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "object", "seeded", "changed", "missing", "deleted", "GETs", "search"
    );
    for (o, x) in &p.objects {
        println!(
            "  {:<10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
            o, x.seeded, x.changed, x.missing, x.deleted, x.gets, x.search_calls
        );
    }
    println!(
        "  calls: {} GETs + {} planning calls = {} (retries come on top and are counted)",
        p.gets, p.plan_calls, p.calls_total
    );
    match (p.quota_limit, p.calls_per_day) {
        (Some(limit), Some(per_day)) => println!(
            "  quota: {limit} a day, {} left now; the sync may use {:.0}% = {per_day} a day",
            p.quota_remaining.map_or("?".into(), |r| r.to_string()),
            p.quota_share * 100.0
        ),
        _ => println!("  quota: not reported by the tenant"),
    }
    for d in &p.days {
        println!(
            "  day {} ({}{}): {} calls",
            d.day,
            d.date,
            if d.day == 1 {
                ", until the 00:00 UTC reset"
            } else {
                ""
            },
            d.calls
        );
    }
    println!("  ETA: day {} — {}", p.eta_day, p.eta);
    if !p.not_synced.is_empty() {
        println!(
            "  not synced (mapped, but not in the export): {}",
            p.not_synced.join(", ")
        );
    }
}

fn start(store: &Store, a: &StartArgs) -> Result<ExitCode> {
    let team = store.team(&a.name)?;
    let params = SyncParams {
        max_live_cycles: a.live_cycles,
        live_interval_secs: a.live_interval,
    };
    let out = sync::start(
        store,
        &team,
        &params,
        &Actor::from_env(),
        Some(&crate::paths::log_file_path()),
    )?;
    let what = if out.queued { "queued" } else { "attached to" };
    let worker = match (out.worker_pid, out.worker_started) {
        (Some(pid), true) => format!("started worker {pid}"),
        (Some(pid), false) => format!("worker {pid} runs it"),
        _ => "no worker".into(),
    };
    if !a.wait {
        if a.json {
            println!("{}", serde_json::to_string(&out)?);
        } else {
            println!("sync job {} {what}; {worker}", out.job_id);
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !a.json {
        eprintln!("sync job {} {what}; {worker}", out.job_id);
    }
    follow(store, &team, a.json)
}

/// Prints progress until the initial pass completes (0) or fails (1).
fn follow(store: &Store, team: &Team, json: bool) -> Result<ExitCode> {
    let mut last = String::new();
    let mut last_restart = Instant::now();
    loop {
        let st = status::load(store.conn(), team.id)?;
        let line = one_line(&st);
        if !json && line != last {
            eprintln!("{line}");
            last = line;
        }
        if st.initial_done_at.is_some() {
            if json {
                println!("{}", serde_json::to_string(&st)?);
            }
            return Ok(ExitCode::SUCCESS);
        }
        match st.state {
            SyncState::Failed
            | SyncState::Cancelled
            | SyncState::NotStarted
            | SyncState::Planned => {
                if json {
                    println!("{}", serde_json::to_string(&st)?);
                }
                if let Some(e) = st.job.as_ref().and_then(|j| j.error.clone()).or(st.error) {
                    eprintln!("sync failed: {}", sanitize(&e));
                }
                return Ok(ExitCode::from(1));
            }
            SyncState::Paused => {
                if json {
                    println!("{}", serde_json::to_string(&st)?);
                }
                eprintln!("sync paused; `sync resume {}` continues it", team.name);
                return Ok(ExitCode::from(1));
            }
            _ => {}
        }
        // A worker that died is replaced (it resumes from the checkpoint).
        if st.worker.gone && last_restart.elapsed() >= Duration::from_secs(2) {
            last_restart = Instant::now();
            let _ = crate::worker::ensure_worker(store.path(), &crate::paths::log_file_path());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn one_line(st: &SyncStatus) -> String {
    let total: u64 = st.objects.values().map(|o| o.total).sum();
    let done: u64 = st.objects.values().map(|o| o.done + o.failed).sum();
    let wait = st
        .wait
        .as_ref()
        .map(|w| format!(" — {}", sanitize(&w.reason)))
        .unwrap_or_default();
    format!(
        "{}: {done}/{total} fetched or marked, {} calls, {} retries, {} quarantined{wait}",
        st.state.as_str(),
        st.calls_used,
        st.retries,
        st.quarantined
    )
}

fn status_cmd(store: &Store, a: &StatusArgs) -> Result<ExitCode> {
    let team = store.team(&a.name)?;
    if a.wait {
        return follow(store, &team, a.json);
    }
    let st = status::load(store.conn(), team.id)?;
    if a.json {
        println!("{}", serde_json::to_string(&st)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "deep sync of {}: {}",
        sanitize(&team.name),
        st.state.as_str()
    );
    for (o, p) in &st.objects {
        println!(
            "  {:<10} {:>7}/{:<7} done  {:>5} failed  {:>8} seeded",
            o, p.done, p.total, p.failed, p.seeded
        );
    }
    println!(
        "  records: {} people, {} jobs, {} workflows; deleted: {} / {} / {}",
        st.records.people,
        st.records.jobs,
        st.records.workflows,
        st.deleted.people,
        st.deleted.jobs,
        st.deleted.workflows
    );
    println!(
        "  calls used: {} (planned {}), retries {}, waits {}, quarantined {}",
        st.calls_used,
        st.planned_calls.map_or("-".into(), |c| c.to_string()),
        st.retries,
        st.waits,
        st.quarantined
    );
    if let (Some(l), Some(r)) = (st.quota.limit, st.quota.remaining) {
        println!(
            "  quota: {r}/{l} left, resets {}; the sync may use {:.0}%",
            st.quota.reset.as_deref().unwrap_or("?"),
            st.quota.share * 100.0
        );
    }
    if let Some(w) = &st.wait {
        println!(
            "  {} (ends in {})",
            sanitize(&w.reason),
            human_secs(w.secs_left.max(0) as u64)
        );
    }
    if let Some(eta) = &st.eta {
        println!("  ETA: {eta}");
    }
    let worker = match (st.worker.pid, st.worker.alive, st.worker.gone) {
        (_, _, true) => "gone (start it again with `sync start`)".to_string(),
        (Some(pid), true, _) => format!("pid {pid}"),
        _ => "none".into(),
    };
    println!(
        "  worker: {worker}; last heartbeat {}",
        st.worker.heartbeat_at.as_deref().unwrap_or("-")
    );
    if st.live.cycles > 0 || st.state == SyncState::Live {
        println!(
            "  live: {} cycles, last {}{} ({} changes), next {}",
            st.live.cycles,
            st.live.last_cycle_at.as_deref().unwrap_or("-"),
            match (&st.live.last_cycle_mode, st.live.last_cycle_events) {
                (Some(m), Some(e)) if m != "poll" => format!(" by {m}, {e} Data Stream events"),
                (Some(m), _) => format!(" by {m}"),
                _ => String::new(),
            },
            st.live.last_cycle_changes.unwrap_or(0),
            st.live.next_cycle_at.as_deref().unwrap_or("-")
        );
        if let Some(note) = &st.live.last_cycle_note {
            println!("  polled because: {}", sanitize(note));
        }
    }
    if let Some(e) = st
        .job
        .as_ref()
        .and_then(|j| j.error.clone())
        .or(st.error.clone())
    {
        println!("  error: {}", sanitize(&e));
    }
    Ok(ExitCode::SUCCESS)
}

fn folders(arg: &Option<String>, current: &Option<Vec<String>>) -> Option<Vec<String>> {
    match arg.as_deref().map(str::trim) {
        None => current.clone(),
        Some("all") | Some("") => None,
        Some(list) => Some(
            list.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        ),
    }
}

fn settings_cmd(store: &Store, a: &SettingsArgs) -> Result<ExitCode> {
    let team = store.team(&a.name)?;
    let mut s = settings::load(store, &team)?;
    let changing = a.quota_share.is_some()
        || a.concurrency.is_some()
        || a.overlap_minutes.is_some()
        || a.live_interval.is_some()
        || a.reconcile_every.is_some()
        || a.person_folders.is_some()
        || a.job_folders.is_some();
    if changing {
        if let Some(v) = a.quota_share {
            s.quota_share = v;
        }
        if let Some(v) = a.concurrency {
            s.concurrency = v;
        }
        if let Some(v) = a.overlap_minutes {
            s.overlap_minutes = v;
        }
        if let Some(v) = a.live_interval {
            s.live_interval_secs = v;
        }
        if let Some(v) = a.reconcile_every {
            s.reconcile_every = v;
        }
        s.scope.person_folders = folders(&a.person_folders, &s.scope.person_folders);
        s.scope.job_folders = folders(&a.job_folders, &s.scope.job_folders);
        if let Err(reason) = s.validate() {
            return Err(UsageError(format!("sync settings of {:?}: {reason}", team.name)).into());
        }
        settings::save(store, &team, &s, &Actor::from_env())?;
    }
    if a.json {
        println!("{}", serde_json::to_string(&s)?);
    } else {
        println!(
            "quota share {:.0}%, concurrency {}, overlap {} min, live every {}s, reconcile every {} cycles",
            s.quota_share * 100.0,
            s.concurrency,
            s.overlap_minutes,
            s.live_interval_secs,
            s.reconcile_every
        );
        println!("scope: {}", sanitize(&s.scope.describe()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Customer text for a terminal: control characters escaped, never printed raw.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}
