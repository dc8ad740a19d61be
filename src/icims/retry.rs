//! Retry policy: which failures are retried, the backoff schedule (exponential with
//! jitter, honouring `Retry-After`), and the bounds (attempts and total wait) that keep a
//! failing call from turning into a retry storm.

use std::time::Duration;

/// How hard a call tries before giving up.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the first retry (before jitter).
    pub base_delay: Duration,
    /// Ceiling of one backoff step (before honouring `Retry-After`).
    pub max_delay: Duration,
    /// Total time one call may spend waiting between attempts.
    pub max_total_wait: Duration,
    /// A `Retry-After` longer than this is not waited out; the call fails instead.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(10),
            max_total_wait: Duration::from_secs(45),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry (one attempt).
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1 = first retry).
    ///
    /// Without `Retry-After`: "equal jitter" exponential backoff — half of
    /// `min(max_delay, base·2^(retry-1))` fixed plus up to the same again drawn from
    /// `jitter` (0.0–1.0). With `Retry-After`: at least that long, plus up to 10 % jitter so
    /// that several waiting calls do not come back in the same instant.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        if let Some(ra) = retry_after {
            return ra + ra.mul_f64(0.1 * jitter);
        }
        let exp = retry.saturating_sub(1).min(20);
        let step = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = step / 2;
        half + half.mul_f64(jitter)
    }

    /// Whether another attempt may be made after `attempts` attempts that waited `waited`
    /// in total, when the next wait would be `next`.
    pub fn allows(&self, attempts: u32, waited: Duration, next: Duration) -> bool {
        attempts < self.max_attempts && waited + next <= self.max_total_wait
    }
}

/// Parses a `Retry-After` value: delay-seconds or an HTTP date (RFC 2822 form).
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let secs = (when.with_timezone(&chrono::Utc) - now).num_milliseconds();
    Some(Duration::from_millis(secs.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_bounds() {
        let p = RetryPolicy::default();
        let lows: Vec<Duration> = (1..=8).map(|r| p.delay(r, None, 0.0)).collect();
        let highs: Vec<Duration> = (1..=8).map(|r| p.delay(r, None, 1.0)).collect();
        assert_eq!(lows[0], Duration::from_millis(150));
        assert_eq!(highs[0], Duration::from_millis(300));
        assert_eq!(lows[1], Duration::from_millis(300));
        assert_eq!(highs[2], Duration::from_millis(1200));
        for w in lows.windows(2) {
            assert!(w[0] <= w[1]);
        }
        for h in &highs {
            assert!(*h <= p.max_delay);
        }
        // far retries stay capped and do not overflow
        assert_eq!(p.delay(1000, None, 1.0), p.max_delay);
    }

    #[test]
    fn jitter_spreads_delays() {
        let p = RetryPolicy::default();
        let a = p.delay(3, None, 0.1);
        let b = p.delay(3, None, 0.9);
        assert!(a < b);
        assert_eq!(p.delay(3, None, f64::NAN), p.delay(3, None, 0.0));
        assert_eq!(p.delay(3, None, 7.0), p.delay(3, None, 1.0));
    }

    #[test]
    fn retry_after_is_honoured() {
        let p = RetryPolicy::default();
        let ra = Duration::from_secs(2);
        assert_eq!(p.delay(1, Some(ra), 0.0), ra);
        let d = p.delay(1, Some(ra), 1.0);
        assert!(d >= ra && d <= Duration::from_millis(2200));
    }

    #[test]
    fn total_wait_and_attempts_are_bounded() {
        let p = RetryPolicy::default();
        assert!(p.allows(1, Duration::ZERO, Duration::from_secs(1)));
        assert!(!p.allows(p.max_attempts, Duration::ZERO, Duration::ZERO));
        assert!(!p.allows(1, Duration::from_secs(44), Duration::from_secs(2)));
        // Worst case of a whole schedule stays under the budget.
        let mut waited = Duration::ZERO;
        let mut attempts = 1;
        while p.allows(attempts, waited, p.delay(attempts, None, 1.0)) {
            waited += p.delay(attempts, None, 1.0);
            attempts += 1;
        }
        assert!(waited <= p.max_total_wait);
        assert_eq!(attempts, p.max_attempts);
        assert!(!RetryPolicy::none().allows(1, Duration::ZERO, Duration::ZERO));
    }

    #[test]
    fn parses_retry_after_forms() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T06:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 06:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 05:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
