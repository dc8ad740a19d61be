//! The SFTP client and the export jobs against the sandbox tenant's embedded SFTP server:
//! host-key confirmation and pinning, listing, fetch (checksums equal the generator's),
//! resume from a partial file, named errors, and the import of the fetched export checked
//! against the tenant's ground truth (rows, bad rows and their lines, objects, cut-off).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::path::PathBuf;

use icims_onboard::export::{self, FetchParams, ImportFile, ImportParams, ObjectKind};
use icims_onboard::onboarding::facts::{ExportOutcome, keys};
use icims_onboard::sandbox::model::{Object, Tenant};
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use icims_onboard::sftp::{
    self, Auth, ConnectOptions, DownloadRequest, HostKeyCheck, SftpClient, SftpError,
};
use icims_onboard::store::{
    Actor, CredentialKind, CredentialParams, JobState, KeyRing, NewTeam, Store, Team,
};
use icims_onboard::worker;
use secrecy::SecretString;

fn opts(info: &SandboxInfo, password: &str) -> ConnectOptions {
    ConnectOptions::new(
        &info.sftp.host,
        info.sftp.port,
        &info.sftp.username,
        Auth::Password(SecretString::from(password.to_string())),
    )
}

/// A store whose sealing key is also the one the job runner (which opens the database
/// itself, as a worker does) finds in `ICIMS_ONBOARD_KEY`.
fn team_store(dir: &std::path::Path, info: &SandboxInfo) -> (Store, Team) {
    // Only this test of this binary touches the environment.
    unsafe { std::env::set_var("ICIMS_ONBOARD_KEY", "05".repeat(32)) };
    let store = Store::open(&dir.join("t.db"))
        .unwrap()
        .with_keyring(KeyRing::from_bytes(&[5; 32]));
    let actor = Actor::named("tester");
    let team = store
        .add_team(
            &NewTeam {
                name: "Sandboxed".into(),
                customer_id: info.customer_id,
                ..Default::default()
            },
            &actor,
        )
        .unwrap();
    store
        .set_credential(
            &team,
            CredentialKind::Sftp,
            &CredentialParams {
                host: Some(info.sftp.host.clone()),
                port: Some(info.sftp.port),
                username: Some(info.sftp.username.clone()),
                path: Some(info.sftp.path.clone()),
                ..Default::default()
            },
            &SecretString::from(info.sftp.password.clone()),
            &actor,
        )
        .unwrap();
    (store, team)
}

