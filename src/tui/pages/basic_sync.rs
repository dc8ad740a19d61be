//! Step 1, basic sync: customer id, region, API username and password (masked), *Save*,
//! *Test* (in the background, with progress and the results table) and *Sync enabled*;
//! then the two things basic sync is for, tried live: the dedupe preview and the
//! source-person check. State and update are pure; the driver (`drivers/checks.rs`) runs
//! the work. Test tries typed credentials before they replace the stored ones.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui_textarea::TextArea;
use secrecy::SecretString;

use crate::icims::checks::dedupe::{Candidate, DedupeResult, DedupeVerdict};
use crate::icims::checks::source_person::{SourcePersonRow, SourcePersonVerdict};
use crate::onboarding::Step;
use crate::store::{CredentialKind, Region};
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::{TeamRow, TestRun};
use crate::tui::pages::checks::{FormGuard, StepEffect, StepMsg, TypedBasic, guard_keys};
use crate::tui::pages::contract::{Page, PageOut, work};
use crate::tui::pages::forms::{
    Secret, is_text_key, line_with, masked_line, raw_text, single_line, text_of,
};
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;
use crate::tui::widgets::{check_table, form_row};

/// The screen's three sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Connection,
    Dedupe,
    SourcePerson,
}

const SECTIONS: [Section; 3] = [Section::Connection, Section::Dedupe, Section::SourcePerson];

impl Section {
    fn title(self) -> &'static str {
        match self {
            Section::Connection => "Connection",
            Section::Dedupe => "Dedupe preview",
            Section::SourcePerson => "Source person",
        }
    }

    fn items(self) -> &'static [Item] {
        match self {
            Section::Connection => &[
                Item::CustomerId,
                Item::Region,
                Item::Username,
                Item::Password,
                Item::Save,
                Item::Test,
                Item::SyncEnabled,
            ],
            Section::Dedupe => &[
                Item::DedupeEmail,
                Item::DedupeLinkedin,
                Item::DedupeName,
                Item::DedupeCsv,
                Item::Preview,
            ],
            Section::SourcePerson => &[Item::SourceEmails, Item::SourceFile, Item::CheckSources],
        }
    }
}

/// Everything that can have focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    CustomerId,
    Region,
    Username,
    Password,
    Save,
    Test,
    SyncEnabled,
    DedupeEmail,
    DedupeLinkedin,
    DedupeName,
    DedupeCsv,
    Preview,
    SourceEmails,
    SourceFile,
    CheckSources,
}

impl Item {
    fn is_text(self) -> bool {
        !matches!(
            self,
            Item::Region
                | Item::Save
                | Item::Test
                | Item::SyncEnabled
                | Item::Preview
                | Item::CheckSources
        )
    }
}

/// A dedupe or source-person lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    Idle,
    Running,
    Done {
        results: Vec<T>,
        problems: Vec<String>,
    },
    Failed(String),
}

/// The step 1 page's state. `Debug` leaves the typed fields out (the password).
pub struct BasicSyncPage {
    pub team: String,
    pub section: Section,
    pub focus: Item,
    pub customer_id: TextArea<'static>,
    pub region: Region,
    pub username: TextArea<'static>,
    pub password: TextArea<'static>,
    /// A Basic password is stored (the field stays empty unless replaced).
    pub password_stored: bool,
    pub sync_enabled: bool,
    /// Connection fields changed since loading or saving.
    pub edited: bool,
    pub test: TestRun,
    pub dedupe_email: TextArea<'static>,
    pub dedupe_linkedin: TextArea<'static>,
    pub dedupe_name: TextArea<'static>,
    pub dedupe_csv: TextArea<'static>,
    pub dedupe: Lookup<DedupeResult>,
    pub source_emails: TextArea<'static>,
    pub source_file: TextArea<'static>,
    pub source: Lookup<SourcePersonRow>,
    /// The last save/record outcome or validation problem: (ok, text).
    pub notice: Option<(bool, String)>,
    /// Esc was pressed with unsaved typed credentials: asking before discarding them.
    pub confirm_discard: bool,
    /// The test's rows shown in full (Ctrl-o); any key closes.
    pub details: Option<String>,
    /// When the Basic credential was last stored.
    pub creds_at: Option<String>,
}

impl std::fmt::Debug for BasicSyncPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicSyncPage")
            .field("team", &self.team)
            .field("section", &self.section)
            .field("focus", &self.focus)
            .field("password", &"<redacted>")
            .field("test", &self.test)
            .finish_non_exhaustive()
    }
}

