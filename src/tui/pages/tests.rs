//! The step 1 and step 2 pages driven through the one page contract via `app::update`
//! (keys in, effects out, replies tagged) and drawn on a TestBackend: idle, running,
//! passed and failed states as insta snapshots.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::ReplyBody;
use super::checks::{StepEffect, StepMsg, TypedBasic};
use crate::icims::IcimsError;
use crate::icims::checks::dedupe::{Candidate, DedupeKey, DedupeResult, DedupeVerdict, KeyMatches};
use crate::icims::checks::people::PersonMatch;
use crate::icims::checks::source_person::{SourcePersonRow, SourcePersonVerdict};
use crate::icims::checks::{CheckEvent, CheckRow, HiddenField};
use crate::onboarding::{self, OnboardingFacts};
use crate::store::{CredentialKind, CredentialParams, CredentialSummary, Region, Team};
use crate::tui::app::{App, Effect, Msg, Screen, TeamRow, update};
use crate::tui::model::TestRun;
use crate::tui::pages::Work;
use crate::tui::render::render;
use crate::tui::theme::Theme;

fn team_row(with_creds: bool) -> TeamRow {
    let mut facts = OnboardingFacts::default();
    let mut credentials = Vec::new();
    if with_creds {
        for (kind, params) in [
            (
                CredentialKind::Basic,
                CredentialParams {
                    username: Some("integration1001".into()),
                    ..Default::default()
                },
            ),
            (
                CredentialKind::Rest,
                CredentialParams {
                    client_id: Some("sbx-rest-client".into()),
                    ..Default::default()
                },
            ),
        ] {
            facts
                .credentials
                .insert(kind, "2026-11-21T06:00:00Z".into());
            credentials.push(CredentialSummary {
                kind,
                params,
                updated_at: "2026-11-21T06:00:00Z".into(),
                updated_by: "alice".into(),
            });
        }
    }
    TeamRow {
        team: Team {
            id: 1,
            name: "acme".into(),
            customer_id: 1001,
            region: Region::Us,
            api_base_override: None,
            token_url_override: None,
            datastream_base_override: None,
            created_at: "2026-11-21T06:00:00Z".into(),
        },
        steps: onboarding::derive(&facts),
        credentials,
        sync_enabled: false,
    }
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(update(app, key(KeyCode::Char(c))));
    }
    out
}

/// An app showing team acme's step `step` (0-based) screen, opened with Enter.
fn open(step: usize, with_creds: bool, size: (u16, u16)) -> (App, Vec<Effect>) {
    let mut app = App::new("test.db", size);
    update(&mut app, Msg::TeamsLoaded(vec![team_row(with_creds)]));
    app.screen = Screen::Team {
        name: "acme".into(),
        step,
    };
    let effects = update(&mut app, key(KeyCode::Enter));
    (app, effects)
}

fn draw(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| render(f, app, &Theme::dark())).unwrap();
    format!("{}", t.backend())
}

fn step_effects(effects: Vec<Effect>) -> Vec<StepEffect> {
    effects
        .into_iter()
        .filter_map(|e| match e {
            Effect::Page(_, Work::Checks(s)) => Some(s),
            _ => None,
        })
        .collect()
}

/// Plays the driver's part: a reply to the open page's work.
fn step_reply(app: &mut App, msg: StepMsg) -> Vec<Effect> {
    let reply = app
        .reply_to_page(ReplyBody::Checks(msg))
        .expect("a page is open");
    update(app, reply)
}

fn pass(name: &str, step: u8, msg: &str) -> CheckRow {
    CheckRow::pass(name, step, msg)
}

fn hidden(object: &str, field: &str, credential: &str) -> HiddenField {
    HiddenField {
        object: object.into(),
        field: field.into(),
        credential: credential.into(),
        status: crate::icims::checks::FieldStatus::Hidden,
    }
}

