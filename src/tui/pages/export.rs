//! Step 3 page, historical export (its panel is the layout): the SFTP source with the
//! password masked, the pinned host key or the fingerprint to confirm, fetched files, the
//! latest fetch/import job with a gauge, the per-file summary, and the quarantine browser.
//! State lives in [`ExportPage`]; keys become [`ExportWork`] for `drivers/export.rs`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::SecretString;

use crate::export::view::{ExportView, JobProgressView};
use crate::onboarding::Step;
use crate::sftp::format_bytes;
use crate::store::JobState;
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::TeamRow;
use crate::tui::pages::contract::{Page, PageOut};
use crate::tui::pages::forms::Secret;
use crate::tui::theme::Theme;
use crate::tui::widgets::{details, gauge};

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
    /// Something was typed since the form opened.
    pub dirty: bool,
    /// Esc was pressed with typed input: asking before discarding it.
    pub confirm_discard: bool,
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

    /// Applies a key (as its action in the form's context); `Some(command)` when the form
    /// is submitted or closed. Esc with typed input asks first.
    pub fn key(&mut self, action: Option<Action>, key: KeyEvent) -> Option<PanelCommand> {
        if self.confirm_discard {
            match action {
                Some(Action::Yes) => return Some(PanelCommand::CloseForm),
                Some(Action::No | Action::Back) => self.confirm_discard = false,
                _ => {}
            }
            return None;
        }
        match action {
            Some(Action::Back) if self.dirty => self.confirm_discard = true,
            Some(Action::Back) => return Some(PanelCommand::CloseForm),
            Some(Action::NextField) => self.focus = (self.focus + 1) % 5,
            Some(Action::PrevField) => self.focus = (self.focus + 4) % 5,
            Some(Action::Submit) => return Some(self.submit()),
            _ => match key.code {
                KeyCode::Backspace => {
                    self.fields[self.focus].pop();
                    self.dirty = true;
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.fields[self.focus].push(c);
                    self.dirty = true;
                }
                _ => {}
            },
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

/// Work the step 3 page asks `drivers/export.rs` for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExportWork {
    /// Read the export view of the team.
    Load { team: String },
    /// Connect far enough to see the host key (nothing is sent).
    ProbeHostKey { team: String },
    /// Pin the confirmed fingerprint, then queue the fetch.
    PinHostKey {
        team: String,
        key_type: String,
        fingerprint: String,
    },
    /// Queue `export.fetch` / `export.import` and make sure a worker runs it.
    Queue { team: String, kind: &'static str },
    /// Write the handoff ticket to a file and offer it on the clipboard (OSC 52).
    Handoff { team: String },
    /// Store the SFTP connection entered in the form.
    SaveSftp {
        team: String,
        input: ConnectionInput,
    },
}

/// Replies for the step 3 page.
#[derive(Debug)]
pub enum ExportReply {
    /// The view, and when it was read (for rates between two reads).
    Loaded(Box<ExportView>, Instant),
    /// The host key the team's SFTP server presents, to confirm.
    HostKey(Result<HostKeyPrompt, String>),
    /// An action finished (job queued, key pinned, ticket written, connection saved).
    Done(Result<String, String>),
}

/// What the step 3 page holds between frames.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportPage {
    /// The team this page is open on.
    pub team: String,
    pub view: ExportView,
    /// Whether the view was read from the store at least once.
    pub loaded: bool,
    pub prompt: Option<HostKeyPrompt>,
    /// Browsing the quarantine: the selected row.
    pub quarantine: Option<usize>,
    /// The connection form, when open.
    pub form: Option<ConnectionForm>,
    /// A message shown in full over the panel (Enter on a quarantine row or job error).
    pub details: Option<String>,
    /// Rows of the quarantine list that fit (set from the terminal height).
    pub page_rows: usize,
    /// The running import as last read: progress, rate and ETA between two reads.
    pub import_rate: Option<ImportRate>,
}

/// Rate of a running import, measured between reads of its job row.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRate {
    pub job: i64,
    /// Overall progress 0..=1 (files done plus the share of the current one).
    pub fraction: f64,
    pub rows: u64,
    pub at: Instant,
    /// Rows per second and progress per second (smoothed); `None` until two reads.
    pub rows_per_sec: Option<f64>,
    pub fraction_per_sec: Option<f64>,
}

impl ImportRate {
    /// Seconds left at the current pace.
    pub fn eta_secs(&self) -> Option<u64> {
        let per_sec = self.fraction_per_sec.filter(|r| *r > 0.0)?;
        Some(((1.0 - self.fraction).max(0.0) / per_sec).round() as u64)
    }
}

