//! The step 5 walkthrough in tmux, as an engineer would do it: a team with steps 1–4
//! approved through the CLI against a sandbox tenant served over TCP with 15 ms latency
//! (so the sync lasts long enough to watch), then the console: open step 5, plan, start
//! (confirmed), watch the gauges move, quit mid-sync, reopen and find the sync still
//! running and further along, then live. Finally the console's CPU while it watches the
//! idle live sync is measured and printed (a figure for the README, not an assertion).
//!
//! The `demo` command serves its tenant without latency (its 20,000-person sync ends in
//! about four seconds), so this walkthrough starts the same sandbox library itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::tmux::Tmux;
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};

const TEAM: &str = "Acme";

/// A tenant served on its own runtime (blocking CLI calls never starve it).
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

    fn info(&self) -> SandboxInfo {
        self.sb.as_ref().unwrap().info()
    }
}

impl Drop for Tenant {
    fn drop(&mut self) {
        if let Some(sb) = self.sb.take() {
            self.rt.block_on(sb.shutdown());
        }
    }
}

/// Steps 2–4 through the CLI: credentials, preflight, export imported, mapping approved.
fn approve_steps(home: &common::Sandbox, info: &SandboxInfo) {
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
    for (kind, id, secret) in [
        ("rest", &info.oauth.client_id, &info.oauth.client_secret),
        (
            "datastream",
            &info.datastream.client_id,
            &info.datastream.client_secret,
        ),
    ] {
        home.ok(
            &[
                "creds",
                "set",
                TEAM,
                "--kind",
                kind,
                "--client-id",
                id,
                "--secret-stdin",
            ],
            &format!("{secret}\n"),
        );
    }
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
    home.ok(&["check", TEAM], "");
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
    home.ok(&["mapping", "fields", "suggest", TEAM], "");
    home.ok(&["mapping", "fields", "approve", TEAM], "");
    // Two GETs in flight: with 15 ms per call the initial pass takes tens of seconds.
    home.ok(&["sync", "settings", TEAM, "--concurrency", "2"], "");
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn console(home: &common::Sandbox, name: &str) -> Tmux {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_icims-onboard"));
    let command = format!(
        "env ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} XDG_DATA_HOME={data} TERM=xterm-256color {bin}; \
         echo EXITED:$?; sleep 60",
        db = shell_quote(&home.db()),
        log = shell_quote(&home.log()),
        cfg = shell_quote(&home.config_home()),
        data = shell_quote(&home.dir.path().join("xdg-data")),
        bin = shell_quote(&bin),
    );
    Tmux::start(name, 120, 40, &command)
}

/// Home → the team → step 5's page.
fn open_step5(tmux: &Tmux) -> String {
    tmux.wait_text(TEAM);
    tmux.keys(&["Enter"]);
    tmux.wait_text("Basic sync");
    tmux.keys(&["k", "k", "k", "k", "k", "j", "j", "j", "j", "Enter"]);
    tmux.wait_text("Step 5 · Deep sync")
}

/// The percentage of the "Running · 42% done" (or "Progress 42% done") line.
fn percent(screen: &str) -> Option<u32> {
    let line = screen
        .lines()
        .find(|l| l.contains("Running ·") || l.contains("Progress "))?;
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

/// Waits (up to `secs`) for `pred`, polling the screen.
fn wait_long(tmux: &Tmux, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux.screen();
        if pred(&screen) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out waiting for {what}; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
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
fn plan_start_watch_quit_reopen_further_along_then_live() {
    let tenant = Tenant::start(SandboxConfig {
        seed: 7,
        people: 20_000,
        latency_ms: 15,
        ..Default::default()
    });
    let info = tenant.info();
    let home = common::Sandbox::new();
    approve_steps(&home, &info);

    // First console: plan, start, watch the gauges move, quit mid-sync.
    let tmux = console(&home, "deep1");
    let page = open_step5(&tmux);
    assert!(page.contains("No plan yet"), "{page}");
    tmux.keys(&["p"]);
    let plan = wait_long(&tmux, "the plan", 60, |s| {
        s.contains("Start (asks to confirm)")
    });
    assert!(plan.contains("Day by day"), "{plan}");
    assert!(plan.contains("GETs"), "{plan}");
    tmux.keys(&["s"]);
    tmux.wait_text("Start the deep sync now?");
    tmux.keys(&["y"]);
    let first = wait_long(&tmux, "the gauges to start", 60, |s| {
        percent(s).is_some_and(|p| (1..100).contains(&p))
    });
    assert!(first.contains("Worker pid"), "{first}");
    let p1 = percent(&first).unwrap();
    let moved = wait_long(&tmux, "the gauges to move", 60, |s| {
        percent(s).is_some_and(|p| p > p1 && p < 100)
    });
    let p2 = percent(&moved).unwrap();
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");
    drop(tmux);

    // The sync goes on without the console.
    let status: serde_json::Value =
        serde_json::from_str(&home.ok(&["sync", "status", TEAM, "--json"], "")).unwrap();
    assert_eq!(status["state"], "running", "{status}");

    // Second console: the same sync, further along; then live.
    let tmux = console(&home, "deep2");
    open_step5(&tmux);
    let again = wait_long(&tmux, "the sync further along", 60, |s| {
        percent(s).is_some_and(|p| p > p2) || s.contains("— live")
    });
    assert!(!again.contains("No plan yet"), "{again}");
    let live = wait_long(&tmux, "live", 180, |s| s.contains("— live"));
    assert!(live.contains("Initial pass complete"), "{live}");
    assert!(live.contains("100%"), "{live}");

    // Idle CPU of the console watching the live sync (printed, not asserted).
    std::thread::sleep(Duration::from_secs(3));
    let pid = console_pid(&tmux);
    let (t0, c0) = (Instant::now(), cpu_secs(pid));
    std::thread::sleep(Duration::from_secs(30));
    let (c1, wall) = (cpu_secs(pid), t0.elapsed().as_secs_f64());
    println!(
        "console CPU while watching a live sync: {:.2}% of a core ({:.2} s CPU in {wall:.0} s)",
        (c1 - c0) / wall * 100.0,
        c1 - c0
    );
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");

    // Stop the live sync and its worker (started by the console for this test).
    home.ok(&["sync", "cancel", TEAM], "");
    let lock = icims_onboard::worker::lock_path(&home.db());
    if let Some(pid) = std::fs::read_to_string(lock)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
        && icims_onboard::worker::live_worker_pid(&home.db())
            .ok()
            .flatten()
            .is_some()
    {
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
}
