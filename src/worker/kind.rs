//! The job kinds a worker runs ([`JobKind`]) and the error a job ends with ([`JobError`]),
//! so each kind keeps its own error type instead of being forced through another's.

use std::fmt;

use crate::export::{self, ExportError};
use crate::store::StoreError;
use crate::sync::SyncError;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Step 3: download the export over SFTP.
    ExportFetch,
    /// Step 3: import the export files into staging tables.
    ExportImport,
    /// Step 5: the deep sync (initial pass, then live cycles).
    SyncDeep,
}

impl JobKind {
    pub const ALL: [JobKind; 3] = [
        JobKind::ExportFetch,
        JobKind::ExportImport,
        JobKind::SyncDeep,
    ];

    /// The kind as stored in `jobs.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::ExportFetch => export::FETCH_JOB,
            JobKind::ExportImport => export::IMPORT_JOB,
            JobKind::SyncDeep => crate::sync::SYNC_JOB,
        }
    }

    pub fn parse(s: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a job stopped short of success.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("job {job} has unreadable params: {reason}")]
    Params { job: i64, reason: String },
    #[error("unknown job kind {0:?}; this worker runs export.fetch, export.import, sync.deep")]
    UnknownKind(String),
}

/// What the worker does with the job row once the job returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Finished: record done/failed/cancelled and release the lease.
    Finish,
    /// Another worker holds the job now: leave the row alone.
    LeaseLost,
    /// Stopped on purpose (pause, shutdown): release the lease and keep the row's state
    /// (`paused` stays paused; a running job goes back to `queued` to be resumed).
    Release,
}

impl JobError {
    /// Whether this is a deliberate stop and how the row is left.
    pub(crate) fn ending(&self, lease_lost: bool) -> Ending {
        match self {
            JobError::Export(ExportError::LeaseLost) => Ending::LeaseLost,
            JobError::Export(ExportError::Cancelled) if lease_lost => Ending::LeaseLost,
            JobError::Sync(SyncError::LeaseLost) => Ending::LeaseLost,
            JobError::Sync(SyncError::Stopped) if lease_lost => Ending::LeaseLost,
            JobError::Sync(SyncError::Stopped) => Ending::Release,
            _ => Ending::Finish,
        }
    }

    /// True for a cancellation asked by the engineer.
    pub(crate) fn is_cancel(&self) -> bool {
        matches!(
            self,
            JobError::Export(ExportError::Cancelled) | JobError::Sync(SyncError::Cancelled)
        )
    }
}
