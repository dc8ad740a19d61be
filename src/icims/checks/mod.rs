//! The step 1 and step 2 checks: the basic test ([`basic`]), the deep-sync preflight
//! matrix ([`preflight`]), hidden-field detection on sample records ([`hidden`]), the
//! dedupe preview ([`dedupe`]), the source-person check ([`source_person`]), running
//! everything for a team ([`run`]) and recording outcomes as facts ([`record`]).
//!
//! Every row is `{name, ok, required, http_status, error_code, message, remedy}`; a
//! failure's message and remedy come from the typed [`IcimsError`].

pub mod basic;
pub mod dedupe;
pub mod hidden;
pub mod people;
pub mod preflight;
pub mod record;
pub mod run;
pub mod source_person;

use serde::{Deserialize, Serialize};

use super::error::IcimsError;

pub use hidden::{FieldStatus, HiddenField, InUseEvidence};
pub use run::{CheckReport, TeamAuth, run_checks, run_checks_with};

/// One row of a check matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckRow {
    /// Stable id, e.g. `basic.auth`, `people.search`, `datastream.events`.
    pub name: String,
    /// The onboarding step the row belongs to (1 or 2).
    pub step: u8,
    pub ok: bool,
    /// A required row that fails fails the step.
    pub required: bool,
    pub http_status: Option<u16>,
    pub error_code: Option<i64>,
    /// What was found, in plain words.
    pub message: String,
    /// What to do when it failed.
    pub remedy: Option<String>,
}

impl CheckRow {
    pub fn pass(name: &str, step: u8, message: impl Into<String>) -> CheckRow {
        CheckRow {
            name: name.to_string(),
            step,
            ok: true,
            required: true,
            http_status: Some(200),
            error_code: None,
            message: message.into(),
            remedy: None,
        }
    }

    pub fn fail(name: &str, step: u8, err: &IcimsError) -> CheckRow {
        CheckRow {
            name: name.to_string(),
            step,
            ok: false,
            required: true,
            http_status: err.http_status(),
            error_code: err.error_code(),
            message: err.to_string(),
            remedy: Some(err.remedy()),
        }
    }

    /// A row that could not run (missing credential, an earlier failure it depends on).
    pub fn not_run(
        name: &str,
        step: u8,
        why: impl Into<String>,
        remedy: impl Into<String>,
    ) -> CheckRow {
        CheckRow {
            name: name.to_string(),
            step,
            ok: false,
            required: true,
            http_status: None,
            error_code: None,
            message: why.into(),
            remedy: Some(remedy.into()),
        }
    }

    pub fn from_result<T>(
        name: &str,
        step: u8,
        result: &Result<T, IcimsError>,
        describe: impl FnOnce(&T) -> String,
    ) -> CheckRow {
        match result {
            Ok(v) => CheckRow::pass(name, step, describe(v)),
            Err(e) => CheckRow::fail(name, step, e),
        }
    }

    pub fn optional(mut self) -> CheckRow {
        self.required = false;
        self
    }
}

/// What a running check reports as it goes (for progress views).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckEvent {
    /// A row is being checked now.
    Started { name: String },
    /// A row is done.
    Finished(CheckRow),
    /// Hidden-field sampling found these.
    Hidden(Vec<HiddenField>),
}

/// A sink for progress events; `&|_| {}` ignores them.
pub type Progress<'a> = &'a (dyn Fn(CheckEvent) + Send + Sync);

/// The human title of a row name, for screens.
pub fn title_of(name: &str) -> String {
    match name {
        "basic.auth" => "Basic user: authenticated call".into(),
        "basic.fields" => "Basic user: fields visible".into(),
        "rest.fields" => "REST client: fields visible".into(),
        "rest.token" => "REST OAuth token".into(),
        "people.search" => "People search".into(),
        "people.get" => "People get".into(),
        "jobs.search" => "Jobs search".into(),
        "jobs.get" => "Jobs get".into(),
        "applicantworkflows.search" => "Applicant workflows search".into(),
        "applicantworkflows.get" => "Applicant workflows get".into(),
        "statuses" => "Workflow statuses".into(),
        "person.folders" => "Person folders".into(),
        "schema" => "Schema API".into(),
        "datastream.token" => "Data Stream OAuth token".into(),
        "datastream.subscriptions" => "Data Stream subscriptions".into(),
        "datastream.events" => "Data Stream events".into(),
        other => other.to_string(),
    }
}
