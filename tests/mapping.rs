//! Step 4 field mapping against sandbox tenants: suggestion accuracy measured on the
//! generator's ground truth (export files on disk, Schema API and sample records over
//! TCP), the CSV round-trip, line-precise rejection of bad sheets, validation and the
//! approval gate (through `onboarding::derive`), and the CLI end to end.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use icims_onboard::icims::{AuthConfig, ClientConfig, Endpoints, IcimsClient};
use icims_onboard::mapping::{
    Catalogue, CustomerField, FieldSource, Issue, MappingEntry, MappingError, MappingState, Object,
    discover, edit, sheet, storage, suggest, validate,
};
use icims_onboard::onboarding::{self, OnboardingFacts, Step, StepState};
use icims_onboard::sandbox::model::FieldSource as TruthSource;
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo, export, generator};
use icims_onboard::store::{Actor, NewTeam, Store, Team};
use secrecy::SecretString;

fn client(info: &SandboxInfo) -> IcimsClient {
    IcimsClient::new(
        Endpoints::new(
            info.customer_id,
            &info.api_base,
            &info.token_url,
            &info.datastream.base,
        )
        .unwrap(),
        AuthConfig::Basic {
            username: info.basic.username.clone(),
            password: SecretString::from(info.basic.password.clone()),
        },
        ClientConfig::default(),
    )
    .unwrap()
}

