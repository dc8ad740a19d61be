//! Step 6 page, pipeline stage mapping: its state, its gate (workflow statuses known from
//! the export or the sync) and its inputs. Mapping statuses to stages is not built yet and
//! says so; the stage mapping issue (13) fills in [`StageMappingWork`],
//! [`StageMappingReply`] and `drivers/stage_mapping.rs`.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::onboarding::Step;
use crate::tui::keymap::{Action, Context};
use crate::tui::model::TeamRow;
use crate::tui::pages::contract::{Page, PageOut};
use crate::tui::theme::Theme;
use crate::tui::widgets::step_summary::{self, Summary};

/// Work the step 6 page asks its driver for (none yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageMappingWork {}

/// Replies for the step 6 page (none yet).
#[derive(Debug)]
pub enum StageMappingReply {}

/// The step 6 page: a snapshot of the team it was opened on, followed on refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct StageMappingPage {
    pub row: TeamRow,
}

impl Page for StageMappingPage {
    type Work = StageMappingWork;
    type Reply = StageMappingReply;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<StageMappingWork>>) {
        (StageMappingPage { row: row.clone() }, Vec::new())
    }

    fn step(&self) -> Step {
        Step::StageMapping
    }

    fn context(&self) -> Context {
        Context::StageMapping
    }

    fn on_key(&mut self, action: Option<Action>, _key: KeyEvent) -> Vec<PageOut<StageMappingWork>> {
        match action {
            Some(Action::Back) => vec![PageOut::Close],
            Some(Action::Refresh) => vec![PageOut::Reload],
            _ => Vec::new(),
        }
    }

    fn on_reply(&mut self, reply: StageMappingReply) -> Vec<PageOut<StageMappingWork>> {
        match reply {}
    }

    fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<StageMappingWork>> {
        self.row = row.clone();
        Vec::new()
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let Some(status) = self.row.status(Step::StageMapping) else {
            return;
        };
        let known = !status.is_locked();
        let summary = Summary {
            status,
            gates: vec![(
                "workflow statuses known (from the imported export, step 3, or the deep sync, step 5)"
                    .to_string(),
                known,
            )],
            inputs: vec![
                (
                    "Statuses",
                    if known {
                        "known; listed here once stage mapping is built".to_string()
                    } else {
                        "none yet".to_string()
                    },
                    if known { theme.text } else { theme.muted },
                ),
                (
                    "Rejection reasons",
                    "map to the rejected stage".to_string(),
                    theme.text,
                ),
            ],
            not_yet: vec![
                "Suggested stage per status, review and edit",
                "Approve the stage mapping",
            ],
        };
        step_summary::render(frame, area, &summary, theme);
    }
}
