//! `icims-onboard sandbox`: start the simulated iCIMS tenant on loopback, print how to reach
//! it (with `--json`, one JSON line as the first stdout line), and serve until SIGINT/SIGTERM.

use crate::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use color_eyre::eyre::{Result, WrapErr};
use std::io::Write;
use std::net::SocketAddr;

#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// HTTP API address (loopback only).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub addr: SocketAddr,
    /// SFTP address for the export (loopback only); an ephemeral port when omitted.
    #[arg(long)]
    pub sftp_addr: Option<SocketAddr>,
    /// Number of person records to generate.
    #[arg(long, default_value_t = 1000)]
    pub people: usize,
    /// Seed of the tenant, credentials and faults.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Latency added to every API call, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of API calls that get an injected fault (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Daily API quota (resets at 00:00 UTC).
    #[arg(long, default_value_t = 10_000)]
    pub daily_quota: u64,
    /// Hide this standard field from the restricted user too (repeatable), e.g.
    /// `person.email` for a tenant whose API user can neither see nor search emails.
    #[arg(long = "restricted-hide", value_name = "FIELD")]
    pub restricted_hide: Vec<String>,
    /// A standard field the tenant does not use at all (repeatable), e.g. `job.recruiter`:
    /// no record and no export row has a value; the Schema API still lists it.
    #[arg(long = "unused", value_name = "FIELD")]
    pub unused: Vec<String>,
    /// Print the connection info as one JSON line.
    #[arg(long)]
    pub json: bool,
}

impl SandboxArgs {
    pub fn config(&self) -> SandboxConfig {
        SandboxConfig {
            addr: self.addr,
            sftp_addr: self.sftp_addr,
            people: self.people,
            seed: self.seed,
            latency_ms: self.latency_ms,
            fault_rate: self.fault_rate,
            daily_quota: self.daily_quota,
            restricted_extra_hidden: self.restricted_hide.clone(),
            unused_fields: self.unused.clone(),
            ..SandboxConfig::default()
        }
    }
}

/// A readable block for people (the sandbox's credentials are throwaway test values).
pub fn describe(info: &SandboxInfo) -> String {
    let e = &info.export;
    format!(
        "iCIMS sandbox tenant running (seed {seed}, {people} people)\n\
         \n  API base (US)     {api}\n  API base (EU)     {eu}\n  Token URL         {token}\n  Customer ID       {cid}\n\
         \n  Basic             {bu} / {bp}\n  Restricted user   {ru} / {rp}\n  OAuth client      {oi} / {os}\n\
         \n  HMAC              user {hu}, secret {hs}\n  Data Stream       {dsb}\n                    client {di} / {ds}\n\
         \n  SFTP              sftp://{su}@{sh}:{sp}{path}  password {spw}\n                    host key {fp}\n\
         \n  Export (cut-off {cut})\n    people     {pf}  {pr} rows, {pb} bad\n    jobs       {jf}  {jr} rows, {jb} bad\n    workflows  {wf}  {wr} rows, {wb} bad\n\
         \nPress Ctrl-C to stop.",
        seed = info.seed,
        people = info.people,
        api = info.api_base,
        eu = info.regions.eu.api_base,
        token = info.token_url,
        cid = info.customer_id,
        bu = info.basic.username,
        bp = info.basic.password,
        ru = info.restricted.username,
        rp = info.restricted.password,
        oi = info.oauth.client_id,
        os = info.oauth.client_secret,
        hu = info.hmac.user,
        hs = info.hmac.secret,
        dsb = info.datastream.base,
        di = info.datastream.client_id,
        ds = info.datastream.client_secret,
        su = info.sftp.username,
        sh = info.sftp.host,
        sp = info.sftp.port,
        path = info.sftp.path,
        spw = info.sftp.password,
        fp = info.sftp.host_key_sha256,
        cut = e.cutoff,
        pf = e.people.file,
        pr = e.people.rows,
        pb = e.people.bad_rows,
        jf = e.jobs.file,
        jr = e.jobs.rows,
        jb = e.jobs.bad_rows,
        wf = e.workflows.file,
        wr = e.workflows.rows,
        wb = e.workflows.bad_rows,
    )
}

pub fn run(args: &SandboxArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        color_eyre::eyre::bail!(
            "--fault-rate must be between 0.0 and 1.0, got {}",
            args.fault_rate
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("starting the tokio runtime")?;
    rt.block_on(async {
        let sandbox = Sandbox::start(args.config())
            .await
            .wrap_err("starting the sandbox")?;
        let info = sandbox.info();
        let mut out = std::io::stdout().lock();
        if args.json {
            writeln!(out, "{}", serde_json::to_string(&info)?)?;
        } else {
            writeln!(out, "{}", describe(&info))?;
        }
        out.flush()?;
        drop(out);
        wait_for_stop().await?;
        sandbox.shutdown().await;
        Ok(())
    })
}

async fn wait_for_stop() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).wrap_err("installing the SIGTERM handler")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.wrap_err("waiting for SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
