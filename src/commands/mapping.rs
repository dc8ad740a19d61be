//! `mapping fields suggest|export|import|approve`: step 4 from the command line — discover
//! the customer's fields, suggest, round-trip the mapping through a CSV sheet, approve.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::{WrapErr, eyre};
use serde_json::json;

use super::{UsageError, db_path, open_store};
use crate::cli::{FieldsCommand, FieldsSuggestArgs, MappingCommand};
use crate::icims::{ClientConfig, IcimsClient};
use crate::mapping::{
    Catalogue, CustomerField, MappingEntry, MappingError, discover, sheet, storage, validate,
};
use crate::safe_text::{Esc, escape_control};
use crate::store::{Actor, CredentialKind, Store, Team};

pub fn run(db: Option<&Path>, cmd: &MappingCommand) -> Result<ExitCode> {
    match cmd {
        MappingCommand::Fields(FieldsCommand::Suggest(args)) => suggest(db, args),
        MappingCommand::Fields(FieldsCommand::Export { name, file }) => export(db, name, file),
        MappingCommand::Fields(FieldsCommand::Import {
            name,
            file,
            dry_run,
            json,
        }) => import(db, name, file, *dry_run, *json),
        MappingCommand::Fields(FieldsCommand::Approve { name, note, json }) => {
            approve(db, name, note.clone(), *json)
        }
        MappingCommand::Stages(cmd) => super::stages::run(db, cmd),
    }
}

/// The sheet format follows the extension: `.xlsx` is a workbook, anything else CSV.
fn is_xlsx(file: &Path) -> bool {
    file.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

fn team(store: &Store, name: &str) -> Result<Team> {
    Ok(store.team(name)?)
}

/// The customer fields: the staged export, else the export CSV files, plus the API.
fn discover_fields(
    store: &Store,
    team: &Team,
    db: Option<&Path>,
    args: &FieldsSuggestArgs,
) -> Result<(Vec<CustomerField>, Vec<String>)> {
    let mut notes = Vec::new();
    let dir = args
        .export_dir
        .clone()
        .unwrap_or_else(|| crate::paths::exports_dir(&db_path(db), team.id));
    let mut fields = match discover::export_columns(store, team, &dir)? {
        discover::ExportColumns::Staged(fields) => {
            notes.push("export columns from the staged import (step 3)".to_string());
            fields
        }
        discover::ExportColumns::Files(files) => {
            notes.push(format!(
                "no staged import: read {} export file(s) in {} directly",
                files.len(),
                dir.display()
            ));
            discover::from_export_files(&files)?
        }
        discover::ExportColumns::Nothing if args.export_dir.is_some() && !dir.is_dir() => {
            return Err(UsageError(format!("{} is not a directory", dir.display())).into());
        }
        discover::ExportColumns::Nothing => Vec::new(),
    };
    if args.api {
        let credential = match store.credential(team, CredentialKind::Rest)? {
            Some(c) => c,
            None => store.require_credential(team, CredentialKind::Basic)?,
        };
        let client = IcimsClient::for_team(team, &credential, ClientConfig::default())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let api_fields = runtime
            .block_on(discover::from_api(&client, args.records))
            .wrap_err("discovering fields through the Schema API")?;
        notes.push(format!(
            "{} fields from the Schema API and {} sample record(s) per object",
            api_fields.len(),
            args.records
        ));
        fields.extend(api_fields);
    }
    if fields.is_empty() {
        return Err(eyre!(
            "no customer fields found for team {:?}: import the export (step 3), pass --export-dir DIR, or use --api",
            team.name
        ));
    }
    Ok((fields, notes))
}

fn suggest(db: Option<&Path>, args: &FieldsSuggestArgs) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = team(&store, &args.name)?;
    let catalogue = Catalogue::standard();
    let (fields, notes) = discover_fields(&store, &team, db, args)?;
    let entries = storage::refresh(&store, &team, fields, &catalogue, &Actor::from_env())?;
    if args.json {
        let list: Vec<_> = entries.iter().map(entry_json).collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitCode::SUCCESS);
    }
    for n in &notes {
        println!("{}", Esc(n));
    }
    print_table(&entries);
    print_issues(&entries, &catalogue);
    Ok(ExitCode::SUCCESS)
}

fn entry_json(e: &MappingEntry) -> serde_json::Value {
    json!({
        "object": e.field.object,
        "customer_field": e.field.name,
        "target": e.suggestion.target,
        "confidence": e.suggestion.confidence,
        "reasons": e.suggestion.reasons,
        "coverage": e.suggestion.coverage,
        "source": e.field.source,
        "label": e.field.label,
        "state": e.state,
        "mapped_to": e.effective_target(),
    })
}

