//! SFTP errors, each named for what the engineer has to do about it.

use std::path::PathBuf;

/// Everything the SFTP client reports.
#[derive(Debug, thiserror::Error)]
pub enum SftpError {
    #[error("host unreachable: cannot connect to {host}:{port}: {reason}")]
    Unreachable {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("timed out {what} ({host}:{port}) after {secs} s")]
    Timeout {
        host: String,
        port: u16,
        what: String,
        secs: u64,
    },
    #[error("SSH handshake with {host}:{port} failed: {reason}")]
    Handshake {
        host: String,
        port: u16,
        reason: String,
    },
    #[error(
        "unknown host key for {host}:{port}: {key_type} {fingerprint}; confirm it with the customer, then accept it (--accept-host-key {fingerprint})"
    )]
    HostKeyUnknown {
        host: String,
        port: u16,
        key_type: String,
        fingerprint: String,
    },
    #[error(
        "WARNING: host key of {host}:{port} CHANGED: pinned {pinned}, server presented {presented}; refusing to connect and nothing was transferred (someone may be intercepting the connection, or the customer rotated the key: confirm with them before re-pinning)"
    )]
    HostKeyChanged {
        host: String,
        port: u16,
        pinned: String,
        presented: String,
    },
    #[error(
        "--accept-host-key {given} does not match the key {host}:{port} presented ({presented}); nothing was pinned"
    )]
    HostKeyNotAccepted {
        host: String,
        port: u16,
        given: String,
        presented: String,
    },
    #[error("authentication failed for user {username:?} on {host}:{port} ({method})")]
    AuthFailed {
        username: String,
        host: String,
        port: u16,
        method: String,
    },
    #[error("permission denied: {path}")]
    PermissionDenied { path: String },
    #[error("no such path on the server: {path}")]
    NoSuchPath { path: String },
    #[error("{path} is a directory, not a file")]
    NotAFile { path: String },
    #[error("connection lost during {what}: {reason}")]
    ConnectionLost { what: String, reason: String },
    #[error("{path} changed on the server during the download (size {expected} → {found})")]
    RemoteChanged {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error(
        "checksum mismatch for {path}: expected SHA-256 {expected}, downloaded {found}; the partial file was discarded"
    )]
    ChecksumMismatch {
        path: String,
        expected: String,
        found: String,
    },
    #[error("local file {path}: {source}")]
    Local {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("download of {path} cancelled")]
    Cancelled { path: String },
    #[error("SFTP error on {path}: {reason}")]
    Sftp { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Config(String),
}

impl SftpError {
    /// A short stable name for the error kind (JSON output, job errors, tests).
    pub fn kind(&self) -> &'static str {
        match self {
            SftpError::Unreachable { .. } => "host_unreachable",
            SftpError::Timeout { .. } => "timeout",
            SftpError::Handshake { .. } => "handshake",
            SftpError::HostKeyUnknown { .. } => "host_key_unknown",
            SftpError::HostKeyChanged { .. } => "host_key_changed",
            SftpError::HostKeyNotAccepted { .. } => "host_key_not_accepted",
            SftpError::AuthFailed { .. } => "auth_failed",
            SftpError::PermissionDenied { .. } => "permission_denied",
            SftpError::NoSuchPath { .. } => "no_such_path",
            SftpError::NotAFile { .. } => "not_a_file",
            SftpError::ConnectionLost { .. } => "connection_lost",
            SftpError::RemoteChanged { .. } => "remote_changed",
            SftpError::ChecksumMismatch { .. } => "checksum_mismatch",
            SftpError::Local { .. } => "local_io",
            SftpError::Cancelled { .. } => "cancelled",
            SftpError::Sftp { .. } => "sftp",
            SftpError::Store(_) => "store",
            SftpError::Config(_) => "config",
        }
    }

    /// Whether retrying the same operation later may succeed (connection trouble).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SftpError::Unreachable { .. }
                | SftpError::Timeout { .. }
                | SftpError::ConnectionLost { .. }
        )
    }
}

