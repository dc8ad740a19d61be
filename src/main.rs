//! Entry point: parse the command line, set up logging and the error/panic hooks, then run
//! the console (no subcommand) or a headless command.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use icims_onboard::cli::Cli;
use icims_onboard::commands::{self, UsageError};
use icims_onboard::{logging, paths, tui};

fn main() -> ExitCode {
    // Behave like other Unix tools when output is piped into `head`: end quietly on EPIPE.
    // SAFETY: resetting a signal disposition to its default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let help_paths = format!(
        "Files:\n  database  {} (--db / ICIMS_ONBOARD_DB)\n  log       {} (ICIMS_ONBOARD_LOG)\n  key       {} (ICIMS_ONBOARD_KEY / ICIMS_ONBOARD_KEY_FILE)",
        paths::default_db_path().display(),
        paths::log_file_path().display(),
        paths::key_file_path().display(),
    );
    let matches = match Cli::command().after_help(help_paths).try_get_matches() {
        Ok(m) => m,
        Err(e) => return clap_exit(e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return clap_exit(e),
    };
    logging::init(&paths::log_file_path());
    if let Err(e) = tui::terminal::install_hooks() {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    let result = match &cli.command {
        None => tui::run(&commands::db_path(cli.db.as_deref())),
        Some(command) => commands::run(&cli, command),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = if err.downcast_ref::<UsageError>().is_some() {
                2
            } else {
                1
            };
            tracing::error!("{}", one_line(&err));
            let _ = writeln!(std::io::stderr(), "error: {}", one_line(&err));
            ExitCode::from(code)
        }
    }
}

/// The error and its causes on one line.
fn one_line(err: &color_eyre::Report) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    // Error texts carry customer data (file names, headers, iCIMS messages): no raw
    // control characters reach the terminal.
    icims_onboard::safe_text::escape_control(&parts.join(": ").replace('\n', " ")).into_owned()
}

/// Help and version go to stdout (exit 0); usage errors print one line and exit 2.
fn clap_exit(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let rendered = e.render().to_string();
            let line: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .filter(|l| {
                    !l.is_empty()
                        && !l.starts_with("For more information")
                        && !l.starts_with("Usage:")
                })
                .collect();
            let _ = writeln!(std::io::stderr(), "{}", line.join(" "));
            ExitCode::from(2)
        }
    }
}
