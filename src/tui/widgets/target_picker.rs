//! The standard field picker: a searchable list of the catalogue's fields of the row's
//! object (id, label, type, required), drawn over the mapping table.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::centered::centered;
use crate::mapping::{Catalogue, MappingEntry};
use crate::tui::theme::Theme;

/// The picker's state as drawn: the search text, the matching catalogue ids and the
/// selected one.
pub struct PickerView<'a> {
    pub query: &'a str,
    pub options: &'a [String],
    pub selected: usize,
}

pub fn render(
    frame: &mut Frame,
    area: Rect,
    entry: &MappingEntry,
    picker: &PickerView<'_>,
    catalogue: &Catalogue,
    theme: &Theme,
) {
    let height = (picker.options.len() as u16 + 5).clamp(8, area.height.saturating_sub(2).max(8));
    let dialog = centered(area, 72, height);
    frame.render_widget(Clear, dialog);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("Map ", theme.muted),
            Span::styled(entry.field.display_label().to_string(), theme.accent),
            Span::styled(format!(" ({}) to:", entry.field.object), theme.muted),
        ]),
        Line::from(vec![
            Span::styled("search ", theme.muted),
            Span::styled(format!("{}▏", picker.query), theme.text),
        ]),
    ];
    let room = dialog.height.saturating_sub(4) as usize;
    let start = super::mapping_table::window_start(picker.selected, room);
    if picker.options.is_empty() {
        lines.push(Line::from(Span::styled(
            "no standard field matches",
            theme.warn,
        )));
    }
    for (k, id) in picker.options.iter().enumerate().skip(start).take(room) {
        let Some(std) = catalogue.get(id) else {
            continue;
        };
        let text = format!(
            "{:<28} {:<22} {:<11}{}",
            std.id,
            std.label,
            std.field_type.as_str(),
            if std.required { " required" } else { "" }
        );
        let style = if k == picker.selected {
            theme.selected
        } else if entry.suggestion.target.as_deref() == Some(id.as_str()) {
            theme.ok
        } else {
            theme.text
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(Span::styled(" Standard field ", theme.title))
                .border_style(theme.accent),
        ),
        dialog,
    );
}
