//! `icims-onboard demo`: start the sandbox tenant in-process, create (or re-point) a team
//! at it with every sandbox credential stored, and open the console on it. A safe place to
//! learn the console on a fresh machine with nothing else installed.

use std::path::Path;
use std::process::ExitCode;

use color_eyre::Result;
use color_eyre::eyre::WrapErr;
use secrecy::{ExposeSecret, SecretString};

use super::db_path;
use crate::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use crate::store::{
    Actor, CredentialKind, CredentialParams, NewTeam, Region, Store, StoreError, Team,
};

/// The slowest tenant `demo --latency-ms` serves (the client gives up on a call after 30 s).
pub const MAX_LATENCY_MS: u64 = 5_000;

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Name of the demo team (created or re-pointed at the sandbox).
    #[arg(long, default_value = "Demo (sandbox)")]
    pub team: String,
    /// Seed of the sandbox tenant.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of people in the sandbox tenant.
    #[arg(long, default_value_t = 1000)]
    pub people: usize,
    /// Latency the tenant adds to every API call, in milliseconds (0–5000): a slow tenant,
    /// so a deep sync lasts long enough to be watched.
    #[arg(long, value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=MAX_LATENCY_MS))]
    pub latency_ms: u64,
    /// Set up the team and keep the sandbox serving without opening the console
    /// (prints the team name, then the API and SFTP addresses and the SFTP host key;
    /// stops on SIGINT/SIGTERM).
    #[arg(long)]
    pub no_console: bool,
}

impl DemoArgs {
    /// The tenant these options describe (addresses chosen at start).
    pub fn sandbox_config(&self) -> SandboxConfig {
        SandboxConfig {
            seed: self.seed,
            people: self.people,
            latency_ms: self.latency_ms,
            ..SandboxConfig::default()
        }
    }
}

/// Stores a credential unless the very same one (parameters and secret) is stored
/// already, so a re-run keeps the team's test results (they count only while newer than
/// the credentials they tested). Returns whether anything was written.
fn set_if_changed(
    store: &Store,
    team: &Team,
    kind: CredentialKind,
    params: &CredentialParams,
    secret: &SecretString,
    actor: &Actor,
) -> Result<bool> {
    if let Some(stored) = store.credential(team, kind)?
        && stored.params == *params
        && stored.secret.expose_secret() == secret.expose_secret()
    {
        return Ok(false);
    }
    store.set_credential(team, kind, params, secret, actor)?;
    Ok(true)
}

/// The sandbox's SFTP server listens on a new port each run, with the same host key
/// (derived from the seed). A key the engineer confirmed on the previous port is carried
/// to the new one only when it is exactly the key this sandbox presents.
fn carry_pin(
    store: &Store,
    team: &Team,
    before: Option<&CredentialParams>,
    info: &SandboxInfo,
    actor: &Actor,
) -> Result<()> {
    let Some((host, port)) = before.and_then(|p| Some((p.host.clone()?, p.port.unwrap_or(22))))
    else {
        return Ok(());
    };
    if (host.as_str(), port) == (info.sftp.host.as_str(), info.sftp.port) {
        return Ok(());
    }
    let Some(old) = crate::sftp::pinned_host_key(store, team, &host, port)? else {
        return Ok(());
    };
    let already = crate::sftp::pinned_host_key(store, team, &info.sftp.host, info.sftp.port)?;
    if old.fingerprint == info.sftp.host_key_sha256 && already.is_none() {
        let key = crate::sftp::HostKey {
            key_type: old.key_type,
            fingerprint: old.fingerprint,
        };
        crate::sftp::pin_host_key(store, team, &info.sftp.host, info.sftp.port, &key, actor)?;
    }
    Ok(())
}

/// The loopback addresses the team `name` used on its last demo run (API, SFTP).
pub fn previous_addrs(
    store: &Store,
    name: &str,
) -> (Option<std::net::SocketAddr>, Option<std::net::SocketAddr>) {
    let Ok(team) = store.team(name) else {
        return (None, None);
    };
    let loopback = |host: &str, port: u16| -> Option<std::net::SocketAddr> {
        let ip: std::net::IpAddr = host.trim_matches(['[', ']']).parse().ok()?;
        ip.is_loopback()
            .then(|| std::net::SocketAddr::new(ip, port))
    };
    let api = team
        .api_base_override
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| loopback(u.host_str()?, u.port()?));
    let sftp = store
        .credential_summaries(&team)
        .ok()
        .and_then(|c| c.into_iter().find(|c| c.kind == CredentialKind::Sftp))
        .and_then(|c| loopback(c.params.host.as_deref()?, c.params.port?));
    (api, sftp)
}

