//! What the step 3 screen shows, read from the store in one go: the SFTP source (never
//! the password), the pinned host key, fetched files, imported files, the quarantine and
//! the latest fetch/import job with its progress.

use serde::Serialize;

use super::ExportError;
use super::fetch::{FetchedFile, fetched_files};
use super::summary::{FileEntry, QuarantineEntry, export_summary};
use crate::onboarding::facts::{ExportOutcome, keys};
use crate::sftp::{HostKeyPin, pinned_host_key};
use crate::store::{CredentialKind, JobState, Store, Team};

/// The SFTP connection as stored (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceView {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub path: String,
    /// `password` or `key file <path>`.
    pub auth: String,
}

/// Progress of the latest job, as written to its row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum JobProgressView {
    Fetch {
        path: String,
        bytes: u64,
        total: u64,
        rate: f64,
        eta_secs: Option<u64>,
    },
    Import {
        unit: String,
        unit_index: u64,
        units: u64,
        rows: u64,
        bad_rows: u64,
        /// Bytes of the current file read so far.
        bytes: u64,
    },
    None,
}

/// The latest step 3 job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobView {
    pub id: i64,
    pub kind: String,
    pub state: JobState,
    pub progress: JobProgressView,
    pub error: Option<String>,
}

/// Everything the step 3 screen draws.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExportView {
    pub source: Option<SourceView>,
    pub pin: Option<HostKeyPin>,
    pub files: Vec<FetchedFile>,
    pub units: Vec<FileEntry>,
    /// The first quarantined rows (by file and line).
    pub quarantine: Vec<QuarantineEntry>,
    pub quarantine_total: u64,
    pub job: Option<JobView>,
    pub outcome: Option<ExportOutcome>,
}

/// Rows of quarantine loaded for browsing.
pub const QUARANTINE_PAGE: usize = 500;

/// Loads the step 3 view of a team.
pub fn load(store: &Store, team: &Team) -> Result<ExportView, ExportError> {
    let source = store
        .credential_summaries(team)?
        .into_iter()
        .find(|c| c.kind == CredentialKind::Sftp)
        .map(|c| SourceView {
            host: c.params.host.clone().unwrap_or_default(),
            port: c.params.port.unwrap_or(22),
            username: c.params.username.clone().unwrap_or_default(),
            path: c.params.path.clone().unwrap_or_else(|| ".".into()),
            auth: match &c.params.key_file {
                Some(k) => format!("key file {k}"),
                None => "password".into(),
            },
        });
    let pin = match &source {
        Some(s) => pinned_host_key(store, team, &s.host, s.port)?,
        None => None,
    };
    let summary = export_summary(store, team, QUARANTINE_PAGE)?;
    let quarantine_total = summary.files.iter().map(|f| f.bad_rows).sum();
    let mut job = None;
    for kind in [super::FETCH_JOB, super::IMPORT_JOB] {
        if let Some(j) = store.latest_job(team, kind)?
            && job.as_ref().is_none_or(|b: &JobView| j.id > b.id)
        {
            job = Some(JobView {
                id: j.id,
                kind: j.kind.clone(),
                state: j.state,
                progress: progress_of(j.progress.as_ref()),
                error: j.error.clone(),
            });
        }
    }
    Ok(ExportView {
        source,
        pin,
        files: fetched_files(store, team)?,
        units: summary.files,
        quarantine: summary.quarantine,
        quarantine_total,
        job,
        outcome: store.fact(team, keys::EXPORT_IMPORTED)?,
    })
}

fn progress_of(p: Option<&serde_json::Value>) -> JobProgressView {
    let Some(p) = p else {
        return JobProgressView::None;
    };
    let f = &p["fetch"];
    if f["total"].is_u64() {
        return JobProgressView::Fetch {
            path: f["path"].as_str().unwrap_or("").to_string(),
            bytes: f["bytes"].as_u64().unwrap_or(0),
            total: f["total"].as_u64().unwrap_or(0),
            rate: f["rate"].as_f64().unwrap_or(0.0),
            eta_secs: f["eta_secs"].as_u64(),
        };
    }
    let i = &p["import"];
    if i["unit"].is_string() {
        return JobProgressView::Import {
            unit: i["unit"].as_str().unwrap_or("").to_string(),
            unit_index: i["unit_index"].as_u64().unwrap_or(0),
            units: i["units"].as_u64().unwrap_or(0),
            rows: i["rows"].as_u64().unwrap_or(0),
            bad_rows: i["bad_rows"].as_u64().unwrap_or(0),
            bytes: i["bytes"].as_u64().unwrap_or(0),
        };
    }
    JobProgressView::None
}
