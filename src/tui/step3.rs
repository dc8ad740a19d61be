//! The console's step 3 effects: probing and pinning the SFTP host key, queueing fetch and
//! import jobs (starting a detached worker when none is alive) and writing the handoff
//! ticket (to a file, and to the clipboard through OSC 52).

use std::io::Write;

use base64::Engine;

use super::screens::export::{ConnectionInput, HostKeyPrompt};
use crate::export::{self, FetchParams, ImportFile, ImportParams};
use crate::store::{Actor, CredentialKind, CredentialParams, Store};
use crate::{paths, sftp, worker};

/// What probing a team's server needs: its connect options and the pin on record
/// (read from the store on the console thread).
pub struct ProbeOptions {
    options: sftp::ConnectOptions,
    pinned: Option<String>,
}

pub fn probe_options(store: &Store, team: &str) -> Result<ProbeOptions, String> {
    let t = store.team(team).map_err(|e| e.to_string())?;
    let cfg = sftp::team_sftp(store, &t).map_err(|e| e.to_string())?;
    let pinned = sftp::pinned_host_key(store, &t, &cfg.options.host, cfg.options.port)
        .map_err(|e| e.to_string())?
        .map(|p| p.fingerprint);
    Ok(ProbeOptions {
        options: cfg.options,
        pinned,
    })
}

/// The host key the team's server presents (no credential is sent). Blocking.
pub fn probe(p: &ProbeOptions) -> Result<HostKeyPrompt, String> {
    let key = sftp::probe_host_key(&p.options).map_err(|e| e.to_string())?;
    if let Some(pinned) = &p.pinned
        && *pinned != key.fingerprint
    {
        return Err(sftp::SftpError::HostKeyChanged {
            host: p.options.host.clone(),
            port: p.options.port,
            pinned: pinned.clone(),
            presented: key.fingerprint,
        }
        .to_string());
    }
    Ok(HostKeyPrompt {
        host: p.options.host.clone(),
        port: p.options.port,
        key_type: key.key_type,
        fingerprint: key.fingerprint,
    })
}

/// Pins the fingerprint the engineer confirmed, then queues the fetch. The fetch job
/// connects only if the server still presents exactly this key.
pub fn pin(
    store: &Store,
    actor: &Actor,
    team: &str,
    key_type: &str,
    fingerprint: &str,
) -> Result<String, String> {
    let t = store.team(team).map_err(|e| e.to_string())?;
    let cfg = sftp::team_sftp(store, &t).map_err(|e| e.to_string())?;
    let key = sftp::HostKey {
        key_type: key_type.to_string(),
        fingerprint: fingerprint.to_string(),
    };
    sftp::pin_host_key(store, &t, &cfg.options.host, cfg.options.port, &key, actor)
        .map_err(|e| e.to_string())?;
    queue(store, team, export::FETCH_JOB).map(|queued| format!("pinned {fingerprint}; {queued}"))
}

/// Queues a fetch or an import of the fetched files and makes sure a worker runs it.
pub fn queue(store: &Store, team: &str, kind: &str) -> Result<String, String> {
    let t = store.team(team).map_err(|e| e.to_string())?;
    let params = if kind == export::IMPORT_JOB {
        let files: Vec<ImportFile> = export::fetched_files(store, &t)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|f| ImportFile {
                path: f.local_path,
                name: f.name,
            })
            .collect();
        serde_json::to_value(ImportParams {
            files,
            ..ImportParams::default()
        })
    } else {
        serde_json::to_value(FetchParams::default())
    }
    .map_err(|e| e.to_string())?;
    let id = store
        .enqueue_job(&t, kind, &params)
        .map_err(|e| e.to_string())?;
    let worker = match worker::ensure_worker(store.path(), &paths::log_file_path()) {
        Ok(worker::WorkerStatus::Running { pid }) => format!("worker {pid} will run it"),
        Ok(worker::WorkerStatus::Started { pid }) => format!("started worker {pid}"),
        Err(e) => format!("could not start a worker ({e}); run `icims-onboard worker`"),
    };
    Ok(format!("queued {kind} job {id}; {worker}"))
}

/// Writes the ticket next to the exports and copies it to the clipboard (OSC 52).
pub fn handoff(store: &Store, actor: &Actor, team: &str) -> Result<String, String> {
    let t = store.team(team).map_err(|e| e.to_string())?;
    let text = export::handoff::ticket_text(store, &t, actor).map_err(|e| e.to_string())?;
    let dir = paths::exports_dir(store.path(), t.id);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("handoff-ticket.txt");
    std::fs::write(&file, &text).map_err(|e| format!("{}: {e}", file.display()))?;
    store
        .audit(
            actor,
            Some(&t.name),
            "export.handoff",
            Some(&file.display().to_string()),
        )
        .map_err(|e| e.to_string())?;
    // OSC 52: the terminal (also over SSH) puts the text on the local clipboard.
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
    Ok(format!(
        "handoff ticket written to {} and offered to the clipboard",
        file.display()
    ))
}

/// Stores the SFTP connection from the form; an empty password keeps the stored one.
pub fn save(
    store: &Store,
    actor: &Actor,
    team: &str,
    input: ConnectionInput,
) -> Result<String, String> {
    let t = store.team(team).map_err(|e| e.to_string())?;
    let existing = store
        .credential(&t, CredentialKind::Sftp)
        .map_err(|e| e.to_string())?;
    let secret = match (input.password, &existing) {
        (Some(p), _) => p.0,
        (None, Some(c)) => c.secret.clone(),
        (None, None) => return Err("enter the SFTP password".into()),
    };
    let params = CredentialParams {
        host: Some(input.host.clone()),
        port: Some(input.port),
        username: Some(input.username.clone()),
        path: (!input.path.is_empty()).then(|| input.path.clone()),
        key_file: existing.and_then(|c| c.params.key_file),
        ..Default::default()
    };
    store
        .set_credential(&t, CredentialKind::Sftp, &params, &secret, actor)
        .map_err(|e| e.to_string())?;
    Ok(format!(
        "saved the SFTP connection {}@{}:{}",
        input.username, input.host, input.port
    ))
}
