//! A message shown in full over the page (a quarantine reason, a job error, every row of
//! a test with its fix), wrapped to the screen; any key closes it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered::centered;
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, text: &str, theme: &Theme) {
    let width = area.width.saturating_sub(8).clamp(30, 100);
    let inner = width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for para in text.lines() {
        if para.is_empty() {
            lines.push(Line::from(""));
            continue;
        }
        for part in wrap_hanging(para, inner, 0, 2) {
            lines.push(Line::from(Span::styled(part, theme.text)));
        }
    }
    let room = area.height.saturating_sub(4) as usize;
    if lines.len() > room {
        let more = lines.len() - room + 1;
        lines.truncate(room.saturating_sub(1));
        lines.push(Line::from(Span::styled(
            format!("… {more} more lines"),
            theme.muted,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("any key closes", theme.muted)));
    let height = (lines.len() as u16 + 2).min(area.height);
    let dialog = centered(area, width, height);
    frame.render_widget(Clear, dialog);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" In full ", theme.title))
                .border_style(theme.accent),
        ),
        dialog,
    );
}