fn object(o: icims_onboard::sandbox::Object) -> Object {
    Object::parse(o.prefix()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suggestions_match_the_generator_truth_on_several_seeds() {
    let catalogue = Catalogue::standard();
    let (mut right_total, mut total) = (0usize, 0usize);
    for seed in [1u64, 7, 42, 2026] {
        let sb = Sandbox::start(SandboxConfig {
            seed,
            people: 200,
            ..Default::default()
        })
        .await
        .unwrap();
        let info = sb.info();
        let files = discover::export_files_in(Path::new(&info.export.dir)).unwrap();
        assert_eq!(files.len(), 3, "export files of seed {seed}");
        let mut fields = discover::from_export_files(&files).unwrap();
        fields.extend(discover::from_api(&client(&info), 5).await.unwrap());
        let suggestions = suggest(&fields, &catalogue);
        assert_eq!(suggestions, suggest(&fields, &catalogue), "deterministic");

        let tenant = sb.tenant();
        let mut right = 0;
        for truth in &tenant.field_truth {
            let source = match truth.source {
                TruthSource::ExportHeader => FieldSource::Export,
                TruthSource::CustomField => FieldSource::Schema,
            };
            let i = fields
                .iter()
                .position(|f| {
                    f.object == object(truth.object) && f.source == source && f.name == truth.name
                })
                .unwrap_or_else(|| panic!("seed {seed}: {} not discovered", truth.name));
            let got = suggestions[i].target.as_deref();
            if got == Some(truth.standard_id.as_str()) {
                right += 1;
            } else {
                println!(
                    "seed {seed}: {} {:?} → {got:?}, expected {} ({:?})",
                    truth.object.prefix(),
                    truth.name,
                    truth.standard_id,
                    suggestions[i].reasons
                );
            }
            // Every renamed and custom field the generator knows the answer for is mapped.
            if truth.renamed || truth.source == TruthSource::CustomField {
                assert_eq!(
                    got,
                    Some(truth.standard_id.as_str()),
                    "seed {seed}: {:?}",
                    truth.name
                );
            }
        }
        // API fields with a standard id map to themselves.
        for (f, s) in fields.iter().zip(&suggestions) {
            let id = format!("{}.{}", f.object, f.name);
            if f.source == FieldSource::Schema && catalogue.get(&id).is_some() {
                assert_eq!(s.target.as_deref(), Some(id.as_str()), "{:?}", s.reasons);
            }
        }
        let entries: Vec<MappingEntry> = fields
            .into_iter()
            .zip(suggestions)
            .map(|(f, s)| MappingEntry::suggested(f, s))
            .collect();
        let issues = validate(&entries, &catalogue);
        assert!(
            !issues
                .iter()
                .any(|i| matches!(i, Issue::RequiredUnmapped { .. })),
            "seed {seed}: {issues:?}"
        );
        assert!(issues.is_empty(), "seed {seed}: {issues:?}");
        println!(
            "seed {seed}: {right}/{} fields suggested right ({:.1}%)",
            tenant.field_truth.len(),
            100.0 * right as f64 / tenant.field_truth.len() as f64
        );
        right_total += right;
        total += tenant.field_truth.len();
        sb.shutdown().await;
    }
    let accuracy = right_total as f64 / total as f64;
    println!(
        "mapping accuracy: {right_total}/{total} = {:.1}% (top suggestion right)",
        accuracy * 100.0
    );
    assert!(accuracy >= 0.9, "accuracy {accuracy}");
}

/// A store with one team and the mapping suggested from a generated tenant's export.
struct Fixture {
    _dir: tempfile::TempDir,
    store: Store,
    team: Team,
    catalogue: Catalogue,
    export_dir: PathBuf,
}

fn fixture(seed: u64) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let tenant = generator::generate(seed, 120);
    let export_dir = dir.path().join("export");
    export::write_all(&tenant, &export_dir).unwrap();
    let store = Store::open(&dir.path().join("onboard.db")).unwrap();
    let team = store
        .add_team(
            &NewTeam {
                name: "Acme".into(),
                customer_id: tenant.customer_id,
                region: None,
                api_base: None,
                token_url: None,
                datastream_base: None,
            },
            &Actor::named("tester"),
        )
        .unwrap();
    let catalogue = Catalogue::standard();
    let files = discover::export_files_in(&export_dir).unwrap();
    let fields = discover::from_export_files(&files).unwrap();
    storage::refresh(&store, &team, fields, &catalogue, &Actor::named("tester")).unwrap();
    Fixture {
        _dir: dir,
        store,
        team,
        catalogue,
        export_dir,
    }
}

fn decisions(
    entries: &[MappingEntry],
) -> Vec<(String, Option<String>, MappingState, Option<String>)> {
    entries
        .iter()
        .map(|e| {
            (
                format!("{}/{}/{}", e.field.object, e.field.source, e.field.name),
                e.target.clone(),
                e.state,
                e.note.clone(),
            )
        })
        .collect()
}

fn csv_of(entries: &[MappingEntry]) -> Vec<Vec<String>> {
    let mut buf = Vec::new();
    sheet::write_csv(entries, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut rows = vec![r.headers().unwrap().iter().map(String::from).collect()];
    rows.extend(
        r.records()
            .map(|x| x.unwrap().iter().map(String::from).collect::<Vec<_>>()),
    );
    rows
}

fn to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

fn row_of(rows: &[Vec<String>], object: &str, name: &str) -> usize {
    rows.iter()
        .position(|r| r[0] == object && r[2] == name)
        .unwrap_or_else(|| panic!("{object} {name} not in sheet"))
}

#[test]
fn round_trip_reproduces_the_edited_mapping() {
    let fx = fixture(5);
    let before = storage::load(&fx.store, &fx.team).unwrap();
    let mut rows = csv_of(&before);
    let (t, s, n) = (9, 10, 11); // target, state, note columns
    assert_eq!(rows[0][t], "target");
    // accept
    let coordinator = row_of(&rows, "job", "Coordinator");
    rows[coordinator][s] = "accepted".into();
    // change
    let source_name = row_of(&rows, "workflow", "Source Name");
    rows[source_name][t] = "workflow.sourceorigin".into();
    rows[source_name][s] = "changed".into();
    // ignore
    let bin = row_of(&rows, "workflow", "Bin");
    rows[bin][t] = String::new();
    rows[bin][s] = "ignored".into();
    // custom-field request
    let middle = row_of(&rows, "person", "Middle Name");
    rows[middle][t] = String::new();
    rows[middle][s] = "custom_request".into();
    rows[middle][n] = "Gem field: middle name".into();

    let import = sheet::read_csv(&to_csv(&rows), &before, &fx.catalogue).unwrap();
    let lines: Vec<u64> = import.changes.iter().map(|c| c.line).collect();
    let mut want_lines = vec![coordinator, source_name, bin, middle]
        .into_iter()
        .map(|i| i as u64 + 1)
        .collect::<Vec<_>>();
    want_lines.sort();
    assert_eq!(lines, want_lines, "one change per edited line");
    storage::save(
        &fx.store,
        &fx.team,
        &import.entries,
        &fx.catalogue,
        &Actor::named("reviewer"),
    )
    .unwrap();

    // The same edits made through the decision functions give the same mapping.
    let mut expected = before.clone();
    let find = |v: &mut Vec<MappingEntry>, o: Object, name: &str| {
        v.iter()
            .position(|e| e.field.object == o && e.field.name == name)
            .unwrap()
    };
    let i = find(&mut expected, Object::Job, "Coordinator");
    edit::accept(&mut expected[i]).unwrap();
    let i = find(&mut expected, Object::Workflow, "Source Name");
    edit::change(&mut expected[i], "workflow.sourceorigin", &fx.catalogue).unwrap();
    let i = find(&mut expected, Object::Workflow, "Bin");
    edit::ignore(&mut expected[i]);
    let i = find(&mut expected, Object::Person, "Middle Name");
    edit::request_custom(&mut expected[i], Some("Gem field: middle name".into()));
    let after = storage::load(&fx.store, &fx.team).unwrap();
    assert_eq!(decisions(&after), decisions(&expected));
    assert_eq!(
        after[find(&mut after.clone(), Object::Job, "Coordinator")].state,
        MappingState::Accepted
    );

    // Exporting again and importing unchanged is a fixed point.
    let again = csv_of(&after);
    assert_eq!(again[middle][s], "custom_request");
    assert_eq!(again[source_name][t], "workflow.sourceorigin");
    let import = sheet::read_csv(&to_csv(&again), &after, &fx.catalogue).unwrap();
    assert!(import.changes.is_empty(), "{:?}", import.changes);
    // The evidence columns are there for the review.
    assert!(
        again[coordinator][4].contains(' '),
        "samples: {:?}",
        again[coordinator]
    );
    assert_eq!(again[coordinator][6], "job.recruiter");
    assert!(again[coordinator][8].contains("alias"));
}

#[test]
fn malformed_sheets_are_rejected_with_the_line_and_change_nothing() {
    let fx = fixture(9);
    let current = storage::load(&fx.store, &fx.team).unwrap();
    let rows = csv_of(&current);
    let check = |bytes: Vec<u8>, line: u64, needle: &str| {
        let errs = sheet::read_csv(&bytes, &current, &fx.catalogue).unwrap_err();
        assert_eq!(errs[0].line, line, "{errs:?}");
        assert!(
            errs[0].message.contains(needle),
            "{errs:?} should say {needle:?}"
        );
    };
    let edited = |f: &dyn Fn(&mut Vec<Vec<String>>)| {
        let mut r = rows.clone();
        f(&mut r);
        to_csv(&r)
    };
    check(
        edited(&|r| r[3][2] = "Shoe Size".into()),
        4,
        "unknown field",
    );
    check(
        edited(&|r| r[5][9] = "person.shoesize".into()),
        6,
        "unknown target",
    );
    check(
        edited(&|r| r[2][9] = "job.jobtitle".into()),
        3,
        "not a person field",
    );
    check(edited(&|r| r[7][10] = "maybe".into()), 8, "unknown state");
    check(
        edited(&|r| r[4][10] = "ignored".into()),
        5,
        "clear the target",
    );
    check(
        edited(&|r| r[6] = r[2].clone()),
        7,
        "appears twice (first on line 3)",
    );
    check(
        edited(&|r| r[0].retain(|c| c != "state")),
        1,
        "missing column",
    );
    check(
        edited(&|r| r[0][0] = "objekt".into()),
        1,
        "missing column(s) object",
    );
    // A row with a missing column.
    let text = String::from_utf8(to_csv(&rows)).unwrap();
    let mut broken: Vec<String> = text.lines().map(str::to_string).collect();
    broken[5] = format!("{},x", broken[5].split(',').next().unwrap());
    check(
        broken.join("\n").into_bytes(),
        6,
        "fields, the header has 12",
    );
    // An unterminated quote on line 7.
    let mut broken: Vec<String> = text.lines().map(str::to_string).collect();
    broken[6] = format!("\"{}", broken[6]);
    let errs = sheet::read_csv(broken.join("\n").as_bytes(), &current, &fx.catalogue).unwrap_err();
    assert!(errs[0].line >= 7, "{errs:?}");
    // Bad UTF-8 on line 3.
    let mut bytes = to_csv(&rows);
    let pos = text.match_indices('\n').nth(1).unwrap().0 + 3;
    bytes[pos] = 0xFF;
    check(bytes, 3, "not UTF-8");
    check(Vec::new(), 1, "empty");
    // Nothing was stored by any of these.
    assert_eq!(
        decisions(&storage::load(&fx.store, &fx.team).unwrap()),
        decisions(&current)
    );
    // Errors are collected, not just the first.
    let many = edited(&|r| {
        r[3][2] = "Nope".into();
        r[8][9] = "job.nope".into();
    });
    let errs = sheet::read_csv(&many, &current, &fx.catalogue).unwrap_err();
    assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), vec![4, 9]);
}