impl BasicSyncPage {
    /// Opens the page on a team; the work loads the last stored run.
    pub fn new(row: &TeamRow) -> (BasicSyncPage, Vec<StepEffect>) {
        let basic = row.credential(CredentialKind::Basic);
        let page = BasicSyncPage {
            team: row.team.name.clone(),
            section: Section::Connection,
            focus: Item::CustomerId,
            customer_id: line_with(&row.team.customer_id.to_string()),
            region: row.team.region,
            username: line_with(
                basic
                    .and_then(|c| c.params.username.as_deref())
                    .unwrap_or(""),
            ),
            password: masked_line(),
            password_stored: basic.is_some(),
            sync_enabled: row.sync_enabled,
            edited: false,
            test: TestRun::Idle,
            dedupe_email: single_line(),
            dedupe_linkedin: single_line(),
            dedupe_name: single_line(),
            dedupe_csv: single_line(),
            dedupe: Lookup::Idle,
            source_emails: single_line(),
            source_file: single_line(),
            source: Lookup::Idle,
            notice: None,
            confirm_discard: false,
            details: None,
            creds_at: basic.map(|c| c.updated_at.clone()),
        };
        let effects = vec![StepEffect::LoadLast {
            team: row.team.name.clone(),
            step: 1,
        }];
        (page, effects)
    }

    pub fn typing(&self) -> bool {
        self.focus.is_text()
    }

