//! The step 5 page (the live deep-sync monitor) and the home screen's sync column and
//! alerts: store states written into a real SQLite file with the sync engine's own
//! progress functions (a few columns the engine sets inside its job are set with SQL),
//! read back through the page's driver, drawn on a TestBackend at 80x24 and 120x40; and
//! the page's keys as pure updates.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use icims_onboard::onboarding::{
    self, Approval, ExportOutcome, OnboardingFacts, Stamped, TestOutcome,
};
use icims_onboard::store::{Actor, CredentialKind, JobState, NewTeam, Region, Store, Team};
use icims_onboard::sync::plan::{DayPlan, ObjectPlan, Plan};
use icims_onboard::sync::{SYNC_JOB, progress};
use icims_onboard::tui::drivers::deep_sync::load;
use icims_onboard::tui::keymap::Action;
use icims_onboard::tui::model::{Status, TeamRow};
use icims_onboard::tui::pages::contract::{Page, PageOut};
use icims_onboard::tui::pages::deep_sync::{
    Confirm, DeepSyncPage, DeepSyncReply, DeepSyncWork, View, Window,
};
use icims_onboard::tui::theme::Theme;
use icims_onboard::worker::WorkerLock;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rusqlite::params;

/// The time the page thinks it is in every picture (a Tuesday evening, UTC).
const NOW: &str = "2026-12-01T21:00:00Z";
const AT: &str = "2026-11-20T10:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

