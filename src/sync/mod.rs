//! Step 5, the deep sync: seed the team's records from the staged export through the
//! approved field mapping, plan what changed since the export's cut-off (quota-aware,
//! with a day-by-day ETA), fetch it by id with bounded concurrency under a call budget
//! that follows `x-ratelimit-*`, then stay live (Data Stream events, or updated-date
//! polling where the stream cannot be used, plus periodic id reconciliation).
//! Everything a monitor needs is written to the store as it happens; [`status::load`]
//! reads it back for any process.
//!
//! Modules: [`settings`] (per-team share, concurrency, scope), [`fields`] (mapping →
//! what to read and how values are normalised), [`seed`], [`plan`], [`budget`],
//! [`engine`] (the job on the worker), [`live`], [`stream`] (Data Stream events for
//! live cycles), [`progress`] (writes), [`status`] (the read-only API) and [`control`]
//! (start, pause, resume, cancel).

pub mod browse;
pub mod budget;
pub mod control;
pub mod engine;
pub mod fields;
pub mod live;
pub mod plan;
pub mod progress;
pub mod seed;
pub mod settings;
pub mod status;
pub mod stream;

use serde::{Deserialize, Serialize};

pub use control::{StartOutcome, cancel, pause, resume, start};
pub use engine::{SyncReport, run_job};
pub use settings::{Scope, SyncSettings};
pub use status::{SyncState, SyncStatus};

/// Job kind of the deep sync.
pub const SYNC_JOB: &str = "sync.deep";

/// The three objects as `sync_records.object` spells them.
pub const OBJECTS: [&str; 3] = ["people", "jobs", "workflows"];

/// Parameters of a `sync.deep` job.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SyncParams {
    /// Live cycles to run after the initial pass before the job ends (total, across
    /// restarts); `None` = forever (until paused, cancelled or stopped). `Some(0)` ends
    /// the job with the initial pass.
    #[serde(default)]
    pub max_live_cycles: Option<u32>,
    /// Seconds between live cycles; `None` = the team's setting.
    #[serde(default)]
    pub live_interval_secs: Option<u64>,
}

/// Why a sync could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Mapping(#[from] crate::mapping::MappingError),
    #[error("iCIMS: {0}")]
    Api(#[from] crate::icims::IcimsError),
    #[error("team {team:?} cannot sync yet: {reason}")]
    NotReady { team: String, reason: String },
    #[error("the sync was cancelled")]
    Cancelled,
    /// Paused or shut down (SIGTERM): the lease is released and the job resumes later.
    #[error("the sync stopped (paused or worker shutting down)")]
    Stopped,
    #[error("the job's lease was lost to another worker; stopping")]
    LeaseLost,
    #[error("{0}")]
    Runtime(String),
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        SyncError::Store(crate::store::StoreError::from(e))
    }
}

/// Maps a mapping object to the `sync_records.object` name.
pub fn object_name(o: crate::mapping::Object) -> &'static str {
    match o {
        crate::mapping::Object::Person => "people",
        crate::mapping::Object::Job => "jobs",
        crate::mapping::Object::Workflow => "workflows",
    }
}

/// The API profile type of an object name.
pub fn profile_type(object: &str) -> crate::icims::ProfileType {
    match object {
        "jobs" => crate::icims::ProfileType::Jobs,
        "workflows" => crate::icims::ProfileType::ApplicantWorkflows,
        _ => crate::icims::ProfileType::People,
    }
}

/// The mapping object of an object name.
pub fn mapping_object(object: &str) -> crate::mapping::Object {
    match object {
        "jobs" => crate::mapping::Object::Job,
        "workflows" => crate::mapping::Object::Workflow,
        _ => crate::mapping::Object::Person,
    }
}
