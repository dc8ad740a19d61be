//! Minimal entry point of the sandbox branch: only `icims-onboard sandbox …`.
//! The lead's CLI (src/cli.rs) replaces this at merge.

use clap::{Parser, Subcommand};
use icims_onboard::commands::sandbox::{SandboxArgs, run};

#[derive(Parser)]
#[command(name = "icims-onboard", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the simulated iCIMS tenant on loopback.
    Sandbox(SandboxArgs),
}

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    match Cli::parse().command {
        Command::Sandbox(args) => run(&args),
    }
}
