//! The headless CLI driven as a script would: real binary, real SQLite file, secrets on
//! stdin. Exit codes, one-line errors, JSON shapes, and no secret at rest or in the log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{Sandbox, contains_bytes, db_files};

const SECRET: &str = "Tr0ub4dor&3-very-secret";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn one_line_error(out: &std::process::Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "exit code for: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("error"), "{err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

#[test]
fn team_add_list_show_json() {
    let sb = Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1234"], "");
    sb.ok(
        &[
            "team",
            "add",
            "Globex",
            "--customer-id",
            "99",
            "--region",
            "eu",
            "--api-base",
            "http://127.0.0.1:9/",
        ],
        "",
    );
    let list: serde_json::Value =
        serde_json::from_str(&sb.ok(&["team", "list", "--json"], "")).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let show: serde_json::Value =
        serde_json::from_str(&sb.ok(&["team", "show", "globex", "--json"], "")).unwrap();
    assert_eq!(show["name"], "Globex");
    assert_eq!(show["region"], "eu");
    assert_eq!(show["api_base"], "http://127.0.0.1:9/");
    assert_eq!(show["token_url"], "https://login.icims.eu/oauth/token");
    let steps = show["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "basic_sync",
            "deep_sync_credentials",
            "historical_export",
            "field_mapping",
            "deep_sync",
            "stage_mapping"
        ]
    );
    assert!(steps.iter().all(|s| s["state"] == "todo"));
    assert_eq!(steps[4]["locked"], true);
    assert_eq!(steps[4]["locked_by"].as_array().unwrap().len(), 3);
    assert!(
        steps[4]["lock_reason"]
            .as_str()
            .unwrap()
            .contains("field mapping not approved")
    );
    assert_eq!(steps[5]["locked"], true);
    assert_eq!(steps[0]["locked"], false);
    assert!(steps[0]["lock_reason"].is_null());
}

#[test]
fn creds_set_keeps_the_secret_out_of_the_database_and_the_log() {
    let sb = Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1234"], "");
    for (kind, flags) in [
        ("basic", vec!["--username", "gem-api"]),
        ("rest", vec!["--client-id", "client-1"]),
        ("datastream", vec!["--client-id", "stream-1"]),
        (
            "sftp",
            vec![
                "--host",
                "sftp.example.test",
                "--port",
                "2222",
                "--username",
                "customer5978",
            ],
        ),
    ] {
        let mut args = vec!["creds", "set", "Acme", "--kind", kind];
        args.extend(flags);
        args.push(if kind == "basic" || kind == "sftp" {
            "--password-stdin"
        } else {
            "--secret-stdin"
        });
        let stdin = format!("{SECRET}-{kind}\n");
        let out = sb.ok(&args, &stdin);
        assert!(!out.contains(SECRET), "stdout leaks the secret");
    }
    let show: serde_json::Value =
        serde_json::from_str(&sb.ok(&["team", "show", "Acme", "--json"], "")).unwrap();
    assert_eq!(show["credentials"].as_array().unwrap().len(), 4);
    assert!(!show.to_string().contains(SECRET));
    assert_eq!(
        show["steps"][0]["state"], "in progress",
        "basic creds stored, untested"
    );

    let db = sb.db();
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "database file mode");
    let files = db_files(&db);
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !contains_bytes(&bytes, SECRET.as_bytes()),
            "{} holds the secret",
            file.display()
        );
        assert!(
            !contains_bytes(&bytes, b"Tr0ub4dor"),
            "{} holds part of the secret",
            file.display()
        );
    }
    let log = std::fs::read(sb.log()).expect("log file written");
    assert!(!log.is_empty(), "the log has entries at trace level");
    assert!(!contains_bytes(&log, b"Tr0ub4dor"), "log holds the secret");
    let key = sb.config_home().join("icims-onboard").join("key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600,
        "key file mode"
    );
}

#[test]
fn a_different_key_cannot_open_stored_secrets() {
    let sb = Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    sb.ok(
        &[
            "creds",
            "set",
            "Acme",
            "--kind",
            "basic",
            "--username",
            "u",
            "--password-stdin",
        ],
        "pw\n",
    );
    // Reading through the library with another key must fail, with a message naming the key.
    let store = icims_onboard::store::Store::open(&sb.db())
        .unwrap()
        .with_keyring(icims_onboard::store::KeyRing::from_bytes(&[9; 32]));
    let team = store.team("Acme").unwrap();
    let err = store
        .credential(&team, icims_onboard::store::CredentialKind::Basic)
        .unwrap_err();
    assert!(err.to_string().contains("sealing key differs"), "{err}");
}