#[test]
fn enter_opens_the_step_screens_and_loads_the_last_run() {
    let (app, effects) = open(0, true, (100, 30));
    assert!(app.step_page().and_then(|p| p.basic()).is_some());
    assert_eq!(
        step_effects(effects),
        vec![StepEffect::LoadLast {
            team: "acme".into(),
            step: 1
        }]
    );
    let (app, effects) = open(1, true, (100, 30));
    assert!(app.step_page().and_then(|p| p.credentials()).is_some());
    assert_eq!(
        step_effects(effects),
        vec![StepEffect::LoadLast {
            team: "acme".into(),
            step: 2
        }]
    );
    // Step 3 opens its own page, with its own work.
    let (app, effects) = open(2, true, (100, 30));
    assert!(app.step_page().and_then(|p| p.export()).is_some());
    assert!(step_effects(effects).is_empty());
}

#[test]
fn basic_screen_validates_names_the_field_and_masks_the_password() {
    let (mut app, _) = open(0, false, (100, 30));
    // Customer id prefilled 1001; username empty: Ctrl-s names the field.
    assert!(update(&mut app, ctrl('s')).is_empty());
    assert!(draw(&app).contains("API username: required"));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "integration1001");
    assert!(update(&mut app, ctrl('s')).is_empty());
    assert!(draw(&app).contains("Password: required"));
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "pw-hunter2");
    let screen = draw(&app);
    assert!(!screen.contains("pw-hunter2") && screen.contains("••••••••••"));
    // Test tries the typed credentials without saving them.
    let effects = step_effects(update(&mut app, ctrl('t')));
    assert_eq!(effects.len(), 1);
    assert!(matches!(
        &effects[0],
        StepEffect::RunBasicTest {
            typed: Some(TypedBasic { customer_id: 1001, region: Region::Us, username, password: Some(_) }),
            ..
        } if username == "integration1001"
    ));
    let debug = format!("{effects:?} {:?}", app.page);
    assert!(!debug.contains("pw-hunter2"), "{debug}");
    // A second Ctrl-t while running does nothing.
    assert!(update(&mut app, ctrl('t')).is_empty());
}

#[test]
fn finished_runs_are_recorded_and_reload_the_teams() {
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, ctrl('t'));
    let rows = vec![pass("basic.auth", 1, "ok")];
    let effects = step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: rows.clone(),
            hidden: vec![],
            typed: None,
        },
    );
    assert_eq!(
        step_effects(effects),
        vec![StepEffect::RecordBasic {
            team: "acme".into(),
            rows,
            hidden: vec![]
        }]
    );
    let effects = step_reply(&mut app, StepMsg::Recorded(Ok("test recorded".into())));
    assert!(effects.contains(&Effect::LoadTeams));
    // Space on "Sync enabled" flips it.
    for _ in 0..6 {
        update(&mut app, key(KeyCode::Tab));
    }
    let effects = step_effects(update(&mut app, key(KeyCode::Char(' '))));
    assert_eq!(
        effects,
        vec![StepEffect::SetSyncEnabled {
            team: "acme".into(),
            enabled: true
        }]
    );
    // Esc goes back to the team screen.
    update(&mut app, key(KeyCode::Esc));
    assert!(app.page.is_none());
}

fn basic_failed_rows() -> Vec<CheckRow> {
    let e = IcimsError::BadCredentials {
        credential: "API username or password",
        status: 401,
        code: Some(6),
        message: "Invalid Username or Password credentials provided.".into(),
    };
    vec![CheckRow::fail("basic.auth", 1, &e)]
}

#[test]
fn snapshot_basic_idle() {
    let (app, _) = open(0, true, (100, 30));
    insta::assert_snapshot!("basic_idle", draw(&app));
}

