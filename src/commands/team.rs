//! `team add|list|show`: create teams and print their step states and gates.

use std::path::Path;
use std::process::ExitCode;

use color_eyre::Result;
use serde_json::json;

use super::{UsageError, open_store};
use crate::cli::{TeamAddArgs, TeamCommand};
use crate::onboarding::{self, OnboardingFacts, StepStatus};
use crate::store::teams::{validate_name, validate_url};
use crate::store::{Actor, NewTeam, Store, Team};

pub fn run(db: Option<&Path>, cmd: &TeamCommand) -> Result<ExitCode> {
    match cmd {
        TeamCommand::Add(args) => add(db, args),
        TeamCommand::List { json } => list(db, *json),
        TeamCommand::Show { name, json } => show(db, name, *json),
    }
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
