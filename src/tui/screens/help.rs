//! The `?` help overlay, generated from the key bindings of the context underneath.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::new_team::centered;
use crate::tui::keymap::{self, Context};
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, under: Context, theme: &Theme) {
    let bindings = keymap::bindings(under);
    let height = (bindings.len() as u16 + 6).min(area.height);
    let dialog = centered(area, 60, height);
    frame.render_widget(Clear, dialog);
    let mut lines = vec![Line::from(Span::styled(
        format!("Keys on the {} screen", under.title().to_lowercase()),
        theme.title,
    ))];
    lines.push(Line::from(""));
    for b in bindings {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>10}  ", b.label), theme.accent),
            Span::styled(b.help, theme.text),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "? or Esc closes this help",
        theme.muted,
    )));
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" Help ", theme.title))
                .border_style(theme.accent),
        ),
        dialog,
    );
}
