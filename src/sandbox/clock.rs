//! The sandbox clock: wall-clock UTC plus an offset that tests can move, so quota resets
//! at 00:00 UTC and token expiry can be exercised without waiting.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// A cheap, cloneable handle to the sandbox's notion of "now".
#[derive(Debug, Clone, Default)]
pub struct SandboxClock {
    offset_us: Arc<AtomicI64>,
}

impl SandboxClock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::microseconds(self.offset_us.load(Ordering::SeqCst))
    }
    /// Seconds since the epoch of the sandbox clock.
    pub fn now_ts(&self) -> i64 {
        self.now().timestamp()
    }
    /// Move the clock forward (or backward with a negative duration).
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_us
            .fetch_add(by.num_microseconds().unwrap_or(i64::MAX), Ordering::SeqCst);
    }
    /// Set the clock to an absolute instant (it keeps ticking from there).
    pub fn set(&self, to: DateTime<Utc>) {
        let offset = (to - Utc::now()).num_microseconds().unwrap_or(i64::MAX);
        self.offset_us.store(offset, Ordering::SeqCst);
    }
    /// Seconds until the next 00:00 UTC of the sandbox clock (at least 1).
    pub fn secs_until_midnight(&self) -> i64 {
        let now = self.now_ts();
        (86_400 - now.rem_euclid(86_400)).max(1)
    }
}
