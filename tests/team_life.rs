//! Teams over their whole life, driven through the real binary on a real SQLite file
//! against the sandbox tenant (HTTP API and SFTP export over TCP): a scripted onboarding
//! whose audit log lists every audited action in order with no secret; `team set`
//! reopening the steps tested against the old settings; `team remove` leaving no row,
//! staging table, file or sealed credential of the team, with the freed pages
//! overwritten; and bad input to every new command.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use common::{Sandbox as Home, contains_bytes, db_files};
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use serde_json::Value;

const SSH_CLIENT: &str = "203.0.113.9";

/// Runs the binary in `home` as user `tester` over "SSH", feeding `stdin`.
fn run(home: &Home, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = home
        .command()
        .args(args)
        .env("USER", "tester")
        .env_remove("SUDO_USER")
        .env("SSH_CONNECTION", format!("{SSH_CLIENT} 50022 10.0.0.1 22"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn icims-onboard");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn ok(home: &Home, args: &[&str], stdin: &str) -> String {
    let out = run(home, args, stdin);
    assert!(
        out.status.success(),
        "{args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(home: &Home, args: &[&str]) -> Value {
    let out = ok(home, args, "");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// Asserts a one-line error with the exit code and a word naming what is at fault.
fn one_line_error(out: &Output, code: i32, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "exit code for: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
}

fn states(show: &Value) -> Vec<String> {
    show["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect()
}

fn step_numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_u64().or_else(|| s["number"].as_u64()).unwrap())
        .collect()
}

/// Every table with a `team_id` column, found independently of the code under test.
fn team_tables(conn: &rusqlite::Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names
        .into_iter()
        .filter(|t| {
            let cols: Vec<String> = conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            cols.iter().any(|c| c == "team_id")
        })
        .collect()
}

fn add_sandbox_team(home: &Home, info: &SandboxInfo, name: &str) {
    let cid = info.customer_id.to_string();
    ok(
        home,
        &[
            "team",
            "add",
            name,
            "--customer-id",
            &cid,
            "--api-base",
            &info.api_base,
            "--token-url",
            &info.token_url,
            "--datastream-base",
            &info.datastream.base,
        ],
        "",
    );
    let port = info.sftp.port.to_string();
    for (kind, flags, secret) in [
        (
            "basic",
            vec!["--username", info.basic.username.as_str()],
            info.basic.password.as_str(),
        ),
        (
            "rest",
            vec!["--client-id", info.oauth.client_id.as_str()],
            info.oauth.client_secret.as_str(),
        ),
        (
            "datastream",
            vec!["--client-id", info.datastream.client_id.as_str()],
            info.datastream.client_secret.as_str(),
        ),
        (
            "sftp",
            vec![
                "--host",
                info.sftp.host.as_str(),
                "--port",
                port.as_str(),
                "--username",
                info.sftp.username.as_str(),
                "--path",
                info.sftp.path.as_str(),
            ],
            info.sftp.password.as_str(),
        ),
    ] {
        let mut args = vec!["creds", "set", name, "--kind", kind];
        args.extend(flags);
        args.push("--password-stdin");
        ok(home, &args, &format!("{secret}\n"));
    }
}

fn secrets(info: &SandboxInfo) -> Vec<String> {
    vec![
        info.basic.password.clone(),
        info.oauth.client_secret.clone(),
        info.datastream.client_secret.clone(),
        info.sftp.password.clone(),
    ]
}

/// A value of the team's staged people export that looks like an email address.
fn staged_email(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'export_stage_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables {
        let cols: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for c in cols {
            let v: Option<String> = conn
                .query_row(
                    &format!(
                        "SELECT \"{c}\" FROM {t} WHERE \"{c}\" LIKE '%_@_%.%' AND length(\"{c}\") > 12 LIMIT 1"
                    ),
                    [],
                    |r| r.get(0),
                )
                .ok();
            if let Some(v) = v {
                return v;
            }
        }
    }
    panic!("no email address among the staged rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_audit_settings_changes_and_removal() {
    let sb = Sandbox::start(SandboxConfig {
        people: 300,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    tokio::task::spawn_blocking(move || scripted_life(&info))
        .await
        .unwrap();
}

fn scripted_life(info: &SandboxInfo) {
    let home = Home::new();
    let db = home.db();

    // A second team that must come through Acme's removal untouched.
    ok(&home, &["team", "add", "Globex", "--customer-id", "77"], "");
    ok(
        &home,
        &[
            "creds",
            "set",
            "Globex",
            "--kind",
            "basic",
            "--username",
            "g",
            "--password-stdin",
        ],
        "globex-pw\n",
    );

    // ---- A scripted onboarding of Acme through steps 1-4 ----
    add_sandbox_team(&home, info, "Acme");
    ok(&home, &["check", "Acme", "--json"], "");
    {
        // The console's "sync enabled" toggle, recorded the way the console records it.
        let store = icims_onboard::store::Store::open(&db).unwrap();
        let team = store.team("Acme").unwrap();
        let actor = icims_onboard::store::Actor {
            user: "tester".into(),
            ssh_client: Some(SSH_CLIENT.into()),
        };
        store
            .set_fact(
                &team,
                icims_onboard::onboarding::keys::BASIC_SYNC_ENABLED,
                &true,
                &actor,
            )
            .unwrap();
    }
    ok(
        &home,
        &[
            "export",
            "fetch",
            "Acme",
            "--accept-host-key",
            &info.sftp.host_key_sha256,
        ],
        "",
    );
    ok(&home, &["export", "import", "Acme"], "");
    ok(&home, &["mapping", "fields", "suggest", "Acme"], "");
    ok(&home, &["mapping", "fields", "approve", "Acme"], "");
    let show = json(&home, &["team", "show", "Acme", "--json"]);
    assert_eq!(
        states(&show)[..4],
        ["done", "done", "done", "done"],
        "{show}"
    );

    // ---- The audit log of that onboarding, in order, without a secret ----
    let out = ok(&home, &["audit", "Acme", "--json"], "");
    for secret in secrets(info) {
        assert!(!out.contains(&secret), "the audit output holds a secret");
    }
    let entries: Vec<Value> = serde_json::from_str(&out).unwrap();
    let mut actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.reverse(); // newest first on output
    assert_eq!(
        actions,
        [
            "team.add",
            "creds.set", // basic
            "creds.set", // rest
            "creds.set", // datastream
            "creds.set", // sftp
            "fact.basic.test.report",
            "fact.basic.test",
            "fact.deep.preflight.matrix",
            "fact.deep.preflight",
            "fact.icims.linkedin_field",
            "fact.basic.sync_enabled",
            "sftp.host_key.pin",
            "export.fetch.file", // three files
            "export.fetch.file",
            "export.fetch.file",
            "fact.export.imported",
            "fact.mapping.fields", // suggest
            "fact.mapping.fields", // approve (re-validated)
            "fact.mapping.fields.approved",
        ],
        "every audited action of the onboarding, oldest first"
    );
    let kinds: Vec<&str> = entries
        .iter()
        .rev()
        .filter(|e| e["action"] == "creds.set")
        .map(|e| e["object"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["kind=basic", "kind=rest", "kind=datastream", "kind=sftp"]
    );
    for e in &entries {
        assert_eq!(e["actor"], "tester", "{e}");
        assert_eq!(e["ssh_client"], SSH_CLIENT, "{e}");
        assert_eq!(e["team"], "Acme", "{e}");
        assert!(e["at"].as_str().unwrap().ends_with('Z'), "{e}");
        assert!(e.get("object").is_some(), "{e}");
    }
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // The whole log (both teams) and a --since in the future.
    let all = json(&home, &["audit", "--json"]);
    assert!(all.as_array().unwrap().len() > entries.len());
    let none = json(&home, &["audit", "Acme", "--since", "2999-01-01", "--json"]);
    assert!(none.as_array().unwrap().is_empty());
    let human = ok(&home, &["audit", "Acme"], "");
    assert!(human.contains("tester (203.0.113.9)"), "{human}");
    assert!(human.contains("creds.set"), "{human}");

    // ---- team set: a wrong customer id reopens steps 1 and 2 (and locks 5) ----
    let wrong = (info.customer_id + 1).to_string();
    let set = json(
        &home,
        &["team", "set", "Acme", "--customer-id", &wrong, "--json"],
    );
    assert_eq!(set["changed"], true);
    assert_eq!(step_numbers(&set["reopened"]), [1, 2], "{set}");
    assert_eq!(step_numbers(&set["steps"]), [1, 2, 5], "{set}");
    assert_eq!(set["steps"][0]["before"], "done");
    assert_eq!(set["steps"][0]["after"], "in progress");
    assert_eq!(set["steps"][2]["locked_before"], false);
    assert_eq!(set["steps"][2]["locked_after"], true);
    assert_eq!(set["changes"][0]["field"], "customer_id");
    let show = json(&home, &["team", "show", "Acme", "--json"]);
    assert!(
        show["steps"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("customer id or API base changed"),
        "{show}"
    );

    // The region alone changes no endpoint in effect here (all three are overridden).
    let human = ok(&home, &["team", "set", "Acme", "--region", "eu"], "");
    assert!(human.contains("region           us -> eu"), "{human}");
    assert!(human.contains("no step changed state"), "{human}");

    // Back to the right customer id: the tests still predate a change, so still reopened.
    let cid = info.customer_id.to_string();
    let set = json(
        &home,
        &["team", "set", "Acme", "--customer-id", &cid, "--json"],
    );
    assert_eq!(step_numbers(&set["reopened"]), [1, 2]);
    assert!(set["steps"].as_array().unwrap().is_empty(), "{set}");

    // The tenant's EU endpoints: reopened until tested again, then done again.
    let human = ok(
        &home,
        &[
            "team",
            "set",
            "Acme",
            "--api-base",
            &info.regions.eu.api_base,
            "--token-url",
            &info.regions.eu.token_url,
        ],
        "",
    );
    assert!(human.contains("API base"), "{human}");
    assert!(
        human.contains("tests of step(s) 1, 2 taken before this change no longer count"),
        "{human}"
    );
    // Stamps have second precision and a change made in the same second as a test is
    // stamped after it; start the new test in a later second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&home, &["check", "Acme"], "");
    let show = json(&home, &["team", "show", "Acme", "--json"]);
    assert_eq!(
        states(&show)[..4],
        ["done", "done", "done", "done"],
        "{show}"
    );
    assert_eq!(show["api_base"], info.regions.eu.api_base);

    // Rename: the history follows the team.
    ok(&home, &["team", "set", "Acme", "--rename", "Acme Corp"], "");
    let history = json(&home, &["audit", "acme corp", "--json"]);
    let history = history.as_array().unwrap();
    assert_eq!(history[0]["action"], "team.set");
    assert_eq!(history[0]["object"], "name");
    assert_eq!(history[0]["team"], "Acme Corp");
    assert_eq!(history.last().unwrap()["action"], "team.add");
    assert_eq!(history.last().unwrap()["team"], "Acme");

    // ---- team remove ----
    let email = staged_email(&db);
    let (team_id, unit_ids, sealed, files) = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let team_id: i64 = conn
            .query_row("SELECT id FROM teams WHERE name = 'Acme Corp'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let units: Vec<i64> = conn
            .prepare("SELECT id FROM export_units WHERE team_id = ?1")
            .unwrap()
            .query_map([team_id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let sealed: Vec<Vec<u8>> = conn
            .prepare("SELECT sealed FROM credentials WHERE team_id = ?1")
            .unwrap()
            .query_map([team_id], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let files: Vec<PathBuf> = conn
            .prepare("SELECT local_path FROM export_files WHERE team_id = ?1")
            .unwrap()
            .query_map([team_id], |r| r.get::<_, String>(0))
            .unwrap()
            .map(|p| PathBuf::from(p.unwrap()))
            .collect();
        // A table another branch will add (keyed by team_id): removal must cover it too.
        conn.execute_batch(
            "CREATE TABLE future_records (team_id INTEGER NOT NULL, payload TEXT NOT NULL)",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO future_records VALUES (?1, 'Zebulon-Quixotic-Payload-7731')",
            [team_id],
        )
        .unwrap();
        (team_id, units, sealed, files)
    };
    assert_eq!(sealed.len(), 4);
    assert!(unit_ids.len() >= 3);
    assert!(files.len() >= 3 && files.iter().all(|f| f.exists()));
    let acme_files_before = db_files(&db)
        .iter()
        .any(|f| contains_bytes(&std::fs::read(f).unwrap(), email.as_bytes()));
    assert!(
        acme_files_before,
        "the distinctive value is stored before removal"
    );

    // Not a terminal and no --yes: refused, nothing removed.
    one_line_error(
        &run(&home, &["team", "remove", "Acme Corp"], "Acme Corp\n"),
        2,
        "--yes",
    );
    let removed = json(&home, &["team", "remove", "Acme Corp", "--yes", "--json"]);
    assert_eq!(removed["name"], "Acme Corp");
    assert_eq!(removed["tables"]["credentials"], 4);
    assert_eq!(removed["tables"]["future_records"], 1);
    assert_eq!(removed["tables"]["sftp_host_keys"], 1);
    assert!(removed["tables"]["field_mapping"].as_u64().unwrap() > 0);
    assert!(removed["staged_rows"].as_u64().unwrap() > 0);
    assert!(removed["files"].as_u64().unwrap() >= 3);
    assert_eq!(removed["wal_truncated"], true);

    // No row of the team in any table with a team_id column; no staging table; no team.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let tables = team_tables(&conn);
    assert!(tables.contains(&"future_records".to_string()));
    for t in &tables {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM \"{t}\" WHERE team_id = ?1"),
                [team_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "{t} keeps rows of the removed team");
    }
    for id in &unit_ids {
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                [format!("export_stage_{id}")],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 0, "staging table of unit {id} left behind");
    }
    let teams: Vec<String> = conn
        .prepare("SELECT name FROM teams")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(teams, ["Globex"]);
    drop(conn);
    // Globex is untouched.
    let globex = json(&home, &["team", "show", "Globex", "--json"]);
    assert_eq!(globex["credentials"].as_array().unwrap().len(), 1);
    // No file of the team.
    for f in &files {
        assert!(!f.exists(), "{} left behind", f.display());
    }
    let exports = db.parent().unwrap().join("exports");
    let left: Vec<_> = std::fs::read_dir(&exports)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "team folders left: {left:?}");
    // Nothing of the team can be read back from the database or its WAL.
    for file in db_files(&db) {
        let bytes = std::fs::read(&file).unwrap();
        for (what, needle) in [
            ("a staged email address", email.as_bytes()),
            (
                "a row of a future table",
                b"Zebulon-Quixotic-Payload-7731".as_slice(),
            ),
            ("the SFTP user name", info.sftp.username.as_bytes()),
            ("the OAuth client id", info.oauth.client_id.as_bytes()),
        ] {
            assert!(
                !contains_bytes(&bytes, needle),
                "{} holds {what} after removal",
                file.display()
            );
        }
        for blob in &sealed {
            assert!(
                !contains_bytes(&bytes, blob),
                "{} holds a sealed credential after removal",
                file.display()
            );
        }
    }
    // One audit entry of the removal: who, when, what, counts.
    let log = json(&home, &["audit", "Acme Corp", "--json"]);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["action"], "team.remove");
    assert_eq!(log[0]["actor"], "tester");
    assert_eq!(log[0]["ssh_client"], SSH_CLIENT);
    let object = log[0]["object"].as_str().unwrap();
    assert!(object.contains("credentials 4"), "{object}");
    assert!(object.contains("staged rows"), "{object}");
    assert!(!object.contains(&email), "{object}");
    one_line_error(
        &run(&home, &["audit", "Acme", "--json"], ""),
        1,
        "no team named",
    );
}

#[test]
fn team_set_each_flag_valid_invalid_and_no_change() {
    let home = Home::new();
    ok(&home, &["team", "add", "Acme", "--customer-id", "1234"], "");
    ok(&home, &["team", "add", "Globex", "--customer-id", "5"], "");
    let show = |name: &str| json(&home, &["team", "show", name, "--json"]);
    let audit_len = || json(&home, &["audit", "--json"]).as_array().unwrap().len();

    let out = ok(&home, &["team", "set", "Acme", "--customer-id", "5678"], "");
    assert!(out.contains("customer id      1234 -> 5678"), "{out}");
    assert!(out.contains("no step changed state"), "{out}");
    assert_eq!(show("Acme")["customer_id"], 5678);

    let out = ok(&home, &["team", "set", "Acme", "--region", "eu"], "");
    assert!(
        out.contains("https://api.icims.com -> https://api-eu.icims.com"),
        "{out}"
    );
    let s = show("Acme");
    assert_eq!(s["region"], "eu");
    assert_eq!(s["token_url"], "https://login.icims.eu/oauth/token");

    for (flag, key, url) in [
        ("--api-base", "api_base", "http://127.0.0.1:9/"),
        ("--token-url", "token_url", "http://127.0.0.1:9/oauth/token"),
        (
            "--datastream-base",
            "datastream_base",
            "http://127.0.0.1:9/ds",
        ),
    ] {
        ok(&home, &["team", "set", "Acme", flag, url], "");
        assert_eq!(show("Acme")[key], url, "{flag}");
        let same = ok(&home, &["team", "set", "Acme", flag, url], "");
        assert!(same.contains("no change"), "{flag}: {same}");
        // "" goes back to the default.
        ok(&home, &["team", "set", "Acme", flag, ""], "");
        assert_ne!(show("Acme")[key], url, "{flag} reset");
    }
    assert_eq!(show("Acme")["api_base"], "https://api-eu.icims.com");

    ok(&home, &["team", "set", "acme", "--rename", "Acme Two"], "");
    assert_eq!(show("Acme Two")["customer_id"], 5678);
    one_line_error(
        &run(&home, &["team", "show", "Acme"], ""),
        1,
        "no team named",
    );

    // No change: same values; nothing audited.
    let before = audit_len();
    let out = ok(
        &home,
        &[
            "team",
            "set",
            "Acme Two",
            "--customer-id",
            "5678",
            "--region",
            "eu",
        ],
        "",
    );
    assert!(out.contains("no change"), "{out}");
    let v = json(
        &home,
        &["team", "set", "Acme Two", "--customer-id", "5678", "--json"],
    );
    assert_eq!(v["changed"], false);
    assert_eq!(audit_len(), before, "a no-op writes nothing");

    // Bad input: one line, exit 2 for usage and 1 for failures, nothing written.
    let snapshot = json(&home, &["team", "list", "--json"]);
    for (args, code, needle) in [
        (vec!["--customer-id", "12ab"], 2, "12ab"),
        (vec!["--customer-id", "-3"], 2, "-3"),
        (vec!["--region", "mars"], 2, "mars"),
        (vec!["--api-base", "not a url"], 2, "--api-base"),
        (vec!["--token-url", "ftp://x.example/t"], 2, "--token-url"),
        (vec!["--datastream-base", "::"], 2, "--datastream-base"),
        // The https rule of `team add` applies here too: plain http only on loopback, and
        // never credentials in the URL.
        (
            vec!["--api-base", "http://api.example.com/"],
            2,
            "--api-base",
        ),
        (
            vec!["--token-url", "https://u:p@login.example.com/t"],
            2,
            "--token-url",
        ),
        (vec!["--rename", " "], 2, "--rename"),
        (vec!["--rename", "a\u{7}b"], 2, "control characters"),
        (vec![], 2, "nothing to change"),
        (vec!["--rename", "globex"], 1, "already exists"),
    ] {
        let mut full = vec!["team", "set", "Acme Two"];
        full.extend(args.iter().copied());
        one_line_error(&run(&home, &full, ""), code, needle);
    }
    one_line_error(
        &run(&home, &["team", "set", "Nope", "--region", "us"], ""),
        1,
        "no team named",
    );
    assert_eq!(json(&home, &["team", "list", "--json"]), snapshot);
    assert_eq!(audit_len(), before);
}

#[test]
fn remove_and_audit_bad_input() {
    let home = Home::new();
    ok(&home, &["team", "add", "Acme", "--customer-id", "1"], "");
    one_line_error(&run(&home, &["team", "remove", "Acme"], ""), 2, "--yes");
    one_line_error(
        &run(&home, &["team", "remove", "Nope", "--yes"], ""),
        1,
        "no team named",
    );
    one_line_error(&run(&home, &["team", "remove"], ""), 2, "NAME");
    one_line_error(
        &run(&home, &["audit", "--since", "last tuesday"], ""),
        2,
        "--since",
    );
    one_line_error(&run(&home, &["audit", "--limit", "x"], ""), 2, "x");
    one_line_error(&run(&home, &["audit", "Nope"], ""), 1, "no team named");
    assert_eq!(
        json(&home, &["team", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing removed"
    );
    let out = ok(
        &home,
        &["audit", "--since", "2000-01-01", "--limit", "1"],
        "",
    );
    assert!(out.contains("team.add"), "{out}");
}

/// On a terminal the name must be typed again: a wrong name removes nothing.
#[test]
fn remove_asks_for_the_name_typed_again_on_a_terminal() {
    let home = Home::new();
    ok(&home, &["team", "add", "Acme", "--customer-id", "1"], "");
    let cmd = format!(
        "ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} {bin} team remove Acme; echo EXIT=$?; sleep 30",
        db = home.db().display(),
        log = home.log().display(),
        cfg = home.config_home().display(),
        bin = env!("CARGO_BIN_EXE_icims-onboard"),
    );
    let tmux = common::tmux::Tmux::start("team-remove", 120, 20, &cmd);
    tmux.wait_text("Type the team name to confirm:");
    tmux.type_text("acme");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("EXIT=");
    assert!(screen.contains("does not match"), "{screen}");
    assert!(screen.contains("EXIT=1"), "{screen}");
    assert_eq!(
        json(&home, &["team", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    drop(tmux);

    let tmux = common::tmux::Tmux::start("team-remove2", 120, 20, &cmd);
    tmux.wait_text("Type the team name to confirm:");
    tmux.type_text("Acme");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("EXIT=");
    assert!(screen.contains("removed team Acme"), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(
        json(&home, &["team", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}
