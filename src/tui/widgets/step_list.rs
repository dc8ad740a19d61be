//! The team screen's sidebar: the six steps with their state, and why a locked one is locked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::state_badge;
use crate::onboarding::StepStatus;
use crate::tui::theme::Theme;

/// Draws the steps; `selected` is highlighted.
pub fn render(frame: &mut Frame, area: Rect, steps: &[StepStatus], selected: usize, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(" Steps ", theme.title))
        .border_style(theme.border);
    let width = block.inner(area).width as usize;
    let mut lines = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let marker = if i == selected { "›" } else { " " };
        let name = format!("{marker}{} {}", s.step.number(), s.step.title());
        let badge = state_badge::label(s, theme);
        let pad = width.saturating_sub(name.chars().count() + badge.content.chars().count() + 1);
        let name_style = if i == selected { theme.selected } else { theme.text };
        lines.push(Line::from(vec![
            Span::styled(name, name_style),
            Span::raw(" ".repeat(pad.max(1))),
            badge,
        ]));
        for reason in &s.locked_by {
            lines.push(Line::from(Span::styled(format!("   ⊘ {reason}"), theme.muted)));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }),
        area,
    );
}