fn step4(fx: &Fixture) -> (StepState, String) {
    let facts = OnboardingFacts::load(&fx.store, &fx.team).unwrap();
    let s = onboarding::derive(&facts)
        .into_iter()
        .find(|s| s.step == Step::FieldMapping)
        .unwrap();
    (s.state, s.detail)
}

#[test]
fn validation_and_the_approval_gate() {
    let fx = fixture(3);
    let actor = Actor::named("alice");
    let entries = storage::load(&fx.store, &fx.team).unwrap();
    assert!(validate(&entries, &fx.catalogue).is_empty());
    assert_eq!(step4(&fx).0, StepState::InProgress);

    // Ignoring the email column leaves a required field unmapped: not approvable.
    let mut broken = entries.clone();
    let email = broken
        .iter()
        .position(|e| e.field.object == Object::Person && e.field.name == "Email")
        .unwrap();
    edit::ignore(&mut broken[email]);
    // Mapping two columns to one target, and dates to an email field.
    let created = broken
        .iter()
        .position(|e| e.field.object == Object::Person && e.field.name == "Created Date")
        .unwrap();
    edit::change(&mut broken[created], "person.updateddate", &fx.catalogue).unwrap();
    let city = broken
        .iter()
        .position(|e| e.field.object == Object::Person && e.field.name == "City")
        .unwrap();
    broken[city].target = Some("person.email".into());
    broken[city].state = MappingState::Changed;
    let issues = validate(&broken, &fx.catalogue);
    let text: Vec<String> = issues.iter().map(ToString::to_string).collect();
    assert!(
        !issues.iter().any(
            |i| matches!(i, Issue::RequiredUnmapped { target, .. } if target == "person.email")
        ),
        "City now fills person.email: {text:?}"
    );
    assert!(
        issues.iter().any(
            |i| matches!(i, Issue::DuplicateTarget { target, .. } if target == "person.updateddate")
        ),
        "{text:?}"
    );
    assert!(
        issues.iter().any(
            |i| matches!(i, Issue::IncompatibleType { target, .. } if target == "person.email")
        ),
        "{text:?}"
    );
    edit::ignore(&mut broken[city]);
    let issues = validate(&broken, &fx.catalogue);
    assert!(
        issues.iter().any(
            |i| matches!(i, Issue::RequiredUnmapped { target, .. } if target == "person.email")
        ),
        "{issues:?}"
    );
    storage::save(&fx.store, &fx.team, &broken, &fx.catalogue, &actor).unwrap();
    assert_eq!(step4(&fx).0, StepState::NeedsAttention);
    let err = storage::approve(&fx.store, &fx.team, &fx.catalogue, None, &actor).unwrap_err();
    assert!(matches!(err, MappingError::NotApprovable { .. }));
    assert!(err.to_string().contains("person.email"), "{err}");
    assert_ne!(step4(&fx).0, StepState::Done);

    // Fixed and approved: step 4 is done, with who.
    storage::save(&fx.store, &fx.team, &entries, &fx.catalogue, &actor).unwrap();
    storage::approve(
        &fx.store,
        &fx.team,
        &fx.catalogue,
        Some("reviewed".into()),
        &actor,
    )
    .unwrap();
    let (state, detail) = step4(&fx);
    assert_eq!(state, StepState::Done);
    assert!(detail.contains("alice"), "{detail}");
    let (by, at) = storage::approval(&fx.store, &fx.team).unwrap().unwrap();
    assert_eq!(by, "alice");
    assert!(at.starts_with("20"), "{at}");

    // Saving the same decisions again keeps the approval; a real change reopens the step.
    storage::save(&fx.store, &fx.team, &entries, &fx.catalogue, &actor).unwrap();
    assert_eq!(step4(&fx).0, StepState::Done);
    let mut changed = entries.clone();
    let bin = changed
        .iter()
        .position(|e| e.field.object == Object::Workflow && e.field.name == "Bin")
        .unwrap();
    edit::ignore(&mut changed[bin]);
    storage::save(
        &fx.store,
        &fx.team,
        &changed,
        &fx.catalogue,
        &Actor::named("bob"),
    )
    .unwrap();
    assert_eq!(step4(&fx).0, StepState::InProgress);
    assert!(storage::approval(&fx.store, &fx.team).unwrap().is_none());

    // Re-running discovery keeps decisions and does not reopen an approved mapping.
    storage::approve(&fx.store, &fx.team, &fx.catalogue, None, &actor).unwrap();
    let files = discover::export_files_in(&fx.export_dir).unwrap();
    let fields: Vec<CustomerField> = discover::from_export_files(&files).unwrap();
    let merged = storage::refresh(&fx.store, &fx.team, fields, &fx.catalogue, &actor).unwrap();
    assert_eq!(merged[bin].state, MappingState::Ignored);
    assert_eq!(step4(&fx).0, StepState::Done);
}