#[test]
fn snapshot_basic_running() {
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, ctrl('t'));
    step_reply(
        &mut app,
        StepMsg::Progress(CheckEvent::Started {
            name: "basic.auth".into(),
        }),
    );
    step_reply(
        &mut app,
        StepMsg::Progress(CheckEvent::Finished(pass(
            "basic.auth",
            1,
            "authenticated as integration1001 for customer 1001; people search works",
        ))),
    );
    step_reply(
        &mut app,
        StepMsg::Progress(CheckEvent::Started {
            name: "basic.fields".into(),
        }),
    );
    insta::assert_snapshot!("basic_running", draw(&app));
}

#[test]
fn snapshot_basic_passed_with_hidden_fields() {
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, ctrl('t'));
    let h = vec![
        hidden("person", "addresses", "basic"),
        hidden("job", "hiringmanager", "basic"),
    ];
    let fields = CheckRow {
        ok: false,
        required: false,
        remedy: Some("Ask the customer's iCIMS admin to let the API user's login group see person.addresses, job.hiringmanager.".into()),
        ..pass("basic.fields", 1, "2 standard fields are hidden from this user: person.addresses, job.hiringmanager")
    };
    step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: vec![
                pass(
                    "basic.auth",
                    1,
                    "authenticated as integration1001 for customer 1001; people search works",
                ),
                fields,
            ],
            hidden: h,
            typed: None,
        },
    );
    step_reply(
        &mut app,
        StepMsg::Recorded(Ok(
            "test recorded: 1/1 checks passed; 2 fields hidden".into()
        )),
    );
    insta::assert_snapshot!("basic_passed", draw(&app));
}

#[test]
fn snapshot_basic_hidden_and_unused_fields() {
    use crate::icims::checks::FieldStatus;
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, ctrl('t'));
    let h = vec![
        hidden("job", "hiringmanager", "basic"),
        HiddenField {
            status: FieldStatus::NotInUse,
            ..hidden("job", "recruiter", "basic")
        },
    ];
    let fields = CheckRow {
        ok: false,
        required: false,
        remedy: Some("Ask the customer's iCIMS admin to let the API user's login group see job.hiringmanager.".into()),
        ..pass("basic.fields", 1, "1 standard field is hidden from this user: job.hiringmanager (the staged export shows them in use); not in use by this tenant: job.recruiter")
    };
    step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: vec![
                pass(
                    "basic.auth",
                    1,
                    "authenticated as integration1001 for customer 1001; people search works",
                ),
                fields,
            ],
            hidden: h,
            typed: None,
        },
    );
    insta::assert_snapshot!("basic_hidden_and_unused", draw(&app));
}

#[test]
fn snapshot_basic_failed_80x24() {
    let (mut app, _) = open(0, true, (80, 24));
    update(&mut app, ctrl('t'));
    step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: basic_failed_rows(),
            hidden: vec![],
            typed: None,
        },
    );
    insta::assert_snapshot!("basic_failed_80x24", draw(&app));
}