fn print_table(entries: &[MappingEntry]) {
    println!(
        "{:<9} {:<28} {:<30} {:>5} {:>6}  state",
        "object", "customer field", "standard field", "conf", "cover"
    );
    for e in entries {
        let name: String = escape_control(e.field.display_label())
            .chars()
            .take(28)
            .collect();
        println!(
            "{:<9} {:<28} {:<30} {:>4.0}% {:>5.0}%  {}",
            e.field.object.as_str(),
            name,
            e.target.as_deref().unwrap_or("-"),
            e.suggestion.confidence * 100.0,
            e.field.fill_rate * 100.0,
            e.state
        );
    }
}

fn print_issues(entries: &[MappingEntry], catalogue: &Catalogue) {
    let issues = validate(entries, catalogue);
    if issues.is_empty() {
        println!("validation: no problems");
    } else {
        println!("validation: {} problem(s)", issues.len());
        for i in issues {
            println!("  - {}", Esc(&i.to_string()));
        }
    }
}

fn export(db: Option<&Path>, name: &str, file: &PathBuf) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = team(&store, name)?;
    let entries = storage::load(&store, &team)?;
    if entries.is_empty() {
        return Err(MappingError::Empty(team.name).into());
    }
    if file.as_os_str() == "-" {
        sheet::write_csv(&entries, std::io::stdout().lock())?;
    } else if is_xlsx(file) {
        crate::mapping::xlsx::write_fields(file, &entries, &Catalogue::standard())
            .wrap_err_with(|| format!("cannot write {}", file.display()))?;
        println!("wrote {} rows to {}", entries.len(), file.display());
    } else {
        let f = std::fs::File::create(file)
            .wrap_err_with(|| format!("cannot write {}", file.display()))?;
        sheet::write_csv(&entries, std::io::BufWriter::new(f))
            .wrap_err_with(|| format!("cannot write {}", file.display()))?;
        println!("wrote {} rows to {}", entries.len(), file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn import(
    db: Option<&Path>,
    name: &str,
    file: &PathBuf,
    dry_run: bool,
    as_json: bool,
) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = team(&store, name)?;
    let catalogue = Catalogue::standard();
    let current = storage::load(&store, &team)?;
    if current.is_empty() {
        return Err(MappingError::Empty(team.name).into());
    }
    let bytes = std::fs::read(file).wrap_err_with(|| format!("cannot read {}", file.display()))?;
    let parsed = if is_xlsx(file) {
        crate::mapping::xlsx::read_fields(&bytes, &current, &catalogue)
    } else {
        sheet::read_csv(&bytes, &current, &catalogue)
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
                    eprintln!(
                        "{}:{}: {}",
                        Esc(&file.display().to_string()),
                        e.line,
                        Esc(&e.message)
                    );
                }
            }
            return Err(eyre!(
                "{}: {} error(s), first on line {}; nothing was changed",
                file.display(),
                errors.len(),
                errors.first().map_or(1, |e| e.line)
            ));
        }
    };
    let issues = validate(&import.entries, &catalogue);
    let applied = !dry_run && !import.changes.is_empty();
    if applied {
        storage::save(
            &store,
            &team,
            &import.entries,
            &catalogue,
            &Actor::from_env(),
        )?;
        store.audit(
            &Actor::from_env(),
            Some(&team.name),
            "mapping.fields.import",
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
        println!("line {}: {}", c.line, Esc(&c.to_string()));
    }
    print_issues(&import.entries, &catalogue);
    if dry_run {
        println!("dry run: nothing applied");
    } else if applied {
        println!("applied {} change(s)", import.changes.len());
    }
    Ok(ExitCode::SUCCESS)
}

fn approve(db: Option<&Path>, name: &str, note: Option<String>, as_json: bool) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = team(&store, name)?;
    let catalogue = Catalogue::standard();
    let outcome = storage::approve(&store, &team, &catalogue, note, &Actor::from_env())?;
    let (by, at) = storage::approval(&store, &team)?.unwrap_or_default();
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "approved": true, "by": by, "at": at,
                "fields": outcome.fields, "mapped": outcome.mapped,
            }))?
        );
    } else {
        println!(
            "field mapping of {} approved by {by} at {at} ({} of {} fields mapped)",
            team.name, outcome.mapped, outcome.fields
        );
    }
    Ok(ExitCode::SUCCESS)
}
