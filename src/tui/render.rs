//! The frame: header, the current screen or page, overlays and the footer — a pure
//! function of [`App`] and [`Theme`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Screen};
use super::screens::{help, home, new_team, remove_team, team, team_history, too_small};
use super::theme::Theme;
use super::widgets::footer;

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if app.too_small() {
        too_small::render(frame, area, theme);
        return;
    }
    let [header, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);

    let mut title = vec![Span::styled(" icims-onboard ", theme.title)];
    match (&app.screen, app.open_team()) {
        (Screen::Team { .. }, Some(row)) => {
            title.push(Span::styled("› ", theme.muted));
            title.push(Span::styled(row.team.name.clone(), theme.accent));
            title.push(Span::styled(
                format!("  customer {} · {}", row.team.customer_id, row.team.region),
                theme.muted,
            ));
        }
        _ => title.push(Span::styled(format!("  {}", app.db_label), theme.muted)),
    }
    frame.render_widget(Paragraph::new(Line::from(title)), header);

    match (&app.screen, app.open_team()) {
        (Screen::Team { .. }, Some(_)) if app.page.is_some() => {
            if let Some(open) = &app.page {
                open.page.render(frame, body, theme);
            }
        }
        (Screen::Team { .. }, Some(_)) if app.history.is_some() => {
            if let Some(history) = &app.history {
                team_history::render(frame, body, history, theme);
            }
        }
        (Screen::Team { step, .. }, Some(row)) => team::render(frame, body, row, *step, theme),
        (Screen::Team { name, .. }, None) => frame.render_widget(
            Paragraph::new(Span::styled(
                format!("Team {name:?} no longer exists. Esc goes back to the teams."),
                theme.error,
            )),
            body,
        ),
        (Screen::Home, _) => {
            let view = home::HomeView {
                teams: app.visible_teams(),
                total: app.teams.len(),
                selected: app.selected,
                filter: &app.filter,
                filtering: app.filtering,
            };
            home::render(frame, body, &view, theme)
        }
    }
    if let Some(form) = &app.form {
        new_team::render(frame, body, form, theme);
    }
    if let Some(dialog) = &app.remove {
        remove_team::render(frame, body, dialog, theme);
    }
    let commands = app.commands();
    if app.help {
        help::render(
            frame,
            body,
            app.context_under(),
            &commands,
            app.status.as_ref(),
            theme,
        );
        let close = super::keymap::commands(super::keymap::Context::Help, |_| {
            super::keymap::Availability::Enabled
        });
        footer::render(frame, foot, &close, app.status.as_ref(), theme);
    } else {
        footer::render(frame, foot, &commands, app.status.as_ref(), theme);
    }
}
