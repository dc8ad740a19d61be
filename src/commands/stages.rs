//! `mapping stages suggest|export|import|approve|pipeline`: step 6 from the command line —
//! build the status catalogue, detect rejection reasons, suggest stages, round-trip the
//! mapping through a CSV or XLSX sheet, edit the team's pipeline, approve.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use serde_json::json;

use super::{UsageError, open_store};
use crate::cli::{PipelineArgs, StagesCommand};
use crate::icims::{ClientConfig, IcimsClient};
use crate::mapping::stages::{
    REJECTED, Stage, StagesError, StatusRow, pipeline, sheet, storage, validate,
};
use crate::mapping::xlsx;
use crate::store::{Actor, CredentialKind, Store, Team};

pub fn run(db: Option<&Path>, cmd: &StagesCommand) -> Result<ExitCode> {
    match cmd {
        StagesCommand::Suggest { name, no_api, json } => suggest(db, name, *no_api, *json),
        StagesCommand::Export { name, file } => export(db, name, file),
        StagesCommand::Import {
            name,
            file,
            dry_run,
            json,
        } => import(db, name, file, *dry_run, *json),
        StagesCommand::Approve { name, note, json } => approve(db, name, note.clone(), *json),
        StagesCommand::Pipeline(args) => edit_pipeline(db, args),
    }
}

/// Customer text for a terminal: control characters escaped.
fn printable(s: &str) -> String {
    crate::safe_text::escape_control(s).into_owned()
}

/// The sheet format of a file, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

/// `.xlsx` → XLSX, `.csv` or `-` → CSV; anything else is a usage error.
pub fn sheet_format(file: &Path) -> Result<SheetFormat> {
    if file.as_os_str() == "-" {
        return Ok(SheetFormat::Csv);
    }
    match file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok(SheetFormat::Csv),
        Some("xlsx") => Ok(SheetFormat::Xlsx),
        _ => Err(UsageError(format!(
            "{}: the format follows the extension: use .csv or .xlsx",
            file.display()
        ))
        .into()),
    }
}

/// The Schema API's status options, when the team has an API credential. A failure is
/// reported and the catalogue is built from the export and synced workflows.
fn schema_statuses(store: &Store, team: &Team) -> Option<Vec<crate::icims::schema::StatusOption>> {
    let credential = match store.credential(team, CredentialKind::Rest) {
        Ok(Some(c)) => c,
        _ => match store.credential(team, CredentialKind::Basic) {
            Ok(Some(c)) => c,
            _ => {
                eprintln!(
                    "note: no API credential stored; statuses from the export and synced workflows only"
                );
                return None;
            }
        },
    };
    let run = || -> Result<Vec<crate::icims::schema::StatusOption>> {
        let client = IcimsClient::for_team(team, &credential, ClientConfig::default())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(runtime.block_on(client.status_catalogue())?)
    };
    match run() {
        Ok(options) => Some(options),
        Err(e) => {
            eprintln!(
                "warning: could not read the status options from the Schema API ({}); statuses from the export and synced workflows only",
                printable(&e.to_string())
            );
            None
        }
    }
}

fn stage_label(stages: &[Stage], id: Option<&str>) -> String {
    match id {
        None => "-".into(),
        Some(id) => stages
            .iter()
            .find(|s| s.id == id)
            .map_or_else(|| id.to_string(), |s| s.name.clone()),
    }
}

/// The JSON of one row: exactly the fields the interface promises.
pub fn row_json(r: &StatusRow) -> serde_json::Value {
    json!({
        "status_id": r.status.id,
        "name": r.status.name,
        "bin": r.status.bin,
        "workflows": r.status.workflows,
        "rejection": r.is_rejection(),
        "reason": r.reason(),
        "stage": if r.is_rejection() { None } else { r.stage.clone() },
    })
}