/// Overall progress of an import: whole files done plus the read share of the current.
fn import_fraction(view: &ExportView) -> Option<(i64, f64, u64)> {
    let job = view.job.as_ref().filter(|j| j.state.is_open())?;
    let JobProgressView::Import {
        unit,
        unit_index,
        units,
        rows,
        bytes,
        ..
    } = &job.progress
    else {
        return None;
    };
    let size = view
        .files
        .iter()
        .find(|f| f.name == *unit)
        .map(|f| f.size)
        .filter(|s| *s > 0);
    let within = size
        .map(|s| (*bytes as f64 / s as f64).min(1.0))
        .unwrap_or(0.0);
    let units = (*units).max(1) as f64;
    Some((job.id, ((*unit_index as f64) + within) / units, *rows))
}

/// The next rate sample: smoothed over reads of the same job at least 200 ms apart.
fn next_rate(previous: Option<&ImportRate>, view: &ExportView, at: Instant) -> Option<ImportRate> {
    let (job, fraction, rows) = import_fraction(view)?;
    let mut next = ImportRate {
        job,
        fraction,
        rows,
        at,
        rows_per_sec: None,
        fraction_per_sec: None,
    };
    if let Some(p) = previous.filter(|p| p.job == job) {
        let dt = at.saturating_duration_since(p.at).as_secs_f64();
        if dt < 0.2 {
            return Some(p.clone());
        }
        let smooth = |old: Option<f64>, new: f64| match old {
            Some(o) => 0.5 * o + 0.5 * new,
            None => new,
        };
        next.rows_per_sec = Some(smooth(
            p.rows_per_sec,
            rows.saturating_sub(p.rows) as f64 / dt,
        ));
        next.fraction_per_sec = Some(smooth(
            p.fraction_per_sec,
            (fraction - p.fraction).max(0.0) / dt,
        ));
    }
    Some(next)
}

/// What a key on the page asks for.
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

