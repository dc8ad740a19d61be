//! The step 5 walkthrough on `demo`, in tmux, as an engineer would do it. `icims-onboard
//! demo --no-console --latency-ms 20` serves a 20,000-person sandbox tenant (20 ms per
//! API call, so the sync lasts long enough to watch) and prepares the team it prints,
//! "Demo (sandbox)"; steps 1–4 are done through the CLI (the SFTP host key pinned with
//! `export fetch --accept-host-key`, the key demo printed) but for step 1's *Sync
//! enabled* switch, which only the console has. Then the console: that switch, step 5,
//! plan, start (confirmed), watch the gauges move, pause and resume (each confirmed),
//! quit mid-sync; the sync goes on without a console (the CLI sees it advance); a new
//! console shows it running on the home screen and further along on step 5; its worker is
//! killed while the home screen is open, which raises the "worker gone" alert; `a` opens
//! step 5, which starts a new worker that resumes it, then live, and the home screen
//! shows the team live with step 5 done and no alert. Finally the console's CPU while it
//! watches the idle live sync is measured and printed (a figure for the README, not an
//! assertion).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::demo::{DemoTenant, console_line, stop_sync};
use common::tmux::Tmux;

/// Steps 1–4 through the CLI on the team demo prepared (its credentials are stored).
fn approve_steps(home: &common::Sandbox, demo: &DemoTenant) {
    let team = demo.team.as_str();
    home.ok(&["check", team], "");
    // The first connection names the key and refuses; the engineer compares it with
    // the one the customer (here: demo) gave, and accepts it.
    let first = home.run(&["export", "fetch", team], "");
    assert_eq!(first.status.code(), Some(1));
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(err.contains(&demo.host_key), "{err}");
    home.ok(
        &["export", "fetch", team, "--accept-host-key", &demo.host_key],
        "",
    );
    home.ok(&["export", "import", team], "");
    home.ok(&["mapping", "fields", "suggest", team], "");
    home.ok(&["mapping", "fields", "approve", team], "");
    // Two GETs in flight: with 20 ms per call the initial pass takes about half a minute.
    home.ok(&["sync", "settings", team, "--concurrency", "2"], "");
    let show: serde_json::Value =
        serde_json::from_str(&home.ok(&["team", "show", team, "--json"], "")).unwrap();
    // Step 5's gates: steps 2–4 done (step 1 also needs "Sync enabled", a console switch
    // the walkthrough flips on step 1's page).
    for step in &show["steps"].as_array().unwrap()[1..4] {
        assert_eq!(step["state"], "done", "{step}");
    }
}

fn console(home: &common::Sandbox, name: &str) -> Tmux {
    Tmux::start(name, 120, 40, &console_line(home, ""))
}

/// The team's row on the home screen.
fn home_row(screen: &str, team: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.contains(team))
        .map(str::to_string)
}

/// Home → the team → step 5's page.
fn open_step5(tmux: &Tmux, team: &str) -> String {
    tmux.wait_text(team);
    tmux.keys(&["Enter"]);
    tmux.wait_text("Basic sync");
    tmux.keys(&["k", "k", "k", "k", "k", "j", "j", "j", "j", "Enter"]);
    tmux.wait_text("Step 5 · Deep sync")
}

