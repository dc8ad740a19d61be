//! The team screen's sidebar: the six steps, each with its state on the line below and,
//! when locked, why.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::state_badge;
use crate::onboarding::StepStatus;
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;

/// Draws the steps; `selected` is highlighted.
pub fn render(frame: &mut Frame, area: Rect, steps: &[StepStatus], selected: usize, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(" Steps ", theme.title))
        .border_style(theme.border);
    let inner = block.inner(area);
    let width = inner.width as usize;
    // Lock reasons wrap when there is room; otherwise each is cut to one line.
    let wrapped = lines_for(steps, selected, theme, width, true);
    let lines = if wrapped.len() <= inner.height as usize {
        wrapped
    } else {
        lines_for(steps, selected, theme, width, false)
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn lines_for(
    steps: &[StepStatus],
    selected: usize,
    theme: &Theme,
    width: usize,
    wrap: bool,
) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        let marker = if i == selected { "›" } else { " " };
        let name_style = if i == selected {
            theme.selected
        } else {
            theme.title
        };
        lines.push(Line::from(Span::styled(
            format!("{marker}{} {}", s.step.number(), s.step.title()),
            name_style,
        )));
        lines.push(Line::from(vec![
            Span::raw("   "),
            state_badge::glyph(s, theme),
            Span::raw(" "),
            state_badge::label(s, theme),
        ]));
        for reason in &s.locked_by {
            if wrap {
                for (j, part) in wrap_hanging(reason, width, 5, 5).into_iter().enumerate() {
                    let prefix = if j == 0 { "     " } else { "" };
                    lines.push(Line::from(Span::styled(
                        format!("{prefix}{part}"),
                        theme.muted,
                    )));
                }
            } else {
                let room = width.saturating_sub(6);
                let mut cut: String = reason.chars().take(room).collect();
                if reason.chars().count() > room {
                    cut.pop();
                    cut.push('…');
                }
                lines.push(Line::from(Span::styled(format!("     {cut}"), theme.muted)));
            }
        }
    }
    lines
}