#[test]
fn accept_all_above_a_confidence() {
    let fx = fixture(4);
    let mut entries = storage::load(&fx.store, &fx.team).unwrap();
    let above = entries
        .iter()
        .filter(|e| e.suggestion.target.is_some() && e.suggestion.confidence >= 0.95)
        .count();
    assert!(above > 0);
    assert_eq!(edit::accept_all_above(&mut entries, 0.95), above);
    assert!(entries.iter().all(|e| (e.state == MappingState::Accepted)
        == (e.suggestion.target.is_some() && e.suggestion.confidence >= 0.95)));
    assert_eq!(
        edit::accept_all_above(&mut entries, 0.95),
        0,
        "only suggested rows"
    );
}

#[test]
fn cli_suggest_export_import_approve() {
    let home = common::Sandbox::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1234"], "");
    let export_dir = home.dir.path().join("export");
    export::write_all(&generator::generate(8, 100), &export_dir).unwrap();
    // Step 3's import stages the files; suggest reads the staged columns, samples and fill.
    let files: Vec<String> = discover::export_files_in(&export_dir)
        .unwrap()
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut args = vec!["export", "import", "Acme"];
    args.extend(files.iter().map(String::as_str));
    home.ok(&args, "");
    let human = home.ok(&["mapping", "fields", "suggest", "Acme"], "");
    assert!(human.contains("staged import"), "{human}");
    let out = home.ok(&["mapping", "fields", "suggest", "Acme", "--json"], "");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 33);
    for item in list {
        for key in [
            "object",
            "customer_field",
            "target",
            "confidence",
            "reasons",
        ] {
            assert!(item.get(key).is_some(), "{key} missing in {item}");
        }
        let c = item["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&c));
    }
    let coordinator = list
        .iter()
        .find(|i| i["customer_field"] == "Coordinator")
        .unwrap();
    assert_eq!(coordinator["object"], "job");
    assert_eq!(coordinator["target"], "job.recruiter");

    // Without a staged import, --export-dir reads the CSV files directly.
    home.ok(&["team", "add", "Globex", "--customer-id", "99"], "");
    let dir = export_dir.to_str().unwrap();
    let out = home.ok(
        &[
            "mapping",
            "fields",
            "suggest",
            "Globex",
            "--export-dir",
            dir,
        ],
        "",
    );
    assert!(out.contains("read 3 export file(s)"), "{out}");
    assert!(out.contains("validation: no problems"), "{out}");

    let sheet_path = home.dir.path().join("mapping.csv");
    let sheet = sheet_path.to_str().unwrap();
    home.ok(&["mapping", "fields", "export", "Acme", sheet], "");
    let text = std::fs::read_to_string(&sheet_path).unwrap();
    assert!(text.contains("Coordinator"));

    // A bad target on line 4: one-line error naming file and line, exit 1, nothing changed.
    let mut rows: Vec<Vec<String>> = {
        let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut v = vec![r.headers().unwrap().iter().map(String::from).collect()];
        v.extend(
            r.records()
                .map(|x| x.unwrap().iter().map(String::from).collect()),
        );
        v
    };
    rows[3][9] = "person.nope".into();
    std::fs::write(&sheet_path, to_csv(&rows)).unwrap();
    let out = home.run(&["mapping", "fields", "import", "Acme", sheet], "");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":4: unknown target"), "{err}");
    assert!(err.lines().last().unwrap().starts_with("error: "), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");

    // Fixed: ignore the Bin column; the diff names the line.
    rows[3][9] = rows[3][6].clone();
    let bin = row_of(&rows, "workflow", "Bin");
    rows[bin][9] = String::new();
    rows[bin][10] = "ignored".into();
    std::fs::write(&sheet_path, to_csv(&rows)).unwrap();
    let dry = home.ok(
        &["mapping", "fields", "import", "Acme", sheet, "--dry-run"],
        "",
    );
    assert!(
        dry.contains(&format!("line {}:", bin + 1)) && dry.contains("dry run"),
        "{dry}"
    );
    let out = home.ok(
        &["mapping", "fields", "import", "Acme", sheet, "--json"],
        "",
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["applied"], true);
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);

    let out = home.ok(&["mapping", "fields", "approve", "Acme", "--json"], "");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["approved"], true);
    let show: serde_json::Value =
        serde_json::from_str(&home.ok(&["team", "show", "Acme", "--json"], "")).unwrap();
    let step = show["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "field_mapping")
        .unwrap()
        .clone();
    assert_eq!(step["state"], "done", "{step}");
}

