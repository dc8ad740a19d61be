//! `export list|fetch|import|summary|handoff|forget-host-key`: step 3 headless. Fetch and
//! import run as jobs in this process (so the console and `export summary` can follow them
//! in the job row); a killed run is resumed by running the same command again.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use color_eyre::Result;
use color_eyre::eyre::eyre;

use super::{UsageError, db_path, open_store};
use crate::export::{
    self, FetchParams, ImportFile, ImportParams, ObjectKind, fetch::record_local_file,
    fetched_files,
};
use crate::safe_text::Esc;
use crate::sftp::{self, SftpError, format_bytes, normalize_fingerprint};
use crate::store::{Actor, JobState, Store, Team};
use crate::worker::{self, JobEvent};

/// `export …` subcommands.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// List the files in the team's SFTP export directory (name, size, modified).
    List(ListArgs),
    /// Download the export files (resuming, verified by size and SHA-256); progress on stderr.
    Fetch(FetchArgs),
    /// Import the fetched files, or the local FILEs given, into staging tables.
    Import(ImportArgs),
    /// Per-file rows, bad rows, cut-off, columns and statuses; the quarantine.
    Summary(SummaryArgs),
    /// Write the handoff ticket (manifest, checksums, counts, cut-off; never a password).
    Handoff(HandoffArgs),
    /// Forget the pinned SFTP host key (after the customer confirmed a key rotation).
    ForgetHostKey(NameArg),
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// Team name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Team name.
    pub name: String,
    /// Trust this host key on first connect (as `SHA256:…`, confirmed with the customer).
    #[arg(long, value_name = "SHA256:…")]
    pub accept_host_key: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Team name.
    pub name: String,
    /// Remote file names to fetch (default: every file in the export directory).
    pub files: Vec<String>,
    /// Trust this host key on first connect (as `SHA256:…`, confirmed with the customer).
    #[arg(long, value_name = "SHA256:…")]
    pub accept_host_key: Option<String>,
    /// Download into this directory instead of the default next to the database.
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Team name.
    pub name: String,
    /// Local files to import (default: the fetched files).
    pub files: Vec<PathBuf>,
    /// The object the files hold (default: sniffed from file name and headers).
    #[arg(long, value_enum)]
    pub object: Option<ObjectKind>,
    /// Let a file with a header and no rows replace an earlier import of the same name.
    #[arg(long)]
    pub allow_empty: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Team name.
    pub name: String,
    /// Show columns (fill rate, samples) and statuses of this file.
    #[arg(long, value_name = "FILE")]
    pub file: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HandoffArgs {
    /// Team name.
    pub name: String,
    /// Write the ticket to this file (default: print it).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(db: Option<&Path>, cmd: &ExportCommand) -> Result<ExitCode> {
    match cmd {
        ExportCommand::List(a) => list(db, a),
        ExportCommand::Fetch(a) => fetch(db, a),
        ExportCommand::Import(a) => import(db, a),
        ExportCommand::Summary(a) => summary(db, a),
        ExportCommand::Handoff(a) => handoff(db, a),
        ExportCommand::ForgetHostKey(a) => forget(db, a),
    }
}

/// Makes sure the server's host key is pinned: shows it on first connect and pins it when
/// `--accept-host-key` names it or the engineer confirms on a terminal.
fn ensure_trusted(store: &Store, team: &Team, accept: Option<&str>, actor: &Actor) -> Result<()> {
    let t = sftp::team_sftp(store, team)?;
    // With a pin on record there is nothing to confirm: the command's own connection
    // checks the presented key against the pin before sending any credential (and
    // refuses a changed key), so no separate probe connection is made.
    if sftp::pinned_host_key(store, team, &t.options.host, t.options.port)?.is_some() {
        return Ok(());
    }
    let (key, pin) = sftp::probe_for_team(store, team)?;
    if let Some(pin) = pin {
        if pin.fingerprint != key.fingerprint {
            return Err(SftpError::HostKeyChanged {
                host: t.options.host.clone(),
                port: t.options.port,
                pinned: pin.fingerprint,
                presented: key.fingerprint,
            }
            .into());
        }
        return Ok(());
    }
    let (host, port) = (t.options.host.as_str(), t.options.port);
    eprintln!(
        "first connection to {host}:{port}: host key {} {}",
        key.key_type, key.fingerprint
    );
    let accepted = match accept {
        Some(given) if normalize_fingerprint(given) == key.fingerprint => true,
        Some(given) => {
            return Err(SftpError::HostKeyNotAccepted {
                host: host.to_string(),
                port,
                given: given.to_string(),
                presented: key.fingerprint,
            }
            .into());
        }
        None if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() => {
            eprint!("Confirm this fingerprint with the customer. Trust and pin it? [y/N] ");
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer)?;
            matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
        }
        None => false,
    };
    if !accepted {
        return Err(SftpError::HostKeyUnknown {
            host: host.to_string(),
            port,
            key_type: key.key_type,
            fingerprint: key.fingerprint,
        }
        .into());
    }
    sftp::pin_host_key(store, team, host, port, &key, actor)?;
    eprintln!("pinned host key {} for {host}:{port}", key.fingerprint);
    Ok(())
}