fn at(secs_before_now: i64) -> String {
    (now() - chrono::Duration::seconds(secs_before_now))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn stamp<T>(value: T) -> Stamped<T> {
    Stamped {
        value,
        actor: "alice".into(),
        at: AT.into(),
    }
}

/// Facts with steps 1–4 done (or, with `ready = false`, step 3 and 4 not yet).
fn facts(ready: bool) -> OnboardingFacts {
    let mut f = OnboardingFacts::default();
    for k in CredentialKind::ALL {
        f.credentials.insert(k, "2026-11-19T09:00:00Z".into());
    }
    f.basic_test = Some(stamp(TestOutcome {
        ok: true,
        summary: "ok".into(),
        ..Default::default()
    }));
    f.sync_enabled = true;
    f.preflight = Some(stamp(TestOutcome {
        ok: true,
        summary: "ok".into(),
        failed: vec![],
        warnings: 0,
    }));
    if ready {
        f.export = Some(stamp(ExportOutcome {
            files: 3,
            rows: 9_000,
            bad_rows: 2,
            cutoff: Some("2026-11-20 10:00 AM".into()),
            statuses: 13,
        }));
        f.field_mapping_approved = Some(stamp(Approval::default()));
    }
    f
}

/// A real store with one team.
struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    store: Store,
    team: Team,
    lock: Option<WorkerLock>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("onboard.db");
        let store = Store::open(&db).unwrap();
        let team = store
            .add_team(
                &NewTeam {
                    name: "Initech".into(),
                    customer_id: 7609,
                    region: Some(Region::Us),
                    api_base: None,
                    token_url: None,
                    datastream_base: None,
                },
                &Actor::named("alice"),
            )
            .unwrap();
        progress::ensure_state(store.conn(), team.id).unwrap();
        Fixture {
            _dir: dir,
            db,
            store,
            team,
            lock: None,
        }
    }

    fn row(&self, ready: bool) -> TeamRow {
        let f = facts(ready);
        TeamRow {
            team: self.team.clone(),
            steps: onboarding::derive(&f),
            credentials: Vec::new(),
            sync_enabled: true,
        }
    }

    fn sql(&self, sql: &str, p: impl rusqlite::Params) {
        self.store.conn().execute(sql, p).unwrap();
    }

    /// A stored plan: 3 days across two 00:00 UTC resets.
    fn plan(&self) {
        let mut objects = std::collections::BTreeMap::new();
        for (name, changed, missing, deleted) in [
            ("jobs", 310u64, 2u64, 4u64),
            ("people", 9_120, 40, 12),
            ("workflows", 11_400, 3, 60),
        ] {
            objects.insert(
                name.to_string(),
                ObjectPlan {
                    seeded: changed * 3,
                    changed,
                    missing,
                    deleted,
                    gets: changed + missing,
                    search_calls: changed / 1000 + 1,
                },
            );
        }
        let gets: u64 = objects.values().map(|o| o.gets).sum();
        let plan = Plan {
            made_at: at(600),
            cutoff: "2026-11-20 10:00 AM".into(),
            search_from: "2026-11-20 09:55 AM".into(),
            overlap_minutes: 5,
            scope: "all person folders, all job folders".into(),
            objects,
            plan_calls: 26,
            gets,
            calls_total: gets + 26,
            quota_share: 0.8,
            quota_limit: Some(10_000),
            quota_remaining: Some(7_400),
            quota_reset: Some("2026-12-02T00:00:00Z".into()),
            calls_per_day: Some(8_000),
            rate_assumed: 40.0,
            days: vec![
                DayPlan {
                    day: 1,
                    date: "2026-12-01".into(),
                    calls: 5_400,
                },
                DayPlan {
                    day: 2,
                    date: "2026-12-02".into(),
                    calls: 8_000,
                },
                DayPlan {
                    day: 3,
                    date: "2026-12-03".into(),
                    calls: gets + 26 - 13_400,
                },
            ],
            eta: "2026-12-03T04:10:00Z".into(),
            eta_day: 3,
            not_synced: vec!["person.linkedin".into()],
        };
        let json = serde_json::to_string(&plan).unwrap();
        self.sql(
            "UPDATE sync_state SET plan = ?2, phase = 'planned', plan_calls = 26 WHERE team_id = ?1",
            params![self.team.id, json],
        );
        progress::event(
            self.store.conn(),
            self.team.id,
            "plan",
            "plan made: 20,911 calls, ETA Thu 04:10",
        )
        .unwrap();
        // Events are stamped with the wall clock: pin this one to the plan's time, so
        // the snapshots do not depend on when the test runs.
        self.sql(
            "UPDATE sync_events SET at = ?2 WHERE team_id = ?1 AND kind = 'plan'",
            params![self.team.id, at(600)],
        );
    }

    /// The job in `state`, with per-object progress, quota, samples, events, heartbeat.
    fn running(&mut self, state: JobState, alive: bool) {
        self.plan();
        let job = self
            .store
            .enqueue_job(&self.team, SYNC_JOB, &serde_json::json!({}))
            .unwrap();
        self.store.set_job_state(job, state).unwrap();
        let c = self.store.conn();
        let id = self.team.id;
        for (object, total, done, failed) in [
            ("people", 9_160u64, 3_870u64, 2u64),
            ("jobs", 312, 312, 0),
            ("workflows", 11_403, 1_204, 1),
        ] {
            self.sql(
                "INSERT OR REPLACE INTO sync_objects (team_id, object, seeded, total, done, failed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, object, (total * 3) as i64, total as i64, done as i64, failed as i64],
            );
        }
        self.sql(
            "UPDATE sync_state SET job_id = ?2, phase = 'running', started_at = ?3 WHERE team_id = ?1",
            params![id, job, at(7200)],
        );
        progress::add_calls(c, id, 5_416, 37).unwrap();
        progress::set_quota(
            c,
            id,
            Some(10_000),
            Some(3_200),
            Some("2026-12-02T00:00:00Z"),
        )
        .unwrap();
        progress::heartbeat(c, id, 4242).unwrap();
        progress::event(c, id, "started", "sync started by alice (job 1)").unwrap();
        for i in 0..60 {
            progress::rate_sample(c, id, 40 + (i % 7) * 9, 41 + (i % 7) * 9).unwrap();
        }
        progress::quarantine(c, id, "people", "20417", "HTTP 500 after 5 attempts", 5).unwrap();
        progress::quarantine(c, id, "workflows", "88121", "=1+2 is not a status date", 1).unwrap();
        progress::event(
            c,
            id,
            "quarantined",
            "people 20417: HTTP 500 after 5 attempts",
        )
        .unwrap();
        progress::event(c, id, "retry", "503 from people/20417; retrying in 2s").unwrap();
        self.fix_times();
        if alive {
            self.lock = Some(WorkerLock::try_acquire(&self.db).unwrap());
        }
    }

    /// Puts wall-clock columns at fixed times before [`NOW`].
    fn fix_times(&self) {
        let id = self.team.id;
        let n = now().timestamp();
        // Samples one a minute over the last hour; events a few minutes apart.
        self.sql(
            "UPDATE sync_rate_samples SET at_unix = ?2 - (SELECT COUNT(*) FROM sync_rate_samples s WHERE s.team_id = sync_rate_samples.team_id AND s.id > sync_rate_samples.id) * 60 WHERE team_id = ?1",
            params![id, n],
        );
        self.sql(
            "UPDATE sync_rate_samples SET at = strftime('%Y-%m-%dT%H:%M:%SZ', at_unix, 'unixepoch') WHERE team_id = ?1",
            params![id],
        );
        self.sql(
            "UPDATE sync_events SET at = strftime('%Y-%m-%dT%H:%M:%SZ', ?2 - (SELECT COUNT(*) FROM sync_events e WHERE e.team_id = sync_events.team_id AND e.id > sync_events.id) * 420 - 30, 'unixepoch') WHERE team_id = ?1",
            params![id, n],
        );
        self.sql(
            "UPDATE sync_quarantine SET at = ?2 WHERE team_id = ?1",
            params![id, at(1800)],
        );
        self.sql(
            "UPDATE sync_state SET heartbeat_at = ?2, quota_seen_at = ?2 WHERE team_id = ?1",
            params![id, at(3)],
        );
    }

    /// The page as a console opened on it would show it (driver read, clock at [`NOW`]).
    fn page(&self, ready: bool, size: (u16, u16)) -> DeepSyncPage {
        let (mut page, _) = DeepSyncPage::open(&self.row(ready));
        page.resize(size);
        self.reload(&mut page);
        page
    }

    fn reload(&self, page: &mut DeepSyncPage) {
        let rows = page.page_rows();
        let quarantine = (page.view == View::Quarantine).then(|| Window {
            offset: (page.selected / rows) * rows,
            limit: rows,
        });
        let mut snapshot = load(
            &self.store,
            self.team.id,
            Window {
                offset: page.log_offset,
                limit: rows,
            },
            quarantine,
        )
        .unwrap();
        snapshot.now = now();
        page.on_reply(DeepSyncReply::Loaded(Ok(Box::new(snapshot))));
    }
}

