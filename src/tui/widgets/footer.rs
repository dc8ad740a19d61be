//! The footer: hints of the keys that act now (from the key table and availability) and
//! the status line. When space runs short, other hints go first; `? help` and `Esc back`
//! stay, and a long status is cut with `…` (the help lists everything).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::keymap::{self, Action, Command};
use crate::tui::model::Status;
use crate::tui::theme::Theme;

fn essential(action: Action) -> bool {
    matches!(action, Action::Help | Action::Back)
}

/// The hints that fit in `width` columns next to a status of `status_len` characters.
pub fn fitted(
    commands: &[Command],
    width: usize,
    status_len: usize,
) -> Vec<(&'static str, &'static str)> {
    let enabled: Vec<&Command> = commands
        .iter()
        .filter(|c| c.availability == keymap::Availability::Enabled && c.binding.footer.is_some())
        .collect();
    let len = |h: &[&Command]| -> usize {
        h.iter()
            .map(|c| {
                c.binding.label.chars().count()
                    + 1
                    + c.binding.footer.unwrap_or("").chars().count()
                    + 2
            })
            .sum()
    };
    // Leave the status at least 24 columns (or all it needs) when it is there.
    let room = width.saturating_sub(if status_len > 0 {
        status_len.min(24) + 4
    } else {
        0
    });
    let mut kept = enabled;
    while len(&kept) > room {
        match kept.iter().rposition(|c| !essential(c.binding.action)) {
            Some(i) => {
                kept.remove(i);
            }
            None => break,
        }
    }
    kept.iter()
        .map(|c| (c.binding.label, c.binding.footer.unwrap_or("")))
        .collect()
}

/// Draws the hints of `commands`, then the status message if any.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    commands: &[Command],
    status: Option<&Status>,
    theme: &Theme,
) {
    let status_len = status.map(|s| s.text().chars().count()).unwrap_or(0);
    let width = area.width as usize;
    let mut spans = Vec::new();
    let mut used = 0;
    for (i, (keys, what)) in fitted(commands, width, status_len).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("  ", theme.muted));
            used += 2;
        }
        spans.push(Span::styled(keys, theme.accent));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
        used += keys.chars().count() + 1 + what.chars().count();
    }
    if let Some(status) = status {
        let room = width.saturating_sub(used + 4);
        let text = status.text();
        let shown = if text.chars().count() > room {
            let kept: String = text.chars().take(room.saturating_sub(1)).collect();
            format!("{kept}…")
        } else {
            text.to_string()
        };
        let style = match status {
            Status::Info(_) => theme.ok,
            Status::Error(_) => theme.error,
        };
        spans.push(Span::styled("  │ ", theme.muted));
        spans.push(Span::styled(shown, style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
