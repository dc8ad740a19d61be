//! The headless commands: each submodule runs one command group over the library and
//! prints for people or, with `--json`, for scripts.

pub mod audit;
pub mod check;
pub mod creds;
pub mod demo;
pub mod export;
pub mod mapping;
pub mod sandbox;
pub mod shell;
pub mod stages;
pub mod sync;
pub mod team;
pub mod worker;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use color_eyre::Result;

use crate::cli::{Cli, Command};
use crate::store::Store;

/// A mistake in how the command was typed (exit code 2), as opposed to a failure (1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The database path in effect: `--db`/`ICIMS_ONBOARD_DB`, else the default.
pub fn db_path(cli_db: Option<&Path>) -> PathBuf {
    cli_db
        .map(Path::to_path_buf)
        .unwrap_or_else(crate::paths::default_db_path)
}

/// Opens the store at the path in effect.
pub fn open_store(cli_db: Option<&Path>) -> Result<Store> {
    let store = Store::open(&db_path(cli_db))?;
    for w in store.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(store)
}

/// Runs a headless command.
pub fn run(cli: &Cli, command: &Command) -> Result<ExitCode> {
    let db = cli.db.as_deref();
    match command {
        Command::Team(cmd) => team::run(db, cmd),
        Command::Creds(cmd) => creds::run(db, cmd),
        Command::Demo(args) => demo::run(db, args),
        Command::Check(args) => check::run(db, args),
        Command::Mapping(cmd) => mapping::run(db, cmd),
        Command::Sandbox(args) => sandbox::run(args).map(|()| ExitCode::SUCCESS),
        Command::Export(cmd) => export::run(db, cmd),
        Command::Worker(args) => worker::run(db, args),
        Command::Completions(args) => shell::completions(args),
        Command::Man => shell::man(),
        Command::Audit(args) => audit::run(db, args),
        Command::Sync(cmd) => sync::run(db, cmd),
    }
}
