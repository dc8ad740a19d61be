//! The in-process SFTP server (russh + russh-sftp) that serves the historical export
//! read-only over loopback with password auth. Layout: `/` holds the directory `exports`
//! (the export dir). Supports realpath, stat/lstat/fstat, opendir/readdir, open/read
//! (any length at any offset, for pipelined 1 MiB reads and resumes) and close.

use russh::keys::{HashAlg, PrivateKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{Channel, ChannelId};
use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Status, StatusCode, Version,
};
use std::collections::HashMap;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Directory under which the export files appear.
pub const EXPORT_PATH: &str = "/exports";
/// Largest single read answered (bigger requests get a short read).
pub const MAX_READ: u32 = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct SftpSettings {
    pub root: PathBuf,
    pub username: String,
    pub password: String,
}

/// The host key, derived from the seed so a restarted sandbox keeps its fingerprint.
pub fn host_key(seed: u64) -> PrivateKey {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("icims-sandbox-hostkey:{seed}").as_bytes());
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&digest);
    PrivateKey::from(russh::keys::ssh_key::private::Ed25519Keypair::from_seed(
        &bytes,
    ))
}

/// `SHA256:…` fingerprint of the host key, as OpenSSH prints it.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

pub async fn serve(
    listener: TcpListener,
    key: PrivateKey,
    settings: SftpSettings,
    mut shutdown: watch::Receiver<bool>,
) {
    let config = Arc::new(russh::server::Config {
        auth_rejection_time: Duration::from_millis(200),
        auth_rejection_time_initial: Some(Duration::from_millis(0)),
        keys: vec![key],
        inactivity_timeout: Some(Duration::from_secs(600)),
        nodelay: true,
        window_size: 8 * 1024 * 1024,
        ..Default::default()
    });
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => {
                while conns.try_join_next().is_some() {}
                if let Ok((stream, _)) = accepted {
                    let handler = SshHandler { settings: settings.clone(), channels: HashMap::new() };
                    let config = config.clone();
                    conns.spawn(async move {
                        if let Ok(session) = russh::server::run_stream(config, stream, handler).await {
                            let _ = session.await;
                        }
                    });
                }
            }
        }
    }
    conns.abort_all();
}

struct SshHandler {
    settings: SftpSettings,
    channels: HashMap<ChannelId, Channel<Msg>>,
}

impl russh::server::Handler for SshHandler {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if user == self.settings.username && password == self.settings.password {
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.close(channel)?;
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        channel_id: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        match (name, self.channels.remove(&channel_id)) {
            ("sftp", Some(channel)) => {
                session.channel_success(channel_id)?;
                let fs = SftpFs {
                    root: self.settings.root.clone(),
                    handles: HashMap::new(),
                    next: 0,
                };
                russh_sftp::server::run(channel.into_stream(), fs).await;
            }
            _ => session.channel_failure(channel_id)?,
        }
        Ok(())
    }
}

enum OpenHandle {
    File { file: std::fs::File },
    Dir { entries: Option<Vec<File>> },
}

enum Node {
    Root,
    Exports,
    File(PathBuf),
}

struct SftpFs {
    root: PathBuf,
    handles: HashMap<String, OpenHandle>,
    next: u64,
}

fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

fn dir_attrs() -> FileAttributes {
    FileAttributes {
        size: Some(4096),
        permissions: Some(0o040555),
        ..FileAttributes::empty()
    }
}

fn ok(id: u32) -> Status {
    Status {
        id,
        status_code: StatusCode::Ok,
        error_message: "Ok".into(),
        language_tag: "en-US".into(),
    }
}

impl SftpFs {
    fn resolve(&self, path: &str) -> Option<Node> {
        let p = normalize(path);
        if p == "/" {
            return Some(Node::Root);
        }
        if p == EXPORT_PATH {
            return Some(Node::Exports);
        }
        let name = p.strip_prefix(EXPORT_PATH)?.strip_prefix('/')?;
        // Files in subfolders of the export directory are served too (`d/dup.csv`),
        // never anything outside it.
        if name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return None;
        }
        let full = self.root.join(name);
        full.is_file().then_some(Node::File(full))
    }

    fn attrs_of(&self, node: &Node) -> Result<FileAttributes, StatusCode> {
        match node {
            Node::Root | Node::Exports => Ok(dir_attrs()),
            Node::File(p) => {
                let meta = std::fs::metadata(p).map_err(|_| StatusCode::NoSuchFile)?;
                let mut a = FileAttributes::from(&meta);
                a.permissions = Some(0o100444);
                Ok(a)
            }
        }
    }

    fn new_handle(&mut self, h: OpenHandle) -> String {
        self.next += 1;
        let name = format!("h{}", self.next);
        self.handles.insert(name.clone(), h);
        name
    }

    fn list(&self, node: &Node) -> Result<Vec<File>, StatusCode> {
        let mut out = vec![File::new(".", dir_attrs()), File::new("..", dir_attrs())];
        match node {
            Node::Root => out.push(File::new("exports", dir_attrs())),
            Node::Exports => {
                let mut names: Vec<String> = std::fs::read_dir(&self.root)
                    .map_err(|_| StatusCode::Failure)?
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect();
                names.sort();
                for n in names {
                    let attrs = self.attrs_of(&Node::File(self.root.join(&n)))?;
                    out.push(File::new(n, attrs));
                }
            }
            Node::File(_) => return Err(StatusCode::NoSuchFile),
        }
        Ok(out)
    }
}

