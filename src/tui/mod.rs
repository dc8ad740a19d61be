//! The console: a thin face over the library. The driver here owns the terminal and the
//! store, feeds one message queue into the pure [`app::update`], runs the effects it
//! returns, and draws only when the state changed.

pub mod app;
pub mod drivers;
pub mod keymap;
pub mod model;
pub mod pages;
pub mod render;
pub mod screens;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod widgets;

use std::collections::VecDeque;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use color_eyre::Result;
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, MouseEventKind};
use futures::StreamExt;

use crate::onboarding::{self, OnboardingFacts};
use crate::store::{Actor, Store, StoreError};
use app::{App, Effect, Msg};
use model::TeamRow;
use pages::Reply;

/// How often the console re-reads the store (to follow background jobs).
const REFRESH: Duration = Duration::from_secs(2);
/// How often a page with work in flight re-reads its progress.
const POLL: Duration = Duration::from_millis(250);

/// Opens the store at `db_path` and runs the console until the user quits.
pub fn run(db_path: &Path) -> Result<ExitCode> {
    // Open before touching the terminal, so a bad database is a plain one-line error.
    let store = Store::open(db_path)?;
    // A deep sync whose worker was killed resumes on a new detached worker.
    if let Err(e) = crate::sync::control::ensure_running(&store, &crate::paths::log_file_path()) {
        tracing::warn!(error = %e, "could not restart the sync worker");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run_loop(store))
}

/// Reads every team with its derived step states.
pub fn load_teams(store: &Store) -> Result<Vec<TeamRow>, StoreError> {
    let mut rows = Vec::new();
    for team in store.teams()? {
        let facts = OnboardingFacts::load(store, &team)?;
        rows.push(TeamRow {
            steps: onboarding::derive(&facts),
            credentials: store.credential_summaries(&team)?,
            sync_enabled: facts.sync_enabled,
            team,
        });
    }
    Ok(rows)
}

/// Runs one effect against the store; the reply goes back on the queue. Background work
/// replies later through `bg`.
fn run_effect(
    store: &Store,
    actor: &Actor,
    effect: Effect,
    bg: &tokio::sync::mpsc::UnboundedSender<Reply>,
    later: &tokio::sync::mpsc::UnboundedSender<Msg>,
) -> Option<Msg> {
    match effect {
        Effect::EditTeam { team_id, edit } => {
            Some(drivers::team::edit(store, actor, team_id, &edit))
        }
        Effect::PlanRemoval(team_id) => Some(drivers::team::plan(store, team_id)),
        Effect::RemoveTeam(team_id) => {
            drivers::team::remove(store, actor, team_id, later);
            None
        }
        Effect::LoadHistory(team_id) => Some(drivers::team::history(store, team_id)),
        Effect::Page(tag, work) => drivers::run(store, actor, tag, work, bg).map(Msg::Reply),
        Effect::Quit => None,
        Effect::LoadTeams => Some(match load_teams(store) {
            Ok(teams) => Msg::TeamsLoaded(teams),
            Err(e) => Msg::Failed(e.to_string()),
        }),
        Effect::CreateTeam(new) => Some(Msg::TeamCreated(
            store
                .add_team(&new, actor)
                .map(|t| t.name)
                .map_err(|e| e.to_string()),
        )),
    }
}

async fn run_loop(store: Store) -> Result<ExitCode> {
    let mouse = std::env::var_os("ICIMS_ONBOARD_MOUSE").is_some();
    let mut tui = terminal::Tui::enter(mouse)?;
    let size = tui.terminal.size()?;
    let label = store.path().display().to_string();
    let mut app = App::new(label, (size.width, size.height));
    let theme = theme::Theme::from_env();
    let actor = Actor::from_env();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut poll = tokio::time::interval(POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

    let (bg_tx, mut bg_rx) = tokio::sync::mpsc::unbounded_channel::<Reply>();
    // Team-screen work that finishes later (a removal) replies with a whole message.
    let (later_tx, mut later_rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let mut queue: VecDeque<Msg> = VecDeque::from([Msg::Tick]);
    loop {
        while let Some(msg) = queue.pop_front() {
            for effect in app::update(&mut app, msg) {
                if let Some(reply) = run_effect(&store, &actor, effect, &bg_tx, &later_tx) {
                    queue.push_back(reply);
                }
            }
        }
        if app.quit {
            break;
        }
        if app.dirty {
            // Held while drawing so output from other threads (OSC 52) never lands
            // inside a frame; the lock is re-entrant for the backend's own writes.
            let stdout = std::io::stdout();
            let _frame = stdout.lock();
            tui.terminal
                .draw(|frame| render::render(frame, &app, &theme))?;
            app.dirty = false;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) if key.kind == KeyEventKind::Press => Msg::Key(key),
                Some(Ok(Event::Resize(w, h))) => Msg::Resize(w, h),
                // With ICIMS_ONBOARD_MOUSE set, the wheel moves the selection like ↑/↓.
                Some(Ok(Event::Mouse(m))) => match m.kind {
                    MouseEventKind::ScrollUp => Msg::Key(KeyEvent::from(KeyCode::Up)),
                    MouseEventKind::ScrollDown => Msg::Key(KeyEvent::from(KeyCode::Down)),
                    _ => continue,
                },
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            _ = tick.tick() => Msg::Tick,
            _ = poll.tick() => Msg::Poll,
            Some(reply) = bg_rx.recv() => Msg::Reply(reply),
            Some(msg) = later_rx.recv() => msg,
        };
        queue.push_back(msg);
    }
    drop(tui);
    Ok(ExitCode::SUCCESS)
}
