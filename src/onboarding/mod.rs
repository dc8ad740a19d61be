//! The six onboarding steps: what each is, its state derived from stored facts, and the
//! gates between them. Pure: [`derive`] turns [`OnboardingFacts`] into [`StepStatus`]es.

pub mod facts;

use std::fmt;

use serde::Serialize;

pub use facts::{
    Approval, ExportOutcome, JobFact, MappingOutcome, OnboardingFacts, StageOutcome, Stamped,
    TestOutcome, keys,
};

use crate::store::{CredentialKind, JobState};

/// One of the six steps, in runbook order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    BasicSync,
    DeepSyncCredentials,
    HistoricalExport,
    FieldMapping,
    DeepSync,
    StageMapping,
}

impl Step {
    pub const ALL: [Step; 6] = [
        Step::BasicSync,
        Step::DeepSyncCredentials,
        Step::HistoricalExport,
        Step::FieldMapping,
        Step::DeepSync,
        Step::StageMapping,
    ];

    /// 1-based position in the runbook.
    pub fn number(self) -> usize {
        Step::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    /// The name shown to people.
    pub fn title(self) -> &'static str {
        match self {
            Step::BasicSync => "Basic sync",
            Step::DeepSyncCredentials => "Deep sync credentials",
            Step::HistoricalExport => "Historical export",
            Step::FieldMapping => "Field mapping",
            Step::DeepSync => "Deep sync",
            Step::StageMapping => "Stage mapping",
        }
    }

    /// The stable id used in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Step::BasicSync => "basic_sync",
            Step::DeepSyncCredentials => "deep_sync_credentials",
            Step::HistoricalExport => "historical_export",
            Step::FieldMapping => "field_mapping",
            Step::DeepSync => "deep_sync",
            Step::StageMapping => "stage_mapping",
        }
    }

    /// What the step needs from the engineer, in one sentence.
    pub fn purpose(self) -> &'static str {
        match self {
            Step::BasicSync => {
                "Customer id, region and the API user's credentials; test them and enable sync."
            }
            Step::DeepSyncCredentials => {
                "REST OAuth client and Data Stream credentials; the preflight checks every permission."
            }
            Step::HistoricalExport => {
                "The customer's SFTP export: fetch, verify, import, and hand off to engineering."
            }
            Step::FieldMapping => {
                "Map the customer's fields to the standard fields; review with the customer and approve."
            }
            Step::DeepSync => {
                "Sync what changed since the export's cut-off within the daily API quota."
            }
            Step::StageMapping => {
                "Map every workflow status in use to a pipeline stage; rejection reasons map to rejected."
            }
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StepState {
    #[serde(rename = "todo")]
    Todo,
    #[serde(rename = "in progress")]
    InProgress,
    #[serde(rename = "needs attention")]
    NeedsAttention,
    #[serde(rename = "done")]
    Done,
}

impl StepState {
    pub fn label(self) -> &'static str {
        match self {
            StepState::Todo => "todo",
            StepState::InProgress => "in progress",
            StepState::NeedsAttention => "needs attention",
            StepState::Done => "done",
        }
    }
}

impl fmt::Display for StepState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A step's derived state, why it is locked (if it is), and a line of detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepStatus {
    pub step: Step,
    pub state: StepState,
    /// The unmet gates; empty when the step is open.
    pub locked_by: Vec<String>,
    /// One line saying what the state is based on or what to do next.
    pub detail: String,
}

impl StepStatus {
    pub fn is_locked(&self) -> bool {
        !self.locked_by.is_empty()
    }

    /// "Locked: …" text, if locked.
    pub fn lock_reason(&self) -> Option<String> {
        (!self.locked_by.is_empty()).then(|| format!("Locked: {}", self.locked_by.join("; ")))
    }
}

/// Derives all six step states from the facts.
pub fn derive(facts: &OnboardingFacts) -> Vec<StepStatus> {
    Step::ALL.iter().map(|s| derive_step(*s, facts)).collect()
}

