//! Shared helpers for integration tests: running the built binary on a private database,
//! key file and log, and requiring external tools loudly.

#![allow(dead_code)]

pub mod demo;
pub mod tmux;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A private home for one test: database, config (key file) and log under a temp dir.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("data").join("onboard.db")
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("data").join("onboard.log")
    }

    pub fn config_home(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// The binary with this sandbox's environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_icims-onboard"));
        cmd.env("ICIMS_ONBOARD_DB", self.db())
            .env("ICIMS_ONBOARD_LOG", self.log())
            .env("ICIMS_ONBOARD_LOG_LEVEL", "trace")
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("XDG_DATA_HOME", self.dir.path().join("xdg-data"))
            .env_remove("ICIMS_ONBOARD_KEY")
            .env_remove("ICIMS_ONBOARD_KEY_FILE")
            .env_remove("NO_COLOR");
        cmd
    }

    /// Runs with `args`, feeding `stdin`.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn icims-onboard");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    }

    /// Runs and asserts success; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// Fails the test when a tool the test needs is missing (loudly in CI and locally alike).
pub fn require_tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => p,
        None => panic!(
            "this test needs `{name}` on PATH (CI installs it in .ci/run); it is missing{}",
            if std::env::var_os("CI").is_some() {
                " in CI"
            } else {
                ""
            }
        ),
    }
}

/// Every file whose name starts with the database file's name (db, -wal, -shm).
pub fn db_files(db: &Path) -> Vec<PathBuf> {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(&name))
        .collect()
}

/// True when `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
