//! The step 6 table: statuses grouped under their bin (with the bin's workflow total),
//! one row per status with its id, workflows now, the stage it maps to — or "rejected" and
//! the reason for a rejection status — and its decision state. Draws only the window
//! around the selection, so a long catalogue costs what a screenful does.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line as TextLine, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use crate::mapping::stages::{RowState, Stage, StatusRow};
use crate::tui::theme::Theme;

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// A bin header: its name, statuses shown and workflows in them.
    Bin {
        name: String,
        statuses: usize,
        workflows: u64,
    },
    /// A status (index into the rows).
    Row(usize),
}

/// Groups the rows that pass `keep` by bin, bins in the order their first status comes.
pub fn group(rows: &[StatusRow], keep: impl Fn(&StatusRow) -> bool) -> Vec<Line> {
    let mut bins: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if !keep(r) {
            continue;
        }
        let bin = r
            .status
            .bin
            .clone()
            .unwrap_or_else(|| "(no bin)".to_string());
        match bins.iter_mut().find(|(b, _)| *b == bin) {
            Some((_, v)) => v.push(i),
            None => bins.push((bin, vec![i])),
        }
    }
    let mut out = Vec::new();
    for (name, idx) in bins {
        out.push(Line::Bin {
            name,
            statuses: idx.len(),
            workflows: idx.iter().map(|&i| rows[i].status.workflows).sum(),
        });
        out.extend(idx.into_iter().map(Line::Row));
    }
    out
}

/// What the table draws.
pub struct TableView<'a> {
    pub rows: &'a [StatusRow],
    pub stages: &'a [Stage],
    pub lines: &'a [Line],
    /// The selected line (a row), if any.
    pub selected_line: Option<usize>,
    /// Lines that fit.
    pub visible: usize,
    pub filter: &'a str,
    pub loaded: bool,
}

/// Control characters from customer data shown escaped.
pub fn clean(s: &str) -> String {
    crate::safe_text::escape_control(s).into_owned()
}

fn stage_name<'a>(stages: &'a [Stage], id: &'a str) -> &'a str {
    stages
        .iter()
        .find(|s| s.id == id)
        .map_or(id, |s| s.name.as_str())
}

pub fn render(frame: &mut Frame, area: Rect, view: &TableView<'_>, theme: &Theme) {
    let title = if view.filter.is_empty() {
        " Statuses by bin ".to_string()
    } else {
        format!(" Statuses by bin — filter {:?} ", clean(view.filter))
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .border_style(theme.border);
    if view.lines.is_empty() {
        let text = if !view.loaded {
            "loading…".to_string()
        } else if view.rows.is_empty() {
            "No statuses yet. Press d to read them from the export, the synced workflows and the Schema API.".to_string()
        } else {
            "No status matches the filter (Esc clears it).".to_string()
        };
        frame.render_widget(
            Paragraph::new(TextLine::from(Span::styled(text, theme.muted))).block(block),
            area,
        );
        return;
    }
    let visible = view.visible.max(1);
    let sel = view.selected_line.unwrap_or(0);
    // Keep the selection in view (with its bin header when it is the bin's first row).
    let start = sel
        .saturating_sub(visible.saturating_sub(1))
        .min(view.lines.len().saturating_sub(visible));
    let end = (start + visible).min(view.lines.len());
    let wide = area.width >= 110;
    let rows = view.lines[start..end].iter().enumerate().map(|(k, line)| {
        let at = start + k;
        match line {
            Line::Bin {
                name,
                statuses,
                workflows,
            } => {
                let mut cells = vec![
                    Cell::from(Span::styled(format!("▸ {}", clean(name)), theme.title)),
                    Cell::from(Span::styled(format!("{statuses} st."), theme.muted)),
                    Cell::from(Span::styled(workflows.to_string(), theme.muted)),
                    Cell::from(""),
                    Cell::from(""),
                ];
                if !wide {
                    cells.remove(1);
                }
                Row::new(cells)
            }
            Line::Row(i) => {
                let r = &view.rows[*i];
                let (stage, stage_style) = if r.is_rejection() {
                    ("rejected".to_string(), theme.warn)
                } else {
                    match &r.stage {
                        Some(id) => (stage_name(view.stages, id).to_string(), theme.text),
                        None if r.status.workflows > 0 => ("— unmapped".to_string(), theme.error),
                        None => ("—".to_string(), theme.muted),
                    }
                };
                let (note, note_style) = if r.is_rejection() {
                    (
                        format!("✗ {}", clean(&r.reason().unwrap_or_default())),
                        theme.warn,
                    )
                } else if r.override_.is_some() {
                    (
                        format!(
                            "override: {}",
                            clean(
                                &r.override_
                                    .as_ref()
                                    .map(|o| o.note.clone())
                                    .unwrap_or_default()
                            )
                        ),
                        theme.accent,
                    )
                } else {
                    let state = match r.state {
                        RowState::Suggested if r.stage.is_some() => "suggested",
                        RowState::Suggested => "",
                        RowState::Accepted => "accepted",
                        RowState::Changed => "changed",
                    };
                    (state.to_string(), theme.muted)
                };
                let note = if r.new_since_approval {
                    format!("NEW {note}")
                } else {
                    note
                };
                let mut cells = vec![
                    Cell::from(format!("  {}", clean(&r.status.name))),
                    Cell::from(Span::styled(
                        if r.status.has_icims_id() {
                            clean(&r.status.id)
                        } else {
                            "—".to_string()
                        },
                        theme.muted,
                    )),
                    Cell::from(r.status.workflows.to_string()),
                    Cell::from(Span::styled(stage, stage_style)),
                    Cell::from(Span::styled(
                        note,
                        if r.new_since_approval {
                            theme.warn
                        } else {
                            note_style
                        },
                    )),
                ];
                if !wide {
                    cells.remove(1);
                }
                let row = Row::new(cells);
                if Some(at) == view.selected_line {
                    row.style(theme.selected)
                } else {
                    row
                }
            }
        }
    });
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if wide {
        (
            vec!["Status", "Id", "Workflows", "Stage", "Reason / state"],
            vec![
                Constraint::Percentage(32),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(14),
                Constraint::Fill(1),
            ],
        )
    } else {
        (
            vec!["Status", "Wf", "Stage", "Reason / state"],
            vec![
                Constraint::Percentage(36),
                Constraint::Length(5),
                Constraint::Length(12),
                Constraint::Fill(1),
            ],
        )
    };
    let rows: Vec<Row> = rows.collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.accent))
        .block(block);
    frame.render_widget(table, area);
}