fn mtime_text(mtime: Option<u64>) -> String {
    mtime
        .and_then(|m| chrono::DateTime::from_timestamp(m as i64, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "-".into())
}

fn list(db: Option<&Path>, args: &ListArgs) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let actor = Actor::from_env();
    ensure_trusted(&store, &team, args.accept_host_key.as_deref(), &actor)?;
    let (entries, dir) = export::fetch::list_remote(&store, &team, None, &actor)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "path": dir, "files": entries }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("{}:", Esc(&dir));
    for e in &entries {
        println!(
            "  {:<40} {:>12}  {}{}",
            Esc(&e.name),
            format_bytes(e.size),
            mtime_text(e.mtime),
            if e.is_dir { "  (directory)" } else { "" }
        );
    }
    if entries.is_empty() {
        println!("  (empty)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints progress on stderr: one updating line on a terminal, a line a second otherwise.
struct ProgressPrinter {
    tty: bool,
    last: std::time::Instant,
}

impl ProgressPrinter {
    fn new() -> Self {
        ProgressPrinter {
            tty: std::io::stderr().is_terminal(),
            last: std::time::Instant::now() - std::time::Duration::from_secs(5),
        }
    }

    fn show(&mut self, line: &str, done: bool) {
        let mut err = std::io::stderr();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            if done {
                let _ = writeln!(err);
            }
        } else if done || self.last.elapsed() >= std::time::Duration::from_secs(1) {
            self.last = std::time::Instant::now();
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn event(&mut self, e: &JobEvent) {
        match e {
            JobEvent::Fetch(p) => self.show(&p.line(), p.done),
            JobEvent::Import(p) if p.note.is_some() => {
                let note = p.note.as_deref().unwrap_or_default();
                self.show(&Esc(note).to_string(), true);
            }
            JobEvent::Import(p) => self.show(
                &format!(
                    "importing {} ({}/{})  {} rows  {} bad  {}",
                    Esc(&p.unit),
                    p.unit_index + 1,
                    p.units,
                    p.rows,
                    p.bad_rows,
                    format_bytes(p.bytes)
                ),
                false,
            ),
            JobEvent::Sync(line) => self.show(line, false),
        }
    }
}

/// Runs an enqueued or resumable job in this process and reports how it ended.
fn run_inline(db: &Path, job_id: i64) -> Result<worker::JobOutcome> {
    let mut printer = ProgressPrinter::new();
    let outcome = worker::run_job_inline(db, job_id, &mut |e| printer.event(e))?;
    if printer.tty {
        eprintln!();
    }
    outcome.ok_or_else(|| {
        eyre!("job {job_id} is being run by another live worker; follow it with `icims-onboard export summary`")
    })
}

fn fetch(db: Option<&Path>, args: &FetchArgs) -> Result<ExitCode> {
    let path = db_path(db);
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let actor = Actor::from_env();
    ensure_trusted(&store, &team, args.accept_host_key.as_deref(), &actor)?;
    let params = FetchParams {
        files: args.files.clone(),
        accept_host_key: None,
        dest: args.dest.clone(),
    };
    let job_id = store.enqueue_job(&team, export::FETCH_JOB, &serde_json::to_value(&params)?)?;
    drop(store);
    let outcome = run_inline(&path, job_id)?;
    finish(outcome, args.json, |result| {
        let files = result["fetch"]["files"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let unchanged = result["fetch"]["unchanged"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for f in &files {
            let name = f["name"].as_str().unwrap_or("");
            let same = unchanged.iter().any(|u| u.as_str() == Some(name));
            println!(
                "{}  {}  sha256 {}  {}{}",
                Esc(name),
                format_bytes(f["size"].as_u64().unwrap_or(0)),
                Esc(f["sha256"].as_str().unwrap_or("")),
                Esc(f["local_path"].as_str().unwrap_or("")),
                if same {
                    "  (unchanged, not downloaded again)"
                } else {
                    ""
                }
            );
        }
        if let Some(restarted) = result["fetch"]["restarted"].as_array() {
            for r in restarted {
                eprintln!("note: {}", r.as_str().unwrap_or(""));
            }
        }
        println!("fetched {} files", files.len());
    })
}

fn finish(
    outcome: worker::JobOutcome,
    json: bool,
    human: impl FnOnce(&serde_json::Value),
) -> Result<ExitCode> {
    match outcome.state {
        JobState::Done => {
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome.result)?);
            } else {
                human(&outcome.result);
            }
            Ok(ExitCode::SUCCESS)
        }
        JobState::Cancelled => Err(eyre!("job {} was cancelled", outcome.job_id)),
        _ => Err(eyre!(
            "{}",
            outcome
                .error
                .unwrap_or_else(|| format!("job {} did not finish", outcome.job_id))
        )),
    }
}

/// A path given to `export import` must be a regular file; anything else is named as what
/// it is (a directory, a FIFO, …) rather than "no such file".
fn check_regular_file(p: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let shown = Esc(&p.display().to_string()).to_string();
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(UsageError(format!("{shown}: no such file")).into());
        }
        Err(e) => return Err(UsageError(format!("{shown}: cannot read it ({e})")).into()),
    };
    let t = meta.file_type();
    let what = if t.is_file() {
        return Ok(());
    } else if t.is_dir() {
        "is a directory; name the export files in it"
    } else if t.is_fifo() {
        "is not a regular file (a FIFO)"
    } else if t.is_socket() {
        "is not a regular file (a socket)"
    } else if t.is_block_device() || t.is_char_device() {
        "is not a regular file (a device)"
    } else {
        "is not a regular file"
    };
    Err(UsageError(format!("{shown}: {what}")).into())
}