    fn field_mut(&mut self, item: Item) -> Option<&mut TextArea<'static>> {
        Some(match item {
            Item::CustomerId => &mut self.customer_id,
            Item::Username => &mut self.username,
            Item::Password => &mut self.password,
            Item::DedupeEmail => &mut self.dedupe_email,
            Item::DedupeLinkedin => &mut self.dedupe_linkedin,
            Item::DedupeName => &mut self.dedupe_name,
            Item::DedupeCsv => &mut self.dedupe_csv,
            Item::SourceEmails => &mut self.source_emails,
            Item::SourceFile => &mut self.source_file,
            _ => return None,
        })
    }

    fn move_focus(&mut self, forward: bool) {
        let items = self.section.items();
        let i = items.iter().position(|i| *i == self.focus).unwrap_or(0);
        let n = items.len();
        self.focus = items[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    fn switch_section(&mut self, forward: bool) {
        let i = SECTIONS
            .iter()
            .position(|s| *s == self.section)
            .unwrap_or(0);
        let n = SECTIONS.len();
        self.section = SECTIONS[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
        self.focus = self.section.items()[0];
    }

    /// Validates the connection fields into a save effect.
    fn save_effect(&self) -> Result<StepEffect, String> {
        let t = self.typed()?;
        Ok(StepEffect::SaveBasic {
            team: self.team.clone(),
            customer_id: t.customer_id,
            region: t.region,
            username: t.username,
            password: t.password,
        })
    }

    /// Whether connection fields were typed and not saved.
    pub fn unsaved(&self) -> bool {
        self.edited || !raw_text(&self.password).is_empty()
    }

    /// Validates the connection fields as typed; a cleared required field is named.
    fn typed(&self) -> Result<TypedBasic, String> {
        let id_text = text_of(&self.customer_id);
        let customer_id: u64 = id_text.parse().map_err(|_| {
            if id_text.is_empty() {
                "Customer ID: required".to_string()
            } else {
                format!("Customer ID: {id_text:?} is not a number")
            }
        })?;
        let username = text_of(&self.username);
        if username.is_empty() {
            return Err("API username: required".into());
        }
        let typed = raw_text(&self.password);
        let password = if typed.is_empty() {
            if !self.password_stored {
                return Err("Password: required".into());
            }
            None
        } else {
            Some(Secret(SecretString::from(typed)))
        };
        Ok(TypedBasic {
            customer_id,
            region: self.region,
            username,
            password,
        })
    }

    fn activate(&mut self) -> Vec<StepEffect> {
        match self.focus {
            Item::Region => {
                self.toggle_region();
                Vec::new()
            }
            Item::Save => match self.save_effect() {
                Ok(e) => vec![e],
                Err(msg) => {
                    self.notice = Some((false, msg));
                    Vec::new()
                }
            },
            Item::Test => self.start_test(),
            Item::SyncEnabled => {
                self.sync_enabled = !self.sync_enabled;
                vec![StepEffect::SetSyncEnabled {
                    team: self.team.clone(),
                    enabled: self.sync_enabled,
                }]
            }
            Item::Preview => self.start_dedupe(),
            Item::CheckSources => self.start_source(),
            _ => {
                self.move_focus(true);
                Vec::new()
            }
        }
    }

    fn toggle_region(&mut self) {
        self.region = match self.region {
            Region::Us => Region::Eu,
            Region::Eu => Region::Us,
        };
        self.edited = true;
    }

    /// Test: typed, unsaved credentials are tried as typed (saved only if they pass).
    fn start_test(&mut self) -> Vec<StepEffect> {
        if self.test.is_running() {
            return Vec::new();
        }
        let typed = if self.unsaved() {
            match self.typed() {
                Ok(t) => Some(t),
                Err(msg) => {
                    self.notice = Some((false, msg));
                    return Vec::new();
                }
            }
        } else {
            None
        };
        self.test = TestRun::running(2);
        self.notice = typed.is_some().then(|| {
            (
                true,
                "testing the typed credentials; they replace the stored ones only if the test passes"
                    .to_string(),
            )
        });
        vec![StepEffect::RunBasicTest {
            team: self.team.clone(),
            typed,
        }]
    }

    fn start_dedupe(&mut self) -> Vec<StepEffect> {
        let opt = |t: &TextArea<'_>| Some(text_of(t)).filter(|s| !s.is_empty());
        let candidate = Candidate {
            email: opt(&self.dedupe_email),
            linkedin: opt(&self.dedupe_linkedin),
            name: opt(&self.dedupe_name),
            line: None,
        };
        let csv_file = opt(&self.dedupe_csv);
        let has_candidate =
            candidate.email.is_some() || candidate.linkedin.is_some() || candidate.name.is_some();
        if !has_candidate && csv_file.is_none() {
            self.notice = Some((
                false,
                "Dedupe: enter an email, LinkedIn URL or name, or a CSV file".into(),
            ));
            return Vec::new();
        }
        self.dedupe = Lookup::Running;
        vec![StepEffect::RunDedupe {
            team: self.team.clone(),
            candidates: if has_candidate {
                vec![candidate]
            } else {
                Vec::new()
            },
            csv_file,
        }]
    }

    fn start_source(&mut self) -> Vec<StepEffect> {
        let emails = text_of(&self.source_emails);
        let file = Some(text_of(&self.source_file)).filter(|s| !s.is_empty());
        if emails.is_empty() && file.is_none() {
            self.notice = Some((
                false,
                "Source person: enter recruiter emails or a file".into(),
            ));
            return Vec::new();
        }
        self.source = Lookup::Running;
        vec![StepEffect::RunSourcePerson {
            team: self.team.clone(),
            emails,
            file,
        }]
    }

    fn key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<StepEffect> {
        match action {
            Some(Action::NextField) => self.move_focus(true),
            Some(Action::PrevField) => self.move_focus(false),
            Some(Action::NextSection) => self.switch_section(true),
            Some(Action::PrevSection) => self.switch_section(false),
            Some(Action::Submit) => return self.activate(),
            Some(Action::RunTest) => return self.start_test(),
            Some(Action::Save) => {
                return match self.save_effect() {
                    Ok(e) => vec![e],
                    Err(msg) => {
                        self.notice = Some((false, msg));
                        Vec::new()
                    }
                };
            }
            Some(Action::Toggle) if !self.focus.is_text() => return self.activate(),
            _ => {
                if is_text_key(&key) {
                    let focus = self.focus;
                    if let Some(t) = self.field_mut(focus) {
                        t.input(key);
                        if matches!(focus, Item::CustomerId | Item::Username | Item::Password) {
                            self.edited = true;
                        }
                        self.notice = None;
                    }
                }
            }
        }
        Vec::new()
    }

    fn reply(&mut self, msg: StepMsg) -> Vec<PageOut<StepEffect>> {
        let mut out = Vec::new();
        match msg {
            StepMsg::Loaded { step: 1, last } => {
                if let (TestRun::Idle, Some(last)) = (&self.test, last) {
                    let stale = self
                        .creds_at
                        .as_deref()
                        .is_some_and(|c| c > last.at.as_str());
                    self.test = TestRun::from_stored(last);
                    if stale && let TestRun::Finished { when: Some(w), .. } = &mut self.test {
                        w.push_str(" · before the credentials changed: test again");
                    }
                }
            }
            StepMsg::Loaded { .. } => {}
            StepMsg::Saved(Ok(text)) => {
                self.edited = false;
                if !raw_text(&self.password).is_empty() {
                    self.password = masked_line();
                    self.password_stored = true;
                }
                self.notice = Some((true, text));
                out.push(PageOut::Reload);
            }
            StepMsg::Saved(Err(text)) => {
                self.notice = Some((false, text));
                if self.test.is_running() {
                    self.test = TestRun::Idle;
                }
            }
            StepMsg::Progress(e) => self.test.progress(e),
            done @ StepMsg::BasicDone { .. } => {
                let StepMsg::BasicDone {
                    rows,
                    hidden,
                    typed,
                    ..
                } = &done
                else {
                    return out;
                };
                self.test = TestRun::Finished {
                    rows: rows.clone(),
                    hidden: hidden.clone(),
                    when: None,
                };
                if typed.is_some() && self.test.passed() != Some(true) {
                    self.notice = Some((
                        false,
                        "the typed credentials failed the test; the stored ones are unchanged (Ctrl-s saves the typed ones anyway)"
                            .into(),
                    ));
                }
                out.extend(done.finish_effects().into_iter().map(PageOut::Work));
            }
            StepMsg::PreflightDone { .. } => {}
            StepMsg::DedupeDone(Ok((results, problems))) => {
                self.dedupe = Lookup::Done { results, problems }
            }
            StepMsg::DedupeDone(Err(e)) => self.dedupe = Lookup::Failed(e),
            StepMsg::SourceDone(Ok((results, problems))) => {
                self.source = Lookup::Done { results, problems }
            }
            StepMsg::SourceDone(Err(e)) => self.source = Lookup::Failed(e),
            StepMsg::Recorded(Ok(text)) => {
                self.notice = Some((true, text));
                out.push(PageOut::Reload);
            }
            StepMsg::Recorded(Err(text)) => self.notice = Some((false, text)),
        }
        out
    }
}

impl Page for BasicSyncPage {
    type Work = StepEffect;
    type Reply = StepMsg;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<StepEffect>>) {
        let (page, effects) = BasicSyncPage::new(row);
        (page, work(effects))
    }

    fn step(&self) -> Step {
        Step::BasicSync
    }

    fn context(&self) -> Context {
        if self.confirm_discard {
            Context::Confirm
        } else {
            Context::BasicSync
        }
    }

    fn availability(&self, action: Action) -> Availability {
        match action {
            Action::RunTest if self.test.is_running() => {
                Availability::Disabled("a test is already running".into())
            }
            Action::Details if self.test == TestRun::Idle => {
                Availability::Disabled("no test results yet: Ctrl-t runs the test".into())
            }
            _ => Availability::Enabled,
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<StepEffect>> {
        let asking = self.confirm_discard;
        let guard = FormGuard {
            unsaved: self.unsaved(),
            details: &mut self.details,
            confirm_discard: &mut self.confirm_discard,
            test: &self.test,
            form: FORM,
        };
        if let Some(out) = guard_keys(guard, action) {
            if asking && !self.confirm_discard {
                // Declined: the question's notice goes with it.
                self.notice = None;
            }
            return out;
        }
        work(self.key(action, key))
    }

    fn on_reply(&mut self, reply: StepMsg) -> Vec<PageOut<StepEffect>> {
        self.reply(reply)
    }

    fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<StepEffect>> {
        self.password_stored = row.credential(CredentialKind::Basic).is_some();
        self.creds_at = row
            .credential(CredentialKind::Basic)
            .map(|c| c.updated_at.clone());
        Vec::new()
    }

    fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        render(frame, area, self, theme);
        if let Some(text) = &self.details {
            crate::tui::widgets::details::render(frame, area, text, theme);
        }
    }
}

/// How remedies shown on this page name the form that fixes them.
const FORM: &str = "the fields above (Ctrl-s saves; Test tries them first)";

/// Draws the page into `area`.
pub fn render(frame: &mut Frame, area: Rect, s: &BasicSyncPage, theme: &Theme) {
    let mut title = vec![Span::styled(" 1. Basic sync ", theme.title)];
    for sec in SECTIONS {
        let style = if sec == s.section {
            theme.selected
        } else {
            theme.muted
        };
        title.push(Span::styled(format!(" {} ", sec.title()), style));
    }
    let block = Block::bordered()
        .title(Line::from(title))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match s.section {
        Section::Connection => render_connection(frame, inner, s, theme),
        Section::Dedupe => render_dedupe(frame, inner, s, theme),
        Section::SourcePerson => render_source(frame, inner, s, theme),
    }
}

fn notice_line(s: &BasicSyncPage, theme: &Theme) -> Line<'static> {
    if s.confirm_discard {
        return Line::from(Span::styled(
            "Discard the unsaved connection changes? y discards, n keeps editing",
            theme.warn,
        ));
    }
    match &s.notice {
        Some((true, t)) => Line::from(Span::styled(t.clone(), theme.ok)),
        Some((false, t)) => Line::from(Span::styled(t.clone(), theme.error)),
        None => Line::from(Span::styled(
            "Test tries typed credentials before they replace the stored ones.",
            theme.muted,
        )),
    }
}

fn render_connection(frame: &mut Frame, area: Rect, s: &BasicSyncPage, theme: &Theme) {
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .split(area);
    let f = s.focus;
    form_row::field(
        frame,
        rows[0],
        "Customer ID",
        &s.customer_id,
        f == Item::CustomerId,
        "the number iCIMS gave the customer",
        theme,
    );
    let choice = |r: Region| {
        Span::styled(
            format!(" {} ", r.as_str()),
            if s.region == r {
                theme.selected
            } else {
                theme.muted
            },
        )
    };
    form_row::value(
        frame,
        rows[1],
        "Region",
        f == Item::Region,
        Line::from(vec![
            choice(Region::Us),
            Span::raw(" "),
            choice(Region::Eu),
            Span::styled(
                match s.region {
                    Region::Us => "  api.icims.com",
                    Region::Eu => "  api-eu.icims.com",
                },
                theme.muted,
            ),
        ]),
        theme,
    );
    form_row::field(
        frame,
        rows[2],
        "API username",
        &s.username,
        f == Item::Username,
        "the integration API user",
        theme,
    );
    let pw_hint = if s.password_stored {
        "•••••••• stored, sealed (type to replace)"
    } else {
        "not set"
    };
    form_row::field(
        frame,
        rows[3],
        "Password",
        &s.password,
        f == Item::Password,
        pw_hint,
        theme,
    );
    let sync = format!(
        "Sync enabled: {}",
        if s.sync_enabled { "on" } else { "off" }
    );
    let edited = if s.edited { "  (unsaved changes)" } else { "" };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw("  "),
            form_row::button("Save", f == Item::Save, true, theme),
            Span::raw("  "),
            form_row::button("Test", f == Item::Test, !s.test.is_running(), theme),
            Span::raw("  "),
            form_row::button(&sync, f == Item::SyncEnabled, true, theme),
            Span::styled(edited.to_string(), theme.warn),
        ])),
        rows[4],
    );
    frame.render_widget(Paragraph::new(notice_line(s, theme)), rows[5]);
    check_table::render(
        frame,
        rows[7],
        &s.test,
        "Test makes one authenticated call with the API user and explains any failure; then it samples records for fields the user cannot see.",
        FORM,
        0,
        theme,
    );
}

