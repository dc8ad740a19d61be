//! The frame: header, the current screen, overlays and the footer — a pure function of
//! [`App`] and [`Theme`].

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Screen};
use super::keymap::Context;
use super::screens::step_screen::StepScreen;
use super::screens::{basic_sync, deep_sync, field_mapping, help, home, new_team, team, too_small};
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
        _ if app.mapping.is_some() => {
            if let Some(m) = &app.mapping {
                field_mapping::render(frame, body, m, theme);
            }
        }
        (Screen::Team { .. }, Some(_)) if app.step_screen.is_some() => match &app.step_screen {
            Some(StepScreen::Basic(s)) => basic_sync::render(frame, body, s, theme),
            Some(StepScreen::Deep(s)) => deep_sync::render(frame, body, s, theme),
            None => {}
        },
        (Screen::Team { step, .. }, Some(row)) => {
            team::render(frame, body, row, *step, app.export.as_ref(), theme)
        }
        (Screen::Team { name, .. }, None) => frame.render_widget(
            Paragraph::new(Span::styled(
                format!("Team {name:?} no longer exists."),
                theme.error,
            )),
            body,
        ),
        (Screen::Home, _) => home::render(frame, body, app, theme),
    }
    if let Some(form) = &app.form {
        new_team::render(frame, body, form, theme);
    }
    let under = if let Some(m) = &app.mapping {
        m.context()
    } else if app.form.is_some() {
        Context::Form
    } else if app.step_screen.is_some() {
        Context::Step
    } else {
        match app.screen {
            Screen::Home => Context::Home,
            Screen::Team { .. } => Context::Team,
        }
    };
    if app.help {
        help::render(frame, body, under, theme);
    }
    footer::render(frame, foot, app.context(), app.status.as_ref(), theme);
}
