//! Re-running `demo` keeps what the engineer did: the sandbox derives the same secrets
//! from its seed, so unchanged credentials are not rewritten (the test results stay
//! valid), and a host key confirmed on the previous run's SFTP port follows the new port
//! only when it is exactly the key the sandbox presents.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use icims_onboard::commands::demo::{prepare_team, previous_addrs};
use icims_onboard::icims::checks::CheckRow;
use icims_onboard::icims::checks::record::record_basic;
use icims_onboard::onboarding::{self, OnboardingFacts, Step, StepState};
use icims_onboard::sandbox::{Sandbox, SandboxConfig};
use icims_onboard::sftp::{HostKey, pin_host_key, pinned_host_key};
use icims_onboard::store::{Actor, CredentialKind, KeyRing, Store};

fn actor() -> Actor {
    Actor {
        user: "alice".into(),
        ssh_client: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_demo_run_keeps_test_results_and_the_confirmed_host_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite"))
        .unwrap()
        .with_keyring(KeyRing::from_bytes(&[7; 32]));
    let config = || SandboxConfig {
        people: 50,
        ..Default::default()
    };

    let first = Sandbox::start(config()).await.unwrap();
    let info = first.info();
    let team = prepare_team(&store, "Demo (sandbox)", &info, &actor()).unwrap();
    // The engineer tested step 1 and confirmed the SFTP host key.
    record_basic(
        &store,
        &team,
        &[CheckRow::pass("basic.auth", 1, "ok")],
        &[],
        &actor(),
    )
    .unwrap();
    let key = HostKey {
        key_type: "ssh-ed25519".into(),
        fingerprint: info.sftp.host_key_sha256.clone(),
    };
    pin_host_key(
        &store,
        &team,
        &info.sftp.host,
        info.sftp.port,
        &key,
        &actor(),
    )
    .unwrap();
    let before = store.credential_summaries(&team).unwrap();
    drop(first);

    // The next run starts the sandbox on the same addresses (as `demo` does when they
    // are free).
    let (addr, sftp_addr) = previous_addrs(&store, "Demo (sandbox)");
    let second = Sandbox::start(SandboxConfig {
        addr: addr.expect("the API address of the last run"),
        sftp_addr,
        ..config()
    })
    .await
    .unwrap();
    let again = second.info();
    assert_eq!(again.sftp.port, info.sftp.port);
    let team = prepare_team(&store, "Demo (sandbox)", &again, &actor()).unwrap();
    let after = store.credential_summaries(&team).unwrap();
    for kind in [
        CredentialKind::Basic,
        CredentialKind::Rest,
        CredentialKind::Datastream,
    ] {
        let at = |list: &[icims_onboard::store::CredentialSummary]| {
            list.iter()
                .find(|c| c.kind == kind)
                .map(|c| c.updated_at.clone())
        };
        assert_eq!(at(&before), at(&after), "{kind} rewritten");
    }
    // Nothing was written again: one `creds.set` per kind, from the first run.
    let sets: Vec<String> = store
        .audit_log(Some("Demo (sandbox)"), 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "creds.set")
        .filter_map(|e| e.detail)
        .collect();
    assert_eq!(sets.len(), 4, "{sets:?}");
    // Step 1's test still counts: "test passed; enable sync", not "changed since".
    let facts = OnboardingFacts::load(&store, &team).unwrap();
    let step1 = onboarding::derive_step(Step::BasicSync, &facts);
    assert_eq!(step1.state, StepState::InProgress);
    assert!(step1.detail.contains("test passed"), "{}", step1.detail);
    // The confirmed key is still pinned.
    let pin = pinned_host_key(&store, &team, &again.sftp.host, again.sftp.port)
        .unwrap()
        .expect("pin kept");
    assert_eq!(pin.fingerprint, info.sftp.host_key_sha256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_new_ports_the_confirmed_key_follows_and_the_tests_say_test_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite"))
        .unwrap()
        .with_keyring(KeyRing::from_bytes(&[7; 32]));
    let config = || SandboxConfig {
        people: 50,
        ..Default::default()
    };
    let first = Sandbox::start(config()).await.unwrap();
    let info = first.info();
    let team = prepare_team(&store, "Demo (sandbox)", &info, &actor()).unwrap();
    let key = HostKey {
        key_type: "ssh-ed25519".into(),
        fingerprint: info.sftp.host_key_sha256.clone(),
    };
    pin_host_key(
        &store,
        &team,
        &info.sftp.host,
        info.sftp.port,
        &key,
        &actor(),
    )
    .unwrap();
    record_basic(
        &store,
        &team,
        &[CheckRow::pass("basic.auth", 1, "ok")],
        &[],
        &actor(),
    )
    .unwrap();
    let second = Sandbox::start(config()).await.unwrap();
    let again = second.info();
    assert_ne!(again.sftp.port, info.sftp.port);
    let team = prepare_team(&store, "Demo (sandbox)", &again, &actor()).unwrap();
    let pin = pinned_host_key(&store, &team, &again.sftp.host, again.sftp.port)
        .unwrap()
        .expect("pin carried to the new port");
    assert_eq!(pin.fingerprint, info.sftp.host_key_sha256);
    // A new API address is a settings change: step 1 honestly asks for a new test.
    let facts = OnboardingFacts::load(&store, &team).unwrap();
    let step1 = onboarding::derive_step(Step::BasicSync, &facts);
    assert!(step1.detail.contains("test again"), "{}", step1.detail);
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_of_another_key_is_not_carried() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite"))
        .unwrap()
        .with_keyring(KeyRing::from_bytes(&[7; 32]));
    let first = Sandbox::start(SandboxConfig {
        people: 50,
        ..Default::default()
    })
    .await
    .unwrap();
    let info = first.info();
    let team = prepare_team(&store, "Demo (sandbox)", &info, &actor()).unwrap();
    let other = HostKey {
        key_type: "ssh-ed25519".into(),
        fingerprint: "SHA256:someoneElsesKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
    };
    pin_host_key(
        &store,
        &team,
        &info.sftp.host,
        info.sftp.port,
        &other,
        &actor(),
    )
    .unwrap();
    drop(first);
    let second = Sandbox::start(SandboxConfig {
        people: 50,
        ..Default::default()
    })
    .await
    .unwrap();
    let again = second.info();
    let team = prepare_team(&store, "Demo (sandbox)", &again, &actor()).unwrap();
    assert!(
        pinned_host_key(&store, &team, &again.sftp.host, again.sftp.port)
            .unwrap()
            .is_none()
    );
}
