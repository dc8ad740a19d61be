//! The console as a pure state machine and as pictures: update() driven by keys, and insta
//! snapshots of every screen rendered on a TestBackend at fixed sizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use icims_onboard::onboarding::{
    self, Approval, ExportOutcome, OnboardingFacts, Stamped, TestOutcome,
};
use icims_onboard::store::{CredentialKind, CredentialParams, CredentialSummary, Region, Team};
use icims_onboard::tui::app::{App, Effect, Msg, Screen, TeamRow, update};
use icims_onboard::tui::render::render;
use icims_onboard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const AT: &str = "2026-11-20T10:00:00Z";

fn team(id: i64, name: &str, customer_id: u64, region: Region) -> Team {
    Team {
        id,
        name: name.into(),
        customer_id,
        region,
        api_base_override: None,
        token_url_override: None,
        datastream_base_override: None,
        created_at: AT.into(),
    }
}

fn stamp<T>(value: T) -> Stamped<T> {
    Stamped {
        value,
        actor: "alice".into(),
        at: AT.into(),
    }
}

fn cred(kind: CredentialKind, params: CredentialParams) -> CredentialSummary {
    CredentialSummary {
        kind,
        params,
        updated_at: "2026-11-19T09:00:00Z".into(),
        updated_by: "alice".into(),
    }
}

fn row(team: Team, facts: OnboardingFacts, credentials: Vec<CredentialSummary>) -> TeamRow {
    TeamRow {
        steps: onboarding::derive(&facts),
        sync_enabled: facts.sync_enabled,
        credentials,
        team,
    }
}

/// Three teams at different points of the runbook.
fn teams() -> Vec<TeamRow> {
    let basic = cred(
        CredentialKind::Basic,
        CredentialParams {
            username: Some("gem-api".into()),
            ..Default::default()
        },
    );
    // Acme: basic sync done, deep credentials failing, export imported.
    let mut acme = OnboardingFacts::default();
    acme.credentials
        .insert(CredentialKind::Basic, "2026-11-19T09:00:00Z".into());
    acme.credentials
        .insert(CredentialKind::Rest, "2026-11-19T09:00:00Z".into());
    acme.basic_test = Some(stamp(TestOutcome {
        ok: true,
        summary: "authenticated as gem-api".into(),
        ..Default::default()
    }));
    acme.sync_enabled = true;
    acme.preflight = Some(stamp(TestOutcome {
        ok: false,
        summary: "people search: 404 errorCode 3 (access denied)".into(),
        failed: vec!["people search".into()],
        warnings: 0,
    }));
    acme.export = Some(stamp(ExportOutcome {
        files: 3,
        rows: 48_213,
        bad_rows: 4,
        cutoff: Some("2026-11-01 11:59 PM".into()),
        statuses: 17,
    }));
    let rest = cred(
        CredentialKind::Rest,
        CredentialParams {
            client_id: Some("acme-client".into()),
            ..Default::default()
        },
    );
    // Globex (EU): nothing yet.
    let globex = OnboardingFacts::default();
    // Initech: ready for deep sync.
    let mut initech = OnboardingFacts::default();
    for k in CredentialKind::ALL {
        initech.credentials.insert(k, "2026-11-19T09:00:00Z".into());
    }
    initech.basic_test = Some(stamp(TestOutcome {
        ok: true,
        summary: "ok".into(),
        ..Default::default()
    }));
    initech.sync_enabled = true;
    initech.preflight = Some(stamp(TestOutcome {
        ok: true,
        summary: "ok".into(),
        failed: vec![],
        warnings: 2,
    }));
    initech.export = Some(stamp(ExportOutcome {
        files: 3,
        rows: 9_000,
        bad_rows: 0,
        cutoff: None,
        statuses: 9,
    }));
    initech.field_mapping_approved = Some(stamp(Approval::default()));
    vec![
        row(
            team(1, "Acme Corp", 1234, Region::Us),
            acme,
            vec![basic.clone(), rest],
        ),
        row(team(2, "Globex", 5978, Region::Eu), globex, vec![]),
        row(team(3, "Initech", 7609, Region::Us), initech, vec![basic]),
    ]
}

fn app_with(teams: Vec<TeamRow>, size: (u16, u16)) -> App {
    let mut app = App::new("/data/icims-onboard.db", size);
    update(&mut app, Msg::TeamsLoaded(teams));
    app
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    update(app, key(code))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, key(KeyCode::Char(c)));
    }
}

fn draw(app: &App, theme: &Theme) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| render(f, app, theme)).unwrap();
    terminal
}

macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let terminal = draw(&$app, &Theme::dark());
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[time]"),
            (r"/(tmp|data)/[^ │]*", "[path]"),
        ]}, {
            insta::assert_snapshot!($name, terminal.backend());
        });
    }};
}

