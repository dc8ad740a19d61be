//! Step 5 page, deep sync: its state, the three gates (credentials tested, export
//! imported, field mapping approved) with ✓/✗, and its inputs. Planning and running the
//! sync are not built yet and say so; the deep sync engine (issue 11) fills in
//! [`DeepSyncWork`], [`DeepSyncReply`] and `drivers/deep_sync.rs`.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::onboarding::{Step, StepState, StepStatus};
use crate::store::CredentialKind;
use crate::tui::keymap::{Action, Context};
use crate::tui::model::TeamRow;
use crate::tui::pages::contract::{Page, PageOut};
use crate::tui::theme::Theme;
use crate::tui::widgets::step_summary::{self, Summary};

/// Work the step 5 page asks its driver for (none yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepSyncWork {}

/// Replies for the step 5 page (none yet).
#[derive(Debug)]
pub enum DeepSyncReply {}

/// The step 5 page: a snapshot of the team it was opened on, followed on refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepSyncPage {
    pub row: TeamRow,
}

impl DeepSyncPage {
    fn done(&self, step: Step) -> bool {
        self.row
            .status(step)
            .is_some_and(|s| s.state == StepState::Done)
    }

    fn summary(&self) -> Option<Summary<'_>> {
        let status: &StepStatus = self.row.status(Step::DeepSync)?;
        let gates = vec![
            (
                "deep sync credentials tested (step 2)".to_string(),
                self.done(Step::DeepSyncCredentials),
            ),
            (
                "historical export imported (step 3)".to_string(),
                self.done(Step::HistoricalExport),
            ),
            (
                "field mapping approved (step 4)".to_string(),
                self.done(Step::FieldMapping),
            ),
        ];
        let theme_free = |stored: bool| {
            if stored {
                "stored".to_string()
            } else {
                "not set (step 2)".to_string()
            }
        };
        let inputs = vec![
            (
                "Objects",
                "people, jobs, applicant workflows".to_string(),
                ratatui::style::Style::default(),
            ),
            (
                "Daily API quota",
                "10,000 calls (iCIMS default)".to_string(),
                ratatui::style::Style::default(),
            ),
            (
                "Changes since",
                "the export's cut-off (step 3)".to_string(),
                ratatui::style::Style::default(),
            ),
            (
                "REST client",
                theme_free(self.row.credential(CredentialKind::Rest).is_some()),
                ratatui::style::Style::default(),
            ),
            (
                "Data Stream client",
                theme_free(self.row.credential(CredentialKind::Datastream).is_some()),
                ratatui::style::Style::default(),
            ),
        ];
        Some(Summary {
            status,
            gates,
            inputs,
            not_yet: vec![
                "Plan: estimated calls and time against the quota",
                "Start, pause and resume the initial pass; progress and failures",
            ],
        })
    }
}

impl Page for DeepSyncPage {
    type Work = DeepSyncWork;
    type Reply = DeepSyncReply;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<DeepSyncWork>>) {
        (DeepSyncPage { row: row.clone() }, Vec::new())
    }

    fn step(&self) -> Step {
        Step::DeepSync
    }

    fn context(&self) -> Context {
        Context::DeepSync
    }

    fn on_key(&mut self, action: Option<Action>, _key: KeyEvent) -> Vec<PageOut<DeepSyncWork>> {
        match action {
            Some(Action::Back) => vec![PageOut::Close],
            Some(Action::Refresh) => vec![PageOut::Reload],
            _ => Vec::new(),
        }
    }

    fn on_reply(&mut self, reply: DeepSyncReply) -> Vec<PageOut<DeepSyncWork>> {
        match reply {}
    }

    fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<DeepSyncWork>> {
        self.row = row.clone();
        Vec::new()
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if let Some(summary) = self.summary() {
            let mut summary = summary;
            for input in summary.inputs.iter_mut() {
                input.2 = if input.1.starts_with("not set") {
                    theme.muted
                } else {
                    theme.text
                };
            }
            step_summary::render(frame, area, &summary, theme);
        }
    }
}
