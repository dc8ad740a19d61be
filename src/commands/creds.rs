//! `creds set`: store a team's credential. The secret comes from stdin
//! (`--password-stdin`/`--secret-stdin`) or a no-echo prompt — never from argv.

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::eyre;
use secrecy::{ExposeSecret, SecretString};

use super::{UsageError, open_store};
use crate::cli::{CredsCommand, CredsSetArgs};
use crate::store::{Actor, CredentialKind, CredentialParams};

pub fn run(db: Option<&Path>, cmd: &CredsCommand) -> Result<ExitCode> {
    match cmd {
        CredsCommand::Set(args) => set(db, args),
    }
}

/// Checks that the flags fit the kind and builds the non-secret parameters.
pub fn params_for(args: &CredsSetArgs) -> Result<CredentialParams, UsageError> {
    let need = |flag: &str, v: &Option<String>| -> Result<String, UsageError> {
        match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Ok(s.to_string()),
            _ => Err(UsageError(format!(
                "--kind {} needs {flag}",
                args.kind.as_str()
            ))),
        }
    };
    let refuse = |flag: &str, present: bool| -> Result<(), UsageError> {
        if present {
            Err(UsageError(format!(
                "{flag} does not apply to --kind {}",
                args.kind
            )))
        } else {
            Ok(())
        }
    };
    let mut p = CredentialParams::default();
    match args.kind {
        CredentialKind::Basic => {
            p.username = Some(need("--username", &args.username)?);
            refuse("--client-id", args.client_id.is_some())?;
            refuse("--host", args.host.is_some())?;
        }
        CredentialKind::Rest | CredentialKind::Datastream => {
            p.client_id = Some(need("--client-id", &args.client_id)?);
            refuse("--username", args.username.is_some())?;
            refuse("--host", args.host.is_some())?;
        }
        CredentialKind::Sftp => {
            p.host = Some(need("--host", &args.host)?);
            p.username = Some(need("--username", &args.username)?);
            p.port = Some(args.port.unwrap_or(22));
            p.path = args.path.clone();
            p.key_file = args.key_file.as_ref().map(|k| k.display().to_string());
            refuse("--client-id", args.client_id.is_some())?;
        }
    }
    if args.kind != CredentialKind::Sftp {
        refuse("--port", args.port.is_some())?;
        refuse("--path", args.path.is_some())?;
        refuse("--key-file", args.key_file.is_some())?;
    }
    Ok(p)
}

/// Reads one secret: all of stdin (trailing newline removed) or a no-echo prompt.
pub fn read_secret(from_stdin: bool, prompt: &str) -> Result<SecretString> {
    let raw = if from_stdin {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .map_err(|e| eyre!("cannot read the secret from stdin: {e}"))?;
        let trimmed = buf.strip_suffix('\n').unwrap_or(&buf);
        let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed).to_string();
        buf.clear();
        trimmed
    } else if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(|e| eyre!("cannot read the secret: {e}"))?
    } else {
        return Err(UsageError(
            "no secret given: pipe it with --password-stdin (or --secret-stdin), or run on a terminal to be prompted"
                .into(),
        )
        .into());
    };
    Ok(SecretString::from(raw))
}

fn set(db: Option<&Path>, args: &CredsSetArgs) -> Result<ExitCode> {
    let params = params_for(args)?;
    let store = open_store(db)?;
    let team = store.team(&args.name)?;
    let what = args.kind.secret_name();
    let secret = read_secret(
        args.password_stdin,
        &format!("{} {what} for team {}: ", args.kind, team.name),
    )?;
    if secret.expose_secret().is_empty() && args.key_file.is_none() {
        return Err(eyre!(
            "empty {what} for the {} credentials of team {}: nothing stored",
            args.kind,
            team.name
        ));
    }
    if secret.expose_secret().contains('\n') {
        return Err(eyre!(
            "the {what} for the {} credentials of team {} spans several lines: nothing stored",
            args.kind,
            team.name
        ));
    }
    store.set_credential(&team, args.kind, &params, &secret, &Actor::from_env())?;
    println!("stored {} credentials for team {}", args.kind, team.name);
    Ok(ExitCode::SUCCESS)
}
