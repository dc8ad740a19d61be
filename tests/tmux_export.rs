//! The console walkthrough through step 3 on the demo's sandbox team, as a person would do
//! it in tmux: select step 3, fetch (the host key is shown and confirmed with `y`, a
//! detached worker downloads the export), import, read the summary, browse the
//! quarantine, write the handoff ticket. The SFTP password never appears on screen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::Sandbox;
use common::tmux::Tmux;

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

#[test]
fn demo_step3_fetch_import_quarantine_handoff() {
    let sb = Sandbox::new();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_icims-onboard"));
    let command = format!(
        "env ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} TERM=xterm-256color {bin} demo --people 300; \
         echo EXITED:$?; sleep 60",
        db = shell_quote(&sb.db()),
        log = shell_quote(&sb.log()),
        cfg = shell_quote(&sb.config_home()),
        bin = shell_quote(&bin),
    );
    let tmux = Tmux::start("export", 110, 32, &command);
    tmux.wait_text("Demo (sandbox)");
    tmux.keys(&["Enter"]);
    tmux.wait_text("1 Basic sync");
    tmux.keys(&["j", "j", "Enter"]);
    let step3 = tmux.wait_text("not pinned yet");
    assert!(step3.contains("(stored, sealed)"), "{step3}");
    assert!(step3.contains("not pinned yet"), "{step3}");

    tmux.keys(&["f"]);
    let prompt = tmux.wait_text("y pins it");
    assert!(prompt.contains("SHA256:"), "{prompt}");
    tmux.keys(&["y"]);
    let pinned = tmux.wait_for("fetched files", |s| s.contains("Files (3 fetched)"));
    assert!(pinned.contains("pinned by"), "{pinned}");

    tmux.keys(&["i"]);
    let imported = tmux.wait_for("import summary", |s| s.contains("Cut-off"));
    assert!(imported.contains("workflows"), "{imported}");
    assert!(imported.contains("quarantined"), "{imported}");

    tmux.keys(&["b"]);
    let quarantine = tmux.wait_text("Quarantine 1/");
    assert!(
        quarantine.contains("wrong column count") || quarantine.contains("invalid"),
        "{quarantine}"
    );
    tmux.keys(&["b", "h"]);
    tmux.wait_text("handoff ticket written");
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");

    // The SFTP password was never on screen; the ticket does not hold it either.
    let key = icims_onboard::store::KeyRing::from_env_or_file(
        &sb.config_home().join("icims-onboard").join("key"),
    )
    .unwrap();
    let store = icims_onboard::store::Store::open(&sb.db())
        .unwrap()
        .with_keyring(key);
    let team = store.team("Demo (sandbox)").unwrap();
    let cred = store
        .credential(&team, icims_onboard::store::CredentialKind::Sftp)
        .unwrap()
        .unwrap();
    let password = secrecy::ExposeSecret::expose_secret(&cred.secret).to_string();
    for shown in [&step3, &prompt, &pinned, &imported, &quarantine] {
        assert!(!shown.contains(&password), "SFTP password on screen");
    }
    let ticket = std::fs::read_to_string(
        icims_onboard::paths::exports_dir(&sb.db(), team.id).join("handoff-ticket.txt"),
    )
    .unwrap();
    assert!(ticket.contains("Manifest (3 files)"), "{ticket}");
    assert!(!ticket.contains(&password));
    let outcome: icims_onboard::onboarding::ExportOutcome = store
        .fact(
            &team,
            icims_onboard::onboarding::facts::keys::EXPORT_IMPORTED,
        )
        .unwrap()
        .unwrap();
    assert_eq!(outcome.files, 3);
}
