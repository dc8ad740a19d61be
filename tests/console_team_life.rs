//! The team page over a team's life, as a pure state machine and as pictures: editing the
//! settings (the new-team form, same validation), removing with the name typed again, and
//! the history view of the team's audit entries — keys to effects, replies to state, and
//! insta snapshots on a TestBackend at fixed sizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use icims_onboard::onboarding::{self, OnboardingFacts};
use icims_onboard::store::audit::AuditEntry;
use icims_onboard::store::{Region, Team, TeamEdit};
use icims_onboard::teams::RemovalPlan;
use icims_onboard::tui::app::{App, Effect, Msg, Screen, TeamRow, update};
use icims_onboard::tui::keymap::Context;
use icims_onboard::tui::render::render;
use icims_onboard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn team(id: i64, name: &str, customer_id: u64, region: Region) -> Team {
    Team {
        id,
        name: name.into(),
        customer_id,
        region,
        api_base_override: Some("https://sandbox.example.test/api".into()),
        token_url_override: None,
        datastream_base_override: None,
        created_at: "2026-11-20T10:00:00Z".into(),
    }
}

fn rows() -> Vec<TeamRow> {
    [
        team(1, "Acme Corp", 1234, Region::Us),
        team(2, "Globex", 5978, Region::Eu),
    ]
    .into_iter()
    .map(|t| TeamRow {
        steps: onboarding::derive(&OnboardingFacts::default()),
        credentials: vec![],
        sync_enabled: false,
        team: t,
    })
    .collect()
}

fn app(size: (u16, u16)) -> App {
    let mut app = App::new("/data/icims-onboard.db", size);
    update(&mut app, Msg::TeamsLoaded(rows()));
    app
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => KeyModifiers::SHIFT,
        _ => KeyModifiers::NONE,
    };
    update(app, Msg::Key(KeyEvent::new(code, mods)))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// Opens the team at `index` on the home list.
fn open_team(app: &mut App, index: usize) {
    for _ in 0..index {
        press(app, KeyCode::Down);
    }
    press(app, KeyCode::Enter);
    assert!(matches!(app.screen, Screen::Team { .. }));
}

fn entries() -> Vec<AuditEntry> {
    let mk = |id: i64, action: &str, detail: Option<&str>| AuditEntry {
        id,
        at: format!("2026-11-20T09:{id:02}:00Z"),
        actor: if id % 3 == 0 { "bob" } else { "alice" }.into(),
        ssh_client: (id % 2 == 0).then(|| "203.0.113.9".to_string()),
        team: Some("Acme Corp".into()),
        action: action.into(),
        detail: detail.map(str::to_string),
    };
    let mut v = vec![
        mk(1, "team.add", Some("customer_id=1234 region=us")),
        mk(2, "creds.set", Some("kind=basic")),
        mk(3, "fact.basic.test.report", None),
        mk(4, "fact.basic.test", None),
        mk(5, "creds.set", Some("kind=rest")),
        mk(6, "creds.set", Some("kind=datastream")),
        mk(7, "fact.deep.preflight", None),
        mk(8, "creds.set", Some("kind=sftp")),
        mk(
            9,
            "sftp.host_key.pin",
            Some("sftp.acme.test:22 ssh-ed25519 SHA256:q1w2e3"),
        ),
        mk(
            10,
            "export.fetch.file",
            Some("people.csv 120034 bytes sha256 9f8e7d"),
        ),
        mk(
            11,
            "export.fetch.file",
            Some("jobs.csv 40211 bytes sha256 1a2b3c"),
        ),
        mk(12, "fact.export.imported", None),
        mk(13, "fact.mapping.fields", None),
        mk(14, "fact.mapping.fields.approved", None),
        mk(15, "team.set", Some("region, api_base, token_url")),
    ];
    v.reverse();
    v
}

fn plan() -> RemovalPlan {
    RemovalPlan {
        team_id: 2,
        name: "Globex".into(),
        tables: BTreeMap::from([
            ("audit".to_string(), 31),
            ("credentials".to_string(), 4),
            ("export_files".to_string(), 3),
            ("export_units".to_string(), 3),
            ("facts".to_string(), 9),
            ("field_mapping".to_string(), 34),
            ("jobs".to_string(), 2),
            ("sftp_host_keys".to_string(), 1),
        ]),
        staged_tables: 3,
        staged_rows: 48_213,
        open_jobs: 1,
        files: 4,
        bytes: 13_204_331,
        folder: None,
        other_files: vec![],
    }
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| render(f, app, &Theme::dark())).unwrap();
    terminal
}

macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let terminal = draw(&$app);
        // The times are fixed in the test data, so no filter is needed.
        insta::assert_snapshot!($name, terminal.backend());
    }};
}

