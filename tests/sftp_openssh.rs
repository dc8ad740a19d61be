//! The SFTP client against a real OpenSSH sshd started on loopback by the test: listing,
//! download with checksum, resume after the connection is cut mid-file, host-key pinning
//! and mismatch refusal, and the named errors (auth failed, no such path, permission
//! denied, host unreachable).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/sshd.rs"]
mod sshd;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use icims_onboard::sftp::{
    self, Auth, ConnectOptions, DownloadRequest, HostKeyCheck, SftpClient, SftpError,
};
use icims_onboard::store::{
    Actor, CredentialKind, CredentialParams, KeyRing, NewTeam, Store, Team,
};
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use sshd::Sshd;

macro_rules! sshd_or_skip {
    () => {
        match Sshd::start() {
            Some(s) => s,
            None => return,
        }
    };
}

fn password_opts(s: &Sshd) -> ConnectOptions {
    let mut o = ConnectOptions::new(
        "127.0.0.1",
        s.port,
        sshd::USER,
        Auth::Password(SecretString::from(s.password.clone())),
    );
    o.stall_timeout = Duration::from_secs(10);
    o
}

fn connect(s: &Sshd) -> SftpClient {
    SftpClient::connect(
        &password_opts(s),
        &HostKeyCheck::Pinned(s.fingerprint.clone()),
    )
    .unwrap()
}

/// Deterministic pseudo-random bytes (incompressible enough for transfer tests).
fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn sha_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[test]
fn lists_a_directory_with_sizes_and_mtimes() {
    let s = sshd_or_skip!();
    s.put("people.csv", b"id,name\n1,Ann\n");
    s.put("jobs.csv.gz", &bytes(1000, 3));
    s.put("sub/nested.csv", b"x\n");
    let client = connect(&s);
    let entries = client.list(&s.remote("")).unwrap();
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["jobs.csv.gz", "people.csv", "sub"]);
    assert_eq!(entries[1].size, 14);
    assert!(!entries[1].is_dir);
    assert!(entries[2].is_dir);
    let mtime = fs::metadata(s.files.join("people.csv"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(entries[1].mtime, Some(mtime));
    assert_eq!(client.host_key().fingerprint, s.fingerprint);
}

#[test]
fn negotiates_the_fastest_strong_cipher_with_openssh() {
    let s = sshd_or_skip!();
    let client = connect(&s);
    // libssh2's ChaCha20-Poly1305 measured fastest (README, Benchmarks); OpenSSH offers it.
    assert_eq!(
        client.cipher().as_deref(),
        Some("chacha20-poly1305@openssh.com")
    );
    client.close();
}

#[test]
fn unknown_host_key_is_reported_with_the_openssh_fingerprint() {
    let s = sshd_or_skip!();
    let err = SftpClient::connect(&password_opts(&s), &HostKeyCheck::Unpinned(None))
        .err()
        .unwrap();
    match err {
        SftpError::HostKeyUnknown {
            fingerprint,
            key_type,
            ..
        } => {
            assert_eq!(fingerprint, s.fingerprint);
            assert_eq!(key_type, "ssh-ed25519");
        }
        other => panic!("expected HostKeyUnknown, got {other}"),
    }
    // Nothing was sent: sshd saw no password attempt.
    assert!(!s.log_text().contains("password for"), "{}", s.log_text());
    let probed = sftp::probe_host_key(&password_opts(&s)).unwrap();
    assert_eq!(probed.fingerprint, s.fingerprint);
    // A confirmed fingerprint connects.
    SftpClient::connect(
        &password_opts(&s),
        &HostKeyCheck::Unpinned(Some(s.fingerprint.clone())),
    )
    .unwrap();
    // A wrongly typed confirmation does not.
    let err = SftpClient::connect(
        &password_opts(&s),
        &HostKeyCheck::Unpinned(Some("SHA256:AAAA".into())),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), "host_key_not_accepted");
}

