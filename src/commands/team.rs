//! `team add|list|show|set|remove`: create teams, print their step states and gates,
//! change their settings (saying which steps that reopened) and remove them.

use std::path::Path;
use std::process::ExitCode;

use color_eyre::Result;
use serde_json::json;

use std::io::{BufRead, IsTerminal, Write};

use super::audit::printable;
use super::{UsageError, open_store};
use crate::cli::{TeamAddArgs, TeamCommand, TeamRemoveArgs, TeamSetArgs};
use crate::onboarding::{self, OnboardingFacts, StepStatus};
use crate::store::teams::{validate_name, validate_url};
use crate::store::{Actor, NewTeam, Store, Team, TeamEdit};
use crate::teams::{self, RemoveOptions};

pub fn run(db: Option<&Path>, cmd: &TeamCommand) -> Result<ExitCode> {
    match cmd {
        TeamCommand::Add(args) => add(db, args),
        TeamCommand::List { json } => list(db, *json),
        TeamCommand::Show { name, json } => show(db, name, *json),
        TeamCommand::Set(args) => set(db, args),
        TeamCommand::Remove(args) => remove(db, args),
    }
}

/// An endpoint flag of `team set`: "" goes back to the default, anything else is
/// validated like `team add` validates it.
fn endpoint(field: &str, value: &Option<String>) -> Result<Option<Option<String>>, UsageError> {
    match value.as_deref() {
        None => Ok(None),
        Some("") => Ok(Some(None)),
        Some(v) => {
            validate_url(field, v).map_err(UsageError)?;
            Ok(Some(Some(v.to_string())))
        }
    }
}

