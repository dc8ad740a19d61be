//! The step 3 panel of the console: keys → effects (fetch asks for the host key first,
//! pin only on `y`, import, quarantine browser, handoff) and insta snapshots of each state
//! (no connection, fingerprint to confirm, fetching, imported with summary, quarantine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use icims_onboard::export::fetch::FetchedFile;
use icims_onboard::export::summary::{FileEntry, QuarantineEntry};
use icims_onboard::export::view::{ExportView, JobProgressView, JobView, SourceView};
use icims_onboard::onboarding::{self, ExportOutcome, OnboardingFacts, Stamped};
use icims_onboard::sftp::HostKeyPin;
use icims_onboard::store::{
    CredentialKind, CredentialParams, CredentialSummary, JobState, Region, Team,
};
use icims_onboard::tui::app::{App, Effect, Msg, Screen, Status, TeamRow, update};
use icims_onboard::tui::pages::export::{ConnectionInput, ExportReply, ExportWork, HostKeyPrompt};
use icims_onboard::tui::pages::forms::Secret;
use icims_onboard::tui::pages::{ReplyBody, Work};
use icims_onboard::tui::render::render;
use icims_onboard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const AT: &str = "2026-11-20T10:00:00Z";
const FP: &str = "SHA256:fUqcMUyGq9/x0zgOUi6L3mKaIw/XNtJFpONcLa6j7oM";

fn acme(with_sftp: bool) -> TeamRow {
    acme_with(with_sftp, None)
}

fn acme_with(with_sftp: bool, imported: Option<ExportOutcome>) -> TeamRow {
    let team = Team {
        id: 1,
        name: "Acme".into(),
        customer_id: 5978,
        region: Region::Us,
        api_base_override: None,
        token_url_override: None,
        datastream_base_override: None,
        created_at: AT.into(),
    };
    let mut facts = OnboardingFacts {
        export: imported.map(|value| Stamped {
            value,
            actor: "alice".into(),
            at: AT.into(),
        }),
        ..Default::default()
    };
    let mut credentials = Vec::new();
    if with_sftp {
        facts
            .credentials
            .insert(CredentialKind::Sftp, AT.to_string());
        credentials.push(CredentialSummary {
            kind: CredentialKind::Sftp,
            params: CredentialParams {
                host: Some("sftp.icims.com".into()),
                port: Some(22),
                username: Some("customer5978".into()),
                path: Some("/exports".into()),
                ..Default::default()
            },
            updated_at: AT.into(),
            updated_by: "alice".into(),
        });
    }
    TeamRow {
        steps: onboarding::derive(&facts),
        sync_enabled: false,
        credentials,
        team,
    }
}

fn source() -> SourceView {
    SourceView {
        host: "sftp.icims.com".into(),
        port: 22,
        username: "customer5978".into(),
        path: "/exports".into(),
        auth: "password".into(),
    }
}

fn pin() -> HostKeyPin {
    HostKeyPin {
        host: "sftp.icims.com".into(),
        port: 22,
        key_type: "ssh-ed25519".into(),
        fingerprint: FP.into(),
        pinned_at: AT.into(),
        pinned_by: "alice".into(),
    }
}

fn file(name: &str, size: u64) -> FetchedFile {
    FetchedFile {
        name: name.into(),
        source: "sftp".into(),
        remote_path: Some(format!("/exports/{name}")),
        local_path: format!("/data/exports/Acme/{name}").into(),
        size,
        mtime: Some(1_763_000_000),
        sha256: "9f839333798e987b57fa94777189ad4cfc285c147e6b24ca290d7adbe548752d".into(),
        fetched_at: AT.into(),
    }
}

fn imported_view() -> ExportView {
    let unit = |name: &str, object: &str, rows, bad| FileEntry {
        name: name.into(),
        object: object.into(),
        rows,
        bad_rows: bad,
        cutoff: Some("2026-11-13T17:44:00".into()),
        state: "done".into(),
        error: None,
        table: "export_stage_1".into(),
    };
    let q = |line, reason: &str| QuarantineEntry {
        file: "people_export_20261114.csv".into(),
        line,
        reason: reason.into(),
        excerpt: None,
    };
    ExportView {
        source: Some(source()),
        pin: Some(pin()),
        files: vec![
            file("jobs_export_20261114.csv", 412_330),
            file("people_export_20261114.csv", 1_204_551),
            file("workflows_export_20261114.csv", 388_120),
        ],
        units: vec![
            unit("jobs_export_20261114.csv", "jobs", 308, 3),
            unit("people_export_20261114.csv", "people", 2476, 12),
            unit("workflows_export_20261114.csv", "workflows", 3219, 16),
        ],
        quarantine: (0..14)
            .map(|i| {
                q(
                    102 + i * 200,
                    if i % 2 == 0 {
                        "wrong column count: expected 12 fields, found 3"
                    } else {
                        "invalid date in Created Date: \"2026-13-45 25:61 XM\""
                    },
                )
            })
            .collect(),
        quarantine_total: 31,
        job: Some(JobView {
            id: 4,
            kind: "export.import".into(),
            state: JobState::Done,
            progress: JobProgressView::None,
            error: None,
        }),
        outcome: Some(ExportOutcome {
            files: 3,
            rows: 6003,
            bad_rows: 31,
            cutoff: Some("2026-11-13T17:44:00".into()),
            statuses: 24,
        }),
    }
}

