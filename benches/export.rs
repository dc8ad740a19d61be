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

/// The sqlite3 shell importing `csv` into a fresh database with a 12-column table.
fn shell_import(dir: &Path, csv: &Path, run: usize) -> Duration {
    let db = dir.join(format!("shell-{run}.db"));
    let _ = std::fs::remove_file(&db);
    let cols: Vec<String> = HEADERS.iter().map(|h| format!("\"{h}\" TEXT")).collect();
    let script = format!(
        "CREATE TABLE t ({});\n.mode csv\n.import --skip 1 {} t\n",
        cols.join(", "),
        csv.display()
    );
    let start = Instant::now();
    let mut child = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqlite3 shell (apt-get install sqlite3)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&db);
    elapsed
}

/// Our import (the `export.import` job code) into a fresh store; returns time and rows.
fn our_import(dir: &Path, csv: &Path, run: usize) -> (Duration, u64) {
    let db = dir.join(format!("ours-{run}.db"));
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
    let start = Instant::now();
    let report = export::run_import(
        &mut store,
        &team,
        &handle,
        &params,
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let elapsed = start.elapsed();
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    (elapsed, report.outcome.rows)
}

/// Peak resident memory (VmHWM, KiB) of a child process importing `csv`.
fn import_peak_kib(csv: &Path, dir: &Path) -> u64 {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .arg("--child-import")
        .arg(csv)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "child import: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

fn bench_import(dir: &Path) {
    let rows: usize = std::env::var("EXPORT_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let csv = dir.join("people.csv");
    let t = Instant::now();
    generate_csv(&csv, rows);
    let size = std::fs::metadata(&csv).unwrap().len();
    println!(
        "import: generated {rows} rows x 12 columns, {:.1} MB in {:.1?}",
        size as f64 / 1e6,
        t.elapsed()
    );
    let mut shell = Vec::new();
    let mut ours = Vec::new();
    for run in 0..3 {
        shell.push(shell_import(dir, &csv, run));
        let (d, staged) = our_import(dir, &csv, run);
        assert_eq!(staged, rows as u64);
        ours.push(d);
    }
    let (s, o) = (median(shell), median(ours));
    println!(
        "import: sqlite3 shell .import {:.2?} | icims-onboard import {:.2?} ({:.0} rows/s) | ratio {:.2}x (goal >= 1.5)",
        s,
        o,
        rows as f64 / o.as_secs_f64(),
        s.as_secs_f64() / o.as_secs_f64()
    );
    let small = dir.join("small.csv");
    generate_csv(&small, rows / 4);
    let peak_small = import_peak_kib(&small, dir);
    let peak_full = import_peak_kib(&csv, dir);
    println!(
        "import: peak memory (VmHWM) {:.1} MiB for {} rows, {:.1} MiB for {} rows",
        peak_small as f64 / 1024.0,
        rows / 4,
        peak_full as f64 / 1024.0,
        rows
    );
    let _ = std::fs::remove_file(&small);
    let _ = std::fs::remove_file(&csv);
}

fn bench_sftp(dir: &Path) {
    let Some(server) = sshd::Sshd::start() else {
        println!("sftp: skipped (needs root and /usr/sbin/sshd)");
        return;
    };
    const SIZE: usize = 200 * 1024 * 1024;
    let mut data = vec![0u8; SIZE];
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
    for _ in 0..3 {
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
        assert_eq!(out.size, SIZE as u64);

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
        assert_eq!(std::fs::metadata(&theirs).unwrap().len(), SIZE as u64);
    }
    let (o, t) = (median(ours), median(openssh));
    println!(
        "sftp: 200 MiB download: OpenSSH sftp {:.2?} ({:.0} MiB/s) | icims-onboard {:.2?} ({:.0} MiB/s, incl. SHA-256) | ratio {:.2}x (goal >= 1.0)",
        t,
        200.0 / t.as_secs_f64(),
        o,
        200.0 / o.as_secs_f64(),
        t.as_secs_f64() / o.as_secs_f64()
    );
    let _ = std::fs::remove_file(&local);
    let _ = std::fs::remove_file(&theirs);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child-import") {
        let (csv, dir) = (PathBuf::from(&args[2]), PathBuf::from(&args[3]));
        let _ = our_import(&dir, &csv, 99);
        println!("{}", vm_hwm_kib());
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --all-targets` runs this binary too: stay quick there.
        println!("export bench: run with `cargo bench --bench export` (release)");
        return;
    }
    let only: Option<&str> = args
        .iter()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    let dir = tempfile::tempdir().unwrap();
    if only.is_none_or(|o| "import".contains(o)) {
        bench_import(dir.path());
    }
    if only.is_none_or(|o| "sftp".contains(o)) {
        bench_sftp(dir.path());
    }
}
