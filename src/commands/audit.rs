//! `audit [TEAM] [--since DATE] [--json]`: the audit log, newest first — time, actor
//! (user and SSH client address), team, action and object. Entries never hold a value
//! or a secret; what is printed is escaped so nothing in it can drive the terminal.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;
use color_eyre::Result;
use serde_json::json;

use super::{UsageError, open_store};
use crate::store::StoreError;
use crate::store::audit::AuditQuery;
pub use crate::store::audit::printable;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only this team's entries (its whole history, also under earlier names; a removed
    /// team's entries by the name it had).
    pub team: Option<String>,
    /// Only entries at or after this date (YYYY-MM-DD, UTC) or time (RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// At most this many entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--since` as a stored time (RFC 3339, UTC, seconds).
pub fn parse_since(text: &str) -> Result<String, String> {
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(fmt(d.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| fmt(t.with_timezone(&chrono::Utc)))
        .map_err(|_| format!("--since: {text:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

pub fn run(db: Option<&Path>, args: &AuditArgs) -> Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(parse_since)
        .transpose()
        .map_err(UsageError)?;
    let store = open_store(db)?;
    let mut q = AuditQuery {
        since,
        limit: args.limit,
        ..Default::default()
    };
    if let Some(name) = &args.team {
        match store.team(name) {
            Ok(team) => q.team_id = Some(team.id),
            Err(StoreError::NoSuchTeam(_)) => {
                // A removed team: its removal entry, by the name it had.
                q.team_name = Some(name.clone());
                let any = store.audit_entries(&AuditQuery {
                    team_name: Some(name.clone()),
                    limit: Some(1),
                    ..Default::default()
                })?;
                if any.is_empty() {
                    return Err(StoreError::NoSuchTeam(name.clone()).into());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    let entries = store.audit_entries(&q)?;
    if args.json {
        let out: Vec<_> = entries
            .iter()
            .map(|e| {
                json!({
                    "at": e.at,
                    "actor": e.actor,
                    "ssh_client": e.ssh_client,
                    "team": e.team,
                    "action": e.action,
                    "object": e.detail,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if entries.is_empty() {
        println!("no audit entries");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<20}  {:<24}  {:<16}  {:<28}  OBJECT",
        "TIME", "ACTOR", "TEAM", "ACTION"
    );
    for e in &entries {
        let actor = match &e.ssh_client {
            Some(addr) => format!("{} ({addr})", e.actor),
            None => e.actor.clone(),
        };
        println!(
            "{:<20}  {:<24}  {:<16}  {:<28}  {}",
            e.at,
            printable(&actor),
            printable(e.team.as_deref().unwrap_or("-")),
            printable(&e.action),
            printable(e.detail.as_deref().unwrap_or(""))
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_dates_and_times_in_utc() {
        assert_eq!(parse_since("2026-12-01").unwrap(), "2026-12-01T00:00:00Z");
        assert_eq!(
            parse_since("2026-12-01T10:00:00+02:00").unwrap(),
            "2026-12-01T08:00:00Z"
        );
        assert!(parse_since("yesterday").unwrap_err().contains("--since"));
        assert!(parse_since("2026-13-01").is_err());
    }

    #[test]
    fn control_characters_are_escaped() {
        let shown = printable("a\u{1b}[31mb");
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(
            shown.starts_with('a') && shown.ends_with("[31mb"),
            "{shown:?}"
        );
        assert_eq!(printable("plain"), "plain");
    }
}
