//! The worker lock file (`<db>.worker.lock`): held with `flock` by a running worker,
//! with its pid inside; and starting a detached worker when none holds it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The lock file of the database at `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(".worker.lock");
    PathBuf::from(name)
}

fn open_lock(db: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(lock_path(db))
}

fn try_flock(file: &File) -> bool {
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

/// Held by a running worker (released when dropped or when the process dies).
pub struct WorkerLock {
    _file: Option<File>,
}

impl WorkerLock {
    /// Takes the lock if free. A second worker on the same database still runs (leases
    /// keep jobs exclusive); it just does not hold the lock.
    pub fn try_acquire(db: &Path) -> std::io::Result<WorkerLock> {
        let mut file = open_lock(db)?;
        if !try_flock(&file) {
            return Ok(WorkerLock { _file: None });
        }
        file.set_len(0)?;
        file.seek(SeekFrom::Start(0))?;
        writeln!(file, "{}", std::process::id())?;
        file.flush()?;
        Ok(WorkerLock { _file: Some(file) })
    }
}

/// The pid of the worker holding the lock, if one is alive.
pub fn live_worker_pid(db: &Path) -> std::io::Result<Option<u32>> {
    let mut file = match OpenOptions::new()
        .read(true)
        .write(true)
        .open(lock_path(db))
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    if try_flock(&file) {
        // Nobody holds it; release at once (dropping the file unlocks).
        return Ok(None);
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Some(text.trim().parse().unwrap_or(0)))
}

/// Whether a worker was already running or one was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerStatus {
    Running { pid: u32 },
    Started { pid: u32 },
}

/// Starts `<this binary> --db DB worker --until-idle` detached (new session, stdio to the
/// log file) unless a worker holds the lock. Call after queueing a job.
pub fn ensure_worker(db: &Path, log: &Path) -> std::io::Result<WorkerStatus> {
    if let Some(pid) = live_worker_pid(db)? {
        return Ok(WorkerStatus::Running { pid });
    }
    let exe = std::env::current_exe()?;
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let log_file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(log)?;
    let mut cmd = Command::new(exe);
    cmd.arg("--db")
        .arg(db)
        .arg("worker")
        .arg("--until-idle")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file);
    unsafe {
        // A new session: no controlling terminal, so a dropped SSH connection (SIGHUP)
        // does not reach the worker.
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd.spawn()?;
    let pid = child.id();
    // Reap it when it exits so it does not linger as a zombie while we run.
    std::thread::spawn(move || child.wait());
    Ok(WorkerStatus::Started { pid })
}
