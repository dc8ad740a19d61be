//! The home screen: every team with its six step states, filterable with `/`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use crate::onboarding::Step;
use crate::tui::model::TeamRow;
use crate::tui::theme::Theme;
use crate::tui::widgets::state_badge;

/// What the home screen shows.
pub struct HomeView<'a> {
    /// The teams matching the filter.
    pub teams: Vec<&'a TeamRow>,
    /// How many teams there are in all.
    pub total: usize,
    pub selected: usize,
    pub filter: &'a str,
    /// Whether the filter is being typed.
    pub filtering: bool,
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
    let position = if teams.is_empty() {
        String::new()
    } else {
        format!("{}/{} ", app.selected + 1, teams.len())
    };
    let block = Block::bordered()
        .title(Span::styled(
            format!(" Teams ({}) {position}", teams.len()),
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
        let mut header = vec![
            Cell::from("Team"),
            Cell::from("Customer"),
            Cell::from("Region"),
        ];
        header.extend(
            Step::ALL
                .iter()
                .map(|s| Cell::from(format!("{}", s.number()))),
        );
        header.push(Cell::from("Next"));
        let rows = teams.iter().map(|t| {
            let mut cells = vec![
                Cell::from(t.team.name.clone()),
                Cell::from(t.team.customer_id.to_string()),
                Cell::from(t.team.region.as_str()),
            ];
            cells.extend(
                t.steps
                    .iter()
                    .map(|s| Cell::from(state_badge::glyph(s, theme))),
            );
            let next = t
                .steps
                .iter()
                .find(|s| s.state != crate::onboarding::StepState::Done && !s.is_locked())
                .map(|s| format!("{}. {}", s.step.number(), s.detail))
                .unwrap_or_else(|| "all steps done".into());
            cells.push(Cell::from(Span::styled(next, theme.muted)));
            Row::new(cells).style(theme.text)
        });
        let mut widths = vec![
            Constraint::Length(20),
            Constraint::Length(9),
            Constraint::Length(6),
        ];
        widths.extend([Constraint::Length(1); 6]);
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
