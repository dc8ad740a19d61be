//! Step 5, the deep sync, end to end over real TCP against sandbox tenants: the team is
//! set up with the CLI (credentials, preflight, export import, mapping suggest and
//! approve), `sync plan`/`sync start --wait` run it on a detached worker, and the stored
//! records are compared with the tenant's ground truth. Also: SIGKILL at 20 random points
//! (row-for-row equality with an uninterrupted run), injected faults, a quota wait across
//! 00:00 UTC on the sandbox clock, a live cycle after changes made in the sandbox, pause
//! and resume, SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use icims_onboard::icims::schema::StatusOption;
use icims_onboard::mapping::storage;
use icims_onboard::sandbox::profiles::{Urls, fields_of};
use icims_onboard::sandbox::{
    FaultKind, Object, Sandbox, SandboxConfig, SandboxInfo, Tenant as TenantData, mutate,
};
use icims_onboard::store::Store;
use icims_onboard::sync::fields::{FieldPlan, Statuses};
use icims_onboard::sync::status::{self, SyncState, SyncStatus};
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};

const TEAM: &str = "Acme";

/// A tenant served on its own runtime (so blocking CLI calls never starve it).
struct Tenant {
    rt: tokio::runtime::Runtime,
    sb: Option<Sandbox>,
}

impl Tenant {
    fn start(cfg: SandboxConfig) -> Tenant {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sb = rt.block_on(Sandbox::start(cfg)).unwrap();
        Tenant { rt, sb: Some(sb) }
    }

    fn sb(&self) -> &Sandbox {
        self.sb.as_ref().unwrap()
    }

    fn info(&self) -> SandboxInfo {
        self.sb().info()
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        if let Some(sb) = self.sb.take() {
            self.rt.block_on(sb.shutdown());
        }
    }
}

fn cfg(seed: u64, people: usize) -> SandboxConfig {
    SandboxConfig {
        seed,
        people,
        ..Default::default()
    }
}

/// Team with credentials, preflight passed, export imported, mapping approved.
fn setup(home: &common::Sandbox, info: &SandboxInfo) {
    let cid = info.customer_id.to_string();
    home.ok(
        &[
            "team",
            "add",
            TEAM,
            "--customer-id",
            &cid,
            "--api-base",
            &info.api_base,
            "--token-url",
            &info.token_url,
            "--datastream-base",
            &info.datastream.base,
        ],
        "",
    );
    home.ok(
        &[
            "creds",
            "set",
            TEAM,
            "--kind",
            "rest",
            "--client-id",
            &info.oauth.client_id,
            "--secret-stdin",
        ],
        &format!("{}\n", info.oauth.client_secret),
    );
    home.ok(
        &[
            "creds",
            "set",
            TEAM,
            "--kind",
            "datastream",
            "--client-id",
            &info.datastream.client_id,
            "--secret-stdin",
        ],
        &format!("{}\n", info.datastream.client_secret),
    );
    home.ok(
        &[
            "creds",
            "set",
            TEAM,
            "--kind",
            "basic",
            "--username",
            &info.basic.username,
            "--secret-stdin",
        ],
        &format!("{}\n", info.basic.password),
    );
    home.ok(&["check", TEAM, "--step", "2"], "");
    let dir = Path::new(&info.export.dir);
    let files: Vec<String> = [
        &info.export.people,
        &info.export.jobs,
        &info.export.workflows,
    ]
    .iter()
    .map(|f| dir.join(&f.file).display().to_string())
    .collect();
    let mut args = vec!["export", "import", TEAM];
    args.extend(files.iter().map(String::as_str));
    home.ok(&args, "");
    home.ok(&["mapping", "fields", "suggest", TEAM, "--api"], "");
    home.ok(&["mapping", "fields", "approve", TEAM], "");
}

/// Points the team at another sandbox (same seed: same tenant and credentials).
fn repoint(home: &common::Sandbox, info: &SandboxInfo) {
    let store = Store::open(&home.db()).unwrap();
    let mut team = store.team(TEAM).unwrap();
    team.api_base_override = Some(info.api_base.clone());
    team.token_url_override = Some(info.token_url.clone());
    team.datastream_base_override = Some(info.datastream.base.clone());
    store
        .update_team(&team, &icims_onboard::store::Actor::named("test"))
        .unwrap();
    // New endpoints: the preflight must pass again (retried: the tenant may inject faults).
    let passed = (0..5).any(|_| {
        home.run(&["check", TEAM, "--step", "2"], "")
            .status
            .success()
    });
    assert!(
        passed,
        "the preflight never passed against {}",
        info.api_base
    );
}

fn status_of(home: &common::Sandbox) -> SyncStatus {
    let store = Store::open(&home.db()).unwrap();
    let team = store.team(TEAM).unwrap();
    status::load(store.conn(), team.id).unwrap()
}

