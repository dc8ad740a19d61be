//! The historical export: fetching it over SFTP (`export.fetch` job), sniffing and
//! streaming each file into staging tables (`export.import` job) with bad rows
//! quarantined, the per-file summaries, and the handoff ticket.

mod decode;
pub mod fetch;
pub mod handoff;
pub mod import;
pub mod records;
pub mod sniff;
pub mod source;
pub mod stage;
pub mod stats;
pub mod summary;
pub mod view;

pub use fetch::{FetchParams, FetchReport, FetchedFile, fetched_files, run_fetch};
pub use import::{
    ImportFile, ImportOptions, ImportParams, ImportProgress, ImportReport, run_import,
};
pub use sniff::{ObjectKind, TextEncoding};
pub use summary::{
    ExportSummary, FileEntry, QuarantineEntry, UnitSummary, export_summary, quarantine,
    team_outcome, unit_summaries,
};

/// Job kinds of step 3.
pub const FETCH_JOB: &str = "export.fetch";
pub const IMPORT_JOB: &str = "export.import";

/// Everything an export fetch or import reports.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{file}: {source}")]
    Io {
        file: String,
        source: std::io::Error,
    },
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error(
        "team {0:?} has no export files to import; fetch them first (`icims-onboard export fetch {0}`) or name local files"
    )]
    NoFiles(String),
    #[error(
        "{file}: has a header but no rows; the earlier import of {file} ({rows} rows) is kept — to replace it with nothing, import again with --allow-empty"
    )]
    EmptyKept { file: String, rows: u64 },
    /// Some files of an import failed, the others were imported: the whole sentence.
    #[error("{0}")]
    NotAllImported(String),
    #[error("the job was cancelled")]
    Cancelled,
    #[error("the job's lease was lost to another worker; stopping")]
    LeaseLost,
    #[error(transparent)]
    Sftp(#[from] crate::sftp::SftpError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> Self {
        ExportError::Store(crate::store::StoreError::from(e))
    }
}

/// Where a team's export comes from, for tickets and screens: `sftp://user@host:port/path`
/// plus the pinned host key. Never includes the password (the secret is not even read).
pub fn sftp_source(
    store: &crate::store::Store,
    team: &crate::store::Team,
) -> Result<Option<String>, ExportError> {
    let Some(cred) = store
        .credential_summaries(team)?
        .into_iter()
        .find(|c| c.kind == crate::store::CredentialKind::Sftp)
    else {
        return Ok(None);
    };
    let p = &cred.params;
    let host = p.host.clone().unwrap_or_default();
    let port = p.port.unwrap_or(22);
    let mut text = format!(
        "sftp://{}@{}:{}/{}",
        p.username.as_deref().unwrap_or(""),
        host,
        port,
        p.path.as_deref().unwrap_or("").trim_start_matches('/')
    );
    if let Some(key) = &p.key_file {
        text.push_str(&format!(" (private key {key})"));
    }
    match crate::sftp::pinned_host_key(store, team, &host, port)? {
        Some(pin) => text.push_str(&format!(
            "\nHost key: {} {} (pinned by {} at {})",
            pin.key_type, pin.fingerprint, pin.pinned_by, pin.pinned_at
        )),
        None => text.push_str("\nHost key: not pinned yet"),
    }
    Ok(Some(text))
}
