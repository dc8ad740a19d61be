//! All six steps on `icims-onboard demo`, through the console only, driven in tmux at
//! 120x40 and at 80x24 (keys sent, screen read back): step 1 tested and its sync switched on, step 2's
//! preflight, step 3 fetched (the host key confirmed on its page) and imported, step 4
//! discovered and approved, step 5 planned, started and watched until live, step 6's
//! statuses read, a rejection refused a stage, the unmapped status given one and the
//! mapping approved. It ends on the home screen with every step done.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Sandbox;
use common::demo::{console_line, stop_sync};
use common::tmux::Tmux;

const TEAM: &str = "Demo (sandbox)";
const STEPS: [&str; 6] = [
    "1 Basic sync",
    "2 Deep sync credentials",
    "3 Historical export",
    "4 Field mapping",
    "5 Deep sync",
    "6 Stage mapping",
];

/// The state line under each step in the team screen's step list ("✓ done", …).
fn step_states(screen: &str) -> Vec<String> {
    let lines: Vec<&str> = screen.lines().collect();
    STEPS
        .iter()
        .map(|title| {
            let at = lines
                .iter()
                .position(|l| l.contains(title))
                .unwrap_or_else(|| panic!("no {title:?} in the step list:\n{screen}"));
            let below = lines.get(at + 1).copied().unwrap_or_default();
            let left = below.split("││").next().unwrap_or_default();
            left.trim_matches(|c: char| c == '│' || c.is_whitespace())
                .to_string()
        })
        .collect()
}

/// Back on the team screen with step `n` shown done.
fn back_with_step_done(t: &Tmux, n: usize) {
    t.keys(&["Escape"]);
    let team = t.wait_long(&format!("step {n} done"), 30, |s| {
        s.contains("6 Stage mapping") && step_states(s)[n - 1] == "✓ done"
    });
    assert!(
        step_states(&team)[..n].iter().all(|s| s == "✓ done"),
        "{team}"
    );
}

/// Stops the live sync and its worker when the walkthrough ends (or fails).
struct Stop<'a>(&'a Sandbox);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        stop_sync(self.0, TEAM);
    }
}