fn team_store(dir: &Path, s: &Sshd, password: &str) -> (Store, Team) {
    let store = Store::open(&dir.join("t.db"))
        .unwrap()
        .with_keyring(KeyRing::from_bytes(&[7; 32]));
    let actor = Actor::named("tester");
    let team = store
        .add_team(
            &NewTeam {
                name: "Acme".into(),
                customer_id: 5978,
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
                host: Some("127.0.0.1".into()),
                port: Some(s.port),
                username: Some(sshd::USER.into()),
                path: Some(s.remote("")),
                ..Default::default()
            },
            &SecretString::from(password.to_string()),
            &actor,
        )
        .unwrap();
    (store, team)
}

#[test]
fn host_key_is_pinned_on_confirmation_and_a_changed_key_is_refused() {
    let s = sshd_or_skip!();
    s.put("people.csv", b"id\n1\n");
    let tmp = tempfile::tempdir().unwrap();
    let (store, team) = team_store(tmp.path(), &s, &s.password);
    let actor = Actor::named("tester");

    let err = sftp::connect_for_team(&store, &team, None, &actor)
        .err()
        .unwrap();
    assert_eq!(err.kind(), "host_key_unknown");
    assert!(
        sftp::pinned_host_key(&store, &team, "127.0.0.1", s.port)
            .unwrap()
            .is_none()
    );

    let (client, _) = sftp::connect_for_team(&store, &team, Some(&s.fingerprint), &actor).unwrap();
    drop(client);
    let pin = sftp::pinned_host_key(&store, &team, "127.0.0.1", s.port)
        .unwrap()
        .unwrap();
    assert_eq!(pin.fingerprint, s.fingerprint);
    assert_eq!(pin.pinned_by, "tester");
    // Pinned: later connects need no confirmation.
    sftp::connect_for_team(&store, &team, None, &actor).unwrap();

    // The server's key changes (simulated by a different pin on record): refused, with
    // nothing authenticated or transferred, even if the new key is "accepted".
    let other = sftp::HostKey {
        key_type: "ssh-ed25519".into(),
        fingerprint: "SHA256:bm90IHRoZSBrZXkgdGhlIHNlcnZlciBwcmVzZW50cw".into(),
    };
    sftp::pin_host_key(&store, &team, "127.0.0.1", s.port, &other, &actor).unwrap();
    let before = s.log_text().matches("Accepted password").count();
    let err = sftp::connect_for_team(&store, &team, Some(&s.fingerprint), &actor)
        .err()
        .unwrap();
    match &err {
        SftpError::HostKeyChanged {
            pinned, presented, ..
        } => {
            assert_eq!(pinned, &other.fingerprint);
            assert_eq!(presented, &s.fingerprint);
        }
        other => panic!("expected HostKeyChanged, got {other}"),
    }
    assert!(err.to_string().contains("CHANGED"));
    assert!(err.to_string().contains("nothing was transferred"));
    assert_eq!(s.log_text().matches("Accepted password").count(), before);
    // The pin was not replaced.
    assert_eq!(
        sftp::pinned_host_key(&store, &team, "127.0.0.1", s.port)
            .unwrap()
            .unwrap()
            .fingerprint,
        other.fingerprint
    );
}