#[test]
fn snapshot_basic_dedupe_and_source_person() {
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, key(KeyCode::PageDown));
    type_text(&mut app, "ann@acme.example");
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "Ann Lee");
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    let effects = step_effects(update(&mut app, key(KeyCode::Enter)));
    assert_eq!(
        effects,
        vec![StepEffect::RunDedupe {
            team: "acme".into(),
            candidates: vec![Candidate {
                email: Some("ann@acme.example".into()),
                linkedin: None,
                name: Some("Ann Lee".into()),
                line: None
            }],
            csv_file: None
        }]
    );
    let person = |id: u64, name: &str| PersonMatch {
        id,
        name: name.into(),
        email: Some("ann@acme.example".into()),
        folder: Some("Cand:Active".into()),
        linkedin: None,
    };
    let result = DedupeResult {
        candidate: Candidate {
            email: Some("ann@acme.example".into()),
            linkedin: None,
            name: Some("Ann Lee".into()),
            line: None,
        },
        keys: vec![
            KeyMatches {
                key: DedupeKey::Email,
                value: "ann@acme.example".into(),
                person_ids: vec![1042, 1077],
                matches: vec![person(1042, "Ann Lee"), person(1077, "Anne Leigh")],
                ambiguous: true,
                note: None,
            },
            KeyMatches {
                key: DedupeKey::Name,
                value: "Ann Lee".into(),
                person_ids: vec![1042],
                matches: vec![person(1042, "Ann Lee")],
                ambiguous: false,
                note: None,
            },
        ],
        verdict: DedupeVerdict::Ambiguous {
            person_ids: vec![1042, 1077],
        },
    };
    step_reply(&mut app, StepMsg::DedupeDone(Ok((vec![result], vec![]))));
    insta::assert_snapshot!("basic_dedupe", draw(&app));

    update(&mut app, key(KeyCode::PageDown));
    type_text(&mut app, "rec@acme.example, none@acme.example");
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    let effects = step_effects(update(&mut app, key(KeyCode::Enter)));
    assert!(
        matches!(&effects[..], [StepEffect::RunSourcePerson { emails, file: None, .. }] if emails == "rec@acme.example, none@acme.example")
    );
    let rows = vec![
        SourcePersonRow {
            email: "rec@acme.example".into(),
            verdict: SourcePersonVerdict::Exact,
            source_person_id: Some(1003),
            users: vec![PersonMatch {
                folder: Some("HM:Active".into()),
                ..person(1003, "Rita Recruiter")
            }],
            other_people: 0,
        },
        SourcePersonRow {
            email: "none@acme.example".into(),
            verdict: SourcePersonVerdict::NoUser,
            source_person_id: None,
            users: vec![],
            other_people: 1,
        },
    ];
    step_reply(
        &mut app,
        StepMsg::SourceDone(Ok((
            rows,
            vec!["line 2: \"x@y\": not a valid email address".into()],
        ))),
    );
    insta::assert_snapshot!("basic_source_person", draw(&app));
}

fn preflight_rows(fail: bool) -> Vec<CheckRow> {
    let mut rows: Vec<CheckRow> = [
        (
            "rest.token",
            "token issued to sbx-rest-client (valid 24h00m)",
        ),
        ("people.search", "search works; 297 person ids"),
        ("people.get", "read person 1002 (10 fields)"),
        ("jobs.search", "search works; 36 job ids"),
        ("jobs.get", "read job 1002 (11 fields)"),
        (
            "applicantworkflows.search",
            "search works; 378 workflow ids",
        ),
        ("applicantworkflows.get", "read workflow 10001 (7 fields)"),
        ("statuses", "13 statuses in 7 bins (4 rejection reasons)"),
        (
            "person.folders",
            "9 person folders (5 user folders HM:/Emp:)",
        ),
        (
            "schema",
            "person 11 fields, job 11 fields, submittal 7 fields",
        ),
        (
            "rest.fields",
            "every standard field is visible on the sample records",
        ),
        ("datastream.token", "token issued to sbx-ds-client"),
        ("datastream.subscriptions", "3 subscriptions"),
        ("datastream.events", "read 10 events of 1001-people-changes"),
    ]
    .iter()
    .map(|(n, m)| pass(n, 2, m))
    .collect();
    if fail {
        let denied = IcimsError::AccessDenied {
            status: 404,
            message: "Access denied to applicant workflows.".into(),
        };
        rows[5] = CheckRow::fail("applicantworkflows.search", 2, &denied);
        rows[6] = CheckRow::not_run(
            "applicantworkflows.get",
            2,
            "not run: the workflow search failed",
            "Fix the search permission first (see the row above).",
        );
        let rejected = IcimsError::TokenRejected {
            host: "login.icims.com".into(),
            status: 401,
            message: "access_denied: Unauthorized".into(),
        };
        rows[11] = CheckRow::fail("datastream.token", 2, &rejected);
    }
    rows
}