#[test]
fn edit_settings_form_saves_through_an_effect_and_follows_a_rename() {
    let mut app = app((80, 24));
    open_team(&mut app, 0);
    assert!(press(&mut app, KeyCode::Char('s')).is_empty());
    assert_eq!(app.context(), Context::EditTeam);
    snap!("edit_team_80x24", app);

    // Same validation as a new team: a bad customer id is named, nothing is sent.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "x");
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    let error = app.form.as_ref().unwrap().error.clone().unwrap();
    assert!(error.starts_with("Customer ID"), "{error}");
    snap!("edit_team_error_80x24", app);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "4");

    // Region to EU, and a new name.
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    type_text(&mut app, " EU");
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        effects,
        [Effect::EditTeam {
            team_id: 1,
            edit: TeamEdit {
                name: Some("Acme Corp EU".into()),
                customer_id: Some(1234),
                region: Some(Region::Eu),
                api_base: Some(Some("https://sandbox.example.test/api".into())),
                token_url: Some(None),
                datastream_base: None,
            },
        }]
    );
    // A refusal from the store lands in the form.
    update(
        &mut app,
        Msg::TeamEdited(Err("a team named \"Acme Corp EU\" already exists".into())),
    );
    assert!(
        app.form
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("already exists")
    );
    // Saved: the form closes, the team screen follows the new name, the status says what
    // was reopened, and the teams are reloaded.
    let effects = update(
        &mut app,
        Msg::TeamEdited(Ok((
            "Acme Corp EU".into(),
            "updated Acme Corp EU: name Acme Corp → Acme Corp EU, region us → eu; no step changed state".into(),
        ))),
    );
    assert_eq!(effects, [Effect::LoadTeams]);
    assert!(app.form.is_none());
    assert_eq!(
        app.screen,
        Screen::Team {
            name: "Acme Corp EU".into(),
            step: 0
        }
    );
}

#[test]
fn remove_needs_the_name_typed_exactly() {
    let mut app = app((80, 24));
    open_team(&mut app, 1);
    assert_eq!(
        press(&mut app, KeyCode::Char('D')),
        [Effect::PlanRemoval(2)]
    );
    assert_eq!(app.context(), Context::RemoveTeam);
    update(&mut app, Msg::RemovalPlanned(2, Ok(plan())));
    type_text(&mut app, "globex");
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "wrong case removes nothing"
    );
    snap!("remove_team_mismatch_80x24", app);
    for _ in 0..6 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "Globex");
    snap!("remove_team_typed_80x24", app);
    assert_eq!(press(&mut app, KeyCode::Enter), [Effect::RemoveTeam(2)]);
    assert!(
        press(&mut app, KeyCode::Esc).is_empty(),
        "busy: keys wait for the reply"
    );
    // A held job: the dialog says why and stays.
    update(
        &mut app,
        Msg::TeamRemoved(
            2,
            Err("job 7 (export.import) of team \"Globex\" is still held by worker w".into()),
        ),
    );
    assert!(
        app.remove
            .as_ref()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .contains("still held")
    );
    assert_eq!(press(&mut app, KeyCode::Enter), [Effect::RemoveTeam(2)]);
    let effects = update(
        &mut app,
        Msg::TeamRemoved(2, Ok("removed team Globex: …".into())),
    );
    assert_eq!(effects, [Effect::LoadTeams]);
    assert!(app.remove.is_none());
    assert_eq!(app.screen, Screen::Home);

    // Esc cancels before anything happens.
    let mut app = app_at_team(1);
    press(&mut app, KeyCode::Char('D'));
    type_text(&mut app, "Glo");
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(app.remove.is_none());
}

fn app_at_team(index: usize) -> App {
    let mut app = app((80, 24));
    open_team(&mut app, index);
    app
}

#[test]
fn history_scrolls_and_filters_by_action() {
    let mut app = app((100, 30));
    open_team(&mut app, 0);
    assert_eq!(
        press(&mut app, KeyCode::Char('h')),
        [Effect::LoadHistory(1)]
    );
    assert_eq!(app.context(), Context::History);
    snap!("history_loading_100x30", app);
    update(&mut app, Msg::HistoryLoaded(1, Ok(entries())));
    snap!("history_100x30", app);
    // A longer history than the page: the selection scrolls the view and stays in it.
    let mut long = Vec::new();
    for round in 0..3 {
        long.extend(entries().into_iter().map(|mut e| {
            e.id += round * 100;
            e.at = e.at.replace("T09", &format!("T1{round}"));
            e
        }));
    }
    long.sort_by(|a, b| b.at.cmp(&a.at));
    press(&mut app, KeyCode::Char('r'));
    update(&mut app, Msg::HistoryLoaded(1, Ok(long)));
    for _ in 0..30 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.history.as_ref().unwrap().selected, 30);
    snap!("history_scrolled_100x30", app);
    press(&mut app, KeyCode::PageUp);
    assert!(app.history.as_ref().unwrap().selected < 30);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.history.as_ref().unwrap().selected, 44);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.history.as_ref().unwrap().selected, 0);
    // Filter by action.
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.context(), Context::HistoryFilter);
    type_text(&mut app, "creds");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.history.as_ref().unwrap().visible().len(), 12);
    snap!("history_filtered_100x30", app);
    assert_eq!(
        press(&mut app, KeyCode::Char('r')),
        [Effect::LoadHistory(1)]
    );
    // Esc leaves the history for the team screen.
    press(&mut app, KeyCode::Esc);
    assert!(app.history.is_none());
    assert_eq!(app.context(), Context::Team);
    // The help of the team screen lists the new keys.
    let labels: Vec<&str> = app.commands().iter().map(|c| c.binding.label).collect();
    for k in ["s", "h", "D"] {
        assert!(labels.contains(&k), "{k} missing from {labels:?}");
    }
}

#[test]
fn history_at_80x24_and_help_lists_its_keys() {
    let mut app = app((80, 24));
    open_team(&mut app, 0);
    press(&mut app, KeyCode::Char('h'));
    update(&mut app, Msg::HistoryLoaded(1, Ok(entries())));
    snap!("history_80x24", app);
    press(&mut app, KeyCode::Char('?'));
    snap!("history_help_80x24", app);
}
