//! The sync's quarantined records as a table (id, object, reason, attempts, when) over a
//! window of the whole list, with the selection and its position (`123/10,000`).

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Cell, Row, Table, TableState};

use crate::sync::status::QuarantineRow;
use crate::tui::sync_summary::{parse_time, printable, thousands, when};
use crate::tui::theme::Theme;

/// What the table shows: a window of the quarantine and where it is in the whole list.
pub struct QuarantineWindow<'a> {
    /// The rows from `offset`.
    pub rows: &'a [QuarantineRow],
    pub offset: u64,
    /// The selected row, over the whole list.
    pub selected: u64,
    pub total: u64,
    pub now: DateTime<Utc>,
}

/// Draws the window with its selection and position.
pub fn render(frame: &mut Frame, area: Rect, w: &QuarantineWindow<'_>, theme: &Theme) {
    let QuarantineWindow {
        rows,
        offset,
        selected,
        total,
        now,
    } = *w;
    let title = format!(
        " Quarantined records {}/{} ",
        thousands(if total == 0 { 0 } else { selected + 1 }),
        thousands(total)
    );
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .border_style(theme.border);
    let header = Row::new(["iCIMS id", "object", "reason", "tries", "when"]).style(theme.title);
    let body = rows.iter().map(|r| {
        let at = parse_time(&r.at).map(|t| when(t, now)).unwrap_or_default();
        Row::new(vec![
            Cell::from(printable(&r.icims_id)),
            Cell::from(printable(&r.object)),
            Cell::from(Span::styled(printable(&r.reason), theme.warn)),
            Cell::from(r.attempts.to_string()),
            Cell::from(Span::styled(at, theme.muted)),
        ])
        .style(theme.text)
    });
    let widths = [
        Constraint::Length(10),
        Constraint::Length(9),
        Constraint::Min(20),
        Constraint::Length(5),
        Constraint::Length(9),
    ];
    let table = Table::new(body, widths)
        .header(header)
        .block(block)
        .row_highlight_style(theme.selected)
        .highlight_symbol("› ");
    let in_window = selected
        .checked_sub(offset)
        .filter(|i| (*i as usize) < rows.len())
        .map(|i| i as usize);
    let mut state = TableState::default().with_selected(in_window);
    frame.render_stateful_widget(table, area, &mut state);
}