// ---- step 4 screen: snapshots at fixed sizes and key handling --------------------------

mod screen {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use icims_onboard::store::Region;
    use icims_onboard::tui::app::{App, Effect, Msg, Screen, TeamRow, update};
    use icims_onboard::tui::pages::field_mapping::{FieldMappingState, MappingEffect, MappingMsg};
    use icims_onboard::tui::pages::{ReplyBody, StepPage, Work};
    use icims_onboard::tui::render::render;
    use icims_onboard::tui::theme::Theme;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    const AT: &str = "2026-11-20T10:00:00Z";

    /// The suggested mapping of a generated tenant (seed 5), as stored.
    fn suggested() -> Vec<MappingEntry> {
        let fx = fixture(5);
        storage::load(&fx.store, &fx.team).unwrap()
    }

    fn app_with(state: FieldMappingState, size: (u16, u16)) -> App {
        let mut app = App::new("/data/onboard.db", size);
        let team = icims_onboard::store::Team {
            id: 1,
            name: "Acme".into(),
            customer_id: 1234,
            region: Region::Us,
            api_base_override: None,
            token_url_override: None,
            datastream_base_override: None,
            created_at: AT.into(),
        };
        app.teams = vec![TeamRow {
            steps: onboarding::derive(&OnboardingFacts::default()),
            credentials: Vec::new(),
            sync_enabled: false,
            team,
        }];
        app.screen = Screen::Team {
            name: "Acme".into(),
            step: 3,
        };
        app.show_page(StepPage::FieldMapping(Box::new(state)));
        app
    }