#[test]
fn snapshot_credentials_idle() {
    let (app, _) = open(1, true, (100, 30));
    insta::assert_snapshot!("credentials_idle", draw(&app));
}

#[test]
fn snapshot_credentials_running() {
    let (mut app, _) = open(1, true, (100, 30));
    let effects = step_effects(update(&mut app, ctrl('t')));
    assert_eq!(
        effects,
        vec![StepEffect::RunPreflight {
            team: "acme".into(),
            typed: None
        }]
    );
    for row in preflight_rows(false).into_iter().take(4) {
        step_reply(&mut app, StepMsg::Progress(CheckEvent::Finished(row)));
    }
    step_reply(
        &mut app,
        StepMsg::Progress(CheckEvent::Started {
            name: "applicantworkflows.search".into(),
        }),
    );
    let Some(s) = app.step_page().and_then(|p| p.credentials()) else {
        panic!("credentials page open")
    };
    assert!(matches!(&s.test, TestRun::Running { done, total: 14, .. } if done.len() == 4));
    insta::assert_snapshot!("credentials_running", draw(&app));
}

#[test]
fn snapshot_credentials_passed_120x40() {
    let (mut app, _) = open(1, true, (120, 40));
    update(&mut app, ctrl('t'));
    let effects = step_effects(step_reply(
        &mut app,
        StepMsg::PreflightDone {
            team: "acme".into(),
            rows: preflight_rows(false),
            hidden: vec![],
            linkedin_field: Some("field41522".into()),
            typed: None,
        },
    ));
    assert!(
        matches!(&effects[..], [StepEffect::RecordPreflight { linkedin_field: Some(f), .. }] if f == "field41522")
    );
    insta::assert_snapshot!("credentials_passed_120x40", draw(&app));
}

#[test]
fn snapshot_credentials_failed() {
    let (mut app, _) = open(1, true, (100, 30));
    update(&mut app, ctrl('t'));
    step_reply(
        &mut app,
        StepMsg::PreflightDone {
            team: "acme".into(),
            rows: preflight_rows(true),
            hidden: vec![hidden("workflow", "source", "rest")],
            linkedin_field: None,
            typed: None,
        },
    );
    insta::assert_snapshot!("credentials_failed", draw(&app));
}

#[test]
fn credentials_deep_sync_toggle_is_locked_with_the_gates_reason() {
    let (mut app, _) = open(1, true, (100, 30));
    for _ in 0..6 {
        update(&mut app, key(KeyCode::Tab));
    }
    assert!(step_effects(update(&mut app, key(KeyCode::Enter))).is_empty());
    let screen = draw(&app);
    assert!(screen.contains("Deep sync: off (locked)"));
    assert!(
        screen.contains("Locked: deep sync credentials not tested (step 2)"),
        "{screen}"
    );
    assert!(
        screen.contains("historical export not imported (step 3)"),
        "{screen}"
    );
}

#[test]
fn snapshot_credentials_failed_80x24_scrolls() {
    let (mut app, _) = open(1, true, (80, 24));
    update(&mut app, ctrl('t'));
    step_reply(
        &mut app,
        StepMsg::PreflightDone {
            team: "acme".into(),
            rows: preflight_rows(true),
            hidden: vec![hidden("workflow", "source", "rest")],
            linkedin_field: None,
            typed: None,
        },
    );
    let top = draw(&app);
    assert!(top.contains("more lines below (PgDn scrolls)"), "{top}");
    for _ in 0..20 {
        update(&mut app, key(KeyCode::PageDown));
    }
    let bottom = draw(&app);
    assert!(
        bottom.contains("Hidden fields: workflow.source (rest)"),
        "{bottom}"
    );
    assert!(bottom.contains("lines above (PgUp scrolls)"), "{bottom}");
    insta::assert_snapshot!("credentials_failed_80x24_scrolled", bottom);
    for _ in 0..20 {
        update(&mut app, key(KeyCode::PageUp));
    }
    assert_eq!(draw(&app), top);
}

