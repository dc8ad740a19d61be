//! The SQLite store: one file (0600, WAL), embedded migrations, typed queries for teams,
//! sealed credentials, step facts, jobs and the audit log.
//!
//! Other domain modules own their own tables (added as migrations here) and reach the
//! connection through [`Store::conn`].

mod actor;
pub mod audit;
pub mod credentials;
pub mod facts;
pub mod jobs;
pub mod migrations;
pub mod secrets;
pub mod teams;

use std::cell::OnceCell;
use std::fs::{self, OpenOptions};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use actor::Actor;
pub use credentials::{Credential, CredentialKind, CredentialParams, CredentialSummary};
pub use jobs::{Job, JobState};
pub use secrets::KeyRing;
pub use teams::{NewTeam, Region, SettingChange, Team, TeamEdit, TeamEdited};

/// Everything that can go wrong talking to the store, worded for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("{path} is not an icims-onboard database (the file is corrupt or not SQLite)")]
    NotADatabase { path: PathBuf },
    #[error("{path} is an SQLite database of another application; refusing to touch it")]
    Foreign { path: PathBuf },
    #[error(
        "{path} was written by a newer icims-onboard (schema version {found}, this binary knows up to {supported}); upgrade icims-onboard"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("a team named {0:?} already exists")]
    DuplicateTeam(String),
    #[error("no team named {0:?}")]
    NoSuchTeam(String),
    #[error(
        "team {team:?} has no {kind} credentials; set them with `icims-onboard creds set {team} --kind {kind}`"
    )]
    NoCredentials { team: String, kind: CredentialKind },
    #[error("sealing key: {0}")]
    Key(String),
    #[error("stored {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open store. Not `Sync`: each thread (console, worker) opens its own.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    keyring: OnceCell<KeyRing>,
    /// The key ring passed the store's key check ([`secrets::check_key`]).
    key_checked: std::cell::Cell<bool>,
    warnings: Vec<String>,
}

impl Store {
    /// Opens (creating if needed, mode 0600) the database at `path` and migrates it.
    ///
    /// A corrupt or foreign file, or one written by a newer schema, is refused before
    /// anything is written to it.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |reason: String| StoreError::Open {
            path: path.to_path_buf(),
            reason,
        };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            crate::paths::create_private_dirs(dir).map_err(|e| open_err(e.to_string()))?;
        }
        let mut warnings = Vec::new();
        if let Some(dir) = dir
            && fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o002 != 0)
        {
            let w = format!(
                "the database folder {} is world-writable: anyone on this machine can replace \
                 or remove the database and its WAL files; keep it in a private folder (chmod o-w)",
                dir.display()
            );
            tracing::warn!("{w}");
            warnings.push(w);
        }
        if !path.exists() {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| open_err(e.to_string()))?;
        }
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| open_err(e.to_string()))?;
        conn.busy_timeout(Duration::from_secs(10))?;

        let version = read_version(&conn, path)?;
        let supported = migrations::latest_version();
        if version > supported {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                supported,
            });
        }
        if version == 0 {
            let tables: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| classify(e, path))?;
            if tables > 0 {
                return Err(StoreError::Foreign {
                    path: path.to_path_buf(),
                });
            }
        }
        // Only now, with the file known to be ours (or new), change anything about it.
        // Modes are only ever tightened: group and other bits are removed, the owner's kept
        // (a read-only 0444 file becomes 0400, never writable).
        let meta = fs::metadata(path).map_err(|e| open_err(e.to_string()))?;
        let mode = meta.permissions().mode() & 0o7777;
        if mode & 0o077 != 0 {
            let tight = mode & !0o077;
            fs::set_permissions(path, fs::Permissions::from_mode(tight)).map_err(|e| {
                open_err(format!("cannot restrict permissions to {tight:04o}: {e}"))
            })?;
            tracing::warn!(path = %path.display(), "database permissions tightened to {tight:04o}");
        }
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Deleted and overwritten content is zeroed, never left in free space: a removed
        // team (or a replaced import) cannot be read back from the file.
        conn.pragma_update(None, "secure_delete", "ON")?;
        // Every write transaction takes the write lock when it begins (BEGIN IMMEDIATE): a
        // deferred one that reads first cannot be upgraded once another process wrote, and
        // fails with "database is locked" despite the busy timeout.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        migrations::apply(&mut conn, version)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            keyring: OnceCell::new(),
            key_checked: std::cell::Cell::new(false),
            warnings,
        })
    }

    /// Things about the store's files the operator should know (a world-writable folder).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for modules that own their own tables.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Mutable connection, for transactions.
    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The sealing key, loaded (or created) on first use and checked against the store's
    /// sealed key-check value: a key that does not open it is refused before anything is
    /// sealed with it, and a missing key file while sealed credentials exist is an error
    /// (never silently replaced by a new key).
    pub fn keyring(&self) -> Result<&KeyRing> {
        let ring = match self.keyring.get() {
            Some(k) => k,
            None => {
                let sealed = secrets::sealed_count(&self.conn)?;
                let loaded = KeyRing::load(&crate::paths::key_file_path(), sealed > 0, sealed)?;
                self.keyring.get_or_init(|| loaded)
            }
        };
        if !self.key_checked.get() {
            secrets::check_key(&self.conn, ring)?;
            self.key_checked.set(true);
        }
        Ok(ring)
    }

    /// Uses an explicit key instead of the environment or key file (tests, embedding).
    pub fn with_keyring(self, keyring: KeyRing) -> Store {
        let cell = OnceCell::new();
        let _ = cell.set(keyring);
        Store {
            keyring: cell,
            key_checked: std::cell::Cell::new(false),
            ..self
        }
    }
}

fn read_version(conn: &Connection, path: &Path) -> Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| classify(e, path))
}

fn classify(e: rusqlite::Error, path: &Path) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            StoreError::NotADatabase {
                path: path.to_path_buf(),
            }
        }
        _ => StoreError::Sqlite(e),
    }
}

/// Current time as stored: RFC 3339, UTC, second precision.
pub fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Current time in Unix seconds (leases).
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
