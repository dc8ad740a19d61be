//! Records per minute over the last hour as a sparkline: the sync's rate samples summed
//! into equal buckets ending at the newest sample (or now).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::Sparkline;

use crate::sync::status::RateSample;
use crate::tui::theme::Theme;

/// Records written per bucket over the hour before `end_unix`, `n` buckets, oldest first.
pub fn buckets(samples: &[RateSample], end_unix: i64, n: usize) -> Vec<u64> {
    let n = n.max(1);
    let mut out = vec![0u64; n];
    let start = end_unix - 3600;
    for s in samples {
        if s.at_unix <= start || s.at_unix > end_unix {
            continue;
        }
        let i = (((s.at_unix - start - 1) as f64 / 3600.0) * n as f64) as usize;
        out[i.min(n - 1)] += s.records;
    }
    out
}

/// Draws the sparkline of `samples` into `area` (one bucket per column, at most 60).
pub fn render(frame: &mut Frame, area: Rect, samples: &[RateSample], end_unix: i64, theme: &Theme) {
    let n = usize::from(area.width).clamp(1, 60);
    let data = buckets(samples, end_unix, n);
    frame.render_widget(Sparkline::default().data(&data).style(theme.accent), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(at_unix: i64, records: u64) -> RateSample {
        RateSample {
            at: String::new(),
            at_unix,
            records,
            calls: records,
        }
    }

    #[test]
    fn samples_fall_into_their_minute() {
        let end = 10_000;
        let samples = [
            s(end - 4000, 99),
            s(end - 3599, 1),
            s(end - 30, 5),
            s(end, 7),
        ];
        let b = buckets(&samples, end, 60);
        assert_eq!(b.len(), 60);
        assert_eq!(b[0], 1);
        assert_eq!(b[59], 12);
        assert_eq!(b.iter().sum::<u64>(), 13);
    }
}
