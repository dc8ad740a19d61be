//! Lease ownership: owner ids (`host:pid:nonce`), claiming a job by id, taking over
//! leases whose owner process died on this host, and renewing a lease from a helper
//! thread while the job runs.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::params;

use crate::store::{Job, Store, StoreError, now_text, now_unix};

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// A lease owner id for this process: `host:pid:nonce`.
pub fn owner_id() -> String {
    format!(
        "{}:{}:{:08x}",
        hostname(),
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Whether `owner` names a process on this host that no longer exists.
fn owner_is_dead(owner: &str) -> bool {
    let mut parts = owner.rsplitn(3, ':');
    let (_nonce, pid, host) = (parts.next(), parts.next(), parts.next());
    let (Some(pid), Some(host)) = (pid.and_then(|p| p.parse::<i32>().ok()), host) else {
        return false;
    };
    if host != hostname() || pid <= 0 {
        return false;
    }
    // Signal 0 checks existence; ESRCH means the process is gone.
    let rc = unsafe { libc::kill(pid, 0) };
    if rc != 0 {
        return std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
    }
    is_zombie(pid)
}

/// A process that exited but was not reaped yet (its parent quit, and init reaps it
/// when it gets to it): it runs nothing any more.
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let after = stat.rfind(')')?;
            stat.get(after + 2..)?.chars().next()
        })
        == Some('Z')
}

/// Whether a lease (owner, expiry in unix seconds) still stands for a live process: not
/// expired, and its owner, if on this host, still running. A worker that runs a job
/// without holding the lock file (it started while another held it) is alive by this.
pub fn lease_alive(owner: &str, expires_at: i64) -> bool {
    expires_at >= now_unix() && !owner_is_dead(owner)
}

/// Expires the leases of running jobs whose owner process died on this host, so they
/// can be claimed at once. Returns how many.
pub fn reap_dead_leases(store: &Store) -> Result<usize, StoreError> {
    let running: Vec<(i64, String)> = {
        let mut stmt = store.conn().prepare(
            "SELECT id, lease_owner FROM jobs WHERE state = 'running' AND lease_owner IS NOT NULL",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    let mut n = 0;
    for (id, owner) in running {
        if owner_is_dead(&owner) {
            n += store.conn().execute(
                "UPDATE jobs SET lease_expires_at = 0 WHERE id = ?1 AND lease_owner = ?2",
                params![id, owner],
            )?;
            tracing::warn!(job = id, %owner, "lease owner died; job can be resumed");
        }
    }
    Ok(n)
}

/// Claims job `id` if it is queued or its lease expired. `None` otherwise.
pub fn claim_job_by_id(
    store: &Store,
    id: i64,
    owner: &str,
    lease_secs: i64,
) -> Result<Option<Job>, StoreError> {
    let now = now_unix();
    let n = store.conn().execute(
        "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4
         WHERE id = ?1 AND (state = 'queued' OR (state = 'running' AND lease_expires_at < ?5))",
        params![id, owner, now + lease_secs, now_text(), now],
    )?;
    if n == 0 {
        return Ok(None);
    }
    store.job(id)
}

/// Renews a lease every third of its length until stopped; sets `cancel` if the lease
/// was lost (another worker took the job).
pub(crate) struct Renewer {
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Renewer {
    pub(crate) fn start(
        db: &Path,
        job_id: i64,
        owner: &str,
        lease_secs: i64,
        cancel: Arc<AtomicBool>,
    ) -> Renewer {
        let (tx, rx) = mpsc::channel::<()>();
        let db = db.to_path_buf();
        let owner = owner.to_string();
        let every = Duration::from_secs((lease_secs / 3).max(1) as u64);
        let thread = std::thread::spawn(move || {
            let store = match Store::open(&db) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "lease renewer cannot open the store");
                    return;
                }
            };
            loop {
                match rx.recv_timeout(every) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                match store.renew_lease(job_id, &owner, lease_secs) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(job = job_id, "lease lost; stopping the job");
                        cancel.store(true, Ordering::Relaxed);
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(job = job_id, error = %e, "lease renewal failed; retrying")
                    }
                }
            }
        });
        Renewer {
            stop: tx,
            thread: Some(thread),
        }
    }

    pub(crate) fn stop(mut self) {
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_owners_are_recognized() {
        let me = owner_id();
        assert!(!owner_is_dead(&me));
        // A pid far above pid_max on Linux never exists.
        let gone = format!("{}:{}:0000", hostname(), 99_999_999);
        assert!(owner_is_dead(&gone));
        assert!(!owner_is_dead("otherhost:99999999:0000"));
        assert!(!owner_is_dead("garbage"));
    }

    #[test]
    fn an_exited_unreaped_process_is_dead() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let start = std::time::Instant::now();
        while !is_zombie(pid) {
            assert!(start.elapsed() < Duration::from_secs(10), "never exited");
            std::thread::sleep(Duration::from_millis(10));
        }
        // Not reaped yet: kill(pid, 0) still succeeds, yet it is dead.
        assert_eq!(unsafe { libc::kill(pid, 0) }, 0);
        assert!(owner_is_dead(&format!("{}:{pid}:0000", hostname())));
        child.wait().unwrap();
        assert!(!is_zombie(std::process::id() as i32));
    }

    #[test]
    fn a_lease_is_alive_while_unexpired_and_its_owner_runs() {
        let me = owner_id();
        assert!(lease_alive(&me, now_unix() + 30));
        assert!(!lease_alive(&me, now_unix() - 1));
        let gone = format!("{}:{}:0000", hostname(), 99_999_999);
        assert!(!lease_alive(&gone, now_unix() + 30));
        // Another host's worker: its unexpired lease is all there is to go by.
        assert!(lease_alive("otherhost:1:0000", now_unix() + 30));
    }
}