fn draw(page: &DeepSyncPage, size: (u16, u16), theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    terminal.draw(|f| page.render(f, f.area(), theme)).unwrap();
    terminal
}

/// Snapshots at 80x24 and 120x40. The engine's ETA while running moves with the wall
/// clock (rate × what is left from "now"), so that one figure is filtered.
fn snap_both(name: &str, fixture: &Fixture, ready: bool, setup: impl Fn(&mut DeepSyncPage)) {
    snap_at(name, fixture, ready, &[(80, 24), (120, 40)], setup);
}

fn snap_at(
    name: &str,
    fixture: &Fixture,
    ready: bool,
    sizes: &[(u16, u16)],
    setup: impl Fn(&mut DeepSyncPage),
) {
    for &size in sizes {
        let mut page = fixture.page(ready, size);
        setup(&mut page);
        fixture.reload(&mut page);
        let terminal = draw(&page, size, &Theme::dark());
        insta::with_settings!({filters => vec![
            (r"ETA [A-Z][a-z]{2} \d\d:\d\d UTC \(in [0-9dhms]+\)|ETA \d\d:\d\d UTC \(in [0-9dhms]+\)", "ETA [running eta]"),
            (r"/tmp/[^ │]*", "[path]"),
        ]}, {
            insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), terminal.backend());
        });
    }
}

#[test]
fn locked_until_the_gates_pass() {
    let f = Fixture::new();
    let page = f.page(false, (80, 24));
    assert!(page.locked());
    let text = format!("{:?}", draw(&page, (80, 24), &Theme::dark()).backend());
    assert!(
        text.contains("historical export not imported (step 3)"),
        "{text}"
    );
    snap_both("locked", &f, false, |_| {});
}

#[test]
fn plan_before_start() {
    let f = Fixture::new();
    f.plan();
    f.fix_times();
    snap_both("plan", &f, true, |_| {});
}

#[test]
fn running() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    snap_both("running", &f, true, |_| {});
    // From 150 columns the event log takes a column of its own.
    snap_at("running", &f, true, &[(200, 60)], |_| {});
}

#[test]
fn waiting_for_quota() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    progress::begin_wait(
        f.store.conn(),
        f.team.id,
        "2026-12-02T00:00:00Z",
        "daily quota spent",
    )
    .unwrap();
    f.sql(
        "UPDATE sync_state SET quota_remaining = 0 WHERE team_id = ?1",
        params![f.team.id],
    );
    snap_both("waiting_quota", &f, true, |_| {});
}

#[test]
fn paused() {
    let mut f = Fixture::new();
    f.running(JobState::Paused, false);
    snap_both("paused", &f, true, |_| {});
}

#[test]
fn failed() {
    let mut f = Fixture::new();
    f.running(JobState::Running, false);
    let job = f.store.latest_job(&f.team, SYNC_JOB).unwrap().unwrap();
    f.store
        .finish_job(
            job.id,
            JobState::Failed,
            Some("iCIMS: 401 errorCode 6: bad credentials"),
        )
        .unwrap();
    f.sql(
        "UPDATE sync_state SET error = 'iCIMS: 401 errorCode 6: bad credentials' WHERE team_id = ?1",
        params![f.team.id],
    );
    snap_both("failed", &f, true, |_| {});
}

#[test]
fn live_after_the_initial_pass() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    f.sql(
        "UPDATE sync_objects SET done = total - failed WHERE team_id = ?1",
        params![f.team.id],
    );
    f.sql(
        "UPDATE sync_state SET phase = 'live', initial_done_at = ?2, cycles = 14, last_cycle_at = ?3, next_cycle_at = ?4, last_cycle_changes = 12 WHERE team_id = ?1",
        params![f.team.id, at(5400), at(120), at(-180)],
    );
    f.sql(
        "INSERT INTO sync_cycles (team_id, started_at, finished_at, mode, reconciled, changed, deleted, calls, events)
         VALUES (?1, ?2, ?2, 'stream', 0, 10, 2, 12, 12)",
        params![f.team.id, at(120)],
    );
    snap_both("live", &f, true, |_| {});
}

