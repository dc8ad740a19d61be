//! Step 5 page, deep sync: the live monitor. Everything shown is read from the store
//! (`sync::status`, `sync::browse`), so it is the same whether the worker runs here, in
//! another process or was restarted, and several consoles can watch one sync. Locked
//! with its reasons until the gates pass; then the plan (`p`) and Start (`s`, confirmed);
//! while running per-object gauges, rate and sparkline, quota, waits, retries, worker
//! liveness, the event log tail; pause/resume (Space) and cancel (`x`), confirmed; the
//! quarantine browser (`b`, CSV with `c`) and the full event log (`e`). The page state
//! and keys live here; drawing in `deep_sync_view.rs`, work in `drivers/deep_sync.rs`.

use chrono::{DateTime, Timelike, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use crate::onboarding::Step;
use crate::sync::{SyncState, SyncStatus};
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::{Status, TeamRow};
use crate::tui::pages::contract::{Page, PageOut};
use crate::tui::theme::Theme;

pub use super::deep_sync_state::{
    Confirm, DeepSyncPage, DeepSyncReply, DeepSyncWork, Snapshot, View, Window,
};

/// Seconds between two attempts to replace a gone worker.
const REVIVE_SECS: i64 = 30;

/// Events shown by the overview's tail and by a page of the log.
const PAGE_MIN: u64 = 5;

impl DeepSyncPage {
    /// Whether to ask for a new worker now: the sync's worker is gone and the last ask
    /// (if any) was at least `REVIVE_SECS` ago. Records the ask.
    fn revive_due(&mut self, gone: bool, now: DateTime<Utc>) -> bool {
        let due = gone
            && self
                .revived_at
                .is_none_or(|t| (now - t).num_seconds() >= REVIVE_SECS);
        if due {
            self.revived_at = Some(now);
        }
        due
    }

    pub fn new(row: &TeamRow) -> DeepSyncPage {
        DeepSyncPage {
            row: row.clone(),
            snapshot: None,
            view: View::Overview,
            confirm: None,
            log_offset: 0,
            selected: 0,
            planning: false,
            busy: None,
            size: (120, 40),
            error: None,
            revived_at: None,
            ticks: std::cell::Cell::new(0),
        }
    }

    /// Rows of the quarantine table or the log that fit on screen.
    pub fn page_rows(&self) -> u64 {
        u64::from(self.size.1.saturating_sub(8)).max(PAGE_MIN)
    }

    /// The unmet gates of step 5 (from the team's derived states).
    pub fn gates(&self) -> Vec<String> {
        self.row
            .status(Step::DeepSync)
            .map(|s| s.locked_by.clone())
            .unwrap_or_default()
    }

    pub fn locked(&self) -> bool {
        !self.gates().is_empty()
    }

    pub fn status(&self) -> Option<&SyncStatus> {
        self.snapshot.as_ref().map(|s| &s.status)
    }

    pub fn state(&self) -> SyncState {
        self.status()
            .map(|s| s.state)
            .unwrap_or(SyncState::NotStarted)
    }

    fn quarantined(&self) -> u64 {
        self.status().map(|s| s.quarantined).unwrap_or(0)
    }

    fn events_total(&self) -> u64 {
        self.snapshot.as_ref().map(|s| s.events_total).unwrap_or(0)
    }

    fn load(&self) -> DeepSyncWork {
        self.load_with(None)
    }

    /// The read of a poll: skipped by the driver when the store's fingerprint is the one
    /// of the snapshot shown (and the windows are the same).
    fn poll_load(&self) -> DeepSyncWork {
        let probe = self.snapshot.as_ref().and_then(|s| {
            let same_windows = s.log_offset == self.log_offset
                && (self.view != View::Quarantine
                    || s.quarantine_offset == self.quarantine_offset());
            same_windows.then(|| s.probe.clone())
        });
        self.load_with(probe)
    }

    fn quarantine_offset(&self) -> u64 {
        let rows = self.page_rows();
        (self.selected / rows) * rows
    }

    fn load_with(&self, probe: Option<String>) -> DeepSyncWork {
        let rows = self.page_rows();
        let quarantine = (self.view == View::Quarantine).then(|| {
            // The window that holds the selection, aligned to pages.
            Window {
                offset: self.quarantine_offset(),
                limit: rows,
            }
        });
        DeepSyncWork::Load {
            team_id: self.row.team.id,
            log: Window {
                offset: self.log_offset,
                limit: rows,
            },
            quarantine,
            probe,
        }
    }

    fn team_id(&self) -> i64 {
        self.row.team.id
    }

    fn running(&self) -> bool {
        matches!(
            self.state(),
            SyncState::Running | SyncState::WaitingQuota | SyncState::Live
        )
    }

    /// Moves the log or the quarantine selection.
    fn scroll(&mut self, action: Action) -> Vec<PageOut<DeepSyncWork>> {
        let page = self.page_rows();
        let (pos, len) = match self.view {
            View::Quarantine => (self.selected, self.quarantined()),
            View::Overview | View::Log => (self.log_offset, self.events_total()),
        };
        let last = len.saturating_sub(1);
        let new = match action {
            Action::Up => pos.saturating_sub(1),
            Action::Down => (pos + 1).min(last),
            Action::PageUp => pos.saturating_sub(page),
            Action::PageDown => (pos + page).min(last),
            Action::Top => 0,
            Action::Bottom => last,
            _ => pos,
        };
        if new == pos {
            return vec![PageOut::Unchanged];
        }
        match self.view {
            View::Quarantine => self.selected = new,
            View::Overview | View::Log => self.log_offset = new,
        }
        vec![PageOut::Work(self.load())]
    }

    fn answer(&mut self, yes: bool) -> Vec<PageOut<DeepSyncWork>> {
        let Some(confirm) = self.confirm.take() else {
            return Vec::new();
        };
        if !yes {
            return vec![PageOut::Status(Status::Info("nothing changed".into()))];
        }
        let team_id = self.team_id();
        let (work, busy) = match confirm {
            Confirm::Start => (DeepSyncWork::Start { team_id }, "starting"),
            Confirm::Pause => (DeepSyncWork::Pause { team_id }, "pausing"),
            Confirm::Resume => (DeepSyncWork::Resume { team_id }, "resuming"),
            Confirm::Cancel => (DeepSyncWork::Cancel { team_id }, "cancelling"),
        };
        self.busy = Some(busy);
        vec![PageOut::Work(work)]
    }

    /// Whether a fresh snapshot changes what is drawn (times count by the minute, or by
    /// the second while a countdown or a recent heartbeat is on screen).
    fn differs(&self, new: &Snapshot) -> bool {
        let Some(old) = &self.snapshot else {
            return true;
        };
        if old.status != new.status
            || old.events != new.events
            || old.events_total != new.events_total
            || old.quarantine != new.quarantine
            || old.log_offset != new.log_offset
            || old.quarantine_offset != new.quarantine_offset
        {
            return true;
        }
        let ticking = new.status.wait.is_some()
            || matches!(
                new.status.state,
                SyncState::Running | SyncState::WaitingQuota
            );
        if ticking {
            old.now.timestamp() != new.now.timestamp()
        } else {
            old.now.minute() != new.now.minute() || old.now.hour() != new.now.hour()
        }
    }
}

impl Page for DeepSyncPage {
    type Work = DeepSyncWork;
    type Reply = DeepSyncReply;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<DeepSyncWork>>) {
        let page = DeepSyncPage::new(row);
        let load = page.load();
        (page, vec![PageOut::Work(load)])
    }

    fn step(&self) -> Step {
        Step::DeepSync
    }

    fn context(&self) -> Context {
        if self.confirm.is_some() {
            Context::Confirm
        } else {
            Context::DeepSync
        }
    }

    fn availability(&self, action: Action) -> Availability {
        use Availability::{Disabled, Enabled, Hidden};
        if self.confirm.is_some() {
            return Enabled;
        }
        let locked = self.gates();
        let state = self.state();
        let loaded = self.snapshot.is_some();
        match action {
            Action::Plan | Action::StartSync if !locked.is_empty() => {
                Disabled(format!("locked: {}", locked.join("; ")))
            }
            Action::Plan | Action::StartSync | Action::PauseResume | Action::CancelSync
                if !loaded =>
            {
                Disabled("still reading the sync from the database".into())
            }
            Action::Plan | Action::StartSync | Action::PauseResume | Action::CancelSync
                if self.busy.is_some() || self.planning =>
            {
                Disabled(format!(
                    "{} — wait for it to show",
                    self.busy.unwrap_or("planning")
                ))
            }
            Action::Plan if self.running() || state == SyncState::Paused => {
                Disabled("the sync is under way: cancel it (x) before planning again".into())
            }
            Action::StartSync => match state {
                SyncState::Planned | SyncState::Failed | SyncState::Cancelled | SyncState::Done => {
                    Enabled
                }
                SyncState::NotStarted => Disabled("no plan yet: press p to plan first".into()),
                SyncState::Paused => Disabled("the sync is paused: Space resumes it".into()),
                _ => Disabled("the sync is already running".into()),
            },
            Action::PauseResume => match state {
                SyncState::Running
                | SyncState::WaitingQuota
                | SyncState::Live
                | SyncState::Paused => Enabled,
                _ => Disabled("no sync is running".into()),
            },
            Action::CancelSync => match state {
                SyncState::Running
                | SyncState::WaitingQuota
                | SyncState::Live
                | SyncState::Paused => Enabled,
                _ => Disabled("no sync is running".into()),
            },
            Action::Quarantine | Action::ExportCsv if self.quarantined() == 0 => {
                Disabled("no quarantined records".into())
            }
            Action::Quarantine if self.view == View::Quarantine => Hidden,
            Action::EventLog if self.view == View::Log => Hidden,
            Action::EventLog if self.events_total() == 0 => {
                Disabled("the event log is empty".into())
            }
            Action::Yes | Action::No => Hidden,
            _ => Enabled,
        }
    }

    fn on_key(&mut self, action: Option<Action>, _key: KeyEvent) -> Vec<PageOut<DeepSyncWork>> {
        let Some(action) = action else {
            return vec![PageOut::Unchanged];
        };
        if self.confirm.is_some() {
            return match action {
                Action::Yes => self.answer(true),
                Action::No | Action::Back => self.answer(false),
                _ => vec![PageOut::Unchanged],
            };
        }
        if let Availability::Disabled(why) = self.availability(action) {
            return vec![PageOut::Status(Status::Error(why))];
        }
        let team_id = self.team_id();
        match action {
            Action::Back => match self.view {
                View::Overview => vec![PageOut::Close],
                View::Quarantine | View::Log => {
                    self.view = View::Overview;
                    self.log_offset = 0;
                    vec![PageOut::Work(self.load())]
                }
            },
            Action::Refresh => vec![PageOut::Work(self.load()), PageOut::Reload],
            Action::Plan => {
                self.planning = true;
                vec![
                    PageOut::Work(DeepSyncWork::Plan { team_id }),
                    PageOut::Status(Status::Info(
                        "planning: searching what changed since the export…".into(),
                    )),
                ]
            }
            Action::StartSync => {
                self.confirm = Some(Confirm::Start);
                Vec::new()
            }
            Action::PauseResume => {
                self.confirm = Some(if self.state() == SyncState::Paused {
                    Confirm::Resume
                } else {
                    Confirm::Pause
                });
                Vec::new()
            }
            Action::CancelSync => {
                self.confirm = Some(Confirm::Cancel);
                Vec::new()
            }
            Action::Quarantine => {
                self.view = View::Quarantine;
                vec![PageOut::Work(self.load())]
            }
            Action::EventLog => {
                self.view = View::Log;
                vec![PageOut::Work(self.load())]
            }
            Action::ExportCsv => vec![PageOut::Work(DeepSyncWork::ExportQuarantine { team_id })],
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.scroll(action),
            _ => vec![PageOut::Unchanged],
        }
    }

    fn on_reply(&mut self, reply: DeepSyncReply) -> Vec<PageOut<DeepSyncWork>> {
        match reply {
            DeepSyncReply::Loaded(Ok(snapshot)) => {
                let changed = self.differs(&snapshot) || self.error.is_some();
                self.error = None;
                if self
                    .snapshot
                    .as_ref()
                    .is_some_and(|old| old.status.state != snapshot.status.state)
                {
                    self.busy = None;
                }
                // Keep positions inside what exists now.
                self.selected = self
                    .selected
                    .min(snapshot.status.quarantined.saturating_sub(1));
                let revive = self.revive_due(snapshot.status.worker.gone, snapshot.now);
                self.snapshot = Some(*snapshot);
                let mut outs = if changed {
                    Vec::new()
                } else {
                    vec![PageOut::Unchanged]
                };
                if revive {
                    outs.push(PageOut::Work(DeepSyncWork::Revive {
                        team_id: self.team_id(),
                    }));
                }
                outs
            }
            DeepSyncReply::Loaded(Err(e)) => {
                if self.error.as_deref() == Some(e.as_str()) {
                    return vec![PageOut::Unchanged];
                }
                self.error = Some(e);
                Vec::new()
            }
            DeepSyncReply::Same { now, heartbeat_at } => {
                let Some(old) = self.snapshot.as_ref() else {
                    return vec![PageOut::Unchanged];
                };
                let mut fresh = old.clone();
                fresh.now = now;
                fresh.status.worker.heartbeat_at = heartbeat_at;
                let changed = self.differs(&fresh);
                // A dead worker changes nothing in the store: the probe answers "same"
                // from then on, and the page must still ask again for a new worker.
                let revive = self.revive_due(fresh.status.worker.gone, now);
                self.snapshot = Some(fresh);
                let mut outs = if changed {
                    Vec::new()
                } else {
                    vec![PageOut::Unchanged]
                };
                if revive {
                    outs.push(PageOut::Work(DeepSyncWork::Revive {
                        team_id: self.team_id(),
                    }));
                }
                outs
            }
            DeepSyncReply::Planning => Vec::new(),
            DeepSyncReply::Done(result) => {
                self.planning = false;
                self.busy = None;
                vec![
                    PageOut::Status(match result {
                        Ok(t) => Status::Info(t),
                        Err(e) => Status::Error(e),
                    }),
                    PageOut::Work(self.load()),
                    PageOut::Reload,
                ]
            }
        }
    }

    /// The team's steps changed: read everything; otherwise only when the store did.
    fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<DeepSyncWork>> {
        if *row == self.row {
            return vec![PageOut::Work(self.poll_load())];
        }
        self.row = row.clone();
        vec![PageOut::Work(self.load())]
    }

    /// Re-read once a second while visible (every fourth fast tick). The driver first
    /// compares the store's fingerprint with the snapshot's and reads nothing more when
    /// they match; an unchanged answer does not redraw.
    fn poll(&self) -> Option<DeepSyncWork> {
        let n = self.ticks.get().wrapping_add(1) % 4;
        self.ticks.set(n);
        (n == 0).then(|| self.poll_load())
    }

    fn resize(&mut self, size: (u16, u16)) {
        self.size = size;
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        super::deep_sync_view::render(frame, area, self, theme);
    }
}
