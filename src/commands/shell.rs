//! Shell conventions: completion scripts (clap_complete) and the manual page
//! (clap_mangen), both generated from the same clap definitions as `--help`.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use color_eyre::Result;

use crate::cli::Cli;

/// A shell to complete for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// Flags of `completions`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash (source it, or put it in /usr/share/bash-completion/completions/),
    /// zsh (a file named _icims-onboard in $fpath) or fish (~/.config/fish/completions/).
    pub shell: Shell,
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    let generator = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(generator, &mut cmd, "icims-onboard", &mut out);
    out
}

/// The manual page (roff), with every subcommand's options under its own heading.
pub fn man_page() -> Result<Vec<u8>> {
    let cmd = Cli::command();
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    man.render_options_section(&mut out)?;
    render_subcommands(&mut out, &cmd, "icims-onboard")?;
    man.render_version_section(&mut out)?;
    writeln!(
        out,
        ".SH FILES\n.TP\n\\fB$XDG_DATA_HOME/icims\\-onboard/icims\\-onboard.db\\fR\nThe database (\\fB\\-\\-db\\fR, \\fBICIMS_ONBOARD_DB\\fR).\n.TP\n\\fB$XDG_CONFIG_HOME/icims\\-onboard/key\\fR\nThe sealing key (\\fBICIMS_ONBOARD_KEY\\fR, \\fBICIMS_ONBOARD_KEY_FILE\\fR).\n.TP\n\\fB$XDG_DATA_HOME/icims\\-onboard/icims\\-onboard.log\\fR\nThe log (\\fBICIMS_ONBOARD_LOG\\fR).\n.SH EXIT STATUS\n0 success, 1 failure, 2 usage error."
    )?;
    Ok(out)
}

/// Each subcommand as `.SH` section: its path, about text and options.
fn render_subcommands(out: &mut Vec<u8>, cmd: &clap::Command, path: &str) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{path} {}", sub.get_name());
        if sub.has_subcommands() {
            render_subcommands(out, sub, &name)?;
            continue;
        }
        writeln!(out, ".SH \"{}\"", name.to_uppercase().replace('-', "\\-"))?;
        let sub = sub.clone().bin_name(name.clone());
        let man = clap_mangen::Man::new(sub);
        let mut body = Vec::new();
        man.render_synopsis_section(&mut body)?;
        man.render_description_section(&mut body)?;
        man.render_options_section(&mut body)?;
        // Subsections, not sections, under the command's heading.
        let text = String::from_utf8_lossy(&body).replace(".SH ", ".SS ");
        out.extend_from_slice(text.as_bytes());
    }
    Ok(())
}

pub fn completions(args: &CompletionsArgs) -> Result<ExitCode> {
    std::io::stdout().write_all(&completion_script(args.shell))?;
    Ok(ExitCode::SUCCESS)
}

pub fn man() -> Result<ExitCode> {
    std::io::stdout().write_all(&man_page()?)?;
    Ok(ExitCode::SUCCESS)
}
