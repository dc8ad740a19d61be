//! Step 6 vocabulary: a status of the catalogue (with where it was seen and how many
//! workflows are in it now), the engineer's decision on it, and the effective target —
//! a pipeline stage, or "rejected" with its reason. The rule that a rejection status never
//! maps to a stage lives here ([`StatusRow::set_stage`]) and in storage, so every face obeys.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::detect::Detection;

/// The pseudo-target of every rejection status.
pub const REJECTED: &str = "rejected";

/// Where a status was seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seen {
    /// The Schema API's status options.
    Schema,
    /// The historical export.
    Export,
    /// Workflows written by the deep sync.
    Sync,
}

impl Seen {
    pub fn as_str(self) -> &'static str {
        match self {
            Seen::Schema => "schema",
            Seen::Export => "export",
            Seen::Sync => "sync",
        }
    }
    pub fn parse(s: &str) -> Option<Seen> {
        match s {
            "schema" => Some(Seen::Schema),
            "export" => Some(Seen::Export),
            "sync" => Some(Seen::Sync),
            _ => None,
        }
    }
}

/// One status of the team's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRecord {
    /// The list-node id (`C…`/`D…`), or `name:<label>` while only the export named it.
    pub id: String,
    pub name: String,
    pub bin: Option<String>,
    /// The tenant's order (Schema API order, then first seen).
    pub position: u32,
    pub first_seen: String,
    pub last_seen: String,
    /// Workflows in this status now (synced records when there are any, else the export).
    pub workflows: u64,
    pub seen_in: Vec<Seen>,
}

/// Prefix of the id of a status known only by its name.
pub const NAME_ID_PREFIX: &str = "name:";

impl StatusRecord {
    /// Whether the id is a real iCIMS list-node id.
    pub fn has_icims_id(&self) -> bool {
        !self.id.starts_with(NAME_ID_PREFIX)
    }
}

/// How the stage of a pipeline status was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    /// The suggestion stands, not yet reviewed.
    Suggested,
    /// The suggested stage was accepted.
    Accepted,
    /// Another stage was chosen (or the stage was cleared).
    Changed,
}

impl RowState {
    pub fn as_str(self) -> &'static str {
        match self {
            RowState::Suggested => "suggested",
            RowState::Accepted => "accepted",
            RowState::Changed => "changed",
        }
    }
    pub fn parse(s: &str) -> Option<RowState> {
        match s.trim().to_ascii_lowercase().as_str() {
            "suggested" => Some(RowState::Suggested),
            "accepted" => Some(RowState::Accepted),
            "changed" => Some(RowState::Changed),
            _ => None,
        }
    }
}

impl fmt::Display for RowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The engineer's override of detection, always with a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    pub rejection: bool,
    pub note: String,
}

/// Where a status maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Stage { id: String },
    Rejected { reason: String },
    Unmapped,
}

/// A refused edit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error(
        "{name:?} is a rejection reason ({reason}); it maps to rejected, not to stage {stage:?}"
    )]
    RejectionToStage {
        name: String,
        reason: String,
        stage: String,
    },
    #[error("{stage:?} is not one of the team's stages ({known})")]
    UnknownStage { stage: String, known: String },
    #[error("overriding detection of {name:?} needs a note saying why")]
    OverrideNeedsNote { name: String },
    #[error("{name:?} has no suggested stage to accept; pick one")]
    NothingToAccept { name: String },
}

/// One row of the stage mapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRow {
    pub status: StatusRecord,
    pub detection: Detection,
    pub override_: Option<Override>,
    /// Suggested stage id and why.
    pub suggested: Option<String>,
    pub suggestion_reason: String,
    /// The stage in effect (pipeline statuses only).
    pub stage: Option<String>,
    pub state: RowState,
    /// First seen after the step was approved and not yet reviewed (drift).
    pub new_since_approval: bool,
}

impl StatusRow {
    /// Rejection after the engineer's override, if any.
    pub fn is_rejection(&self) -> bool {
        self.override_
            .as_ref()
            .map_or(self.detection.rejection, |o| o.rejection)
    }

    /// Why the row is (or is not) a rejection, as shown: detection's reason, or the
    /// override's note.
    pub fn reason(&self) -> Option<String> {
        match &self.override_ {
            Some(o) if o.rejection => Some(format!("override: {}", o.note)),
            Some(_) => None,
            None if self.detection.rejection => self.detection.reason.clone(),
            None => None,
        }
    }

    /// The rejection reason carried with "rejected": the status's own wording.
    pub fn rejection_reason(&self) -> String {
        self.status.name.clone()
    }

    /// The effective target.
    pub fn target(&self) -> Target {
        if self.is_rejection() {
            Target::Rejected {
                reason: self.rejection_reason(),
            }
        } else {
            match &self.stage {
                Some(id) => Target::Stage { id: id.clone() },
                None => Target::Unmapped,
            }
        }
    }

    /// Maps the row to a stage of `stages`; refused for a rejection status.
    pub fn set_stage(
        &mut self,
        stage: &str,
        stages: &[super::rules::Stage],
    ) -> Result<(), EditError> {
        if self.is_rejection() {
            return Err(EditError::RejectionToStage {
                name: self.status.name.clone(),
                reason: self.reason().unwrap_or_default(),
                stage: stage.to_string(),
            });
        }
        let Some(found) = stages
            .iter()
            .find(|s| s.id == stage || s.name.eq_ignore_ascii_case(stage.trim()))
        else {
            return Err(EditError::UnknownStage {
                stage: stage.to_string(),
                known: stages
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        };
        self.state = if self.suggested.as_deref() == Some(found.id.as_str()) {
            RowState::Accepted
        } else {
            RowState::Changed
        };
        self.stage = Some(found.id.clone());
        Ok(())
    }

    /// Leaves a pipeline status without a stage on purpose.
    pub fn clear_stage(&mut self) {
        self.stage = None;
        self.state = RowState::Changed;
    }

    /// Accepts the suggestion.
    pub fn accept(&mut self, stages: &[super::rules::Stage]) -> Result<(), EditError> {
        match self.suggested.clone() {
            Some(s) if !self.is_rejection() => self.set_stage(&s, stages),
            _ if self.is_rejection() => {
                self.state = RowState::Accepted;
                Ok(())
            }
            _ => Err(EditError::NothingToAccept {
                name: self.status.name.clone(),
            }),
        }
    }

    /// Overrides detection (`rejection` true or false) with a note; `None` restores
    /// detection. A row that becomes a rejection loses its stage.
    pub fn set_override(&mut self, value: Option<(bool, &str)>) -> Result<(), EditError> {
        match value {
            None => self.override_ = None,
            Some((rejection, note)) => {
                let note = note.trim();
                if note.is_empty() {
                    return Err(EditError::OverrideNeedsNote {
                        name: self.status.name.clone(),
                    });
                }
                self.override_ = Some(Override {
                    rejection,
                    note: note.to_string(),
                });
            }
        }
        if self.is_rejection() {
            self.stage = None;
        }
        self.state = RowState::Changed;
        Ok(())
    }

    /// Whether the row needs a stage before approval: a pipeline status with workflows.
    pub fn needs_stage(&self) -> bool {
        !self.is_rejection() && self.status.workflows > 0 && self.stage.is_none()
    }
}
