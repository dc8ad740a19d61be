//! One object's progress as a one-line gauge: name, bar, `done / total`, percent and
//! failures. Drawn muted (not frozen-looking) while the sync waits or is paused; the
//! reason is shown by the page's headline.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::sync::status::ObjectProgress;
use crate::tui::sync_summary::thousands;
use crate::tui::theme::Theme;

/// The gauge line of `object` in `width` columns.
pub fn line(
    object: &str,
    p: &ObjectProgress,
    width: u16,
    active: bool,
    theme: &Theme,
) -> Line<'static> {
    let done = (p.done + p.failed).min(p.total);
    let pct = if p.total == 0 {
        100
    } else {
        ((done as f64 / p.total as f64) * 100.0).floor() as u64
    };
    let counts = format!(
        " {:>9} / {:<9} {:>3}%",
        thousands(done),
        thousands(p.total),
        pct
    );
    let failed = if p.failed > 0 {
        format!("  {:>6} failed", thousands(p.failed))
    } else {
        " ".repeat(15)
    };
    let name = format!(" {object:<10}");
    let fixed = name.chars().count() + counts.chars().count() + failed.chars().count() + 2;
    let bar_w = (width as usize).saturating_sub(fixed).clamp(4, 60);
    let filled = if p.total == 0 {
        bar_w
    } else {
        ((done as f64 / p.total as f64) * bar_w as f64).floor() as usize
    };
    let (fill_style, rest_style): (Style, Style) = if active {
        (
            if pct == 100 { theme.ok } else { theme.accent },
            theme.muted,
        )
    } else {
        (theme.muted, theme.muted)
    };
    Line::from(vec![
        Span::styled(name, theme.text),
        Span::styled("█".repeat(filled), fill_style),
        Span::styled("░".repeat(bar_w - filled), rest_style),
        Span::styled(counts, theme.text),
        Span::styled(failed, theme.warn),
    ])
}
