//! The new-team form: name, customer id, region, optional API base and token URL.
//! Validation is pure and names the field at fault; the driver does the insert.
//! The same form, opened on an existing team ([`NewTeamForm::edit`]), edits its settings
//! with the same validation ([`NewTeamForm::validate_edit`]).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use ratatui_textarea::TextArea;

use crate::store::teams::{validate_name, validate_url};
use crate::store::{NewTeam, Region, Team, TeamEdit};
use crate::tui::theme::Theme;
use crate::tui::widgets::centered::centered;

/// Form fields in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    CustomerId,
    Region,
    ApiBase,
    TokenUrl,
}

const FIELDS: [Field; 5] = [
    Field::Name,
    Field::CustomerId,
    Field::Region,
    Field::ApiBase,
    Field::TokenUrl,
];

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Name => "Team name",
            Field::CustomerId => "Customer ID",
            Field::Region => "Region",
            Field::ApiBase => "API base (optional)",
            Field::TokenUrl => "Token URL (optional)",
        }
    }
}

/// The form's state.
pub struct NewTeamForm {
    pub focus: Field,
    pub name: TextArea<'static>,
    pub customer_id: TextArea<'static>,
    pub region: Region,
    pub api_base: TextArea<'static>,
    pub token_url: TextArea<'static>,
    pub error: Option<String>,
    /// The team being edited (`None` for a new team).
    pub editing: Option<Team>,
}

impl std::fmt::Debug for NewTeamForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewTeamForm")
            .field("focus", &self.focus)
            .finish()
    }
}

fn single_line() -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_cursor_line_style(ratatui::style::Style::default());
    t
}

fn text(t: &TextArea<'_>) -> String {
    t.lines().join("").trim().to_string()
}

impl NewTeamForm {
    pub fn new() -> NewTeamForm {
        NewTeamForm {
            focus: Field::Name,
            name: single_line(),
            customer_id: single_line(),
            region: Region::Us,
            api_base: single_line(),
            token_url: single_line(),
            error: None,
            editing: None,
        }
    }

    /// The form filled with an existing team's settings, to edit them.
    pub fn edit(team: &Team) -> NewTeamForm {
        let filled = |text: &str| {
            let mut t = single_line();
            t.insert_str(text);
            t
        };
        NewTeamForm {
            focus: Field::Name,
            name: filled(&team.name),
            customer_id: filled(&team.customer_id.to_string()),
            region: team.region,
            api_base: filled(team.api_base_override.as_deref().unwrap_or("")),
            token_url: filled(team.token_url_override.as_deref().unwrap_or("")),
            error: None,
            editing: Some(team.clone()),
        }
    }

    /// Checks every field exactly as for a new team and returns the change to the team
    /// being edited (an emptied URL goes back to the region's default).
    pub fn validate_edit(&self) -> Result<TeamEdit, String> {
        let valid = self.validate()?;
        let original = self.editing.as_ref();
        Ok(TeamEdit {
            name: (original.map(|t| t.name.as_str()) != Some(valid.name.as_str()))
                .then_some(valid.name),
            customer_id: Some(valid.customer_id),
            region: valid.region,
            api_base: Some(valid.api_base),
            token_url: Some(valid.token_url),
            datastream_base: None,
        })
    }

    pub fn focus_next(&mut self) {
        let i = FIELDS.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = FIELDS[(i + 1) % FIELDS.len()];
    }

    pub fn focus_prev(&mut self) {
        let i = FIELDS.iter().position(|f| *f == self.focus).unwrap_or(0);
        self.focus = FIELDS[(i + FIELDS.len() - 1) % FIELDS.len()];
    }

    pub fn on_region(&self) -> bool {
        self.focus == Field::Region
    }

    pub fn toggle_region(&mut self) {
        self.region = match self.region {
            Region::Us => Region::Eu,
            Region::Eu => Region::Us,
        };
    }

    /// Types a key into the focused text field (the region field takes u/e).
    pub fn input(&mut self, key: KeyEvent) {
        self.error = None;
        let area = match self.focus {
            Field::Name => &mut self.name,
            Field::CustomerId => &mut self.customer_id,
            Field::ApiBase => &mut self.api_base,
            Field::TokenUrl => &mut self.token_url,
            Field::Region => {
                match key.code {
                    crossterm::event::KeyCode::Char('u' | 'U') => self.region = Region::Us,
                    crossterm::event::KeyCode::Char('e' | 'E') => self.region = Region::Eu,
                    _ => {}
                }
                return;
            }
        };
        area.input(key);
    }

    /// Checks every field; the first problem names its field.
    pub fn validate(&self) -> Result<NewTeam, String> {
        let name = text(&self.name);
        validate_name(&name).map_err(|e| format!("Team name: {e}"))?;
        let id_text = text(&self.customer_id);
        let customer_id: u64 = id_text.parse().map_err(|_| {
            if id_text.is_empty() {
                "Customer ID: required".to_string()
            } else {
                format!("Customer ID: {id_text:?} is not a number")
            }
        })?;
        let optional = |t: &TextArea<'_>, label: &str| -> Result<Option<String>, String> {
            let v = text(t);
            if v.is_empty() {
                return Ok(None);
            }
            validate_url(label, &v)?;
            Ok(Some(v))
        };
        Ok(NewTeam {
            name,
            customer_id,
            region: Some(self.region),
            api_base: optional(&self.api_base, "API base")?,
            token_url: optional(&self.token_url, "Token URL")?,
            datastream_base: None,
        })
    }
}