fn json_status(home: &common::Sandbox) -> Value {
    serde_json::from_str(&home.ok(&["sync", "status", TEAM, "--json"], "")).unwrap()
}

/// Every stored row: (object, id) → (deleted, status_id, status_name, fields, raw, source, updated_at).
type Rows = BTreeMap<
    (String, String),
    (
        i64,
        Option<String>,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
    ),
>;

fn rows(db: &Path) -> Rows {
    let store = Store::open(db).unwrap();
    let mut stmt = store
        .conn()
        .prepare("SELECT object, icims_id, deleted, status_id, status_name, fields, raw, source, updated_at FROM sync_records")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            (r.get(0)?, r.get(1)?),
            (
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ),
        ))
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn object_name(o: Object) -> &'static str {
    match o {
        Object::Person => "people",
        Object::Job => "jobs",
        Object::Workflow => "workflows",
    }
}

/// The stored records equal the tenant's current records: every live record present with
/// the fields the API shows (normalised like the sync does), deleted ones marked, nothing
/// else. Returns the number of live records checked.
fn assert_matches_tenant(home: &common::Sandbox, sb: &Sandbox, except_quarantined: bool) -> usize {
    let store = Store::open(&home.db()).unwrap();
    let team = store.team(TEAM).unwrap();
    let plan = FieldPlan::from_mapping(&storage::load(&store, &team).unwrap());
    let tenant = sb.tenant();
    let statuses = Statuses::from_options(
        &tenant
            .statuses
            .iter()
            .map(|s| StatusOption {
                id: s.id.clone(),
                value: s.name.clone(),
                bin: Some(s.bin.clone()),
                rejection: s.is_rejection,
            })
            .collect::<Vec<_>>(),
    );
    let stored = rows(&home.db());
    let quarantined: BTreeSet<(String, String)> =
        status::quarantine_page(store.conn(), team.id, 0, 100_000)
            .unwrap()
            .into_iter()
            .map(|q| (q.object, q.icims_id))
            .collect();
    let urls = Urls {
        customer_base: "http://x/customers/1",
    };
    let mut checked = 0;
    for object in Object::ALL {
        let name = object_name(object);
        let of = plan.of(name).unwrap();
        let ids: Vec<u64> = match object {
            Object::Person => tenant.people.iter().map(|p| p.id).collect(),
            Object::Job => tenant.jobs.iter().map(|j| j.id).collect(),
            Object::Workflow => tenant.workflows.iter().map(|w| w.id).collect(),
        };
        let live: BTreeSet<String> = ids.iter().map(|i| i.to_string()).collect();
        for id in &ids {
            let key = (name.to_string(), id.to_string());
            if except_quarantined && quarantined.contains(&key) {
                continue;
            }
            let body: Map<String, Value> = fields_of(&tenant, object, *id, &urls)
                .unwrap()
                .into_iter()
                .map(|(k, _, v)| (k, v))
                .collect();
            let want = of.from_api(name, &id.to_string(), &body, &statuses);
            let got = stored
                .get(&key)
                .unwrap_or_else(|| panic!("{name} {id} missing from sync_records"));
            assert_eq!(got.0, 0, "{name} {id} marked deleted but live");
            let fields: Map<String, Value> = serde_json::from_str(&got.3).unwrap();
            assert_eq!(fields, want.fields, "{name} {id} fields (source {})", got.5);
            assert_eq!(
                (&got.1, &got.2),
                (&want.status_id, &want.status_name),
                "{name} {id} status"
            );
            checked += 1;
        }
        // Nothing else is live; what the export had and the tenant lost is marked deleted.
        for ((o, id), row) in stored.range((name.to_string(), String::new())..) {
            if o != name {
                break;
            }
            if row.0 == 0 {
                assert!(
                    live.contains(id),
                    "{name} {id} stored live but gone from the tenant"
                );
            }
        }
        let deleted: BTreeSet<String> = stored
            .iter()
            .filter(|((o, _), r)| o == name && r.0 == 1)
            .map(|((_, id), _)| id.clone())
            .collect();
        for id in &deleted {
            assert!(!live.contains(id), "{name} {id} marked deleted but live");
        }
    }
    checked
}