#[test]
fn a_test_finishing_after_the_screen_closed_is_still_recorded() {
    let (mut app, _) = open(0, true, (100, 30));
    let started = update(&mut app, ctrl('t'));
    let Some(Effect::Page(tag, _)) = started.first() else {
        panic!("the test starts: {started:?}")
    };
    let tag = *tag;
    update(&mut app, key(KeyCode::Esc));
    assert!(app.page.is_none());
    let rows = basic_failed_rows();
    let effects = step_effects(update(
        &mut app,
        Msg::Reply(crate::tui::pages::Reply {
            tag,
            body: ReplyBody::Checks(StepMsg::BasicDone {
                team: "acme".into(),
                rows: rows.clone(),
                hidden: vec![],
                typed: None,
            }),
        }),
    ));
    assert_eq!(
        effects,
        vec![StepEffect::RecordBasic {
            team: "acme".into(),
            rows,
            hidden: vec![]
        }]
    );
    // The same reply does not land in a page opened since on the same step.
    update(&mut app, key(KeyCode::Enter));
    assert!(app.step_page().and_then(|p| p.basic()).is_some());
    update(
        &mut app,
        Msg::Reply(crate::tui::pages::Reply {
            tag,
            body: ReplyBody::Checks(StepMsg::Progress(CheckEvent::Started {
                name: "basic.auth".into(),
            })),
        }),
    );
    let page = app.step_page().and_then(|p| p.basic()).unwrap();
    assert_eq!(page.test, TestRun::Idle, "a late reply of the closed page");
}

// ---- data safety ---------------------------------------------------------------------

fn basic_page(app: &App) -> &super::basic_sync::BasicSyncPage {
    app.step_page()
        .and_then(|p| p.basic())
        .expect("step 1 open")
}

fn credentials_page(app: &App) -> &super::credentials::CredentialsPage {
    app.step_page()
        .and_then(|p| p.credentials())
        .expect("step 2 open")
}

#[test]
fn typed_credentials_replace_the_stored_ones_only_when_the_test_passes() {
    let (mut app, _) = open(0, true, (100, 30));
    // A new password typed over the stored one, then Test.
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Tab));
    }
    type_text(&mut app, "new-password");
    let effects = step_effects(update(&mut app, ctrl('t')));
    let [
        StepEffect::RunBasicTest {
            typed: Some(typed), ..
        },
    ] = effects.as_slice()
    else {
        panic!("the typed credentials are tested, nothing saved: {effects:?}")
    };
    let typed = typed.clone();
    // It fails: nothing is saved or recorded, the stored credential stays.
    let effects = step_effects(step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: basic_failed_rows(),
            hidden: vec![],
            typed: Some(typed.clone()),
        },
    ));
    assert!(effects.is_empty(), "{effects:?}");
    assert!(basic_page(&app).password_stored);
    assert!(draw(&app).contains("the stored ones are unchanged"));
    // Tried again and it passes: saved, then recorded (newer than the credentials).
    update(&mut app, ctrl('t'));
    let rows = vec![pass("basic.auth", 1, "ok")];
    let effects = step_effects(step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: rows.clone(),
            hidden: vec![],
            typed: Some(typed),
        },
    ));
    assert!(
        matches!(
            effects.as_slice(),
            [
                StepEffect::SaveBasic {
                    password: Some(_),
                    ..
                },
                StepEffect::RecordBasic { .. }
            ]
        ),
        "{effects:?}"
    );
}

