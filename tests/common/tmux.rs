//! A tmux harness for driving the console as a person would: a private server socket,
//! a fixed-size session, send-keys to type and capture-pane to read the screen.

use std::process::Command;
use std::time::{Duration, Instant};

use super::require_tool;

/// A tmux server on its own socket, killed on drop.
pub struct Tmux {
    socket: String,
    target: String,
}

impl Tmux {
    /// Starts `command` (a shell line) in a detached session of the given size.
    pub fn start(name: &str, width: u16, height: u16, command: &str) -> Tmux {
        require_tool("tmux");
        let socket = format!("icims-test-{name}-{}", std::process::id());
        let t = Tmux {
            socket,
            target: "t".into(),
        };
        let status = Command::new("tmux")
            .args([
                "-L",
                &t.socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "t",
            ])
            .args(["-x", &width.to_string(), "-y", &height.to_string()])
            .arg(command)
            .status()
            .expect("run tmux");
        assert!(status.success(), "tmux new-session failed");
        t
    }

    pub fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends tmux key names (Enter, Tab, Escape, or single characters).
    ///
    /// An Escape followed at once by another key reaches the console as one read,
    /// `ESC /`, which a terminal means as Alt-/; a person never types that fast, so a
    /// pause after Escape keeps the two keys apart.
    pub fn keys(&self, keys: &[&str]) {
        for (i, k) in keys.iter().enumerate() {
            self.tmux(&["send-keys", "-t", &self.target, k]);
            if matches!(*k, "Escape" | "Esc") && i + 1 < keys.len() {
                std::thread::sleep(Duration::from_millis(150));
            }
        }
    }

    /// Types literal text.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", &self.target, "-l", text]);
    }

    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", &self.target])
    }

    pub fn format(&self, fmt: &str) -> String {
        self.tmux(&["display-message", "-p", "-t", &self.target, fmt])
            .trim()
            .to_string()
    }

    /// Polls the screen until `pred` holds (or panics with the last screen after 30 s).
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait_long(what, 30, pred)
    }

    /// Polls the screen until `pred` holds (or panics with the last screen after `secs`).
    pub fn wait_long(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(secs) {
                panic!("timed out waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(text, |s| s.contains(text))
    }

    /// On step 3's page with the host key not pinned yet: `f` fetches, `y` pins the key
    /// it shows, `i` imports once the fetch job has ended. Returns the host-key prompt
    /// and the screen with the import's cut-off.
    pub fn fetch_and_import_export(&self) -> (String, String) {
        self.keys(&["f"]);
        let confirm = self.wait_text("y pins it");
        self.keys(&["y"]);
        // The files are listed while the fetch job is still closing; i waits for it to end.
        self.wait_for("the fetch done", |s| {
            s.contains("Files (3 fetched)") && s.contains("Fetch      done")
        });
        self.keys(&["i"]);
        (confirm, self.wait_text("Cut-off"))
    }

    /// From home with step 3 selected: opens step 4, discovers, accepts all ≥ 90 % and
    /// approves (confirming when rows are only suggested); stays on the page.
    pub fn approve_field_mapping(&self) {
        self.keys(&["j", "Enter"]);
        self.wait_text("press d to discover");
        self.keys(&["d"]);
        self.wait_text("Customer fields (");
        self.keys(&["A", "Enter"]);
        self.wait_text("at or above 90%");
        self.keys(&["p"]);
        let asked = self.wait_for("approved or asked", |s| {
            s.contains("only suggested") || s.contains("✓ approved by")
        });
        if asked.contains("only suggested") {
            self.keys(&["y"]);
        }
        self.wait_text("✓ approved by");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
