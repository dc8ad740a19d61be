//! The validation panel of the field mapping screen: every problem that blocks approval.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::mapping::Issue;
use crate::tui::theme::Theme;

/// Rows the panel takes in an area of `available` rows (at most a third of it).
pub fn height(issues: &[Issue], available: u16) -> u16 {
    let want = issues.len().max(1) as u16 + 2;
    want.min((available / 3).max(3))
}

pub fn render(frame: &mut Frame, area: Rect, issues: &[Issue], theme: &Theme) {
    let (title, style) = if issues.is_empty() {
        (" Validation ".to_string(), theme.border)
    } else {
        (
            format!(" Validation: {} problem(s) ", issues.len()),
            theme.error,
        )
    };
    let room = area.height.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = if issues.is_empty() {
        vec![Line::from(Span::styled(
            "✓ no problems: every required field is mapped once with a fitting type",
            theme.ok,
        ))]
    } else {
        issues
            .iter()
            .map(|i| {
                Line::from(vec![
                    Span::styled("✗ ", theme.error),
                    Span::styled(i.to_string(), theme.text),
                ])
            })
            .collect()
    };
    if lines.len() > room && room > 0 {
        let more = lines.len() - (room - 1);
        lines.truncate(room - 1);
        lines.push(Line::from(Span::styled(
            format!("… and {more} more"),
            theme.muted,
        )));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(title, theme.title))
                .border_style(style),
        ),
        area,
    );
}
