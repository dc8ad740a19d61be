//! The call budget: the sync may spend the customer's daily quota down to the share it
//! leaves for the customer's other integrations (`limit × (1 − share)`), as far as the
//! latest `x-ratelimit-*` headers tell (minus calls in flight). When that is spent, the
//! caller waits for the reset the headers announced (00:00 UTC) and says so.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::icims::QuotaSnapshot;

#[derive(Debug, Default)]
struct Inner {
    limit: Option<u64>,
    remaining: Option<u64>,
    /// When the quota resets, as an instant of this process.
    reset_at: Option<Instant>,
    /// The same as UTC wall time (for the store and messages).
    reset_wall: Option<chrono::DateTime<chrono::Utc>>,
    in_flight: u64,
}

/// What [`Budget::acquire`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Make the call (and report it with [`Budget::release`]).
    Go,
    /// The sync's share is spent: wait until the reset.
    Wait {
        until: chrono::DateTime<chrono::Utc>,
        secs: u64,
    },
}

/// The shared budget of one sync.
#[derive(Debug)]
pub struct Budget {
    share: f64,
    inner: Mutex<Inner>,
}

impl Budget {
    pub fn new(share: f64) -> Budget {
        Budget {
            share: share.clamp(0.0, 1.0),
            inner: Mutex::new(Inner::default()),
        }
    }

    pub fn share(&self) -> f64 {
        self.share
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls the sync must leave for others under `limit`.
    pub fn reserve(&self, limit: u64) -> u64 {
        limit - ((limit as f64) * self.share).floor() as u64
    }

    /// Takes one call from the budget, or says how long to wait.
    pub fn acquire(&self) -> Decision {
        let mut g = self.lock();
        if let (Some(limit), Some(remaining)) = (g.limit, g.remaining) {
            let reserve = self.reserve(limit);
            if remaining.saturating_sub(g.in_flight) <= reserve {
                let now = Instant::now();
                let at = g.reset_at.unwrap_or(now + Duration::from_secs(60));
                if at <= now {
                    // The reset passed: assume a fresh day until the next headers say.
                    g.remaining = Some(limit);
                    g.reset_at = None;
                } else {
                    // One second past the announced reset: the header counts whole seconds.
                    let secs = (at - now).as_secs() + 1;
                    let until = g.reset_wall.unwrap_or_else(|| {
                        chrono::Utc::now() + chrono::Duration::seconds(secs as i64)
                    });
                    return Decision::Wait { until, secs };
                }
            }
        }
        g.in_flight += 1;
        Decision::Go
    }

    /// Reports a finished call with the quota it saw (if any).
    pub fn release(&self, seen: Option<QuotaSnapshot>) {
        let mut g = self.lock();
        g.in_flight = g.in_flight.saturating_sub(1);
        if let Some(q) = seen {
            Self::observe_locked(&mut g, &q);
        }
    }

    /// Takes in quota figures seen outside a budgeted call.
    pub fn observe(&self, q: &QuotaSnapshot) {
        let mut g = self.lock();
        Self::observe_locked(&mut g, q);
    }

    /// The quota was found spent (429 from the server): wait for the reset.
    pub fn exhausted(&self, reset_secs: Option<u64>) {
        let mut g = self.lock();
        g.remaining = Some(0);
        if g.limit.is_none() {
            g.limit = Some(0);
        }
        if let Some(s) = reset_secs {
            g.reset_at = Some(Instant::now() + Duration::from_secs(s));
            g.reset_wall = Some(chrono::Utc::now() + chrono::Duration::seconds(s as i64));
        }
    }

    fn observe_locked(g: &mut Inner, q: &QuotaSnapshot) {
        let reset_at = q.reset_secs.map(|s| q.observed_at + Duration::from_secs(s));
        // A reset later than the known one by more than a minute is a new day.
        let new_day = match (g.reset_at, reset_at) {
            (Some(old), Some(new)) => new > old + Duration::from_secs(60),
            (None, _) => true,
            _ => false,
        };
        if q.limit.is_some() {
            g.limit = q.limit;
        }
        if let Some(r) = q.remaining {
            g.remaining = Some(match (new_day, g.remaining) {
                (false, Some(old)) => old.min(r),
                _ => r,
            });
        }
        if let (Some(at), Some(secs)) = (reset_at, q.reset_secs)
            && (new_day || g.reset_at.is_none())
        {
            g.reset_at = Some(at);
            let age = q.observed_at.elapsed();
            g.reset_wall = Some(
                chrono::Utc::now() + chrono::Duration::seconds(secs as i64)
                    - chrono::Duration::from_std(age).unwrap_or_default(),
            );
        }
    }

    /// (limit, remaining, reset as RFC 3339) as last seen.
    pub fn seen(&self) -> (Option<u64>, Option<u64>, Option<String>) {
        let g = self.lock();
        (
            g.limit,
            g.remaining,
            g.reset_wall
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(limit: u64, remaining: u64, reset: u64) -> QuotaSnapshot {
        QuotaSnapshot {
            limit: Some(limit),
            remaining: Some(remaining),
            reset_secs: Some(reset),
            observed_at: Instant::now(),
        }
    }

    #[test]
    fn stops_at_the_share_and_waits_for_the_reset() {
        let b = Budget::new(0.8);
        assert_eq!(b.acquire(), Decision::Go); // nothing known yet
        b.release(Some(snap(100, 22, 3600)));
        assert_eq!(b.acquire(), Decision::Go); // 22 - 0 in flight > reserve 20
        assert_eq!(b.acquire(), Decision::Go); // 22 - 1 > 20
        match b.acquire() {
            Decision::Wait { secs, .. } => assert!((3590..=3601).contains(&secs), "{secs}"),
            d => panic!("{d:?}"),
        }
        // Out-of-order headers never raise the remaining count within a day.
        b.release(Some(snap(100, 21, 3600)));
        b.release(Some(snap(100, 25, 3599)));
        assert_eq!(b.seen().1, Some(21));
        // A new day (reset far later) takes the new figures.
        b.observe(&snap(100, 100, 3600 + 86_400));
        assert_eq!(b.seen().1, Some(100));
        assert_eq!(b.acquire(), Decision::Go);
    }
}