#[test]
fn worker_gone() {
    let mut f = Fixture::new();
    f.running(JobState::Running, false);
    let page = f.page(true, (120, 40));
    assert!(page.status().unwrap().worker.gone);
    snap_both("worker_gone", &f, true, |_| {});
}

#[test]
fn a_worker_running_the_sync_without_the_lock_file_is_not_gone() {
    let mut f = Fixture::new();
    f.running(JobState::Running, false);
    // A second worker took the job while another still held the lock file: it holds the
    // job's lease (a live process, unexpired) but not the lock.
    let job = f.store.latest_job(&f.team, SYNC_JOB).unwrap().unwrap();
    let lease = |expires: i64| {
        f.store
            .conn()
            .execute(
                "UPDATE jobs SET lease_owner = ?2, lease_expires_at = ?3 WHERE id = ?1",
                params![job.id, icims_onboard::worker::owner_id(), expires],
            )
            .unwrap();
    };
    let unix = chrono::Utc::now().timestamp();
    lease(unix + 30);
    let st = icims_onboard::sync::status::load(f.store.conn(), f.team.id).unwrap();
    assert!(st.worker.alive && !st.worker.gone, "{:?}", st.worker);
    let probe = || icims_onboard::sync::browse::probe(f.store.conn(), &f.db, f.team.id).unwrap();
    let held = probe();
    // The lease runs out (its worker stopped renewing it): gone, and the fingerprint
    // the page polls changes with it.
    lease(unix - 1);
    let st = icims_onboard::sync::status::load(f.store.conn(), f.team.id).unwrap();
    assert!(!st.worker.alive && st.worker.gone, "{:?}", st.worker);
    assert_ne!(probe(), held);
}