fn render_dedupe(frame: &mut Frame, area: Rect, s: &BasicSyncPage, theme: &Theme) {
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .split(area);
    let f = s.focus;
    form_row::field(
        frame,
        rows[0],
        "Email",
        &s.dedupe_email,
        f == Item::DedupeEmail,
        "candidate email",
        theme,
    );
    form_row::field(
        frame,
        rows[1],
        "LinkedIn URL",
        &s.dedupe_linkedin,
        f == Item::DedupeLinkedin,
        "https://www.linkedin.com/in/…",
        theme,
    );
    form_row::field(
        frame,
        rows[2],
        "Name",
        &s.dedupe_name,
        f == Item::DedupeName,
        "First Last",
        theme,
    );
    form_row::field(
        frame,
        rows[3],
        "or CSV file",
        &s.dedupe_csv,
        f == Item::DedupeCsv,
        "path (columns email, linkedin, name)",
        theme,
    );
    frame.render_widget(
        lookup_button("Preview", f == Item::Preview, &s.dedupe, theme),
        rows[4],
    );
    frame.render_widget(Paragraph::new(notice_line(s, theme)), rows[5]);
    let (mut lines, results) = lookup_lines(
        &s.dedupe,
        "Searches iCIMS people by each key and shows the matches; ambiguous cases are flagged.",
        rows[6].width as usize,
        theme,
    );
    for r in results {
        let (text, style) = match &r.verdict {
            DedupeVerdict::New => ("new: no match".to_string(), theme.ok),
            DedupeVerdict::Duplicate { person_id } => {
                (format!("duplicate of person {person_id}"), theme.accent)
            }
            DedupeVerdict::Ambiguous { person_ids } => (
                format!("AMBIGUOUS: {} people match", person_ids.len()),
                theme.warn,
            ),
        };
        let who = r
            .candidate
            .line
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled(format!("{who}→ "), theme.title),
            Span::styled(text, style),
        ]));
        for k in &r.keys {
            let key = format!("{:?}", k.key).to_lowercase();
            let found = match (&k.note, k.person_ids.len()) {
                (Some(n), _) => n.clone(),
                (None, 0) => "no match".into(),
                (None, _) => k
                    .matches
                    .iter()
                    .map(|m| format!("{} {}", m.id, m.name))
                    .collect::<Vec<_>>()
                    .join("; "),
            };
            let flag = if k.ambiguous { " ⚠" } else { "" };
            let style = if k.ambiguous { theme.warn } else { theme.text };
            lines.push(Line::from(vec![
                Span::styled(format!("  {key:<9}"), theme.muted),
                Span::styled(format!("{} → {found}{flag}", k.value), style),
            ]));
        }
    }
    frame.render_widget(Paragraph::new(lines), rows[6]);
}

