//! The work and replies of the two credential pages (step 1 basic sync, step 2 deep sync
//! credentials), which share one driver (`drivers/checks.rs`): saves, background tests
//! with progress, dedupe and source-person lookups, and recording finished tests.

use crate::icims::checks::dedupe::{Candidate, DedupeResult};
use crate::icims::checks::record::StoredMatrix;
use crate::icims::checks::source_person::SourcePersonRow;
use crate::icims::checks::{CheckEvent, CheckRow, HiddenField};
use crate::store::Region;
use crate::tui::keymap::Action;
use crate::tui::model::TestRun;
use crate::tui::pages::contract::PageOut;
use crate::tui::pages::forms::Secret;
use crate::tui::widgets::check_table;

/// Where a credential page is while keys arrive, apart from its form: the full-text
/// overlay and the pending "discard typed values?" question.
pub struct FormGuard<'a> {
    pub details: &'a mut Option<String>,
    pub confirm_discard: &'a mut bool,
    /// Typed values not saved yet.
    pub unsaved: bool,
    pub test: &'a TestRun,
    /// The form's name in the full text.
    pub form: &'a str,
}

/// The keys both credential pages handle the same way before their own: any key closes
/// the full-text overlay, Ctrl-o opens it, a pending discard question takes y/n, and Esc
/// asks first when typed values are unsaved. `None` leaves the key to the page.
pub fn guard_keys<W>(g: FormGuard<'_>, action: Option<Action>) -> Option<Vec<PageOut<W>>> {
    if g.details.take().is_some() {
        return Some(Vec::new());
    }
    if action == Some(Action::Details) {
        *g.details = check_table::full_text(g.test, g.form);
        return Some(Vec::new());
    }
    if *g.confirm_discard {
        return Some(match action {
            Some(Action::Yes) => vec![PageOut::Close],
            Some(Action::No | Action::Back) => {
                *g.confirm_discard = false;
                Vec::new()
            }
            _ => Vec::new(),
        });
    }
    if action == Some(Action::Back) {
        if g.unsaved {
            *g.confirm_discard = true;
            return Some(Vec::new());
        }
        return Some(vec![PageOut::Close]);
    }
    None
}

/// Work the credential pages ask the driver for.
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
    /// Test the Basic user. With `typed`, the test uses the credentials typed on the page
    /// (nothing is saved); otherwise the stored ones.
    RunBasicTest {
        team: String,
        typed: Option<TypedBasic>,
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
    /// Run the preflight. With `typed`, it uses the clients typed on the page (nothing is
    /// saved); otherwise the stored ones.
    RunPreflight {
        team: String,
        typed: Option<TypedDeep>,
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

/// Basic credentials typed on the page, tried before they replace the stored ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedBasic {
    pub customer_id: u64,
    pub region: Region,
    pub username: String,
    /// `None`: the stored password.
    pub password: Option<Secret>,
}

/// REST / Data Stream clients typed on the page (empty id: the stored credential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedDeep {
    pub rest_client_id: String,
    pub rest_secret: Option<Secret>,
    pub datastream_client_id: String,
    pub datastream_secret: Option<Secret>,
}

/// Replies and progress for the credential pages.
#[derive(Debug)]
pub enum StepMsg {
    Loaded {
        step: u8,
        last: Option<StoredMatrix>,
    },
    Saved(Result<String, String>),
    Progress(CheckEvent),
    /// A finished Basic test; `typed` echoes the unsaved credentials it used, if any.
    BasicDone {
        team: String,
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
        typed: Option<TypedBasic>,
    },
    /// A finished preflight; `typed` echoes the unsaved clients it used, if any.
    PreflightDone {
        team: String,
        rows: Vec<CheckRow>,
        hidden: Vec<HiddenField>,
        linkedin_field: Option<String>,
        typed: Option<TypedDeep>,
    },
    DedupeDone(Result<(Vec<DedupeResult>, Vec<String>), String>),
    SourceDone(Result<(Vec<SourcePersonRow>, Vec<String>), String>),
    Recorded(Result<String, String>),
}

fn passed(rows: &[CheckRow]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.ok || !r.required)
}

impl StepMsg {
    /// What a finished test leads to, wherever it lands: tested with the stored
    /// credentials, it is recorded; tested with typed ones, they are saved and the run
    /// recorded only when it passed — a failed try leaves the stored, working credentials
    /// and the step state alone.
    pub fn finish_effects(self) -> Vec<StepEffect> {
        match self {
            StepMsg::BasicDone {
                team,
                rows,
                hidden,
                typed,
            } => match typed {
                Some(_) if !passed(&rows) => Vec::new(),
                Some(t) => vec![
                    StepEffect::SaveBasic {
                        team: team.clone(),
                        customer_id: t.customer_id,
                        region: t.region,
                        username: t.username,
                        password: t.password,
                    },
                    StepEffect::RecordBasic { team, rows, hidden },
                ],
                None => vec![StepEffect::RecordBasic { team, rows, hidden }],
            },
            StepMsg::PreflightDone {
                team,
                rows,
                hidden,
                linkedin_field,
                typed,
            } => {
                let record = StepEffect::RecordPreflight {
                    team: team.clone(),
                    rows: rows.clone(),
                    hidden,
                    linkedin_field,
                };
                match typed {
                    Some(_) if !passed(&rows) => Vec::new(),
                    Some(t) => vec![
                        StepEffect::SaveDeep {
                            team,
                            rest_client_id: t.rest_client_id,
                            rest_secret: t.rest_secret,
                            datastream_client_id: t.datastream_client_id,
                            datastream_secret: t.datastream_secret,
                        },
                        record,
                    ],
                    None => vec![record],
                }
            }
            _ => Vec::new(),
        }
    }
}
