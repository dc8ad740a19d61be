//! The console driven as a person would: the built binary in a tmux session on a private
//! socket, keys sent with send-keys, the screen read back with capture-pane.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::Sandbox;
use common::tmux::Tmux;

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn console_command(sb: &Sandbox, after: &Path) -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_icims-onboard"));
    format!(
        "env ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} TERM=xterm-256color {bin}; \
         echo EXITED:$?; stty -a > {after}; sleep 60",
        db = shell_quote(&sb.db()),
        log = shell_quote(&sb.log()),
        cfg = shell_quote(&sb.config_home()),
        bin = shell_quote(&bin),
        after = shell_quote(after),
    )
}

#[test]
fn create_open_help_quit_walkthrough() {
    let sb = Sandbox::new();
    let stty_after = sb.dir.path().join("stty-after.txt");
    let tmux = Tmux::start("walk", 100, 30, &console_command(&sb, &stty_after));

    tmux.wait_text("No teams yet");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the console uses the alternate screen"
    );

    // Create a team through the form.
    tmux.keys(&["n"]);
    tmux.wait_text("New team");
    tmux.type_text("Acme Test");
    tmux.keys(&["Tab"]);
    tmux.type_text("12x");
    tmux.keys(&["Enter"]);
    tmux.wait_text("is not a number");
    tmux.keys(&["BSpace"]);
    tmux.type_text("4");
    tmux.keys(&["Enter"]);
    let home = tmux.wait_text("created team Acme Test");
    assert!(home.contains("124"), "customer id listed:\n{home}");

    // Open it and read the six steps and their states back.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("Stage mapping");
    let expected = [
        ("1 Basic sync", "todo"),
        ("2 Deep sync credentials", "todo"),
        ("3 Historical export", "todo"),
        ("4 Field mapping", "todo"),
        ("5 Deep sync", "locked"),
        ("6 Stage mapping", "locked"),
    ];
    let lines: Vec<&str> = screen.lines().collect();
    for (name, state) in expected {
        let at = lines
            .iter()
            .position(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not on screen:\n{screen}"));
        assert!(
            lines[at + 1].contains(state),
            "{name} should be {state}; line below is {:?}\n{screen}",
            lines[at + 1]
        );
    }
    assert!(
        screen.contains("deep sync credentials not"),
        "the lock reason is shown:\n{screen}"
    );

    // Help opens and closes.
    tmux.keys(&["?"]);
    tmux.wait_text("Keys: Team");
    tmux.keys(&["Escape"]);
    tmux.wait_for("help closed", |s| !s.contains("Keys: Team"));

    // Quit: the terminal is given back (main screen, cooked mode with echo).
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "left the alternate screen"
    );
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor visible again");
    let start = Instant::now();
    while !stty_after.exists() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let stty = std::fs::read_to_string(&stty_after).expect("stty output");
    let words: Vec<&str> = stty.split_whitespace().collect();
    for flag in ["icanon", "echo", "isig"] {
        assert!(
            words.contains(&flag),
            "terminal left without {flag}: {stty}"
        );
    }

    // What was created through the console is in the database.
    let show = sb.ok(&["team", "show", "Acme Test", "--json"], "");
    assert!(show.contains("\"customer_id\": 124"), "{show}");
}

#[test]
fn too_small_then_resized() {
    let sb = Sandbox::new();
    let stty_after = sb.dir.path().join("stty-after.txt");
    let tmux = Tmux::start("small", 70, 20, &console_command(&sb, &stty_after));
    tmux.wait_text("Terminal too small");
    tmux.tmux(&["resize-window", "-t", "t", "-x", "90", "-y", "28"]);
    tmux.wait_text("No teams yet");
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");
}

#[test]
fn demo_opens_the_console_on_a_prepared_sandbox_team() {
    let sb = Sandbox::new();
    let stty_after = sb.dir.path().join("stty-after.txt");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_icims-onboard"));
    let command = format!(
        "env ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} TERM=xterm-256color {bin} demo --people 200; \
         echo EXITED:$?; stty -a > {after}; sleep 60",
        db = shell_quote(&sb.db()),
        log = shell_quote(&sb.log()),
        cfg = shell_quote(&sb.config_home()),
        bin = shell_quote(&bin),
        after = shell_quote(&stty_after),
    );
    let tmux = Tmux::start("demo", 110, 32, &command);
    let home = tmux.wait_text("Demo (sandbox)");
    assert!(home.contains("1001"), "sandbox customer id listed:\n{home}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("API username");
    assert!(
        screen.contains("integration1001"),
        "the sandbox API user is stored:\n{screen}"
    );
    assert!(screen.contains("(stored, sealed)"), "{screen}");
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("1 Basic sync"))
        .expect("step 1");
    assert!(
        lines[at + 1].contains("in progress"),
        "credentials stored, not yet tested:\n{screen}"
    );
    tmux.keys(&["j"]);
    let step2 = tmux.wait_text("REST client id");
    assert!(step2.contains("sbx-"), "{step2}");
    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");

    // The sandbox's secrets were never on screen.
    let key = icims_onboard::store::KeyRing::from_env_or_file(
        &sb.config_home().join("icims-onboard").join("key"),
    )
    .unwrap();
    let store = icims_onboard::store::Store::open(&sb.db())
        .unwrap()
        .with_keyring(key);
    let team = store.team("Demo (sandbox)").unwrap();
    assert_eq!(store.credential_summaries(&team).unwrap().len(), 4);
    for kind in icims_onboard::store::CredentialKind::ALL {
        let cred = store.credential(&team, kind).unwrap().unwrap();
        let secret = secrecy::ExposeSecret::expose_secret(&cred.secret).to_string();
        assert!(secret.len() >= 8, "{kind} secret looks real");
        for shown in [&home, &screen, &step2] {
            assert!(!shown.contains(&secret), "{kind} secret on screen");
        }
    }
}
