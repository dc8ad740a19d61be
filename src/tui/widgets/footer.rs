//! The footer: key hints of the current context (from the keymap) and the status line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::Status;
use crate::tui::keymap::{self, Context};
use crate::tui::theme::Theme;

/// Draws the hints of `ctx`, then the status message if any.
pub fn render(frame: &mut Frame, area: Rect, ctx: Context, status: Option<&Status>, theme: &Theme) {
    let mut spans = Vec::new();
    for (i, (keys, what)) in keymap::footer_hints(ctx).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("  ", theme.muted));
        }
        spans.push(Span::styled(keys, theme.accent));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
    }
    match status {
        Some(Status::Info(text)) => {
            spans.push(Span::styled("  │ ", theme.muted));
            spans.push(Span::styled(text.clone(), theme.ok));
        }
        Some(Status::Error(text)) => {
            spans.push(Span::styled("  │ ", theme.muted));
            spans.push(Span::styled(text.clone(), theme.error));
        }
        None => {}
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
