//! Console types every layer shares, with no console imports of their own: the team
//! snapshot the screens and pages draw ([`TeamRow`]), the status line ([`Status`]), a
//! background test's progress ([`TestRun`]) and the smallest terminal drawn in. Keeping
//! them here is what keeps the import graph among console modules free of cycles.

use crate::icims::checks::record::StoredMatrix;
use crate::icims::checks::{CheckEvent, CheckRow, HiddenField};
use crate::onboarding::{Step, StepStatus};
use crate::store::{CredentialKind, CredentialSummary, Team};

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// A team as the screens show it: a snapshot read from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRow {
    pub team: Team,
    pub steps: Vec<StepStatus>,
    pub credentials: Vec<CredentialSummary>,
    pub sync_enabled: bool,
}

impl TeamRow {
    pub fn credential(&self, kind: CredentialKind) -> Option<&CredentialSummary> {
        self.credentials.iter().find(|c| c.kind == kind)
    }

    /// The derived status of one step.
    pub fn status(&self, step: Step) -> Option<&StepStatus> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// A line at the bottom saying what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

impl Status {
    pub fn text(&self) -> &str {
        match self {
            Status::Info(t) | Status::Error(t) => t,
        }
    }
}

/// A background test: not run (in this session), running, or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestRun {
    Idle,
    Running {
        done: Vec<CheckRow>,
        current: Option<String>,
        total: usize,
    },
    Finished {
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
        /// "2026-11-21T06:00:00Z by alice" for a stored run; `None` when just run.
        when: Option<String>,
    },
}

impl TestRun {
    pub fn running(total: usize) -> TestRun {
        TestRun::Running {
            done: Vec::new(),
            current: None,
            total,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, TestRun::Running { .. })
    }

    /// Applies a progress event (ignored unless running).
    pub fn progress(&mut self, event: CheckEvent) {
        if let TestRun::Running { done, current, .. } = self {
            match event {
                CheckEvent::Started { name } => *current = Some(name),
                CheckEvent::Finished(row) => {
                    *current = None;
                    done.push(row);
                }
                CheckEvent::Hidden(_) => {}
            }
        }
    }

    pub fn from_stored(last: StoredMatrix) -> TestRun {
        TestRun::Finished {
            when: Some(format!("{} by {}", last.at, last.actor)),
            rows: last.checks,
            hidden: last.hidden_fields,
        }
    }

    /// Whether every required row passed (finished runs only).
    pub fn passed(&self) -> Option<bool> {
        match self {
            TestRun::Finished { rows, .. } => Some(rows.iter().all(|r| r.ok || !r.required)),
            _ => None,
        }
    }
}

/// A team name as a shell needs it in a command shown for copy-paste.
pub use crate::shell::quote as shell_quote;