fn import(db: Option<&Path>, args: &ImportArgs) -> Result<ExitCode> {
    let path = db_path(db);
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let mut files = Vec::new();
    if args.files.is_empty() {
        for f in fetched_files(&store, &team)? {
            files.push(ImportFile {
                path: f.local_path,
                name: f.name,
            });
        }
        if files.is_empty() {
            return Err(export::ExportError::NoFiles(team.name.clone()).into());
        }
    } else {
        for p in &args.files {
            check_regular_file(p)?;
            let abs = std::fs::canonicalize(p)?;
            let file = ImportFile::from_path(abs);
            if let Some(other) = files.iter().find(|f: &&ImportFile| f.name == file.name) {
                return Err(UsageError(format!(
                    "{} and {} have the same name {}; files are stored by name, so import them separately or rename one",
                    Esc(&other.path.display().to_string()),
                    Esc(&file.path.display().to_string()),
                    Esc(&file.name)
                ))
                .into());
            }
            files.push(file);
        }
        for file in &files {
            record_local_file(&store, &team, &file.path, &file.name)?;
        }
    }
    let params = ImportParams {
        files,
        object: args.object,
        allow_empty: args.allow_empty,
    };
    let params_json = serde_json::to_value(&params)?;
    let job_id = match store.latest_job(&team, export::IMPORT_JOB)? {
        Some(job) if job.state.is_open() && job.params == params_json => {
            if job.checkpoint.is_some() {
                eprintln!("resuming import job {} from its last checkpoint", job.id);
            }
            job.id
        }
        Some(job) if job.state.is_open() => {
            if store.cancel_job(job.id)? {
                // Its worker (if one still runs it) stops at its next checkpoint; what it
                // left half-imported is marked failed, not "importing".
                export::stage::fail_open_units(
                    store.conn(),
                    job.id,
                    "the import was cancelled by a later import of other files",
                )?;
                eprintln!(
                    "cancelled earlier unfinished import job {} (other files)",
                    job.id
                );
            }
            store.enqueue_job(&team, export::IMPORT_JOB, &params_json)?
        }
        _ => store.enqueue_job(&team, export::IMPORT_JOB, &params_json)?,
    };
    drop(store);
    let outcome = run_inline(&path, job_id)?;
    finish(outcome, args.json, |result| {
        let units = result["import"]["units"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for u in &units {
            println!(
                "{}  {}  rows {}  bad rows {}  cut-off {}",
                Esc(u["name"].as_str().unwrap_or("")),
                u["object"].as_str().unwrap_or(""),
                u["rows"],
                u["bad_rows"],
                Esc(u["cutoff"].as_str().unwrap_or("-"))
            );
        }
        let o = &result["import"]["outcome"];
        println!(
            "imported {} files: {} rows, {} bad rows quarantined, cut-off {}",
            o["files"],
            o["rows"],
            o["bad_rows"],
            Esc(o["cutoff"].as_str().unwrap_or("unknown"))
        );
    })
}

fn summary(db: Option<&Path>, args: &SummaryArgs) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    if let Some(file) = &args.file {
        let s = export::summary::unit_summary(&store, &team, file)?.ok_or_else(|| {
            eyre!(
                "team {} has no imported file named {}",
                Esc(&team.name),
                Esc(file)
            )
        })?;
        let q = export::quarantine(&store, &team, Some(file), 100_000)?;
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "file": s, "quarantine": q }))?
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{}  object {}  {}  delimiter {:?}  rows {}  bad rows {}",
            Esc(&s.name),
            s.object,
            s.encoding.label(),
            s.delimiter,
            s.rows,
            s.bad_rows
        );
        println!(
            "updated column {}: {} .. {} ({} unparsed)",
            Esc(s.updated_column.as_deref().unwrap_or("-")),
            Esc(s.earliest.as_deref().unwrap_or("-")),
            Esc(s.cutoff.as_deref().unwrap_or("-")),
            s.updated_unparsed
        );
        println!("columns:");
        for c in &s.columns {
            println!(
                "  {:<32} {:>5.1}%  {}",
                Esc(&c.name),
                c.fill_rate * 100.0,
                Esc(&c.samples.join(" | "))
            );
        }
        if !s.statuses.is_empty() {
            println!(
                "statuses ({}):",
                Esc(s.status_column.as_deref().unwrap_or("-"))
            );
            for (status, n) in &s.statuses {
                println!("  {n:>8}  {}", Esc(status));
            }
        }
        print_quarantine(&q);
        return Ok(ExitCode::SUCCESS);
    }
    let s = export::export_summary(&store, &team, 100_000)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(ExitCode::SUCCESS);
    }
    if s.files.is_empty() {
        println!("no export imported for team {} yet", Esc(&team.name));
    }
    for f in &s.files {
        println!(
            "{:<40} {:<9} rows {:>9}  bad {:>6}  cut-off {}  [{}]{}",
            Esc(&f.name),
            f.object,
            f.rows,
            f.bad_rows,
            Esc(f.cutoff.as_deref().unwrap_or("-")),
            f.state,
            f.error
                .as_deref()
                .map(|e| format!("  {}", Esc(e)))
                .unwrap_or_default()
        );
    }
    print_quarantine(&s.quarantine);
    Ok(ExitCode::SUCCESS)
}