#[test]
fn bad_input_is_one_line_and_writes_nothing() {
    let sb = Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1234"], "");
    let teams = || sb.ok(&["team", "list", "--json"], "");
    let before = teams();

    one_line_error(
        &sb.run(
            &["team", "add", "X", "--customer-id", "1", "--region", "mars"],
            "",
        ),
        2,
        "mars",
    );
    one_line_error(
        &sb.run(&["team", "add", "X", "--customer-id", "12ab"], ""),
        2,
        "12ab",
    );
    one_line_error(
        &sb.run(&["team", "add", "acme", "--customer-id", "5"], ""),
        1,
        "already exists",
    );
    one_line_error(
        &sb.run(&["team", "add", " ", "--customer-id", "5"], ""),
        2,
        "team name",
    );
    one_line_error(
        &sb.run(
            &[
                "team",
                "add",
                "Y",
                "--customer-id",
                "5",
                "--api-base",
                "not a url",
            ],
            "",
        ),
        2,
        "--api-base",
    );
    one_line_error(
        &sb.run(
            &[
                "creds",
                "set",
                "Acme",
                "--kind",
                "basic",
                "--username",
                "u",
                "--password-stdin",
            ],
            "",
        ),
        1,
        "empty password",
    );
    one_line_error(
        &sb.run(
            &[
                "creds",
                "set",
                "Acme",
                "--kind",
                "basic",
                "--password-stdin",
            ],
            "pw\n",
        ),
        2,
        "--username",
    );
    one_line_error(
        &sb.run(
            &[
                "creds",
                "set",
                "Nope",
                "--kind",
                "basic",
                "--username",
                "u",
                "--password-stdin",
            ],
            "pw\n",
        ),
        1,
        "no team named",
    );
    // A secret can never be given on the command line.
    let out = sb.run(
        &[
            "creds",
            "set",
            "Acme",
            "--kind",
            "basic",
            "--username",
            "u",
            "--password",
            "pw",
        ],
        "",
    );
    one_line_error(&out, 2, "--password");
    // Without --password-stdin and without a terminal there is nothing to read.
    one_line_error(
        &sb.run(
            &["creds", "set", "Acme", "--kind", "basic", "--username", "u"],
            "",
        ),
        2,
        "--password-stdin",
    );

    assert_eq!(teams(), before, "nothing written");
    let show = sb.ok(&["team", "show", "Acme", "--json"], "");
    assert!(show.contains("\"credentials\": []"), "{show}");
}

#[test]
fn corrupt_foreign_and_newer_databases_are_refused_untouched() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.db().parent().unwrap()).unwrap();

    let corrupt = sb.dir.path().join("corrupt.db");
    std::fs::write(
        &corrupt,
        b"this is not a database, just some text\n".repeat(200),
    )
    .unwrap();
    let before = std::fs::read(&corrupt).unwrap();
    let out = sb.run(&["--db", corrupt.to_str().unwrap(), "team", "list"], "");
    one_line_error(&out, 1, "not an icims-onboard database");
    assert_eq!(std::fs::read(&corrupt).unwrap(), before);

    let foreign = sb.dir.path().join("foreign.db");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch(
            "CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');",
        )
        .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let out = sb.run(
        &[
            "--db",
            foreign.to_str().unwrap(),
            "team",
            "add",
            "A",
            "--customer-id",
            "1",
        ],
        "",
    );
    one_line_error(&out, 1, "another application");
    assert_eq!(std::fs::read(&foreign).unwrap(), before);

    let newer = sb.dir.path().join("newer.db");
    sb.ok(&["--db", newer.to_str().unwrap(), "team", "list"], "");
    {
        let conn = rusqlite::Connection::open(&newer).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let out = sb.run(&["--db", newer.to_str().unwrap(), "team", "list"], "");
    one_line_error(&out, 1, "newer icims-onboard");
}

#[test]
fn help_names_the_log_and_database_paths() {
    let sb = Sandbox::new();
    let help = sb.ok(&["--help"], "");
    assert!(help.contains("log"), "{help}");
    assert!(
        help.contains("icims-onboard.log") || help.contains("ICIMS_ONBOARD_LOG"),
        "{help}"
    );
    assert!(help.contains("ICIMS_ONBOARD_DB"), "{help}");
}

#[test]
fn bad_input_to_sandbox_demo_worker_export_and_check() {
    let sb = Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    // The sandbox only ever listens on loopback; the address is refused before any bind.
    one_line_error(
        &sb.run(&["sandbox", "--addr", "10.1.2.3:0"], ""),
        1,
        "not a loopback address",
    );
    one_line_error(
        &sb.run(&["sandbox", "--fault-rate", "2"], ""),
        1,
        "--fault-rate",
    );
    one_line_error(&sb.run(&["sandbox", "--people", "many"], ""), 2, "many");
    one_line_error(&sb.run(&["demo", "--team", " "], ""), 2, "team name");
    // A tenant slower than the client waits for is refused before anything starts.
    let slow = sb.run(&["demo", "--latency-ms", "9000"], "");
    one_line_error(&slow, 2, "--latency-ms");
    one_line_error(&slow, 2, "0..=5000");
    one_line_error(&sb.run(&["demo", "--latency-ms", "slow"], ""), 2, "slow");
    one_line_error(&sb.run(&["check", "Nope"], ""), 1, "no team named");
    let missing = sb.dir.path().join("missing.csv");
    one_line_error(
        &sb.run(&["export", "import", "Acme", missing.to_str().unwrap()], ""),
        2,
        "missing.csv",
    );
    let corrupt = sb.dir.path().join("corrupt.db");
    std::fs::write(&corrupt, b"junk\n".repeat(100)).unwrap();
    one_line_error(
        &sb.run(
            &["--db", corrupt.to_str().unwrap(), "worker", "--until-idle"],
            "",
        ),
        1,
        "not an icims-onboard database",
    );
    assert_eq!(std::fs::read(&corrupt).unwrap(), b"junk\n".repeat(100));
}