impl ExportPage {
    pub fn new(team: &str, view: ExportView) -> ExportPage {
        ExportPage {
            team: team.to_string(),
            view,
            loaded: true,
            prompt: None,
            quarantine: None,
            form: None,
            details: None,
            page_rows: 10,
            import_rate: None,
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

    fn busy_reason(&self) -> Option<String> {
        let job = self.view.job.as_ref().filter(|j| j.state.is_open())?;
        Some(format!(
            "{} job {} is {}; wait for it to finish",
            job.kind, job.id, job.state
        ))
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

    /// Moves the quarantine selection; `false` if the browser is closed.
    pub fn scroll(&mut self, action: Action) -> bool {
        let Some(sel) = self.quarantine.as_mut() else {
            return false;
        };
        let last = self.view.quarantine.len().saturating_sub(1);
        let page = self.page_rows.max(1);
        *sel = match action {
            Action::Down => (*sel + 1).min(last),
            Action::Up => sel.saturating_sub(1),
            Action::PageDown => (*sel + page).min(last),
            Action::PageUp => sel.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => *sel,
        };
        true
    }

    /// The full text behind Enter: the selected quarantine row, else the job's error.
    fn details_text(&self) -> Option<String> {
        if let Some(sel) = self.quarantine {
            let q = self.view.quarantine.get(sel)?;
            return Some(format!("{} line {}\n\n{}", q.file, q.line, q.reason));
        }
        let job = self.view.job.as_ref()?;
        job.error
            .as_ref()
            .map(|e| format!("{} job {} {}\n\n{e}", job.kind, job.id, job.state))
    }

    fn command_work(&self, command: PanelCommand) -> Vec<PageOut<ExportWork>> {
        let team = self.team.clone();
        let work = match command {
            PanelCommand::Fetch => ExportWork::Queue {
                team,
                kind: crate::export::FETCH_JOB,
            },
            PanelCommand::Import => ExportWork::Queue {
                team,
                kind: crate::export::IMPORT_JOB,
            },
            PanelCommand::ProbeHostKey => ExportWork::ProbeHostKey { team },
            PanelCommand::Pin(key_type, fingerprint) => ExportWork::PinHostKey {
                team,
                key_type,
                fingerprint,
            },
            PanelCommand::Handoff => ExportWork::Handoff { team },
            PanelCommand::SaveConnection(input) => ExportWork::SaveSftp { team, input },
            PanelCommand::CloseForm | PanelCommand::None => return Vec::new(),
        };
        vec![PageOut::Work(work)]
    }
}

impl Page for ExportPage {
    type Work = ExportWork;
    type Reply = ExportReply;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<ExportWork>>) {
        let mut page = ExportPage::new(&row.team.name, ExportView::default());
        page.loaded = false;
        let team = row.team.name.clone();
        (page, vec![PageOut::Work(ExportWork::Load { team })])
    }

    fn step(&self) -> Step {
        Step::HistoricalExport
    }

    fn context(&self) -> Context {
        match &self.form {
            Some(f) if f.confirm_discard => Context::Confirm,
            Some(_) => Context::ExportForm,
            None => Context::Export,
        }
    }

    fn availability(&self, action: Action) -> Availability {
        use Availability::{Disabled, Enabled, Hidden};
        if self.form.is_some() {
            return Enabled;
        }
        let browsing = self.quarantine.is_some();
        match action {
            Action::Fetch | Action::Import | Action::Handoff | Action::Connection
                if !self.loaded =>
            {
                Disabled("still reading the export state from the database".into())
            }
            Action::Fetch if self.view.source.is_none() => {
                Disabled("no SFTP connection yet: press c to enter it".into())
            }
            Action::Fetch | Action::Import if self.busy() => {
                Disabled(self.busy_reason().unwrap_or_default())
            }
            Action::Import if self.view.files.is_empty() => {
                Disabled("nothing fetched yet: press f to fetch the export first".into())
            }
            Action::Handoff if self.view.files.is_empty() => Disabled(
                "no files fetched yet: the ticket lists the fetched files (press f)".into(),
            ),
            Action::Yes | Action::No if self.prompt.is_none() => Hidden,
            Action::Quarantine if self.view.quarantine.is_empty() => {
                Disabled("no quarantined rows".into())
            }
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom
                if !browsing =>
            {
                Hidden
            }
            Action::Details if !browsing && self.details_text().is_none() => Hidden,
            _ => Enabled,
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<ExportWork>> {
        if self.details.is_some() {
            // Any key closes the full-text view.
            self.details = None;
            return Vec::new();
        }
        if let Some(form) = self.form.as_mut() {
            return match form.key(action, key) {
                Some(PanelCommand::CloseForm) => {
                    self.form = None;
                    Vec::new()
                }
                Some(command) => self.command_work(command),
                None => Vec::new(),
            };
        }
        let command = match action {
            Some(Action::Back) => {
                // One level at a time: the host-key question, the quarantine, the page.
                if self.prompt.take().is_some() {
                    return vec![PageOut::Status(crate::tui::model::Status::Info(
                        "host key not pinned".into(),
                    ))];
                }
                if self.quarantine.take().is_some() {
                    return Vec::new();
                }
                return vec![PageOut::Close];
            }
            Some(Action::Refresh) => {
                return vec![PageOut::Work(ExportWork::Load {
                    team: self.team.clone(),
                })];
            }
            Some(Action::Connection) => {
                self.open_form();
                PanelCommand::None
            }
            Some(Action::Fetch) => self.fetch(),
            Some(Action::Yes) => self.answer(true),
            Some(Action::No) => self.answer(false),
            Some(Action::Import) => self.import(),
            Some(Action::Handoff) => PanelCommand::Handoff,
            Some(Action::Quarantine) => {
                self.toggle_quarantine();
                PanelCommand::None
            }
            Some(Action::Details) => {
                self.details = self.details_text();
                PanelCommand::None
            }
            Some(
                a @ (Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom),
            ) => {
                self.scroll(a);
                PanelCommand::None
            }
            _ => PanelCommand::None,
        };
        self.command_work(command)
    }

    fn on_reply(&mut self, reply: ExportReply) -> Vec<PageOut<ExportWork>> {
        use crate::tui::model::Status;
        match reply {
            ExportReply::Loaded(view, at) => {
                if self.loaded && self.view == *view {
                    return vec![PageOut::Unchanged];
                }
                self.import_rate = next_rate(self.import_rate.as_ref(), &view, at);
                self.loaded = true;
                let finished = self
                    .view
                    .job
                    .as_ref()
                    .filter(|j| j.state.is_open())
                    .and_then(|before| {
                        view.job
                            .as_ref()
                            .filter(|after| after.id == before.id && !after.state.is_open())
                    });
                // The status line follows the work it reported: a job that just ended
                // says how it ended.
                let mut out = Vec::new();
                if let Some(job) = finished {
                    out.push(PageOut::Status(match &job.error {
                        Some(e) => {
                            Status::Error(format!("{} job {} failed: {e}", job.kind, job.id))
                        }
                        None => Status::Info(format!("{} job {} {}", job.kind, job.id, job.state)),
                    }));
                    out.push(PageOut::Reload);
                }
                self.view = *view;
                if let Some(sel) = self.quarantine.as_mut() {
                    *sel = (*sel).min(self.view.quarantine.len().saturating_sub(1));
                }
                out
            }
            ExportReply::HostKey(Ok(prompt)) => {
                self.prompt = Some(prompt);
                Vec::new()
            }
            ExportReply::HostKey(Err(reason)) => vec![PageOut::Status(Status::Error(reason))],
            ExportReply::Done(result) => {
                if result.is_ok() {
                    self.form = None;
                }
                vec![
                    PageOut::Status(match result {
                        Ok(text) => Status::Info(text),
                        Err(reason) => Status::Error(reason),
                    }),
                    PageOut::Reload,
                    PageOut::Work(ExportWork::Load {
                        team: self.team.clone(),
                    }),
                ]
            }
        }
    }

    fn refresh(&mut self, _row: &TeamRow) -> Vec<PageOut<ExportWork>> {
        vec![PageOut::Work(ExportWork::Load {
            team: self.team.clone(),
        })]
    }

    fn poll(&self) -> Option<ExportWork> {
        self.busy().then(|| ExportWork::Load {
            team: self.team.clone(),
        })
    }

    fn resize(&mut self, size: (u16, u16)) {
        self.page_rows = (size.1 as usize).saturating_sub(14).max(1);
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        render(frame, area, self, theme);
        if let Some(text) = &self.details {
            details::render(frame, area, text, theme);
        }
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
    if form.confirm_discard {
        lines.push(Line::from(Span::styled(
            "Discard what you typed? y discards, n keeps editing",
            theme.warn,
        )));
    } else {
        lines.push(Line::from(Span::styled(
            "An empty password keeps the stored one.",
            theme.muted,
        )));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Draws the page's panel.
pub fn render(frame: &mut Frame, area: Rect, panel: &ExportPage, theme: &Theme) {
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
                let fraction = if *total == 0 {
                    0.0
                } else {
                    *bytes as f64 / *total as f64
                };
                lines.push(Line::from(Span::styled(
                    format!(
                        "{indent}{} {} / {}  {}/s  {}",
                        gauge::bar(fraction, 12),
                        format_bytes(*bytes),
                        format_bytes(*total),
                        format_bytes(*rate as u64),
                        gauge::eta(*eta_secs)
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
                ..
            } if job.state.is_open() => {
                lines.push(Line::from(Span::styled(
                    format!("{indent}{unit} (file {} of {units})", unit_index + 1),
                    theme.text,
                )));
                let rate = panel.import_rate.as_ref().filter(|r| r.job == job.id);
                let fraction = rate
                    .map(|r| r.fraction)
                    .or_else(|| import_fraction(v).map(|(_, f, _)| f))
                    .unwrap_or(0.0);
                let per_sec = rate
                    .and_then(|r| r.rows_per_sec)
                    .map(|r| format!("{:.0} rows/s", r))
                    .unwrap_or_else(|| "– rows/s".into());
                lines.push(Line::from(Span::styled(
                    format!(
                        "{indent}{} {rows} rows, {bad_rows} quarantined  {per_sec}  {}",
                        gauge::bar(fraction, 12),
                        gauge::eta(rate.and_then(ImportRate::eta_secs))
                    ),
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
    if let Some(sel) = panel.quarantine {
        lines.push(Line::from(vec![
            Span::styled(
                format!("Quarantine {}/{}", sel + 1, v.quarantine_total),
                theme.title,
            ),
            Span::styled("  Enter shows a reason in full, b closes", theme.muted),
        ]));
        let room = (area.height as usize)
            .saturating_sub(lines.len() + 2)
            .max(1);
        let inner = area.width.saturating_sub(2) as usize;
        let top = if sel < room { 0 } else { sel + 1 - room };
        for (i, q) in v.quarantine.iter().enumerate().skip(top).take(room) {
            let mark = if i == sel { "› " } else { "  " };
            let place = format!("{mark}{}:{}  ", fit(&q.file, (inner / 3).max(20)), q.line);
            let rest = inner.saturating_sub(place.chars().count());
            let style = if i == sel { theme.selected } else { theme.warn };
            lines.push(Line::from(vec![
                Span::styled(place, theme.muted),
                Span::styled(fit(&q.reason, rest), style),
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

    fn panel() -> ExportPage {
        ExportPage::new(
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
