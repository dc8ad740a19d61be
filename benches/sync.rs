//! Deep sync benchmarks, each a ratio against a reference measured in the same run:
//!
//! - **throughput**: records/s of the real worker (`icims-onboard worker`, a child
//!   process) fetching every person of a tenant by id through the sync engine, against
//!   the sandbox's profile-GET throughput: plain keep-alive GETs with the same `fields=`
//!   and concurrency, no engine, from a separate process as the worker's are (the faster
//!   of a one-thread and a two-thread client; budget ≥ 0.7). Also printed: against the
//!   same GETs from the sandbox's own process, whose requests never cross a process.
//! - **latency**: the same with 50 ms added to every call, against the ideal
//!   `concurrency ÷ latency`. Budget ≥ 0.9.
//! - **memory**: the worker's peak RSS syncing a 10,000-record and a 200,000-record work
//!   list (`SYNC_BENCH_MEM_BIG` changes the latter; ratio; flat means ≈ 1).
//! - **scale** (only with `--bench` and `SYNC_BENCH_SCALE=N`): an N-person tenant, export
//!   import + deep sync by the worker, wall time and API calls.
//!
//! `cargo bench --bench sync` gives the figures; `cargo test` runs it as a quick smoke run.
//! `SYNC_BENCH_ONLY=throughput` (or `latency`, `memory`) runs one case alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use icims_onboard::export::{self, ImportFile, ImportParams};
use icims_onboard::icims::{AuthConfig, ClientConfig, Endpoints, IcimsClient};
use icims_onboard::mapping::{Catalogue, discover, storage};
use icims_onboard::sandbox::{Sandbox, SandboxConfig, SandboxInfo};
use icims_onboard::store::{Actor, Store, Team};
use icims_onboard::sync;
use icims_onboard::worker;
use secrecy::SecretString;

const KEY_HEX: &str = "0707070707070707070707070707070707070707070707070707070707070707";
const CONCURRENCY: usize = 8;

fn client(info: &SandboxInfo) -> IcimsClient {
    IcimsClient::new(
        Endpoints::new(
            info.customer_id,
            &info.api_base,
            &info.token_url,
            &info.datastream.base,
        )
        .unwrap(),
        AuthConfig::Basic {
            username: info.basic.username.clone(),
            password: SecretString::from(info.basic.password.clone()),
        },
        ClientConfig::default(),
    )
    .unwrap()
}

/// A team on `info` with the export imported and the suggested mapping approved.
fn prepare(rt: &tokio::runtime::Runtime, db: &Path, info: &SandboxInfo) -> (Store, Team) {
    let store = Store::open(db).unwrap();
    let actor = Actor::named("bench");
    let team = icims_onboard::commands::demo::prepare_team(&store, "Bench", info, &actor).unwrap();
    let dir = Path::new(&info.export.dir);
    let params = ImportParams {
        files: [
            &info.export.people,
            &info.export.jobs,
            &info.export.workflows,
        ]
        .iter()
        .map(|f| ImportFile::from_path(dir.join(&f.file)))
        .collect(),
        object: None,
        allow_empty: false,
    };
    let id = store
        .enqueue_job(
            &team,
            export::IMPORT_JOB,
            &serde_json::to_value(&params).unwrap(),
        )
        .unwrap();
    worker::run_job_inline(db, id, &mut |_| {})
        .unwrap()
        .unwrap();
    let mut fields = discover::from_export_staging(&store, &team).unwrap();
    fields.extend(rt.block_on(discover::from_api(&client(info), 3)).unwrap());
    let catalogue = Catalogue::standard();
    storage::refresh(&store, &team, fields, &catalogue, &actor).unwrap();
    storage::approve(&store, &team, &catalogue, None, &actor).unwrap();
    let mut s = sync::settings::load(&store, &team).unwrap();
    s.concurrency = CONCURRENCY;
    sync::settings::save(&store, &team, &s, &actor).unwrap();
    (store, team)
}

