//! Quota accounting: the customer's daily API budget as iCIMS reports it in
//! `x-ratelimit-limit`, `x-ratelimit-remaining` and `x-ratelimit-reset` (seconds until
//! 00:00 UTC), plus the calls this client has made.

use std::time::Instant;

use reqwest::header::HeaderMap;
use serde::Serialize;

/// The latest quota figures seen in a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuotaSnapshot {
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    /// Seconds until the quota resets (00:00 UTC), as of `observed_at`.
    pub reset_secs: Option<u64>,
    #[serde(skip)]
    pub observed_at: Instant,
}

impl QuotaSnapshot {
    /// Reads the `x-ratelimit-*` headers; `None` when none is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<QuotaSnapshot> {
        let num = |name: &str| -> Option<u64> {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.trim().parse::<u64>().ok())
        };
        let snap = QuotaSnapshot {
            limit: num("x-ratelimit-limit"),
            remaining: num("x-ratelimit-remaining"),
            reset_secs: num("x-ratelimit-reset"),
            observed_at: Instant::now(),
        };
        (snap.limit.is_some() || snap.remaining.is_some() || snap.reset_secs.is_some())
            .then_some(snap)
    }

    /// True when iCIMS says no call is left today.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }

    /// Calls used today as far as the headers tell.
    pub fn used(&self) -> Option<u64> {
        Some(self.limit?.saturating_sub(self.remaining?))
    }
}

/// What one client has done, for progress views and budgets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    /// HTTP requests sent to the API (each counts against the daily quota), retries included.
    pub api_calls: u64,
    /// Of those, retries after a transient failure.
    pub retries: u64,
    /// Token requests sent to the OAuth endpoint.
    pub token_requests: u64,
    /// Calls repeated once with a fresh token after a 401.
    pub token_refresh_retries: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ratelimit_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", "20000".parse().unwrap());
        h.insert("x-ratelimit-remaining", "19902".parse().unwrap());
        h.insert("x-ratelimit-reset", "9299".parse().unwrap());
        let q = QuotaSnapshot::from_headers(&h).unwrap();
        assert_eq!(q.limit, Some(20000));
        assert_eq!(q.remaining, Some(19902));
        assert_eq!(q.reset_secs, Some(9299));
        assert_eq!(q.used(), Some(98));
        assert!(!q.is_exhausted());
        assert!(QuotaSnapshot::from_headers(&HeaderMap::new()).is_none());
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        assert!(QuotaSnapshot::from_headers(&h).unwrap().is_exhausted());
    }
}