fn print_rows(rows: &[StatusRow], stages: &[Stage]) {
    println!(
        "{:<10} {:<32} {:<18} {:>9}  {:<12} state / reason",
        "status", "name", "bin", "workflows", "stage"
    );
    for r in rows {
        let name: String = printable(&r.status.name).chars().take(32).collect();
        let bin: String = printable(r.status.bin.as_deref().unwrap_or("-"))
            .chars()
            .take(18)
            .collect();
        let (stage, detail) = if r.is_rejection() {
            (
                REJECTED.to_string(),
                printable(&r.reason().unwrap_or_default()),
            )
        } else {
            (
                stage_label(stages, r.stage.as_deref()),
                format!("{} ({})", r.state, printable(&r.suggestion_reason)),
            )
        };
        let new = if r.new_since_approval {
            "  [new since approval]"
        } else {
            ""
        };
        println!(
            "{:<10} {:<32} {:<18} {:>9}  {:<12} {detail}{new}",
            printable(&r.status.id),
            name,
            bin,
            r.status.workflows,
            stage
        );
    }
}

fn print_issues(rows: &[StatusRow], stages: &[Stage]) {
    let issues = validate(rows, stages);
    if issues.is_empty() {
        println!("validation: no problems");
    } else {
        println!("validation: {} problem(s)", issues.len());
        for i in issues {
            println!("  - {}", printable(&i.to_string()));
        }
    }
}