#[test]
fn quarantine_browser() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    for i in 0..40 {
        progress::quarantine(
            f.store.conn(),
            f.team.id,
            "people",
            &format!("{}", 30_000 + i),
            &format!("HTTP 404 errorCode 2: person {} not found", 30_000 + i),
            1,
        )
        .unwrap();
    }
    f.fix_times();
    snap_both("quarantine", &f, true, |p| {
        p.on_key(Some(Action::Quarantine), key('b'));
        p.on_key(Some(Action::Down), key('j'));
        p.on_key(Some(Action::Down), key('j'));
    });
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn works(outs: &[PageOut<DeepSyncWork>]) -> Vec<DeepSyncWork> {
    outs.iter()
        .filter_map(|o| match o {
            PageOut::Work(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

fn status_text(outs: &[PageOut<DeepSyncWork>]) -> Option<String> {
    outs.iter().find_map(|o| match o {
        PageOut::Status(Status::Error(t) | Status::Info(t)) => Some(t.clone()),
        _ => None,
    })
}

#[test]
fn keys_plan_start_with_confirm() {
    let f = Fixture::new();
    // Locked: p and s say why and do nothing.
    let mut page = f.page(false, (120, 40));
    let outs = page.on_key(Some(Action::Plan), key('p'));
    assert!(works(&outs).is_empty());
    assert!(status_text(&outs).unwrap().contains("locked"), "{outs:?}");
    // Open, not planned: s asks for a plan first; p plans.
    let mut page = f.page(true, (120, 40));
    let outs = page.on_key(Some(Action::StartSync), key('s'));
    assert!(status_text(&outs).unwrap().contains("no plan yet"));
    assert_eq!(page.confirm, None);
    let outs = page.on_key(Some(Action::Plan), key('p'));
    assert_eq!(
        works(&outs),
        vec![DeepSyncWork::Plan { team_id: f.team.id }]
    );
    assert!(page.planning);
    // While planning, a second p is refused.
    let outs = page.on_key(Some(Action::Plan), key('p'));
    assert!(works(&outs).is_empty());
    page.on_reply(DeepSyncReply::Done(Ok("planned".into())));
    assert!(!page.planning);
    // Planned: s asks, n keeps things, s + y starts.
    f.plan();
    f.reload(&mut page);
    let outs = page.on_key(Some(Action::StartSync), key('s'));
    assert!(works(&outs).is_empty());
    assert_eq!(page.confirm, Some(Confirm::Start));
    let terminal = draw(&page, (80, 24), &Theme::dark());
    insta::assert_snapshot!("confirm_start_80x24", terminal.backend());
    let outs = page.on_key(Some(Action::No), key('n'));
    assert!(works(&outs).is_empty());
    assert_eq!(page.confirm, None);
    page.on_key(Some(Action::StartSync), key('s'));
    let outs = page.on_key(Some(Action::Yes), key('y'));
    assert_eq!(
        works(&outs),
        vec![DeepSyncWork::Start { team_id: f.team.id }]
    );
    assert_eq!(page.confirm, None);
}

#[test]
fn keys_pause_resume_cancel_with_confirm() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    let mut page = f.page(true, (120, 40));
    let id = f.team.id;
    // Start is refused while running; Space asks to pause; Esc answers no.
    let outs = page.on_key(Some(Action::StartSync), key('s'));
    assert!(status_text(&outs).unwrap().contains("already running"));
    page.on_key(Some(Action::PauseResume), key(' '));
    assert_eq!(page.confirm, Some(Confirm::Pause));
    let outs = page.on_key(Some(Action::Back), KeyEvent::from(KeyCode::Esc));
    assert!(works(&outs).is_empty());
    assert_eq!(
        page.confirm, None,
        "Esc answers no, it does not leave the page"
    );
    page.on_key(Some(Action::PauseResume), key(' '));
    let outs = page.on_key(Some(Action::Yes), key('y'));
    assert_eq!(works(&outs), vec![DeepSyncWork::Pause { team_id: id }]);
    // A second control while the first is under way is refused with the reason.
    let outs = page.on_key(Some(Action::CancelSync), key('x'));
    assert!(status_text(&outs).unwrap().contains("pausing"), "{outs:?}");
    // The pause reaches the store; the page follows; Space now resumes.
    let job = f.store.latest_job(&f.team, SYNC_JOB).unwrap().unwrap();
    f.store.set_job_state(job.id, JobState::Paused).unwrap();
    page.on_reply(DeepSyncReply::Done(Ok("paused".into())));
    f.reload(&mut page);
    page.on_key(Some(Action::PauseResume), key(' '));
    assert_eq!(page.confirm, Some(Confirm::Resume));
    let outs = page.on_key(Some(Action::Yes), key('y'));
    assert_eq!(works(&outs), vec![DeepSyncWork::Resume { team_id: id }]);
    page.on_reply(DeepSyncReply::Done(Ok("resumed".into())));
    // Cancel asks too.
    page.on_key(Some(Action::CancelSync), key('x'));
    assert_eq!(page.confirm, Some(Confirm::Cancel));
    let outs = page.on_key(Some(Action::Yes), key('y'));
    assert_eq!(works(&outs), vec![DeepSyncWork::Cancel { team_id: id }]);
}

#[test]
fn keys_browse_scroll_export_and_back() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    for i in 0..100 {
        progress::quarantine(
            f.store.conn(),
            f.team.id,
            "jobs",
            &format!("{}", 500 + i),
            "bad",
            1,
        )
        .unwrap();
    }
    let mut page = f.page(true, (80, 24));
    let id = f.team.id;
    let rows = page.page_rows();
    // The event log scrolls in the overview; at the top ↑ changes nothing (no redraw).
    assert_eq!(
        page.on_key(Some(Action::Up), key('k')),
        vec![PageOut::Unchanged]
    );
    let outs = page.on_key(Some(Action::Down), key('j'));
    assert_eq!(page.log_offset, 1);
    assert!(matches!(
        works(&outs)[0],
        DeepSyncWork::Load {
            log: Window { offset: 1, .. },
            ..
        }
    ));
    // e opens the full log; Esc returns to the overview at the newest event.
    page.on_key(Some(Action::EventLog), key('e'));
    assert_eq!(page.view, View::Log);
    page.on_key(Some(Action::Back), KeyEvent::from(KeyCode::Esc));
    assert_eq!((page.view, page.log_offset), (View::Overview, 0));
    // b browses the quarantine (102 rows): moves, pages, ends; the window follows.
    page.on_key(Some(Action::Quarantine), key('b'));
    assert_eq!(page.view, View::Quarantine);
    page.on_key(Some(Action::PageDown), KeyEvent::from(KeyCode::PageDown));
    assert_eq!(page.selected, rows);
    let outs = page.on_key(Some(Action::Bottom), key('G'));
    assert_eq!(page.selected, 101);
    let DeepSyncWork::Load {
        quarantine: Some(w),
        ..
    } = works(&outs)[0]
    else {
        panic!("expected a load with a quarantine window: {outs:?}");
    };
    assert!(w.offset <= 101 && 101 < w.offset + w.limit);
    f.reload(&mut page);
    let snap = page.snapshot.as_ref().unwrap();
    assert_eq!(snap.quarantine.len() as u64, 102 - w.offset);
    page.on_key(Some(Action::Top), key('g'));
    assert_eq!(page.selected, 0);
    page.on_key(Some(Action::PageUp), KeyEvent::from(KeyCode::PageUp));
    assert_eq!(page.selected, 0);
    // c exports; Esc leaves the browser, then the page.
    let outs = page.on_key(Some(Action::ExportCsv), key('c'));
    assert_eq!(
        works(&outs),
        vec![DeepSyncWork::ExportQuarantine { team_id: id }]
    );
    page.on_key(Some(Action::Back), KeyEvent::from(KeyCode::Esc));
    assert_eq!(page.view, View::Overview);
    let outs = page.on_key(Some(Action::Back), KeyEvent::from(KeyCode::Esc));
    assert_eq!(outs, vec![PageOut::Close]);
    // r re-reads the sync and the teams.
    let outs = page.on_key(Some(Action::Refresh), key('r'));
    assert!(outs.contains(&PageOut::Reload));
}

#[test]
fn an_unchanged_read_does_not_redraw_and_a_gone_worker_is_replaced_once() {
    let mut f = Fixture::new();
    f.running(JobState::Running, false);
    let mut page = f.page(true, (120, 40));
    // The first read asked for a new worker; the same read again asks nothing and
    // draws nothing.
    assert!(page.revived_at.is_some());
    let rows = page.page_rows();
    let mut snapshot = load(
        &f.store,
        f.team.id,
        Window {
            offset: 0,
            limit: rows,
        },
        None,
    )
    .unwrap();
    snapshot.now = now();
    let outs = page.on_reply(DeepSyncReply::Loaded(Ok(Box::new(snapshot.clone()))));
    assert_eq!(outs, vec![PageOut::Unchanged]);
    // 30 s later it asks again (the worker did not come).
    snapshot.now = now() + chrono::Duration::seconds(31);
    let outs = page.on_reply(DeepSyncReply::Loaded(Ok(Box::new(snapshot.clone()))));
    assert!(works(&outs).contains(&DeepSyncWork::Revive { team_id: f.team.id }));
    // A dead worker changes nothing in the store, so the next polls answer "same"
    // (the fingerprint is unchanged): those ask again every 30 s too, never in between.
    let heartbeat_at = snapshot.status.worker.heartbeat_at.clone();
    let same = |secs: i64| DeepSyncReply::Same {
        now: now() + chrono::Duration::seconds(secs),
        heartbeat_at: heartbeat_at.clone(),
    };
    for secs in [32, 45, 60] {
        let outs = page.on_reply(same(secs));
        assert!(
            works(&outs).is_empty(),
            "asked again after {secs} s: {outs:?}"
        );
    }
    let outs = page.on_reply(same(61));
    assert_eq!(
        works(&outs),
        vec![DeepSyncWork::Revive { team_id: f.team.id }]
    );
}

#[test]
fn quarantine_csv_neutralises_formulas() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    let (path, n) =
        icims_onboard::sync::browse::export_quarantine(f.store.conn(), &f.db, f.team.id).unwrap();
    assert_eq!(n, 2);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("\u{feff}object,icims_id,reason,attempts,at\r\n"));
    assert!(text.contains("people,20417,HTTP 500 after 5 attempts,5,"));
    assert!(
        text.contains("workflows,88121,'=1+2 is not a status date,1,"),
        "{text}"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        path.to_string_lossy()
            .contains(&format!("team-{}", f.team.id))
    );
}