    fn mapping(app: &App) -> &FieldMappingState {
        app.step_page()
            .and_then(|p| p.field_mapping())
            .expect("the field mapping page is open")
    }

    fn mapping_mut(app: &mut App) -> &mut FieldMappingState {
        app.page
            .as_mut()
            .and_then(|o| o.page.field_mapping_mut())
            .expect("the field mapping page is open")
    }

    fn mapping_work(effects: &[Effect]) -> Vec<&MappingEffect> {
        effects
            .iter()
            .filter_map(|e| match e.work() {
                Some(Work::Mapping(m)) => Some(m),
                _ => None,
            })
            .collect()
    }

    fn state(entries: Vec<MappingEntry>, approval: Option<(String, String)>) -> FieldMappingState {
        FieldMappingState::new("Acme", Catalogue::standard()).with_entries(entries, approval)
    }

    fn snap(name: &str, app: &App) {
        let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
        terminal.draw(|f| render(f, app, &Theme::dark())).unwrap();
        insta::assert_snapshot!(name, terminal.backend());
    }

    fn key(app: &mut App, code: KeyCode) -> Vec<Effect> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            key(app, KeyCode::Char(c));
        }
    }

    #[test]
    fn snapshot_empty() {
        snap(
            "mapping_empty_120x40",
            &app_with(state(Vec::new(), None), (120, 40)),
        );
    }

    #[test]
    fn snapshot_suggested() {
        snap(
            "mapping_suggested_120x40",
            &app_with(state(suggested(), None), (120, 40)),
        );
        snap(
            "mapping_suggested_80x24",
            &app_with(state(suggested(), None), (80, 24)),
        );
    }

    #[test]
    fn snapshot_with_errors() {
        let mut entries = suggested();
        let email = entries
            .iter()
            .position(|e| e.field.name == "Email")
            .unwrap();
        edit::ignore(&mut entries[email]);
        let created = entries
            .iter()
            .position(|e| e.field.object == Object::Person && e.field.name == "Created Date")
            .unwrap();
        edit::change(
            &mut entries[created],
            "person.updateddate",
            &Catalogue::standard(),
        )
        .unwrap();
        let mut app = app_with(state(entries, None), (120, 40));
        // Filtered to the person rows, sorted by state.
        key(&mut app, KeyCode::Char('/'));
        typed(&mut app, "person");
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('s'));
        snap("mapping_with_errors_120x40", &app);
    }

    #[test]
    fn snapshot_approved_and_picker() {
        let mut entries = suggested();
        edit::accept_all_above(&mut entries, 0.0);
        let mut app = app_with(state(entries, Some(("alice".into(), AT.into()))), (120, 40));
        snap("mapping_approved_120x40", &app);
        for _ in 0..20 {
            key(&mut app, KeyCode::Down);
        }
        key(&mut app, KeyCode::Char('t'));
        typed(&mut app, "recr");
        snap("mapping_picker_120x40", &app);
    }

    #[test]
    fn keys_edit_save_and_approve() {
        let mut app = app_with(state(suggested(), None), (120, 40));
        // Help overlay lists the mapping keys.
        key(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        key(&mut app, KeyCode::Esc);
        assert!(!app.help && app.step_page().is_some());

        // Accept the first row.
        let effects = key(&mut app, KeyCode::Char('a'));
        let m = mapping(&app);
        assert_eq!(m.entries[m.view[0]].state, MappingState::Accepted);
        assert!(matches!(
            mapping_work(&effects)[..],
            [MappingEffect::Save { .. }]
        ));

        // Pick a different target through the searchable list.
        let coordinator = m
            .view
            .iter()
            .position(|&i| m.entries[i].field.name == "Coordinator")
            .unwrap();
        for _ in 0..coordinator {
            key(&mut app, KeyCode::Down);
        }
        key(&mut app, KeyCode::Enter);
        typed(&mut app, "secondary");
        let effects = key(&mut app, KeyCode::Enter);
        assert!(matches!(
            mapping_work(&effects)[..],
            [MappingEffect::Save { .. }]
        ));
        let m = mapping(&app);
        let e = &m.entries[m.view[coordinator]];
        assert_eq!(e.target.as_deref(), Some("job.secondaryrecruiter"));
        assert_eq!(e.state, MappingState::Changed);

        // Ignore and custom request.
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Char('i'));
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Char('c'));
        let m = mapping(&app);
        assert_eq!(
            m.entries[m.view[coordinator + 1]].state,
            MappingState::Ignored
        );
        assert_eq!(
            m.entries[m.view[coordinator + 2]].state,
            MappingState::CustomRequest
        );

        // Accept all ≥ 95%.
        key(&mut app, KeyCode::Char('A'));
        for _ in 0..4 {
            key(&mut app, KeyCode::Backspace);
        }
        typed(&mut app, "95%");
        let effects = key(&mut app, KeyCode::Enter);
        assert!(matches!(
            mapping_work(&effects)[..],
            [MappingEffect::Save { .. }]
        ));
        let m = mapping(&app);
        assert!(m.entries.iter().all(|e| e.state != MappingState::Suggested
            || e.suggestion.target.is_none()
            || e.suggestion.confidence < 0.95));

        // Approve is refused on screen while there are problems, asked for otherwise.
        let m = mapping_mut(&mut app);
        let first_required = m
            .entries
            .iter()
            .position(|e| e.target.as_deref() == Some("person.email"))
            .unwrap();
        edit::ignore(&mut m.entries[first_required]);
        m.recompute();
        assert!(key(&mut app, KeyCode::Char('p')).is_empty());
        let fixed = suggested();
        let reply = app
            .reply_to_page(ReplyBody::Mapping(MappingMsg::Loaded {
                entries: fixed,
                approval: None,
            }))
            .unwrap();
        update(&mut app, reply);
        // Rows still only suggested: approving asks first, naming how many.
        let suggested_rows = mapping(&app).suggested();
        assert!(suggested_rows > 0);
        assert!(key(&mut app, KeyCode::Char('p')).is_empty());
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        terminal.draw(|f| render(f, &app, &Theme::dark())).unwrap();
        let screen = format!("{}", terminal.backend());
        assert!(
            screen.contains(&format!("{suggested_rows} row(s) are only suggested")),
            "{screen}"
        );
        // n keeps it unapproved; p then y approves.
        assert!(key(&mut app, KeyCode::Char('n')).is_empty());
        assert!(key(&mut app, KeyCode::Char('p')).is_empty());
        let effects = key(&mut app, KeyCode::Char('y'));
        assert_eq!(
            mapping_work(&effects),
            vec![&MappingEffect::Approve {
                team: "Acme".into()
            }]
        );
        // Esc goes back to the team screen.
        let effects = key(&mut app, KeyCode::Esc);
        assert!(app.page.is_none());
        assert_eq!(effects, vec![Effect::LoadTeams]);
    }
}