/// Seeds and plans, then lists every person for a GET (the throughput workload).
fn plan_all_people(
    rt: &tokio::runtime::Runtime,
    store: &Store,
    team: &Team,
    info: &SandboxInfo,
    n: usize,
) -> u64 {
    let settings = sync::settings::load(store, team).unwrap();
    let client = sync::engine::client_for(store, team).unwrap();
    let budget = sync::budget::Budget::new(1.0);
    rt.block_on(sync::engine::seed_and_plan(
        store,
        team,
        &client,
        &budget,
        &settings,
        &mut || Ok(()),
    ))
    .unwrap();
    let _ = info;
    let ids: Vec<u64> = store
        .conn()
        .prepare("SELECT icims_id FROM sync_records WHERE team_id = ?1 AND object = 'people' AND deleted = 0")
        .unwrap()
        .query_map([team.id], |r| r.get::<_, String>(0))
        .unwrap()
        .filter_map(|r| r.ok()?.parse().ok())
        .take(n)
        .collect();
    let tx = store.conn().unchecked_transaction().unwrap();
    sync::plan::add_work(&tx, team.id, "people", &ids, "changed").unwrap();
    tx.commit().unwrap();
    store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM sync_work WHERE team_id = ?1 AND state = 'todo' AND reason != 'deleted'",
            [team.id],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as u64
}

/// The high-water mark of a process's resident set (`VmHWM`), KiB, while it runs.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs the queued sync on a child worker: (seconds, peak RSS KiB).
///
/// The peak is the worker's own `VmHWM`, polled every 20 ms until it exits (it only
/// grows, so the last reading is the peak up to then). Not `wait4`'s `ru_maxrss`: Linux
/// carries the spawning process's high-water mark into the child across `exec`, so that
/// figure is the bench process's size (the sandbox tenant), not the worker's.
fn run_worker(db: &Path, store: &Store, team: &Team) -> (f64, u64) {
    store
        .enqueue_job(
            team,
            sync::SYNC_JOB,
            &serde_json::json!({"max_live_cycles": 0}),
        )
        .unwrap();
    let t = Instant::now();
    let bench_cpu = self_cpu();
    // Reaped below with wait4 (for its CPU time), not Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_icims-onboard"))
        .arg("--db")
        .arg(db)
        .args(["worker", "--until-idle"])
        .env("ICIMS_ONBOARD_KEY", KEY_HEX)
        .env("ICIMS_ONBOARD_LOG", db.with_extension("log"))
        .spawn()
        .unwrap();
    let mut peak = 0u64;
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        // SAFETY: our own child; `status` and `usage` are valid out-pointers.
        let rc = unsafe { libc::wait4(child.id() as i32, &mut status, libc::WNOHANG, &mut usage) };
        assert!(rc >= 0, "wait4 failed");
        if rc > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(status == 0, "worker failed (status {status})");
    let cpu = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    eprintln!(
        "  worker CPU: user {:.2}s, sys {:.2}s; this process (the sandbox) meanwhile {:.2}s",
        cpu(usage.ru_utime),
        cpu(usage.ru_stime),
        self_cpu() - bench_cpu
    );
    let secs = t.elapsed().as_secs_f64();
    let st = sync::status::load(store.conn(), team.id).unwrap();
    assert!(st.initial_done_at.is_some(), "{st:?}");
    assert!(peak > 0, "the worker's VmHWM was never read");
    (secs, peak)
}

/// CPU seconds (user + system) this process has used so far.
fn self_cpu() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let cpu = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    cpu(usage.ru_utime) + cpu(usage.ru_stime)
}

/// The plain GET loop: `CONCURRENCY` tasks sharing one keep-alive client, each taking the
/// next URL until none is left. Returns (seconds, CPU seconds of this process).
async fn get_loop(urls: Arc<Vec<String>>, user: String, pass: String) -> (f64, f64) {
    let http = reqwest::Client::builder().http1_only().build().unwrap();
    let t = Instant::now();
    let cpu = self_cpu();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, urls, next, user, pass) = (
            http.clone(),
            urls.clone(),
            next.clone(),
            user.clone(),
            pass.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(u) = urls.get(i) else { break };
                let r = http
                    .get(u)
                    .basic_auth(&user, Some(&pass))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success());
                let _ = r.bytes().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (t.elapsed().as_secs_f64(), self_cpu() - cpu)
}