#[test]
fn mono_under_no_color() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    let page = f.page(true, (80, 24));
    let terminal = draw(&page, (80, 24), &Theme::mono());
    for cell in terminal.backend().buffer().content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "mono draws no colours"
        );
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
}

// ---- the home screen: sync state column and alerts -------------------------------------

use icims_onboard::onboarding::StageOutcome;
use icims_onboard::tui::app::{App, Effect, Msg, Screen, update};
use icims_onboard::tui::sync_summary::AlertKind;

/// One team per alert (each sync state read from its own real store, so a worker lock
/// held for one does not make another's worker alive), plus a live team without alerts.
fn home_app(size: (u16, u16)) -> (App, Vec<Fixture>) {
    let mut rows = Vec::new();
    let mut syncs = std::collections::BTreeMap::new();
    let mut fixtures = Vec::new();
    let mut add = |id: i64, name: &str, facts: OnboardingFacts, f: Fixture| {
        let mut team = f.team.clone();
        team.id = id;
        team.name = name.into();
        let status = load(
            &f.store,
            f.team.id,
            Window {
                offset: 0,
                limit: 5,
            },
            None,
        )
        .unwrap()
        .status;
        syncs.insert(id, status);
        rows.push(TeamRow {
            team,
            steps: onboarding::derive(&facts),
            credentials: Vec::new(),
            sync_enabled: true,
        });
        fixtures.push(f);
    };
    // Auth failing: step 2's preflight failed (no sync yet).
    let mut acme = facts(true);
    acme.preflight = Some(stamp(TestOutcome {
        ok: false,
        summary: "rest.token: 401 invalid_client".into(),
        failed: vec!["rest.token".into()],
        warnings: 0,
    }));
    add(1, "Acme Corp", acme, Fixture::new());
    // Sync failed.
    let mut f = Fixture::new();
    f.running(JobState::Running, false);
    let job = f.store.latest_job(&f.team, SYNC_JOB).unwrap().unwrap();
    f.store
        .finish_job(job.id, JobState::Failed, Some("iCIMS: 403 forbidden"))
        .unwrap();
    f.sql(
        "DELETE FROM sync_quarantine WHERE team_id = ?1",
        params![f.team.id],
    );
    f.sql(
        "UPDATE sync_state SET error = 'iCIMS: 403 forbidden (IP allow-list)' WHERE team_id = ?1",
        params![f.team.id],
    );
    add(2, "Globex", facts(true), f);
    // Waiting for quota (worker alive).
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    f.sql(
        "DELETE FROM sync_quarantine WHERE team_id = ?1",
        params![f.team.id],
    );
    progress::begin_wait(
        f.store.conn(),
        f.team.id,
        "2026-12-02T00:00:00Z",
        "daily quota spent",
    )
    .unwrap();
    add(3, "Hooli", facts(true), f);
    // Running with quarantined records (worker alive).
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    add(4, "Initech", facts(true), f);
    // Worker gone.
    let mut f = Fixture::new();
    f.running(JobState::Running, false);
    f.sql(
        "DELETE FROM sync_quarantine WHERE team_id = ?1",
        params![f.team.id],
    );
    add(5, "Umbrella", facts(true), f);
    // Live, nothing wrong.
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    f.sql(
        "DELETE FROM sync_quarantine WHERE team_id = ?1",
        params![f.team.id],
    );
    f.sql(
        "UPDATE sync_state SET phase = 'live', initial_done_at = ?2, cycles = 3, last_cycle_at = ?3 WHERE team_id = ?1",
        params![f.team.id, at(5400), at(120)],
    );
    add(6, "Vandelay", facts(true), f);
    // Step 6 says statuses appeared unmapped since its approval.
    let mut wonka = facts(true);
    wonka.stages = Some(stamp(StageOutcome {
        statuses_in_use: 13,
        unmapped: 2,
        new_since_approval: vec!["Phone Screen (new)".into(), "NMF - Take Home".into()],
    }));
    wonka.stages_approved = Some(stamp(Approval::default()));
    add(7, "Wonka", wonka, Fixture::new());

    let mut app = App::new("/data/icims-onboard.db", size);
    let effects = update(&mut app, Msg::TeamsLoaded(rows));
    assert!(
        effects.contains(&Effect::LoadSyncs),
        "home reads the sync states: {effects:?}"
    );
    update(&mut app, Msg::SyncsLoaded(syncs, now()));
    (app, fixtures)
}

