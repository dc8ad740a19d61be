//! The command line: clap definitions of every headless command. Behaviour lives in
//! `commands/`; this file only says what can be typed.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::store::{CredentialKind, Region};

/// Console and CLI for onboarding a customer onto an iCIMS ATS integration.
#[derive(Debug, Parser)]
#[command(name = "icims-onboard", version, about, long_about = None)]
pub struct Cli {
    /// The SQLite database (default under the XDG data dir).
    #[arg(long, global = true, env = "ICIMS_ONBOARD_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list and inspect teams (customers being onboarded).
    #[command(subcommand)]
    Team(TeamCommand),
    /// Store credentials; the secret is read from stdin or a no-echo prompt, never argv.
    #[command(subcommand)]
    Creds(CredsCommand),
    /// Start the sandbox tenant in-process, prepare a team on it, and open the console.
    Demo(crate::commands::demo::DemoArgs),
    /// Run the step 1 and step 2 tests (basic test, preflight matrix, hidden fields).
    Check(crate::commands::check::CheckArgs),
    /// Run the simulated iCIMS tenant (API + SFTP export) on loopback until stopped.
    Sandbox(crate::commands::sandbox::SandboxArgs),
    /// Step 3: list, fetch and import the historical export; summary; handoff ticket.
    #[command(subcommand)]
    Export(crate::commands::export::ExportCommand),
    /// Run queued jobs (export fetch and import, deep sync) until stopped, or until idle.
    Worker(crate::commands::worker::WorkerArgs),
    /// Step 4 field mapping and step 6 pipeline stage mapping.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    Completions(crate::commands::shell::CompletionsArgs),
    /// Print the manual page (roff) on stdout: `icims-onboard man | man -l -`.
    Man,
    /// The audit log, newest first: time, actor, team, action, object (never a value).
    Audit(crate::commands::audit::AuditArgs),
    /// Step 5 deep sync: plan, start, pause, resume, cancel, status, settings.
    #[command(subcommand)]
    Sync(crate::commands::sync::SyncCommand),
}

#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Map the customer's fields to the standard fields (step 4).
    #[command(subcommand)]
    Fields(FieldsCommand),
    /// Map the workflow statuses to pipeline stages; rejection reasons map to rejected (step 6).
    #[command(subcommand)]
    Stages(StagesCommand),
}