/// The console opened on Acme's step 3 page, with `view` loaded.
fn app_on_step3(row: TeamRow, view: ExportView, size: (u16, u16)) -> App {
    let mut app = App::new("/data/icims-onboard.db", size);
    update(&mut app, Msg::TeamsLoaded(vec![row]));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        app.screen,
        Screen::Team {
            name: "Acme".into(),
            step: 0
        }
    );
    assert!(effects.is_empty());
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        works(effects),
        vec![ExportWork::Load {
            team: "Acme".into()
        }]
    );
    reply(
        &mut app,
        ExportReply::Loaded(Box::new(view), Instant::now()),
    );
    app
}

/// The step 3 work among effects.
fn works(effects: Vec<Effect>) -> Vec<ExportWork> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Page(_, Work::Export(w)) => Some(w),
            _ => None,
        })
        .collect()
}

/// Plays the driver's part: a reply to the open page.
fn reply(app: &mut App, body: ExportReply) -> Vec<Effect> {
    let msg = app
        .reply_to_page(ReplyBody::Export(body))
        .expect("the step 3 page is open");
    update(app, msg)
}

fn press(app: &mut App, c: char) -> Vec<ExportWork> {
    works(update(app, key(KeyCode::Char(c))))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| render(f, app, &Theme::dark())).unwrap();
    terminal
}

