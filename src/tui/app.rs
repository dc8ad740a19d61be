//! The console's state machine: [`App`] holds everything the screens draw, [`Msg`] is the
//! one queue of inputs (keys, resize, ticks, replies), and [`update`] is synchronous, does
//! no I/O and returns [`Effect`]s for the driver to run.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::{self, Action, Context};
use super::screens::basic_sync::BasicSyncScreen;
use super::screens::deep_sync::DeepSyncScreen;
use super::screens::export::{ConnectionInput, ExportPanel, HostKeyPrompt, PanelCommand};
use super::screens::field_mapping::{self, FieldMappingState, MappingEffect, MappingMsg};
use super::screens::new_team::NewTeamForm;
use super::screens::step_screen::{StepEffect, StepMsg, StepScreen};
use crate::export::view::ExportView;
use crate::onboarding::{Step, StepStatus};
use crate::store::{CredentialKind, CredentialSummary, NewTeam, Team};

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// A team as the screens show it: a snapshot read from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRow {
    pub team: Team,
    pub steps: Vec<StepStatus>,
    pub credentials: Vec<CredentialSummary>,
    pub sync_enabled: bool,
}

impl TeamRow {
    pub fn credential(&self, kind: CredentialKind) -> Option<&CredentialSummary> {
        self.credentials.iter().find(|c| c.kind == kind)
    }
}

/// Which screen is showing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Home,
    Team { name: String, step: usize },
}

/// A line at the bottom saying what just happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Info(String),
    Error(String),
}

/// Everything the console shows.
pub struct App {
    pub teams: Vec<TeamRow>,
    pub screen: Screen,
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    pub form: Option<NewTeamForm>,
    /// The step 1 or step 2 screen, when open over the team screen.
    pub step_screen: Option<StepScreen>,
    pub help: bool,
    /// The step 4 screen, when open (over the team screen).
    pub mapping: Option<FieldMappingState>,
    pub size: (u16, u16),
    pub status: Option<Status>,
    pub db_label: String,
    /// Step 3 state of the open team (loaded while step 3 is selected).
    pub export: Option<ExportPanel>,
    pub quit: bool,
    /// Set when the state changed since the last frame.
    pub dirty: bool,
}

/// Inputs to [`update`].
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    Tick,
    TeamsLoaded(Vec<TeamRow>),
    TeamCreated(Result<String, String>),
    Failed(String),
    /// Step 3 view of a team, read from the store.
    ExportLoaded(String, Box<ExportView>),
    /// The host key the team's SFTP server presents, to confirm.
    HostKeyProbed(Result<HostKeyPrompt, String>),
    /// A step 3 action finished (job queued, key pinned, ticket written).
    ExportNotice(Result<String, String>),
    /// Replies and progress for the step screens.
    Step(StepMsg),
    /// A reply for the field mapping screen.
    Mapping(MappingMsg),
}

/// Work for the driver: store reads and writes, or leaving.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadTeams,
    CreateTeam(NewTeam),
    /// Work of the step 1 / step 2 screens (saves, background tests, recording).
    Step(StepEffect),
    /// Load, save or approve the field mapping (step 4).
    Mapping(MappingEffect),
    /// Step 3: read the export view of a team.
    LoadExport(String),
    /// Step 3: connect far enough to see the host key (nothing is sent).
    ProbeHostKey(String),
    /// Step 3: pin the confirmed fingerprint (then queue the fetch).
    PinHostKey {
        team: String,
        key_type: String,
        fingerprint: String,
    },
    /// Step 3: queue `export.fetch` / `export.import` and make sure a worker runs it.
    QueueExport {
        team: String,
        kind: &'static str,
    },
    /// Step 3: write the handoff ticket to a file and offer it on the clipboard (OSC 52).
    Handoff(String),
    /// Step 3: store the SFTP connection entered in the form.
    SaveSftp {
        team: String,
        input: ConnectionInput,
    },
    Quit,
}

