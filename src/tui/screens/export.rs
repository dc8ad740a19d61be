//! Step 3 (historical export) on the team screen: the SFTP source with the password
//! masked, the pinned host key or the fingerprint to confirm, fetched files, the latest
//! fetch/import job with its progress, the per-file summary, and the quarantine browser.
//! State lives in [`ExportPanel`]; keys map to [`PanelCommand`]s the app turns into effects.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;

use crate::export::view::{ExportView, JobProgressView};
use crate::sftp::format_bytes;
use crate::store::JobState;
use crate::tui::screens::step_screen::Secret;
use crate::tui::theme::Theme;

/// A host key waiting for the engineer's confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyPrompt {
    pub host: String,
    pub port: u16,
    pub key_type: String,
    pub fingerprint: String,
}

/// The connection form (`c`): host, port, username, path and password (masked; left
/// empty it keeps the stored one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectionForm {
    pub fields: [String; 5],
    pub focus: usize,
    pub error: Option<String>,
    /// Whether a password is stored already (an empty password field keeps it).
    pub has_password: bool,
}

const FORM_LABELS: [&str; 5] = ["Host", "Port", "Username", "Path", "Password"];
const PASSWORD: usize = 4;

impl ConnectionForm {
    fn from_view(view: &ExportView) -> ConnectionForm {
        let mut f = ConnectionForm::default();
        if let Some(s) = &view.source {
            f.fields = [
                s.host.clone(),
                s.port.to_string(),
                s.username.clone(),
                s.path.clone(),
                String::new(),
            ];
            f.has_password = s.auth == "password";
        } else {
            f.fields[1] = "22".into();
        }
        f
    }

    /// Applies a key; `Some(command)` when the form is submitted or cancelled.
    pub fn key(&mut self, key: KeyEvent) -> Option<PanelCommand> {
        match key.code {
            KeyCode::Esc => return Some(PanelCommand::CloseForm),
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % 5,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + 4) % 5,
            KeyCode::Backspace => {
                self.fields[self.focus].pop();
            }
            KeyCode::Enter => return Some(self.submit()),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.fields[self.focus].push(c)
            }
            _ => {}
        }
        None
    }

    fn submit(&mut self) -> PanelCommand {
        let [host, port, username, path, password] = &self.fields;
        let port = match port.trim().parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                self.error = Some(format!("Port: {:?} is not a port number", port.trim()));
                self.focus = 1;
                return PanelCommand::None;
            }
        };
        for (i, v) in [(0, host), (2, username)] {
            if v.trim().is_empty() {
                self.error = Some(format!("{} is required", FORM_LABELS[i]));
                self.focus = i;
                return PanelCommand::None;
            }
        }
        if password.is_empty() && !self.has_password {
            self.error = Some("Password is required (none is stored yet)".into());
            self.focus = PASSWORD;
            return PanelCommand::None;
        }
        PanelCommand::SaveConnection(ConnectionInput {
            host: host.trim().to_string(),
            port,
            username: username.trim().to_string(),
            path: path.trim().to_string(),
            password: (!password.is_empty()).then(|| Secret(SecretString::from(password.clone()))),
        })
    }
}

/// What the connection form saves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInput {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub path: String,
    /// `None` keeps the stored password.
    pub password: Option<Secret>,
}

/// What the step 3 panel holds between frames.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportPanel {
    /// The team this view was loaded for.
    pub team: String,
    pub view: ExportView,
    pub prompt: Option<HostKeyPrompt>,
    /// Browsing the quarantine (and the first row shown).
    pub quarantine: Option<usize>,
    /// The connection form, when open.
    pub form: Option<ConnectionForm>,
}

/// What a key on the panel asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelCommand {
    /// Fetch: probe the host key first when nothing is pinned.
    Fetch,
    ProbeHostKey,
    /// Pin this key (type, fingerprint) as confirmed.
    Pin(String, String),
    Import,
    Handoff,
    SaveConnection(ConnectionInput),
    CloseForm,
    None,
}

