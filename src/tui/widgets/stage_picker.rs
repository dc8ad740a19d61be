//! The step 6 stage picker: the team's pipeline stages in order, over the table, for the
//! selected (pipeline) status. Rejection statuses never open it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::mapping::stages::Stage;
use crate::tui::theme::Theme;
use crate::tui::widgets::stage_table::clean;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    stages: &[Stage],
    selected: usize,
    status: &str,
    theme: &Theme,
) {
    let width = stages
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(10)
        .max(status.chars().count() + 10)
        .clamp(24, area.width.saturating_sub(4) as usize) as u16
        + 4;
    let height = (stages.len() as u16 + 2)
        .min(area.height.saturating_sub(2))
        .max(3);
    let popup = Rect {
        x: area.x + area.width.saturating_sub(width) / 2,
        y: area.y + area.height.saturating_sub(height) / 2,
        width: width.min(area.width),
        height,
    };
    let lines: Vec<Line> = stages
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let text = format!("{}. {}", i + 1, clean(&s.name));
            if i == selected {
                Line::from(Span::styled(format!("› {text}"), theme.selected))
            } else {
                Line::from(Span::styled(format!("  {text}"), theme.text))
            }
        })
        .collect();
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(
                    format!(" Stage for {} ", clean(status)),
                    theme.title,
                ))
                .border_style(theme.accent),
        ),
        popup,
    );
}
