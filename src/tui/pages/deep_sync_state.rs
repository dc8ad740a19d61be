//! The step 5 page's state types (the page, what its driver reads and does for it, the
//! view and the pending confirmation), apart from its keys (`deep_sync.rs`) and its
//! drawing (`deep_sync_view.rs`), which both read them.

use chrono::{DateTime, Utc};

use crate::sync::SyncStatus;
use crate::sync::status::{EventRow, QuarantineRow};
use crate::tui::model::TeamRow;

/// A slice of a long list to read: `limit` rows from `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// Work the step 5 page asks its driver for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeepSyncWork {
    /// Read the sync's status, the event log window (newest first, skipping `log.offset`)
    /// and, while browsing, the quarantine window.
    Load {
        team_id: i64,
        log: Window,
        quarantine: Option<Window>,
        /// The fingerprint of what the page shows (`sync::browse::probe`): when the store
        /// still gives the same, the driver answers [`DeepSyncReply::Same`] without
        /// reading the rest. `None` reads everything.
        probe: Option<String>,
    },
    /// Make (or remake) the plan: searches against the tenant, off the console thread.
    Plan {
        team_id: i64,
    },
    /// Queue the sync (or attach to the open one) and make sure a worker runs it.
    Start {
        team_id: i64,
    },
    Pause {
        team_id: i64,
    },
    Resume {
        team_id: i64,
    },
    Cancel {
        team_id: i64,
    },
    /// The sync's worker is gone: start a new one (it resumes from the checkpoint).
    Revive {
        team_id: i64,
    },
    /// Write the quarantine as CSV next to the database.
    ExportQuarantine {
        team_id: i64,
    },
}

/// What the driver read for the page.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub status: SyncStatus,
    /// Events newest first, from `log_offset`.
    pub events: Vec<EventRow>,
    pub log_offset: u64,
    pub events_total: u64,
    /// The quarantine window (oldest first) from `quarantine_offset`, while browsing.
    pub quarantine: Vec<QuarantineRow>,
    pub quarantine_offset: u64,
    /// When it was read.
    pub now: DateTime<Utc>,
    /// The store's fingerprint when it was read.
    pub probe: String,
}

/// Replies for the step 5 page.
#[derive(Debug)]
pub enum DeepSyncReply {
    Loaded(Result<Box<Snapshot>, String>),
    /// Nothing changed in the store since the snapshot shown (read at `now`) but,
    /// perhaps, the worker's heartbeat.
    Same {
        now: DateTime<Utc>,
        heartbeat_at: Option<String>,
    },
    /// A control, plan or export finished: the line for the status bar.
    Done(Result<String, String>),
    /// The plan is being made in the background.
    Planning,
}

/// Which part fills the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Overview,
    Quarantine,
    Log,
}

/// An action waiting for y/n.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Start,
    Pause,
    Resume,
    Cancel,
}

impl Confirm {
    pub fn question(self) -> &'static str {
        match self {
            Confirm::Start => {
                "Start the deep sync now? It uses the customer's API quota as planned."
            }
            Confirm::Pause => "Pause the deep sync? The worker stops after its current batch.",
            Confirm::Resume => "Resume the deep sync?",
            Confirm::Cancel => "Cancel the deep sync? Records synced so far are kept.",
        }
    }
}

/// The step 5 page.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepSyncPage {
    pub row: TeamRow,
    pub snapshot: Option<Snapshot>,
    pub view: View,
    pub confirm: Option<Confirm>,
    /// Events scrolled past (0 = the newest at the top).
    pub log_offset: u64,
    /// Selected quarantine row (0-based over the whole quarantine).
    pub selected: u64,
    /// A plan is being made in the background.
    pub planning: bool,
    /// A control was sent; cleared by the next load that shows its effect.
    pub busy: Option<&'static str>,
    pub size: (u16, u16),
    pub error: Option<String>,
    /// When this page last asked for a new worker (at most every 30 s).
    pub revived_at: Option<DateTime<Utc>>,
    /// Fast ticks (250 ms) since the last poll: the page polls every fourth (once a second).
    pub ticks: std::cell::Cell<u8>,
}
