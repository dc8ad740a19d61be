//! Resumable, verified downloads, over one session or split in ranges over several.
//!
//! Bytes are written in place into `<file>.part` (sized to the remote file). Next to it,
//! `<file>.part.state` records which server file they came from (path, size, mtime) and
//! how far each range got. A later attempt resumes every range where it stopped, but
//! only when the server's file still has the recorded size and mtime; otherwise the file
//! starts over and the progress reports and the outcome say why. Ranges are handed out
//! from a queue, so a session that connects late or dies leaves its work to the others.
//! The file is hashed (SHA-256, in order, following the downloaded prefix while ranges
//! are still in flight), checked against an expected digest when one is known, synced
//! and renamed into place.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::client::SftpClient;
use super::error::{SftpError, read_error};
use super::host_key::HostKeyCheck;
use super::progress::{Progress, ProgressMeter};
use super::{PARALLEL_MIN_SIZE, READ_CHUNK};

/// What to download and where.
pub struct DownloadRequest<'a> {
    pub remote: &'a str,
    pub local: &'a Path,
    /// Expected SHA-256 (hex), e.g. from a `.sha256` file next to the export.
    pub expected_sha256: Option<String>,
    /// Set from another thread to stop between reads (the partial file is kept).
    pub cancel: Option<&'a AtomicBool>,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownloadOutcome {
    pub remote: String,
    pub local: PathBuf,
    pub size: u64,
    pub mtime: Option<u64>,
    /// Hex SHA-256 of the whole local file.
    pub sha256: String,
    /// Bytes that were already present from an interrupted attempt.
    pub resumed_from: u64,
    /// Whether the SHA-256 was checked against an expected digest.
    pub verified_digest: bool,
    /// Sessions that transferred data (1 for small files).
    pub sessions: usize,
    /// Why a partial file from an interrupted attempt was not resumed, if one was found.
    pub restarted: Option<String>,
}

/// The partial file of a download to `local`.
pub fn partial_path(local: &Path) -> PathBuf {
    let mut name = local.as_os_str().to_os_string();
    name.push(".part");
    PathBuf::from(name)
}

/// Where the identity and per-range progress of `partial_path(local)` are kept.
pub fn partial_state_path(local: &Path) -> PathBuf {
    let mut name = local.as_os_str().to_os_string();
    name.push(".part.state");
    PathBuf::from(name)
}

fn local_err(path: &Path) -> impl Fn(std::io::Error) -> SftpError + '_ {
    move |source| SftpError::Local {
        path: path.to_path_buf(),
        source,
    }
}

/// The record kept next to a partial file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PartState {
    remote: String,
    size: u64,
    mtime: Option<u64>,
    /// Length of each range (the last one may be shorter).
    range: u64,
    /// Bytes done from the start of each range.
    done: Vec<u64>,
}

impl PartState {
    fn bounds(&self, i: usize) -> (u64, u64) {
        let start = i as u64 * self.range;
        (start, (start + self.range).min(self.size))
    }

    fn ranges(size: u64, range: u64) -> usize {
        if size == 0 {
            1
        } else {
            size.div_ceil(range) as usize
        }
    }

    fn consistent(&self) -> bool {
        self.range > 0
            && self.done.len() == PartState::ranges(self.size, self.range)
            && (0..self.done.len()).all(|i| {
                let (s, e) = self.bounds(i);
                self.done[i] <= e - s
            })
    }

