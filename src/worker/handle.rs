//! What a running job knows about itself: its id, the lease owner it writes checkpoints
//! as, the checkpoint it resumes from, and a cancellation flag set when the lease is lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A claimed job, as handed to the code that runs it.
#[derive(Debug, Clone)]
pub struct JobHandle {
    pub id: i64,
    /// Lease owner (`host:pid:nonce`); checkpoints are written as this owner.
    pub owner: String,
    /// Who the job acts for (recorded on facts it sets).
    pub actor: String,
    /// The checkpoint left by an earlier run, if any.
    pub checkpoint: Option<serde_json::Value>,
    /// Set when the job must stop (lease lost, shutdown).
    pub cancel: Arc<AtomicBool>,
}

impl JobHandle {
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}
