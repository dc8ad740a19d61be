//! Step 2, deep sync credentials: the REST OAuth client id and secret and the Data Stream
//! client (secrets masked), *Save*, *Test* — the preflight matrix, run in the background
//! with progress, one row per permission with ✓/✗, HTTP status, iCIMS error code and the
//! fix, plus the hidden standard fields — and the *Deep sync* toggle, shown locked with the
//! gate's reason. State and update are pure; the driver (`drivers/checks.rs`) runs the
//! work. Test tries typed clients before they replace the stored ones.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui_textarea::TextArea;
use secrecy::SecretString;

use crate::icims::checks::preflight::{DATASTREAM_ROWS, REST_ROWS};
use crate::onboarding::Step;
use crate::store::CredentialKind;
use crate::tui::keymap::{Action, Availability, Context};
use crate::tui::model::{TeamRow, TestRun};
use crate::tui::pages::checks::{FormGuard, StepEffect, StepMsg, TypedDeep, guard_keys};
use crate::tui::pages::contract::{Page, PageOut, work};
use crate::tui::pages::forms::{Secret, is_text_key, line_with, masked_line, raw_text, text_of};
use crate::tui::text::wrap_hanging;
use crate::tui::theme::Theme;
use crate::tui::widgets::{check_table, form_row};

/// Everything that can have focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    RestClientId,
    RestSecret,
    DatastreamClientId,
    DatastreamSecret,
    Save,
    Test,
    DeepSync,
}

const ITEMS: [Item; 7] = [
    Item::RestClientId,
    Item::RestSecret,
    Item::DatastreamClientId,
    Item::DatastreamSecret,
    Item::Save,
    Item::Test,
    Item::DeepSync,
];

impl Item {
    fn is_text(self) -> bool {
        matches!(
            self,
            Item::RestClientId
                | Item::RestSecret
                | Item::DatastreamClientId
                | Item::DatastreamSecret
        )
    }
}

/// The step 2 page's state. `Debug` leaves the typed fields out (the secrets).
pub struct CredentialsPage {
    pub team: String,
    pub focus: Item,
    pub rest_client_id: TextArea<'static>,
    pub rest_secret: TextArea<'static>,
    pub rest_stored: bool,
    pub datastream_client_id: TextArea<'static>,
    pub datastream_secret: TextArea<'static>,
    pub datastream_stored: bool,
    pub edited: bool,
    pub test: TestRun,
    /// The deep sync's unmet gates, as last read from the store.
    pub gates: Vec<String>,
    /// When the REST / Data Stream credentials were last stored (newest).
    pub creds_at: Option<String>,
    pub notice: Option<(bool, String)>,
    /// Lines the results are scrolled down (PgDn/PgUp).
    pub scroll: usize,
    /// Esc was pressed with unsaved typed credentials: asking before discarding them.
    pub confirm_discard: bool,
    /// The test's rows shown in full (Ctrl-o); any key closes.
    pub details: Option<String>,
    /// Client ids stored when the page opened (a cleared one is refused on save).
    pub rest_id_stored: bool,
    pub datastream_id_stored: bool,
}

fn gates_of(row: &TeamRow) -> Vec<String> {
    row.status(Step::DeepSync)
        .map(|s| s.locked_by.clone())
        .unwrap_or_default()
}

fn creds_at(row: &TeamRow) -> Option<String> {
    [CredentialKind::Rest, CredentialKind::Datastream]
        .iter()
        .filter_map(|k| row.credential(*k).map(|c| c.updated_at.clone()))
        .max()
}

impl std::fmt::Debug for CredentialsPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsPage")
            .field("team", &self.team)
            .field("focus", &self.focus)
            .field("secrets", &"<redacted>")
            .field("test", &self.test)
            .finish_non_exhaustive()
    }
}

