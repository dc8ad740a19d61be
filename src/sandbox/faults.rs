//! Fault injection, deterministic from a seed: the n-th faultable request (API calls under
//! `/customers` and the Data Stream; never the token endpoint or `/_sandbox`) gets the fault
//! `FaultPlan::at(n)`, a pure function of (seed, rate, kinds, n). Same seed → same sequence.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Extra delay (`FaultPlan::slow_ms`) before a normal response.
    Slow,
    /// `503` with an iCIMS error body (errorCode 0).
    ServerError,
    /// `429` with `Retry-After: 1` (a throttle burst, not the daily quota).
    Throttle,
    /// The connection is reset (RST) without a response.
    Reset,
    /// Headers promise the full body; half is sent, then the connection closes.
    Truncated,
    /// `200` with a complete but syntactically broken JSON body.
    Malformed,
}

impl FaultKind {
    pub const ALL: [FaultKind; 6] = [
        FaultKind::Slow,
        FaultKind::ServerError,
        FaultKind::Throttle,
        FaultKind::Reset,
        FaultKind::Truncated,
        FaultKind::Malformed,
    ];
}

#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    pub seed: u64,
    /// Probability that a faultable request gets a fault (0.0–1.0).
    pub rate: f64,
    /// The kinds drawn from, uniformly.
    pub kinds: Vec<FaultKind>,
    pub slow_ms: u64,
}

impl FaultPlan {
    pub fn new(seed: u64, rate: f64) -> FaultPlan {
        FaultPlan {
            seed,
            rate: rate.clamp(0.0, 1.0),
            kinds: FaultKind::ALL.to_vec(),
            slow_ms: 250,
        }
    }

    /// The fault for the n-th faultable request (0-based), if any.
    pub fn at(&self, n: u64) -> Option<FaultKind> {
        if self.rate <= 0.0 || self.kinds.is_empty() {
            return None;
        }
        let a = splitmix64(self.seed ^ splitmix64(n.wrapping_add(0x5eed)));
        let u = (a >> 11) as f64 / (1u64 << 53) as f64;
        if u >= self.rate {
            return None;
        }
        let b = splitmix64(a);
        Some(self.kinds[(b % self.kinds.len() as u64) as usize])
    }
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_is_deterministic_and_near_rate() {
        let a = FaultPlan::new(42, 0.2);
        let b = FaultPlan::new(42, 0.2);
        let sa: Vec<_> = (0..2000).map(|n| a.at(n)).collect();
        let sb: Vec<_> = (0..2000).map(|n| b.at(n)).collect();
        assert_eq!(sa, sb);
        let faults = sa.iter().filter(|f| f.is_some()).count();
        assert!((300..500).contains(&faults), "{faults}");
        for k in FaultKind::ALL {
            assert!(sa.contains(&Some(k)), "{k:?} never drawn");
        }
        let c = FaultPlan::new(43, 0.2);
        assert_ne!(sa, (0..2000).map(|n| c.at(n)).collect::<Vec<_>>());
        assert!((0..1000).all(|n| FaultPlan::new(1, 0.0).at(n).is_none()));
    }
}