#[test]
fn downloads_with_progress_and_verifies_the_checksum() {
    let s = sshd_or_skip!();
    let data = bytes(5 * 1024 * 1024 + 123, 11);
    let remote = s.put("people.csv", &data);
    s.put(
        "people.csv.sha256",
        format!("{}  people.csv\n", sha_hex(&data)).as_bytes(),
    );
    let client = connect(&s);
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("people.csv");
    let expected = client.published_sha256(&remote).unwrap();
    assert_eq!(expected.as_deref(), Some(sha_hex(&data).as_str()));
    let mut reports = Vec::new();
    let out = client
        .download(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: expected,
                cancel: None,
            },
            &mut |p| reports.push(p.clone()),
        )
        .unwrap();
    assert_eq!(out.size, data.len() as u64);
    assert_eq!(out.sha256, sha_hex(&data));
    assert!(out.verified_digest);
    assert_eq!(out.resumed_from, 0);
    assert_eq!(fs::read(&local).unwrap(), data);
    assert!(!sftp::partial_path(&local).exists());
    let last = reports.last().unwrap();
    assert!(last.done);
    assert_eq!(last.bytes, data.len() as u64);
    assert_eq!(last.total, data.len() as u64);
    assert!(reports.windows(2).all(|w| w[0].bytes <= w[1].bytes));
    // Files are private to the user.
    assert_eq!(
        fs::metadata(&local).unwrap().permissions().mode() & 0o077,
        0
    );

    // A published digest that does not match: refused and nothing kept.
    let remote2 = s.put("jobs.csv", &data[..1000]);
    s.put(
        "jobs.csv.sha256",
        format!("{}\n", sha_hex(b"other")).as_bytes(),
    );
    let local2 = tmp.path().join("jobs.csv");
    let err = client
        .download(
            &DownloadRequest {
                remote: &remote2,
                local: &local2,
                expected_sha256: client.published_sha256(&remote2).unwrap(),
                cancel: None,
            },
            &mut |_| {},
        )
        .err()
        .unwrap();
    assert_eq!(err.kind(), "checksum_mismatch", "{err}");
    assert!(!local2.exists());
    assert!(!sftp::partial_path(&local2).exists());
}

#[test]
fn resumes_after_the_connection_is_cut_mid_file() {
    let s = sshd_or_skip!();
    let data = bytes(96 * 1024 * 1024, 5);
    let remote = s.put("big.csv", &data);
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("big.csv");
    let client = connect(&s);
    let mut cut = false;
    let err = client
        .download(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: None,
                cancel: None,
            },
            &mut |p| {
                if !cut && p.bytes > 0 && p.bytes < p.total {
                    assert!(s.cut_connections() > 0);
                    cut = true;
                }
            },
        )
        .expect_err("the download must fail when the connection is cut");
    assert!(cut, "the download finished before it could be cut");
    assert_eq!(err.kind(), "connection_lost", "{err}");
    // Written in place: the partial file has the remote size; its record says how far
    // the range got, and that prefix is the server's bytes.
    let part = fs::read(sftp::partial_path(&local)).unwrap();
    assert_eq!(part.len(), data.len());
    let partial = done_bytes(&local);
    assert!(
        partial > 0 && partial < data.len() as u64,
        "partial {partial}"
    );
    assert!(!local.exists());
    assert_eq!(part[..partial as usize], data[..partial as usize]);

    let client = connect(&s);
    let out = client
        .download(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: Some(sha_hex(&data)),
                cancel: None,
            },
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(out.resumed_from, partial);
    assert_eq!(out.restarted, None);
    assert_eq!(out.sha256, sha_hex(&data));
    assert_eq!(fs::read(&local).unwrap(), data);
    assert!(!sftp::partial_state_path(&local).exists());
}

/// Bytes done over all ranges, from the record next to the partial file.
fn done_bytes(local: &Path) -> u64 {
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(sftp::partial_state_path(local)).unwrap()).unwrap();
    state["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .sum()
}

/// Sets a served file's modification time `secs` after its current one.
fn touch_later(path: &str, secs: u64) {
    let f = fs::File::options().write(true).open(path).unwrap();
    let mtime = f.metadata().unwrap().modified().unwrap();
    f.set_modified(mtime + Duration::from_secs(secs)).unwrap();
}

