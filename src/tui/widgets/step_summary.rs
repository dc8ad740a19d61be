//! A step page that shows what is known before its actions exist: the state and detail,
//! each gate with ✓/✗, what the step is for, its inputs, and the capabilities not built
//! yet — stated plainly, never as buttons that do nothing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::state_badge;
use crate::onboarding::StepStatus;
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;

/// What the summary shows.
pub struct Summary<'a> {
    pub status: &'a StepStatus,
    /// (gate, met).
    pub gates: Vec<(String, bool)>,
    /// (label, value, style).
    pub inputs: Vec<(&'static str, String, Style)>,
    /// Capabilities of the step that are not built yet.
    pub not_yet: Vec<&'static str>,
}

pub fn render(frame: &mut Frame, area: Rect, s: &Summary<'_>, theme: &Theme) {
    let step = s.status.step;
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {}. {} ", step.number(), step.title()),
            theme.title,
        ))
        .border_style(theme.border);
    let width = block.inner(area).width as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled("State   ", theme.muted),
        state_badge::glyph(s.status, theme),
        Span::raw(" "),
        state_badge::label(s.status, theme),
    ])];
    for (i, part) in wrap_hanging(&s.status.detail, width, 8, 8)
        .into_iter()
        .enumerate()
    {
        lines.push(Line::from(vec![
            Span::styled(if i == 0 { "Detail  " } else { "" }, theme.muted),
            Span::styled(part, theme.text),
        ]));
    }
    lines.push(Line::from(""));
    for part in wrap_hanging(step.purpose(), width, 0, 0) {
        lines.push(Line::from(Span::styled(part, theme.text)));
    }
    if !s.gates.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Gates", theme.title)));
        for (gate, met) in &s.gates {
            let (mark, style) = if *met {
                ("✓", theme.ok)
            } else {
                ("✗", theme.warn)
            };
            for (i, part) in wrap_hanging(gate, width, 4, 4).into_iter().enumerate() {
                let head = if i == 0 {
                    format!("  {mark} ")
                } else {
                    String::new()
                };
                lines.push(Line::from(vec![
                    Span::styled(head, style),
                    Span::styled(part, theme.text),
                ]));
            }
        }
    }
    if !s.inputs.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Inputs", theme.title)));
        let label_width = 22;
        for (label, value, style) in &s.inputs {
            for (i, part) in wrap_hanging(value, width, label_width + 2, label_width + 2)
                .into_iter()
                .enumerate()
            {
                let head = if i == 0 {
                    format!("  {label:<label_width$}")
                } else {
                    String::new()
                };
                lines.push(Line::from(vec![
                    Span::styled(head, theme.muted),
                    Span::styled(part, *style),
                ]));
            }
        }
    }
    if !s.not_yet.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled("Not available yet", theme.title)));
        for what in &s.not_yet {
            for part in wrap_hanging(what, width, 2, 4) {
                lines.push(Line::from(Span::styled(format!("  {part}"), theme.muted)));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