#[test]
fn a_failed_preflight_with_typed_clients_leaves_the_stored_ones() {
    let (mut app, _) = open(1, true, (100, 30));
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "another-secret");
    let effects = step_effects(update(&mut app, ctrl('t')));
    let [
        StepEffect::RunPreflight {
            typed: Some(typed), ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    let typed = typed.clone();
    let effects = step_effects(step_reply(
        &mut app,
        StepMsg::PreflightDone {
            team: "acme".into(),
            rows: preflight_rows(true),
            hidden: vec![],
            linkedin_field: None,
            typed: Some(typed),
        },
    ));
    assert!(effects.is_empty(), "nothing saved or recorded: {effects:?}");
}

#[test]
fn saving_with_a_required_field_cleared_is_refused_with_the_field_named() {
    // Step 1: the stored API username cleared.
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    for _ in 0.."integration1001".len() {
        update(&mut app, key(KeyCode::Backspace));
    }
    assert!(step_effects(update(&mut app, ctrl('s'))).is_empty());
    let screen = draw(&app);
    assert!(screen.contains("API username: required"), "{screen}");
    assert!(!screen.contains("saved customer"), "{screen}");
    // Step 2: the stored REST client id cleared (it used to be "left alone" and reported
    // as saved).
    let (mut app, _) = open(1, true, (100, 30));
    for _ in 0.."sbx-rest-client".len() {
        update(&mut app, key(KeyCode::Backspace));
    }
    assert!(step_effects(update(&mut app, ctrl('s'))).is_empty());
    let screen = draw(&app);
    assert!(screen.contains("REST client id: required"), "{screen}");
}

#[test]
fn esc_with_unsaved_typed_credentials_asks_before_discarding() {
    let (mut app, _) = open(0, true, (100, 30));
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Tab));
    }
    type_text(&mut app, "half-typed");
    update(&mut app, key(KeyCode::Esc));
    assert!(app.page.is_some(), "not discarded without asking");
    assert!(draw(&app).contains("Discard the unsaved connection changes?"));
    // n keeps editing, with the typed text still there.
    update(&mut app, key(KeyCode::Char('n')));
    assert!(!basic_page(&app).confirm_discard);
    assert!(basic_page(&app).unsaved());
    // Esc then y discards.
    update(&mut app, key(KeyCode::Esc));
    let effects = update(&mut app, key(KeyCode::Char('y')));
    assert!(app.page.is_none());
    assert!(step_effects(effects).is_empty(), "nothing saved");
    // Step 2 asks too.
    let (mut app, _) = open(1, true, (100, 30));
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "s3cret");
    update(&mut app, key(KeyCode::Esc));
    assert!(credentials_page(&app).confirm_discard);
    assert!(draw(&app).contains("Discard the unsaved credentials?"));
}

#[test]
fn question_mark_in_a_focused_field_opens_help_and_types_nothing() {
    let (mut app, _) = open(0, true, (100, 30));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Char('?')));
    assert!(app.help);
    let screen = draw(&app);
    assert!(screen.contains("Keys: Step 1: basic sync"), "{screen}");
    update(&mut app, key(KeyCode::Esc));
    assert!(!app.help);
    let page = basic_page(&app);
    assert_eq!(page.username.lines().join(""), "integration1001");
    assert!(!page.unsaved());
    // F1 too.
    update(&mut app, key(KeyCode::F(1)));
    assert!(app.help);
}

#[test]
fn a_preflight_that_just_passed_is_not_shown_under_a_not_tested_lock() {
    let (mut app, _) = open(1, true, (120, 40));
    update(&mut app, ctrl('t'));
    step_reply(
        &mut app,
        StepMsg::PreflightDone {
            team: "acme".into(),
            rows: preflight_rows(false),
            hidden: vec![],
            linkedin_field: None,
            typed: None,
        },
    );
    let screen = draw(&app);
    assert!(screen.contains("Test  passed"), "{screen}");
    assert!(
        !screen.contains("deep sync credentials not tested"),
        "{screen}"
    );
    assert!(
        screen.contains("historical export not imported"),
        "{screen}"
    );
}

