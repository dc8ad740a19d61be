//! The simulated iCIMS tenant: HTTP API, data generator, faults, SFTP export.
//!
//! [`Sandbox::start`] generates a tenant from `(seed, people)`, writes its historical export,
//! and serves the iCIMS API over HTTP/1.1 and the export over SFTP, both on loopback.
//! Regions: the API is served at `api_base` (US) and at `api_base + "/eu"` (EU); requests per
//! region are counted ([`Sandbox::requests_by_region`], `GET /_sandbox/stats`).
//!
//! Where the reference leaves a gap, the sandbox chooses (and tests pin) this behaviour:
//! search/query validation errors are `400` with errorCode 10; the spent daily quota is `429`
//! with errorCode 11 and `Retry-After` = seconds to 00:00 UTC; a bad/expired bearer token or
//! HMAC signature is `401` errorCode 9; a wrong customer id is `404` errorCode 3; the token
//! endpoint answers OAuth-style `{"error","error_description"}`; the status catalogue (with
//! bins and rejection flags) is in the field schema `profiledefinitions/v1/submittal/status/schema`
//! under `options`; Data Stream tokens come from the same token URL with the Data Stream
//! client and are not accepted by the REST API (nor REST tokens by the Data Stream).
//! [`Sandbox::start`] must run inside a tokio runtime; it serves on that runtime.

pub mod api;
pub mod auth;
pub mod clock;
pub mod datastream;
pub mod export;
pub mod faults;
pub mod generator;
pub mod http;
pub mod lists;
pub mod model;
pub mod mutate;
pub mod profiles;
pub mod quota;
pub mod request;
pub mod response;
pub mod schema;
pub mod search;
pub mod sftp;
pub mod status_variants;

pub use auth::{ClientCreds, Credentials, HmacCreds, UserPass};
pub use clock::SandboxClock;
pub use faults::{FaultKind, FaultPlan};
pub use model::{Object, Tenant};