// ---- the console through step 4, driven in tmux ----------------------------------------

mod walkthrough {
    use super::*;
    use common::tmux::Tmux;

    #[test]
    fn console_accepts_and_approves_step_4() {
        let home = common::Sandbox::new();
        home.ok(&["team", "add", "Acme", "--customer-id", "1234"], "");
        let export_dir = home.dir.path().join("export");
        export::write_all(&generator::generate(6, 100), &export_dir).unwrap();
        let files: Vec<String> = discover::export_files_in(&export_dir)
            .unwrap()
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let mut args = vec!["export", "import", "Acme"];
        args.extend(files.iter().map(String::as_str));
        home.ok(&args, "");
        let q = |p: &Path| format!("'{}'", p.display());
        let command = format!(
            "env ICIMS_ONBOARD_DB={} ICIMS_ONBOARD_LOG={} XDG_CONFIG_HOME={} TERM=xterm-256color {}; echo EXITED:$?; sleep 60",
            q(&home.db()),
            q(&home.log()),
            q(&home.config_home()),
            q(Path::new(env!("CARGO_BIN_EXE_icims-onboard"))),
        );
        let tmux = Tmux::start("mapping", 120, 40, &command);
        tmux.wait_text("Acme");
        tmux.keys(&["Enter"]);
        tmux.wait_text("Basic sync");
        tmux.keys(&["j", "j", "j", "Enter"]);
        tmux.wait_text("press d to discover");
        tmux.keys(&["d"]);
        tmux.wait_text("Customer fields (33 shown)");
        // A capture can land inside a frame being drawn: wait for the whole table.
        let screen = tmux.wait_text("Coordinator");
        assert!(screen.contains("not approved"), "{screen}");
        // Accept all at or above 97 %: the 90–95 % rows stay only suggested.
        tmux.keys(&["A", "BSpace", "BSpace", "BSpace", "BSpace"]);
        tmux.type_text("0.97");
        tmux.keys(&["Enter"]);
        tmux.wait_text("at or above 97%");
        tmux.keys(&["?"]);
        tmux.wait_text("Keys: Step 4: field mapping");
        tmux.keys(&["Escape", "p"]);
        // Rows below 90 % are still only suggested: approving asks first.
        tmux.wait_text("only suggested, not reviewed");
        tmux.keys(&["y"]);
        let approved = tmux.wait_text("✓ approved by");
        assert!(approved.contains("accepted"), "{approved}");
        tmux.keys(&["Escape"]);
        tmux.wait_text("approved by");
        tmux.keys(&["q"]);
        tmux.wait_text("EXITED:0");

        let store = Store::open(&home.db()).unwrap();
        let team = store.team("Acme").unwrap();
        assert!(storage::approval(&store, &team).unwrap().is_some());
        let entries = storage::load(&store, &team).unwrap();
        assert!(entries.iter().any(|e| e.state == MappingState::Accepted));
    }
}