macro_rules! snap {
    ($name:expr, $app:expr) => {{
        let terminal = draw(&$app);
        insta::with_settings!({filters => vec![
            (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[time]"),
        ]}, {
            insta::assert_snapshot!($name, terminal.backend());
        });
    }};
}

#[test]
fn no_connection_yet() {
    let app = app_on_step3(acme(false), ExportView::default(), (100, 30));
    snap!("step3_no_connection", app);
    let mut app = app;
    assert!(press(&mut app, 'f').is_empty());
    assert!(press(&mut app, 'i').is_empty());
}

#[test]
fn fetch_asks_to_confirm_the_host_key_and_pins_only_on_yes() {
    let view = ExportView {
        source: Some(source()),
        ..Default::default()
    };
    let mut app = app_on_step3(acme(true), view, (100, 30));
    let effects = press(&mut app, 'f');
    assert_eq!(
        effects,
        vec![ExportWork::ProbeHostKey {
            team: "Acme".into()
        }]
    );
    reply(
        &mut app,
        ExportReply::HostKey(Ok(HostKeyPrompt {
            host: "sftp.icims.com".into(),
            port: 22,
            key_type: "ssh-ed25519".into(),
            fingerprint: FP.into(),
        })),
    );
    snap!("step3_confirm_host_key", app);
    // "n": nothing pinned, prompt gone.
    assert!(press(&mut app, 'n').is_empty());
    update(&mut app, key(KeyCode::Char('f')));
    reply(
        &mut app,
        ExportReply::HostKey(Ok(HostKeyPrompt {
            host: "sftp.icims.com".into(),
            port: 22,
            key_type: "ssh-ed25519".into(),
            fingerprint: FP.into(),
        })),
    );
    let effects = press(&mut app, 'y');
    assert_eq!(
        effects,
        vec![ExportWork::PinHostKey {
            team: "Acme".into(),
            key_type: "ssh-ed25519".into(),
            fingerprint: FP.into()
        }]
    );
}

#[test]
fn fetching_shows_bytes_rate_and_eta() {
    let view = ExportView {
        source: Some(source()),
        pin: Some(pin()),
        files: vec![file("jobs_export_20261114.csv", 412_330)],
        job: Some(JobView {
            id: 3,
            kind: "export.fetch".into(),
            state: JobState::Running,
            progress: JobProgressView::Fetch {
                path: "/exports/people_export_20261114.csv".into(),
                bytes: 52_428_800,
                total: 209_715_200,
                rate: 41_943_040.0,
                eta_secs: Some(4),
            },
            error: None,
        }),
        ..Default::default()
    };
    let mut app = app_on_step3(acme(true), view, (100, 30));
    snap!("step3_fetching", app);
    // Busy: no second fetch or import.
    assert!(press(&mut app, 'f').is_empty());
    assert!(press(&mut app, 'i').is_empty());
}

#[test]
fn imported_summary_quarantine_and_handoff() {
    let view = imported_view();
    let mut app = app_on_step3(acme_with(true, view.outcome.clone()), view, (100, 30));
    snap!("step3_imported", app);
    let text = format!("{:?}", draw(&app).backend());
    assert!(text.contains("•••"), "the password is masked");

    assert_eq!(
        press(&mut app, 'i'),
        vec![ExportWork::Queue {
            team: "Acme".into(),
            kind: "export.import"
        }]
    );
    assert_eq!(
        press(&mut app, 'f'),
        vec![ExportWork::Queue {
            team: "Acme".into(),
            kind: "export.fetch"
        }]
    );
    assert_eq!(
        press(&mut app, 'h'),
        vec![ExportWork::Handoff {
            team: "Acme".into()
        }]
    );

    update(&mut app, key(KeyCode::Char('b')));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    assert_eq!(
        app.screen,
        Screen::Team {
            name: "Acme".into(),
            step: 2
        },
        "↑↓ scroll the quarantine, not the steps"
    );
    snap!("step3_quarantine", app);
    // Esc leaves one level at a time: the quarantine first, then the page.
    update(&mut app, key(KeyCode::Esc));
    let page = app
        .step_page()
        .and_then(|p| p.export())
        .expect("still on step 3");
    assert!(page.quarantine.is_none());
    update(&mut app, key(KeyCode::Esc));
    assert!(app.page.is_none());
    update(&mut app, key(KeyCode::Down));
    assert_eq!(
        app.screen,
        Screen::Team {
            name: "Acme".into(),
            step: 3
        }
    );
}

#[test]
fn narrow_terminal_still_shows_the_essentials() {
    let view = imported_view();
    let app = app_on_step3(acme_with(true, view.outcome.clone()), view, (80, 24));
    snap!("step3_imported_80x24", app);
}

#[test]
fn connection_form_masks_the_password_and_saves() {
    let mut app = app_on_step3(acme(false), ExportView::default(), (100, 30));
    update(&mut app, key(KeyCode::Char('c')));
    let type_text = |app: &mut App, text: &str| {
        for c in text.chars() {
            update(app, key(KeyCode::Char(c)));
        }
    };
    type_text(&mut app, "sftp.icims.com");
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Backspace));
    update(&mut app, key(KeyCode::Backspace));
    type_text(&mut app, "x");
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "customer5978");
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "/exports");
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "abcd123");
    // A bad port is refused with the field named.
    assert!(update(&mut app, key(KeyCode::Enter)).is_empty());
    snap!("step3_connection_form_error", app);
    let text = format!("{:?}", draw(&app).backend());
    assert!(!text.contains("abcd123"), "the password is masked");
    assert!(text.contains("•••••••"));
    // Fix the port: the focus went back to it.
    update(&mut app, key(KeyCode::Backspace));
    type_text(&mut app, "22");
    let effects = works(update(&mut app, key(KeyCode::Enter)));
    assert_eq!(
        effects,
        vec![ExportWork::SaveSftp {
            team: "Acme".into(),
            input: ConnectionInput {
                host: "sftp.icims.com".into(),
                port: 22,
                username: "customer5978".into(),
                path: "/exports".into(),
                password: Some(Secret(secrecy::SecretString::from("abcd123".to_string()))),
            }
        }]
    );
    // Keys typed into the form do not move the steps or quit.
    assert!(!app.quit);
    reply(&mut app, ExportReply::Done(Ok("saved".into())));
    let view = ExportView {
        source: Some(source()),
        ..Default::default()
    };
    reply(
        &mut app,
        ExportReply::Loaded(Box::new(view), Instant::now()),
    );
    // Reopened, it is filled from the stored connection and keeps the stored password.
    update(&mut app, key(KeyCode::Char('c')));
    snap!("step3_connection_form_stored", app);
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(
        press(&mut app, 'f'),
        vec![ExportWork::ProbeHostKey {
            team: "Acme".into()
        }]
    );
}