fn draw_app(app: &App, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal
        .draw(|f| icims_onboard::tui::render::render(f, app, theme))
        .unwrap();
    terminal
}

#[test]
fn home_sorts_alerts_first_with_the_sync_column() {
    for size in [(120u16, 40u16), (80, 24)] {
        let (app, _fx) = home_app(size);
        let order: Vec<&str> = app
            .visible_teams()
            .iter()
            .map(|t| t.team.name.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "Globex",
                "Acme Corp",
                "Umbrella",
                "Hooli",
                "Initech",
                "Wonka",
                "Vandelay"
            ],
            "most urgent alert first, teams without alerts last"
        );
        let kinds: Vec<Option<AlertKind>> = app
            .visible_teams()
            .iter()
            .map(|t| app.alerts(t).first().map(|a| a.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                Some(AlertKind::SyncFailed),
                Some(AlertKind::AuthFailing),
                Some(AlertKind::WorkerGone),
                Some(AlertKind::QuotaWaiting),
                Some(AlertKind::Quarantined),
                Some(AlertKind::UnmappedStatuses),
                None
            ]
        );
        let terminal = draw_app(&app, &Theme::dark());
        insta::with_settings!({filters => vec![
            (r"ETA [A-Z][a-z]{2}|ETA \d\d:\d\d", "ETA [eta]"),
        ]}, {
            insta::assert_snapshot!(format!("home_alerts_{}x{}", size.0, size.1), terminal.backend());
        });
    }
}

#[test]
fn home_a_opens_the_page_that_explains_the_alert() {
    let (mut app, _fx) = home_app((120, 40));
    // Enter still opens the team; `a` opens the page of the first row's alert (sync
    // failed: step 5).
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Enter)));
    assert!(matches!(app.screen, Screen::Team { ref name, .. } if name == "Globex"));
    assert!(app.page.is_none());
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    let effects = update(&mut app, Msg::Key(key('a')));
    assert!(matches!(app.screen, Screen::Team { ref name, step: 4 } if name == "Globex"));
    assert!(
        effects.iter().any(|e| matches!(
            e.work(),
            Some(icims_onboard::tui::pages::Work::DeepSync(
                DeepSyncWork::Load { team_id: 2, .. }
            ))
        )),
        "{effects:?}"
    );
    // Back home; the second row (auth failing on step 2) opens step 2.
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    assert_eq!(app.screen, Screen::Home);
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Down)));
    update(&mut app, Msg::Key(key('a')));
    assert!(matches!(app.screen, Screen::Team { ref name, step: 1 } if name == "Acme Corp"));
    assert!(app.page.is_some(), "the credentials page is open");
    // A team without alerts: `a` is not offered and does nothing.
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::Esc)));
    update(&mut app, Msg::Key(KeyEvent::from(KeyCode::End)));
    assert_eq!(app.visible_teams()[app.selected].team.name, "Vandelay");
    assert_eq!(
        app.availability(Action::OpenAlert),
        icims_onboard::tui::keymap::Availability::Hidden
    );
    update(&mut app, Msg::Key(key('a')));
    assert_eq!(app.screen, Screen::Home);
}

