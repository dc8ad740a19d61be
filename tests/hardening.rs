//! Hardening (issue 10), probed as an attacker and as an unlucky operator would: team
//! files keyed by id, https off loopback, resumes that never splice two versions of a
//! file, concurrent writers, key-file and database modes, the sealed key check, control
//! characters in human output, formula cells in spreadsheets, error wording, a tenant whose
//! API user cannot search `person.email`, and calendar-impossible dates.
//!
//! Everything runs for real: the built binary on a private SQLite file, the sandbox tenant
//! over TCP and its SFTP endpoint on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox as Home;
use icims_onboard::export::{self, FetchedFile};
use icims_onboard::store::{Store, Team};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts the exit code and that the error is one line (progress lines may precede it)
/// mentioning every needle; returns that line.
fn assert_exit(out: &Output, code: i32, needles: &[&str]) -> String {
    let all = stderr(out);
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {all}");
    let errors: Vec<&str> = all.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "one error line: {all:?}");
    assert_eq!(
        all.trim_end().lines().last(),
        errors.first().copied(),
        "{all:?}"
    );
    let err = errors[0].to_string();
    for n in needles {
        assert!(err.contains(n), "{err:?} should mention {n:?}");
    }
    err
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// `n` people rows with the export's usual columns.
fn people_csv(n: usize, last: &str) -> String {
    let mut s = String::from("ID,First Name,Last Name,Email,Updated Date,Status\n");
    for i in 0..n {
        s.push_str(&format!(
            "{},Ann,{last}{i:06},p{i}@example.com,2025-0{}-1{} 10:00:00,Hired\n",
            1000 + i,
            1 + i % 9,
            i % 10
        ));
    }
    s
}

fn open_store(home: &Home) -> Store {
    Store::open(&home.db()).unwrap()
}

fn team(store: &Store, name: &str) -> Team {
    store.team(name).unwrap()
}

