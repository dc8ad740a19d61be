//! Resumable, verified downloads: bytes go to `<file>.part`, which a later attempt
//! continues from its current length; the finished file is checked by size (and by
//! SHA-256 when an expected digest is known) before it is renamed into place.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::READ_CHUNK;
use super::client::SftpClient;
use super::error::{SftpError, read_error};
use super::progress::{Progress, ProgressMeter};

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
}

/// The partial file of a download to `local`.
pub fn partial_path(local: &Path) -> PathBuf {
    let mut name = local.as_os_str().to_os_string();
    name.push(".part");
    PathBuf::from(name)
}

fn local_err(path: &Path) -> impl Fn(std::io::Error) -> SftpError + '_ {
    move |source| SftpError::Local {
        path: path.to_path_buf(),
        source,
    }
}

/// Hashes the first `len` bytes of an existing partial file.
fn hash_prefix(path: &Path, hasher: &mut Sha256) -> Result<u64, SftpError> {
    let mut file = File::open(path).map_err(local_err(path))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(local_err(path))?;
        if n == 0 {
            return Ok(total);
        }
        hasher.update(&buf[..n]);
        total += n as u64;
    }
}

impl SftpClient {
    /// Downloads `req.remote` to `req.local`, resuming from `<local>.part` if present,
    /// reporting progress (at most every 100 ms, plus a final report).
    ///
    /// On a lost connection or a stall the partial file stays for the next attempt.
    pub fn download(
        &self,
        req: &DownloadRequest<'_>,
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
        let mut hasher = Sha256::new();
        let mut resumed_from = 0;
        if let Ok(meta) = fs::metadata(&part) {
            if meta.len() <= size {
                resumed_from = hash_prefix(&part, &mut hasher)?;
            } else {
                // Longer than the remote file: it belongs to another version; start over.
                fs::remove_file(&part).map_err(local_err(&part))?;
            }
        }
        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&part)
            .map_err(local_err(&part))?;
        let mut file = self
            .sftp
            .open(Path::new(remote))
            .map_err(|e| self.err(e, remote, "opening"))?;
        if resumed_from > 0 {
            file.seek(SeekFrom::Start(resumed_from))
                .map_err(|e| read_error(e, remote, &self.host, self.port, self.stall_secs))?;
        }
        let mut meter = ProgressMeter::new(remote, size, resumed_from);
        if let Some(p) = meter.tick(resumed_from) {
            progress(&p);
        }
        // Network reads on this thread; writing and hashing on a helper thread, so the
        // two overlap (buffers are recycled; at most a few are in flight).
        let (bytes, read_result) = std::thread::scope(|scope| {
            let (full_tx, full_rx) = mpsc::sync_channel::<(Vec<u8>, usize)>(3);
            let (empty_tx, empty_rx) = mpsc::channel::<Vec<u8>>();
            let (out, hasher) = (&mut out, &mut hasher);
            let writer = scope.spawn(move || -> std::io::Result<()> {
                for (buf, n) in full_rx {
                    out.write_all(&buf[..n])?;
                    hasher.update(&buf[..n]);
                    let _ = empty_tx.send(buf);
                }
                out.sync_all()
            });
            let mut bytes = resumed_from;
            let mut result = Ok(());
            while bytes < size {
                if req.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                    result = Err(SftpError::Cancelled {
                        path: remote.to_string(),
                    });
                    break;
                }
                // Recycled buffers keep their full length: no re-zeroing per read.
                let mut buf = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| vec![0u8; READ_CHUNK]);
                let n = match file.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        result = Err(read_error(
                            e,
                            remote,
                            &self.host,
                            self.port,
                            self.stall_secs,
                        ));
                        break;
                    }
                };
                if n == 0 {
                    break;
                }
                if full_tx.send((buf, n)).is_err() {
                    break; // the writer failed; its error is reported below
                }
                bytes += n as u64;
                if let Some(p) = meter.tick(bytes) {
                    progress(&p);
                }
            }
            drop(full_tx);
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("writer thread panicked")));
            match (result, written) {
                (Err(e), _) => (bytes, Err(e)),
                (Ok(()), Err(e)) => (bytes, Err(local_err(&part)(e))),
                (Ok(()), Ok(())) => (bytes, Ok(())),
            }
        });
        read_result?;
        if bytes != size {
            let now = self.stat(remote).map(|s| s.size).unwrap_or(size);
            if now != size || bytes > size {
                let _ = fs::remove_file(&part);
                return Err(SftpError::RemoteChanged {
                    path: remote.to_string(),
                    expected: size,
                    found: now.max(bytes),
                });
            }
            return Err(SftpError::ConnectionLost {
                what: format!("reading {remote}"),
                reason: format!("the server ended the file at {bytes} of {size} bytes"),
            });
        }
        let sha256 = hex::encode(hasher.finalize());
        if let Some(expected) = &req.expected_sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            let _ = fs::remove_file(&part);
            return Err(SftpError::ChecksumMismatch {
                path: remote.to_string(),
                expected: expected.to_ascii_lowercase(),
                found: sha256,
            });
        }
        fs::rename(&part, req.local).map_err(local_err(req.local))?;
        progress(&meter.finish(bytes));
        Ok(DownloadOutcome {
            remote: remote.to_string(),
            local: req.local.to_path_buf(),
            size,
            mtime: stat.mtime,
            sha256,
            resumed_from,
            verified_digest: req.expected_sha256.is_some(),
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