/// Creates or re-points `name` at the running sandbox and stores its credentials
/// (unchanged ones are left as they are; a confirmed host key follows the new port).
pub fn prepare_team(store: &Store, name: &str, info: &SandboxInfo, actor: &Actor) -> Result<Team> {
    let team = match store.team(name) {
        Ok(mut team) => {
            team.customer_id = info.customer_id;
            team.region = Region::Us;
            team.api_base_override = Some(info.api_base.clone());
            team.token_url_override = Some(info.token_url.clone());
            team.datastream_base_override = Some(info.datastream.base.clone());
            store.update_team(&team, actor)?;
            team
        }
        Err(StoreError::NoSuchTeam(_)) => store.add_team(
            &NewTeam {
                name: name.to_string(),
                customer_id: info.customer_id,
                region: Some(Region::Us),
                api_base: Some(info.api_base.clone()),
                token_url: Some(info.token_url.clone()),
                datastream_base: Some(info.datastream.base.clone()),
            },
            actor,
        )?,
        Err(e) => return Err(e.into()),
    };
    let secret = |s: &str| SecretString::from(s.to_string());
    let sftp_before = store
        .credential(&team, CredentialKind::Sftp)?
        .map(|c| c.params);
    set_if_changed(
        store,
        &team,
        CredentialKind::Basic,
        &CredentialParams {
            username: Some(info.basic.username.clone()),
            ..Default::default()
        },
        &secret(&info.basic.password),
        actor,
    )?;
    set_if_changed(
        store,
        &team,
        CredentialKind::Rest,
        &CredentialParams {
            client_id: Some(info.oauth.client_id.clone()),
            ..Default::default()
        },
        &secret(&info.oauth.client_secret),
        actor,
    )?;
    set_if_changed(
        store,
        &team,
        CredentialKind::Datastream,
        &CredentialParams {
            client_id: Some(info.datastream.client_id.clone()),
            ..Default::default()
        },
        &secret(&info.datastream.client_secret),
        actor,
    )?;
    set_if_changed(
        store,
        &team,
        CredentialKind::Sftp,
        &CredentialParams {
            host: Some(info.sftp.host.clone()),
            port: Some(info.sftp.port),
            username: Some(info.sftp.username.clone()),
            path: Some(info.sftp.path.clone()),
            ..Default::default()
        },
        &secret(&info.sftp.password),
        actor,
    )?;
    carry_pin(store, &team, sftp_before.as_ref(), info, actor)?;
    store.audit(
        actor,
        Some(&team.name),
        "demo.prepare",
        Some(&info.api_base),
    )?;
    Ok(team)
}

pub fn run(db: Option<&Path>, args: &DemoArgs) -> Result<ExitCode> {
    crate::store::teams::validate_name(&args.team).map_err(super::UsageError)?;
    let path = db_path(db);
    // Open the store first: a bad database should fail before anything starts.
    let store = Store::open(&path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let config = args.sandbox_config();
    // The same addresses as the team's last demo run when they are free: the same seed
    // on the same ports is the same tenant, so nothing the engineer tested or pinned
    // stops counting. Otherwise new ports (and the tests say "test again").
    let (addr, sftp_addr) = previous_addrs(&store, &args.team);
    let reused = match addr {
        Some(addr) => runtime
            .block_on(Sandbox::start(SandboxConfig {
                addr,
                sftp_addr,
                ..config.clone()
            }))
            .ok(),
        None => None,
    };
    let sandbox = match reused {
        Some(s) => s,
        None => runtime
            .block_on(Sandbox::start(config))
            .wrap_err("cannot start the sandbox tenant")?,
    };
    let info = sandbox.info();
    let team = prepare_team(&store, &args.team, &info, &Actor::from_env())?;
    drop(store);
    tracing::info!(team = %team.name, api = %info.api_base, "demo sandbox running");
    let code = if args.no_console {
        println!("{}", team.name);
        println!(
            "sandbox API {} (customer {}), SFTP {}:{} (host key {})",
            info.api_base,
            info.customer_id,
            info.sftp.host,
            info.sftp.port,
            info.sftp.host_key_sha256
        );
        runtime.block_on(wait_for_signal())?;
        ExitCode::SUCCESS
    } else {
        crate::tui::run(&path)?
    };
    runtime.block_on(sandbox.shutdown());
    Ok(code)
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    fn demo_args(args: &[&str]) -> Result<super::DemoArgs, clap::Error> {
        let cli = Cli::try_parse_from(["icims-onboard", "demo"].iter().chain(args))?;
        match cli.command {
            Some(Command::Demo(a)) => Ok(a),
            other => panic!("not the demo command: {other:?}"),
        }
    }

    #[test]
    fn demo_latency_reaches_the_sandbox_config() {
        let args = demo_args(&["--latency-ms", "25", "--people", "300", "--seed", "9"]).unwrap();
        let cfg = args.sandbox_config();
        assert_eq!(cfg.latency_ms, 25);
        assert_eq!(cfg.people, 300);
        assert_eq!(cfg.seed, 9);
        assert_eq!(demo_args(&[]).unwrap().sandbox_config().latency_ms, 0);
        assert_eq!(
            demo_args(&["--latency-ms", "5000"]).unwrap().latency_ms,
            super::MAX_LATENCY_MS
        );
    }

    #[test]
    fn demo_latency_out_of_range_or_not_a_number_is_a_usage_error() {
        for bad in ["5001", "-1", "slow", ""] {
            let err = demo_args(&[&format!("--latency-ms={bad}")]).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
            let text = err.to_string();
            assert!(text.contains("--latency-ms"), "{bad:?}: {text}");
        }
    }
}