#[test]
fn keys_that_cannot_act_say_why() {
    // No connection: f names the missing connection.
    let mut app = app_on_step3(acme(false), ExportView::default(), (100, 30));
    assert!(press(&mut app, 'f').is_empty());
    assert!(matches!(&app.status, Some(Status::Error(t)) if t.contains("no SFTP connection yet")));
    // Nothing fetched: i and h say so.
    let view = ExportView {
        source: Some(source()),
        pin: Some(pin()),
        ..Default::default()
    };
    let mut app = app_on_step3(acme(true), view, (100, 30));
    assert!(press(&mut app, 'i').is_empty());
    assert!(matches!(&app.status, Some(Status::Error(t)) if t.contains("nothing fetched yet")));
    assert!(press(&mut app, 'h').is_empty());
    assert!(matches!(&app.status, Some(Status::Error(t)) if t.contains("no files fetched yet")));
    // An import running: f and i name the job.
    let mut view = imported_view();
    view.job = Some(JobView {
        id: 7,
        kind: "export.import".into(),
        state: JobState::Running,
        progress: JobProgressView::None,
        error: None,
    });
    let mut app = app_on_step3(acme_with(true, None), view, (100, 30));
    assert!(press(&mut app, 'f').is_empty());
    assert!(
        matches!(&app.status, Some(Status::Error(t)) if t.contains("export.import job 7 is running")),
        "{:?}",
        app.status
    );
    assert!(press(&mut app, 'i').is_empty());
    // The footer does not offer them while they cannot act.
    let screen = format!("{}", draw(&app).backend());
    let footer = screen.lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains("f fetch"), "{footer}");
    assert!(footer.contains("h handoff"), "{footer}");
}

#[test]
fn the_status_line_reports_when_the_job_it_announced_ends() {
    let mut view = imported_view();
    view.job = Some(JobView {
        id: 9,
        kind: "export.fetch".into(),
        state: JobState::Running,
        progress: JobProgressView::None,
        error: None,
    });
    let mut app = app_on_step3(acme_with(true, None), view.clone(), (100, 30));
    reply(
        &mut app,
        ExportReply::Done(Ok("queued export.fetch job 9".into())),
    );
    // While it runs, the page polls its progress every 250 ms.
    let effects = works(update(&mut app, Msg::Poll));
    assert_eq!(
        effects,
        vec![ExportWork::Load {
            team: "Acme".into()
        }]
    );
    view.job = Some(JobView {
        id: 9,
        kind: "export.fetch".into(),
        state: JobState::Failed,
        progress: JobProgressView::None,
        error: Some("connection reset".into()),
    });
    reply(
        &mut app,
        ExportReply::Loaded(Box::new(view), Instant::now()),
    );
    assert!(
        matches!(&app.status, Some(Status::Error(t)) if t.contains("export.fetch job 9 failed: connection reset")),
        "{:?}",
        app.status
    );
    // Nothing in flight: no polling.
    assert!(works(update(&mut app, Msg::Poll)).is_empty());
    // Enter shows the job's error in full.
    update(&mut app, key(KeyCode::Enter));
    let screen = format!("{}", draw(&app).backend());
    assert!(screen.contains("In full"), "{screen}");
}

#[test]
fn an_import_shows_a_gauge_with_rows_per_second_and_eta() {
    let mut view = imported_view();
    let import = |rows: u64, bytes: u64| JobView {
        id: 11,
        kind: "export.import".into(),
        state: JobState::Running,
        progress: JobProgressView::Import {
            unit: "people_export_20261114.csv".into(),
            unit_index: 1,
            units: 3,
            rows,
            bad_rows: 2,
            bytes,
        },
        error: None,
    };
    view.job = Some(import(1_000, 0));
    let mut app = app_on_step3(acme_with(true, None), view.clone(), (100, 30));
    // Read a second later: 1,000 rows/s; half a second after that: 2,000 rows/s,
    // smoothed to 1,500.
    let t0 = Instant::now() + std::time::Duration::from_secs(1);
    view.job = Some(import(2_000, 200_000));
    reply(&mut app, ExportReply::Loaded(Box::new(view.clone()), t0));
    view.job = Some(import(3_000, 400_000));
    reply(
        &mut app,
        ExportReply::Loaded(Box::new(view), t0 + std::time::Duration::from_millis(500)),
    );
    let screen = format!("{}", draw(&app).backend());
    assert!(screen.contains("1500 rows/s"), "{screen}");
    assert!(screen.contains("3000 rows, 2 quarantined"), "{screen}");
    // File 2 of 3, about a third of it read.
    assert!(screen.contains("]  44%"), "{screen}");
    assert!(!screen.contains("ETA –"), "{screen}");
    snap!("step3_importing", app);
}