/// The child side of [`reference_gets`]' out-of-process run: reads the user, the password
/// and the URLs (one per line) from the file `SYNC_BENCH_GETS_FROM` names, runs the loop
/// on a runtime of `SYNC_BENCH_GETS_THREADS` threads (0: one thread, no workers) and
/// prints "seconds cpu_seconds".
fn get_loop_child(list: &Path) {
    let text = std::fs::read_to_string(list).unwrap();
    let mut lines = text.lines();
    let (user, pass) = (
        lines.next().unwrap().to_string(),
        lines.next().unwrap().to_string(),
    );
    let urls: Arc<Vec<String>> = Arc::new(lines.map(str::to_string).collect());
    let threads: usize = std::env::var("SYNC_BENCH_GETS_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let rt = if threads == 0 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .unwrap();
    let (secs, cpu) = rt.block_on(get_loop(urls, user, pass));
    println!("{secs} {cpu}");
}

/// Plain profile GETs with the sync's `fields=` at the same concurrency, GETs/s: in this
/// process (the client on the sandbox's own runtime: no request crosses a process), and
/// from a child process (as the worker's do) on one thread and on two; each printed.
/// Returns (in this process, the faster child).
fn reference_gets(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    info: &SandboxInfo,
    ids: &[u64],
    fields: &str,
) -> (f64, f64) {
    let base = format!("{}/customers/{}/people", info.api_base, info.customer_id);
    let (user, pass) = (info.basic.username.clone(), info.basic.password.clone());
    let urls: Arc<Vec<String>> = Arc::new(
        ids.iter()
            .map(|id| format!("{base}/{id}?fields={fields}"))
            .collect(),
    );
    let n = urls.len() as f64;
    let (secs, cpu) = rt.block_on(get_loop(urls.clone(), user.clone(), pass.clone()));
    eprintln!(
        "  reference in this process: {secs:.2}s, CPU (client and sandbox) {cpu:.2}s, {:.0}/s",
        n / secs
    );
    let in_process = n / secs;
    // The password goes to the child in a 0600 file, never in its argv or environment.
    let list = dir.join("gets.txt");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&list)
            .unwrap();
        writeln!(f, "{user}\n{pass}").unwrap();
        for u in urls.iter() {
            writeln!(f, "{u}").unwrap();
        }
    }
    let mut best = 0f64;
    for threads in [0, 2] {
        let sandbox_cpu = self_cpu();
        let out = Command::new(std::env::current_exe().unwrap())
            .env("SYNC_BENCH_GETS_FROM", &list)
            .env("SYNC_BENCH_GETS_THREADS", threads.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let mut it = text.split_whitespace().map(|v| v.parse::<f64>().unwrap());
        let (secs, cpu) = (it.next().unwrap(), it.next().unwrap());
        eprintln!(
            "  reference in a child process ({}): {secs:.2}s, CPU client {cpu:.2}s, sandbox {:.2}s, {:.0}/s",
            if threads == 0 {
                "one thread".to_string()
            } else {
                format!("{threads} threads")
            },
            self_cpu() - sandbox_cpu,
            n / secs
        );
        best = best.max(n / secs);
    }
    std::fs::remove_file(&list).unwrap();
    (in_process, best)
}

struct Case {
    rate: f64,
    rss_kib: u64,
    work: u64,
    calls: u64,
    secs: f64,
}

fn sync_case(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    name: &str,
    cfg: SandboxConfig,
    n: usize,
) -> (Case, Option<(f64, f64)>) {
    let sb = rt.block_on(Sandbox::start(cfg)).unwrap();
    let info = sb.info();
    let db: PathBuf = dir.join(format!("{name}.db"));
    let (store, team) = prepare(rt, &db, &info);
    let work = plan_all_people(rt, &store, &team, &info, n);
    let fields = sync::fields::FieldPlan::from_mapping(&storage::load(&store, &team).unwrap())
        .of("people")
        .unwrap()
        .api_fields()
        .join(",");
    let ids: Vec<u64> = sb.tenant().people.iter().map(|p| p.id).take(n).collect();
    let reference = (name == "throughput").then(|| reference_gets(rt, dir, &info, &ids, &fields));
    let (secs, rss) = run_worker(&db, &store, &team);
    let st = sync::status::load(store.conn(), team.id).unwrap();
    rt.block_on(sb.shutdown());
    (
        Case {
            rate: work as f64 / secs,
            rss_kib: rss,
            work,
            calls: st.calls_used,
            secs,
        },
        reference,
    )
}

