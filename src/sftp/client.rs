//! Connecting (TCP with a timeout, handshake, host-key check, then authentication) and
//! listing remote directories.

use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

use secrecy::ExposeSecret;
use serde::Serialize;
use ssh2::{Session, Sftp};

use super::error::{SftpError, path_error};
use super::host_key::{HostKey, HostKeyCheck, normalize_fingerprint};
use super::{Auth, ConnectOptions};

/// One entry of a remote directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteEntry {
    pub name: String,
    pub path: String,
    pub size: u64,
    /// Modification time, Unix seconds.
    pub mtime: Option<u64>,
    pub is_dir: bool,
}

/// An authenticated SFTP session.
pub struct SftpClient {
    // Field order matters for drop: the SFTP channel closes before the session.
    pub(crate) sftp: Sftp,
    pub(crate) session: Session,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) stall_secs: u64,
    host_key: HostKey,
    /// What this session was opened with: extra sessions of a ranged download connect
    /// with the same options and require the same host key.
    pub(crate) options: ConnectOptions,
}

/// A handshaken but unauthenticated session.
struct Handshaken {
    session: Session,
    host_key: HostKey,
}

fn open_session(opts: &ConnectOptions) -> Result<Handshaken, SftpError> {
    let unreachable = |reason: String| SftpError::Unreachable {
        host: opts.host.clone(),
        port: opts.port,
        reason,
    };
    let addrs: Vec<_> = (opts.host.as_str(), opts.port)
        .to_socket_addrs()
        .map_err(|e| unreachable(format!("cannot resolve the host name: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(unreachable("the host name resolves to no address".into()));
    }
    let mut last_err = None;
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, opts.connect_timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let stream = match (stream, last_err) {
        (Some(s), _) => s,
        (None, Some(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
            return Err(SftpError::Timeout {
                host: opts.host.clone(),
                port: opts.port,
                what: "connecting".into(),
                secs: opts.connect_timeout.as_secs(),
            });
        }
        (None, e) => {
            return Err(unreachable(
                e.map(|e| e.to_string())
                    .unwrap_or_else(|| "no address".into()),
            ));
        }
    };
    let _ = stream.set_nodelay(true);
    let mut session = Session::new().map_err(|e| SftpError::Handshake {
        host: opts.host.clone(),
        port: opts.port,
        reason: e.message().to_string(),
    })?;
    session.set_timeout(clamp_ms(opts.stall_timeout));
    // Strong ciphers and MACs only, fastest first (see `CIPHERS`); a server that shares
    // none of them fails the handshake (`SftpError::Handshake`).
    for method in [ssh2::MethodType::CryptCs, ssh2::MethodType::CryptSc] {
        let _ = session.method_pref(method, CIPHERS);
    }
    for method in [ssh2::MethodType::MacCs, ssh2::MethodType::MacSc] {
        let _ = session.method_pref(method, MACS);
    }
    session.set_tcp_stream(stream);
    session
        .handshake()
        .map_err(|e| match super::error::classify(&e) {
            super::error::Ssh2Kind::Timeout => SftpError::Timeout {
                host: opts.host.clone(),
                port: opts.port,
                what: "waiting for the SSH handshake".into(),
                secs: opts.stall_timeout.as_secs(),
            },
            _ => SftpError::Handshake {
                host: opts.host.clone(),
                port: opts.port,
                reason: e.message().to_string(),
            },
        })?;
    let (blob, _) = session.host_key().ok_or_else(|| SftpError::Handshake {
        host: opts.host.clone(),
        port: opts.port,
        reason: "the server presented no host key".into(),
    })?;
    let host_key = HostKey::from_blob(blob);
    Ok(Handshaken { session, host_key })
}

/// Cipher preference, fastest first as measured with libssh2 itself (`cargo bench --bench
/// export` with `EXPORT_BENCH_SFTP_CIPHERS=1`; README, Benchmarks). libssh2 feeds AES-GCM
/// and AES-CTR to OpenSSL 16 bytes per call, so despite AES-NI they run at 0.6–0.9 × the
/// speed of its own ChaCha20-Poly1305, which works on whole packets. No CBC, no 3DES.
const CIPHERS: &str = "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

/// MACs, for the CTR ciphers only (the AEAD ciphers above carry their own):
/// encrypt-then-MAC first, SHA-2 before SHA-1; no MD5, RIPEMD or truncated MACs.
const MACS: &str = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1-etm@openssh.com,hmac-sha1";

fn clamp_ms(d: Duration) -> u32 {
    d.as_millis().min(u32::MAX as u128) as u32
}

/// Connects far enough to see the server's host key, then disconnects without
/// authenticating (nothing secret is sent).
pub fn probe_host_key(opts: &ConnectOptions) -> Result<HostKey, SftpError> {
    let h = open_session(opts)?;
    let _ = h.session.disconnect(None, "host key probe", None);
    Ok(h.host_key)
}

fn check_host_key(
    opts: &ConnectOptions,
    presented: &HostKey,
    check: &HostKeyCheck,
) -> Result<(), SftpError> {
    match check {
        HostKeyCheck::Pinned(pinned) => {
            if normalize_fingerprint(pinned) != presented.fingerprint {
                return Err(SftpError::HostKeyChanged {
                    host: opts.host.clone(),
                    port: opts.port,
                    pinned: normalize_fingerprint(pinned),
                    presented: presented.fingerprint.clone(),
                });
            }
        }
        HostKeyCheck::Unpinned(None) => {
            return Err(SftpError::HostKeyUnknown {
                host: opts.host.clone(),
                port: opts.port,
                key_type: presented.key_type.clone(),
                fingerprint: presented.fingerprint.clone(),
            });
        }
        HostKeyCheck::Unpinned(Some(given)) => {
            if normalize_fingerprint(given) != presented.fingerprint {
                return Err(SftpError::HostKeyNotAccepted {
                    host: opts.host.clone(),
                    port: opts.port,
                    given: given.clone(),
                    presented: presented.fingerprint.clone(),
                });
            }
        }
    }
    Ok(())
}

fn authenticate(opts: &ConnectOptions, session: &Session) -> Result<(), SftpError> {
    let failed = |method: &str| SftpError::AuthFailed {
        username: opts.username.clone(),
        host: opts.host.clone(),
        port: opts.port,
        method: method.to_string(),
    };
    match &opts.auth {
        Auth::Password(password) => {
            let methods = session
                .auth_methods(&opts.username)
                .map(str::to_string)
                .unwrap_or_default();
            if session.authenticated() {
                return Ok(());
            }
            let offers_password = methods.split(',').any(|m| m == "password");
            let offers_kbd = methods.split(',').any(|m| m == "keyboard-interactive");
            if offers_password || !offers_kbd {
                session
                    .userauth_password(&opts.username, password.expose_secret())
                    .map_err(|_| failed("password"))?;
            } else {
                let mut prompter = PasswordPrompter(password.expose_secret().to_string());
                session
                    .userauth_keyboard_interactive(&opts.username, &mut prompter)
                    .map_err(|_| failed("keyboard-interactive"))?;
            }
        }
        Auth::KeyFile { path, passphrase } => {
            if !path.exists() {
                return Err(SftpError::Config(format!(
                    "private key file {} does not exist",
                    path.display()
                )));
            }
            session
                .userauth_pubkey_file(
                    &opts.username,
                    None,
                    path,
                    passphrase.as_ref().map(|p| p.expose_secret()),
                )
                .map_err(|_| failed(&format!("private key {}", path.display())))?;
        }
    }
    if !session.authenticated() {
        return Err(failed("password"));
    }
    Ok(())
}

/// Answers every keyboard-interactive prompt with the password.
struct PasswordPrompter(String);

impl ssh2::KeyboardInteractivePrompt for PasswordPrompter {
    fn prompt<'a>(
        &mut self,
        _username: &str,
        _instructions: &str,
        prompts: &[ssh2::Prompt<'a>],
    ) -> Vec<String> {
        prompts.iter().map(|_| self.0.clone()).collect()
    }
}

impl Drop for PasswordPrompter {
    fn drop(&mut self) {
        // Best effort: do not leave the password lying around longer than needed.
        let len = self.0.len();
        self.0.clear();
        self.0.reserve(len);
    }
}

impl SftpClient {
    /// Connects, checks the host key against `check` (before sending any credential),
    /// authenticates and opens the SFTP subsystem.
    pub fn connect(opts: &ConnectOptions, check: &HostKeyCheck) -> Result<SftpClient, SftpError> {
        let Handshaken { session, host_key } = open_session(opts)?;
        if let Err(e) = check_host_key(opts, &host_key, check) {
            let _ = session.disconnect(None, "host key not trusted", None);
            return Err(e);
        }
        authenticate(opts, &session)?;
        let sftp = session
            .sftp()
            .map_err(|e| path_error(e, "(sftp subsystem)", "opening", &opts.host, opts.port, 0))?;
        Ok(SftpClient {
            sftp,
            session,
            host: opts.host.clone(),
            port: opts.port,
            stall_secs: opts.stall_timeout.as_secs(),
            host_key,
            options: opts.clone(),
        })
    }

    /// Ends the session politely.
    pub fn close(self) {
        let _ = self.session.disconnect(None, "done", None);
    }

    /// The server's host key (as checked at connect).
    pub fn host_key(&self) -> &HostKey {
        &self.host_key
    }

    /// The cipher negotiated for data from the server (e.g.
    /// `chacha20-poly1305@openssh.com`).
    pub fn cipher(&self) -> Option<String> {
        self.session
            .methods(ssh2::MethodType::CryptSc)
            .map(str::to_string)
    }

    pub(crate) fn err(&self, e: ssh2::Error, path: &str, what: &str) -> SftpError {
        path_error(e, path, what, &self.host, self.port, self.stall_secs)
    }

    /// Lists a directory: files and subdirectories, sorted by name, without `.`/`..`.
    pub fn list(&self, dir: &str) -> Result<Vec<RemoteEntry>, SftpError> {
        let entries = self
            .sftp
            .readdir(Path::new(dir))
            .map_err(|e| self.err(e, dir, "listing"))?;
        let mut out: Vec<RemoteEntry> = entries
            .into_iter()
            .filter_map(|(path, stat)| {
                let name = path.file_name()?.to_string_lossy().into_owned();
                if name == "." || name == ".." {
                    return None;
                }
                Some(RemoteEntry {
                    name,
                    path: path.to_string_lossy().into_owned(),
                    size: stat.size.unwrap_or(0),
                    mtime: stat.mtime,
                    is_dir: stat.is_dir(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Size, mtime and kind of one remote path.
    pub fn stat(&self, path: &str) -> Result<RemoteEntry, SftpError> {
        let stat = self
            .sftp
            .stat(Path::new(path))
            .map_err(|e| self.err(e, path, "reading attributes of"))?;
        Ok(RemoteEntry {
            name: Path::new(path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.to_string()),
            path: path.to_string(),
            size: stat.size.unwrap_or(0),
            mtime: stat.mtime,
            is_dir: stat.is_dir(),
        })
    }

    /// Reads a small remote file whole (e.g. a `.sha256` sidecar), up to `max` bytes.
    pub fn read_small(&self, path: &str, max: usize) -> Result<Vec<u8>, SftpError> {
        let file = self
            .sftp
            .open(Path::new(path))
            .map_err(|e| self.err(e, path, "opening"))?;
        let mut out = Vec::new();
        file.take(max as u64).read_to_end(&mut out).map_err(|e| {
            super::error::read_error(e, path, &self.host, self.port, self.stall_secs)
        })?;
        Ok(out)
    }
}
