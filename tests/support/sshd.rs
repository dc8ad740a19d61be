//! A private OpenSSH sshd on a loopback port, with its own config, host key, log and a
//! dedicated test user (`icimsftp`), for the SFTP tests and the download benchmark.
//!
//! Needs root (to run sshd and create the user). Outside CI a missing sshd or a non-root
//! run makes [`Sshd::start`] return `None` (the caller prints why); with `CI=true` it
//! panics so the run fails loudly.
#![allow(dead_code)]

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";
pub const USER: &str = "icimsftp";

/// A running sshd; killed (with its sessions) on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    /// Served files live here (readable by the test user).
    pub files: PathBuf,
    pub password: String,
    /// `SHA256:...` as printed by `ssh-keygen -lf`.
    pub fingerprint: String,
    /// A private key authorized for the test user.
    pub client_key: PathBuf,
    pub log: PathBuf,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn unavailable(why: &str) -> Option<Sshd> {
    if in_ci() {
        panic!("OpenSSH sshd is required in CI but unavailable: {why}");
    }
    eprintln!("SKIPPED (not CI): OpenSSH sshd unavailable: {why}");
    None
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The test user's password: random per process, set once.
fn password() -> Result<&'static str, String> {
    static PASSWORD: OnceLock<Result<String, String>> = OnceLock::new();
    PASSWORD
        .get_or_init(|| {
            let pw = format!(
                "t-{:016x}{:08x}",
                (std::process::id() as u64 * 7919) ^ now_nanos(),
                std::process::id()
            );
            ensure_user()?;
            let mut child = Command::new("chpasswd")
                .stdin(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("chpasswd: {e}"))?;
            child
                .stdin
                .take()
                .ok_or("chpasswd stdin")?
                .write_all(format!("{USER}:{pw}\n").as_bytes())
                .map_err(|e| e.to_string())?;
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "chpasswd failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(pw)
        })
        .as_ref()
        .map(String::as_str)
        .map_err(Clone::clone)
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn ensure_user() -> Result<(), String> {
    let exists = Command::new("id")
        .arg(USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !exists {
        let r =
            run(Command::new("useradd").args(["-M", "-d", "/nonexistent", "-s", "/bin/sh", USER]));
        // Another test process may have created it meanwhile.
        if let Err(e) = r
            && !e.contains("already exists")
        {
            return Err(e);
        }
    }
    Ok(())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

impl Sshd {
    /// Starts a fresh sshd (own port, config, host key, served directory).
    pub fn start() -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            return unavailable("/usr/sbin/sshd not found (apt-get install openssh-server)");
        }
        if unsafe { libc::geteuid() } != 0 {
            return unavailable("tests must run as root to start sshd and create the test user");
        }
        match Sshd::try_start() {
            Ok(s) => Some(s),
            Err(e) => {
                if in_ci() {
                    panic!("cannot start sshd: {e}");
                }
                unavailable(&e)
            }
        }
    }

    fn try_start() -> Result<Sshd, String> {
        let password = password()?.to_string();
        fs::create_dir_all("/run/sshd").map_err(|e| e.to_string())?;
        let dir = tempfile::Builder::new()
            .prefix("icims-sshd-")
            .tempdir_in("/tmp")
            .map_err(|e| e.to_string())?
            .keep();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).map_err(|e| e.to_string())?;
        let files = dir.join("files");
        fs::create_dir_all(&files).map_err(|e| e.to_string())?;
        fs::set_permissions(&files, fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        let host_key = dir.join("host_ed25519");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key))?;
        let fp_line = run(Command::new("ssh-keygen")
            .arg("-lf")
            .arg(dir.join("host_ed25519.pub")))?;
        let fingerprint = fp_line
            .split_whitespace()
            .nth(1)
            .ok_or("ssh-keygen -lf printed no fingerprint")?
            .to_string();
        let client_key = dir.join("client_ed25519");
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&client_key))?;
        fs::copy(dir.join("client_ed25519.pub"), dir.join("authorized_keys"))
            .map_err(|e| e.to_string())?;
        fs::set_permissions(
            dir.join("authorized_keys"),
            fs::Permissions::from_mode(0o644),
        )
        .map_err(|e| e.to_string())?;
        let log = dir.join("sshd.log");
        let config = dir.join("sshd_config");
        let mut last_err = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            fs::write(
                &config,
                format!(
                    "ListenAddress 127.0.0.1\nPort {port}\nHostKey {hk}\nPidFile {dir}/sshd.pid\n\
                     AuthorizedKeysFile {dir}/authorized_keys\nStrictModes no\nUsePAM no\n\
                     PasswordAuthentication yes\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                     PermitRootLogin no\nAllowUsers {USER}\nSubsystem sftp internal-sftp\n\
                     ForceCommand internal-sftp\nLogLevel INFO\nMaxStartups 100\nMaxSessions 50\n",
                    hk = host_key.display(),
                    dir = dir.display(),
                ),
            )
            .map_err(|e| e.to_string())?;
            let log_file = fs::File::create(&log).map_err(|e| e.to_string())?;
            let mut child = Command::new(SSHD)
                .arg("-D")
                .arg("-e")
                .arg("-f")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .map_err(|e| format!("{SSHD}: {e}"))?;
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    last_err = format!(
                        "sshd exited ({status}): {}",
                        fs::read_to_string(&log).unwrap_or_default()
                    );
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Ok(Sshd {
                        child,
                        port,
                        dir,
                        files,
                        password,
                        fingerprint,
                        client_key,
                        log,
                    });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_err = "sshd did not start listening within 10 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(last_err)
    }

    /// Writes a served file (world-readable) and returns its absolute path.
    pub fn put(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.files.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
            fs::set_permissions(parent, fs::Permissions::from_mode(0o755)).unwrap();
        }
        fs::write(&path, bytes).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        path.to_string_lossy().into_owned()
    }

    /// Absolute remote path of a served file.
    pub fn remote(&self, name: &str) -> String {
        self.files.join(name).to_string_lossy().into_owned()
    }

    /// Kills the per-connection sshd processes (cuts every open session) but keeps the
    /// listener running. Returns how many processes were killed.
    pub fn cut_connections(&self) -> usize {
        let mut killed = 0;
        for pid in descendants(self.child.id()) {
            unsafe {
                libc::kill(pid as i32, libc::SIGKILL);
            }
            killed += 1;
        }
        killed
    }

    /// The sshd log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// All descendants of `pid` (from /proc).
fn descendants(pid: u32) -> Vec<u32> {
    let mut parent_of: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(child) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid ...: comm may contain spaces, so split after ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                continue;
            };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
                parent_of.push((child, ppid));
            }
        }
    }
    let mut out = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        for &(c, pp) in &parent_of {
            if pp == p {
                out.push(c);
                frontier.push(c);
            }
        }
    }
    out
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.cut_connections();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}
