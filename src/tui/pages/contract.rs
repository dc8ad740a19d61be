//! The one contract every step page follows (after gitui's component contract): opened
//! from a team, it names its key context, says which of that context's keys can act now,
//! turns keys into outputs (work for its driver, close, reload, a status line), takes the
//! replies of its background work, follows the store on every refresh, and renders from
//! its own state only. It does no I/O. The work and reply types are the page's own; the
//! dispatch in `pages/mod.rs` tags them with team, step and request id on the way out so a
//! late reply never lands in another page.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::onboarding::Step;
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::{Status, TeamRow};
use crate::tui::theme::Theme;

/// What a page asks of the console after a key, a reply or a refresh.
#[derive(Debug, Clone, PartialEq)]
pub enum PageOut<W> {
    /// Work for the page's driver (store reads/writes, background jobs).
    Work(W),
    /// Leave the page (back to the team screen).
    Close,
    /// Re-read the teams (a save or a recorded test changed the step states).
    Reload,
    /// A line for the status bar.
    Status(Status),
    /// Nothing visible changed (a refresh that read the same state): no redraw.
    Unchanged,
}

/// A step page. See `pages/mod.rs` for how to add one.
pub trait Page {
    /// Work the page asks its driver for.
    type Work;
    /// Replies and progress the driver sends back.
    type Reply;

    /// Opens the page on a team; the outputs load what it shows.
    fn open(row: &TeamRow) -> (Self, Vec<PageOut<Self::Work>>)
    where
        Self: Sized;

    /// The step this page is for.
    fn step(&self) -> Step;

    /// The key table in effect now (an open form or picker has its own).
    fn context(&self) -> Context;

    /// Whether an action of [`Page::context`] can act now, and if not, why. Help and
    /// footer list only available actions; a disabled one pressed shows its reason.
    fn availability(&self, _action: Action) -> Availability {
        Availability::Enabled
    }

    /// A key, as its action in the current context (if bound) and the raw event for text
    /// input. Help, quit and too-small handling happen before this, in the app.
    fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<Self::Work>>;

    /// A reply or progress from this page's background work.
    fn on_reply(&mut self, reply: Self::Reply) -> Vec<PageOut<Self::Work>>;

    /// The team's fresh snapshot, on every store refresh.
    fn refresh(&mut self, _row: &TeamRow) -> Vec<PageOut<Self::Work>> {
        Vec::new()
    }

    /// Work to run on the fast tick (every 250 ms) — e.g. re-reading a running job's row —
    /// or `None` when nothing is in flight.
    fn poll(&self) -> Option<Self::Work> {
        None
    }

    /// The terminal was resized.
    fn resize(&mut self, _size: (u16, u16)) {}

    /// Draws the page into the body area.
    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme);
}

/// Shorthand for a page's outputs.
pub fn work<W>(items: impl IntoIterator<Item = W>) -> Vec<PageOut<W>> {
    items.into_iter().map(PageOut::Work).collect()
}
