//! A one-line text gauge for long work: `[████····]  42%`, then what the caller adds
//! (amounts, rate, ETA).

/// The bar and percentage of `fraction` (clamped to 0..=1), `width` cells wide.
pub fn bar(fraction: f64, width: usize) -> String {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = ((f * width as f64).round() as usize).min(width);
    format!(
        "[{}{}] {:>3.0}%",
        "█".repeat(filled),
        "·".repeat(width - filled),
        (f * 100.0).floor()
    )
}

/// `ETA 4s`, `ETA 2m05s`, `ETA 1h02m`, or `ETA –` when unknown.
pub fn eta(secs: Option<u64>) -> String {
    match secs {
        Some(s) if s >= 3600 => format!("ETA {}h{:02}m", s / 3600, (s % 3600) / 60),
        Some(s) if s >= 60 => format!("ETA {}m{:02}s", s / 60, s % 60),
        Some(s) => format!("ETA {s}s"),
        None => "ETA –".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauge_and_eta() {
        assert_eq!(bar(0.5, 4), "[██··]  50%");
        assert_eq!(bar(2.0, 2), "[██] 100%");
        assert_eq!(bar(f64::NAN, 2), "[··]   0%");
        assert_eq!(eta(Some(125)), "ETA 2m05s");
        assert_eq!(eta(Some(3720)), "ETA 1h02m");
        assert_eq!(eta(None), "ETA –");
    }
}
