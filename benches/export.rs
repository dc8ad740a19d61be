//! Step 3 budgets, printed as ratios against references measured in the same run:
//!
//! - import of a 1,000,000-row, 12-column CSV vs the `sqlite3` shell's `.mode csv` +
//!   `.import` of the same file into a table with the same columns (goal ≥ 1.5);
//! - peak memory (VmHWM) of the import in a child process, for 250k and 1M rows (flat);
//! - SFTP download of a 200 MB file vs OpenSSH's `sftp` client from the same private
//!   sshd (goal ≥ 1.0). Needs root and /usr/sbin/sshd; skipped with a note otherwise.
//!
//! Run: `cargo bench --bench export` (release). `EXPORT_BENCH_ROWS` changes the row count.

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use icims_onboard::export::{self, ImportFile, ImportOptions, ImportParams};
use icims_onboard::sftp::{Auth, ConnectOptions, DownloadRequest, HostKeyCheck, SftpClient};
use icims_onboard::store::{Actor, KeyRing, NewTeam, Store};
use icims_onboard::worker::{self, JobHandle};

const HEADERS: [&str; 12] = [
    "ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "City",
    "State",
    "Status",
    "Created Date",
    "Updated Date",
    "Source",
    "Note",
];

fn generate_csv(path: &Path, rows: usize) {
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(w, "{}", HEADERS.join(",")).unwrap();
    let firsts = ["Ann", "José", "Zoë", "Li", "Omar", "Renée", "Sam", "Tomás"];
    let cities = ["Boston", "Zürich", "Austin", "Paris", "Lagos", "Osaka"];
    let statuses = [
        "New Submission",
        "Hired",
        "Rejected - Not Qualified",
        "Interview Scheduled",
        "Offer Extended",
    ];
    let sources = ["LinkedIn", "Referral", "Career Site", "Agency"];
    for i in 0..rows {
        let note = match i % 50 {
            0 => "\"Said \"\"call me later\"\", prefers email\"".to_string(),
            1 => "\"two\nlines\"".to_string(),
            _ => format!("note {}", i % 997),
        };
        writeln!(
            w,
            "{},{},Smith{},p{}@example.com,+1-555-{:04},{},MA,{},2024-{:02}-{:02} 09:00:00,2025-{:02}-{:02} {:02}:{:02}:00,{},{}",
            100_000 + i,
            firsts[i % firsts.len()],
            i % 1000,
            i,
            i % 10_000,
            cities[i % cities.len()],
            statuses[i % statuses.len()],
            1 + i % 12,
            1 + i % 28,
            1 + (i / 7) % 12,
            1 + (i / 3) % 28,
            i % 24,
            i % 60,
            sources[i % sources.len()],
            note
        )
        .unwrap();
    }
    w.flush().unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// CPU time (user + system) used so far by waited-for children.
fn children_cpu() -> Duration {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs `cmd` (feeding `stdin`) to completion; returns wall time, CPU time and stdout.
fn measure(mut cmd: Command, stdin: &str) -> (Duration, Duration, String) {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let wall = start.elapsed();
    let cpu = children_cpu() - cpu_before;
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (wall, cpu, String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The sqlite3 shell importing `csv` into a fresh database with a 12-column table.
fn shell_import(dir: &Path, csv: &Path) -> (Duration, Duration) {
    let db = dir.join("shell.db");
    let _ = std::fs::remove_file(&db);
    let cols: Vec<String> = HEADERS.iter().map(|h| format!("\"{h}\" TEXT")).collect();
    let script = format!(
        "CREATE TABLE t ({});\n.mode csv\n.import --skip 1 {} t\n",
        cols.join(", "),
        csv.display()
    );
    let mut cmd = Command::new("sqlite3");
    cmd.arg(&db);
    let (wall, cpu, _) = measure(cmd, &script);
    let _ = std::fs::remove_file(&db);
    (wall, cpu)
}

/// Our import (the `export.import` job code, in a child process like the worker) into a
/// fresh store; returns wall time, CPU time and the child's peak memory in KiB.
fn our_import_child(dir: &Path, csv: &Path, rows: usize) -> (Duration, Duration, u64) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.arg("--child-import").arg(csv).arg(dir);
    let (wall, cpu, out) = measure(cmd, "");
    let mut parts = out.split_whitespace();
    let staged: u64 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    assert_eq!(staged, rows as u64, "rows staged");
    let peak = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (wall, cpu, peak)
}

/// Our import into a fresh store (runs in the child); returns rows staged.
fn our_import(dir: &Path, csv: &Path) -> u64 {
    let db = dir.join("ours.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut store = Store::open(&db)
        .unwrap()
        .with_keyring(KeyRing::from_bytes(&[9; 32]));
    let team = store
        .add_team(
            &NewTeam {
                name: "Bench".into(),
                customer_id: 1,
                ..Default::default()
            },
            &Actor::named("bench"),
        )
        .unwrap();
    let params = ImportParams {
        files: vec![ImportFile::from_path(csv.to_path_buf())],
        object: None,
        ..Default::default()
    };
    let id = store
        .enqueue_job(
            &team,
            export::IMPORT_JOB,
            &serde_json::to_value(&params).unwrap(),
        )
        .unwrap();
    let owner = worker::owner_id();
    let job = worker::claim_job_by_id(&store, id, &owner, 600)
        .unwrap()
        .unwrap();
    let handle = JobHandle {
        id: job.id,
        owner,
        actor: "bench".into(),
        checkpoint: None,
        cancel: Default::default(),
    };
    let report = export::run_import(
        &mut store,
        &team,
        &handle,
        &params,
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    report.outcome.rows
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn bench_import(dir: &Path, smoke: bool) {
    let rows: usize = std::env::var("EXPORT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 2_000 } else { 1_000_000 });
    let rounds = if smoke { 1 } else { 3 };
    let csv = dir.join("people.csv");
    let t = Instant::now();
    generate_csv(&csv, rows);
    let size = std::fs::metadata(&csv).unwrap().len();
    println!(
        "import: generated {rows} rows x 12 columns, {:.1} MB in {:.1?}",
        size as f64 / 1e6,
        t.elapsed()
    );
    let (mut shell_wall, mut shell_cpu, mut our_wall, mut our_cpu) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut peak_full = 0;
    for _ in 0..rounds {
        let (w, c) = shell_import(dir, &csv);
        shell_wall.push(w);
        shell_cpu.push(c);
        let (w, c, peak) = our_import_child(dir, &csv, rows);
        our_wall.push(w);
        our_cpu.push(c);
        peak_full = peak_full.max(peak);
    }
    let (sw, sc, ow, oc) = (
        median(shell_wall),
        median(shell_cpu),
        median(our_wall),
        median(our_cpu),
    );
    println!(
        "import: sqlite3 shell .import wall {sw:.2?} cpu {sc:.2?} | icims-onboard import wall {ow:.2?} cpu {oc:.2?} ({:.0} rows/s)",
        rows as f64 / ow.as_secs_f64()
    );
    println!(
        "import: ratio (shell / ours) wall {:.2}x, cpu {:.2}x (goal >= 1.5); medians of {rounds} run(s), each in a fresh database",
        sw.as_secs_f64() / ow.as_secs_f64(),
        sc.as_secs_f64() / oc.as_secs_f64()
    );
    let small = dir.join("small.csv");
    generate_csv(&small, rows / 4);
    let (_, _, peak_small) = our_import_child(dir, &small, rows / 4);
    println!(
        "import: peak memory (VmHWM of the importing process) {:.1} MiB for {} rows, {:.1} MiB for {} rows",
        peak_small as f64 / 1024.0,
        rows / 4,
        peak_full as f64 / 1024.0,
        rows
    );
    let _ = std::fs::remove_file(&small);
    let _ = std::fs::remove_file(&csv);
}

fn bench_sftp(dir: &Path, smoke: bool) {
    let Some(server) = sshd::Sshd::start() else {
        println!("sftp: skipped (needs root and /usr/sbin/sshd)");
        return;
    };
    let size_mib = if smoke { 4 } else { 200 };
    let rounds = if smoke { 1 } else { 3 };
    let size = size_mib * 1024 * 1024;
    let mut data = vec![0u8; size];
    let mut x: u64 = 0x9E3779B97F4A7C15;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let remote = server.put("big.bin", &data);
    drop(data);
    let opts = || {
        ConnectOptions::new(
            "127.0.0.1",
            server.port,
            sshd::USER,
            Auth::KeyFile {
                path: server.client_key.clone(),
                passphrase: None,
            },
        )
    };
    let local: PathBuf = dir.join("ours.bin");
    let theirs: PathBuf = dir.join("theirs.bin");
    let mut ours = Vec::new();
    let mut openssh = Vec::new();
    for _ in 0..rounds {
        let _ = std::fs::remove_file(&local);
        let start = Instant::now();
        let client =
            SftpClient::connect(&opts(), &HostKeyCheck::Pinned(server.fingerprint.clone()))
                .unwrap();
        let out = client
            .download(
                &DownloadRequest {
                    remote: &remote,
                    local: &local,
                    expected_sha256: None,
                    cancel: None,
                },
                &mut |_| {},
            )
            .unwrap();
        ours.push(start.elapsed());
        assert_eq!(out.size, size as u64);

        let _ = std::fs::remove_file(&theirs);
        let start = Instant::now();
        let mut child = Command::new("sftp")
            .args(["-q", "-b", "-", "-i"])
            .arg(&server.client_key)
            .args([
                "-P",
                &server.port.to_string(),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                &format!("{}@127.0.0.1", sshd::USER),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("sftp client (apt-get install openssh-client)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("get {} {}\n", remote, theirs.display()).as_bytes())
            .unwrap();
        let status = child.wait_with_output().unwrap();
        openssh.push(start.elapsed());
        assert!(
            status.status.success(),
            "sftp: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert_eq!(std::fs::metadata(&theirs).unwrap().len(), size as u64);
    }
    let (o, t) = (median(ours), median(openssh));
    println!(
        "sftp: {size_mib} MiB download: OpenSSH sftp {:.2?} ({:.0} MiB/s) | icims-onboard {:.2?} ({:.0} MiB/s, incl. SHA-256) | ratio {:.2}x (goal >= 1.0)",
        t,
        size_mib as f64 / t.as_secs_f64(),
        o,
        size_mib as f64 / o.as_secs_f64(),
        t.as_secs_f64() / o.as_secs_f64()
    );
    let _ = std::fs::remove_file(&local);
    let _ = std::fs::remove_file(&theirs);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-import") {
        let (csv, dir) = (PathBuf::from(&args[2]), PathBuf::from(&args[3]));
        let rows = our_import(&dir, &csv);
        println!("{rows} {}", vm_hwm_kib());
        return;
    }
    // `cargo test --all-targets` runs this binary too: there it is a quick smoke run
    // (small counts, one round); the figures come from `cargo bench` (release).
    let smoke = !args.iter().any(|a| a == "--bench");
    let only: Option<&str> = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    let dir = tempfile::tempdir().unwrap();
    if only.is_none_or(|o| "import".contains(o)) {
        bench_import(dir.path(), smoke);
    }
    if only.is_none_or(|o| "sftp".contains(o)) {
        bench_sftp(dir.path(), smoke);
    }
}