fn render_source(frame: &mut Frame, area: Rect, s: &BasicSyncPage, theme: &Theme) {
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .split(area);
    let f = s.focus;
    form_row::field(
        frame,
        rows[0],
        "Recruiter emails",
        &s.source_emails,
        f == Item::SourceEmails,
        "a@x.com, b@x.com …",
        theme,
    );
    form_row::field(
        frame,
        rows[1],
        "or file",
        &s.source_file,
        f == Item::SourceFile,
        "path, one or more emails per line",
        theme,
    );
    frame.render_widget(
        lookup_button("Check", f == Item::CheckSources, &s.source, theme),
        rows[2],
    );
    frame.render_widget(Paragraph::new(notice_line(s, theme)), rows[3]);
    let (mut lines, results) = lookup_lines(
        &s.source,
        "Only an email that matches exactly one iCIMS user (HM:/Emp: folders) may become Source Person.",
        rows[4].width as usize,
        theme,
    );
    for r in results {
        let (mark, style) = match r.verdict {
            SourcePersonVerdict::Exact => ("✓", theme.ok),
            SourcePersonVerdict::NoUser => ("✗", theme.muted),
            SourcePersonVerdict::Several => ("⚠", theme.warn),
        };
        let users: Vec<String> = r
            .users
            .iter()
            .map(|u| format!("{} {}", u.id, u.name))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{mark} {:<32} ", r.email), style),
            Span::styled(format!("{:<17} ", r.verdict.label()), style),
            Span::styled(users.join("; "), theme.text),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), rows[4]);
}