impl App {
    pub fn new(db_label: impl Into<String>, size: (u16, u16)) -> App {
        App {
            teams: Vec::new(),
            screen: Screen::Home,
            selected: 0,
            filter: String::new(),
            filtering: false,
            form: None,
            step_screen: None,
            help: false,
            mapping: None,
            size,
            status: None,
            db_label: db_label.into(),
            export: None,
            quit: false,
            dirty: true,
        }
    }

    /// The keyboard context in effect.
    pub fn context(&self) -> Context {
        if self.help {
            Context::Help
        } else if let Some(m) = &self.mapping {
            m.context()
        } else if self.form.is_some() {
            Context::Form
        } else if self.step_screen.is_some() {
            Context::Step
        } else if self.filtering {
            Context::Filter
        } else {
            match self.screen {
                Screen::Home => Context::Home,
                Screen::Team { .. } => Context::Team,
            }
        }
    }

    /// Teams matching the filter (case-insensitive substring of the name or customer id).
    pub fn visible_teams(&self) -> Vec<&TeamRow> {
        let needle = self.filter.to_lowercase();
        self.teams
            .iter()
            .filter(|t| {
                needle.is_empty()
                    || t.team.name.to_lowercase().contains(&needle)
                    || t.team.customer_id.to_string().contains(&needle)
            })
            .collect()
    }

    /// The team the team screen shows, if it still exists.
    pub fn open_team(&self) -> Option<&TeamRow> {
        match &self.screen {
            Screen::Team { name, .. } => self.teams.iter().find(|t| &t.team.name == name),
            Screen::Home => None,
        }
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }
}