    fn write(&self, path: &Path) -> Result<(), SftpError> {
        let mut tmp = path.as_os_str().to_os_string();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let text = serde_json::to_vec(self)
            .map_err(|e| local_err(path)(std::io::Error::other(e.to_string())))?;
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(local_err(&tmp))?;
        std::io::Write::write_all(&mut f, &text).map_err(local_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(local_err(path))
    }
}

/// Range length for a new download of `size` bytes over `sessions` sessions: about two
/// ranges per session (a late or failed session leaves work the others pick up), at
/// least 8 MiB each (every range ends with one round trip of an emptying pipeline).
fn range_len(size: u64, sessions: usize) -> u64 {
    if sessions <= 1 || size < PARALLEL_MIN_SIZE {
        return size.max(1);
    }
    let want = size.div_ceil(2 * sessions as u64);
    want.max(8 * 1024 * 1024).div_ceil(1 << 20) * (1 << 20)
}

fn utc(mtime: Option<u64>) -> String {
    mtime
        .and_then(|m| chrono::DateTime::from_timestamp(m as i64, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Decides whether the partial file of an earlier attempt can be resumed. Returns the
/// state to resume, or `None` plus why the earlier bytes were discarded (if any were).
fn resume_plan(
    part: &Path,
    state_path: &Path,
    remote: &str,
    size: u64,
    mtime: Option<u64>,
) -> (Option<PartState>, Option<String>) {
    let part_len = match fs::metadata(part) {
        Ok(m) => m.len(),
        Err(_) => return (None, None),
    };
    let state: Option<PartState> = fs::read(state_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let why = match state {
        None => "the partial file has no record of the server file it came from".to_string(),
        Some(s) if s.remote != remote => {
            format!(
                "the partial file came from another server path ({})",
                s.remote
            )
        }
        Some(s) if s.size != size || s.mtime != mtime => format!(
            "the server's file changed since the interrupted download (size {} → {} bytes, modified {} → {})",
            s.size,
            size,
            utc(s.mtime),
            utc(mtime)
        ),
        Some(s) if !s.consistent() || part_len != size => {
            "the partial file does not match its record".to_string()
        }
        Some(s) => return (Some(s), None),
    };
    (None, Some(format!("started over: {why}")))
}

/// What the range workers share.
struct Ranges<'a> {
    remote: &'a str,
    part: &'a File,
    part_path: &'a Path,
    state: PartState,
    done: Vec<AtomicU64>,
    queue: Mutex<VecDeque<usize>>,
    /// Set on an error no other session can get past (local disk, remote change).
    stop: AtomicBool,
    cancel: Option<&'a AtomicBool>,
    running: AtomicUsize,
    /// Sessions that transferred at least one byte.
    active: AtomicUsize,
}

impl Ranges<'_> {
    fn bytes_done(&self) -> u64 {
        self.done.iter().map(|d| d.load(Ordering::Acquire)).sum()
    }

    /// End of the contiguous downloaded prefix of the file.
    fn watermark(&self) -> u64 {
        for (i, d) in self.done.iter().enumerate() {
            let (start, end) = self.state.bounds(i);
            let d = d.load(Ordering::Acquire);
            if start + d < end {
                return start + d;
            }
        }
        self.state.size
    }

    fn snapshot(&self) -> PartState {
        PartState {
            done: self
                .done
                .iter()
                .map(|d| d.load(Ordering::Acquire))
                .collect(),
            ..self.state.clone()
        }
    }

    fn take(&self) -> Option<usize> {
        self.queue.lock().ok()?.pop_front()
    }

    fn give_back(&self, i: usize) {
        if let Ok(mut q) = self.queue.lock() {
            q.push_front(i);
        }
    }

    fn halted(&self) -> bool {
        self.stop.load(Ordering::Relaxed) || self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }

    /// Downloads ranges from the queue over one session until the queue is empty.
    fn work(&self, client: &SftpClient) -> Result<(), SftpError> {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut handle: Option<ssh2::File> = None;
        let mut counted = false;
        while let Some(i) = self.take() {
            let (start, end) = self.state.bounds(i);
            let mut offset = start + self.done[i].load(Ordering::Acquire);
            if offset >= end {
                continue;
            }
            if handle.is_none() {
                match client.sftp.open(Path::new(self.remote)) {
                    Ok(f) => handle = Some(f),
                    Err(e) => {
                        self.give_back(i);
                        return Err(client.err(e, self.remote, "opening"));
                    }
                }
            }
            let Some(file) = handle.as_mut() else {
                self.give_back(i);
                return Ok(());
            };
            let read_err =
                |e| read_error(e, self.remote, &client.host, client.port, client.stall_secs);
            if let Err(e) = file.seek(SeekFrom::Start(offset)) {
                self.give_back(i);
                return Err(read_err(e));
            }
            while offset < end {
                if self.halted() {
                    self.give_back(i);
                    return Ok(());
                }
                // libssh2 keeps 4 × the buffer in flight: ask for no more than what is
                // left of the range, so nothing past its end is requested.
                let left = end - offset;
                let want = (left / 4).max(left.min(32 * 1024)).min(READ_CHUNK as u64) as usize;
                let n = match file.read(&mut buf[..want]) {
                    Ok(0) => {
                        self.give_back(i);
                        self.stop.store(true, Ordering::Relaxed);
                        let now = client.stat(self.remote).map(|s| s.size).unwrap_or(0);
                        return Err(SftpError::RemoteChanged {
                            path: self.remote.to_string(),
                            expected: self.state.size,
                            found: now,
                        });
                    }
                    Ok(n) => n,
                    Err(e) => {
                        self.give_back(i);
                        return Err(read_err(e));
                    }
                };
                if let Err(e) = self.part.write_all_at(&buf[..n], offset) {
                    self.give_back(i);
                    self.stop.store(true, Ordering::Relaxed);
                    return Err(local_err(self.part_path)(e));
                }
                offset += n as u64;
                self.done[i].store(offset - start, Ordering::Release);
                if !counted {
                    counted = true;
                    self.active.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        Ok(())
    }
}

impl SftpClient {
    /// Downloads `req.remote` to `req.local` over this session, resuming an interrupted
    /// attempt when the server's file is unchanged, reporting progress (at most every
    /// 100 ms, plus a final report).
    ///
    /// On a lost connection or a stall the partial file stays for the next attempt.
    pub fn download(
        &self,
        req: &DownloadRequest<'_>,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<DownloadOutcome, SftpError> {
        self.download_ranged(req, 1, progress)
    }

    /// Like [`SftpClient::download`], but a file of at least
    /// [`PARALLEL_MIN_SIZE`](super::PARALLEL_MIN_SIZE) bytes is split in ranges fetched
    /// over up to `sessions` sessions at once (this one plus `sessions - 1` more, opened
    /// with the same options and required to present the same host key), each on its own
    /// thread. A session that cannot connect or dies leaves its ranges to the others.
    pub fn download_ranged(
        &self,
        req: &DownloadRequest<'_>,
        sessions: usize,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<DownloadOutcome, SftpError> {
        let remote = req.remote;
        let stat = self.stat(remote)?;
        if stat.is_dir {
            return Err(SftpError::NotAFile {
                path: remote.to_string(),
            });
        }
        let size = stat.size;
        if let Some(dir) = req.local.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(local_err(dir))?;
        }
        let part = partial_path(req.local);
        let state_path = partial_state_path(req.local);
        let (resume, restarted) = resume_plan(&part, &state_path, remote, size, stat.mtime);
        if let Some(why) = &restarted {
            tracing::info!(file = %remote, "{why}");
        }
        let state = match resume {
            Some(s) => s,
            None => {
                let _ = fs::remove_file(&part);
                let range = range_len(size, sessions);
                PartState {
                    remote: remote.to_string(),
                    size,
                    mtime: stat.mtime,
                    range,
                    done: vec![0; PartState::ranges(size, range)],
                }
            }
        };
        let out = OpenOptions::new()
            .create(true)
            .read(true)
            .write(true)
            .truncate(false)
            .mode(0o600)
            .open(&part)
            .map_err(local_err(&part))?;
        out.set_len(size).map_err(local_err(&part))?;
        state.write(&state_path)?;
        let resumed_from: u64 = state.done.iter().sum();
        let n_ranges = state.done.len();
        let ranges = Ranges {
            remote,
            part: &out,
            part_path: &part,
            done: state.done.iter().map(|&d| AtomicU64::new(d)).collect(),
            queue: Mutex::new((0..n_ranges).collect()),
            state,
            stop: AtomicBool::new(false),
            cancel: req.cancel,
            running: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
        };
        let mut meter = ProgressMeter::new(remote, size, resumed_from).with_note(restarted.clone());
        if let Some(p) = meter.tick(resumed_from) {
            progress(&p);
        }
        let workers = sessions.clamp(1, n_ranges.max(1));
        let mut hasher = Sha256::new();
        let mut hashed = 0u64;
        let mut hash_buf = vec![0u8; 4 << 20];
        let (errors, hash_result) = std::thread::scope(|scope| {
            let ranges = &ranges;
            let mut handles = Vec::new();
            ranges.running.store(workers, Ordering::SeqCst);
            handles.push(scope.spawn(move || {
                let r = ranges.work(self);
                ranges.running.fetch_sub(1, Ordering::SeqCst);
                r
            }));
            for _ in 1..workers {
                let opts = self.options.clone();
                let check = HostKeyCheck::Pinned(self.host_key().fingerprint.clone());
                handles.push(scope.spawn(move || {
                    let r = match SftpClient::connect(&opts, &check) {
                        Ok(extra) => {
                            let r = ranges.work(&extra);
                            extra.close();
                            r
                        }
                        Err(e) => {
                            // The other sessions take its ranges.
                            tracing::info!(error = %e, "extra SFTP session not opened");
                            Ok(())
                        }
                    };
                    ranges.running.fetch_sub(1, Ordering::SeqCst);
                    r
                }));
            }
            // This thread hashes the downloaded prefix, reports progress and records the
            // ranges' progress for a resume.
            let mut last_checkpoint = Instant::now();
            let mut hash_result = Ok(());
            loop {
                let finished = ranges.running.load(Ordering::SeqCst) == 0;
                let mark = ranges.watermark();
                while hashed < mark && hash_result.is_ok() {
                    let n = (mark - hashed).min(hash_buf.len() as u64) as usize;
                    match out.read_exact_at(&mut hash_buf[..n], hashed) {
                        Ok(()) => {
                            hasher.update(&hash_buf[..n]);
                            hashed += n as u64;
                        }
                        Err(e) => {
                            ranges.stop.store(true, Ordering::Relaxed);
                            hash_result = Err(local_err(&part)(e));
                        }
                    }
                }
                if let Some(p) = meter.tick(ranges.bytes_done()) {
                    progress(&p);
                }
                if last_checkpoint.elapsed() >= Duration::from_millis(500) {
                    last_checkpoint = Instant::now();
                    let _ = ranges.snapshot().write(&state_path);
                }
                if finished {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let errors: Vec<SftpError> = handles
                .into_iter()
                .filter_map(|h| match h.join() {
                    Ok(r) => r.err(),
                    Err(_) => Some(SftpError::ConnectionLost {
                        what: format!("reading {remote}"),
                        reason: "a download thread panicked".into(),
                    }),
                })
                .collect();
            (errors, hash_result)
        });
        let snapshot = ranges.snapshot();
        let bytes = ranges.bytes_done();
        let complete = bytes == size && hashed == size;
        if !complete {
            hash_result?;
            let _ = snapshot.write(&state_path);
            if !errors.is_empty() {
                // A session-local failure (lost connection) matters less than one that
                // stopped every session (disk, remote change).
                let mut errors = errors;
                let first = errors.iter().position(|e| !e.is_transient()).unwrap_or(0);
                let e = errors.swap_remove(first);
                if matches!(e, SftpError::RemoteChanged { .. }) {
                    let _ = fs::remove_file(&part);
                    let _ = fs::remove_file(&state_path);
                }
                return Err(e);
            }
            if req.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(SftpError::Cancelled {
                    path: remote.to_string(),
                });
            }
            return Err(SftpError::ConnectionLost {
                what: format!("reading {remote}"),
                reason: format!("the download stopped at {bytes} of {size} bytes"),
            });
        }
        // A file rewritten on the server while we read it may mix two versions.
        if let Ok(now) = self.stat(remote)
            && (now.size != size || now.mtime != stat.mtime)
        {
            let _ = fs::remove_file(&part);
            let _ = fs::remove_file(&state_path);
            return Err(SftpError::RemoteChanged {
                path: remote.to_string(),
                expected: size,
                found: now.size,
            });
        }
        let sha256 = hex::encode(hasher.finalize());
        if let Some(expected) = &req.expected_sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            let _ = fs::remove_file(&part);
            let _ = fs::remove_file(&state_path);
            return Err(SftpError::ChecksumMismatch {
                path: remote.to_string(),
                expected: expected.to_ascii_lowercase(),
                found: sha256,
            });
        }
        out.sync_all().map_err(local_err(&part))?;
        let sessions = ranges.active.load(Ordering::Relaxed).max(1);
        drop(ranges);
        drop(out);
        fs::rename(&part, req.local).map_err(local_err(req.local))?;
        let _ = fs::remove_file(&state_path);
        progress(&meter.finish(bytes));
        Ok(DownloadOutcome {
            remote: remote.to_string(),
            local: req.local.to_path_buf(),
            size,
            mtime: stat.mtime,
            sha256,
            resumed_from,
            verified_digest: req.expected_sha256.is_some(),
            sessions,
            restarted,
        })
    }

    /// The digest published next to `remote` as `<remote>.sha256` (first hex word), if any.
    pub fn published_sha256(&self, remote: &str) -> Result<Option<String>, SftpError> {
        let sidecar = format!("{remote}.sha256");
        match self.read_small(&sidecar, 4096) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                Ok(text
                    .split_whitespace()
                    .next()
                    .filter(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()))
                    .map(str::to_ascii_lowercase))
            }
            Err(SftpError::NoSuchPath { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// SHA-256 (hex) of a local file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(size: u64, range: u64) -> PartState {
        PartState {
            remote: "/x/people.csv".into(),
            size,
            mtime: Some(1_700_000_000),
            range,
            done: vec![0; PartState::ranges(size, range)],
        }
    }

    #[test]
    fn ranges_cover_the_file_exactly() {
        let mib = 1 << 20;
        assert_eq!(range_len(5 * mib, 4), 5 * mib, "small files: one range");
        assert_eq!(range_len(200 * mib, 1), 200 * mib, "one session: one range");
        assert_eq!(range_len(200 * mib, 4), 25 * mib);
        assert_eq!(range_len(50 * mib, 4), 8 * mib, "at least 8 MiB a range");
        let s = state(200 * mib + 7, range_len(200 * mib + 7, 4));
        let mut covered = 0;
        for i in 0..s.done.len() {
            let (a, b) = s.bounds(i);
            assert_eq!(a, covered);
            assert!(b > a);
            covered = b;
        }
        assert_eq!(covered, 200 * mib + 7);
        assert!(s.consistent());
        let empty = state(0, range_len(0, 4));
        assert_eq!(empty.done.len(), 1);
        assert_eq!(empty.bounds(0), (0, 0));
    }

    #[test]
    fn resume_needs_the_same_server_file() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("f.part");
        let st = dir.path().join("f.part.state");
        // No partial file: a fresh start, nothing to explain.
        assert_eq!(
            resume_plan(&part, &st, "/x/people.csv", 10, Some(1)),
            (None, None)
        );
        fs::write(&part, vec![0u8; 100]).unwrap();
        let (plan, why) = resume_plan(&part, &st, "/x/people.csv", 100, Some(1_700_000_000));
        assert!(plan.is_none());
        assert!(why.unwrap().contains("no record"));
        let mut s = state(100, 100);
        s.done = vec![40];
        s.write(&st).unwrap();
        let (plan, why) = resume_plan(&part, &st, "/x/people.csv", 100, Some(1_700_000_000));
        assert_eq!(plan, Some(s.clone()));
        assert_eq!(why, None);
        // Same size, other mtime: started over, and the reason names both.
        let (plan, why) = resume_plan(&part, &st, "/x/people.csv", 100, Some(1_700_000_060));
        assert!(plan.is_none());
        let why = why.unwrap();
        assert!(
            why.contains("changed since the interrupted download"),
            "{why}"
        );
        assert!(
            why.contains("2023-11-14 22:13:20 UTC → 2023-11-14 22:14:20 UTC"),
            "{why}"
        );
        // Other size.
        let (plan, why) = resume_plan(&part, &st, "/x/people.csv", 99, Some(1_700_000_000));
        assert!(plan.is_none());
        assert!(why.unwrap().contains("100 → 99 bytes"));
        // Another remote path.
        let (plan, why) = resume_plan(&part, &st, "/y/people.csv", 100, Some(1_700_000_000));
        assert!(plan.is_none());
        assert!(why.unwrap().contains("another server path"));
    }
}
