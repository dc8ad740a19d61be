//! The stored facts a team's step states are derived from: their keys, their shapes, and
//! [`OnboardingFacts`], the snapshot loaded from the store in one go.
//!
//! Modules that run tests or imports record their outcome with `Store::set_fact` under
//! these keys; nothing sets a step state by hand.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{CredentialKind, JobState, Result, Store, Team};

/// Fact keys.
pub mod keys {
    /// Step 1 *Test* outcome ([`super::TestOutcome`]).
    pub const BASIC_TEST: &str = "basic.test";
    /// Step 1 *Sync enabled* toggle (bool).
    pub const BASIC_SYNC_ENABLED: &str = "basic.sync_enabled";
    /// Step 2 preflight matrix outcome ([`super::TestOutcome`]).
    pub const DEEP_PREFLIGHT: &str = "deep.preflight";
    /// Step 3 import outcome ([`super::ExportOutcome`]).
    pub const EXPORT_IMPORTED: &str = "export.imported";
    /// Step 4 mapping state ([`super::MappingOutcome`]).
    pub const FIELD_MAPPING: &str = "mapping.fields";
    /// Step 4 approval ([`super::Approval`]); cleared by any later change.
    pub const FIELD_MAPPING_APPROVED: &str = "mapping.fields.approved";
    /// Step 5 initial pass complete ([`super::Approval`] used as a timestamped marker).
    pub const SYNC_INITIAL_DONE: &str = "sync.initial_done";
    /// Step 6 status catalogue and mapping state ([`super::StageOutcome`]).
    pub const STAGES: &str = "mapping.stages";
    /// Step 6 approval ([`super::Approval`]).
    pub const STAGES_APPROVED: &str = "mapping.stages.approved";
    /// The team's customer id or API base changed (`team set`, the console's edit form):
    /// step 1 and 2 tests recorded before it no longer count.
    pub const TEAM_API_CHANGED: &str = crate::store::teams::FACT_API_CHANGED;
    /// The team's token URL or Data Stream base changed: step 2 preflights recorded
    /// before it no longer count.
    pub const TEAM_DEEP_ENDPOINTS_CHANGED: &str = crate::store::teams::FACT_DEEP_ENDPOINTS_CHANGED;
}

/// Job kinds that belong to step 3 (export download and import).
pub const EXPORT_JOB_KINDS: [&str; 2] = ["export.fetch", "export.import"];
/// Job kind of the deep sync.
pub const SYNC_JOB_KIND: &str = "sync.deep";

/// The result of a credential test or preflight.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    pub ok: bool,
    /// One line for the step list: what passed or what failed.
    pub summary: String,
    /// Names of the required checks that failed.
    #[serde(default)]
    pub failed: Vec<String>,
    /// Warnings that do not fail the test (e.g. hidden fields).
    #[serde(default)]
    pub warnings: u32,
}

/// The result of importing the historical export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOutcome {
    pub files: u32,
    pub rows: u64,
    pub bad_rows: u64,
    /// The export's cut-off (latest "updated" value), if known.
    #[serde(default)]
    pub cutoff: Option<String>,
    /// Distinct workflow status values seen.
    #[serde(default)]
    pub statuses: u32,
}

/// Where the field mapping stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingOutcome {
    pub fields: u32,
    pub mapped: u32,
    /// Validation problems (required target unmapped, target mapped twice, bad types).
    #[serde(default)]
    pub errors: u32,
}

/// Where the stage mapping stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageOutcome {
    pub statuses_in_use: u32,
    /// In-use pipeline statuses without a stage, plus statuses new since the approval.
    pub unmapped: u32,
    /// Names of the statuses first seen after the approval and not yet reviewed (drift).
    #[serde(default)]
    pub new_since_approval: Vec<String>,
}

/// An approval or completion marker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    #[serde(default)]
    pub note: Option<String>,
}

