//! The driver of the step 3 page: reading the export view, probing and pinning the SFTP
//! host key (the network part off the console thread), queueing fetch and import jobs
//! (starting a detached worker when none is alive), writing the handoff ticket (the file
//! and the clipboard through OSC 52 off the console thread) and saving the connection.

use std::io::Write;
use std::path::PathBuf;

use base64::Engine;

use super::Out;
use crate::export::{self, FetchParams, ImportFile, ImportParams};
use crate::store::{Actor, CredentialKind, CredentialParams, Store};
use crate::tui::pages::export::{ConnectionInput, ExportReply, ExportWork, HostKeyPrompt};
use crate::{paths, sftp, worker};

/// Runs one piece of step 3 work; a reply ready now is returned, later ones go to `out`.
pub fn run(
    store: &Store,
    actor: &Actor,
    work: ExportWork,
    out: &Out<ExportReply>,
) -> Option<ExportReply> {
    match work {
        ExportWork::Load { team } => Some(
            match store
                .team(&team)
                .map_err(|e| e.to_string())
                .and_then(|t| export::view::load(store, &t).map_err(|e| e.to_string()))
            {
                Ok(view) => ExportReply::Loaded(Box::new(view), std::time::Instant::now()),
                Err(e) => ExportReply::Done(Err(e)),
            },
        ),
        ExportWork::ProbeHostKey { team } => match probe_options(store, &team) {
            Ok(options) => {
                let out = out.clone();
                tokio::task::spawn_blocking(move || {
                    out.send(ExportReply::HostKey(probe(&options)))
                });
                None
            }
            Err(e) => Some(ExportReply::HostKey(Err(e))),
        },
        ExportWork::PinHostKey {
            team,
            key_type,
            fingerprint,
        } => Some(ExportReply::Done(pin(
            store,
            actor,
            &team,
            &key_type,
            &fingerprint,
        ))),
        ExportWork::Queue { team, kind } => Some(ExportReply::Done(queue(store, &team, kind))),
        ExportWork::Handoff { team } => match handoff_ticket(store, actor, &team) {
            Ok((file, text)) => {
                let out = out.clone();
                tokio::task::spawn_blocking(move || {
                    out.send(ExportReply::Done(write_ticket(file, &text)))
                });
                None
            }
            Err(e) => Some(ExportReply::Done(Err(e))),
        },
        ExportWork::SaveSftp { team, input } => {
            Some(ExportReply::Done(save(store, actor, &team, input)))
        }
    }
}

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

/// The ticket text and the file it goes to (store reads and the audit row, on the
/// console thread).
pub fn handoff_ticket(
    store: &Store,
    actor: &Actor,
    team: &str,
) -> Result<(PathBuf, String), String> {
    let t = store.team(team).map_err(|e| e.to_string())?;
    let text = export::handoff::ticket_text(store, &t, actor).map_err(|e| e.to_string())?;
    let file = paths::exports_dir(store.path(), t.id).join("handoff-ticket.txt");
    store
        .audit(
            actor,
            Some(&t.name),
            "export.handoff",
            Some(&file.display().to_string()),
        )
        .map_err(|e| e.to_string())?;
    Ok((file, text))
}

/// Writes the ticket file and offers the text to the clipboard through OSC 52 (the
/// terminal, also over SSH, puts it on the local clipboard). Blocking: runs off the
/// console thread; the console holds the stdout lock while it draws, so the sequence
/// never lands inside a frame.
pub fn write_ticket(file: PathBuf, text: &str) -> Result<String, String> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let _ = write!(lock, "\x1b]52;c;{b64}\x07");
    let _ = lock.flush();
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