/// Derives one step's state.
pub fn derive_step(step: Step, facts: &OnboardingFacts) -> StepStatus {
    let (state, detail) = match step {
        Step::BasicSync => basic_sync(facts),
        Step::DeepSyncCredentials => deep_credentials(facts),
        Step::HistoricalExport => historical_export(facts),
        Step::FieldMapping => field_mapping(facts),
        Step::DeepSync => deep_sync(facts),
        Step::StageMapping => stage_mapping(facts),
    };
    let locked_by = gates(step, facts);
    let (state, detail) = if locked_by.is_empty() {
        (state, detail)
    } else {
        (StepState::Todo, detail)
    };
    StepStatus {
        step,
        state,
        locked_by,
        detail,
    }
}

/// The unmet gates of a step.
pub fn gates(step: Step, facts: &OnboardingFacts) -> Vec<String> {
    let mut unmet = Vec::new();
    match step {
        Step::DeepSync => {
            if deep_credentials(facts).0 != StepState::Done {
                unmet.push("deep sync credentials not tested (step 2)".to_string());
            }
            if historical_export(facts).0 != StepState::Done {
                unmet.push("historical export not imported (step 3)".to_string());
            }
            if field_mapping(facts).0 != StepState::Done {
                unmet.push("field mapping not approved (step 4)".to_string());
            }
        }
        Step::StageMapping => {
            let from_export = facts.export.as_ref().is_some_and(|e| e.value.statuses > 0);
            let from_sync = facts
                .stages
                .as_ref()
                .is_some_and(|s| s.value.statuses_in_use > 0);
            if !from_export && !from_sync {
                unmet.push(
                    "no workflow statuses yet: import the export (step 3) or run the deep sync (step 5)"
                        .to_string(),
                );
            }
        }
        _ => {}
    }
    unmet
}

/// True when a test result is older than the credential it tested (or than the team
/// settings it was run against: a change is stamped strictly after any test it follows).
fn stale(test_at: &str, creds_at: Option<&str>) -> bool {
    creds_at.is_some_and(|c| c > test_at)
}

fn basic_sync(f: &OnboardingFacts) -> (StepState, String) {
    let creds_at = f.credential_updated(CredentialKind::Basic);
    if creds_at.is_none() {
        return (
            StepState::Todo,
            "enter the API username and password".into(),
        );
    }
    match &f.basic_test {
        None => (
            StepState::InProgress,
            "credentials stored, not tested".into(),
        ),
        Some(t) if stale(&t.at, creds_at) => (
            StepState::InProgress,
            "credentials changed since the last test; test again".into(),
        ),
        Some(t) if stale(&t.at, f.api_changed_at.as_deref()) => (
            StepState::InProgress,
            "customer id or API base changed since the last test; test again".into(),
        ),
        Some(t) if !t.value.ok => (StepState::NeedsAttention, t.value.summary.clone()),
        Some(_) if !f.sync_enabled => (StepState::InProgress, "test passed; enable sync".into()),
        Some(_) => (StepState::Done, "test passed, sync enabled".into()),
    }
}

fn deep_credentials(f: &OnboardingFacts) -> (StepState, String) {
    let rest = f.credential_updated(CredentialKind::Rest);
    let stream = f.credential_updated(CredentialKind::Datastream);
    if rest.is_none() && stream.is_none() {
        return (
            StepState::Todo,
            "enter the REST OAuth client and Data Stream credentials".into(),
        );
    }
    let newest = rest.max(stream);
    match &f.preflight {
        None => (
            StepState::InProgress,
            "credentials stored, preflight not run".into(),
        ),
        Some(t) if stale(&t.at, newest) => (
            StepState::InProgress,
            "credentials changed since the last preflight; run it again".into(),
        ),
        Some(t)
            if stale(&t.at, f.api_changed_at.as_deref())
                || stale(&t.at, f.deep_endpoints_changed_at.as_deref()) =>
        {
            (
                StepState::InProgress,
                "team endpoints or customer id changed since the last preflight; run it again"
                    .into(),
            )
        }
        Some(t) if !t.value.ok => (StepState::NeedsAttention, t.value.summary.clone()),
        Some(_) if rest.is_none() || stream.is_none() => (
            StepState::InProgress,
            format!(
                "{} credentials missing",
                if rest.is_none() {
                    "REST"
                } else {
                    "Data Stream"
                }
            ),
        ),
        Some(t) if t.value.warnings > 0 => (
            StepState::Done,
            format!("preflight passed with {} warning(s)", t.value.warnings),
        ),
        Some(_) => (StepState::Done, "preflight passed".into()),
    }
}

