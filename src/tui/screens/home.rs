//! The home screen: every team with its six step states, filterable with `/`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use crate::onboarding::Step;
use crate::tui::model::TeamRow;
use crate::tui::sync_summary::{Alert, AlertKind, Tone, printable};
use crate::tui::theme::Theme;
use crate::tui::widgets::state_badge;

/// What the home screen shows.
pub struct HomeView<'a> {
    /// Per team (same order): its deep sync state cell, if read.
    pub syncs: Vec<Option<(String, Tone)>>,
    /// Per team: its alerts, most urgent first.
    pub alerts: Vec<Vec<Alert>>,
    /// The teams matching the filter.
    pub teams: Vec<&'a TeamRow>,
    /// How many teams there are in all.
    pub total: usize,
    pub selected: usize,
    pub filter: &'a str,
    /// Whether the filter is being typed.
    pub filtering: bool,
}

fn tone_style(tone: Tone, theme: &Theme) -> ratatui::style::Style {
    match tone {
        Tone::Text => theme.text,
        Tone::Ok => theme.ok,
        Tone::Warn => theme.warn,
        Tone::Error => theme.error,
        Tone::Muted => theme.muted,
        Tone::Accent => theme.accent,
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &HomeView<'_>, theme: &Theme) {
    let show_filter = app.filtering || !app.filter.is_empty();
    let [filter_area, table_area, legend_area] = Layout::vertical([
        Constraint::Length(if show_filter { 1 } else { 0 }),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);

    if show_filter {
        let cursor = if app.filtering { "▏" } else { "" };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(" / ", theme.accent),
                Span::styled(format!("{}{cursor}", app.filter), theme.text),
            ])),
            filter_area,
        );
    }

    let teams = &app.teams;
    let alerting = app.alerts.iter().filter(|a| !a.is_empty()).count();
    let position = if teams.is_empty() {
        String::new()
    } else {
        format!("{}/{} ", app.selected + 1, teams.len())
    };
    let block = Block::bordered()
        .title(Span::styled(
            if alerting > 0 {
                format!(
                    " Teams ({}) {position}· {alerting} with alerts ",
                    teams.len()
                )
            } else {
                format!(" Teams ({}) {position}", teams.len())
            },
            theme.title,
        ))
        .border_style(theme.border);
    if teams.is_empty() {
        let text = if app.total == 0 {
            vec![
                Line::from(Span::styled("No teams yet.", theme.text)),
                Line::from(vec![
                    Span::styled("Press ", theme.muted),
                    Span::styled("n", theme.accent),
                    Span::styled(" to create the first one.", theme.muted),
                ]),
            ]
        } else {
            vec![Line::from(Span::styled(
                format!("No team matches {:?}.", app.filter),
                theme.muted,
            ))]
        };
        frame.render_widget(Paragraph::new(text).block(block), table_area);
    } else {
        // Narrow terminals drop customer and region to keep the sync state and alerts.
        let wide = area.width >= 96;
        let mut header = vec![Cell::from("Team")];
        if wide {
            header.extend([Cell::from("Customer"), Cell::from("Region")]);
        }
        header.extend(
            Step::ALL
                .iter()
                .map(|s| Cell::from(format!("{}", s.number()))),
        );
        header.push(Cell::from("Deep sync"));
        header.push(Cell::from("Alert / next"));
        let rows = teams.iter().enumerate().map(|(i, t)| {
            let mut cells = vec![Cell::from(t.team.name.clone())];
            if wide {
                cells.extend([
                    Cell::from(t.team.customer_id.to_string()),
                    Cell::from(t.team.region.as_str()),
                ]);
            }
            cells.extend(
                t.steps
                    .iter()
                    .map(|s| Cell::from(state_badge::glyph(s, theme))),
            );
            let (sync, tone) = app
                .syncs
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or(("—".into(), Tone::Muted));
            cells.push(Cell::from(Span::styled(sync, tone_style(tone, theme))));
            match app.alerts.get(i).and_then(|a| a.first()) {
                Some(alert) => {
                    let more = app.alerts[i].len() - 1;
                    let text = if more > 0 {
                        format!("⚠ {} (+{more})", printable(&alert.text))
                    } else {
                        format!("⚠ {}", printable(&alert.text))
                    };
                    let style = match alert.kind {
                        AlertKind::SyncFailed | AlertKind::AuthFailing | AlertKind::WorkerGone => {
                            theme.error
                        }
                        _ => theme.warn,
                    };
                    cells.push(Cell::from(Span::styled(text, style)));
                }
                None => {
                    let next = t
                        .steps
                        .iter()
                        .find(|s| s.state != crate::onboarding::StepState::Done && !s.is_locked())
                        .map(|s| format!("{}. {}", s.step.number(), s.detail))
                        .unwrap_or_else(|| "all steps done".into());
                    cells.push(Cell::from(Span::styled(next, theme.muted)));
                }
            }
            Row::new(cells).style(theme.text)
        });
        let mut widths = vec![Constraint::Length(20)];
        if wide {
            widths.extend([Constraint::Length(9), Constraint::Length(6)]);
        }
        widths.extend([Constraint::Length(1); 6]);
        widths.push(Constraint::Length(18));
        widths.push(Constraint::Min(10));
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.title))
            .row_highlight_style(theme.selected)
            .highlight_symbol("› ")
            .block(block);
        let mut state = TableState::default().with_selected(Some(app.selected));
        frame.render_stateful_widget(table, table_area, &mut state);
    }
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(" {}", state_badge::LEGEND),
            theme.muted,
        )),
        legend_area,
    );
}