impl russh_sftp::server::Handler for SftpFs {
    type Error = StatusCode;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported
    }

    async fn init(
        &mut self,
        _version: u32,
        _extensions: HashMap<String, String>,
    ) -> Result<Version, Self::Error> {
        Ok(Version::new())
    }

    async fn realpath(&mut self, id: u32, path: String) -> Result<Name, Self::Error> {
        let p = normalize(&path);
        Ok(Name {
            id,
            files: vec![File::new(p, dir_attrs())],
        })
    }

    async fn stat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        let node = self.resolve(&path).ok_or(StatusCode::NoSuchFile)?;
        Ok(Attrs {
            id,
            attrs: self.attrs_of(&node)?,
        })
    }

    async fn lstat(&mut self, id: u32, path: String) -> Result<Attrs, Self::Error> {
        self.stat(id, path).await
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Result<Attrs, Self::Error> {
        match self.handles.get(&handle) {
            Some(OpenHandle::File { file }) => {
                let meta = file.metadata().map_err(|_| StatusCode::Failure)?;
                let mut a = FileAttributes::from(&meta);
                a.permissions = Some(0o100444);
                Ok(Attrs { id, attrs: a })
            }
            Some(OpenHandle::Dir { .. }) => Ok(Attrs {
                id,
                attrs: dir_attrs(),
            }),
            None => Err(StatusCode::Failure),
        }
    }

    async fn opendir(&mut self, id: u32, path: String) -> Result<Handle, Self::Error> {
        let node = self.resolve(&path).ok_or(StatusCode::NoSuchFile)?;
        let entries = self.list(&node)?;
        Ok(Handle {
            id,
            handle: self.new_handle(OpenHandle::Dir {
                entries: Some(entries),
            }),
        })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Result<Name, Self::Error> {
        match self.handles.get_mut(&handle) {
            Some(OpenHandle::Dir { entries }) => match entries.take() {
                Some(files) => Ok(Name { id, files }),
                None => Err(StatusCode::Eof),
            },
            _ => Err(StatusCode::Failure),
        }
    }

    async fn open(
        &mut self,
        id: u32,
        filename: String,
        pflags: OpenFlags,
        _attrs: FileAttributes,
    ) -> Result<Handle, Self::Error> {
        let writes = OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::CREATE | OpenFlags::TRUNCATE;
        if pflags.intersects(writes) {
            return Err(StatusCode::PermissionDenied);
        }
        let Some(Node::File(p)) = self.resolve(&filename) else {
            return Err(StatusCode::NoSuchFile);
        };
        let file = std::fs::File::open(p).map_err(|_| StatusCode::NoSuchFile)?;
        Ok(Handle {
            id,
            handle: self.new_handle(OpenHandle::File { file }),
        })
    }

    async fn read(
        &mut self,
        id: u32,
        handle: String,
        offset: u64,
        len: u32,
    ) -> Result<Data, Self::Error> {
        let Some(OpenHandle::File { file }) = self.handles.get(&handle) else {
            return Err(StatusCode::Failure);
        };
        let mut buf = vec![0u8; len.min(MAX_READ) as usize];
        let mut filled = 0;
        while filled < buf.len() {
            match file.read_at(&mut buf[filled..], offset + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(_) => return Err(StatusCode::Failure),
            }
        }
        if filled == 0 {
            return Err(StatusCode::Eof);
        }
        buf.truncate(filled);
        Ok(Data { id, data: buf })
    }

    async fn close(&mut self, id: u32, handle: String) -> Result<Status, Self::Error> {
        self.handles.remove(&handle);
        Ok(ok(id))
    }
}