/// The button line of a lookup section, with "searching…" while the lookup runs.
fn lookup_button<T>(
    label: &str,
    focused: bool,
    lookup: &Lookup<T>,
    theme: &Theme,
) -> Paragraph<'static> {
    let running = matches!(lookup, Lookup::Running);
    Paragraph::new(Line::from(vec![
        Span::raw("  "),
        form_row::button(label, focused, !running, theme),
        Span::styled(if running { "  searching…" } else { "" }, theme.accent),
    ]))
}

/// What every lookup section shows before its results: the hint while idle, the failure,
/// or the input problems; and the results to list (none unless done).
fn lookup_lines<'a, T>(
    lookup: &'a Lookup<T>,
    idle_hint: &str,
    width: usize,
    theme: &Theme,
) -> (Vec<Line<'static>>, &'a [T]) {
    let mut lines = Vec::new();
    match lookup {
        Lookup::Idle => lines.push(Line::from(Span::styled(idle_hint.to_string(), theme.muted))),
        Lookup::Running => {}
        Lookup::Failed(e) => {
            for part in wrap_hanging(e, width, 0, 2) {
                lines.push(Line::from(Span::styled(part, theme.error)));
            }
        }
        Lookup::Done { results, problems } => {
            for p in problems {
                lines.push(Line::from(Span::styled(format!("! {p}"), theme.warn)));
            }
            return (lines, results);
        }
    }
    (lines, &[])
}