impl CredentialsPage {
    /// Why the deep sync cannot be switched on yet (`None` when it could). A preflight
    /// that just passed here is not contradicted by a "not tested" gate read before it.
    pub fn deep_sync_lock(&self) -> Option<String> {
        let fresh_pass = matches!(&self.test, TestRun::Finished { when: None, .. })
            && self.test.passed() == Some(true);
        let gates: Vec<&String> = self
            .gates
            .iter()
            .filter(|g| !(fresh_pass && g.contains("(step 2)")))
            .collect();
        (!gates.is_empty()).then(|| {
            format!(
                "Locked: {}",
                gates
                    .iter()
                    .map(|g| g.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
    }

    pub fn new(row: &TeamRow) -> (CredentialsPage, Vec<StepEffect>) {
        let id = |kind| {
            row.credential(kind)
                .and_then(|c| c.params.client_id.clone())
                .unwrap_or_default()
        };
        let screen = CredentialsPage {
            team: row.team.name.clone(),
            focus: Item::RestClientId,
            rest_client_id: line_with(&id(CredentialKind::Rest)),
            rest_secret: masked_line(),
            rest_stored: row.credential(CredentialKind::Rest).is_some(),
            datastream_client_id: line_with(&id(CredentialKind::Datastream)),
            datastream_secret: masked_line(),
            datastream_stored: row.credential(CredentialKind::Datastream).is_some(),
            edited: false,
            test: TestRun::Idle,
            gates: gates_of(row),
            creds_at: creds_at(row),
            notice: None,
            scroll: 0,
            confirm_discard: false,
            details: None,
            rest_id_stored: !id(CredentialKind::Rest).is_empty(),
            datastream_id_stored: !id(CredentialKind::Datastream).is_empty(),
        };
        let effects = vec![StepEffect::LoadLast {
            team: row.team.name.clone(),
            step: 2,
        }];
        (screen, effects)
    }

    /// Follows the store (credentials saved elsewhere, gates opened).
    pub fn follow(&mut self, row: &TeamRow) {
        self.gates = gates_of(row);
        self.creds_at = creds_at(row);
        self.rest_stored = row.credential(CredentialKind::Rest).is_some();
        self.datastream_stored = row.credential(CredentialKind::Datastream).is_some();
    }

    pub fn typing(&self) -> bool {
        self.focus.is_text()
    }

    fn field_mut(&mut self, item: Item) -> Option<&mut TextArea<'static>> {
        Some(match item {
            Item::RestClientId => &mut self.rest_client_id,
            Item::RestSecret => &mut self.rest_secret,
            Item::DatastreamClientId => &mut self.datastream_client_id,
            Item::DatastreamSecret => &mut self.datastream_secret,
            _ => return None,
        })
    }

    fn move_focus(&mut self, forward: bool) {
        let i = ITEMS.iter().position(|i| *i == self.focus).unwrap_or(0);
        let n = ITEMS.len();
        self.focus = ITEMS[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    fn secret(t: &TextArea<'_>) -> Option<Secret> {
        let typed = raw_text(t);
        (!typed.is_empty()).then(|| Secret(SecretString::from(typed)))
    }

    fn save_effect(&self) -> Result<StepEffect, String> {
        let t = self.typed()?;
        Ok(StepEffect::SaveDeep {
            team: self.team.clone(),
            rest_client_id: t.rest_client_id,
            rest_secret: t.rest_secret,
            datastream_client_id: t.datastream_client_id,
            datastream_secret: t.datastream_secret,
        })
    }

    /// Validates the fields as typed; a cleared required field is named, never saved
    /// as "left alone".
    fn typed(&self) -> Result<TypedDeep, String> {
        let rest_client_id = text_of(&self.rest_client_id);
        let datastream_client_id = text_of(&self.datastream_client_id);
        let rest_secret = Self::secret(&self.rest_secret);
        let datastream_secret = Self::secret(&self.datastream_secret);
        if rest_client_id.is_empty() && (self.rest_id_stored || datastream_client_id.is_empty()) {
            return Err("REST client id: required".into());
        }
        if datastream_client_id.is_empty() && self.datastream_id_stored {
            return Err("Data Stream client id: required".into());
        }
        if rest_client_id.is_empty() && rest_secret.is_some() {
            return Err("REST client id: required with the REST client secret".into());
        }
        if datastream_client_id.is_empty() && datastream_secret.is_some() {
            return Err("Data Stream client id: required with the Data Stream secret".into());
        }
        if !rest_client_id.is_empty() && rest_secret.is_none() && !self.rest_stored {
            return Err("REST client secret: required".into());
        }
        if !datastream_client_id.is_empty()
            && datastream_secret.is_none()
            && !self.datastream_stored
        {
            return Err("Data Stream secret: required".into());
        }
        Ok(TypedDeep {
            rest_client_id,
            rest_secret,
            datastream_client_id,
            datastream_secret,
        })
    }

    /// Whether fields were typed and not saved.
    pub fn unsaved(&self) -> bool {
        self.edited || self.typed_secrets()
    }

    fn typed_secrets(&self) -> bool {
        !raw_text(&self.rest_secret).is_empty() || !raw_text(&self.datastream_secret).is_empty()
    }

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
        self.test = TestRun::running(REST_ROWS.len() + 1 + DATASTREAM_ROWS.len());
        self.scroll = 0;
        self.notice = typed.is_some().then(|| {
            (
                true,
                "testing the typed clients; they replace the stored ones only if the preflight passes"
                    .to_string(),
            )
        });
        vec![StepEffect::RunPreflight {
            team: self.team.clone(),
            typed,
        }]
    }

    fn save(&mut self) -> Vec<StepEffect> {
        match self.save_effect() {
            Ok(e) => vec![e],
            Err(msg) => {
                self.notice = Some((false, msg));
                Vec::new()
            }
        }
    }

    fn key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<StepEffect> {
        match action {
            Some(Action::NextField) => self.move_focus(true),
            Some(Action::PrevField) => self.move_focus(false),
            // Clamped when drawn; capped here so PgUp answers at once after many PgDn.
            Some(Action::NextSection) => self.scroll = (self.scroll + 5).min(64),
            Some(Action::PrevSection) => self.scroll = self.scroll.saturating_sub(5),
            Some(Action::RunTest) => return self.start_test(),
            Some(Action::Save) => return self.save(),
            Some(Action::Submit) | Some(Action::Toggle) if !self.focus.is_text() => {
                return match self.focus {
                    Item::Save => self.save(),
                    Item::Test => self.start_test(),
                    _ => {
                        self.notice = Some((
                            false,
                            self.deep_sync_lock()
                                .unwrap_or_else(|| "Deep sync is started from step 5.".into()),
                        ));
                        Vec::new()
                    }
                };
            }
            Some(Action::Submit) => self.move_focus(true),
            _ => {
                if is_text_key(&key) {
                    let focus = self.focus;
                    if let Some(t) = self.field_mut(focus) {
                        t.input(key);
                        self.edited = true;
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
            StepMsg::Loaded { step: 2, last } => {
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
            StepMsg::Saved(Ok(text)) => {
                self.edited = false;
                if !raw_text(&self.rest_secret).is_empty() {
                    self.rest_stored = true;
                }
                if !raw_text(&self.datastream_secret).is_empty() {
                    self.datastream_stored = true;
                }
                self.rest_id_stored |= !text_of(&self.rest_client_id).is_empty();
                self.datastream_id_stored |= !text_of(&self.datastream_client_id).is_empty();
                self.rest_secret = masked_line();
                self.datastream_secret = masked_line();
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
            done @ StepMsg::PreflightDone { .. } => {
                let StepMsg::PreflightDone {
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
                        "the typed clients failed the preflight; the stored ones are unchanged (Ctrl-s saves the typed ones anyway)"
                            .into(),
                    ));
                }
                out.extend(done.finish_effects().into_iter().map(PageOut::Work));
            }
            StepMsg::Recorded(Ok(text)) => {
                self.notice = Some((true, text));
                out.push(PageOut::Reload);
            }
            StepMsg::Recorded(Err(text)) => self.notice = Some((false, text)),
            _ => {}
        }
        out
    }
}

impl Page for CredentialsPage {
    type Work = StepEffect;
    type Reply = StepMsg;

    fn open(row: &TeamRow) -> (Self, Vec<PageOut<StepEffect>>) {
        let (page, effects) = CredentialsPage::new(row);
        (page, work(effects))
    }

    fn step(&self) -> Step {
        Step::DeepSyncCredentials
    }

    fn context(&self) -> Context {
        if self.confirm_discard {
            Context::Confirm
        } else {
            Context::Credentials
        }
    }

    fn availability(&self, action: Action) -> Availability {
        match action {
            Action::RunTest if self.test.is_running() => {
                Availability::Disabled("the preflight is already running".into())
            }
            Action::Details if self.test == TestRun::Idle => {
                Availability::Disabled("no test results yet: Ctrl-t runs the test".into())
            }
            _ => Availability::Enabled,
        }
    }

    fn on_key(&mut self, action: Option<Action>, key: KeyEvent) -> Vec<PageOut<StepEffect>> {
        let guard = FormGuard {
            unsaved: self.unsaved(),
            details: &mut self.details,
            confirm_discard: &mut self.confirm_discard,
            test: &self.test,
            form: FORM,
        };
        if let Some(out) = guard_keys(guard, action) {
            return out;
        }
        work(self.key(action, key))
    }

    fn on_reply(&mut self, reply: StepMsg) -> Vec<PageOut<StepEffect>> {
        self.reply(reply)
    }

    fn refresh(&mut self, row: &TeamRow) -> Vec<PageOut<StepEffect>> {
        self.follow(row);
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
pub fn render(frame: &mut Frame, area: Rect, s: &CredentialsPage, theme: &Theme) {
    let block = Block::bordered()
        .title(Span::styled(" 2. Deep sync credentials ", theme.title))
        .border_style(theme.border);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .split(inner);
    let f = s.focus;
    let stored = |yes: bool| {
        if yes {
            "•••••••• stored, sealed (type to replace)"
        } else {
            "not set"
        }
    };
    form_row::field(
        frame,
        rows[0],
        "REST client id",
        &s.rest_client_id,
        f == Item::RestClientId,
        "OAuth client id from iCIMS",
        theme,
    );
    form_row::field(
        frame,
        rows[1],
        "REST client secret",
        &s.rest_secret,
        f == Item::RestSecret,
        stored(s.rest_stored),
        theme,
    );
    form_row::field(
        frame,
        rows[2],
        "Data Stream client id",
        &s.datastream_client_id,
        f == Item::DatastreamClientId,
        "the separate Data Stream client from iCIMS",
        theme,
    );
    form_row::field(
        frame,
        rows[3],
        "Data Stream secret",
        &s.datastream_secret,
        f == Item::DatastreamSecret,
        stored(s.datastream_stored),
        theme,
    );
    let deep = match &s.deep_sync_lock() {
        Some(_) => "Deep sync: off (locked)",
        None => "Deep sync: off (start it in step 5)",
    };
    let edited = if s.edited { "  (unsaved changes)" } else { "" };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::raw("  "),
            form_row::button("Save", f == Item::Save, true, theme),
            Span::raw("  "),
            form_row::button("Test", f == Item::Test, !s.test.is_running(), theme),
            Span::raw("  "),
            form_row::button(deep, f == Item::DeepSync, false, theme),
            Span::styled(edited.to_string(), theme.warn),
        ])),
        rows[4],
    );
    let lock = s
        .deep_sync_lock()
        .unwrap_or_else(|| "Deep sync can be planned and started in step 5.".into());
    let lock_lines: Vec<Line> = wrap_hanging(&lock, rows[5].width as usize, 0, 2)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.muted)))
        .collect();
    frame.render_widget(Paragraph::new(lock_lines), rows[5]);
    let notice = match &s.notice {
        _ if s.confirm_discard => Line::from(Span::styled(
            "Discard the unsaved credentials? y discards, n keeps editing",
            theme.warn,
        )),
        Some((true, t)) => Line::from(Span::styled(t.clone(), theme.ok)),
        Some((false, t)) => Line::from(Span::styled(t.clone(), theme.error)),
        None => Line::from(Span::styled(
            "Test tries typed clients before they replace the stored ones.",
            theme.muted,
        )),
    };
    frame.render_widget(Paragraph::new(notice), rows[6]);
    check_table::render(
        frame,
        rows[7],
        &s.test,
        "Test runs the preflight matrix: token, people/jobs/workflow search and get, statuses, person folders, schema, Data Stream subscriptions and events; then lists standard fields hidden from the client.",
        FORM,
        s.scroll,
        theme,
    );
}
