//! Field mapping (step 4): the catalogue of standard fields, discovery of the customer's
//! fields, suggestions with confidence, reasons and coverage, validation, decisions, the
//! stored mapping with its approval, and the spreadsheet round-trip (CSV, and XLSX in
//! [`xlsx`] for both mappings). Step 6 stage mapping lives in [`stages`]. Never imports the TUI.

pub mod catalogue;
pub mod discover;
pub mod edit;
pub mod in_use;
pub mod model;
pub mod shape;
pub mod sheet;
pub mod stages;
pub mod storage;
pub mod suggest;
pub mod validate;
pub mod xlsx;

use std::path::PathBuf;

pub use catalogue::{Catalogue, FieldType, StandardField};
pub use model::{
    CustomerField, EntryKey, FieldSource, MappingEntry, MappingState, Object, Suggestion,
};
pub use sheet::{Change, Import, SheetError};
pub use suggest::suggest;
pub use validate::{Issue, validate};

use crate::store::StoreError;

/// Everything mapping can fail with, worded for the person at the keyboard.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored mapping is unreadable: {0}")]
    Corrupt(String),
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("team {0:?} has no field mapping yet; run `icims-onboard mapping fields suggest {0}`")]
    Empty(String),
    #[error(
        "the field mapping of {team:?} cannot be approved: {}",
        issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    NotApprovable { team: String, issues: Vec<Issue> },
}