/// A fact value with who recorded it and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamped<T> {
    pub value: T,
    pub actor: String,
    pub at: String,
}

/// The latest job of a step, as far as state derivation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFact {
    pub kind: String,
    pub state: JobState,
    pub error: Option<String>,
}

/// Everything the step states of one team are derived from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnboardingFacts {
    /// Credential kinds stored, with their last update time.
    pub credentials: BTreeMap<CredentialKind, String>,
    pub basic_test: Option<Stamped<TestOutcome>>,
    pub sync_enabled: bool,
    pub preflight: Option<Stamped<TestOutcome>>,
    pub export_job: Option<JobFact>,
    pub export: Option<Stamped<ExportOutcome>>,
    pub field_mapping: Option<Stamped<MappingOutcome>>,
    pub field_mapping_approved: Option<Stamped<Approval>>,
    pub sync_job: Option<JobFact>,
    pub sync_initial_done: Option<Stamped<Approval>>,
    pub stages: Option<Stamped<StageOutcome>>,
    pub stages_approved: Option<Stamped<Approval>>,
    /// When the customer id or API base in effect last changed.
    pub api_changed_at: Option<String>,
    /// When the token URL or Data Stream base in effect last changed.
    pub deep_endpoints_changed_at: Option<String>,
}

impl OnboardingFacts {
    /// Reads a team's facts, credentials and latest jobs from the store.
    pub fn load(store: &Store, team: &Team) -> Result<OnboardingFacts> {
        let mut facts = OnboardingFacts::default();
        for summary in store.credential_summaries(team)? {
            facts.credentials.insert(summary.kind, summary.updated_at);
        }
        for fact in store.facts(team)? {
            let (actor, at) = (fact.actor, fact.at);
            let value = fact.value;
            macro_rules! stamped {
                () => {
                    decode(value).map(|v| Stamped {
                        value: v,
                        actor: actor.clone(),
                        at: at.clone(),
                    })
                };
            }
            match fact.key.as_str() {
                keys::BASIC_TEST => facts.basic_test = stamped!(),
                keys::BASIC_SYNC_ENABLED => facts.sync_enabled = value.as_bool().unwrap_or(false),
                keys::DEEP_PREFLIGHT => facts.preflight = stamped!(),
                keys::EXPORT_IMPORTED => facts.export = stamped!(),
                keys::FIELD_MAPPING => facts.field_mapping = stamped!(),
                keys::FIELD_MAPPING_APPROVED => facts.field_mapping_approved = stamped!(),
                keys::SYNC_INITIAL_DONE => facts.sync_initial_done = stamped!(),
                keys::STAGES => facts.stages = stamped!(),
                keys::STAGES_APPROVED => facts.stages_approved = stamped!(),
                keys::TEAM_API_CHANGED => facts.api_changed_at = Some(at.clone()),
                keys::TEAM_DEEP_ENDPOINTS_CHANGED => {
                    facts.deep_endpoints_changed_at = Some(at.clone())
                }
                _ => {}
            }
        }
        let latest = |kinds: &[&str]| -> Result<Option<JobFact>> {
            let mut best: Option<crate::store::Job> = None;
            for kind in kinds {
                if let Some(job) = store.latest_job(team, kind)?
                    && best.as_ref().is_none_or(|b| job.id > b.id)
                {
                    best = Some(job);
                }
            }
            Ok(best.map(|j| JobFact {
                kind: j.kind,
                state: j.state,
                error: j.error,
            }))
        };
        facts.export_job = latest(&EXPORT_JOB_KINDS)?;
        facts.sync_job = latest(&[SYNC_JOB_KIND])?;
        Ok(facts)
    }

    /// When the credential of `kind` was last stored, if it is.
    pub fn credential_updated(&self, kind: CredentialKind) -> Option<&str> {
        self.credentials.get(&kind).map(String::as_str)
    }
}

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Option<T> {
    serde_json::from_value(value).ok()
}