fn print_quarantine(q: &[export::QuarantineEntry]) {
    if q.is_empty() {
        return;
    }
    println!("quarantine ({} rows):", q.len());
    for e in q.iter().take(50) {
        println!("  {}:{}  {}", Esc(&e.file), e.line, Esc(&e.reason));
    }
    if q.len() > 50 {
        println!("  … {} more (use --json)", q.len() - 50);
    }
}

fn handoff(db: Option<&Path>, args: &HandoffArgs) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let actor = Actor::from_env();
    let text = export::handoff::ticket_text(&store, &team, &actor)?;
    match &args.out {
        Some(out) => {
            std::fs::write(out, &text).map_err(|e| eyre!("{}: {e}", out.display()))?;
            store.audit(
                &actor,
                Some(&team.name),
                "export.handoff",
                Some(&out.display().to_string()),
            )?;
            println!("wrote the handoff ticket to {}", out.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn forget(db: Option<&Path>, args: &NameArg) -> Result<ExitCode> {
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let t = sftp::team_sftp(&store, &team)?;
    let removed = sftp::forget_host_key(
        &store,
        &team,
        &t.options.host,
        t.options.port,
        &Actor::from_env(),
    )?;
    if removed {
        println!(
            "forgot the host key of {}:{}; the next fetch shows the new key for confirmation",
            t.options.host, t.options.port
        );
    } else {
        println!(
            "no host key pinned for {}:{}",
            t.options.host, t.options.port
        );
    }
    Ok(ExitCode::SUCCESS)
}
