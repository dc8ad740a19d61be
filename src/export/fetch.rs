//! The `export.fetch` job: connect with the team's SFTP credential (pinned host key),
//! list the export directory, download each file (large ones in ranges over several
//! sessions; resuming only an unchanged server file, verified, retried on a lost
//! connection) and record it with its size and SHA-256. The listing and the download
//! share the one connection (plus the extra sessions of a ranged download).

use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::ExportError;
use crate::sftp::{self, DownloadRequest, Progress, RemoteEntry, SftpClient, SftpError};
use crate::store::{Actor, Store, Team, now_text};
use crate::worker::JobHandle;

/// Parameters of an `export.fetch` job.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchParams {
    /// Remote file names to fetch; empty means every file in the export directory.
    #[serde(default)]
    pub files: Vec<String>,
    /// A fingerprint the engineer confirmed, pinned if nothing is pinned yet.
    #[serde(default)]
    pub accept_host_key: Option<String>,
    /// Where to put the files (defaults to `paths::exports_dir`).
    #[serde(default)]
    pub dest: Option<PathBuf>,
}

/// A file known to the team (fetched over SFTP or imported from a local path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedFile {
    pub name: String,
    pub source: String,
    pub remote_path: Option<String>,
    pub local_path: PathBuf,
    pub size: u64,
    pub mtime: Option<u64>,
    pub sha256: String,
    pub fetched_at: String,
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchReport {
    pub files: Vec<FetchedFile>,
    /// Files already present and unchanged (not downloaded again).
    pub unchanged: Vec<String>,
    pub host_key: String,
    /// Files whose interrupted download could not be resumed, with why
    /// (`people.csv: started over: the server's file changed …`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restarted: Vec<String>,
}

const ATTEMPTS: u32 = 4;

/// Is this remote entry part of the export (not a checksum sidecar, not hidden)?
fn is_export_file(e: &RemoteEntry) -> bool {
    !e.is_dir
        && !e.name.starts_with('.')
        && !e.name.ends_with(".sha256")
        && !e.name.ends_with(".part")
}

/// Lists the team's export directory (pins the host key on first use if `accept` names it).
pub fn list_remote(
    store: &Store,
    team: &Team,
    accept: Option<&str>,
    actor: &Actor,
) -> Result<(Vec<RemoteEntry>, String), ExportError> {
    let (client, t) = sftp::connect_for_team(store, team, accept, actor)?;
    let entries = client.list(&t.path)?;
    Ok((entries, t.path))
}

/// Runs a fetch. Lost connections and stalls are retried (resuming) up to 4 attempts.
pub fn run_fetch(
    store: &Store,
    team: &Team,
    job: &JobHandle,
    params: &FetchParams,
    progress: &mut dyn FnMut(&Progress),
) -> Result<FetchReport, ExportError> {
    let actor = Actor::for_job(&job.actor);
    let dest = params
        .dest
        .clone()
        .unwrap_or_else(|| crate::paths::exports_dir(store.path(), team.id));
    let (mut client, t) =
        sftp::connect_for_team(store, team, params.accept_host_key.as_deref(), &actor)?;
    let host_key = client.host_key().fingerprint.clone();
    let entries = client.list(&t.path)?;
    let wanted: Vec<RemoteEntry> = if params.files.is_empty() {
        entries.into_iter().filter(is_export_file).collect()
    } else {
        let mut out: Vec<RemoteEntry> = Vec::new();
        for name in &params.files {
            let entry = match entries.iter().find(|e| &e.name == name) {
                Some(e) => e.clone(),
                // A file in a subfolder of the export directory (`d/dup.csv`): kept under
                // its relative path locally too, so same-named files never collide.
                None if name.contains('/') => {
                    let rel = relative_name(name)?;
                    let path = format!("{}/{}", t.path.trim_end_matches('/'), rel);
                    let mut e = client.stat(&path)?;
                    if e.is_dir {
                        return Err(ExportError::Unreadable {
                            file: path,
                            reason: "is a directory on the server; name the files in it".into(),
                        });
                    }
                    e.name = rel;
                    e
                }
                None => {
                    return Err(SftpError::NoSuchPath {
                        path: format!("{}/{}", t.path.trim_end_matches('/'), name),
                    }
                    .into());
                }
            };
            if !out.iter().any(|o| o.name == entry.name) {
                out.push(entry);
            }
        }
        out
    };
    let known = fetched_files(store, team)?;
    let mut report = FetchReport {
        files: Vec::new(),
        unchanged: Vec::new(),
        host_key,
        restarted: Vec::new(),
    };
    for entry in &wanted {
        let local = dest.join(&entry.name);
        if let Some(k) = known.iter().find(|k| k.name == entry.name)
            && k.size == entry.size
            && k.mtime == entry.mtime
            && k.local_path == local
            && std::fs::metadata(&local).is_ok_and(|m| m.len() == entry.size)
            && sftp::sha256_file(&local).is_ok_and(|h| h == k.sha256)
        {
            report.unchanged.push(entry.name.clone());
            report.files.push(k.clone());
            continue;
        }
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            if job.cancelled() {
                return Err(ExportError::Cancelled);
            }
            let expected = client.published_sha256(&entry.path);
            // Large files go over several sessions at once (one ssh2 session is
            // CPU-bound on a fast link); this session is one of them.
            let result = expected.and_then(|expected_sha256| {
                client.download_ranged(
                    &DownloadRequest {
                        remote: &entry.path,
                        local: &local,
                        expected_sha256,
                        cancel: Some(&job.cancel),
                    },
                    sftp::DEFAULT_SESSIONS,
                    &mut *progress,
                )
            });
            match result {
                Ok(o) => {
                    if let Some(why) = &o.restarted {
                        report.restarted.push(format!("{}: {why}", entry.name));
                    }
                    break o;
                }
                Err(SftpError::Cancelled { .. }) => return Err(ExportError::Cancelled),
                Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                    tracing::warn!(file = %entry.name, attempt, error = %e, "download interrupted; reconnecting to resume");
                    std::thread::sleep(std::time::Duration::from_millis(500 * attempt as u64));
                    client = reconnect(store, team, &actor)?;
                }
                Err(e) => return Err(e.into()),
            }
        };
        let file = FetchedFile {
            name: entry.name.clone(),
            source: "sftp".into(),
            remote_path: Some(entry.path.clone()),
            local_path: local.clone(),
            size: outcome.size,
            mtime: outcome.mtime,
            sha256: outcome.sha256.clone(),
            fetched_at: now_text(),
        };
        record_file(store, team, &file)?;
        store.audit(
            &actor,
            Some(&team.name),
            "export.fetch.file",
            Some(&format!(
                "{} {} bytes sha256 {}",
                file.name, file.size, file.sha256
            )),
        )?;
        report.files.push(file);
    }
    Ok(report)
}

