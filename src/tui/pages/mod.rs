//! The step pages: one module per step, all following the one contract in
//! [`contract::Page`], dispatched here through [`StepPage`].
//!
//! # How to add a page
//!
//! A page is one module, one key table and one driver:
//!
//! 1. **Module** `pages/<name>.rs`: the page's state, its `Work` (what it asks the driver
//!    for) and `Reply` (what comes back) types, and `impl Page` — `open` from a team row,
//!    `context`, `availability` (which keys can act now, and why not), `on_key`, `on_reply`,
//!    `refresh` (the team's fresh snapshot on every store reload), `poll` (work for the
//!    250 ms tick while something runs) and `render`. No I/O: everything the page needs
//!    from the store or the network is `Work`.
//! 2. **Key table**: a `Context` variant and its table in `keymap.rs`, built from the
//!    shared groups (`BACK`, `GLOBAL` or `GLOBAL_TYPING`, `LIST`, `REFRESH`) plus the
//!    page's own bindings. Help, footer and the README's key lists come from it.
//! 3. **Driver** `drivers/<name>.rs`: runs the page's `Work` against the store (on the
//!    console thread; the store is not `Send`) and anything slow or blocking in a task,
//!    replying through the tagged [`drivers::Out`](crate::tui::drivers::Out).
//!
//! Then register it here: a [`StepPage`] variant, a [`Work`] and a [`ReplyBody`] variant,
//! and one arm in each `match` below (the compiler lists the ones missing). Replies carry
//! the team, the step, the page instance and a request id ([`Tag`]): a reply whose page
//! was closed meanwhile never lands in another page; [`orphan`] decides what still
//! happens to it (a finished test is still recorded).

pub mod basic_sync;
pub mod checks;
pub mod contract;
pub mod credentials;
pub mod deep_sync;
pub mod deep_sync_state;
pub mod deep_sync_view;
pub mod export;
pub mod field_mapping;
pub mod forms;
pub mod stage_mapping;

#[cfg(test)]
mod tests;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::onboarding::Step;
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::{Status, TeamRow};
use crate::tui::theme::Theme;
use basic_sync::BasicSyncPage;
use checks::{StepEffect, StepMsg};
use contract::{Page, PageOut};
use credentials::CredentialsPage;
use deep_sync::{DeepSyncPage, DeepSyncReply, DeepSyncWork};
use export::{ExportPage, ExportReply, ExportWork};
use field_mapping::{FieldMappingPage, MappingEffect, MappingMsg};
use stage_mapping::{StageMappingPage, StageMappingReply, StageMappingWork};

/// Where a request came from, carried by its reply: the team (by its stable id), the
/// step, the page instance (every opening gets a new one) and the request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag {
    pub team_id: i64,
    pub step: Step,
    pub page: u64,
    pub request: u64,
}

impl Tag {
    /// Whether a reply with this tag belongs to the page opened as `open`.
    pub fn same_page(&self, open: &Tag) -> bool {
        self.team_id == open.team_id && self.step == open.step && self.page == open.page
    }
}

/// Work of any page, for the drivers.
#[derive(Debug, Clone, PartialEq)]
pub enum Work {
    /// Steps 1 and 2.
    Checks(StepEffect),
    Export(ExportWork),
    Mapping(MappingEffect),
    DeepSync(DeepSyncWork),
    StageMapping(StageMappingWork),
}

/// A reply of any page's work.
#[derive(Debug)]
pub enum ReplyBody {
    Checks(StepMsg),
    Export(ExportReply),
    Mapping(MappingMsg),
    DeepSync(DeepSyncReply),
    StageMapping(StageMappingReply),
}

/// A reply with the tag of the request it answers.
#[derive(Debug)]
pub struct Reply {
    pub tag: Tag,
    pub body: ReplyBody,
}

/// The open page.
#[derive(Debug)]
pub enum StepPage {
    Basic(Box<BasicSyncPage>),
    Credentials(Box<CredentialsPage>),
    Export(Box<ExportPage>),
    FieldMapping(Box<FieldMappingPage>),
    DeepSync(Box<DeepSyncPage>),
    StageMapping(Box<StageMappingPage>),
}

fn lift<W>(outs: Vec<PageOut<W>>, wrap: fn(W) -> Work) -> Vec<PageOut<Work>> {
    outs.into_iter()
        .map(|o| match o {
            PageOut::Work(w) => PageOut::Work(wrap(w)),
            PageOut::Close => PageOut::Close,
            PageOut::Reload => PageOut::Reload,
            PageOut::Unchanged => PageOut::Unchanged,
            PageOut::Status(s) => PageOut::Status(s),
        })
        .collect()
}

fn opened<P: Page>(
    row: &TeamRow,
    page: fn(Box<P>) -> StepPage,
    wrap: fn(P::Work) -> Work,
) -> (StepPage, Vec<PageOut<Work>>) {
    let (p, outs) = P::open(row);
    (page(Box::new(p)), lift(outs, wrap))
}

/// Calls the same contract method on whichever page is open.
macro_rules! on_page {
    ($page:expr, $p:ident => $body:expr) => {
        match $page {
            StepPage::Basic($p) => $body,
            StepPage::Credentials($p) => $body,
            StepPage::Export($p) => $body,
            StepPage::FieldMapping($p) => $body,
            StepPage::DeepSync($p) => $body,
            StepPage::StageMapping($p) => $body,
        }
    };
}