impl Default for NewTeamForm {
    fn default() -> Self {
        NewTeamForm::new()
    }
}

/// Draws the form as a centred dialog.
pub fn render(frame: &mut Frame, area: Rect, form: &NewTeamForm, theme: &Theme) {
    let dialog = centered(area, 64, 15);
    frame.render_widget(Clear, dialog);
    let title = match &form.editing {
        Some(team) => format!(" Edit team {} ", crate::store::audit::printable(&team.name)),
        None => " New team ".to_string(),
    };
    let block = Block::bordered()
        .title(Span::styled(title, theme.title))
        .border_style(theme.accent);
    let inner = block.inner(dialog);
    frame.render_widget(block, dialog);
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .split(inner);
    for (i, field) in FIELDS.iter().enumerate() {
        let row = rows[i];
        let [label_area, value_area] =
            Layout::horizontal([Constraint::Length(22), Constraint::Min(10)]).areas(row);
        let focused = *field == form.focus;
        let label_style = if focused { theme.accent } else { theme.text };
        let marker = if focused { "› " } else { "  " };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::styled(marker, theme.accent),
                Span::styled(field.label(), label_style),
            ])),
            label_area,
        );
        match field {
            Field::Region => {
                let choice = |r: Region| {
                    let style = if form.region == r {
                        theme.selected
                    } else {
                        theme.muted
                    };
                    Span::styled(format!(" {} ", r.as_str()), style)
                };
                frame.render_widget(
                    Paragraph::new(Line::from(vec![
                        choice(Region::Us),
                        Span::raw(" "),
                        choice(Region::Eu),
                    ])),
                    value_area,
                );
            }
            _ => {
                let t = match field {
                    Field::Name => &form.name,
                    Field::CustomerId => &form.customer_id,
                    Field::ApiBase => &form.api_base,
                    _ => &form.token_url,
                };
                let mut shown = t.clone();
                shown.set_style(theme.text);
                if focused {
                    shown.set_cursor_style(theme.selected);
                } else {
                    shown.set_cursor_style(theme.text);
                }
                frame.render_widget(&shown, value_area);
            }
        }
    }
    let message = match &form.error {
        Some(e) => Line::from(Span::styled(e.clone(), theme.error)),
        None if form.editing.is_some() => Line::from(Span::styled(
            "Tab next field · Space/u/e region · Enter save · Esc cancel · an empty URL is the region's default",
            theme.muted,
        )),
        None => Line::from(Span::styled(
            "Tab next field · Space/u/e region · Enter create · Esc cancel",
            theme.muted,
        )),
    };
    frame.render_widget(
        Paragraph::new(message).wrap(ratatui::widgets::Wrap { trim: true }),
        rows[6],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn typed(form: &mut NewTeamForm, s: &str) {
        for c in s.chars() {
            form.input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut form = NewTeamForm::new();
        assert!(form.validate().unwrap_err().starts_with("Team name"));
        typed(&mut form, "Acme");
        form.focus_next();
        typed(&mut form, "12a");
        assert_eq!(
            form.validate().unwrap_err(),
            "Customer ID: \"12a\" is not a number"
        );
        form.customer_id = single_line();
        typed(&mut form, "1234");
        form.focus_next();
        typed(&mut form, "e");
        form.focus_next();
        typed(&mut form, "ftp://x");
        assert!(form.validate().unwrap_err().contains("API base"));
        form.api_base = single_line();
        let team = form.validate().unwrap();
        assert_eq!(
            (team.name.as_str(), team.customer_id, team.region),
            ("Acme", 1234, Some(Region::Eu))
        );
    }

    #[test]
    fn edit_is_prefilled_and_validated_like_a_new_team() {
        let team = Team {
            id: 3,
            name: "Acme".into(),
            customer_id: 1234,
            region: Region::Us,
            api_base_override: Some("http://127.0.0.1:9/".into()),
            token_url_override: None,
            datastream_base_override: None,
            created_at: String::new(),
        };
        let mut form = NewTeamForm::edit(&team);
        let edit = form.validate_edit().unwrap();
        assert_eq!(edit.name, None, "same name: no rename");
        assert_eq!(edit.customer_id, Some(1234));
        assert_eq!(edit.api_base, Some(Some("http://127.0.0.1:9/".into())));
        assert_eq!(edit.token_url, Some(None));
        assert_eq!(edit.datastream_base, None, "not on the form: unchanged");
        form.focus = Field::Region;
        form.toggle_region();
        form.focus = Field::ApiBase;
        form.api_base = single_line();
        typed(&mut form, "ftp://x");
        assert!(form.validate_edit().unwrap_err().contains("API base"));
        form.api_base = single_line();
        assert_eq!(form.validate_edit().unwrap().region, Some(Region::Eu));
        form.focus = Field::Name;
        typed(&mut form, " Corp");
        assert_eq!(
            form.validate_edit().unwrap().name.as_deref(),
            Some("Acme Corp")
        );
    }
}