/// The percentage of the "Running · 42% done" (or "Paused · 42% done") line.
fn percent(screen: &str) -> Option<u32> {
    let line = screen
        .lines()
        .find(|l| l.contains("Running ·") || l.contains("Paused ·") || l.contains("Progress "))?;
    let at = line.find("% done")?;
    let digits: String = line[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    digits.parse().ok()
}

/// The worker pid the page shows ("Worker pid 4242 · …").
fn worker_pid(screen: &str) -> Option<u32> {
    let rest = screen.split("Worker pid ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Records fetched or marked so far, from `sync status --json`.
fn synced(home: &common::Sandbox, team: &str) -> (String, u64) {
    let st: serde_json::Value =
        serde_json::from_str(&home.ok(&["sync", "status", team, "--json"], "")).unwrap();
    let done = st["objects"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| o["done"].as_u64().unwrap() + o["failed"].as_u64().unwrap())
        .sum();
    (st["state"].as_str().unwrap().to_string(), done)
}

/// CPU seconds (user + system) a process has used.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// The console process: the child of the tmux pane's shell.
fn console_pid(tmux: &Tmux) -> u32 {
    let shell = tmux.format("#{pane_pid}");
    let children =
        std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children")).unwrap_or_default();
    children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("the console runs under the pane's shell")
}

#[test]
fn on_demo_plan_start_watch_pause_resume_quit_worker_gone_reopen_then_live() {
    // Fails at once, loudly (in CI too), when tmux is missing.
    common::require_tool("tmux");
    let home = common::Sandbox::new();
    let demo = DemoTenant::start(
        &home,
        &["--seed", "7", "--people", "20000", "--latency-ms", "20"],
    );
    assert_eq!(demo.team, "Demo (sandbox)");
    let team = demo.team.clone();
    approve_steps(&home, &demo);
    let stop = Stop(&home, &team);

    // First console: plan, start, watch the gauges move, pause, resume, quit mid-sync.
    let tmux = console(&home, "deep1");
    // Step 1's last switch is on its page: Sync enabled (its test passed through `check`).
    tmux.wait_text(&team);
    tmux.keys(&["Enter"]);
    tmux.wait_text("Basic sync");
    tmux.keys(&["k", "k", "k", "k", "k", "Enter"]);
    tmux.wait_text("1. Basic sync");
    // Focus: customer id → region → username → password → Save → Test → Sync enabled.
    tmux.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Enter"]);
    tmux.wait_text("Sync enabled: on");
    tmux.keys(&["Escape"]);
    tmux.wait_text("6 Stage mapping");
    tmux.keys(&["Escape"]);
    let page = open_step5(&tmux, &team);
    assert!(page.contains("No plan yet"), "{page}");
    tmux.keys(&["p"]);
    let plan = tmux.wait_long("the plan", 60, |s| s.contains("Start (asks to confirm)"));
    assert!(plan.contains("Day by day"), "{plan}");
    assert!(plan.contains("GETs"), "{plan}");
    tmux.keys(&["s"]);
    tmux.wait_text("Start the deep sync now?");
    tmux.keys(&["y"]);
    let first = tmux.wait_long("the gauges to start", 60, |s| {
        percent(s).is_some_and(|p| (1..100).contains(&p))
    });
    assert!(first.contains("Worker pid"), "{first}");
    let p1 = percent(&first).unwrap();
    let moved = tmux.wait_long("the gauges to move", 60, |s| {
        s.contains("Running ·") && percent(s).is_some_and(|p| p > p1 && p < 100)
    });
    let p2 = percent(&moved).unwrap();

    // Pause (confirmed): the headline says so and the gauges stop.
    tmux.keys(&["Space"]);
    tmux.wait_text("Pause the deep sync?");
    tmux.keys(&["y"]);
    let paused = tmux.wait_long("paused", 30, |s| s.contains("Paused ·"));
    assert!(paused.contains("Space resumes"), "{paused}");
    // The worker stops after its current batch; then nothing moves.
    let (state, _) = synced(&home, &team);
    assert_eq!(state, "paused");
    std::thread::sleep(Duration::from_secs(2));
    let (_, held) = synced(&home, &team);
    std::thread::sleep(Duration::from_secs(2));
    let (state, still) = synced(&home, &team);
    assert_eq!((state.as_str(), still), ("paused", held));
    let p_paused = percent(&tmux.screen()).unwrap();
    assert!(p_paused >= p2, "{p_paused} < {p2}");

    // Resume (confirmed): running again and moving past where it paused.
    tmux.keys(&["Space"]);
    tmux.wait_text("Resume the deep sync?");
    tmux.keys(&["y"]);
    let resumed = tmux.wait_long("running again and moving", 60, |s| {
        s.contains("Running ·") && percent(s).is_some_and(|p| p > p_paused && p < 100)
    });
    let p3 = percent(&resumed).unwrap();
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");
    drop(tmux);

    // The sync goes on without the console.
    let (state, a) = synced(&home, &team);
    assert_eq!(state, "running");
    wait_until("the sync to advance without a console", 30, || {
        let (state, b) = synced(&home, &team);
        assert_eq!(state, "running", "the initial pass ended too soon");
        b > a
    });

    // Second console: the home screen shows the sync running; step 5 finds the same
    // sync further along.
    let tmux = console(&home, "deep2");
    let running = tmux.wait_long("the team's sync on the home screen", 30, |s| {
        home_row(s, &team).is_some_and(|r| r.contains("% · ETA"))
    });
    assert!(
        !home_row(&running, &team).unwrap().contains('⚠'),
        "{running}"
    );
    open_step5(&tmux, &team);
    let again = tmux.wait_long("the sync further along", 60, |s| {
        s.contains("Running ·") && percent(s).is_some_and(|p| p > p3 && p < 100)
    });
    assert!(!again.contains("No plan yet"), "{again}");
    let dead = worker_pid(&again).expect("the page names the worker");
    println!(
        "worker {dead} killed at {}% of the initial pass",
        percent(&again).unwrap()
    );
    tmux.keys(&["Escape"]);
    tmux.wait_text("Stage mapping");
    tmux.keys(&["Escape"]);
    tmux.wait_text("Alert / next");

    // The worker dies (SIGKILL: no chance to tidy up) while the engineer is on the home
    // screen: the team's alert says so.
    assert_eq!(
        icims_onboard::worker::live_worker_pid(&home.db()).unwrap(),
        Some(dead)
    );
    unsafe { libc::kill(dead as i32, libc::SIGKILL) };
    let alert = tmux.wait_long("the worker-gone alert", 30, |s| {
        home_row(s, &team).is_some_and(|r| r.contains("worker gone"))
    });
    let row = home_row(&alert, &team).unwrap();
    assert!(row.contains("⚠ deep sync worker gone"), "{alert}");
    assert!(alert.contains("1 with alerts"), "{alert}");
    // Gone for good (its process reaped by init, as the console that started it has
    // quit) before the engineer acts on the alert.
    wait_until("the killed worker to be reaped", 20, || {
        !std::path::Path::new(&format!("/proc/{dead}")).exists()
    });

    // `a` opens the page that explains the alert: step 5, which starts a new worker
    // that resumes from the checkpoint; then live.
    tmux.keys(&["a"]);
    tmux.wait_text("Step 5 · Deep sync");
    tmux.wait_long("a new worker", 30, |s| {
        worker_pid(s).is_some_and(|pid| pid != dead) || s.contains("— live")
    });
    let live = tmux.wait_long("live", 180, |s| s.contains("— live"));
    assert!(live.contains("Initial pass complete"), "{live}");
    assert!(live.contains("100%"), "{live}");
    let (state, _) = synced(&home, &team);
    assert_eq!(state, "live");

    // Back home: step 5 done, the team live, the alert gone.
    tmux.keys(&["Escape"]);
    tmux.wait_text("Stage mapping");
    tmux.keys(&["Escape"]);
    let home_screen = tmux.wait_long("home with the team live", 30, |s| {
        home_row(s, &team).is_some_and(|r| r.contains("live ·"))
    });
    let row = home_row(&home_screen, &team).unwrap();
    // Steps 1–5 done, step 6 next.
    assert!(row.contains("✓ ✓ ✓ ✓ ✓ ·"), "{home_screen}");
    assert!(!row.contains('⚠'), "{home_screen}");

    // Idle CPU of the console watching the live sync on step 5 (printed, not asserted).
    open_step5(&tmux, &team);
    tmux.wait_long("step 5 live", 30, |s| s.contains("— live"));
    std::thread::sleep(Duration::from_secs(3));
    let pid = console_pid(&tmux);
    let (t0, c0) = (Instant::now(), cpu_secs(pid));
    std::thread::sleep(Duration::from_secs(20));
    let (c1, wall) = (cpu_secs(pid), t0.elapsed().as_secs_f64());
    println!(
        "console CPU while watching a live sync: {:.2}% of a core ({:.2} s CPU in {wall:.0} s)",
        (c1 - c0) / wall * 100.0,
        c1 - c0
    );
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");
    drop(stop);
}

/// Stops the live sync and its worker when the walkthrough ends (or fails).
struct Stop<'a>(&'a common::Sandbox, &'a str);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        stop_sync(self.0, self.1);
    }
}

fn wait_until(what: &str, secs: u64, pred: impl Fn() -> bool) {
    let start = Instant::now();
    while !pred() {
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