#[test]
fn a_file_replaced_on_the_server_is_not_spliced_on_resume() {
    let s = sshd_or_skip!();
    let old = bytes(40 * 1024 * 1024, 21);
    let remote = s.put("people.csv", &old);
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("people.csv");
    let client = connect(&s);
    let mut cut = false;
    let err = client
        .download(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: None,
                cancel: None,
            },
            &mut |p| {
                if !cut && p.bytes > 0 && p.bytes < p.total {
                    assert!(s.cut_connections() > 0);
                    cut = true;
                }
            },
        )
        .expect_err("the download must fail when the connection is cut");
    assert!(cut, "the download finished before it could be cut");
    assert_eq!(err.kind(), "connection_lost", "{err}");
    assert!(done_bytes(&local) > 0);

    // The customer re-exports: same name, same size, other content, a later mtime.
    let new = bytes(old.len(), 22);
    s.put("people.csv", &new);
    touch_later(&remote, 120);

    let client = connect(&s);
    let mut notes = Vec::new();
    let out = client
        .download(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: None,
                cancel: None,
            },
            &mut |p| notes.extend(p.note.clone()),
        )
        .unwrap();
    assert_eq!(
        out.sha256,
        sha_hex(&new),
        "the resumed file mixes two versions"
    );
    assert_eq!(fs::read(&local).unwrap(), new);
    assert_eq!(out.resumed_from, 0);
    let why = out.restarted.expect("the outcome says why it started over");
    assert!(
        why.starts_with("started over: the server's file changed since the interrupted download"),
        "{why}"
    );
    assert!(
        why.contains(&format!("size {} → {} bytes", old.len(), new.len())),
        "{why}"
    );
    // Every progress report of the file carries the reason, and the line shows it.
    assert!(
        !notes.is_empty() && notes.iter().all(|n| *n == why),
        "{notes:?}"
    );

    // A partial file with no record of where it came from is not trusted either.
    fs::write(sftp::partial_path(&local), &old[..1000]).unwrap();
    fs::remove_file(&local).unwrap();
    let out = client
        .download(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: Some(sha_hex(&new)),
                cancel: None,
            },
            &mut |_| {},
        )
        .unwrap();
    assert!(out.restarted.unwrap().contains("no record"));
    assert_eq!(out.sha256, sha_hex(&new));
}