/// `sync start --wait` (initial pass only); on failure the panic shows the status and
/// the worker log's tail.
fn start_wait(home: &common::Sandbox, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["sync", "start", TEAM, "--wait", "--live-cycles", "0"];
    args.extend_from_slice(extra);
    let out = home.run(&args, "");
    if !out.status.success() {
        let log = std::fs::read_to_string(home.log()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        panic!(
            "sync start --wait failed: {}\nstatus: {:?}\nlog tail:\n{}",
            String::from_utf8_lossy(&out.stderr),
            status_of(home),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    out
}

#[test]
fn several_seeds_end_with_exactly_the_tenants_records_and_the_planned_calls() {
    for (seed, people) in [(3u64, 400usize), (11, 600), (2026, 300)] {
        let t = Tenant::start(cfg(seed, people));
        let home = common::Sandbox::new();
        setup(&home, &t.info());
        let plan: Value =
            serde_json::from_str(&home.ok(&["sync", "plan", TEAM, "--json"], "")).unwrap();
        assert_eq!(json_status(&home)["state"], "planned");
        let truth = &t.sb().tenant().after_cutoff;
        let changed_or_new = (truth.people.changed.len() + truth.people.created.len()) as u64;
        assert!(
            plan["objects"]["people"]["changed"].as_u64().unwrap() >= changed_or_new,
            "seed {seed}: {plan}"
        );
        assert!(
            plan["objects"]["people"]["deleted"].as_u64().unwrap()
                <= truth.people.deleted.len() as u64,
            "seed {seed}"
        );
        let out = start_wait(&home, &[]);
        assert!(
            out.status.success(),
            "seed {seed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let n = assert_matches_tenant(&home, t.sb(), false);
        let st = json_status(&home);
        for key in [
            "state",
            "objects",
            "records",
            "deleted",
            "calls_used",
            "quota",
            "eta",
            "quarantined",
            "waits",
            "retries",
        ] {
            assert!(st.get(key).is_some(), "status JSON lacks {key}: {st}");
        }
        assert_eq!(st["state"], "done", "{st}");
        assert_eq!(st["quarantined"], 0);
        // Step 6's catalogue counts the workflows per status from the synced records:
        // they equal the tenant's now.
        {
            use icims_onboard::mapping::stages::storage as stages;
            let store = Store::open(&home.db()).unwrap();
            let team = store.team(TEAM).unwrap();
            let actor = icims_onboard::store::Actor::named("tester");
            let catalogue = stages::refresh(&store, &team, None, &actor).unwrap();
            let tenant = t.sb().tenant();
            let mut want: BTreeMap<String, u64> = BTreeMap::new();
            for w in &tenant.workflows {
                *want
                    .entry(tenant.statuses[w.status].id.clone())
                    .or_default() += 1;
            }
            let got: BTreeMap<String, u64> = catalogue
                .iter()
                .filter(|r| r.status.workflows > 0)
                .map(|r| (r.status.id.clone(), r.status.workflows))
                .collect();
            assert_eq!(got, want, "seed {seed}: workflows per status");
        }
        assert_eq!(
            st["records"]["people"].as_u64().unwrap() as usize,
            t.sb().tenant().people.len()
        );
        // Deleted since the export: marked (unless the export row itself was quarantined).
        let stored = rows(&home.db());
        for (name, cs) in [
            ("people", &truth.people),
            ("jobs", &truth.jobs),
            ("workflows", &truth.workflows),
        ] {
            for id in &cs.deleted {
                if let Some(r) = stored.get(&(name.to_string(), id.to_string())) {
                    assert_eq!(r.0, 1, "seed {seed}: {name} {id} not marked deleted");
                }
            }
        }
        assert!(st["deleted"]["people"].as_u64().unwrap() > 0);
        // The calls made are the plan's count; retries (none here) come on top.
        let calls = st["calls_used"].as_u64().unwrap() - st["retries"].as_u64().unwrap();
        assert_eq!(
            calls,
            plan["calls_total"].as_u64().unwrap(),
            "seed {seed}: {st}"
        );
        let gets = plan["gets"].as_u64().unwrap();
        let api_rows = rows(&home.db()).values().filter(|r| r.5 == "api").count() as u64;
        assert!(
            gets as f64 <= api_rows as f64 * 1.001,
            "seed {seed}: {gets} GETs for {api_rows} records"
        );
        // Quarantined export rows were recovered from the API.
        let bad = t.info().export.people.bad_rows;
        assert!(bad > 0 && plan["objects"]["people"]["missing"].as_u64().unwrap() >= bad as u64);
        // Step 5 is done from the stored fact.
        let show = home.ok(&["team", "show", TEAM, "--json"], "");
        assert!(show.contains("initial pass complete"), "{show}");
        println!("seed {seed}: {n} live records equal the tenant's; {calls} calls = plan");
    }
}

#[test]
fn sigkill_at_twenty_random_points_ends_row_for_row_like_an_uninterrupted_run() {
    // 20 ms per call and one call at a time: a run of a few seconds to land kills in.
    let t = Tenant::start(SandboxConfig {
        latency_ms: 20,
        ..cfg(5, 700)
    });
    let reference = common::Sandbox::new();
    setup(&reference, &t.info());
    reference.ok(&["sync", "settings", TEAM, "--concurrency", "1"], "");
    let out = start_wait(&reference, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = rows(&reference.db());

    let home = common::Sandbox::new();
    setup(&home, &t.info());
    home.ok(&["sync", "settings", TEAM, "--concurrency", "1"], "");
    // Queue without a worker; then run workers that are killed at random instants.
    let kills = sigkill_workers(
        &home,
        serde_json::json!({"max_live_cycles": 0}),
        20,
        20,
        20..260,
    );
    assert!(kills >= 15, "only {kills} kills landed inside the run");
    println!("{kills} SIGKILLs landed inside the sync");
    let st = status_of(&home);
    assert_eq!(st.state, SyncState::Done, "{st:?}");
    let got = rows(&home.db());
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "{k:?}");
    }
    assert_matches_tenant(&home, t.sb(), false);
}

#[test]
fn injected_faults_are_retried_or_quarantined_and_the_sync_completes() {
    let clean = Tenant::start(cfg(8, 400));
    let home = common::Sandbox::new();
    setup(&home, &clean.info());
    let faulty = Tenant::start(SandboxConfig {
        fault_rate: 0.2,
        fault_kinds: vec![
            FaultKind::ServerError,
            FaultKind::Throttle,
            FaultKind::Reset,
            FaultKind::Truncated,
            FaultKind::Malformed,
        ],
        ..cfg(8, 400)
    });
    repoint(&home, &faulty.info());
    let out = start_wait(&home, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = status_of(&home);
    assert!(st.retries > 0, "{st:?}");
    assert!(!faulty.sb().fault_log().is_empty());
    // Every live record is stored exactly, or quarantined with a reason.
    assert_matches_tenant(&home, faulty.sb(), true);
    let store = Store::open(&home.db()).unwrap();
    let team = store.team(TEAM).unwrap();
    for q in status::quarantine_page(store.conn(), team.id, 0, 1000).unwrap() {
        assert!(!q.reason.is_empty() && q.attempts <= 3, "{q:?}");
    }
    // Retries are bounded per record: at most (attempts 3 × client attempts 5) per GET.
    let gets = st.plan.as_ref().unwrap()["gets"].as_u64().unwrap();
    assert!(
        st.retries <= gets * 15,
        "{} retries for {gets} GETs",
        st.retries
    );
}

#[test]
fn a_small_quota_waits_for_midnight_and_the_plan_names_the_next_day() {
    // Learn the plan's call count on a clean tenant first.
    let clean = Tenant::start(cfg(4, 300));
    let probe = common::Sandbox::new();
    setup(&probe, &clean.info());
    let plan: Value =
        serde_json::from_str(&probe.ok(&["sync", "plan", TEAM, "--json"], "")).unwrap();
    let total = plan["calls_total"].as_u64().unwrap();

    let home = common::Sandbox::new();
    setup(&home, &clean.info());
    let limited = Tenant::start(SandboxConfig {
        daily_quota: total,
        ..cfg(4, 300)
    });
    repoint(&home, &limited.info());
    // A few seconds before 00:00 UTC on the sandbox clock.
    let clock = limited.sb().clock();
    let now = clock.now();
    // The next sandbox day (the preflight after repointing spent calls today).
    let midnight = (now + chrono::Duration::days(2))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    clock.set(midnight - chrono::Duration::seconds(8));
    let plan: Value =
        serde_json::from_str(&home.ok(&["sync", "plan", TEAM, "--json"], "")).unwrap();
    assert_eq!(plan["eta_day"], 2, "{plan}");
    assert!(plan["days"][0]["calls"].as_u64().unwrap() < plan["gets"].as_u64().unwrap());
    // Follow the status while it runs: it must show the wait.
    let mut child = home
        .command()
        .args(["sync", "start", TEAM, "--wait", "--live-cycles", "0"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut saw_wait = None;
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        let st = status_of(&home);
        if st.state == SyncState::WaitingQuota && saw_wait.is_none() {
            saw_wait = st.wait.clone();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wait = saw_wait.expect("the status never showed the quota wait");
    assert!(
        wait.reason.starts_with("waiting for quota until 00:00 UTC"),
        "{wait:?}"
    );
    let st = status_of(&home);
    assert_eq!(st.waits, 1, "{st:?}");
    assert_matches_tenant(&home, limited.sb(), false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("waiting for quota until 00:00 UTC"),
        "{stderr}"
    );
}

#[test]
fn a_live_cycle_reflects_a_change_a_creation_and_a_deletion() {
    let t = Tenant::start(cfg(9, 300));
    let home = common::Sandbox::new();
    setup(&home, &t.info());
    home.ok(&["sync", "settings", TEAM, "--reconcile-every", "1"], "");
    let out = home.run(
        &[
            "sync",
            "start",
            TEAM,
            "--live-cycles",
            "1",
            "--live-interval",
            "3",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_of(&home).initial_done_at.is_none() {
        assert!(Instant::now() < deadline, "initial pass did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Step 6 mapped and approved before the customer adds a status.
    {
        use icims_onboard::mapping::stages::storage as stages;
        use icims_onboard::onboarding::{self, OnboardingFacts, Step, StepState};
        let store = Store::open(&home.db()).unwrap();
        let team = store.team(TEAM).unwrap();
        let actor = icims_onboard::store::Actor::named("tester");
        let pipeline = stages::stages(&store, &team).unwrap();
        let mut rs = stages::refresh(&store, &team, None, &actor).unwrap();
        for r in rs.iter_mut().filter(|r| r.needs_stage()) {
            r.set_stage(&pipeline[0].id, &pipeline).unwrap();
        }
        stages::save(&store, &team, &rs, &actor).unwrap();
        stages::approve(&store, &team, None, &actor).unwrap();
        let facts = OnboardingFacts::load(&store, &team).unwrap();
        let step6 = onboarding::derive_step(Step::StageMapping, &facts);
        assert_eq!(step6.state, StepState::Done, "{}", step6.detail);
    }
    let (changed, victims) = people_to_change_and_delete(&t.sb().tenant(), 1, 1);
    let (changed, victim) = (changed[0], victims[0]);
    let (created, new_status) = t.sb().mutate(|tn, clock| {
        assert!(mutate::change_person(tn, clock, changed));
        assert!(mutate::delete_person(tn, victim));
        let s = mutate::add_status(tn, "Phone Screen (new)", "Screening");
        let wf = tn.workflows[0].id;
        assert!(mutate::move_workflow(tn, clock, wf, &s));
        (mutate::create_person(tn, clock).unwrap(), s)
    });
    while status_of(&home).live.cycles < 1 {
        assert!(Instant::now() < deadline, "no live cycle ran");
        std::thread::sleep(Duration::from_millis(100));
    }
    let st = status_of(&home);
    assert!(st.live.last_cycle_changes.unwrap() >= 4, "{st:?}");
    assert_eq!(st.live.last_cycle_mode.as_deref(), Some("stream"), "{st:?}");
    assert_matches_tenant(&home, t.sb(), false);
    let r = rows(&home.db());
    assert_eq!(r[&("people".into(), victim.to_string())].0, 1);
    assert_eq!(r[&("people".into(), created.to_string())].5, "api");
    assert!(
        r.values()
            .any(|v| v.1.as_deref() == Some(new_status.as_str()))
    );
    // The new status reached step 6 through the live cycle: drift, shown on the home
    // screen (the team's step 6 needs attention, naming the status).
    let store = Store::open(&home.db()).unwrap();
    let team = store.team(TEAM).unwrap();
    let facts = icims_onboard::onboarding::OnboardingFacts::load(&store, &team).unwrap();
    let step6 = icims_onboard::onboarding::derive_step(
        icims_onboard::onboarding::Step::StageMapping,
        &facts,
    );
    assert_eq!(
        step6.state,
        icims_onboard::onboarding::StepState::NeedsAttention,
        "{}",
        step6.detail
    );
    assert!(
        step6.detail.contains("Phone Screen (new)"),
        "{}",
        step6.detail
    );
}

/// One row of `sync_cycles`.
#[derive(Debug, Clone)]
struct CycleRow {
    id: i64,
    started_at: String,
    mode: String,
    events: i64,
    unknown: i64,
    note: Option<String>,
    changed: i64,
    deleted: i64,
}

fn cycles(home: &common::Sandbox) -> Vec<CycleRow> {
    let store = Store::open(&home.db()).unwrap();
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT id, started_at, mode, events, events_unknown, note, changed, deleted
             FROM sync_cycles ORDER BY id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(CycleRow {
            id: r.get(0)?,
            started_at: r.get(1)?,
            mode: r.get(2)?,
            events: r.get(3)?,
            unknown: r.get(4)?,
            note: r.get(5)?,
            changed: r.get(6)?,
            deleted: r.get(7)?,
        })
    })
    .unwrap()
    .map(|r| r.unwrap())
    .collect()
}

fn now_secs() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The first live cycle that started after `after` (RFC 3339, whole seconds), once it
/// has finished.
fn cycle_started_after(home: &common::Sandbox, after: &str) -> CycleRow {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(c) = cycles(home)
            .into_iter()
            .find(|c| c.started_at.as_str() > after)
        {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "no live cycle started after {after}: {:?}\n{:?}",
            cycles(home),
            status_of(home)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn cycle_after(home: &common::Sandbox, id: i64) -> CycleRow {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(c) = cycles(home).into_iter().find(|c| c.id > id) {
            return c;
        }
        assert!(Instant::now() < deadline, "no live cycle after {id}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn log_messages(home: &common::Sandbox) -> Vec<String> {
    let store = Store::open(&home.db()).unwrap();
    let mut stmt = store
        .conn()
        .prepare("SELECT message FROM sync_events ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn count_containing(messages: &[String], needle: &str) -> usize {
    messages.iter().filter(|m| m.contains(needle)).count()
}

/// `change` people `mutate::change_person` can change (they have a phone to edit), and
/// `delete` others, from the end of the list, that can be deleted without orphaning a
/// workflow.
fn people_to_change_and_delete(
    tenant: &TenantData,
    change: usize,
    delete: usize,
) -> (Vec<u64>, Vec<u64>) {
    let changed: Vec<u64> = tenant
        .people
        .iter()
        .filter(|p| !p.phones.is_empty())
        .map(|p| p.id)
        .take(change)
        .collect();
    let deleted: Vec<u64> = tenant
        .people
        .iter()
        .rev()
        .filter(|p| !changed.contains(&p.id) && !tenant.workflows.iter().any(|w| w.person == p.id))
        .map(|p| p.id)
        .take(delete)
        .collect();
    assert_eq!((changed.len(), deleted.len()), (change, delete));
    (changed, deleted)
}

#[test]
fn live_cycles_read_data_stream_events_and_fall_back_to_polling_when_they_cannot() {
    let t = Tenant::start(cfg(11, 300));
    let home = common::Sandbox::new();
    setup(&home, &t.info());
    // No id reconciliation in the cycles watched: only the stream (or the updateddate
    // poll) can find the changes.
    home.ok(&["sync", "settings", TEAM, "--reconcile-every", "1000"], "");
    home.ok(
        &[
            "sync",
            "start",
            TEAM,
            "--live-cycles",
            "40",
            "--live-interval",
            "2",
        ],
        "",
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    while status_of(&home).initial_done_at.is_none() {
        assert!(
            Instant::now() < deadline,
            "initial pass did not finish: {:?}",
            status_of(&home)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let searches_after_initial = t.sb().call_counts().searches;

    // 1. Data Stream: a change, a creation and a deletion made now reach the store in the
    //    first cycle that starts after them, without a single search.
    let (with_phone, victims) = people_to_change_and_delete(&t.sb().tenant(), 3, 1);
    let victim = victims[0];
    let created = t.sb().mutate(|tn, clock| {
        assert!(mutate::change_person(tn, clock, with_phone[0]));
        assert!(mutate::delete_person(tn, victim));
        mutate::create_person(tn, clock).unwrap()
    });
    let c1 = cycle_started_after(&home, &now_secs());
    assert_eq!(c1.mode, "stream", "{c1:?}");
    assert!(c1.events >= 3, "{c1:?}");
    assert_eq!((c1.unknown, c1.note.as_deref()), (0, None), "{c1:?}");
    assert!(c1.changed >= 2 && c1.deleted >= 1, "{c1:?}");
    assert_matches_tenant(&home, t.sb(), false);
    let r = rows(&home.db());
    assert_eq!(r[&("people".into(), victim.to_string())].0, 1);
    assert_eq!(r[&("people".into(), created.to_string())].5, "api");
    assert_eq!(
        t.sb().call_counts().searches,
        searches_after_initial,
        "a stream cycle needs no updateddate search"
    );
    let js = json_status(&home);
    assert_eq!(js["live"]["last_cycle_mode"], "stream", "{js}");

    // 2. The tenant loses its subscription: cycles poll by updateddate, say why once.
    t.sb().mutate(|tn, clock| {
        mutate::set_datastream(tn, false);
        assert!(mutate::change_person(tn, clock, with_phone[1]));
    });
    let c2 = cycle_started_after(&home, &now_secs());
    assert_eq!(c2.mode, "poll", "{c2:?}");
    assert!(
        c2.note
            .as_deref()
            .is_some_and(|n| n.contains("no Data Stream subscription")),
        "{c2:?}"
    );
    assert!(c2.changed >= 1, "{c2:?}");
    assert_matches_tenant(&home, t.sb(), false);
    assert!(t.sb().call_counts().searches > searches_after_initial);
    let c2b = cycle_after(&home, c2.id);
    assert_eq!(c2b.mode, "poll", "{c2b:?}");
    let log = log_messages(&home);
    assert_eq!(
        count_containing(
            &log,
            "Data Stream not used: the tenant has no Data Stream subscription"
        ),
        1,
        "the fallback is logged once, not every cycle: {log:#?}"
    );
    assert!(
        log.iter().any(|m| m.contains("(poll)")),
        "each cycle is recorded with its mode: {log:#?}"
    );

    // 3. The subscription is back, but an event of a shape nobody knows arrives with a
    //    change: that cycle polls (never missing a change) and reports the event.
    t.sb().mutate(|tn, clock| {
        mutate::set_datastream(tn, true);
        mutate::log_raw_event(
            tn,
            Object::Person,
            serde_json::json!({"kind": "mystery", "ref": "abc-1"}),
        );
        assert!(mutate::change_person(tn, clock, with_phone[2]));
    });
    let c3 = cycle_started_after(&home, &now_secs());
    assert_eq!(c3.mode, "poll", "{c3:?}");
    assert_eq!(c3.unknown, 1, "{c3:?}");
    // The stream goes on from its stored position: the change made while it was off,
    // the odd event and the new change; nothing read before is read again.
    assert_eq!(c3.events, 3, "{c3:?}");
    let note = c3.note.clone().unwrap_or_default();
    assert!(
        note.contains("not understood") && note.contains("kind, ref"),
        "{c3:?}"
    );
    assert!(!note.contains("abc-1"), "values are not logged: {note}");
    assert_matches_tenant(&home, t.sb(), false);
    let log = log_messages(&home);
    assert_eq!(
        count_containing(&log, "1 Data Stream event was not understood"),
        1,
        "{log:#?}"
    );

    // 4. The next cycle reads the stream again, and says so.
    let c4 = cycle_after(&home, c3.id);
    assert_eq!(c4.mode, "stream", "{c4:?}");
    assert_eq!((c4.events, c4.changed, c4.deleted), (0, 0, 0), "{c4:?}");
    let log = log_messages(&home);
    assert_eq!(
        count_containing(
            &log,
            "live cycles read Data Stream events (3 subscriptions)"
        ),
        2,
        "in use at first, and again after the fallbacks: {log:#?}"
    );
    home.ok(&["sync", "cancel", TEAM], "");
}

#[test]
fn workers_killed_during_stream_cycles_lose_no_event_and_take_none_twice() {
    // 20 ms per call and one call at a time: cycles long enough to land kills in.
    let t = Tenant::start(SandboxConfig {
        latency_ms: 20,
        ..cfg(13, 300)
    });
    let home = common::Sandbox::new();
    setup(&home, &t.info());
    home.ok(
        &[
            "sync",
            "settings",
            TEAM,
            "--concurrency",
            "1",
            "--reconcile-every",
            "1000",
        ],
        "",
    );
    start_wait(&home, &[]);
    let searches_after_initial = t.sb().call_counts().searches;
    // 30 changes, 5 creations, 5 deletions after the initial pass.
    let (changed, victims) = people_to_change_and_delete(&t.sb().tenant(), 30, 5);
    t.sb().mutate(|tn, clock| {
        for id in &changed {
            assert!(mutate::change_person(tn, clock, *id));
        }
        for id in &victims {
            assert!(mutate::delete_person(tn, *id));
        }
        for _ in 0..5 {
            mutate::create_person(tn, clock).unwrap();
        }
    });
    let kills = sigkill_workers(
        &home,
        serde_json::json!({"max_live_cycles": 3, "live_interval_secs": 1}),
        13,
        8,
        1100..1900,
    );
    assert!(kills >= 4, "only {kills} kills landed inside the cycles");
    println!("{kills} SIGKILLs landed inside the live cycles");
    let st = status_of(&home);
    assert_eq!(st.state, SyncState::Done, "{st:?}");
    assert_eq!(st.live.cycles, 3, "{st:?}");
    // Every change is in the store, found by the stream alone.
    assert_matches_tenant(&home, t.sb(), false);
    assert_eq!(t.sb().call_counts().searches, searches_after_initial);
    let all_cycles = cycles(&home);
    assert!(
        all_cycles.iter().all(|c| c.mode == "stream"),
        "{all_cycles:?}"
    );
    // Each event of every subscription was taken exactly once, across the kills.
    let tenant = t.sb().tenant();
    let served =
        icims_onboard::sandbox::datastream::events(&tenant).len() + tenant.stream_log.len();
    let store = Store::open(&home.db()).unwrap();
    let taken: i64 = store
        .conn()
        .query_row("SELECT SUM(events) FROM sync_stream", [], |r| r.get(0))
        .unwrap();
    assert_eq!(taken as usize, served);
}

#[test]
fn pause_resume_and_sigterm_release_the_lease_and_resume_from_the_checkpoint() {
    let t = Tenant::start(SandboxConfig {
        latency_ms: 20,
        ..cfg(6, 500)
    });
    let home = common::Sandbox::new();
    setup(&home, &t.info());
    home.ok(&["sync", "settings", TEAM, "--concurrency", "2"], "");
    home.ok(&["sync", "start", TEAM, "--live-cycles", "0"], "");
    let deadline = Instant::now() + Duration::from_secs(60);
    while status_of(&home)
        .objects
        .values()
        .map(|o| o.done)
        .sum::<u64>()
        == 0
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    home.ok(&["sync", "pause", TEAM], "");
    while status_of(&home).worker.alive {
        assert!(Instant::now() < deadline, "worker did not stop after pause");
        std::thread::sleep(Duration::from_millis(50));
    }
    let st = status_of(&home);
    assert_eq!(st.state, SyncState::Paused);
    assert!(st.initial_done_at.is_none());
    // SIGTERM: the worker finishes its batch, releases the lease, the job goes back to queued.
    home.ok(&["sync", "resume", TEAM], "");
    while status_of(&home)
        .objects
        .values()
        .map(|o| o.done)
        .sum::<u64>()
        <= st.objects.values().map(|o| o.done).sum::<u64>()
    {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = icims_onboard::worker::live_worker_pid(&home.db())
        .unwrap()
        .unwrap();
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    while icims_onboard::worker::live_worker_pid(&home.db())
        .unwrap()
        .is_some()
    {
        assert!(Instant::now() < deadline, "worker ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let job = {
        let store = Store::open(&home.db()).unwrap();
        let team = store.team(TEAM).unwrap();
        store.latest_job(&team, "sync.deep").unwrap().unwrap()
    };
    assert_eq!(job.state.as_str(), "queued", "{job:?}");
    assert!(job.lease_owner.is_none());
    let st = status_of(&home);
    if st.initial_done_at.is_none() {
        assert!(st.worker.gone || st.state == SyncState::Running, "{st:?}");
    }
    // `sync start --wait` attaches to the queued job on a new worker and finishes it.
    let out = start_wait(&home, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&home.db()).unwrap();
    let team = store.team(TEAM).unwrap();
    assert_eq!(
        store
            .jobs(&team)
            .unwrap()
            .iter()
            .filter(|j| j.kind == "sync.deep")
            .count(),
        1
    );
    assert_matches_tenant(&home, t.sb(), false);
}

#[test]
fn scope_keeps_only_the_chosen_person_folder_in_the_seed_and_every_search() {
    let t = Tenant::start(cfg(12, 300));
    let home = common::Sandbox::new();
    setup(&home, &t.info());
    let tenant = t.sb().tenant();
    let folder = tenant.people[tenant.people.len() / 2].folder.value.clone();
    home.ok(&["sync", "settings", TEAM, "--person-folders", &folder], "");
    let plan: Value =
        serde_json::from_str(&home.ok(&["sync", "plan", TEAM, "--json"], "")).unwrap();
    assert!(plan["scope"].as_str().unwrap().contains(&folder), "{plan}");
    let out = start_wait(&home, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: BTreeSet<String> = tenant
        .people
        .iter()
        .filter(|p| p.folder.value == folder)
        .map(|p| p.id.to_string())
        .collect();
    let stored = rows(&home.db());
    let live: BTreeSet<String> = stored
        .iter()
        .filter(|((o, _), r)| o == "people" && r.0 == 0)
        .map(|((_, id), _)| id.clone())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(
        live, want,
        "live people are exactly the tenant's people in {folder:?}"
    );
    // Jobs are not scoped: all live jobs are there.
    let jobs = stored
        .iter()
        .filter(|((o, _), r)| o == "jobs" && r.0 == 0)
        .count();
    assert_eq!(jobs, tenant.jobs.len());

    // Live: a person created now (in the first person's folder, in scope or not) comes
    // through the scoped poll only; the stream carries jobs and workflows.
    home.ok(&["sync", "settings", TEAM, "--reconcile-every", "1000"], "");
    let created = t
        .sb()
        .mutate(|tn, clock| mutate::create_person(tn, clock).unwrap());
    let in_scope = t.sb().tenant().person(created).unwrap().folder.value == folder;
    home.ok(
        &[
            "sync",
            "start",
            TEAM,
            "--live-cycles",
            "1",
            "--live-interval",
            "1",
        ],
        "",
    );
    let c = cycle_started_after(&home, "");
    assert_eq!(c.mode, "stream+poll", "{c:?}");
    assert!(
        c.note
            .as_deref()
            .is_some_and(|n| n.contains("people scoped by folder")),
        "{c:?}"
    );
    let stored = rows(&home.db());
    assert_eq!(
        stored
            .get(&("people".to_string(), created.to_string()))
            .is_some_and(|r| r.0 == 0),
        in_scope,
        "person {created} (in scope: {in_scope})"
    );
}

/// Queues a sync with `params`, then starts `rounds` workers, each SIGKILLed after a random
/// delay from `delays_ms` (seeded by `seed`) unless it ended first; then one worker runs
/// to idle and must succeed. Returns how many kills landed in a running worker.
fn sigkill_workers(
    home: &common::Sandbox,
    params: serde_json::Value,
    seed: u64,
    rounds: usize,
    delays_ms: std::ops::Range<u64>,
) -> u32 {
    {
        let store = Store::open(&home.db()).unwrap();
        let team = store.team(TEAM).unwrap();
        store.enqueue_job(&team, "sync.deep", &params).unwrap();
    }
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut kills = 0;
    for _ in 0..rounds {
        let mut child = home
            .command()
            .args(["worker", "--until-idle"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(delays_ms.clone())));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    let out = home.run(&["worker", "--until-idle"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    kills
}
