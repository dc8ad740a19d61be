//! Benchmark of the iCIMS client's overhead: profile GETs per second through `IcimsClient`
//! (Basic and OAuth; auth, quota accounting, error classification, JSON decoding into a
//! `Profile`) against the sandbox, each printed as a ratio against a reference measured in
//! the same run on the same server — raw reqwest GETs of the same URLs with the same Basic
//! header, body read and parsed as JSON. Also the search pager (ids per second walking the
//! whole tenant) against raw search POSTs of the same pages. Every loop is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use icims_onboard::icims::{
    AUDIENCE, AuthConfig, ClientConfig, Endpoints, IcimsClient, Id, ProfileType, SearchQuery,
};
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use secrecy::SecretString;

const TIME_CAP: Duration = Duration::from_secs(10);

/// `cargo bench` passes `--bench`; under `cargo test --all-targets` the benchmark only
/// smoke-runs with small counts so the test suite stays fast.
fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn requests() -> usize {
    if full_run() { 4000 } else { 200 }
}

fn rounds() -> usize {
    if full_run() { 3 } else { 1 }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn endpoints(info: &SandboxInfo) -> Endpoints {
    Endpoints::new(
        info.customer_id,
        &info.api_base,
        &info.token_url,
        &info.datastream.base,
    )
    .expect("endpoints")
}

async fn raw(info: &SandboxInfo, ids: Arc<Vec<u64>>, concurrency: usize) -> f64 {
    let http = reqwest::Client::builder()
        .http1_only()
        .build()
        .expect("client");
    let start = Instant::now();
    let per = requests() / concurrency;
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let http = http.clone();
        let ids = ids.clone();
        let base = format!("{}/customers/{}/people", info.api_base, info.customer_id);
        let (u, p) = (info.basic.username.clone(), info.basic.password.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            for i in 0..per {
                if start.elapsed() > TIME_CAP {
                    break;
                }
                let id = ids[(c * 7919 + i) % ids.len()];
                let r = http
                    .get(format!("{base}/{id}"))
                    .basic_auth(&u, Some(&p))
                    .send()
                    .await
                    .expect("request");
                assert!(r.status().is_success());
                let v: serde_json::Value = r.json().await.expect("json");
                assert!(v.is_object());
                done += 1;
            }
            done
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await.expect("task");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn via_client(client: Arc<IcimsClient>, ids: Arc<Vec<u64>>, concurrency: usize) -> f64 {
    let start = Instant::now();
    let per = requests() / concurrency;
    let mut tasks = Vec::new();
    for c in 0..concurrency {
        let client = client.clone();
        let ids = ids.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0usize;
            for i in 0..per {
                if start.elapsed() > TIME_CAP {
                    break;
                }
                let id = ids[(c * 7919 + i) % ids.len()];
                let p = client
                    .get_profile(ProfileType::People, Id(id), &[])
                    .await
                    .expect("profile");
                assert!(p.has("email"));
                done += 1;
            }
            done
        }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await.expect("task");
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn raw_search_pages(info: &SandboxInfo) -> f64 {
    let http = reqwest::Client::builder()
        .http1_only()
        .build()
        .expect("client");
    let url = format!(
        "{}/customers/{}/search/people",
        info.api_base, info.customer_id
    );
    let start = Instant::now();
    let mut last = 0u64;
    let mut ids = 0usize;
    loop {
        let body = serde_json::json!({"filters":[{"name":"person.id","value":[last.to_string()],"operator":">"}]});
        let v: serde_json::Value = http
            .post(&url)
            .basic_auth(&info.basic.username, Some(&info.basic.password))
            .json(&body)
            .send()
            .await
            .expect("search")
            .json()
            .await
            .expect("json");
        let page = v["searchResults"].as_array().expect("results");
        ids += page.len();
        match page.last().and_then(|h| h["id"].as_u64()) {
            Some(l) if page.len() == 1000 => last = l,
            _ => break,
        }
    }
    ids as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let sb = Sandbox::start(SandboxConfig {
            people: if full_run() { 20_000 } else { 2_000 },
            daily_quota: 10_000_000,
            ..Default::default()
        })
        .await
        .expect("sandbox");
        let info = sb.info();
        let ids: Arc<Vec<u64>> = Arc::new(sb.tenant().people.iter().map(|p| p.id).collect());
        let config = ClientConfig::default();
        let basic = Arc::new(
            IcimsClient::new(
                endpoints(&info),
                AuthConfig::Basic {
                    username: info.basic.username.clone(),
                    password: SecretString::from(info.basic.password.clone()),
                },
                config.clone(),
            )
            .expect("client"),
        );
        let oauth = Arc::new(
            IcimsClient::new(
                endpoints(&info),
                AuthConfig::OAuth {
                    client_id: info.oauth.client_id.clone(),
                    client_secret: SecretString::from(info.oauth.client_secret.clone()),
                    audience: AUDIENCE.into(),
                },
                config,
            )
            .expect("client"),
        );
        // Warm-up (connections, token).
        raw(&info, ids.clone(), 1).await;
        via_client(oauth.clone(), ids.clone(), 1).await;

        println!(
            "icims client benchmark (sandbox, {} people, loopback, no latency; median of {} interleaved rounds)",
            ids.len(),
            rounds()
        );
        for concurrency in [1usize, 8] {
            let (mut r, mut b, mut o) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds() {
                r.push(raw(&info, ids.clone(), concurrency).await);
                b.push(via_client(basic.clone(), ids.clone(), concurrency).await);
                o.push(via_client(oauth.clone(), ids.clone(), concurrency).await);
            }
            let (reference, b, o) = (median(r), median(b), median(o));
            println!(
                "  profile GET x{concurrency:<2} reference raw reqwest {reference:8.0}/s | client Basic {b:8.0}/s = {:.2}x | client OAuth {o:8.0}/s = {:.2}x",
                b / reference,
                o / reference
            );
        }
        let (mut r, mut p) = (Vec::new(), Vec::new());
        let mut total = 0;
        for _ in 0..rounds() * 3 {
            r.push(raw_search_pages(&info).await);
            let start = Instant::now();
            let all = basic
                .search_pager(ProfileType::People, SearchQuery::default())
                .collect_all(100)
                .await
                .expect("pager");
            total = all.len();
            p.push(all.len() as f64 / start.elapsed().as_secs_f64());
        }
        let (reference, pager) = (median(r), median(p));
        println!(
            "  search paging: reference raw POSTs {reference:8.0} ids/s | pager {pager:8.0} ids/s = {:.2}x ({total} ids)",
            pager / reference
        );
        let s = oauth.stats();
        println!(
            "  OAuth client: {} API calls, {} token requests, {} retries",
            s.api_calls, s.token_requests, s.retries
        );
    });
}