impl ExportPanel {
    pub fn new(team: &str, view: ExportView) -> ExportPanel {
        ExportPanel {
            team: team.to_string(),
            view,
            prompt: None,
            quarantine: None,
            form: None,
        }
    }

    /// `c`: open the connection form, filled from the stored credential.
    pub fn open_form(&mut self) {
        self.form = Some(ConnectionForm::from_view(&self.view));
    }

    /// Whether a fetch or import is queued or running.
    pub fn busy(&self) -> bool {
        self.view.job.as_ref().is_some_and(|j| j.state.is_open())
    }

    /// `f`: fetch (or confirm the key first).
    pub fn fetch(&mut self) -> PanelCommand {
        if self.view.source.is_none() || self.busy() {
            return PanelCommand::None;
        }
        if self.view.pin.is_none() {
            PanelCommand::ProbeHostKey
        } else {
            PanelCommand::Fetch
        }
    }

    /// `y`: trust the key shown; `n`: do not.
    pub fn answer(&mut self, yes: bool) -> PanelCommand {
        match self.prompt.take() {
            Some(p) if yes => PanelCommand::Pin(p.key_type, p.fingerprint),
            _ => PanelCommand::None,
        }
    }

    /// `i`: import the fetched files.
    pub fn import(&self) -> PanelCommand {
        if self.view.files.is_empty() || self.busy() {
            PanelCommand::None
        } else {
            PanelCommand::Import
        }
    }

    /// `b`: open or close the quarantine browser.
    pub fn toggle_quarantine(&mut self) {
        self.quarantine = match self.quarantine {
            Some(_) => None,
            None if !self.view.quarantine.is_empty() => Some(0),
            None => None,
        };
    }

    /// Scrolls the quarantine browser; `false` if it is closed.
    pub fn scroll(&mut self, down: bool) -> bool {
        let Some(top) = self.quarantine.as_mut() else {
            return false;
        };
        let last = self.view.quarantine.len().saturating_sub(1);
        *top = if down {
            (*top + 1).min(last)
        } else {
            top.saturating_sub(1)
        };
        true
    }
}

fn eta(secs: Option<u64>) -> String {
    match secs {
        Some(s) if s >= 60 => format!("ETA {}m{:02}s", s / 60, s % 60),
        Some(s) => format!("ETA {s}s"),
        None => "ETA –".into(),
    }
}

/// `2026-11-13T17:44:00` → `2026-11-13 17:44`.
fn short_time(t: Option<&str>) -> String {
    match t {
        Some(t) if t.len() >= 16 => t[..16].replace('T', " "),
        Some(t) => t.to_string(),
        None => "-".into(),
    }
}

/// Cuts `s` to `width` characters with an ellipsis.
fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let kept: String = s.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn bar(done: u64, total: u64, width: usize) -> String {
    let filled = if total == 0 {
        width
    } else {
        ((done as f64 / total as f64) * width as f64).round() as usize
    }
    .min(width);
    format!("[{}{}]", "█".repeat(filled), "·".repeat(width - filled))
}

fn render_form(frame: &mut Frame, area: Rect, form: &ConnectionForm, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(
            " 3. Historical export: SFTP connection ",
            theme.title,
        ))
        .border_style(theme.border);
    let mut lines = vec![Line::from("")];
    for (i, label) in FORM_LABELS.iter().enumerate() {
        let value = if i == PASSWORD {
            if form.fields[i].is_empty() && form.has_password {
                "(stored; type to replace)".to_string()
            } else {
                "•".repeat(form.fields[i].chars().count())
            }
        } else {
            form.fields[i].clone()
        };
        let focused = form.focus == i;
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {label:<10}", if focused { "›" } else { " " }),
                if focused { theme.accent } else { theme.muted },
            ),
            Span::styled(
                format!("{value}{}", if focused { "▏" } else { "" }),
                theme.text,
            ),
        ]));
    }
    lines.push(Line::from(""));
    if let Some(e) = &form.error {
        lines.push(Line::from(Span::styled(e.clone(), theme.error)));
    }
    lines.push(Line::from(Span::styled(
        "Tab next field  Enter save  Esc cancel",
        theme.muted,
    )));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Draws the panel into the detail area of the team screen.