#[test]
fn home_empty() {
    let app = app_with(vec![], (80, 24));
    snap!("home_empty", app);
}

#[test]
fn home_several_teams() {
    let app = app_with(teams(), (80, 24));
    snap!("home_several_teams", app);
}

#[test]
fn home_filtered() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "glo");
    assert_eq!(app.visible_teams().len(), 1);
    snap!("home_filtered", app);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.visible_teams().len(), 3, "Esc clears the filter");
}

#[test]
fn team_screen_80x24() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Enter);
    assert_eq!(
        app.screen,
        Screen::Team {
            name: "Acme Corp".into(),
            step: 1
        },
        "opens on the first step that is not done"
    );
    snap!("team_80x24", app);
}

#[test]
fn team_screen_120x40_locked_step() {
    let mut app = app_with(teams(), (120, 40));
    press(&mut app, KeyCode::Enter);
    for _ in 0..3 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(
        app.screen,
        Screen::Team {
            name: "Acme Corp".into(),
            step: 4
        }
    );
    snap!("team_120x40", app);
}

#[test]
fn help_overlay() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    snap!("help_home", app);
    press(&mut app, KeyCode::Esc);
    assert!(!app.help);
    assert!(!app.quit, "Esc closes the help, it does not quit");
}

#[test]
fn too_small() {
    let app = app_with(teams(), (60, 20));
    snap!("too_small", app);
}

#[test]
fn new_team_form_with_error() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Hooli");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "12x");
    let effects = press(&mut app, KeyCode::Enter);
    assert!(effects.is_empty(), "an invalid form creates nothing");
    snap!("new_team_error", app);
}

#[test]
fn mono_theme() {
    let app = app_with(teams(), (80, 24));
    let terminal = draw(&app, &Theme::mono());
    let buffer = terminal.backend().buffer();
    // No colour anywhere: every cell uses the terminal's default colours.
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset);
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    insta::assert_debug_snapshot!("home_mono", buffer);
}

#[test]
fn form_submit_creates_and_selects_the_team() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Char('n'));
    type_text(&mut app, "Hooli");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "42");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Char(' '));
    let effects = press(&mut app, KeyCode::Enter);
    let [Effect::CreateTeam(new)] = effects.as_slice() else {
        panic!("expected one CreateTeam effect, got {effects:?}");
    };
    assert_eq!(
        (new.name.as_str(), new.customer_id, new.region),
        ("Hooli", 42, Some(Region::Eu))
    );
    let effects = update(&mut app, Msg::TeamCreated(Ok("Hooli".into())));
    assert_eq!(effects, vec![Effect::LoadTeams]);
    assert!(app.form.is_none());
    assert_eq!(app.visible_teams()[app.selected].team.name, "Hooli");
}

#[test]
fn duplicate_name_keeps_the_form_open_with_the_reason() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Char('n'));
    update(
        &mut app,
        Msg::TeamCreated(Err("a team named \"Globex\" already exists".into())),
    );
    let form = app.form.as_ref().expect("form stays open");
    assert!(form.error.as_deref().unwrap().contains("already exists"));
}

#[test]
fn quit_keys_and_back() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Home);
    assert_eq!(press(&mut app, KeyCode::Char('q')), vec![Effect::Quit]);
    assert!(app.quit);
}

#[test]
fn render_only_when_something_changed() {
    let mut app = app_with(teams(), (80, 24));
    app.dirty = false;
    update(&mut app, Msg::TeamsLoaded(teams()));
    assert!(!app.dirty, "the same snapshot again changes nothing");
    update(&mut app, Msg::Resize(100, 30));
    assert!(app.dirty);
}

#[test]
fn new_team_screen_fits_every_step_at_80x24() {
    let fresh = row(
        team(9, "Fresh", 1, Region::Us),
        OnboardingFacts::default(),
        vec![],
    );
    let mut app = app_with(vec![fresh], (80, 24));
    press(&mut app, KeyCode::Enter);
    let terminal = draw(&app, &Theme::dark());
    let screen = format!("{}", terminal.backend());
    for step in icims_onboard::onboarding::Step::ALL {
        assert!(
            screen.contains(step.title()),
            "{} missing:\n{screen}",
            step.title()
        );
    }
    snap!("team_new_80x24", app);
}

