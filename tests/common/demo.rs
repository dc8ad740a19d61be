//! `icims-onboard demo` for walkthroughs: `demo --no-console` as a child process serving
//! the sandbox tenant to a test's home (stopped with SIGTERM on drop), the shell line that
//! runs the console (or `demo` itself) in tmux on that home, and stopping a deep sync and
//! its detached worker when a walkthrough ends.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use super::Sandbox;

/// A running `icims-onboard demo --no-console` and what it printed.
pub struct DemoTenant {
    child: Child,
    /// The team it prepared (its first stdout line).
    pub team: String,
    /// The SFTP server's host key as `SHA256:…` (from its second line).
    pub host_key: String,
}

impl DemoTenant {
    /// Starts `demo --no-console ARGS` on `home` and waits for the team name and the
    /// endpoints line.
    pub fn start(home: &Sandbox, args: &[&str]) -> DemoTenant {
        let mut child = home
            .command()
            .args(["demo", "--no-console"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn icims-onboard demo");
        let mut out = BufReader::new(child.stdout.take().expect("demo stdout"));
        let mut line = |what: &str| {
            let mut l = String::new();
            out.read_line(&mut l).expect("read demo stdout");
            if l.is_empty() {
                let status = child.wait().expect("wait for demo");
                panic!("demo exited ({status}) before printing {what}");
            }
            l.trim_end().to_string()
        };
        let team = line("the team name");
        let endpoints = line("the endpoints");
        let host_key = endpoints
            .split("host key ")
            .nth(1)
            .map(|k| k.trim_end_matches(')').to_string())
            .unwrap_or_else(|| panic!("no host key in demo's line: {endpoints}"));
        assert!(host_key.starts_with("SHA256:"), "{endpoints}");
        DemoTenant {
            child,
            team,
            host_key,
        }
    }
}

impl Drop for DemoTenant {
    fn drop(&mut self) {
        // SIGTERM: demo shuts its sandbox down and exits 0 (SIGKILL if it hangs).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = std::time::Instant::now();
        while matches!(self.child.try_wait(), Ok(None)) {
            if start.elapsed() > std::time::Duration::from_secs(10) {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.wait();
    }
}

pub fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// A shell line for tmux: the binary with `args` (already shell-safe) on `home`'s
/// database, key file and log; then `EXITED:<code>` and a pause so the pane stays.
pub fn console_line(home: &Sandbox, args: &str) -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_icims-onboard"));
    format!(
        "env ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} XDG_DATA_HOME={data} TERM=xterm-256color {bin} {args}; \
         echo EXITED:$?; sleep 60",
        db = shell_quote(&home.db()),
        log = shell_quote(&home.log()),
        cfg = shell_quote(&home.config_home()),
        data = shell_quote(&home.dir.path().join("xdg-data")),
        bin = shell_quote(&bin),
    )
}

/// Cancels `team`'s deep sync and stops the detached workers running it: the one holding
/// the worker lock and any holding the sync job's lease (a worker that started while
/// another held the lock runs without it). Waits (up to 10 s) for them to exit.
pub fn stop_sync(home: &Sandbox, team: &str) {
    let mut pids: Vec<i32> = rusqlite::Connection::open(home.db())
        .and_then(|c| {
            let mut stmt = c.prepare(
                "SELECT lease_owner FROM jobs WHERE kind = 'sync.deep' AND lease_owner IS NOT NULL",
            )?;
            let owners = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(owners)
        })
        .unwrap_or_default()
        .iter()
        .filter_map(|owner| owner.rsplit(':').nth(1)?.parse().ok())
        .collect();
    let _ = home.run(&["sync", "cancel", team], "");
    if let Ok(Some(pid)) = icims_onboard::worker::live_worker_pid(&home.db()) {
        pids.push(pid as i32);
    }
    pids.retain(|&p| p > 0 && p != std::process::id() as i32);
    for &pid in &pids {
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let start = std::time::Instant::now();
    while pids
        .iter()
        .any(|p| Path::new(&format!("/proc/{p}")).exists())
        && start.elapsed() < std::time::Duration::from_secs(10)
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