/// `(name, state, rows)` of the staged units of the database.
fn units(db: &Path) -> Vec<(String, String, i64)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.prepare("SELECT name, state, rows FROM export_units ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

/// Last names staged for a unit, in line order.
fn staged_last_names(db: &Path, unit: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let id: i64 = conn
        .query_row("SELECT id FROM export_units WHERE name = ?1", [unit], |r| {
            r.get(0)
        })
        .unwrap();
    conn.prepare(&format!(
        "SELECT \"Last Name\" FROM export_stage_{id} ORDER BY _line"
    ))
    .unwrap()
    .query_map([], |r| r.get(0))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn import_cmd(home: &Home, team: &str, files: &[&Path], batch: usize) -> Command {
    let mut cmd = home.command();
    cmd.args(["export", "import", team]);
    for f in files {
        cmd.arg(f);
    }
    cmd.env("ICIMS_ONBOARD_IMPORT_BATCH_ROWS", batch.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Rows of the running import of the latest import job, from its job row.
fn import_rows(db: &Path) -> Option<u64> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.busy_timeout(Duration::from_secs(5)).ok()?;
    let progress: Option<String> = conn
        .query_row(
            "SELECT progress FROM jobs WHERE kind = 'export.import' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&progress?).ok()?;
    v["import"]["rows"].as_u64()
}

fn wait_for_rows(child: &mut std::process::Child, db: &Path, rows: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("import ended ({status}) before {rows} rows");
        }
        if import_rows(db).is_some_and(|r| r >= rows) {
            return;
        }
        assert!(Instant::now() < deadline, "no progress to {rows} rows");
        std::thread::sleep(Duration::from_millis(2));
    }
}

// ---------- 1. one customer's data never reaches another ----------

#[test]
fn import_refuses_a_fetched_file_whose_sha256_changed_since_fetch() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let path = home.dir.path().join("people.csv");
    let original = people_csv(20, "Smith");
    std::fs::write(&path, &original).unwrap();
    {
        let store = open_store(&home);
        let t = team(&store, "Acme");
        let sha256 = icims_onboard::sftp::sha256_file(&path).unwrap();
        export::fetch::record_file(
            &store,
            &t,
            &FetchedFile {
                name: "people.csv".into(),
                source: "sftp".into(),
                remote_path: Some("/export/people.csv".into()),
                local_path: path.clone(),
                size: original.len() as u64,
                mtime: Some(1),
                sha256,
                fetched_at: "2026-01-01T00:00:00Z".into(),
            },
        )
        .unwrap();
    }
    // Another team's fetch (or anyone) overwrote the file after it was fetched.
    std::fs::write(&path, people_csv(20, "Jones")).unwrap();
    let out = import_cmd(&home, "Acme", &[], 1000).output().unwrap();
    assert_exit(&out, 1, &["people.csv", "SHA-256", "fetch"]);
    assert!(
        units(&home.db()).iter().all(|u| u.1 != "done"),
        "nothing staged from a file that is not the one fetched: {:?}",
        units(&home.db())
    );
}

async fn sftp_sandbox() -> icims_onboard::sandbox::Sandbox {
    icims_onboard::sandbox::Sandbox::start(icims_onboard::sandbox::SandboxConfig {
        people: 40,
        seed: 3,
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn run_cli(home: &Home, args: &[&str], stdin: &str) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.to_string();
    let cmd = {
        let mut c = home.command();
        c.args(&args);
        c
    };
    tokio::task::spawn_blocking(move || {
        let mut cmd = cmd;
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

async fn ok_cli(home: &Home, args: &[&str], stdin: &str) -> String {
    let out = run_cli(home, args, stdin).await;
    assert!(out.status.success(), "{args:?} failed: {}", stderr(&out));
    stdout(&out)
}

async fn sftp_team(home: &Home, info: &icims_onboard::sandbox::SandboxInfo, name: &str) {
    ok_cli(home, &["team", "add", name, "--customer-id", "1"], "").await;
    let port = info.sftp.port.to_string();
    ok_cli(
        home,
        &[
            "creds",
            "set",
            name,
            "--kind",
            "sftp",
            "--host",
            &info.sftp.host,
            "--port",
            &port,
            "--username",
            &info.sftp.username,
            "--path",
            &info.sftp.path,
            "--password-stdin",
        ],
        &format!("{}\n", info.sftp.password),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teams_whose_names_differ_only_in_punctuation_fetch_into_separate_folders() {
    let sb = sftp_sandbox().await;
    let info = sb.info();
    let home = Home::new();
    let mut folders = Vec::new();
    for name in ["acme corp", "acme_corp"] {
        sftp_team(&home, &info, name).await;
        let out = ok_cli(
            &home,
            &[
                "export",
                "fetch",
                name,
                &info.export.people.file,
                "--accept-host-key",
                &info.sftp.host_key_sha256,
                "--json",
            ],
            "",
        )
        .await;
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let local = PathBuf::from(v["fetch"]["files"][0]["local_path"].as_str().unwrap());
        folders.push(local.parent().unwrap().to_path_buf());
    }
    assert_ne!(folders[0], folders[1], "one folder per team");
    let store = open_store(&home);
    for (name, folder) in ["acme corp", "acme_corp"].iter().zip(&folders) {
        let id = team(&store, name).id.to_string();
        assert_eq!(
            folder.file_name().unwrap().to_string_lossy(),
            id,
            "{name}'s folder is named by its stable id"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_named_server_files_in_two_folders_do_not_overwrite_each_other() {
    let sb = sftp_sandbox().await;
    let info = sb.info();
    let export_dir = PathBuf::from(&info.export.dir);
    std::fs::write(export_dir.join("dup.csv"), people_csv(3, "Top")).unwrap();
    std::fs::create_dir_all(export_dir.join("d")).unwrap();
    std::fs::write(export_dir.join("d").join("dup.csv"), people_csv(5, "Sub")).unwrap();
    let home = Home::new();
    sftp_team(&home, &info, "Acme").await;
    let out = ok_cli(
        &home,
        &[
            "export",
            "fetch",
            "Acme",
            "dup.csv",
            "d/dup.csv",
            "--accept-host-key",
            &info.sftp.host_key_sha256,
            "--json",
        ],
        "",
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files = v["fetch"]["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{v}");
    let locals: Vec<PathBuf> = files
        .iter()
        .map(|f| PathBuf::from(f["local_path"].as_str().unwrap()))
        .collect();
    assert_ne!(locals[0], locals[1]);
    let contents: Vec<String> = locals
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(contents.contains(&people_csv(3, "Top")));
    assert!(contents.contains(&people_csv(5, "Sub")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_file_names_with_control_characters_are_escaped_in_listings() {
    let sb = sftp_sandbox().await;
    let info = sb.info();
    let evil = "evil\x1b]52;c;aGk=\x07\x1b[2J.csv";
    std::fs::write(PathBuf::from(&info.export.dir).join(evil), "a\n1\n").unwrap();
    let home = Home::new();
    sftp_team(&home, &info, "Acme").await;
    let out = ok_cli(
        &home,
        &[
            "export",
            "list",
            "Acme",
            "--accept-host-key",
            &info.sftp.host_key_sha256,
        ],
        "",
    )
    .await;
    assert!(
        !out.contains('\x1b') && !out.contains('\x07'),
        "raw control characters: {out:?}"
    );
    assert!(out.contains("evil\\u{1b}]52;c;aGk=\\u{7}"), "{out}");
}

// ---------- 2. no secret in clear on the wire ----------

#[test]
fn team_add_refuses_plain_http_off_loopback_and_urls_with_credentials() {
    let home = Home::new();
    for (i, (flag, url)) in [
        ("--api-base", "http://api.icims.com"),
        ("--token-url", "http://login.icims.com/oauth/token"),
        ("--datastream-base", "http://10.1.2.3/datastream/v2/streams"),
    ]
    .iter()
    .enumerate()
    {
        let name = format!("T{i}");
        let out = home.run(&["team", "add", &name, "--customer-id", "1", flag, url], "");
        assert_exit(&out, 2, &[flag, "https"]);
    }
    let out = home.run(
        &[
            "team",
            "add",
            "U",
            "--customer-id",
            "1",
            "--api-base",
            "https://user:pw@api.icims.com",
        ],
        "",
    );
    let err = assert_exit(&out, 2, &["--api-base", "user name or password"]);
    assert!(!err.contains("pw@"), "the password is not echoed: {err}");
    let listed = home.ok(&["team", "list", "--json"], "");
    assert_eq!(listed.trim(), "[]", "nothing was created");
    // Loopback stays allowed (the sandbox, tests), and https anywhere.
    for (i, url) in [
        "http://127.0.0.1:9/",
        "http://localhost:9",
        "http://[::1]:9",
        "https://api.example.com",
    ]
    .iter()
    .enumerate()
    {
        home.ok(
            &[
                "team",
                "add",
                &format!("ok{i}"),
                "--customer-id",
                "1",
                "--api-base",
                url,
            ],
            "",
        );
    }
}

#[tokio::test]
async fn a_request_to_plain_http_off_loopback_is_refused_before_connecting() {
    use icims_onboard::icims::{
        AuthConfig, ClientConfig, Endpoints, IcimsClient, ProfileType, SearchQuery,
    };
    use secrecy::SecretString;
    // A listener that would receive the Basic password if the client connected. The
    // address is loopback in fact, but not in a form the https rule treats as loopback
    // (an IPv4-mapped IPv6 address), so nothing leaves the machine either way.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let off = format!("http://[::ffff:127.0.0.1]:{port}/");
    let endpoints = Endpoints {
        customer_id: 1,
        api_base: url::Url::parse(&off).unwrap(),
        token_url: url::Url::parse(&format!("{off}oauth/token")).unwrap(),
        datastream_base: url::Url::parse(&off).unwrap(),
    };
    let config = ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        retry: icims_onboard::icims::retry::RetryPolicy::none(),
        ..ClientConfig::default()
    };
    let client = IcimsClient::new(
        endpoints,
        AuthConfig::Basic {
            username: "u".into(),
            password: SecretString::from("secret-password".to_string()),
        },
        config,
    )
    .unwrap();
    let err = client
        .search(
            ProfileType::People,
            &SearchQuery::all(vec![icims_onboard::icims::Filter::gt("person.id", "0")]),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("https"), "{err}");
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the client connected"
    );
}

// ---------- 3. resume never splices two versions of a source file ----------

#[test]
fn an_import_resumed_after_its_source_file_was_replaced_starts_that_file_over() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let path = home.dir.path().join("people.csv");
    std::fs::write(&path, people_csv(30_000, "Smith")).unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut child = import_cmd(&home, "Acme", &[&path], 500).spawn().unwrap();
    wait_for_rows(&mut child, &home.db(), 2_000);
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    child.wait().unwrap();
    // Same name, same size, same mtime, other content.
    let replacement = people_csv(30_000, "Jones");
    assert_eq!(replacement.len(), people_csv(30_000, "Smith").len());
    std::fs::write(&path, &replacement).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let out = import_cmd(&home, "Acme", &[&path], 500).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("starting people.csv over") && err.contains("changed"),
        "says why it starts over: {err}"
    );
    let names = staged_last_names(&home.db(), "people.csv");
    assert_eq!(names.len(), 30_000);
    assert!(
        names.iter().all(|n| n.starts_with("Jones")),
        "rows of the old file were kept: {:?}",
        names.iter().find(|n| !n.starts_with("Jones"))
    );
}

// ---------- 4. concurrent writers wait instead of failing ----------

#[test]
fn imports_for_several_teams_and_a_worker_at_once_all_succeed() {
    let home = Home::new();
    let teams = ["T1", "T2", "T3", "T4", "W"];
    let mut files = Vec::new();
    for t in teams {
        home.ok(&["team", "add", t, "--customer-id", "1"], "");
        let p = home.dir.path().join(format!("people-{t}.csv"));
        std::fs::write(&p, people_csv(3_000, "Smith")).unwrap();
        files.push(p);
    }
    {
        // The worker's job, queued before anything runs.
        let store = open_store(&home);
        let w = team(&store, "W");
        let params = export::ImportParams {
            files: vec![export::ImportFile::from_path(files[4].clone())],
            object: None,
            ..Default::default()
        };
        store
            .enqueue_job(
                &w,
                export::IMPORT_JOB,
                &serde_json::to_value(&params).unwrap(),
            )
            .unwrap();
    }
    for round in 0..2 {
        let mut children = Vec::new();
        for (t, f) in teams.iter().zip(&files).take(4) {
            children.push((
                t.to_string(),
                import_cmd(&home, t, &[f], 50).spawn().unwrap(),
            ));
        }
        if round == 0 {
            let mut worker = home.command();
            worker
                .args(["worker", "--until-idle"])
                .env("ICIMS_ONBOARD_IMPORT_BATCH_ROWS", "50")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            children.push(("worker".into(), worker.spawn().unwrap()));
        }
        for (who, child) in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {who} failed: {}",
                stderr(&out)
            );
        }
    }
    let u = units(&home.db());
    assert_eq!(u.len(), 5, "{u:?}");
    assert!(
        u.iter().all(|(_, s, r)| s == "done" && *r == 3_000),
        "{u:?}"
    );
}

// ---------- 5. smaller integrity defects ----------

#[test]
fn a_header_only_file_does_not_replace_a_good_import_unless_confirmed() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let dir = home.dir.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("people.csv");
    std::fs::write(&path, people_csv(10, "Smith")).unwrap();
    assert!(
        import_cmd(&home, "Acme", &[&path], 1000)
            .output()
            .unwrap()
            .status
            .success()
    );
    std::fs::write(&path, "ID,First Name,Last Name,Email,Updated Date,Status\n").unwrap();
    let out = import_cmd(&home, "Acme", &[&path], 1000).output().unwrap();
    assert_exit(&out, 1, &["people.csv", "no rows", "kept", "--allow-empty"]);
    assert_eq!(
        units(&home.db()),
        vec![("people.csv".to_string(), "done".to_string(), 10)]
    );
    let show: serde_json::Value =
        serde_json::from_str(&home.ok(&["team", "show", "Acme", "--json"], "")).unwrap();
    assert_eq!(show["steps"][2]["state"], "done");
    let mut cmd = import_cmd(&home, "Acme", &[&path], 1000);
    let out = cmd.arg("--allow-empty").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        units(&home.db()),
        vec![("people.csv".to_string(), "done".to_string(), 0)]
    );
}

#[test]
fn a_full_disk_marks_the_unit_failed_with_the_reason() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let path = home.dir.path().join("people.csv");
    std::fs::write(&path, people_csv(20_000, "Smith")).unwrap();
    let mut store = open_store(&home);
    let t = team(&store, "Acme");
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    // The "disk" holds 40 more pages: the import runs out of space mid-file.
    store
        .conn()
        .query_row(
            &format!("PRAGMA max_page_count = {}", pages + 40),
            [],
            |_| Ok(()),
        )
        .unwrap();
    let params = export::ImportParams {
        files: vec![export::ImportFile::from_path(path.clone())],
        ..Default::default()
    };
    let id = store
        .enqueue_job(
            &t,
            export::IMPORT_JOB,
            &serde_json::to_value(&params).unwrap(),
        )
        .unwrap();
    let job = store
        .claim_job("test:1:x", 60, &[export::IMPORT_JOB])
        .unwrap()
        .unwrap();
    assert_eq!(job.id, id);
    let outcome = icims_onboard::worker::run_claimed(
        &mut store,
        &home.db(),
        job,
        "test:1:x",
        "tester",
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(outcome.state, icims_onboard::store::JobState::Failed);
    let error = outcome.error.unwrap_or_default();
    assert!(error.contains("full"), "{error}");
    drop(store);
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let (state, reason): (String, Option<String>) = conn
        .query_row(
            "SELECT state, error FROM export_units WHERE name = 'people.csv'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(state, "failed");
    assert!(reason.unwrap_or_default().contains("full"));
}

#[test]
fn cancelling_an_earlier_unfinished_import_really_stops_it() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let big = home.dir.path().join("people.csv");
    std::fs::write(&big, people_csv(60_000, "Smith")).unwrap();
    let small = home.dir.path().join("jobs.csv");
    std::fs::write(&small, "ID,Job Title\n1,Engineer\n").unwrap();
    let mut first = import_cmd(&home, "Acme", &[&big], 200).spawn().unwrap();
    wait_for_rows(&mut first, &home.db(), 1_000);
    let out = import_cmd(&home, "Acme", &[&small], 200).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("cancelled earlier unfinished import job"));
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    assert!(stderr(&first).contains("cancelled"), "{}", stderr(&first));
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let state: String = conn
        .query_row(
            "SELECT state FROM jobs WHERE kind = 'export.import' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(state, "cancelled");
    let people = units(&home.db())
        .into_iter()
        .find(|u| u.0 == "people.csv")
        .unwrap();
    assert!(people.2 < 60_000, "the cancelled import ran to the end");
    assert_ne!(people.1, "done");
}

#[test]
fn two_local_files_with_the_same_name_are_refused() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let a = home.dir.path().join("a");
    let b = home.dir.path().join("b");
    for (d, last) in [(&a, "Aa"), (&b, "Bb")] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("dup.csv"), people_csv(3, last)).unwrap();
    }
    let out = import_cmd(
        &home,
        "Acme",
        &[&a.join("dup.csv"), &b.join("dup.csv")],
        100,
    )
    .output()
    .unwrap();
    assert_exit(&out, 2, &["dup.csv", "same name"]);
    assert!(units(&home.db()).is_empty());
}

// ---------- 6–9. key file, database file and folder modes; the key check ----------

#[test]
fn a_key_file_in_an_existing_folder_leaves_the_folder_mode_alone() {
    let home = Home::new();
    let shared = home.dir.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let key = shared.join("key");
    let run = |args: &[&str], stdin: &str| {
        let mut c = home.command();
        c.env("ICIMS_ONBOARD_KEY_FILE", &key);
        c.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(
        run(&["team", "add", "Acme", "--customer-id", "1"], "")
            .status
            .success()
    );
    let out = run(
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
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(
        mode(&shared),
        0o1777,
        "the existing folder's mode is unchanged"
    );
}

fn creds_set(home: &Home, team: &str, env: &[(&str, &str)]) -> Output {
    let mut c = home.command();
    for (k, v) in env {
        c.env(k, v);
    }
    c.args([
        "creds",
        "set",
        team,
        "--kind",
        "basic",
        "--username",
        "u",
        "--password-stdin",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"pw\n").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_key_file_readable_by_others_is_refused_with_the_chmod_to_run() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    assert!(creds_set(&home, "Acme", &[]).status.success());
    let key = home.config_home().join("icims-onboard").join("key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = creds_set(&home, "Acme", &[]);
    assert_exit(
        &out,
        1,
        &["key file", "chmod 600", &key.display().to_string()],
    );
    assert_eq!(mode(&key), 0o644, "the operator decides, not the program");
}

#[test]
fn a_world_writable_database_folder_is_warned_about() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let dir = home.db().parent().unwrap().to_path_buf();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = home.run(&["team", "list"], "");
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("warning")
            && err.contains("world-writable")
            && err.contains(&dir.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_wrong_key_is_refused_before_anything_is_stored() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    home.ok(&["team", "add", "Globex", "--customer-id", "2"], "");
    let key_a = "11".repeat(32);
    let key_b = "22".repeat(32);
    assert!(
        creds_set(&home, "Acme", &[("ICIMS_ONBOARD_KEY", &key_a)])
            .status
            .success()
    );
    let out = creds_set(&home, "Globex", &[("ICIMS_ONBOARD_KEY", &key_b)]);
    assert_exit(&out, 1, &["ICIMS_ONBOARD_KEY", "does not open"]);
    let conn = rusqlite::Connection::open(home.db()).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM credentials", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1, "nothing sealed with the wrong key");
}

#[test]
fn a_deleted_key_file_with_sealed_credentials_is_an_error_not_a_new_key() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    assert!(creds_set(&home, "Acme", &[]).status.success());
    let key = home.config_home().join("icims-onboard").join("key");
    std::fs::remove_file(&key).unwrap();
    let out = creds_set(&home, "Acme", &[]);
    assert_exit(&out, 1, &["key file", "missing", "sealed"]);
    assert!(!key.exists(), "no new key was made");
}

#[test]
fn a_read_only_database_file_is_never_made_writable() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    std::fs::set_permissions(home.db(), std::fs::Permissions::from_mode(0o444)).unwrap();
    let _ = home.run(&["team", "list"], "");
    assert_eq!(mode(&home.db()), 0o400, "only ever tightened");
    std::fs::set_permissions(home.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    home.ok(&["team", "list"], "");
    assert_eq!(mode(&home.db()), 0o600);
}

// ---------- 10. control characters in human output ----------

#[test]
fn csv_headers_and_values_with_control_characters_are_escaped_in_human_output() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let path = home.dir.path().join("people.csv");
    std::fs::write(
        &path,
        "ID,\x1b]52;c;aGk=\x07Name,Updated Date,Status\n1,\x1b[2Jx,2025-01-01,Hired\x1b[31m\n2,y,2025-01-02,Hired\x1b[31m\n",
    )
    .unwrap();
    let out = import_cmd(&home, "Acme", &[&path], 100).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for args in [
        vec!["export", "summary", "Acme", "--file", "people.csv"],
        vec!["export", "summary", "Acme"],
    ] {
        let text = home.ok(&args, "");
        assert!(
            !text.contains('\x1b') && !text.contains('\x07'),
            "{args:?}: raw control characters in {text:?}"
        );
        if args.len() == 5 {
            assert!(text.contains("\\u{1b}]52;c;aGk=\\u{7}Name"), "{text}");
            assert!(text.contains("Hired\\u{1b}[31m"), "{text}");
        }
    }
}

// ---------- 11. formula cells in spreadsheets ----------

#[test]
fn mapping_sheet_neutralises_formula_cells_and_reads_them_back() {
    use icims_onboard::mapping::{
        Catalogue, CustomerField, FieldSource, MappingEntry, Object, sheet,
    };
    let catalogue = Catalogue::standard();
    let field = |name: &str, sample: &str| CustomerField {
        object: Object::Person,
        name: name.into(),
        label: Some(format!("-{name}")),
        samples: vec![sample.into()],
        fill_rate: 1.0,
        source: FieldSource::Export,
        schema_type: None,
    };
    let suggestion = |name: &str| icims_onboard::mapping::Suggestion {
        object: Object::Person,
        customer_field: name.into(),
        target: None,
        confidence: 0.0,
        reasons: vec!["@reason".into()],
        coverage: 1.0,
    };
    let mut entries = Vec::new();
    for (name, sample, note) in [
        (
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+cmd|' /C calc'!A0",
            "@SUM(A1:A9)",
        ),
        ("'=already quoted", "-2+3", "\tTab"),
        ("Plain", "plain", "plain note"),
    ] {
        let mut e = MappingEntry::suggested(field(name, sample), suggestion(name));
        e.note = Some(note.into());
        entries.push(e);
    }
    let mut buf = Vec::new();
    sheet::write_csv(&entries, &mut buf).unwrap();
    let text = String::from_utf8(buf.clone()).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    for rec in r.records() {
        for cell in rec.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula-leading cell written: {cell:?}"
            );
        }
    }
    let import = sheet::read_csv(&buf, &entries, &catalogue).unwrap();
    assert!(import.changes.is_empty(), "{:?}", import.changes);
    assert_eq!(import.entries.len(), 3);
    assert_eq!(import.entries[0].note.as_deref(), Some("@SUM(A1:A9)"));
}

// ---------- 12. error wording ----------

#[test]
fn a_partial_import_failure_is_one_complete_sentence_with_the_right_counts() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let good = home.dir.path().join("people.csv");
    std::fs::write(&good, people_csv(5, "Smith")).unwrap();
    let empty = home.dir.path().join("jobs.csv");
    std::fs::write(&empty, "").unwrap();
    let out = import_cmd(&home, "Acme", &[&good, &empty], 100)
        .output()
        .unwrap();
    let err = assert_exit(&out, 1, &["1 of 2 files"]);
    assert_eq!(err.matches("jobs.csv").count(), 1, "{err}");
    assert!(err.trim_end().ends_with("people.csv was imported"), "{err}");
}

#[test]
fn a_directory_or_fifo_given_to_import_is_named_as_such() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let dir = home.dir.path().join("folder");
    std::fs::create_dir_all(&dir).unwrap();
    let out = import_cmd(&home, "Acme", &[&dir], 100).output().unwrap();
    assert_exit(&out, 2, &["is a directory"]);
    let fifo = home.dir.path().join("pipe.csv");
    let c = std::ffi::CString::new(fifo.display().to_string()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let out = import_cmd(&home, "Acme", &[&fifo], 100).output().unwrap();
    assert_exit(&out, 2, &["not a regular file", "FIFO"]);
    let missing = home.dir.path().join("missing.csv");
    let out = import_cmd(&home, "Acme", &[&missing], 100)
        .output()
        .unwrap();
    assert_exit(&out, 2, &["no such file"]);
}

#[tokio::test]
async fn an_http_redirect_names_the_target_and_does_not_blame_icims_onboard() {
    use icims_onboard::icims::{
        AuthConfig, ClientConfig, Endpoints, IcimsClient, ProfileType, SearchQuery,
    };
    use secrecy::SecretString;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 302 Found\r\nLocation: https://login.example.com/portal\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .await;
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = IcimsClient::new(
        Endpoints::new(1, &base, &format!("{base}/token"), &base).unwrap(),
        AuthConfig::Basic {
            username: "u".into(),
            password: SecretString::from("p".to_string()),
        },
        ClientConfig::default(),
    )
    .unwrap();
    let err = client
        .search(
            ProfileType::People,
            &SearchQuery::all(vec![icims_onboard::icims::Filter::gt("person.id", "0")]),
        )
        .await
        .unwrap_err();
    let text = format!("{err} {}", err.remedy());
    assert!(
        text.contains("302") && text.contains("https://login.example.com/portal"),
        "{text}"
    );
    assert!(!text.contains("defect in icims-onboard"), "{text}");
}

// ---------- 13. a tenant whose API user cannot search person.email ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_1_authenticates_without_person_email_and_reports_email_on_its_own_row() {
    use icims_onboard::icims::AuthConfig;
    use icims_onboard::icims::checks::{TeamAuth, run_checks};
    use icims_onboard::store::{NewTeam, Region};
    use secrecy::SecretString;
    let sb = icims_onboard::sandbox::Sandbox::start(icims_onboard::sandbox::SandboxConfig {
        people: 60,
        restricted_extra_hidden: vec!["person.email".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    let team = Team {
        id: 1,
        name: "Acme".into(),
        customer_id: info.customer_id,
        region: Region::Us,
        api_base_override: Some(info.api_base.clone()),
        token_url_override: Some(info.token_url.clone()),
        datastream_base_override: Some(info.datastream.base.clone()),
        created_at: String::new(),
    };
    let _ = NewTeam::default();
    let auth = TeamAuth {
        basic: Some(AuthConfig::Basic {
            username: info.restricted.username.clone(),
            password: SecretString::from(info.restricted.password.clone()),
        }),
        ..Default::default()
    };
    let config = icims_onboard::icims::ClientConfig {
        retry: icims_onboard::icims::retry::RetryPolicy::none(),
        ..Default::default()
    };
    let report = run_checks(&team, &auth, &config, &|_| {}).await;
    let row = |name: &str| {
        report
            .checks
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name}: {:?}", report.checks))
            .clone()
    };
    let auth_row = row("basic.auth");
    assert!(auth_row.ok, "authentication itself works: {auth_row:?}");
    let email = row("basic.email");
    assert!(!email.ok && !email.required, "{email:?}");
    assert!(email.message.contains("person.email"), "{email:?}");
    assert!(email.message.contains("not searchable"), "{email:?}");
    let remedy = email.remedy.unwrap_or_default();
    assert!(
        remedy.contains("dedupe") && !remedy.contains("defect in icims-onboard"),
        "{remedy}"
    );
}

/// `hidden_fields` of `check --json`: `object.field` → status.
fn field_statuses(v: &serde_json::Value, credential: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v["hidden_fields"]
        .as_array()
        .unwrap_or_else(|| panic!("no hidden_fields: {v}"))
        .iter()
        .filter(|h| h["credential"] == credential)
        .map(|h| {
            (
                format!(
                    "{}.{}",
                    h["object"].as_str().unwrap(),
                    h["field"].as_str().unwrap()
                ),
                h["status"].as_str().unwrap_or("(none)").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn status_of(list: &[(String, String)], field: &str) -> String {
    list.iter()
        .find(|(f, _)| f == field)
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| panic!("{field} not listed: {list:?}"))
}

fn check_row(v: &serde_json::Value, name: &str) -> serde_json::Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}: {v}"))
        .clone()
}

/// A standard field the tenant does not use (absent from every record and from the
/// export) is "not in use by this tenant", not "hidden"; a field hidden by security rules
/// is called hidden once the export (or the REST client's samples) shows it in use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_tenant_does_not_use_is_not_reported_hidden() {
    let sb = icims_onboard::sandbox::Sandbox::start(icims_onboard::sandbox::SandboxConfig {
        people: 80,
        unused_fields: vec!["job.recruiter".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let info = sb.info();
    tokio::task::spawn_blocking(move || {
        let home = Home::new();
        let cid = info.customer_id.to_string();
        home.ok(
            &[
                "team",
                "add",
                "Acme",
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
        home.ok(
            &[
                "creds",
                "set",
                "Acme",
                "--kind",
                "basic",
                "--username",
                &info.restricted.username,
                "--password-stdin",
            ],
            &format!("{}\n", info.restricted.password),
        );
        let check = |args: &[&str]| -> serde_json::Value {
            let out = home.run(args, "");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}{}",
                stderr(&out),
                stdout(&out)
            );
            serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)))
        };

        // Nothing staged, no REST client: absence from the samples proves nothing.
        let v = check(&["check", "Acme", "--step", "1", "--json"]);
        let basic = field_statuses(&v, "basic");
        assert!(!basic.is_empty(), "{v}");
        for (f, s) in &basic {
            assert_eq!(s, "unverified", "{f}: {v}");
        }
        let row = check_row(&v, "basic.fields");
        assert_eq!(row["ok"], false, "{row}");
        assert!(
            !row["message"]
                .as_str()
                .unwrap()
                .contains("hidden from this user"),
            "{row}"
        );

        // The export is staged: it shows addresses, hiring managers and sources in use.
        let dir = Path::new(&info.export.dir);
        let files: Vec<PathBuf> = [
            &info.export.people,
            &info.export.jobs,
            &info.export.workflows,
        ]
        .iter()
        .map(|e| dir.join(&e.file))
        .collect();
        let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let out = import_cmd(&home, "Acme", &refs, 1000).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));

        let v = check(&["check", "Acme", "--step", "1", "--json"]);
        let basic = field_statuses(&v, "basic");
        for f in [
            "person.addresses",
            "person.phones",
            "job.hiringmanager",
            "workflow.source",
        ] {
            assert_eq!(status_of(&basic, f), "hidden", "{f}: {basic:?}");
        }
        assert_eq!(
            status_of(&basic, "job.recruiter"),
            "not_in_use",
            "{basic:?}"
        );
        let row = check_row(&v, "basic.fields");
        assert_eq!(row["ok"], false, "{row}");
        let message = row["message"].as_str().unwrap();
        assert!(message.contains("hidden from this user"), "{message}");
        assert!(
            message.contains("not in use by this tenant: job.recruiter"),
            "{message}"
        );
        let remedy = row["remedy"].as_str().unwrap();
        assert!(
            remedy.contains("job.hiringmanager") && !remedy.contains("job.recruiter"),
            "{remedy}"
        );

        // The human output says it in words.
        let text = home.ok(&["check", "Acme", "--step", "1"], "");
        assert!(text.contains("not in use by this tenant"), "{text}");
        assert!(text.contains("job.recruiter"), "{text}");

        // Step 2 with the REST client (which sees every field): the unused field is
        // no alarm, and the Basic user's hidden fields are still hidden.
        home.ok(
            &[
                "creds",
                "set",
                "Acme",
                "--kind",
                "rest",
                "--client-id",
                &info.oauth.client_id,
                "--secret-stdin",
            ],
            &format!("{}\n", info.oauth.client_secret),
        );
        home.ok(
            &[
                "creds",
                "set",
                "Acme",
                "--kind",
                "datastream",
                "--client-id",
                &info.datastream.client_id,
                "--secret-stdin",
            ],
            &format!("{}\n", info.datastream.client_secret),
        );
        let v = check(&["check", "Acme", "--json"]);
        let rest = check_row(&v, "rest.fields");
        assert_eq!(rest["ok"], true, "{rest}");
        assert!(
            rest["message"]
                .as_str()
                .unwrap()
                .contains("not in use by this tenant: job.recruiter"),
            "{rest}"
        );
        assert_eq!(
            field_statuses(&v, "rest"),
            vec![("job.recruiter".to_string(), "not_in_use".to_string())]
        );
        let basic = field_statuses(&v, "basic");
        assert_eq!(
            status_of(&basic, "job.hiringmanager"),
            "hidden",
            "{basic:?}"
        );
        assert_eq!(
            status_of(&basic, "job.recruiter"),
            "not_in_use",
            "{basic:?}"
        );
    })
    .await
    .unwrap();
}

// ---------- 14. calendar-impossible dates ----------

#[test]
fn calendar_impossible_dates_are_quarantined() {
    let home = Home::new();
    home.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let path = home.dir.path().join("people.csv");
    std::fs::write(
        &path,
        "ID,Last Name,Updated Date\n1,A,2025-02-30\n2,B,04/31/2025\n3,C,2025-02-29 10:00:00\n4,D,2024-02-29\n5,E,2025-12-31\n",
    )
    .unwrap();
    let out = import_cmd(&home, "Acme", &[&path], 100).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value =
        serde_json::from_str(&home.ok(&["export", "summary", "Acme", "--json"], "")).unwrap();
    let lines: Vec<u64> = v["quarantine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 3, 4], "{v}");
    assert_eq!(v["files"][0]["rows"], 2);
}