#[test]
fn keys_are_ignored_while_the_terminal_is_too_small() {
    let mut app = app_with(teams(), (60, 20));
    for code in [
        KeyCode::Enter,
        KeyCode::Char('n'),
        KeyCode::Char('/'),
        KeyCode::Down,
        KeyCode::Char('?'),
        KeyCode::Esc,
    ] {
        assert!(press(&mut app, code).is_empty(), "{code:?} acted");
    }
    assert_eq!(app.screen, Screen::Home);
    assert!(app.form.is_none() && !app.filtering && !app.help);
    assert_eq!(app.selected, 0);
    // Resized, the same keys act again.
    update(&mut app, Msg::Resize(80, 24));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.screen, Screen::Team { .. }));
    // q still quits from the small screen.
    update(&mut app, Msg::Resize(60, 20));
    assert_eq!(press(&mut app, KeyCode::Char('q')), vec![Effect::Quit]);
}

#[test]
fn esc_clears_the_filter_before_anything_else() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "glo");
    press(&mut app, KeyCode::Enter);
    assert!(!app.filtering);
    assert_eq!(app.visible_teams().len(), 1);
    // Esc on the home screen with a filter kept: clears it, does not quit.
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.visible_teams().len(), 3);
    assert!(!app.quit);
    // Without a filter Esc does nothing at home (q quits).
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert!(!app.quit);
}

#[test]
fn lists_page_and_jump_and_show_the_position() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::End);
    assert_eq!(app.selected, 2);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.selected, 0);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.selected, 2);
    let screen = format!("{}", draw(&app, &Theme::dark()).backend());
    assert!(screen.contains("Teams (3) 3/3"), "{screen}");
}

#[test]
fn the_footer_keeps_help_and_back_next_to_a_long_status() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Enter);
    update(&mut app, Msg::Failed("x".repeat(200)));
    let screen = format!("{}", draw(&app, &Theme::dark()).backend());
    let footer = screen.lines().last().unwrap_or_default().to_string();
    assert!(footer.contains("? F1 help"), "{footer}");
    assert!(footer.contains("Esc back"), "{footer}");
    assert!(
        footer.contains('…'),
        "the status is cut, not the hints: {footer}"
    );
}

#[test]
fn every_step_opens_a_page_from_the_team_screen() {
    let mut app = app_with(teams(), (80, 24));
    press(&mut app, KeyCode::Enter);
    for step in 0..6 {
        app.screen = Screen::Team {
            name: "Acme Corp".into(),
            step,
        };
        press(&mut app, KeyCode::Enter);
        let page = app.step_page().expect("every step has a page");
        assert_eq!(page.step(), icims_onboard::onboarding::Step::ALL[step]);
        press(&mut app, KeyCode::Esc);
        assert!(app.page.is_none());
    }
}

#[test]
fn the_readme_lists_every_pages_keys_from_the_key_tables() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- keys:begin -->\n", "<!-- keys:end -->");
    let expected = icims_onboard::tui::keymap::markdown();
    let (Some(a), Some(b)) = (readme.find(begin), readme.find(end)) else {
        panic!("README.md has no {begin:?}…{end:?} block");
    };
    let shown = &readme[a + begin.len()..b];
    if shown != expected {
        // Locally: ICIMS_ONBOARD_WRITE_README=1 cargo test --test console readme (never in CI).
        if std::env::var_os("ICIMS_ONBOARD_WRITE_README").is_some()
            && std::env::var_os("CI").is_none()
        {
            let updated = format!("{}{expected}{}", &readme[..a + begin.len()], &readme[b..]);
            std::fs::write(&path, updated).unwrap();
        }
        panic!("the README's key tables differ from keymap.rs; expected:\n{expected}");
    }
}

#[test]
fn urls_are_not_broken_mid_port_at_80x24() {
    let mut acme = teams().remove(0);
    acme.team.api_base_override = Some("http://127.0.0.1:38195".into());
    acme.team.token_url_override = Some("http://127.0.0.1:38195/oauth/token".into());
    let mut app = app_with(vec![acme], (80, 24));
    press(&mut app, KeyCode::Enter);
    app.screen = Screen::Team {
        name: "Acme Corp".into(),
        step: 0,
    };
    let screen = format!("{}", draw(&app, &Theme::dark()).backend());
    assert!(screen.contains("http://127.0.0.1:38195"), "{screen}");
    app.screen = Screen::Team {
        name: "Acme Corp".into(),
        step: 1,
    };
    let screen = format!("{}", draw(&app, &Theme::dark()).backend());
    assert!(
        screen.contains("http://127.0.0.1:38195/oauth/token"),
        "{screen}"
    );
}

#[test]
fn a_status_cut_in_the_footer_is_shown_in_full_in_the_help() {
    let mut app = app_with(teams(), (80, 24));
    let long = format!("could not start a worker: {} END", "x ".repeat(60));
    update(&mut app, Msg::Failed(long));
    press(&mut app, KeyCode::Char('?'));
    let screen = format!("{}", draw(&app, &Theme::dark()).backend());
    assert!(
        screen.contains("Last message: could not start a worker"),
        "{screen}"
    );
    assert!(screen.contains("END"), "the whole message: {screen}");
}