// libssh2 codes we classify (from libssh2.h / libssh2_sftp.h).
const LIBSSH2_ERROR_SOCKET_SEND: i32 = -7;
const LIBSSH2_ERROR_TIMEOUT: i32 = -9;
const LIBSSH2_ERROR_SOCKET_DISCONNECT: i32 = -13;
const LIBSSH2_ERROR_SOCKET_TIMEOUT: i32 = -30;
const LIBSSH2_ERROR_SOCKET_RECV: i32 = -43;
const LIBSSH2_ERROR_CHANNEL_CLOSED: i32 = -26;
const LIBSSH2_ERROR_CHANNEL_EOF_SENT: i32 = -27;
const LIBSSH2_ERROR_BAD_USE: i32 = -39;
const FX_NO_SUCH_FILE: i32 = 2;
const FX_PERMISSION_DENIED: i32 = 3;
const FX_NO_SUCH_PATH: i32 = 10;

/// What went wrong with an ssh2 call, classified.
pub(crate) enum Ssh2Kind {
    NoSuchPath,
    PermissionDenied,
    Timeout,
    Disconnected,
    Other,
}

pub(crate) fn classify(e: &ssh2::Error) -> Ssh2Kind {
    match e.code() {
        ssh2::ErrorCode::SFTP(FX_NO_SUCH_FILE) | ssh2::ErrorCode::SFTP(FX_NO_SUCH_PATH) => {
            Ssh2Kind::NoSuchPath
        }
        ssh2::ErrorCode::SFTP(FX_PERMISSION_DENIED) => Ssh2Kind::PermissionDenied,
        ssh2::ErrorCode::Session(LIBSSH2_ERROR_TIMEOUT)
        | ssh2::ErrorCode::Session(LIBSSH2_ERROR_SOCKET_TIMEOUT) => Ssh2Kind::Timeout,
        ssh2::ErrorCode::Session(
            LIBSSH2_ERROR_SOCKET_SEND
            | LIBSSH2_ERROR_SOCKET_RECV
            | LIBSSH2_ERROR_SOCKET_DISCONNECT
            | LIBSSH2_ERROR_CHANNEL_CLOSED
            | LIBSSH2_ERROR_CHANNEL_EOF_SENT
            | LIBSSH2_ERROR_BAD_USE,
        ) => Ssh2Kind::Disconnected,
        _ => Ssh2Kind::Other,
    }
}

/// Maps an error of an operation on `path` to a named [`SftpError`].
pub(crate) fn path_error(
    e: ssh2::Error,
    path: &str,
    what: &str,
    host: &str,
    port: u16,
    timeout_secs: u64,
) -> SftpError {
    match classify(&e) {
        Ssh2Kind::NoSuchPath => SftpError::NoSuchPath {
            path: path.to_string(),
        },
        Ssh2Kind::PermissionDenied => SftpError::PermissionDenied {
            path: path.to_string(),
        },
        Ssh2Kind::Timeout => SftpError::Timeout {
            host: host.to_string(),
            port,
            what: format!("{what} {path}"),
            secs: timeout_secs,
        },
        Ssh2Kind::Disconnected => SftpError::ConnectionLost {
            what: format!("{what} {path}"),
            reason: e.message().to_string(),
        },
        Ssh2Kind::Other => SftpError::Sftp {
            path: path.to_string(),
            reason: e.message().to_string(),
        },
    }
}

/// Maps an io::Error from reading a remote file (ssh2 turns its errors into io::Error
/// keeping only the kind and the message).
pub(crate) fn read_error(
    e: std::io::Error,
    path: &str,
    host: &str,
    port: u16,
    timeout_secs: u64,
) -> SftpError {
    match e.kind() {
        std::io::ErrorKind::TimedOut => SftpError::Timeout {
            host: host.to_string(),
            port,
            what: format!("reading {path}"),
            secs: timeout_secs,
        },
        std::io::ErrorKind::NotFound => SftpError::NoSuchPath {
            path: path.to_string(),
        },
        _ => SftpError::ConnectionLost {
            what: format!("reading {path}"),
            reason: e.to_string(),
        },
    }
}
