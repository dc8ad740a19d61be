//! The team screen: the six steps in a sidebar and the selected step's state, gates and
//! inputs (secrets only as "stored"); Enter opens the step's page.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::onboarding::{Step, StepStatus};
use crate::store::CredentialKind;
use crate::tui::model::{TeamRow, shell_quote};
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;
use crate::tui::widgets::{state_badge, step_list};

pub fn render(frame: &mut Frame, area: Rect, row: &TeamRow, selected: usize, theme: &Theme) {
    let sidebar_width = if area.width >= 110 { 44 } else { 32 };
    let [sidebar, detail] =
        Layout::horizontal([Constraint::Length(sidebar_width), Constraint::Min(30)]).areas(area);
    step_list::render(frame, sidebar, &row.steps, selected, theme);
    if let Some(status) = row.steps.get(selected) {
        render_detail(frame, detail, row, status, theme);
    }
}

fn render_detail(frame: &mut Frame, area: Rect, row: &TeamRow, status: &StepStatus, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(
            format!(" {}. {} ", status.step.number(), status.step.title()),
            theme.title,
        ))
        .border_style(theme.border);
    let width = block.inner(area).width as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled("State   ", theme.muted),
        state_badge::glyph(status, theme),
        Span::raw(" "),
        state_badge::label(status, theme),
    ])];
    for (i, part) in wrap_hanging(&status.detail, width, 8, 8)
        .into_iter()
        .enumerate()
    {
        let label = if i == 0 { "Detail  " } else { "" };
        lines.push(Line::from(vec![
            Span::styled(label, theme.muted),
            Span::styled(part, theme.text),
        ]));
    }
    if let Some(reason) = status.lock_reason() {
        for part in wrap_hanging(&reason, width, 0, 2) {
            lines.push(Line::from(Span::styled(part, theme.warn)));
        }
    }
    lines.push(Line::from(""));
    for part in wrap_hanging(status.step.purpose(), width, 0, 0) {
        lines.push(Line::from(Span::styled(part, theme.text)));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled("Inputs", theme.title)));
    let label_width = 23;
    for (label, value) in inputs(status.step, row) {
        let (text, style) = value.styled(theme);
        // A single word (a URL) that does not fit beside its label goes on its own line
        // rather than being broken (never mid-port).
        let room = width.saturating_sub(label_width + 2);
        if !text.contains(' ') && text.chars().count() > room {
            lines.push(Line::from(Span::styled(format!("  {label}"), theme.muted)));
            let fits = width.saturating_sub(4);
            let shown = if text.chars().count() > fits {
                let kept: String = text.chars().take(fits.saturating_sub(1)).collect();
                format!("{kept}…")
            } else {
                text
            };
            lines.push(Line::from(Span::styled(format!("    {shown}"), style)));
            continue;
        }
        for (i, part) in wrap_hanging(&text, width, label_width + 2, label_width + 2)
            .into_iter()
            .enumerate()
        {
            let head = if i == 0 {
                format!("  {label:<label_width$}")
            } else {
                String::new()
            };
            lines.push(Line::from(vec![
                Span::styled(head, theme.muted),
                Span::styled(part, style),
            ]));
        }
    }
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled("Enter", theme.accent),
        Span::styled(
            format!(" opens the {} page", status.step.title().to_lowercase()),
            theme.muted,
        ),
    ]));
    if let Some(hint) = cli_hint(status.step, &row.team.name) {
        for part in wrap_hanging(&hint, width, 0, 2) {
            lines.push(Line::from(Span::styled(part, theme.muted)));
        }
    }
    let [body] = Layout::vertical([Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(lines).block(block), body);
}

/// A shown input value; secrets are only ever "stored" or "not set".
enum Value {
    Text(String),
    Missing(&'static str),
    SecretStored,
}

impl Value {
    fn styled(self, theme: &Theme) -> (String, Style) {
        match self {
            Value::Text(t) => (t, theme.text),
            Value::Missing(t) => (t.to_string(), theme.muted),
            Value::SecretStored => ("•••••••• (stored, sealed)".to_string(), theme.ok),
        }
    }
}

fn param(
    row: &TeamRow,
    kind: CredentialKind,
    pick: fn(&crate::store::CredentialParams) -> Option<String>,
) -> Value {
    match row.credential(kind).and_then(|c| pick(&c.params)) {
        Some(v) => Value::Text(v),
        None => Value::Missing("not set"),
    }
}

fn secret(row: &TeamRow, kind: CredentialKind) -> Value {
    if row.credential(kind).is_some() {
        Value::SecretStored
    } else {
        Value::Missing("not set")
    }
}

fn inputs(step: Step, row: &TeamRow) -> Vec<(&'static str, Value)> {
    let team = &row.team;
    match step {
        Step::BasicSync => vec![
            ("Customer ID", Value::Text(team.customer_id.to_string())),
            ("Region", Value::Text(team.region.as_str().to_string())),
            ("API base", Value::Text(team.api_base())),
            (
                "API username",
                param(row, CredentialKind::Basic, |p| p.username.clone()),
            ),
            ("Password", secret(row, CredentialKind::Basic)),
            (
                "Sync enabled",
                Value::Text(if row.sync_enabled { "yes" } else { "no" }.into()),
            ),
        ],
        Step::DeepSyncCredentials => vec![
            ("Token URL", Value::Text(team.token_url())),
            (
                "REST client id",
                param(row, CredentialKind::Rest, |p| p.client_id.clone()),
            ),
            ("REST client secret", secret(row, CredentialKind::Rest)),
            ("Data Stream base", Value::Text(team.datastream_base())),
            (
                "Data Stream client id",
                param(row, CredentialKind::Datastream, |p| p.client_id.clone()),
            ),
            (
                "Data Stream secret",
                secret(row, CredentialKind::Datastream),
            ),
        ],
        Step::HistoricalExport => vec![
            (
                "SFTP host",
                param(row, CredentialKind::Sftp, |p| {
                    p.host
                        .as_ref()
                        .map(|h| format!("{h}:{}", p.port.unwrap_or(22)))
                }),
            ),
            (
                "SFTP username",
                param(row, CredentialKind::Sftp, |p| p.username.clone()),
            ),
            ("SFTP password", secret(row, CredentialKind::Sftp)),
            ("Path", param(row, CredentialKind::Sftp, |p| p.path.clone())),
        ],
        Step::FieldMapping => vec![(
            "Customer fields",
            Value::Missing("from the export headers and the Schema API"),
        )],
        Step::DeepSync => vec![(
            "Daily API quota",
            Value::Text("10,000 calls (iCIMS default)".into()),
        )],
        Step::StageMapping => vec![(
            "Statuses",
            Value::Missing("from the export and synced workflows"),
        )],
    }
}

fn cli_hint(step: Step, team: &str) -> Option<String> {
    let quoted = shell_quote(team);
    match step {
        Step::BasicSync => Some(format!(
            "or headless: icims-onboard creds set {quoted} --kind basic --username U --password-stdin"
        )),
        Step::DeepSyncCredentials => Some(format!(
            "or headless: icims-onboard creds set {quoted} --kind rest --client-id ID --secret-stdin (and --kind datastream)"
        )),
        Step::HistoricalExport => Some(format!(
            "or headless: icims-onboard creds set {quoted} --kind sftp --host H --username U --password-stdin"
        )),
        _ => None,
    }
}