fn walk(width: u16, height: u16) {
    // Fails at once, loudly (in CI too), when tmux is missing.
    common::require_tool("tmux");
    let home = Sandbox::new();
    let t = Tmux::start(
        &format!("six{width}"),
        width,
        height,
        &console_line(&home, "demo"),
    );
    let _stop = Stop(&home);
    let first = t.wait_text(TEAM);
    assert!(first.contains("Alert / next"), "{first}");
    t.keys(&["Enter"]);
    let team = t.wait_text("6 Stage mapping");
    assert!(step_states(&team).iter().all(|s| s != "✓ done"), "{team}");

    // Step 1: the stored API user passes the test; then the sync is switched on.
    t.keys(&["Enter"]);
    t.wait_text("1. Basic sync");
    t.keys(&["C-t"]);
    t.wait_text("Test  passed");
    // Focus: customer id → region → username → password → Save → Test → Sync enabled.
    t.keys(&["Tab", "Tab", "Tab", "Tab", "Tab", "Tab", "Enter"]);
    t.wait_text("Sync enabled: on");
    back_with_step_done(&t, 1);

    // Step 2: the preflight passes with the stored REST and Data Stream clients.
    t.keys(&["j", "Enter"]);
    t.wait_text("2. Deep sync credentials");
    t.keys(&["C-t"]);
    t.wait_text("Test  passed");
    back_with_step_done(&t, 2);

    // Step 3: fetch; the first connection shows the host key and y pins it; import.
    t.keys(&["j", "Enter"]);
    t.wait_text("not pinned yet");
    let (confirm, _) = t.fetch_and_import_export();
    assert!(confirm.contains("SHA256:"), "{confirm}");
    back_with_step_done(&t, 3);

    // Step 4: discover, accept all ≥ 90 %, approve (confirming if rows are only suggested).
    t.approve_field_mapping();
    back_with_step_done(&t, 4);

    // Step 5: plan, start (confirmed), watch it until the initial pass is done and live.
    t.keys(&["j", "Enter"]);
    let page = t.wait_text("Step 5 · Deep sync");
    assert!(page.contains("No plan yet"), "{page}");
    t.keys(&["p"]);
    let plan = t.wait_long("the plan", 60, |s| s.contains("Start (asks to confirm)"));
    assert!(plan.contains("Day by day"), "{plan}");
    t.keys(&["s"]);
    t.wait_text("Start the deep sync now?");
    t.keys(&["y"]);
    let live = t.wait_long("live", 120, |s| s.contains("— live"));
    assert!(live.contains("Initial pass complete"), "{live}");
    assert!(live.contains("100%"), "{live}");
    assert!(live.contains("Worker pid"), "{live}");
    back_with_step_done(&t, 5);

    // Step 6: read the statuses (the tenant's schema, the export, the synced workflows).
    t.keys(&["j", "Enter"]);
    t.wait_text("Press d to read them");
    t.keys(&["d"]);
    // Validation names the status in use that no stage covers yet.
    let read = t.wait_for("the statuses read and validated", |s| {
        s.contains("Validation:")
            && s.contains("\"On Hold\"")
            && s.contains("and no stage")
            && s.contains("read from the tenant; catalogue rebuilt")
    });
    assert!(read.contains("rejection reasons"), "{read}");
    // A rejection status: the stage picker does not open.
    t.keys(&["/"]);
    t.type_text("Req Filled");
    t.keys(&["Enter"]);
    t.wait_text("filter \"Req Filled\"");
    t.keys(&["Enter"]);
    t.wait_text("maps to rejected, not a stage");
    // On Hold has workflows and no suggested stage: pick Screen.
    t.keys(&["Escape", "/"]);
    t.type_text("On Hold");
    t.keys(&["Enter"]);
    t.wait_text("filter \"On Hold\"");
    t.keys(&["Enter"]);
    t.wait_text("Stage for On Hold");
    t.keys(&["Down", "Enter"]);
    t.wait_text("\"On Hold\" → Screen");
    t.keys(&["Escape", "p"]);
    let asked = t.wait_for("approved or asked", |s| {
        s.contains("are only suggested") || s.contains("✓ approved by")
    });
    if asked.contains("are only suggested") {
        t.keys(&["y"]);
    }
    let approved = t.wait_text("✓ approved by");
    assert!(approved.contains("rejected"), "{approved}");
    back_with_step_done(&t, 6);

    // Home: every step done, the sync live, no alert.
    t.keys(&["Escape"]);
    let row = |s: &str| s.lines().find(|l| l.contains(TEAM)).map(str::to_string);
    // The sync column is read in the background: "—" until its first read.
    let home_screen = t.wait_long("the home screen with the sync live", 30, |s| {
        row(s).is_some_and(|r| r.contains("live ·"))
    });
    if row(&home_screen).is_some_and(|r| r.contains('⚠')) {
        let log = std::fs::read_to_string(home.log()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("{home_screen}\nlog tail:\n{}", tail.join("\n"));
    }
    let row = row(&home_screen).unwrap();
    assert!(row.contains("✓ ✓ ✓ ✓ ✓ ✓"), "{home_screen}");
    assert!(row.contains("all steps done"), "{home_screen}");
    assert!(!row.contains('⚠'), "{home_screen}");
    let show: serde_json::Value =
        serde_json::from_str(&home.ok(&["team", "show", TEAM, "--json"], "")).unwrap();
    let states: Vec<&str> = show["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["done"; 6], "{show}");
    t.keys(&["q"]);
    t.wait_text("EXITED:0");
}

#[test]
fn all_six_steps_on_demo_through_the_console_at_120x40() {
    walk(120, 40);
}

#[test]
fn all_six_steps_on_demo_through_the_console_at_80x24() {
    walk(80, 24);
}
