//! The daily API quota: one counter per tenant for the UTC day of the sandbox clock,
//! `x-ratelimit-limit/remaining/reset` headers on every API response, and 429 with
//! `Retry-After` once the day's calls are spent.

use super::clock::SandboxClock;
use super::response::{Response, code};
use std::sync::Mutex;

#[derive(Debug)]
pub struct Quota {
    limit: u64,
    clock: SandboxClock,
    state: Mutex<(i64, u64)>, // (UTC day number, calls used that day)
}

/// The quota decision for one request.
#[derive(Debug, Clone, Copy)]
pub struct QuotaState {
    pub limit: u64,
    pub remaining: u64,
    pub reset_secs: i64,
}

impl QuotaState {
    pub fn apply(&self, r: &mut Response) {
        r.headers
            .push(("x-ratelimit-limit".into(), self.limit.to_string()));
        r.headers
            .push(("x-ratelimit-remaining".into(), self.remaining.to_string()));
        r.headers
            .push(("x-ratelimit-reset".into(), self.reset_secs.to_string()));
    }
}

impl Quota {
    pub fn new(limit: u64, clock: SandboxClock) -> Quota {
        Quota {
            limit,
            clock,
            state: Mutex::new((i64::MIN, 0)),
        }
    }

    fn roll(&self, st: &mut (i64, u64)) {
        let day = self.clock.now_ts().div_euclid(86_400);
        if st.0 != day {
            *st = (day, 0);
        }
    }

    /// Current state without spending a call.
    pub fn peek(&self) -> QuotaState {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.roll(&mut st);
        QuotaState {
            limit: self.limit,
            remaining: self.limit.saturating_sub(st.1),
            reset_secs: self.clock.secs_until_midnight(),
        }
    }

    /// Spend one call. `Err` carries the ready 429 response when the day's quota is spent.
    pub fn spend(&self) -> Result<QuotaState, Response> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.roll(&mut st);
        let reset = self.clock.secs_until_midnight();
        if st.1 >= self.limit {
            let qs = QuotaState {
                limit: self.limit,
                remaining: 0,
                reset_secs: reset,
            };
            let mut r = Response::error(
                429,
                code::RATE_LIMITED,
                "The daily API request limit for this customer has been reached.",
            )
            .with_header("Retry-After", reset.to_string());
            qs.apply(&mut r);
            return Err(r);
        }
        st.1 += 1;
        Ok(QuotaState {
            limit: self.limit,
            remaining: self.limit - st.1,
            reset_secs: reset,
        })
    }

    /// Calls used today (sandbox clock).
    pub fn used_today(&self) -> u64 {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.roll(&mut st);
        st.1
    }
}
