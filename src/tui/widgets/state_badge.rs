//! How a step state looks: a glyph for dense tables and a label for the step list.

use ratatui::style::Style;
use ratatui::text::Span;

use crate::onboarding::{StepState, StepStatus};
use crate::tui::theme::Theme;

/// The style role of a state.
pub fn style(status: &StepStatus, theme: &Theme) -> Style {
    if status.is_locked() {
        return theme.muted;
    }
    match status.state {
        StepState::Done => theme.ok,
        StepState::InProgress => theme.accent,
        StepState::NeedsAttention => theme.warn,
        StepState::Todo => theme.text,
    }
}

/// One-character glyph: ✓ done, ◐ in progress, ! needs attention, · todo, ⊘ locked.
pub fn glyph(status: &StepStatus, theme: &Theme) -> Span<'static> {
    let g = if status.is_locked() {
        "⊘"
    } else {
        match status.state {
            StepState::Done => "✓",
            StepState::InProgress => "◐",
            StepState::NeedsAttention => "!",
            StepState::Todo => "·",
        }
    };
    Span::styled(g, style(status, theme))
}

/// The state as words ("locked" when a gate is unmet).
pub fn label(status: &StepStatus, theme: &Theme) -> Span<'static> {
    let text = if status.is_locked() {
        "locked".to_string()
    } else {
        status.state.label().to_string()
    };
    Span::styled(text, style(status, theme))
}

/// The legend of the glyphs.
pub const LEGEND: &str = "✓ done  ◐ in progress  ! needs attention  · todo  ⊘ locked";