/// Applies one message; returns the effects to run. No I/O here.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Resize(w, h) => {
            app.size = (w, h);
            if let Some(m) = app.mapping.as_mut() {
                m.page = mapping_page(h);
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::Mapping(msg) => {
            app.dirty = true;
            mapping_update(app, msg)
        }
        Msg::Tick => {
            let mut effects = vec![Effect::LoadTeams];
            if let Some(team) = export_step_team(app) {
                effects.push(Effect::LoadExport(team));
            }
            effects
        }
        Msg::ExportLoaded(team, view) => {
            if export_step_team(app).as_deref() == Some(team.as_str()) {
                match app.export.as_mut().filter(|p| p.team == team) {
                    Some(panel) => {
                        if panel.view != *view {
                            panel.view = *view;
                            app.dirty = true;
                        }
                    }
                    None => {
                        app.export = Some(ExportPanel::new(&team, *view));
                        app.dirty = true;
                    }
                }
            }
            Vec::new()
        }
        Msg::HostKeyProbed(result) => {
            app.dirty = true;
            match (result, app.export.as_mut()) {
                (Ok(prompt), Some(panel)) => panel.prompt = Some(prompt),
                (Err(reason), _) => app.status = Some(Status::Error(reason)),
                _ => {}
            }
            Vec::new()
        }
        Msg::ExportNotice(result) => {
            app.dirty = true;
            if let (Ok(_), Some(panel)) = (&result, app.export.as_mut()) {
                panel.form = None;
            }
            app.status = Some(match result {
                Ok(text) => Status::Info(text),
                Err(reason) => Status::Error(reason),
            });
            let mut effects = vec![Effect::LoadTeams];
            effects.extend(export_step_team(app).map(Effect::LoadExport));
            effects
        }
        Msg::TeamsLoaded(teams) => {
            if teams != app.teams {
                app.teams = teams;
                clamp_selection(app);
                if let Some(StepScreen::Deep(s)) = app.step_screen.as_mut()
                    && let Some(row) = app.teams.iter().find(|t| t.team.name == s.team)
                {
                    s.refresh(row);
                }
                app.dirty = true;
            }
            Vec::new()
        }
        Msg::Step(msg) => {
            app.dirty = true;
            // A finished test is recorded even when its screen was closed meanwhile.
            let consumed = match (&msg, app.step_screen.as_ref()) {
                (StepMsg::BasicDone { team, .. }, Some(StepScreen::Basic(s))) => s.team == *team,
                (StepMsg::PreflightDone { team, .. }, Some(StepScreen::Deep(s))) => s.team == *team,
                (StepMsg::BasicDone { .. } | StepMsg::PreflightDone { .. }, _) => false,
                _ => true,
            };
            if !consumed {
                return msg.record_effect().map(Effect::Step).into_iter().collect();
            }
            let reload = matches!(msg, StepMsg::Saved(Ok(_)) | StepMsg::Recorded(Ok(_)));
            let mut effects: Vec<Effect> = match app.step_screen.as_mut() {
                Some(s) => s.on_msg(msg).into_iter().map(Effect::Step).collect(),
                None => Vec::new(),
            };
            if reload {
                effects.push(Effect::LoadTeams);
            }
            effects
        }
        Msg::TeamCreated(Ok(name)) => {
            app.form = None;
            app.filter.clear();
            app.status = Some(Status::Info(format!("created team {name}")));
            app.dirty = true;
            // Select it once the reload arrives: the list is sorted by name.
            app.teams.push(placeholder_row(&name));
            app.teams.sort_by_key(|t| t.team.name.to_lowercase());
            app.selected = app
                .visible_teams()
                .iter()
                .position(|t| t.team.name == name)
                .unwrap_or(0);
            vec![Effect::LoadTeams]
        }
        Msg::TeamCreated(Err(reason)) => {
            if let Some(form) = app.form.as_mut() {
                form.error = Some(reason);
            } else {
                app.status = Some(Status::Error(reason));
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::Failed(reason) => {
            app.status = Some(Status::Error(reason));
            app.dirty = true;
            Vec::new()
        }
        Msg::Key(key) => {
            app.dirty = true;
            on_key(app, key)
        }
    }
}

fn placeholder_row(name: &str) -> TeamRow {
    TeamRow {
        team: Team {
            id: -1,
            name: name.to_string(),
            customer_id: 0,
            region: crate::store::Region::Us,
            api_base_override: None,
            token_url_override: None,
            datastream_base_override: None,
            created_at: String::new(),
        },
        steps: Vec::new(),
        credentials: Vec::new(),
        sync_enabled: false,
    }
}

fn clamp_selection(app: &mut App) {
    let n = app.visible_teams().len();
    if app.selected >= n {
        app.selected = n.saturating_sub(1);
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let ctx = app.context();
    let action = keymap::lookup(ctx, key);
    match ctx {
        Context::Help => {
            if action == Some(Action::Back) {
                app.help = false;
            }
            Vec::new()
        }
        Context::Form => form_key(app, key, action),
        Context::Step => step_key(app, key, action),
        Context::Filter => filter_key(app, key, action),
        Context::Home => home_key(app, action),
        Context::Team => team_key(app, key, action),
        Context::FieldMapping if action == Some(Action::Help) => {
            app.help = true;
            Vec::new()
        }
        Context::FieldMapping | Context::TargetPicker | Context::MappingInput => {
            mapping_update(app, MappingMsg::Key(key))
        }
    }
}

/// Opens the step 4 screen of the team on screen and asks for its mapping.
fn open_field_mapping(app: &mut App) -> Vec<Effect> {
    let Screen::Team { name, .. } = &app.screen else {
        return Vec::new();
    };
    let team = name.clone();
    let mut state = FieldMappingState::new(team.clone(), crate::mapping::Catalogue::standard());
    state.page = mapping_page(app.size.1);
    app.mapping = Some(state);
    app.status = None;
    vec![Effect::Mapping(MappingEffect::Load { team })]
}

/// Table rows that fit on the field mapping screen at terminal height `h`.
fn mapping_page(h: u16) -> usize {
    h.saturating_sub(14).max(1) as usize
}

/// Runs the field mapping screen's update; closing returns to the team screen.
fn mapping_update(app: &mut App, msg: MappingMsg) -> Vec<Effect> {
    let Some(m) = app.mapping.as_mut() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for effect in field_mapping::update(m, msg) {
        match effect {
            MappingEffect::Close => {
                app.mapping = None;
                out.push(Effect::LoadTeams);
                break;
            }
            MappingEffect::Quit => {
                app.quit = true;
                out.push(Effect::Quit);
            }
            other => out.push(Effect::Mapping(other)),
        }
    }
    out
}

fn form_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Quit) => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Some(Action::Cancel) => {
            app.form = None;
            Vec::new()
        }
        Some(Action::NextField) => {
            form.focus_next();
            Vec::new()
        }
        Some(Action::PrevField) => {
            form.focus_prev();
            Vec::new()
        }
        Some(Action::ToggleRegion) if form.on_region() => {
            form.toggle_region();
            Vec::new()
        }
        Some(Action::Submit) => match form.validate() {
            Ok(new_team) => vec![Effect::CreateTeam(new_team)],
            Err(reason) => {
                form.error = Some(reason);
                Vec::new()
            }
        },
        _ => {
            form.input(key);
            Vec::new()
        }
    }
}

