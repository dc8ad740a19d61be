//! The sync's event log as lines: time, kind and message (control characters from API
//! messages escaped), the kind coloured by what it means.

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

use crate::sync::status::EventRow;
use crate::tui::sync_summary::{parse_time, printable, when};
use crate::tui::theme::Theme;

/// Lines for `events` (in the order given).
pub fn lines(events: &[EventRow], now: DateTime<Utc>, theme: &Theme) -> Vec<Line<'static>> {
    events
        .iter()
        .map(|e| {
            let at = parse_time(&e.at)
                .map(|t| when(t, now))
                .unwrap_or_else(|| printable(&e.at));
            let kind_style = match e.kind.as_str() {
                "failed" | "error" | "worker_gone" => theme.error,
                "waiting" | "wait" | "quota" | "paused" | "cancelled" | "quarantined" => theme.warn,
                "done" | "initial_done" | "live" | "cycle" | "resumed" | "started" => theme.ok,
                _ => theme.accent,
            };
            Line::from(vec![
                Span::styled(format!(" {at:>9}  "), theme.muted),
                Span::styled(format!("{:<12} ", printable(&e.kind)), kind_style),
                Span::styled(printable(&e.message), theme.text),
            ])
        })
        .collect()
}