impl StepPage {
    /// Opens the page of `step` on a team.
    pub fn open(step: Step, row: &TeamRow) -> (StepPage, Vec<PageOut<Work>>) {
        match step {
            Step::BasicSync => opened(row, StepPage::Basic, Work::Checks),
            Step::DeepSyncCredentials => opened(row, StepPage::Credentials, Work::Checks),
            Step::HistoricalExport => opened(row, StepPage::Export, Work::Export),
            Step::FieldMapping => opened(row, StepPage::FieldMapping, Work::Mapping),
            Step::DeepSync => opened(row, StepPage::DeepSync, Work::DeepSync),
            Step::StageMapping => opened(row, StepPage::StageMapping, Work::StageMapping),
        }
    }

    pub fn step(&self) -> Step {
        on_page!(self, p => p.step())
    }

    pub fn context(&self) -> Context {
        on_page!(self, p => p.context())
    }

    pub fn availability(&self, action: Action) -> Availability {
        on_page!(self, p => p.availability(action))
    }

    pub fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<Work>> {
        match self {
            StepPage::Basic(p) => lift(p.on_key(action, key), Work::Checks),
            StepPage::Credentials(p) => lift(p.on_key(action, key), Work::Checks),
            StepPage::Export(p) => lift(p.on_key(action, key), Work::Export),
            StepPage::FieldMapping(p) => lift(p.on_key(action, key), Work::Mapping),
            StepPage::DeepSync(p) => lift(p.on_key(action, key), Work::DeepSync),
            StepPage::StageMapping(p) => lift(p.on_key(action, key), Work::StageMapping),
        }
    }

    /// A reply for this page; one of another page's kind is handled as an orphan.
    pub fn on_reply(&mut self, body: ReplyBody) -> Vec<PageOut<Work>> {
        match (self, body) {
            (StepPage::Basic(p), ReplyBody::Checks(m)) => lift(p.on_reply(m), Work::Checks),
            (StepPage::Credentials(p), ReplyBody::Checks(m)) => lift(p.on_reply(m), Work::Checks),
            (StepPage::Export(p), ReplyBody::Export(m)) => lift(p.on_reply(m), Work::Export),
            (StepPage::FieldMapping(p), ReplyBody::Mapping(m)) => {
                lift(p.on_reply(m), Work::Mapping)
            }
            (StepPage::DeepSync(p), ReplyBody::DeepSync(m)) => lift(p.on_reply(m), Work::DeepSync),
            (StepPage::StageMapping(p), ReplyBody::StageMapping(m)) => {
                lift(p.on_reply(m), Work::StageMapping)
            }
            (_, body) => orphan(body),
        }
    }

    pub fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<Work>> {
        match self {
            StepPage::Basic(p) => lift(p.refresh(row), Work::Checks),
            StepPage::Credentials(p) => lift(p.refresh(row), Work::Checks),
            StepPage::Export(p) => lift(p.refresh(row), Work::Export),
            StepPage::FieldMapping(p) => lift(p.refresh(row), Work::Mapping),
            StepPage::DeepSync(p) => lift(p.refresh(row), Work::DeepSync),
            StepPage::StageMapping(p) => lift(p.refresh(row), Work::StageMapping),
        }
    }

    pub fn poll(&self) -> Option<Work> {
        match self {
            StepPage::Basic(p) => p.poll().map(Work::Checks),
            StepPage::Credentials(p) => p.poll().map(Work::Checks),
            StepPage::Export(p) => p.poll().map(Work::Export),
            StepPage::FieldMapping(p) => p.poll().map(Work::Mapping),
            StepPage::DeepSync(p) => p.poll().map(Work::DeepSync),
            StepPage::StageMapping(p) => p.poll().map(Work::StageMapping),
        }
    }

    pub fn resize(&mut self, size: (u16, u16)) {
        on_page!(self, p => p.resize(size))
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        on_page!(self, p => p.render(frame, area, theme))
    }

    pub fn basic(&self) -> Option<&BasicSyncPage> {
        match self {
            StepPage::Basic(p) => Some(p),
            _ => None,
        }
    }

    pub fn credentials(&self) -> Option<&CredentialsPage> {
        match self {
            StepPage::Credentials(p) => Some(p),
            _ => None,
        }
    }

    pub fn export(&self) -> Option<&ExportPage> {
        match self {
            StepPage::Export(p) => Some(p),
            _ => None,
        }
    }

    pub fn field_mapping(&self) -> Option<&FieldMappingPage> {
        match self {
            StepPage::FieldMapping(p) => Some(p),
            _ => None,
        }
    }

    pub fn field_mapping_mut(&mut self) -> Option<&mut FieldMappingPage> {
        match self {
            StepPage::FieldMapping(p) => Some(p),
            _ => None,
        }
    }
}

/// What happens to a reply whose page is gone (closed, or another page opened): a
/// finished test is still recorded (or, tried with typed credentials, saved and recorded
/// only if it passed); saves and recordings still reload the teams and report.
pub fn orphan(body: ReplyBody) -> Vec<PageOut<Work>> {
    let report = |r: Result<String, String>| {
        vec![
            PageOut::Reload,
            PageOut::Status(match r {
                Ok(t) => Status::Info(t),
                Err(e) => Status::Error(e),
            }),
        ]
    };
    match body {
        ReplyBody::Checks(m @ (StepMsg::BasicDone { .. } | StepMsg::PreflightDone { .. })) => m
            .finish_effects()
            .into_iter()
            .map(|e| PageOut::Work(Work::Checks(e)))
            .collect(),
        ReplyBody::Checks(StepMsg::Saved(r) | StepMsg::Recorded(r)) => report(r),
        ReplyBody::Export(ExportReply::Done(r)) => report(r),
        _ => Vec::new(),
    }
}
