//! The field mapping table: customer field → standard field, confidence, coverage, state
//! and samples. Only the rows in view are built, so the cost of a frame does not grow with
//! the number of fields.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};

use crate::mapping::shape::display_sample;
use crate::mapping::{Issue, MappingEntry, MappingState};
use crate::tui::theme::Theme;

/// What the table shows: the entries, the filtered and sorted order, the selection and the
/// validation issues (to flag rows).
pub struct TableView<'a> {
    pub entries: &'a [MappingEntry],
    /// Indices into `entries`, in display order.
    pub view: &'a [usize],
    /// Position in `view`.
    pub selected: usize,
    pub issues: &'a [Issue],
}

/// The first row shown so that `selected` is visible in `visible` rows.
pub fn window_start(selected: usize, visible: usize) -> usize {
    if visible == 0 || selected < visible {
        0
    } else {
        selected + 1 - visible
    }
}

fn state_style(s: MappingState, theme: &Theme) -> Style {
    match s {
        MappingState::Suggested => theme.text,
        MappingState::Accepted => theme.ok,
        MappingState::Changed => theme.accent,
        MappingState::Ignored => theme.muted,
        MappingState::CustomRequest => theme.warn,
    }
}

fn state_label(s: MappingState) -> &'static str {
    match s {
        MappingState::CustomRequest => "custom",
        other => other.as_str(),
    }
}

fn confidence_style(c: f64, theme: &Theme) -> Style {
    if c >= 0.9 {
        theme.ok
    } else if c >= 0.7 {
        theme.text
    } else {
        theme.warn
    }
}

fn samples_text(e: &MappingEntry, room: usize) -> String {
    let mut out = String::new();
    for s in &e.field.samples {
        if out.chars().count() >= room {
            break;
        }
        if !out.is_empty() {
            out.push_str(" | ");
        }
        out.push_str(&display_sample(s));
    }
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &TableView<'_>, theme: &Theme) {
    let position = if state.view.is_empty() {
        String::new()
    } else {
        format!("{}/{} ", state.selected + 1, state.view.len())
    };
    let block = Block::bordered()
        .title(Span::styled(
            format!(" Customer fields ({} shown) {position}", state.view.len()),
            theme.title,
        ))
        .border_style(theme.border);
    let inner = block.inner(area);
    let visible = inner.height.saturating_sub(1) as usize;
    let start = window_start(state.selected, visible);
    let end = (start + visible).min(state.view.len());
    let narrow = inner.width < 100;
    let (object_w, field_w, target_w, state_w) = if narrow {
        (4, 16, 20, 9)
    } else {
        (8, 24, 26, 10)
    };
    let flagged: Vec<&str> = state.issues.iter().flat_map(|i| i.fields()).collect();
    let samples_room = inner.width.saturating_sub(76) as usize + 8;
    let rows = state.view[start..end].iter().enumerate().map(|(k, &i)| {
        let e = &state.entries[i];
        let has_issue = flagged
            .iter()
            .any(|f| *f == e.field.name || *f == e.field.display_label());
        let cursor = if start + k == state.selected {
            "›"
        } else {
            " "
        };
        let mark = Line::from(vec![
            Span::styled(cursor, theme.accent),
            if has_issue {
                Span::styled("!", theme.error)
            } else {
                Span::raw(" ")
            },
        ]);
        let target = match (e.target.as_deref(), e.state) {
            (_, MappingState::Ignored) => Span::styled("(ignored)", theme.muted),
            (_, MappingState::CustomRequest) => Span::styled("(custom field request)", theme.warn),
            (Some(t), _) => Span::styled(t.to_string(), theme.text),
            (None, _) => Span::styled("—", theme.muted),
        };
        let conf = e.suggestion.confidence;
        let row = Row::new(vec![
            Cell::from(mark),
            Cell::from(Span::styled(
                if narrow {
                    &e.field.object.as_str()[..3]
                } else {
                    e.field.object.as_str()
                },
                theme.muted,
            )),
            Cell::from(Span::styled(
                e.field.display_label().to_string(),
                theme.text,
            )),
            Cell::from(Line::from(target)),
            Cell::from(Span::styled(
                format!("{:>3.0}%", conf * 100.0),
                confidence_style(conf, theme),
            )),
            Cell::from(Span::styled(
                format!("{:>3.0}%", e.field.fill_rate * 100.0),
                theme.text,
            )),
            Cell::from(Span::styled(
                state_label(e.state),
                state_style(e.state, theme),
            )),
            Cell::from(Span::styled(samples_text(e, samples_room), theme.muted)),
        ]);
        if start + k == state.selected {
            row.style(theme.selected)
        } else {
            row
        }
    });
    let header = Row::new(vec![
        "",
        "object",
        "customer field",
        "standard field",
        "conf",
        "cover",
        "state",
        "samples",
    ])
    .style(theme.title);
    let widths = [
        Constraint::Length(2),
        Constraint::Length(object_w),
        Constraint::Length(field_w),
        Constraint::Length(target_w),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(state_w),
        Constraint::Min(8),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .block(block),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_selection() {
        assert_eq!(window_start(0, 10), 0);
        assert_eq!(window_start(9, 10), 0);
        assert_eq!(window_start(10, 10), 1);
        assert_eq!(window_start(9_999, 30), 9_970);
        assert_eq!(window_start(5, 0), 0);
    }
}