fn historical_export(f: &OnboardingFacts) -> (StepState, String) {
    if let Some(job) = &f.export_job {
        let what = if job.kind == "export.fetch" {
            "download"
        } else {
            "import"
        };
        match job.state {
            JobState::Queued | JobState::Running => {
                return (StepState::InProgress, format!("{what} running"));
            }
            JobState::Paused => return (StepState::InProgress, format!("{what} paused")),
            JobState::Failed if f.export.is_none() => {
                return (
                    StepState::NeedsAttention,
                    format!(
                        "{what} failed: {}",
                        job.error.as_deref().unwrap_or("see the log")
                    ),
                );
            }
            _ => {}
        }
    }
    if let Some(e) = &f.export {
        let quarantine = if e.value.bad_rows > 0 {
            format!(", {} quarantined", e.value.bad_rows)
        } else {
            String::new()
        };
        return (
            StepState::Done,
            format!(
                "{} file(s), {} rows imported{quarantine}",
                e.value.files, e.value.rows
            ),
        );
    }
    if f.credential_updated(CredentialKind::Sftp).is_some() {
        return (
            StepState::InProgress,
            "SFTP login stored; fetch the export".into(),
        );
    }
    (StepState::Todo, "enter the customer's SFTP login".into())
}

fn field_mapping(f: &OnboardingFacts) -> (StepState, String) {
    if let Some(a) = &f.field_mapping_approved {
        return (
            StepState::Done,
            format!("approved by {} at {}", a.actor, a.at),
        );
    }
    match &f.field_mapping {
        None => (StepState::Todo, "no mapping yet".into()),
        Some(m) if m.value.errors > 0 => (
            StepState::NeedsAttention,
            format!("{} validation problem(s)", m.value.errors),
        ),
        Some(m) => (
            StepState::InProgress,
            format!(
                "{} of {} fields mapped; approve when reviewed",
                m.value.mapped, m.value.fields
            ),
        ),
    }
}

fn deep_sync(f: &OnboardingFacts) -> (StepState, String) {
    if let Some(job) = &f.sync_job {
        match job.state {
            JobState::Queued | JobState::Running if f.sync_initial_done.is_some() => {
                return (StepState::Done, "initial pass complete; live".into());
            }
            JobState::Queued | JobState::Running => {
                return (StepState::InProgress, "initial pass running".into());
            }
            JobState::Paused if f.sync_initial_done.is_some() => {
                return (
                    StepState::Done,
                    "initial pass complete; live sync paused".into(),
                );
            }
            JobState::Paused => return (StepState::InProgress, "paused".into()),
            JobState::Failed => {
                return (
                    StepState::NeedsAttention,
                    format!(
                        "sync failed: {}",
                        job.error.as_deref().unwrap_or("see the log")
                    ),
                );
            }
            _ => {}
        }
    }
    if let Some(done) = &f.sync_initial_done {
        return (
            StepState::Done,
            format!("initial pass complete at {}", done.at),
        );
    }
    (StepState::Todo, "plan and start the deep sync".into())
}

fn stage_mapping(f: &OnboardingFacts) -> (StepState, String) {
    let unmapped = f.stages.as_ref().map_or(0, |s| s.value.unmapped);
    match (&f.stages_approved, &f.stages) {
        (Some(_), Some(s)) if !s.value.new_since_approval.is_empty() => {
            let names: Vec<String> = s
                .value
                .new_since_approval
                .iter()
                .take(3)
                .map(|n| format!("{:?}", n))
                .collect();
            let more = s.value.new_since_approval.len().saturating_sub(3);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            (
                StepState::NeedsAttention,
                format!(
                    "new status {}{more} since approval: map it and approve again",
                    names.join(", ")
                ),
            )
        }
        (Some(_), _) if unmapped > 0 => (
            StepState::NeedsAttention,
            format!("{unmapped} new status(es) unmapped since approval"),
        ),
        (Some(a), _) => (
            StepState::Done,
            format!("approved by {} at {}", a.actor, a.at),
        ),
        (None, Some(s)) => (
            StepState::InProgress,
            format!(
                "{} of {} statuses mapped",
                s.value.statuses_in_use - s.value.unmapped.min(s.value.statuses_in_use),
                s.value.statuses_in_use
            ),
        ),
        (None, None) => (StepState::Todo, "map statuses to pipeline stages".into()),
    }
}

#[cfg(test)]
mod tests;