fn main() {
    if let Some(list) = std::env::var_os("SYNC_BENCH_GETS_FROM") {
        get_loop_child(Path::new(&list));
        return;
    }
    // SAFETY: set before any thread starts; the child workers read the same key.
    unsafe { std::env::set_var("ICIMS_ONBOARD_KEY", KEY_HEX) };
    let args: Vec<String> = std::env::args().collect();
    let smoke = !args.iter().any(|a| a == "--bench");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let people = if smoke { 300 } else { 20_000 };
    let cfg = |people: usize, latency_ms: u64| SandboxConfig {
        seed: 1,
        people,
        latency_ms,
        daily_quota: 10_000_000,
        ..Default::default()
    };

    let only = std::env::var("SYNC_BENCH_ONLY").ok();
    let run = |case: &str| only.as_deref().is_none_or(|o| o == case);

    if run("throughput") {
        let (tp, reference) = sync_case(&rt, dir.path(), "throughput", cfg(people, 0), people);
        let (in_process, child) = reference.unwrap_or((f64::NAN, f64::NAN));
        println!(
            "sync throughput: {:.0} records/s ({} records, {} calls, {:.2}s incl. worker start) vs plain profile GETs at concurrency {CONCURRENCY} from a separate process {child:.0}/s: ratio {:.2} (budget ≥ 0.7); from the sandbox's own process {in_process:.0}/s: ratio {:.2}",
            tp.rate,
            tp.work,
            tp.calls,
            tp.secs,
            tp.rate / child,
            tp.rate / in_process
        );
    }

    if run("latency") {
        let lat_people = if smoke { 100 } else { 1_000 };
        let (lat, _) = sync_case(&rt, dir.path(), "latency", cfg(lat_people, 50), lat_people);
        let ideal = CONCURRENCY as f64 / 0.050;
        println!(
            "sync at 50 ms latency: {:.0} records/s vs concurrency/latency {ideal:.0}/s: ratio {:.2} (budget ≥ 0.9)",
            lat.rate,
            lat.rate / ideal
        );
    }

    if run("memory") {
        let (small_n, big_n) = if smoke {
            (100, 400)
        } else {
            let big = std::env::var("SYNC_BENCH_MEM_BIG")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(200_000);
            (10_000, big)
        };
        let (small, _) = sync_case(&rt, dir.path(), "mem_small", cfg(small_n, 0), small_n);
        let (big, _) = sync_case(&rt, dir.path(), "mem_big", cfg(big_n, 0), big_n);
        println!(
            "worker peak RSS: {} KiB for {} records, {} KiB for {} records: ratio {:.2} (flat ≈ 1)",
            small.rss_kib,
            small.work,
            big.rss_kib,
            big.work,
            big.rss_kib as f64 / small.rss_kib.max(1) as f64
        );
    }

    if let Some(n) = std::env::var("SYNC_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|_| !smoke)
    {
        let t = Instant::now();
        let sb = rt.block_on(Sandbox::start(cfg(n, 0))).unwrap();
        let info = sb.info();
        let generated = t.elapsed();
        let db = dir.path().join("scale.db");
        let t = Instant::now();
        let (store, team) = prepare(&rt, &db, &info);
        let import = t.elapsed();
        let (secs, rss) = run_worker(&db, &store, &team);
        // What `sync status` and the monitor pay per refresh at this size, and what
        // counting the rows (instead of the counts the triggers keep) would cost.
        let t = Instant::now();
        let st = sync::status::load(store.conn(), team.id).unwrap();
        let status_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let counted: i64 = store
            .conn()
            .query_row(
                "SELECT COUNT(*) FROM (SELECT object, deleted, COUNT(*) FROM sync_records WHERE team_id = ?1 GROUP BY object, deleted)",
                [team.id],
                |r| r.get(0),
            )
            .unwrap();
        let count_ms = t.elapsed().as_secs_f64() * 1e3;
        assert!(counted > 0);
        println!(
            "scale: {n} people ({} records stored): tenant {:.0}s, export import + mapping {:.0}s, deep sync {:.0}s, {} API calls, worker peak {} MiB; status read {status_ms:.1} ms (counting the rows instead: {count_ms:.0} ms)",
            st.records.people + st.records.jobs + st.records.workflows,
            generated.as_secs_f64(),
            import.as_secs_f64(),
            secs,
            st.calls_used,
            rss / 1024
        );
    }
}
