//! The console's state machine: [`App`] holds the teams, the screen (home or a team), the
//! one open step page and the overlays (new-team form, help); [`Msg`] is the one queue of
//! inputs (keys, resize, ticks, replies); [`update`] is synchronous, does no I/O and
//! returns [`Effect`]s for the driver. Keys go through one path: too-small and help
//! first, then the key table of the current context, then whoever owns that context.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::{self, Action, Availability, Command, Context};
use super::pages::contract::PageOut;
use super::pages::{Reply, ReplyBody, StepPage, Tag, Work, orphan};
use super::screens::new_team::NewTeamForm;
use super::screens::remove_team::{ConfirmCommand, RemoveConfirm};
use super::screens::team_history::{HistoryCommand, HistoryView};
use crate::onboarding::{Step, StepState, StepStatus};
use crate::store::audit::AuditEntry;
use crate::store::{NewTeam, Team, TeamEdit};
use crate::teams::RemovalPlan;

pub use super::model::{MIN_HEIGHT, MIN_WIDTH, Status, TeamRow};

/// Which screen is under the page and overlays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Home,
    Team { name: String, step: usize },
}

/// The open step page and the tag its requests carry.
#[derive(Debug)]
pub struct OpenPage {
    pub tag: Tag,
    pub page: StepPage,
}

/// Everything the console shows.
pub struct App {
    pub teams: Vec<TeamRow>,
    pub screen: Screen,
    pub selected: usize,
    pub filter: String,
    pub filtering: bool,
    /// The new-team form over the home screen, or the same form editing the open team
    /// over the team screen.
    pub form: Option<NewTeamForm>,
    /// The remove-team confirmation, over the team screen.
    pub remove: Option<RemoveConfirm>,
    /// The team's history, over the team screen.
    pub history: Option<HistoryView>,
    /// The one open step page, over the team screen.
    pub page: Option<OpenPage>,
    pub help: bool,
    pub size: (u16, u16),
    pub status: Option<Status>,
    pub db_label: String,
    pub quit: bool,
    /// Set when the state changed since the last frame.
    pub dirty: bool,
    /// The last page instance / request id handed out.
    serial: u64,
    /// The status says why the last key could not act: the next key clears it.
    key_reason: bool,
}

/// Inputs to [`update`].
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The store refresh (every 2 s).
    Tick,
    /// The fast tick (every 250 ms): pages with work in flight re-read its progress.
    Poll,
    TeamsLoaded(Vec<TeamRow>),
    TeamCreated(Result<String, String>),
    Failed(String),
    /// A reply of a page's work, tagged with the request it answers.
    Reply(Reply),
    /// The team's settings were saved: its (possibly new) name and a one-line summary
    /// of what changed and which steps that reopened.
    TeamEdited(Result<(String, String), String>),
    /// What removing the team with this id would delete.
    RemovalPlanned(i64, Result<RemovalPlan, String>),
    /// The team with this id was removed (a one-line summary), or why not.
    TeamRemoved(i64, Result<String, String>),
    /// The audit entries of the team with this id, newest first.
    HistoryLoaded(i64, Result<Vec<AuditEntry>, String>),
}

/// Work for the driver.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    LoadTeams,
    CreateTeam(NewTeam),
    /// A page's work, for its driver.
    Page(Tag, Work),
    /// Save the edited settings of a team (by id).
    EditTeam {
        team_id: i64,
        edit: TeamEdit,
    },
    /// Count what removing a team would delete.
    PlanRemoval(i64),
    /// Remove a team and everything stored for it (off the console thread).
    RemoveTeam(i64),
    /// Read a team's audit entries.
    LoadHistory(i64),
    Quit,
}

