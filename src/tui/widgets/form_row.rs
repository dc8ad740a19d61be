//! Form rows for the step screens: a label with a focus marker and a one-line text field
//! (masked fields show `•`), plus buttons and toggles drawn as `[ Label ]`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui_textarea::TextArea;

use crate::tui::theme::Theme;

/// Width of the label column.
pub const LABEL_WIDTH: u16 = 24;

/// Draws `label` and the field `t`; `hint` shows (muted) when the field is empty.
pub fn field(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    t: &TextArea<'_>,
    focused: bool,
    hint: &str,
    theme: &Theme,
) {
    let [label_area, value_area] =
        Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Min(8)]).areas(area);
    frame.render_widget(
        Paragraph::new(label_line(label, focused, theme)),
        label_area,
    );
    let empty = t.lines().iter().all(|l| l.is_empty());
    if empty && !focused {
        frame.render_widget(
            Paragraph::new(Span::styled(hint.to_string(), theme.muted)),
            value_area,
        );
        return;
    }
    let mut shown = t.clone();
    shown.set_style(theme.text);
    shown.set_cursor_style(if focused { theme.selected } else { theme.text });
    frame.render_widget(&shown, value_area);
    if empty && focused && !hint.is_empty() {
        let hint_area = Rect {
            x: value_area.x + 2,
            width: value_area.width.saturating_sub(2),
            ..value_area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(hint.to_string(), theme.muted)),
            hint_area,
        );
    }
}

/// Draws `label` and a line of spans as the value (choices, toggles).
pub fn value(
    frame: &mut Frame,
    area: Rect,
    label: &str,
    focused: bool,
    value: Line<'static>,
    theme: &Theme,
) {
    let [label_area, value_area] =
        Layout::horizontal([Constraint::Length(LABEL_WIDTH), Constraint::Min(8)]).areas(area);
    frame.render_widget(
        Paragraph::new(label_line(label, focused, theme)),
        label_area,
    );
    frame.render_widget(Paragraph::new(value), value_area);
}

fn label_line(label: &str, focused: bool, theme: &Theme) -> Line<'static> {
    Line::from(vec![
        Span::styled(if focused { "› " } else { "  " }, theme.accent),
        Span::styled(
            label.to_string(),
            if focused { theme.accent } else { theme.text },
        ),
    ])
}

/// A button: `[ Test ]`, highlighted when focused, muted when disabled.
pub fn button(label: &str, focused: bool, enabled: bool, theme: &Theme) -> Span<'static> {
    let style = if !enabled {
        theme.muted
    } else if focused {
        theme.selected
    } else {
        theme.accent
    };
    Span::styled(format!("[ {label} ]"), style)
}