use serde::Serialize;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// HTTP address; loopback only. Default `127.0.0.1:0` (ephemeral port).
    pub addr: SocketAddr,
    /// SFTP address; loopback only. `None` = an ephemeral loopback port.
    pub sftp_addr: Option<SocketAddr>,
    /// Person records generated (some created after the cut-off, a few deleted).
    pub people: usize,
    pub seed: u64,
    /// Added to every API call.
    pub latency_ms: u64,
    /// Share of API calls that get a fault (0.0–1.0).
    pub fault_rate: f64,
    /// Seed of the fault sequence; `None` = `seed`.
    pub fault_seed: Option<u64>,
    /// Fault kinds drawn from; default all.
    pub fault_kinds: Vec<FaultKind>,
    pub daily_quota: u64,
    pub token_lifetime_secs: u64,
    /// Tokens issued per 10 minutes before the token endpoint answers 429 (iCIMS: ~500).
    pub token_limit_per_10min: usize,
    /// Where export files are written; a fresh temp dir (removed on drop) by default.
    pub export_dir: Option<PathBuf>,
    /// Standard ids hidden from the restricted user on top of the usual ones, e.g.
    /// `person.email` for a tenant whose API user can neither see nor search emails.
    pub restricted_extra_hidden: Vec<String>,
    /// Standard ids the tenant does not use at all, e.g. `job.recruiter`: no record and
    /// no export row has a value (the Schema API still lists the field).
    pub unused_fields: Vec<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            sftp_addr: None,
            people: 1000,
            seed: 1,
            latency_ms: 0,
            fault_rate: 0.0,
            fault_seed: None,
            fault_kinds: FaultKind::ALL.to_vec(),
            daily_quota: 10_000,
            token_lifetime_secs: 86_400,
            token_limit_per_10min: 500,
            export_dir: None,
            restricted_extra_hidden: Vec::new(),
            unused_fields: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox address {0} is not a loopback address")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot write the export files to {dir}: {source}")]
    Export {
        dir: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionBase {
    pub api_base: String,
    pub token_url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OAuthInfo {
    pub client_id: String,
    pub client_secret: String,
    pub audience: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataStreamInfo {
    /// `…/datastream/v2/streams` (append `/{customer_id}/subscriptions`).
    pub base: String,
    pub token_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub subscriptions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SftpInfo {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub path: String,
    pub host_key_sha256: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExportInfo {
    pub file: String,
    pub rows: usize,
    pub bad_rows: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExportsInfo {
    pub people: ExportInfo,
    pub jobs: ExportInfo,
    pub workflows: ExportInfo,
    /// The export's cut-off, `yyyy-MM-dd hh:mm a` UTC.
    pub cutoff: String,
    /// Local directory holding the files (what SFTP serves under `sftp.path`).
    pub dir: String,
}

/// Everything a client needs to reach the sandbox; printed by `sandbox --json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SandboxInfo {
    pub api_base: String,
    pub token_url: String,
    pub regions: RegionsInfo,
    pub customer_id: u64,
    pub basic: UserPass,
    pub restricted: UserPass,
    pub oauth: OAuthInfo,
    pub hmac: HmacCreds,
    pub datastream: DataStreamInfo,
    pub sftp: SftpInfo,
    pub export: ExportsInfo,
    /// `GET` (no auth) → `{"requests":{"us":N,"eu":N},"quota_used_today":N,"faults_injected":N,
    /// "calls":{"searches":N,"profile_gets":N,"datastream":N}}`.
    pub stats_url: String,
    pub seed: u64,
    pub people: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionsInfo {
    pub us: RegionBase,
    pub eu: RegionBase,
}

/// Requests received per regional base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RegionHits {
    pub us: u64,
    pub eu: u64,
}

/// Authenticated calls per kind of endpoint ([`Sandbox::call_counts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallCounts {
    /// `…/search/{people|jobs|applicantworkflows}` (any method).
    pub searches: u64,
    /// `GET …/{people|jobs|applicantworkflows}/{id}`.
    pub profile_gets: u64,
    /// Any Data Stream call.
    pub datastream: u64,
}

/// A running sandbox. Dropping it (or [`Sandbox::shutdown`]) stops the servers.
pub struct Sandbox {
    info: SandboxInfo,
    state: Arc<api::AppState>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    temp_dir: Option<PathBuf>,
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, SandboxError> {
    if !addr.ip().is_loopback() {
        return Err(SandboxError::NotLoopback(addr));
    }
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })
}

impl Sandbox {
    /// Generate the tenant, write the export, and start the HTTP and SFTP servers on the
    /// current tokio runtime.
    pub async fn start(cfg: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let sftp_addr = cfg
            .sftp_addr
            .unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        let http_listener = bind(cfg.addr).await?;
        let sftp_listener = bind(sftp_addr).await?;
        let local = http_listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                addr: cfg.addr,
                source,
            })?;
        let sftp_local = sftp_listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                addr: sftp_addr,
                source,
            })?;

        let mut tenant = generator::generate(cfg.seed, cfg.people);
        for extra in &cfg.restricted_extra_hidden {
            if !tenant.restricted_hidden.contains(extra) {
                tenant.restricted_hidden.push(extra.clone());
            }
        }
        tenant.unused = cfg.unused_fields.clone();
        let (dir, temp_dir) = match &cfg.export_dir {
            Some(d) => (d.clone(), None),
            None => {
                let d = std::env::temp_dir().join(format!(
                    "icims-sandbox-{}-{}-{}",
                    std::process::id(),
                    TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
                    cfg.seed
                ));
                (d.clone(), Some(d))
            }
        };
        tenant.export_files =
            export::write_all(&tenant, &dir).map_err(|source| SandboxError::Export {
                dir: dir.clone(),
                source,
            })?;
        let tenant = Arc::new(tenant);

        let clock = SandboxClock::default();
        let creds = Credentials::derive(cfg.seed, tenant.customer_id);
        let base_url = format!("http://{local}");
        let mut faults = FaultPlan::new(cfg.fault_seed.unwrap_or(cfg.seed), cfg.fault_rate);
        faults.kinds = cfg.fault_kinds.clone();
        let state = Arc::new(api::AppState {
            events: datastream::events(&tenant),
            tenant: std::sync::RwLock::new(tenant.clone()),
            auth: {
                let mut a = auth::Auth::new(creds.clone(), cfg.token_lifetime_secs, clock.clone());
                a.token_limit_per_10min = cfg.token_limit_per_10min;
                a
            },
            quota: quota::Quota::new(cfg.daily_quota, clock.clone()),
            clock,
            faults,
            latency_ms: cfg.latency_ms,
            base_url: base_url.clone(),
            fault_counter: AtomicU64::new(0),
            fault_log: Default::default(),
            hits_us: AtomicU64::new(0),
            hits_eu: AtomicU64::new(0),
            served: AtomicU64::new(0),
            kinds: Default::default(),
        });

        let key = sftp::host_key(cfg.seed);
        let host_key_sha256 = sftp::fingerprint(&key);
        let (tx, rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(http::serve(http_listener, state.clone(), rx.clone())),
            tokio::spawn(sftp::serve(
                sftp_listener,
                key,
                sftp::SftpSettings {
                    root: dir.clone(),
                    username: creds.sftp.username.clone(),
                    password: creds.sftp.password.clone(),
                },
                rx,
            )),
        ];

        let export_info = |o: Object| {
            tenant
                .export_file(o)
                .map(|f| ExportInfo {
                    file: f.file.clone(),
                    rows: f.rows,
                    bad_rows: f.bad_rows.len(),
                })
                .unwrap_or(ExportInfo {
                    file: String::new(),
                    rows: 0,
                    bad_rows: 0,
                })
        };
        let eu = format!("{base_url}/eu");
        let info = SandboxInfo {
            api_base: base_url.clone(),
            token_url: format!("{base_url}/oauth/token"),
            regions: RegionsInfo {
                us: RegionBase {
                    api_base: base_url.clone(),
                    token_url: format!("{base_url}/oauth/token"),
                },
                eu: RegionBase {
                    api_base: eu.clone(),
                    token_url: format!("{eu}/oauth/token"),
                },
            },
            customer_id: tenant.customer_id,
            basic: creds.basic.clone(),
            restricted: creds.restricted.clone(),
            oauth: OAuthInfo {
                client_id: creds.oauth.client_id.clone(),
                client_secret: creds.oauth.client_secret.clone(),
                audience: auth::AUDIENCE.into(),
            },
            hmac: creds.hmac.clone(),
            datastream: DataStreamInfo {
                base: format!("{base_url}/datastream/v2/streams"),
                token_url: format!("{base_url}/oauth/token"),
                client_id: creds.datastream.client_id.clone(),
                client_secret: creds.datastream.client_secret.clone(),
                subscriptions: datastream::SUBSCRIPTIONS
                    .iter()
                    .map(|(id, _)| format!("{}-{id}", tenant.customer_id))
                    .collect(),
            },
            sftp: SftpInfo {
                host: sftp_local.ip().to_string(),
                port: sftp_local.port(),
                username: creds.sftp.username.clone(),
                password: creds.sftp.password.clone(),
                path: sftp::EXPORT_PATH.into(),
                host_key_sha256,
            },
            export: ExportsInfo {
                people: export_info(Object::Person),
                jobs: export_info(Object::Job),
                workflows: export_info(Object::Workflow),
                cutoff: tenant.after_cutoff.cutoff.clone(),
                dir: dir.display().to_string(),
            },
            stats_url: format!("{base_url}/_sandbox/stats"),
            seed: cfg.seed,
            people: cfg.people,
        };
        Ok(Sandbox {
            info,
            state,
            shutdown: tx,
            tasks,
            temp_dir,
        })
    }

    pub fn info(&self) -> SandboxInfo {
        self.info.clone()
    }

    /// The clock quota and token expiry follow; move it in tests.
    pub fn clock(&self) -> SandboxClock {
        self.state.clock.clone()
    }

    /// Generator ground truth (collisions, hidden fields, labels, changes after the cut-off…).
    pub fn tenant(&self) -> Arc<Tenant> {
        self.state.tenant()
    }

    /// Changes the served tenant (tests: records changed, created or deleted after the
    /// export, statuses added). `f` edits a copy; the copy replaces the tenant at once.
    /// See [`mutate`] for the edits with their ground truth.
    pub fn mutate<R>(&self, f: impl FnOnce(&mut Tenant, &SandboxClock) -> R) -> R {
        let mut guard = self.state.tenant.write().unwrap_or_else(|e| e.into_inner());
        let mut copy = (**guard).clone();
        let out = f(&mut copy, &self.state.clock);
        copy.rebuild_indexes();
        *guard = Arc::new(copy);
        out
    }

    pub fn requests_by_region(&self) -> RegionHits {
        RegionHits {
            us: self.state.hits_us.load(Ordering::Relaxed),
            eu: self.state.hits_eu.load(Ordering::Relaxed),
        }
    }

    /// Authenticated calls that reached an endpoint so far, per kind.
    pub fn call_counts(&self) -> CallCounts {
        let k = &self.state.kinds;
        CallCounts {
            searches: k.searches.load(Ordering::Relaxed),
            profile_gets: k.profile_gets.load(Ordering::Relaxed),
            datastream: k.datastream.load(Ordering::Relaxed),
        }
    }

    /// Faults injected so far: (index of the faultable request, kind).
    pub fn fault_log(&self) -> Vec<(u64, FaultKind)> {
        self.state
            .fault_log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// API calls counted against today's quota (sandbox clock).
    pub fn quota_used_today(&self) -> u64 {
        self.state.quota.used_today()
    }

    /// Adds a workflow status to the tenant's catalogue while it runs (a status created by
    /// the customer after the mapping was approved: drift). It shows in the status field's
    /// schema options from the next request on. Returns it with its new id.
    pub fn add_status(&self, name: &str, bin: &str) -> model::Status {
        status_variants::add_status(&self.state, name, bin)
    }

    /// Stop serving and wait for the servers to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for t in &self.tasks {
            t.abort();
        }
        if let Some(d) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
