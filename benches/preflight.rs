//! The preflight (`check`: step 1 and step 2 with hidden fields) against the sandbox
//! tenant, with its calls one after another (`concurrency` 1) and overlapping (the
//! default bound), at 0 and 50 ms of added latency per API call. Printed as the ratio
//! concurrent / one-after-another from the same run (goal at 50 ms: <= 0.35), with the
//! call count of both (they must be equal).
//!
//! Run: `cargo bench --bench preflight` (release; medians of 5 interleaved runs). Under
//! `cargo test` it smoke-runs once at 0 and 5 ms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use icims_onboard::icims::checks::{CheckReport, TeamAuth, run_checks};
use icims_onboard::icims::{AUDIENCE, AuthConfig, ClientConfig, DEFAULT_CONCURRENCY};
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use icims_onboard::store::{Region, Team};
use secrecy::SecretString;

fn team_for(info: &SandboxInfo) -> Team {
    Team {
        id: 1,
        name: "bench".into(),
        customer_id: info.customer_id,
        region: Region::Us,
        api_base_override: Some(info.api_base.clone()),
        token_url_override: Some(info.token_url.clone()),
        datastream_base_override: Some(info.datastream.base.clone()),
        created_at: String::new(),
    }
}

fn auth(info: &SandboxInfo) -> TeamAuth {
    TeamAuth {
        basic: Some(AuthConfig::Basic {
            username: info.basic.username.clone(),
            password: SecretString::from(info.basic.password.clone()),
        }),
        rest: Some(AuthConfig::OAuth {
            client_id: info.oauth.client_id.clone(),
            client_secret: SecretString::from(info.oauth.client_secret.clone()),
            audience: AUDIENCE.into(),
        }),
        datastream: Some(AuthConfig::OAuth {
            client_id: info.datastream.client_id.clone(),
            client_secret: SecretString::from(info.datastream.client_secret.clone()),
            audience: AUDIENCE.into(),
        }),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn one(info: &SandboxInfo, concurrency: usize) -> (Duration, CheckReport) {
    let config = ClientConfig {
        concurrency,
        ..ClientConfig::default()
    };
    let team = team_for(info);
    let auth = auth(info);
    let start = Instant::now();
    let report = run_checks(&team, &auth, &config, &|_| {}).await;
    (start.elapsed(), report)
}

async fn bench(latency_ms: u64, rounds: usize) {
    let sb = Sandbox::start(SandboxConfig {
        people: 300,
        latency_ms,
        ..Default::default()
    })
    .await
    .expect("sandbox starts");
    let info = sb.info();
    // Warm-up (connections, the tenant's caches), not counted.
    let _ = one(&info, DEFAULT_CONCURRENCY).await;
    let (mut seq, mut conc) = (Vec::new(), Vec::new());
    let mut calls = (0, 0);
    for round in 0..rounds {
        // Interleaved, alternating which goes first.
        let order = if round % 2 == 0 {
            [1, DEFAULT_CONCURRENCY]
        } else {
            [DEFAULT_CONCURRENCY, 1]
        };
        for c in order {
            let (t, report) = one(&info, c).await;
            assert!(report.ok(), "the preflight failed: {:#?}", report.checks);
            if c == 1 {
                seq.push(t);
                calls.0 = report.api_calls;
            } else {
                conc.push(t);
                calls.1 = report.api_calls;
            }
        }
    }
    assert_eq!(
        calls.0, calls.1,
        "the calls made must not depend on concurrency"
    );
    let (s, c) = (median(seq), median(conc));
    println!(
        "preflight: {latency_ms:>2} ms latency, {} calls: one after another {:.2?} | concurrent (at most {DEFAULT_CONCURRENCY}) {:.2?} | ratio {:.2} (goal at 50 ms <= 0.35); medians of {rounds}",
        calls.0,
        s,
        c,
        c.as_secs_f64() / s.as_secs_f64()
    );
}

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        if smoke {
            bench(0, 1).await;
            bench(5, 1).await;
        } else {
            bench(0, 5).await;
            bench(50, 5).await;
        }
    });
}