fn suggest(db: Option<&Path>, name: &str, no_api: bool, as_json: bool) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(name)?;
    let schema = if no_api {
        None
    } else {
        schema_statuses(&store, &team)
    };
    let rows = storage::refresh(&store, &team, schema.as_deref(), &Actor::from_env())?;
    let stages = storage::stages(&store, &team)?;
    if as_json {
        let list: Vec<_> = rows.iter().map(row_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!(
            "no workflow statuses found for {}: import the export (step 3), run the deep sync, or store an API credential",
            printable(&team.name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let rejections = rows.iter().filter(|r| r.is_rejection()).count();
    println!(
        "{} statuses, {} rejection reason(s); stages: {}",
        rows.len(),
        rejections,
        stages
            .iter()
            .map(|s| printable(&s.name))
            .collect::<Vec<_>>()
            .join(" > ")
    );
    print_rows(&rows, &stages);
    print_issues(&rows, &stages);
    Ok(ExitCode::SUCCESS)
}

fn export(db: Option<&Path>, name: &str, file: &PathBuf) -> Result<ExitCode> {
    let format = sheet_format(file)?;
    let store = open_store(db)?;
    let team = store.team(name)?;
    let rows = storage::load(&store, &team)?;
    if rows.is_empty() {
        return Err(StagesError::Empty(team.name).into());
    }
    let stages = storage::stages(&store, &team)?;
    match format {
        SheetFormat::Csv if file.as_os_str() == "-" => {
            sheet::write_csv(&rows, &stages, std::io::stdout().lock())?;
            return Ok(ExitCode::SUCCESS);
        }
        SheetFormat::Csv => {
            let f = std::fs::File::create(file)
                .wrap_err_with(|| format!("cannot write {}", file.display()))?;
            sheet::write_csv(&rows, &stages, std::io::BufWriter::new(f))
                .wrap_err_with(|| format!("cannot write {}", file.display()))?;
        }
        SheetFormat::Xlsx => xlsx::write_stages(file, &rows, &stages)
            .wrap_err_with(|| format!("cannot write {}", file.display()))?,
    }
    println!("wrote {} rows to {}", rows.len(), file.display());
    Ok(ExitCode::SUCCESS)
}

fn import(
    db: Option<&Path>,
    name: &str,
    file: &PathBuf,
    dry_run: bool,
    as_json: bool,
) -> Result<ExitCode> {
    let format = sheet_format(file)?;
    let store = open_store(db)?;
    let team = store.team(name)?;
    let current = storage::load(&store, &team)?;
    if current.is_empty() {
        return Err(StagesError::Empty(team.name).into());
    }
    let stages = storage::stages(&store, &team)?;
    let bytes = std::fs::read(file).wrap_err_with(|| format!("cannot read {}", file.display()))?;
    let parsed = match format {
        SheetFormat::Csv => sheet::read_csv(&bytes, &current, &stages),
        SheetFormat::Xlsx => xlsx::read_stages(&bytes, &current, &stages),
    };
    let where_ = if format == SheetFormat::Xlsx {
        "row"
    } else {
        "line"
    };
    let import = match parsed {
        Ok(i) => i,
        Err(errors) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({"applied": false, "errors": errors}))?
                );
            } else {
                for e in &errors {
                    eprintln!("{}:{}: {}", file.display(), e.line, printable(&e.message));
                }
            }
            return Err(eyre!(
                "{}: {} error(s), first on {where_} {}; nothing was changed",
                file.display(),
                errors.len(),
                errors.first().map_or(1, |e| e.line)
            ));
        }
    };
    let issues = validate(&import.rows, &stages);
    let applied = !dry_run && !import.changes.is_empty();
    if applied {
        let actor = Actor::from_env();
        storage::save(&store, &team, &import.rows, &actor)?;
        store.audit(
            &actor,
            Some(&team.name),
            "mapping.stages.import",
            Some(&format!(
                "{} change(s) from {}",
                import.changes.len(),
                file.display()
            )),
        )?;
    }
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "applied": applied,
                "changes": import.changes,
                "issues": issues.iter().map(|i| json!({"message": i.to_string(), "issue": i})).collect::<Vec<_>>(),
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if import.changes.is_empty() {
        println!("no changes");
    }
    for c in &import.changes {
        println!("{where_} {}: {}", c.line, printable(&c.to_string()));
    }
    print_issues(&import.rows, &stages);
    if dry_run {
        println!("dry run: nothing applied");
    } else if applied {
        println!("applied {} change(s)", import.changes.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn approve(db: Option<&Path>, name: &str, note: Option<String>, as_json: bool) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(name)?;
    let done = storage::approve(&store, &team, note, &Actor::from_env())?;
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "approved": true, "by": done.by, "at": done.at,
                "statuses_in_use": done.outcome.statuses_in_use,
                "suggested_only": done.suggested_only,
            }))?
        );
    } else {
        println!(
            "stage mapping of {} approved by {} at {} ({} statuses in use)",
            printable(&team.name),
            printable(&done.by),
            done.at,
            done.outcome.statuses_in_use
        );
        if done.suggested_only > 0 {
            println!(
                "note: {} status(es) were approved as suggested, without a review of their own",
                done.suggested_only
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn split_pair<'a>(arg: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    arg.split_once('=')
        .map(|(a, b)| (a.trim(), b.trim()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .ok_or_else(|| UsageError(format!("--{flag} {arg:?}: expected A=B")).into())
}

fn edit_pipeline(db: Option<&Path>, args: &PipelineArgs) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let mut stages = storage::stages(&store, &team)?;
    let rows = storage::load(&store, &team)?;
    let before = stages.clone();
    let used = |id: &str| {
        rows.iter()
            .filter(|r| r.stage.as_deref() == Some(id))
            .count()
    };
    let edit = |stages: &mut Vec<Stage>| -> std::result::Result<(), pipeline::PipelineError> {
        for name in &args.add {
            pipeline::add(stages, name)?;
        }
        for pair in &args.rename {
            let (old, new) = split_pair(pair, "rename")
                .map_err(|_| pipeline::PipelineError::Unknown(pair.clone()))?;
            pipeline::rename(stages, old, new)?;
        }
        for pair in &args.move_to {
            let (stage, pos) = split_pair(pair, "move")
                .map_err(|_| pipeline::PipelineError::Unknown(pair.clone()))?;
            let pos: usize = pos
                .parse()
                .map_err(|_| pipeline::PipelineError::Position(0, stages.len()))?;
            pipeline::move_to(stages, stage, pos)?;
        }
        for name in &args.remove {
            pipeline::remove(stages, name, used)?;
        }
        Ok(())
    };
    for pair in args.rename.iter().chain(&args.move_to) {
        if !pair.contains('=') {
            return Err(UsageError(format!("{pair:?}: expected A=B")).into());
        }
    }
    edit(&mut stages).map_err(StagesError::from)?;
    if stages != before {
        storage::save_stages(&store, &team, &stages, &Actor::from_env())?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stages)?);
    } else {
        for (i, s) in stages.iter().enumerate() {
            println!(
                "{}. {} ({}) {} status(es)",
                i + 1,
                printable(&s.name),
                s.id,
                used(&s.id)
            );
        }
        if stages != before {
            println!("saved; the stage mapping needs approving again");
        }
    }
    Ok(ExitCode::SUCCESS)
}
