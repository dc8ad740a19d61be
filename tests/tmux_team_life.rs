//! The team page over a team's life, driven in tmux as a person would: edit a team's
//! region from its page (the change is read back from the store), read its history
//! filtered by action, then remove a second team by typing its name — checked through
//! the CLI on the same database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::Sandbox;
use common::tmux::Tmux;

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

fn json(sb: &Sandbox, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&sb.ok(args, "")).unwrap()
}

#[test]
fn edit_a_region_and_remove_a_second_team() {
    let sb = Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1234"], "");
    sb.ok(&["team", "add", "Globex", "--customer-id", "5978"], "");
    sb.ok(
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
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_icims-onboard"));
    let cmd = format!(
        "env ICIMS_ONBOARD_DB={db} ICIMS_ONBOARD_LOG={log} XDG_CONFIG_HOME={cfg} TERM=xterm-256color {bin}; echo EXITED:$?; sleep 60",
        db = shell_quote(&sb.db()),
        log = shell_quote(&sb.log()),
        cfg = shell_quote(&sb.config_home()),
        bin = shell_quote(&bin),
    );
    let tmux = Tmux::start("team-life", 160, 30, &cmd);
    tmux.wait_text("Globex");

    // Acme's page: edit its settings, switch the region to EU, save.
    tmux.keys(&["Enter"]);
    tmux.wait_text("customer 1234 · us");
    tmux.keys(&["s"]);
    tmux.wait_text("Edit team Acme");
    tmux.keys(&["Tab", "Tab", "Space", "Enter"]);
    let screen = tmux.wait_text("updated Acme");
    assert!(screen.contains("region us → eu"), "{screen}");
    tmux.wait_text("customer 1234 · eu");
    let show = json(&sb, &["team", "show", "Acme", "--json"]);
    assert_eq!(show["region"], "eu");
    assert_eq!(show["api_base"], "https://api-eu.icims.com");

    // Its history, filtered by action.
    tmux.keys(&["h"]);
    tmux.wait_text("History — Acme (2 entries)");
    tmux.keys(&["/"]);
    tmux.type_text("team.set");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("(1 of 2 entries)");
    assert!(screen.contains("region, api_base, token_url"), "{screen}");
    assert!(!screen.contains("team.add "), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_text("1 Basic sync");
    tmux.keys(&["Escape"]);

    // Globex: remove it; a wrong name first removes nothing.
    tmux.wait_text("Teams");
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_text("customer 5978 · us");
    tmux.keys(&["D"]);
    tmux.wait_text("Type the team name to confirm:");
    tmux.wait_text("credentials 1");
    tmux.type_text("globex");
    tmux.keys(&["Enter"]);
    tmux.wait_text("does not match");
    assert_eq!(
        json(&sb, &["team", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    for _ in 0..6 {
        tmux.keys(&["BSpace"]);
    }
    tmux.type_text("Globex");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("removed team Globex");
    assert!(screen.contains("Acme"), "back on the teams:\n{screen}");
    let teams = json(&sb, &["team", "list", "--json"]);
    let names: Vec<&str> = teams
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme"]);
    let log = json(&sb, &["audit", "Globex", "--json"]);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["action"], "team.remove");
    assert!(log[0]["object"].as_str().unwrap().contains("credentials 1"));

    tmux.keys(&["q"]);
    tmux.wait_text("EXITED:0");
}
