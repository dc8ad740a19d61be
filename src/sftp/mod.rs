//! The export handoff client (ssh2, blocking): host-key pinning, directory listing and
//! resumable, checksummed downloads.
//!
//! Everything here blocks; async callers run it with `tokio::task::spawn_blocking` or on
//! a dedicated thread. The host key is checked before any credential is sent: an unknown
//! key is reported with its fingerprint ([`SftpError::HostKeyUnknown`]) so the caller can
//! ask for confirmation, a changed key is refused ([`SftpError::HostKeyChanged`]).

mod client;
mod download;
mod error;
mod host_key;
mod pins;
mod progress;

use std::time::Duration;

use secrecy::SecretString;

pub use client::{RemoteEntry, SftpClient, probe_host_key};
pub use download::{
    DownloadOutcome, DownloadRequest, partial_path, partial_state_path, sha256_file,
};
pub use error::SftpError;
pub use host_key::{HostKey, HostKeyCheck, fingerprint, normalize_fingerprint};
pub use pins::{
    HostKeyPin, TeamSftp, connect_for_team, forget_host_key, pin_host_key, pinned_host_key,
    probe_for_team, team_sftp,
};
pub use progress::{Progress, ProgressMeter, format_bytes};

/// How to authenticate.
#[derive(Clone)]
pub enum Auth {
    /// Password (or keyboard-interactive answered with the password).
    Password(SecretString),
    /// A private key file, with an optional passphrase.
    KeyFile {
        path: std::path::PathBuf,
        passphrase: Option<SecretString>,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Password(_) => f.write_str("Password(<redacted>)"),
            Auth::KeyFile { path, .. } => write!(f, "KeyFile({})", path.display()),
        }
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub auth: Auth,
    /// Limit for the TCP connect (per resolved address).
    pub connect_timeout: Duration,
    /// Limit for any single blocking SSH operation (a stalled transfer fails after this).
    pub stall_timeout: Duration,
}

impl ConnectOptions {
    /// Options with the default timeouts (10 s connect, 30 s stall).
    pub fn new(host: &str, port: u16, username: &str, auth: Auth) -> ConnectOptions {
        ConnectOptions {
            host: host.to_string(),
            port,
            username: username.to_string(),
            auth,
            connect_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(30),
        }
    }
}

/// Size of each read handed to libssh2. It keeps four times the buffer of a read in
/// flight, capped at 8 MiB (4 × its 2 MiB default window), so 2 MiB buffers fill its
/// pipeline: 8 MiB in flight is what hides a long round trip (OpenSSH's `sftp` keeps
/// 2 MiB). 32 KiB reads run at about a quarter of OpenSSH's speed on loopback.
pub const READ_CHUNK: usize = 2 * 1024 * 1024;

/// Sessions a large download is split over by default (one thread each: one ssh2
/// session serialises its reads, and libssh2 decrypts on the calling thread).
pub const DEFAULT_SESSIONS: usize = 4;

/// Files smaller than this are downloaded over the one session already open: a second
/// session costs a handshake and an authentication (several round trips).
pub const PARALLEL_MIN_SIZE: u64 = 16 * 1024 * 1024;
