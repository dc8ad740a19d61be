//! The remove-team confirmation: what will be removed (counts), and the team's name
//! typed again before anything happens. Pure state and keys; the driver removes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::store::audit::printable;
use crate::teams::RemovalPlan;
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::widgets::centered::centered;

/// What a key asks of the page holding the dialog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmCommand {
    None,
    Cancel,
    /// The name was typed right: remove this team.
    Remove(String),
}

/// The dialog's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoveConfirm {
    pub team: String,
    /// What would be removed; `None` until the driver's reply arrives.
    pub plan: Option<RemovalPlan>,
    pub typed: String,
    pub error: Option<String>,
    /// The removal is running (keys are ignored until its reply).
    pub busy: bool,
}

impl RemoveConfirm {
    pub fn new(team: &str) -> RemoveConfirm {
        RemoveConfirm {
            team: team.to_string(),
            ..Default::default()
        }
    }

    /// Enter (`Submit`: remove when the name matches exactly), Esc (`Back`: cancel),
    /// Backspace and typed characters.
    pub fn key(&mut self, action: Option<Action>, key: KeyEvent) -> ConfirmCommand {
        if self.busy {
            return ConfirmCommand::None;
        }
        match (action, key.code) {
            (Some(Action::Back), _) => ConfirmCommand::Cancel,
            (Some(Action::Submit), _) if self.typed == self.team => {
                self.busy = true;
                self.error = None;
                ConfirmCommand::Remove(self.team.clone())
            }
            (Some(Action::Submit), _) => {
                self.error = Some(format!(
                    "the name typed does not match {}; type it exactly",
                    printable(&self.team)
                ));
                ConfirmCommand::None
            }
            (_, KeyCode::Backspace) => {
                self.typed.pop();
                self.error = None;
                ConfirmCommand::None
            }
            (_, KeyCode::Char(c)) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.typed.push(c);
                self.error = None;
                ConfirmCommand::None
            }
            _ => ConfirmCommand::None,
        }
    }

    /// The removal failed: say why and let the engineer try again or cancel.
    pub fn failed(&mut self, reason: String) {
        self.busy = false;
        self.error = Some(reason);
    }
}

/// Draws the dialog centred in `area`.
pub fn render(frame: &mut Frame, area: Rect, dialog: &RemoveConfirm, theme: &Theme) {
    let rect = centered(area, 72, 16);
    frame.render_widget(Clear, rect);
    let block = Block::bordered()
        .title(Span::styled(" Remove team ", theme.title))
        .border_style(theme.error);
    let name = printable(&dialog.team);
    let mut lines = vec![
        Line::from(vec![
            Span::styled("This removes team ", theme.text),
            Span::styled(name.clone(), theme.title),
            Span::styled(" and everything stored for it, for good:", theme.text),
        ]),
        Line::from(""),
    ];
    match &dialog.plan {
        None => lines.push(Line::from(Span::styled("counting…", theme.muted))),
        Some(plan) => {
            lines.push(Line::from(Span::styled(plan.counts_line(), theme.warn)));
            if plan.open_jobs > 0 {
                lines.push(Line::from(Span::styled(
                    format!("{} open job(s) will be cancelled.", plan.open_jobs),
                    theme.warn,
                )));
            }
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "One audit entry of the removal is kept (who, when, counts).",
        theme.muted,
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "Type the team name to confirm:",
        theme.text,
    )));
    lines.push(Line::from(vec![
        Span::styled("› ", theme.accent),
        Span::styled(format!("{}▏", printable(&dialog.typed)), theme.text),
    ]));
    lines.push(Line::from(""));
    lines.push(match (&dialog.error, dialog.busy) {
        (_, true) => Line::from(Span::styled("removing…", theme.warn)),
        (Some(e), _) => Line::from(Span::styled(e.clone(), theme.error)),
        (None, _) => Line::from(Span::styled(
            "Enter removes once the name matches · Esc cancels",
            theme.muted,
        )),
    });
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(d: &mut RemoveConfirm, code: KeyCode) -> ConfirmCommand {
        let k = KeyEvent::new(code, KeyModifiers::NONE);
        let ctx = crate::tui::keymap::Context::RemoveTeam;
        d.key(crate::tui::keymap::lookup(ctx, k), k)
    }

    fn typed(d: &mut RemoveConfirm, s: &str) {
        for c in s.chars() {
            key(d, KeyCode::Char(c));
        }
    }

    #[test]
    fn only_the_exact_name_removes() {
        let mut d = RemoveConfirm::new("Acme Corp");
        typed(&mut d, "acme corp");
        assert_eq!(key(&mut d, KeyCode::Enter), ConfirmCommand::None);
        assert!(d.error.as_deref().unwrap().contains("does not match"));
        for _ in 0.."acme corp".len() {
            key(&mut d, KeyCode::Backspace);
        }
        assert!(d.error.is_none());
        typed(&mut d, "Acme Corp");
        assert_eq!(
            key(&mut d, KeyCode::Enter),
            ConfirmCommand::Remove("Acme Corp".into())
        );
        assert!(d.busy);
        assert_eq!(key(&mut d, KeyCode::Esc), ConfirmCommand::None, "busy");
        d.failed("job 3 is still held".into());
        assert_eq!(key(&mut d, KeyCode::Esc), ConfirmCommand::Cancel);
    }
}
