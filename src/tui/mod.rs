//! The console: a thin face over the library. The driver here owns the terminal and the
//! store, feeds one message queue into the pure [`app::update`], runs the effects it
//! returns, and draws only when the state changed.

pub mod app;
pub mod keymap;
pub mod render;
pub mod screens;
mod step3;
pub mod step_driver;
pub mod sync_summary;
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
use app::{App, Effect, Msg, TeamRow};
use screens::field_mapping::{MappingEffect, MappingMsg};

/// How often the console re-reads the store (to follow background jobs).
const REFRESH: Duration = Duration::from_secs(2);

/// Opens the store at `db_path` and runs the console until the user quits.
pub fn run(db_path: &Path) -> Result<ExitCode> {
    // Open before touching the terminal, so a bad database is a plain one-line error.
    let store = Store::open(db_path)?;
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
/// (the step screens' tests) replies later through `bg`.
fn run_effect(
    store: &Store,
    actor: &Actor,
    effect: Effect,
    bg: &tokio::sync::mpsc::UnboundedSender<Msg>,
) -> Option<Msg> {
    match effect {
        Effect::Step(e) => step_driver::run(store, actor, e, bg),
        Effect::Quit => None,
        Effect::LoadTeams => Some(match load_teams(store) {
            Ok(teams) => Msg::TeamsLoaded(teams),
            Err(e) => Msg::Failed(e.to_string()),
        }),
        Effect::Mapping(effect) => Some(Msg::Mapping(mapping_effect(store, actor, effect))),
        Effect::CreateTeam(new) => Some(Msg::TeamCreated(
            store
                .add_team(&new, actor)
                .map(|t| t.name)
                .map_err(|e| e.to_string()),
        )),
        Effect::LoadExport(team) => Some(
            match store
                .team(&team)
                .map_err(|e| e.to_string())
                .and_then(|t| crate::export::view::load(store, &t).map_err(|e| e.to_string()))
            {
                Ok(view) => Msg::ExportLoaded(team, Box::new(view)),
                Err(e) => Msg::Failed(e),
            },
        ),
        Effect::ProbeHostKey(team) => match step3::probe_options(store, &team) {
            // The network part runs off the console thread; the reply comes through `bg`.
            Ok(options) => {
                let bg = bg.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = bg.send(Msg::HostKeyProbed(step3::probe(&options)));
                });
                None
            }
            Err(e) => Some(Msg::HostKeyProbed(Err(e))),
        },
        Effect::PinHostKey {
            team,
            key_type,
            fingerprint,
        } => Some(Msg::ExportNotice(step3::pin(
            store,
            actor,
            &team,
            &key_type,
            &fingerprint,
        ))),
        Effect::QueueExport { team, kind } => {
            Some(Msg::ExportNotice(step3::queue(store, &team, kind)))
        }
        Effect::Handoff(team) => Some(Msg::ExportNotice(step3::handoff(store, actor, &team))),
        Effect::SaveSftp { team, input } => {
            Some(Msg::ExportNotice(step3::save(store, actor, &team, input)))
        }
    }
}

/// Runs a field mapping effect; the reply is the reloaded mapping or the failure.
fn mapping_effect(store: &Store, actor: &Actor, effect: MappingEffect) -> MappingMsg {
    use crate::mapping::{Catalogue, storage};
    let catalogue = Catalogue::standard();
    let result = (|| -> Result<MappingMsg, String> {
        let team_name = match &effect {
            MappingEffect::Load { team }
            | MappingEffect::Discover { team }
            | MappingEffect::Save { team, .. }
            | MappingEffect::Approve { team } => team.clone(),
            MappingEffect::Close | MappingEffect::Quit => return Err("nothing to do".into()),
        };
        let team = store.team(&team_name).map_err(|e| e.to_string())?;
        match &effect {
            MappingEffect::Save { entries, .. } => {
                storage::save(store, &team, entries, &catalogue, actor)
                    .map_err(|e| e.to_string())?;
            }
            MappingEffect::Discover { .. } => {
                let mut fields = crate::mapping::discover::from_export_staging(store, &team)
                    .map_err(|e| e.to_string())?;
                if fields.is_empty() {
                    let dir = crate::paths::exports_dir(store.path(), &team.name);
                    if dir.is_dir() {
                        let files = crate::mapping::discover::export_files_in(&dir)
                            .map_err(|e| e.to_string())?;
                        fields = crate::mapping::discover::from_export_files(&files)
                            .map_err(|e| e.to_string())?;
                    }
                }
                if fields.is_empty() {
                    return Err(format!(
                        "no export imported for {} yet (step 3); nothing to discover",
                        team.name
                    ));
                }
                storage::refresh(store, &team, fields, &catalogue, actor)
                    .map_err(|e| e.to_string())?;
            }
            MappingEffect::Approve { .. } => {
                storage::approve(store, &team, &catalogue, None, actor)
                    .map_err(|e| e.to_string())?;
            }
            _ => {}
        }
        Ok(MappingMsg::Loaded {
            entries: storage::load(store, &team).map_err(|e| e.to_string())?,
            approval: storage::approval(store, &team).map_err(|e| e.to_string())?,
        })
    })();
    result.unwrap_or_else(MappingMsg::Failed)
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

    let (bg_tx, mut bg_rx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let mut queue: VecDeque<Msg> = VecDeque::from([Msg::Tick]);
    loop {
        while let Some(msg) = queue.pop_front() {
            for effect in app::update(&mut app, msg) {
                if let Some(reply) = run_effect(&store, &actor, effect, &bg_tx) {
                    queue.push_back(reply);
                }
            }
        }
        if app.quit {
            break;
        }
        if app.dirty {
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
            Some(msg) = bg_rx.recv() => msg,
        };
        queue.push_back(msg);
    }
    drop(tui);
    Ok(ExitCode::SUCCESS)
}
