//! Benchmark of the sandbox itself: profile GETs per second over loopback with 1, 4 and 16
//! concurrent keep-alive clients, each printed as a ratio against a reference measured in
//! the same run on the same server — the unauthenticated `/_sandbox/stats` endpoint (same
//! HTTP stack, no auth, no quota, no tenant lookup). Also the in-process cost of rendering a
//! profile and the time to generate a 10,000-person tenant. Every loop is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use icims_onboard::sandbox::auth::User;
use icims_onboard::sandbox::model::Object;
use icims_onboard::sandbox::profiles::{self, Urls};
use icims_onboard::sandbox::{Sandbox, SandboxConfig, generator};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REQUESTS_PER_LEVEL: usize = 6000;
const TIME_CAP: Duration = Duration::from_secs(10);

async fn run_level(
    urls: Arc<Vec<String>>,
    auth: Option<(String, String)>,
    clients: usize,
) -> (usize, f64) {
    let per_client = REQUESTS_PER_LEVEL / clients;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let urls = urls.clone();
        let auth = auth.clone();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .http1_only()
                .build()
                .expect("client");
            let mut done = 0usize;
            for i in 0..per_client {
                if start.elapsed() > TIME_CAP {
                    break;
                }
                let url = &urls[(c * 7919 + i) % urls.len()];
                let mut rb = http.get(url);
                if let Some((u, p)) = &auth {
                    rb = rb.basic_auth(u, Some(p));
                }
                let r = rb.send().await.expect("request");
                assert!(r.status().is_success(), "{}", r.status());
                let _ = r.bytes().await.expect("body");
                done += 1;
            }
            done
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.expect("task");
    }
    (total, total as f64 / start.elapsed().as_secs_f64())
}

fn main() {
    let t0 = Instant::now();
    let tenant = generator::generate(1, 10_000);
    let gen_ms = t0.elapsed().as_secs_f64() * 1e3;

    // In-process cost of a tenant lookup + profile render (no network).
    let base = "http://127.0.0.1:1/customers/1";
    let urls = Urls {
        customer_base: base,
    };
    let ids: Vec<String> = tenant.people.iter().map(|p| p.id.to_string()).collect();
    let n_render = 20_000;
    let t1 = Instant::now();
    let mut bytes = 0usize;
    for i in 0..n_render {
        let r = profiles::get(
            &tenant,
            Object::Person,
            &ids[i % ids.len()],
            None,
            User::Full,
            &urls,
        );
        bytes += r.body.len();
    }
    let render_per_s = n_render as f64 / t1.elapsed().as_secs_f64();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let sb = Sandbox::start(SandboxConfig { people: 10_000, seed: 1, daily_quota: u64::MAX, ..Default::default() })
            .await
            .expect("sandbox");
        let info = sb.info();
        let profile_urls: Arc<Vec<String>> = Arc::new(
            sb.tenant()
                .people
                .iter()
                .map(|p| format!("{}/customers/{}/people/{}", info.api_base, info.customer_id, p.id))
                .collect(),
        );
        let stats_urls = Arc::new(vec![info.stats_url.clone()]);
        let auth = Some((info.basic.username.clone(), info.basic.password.clone()));
        println!("sandbox bench: 10,000-person tenant generated in {gen_ms:.0} ms");
        println!(
            "in-process profile render: {render_per_s:.0}/s (avg {} bytes) — ceiling without HTTP",
            bytes / n_render
        );
        println!("{:>8} {:>16} {:>22} {:>8}", "clients", "profile GET/s", "reference GET/s", "ratio");
        for clients in [1usize, 4, 16] {
            // warm-up (bounded)
            let _ = run_level(stats_urls.clone(), None, clients.min(4)).await;
            let (n_ref, reference) = run_level(stats_urls.clone(), None, clients).await;
            let (n_prof, profile) = run_level(profile_urls.clone(), auth.clone(), clients).await;
            println!(
                "{clients:>8} {profile:>16.0} {reference:>22.0} {:>8.2}   ({n_prof} profile / {n_ref} reference requests)",
                profile / reference
            );
        }
        println!("reference = GET /_sandbox/stats on the same server (HTTP stack only); ratio = profile / reference");
        sb.shutdown().await;
    });
}
