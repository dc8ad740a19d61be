//! The team screen's driver: saving edited settings, counting and doing a removal, and
//! reading the team's history. Removal waits for workers to let go of the team's jobs,
//! so it runs in a blocking task on its own store connection and replies later.

use tokio::sync::mpsc::UnboundedSender;

use crate::store::audit::{AuditQuery, printable};
use crate::store::{Actor, Store, TeamEdit};
use crate::teams::{self, EditReport, RemoveOptions};
use crate::tui::app::Msg;

/// One line for the status bar: what changed and which steps that reopened.
pub fn edit_summary(report: &EditReport) -> String {
    let name = printable(&report.edited.after.name);
    if report.is_noop() {
        return format!("no change: team {name} already has these settings");
    }
    let changes: Vec<String> = report
        .edited
        .changes
        .iter()
        .map(|c| {
            format!(
                "{} {} → {}",
                c.label(),
                printable(&c.before),
                printable(&c.after)
            )
        })
        .collect();
    let steps = if report.steps.is_empty() {
        "no step changed state".to_string()
    } else {
        let list: Vec<String> = report
            .steps
            .iter()
            .map(|c| format!("{} {} → {}", c.step.number(), c.before, c.after))
            .collect();
        format!("reopened: {}", list.join(", "))
    };
    format!("updated {name}: {}; {steps}", changes.join(", "))
}

/// Saves an edit; the reply carries the team's name after it and the summary.
pub fn edit(store: &Store, actor: &Actor, team_id: i64, edit: &TeamEdit) -> Msg {
    Msg::TeamEdited(
        store
            .team_by_id(team_id)
            .and_then(|team| teams::edit_team(store, &team, edit, actor))
            .map(|report| (report.edited.after.name.clone(), edit_summary(&report)))
            .map_err(|e| e.to_string()),
    )
}

/// Counts what a removal would delete.
pub fn plan(store: &Store, team_id: i64) -> Msg {
    Msg::RemovalPlanned(
        team_id,
        store
            .team_by_id(team_id)
            .and_then(|team| teams::plan_removal(store, &team))
            .map_err(|e| e.to_string()),
    )
}

/// Removes the team in a blocking task on its own connection; replies on `tx`.
pub fn remove(store: &Store, actor: &Actor, team_id: i64, tx: &UnboundedSender<Msg>) {
    let path = store.path().to_path_buf();
    let actor = actor.clone();
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = (|| -> Result<String, String> {
            let store = Store::open(&path).map_err(|e| e.to_string())?;
            let team = store.team_by_id(team_id).map_err(|e| e.to_string())?;
            let report = teams::remove_team(
                &store,
                &team,
                &actor,
                &RemoveOptions::default(),
                &mut |_| {},
            )
            .map_err(|e| e.to_string())?;
            Ok(format!(
                "removed team {}: {}",
                printable(&team.name),
                report.plan.counts_line()
            ))
        })();
        let _ = tx.send(Msg::TeamRemoved(team_id, result));
    });
}

/// Reads the team's audit entries, newest first.
pub fn history(store: &Store, team_id: i64) -> Msg {
    Msg::HistoryLoaded(
        team_id,
        store
            .audit_entries(&AuditQuery {
                team_id: Some(team_id),
                ..Default::default()
            })
            .map_err(|e| e.to_string()),
    )
}
