//! What the step 1 and step 2 screens share: their messages and effects, the state of a
//! background test run (idle, running with progress, finished), a redacted secret wrapper
//! for effects, and the dispatch between the two screens.

use std::fmt;

use crossterm::event::KeyEvent;
use secrecy::{ExposeSecret, SecretString};

use super::basic_sync::BasicSyncScreen;
use super::deep_sync::DeepSyncScreen;
use crate::icims::checks::dedupe::{Candidate, DedupeResult};
use crate::icims::checks::record::StoredMatrix;
use crate::icims::checks::source_person::SourcePersonRow;
use crate::icims::checks::{CheckEvent, CheckRow, HiddenField};
use crate::store::Region;
use crate::tui::keymap::Action;

/// A secret typed into a form, on its way to the store. `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(pub SecretString);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

impl Eq for Secret {}

/// Work the step screens ask the driver for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepEffect {
    /// Read the last stored run of a step (1 or 2).
    LoadLast {
        team: String,
        step: u8,
    },
    /// Store the team's customer id/region and the Basic credential (`None` keeps the
    /// stored password).
    SaveBasic {
        team: String,
        customer_id: u64,
        region: Region,
        username: String,
        password: Option<Secret>,
    },
    RunBasicTest {
        team: String,
    },
    SetSyncEnabled {
        team: String,
        enabled: bool,
    },
    RunDedupe {
        team: String,
        candidates: Vec<Candidate>,
        csv_file: Option<String>,
    },
    RunSourcePerson {
        team: String,
        emails: String,
        file: Option<String>,
    },
    /// Store the REST and Data Stream credentials (`None` secrets keep the stored ones;
    /// an empty client id leaves that credential alone).
    SaveDeep {
        team: String,
        rest_client_id: String,
        rest_secret: Option<Secret>,
        datastream_client_id: String,
        datastream_secret: Option<Secret>,
    },
    RunPreflight {
        team: String,
    },
    RecordBasic {
        team: String,
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
    },
    RecordPreflight {
        team: String,
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
        linkedin_field: Option<String>,
    },
}

/// Replies and progress for the step screens.
#[derive(Debug)]
pub enum StepMsg {
    Loaded {
        step: u8,
        last: Option<StoredMatrix>,
    },
    Saved(Result<String, String>),
    Progress(CheckEvent),
    BasicDone {
        team: String,
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
    },
    PreflightDone {
        team: String,
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
        linkedin_field: Option<String>,
    },
    DedupeDone(Result<(Vec<DedupeResult>, Vec<String>), String>),
    SourceDone(Result<(Vec<SourcePersonRow>, Vec<String>), String>),
    Recorded(Result<String, String>),
}

impl StepMsg {
    /// The effect that records a finished test (used when its screen was closed meanwhile).
    pub fn record_effect(self) -> Option<StepEffect> {
        match self {
            StepMsg::BasicDone { team, rows, hidden } => {
                Some(StepEffect::RecordBasic { team, rows, hidden })
            }
            StepMsg::PreflightDone {
                team,
                rows,
                hidden,
                linkedin_field,
            } => Some(StepEffect::RecordPreflight {
                team,
                rows,
                hidden,
                linkedin_field,
            }),
            _ => None,
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

/// The open step screen.
#[derive(Debug)]
pub enum StepScreen {
    Basic(Box<BasicSyncScreen>),
    Deep(Box<DeepSyncScreen>),
}

impl StepScreen {
    pub fn team(&self) -> &str {
        match self {
            StepScreen::Basic(s) => &s.team,
            StepScreen::Deep(s) => &s.team,
        }
    }

    /// A key, as its keymap action (if any) and the raw event for text input.
    pub fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<StepEffect> {
        match self {
            StepScreen::Basic(s) => s.on_key(action, key),
            StepScreen::Deep(s) => s.on_key(action, key),
        }
    }

    /// A reply or progress message.
    pub fn on_msg(&mut self, msg: StepMsg) -> Vec<StepEffect> {
        match self {
            StepScreen::Basic(s) => s.on_msg(msg),
            StepScreen::Deep(s) => s.on_msg(msg),
        }
    }

    /// Whether a text field has focus (so `q` types instead of quitting).
    pub fn typing(&self) -> bool {
        match self {
            StepScreen::Basic(s) => s.typing(),
            StepScreen::Deep(s) => s.typing(),
        }
    }
}

/// A one-line text field.
pub fn single_line() -> ratatui_textarea::TextArea<'static> {
    let mut t = ratatui_textarea::TextArea::default();
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

/// A one-line field whose characters show as `•`.
pub fn masked_line() -> ratatui_textarea::TextArea<'static> {
    let mut t = single_line();
    t.set_mask_char('•');
    t
}

/// A field's text, trimmed.
pub fn text_of(t: &ratatui_textarea::TextArea<'_>) -> String {
    t.lines().join("").trim().to_string()
}

/// A field with `value` typed in.
pub fn line_with(value: &str) -> ratatui_textarea::TextArea<'static> {
    let mut t = single_line();
    t.insert_str(value);
    t
}

/// Whether a key should reach a text field (printable characters, editing keys).
pub fn is_text_key(key: &KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    !key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(
            key.code,
            KeyCode::Char(_)
                | KeyCode::Backspace
                | KeyCode::Delete
                | KeyCode::Left
                | KeyCode::Right
                | KeyCode::Home
                | KeyCode::End
        )
}