async fn sandbox(people: usize, seed: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        people,
        seed,
        ..Default::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_key_listing_errors_and_resume() {
    let sb = sandbox(3000, 7).await;
    let info = sb.info();
    let tenant = sb.tenant();
    tokio::task::spawn_blocking(move || {
        // First contact: the fingerprint the sandbox announces, nothing sent.
        let err = SftpClient::connect(
            &opts(&info, &info.sftp.password),
            &HostKeyCheck::Unpinned(None),
        )
        .err()
        .unwrap();
        match err {
            SftpError::HostKeyUnknown { fingerprint, .. } => {
                assert_eq!(fingerprint, info.sftp.host_key_sha256)
            }
            other => panic!("expected HostKeyUnknown, got {other}"),
        }
        let pinned = HostKeyCheck::Pinned(info.sftp.host_key_sha256.clone());
        let client = SftpClient::connect(&opts(&info, &info.sftp.password), &pinned).unwrap();

        let listed = client.list(&info.sftp.path).unwrap();
        let mut got: Vec<(String, u64)> = listed.iter().map(|e| (e.name.clone(), e.size)).collect();
        got.sort();
        let mut want: Vec<(String, u64)> = tenant
            .export_files
            .iter()
            .map(|f| (f.file.clone(), f.bytes))
            .collect();
        want.sort();
        assert_eq!(got, want);

        // Resume: a partial file holding the first part of the people export.
        let people = tenant.export_file(Object::Person).unwrap();
        let remote = format!("{}/{}", info.sftp.path, people.file);
        let original = std::fs::read(PathBuf::from(&info.export.dir).join(&people.file)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let local = dir.path().join(&people.file);
        let cut = original.len() / 3;
        // An interrupted attempt: the partial file (written in place, remote size) and
        // its record of the server file and how far the one range got.
        let mut partial = original[..cut].to_vec();
        partial.resize(original.len(), 0);
        std::fs::write(sftp::partial_path(&local), &partial).unwrap();
        let stat = client.stat(&remote).unwrap();
        std::fs::write(
            sftp::partial_state_path(&local),
            serde_json::json!({
                "remote": remote, "size": stat.size, "mtime": stat.mtime,
                "range": stat.size, "done": [cut],
            })
            .to_string(),
        )
        .unwrap();
        let out = client
            .download(
                &DownloadRequest {
                    remote: &remote,
                    local: &local,
                    expected_sha256: Some(people.sha256.clone()),
                    cancel: None,
                },
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(out.resumed_from, cut as u64);
        assert_eq!(out.restarted, None);
        assert_eq!(out.sha256, people.sha256);
        assert_eq!(std::fs::read(&local).unwrap(), original);
        assert!(!sftp::partial_state_path(&local).exists());

        // A partial file without that record is not trusted: started over, and why.
        std::fs::write(sftp::partial_path(&local), &original[..cut]).unwrap();
        let out = client
            .download(
                &DownloadRequest {
                    remote: &remote,
                    local: &local,
                    expected_sha256: Some(people.sha256.clone()),
                    cancel: None,
                },
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(out.resumed_from, 0);
        assert!(out.restarted.unwrap().contains("no record"));
        assert_eq!(out.sha256, people.sha256);

        // Named errors.
        let err = client.list("/exports/nope").err().unwrap();
        assert_eq!(err.kind(), "no_such_path", "{err}");
        let err = client
            .download(
                &DownloadRequest {
                    remote: "/exports/missing.csv",
                    local: &dir.path().join("missing.csv"),
                    expected_sha256: None,
                    cancel: None,
                },
                &mut |_| {},
            )
            .err()
            .unwrap();
        assert_eq!(err.kind(), "no_such_path", "{err}");
        let err = SftpClient::connect(&opts(&info, "wrong-password"), &pinned)
            .err()
            .unwrap();
        assert_eq!(err.kind(), "auth_failed", "{err}");
        let err = SftpClient::connect(
            &opts(&info, &info.sftp.password),
            &HostKeyCheck::Pinned("SHA256:bm90IHRoZSBzYW5kYm94IGtleQ".into()),
        )
        .err()
        .unwrap();
        assert_eq!(err.kind(), "host_key_changed", "{err}");
    })
    .await
    .unwrap();
}

/// The latest "updated" value of the good rows of one object, as the import reports it.
fn expected_cutoff(t: &Tenant, object: Object) -> String {
    let bad: HashSet<u64> = t
        .export_file(object)
        .unwrap()
        .bad_rows
        .iter()
        .filter(|b| !b.reason.starts_with("invalid System ID"))
        .map(|b| b.id)
        .collect();
    let ts = match object {
        Object::Person => t
            .export_people
            .iter()
            .filter(|p| !bad.contains(&p.id))
            .map(|p| p.updateddate)
            .max(),
        Object::Job => t
            .export_jobs
            .iter()
            .filter(|j| !bad.contains(&j.id))
            .map(|j| j.updateddate)
            .max(),
        Object::Workflow => t
            .export_workflows
            .iter()
            .filter(|w| !bad.contains(&w.id))
            .map(|w| w.updateddate)
            .max(),
    }
    .unwrap();
    chrono::DateTime::from_timestamp(ts, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:00")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_and_import_match_the_tenant_ground_truth() {
    let sb = sandbox(2500, 11).await;
    let info = sb.info();
    let tenant = sb.tenant();
    tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let (store, team) = team_store(dir.path(), &info);
        let db = dir.path().join("t.db");

        // A fetch job without a confirmed key fails naming the fingerprint.
        let id = store
            .enqueue_job(
                &team,
                export::FETCH_JOB,
                &serde_json::to_value(FetchParams::default()).unwrap(),
            )
            .unwrap();
        let out = worker::run_job_inline(&db, id, &mut |_| {})
            .unwrap()
            .unwrap();
        assert_eq!(out.state, JobState::Failed);
        assert!(
            out.error
                .as_deref()
                .unwrap()
                .contains(&info.sftp.host_key_sha256),
            "{:?}",
            out.error
        );

        // Confirmed: pinned, every file downloaded and verified.
        let params = FetchParams {
            accept_host_key: Some(info.sftp.host_key_sha256.clone()),
            ..Default::default()
        };
        let id = store
            .enqueue_job(
                &team,
                export::FETCH_JOB,
                &serde_json::to_value(&params).unwrap(),
            )
            .unwrap();
        let mut reports = 0;
        let out = worker::run_job_inline(&db, id, &mut |_| reports += 1)
            .unwrap()
            .unwrap();
        assert_eq!(out.state, JobState::Done, "{:?}", out.error);
        assert!(reports > 0);
        let pin = sftp::pinned_host_key(&store, &team, &info.sftp.host, info.sftp.port)
            .unwrap()
            .unwrap();
        assert_eq!(pin.fingerprint, info.sftp.host_key_sha256);
        let fetched = export::fetched_files(&store, &team).unwrap();
        assert_eq!(fetched.len(), 3);
        for f in &fetched {
            let truth = tenant
                .export_files
                .iter()
                .find(|e| e.file == f.name)
                .unwrap();
            assert_eq!(
                (f.size, f.sha256.as_str()),
                (truth.bytes, truth.sha256.as_str())
            );
            assert_eq!(crate_sha(&f.local_path), truth.sha256);
        }
        // Fetching again downloads nothing (unchanged).
        let id = store
            .enqueue_job(
                &team,
                export::FETCH_JOB,
                &serde_json::to_value(FetchParams::default()).unwrap(),
            )
            .unwrap();
        let out = worker::run_job_inline(&db, id, &mut |_| {})
            .unwrap()
            .unwrap();
        assert_eq!(out.state, JobState::Done, "{:?}", out.error);
        assert_eq!(
            out.result["fetch"]["unchanged"].as_array().unwrap().len(),
            3
        );

        // Import the fetched files.
        let params = ImportParams {
            files: fetched
                .iter()
                .map(|f| ImportFile {
                    path: f.local_path.clone(),
                    name: f.name.clone(),
                })
                .collect(),
            object: None,
            ..Default::default()
        };
        let id = store
            .enqueue_job(
                &team,
                export::IMPORT_JOB,
                &serde_json::to_value(&params).unwrap(),
            )
            .unwrap();
        let out = worker::run_job_inline(&db, id, &mut |_| {})
            .unwrap()
            .unwrap();
        assert_eq!(out.state, JobState::Done, "{:?}", out.error);

        let summary = export::export_summary(&store, &team, 100_000).unwrap();
        let mut total_rows = 0;
        let mut total_bad = 0;
        for (object, kind) in [
            (Object::Person, ObjectKind::People),
            (Object::Job, ObjectKind::Jobs),
            (Object::Workflow, ObjectKind::Workflows),
        ] {
            let truth = tenant.export_file(object).unwrap();
            let file = summary.files.iter().find(|f| f.name == truth.file).unwrap();
            assert_eq!(file.object, kind.as_str(), "{}", truth.file);
            assert_eq!(file.state, "done", "{file:?}");
            assert_eq!(file.rows as usize, truth.rows, "{}", truth.file);
            assert_eq!(
                file.bad_rows as usize,
                truth.bad_rows.len(),
                "{}",
                truth.file
            );
            let lines: Vec<u64> = summary
                .quarantine
                .iter()
                .filter(|q| q.file == truth.file)
                .map(|q| q.line)
                .collect();
            let want: Vec<u64> = truth.bad_rows.iter().map(|b| b.line as u64).collect();
            assert_eq!(lines, want, "{}", truth.file);
            assert_eq!(
                file.cutoff.as_deref(),
                Some(expected_cutoff(&tenant, object).as_str()),
                "{}",
                truth.file
            );
            total_rows += truth.rows as u64;
            total_bad += truth.bad_rows.len() as u64;
        }
        let fact: ExportOutcome = store.fact(&team, keys::EXPORT_IMPORTED).unwrap().unwrap();
        assert_eq!(
            (fact.files, fact.rows, fact.bad_rows),
            (3, total_rows, total_bad)
        );
        assert!(fact.statuses > 0);

        // The handoff ticket names files, checksums and counts, never the password.
        let ticket = export::handoff::ticket_text(&store, &team, &Actor::named("tester")).unwrap();
        for f in &fetched {
            assert!(ticket.contains(&f.sha256));
            assert!(ticket.contains(&f.name));
        }
        assert!(ticket.contains(&info.sftp.host_key_sha256));
        assert!(ticket.contains(&format!("{total_bad} bad rows quarantined")));
        assert!(!ticket.contains(&info.sftp.password));
    })
    .await
    .unwrap();
}

fn crate_sha(path: &std::path::Path) -> String {
    sftp::sha256_file(path).unwrap()
}

/// The headless flow through the real binary: creds, list (unknown key refused with its
/// fingerprint), fetch with `--accept-host-key`, import, summary JSON, handoff file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_list_fetch_import_summary_handoff() {
    let sb = sandbox(1500, 23).await;
    let info = sb.info();
    let tenant = sb.tenant();
    tokio::task::spawn_blocking(move || {
        let home = common::Sandbox::new();
        home.ok(
            &[
                "team",
                "add",
                "Acme",
                "--customer-id",
                &info.customer_id.to_string(),
            ],
            "",
        );
        home.ok(
            &[
                "creds",
                "set",
                "Acme",
                "--kind",
                "sftp",
                "--host",
                &info.sftp.host,
                "--port",
                &info.sftp.port.to_string(),
                "--username",
                &info.sftp.username,
                "--path",
                &info.sftp.path,
                "--password-stdin",
            ],
            &format!("{}\n", info.sftp.password),
        );
        // Unknown host key, no terminal to confirm on: refused, fingerprint shown.
        let out = home.run(&["export", "list", "Acme"], "");
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&info.sftp.host_key_sha256), "{err}");
        assert!(err.contains("--accept-host-key"), "{err}");
        // A mistyped fingerprint is refused too.
        let out = home.run(
            &["export", "list", "Acme", "--accept-host-key", "SHA256:nope"],
            "",
        );
        assert_eq!(out.status.code(), Some(1));

        let listing = home.ok(
            &[
                "export",
                "list",
                "Acme",
                "--accept-host-key",
                &info.sftp.host_key_sha256,
                "--json",
            ],
            "",
        );
        let listing: serde_json::Value = serde_json::from_str(&listing).unwrap();
        assert_eq!(listing["files"].as_array().unwrap().len(), 3);

        let out = home.run(&["export", "fetch", "Acme"], "");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        for f in &tenant.export_files {
            assert!(text.contains(&f.sha256), "{text}");
        }
        assert!(String::from_utf8_lossy(&out.stderr).contains("100%"));

        home.ok(&["export", "import", "Acme"], "");
        let summary: serde_json::Value =
            serde_json::from_str(&home.ok(&["export", "summary", "Acme", "--json"], "")).unwrap();
        let files = summary["files"].as_array().unwrap();
        assert_eq!(files.len(), 3);
        for f in &tenant.export_files {
            let got = files.iter().find(|x| x["name"] == f.file.as_str()).unwrap();
            assert_eq!(got["rows"], f.rows as u64);
            assert_eq!(got["bad_rows"], f.bad_rows.len() as u64);
            assert!(got["cutoff"].is_string());
        }
        let bad: usize = tenant.export_files.iter().map(|f| f.bad_rows.len()).sum();
        assert_eq!(summary["quarantine"].as_array().unwrap().len(), bad);
        let q0 = &summary["quarantine"][0];
        assert!(q0["file"].is_string() && q0["line"].is_u64() && q0["reason"].is_string());

        let ticket_path = home.dir.path().join("ticket.txt");
        home.ok(
            &[
                "export",
                "handoff",
                "Acme",
                "--out",
                ticket_path.to_str().unwrap(),
            ],
            "",
        );
        let ticket = std::fs::read_to_string(&ticket_path).unwrap();
        assert!(ticket.contains(&info.sftp.host_key_sha256));
        assert!(ticket.contains(&format!("Quarantine: {bad} rows")));
        assert!(!ticket.contains(&info.sftp.password));

        let show = home.ok(&["team", "show", "Acme", "--json"], "");
        assert!(show.contains("\"done\""), "{show}");
    })
    .await
    .unwrap();
}