fn filter_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    match action {
        Some(Action::Submit) => app.filtering = false,
        Some(Action::ClearFilter) => {
            app.filtering = false;
            app.filter.clear();
        }
        Some(Action::Quit) => {
            app.quit = true;
            return vec![Effect::Quit];
        }
        _ => match key.code {
            KeyCode::Backspace => {
                app.filter.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                app.filter.push(c);
            }
            _ => {}
        },
    }
    app.selected = 0;
    Vec::new()
}

fn home_key(app: &mut App, action: Option<Action>) -> Vec<Effect> {
    let count = app.visible_teams().len();
    match action {
        Some(Action::Quit) => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Some(Action::Help) => {
            app.help = true;
            Vec::new()
        }
        Some(Action::Up) => {
            app.selected = app.selected.saturating_sub(1);
            Vec::new()
        }
        Some(Action::Down) => {
            if app.selected + 1 < count {
                app.selected += 1;
            }
            Vec::new()
        }
        Some(Action::Open) => {
            if let Some(row) = app.visible_teams().get(app.selected) {
                app.screen = Screen::Team {
                    name: row.team.name.clone(),
                    step: first_open_step(&row.steps),
                };
                app.status = None;
            }
            export_step_team(app)
                .map(Effect::LoadExport)
                .into_iter()
                .collect()
        }
        Some(Action::NewTeam) => {
            app.form = Some(NewTeamForm::new());
            app.status = None;
            Vec::new()
        }
        Some(Action::Filter) => {
            app.filtering = true;
            Vec::new()
        }
        Some(Action::Refresh) => vec![Effect::LoadTeams],
        _ => Vec::new(),
    }
}

/// The first step that is not done, or the last one.
fn first_open_step(steps: &[StepStatus]) -> usize {
    steps
        .iter()
        .position(|s| s.state != crate::onboarding::StepState::Done)
        .unwrap_or(Step::ALL.len() - 1)
}

fn step_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    let Some(screen) = app.step_screen.as_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Quit) => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Some(Action::Back) => {
            app.step_screen = None;
            vec![Effect::LoadTeams]
        }
        _ => screen
            .on_key(action, key)
            .into_iter()
            .map(Effect::Step)
            .collect(),
    }
}

/// Opens the step 1 or step 2 screen (`step` is 0-based).
fn open_step_screen(app: &mut App, step: usize) -> Vec<Effect> {
    let Some(row) = app.open_team() else {
        return Vec::new();
    };
    let (screen, effects) = match Step::ALL.get(step) {
        Some(Step::BasicSync) => {
            let (s, e) = BasicSyncScreen::open(row);
            (StepScreen::Basic(Box::new(s)), e)
        }
        Some(Step::DeepSyncCredentials) => {
            let (s, e) = DeepSyncScreen::open(row);
            (StepScreen::Deep(Box::new(s)), e)
        }
        _ => return Vec::new(),
    };
    app.step_screen = Some(screen);
    app.status = None;
    effects.into_iter().map(Effect::Step).collect()
}

