//! The `?` help overlay: the keys of the context underneath that act in its current state
//! (from the same key table and availability as the footer), sized to its content. Keys
//! that exist but cannot act now are listed muted with the reason.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::keymap::{Availability, Command, Context};
use crate::tui::model::Status;
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;
use crate::tui::widgets::centered::centered;

/// Draws the help; the last status message, which the footer may have cut, is shown
/// in full at the bottom.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    under: Context,
    commands: &[Command],
    status: Option<&Status>,
    theme: &Theme,
) {
    let key_width = commands
        .iter()
        .map(|c| c.binding.label.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let title = format!("Keys: {}", under.title());
    // As wide as the longest line needs, within the screen.
    let widest = commands
        .iter()
        .map(|c| {
            key_width
                + 2
                + c.binding.help.chars().count()
                + match &c.availability {
                    Availability::Disabled(why) => why.chars().count() + 3,
                    _ => 0,
                }
        })
        .chain([title.chars().count()])
        .max()
        .unwrap_or(20);
    let width = (widest as u16 + 4).clamp(30, area.width);
    let text_width = (width as usize).saturating_sub(4 + key_width + 2).max(10);
    let mut lines = vec![Line::from(Span::styled(title, theme.title)), Line::from("")];
    for c in commands {
        let (help, style) = match &c.availability {
            Availability::Disabled(why) => (format!("{} — {why}", c.binding.help), theme.muted),
            _ => (c.binding.help.to_string(), theme.text),
        };
        for (i, part) in wrap_hanging(&help, text_width, 0, 2)
            .into_iter()
            .enumerate()
        {
            let keys = if i == 0 { c.binding.label } else { "" };
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:>key_width$}  "), theme.accent),
                Span::styled(part, style),
            ]));
        }
    }
    if let Some(status) = status {
        lines.push(Line::from(""));
        let style = match status {
            Status::Info(_) => theme.ok,
            Status::Error(_) => theme.error,
        };
        let text = format!("Last message: {}", status.text());
        for part in wrap_hanging(&text, (width as usize).saturating_sub(4), 0, 2) {
            lines.push(Line::from(Span::styled(part, style)));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "? or Esc closes this help",
        theme.muted,
    )));
    let height = (lines.len() as u16 + 2).min(area.height);
    let dialog = centered(area, width, height);
    frame.render_widget(Clear, dialog);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" Help ", theme.title))
                .border_style(theme.accent),
        ),
        dialog,
    );
}