/// A server path relative to the export directory, refused when it could leave the
/// local folder (`..`, absolute, empty parts).
fn relative_name(name: &str) -> Result<String, ExportError> {
    let parts: Vec<&str> = name.split('/').collect();
    if name.starts_with('/')
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\\'))
    {
        return Err(ExportError::Unreadable {
            file: crate::safe_text::escape_control(name).into_owned(),
            reason: "not a path inside the export directory".into(),
        });
    }
    Ok(parts.join("/"))
}

fn reconnect(store: &Store, team: &Team, actor: &Actor) -> Result<SftpClient, ExportError> {
    let mut last = None;
    for attempt in 1..=ATTEMPTS {
        match sftp::connect_for_team(store, team, None, actor) {
            Ok((c, _)) => return Ok(c),
            Err(e) if e.is_transient() => {
                last = Some(e);
                std::thread::sleep(std::time::Duration::from_millis(500 * attempt as u64));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(last
        .map(ExportError::from)
        .unwrap_or_else(|| ExportError::Internal("reconnect".into())))
}

/// Records (replacing by name) a team's export file.
pub fn record_file(store: &Store, team: &Team, f: &FetchedFile) -> Result<(), ExportError> {
    store.conn().execute(
        "INSERT INTO export_files (team_id, name, source, remote_path, local_path, size, mtime, sha256, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (team_id, name) DO UPDATE SET source = excluded.source, remote_path = excluded.remote_path,
             local_path = excluded.local_path, size = excluded.size, mtime = excluded.mtime,
             sha256 = excluded.sha256, fetched_at = excluded.fetched_at",
        params![
            team.id,
            f.name,
            f.source,
            f.remote_path,
            f.local_path.display().to_string(),
            f.size as i64,
            f.mtime.map(|m| m as i64),
            f.sha256,
            f.fetched_at
        ],
    )?;
    Ok(())
}

/// Records a local file given to `export import` (hashing it).
pub fn record_local_file(
    store: &Store,
    team: &Team,
    path: &Path,
    name: &str,
) -> Result<FetchedFile, ExportError> {
    let meta = std::fs::metadata(path).map_err(|source| ExportError::Io {
        file: path.display().to_string(),
        source,
    })?;
    let sha256 = sftp::sha256_file(path).map_err(|source| ExportError::Io {
        file: path.display().to_string(),
        source,
    })?;
    let file = FetchedFile {
        name: name.to_string(),
        source: "local".into(),
        remote_path: None,
        local_path: path.to_path_buf(),
        size: meta.len(),
        mtime: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
        sha256,
        fetched_at: now_text(),
    };
    record_file(store, team, &file)?;
    Ok(file)
}

/// The team's known export files, by name.
pub fn fetched_files(store: &Store, team: &Team) -> Result<Vec<FetchedFile>, ExportError> {
    let mut stmt = store.conn().prepare(
        "SELECT name, source, remote_path, local_path, size, mtime, sha256, fetched_at
         FROM export_files WHERE team_id = ?1 ORDER BY name",
    )?;
    let rows = stmt
        .query_map([team.id], |r| {
            Ok(FetchedFile {
                name: r.get(0)?,
                source: r.get(1)?,
                remote_path: r.get(2)?,
                local_path: PathBuf::from(r.get::<_, String>(3)?),
                size: r.get::<_, i64>(4)? as u64,
                mtime: r.get::<_, Option<i64>>(5)?.map(|m| m as u64),
                sha256: r.get(6)?,
                fetched_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
