//! Validation of a stage mapping: every pipeline status with workflows has a stage of the
//! team's list; no rejection status has a stage; overrides carry a note; the team has
//! stages. Every issue blocks approval.

use std::fmt;

use serde::Serialize;

use super::model::StatusRow;
use super::rules::Stage;

/// One validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StageIssue {
    NoStages,
    InUseUnmapped {
        status_id: String,
        name: String,
        workflows: u64,
    },
    RejectionMapped {
        status_id: String,
        name: String,
        stage: String,
    },
    UnknownStage {
        status_id: String,
        name: String,
        stage: String,
    },
    OverrideWithoutNote {
        status_id: String,
        name: String,
    },
}

impl StageIssue {
    /// The status the issue is about, if any (for highlighting rows).
    pub fn status_id(&self) -> Option<&str> {
        match self {
            StageIssue::NoStages => None,
            StageIssue::InUseUnmapped { status_id, .. }
            | StageIssue::RejectionMapped { status_id, .. }
            | StageIssue::UnknownStage { status_id, .. }
            | StageIssue::OverrideWithoutNote { status_id, .. } => Some(status_id),
        }
    }
}

/// ` (C123)`, or nothing for a status known only by name.
fn id_note(status_id: &str) -> String {
    if status_id.starts_with(super::model::NAME_ID_PREFIX) {
        String::new()
    } else {
        format!(" ({status_id})")
    }
}

impl fmt::Display for StageIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StageIssue::NoStages => write!(f, "the team has no pipeline stages"),
            StageIssue::InUseUnmapped {
                status_id,
                name,
                workflows,
            } => write!(
                f,
                "status {name:?}{} has {workflows} workflow(s) and no stage",
                id_note(status_id)
            ),
            StageIssue::RejectionMapped {
                status_id,
                name,
                stage,
            } => write!(
                f,
                "status {name:?}{} is a rejection reason but is mapped to stage {stage:?}",
                id_note(status_id)
            ),
            StageIssue::UnknownStage {
                status_id,
                name,
                stage,
            } => write!(
                f,
                "status {name:?}{} is mapped to {stage:?}, which is not one of the team's stages",
                id_note(status_id)
            ),
            StageIssue::OverrideWithoutNote { status_id, name } => {
                write!(
                    f,
                    "the override of {name:?}{} has no note",
                    id_note(status_id)
                )
            }
        }
    }
}

/// Every problem of `rows` against the team's `stages`.
pub fn validate(rows: &[StatusRow], stages: &[Stage]) -> Vec<StageIssue> {
    let mut out = Vec::new();
    if stages.is_empty() {
        out.push(StageIssue::NoStages);
    }
    for r in rows {
        let (status_id, name) = (r.status.id.clone(), r.status.name.clone());
        if r.override_
            .as_ref()
            .is_some_and(|o| o.note.trim().is_empty())
        {
            out.push(StageIssue::OverrideWithoutNote {
                status_id: status_id.clone(),
                name: name.clone(),
            });
        }
        match (&r.stage, r.is_rejection()) {
            (Some(stage), true) => out.push(StageIssue::RejectionMapped {
                status_id,
                name,
                stage: stage.clone(),
            }),
            (Some(stage), false) if !stages.iter().any(|s| &s.id == stage) => {
                out.push(StageIssue::UnknownStage {
                    status_id,
                    name,
                    stage: stage.clone(),
                })
            }
            (None, false) if r.status.workflows > 0 => out.push(StageIssue::InUseUnmapped {
                status_id,
                name,
                workflows: r.status.workflows,
            }),
            _ => {}
        }
    }
    out
}