/// The open team's name while its step 3 is selected.
fn export_step_team(app: &App) -> Option<String> {
    match &app.screen {
        Screen::Team { name, step } if Step::ALL.get(*step) == Some(&Step::HistoricalExport) => {
            Some(name.clone())
        }
        _ => None,
    }
}

/// Step 3 keys; `None` when the key is not a step 3 key (or step 3 is not selected).
fn export_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Option<Vec<Effect>> {
    let team = export_step_team(app)?;
    let panel = app.export.as_mut().filter(|p| p.team == team)?;
    if let Some(form) = panel.form.as_mut() {
        // The connection form takes every key while open.
        let command = form.key(key).unwrap_or(PanelCommand::None);
        return Some(match command {
            PanelCommand::CloseForm => {
                panel.form = None;
                Vec::new()
            }
            PanelCommand::SaveConnection(input) => vec![Effect::SaveSftp { team, input }],
            _ => Vec::new(),
        });
    }
    let command = match action? {
        Action::Connection => {
            panel.open_form();
            PanelCommand::None
        }
        Action::Fetch => panel.fetch(),
        Action::Yes => panel.answer(true),
        Action::No => panel.answer(false),
        Action::Import => panel.import(),
        Action::Handoff => PanelCommand::Handoff,
        Action::Quarantine => {
            panel.toggle_quarantine();
            PanelCommand::None
        }
        Action::Up | Action::Down if panel.quarantine.is_some() => {
            panel.scroll(action == Some(Action::Down));
            PanelCommand::None
        }
        _ => return None,
    };
    Some(match command {
        PanelCommand::Fetch => vec![Effect::QueueExport {
            team,
            kind: crate::export::FETCH_JOB,
        }],
        PanelCommand::Import => vec![Effect::QueueExport {
            team,
            kind: crate::export::IMPORT_JOB,
        }],
        PanelCommand::ProbeHostKey => vec![Effect::ProbeHostKey(team)],
        PanelCommand::Pin(key_type, fingerprint) => vec![Effect::PinHostKey {
            team,
            key_type,
            fingerprint,
        }],
        PanelCommand::Handoff => vec![Effect::Handoff(team)],
        PanelCommand::SaveConnection(input) => vec![Effect::SaveSftp { team, input }],
        PanelCommand::CloseForm | PanelCommand::None => Vec::new(),
    })
}

fn team_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    if let Some(effects) = export_key(app, key, action) {
        return effects;
    }
    let mut effects = team_nav_key(app, action);
    // Landing on step 3 loads its view.
    if let Some(team) = export_step_team(app)
        && app.export.as_ref().is_none_or(|p| p.team != team)
    {
        effects.push(Effect::LoadExport(team));
    }
    effects
}

fn team_nav_key(app: &mut App, action: Option<Action>) -> Vec<Effect> {
    if action == Some(Action::Open)
        && let Screen::Team { step, .. } = app.screen
        && matches!(
            Step::ALL.get(step),
            Some(Step::BasicSync | Step::DeepSyncCredentials)
        )
    {
        return open_step_screen(app, step);
    }
    let Screen::Team { step, .. } = &mut app.screen else {
        return Vec::new();
    };
    match action {
        Some(Action::Quit) => {
            app.quit = true;
            vec![Effect::Quit]
        }
        Some(Action::Help) => {
            app.help = true;
            Vec::new()
        }
        Some(Action::Back) => {
            app.screen = Screen::Home;
            app.export = None;
            Vec::new()
        }
        Some(Action::Up) => {
            *step = step.saturating_sub(1);
            Vec::new()
        }
        Some(Action::Down) => {
            *step = (*step + 1).min(Step::ALL.len() - 1);
            Vec::new()
        }
        Some(Action::Refresh) => vec![Effect::LoadTeams],
        Some(Action::Open) if Step::ALL.get(*step) == Some(&Step::FieldMapping) => {
            open_field_mapping(app)
        }
        _ => Vec::new(),
    }
}