#[test]
fn a_stored_run_older_than_the_credentials_says_so() {
    let (mut app, _) = open(0, true, (100, 30));
    step_reply(
        &mut app,
        StepMsg::Loaded {
            step: 1,
            last: Some(crate::icims::checks::record::StoredMatrix {
                at: "2026-11-20T06:00:00Z".into(),
                actor: "alice".into(),
                checks: vec![pass("basic.auth", 1, "ok")],
                hidden_fields: vec![],
            }),
        },
    );
    let screen = draw(&app);
    assert!(
        screen.contains("before the credentials changed: test again"),
        "{screen}"
    );
}

// ---- every page through the one contract ----------------------------------------------

#[test]
fn every_step_opens_its_page_with_help_from_its_own_keys() {
    for step in 0..6 {
        let (mut app, _) = open(step, true, (100, 30));
        let page = app.step_page().expect("a page for every step");
        assert_eq!(page.step(), crate::onboarding::Step::ALL[step]);
        update(&mut app, key(KeyCode::Char('?')));
        let screen = draw(&app);
        let title = page_title(step);
        assert!(screen.contains(&format!("Keys: {title}")), "{screen}");
        assert!(screen.contains("show the keys of this screen"), "{screen}");
        assert!(screen.contains("back one level"), "{screen}");
        insta::assert_snapshot!(format!("help_step{}", step + 1), screen);
        update(&mut app, key(KeyCode::Esc));
        assert!(!app.help);
        // Esc leaves every page (nothing typed).
        update(&mut app, key(KeyCode::Esc));
        assert!(app.page.is_none(), "step {} did not close", step + 1);
    }
}

fn page_title(step: usize) -> &'static str {
    [
        "Step 1: basic sync",
        "Step 2: deep sync credentials",
        "Step 3: historical export",
        "Step 4: field mapping",
        "Step 5: deep sync",
        "Step 6: stage mapping",
    ][step]
}

#[test]
fn snapshot_deep_sync_and_stage_mapping_pages() {
    // Step 5 is built: it reads the sync from the store first (its own tests cover the
    // loaded page: locked with its gates, plan, running, …).
    let (app, effects) = open(4, true, (100, 30));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Page(_, Work::DeepSync(_)))),
        "{effects:?}"
    );
    let screen = draw(&app);
    assert!(screen.contains("Deep sync — locked"), "{screen}");
    assert!(
        screen.contains("reading the sync from the database"),
        "{screen}"
    );
    insta::assert_snapshot!("deep_sync_page", screen);
    // Step 6 is built: it loads its rows (its own tests cover the loaded page).
    let (app, effects) = open(5, true, (80, 24));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Page(_, Work::StageMapping(_)))),
        "{effects:?}"
    );
    let screen = draw(&app);
    assert!(screen.contains("loading…"), "{screen}");
    insta::assert_snapshot!("stage_mapping_page_80x24", screen);
}

#[test]
fn ctrl_o_shows_the_test_rows_in_full() {
    let (mut app, _) = open(0, true, (100, 30));
    // Nothing to show before a test: it says why.
    update(&mut app, ctrl('o'));
    assert!(
        matches!(&app.status, Some(crate::tui::model::Status::Error(t)) if t.contains("no test results yet"))
    );
    update(&mut app, ctrl('t'));
    assert!(app.status.is_none(), "the reason goes with the next key");
    step_reply(
        &mut app,
        StepMsg::BasicDone {
            team: "acme".into(),
            rows: basic_failed_rows(),
            hidden: vec![],
            typed: None,
        },
    );
    update(&mut app, ctrl('o'));
    let screen = draw(&app);
    assert!(screen.contains("In full"), "{screen}");
    assert!(
        screen.contains("Invalid Username or Password credentials provided."),
        "{screen}"
    );
    assert!(screen.contains("the fields above"), "{screen}");
    // Any key closes it and does nothing else.
    update(&mut app, key(KeyCode::Char('x')));
    assert!(!draw(&app).contains("In full"));
    assert_eq!(basic_page(&app).customer_id.lines().join(""), "1001");
}