#[derive(Debug, Subcommand)]
pub enum StagesCommand {
    /// Build the status catalogue (Schema API, export, synced workflows), detect rejection
    /// reasons and suggest a stage for every other status.
    Suggest {
        /// Team name.
        name: String,
        /// Do not read the Schema API's status options (export and synced workflows only).
        #[arg(long)]
        no_api: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the stage mapping as CSV or XLSX (by the file's extension; "-" for CSV on stdout).
    Export {
        /// Team name.
        name: String,
        /// File to write (.csv or .xlsx).
        file: PathBuf,
    },
    /// Read an edited CSV or XLSX: show the diff, validate, apply (nothing changes on errors).
    Import {
        /// Team name.
        name: String,
        /// The edited file (.csv or .xlsx).
        file: PathBuf,
        /// Show the diff and the validation without applying.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the stage mapping (records who and when; completes step 6).
    Approve {
        /// Team name.
        name: String,
        /// A remark stored with the approval.
        #[arg(long)]
        note: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show or edit the team's pipeline stages (add, rename, reorder, remove when unused).
    Pipeline(PipelineArgs),
}

#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// Team name.
    pub name: String,
    /// Append a stage.
    #[arg(long, value_name = "STAGE")]
    pub add: Vec<String>,
    /// Rename a stage: OLD=NEW (OLD is a name or id; the id stays).
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
    /// Move a stage: STAGE=POSITION (1-based).
    #[arg(long = "move", value_name = "STAGE=POSITION")]
    pub move_to: Vec<String>,
    /// Remove a stage no status is mapped to.
    #[arg(long, value_name = "STAGE")]
    pub remove: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum FieldsCommand {
    /// Discover the customer's fields and suggest a standard field for each.
    Suggest(FieldsSuggestArgs),
    /// Write the mapping with samples and suggestions as CSV ("-" for stdout).
    Export {
        /// Team name.
        name: String,
        /// CSV file to write.
        file: PathBuf,
    },
    /// Read an edited CSV: show the diff, validate, apply (nothing changes on errors).
    Import {
        /// Team name.
        name: String,
        /// The edited CSV file.
        file: PathBuf,
        /// Show the diff and the validation without applying.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the mapping (records who and when; completes step 4).
    Approve {
        /// Team name.
        name: String,
        /// A remark stored with the approval.
        #[arg(long)]
        note: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct FieldsSuggestArgs {
    /// Team name.
    pub name: String,
    /// Read export CSV files from this directory when no import is staged
    /// (default: the team's exports directory next to the database).
    #[arg(long, value_name = "DIR")]
    pub export_dir: Option<PathBuf>,
    /// Also discover fields from the Schema API and sample records (needs REST or basic
    /// credentials; costs 2 + RECORDS API calls per object).
    #[arg(long)]
    pub api: bool,
    /// Sample records fetched per object with --api.
    #[arg(long, default_value_t = 5, value_name = "RECORDS")]
    pub records: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team.
    Add(TeamAddArgs),
    /// List teams with their six step states.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a team: endpoints, credentials (without secrets), step states and gates.
    Show {
        /// Team name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a team's settings; says which steps the change reopened.
    Set(TeamSetArgs),
    /// Remove a team and everything stored for it (asks for the name typed again).
    Remove(TeamRemoveArgs),
}

#[derive(Debug, Args)]
pub struct TeamSetArgs {
    /// Team name.
    pub name: String,
    /// The customer's iCIMS customer id (a number).
    #[arg(long, value_name = "N")]
    pub customer_id: Option<u64>,
    /// Data region: us (api.icims.com) or eu (api-eu.icims.com).
    #[arg(long, value_enum)]
    pub region: Option<Region>,
    /// Override the API base URL ("" goes back to the region's default).
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// Override the OAuth token URL ("" goes back to the region's default).
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Override the Data Stream base URL ("" goes back to the default).
    #[arg(long, value_name = "URL")]
    pub datastream_base: Option<String>,
    /// Give the team a new name.
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TeamRemoveArgs {
    /// Team name.
    pub name: String,
    /// Do not ask for the name typed again (for scripts).
    #[arg(long)]
    pub yes: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TeamAddArgs {
    /// Team name (unique, case-insensitive).
    pub name: String,
    /// The customer's iCIMS customer id (a number).
    #[arg(long, value_name = "N")]
    pub customer_id: u64,
    /// Data region: us (api.icims.com) or eu (api-eu.icims.com).
    #[arg(long, value_enum, default_value_t = Region::Us)]
    pub region: Region,
    /// Override the API base URL (e.g. a sandbox tenant).
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// Override the OAuth token URL.
    #[arg(long, value_name = "URL")]
    pub token_url: Option<String>,
    /// Override the Data Stream base URL.
    #[arg(long, value_name = "URL")]
    pub datastream_base: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CredsCommand {
    /// Store (replace) one kind of credential for a team.
    Set(CredsSetArgs),
}

#[derive(Debug, Args)]
pub struct CredsSetArgs {
    /// Team name.
    pub name: String,
    /// Which credential: basic (API user), rest (OAuth client), datastream, sftp.
    #[arg(long, value_enum)]
    pub kind: CredentialKind,
    /// API or SFTP username (basic, sftp).
    #[arg(long)]
    pub username: Option<String>,
    /// OAuth client id (rest, datastream).
    #[arg(long)]
    pub client_id: Option<String>,
    /// SFTP host.
    #[arg(long)]
    pub host: Option<String>,
    /// SFTP port.
    #[arg(long)]
    pub port: Option<u16>,
    /// SFTP directory holding the export.
    #[arg(long)]
    pub path: Option<String>,
    /// SFTP private key file (the secret is then its passphrase, possibly empty).
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Read the password/secret from stdin (one line).
    #[arg(long, visible_alias = "secret-stdin")]
    pub password_stdin: bool,
}