pub fn render(frame: &mut Frame, area: Rect, panel: &ExportPanel, theme: &Theme) {
    if let Some(form) = &panel.form {
        render_form(frame, area, form, theme);
        return;
    }
    let block = Block::bordered()
        .title(Span::styled(" 3. Historical export ", theme.title))
        .border_style(theme.border);
    let v = &panel.view;
    let mut lines: Vec<Line> = Vec::new();
    let label = |t: &str| Span::styled(format!("{t:<11}"), theme.muted);

    match &v.source {
        Some(s) => {
            lines.push(Line::from(vec![
                label("Source"),
                Span::styled(
                    format!(
                        "sftp://{}@{}:{}/{}",
                        s.username,
                        s.host,
                        s.port,
                        s.path.trim_start_matches('/')
                    ),
                    theme.text,
                ),
            ]));
            lines.push(Line::from(vec![
                label("Password"),
                Span::styled(
                    if s.auth == "password" {
                        "•••••••• (stored, sealed)".to_string()
                    } else {
                        s.auth.clone()
                    },
                    theme.ok,
                ),
            ]));
        }
        None => {
            lines.push(Line::from(Span::styled(
                "No SFTP connection yet: press c to enter host, username and password.",
                theme.warn,
            )));
        }
    }
    match (&panel.prompt, &v.pin) {
        (Some(p), _) => {
            lines.push(Line::from(vec![
                label("Host key"),
                Span::styled(
                    format!(
                        "{}:{} presents {} {}",
                        p.host, p.port, p.key_type, p.fingerprint
                    ),
                    theme.warn,
                ),
            ]));
            lines.push(Line::from(Span::styled(
                "           Confirm with the customer; y pins it, n rejects",
                theme.accent,
            )));
        }
        (None, Some(pin)) => {
            lines.push(Line::from(vec![
                label("Host key"),
                Span::styled(pin.fingerprint.clone(), theme.text),
            ]));
            lines.push(Line::from(Span::styled(
                format!("           {}, pinned by {}", pin.key_type, pin.pinned_by),
                theme.muted,
            )));
        }
        (None, None) if v.source.is_some() => lines.push(Line::from(vec![
            label("Host key"),
            Span::styled("not pinned yet (f shows it for confirmation)", theme.muted),
        ])),
        _ => {}
    }

    if let Some(job) = &v.job {
        let state_style = match job.state {
            JobState::Failed => theme.error,
            JobState::Done => theme.ok,
            _ => theme.accent,
        };
        let what = if job.kind.ends_with("fetch") {
            "Fetch"
        } else {
            "Import"
        };
        let spans = vec![
            label(what),
            Span::styled(format!("{} ", job.state), state_style),
        ];
        lines.push(Line::from(spans));
        let indent = "           ";
        match &job.progress {
            JobProgressView::Fetch {
                path,
                bytes,
                total,
                rate,
                eta_secs,
            } if job.state.is_open() => {
                lines.push(Line::from(Span::styled(
                    format!("{indent}{}", path.rsplit('/').next().unwrap_or(path)),
                    theme.text,
                )));
                lines.push(Line::from(Span::styled(
                    format!(
                        "{indent}{} {} / {}  {}/s  {}",
                        bar(*bytes, *total, 12),
                        format_bytes(*bytes),
                        format_bytes(*total),
                        format_bytes(*rate as u64),
                        eta(*eta_secs)
                    ),
                    theme.text,
                )));
            }
            JobProgressView::Import {
                unit,
                unit_index,
                units,
                rows,
                bad_rows,
            } if job.state.is_open() => {
                lines.push(Line::from(Span::styled(
                    format!("{indent}{unit} (file {} of {units})", unit_index + 1),
                    theme.text,
                )));
                lines.push(Line::from(Span::styled(
                    format!("{indent}{rows} rows staged, {bad_rows} quarantined"),
                    theme.text,
                )));
            }
            _ => {}
        }

        if let Some(err) = &job.error {
            lines.push(Line::from(Span::styled(
                format!("           {err}"),
                theme.error,
            )));
        }
    }

    lines.push(Line::from(""));
    if let Some(top) = panel.quarantine {
        lines.push(Line::from(Span::styled(
            format!(
                "Quarantine ({} rows; ↑↓ scroll, b close)",
                v.quarantine_total
            ),
            theme.title,
        )));
        let room = (area.height as usize).saturating_sub(lines.len() + 3);
        let inner = area.width.saturating_sub(2) as usize;
        for q in v.quarantine.iter().skip(top).take(room) {
            let place = format!("{}:{}  ", fit(&q.file, 28), q.line);
            let rest = inner.saturating_sub(place.chars().count());
            lines.push(Line::from(vec![
                Span::styled(place, theme.muted),
                Span::styled(fit(&q.reason, rest), theme.warn),
            ]));
        }
    } else {
        lines.push(Line::from(Span::styled(
            format!("Files ({} fetched)", v.files.len()),
            theme.title,
        )));
        let inner = area.width.saturating_sub(2) as usize;
        let file_width = inner.saturating_sub(35).max(8);
        // Imported table: name, object (9), rows (8), bad (5), cut-off (16, or 10 narrow).
        let cut_width = if inner >= 70 { 16 } else { 10 };
        let name_width = inner.saturating_sub(29 + cut_width).max(6);
        for f in &v.files {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {:<file_width$}", fit(&f.name, file_width)),
                    theme.text,
                ),
                Span::styled(
                    format!(
                        " {:>10}  sha256 {}…",
                        format_bytes(f.size),
                        &f.sha256[..f.sha256.len().min(12)]
                    ),
                    theme.muted,
                ),
            ]));
        }
        if !v.units.is_empty() {
            lines.push(Line::from(Span::styled(
                format!(
                    "  {:<name_width$} {:<9} {:>8} {:>5}  cut-off",
                    "Imported", "object", "rows", "bad"
                ),
                theme.title,
            )));
            for u in &v.units {
                let style = if u.state == "failed" {
                    theme.error
                } else {
                    theme.text
                };
                lines.push(Line::from(Span::styled(
                    format!(
                        "  {:<name_width$} {:<9} {:>8} {:>5}  {}",
                        fit(&u.name, name_width),
                        u.object,
                        u.rows,
                        u.bad_rows,
                        short_time(u.cutoff.as_deref())
                            .chars()
                            .take(cut_width)
                            .collect::<String>()
                    ),
                    style,
                )));
                if let Some(e) = &u.error {
                    lines.push(Line::from(Span::styled(format!("    {e}"), theme.error)));
                }
            }
        }
        if let Some(o) = &v.outcome {
            lines.push(Line::from(vec![
                label("Total"),
                Span::styled(
                    format!(
                        "{} rows, {} quarantined, {} statuses",
                        o.rows, o.bad_rows, o.statuses
                    ),
                    theme.ok,
                ),
            ]));
            lines.push(Line::from(vec![
                label("Cut-off"),
                Span::styled(short_time(o.cutoff.as_deref()), theme.ok),
                Span::styled("  latest \"updated\" value", theme.muted),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        "c connection  f fetch  i import  b quarantine  h handoff",
        theme.muted,
    )));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::view::SourceView;

    fn panel() -> ExportPanel {
        ExportPanel::new(
            "Acme",
            ExportView {
                source: Some(SourceView {
                    host: "h".into(),
                    port: 22,
                    username: "u".into(),
                    path: "/x".into(),
                    auth: "password".into(),
                }),
                ..Default::default()
            },
        )
    }

    #[test]
    fn fetch_asks_for_the_key_first_and_pins_only_on_yes() {
        let mut p = panel();
        assert_eq!(p.fetch(), PanelCommand::ProbeHostKey);
        p.prompt = Some(HostKeyPrompt {
            host: "h".into(),
            port: 22,
            key_type: "ssh-ed25519".into(),
            fingerprint: "SHA256:x".into(),
        });
        assert_eq!(p.answer(false), PanelCommand::None);
        assert!(p.prompt.is_none());
        assert_eq!(p.import(), PanelCommand::None, "nothing fetched yet");
    }
}
