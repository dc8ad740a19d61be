//! Step 6, pipeline stage mapping: the status catalogue (Schema API options, the export,
//! synced workflows), rejection detection from bin and wording, the team's pipeline
//! stages, suggestions, validation, storage with approval and drift, and the spreadsheet
//! round-trip. A rejection status never maps to a stage: it maps to "rejected" with its
//! reason ([`model::StatusRow::set_stage`], storage and a CHECK constraint enforce it).
//! Never imports the TUI.

pub mod catalogue;
pub mod detect;
pub mod model;
pub mod pipeline;
pub mod rules;
pub mod sheet;
pub mod storage;
pub mod suggest;
pub mod validate;

pub use detect::{Detection, detect};
pub use model::{EditError, Override, REJECTED, RowState, Seen, StatusRecord, StatusRow, Target};
pub use pipeline::PipelineError;
pub use rules::{Rules, Stage};
pub use validate::{StageIssue, validate};

use crate::store::StoreError;

/// Everything stage mapping can fail with, worded for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum StagesError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored stage mapping is unreadable: {0}")]
    Corrupt(String),
    #[error(
        "team {0:?} has no workflow statuses yet; import the export (step 3) or run `icims-onboard mapping stages suggest {0}`"
    )]
    Empty(String),
    #[error(
        "{name:?} is a rejection reason ({reason}); it maps to rejected, not to stage {stage:?}"
    )]
    RejectionToStage {
        name: String,
        reason: String,
        stage: String,
    },
    #[error(
        "the stage mapping of {team:?} cannot be approved: {}",
        issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    NotApprovable {
        team: String,
        issues: Vec<StageIssue>,
    },
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}