impl Effect {
    /// The page work of an effect, if it is one.
    pub fn work(&self) -> Option<&Work> {
        match self {
            Effect::Page(_, w) => Some(w),
            _ => None,
        }
    }
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
            remove: None,
            history: None,
            page: None,
            help: false,
            size,
            status: None,
            db_label: db_label.into(),
            quit: false,
            dirty: true,
            serial: 0,
            key_reason: false,
        }
    }

    /// The keyboard context in effect (the help overlay's when it is open).
    pub fn context(&self) -> Context {
        if self.help {
            Context::Help
        } else {
            self.context_under()
        }
    }

    /// The context of what is under the help overlay: the one help describes.
    pub fn context_under(&self) -> Context {
        if let Some(form) = &self.form {
            if form.editing.is_some() {
                Context::EditTeam
            } else {
                Context::NewTeam
            }
        } else if self.remove.is_some() {
            Context::RemoveTeam
        } else if let Some(history) = &self.history {
            history.context()
        } else if let Some(open) = &self.page {
            open.page.context()
        } else if self.filtering {
            Context::Filter
        } else {
            match self.screen {
                Screen::Home => Context::Home,
                Screen::Team { .. } => Context::Team,
            }
        }
    }

    /// Whether an action of the current context can act now, and if not, why.
    pub fn availability(&self, action: Action) -> Availability {
        if self.form.is_some() || self.filtering || self.remove.is_some() {
            return Availability::Enabled;
        }
        if let Some(history) = &self.history {
            return match action {
                Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
                    if history.visible().len() < 2 =>
                {
                    Availability::Hidden
                }
                _ => Availability::Enabled,
            };
        }
        if let Some(open) = &self.page {
            return open.page.availability(action);
        }
        match (&self.screen, action) {
            // At home Esc only clears a filter; it never quits by accident.
            (Screen::Home, Action::Back) if self.filter.is_empty() => Availability::Hidden,
            (Screen::Home, Action::Open) if self.visible_teams().is_empty() => {
                Availability::Disabled("no team to open: press n to create one".into())
            }
            (Screen::Home, Action::Up | Action::Down | Action::PageUp | Action::PageDown)
            | (Screen::Home, Action::Top | Action::Bottom)
                if self.visible_teams().len() < 2 =>
            {
                Availability::Hidden
            }
            (
                Screen::Team { .. },
                Action::Open | Action::EditTeam | Action::RemoveTeam | Action::History,
            ) if self.open_team().is_none() => {
                Availability::Disabled("this team no longer exists".into())
            }
            _ => Availability::Enabled,
        }
    }

    /// The commands of the context under the help overlay, with their availability: what
    /// help and footer list.
    pub fn commands(&self) -> Vec<Command> {
        keymap::commands(self.context_under(), |a| self.availability(a))
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

    /// The open page, if any.
    pub fn step_page(&self) -> Option<&StepPage> {
        self.page.as_ref().map(|o| &o.page)
    }

    /// A reply addressed to the open page (tests use it to play a driver's part).
    pub fn reply_to_page(&self, body: ReplyBody) -> Option<Msg> {
        let tag = self.page.as_ref()?.tag;
        Some(Msg::Reply(Reply { tag, body }))
    }

    /// Shows `page` on the team screen's team as if opened there (tests and benchmarks
    /// build a page's state directly).
    pub fn show_page(&mut self, page: StepPage) {
        let team_id = self.open_team().map(|r| r.team.id).unwrap_or(-1);
        let serial = self.next_serial();
        let tag = Tag {
            team_id,
            step: page.step(),
            page: serial,
            request: serial,
        };
        self.page = Some(OpenPage { tag, page });
        self.dirty = true;
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// Opens the page of `step` on the team screen's team.
    fn open_page(&mut self, step: Step) -> Vec<Effect> {
        let Some(row) = self.open_team() else {
            return Vec::new();
        };
        let team_id = row.team.id;
        let (mut page, outs) = StepPage::open(step, row);
        page.resize(self.size);
        let serial = self.next_serial();
        let tag = Tag {
            team_id,
            step,
            page: serial,
            request: serial,
        };
        self.page = Some(OpenPage { tag, page });
        self.status = None;
        self.apply(tag, outs)
    }

    /// Turns page outputs into effects (work tagged with a fresh request id).
    fn apply(&mut self, tag: Tag, outs: Vec<PageOut<Work>>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for out in outs {
            match out {
                PageOut::Work(w) => {
                    let request = self.next_serial();
                    effects.push(Effect::Page(Tag { request, ..tag }, w));
                }
                PageOut::Close => {
                    if self.page.as_ref().is_some_and(|o| o.tag.same_page(&tag)) {
                        self.page = None;
                        self.status = None;
                        if !effects.contains(&Effect::LoadTeams) {
                            effects.push(Effect::LoadTeams);
                        }
                    }
                }
                PageOut::Reload => {
                    if !effects.contains(&Effect::LoadTeams) {
                        effects.push(Effect::LoadTeams);
                    }
                }
                PageOut::Status(s) => self.status = Some(s),
                PageOut::Unchanged => {}
            }
        }
        effects
    }
}

/// Applies one message; returns the effects to run. No I/O here.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Resize(w, h) => {
            app.size = (w, h);
            if let Some(open) = app.page.as_mut() {
                open.page.resize((w, h));
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::Tick => vec![Effect::LoadTeams],
        Msg::Poll => match app
            .page
            .as_ref()
            .and_then(|o| o.page.poll().map(|w| (o.tag, w)))
        {
            Some((tag, w)) => app.apply(tag, vec![PageOut::Work(w)]),
            None => Vec::new(),
        },
        Msg::Reply(reply) => {
            let Reply { tag, body } = reply;
            let outs = match app.page.as_mut() {
                Some(open) if tag.same_page(&open.tag) => open.page.on_reply(body),
                _ => orphan(body),
            };
            if !outs.iter().all(|o| *o == PageOut::Unchanged) || outs.is_empty() {
                app.dirty = true;
            }
            let open_tag = app.page.as_ref().map(|o| o.tag);
            match open_tag {
                Some(open) if tag.same_page(&open) => app.apply(open, outs),
                // An orphan's follow-up work keeps its own tag (and stays an orphan).
                _ => app.apply(tag, outs),
            }
        }
        Msg::TeamsLoaded(teams) => {
            let changed = teams != app.teams;
            if changed {
                app.teams = teams;
                clamp_selection(app);
                app.dirty = true;
            }
            let refreshed = app.page.as_mut().and_then(|open| {
                let row = app.teams.iter().find(|t| t.team.id == open.tag.team_id)?;
                Some((open.tag, open.page.refresh(row)))
            });
            match refreshed {
                Some((tag, outs)) => {
                    if changed && !outs.is_empty() {
                        app.dirty = true;
                    }
                    app.apply(tag, outs)
                }
                None => Vec::new(),
            }
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
        Msg::Key(key) => on_key(app, key),
        Msg::TeamEdited(result) => {
            app.dirty = true;
            match result {
                Ok((name, summary)) => {
                    app.form = None;
                    // The team screen follows a rename.
                    if let Screen::Team { name: open, .. } = &mut app.screen {
                        *open = name;
                    }
                    app.status = Some(Status::Info(summary));
                    vec![Effect::LoadTeams]
                }
                Err(reason) => {
                    match app.form.as_mut() {
                        Some(form) => form.error = Some(reason),
                        None => app.status = Some(Status::Error(reason)),
                    }
                    Vec::new()
                }
            }
        }
        Msg::RemovalPlanned(team_id, result) => {
            let open_id = app.open_team().map(|r| r.team.id);
            if let Some(dialog) = app.remove.as_mut().filter(|_| open_id == Some(team_id)) {
                app.dirty = true;
                match result {
                    Ok(plan) => dialog.plan = Some(plan),
                    Err(reason) => dialog.error = Some(reason),
                }
            }
            Vec::new()
        }
        Msg::TeamRemoved(_team_id, result) => {
            app.dirty = true;
            match result {
                Ok(summary) => {
                    app.remove = None;
                    app.history = None;
                    app.page = None;
                    app.screen = Screen::Home;
                    app.status = Some(Status::Info(summary));
                    vec![Effect::LoadTeams]
                }
                Err(reason) => {
                    match app.remove.as_mut() {
                        Some(dialog) => dialog.failed(reason),
                        None => app.status = Some(Status::Error(reason)),
                    }
                    Vec::new()
                }
            }
        }
        Msg::HistoryLoaded(team_id, result) => {
            let open_id = app.open_team().map(|r| r.team.id);
            if let Some(history) = app.history.as_mut().filter(|_| open_id == Some(team_id)) {
                app.dirty = true;
                match result {
                    Ok(entries) => history.loaded(entries),
                    Err(reason) => app.status = Some(Status::Error(reason)),
                }
            }
            Vec::new()
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

fn quit(app: &mut App) -> Vec<Effect> {
    app.quit = true;
    vec![Effect::Quit]
}

/// One path for every key: too small, interrupt, help, the context's table (a key that
/// cannot act says why), then whoever owns the context.
fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if keymap::is_interrupt(&key) {
        return quit(app);
    }
    if app.too_small() {
        // Nothing acts on screens the engineer cannot see; only q leaves.
        if key.code == KeyCode::Char('q') && key.modifiers == KeyModifiers::NONE {
            return quit(app);
        }
        return Vec::new();
    }
    app.dirty = true;
    if app.help {
        if keymap::lookup(Context::Help, key) == Some(Action::Back) {
            app.help = false;
        }
        return Vec::new();
    }
    if keymap::is_help_key(&key) {
        app.help = true;
        return Vec::new();
    }
    if std::mem::take(&mut app.key_reason) {
        app.status = None;
    }
    let ctx = app.context_under();
    let mut action = keymap::lookup(ctx, key);
    if let Some(a) = action {
        match app.availability(a) {
            Availability::Enabled => {}
            Availability::Disabled(why) => {
                app.status = Some(Status::Error(why));
                app.key_reason = true;
                return Vec::new();
            }
            Availability::Hidden => action = None,
        }
    }
    if action == Some(Action::Quit) {
        return quit(app);
    }
    if app.form.is_some() {
        return form_key(app, key, action);
    }
    if app.remove.is_some() {
        return remove_key(app, key, action);
    }
    if app.history.is_some() {
        return history_key(app, key, action);
    }
    if let Some(open) = app.page.as_mut() {
        let tag = open.tag;
        let outs = open.page.on_key(action, key);
        return app.apply(tag, outs);
    }
    match ctx {
        Context::Filter => filter_key(app, key, action),
        Context::Team => team_key(app, action),
        _ => home_key(app, action),
    }
}

fn form_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    match action {
        Some(Action::Back) => app.form = None,
        Some(Action::NextField) => form.focus_next(),
        Some(Action::PrevField) => form.focus_prev(),
        Some(Action::Toggle) if form.on_region() => form.toggle_region(),
        Some(Action::Submit) => match &form.editing {
            Some(team) => match form.validate_edit() {
                Ok(edit) => {
                    return vec![Effect::EditTeam {
                        team_id: team.id,
                        edit,
                    }];
                }
                Err(reason) => form.error = Some(reason),
            },
            None => match form.validate() {
                Ok(new_team) => return vec![Effect::CreateTeam(new_team)],
                Err(reason) => form.error = Some(reason),
            },
        },
        _ => form.input(key),
    }
    Vec::new()
}

fn filter_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    match action {
        Some(Action::Submit) => app.filtering = false,
        Some(Action::Back) => {
            app.filtering = false;
            app.filter.clear();
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

/// Moves a selection in a list of `n` rows by a list action.
fn moved(selected: usize, n: usize, page: usize, action: Action) -> usize {
    let last = n.saturating_sub(1);
    match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => (selected + page).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => selected,
    }
}

fn home_key(app: &mut App, action: Option<Action>) -> Vec<Effect> {
    let count = app.visible_teams().len();
    let page = (app.size.1 as usize).saturating_sub(6).max(1);
    match action {
        // Esc clears a filter before it leaves.
        Some(Action::Back) if !app.filter.is_empty() => {
            app.filter.clear();
            app.selected = 0;
            Vec::new()
        }
        Some(
            a @ (Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom),
        ) => {
            app.selected = moved(app.selected, count, page, a);
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
            Vec::new()
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
        .position(|s| s.state != StepState::Done)
        .unwrap_or(Step::ALL.len() - 1)
}

fn team_key(app: &mut App, action: Option<Action>) -> Vec<Effect> {
    let Screen::Team { step, .. } = &mut app.screen else {
        return Vec::new();
    };
    match action {
        Some(Action::Back) => {
            app.screen = Screen::Home;
            app.status = None;
            Vec::new()
        }
        Some(
            a @ (Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom),
        ) => {
            *step = moved(*step, Step::ALL.len(), Step::ALL.len(), a);
            Vec::new()
        }
        Some(Action::Refresh) => vec![Effect::LoadTeams],
        Some(Action::EditTeam) => {
            if let Some(row) = app.open_team() {
                app.form = Some(NewTeamForm::edit(&row.team));
                app.status = None;
            }
            Vec::new()
        }
        Some(Action::RemoveTeam) => match app.open_team().map(|r| (r.team.id, r.team.name.clone()))
        {
            Some((id, name)) => {
                app.remove = Some(RemoveConfirm::new(&name));
                app.status = None;
                vec![Effect::PlanRemoval(id)]
            }
            None => Vec::new(),
        },
        Some(Action::History) => match app.open_team().map(|r| (r.team.id, r.team.name.clone())) {
            Some((id, name)) => {
                let mut view = HistoryView::new(&name);
                view.page = history_page(app.size.1);
                app.history = Some(view);
                app.status = None;
                vec![Effect::LoadHistory(id)]
            }
            None => Vec::new(),
        },
        Some(Action::Open) => {
            let step = *step;
            match Step::ALL.get(step) {
                Some(s) => app.open_page(*s),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// Entry rows that fit in the history view at terminal height `h`.
fn history_page(h: u16) -> usize {
    (h as usize).saturating_sub(8).max(1)
}

fn remove_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    let open_id = app.open_team().map(|r| r.team.id);
    let Some(dialog) = app.remove.as_mut() else {
        return Vec::new();
    };
    match dialog.key(action, key) {
        ConfirmCommand::Cancel => {
            app.remove = None;
            Vec::new()
        }
        ConfirmCommand::Remove(_) => match open_id {
            Some(id) => vec![Effect::RemoveTeam(id)],
            None => {
                dialog.failed("this team no longer exists".into());
                Vec::new()
            }
        },
        ConfirmCommand::None => Vec::new(),
    }
}

fn history_key(app: &mut App, key: KeyEvent, action: Option<Action>) -> Vec<Effect> {
    let open_id = app.open_team().map(|r| r.team.id);
    let page = history_page(app.size.1);
    let Some(history) = app.history.as_mut() else {
        return Vec::new();
    };
    history.page = page;
    match history.key(action, key) {
        HistoryCommand::Close => {
            app.history = None;
            Vec::new()
        }
        HistoryCommand::Reload => open_id.map(Effect::LoadHistory).into_iter().collect(),
        HistoryCommand::None => Vec::new(),
    }
}