fn set(db: Option<&Path>, args: &TeamSetArgs) -> Result<ExitCode> {
    if let Some(new) = &args.rename {
        validate_name(new).map_err(|e| UsageError(format!("--rename: {e}")))?;
    }
    let edit = TeamEdit {
        name: args.rename.clone(),
        customer_id: args.customer_id,
        region: args.region,
        api_base: endpoint("--api-base", &args.api_base)?,
        token_url: endpoint("--token-url", &args.token_url)?,
        datastream_base: endpoint("--datastream-base", &args.datastream_base)?,
    };
    if edit == TeamEdit::default() {
        return Err(UsageError(
            "nothing to change: give --customer-id, --region, --api-base, --token-url, --datastream-base or --rename".into(),
        )
        .into());
    }
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let report = teams::edit_team(&store, &team, &edit, &Actor::from_env())?;
    let after = &report.edited.after;
    if args.json {
        let out = json!({
            "name": after.name,
            "changed": !report.is_noop(),
            "changes": report.edited.changes,
            "reopened": report.affected.iter().map(|s| s.number()).collect::<Vec<_>>(),
            "steps": report.steps.iter().map(|c| json!({
                "number": c.step.number(),
                "id": c.step.id(),
                "before": c.before,
                "after": c.after,
                "locked_before": c.locked_before,
                "locked_after": c.locked_after,
                "detail": c.detail,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    if report.is_noop() {
        println!(
            "no change: team {} already has these settings",
            printable(&after.name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("updated team {}:", printable(&after.name));
    for c in &report.edited.changes {
        println!(
            "  {:<16} {} -> {}",
            c.label(),
            printable(&c.before),
            printable(&c.after)
        );
    }
    if !report.affected.is_empty() {
        let numbers: Vec<String> = report
            .affected
            .iter()
            .map(|s| s.number().to_string())
            .collect();
        println!(
            "tests of step(s) {} taken before this change no longer count",
            numbers.join(", ")
        );
    }
    if report.steps.is_empty() {
        println!("no step changed state");
    } else {
        println!("steps reopened:");
        for c in &report.steps {
            let lock = |locked: bool| if locked { " (locked)" } else { "" };
            println!(
                "  {}. {:<22} {}{} -> {}{}",
                c.step.number(),
                c.step.title(),
                c.before.label(),
                lock(c.locked_before),
                c.after.label(),
                lock(c.locked_after)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks for the team's name typed again on the terminal; `false` if it does not match.
fn confirm_by_name(name: &str, plan: &teams::RemovalPlan) -> Result<bool> {
    let mut err = std::io::stderr();
    writeln!(
        err,
        "This removes team {} and everything stored for it: {}.",
        printable(name),
        plan.counts_line()
    )?;
    if plan.open_jobs > 0 {
        writeln!(err, "{} open job(s) will be cancelled.", plan.open_jobs)?;
    }
    write!(err, "Type the team name to confirm: ")?;
    err.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']) == name)
}

fn remove(db: Option<&Path>, args: &TeamRemoveArgs) -> Result<ExitCode> {
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "refusing to remove team {} without confirmation: stdin is not a terminal; pass --yes",
            printable(&args.name)
        ))
        .into());
    }
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    if !args.yes {
        let plan = teams::plan_removal(&store, &team)?;
        if !confirm_by_name(&team.name, &plan)? {
            color_eyre::eyre::bail!(
                "the name typed does not match {}; nothing was removed",
                printable(&team.name)
            );
        }
    }
    let report = teams::remove_team(
        &store,
        &team,
        &Actor::from_env(),
        &RemoveOptions::default(),
        &mut |msg| eprintln!("{msg}"),
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "removed team {}: {}",
            printable(&team.name),
            report.plan.counts_line()
        );
        if report.jobs_cancelled > 0 {
            println!("cancelled {} open job(s)", report.jobs_cancelled);
        }
        if !report.wal_truncated {
            println!(
                "note: another process has the database open; freed pages are overwritten, but old copies stay in the WAL file until it closes"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn add(db: Option<&Path>, args: &TeamAddArgs) -> Result<ExitCode> {
    validate_name(&args.name).map_err(UsageError)?;
    for (field, value) in [
        ("--api-base", &args.api_base),
        ("--token-url", &args.token_url),
        ("--datastream-base", &args.datastream_base),
    ] {
        if let Some(v) = value {
            validate_url(field, v).map_err(UsageError)?;
        }
    }
    let store = open_store(db)?;
    let team = store.add_team(
        &NewTeam {
            name: args.name.clone(),
            customer_id: args.customer_id,
            region: Some(args.region),
            api_base: args.api_base.clone(),
            token_url: args.token_url.clone(),
            datastream_base: args.datastream_base.clone(),
        },
        &Actor::from_env(),
    )?;
    println!(
        "created team {} (customer {}, region {})",
        team.name, team.customer_id, team.region
    );
    Ok(ExitCode::SUCCESS)
}

/// A team with its derived step states.
pub fn team_json(store: &Store, team: &Team) -> Result<serde_json::Value> {
    let facts = OnboardingFacts::load(store, team)?;
    let steps = onboarding::derive(&facts);
    let creds: Vec<_> = store
        .credential_summaries(team)?
        .into_iter()
        .map(|c| {
            let mut v = serde_json::to_value(&c.params).unwrap_or_else(|_| json!({}));
            if let Some(map) = v.as_object_mut() {
                map.insert("kind".into(), json!(c.kind));
                map.insert("updated_at".into(), json!(c.updated_at));
                map.insert("updated_by".into(), json!(c.updated_by));
            }
            v
        })
        .collect();
    Ok(json!({
        "name": team.name,
        "customer_id": team.customer_id,
        "region": team.region,
        "api_base": team.api_base(),
        "token_url": team.token_url(),
        "datastream_base": team.datastream_base(),
        "credentials": creds,
        "steps": steps.iter().map(step_json).collect::<Vec<_>>(),
    }))
}

fn step_json(s: &StepStatus) -> serde_json::Value {
    json!({
        "number": s.step.number(),
        "id": s.step.id(),
        "title": s.step.title(),
        "state": s.state,
        "locked": s.is_locked(),
        "locked_by": s.locked_by,
        "lock_reason": s.lock_reason(),
        "detail": s.detail,
    })
}

fn list(db: Option<&Path>, json_out: bool) -> Result<ExitCode> {
    let store = open_store(db)?;
    let teams = store.teams()?;
    if json_out {
        let all = teams
            .iter()
            .map(|t| team_json(&store, t))
            .collect::<Result<Vec<_>>>()?;
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    if teams.is_empty() {
        println!("no teams yet; create one with `icims-onboard team add NAME --customer-id N`");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<24} {:>11} {:<6} steps 1-6",
        "TEAM", "CUSTOMER", "REGION"
    );
    for team in &teams {
        let steps = onboarding::derive(&OnboardingFacts::load(&store, team)?);
        let states: Vec<&str> = steps.iter().map(|s| s.state.label()).collect();
        println!(
            "{:<24} {:>11} {:<6} {}",
            team.name,
            team.customer_id,
            team.region,
            states.join(" | ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn show(db: Option<&Path>, name: &str, json_out: bool) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(name)?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&team_json(&store, &team)?)?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} — customer {} ({})",
        team.name, team.customer_id, team.region
    );
    println!("  API base    {}", team.api_base());
    println!("  token URL   {}", team.token_url());
    println!("  Data Stream {}", team.datastream_base());
    for c in store.credential_summaries(&team)? {
        let who = c.params.username.or(c.params.client_id).unwrap_or_default();
        println!(
            "  creds {:<10} {} (secret stored, set {} by {})",
            c.kind, who, c.updated_at, c.updated_by
        );
    }
    for s in onboarding::derive(&OnboardingFacts::load(&store, &team)?) {
        println!(
            "  {}. {:<22} {:<16} {}",
            s.step.number(),
            s.step.title(),
            s.state.label(),
            s.detail
        );
        if let Some(reason) = s.lock_reason() {
            println!("     {reason}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