#[test]
fn polls_once_a_second_and_skips_reading_an_unchanged_store() {
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    let mut page = f.page(true, (120, 40));
    // Every fourth fast tick (250 ms) polls, with the snapshot's fingerprint.
    let polls: Vec<Option<DeepSyncWork>> = (0..8).map(|_| page.poll()).collect();
    assert_eq!(polls.iter().filter(|p| p.is_some()).count(), 2, "{polls:?}");
    let Some(DeepSyncWork::Load {
        probe: Some(probe), ..
    }) = polls[3].clone()
    else {
        panic!("the fourth tick polls with the fingerprint: {polls:?}");
    };
    // The store's fingerprint is the snapshot's until something is written.
    let again = icims_onboard::sync::browse::probe(f.store.conn(), &f.db, f.team.id).unwrap();
    assert_eq!(probe, again);
    progress::event(f.store.conn(), f.team.id, "retry", "503; retrying").unwrap();
    let after = icims_onboard::sync::browse::probe(f.store.conn(), &f.db, f.team.id).unwrap();
    assert_ne!(probe, after, "a new event changes the fingerprint");
    // A "same" answer within the minute does not redraw a page without countdowns ...
    f.sql(
        "UPDATE sync_state SET phase = 'live', initial_done_at = ?2 WHERE team_id = ?1",
        params![f.team.id, at(600)],
    );
    f.reload(&mut page);
    assert_eq!(page.state(), icims_onboard::sync::SyncState::Live);
    let beat = page.status().unwrap().worker.heartbeat_at.clone();
    let outs = page.on_reply(DeepSyncReply::Same {
        now: now() + chrono::Duration::seconds(20),
        heartbeat_at: beat.clone(),
    });
    assert_eq!(outs, vec![PageOut::Unchanged]);
    // ... and redraws when the minute turns (the texts say "2 min ago").
    let outs = page.on_reply(DeepSyncReply::Same {
        now: now() + chrono::Duration::seconds(70),
        heartbeat_at: beat,
    });
    assert!(outs.is_empty(), "{outs:?}");
    // A heartbeat alone is not a change of the fingerprint, but the page shows it.
    let before = icims_onboard::sync::browse::probe(f.store.conn(), &f.db, f.team.id).unwrap();
    f.sql(
        "UPDATE sync_state SET heartbeat_at = ?2 WHERE team_id = ?1",
        params![f.team.id, at(-75)],
    );
    let after_beat = icims_onboard::sync::browse::probe(f.store.conn(), &f.db, f.team.id).unwrap();
    assert_eq!(before, after_beat);
    page.on_reply(DeepSyncReply::Same {
        now: now() + chrono::Duration::seconds(80),
        heartbeat_at: Some(at(-75)),
    });
    assert_eq!(
        page.status().unwrap().worker.heartbeat_at.as_deref(),
        Some(at(-75).as_str())
    );
    // Scrolling asks for a full read (the windows moved).
    let outs = page.on_key(Some(Action::Down), key('j'));
    assert!(matches!(
        works(&outs)[0],
        DeepSyncWork::Load { probe: None, .. }
    ));
}

#[test]
fn home_reads_a_status_again_only_when_its_fingerprint_changed() {
    use icims_onboard::tui::drivers::home_syncs;
    let mut f = Fixture::new();
    f.running(JobState::Running, true);
    let first = home_syncs::load(&f.store);
    assert_eq!(first[&f.team.id].quarantined, 2);
    // A new heartbeat alone: the cached status, with the new heartbeat.
    f.sql(
        "UPDATE sync_state SET heartbeat_at = ?2 WHERE team_id = ?1",
        params![f.team.id, at(-5)],
    );
    let second = home_syncs::load(&f.store);
    assert_eq!(
        second[&f.team.id].worker.heartbeat_at.as_deref(),
        Some(at(-5).as_str())
    );
    // A quarantined record changes the fingerprint: read again.
    progress::quarantine(f.store.conn(), f.team.id, "jobs", "77", "bad", 1).unwrap();
    let third = home_syncs::load(&f.store);
    assert_eq!(third[&f.team.id].quarantined, 3);
}