#[test]
fn ranged_download_cut_mid_range_resumes_per_range() {
    let s = sshd_or_skip!();
    let data = bytes(96 * 1024 * 1024 + 4321, 9);
    let remote = s.put("big.csv", &data);
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("big.csv");
    let client = connect(&s);
    let mut cut = false;
    let err = client
        .download_ranged(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: None,
                cancel: None,
            },
            4,
            &mut |p| {
                if !cut && p.bytes > 16 * 1024 * 1024 && p.bytes < p.total {
                    assert!(s.cut_connections() > 1, "several sessions were open");
                    cut = true;
                }
            },
        )
        .expect_err("the download must fail when the connections are cut");
    assert!(cut, "the download finished before it could be cut");
    assert!(err.is_transient(), "{err}");
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(sftp::partial_state_path(&local)).unwrap()).unwrap();
    let done: Vec<u64> = state["done"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect();
    let range = state["range"].as_u64().unwrap();
    assert!(done.len() >= 4, "{state}");
    // Several ranges were under way at once, and each recorded prefix holds the
    // server's bytes at that offset.
    assert!(done.iter().filter(|&&d| d > 0).count() > 1, "{state}");
    let part = fs::read(sftp::partial_path(&local)).unwrap();
    for (i, &d) in done.iter().enumerate() {
        let start = i * range as usize;
        assert_eq!(
            part[start..start + d as usize],
            data[start..start + d as usize]
        );
    }

    let client = connect(&s);
    let out = client
        .download_ranged(
            &DownloadRequest {
                remote: &remote,
                local: &local,
                expected_sha256: Some(sha_hex(&data)),
                cancel: None,
            },
            4,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(out.resumed_from, done.iter().sum::<u64>());
    assert_eq!(out.restarted, None);
    assert!(out.verified_digest);
    assert_eq!(out.sha256, sha_hex(&data));
    assert_eq!(fs::read(&local).unwrap(), data);
    assert!(!sftp::partial_path(&local).exists());
    assert!(!sftp::partial_state_path(&local).exists());
}

#[test]
fn a_fetch_killed_mid_range_restarts_to_the_right_sha256() {
    let s = sshd_or_skip!();
    let data = bytes(160 * 1024 * 1024, 33);
    s.put("people.csv", &data);
    let tmp = tempfile::tempdir().unwrap();
    let (store, _team) = team_store(tmp.path(), &s, &s.password);
    drop(store);
    let dest = tmp.path().join("exports");
    let local = dest.join("people.csv");
    let fetch = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_icims-onboard"));
        cmd.arg("--db")
            .arg(tmp.path().join("t.db"))
            .args(["export", "fetch", "Acme", "--json", "--accept-host-key"])
            .arg(&s.fingerprint)
            .arg("--dest")
            .arg(&dest)
            .env("ICIMS_ONBOARD_KEY", "07".repeat(32))
            .env("ICIMS_ONBOARD_LOG", tmp.path().join("log"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        cmd
    };
    // Kill the fetching process (SIGKILL) once its ranges have recorded progress.
    let mut child = fetch().spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let killed_at = loop {
        let done = fs::read(sftp::partial_state_path(&local))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .map(|v| {
                v["done"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|d| d.as_u64()).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        if done.iter().filter(|&&d| d > 0).count() > 1 {
            child.kill().unwrap();
            child.wait().unwrap();
            break done;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the fetch ended ({status}) before it could be killed mid-range");
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no range progress recorded"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let total: u64 = killed_at.iter().sum();
    assert!(total < data.len() as u64, "{killed_at:?}");
    assert!(!local.exists());

    let out = fetch().output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let file = &report["fetch"]["files"][0];
    assert_eq!(file["sha256"], sha_hex(&data));
    assert!(report["fetch"].get("restarted").is_none(), "{report}");
    assert_eq!(sftp::sha256_file(&local).unwrap(), sha_hex(&data));
}

#[test]
fn named_errors_for_password_path_permission_and_host() {
    let s = sshd_or_skip!();
    let secret = s.put("secret.csv", b"id\n1\n");
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o000)).unwrap();

    let mut wrong = password_opts(&s);
    wrong.auth = Auth::Password(SecretString::from("not-the-password".to_string()));
    let err = SftpClient::connect(&wrong, &HostKeyCheck::Pinned(s.fingerprint.clone()))
        .err()
        .unwrap();
    assert_eq!(err.kind(), "auth_failed");
    assert!(
        err.to_string()
            .contains("authentication failed for user \"icimsftp\"")
    );
    assert!(!err.to_string().contains("not-the-password"));

    let client = connect(&s);
    let missing = s.remote("nope/people.csv");
    let err = client.list(&s.remote("nope")).err().unwrap();
    assert_eq!(err.kind(), "no_such_path", "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let err = client
        .download(
            &DownloadRequest {
                remote: &missing,
                local: &tmp.path().join("x"),
                expected_sha256: None,
                cancel: None,
            },
            &mut |_| {},
        )
        .err()
        .unwrap();
    assert_eq!(err.kind(), "no_such_path", "{err}");
    assert!(err.to_string().contains(&missing));

    let err = client
        .download(
            &DownloadRequest {
                remote: &secret,
                local: &tmp.path().join("secret.csv"),
                expected_sha256: None,
                cancel: None,
            },
            &mut |_| {},
        )
        .err()
        .unwrap();
    assert_eq!(err.kind(), "permission_denied", "{err}");

    // Nothing listens on this port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut gone = password_opts(&s);
    gone.port = closed;
    let err = SftpClient::connect(&gone, &HostKeyCheck::Unpinned(None))
        .err()
        .unwrap();
    assert_eq!(err.kind(), "host_unreachable", "{err}");
}

#[test]
fn private_key_authentication() {
    let s = sshd_or_skip!();
    s.put("people.csv", b"id\n1\n");
    let opts = ConnectOptions::new(
        "127.0.0.1",
        s.port,
        sshd::USER,
        Auth::KeyFile {
            path: s.client_key.clone(),
            passphrase: None,
        },
    );
    let client = SftpClient::connect(&opts, &HostKeyCheck::Pinned(s.fingerprint.clone())).unwrap();
    assert_eq!(client.list(&s.remote("")).unwrap().len(), 1);
}
