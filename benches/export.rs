//! Step 3 budgets, printed as ratios against references measured in the same run:
//!
//! - import of a 1,000,000-row, 12-column CSV vs the `sqlite3` shell's `.mode csv` +
//!   `.import` of the same file into a table with the same columns (goal ≥ 1.5);
//! - peak memory (VmHWM) of the import in a child process, for 250k and 1M rows (flat);
//! - SFTP download vs OpenSSH's `sftp` client from the same private sshd (key auth): a
//!   200 MiB file on loopback (goal ≥ 1.0) and a 50 MiB file through a TCP proxy adding
//!   25 ms each way, i.e. 50 ms round trip (goal ≥ 1.5); ours over 4 sessions (the
//!   default), 2 and 1, interleaved, medians of 5. Needs root and /usr/sbin/sshd;
//!   skipped with a note otherwise. With `EXPORT_BENCH_SFTP_CIPHERS=1`, also libssh2
//!   alone (to memory, no SHA-256) with each strong cipher it offers, on loopback.
//!
//! Run: `cargo bench --bench export` (release; `-- sftp` or `-- import` for one part).
//! `EXPORT_BENCH_ROWS` changes the row count.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/sshd.rs"]
mod sshd;

use std::io::{BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use icims_onboard::export::{self, ImportFile, ImportOptions, ImportParams};
use icims_onboard::sftp::{self, Auth, ConnectOptions, DownloadRequest, HostKeyCheck, SftpClient};
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
    let rounds = if smoke { 1 } else { 5 };
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
    for round in 0..rounds {
        // Interleaved, alternating which side goes first (the machine is shared).
        for k in 0..2 {
            if (round + k) % 2 == 0 {
                let (w, c) = shell_import(dir, &csv);
                shell_wall.push(w);
                shell_cpu.push(c);
            } else {
                let (w, c, peak) = our_import_child(dir, &csv, rows);
                our_wall.push(w);
                our_cpu.push(c);
                peak_full = peak_full.max(peak);
            }
        }
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

/// A TCP proxy on loopback that delays every byte by `one_way` in each direction, so a
/// connection through it has a round trip of twice that (this machine's kernel has no
/// `netem`). Bandwidth is not limited; the delayed bytes queue in the proxy.
fn delay_proxy(upstream: u16, one_way: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            for (from, to) in [
                (client.try_clone().unwrap(), server.try_clone().unwrap()),
                (server, client),
            ] {
                delayed_pipe(from, to, one_way);
            }
        }
    });
    port
}

fn delayed_pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    std::thread::spawn(move || {
        for (due, bytes) in rx {
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if to.write_all(&bytes).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
}

/// Ours: connect, download (ranged over `sessions`), SHA-256, fsync.
fn ours_once(
    server: &sshd::Sshd,
    port: u16,
    remote: &str,
    local: &Path,
    sessions: usize,
) -> Duration {
    let _ = std::fs::remove_file(local);
    let opts = ConnectOptions::new(
        "127.0.0.1",
        port,
        sshd::USER,
        Auth::KeyFile {
            path: server.client_key.clone(),
            passphrase: None,
        },
    );
    let start = Instant::now();
    let client =
        SftpClient::connect(&opts, &HostKeyCheck::Pinned(server.fingerprint.clone())).unwrap();
    let out = client
        .download_ranged(
            &DownloadRequest {
                remote,
                local,
                expected_sha256: None,
                cancel: None,
            },
            sessions,
            &mut |_| {},
        )
        .unwrap();
    client.close();
    let t = start.elapsed();
    assert_eq!(out.size, std::fs::metadata(local).unwrap().len());
    t
}

/// libssh2 alone (through `ssh2`, as our client uses it): one session, key auth, the
/// file read with `READ_CHUNK` buffers into memory and dropped (no SHA-256, no disk), with
/// only `cipher` (and `mac`, for a cipher without its own) offered. Shows each cipher's
/// ceiling on this machine (`EXPORT_BENCH_SFTP_CIPHERS=1`).
fn libssh2_once(
    server: &sshd::Sshd,
    port: u16,
    remote: &str,
    cipher: &str,
    mac: Option<&str>,
) -> Duration {
    let start = Instant::now();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut session = ssh2::Session::new().unwrap();
    for m in [ssh2::MethodType::CryptCs, ssh2::MethodType::CryptSc] {
        session.method_pref(m, cipher).unwrap();
    }
    if let Some(mac) = mac {
        for m in [ssh2::MethodType::MacCs, ssh2::MethodType::MacSc] {
            session.method_pref(m, mac).unwrap();
        }
    }
    session.set_tcp_stream(tcp);
    session.handshake().unwrap();
    assert_eq!(
        session.methods(ssh2::MethodType::CryptSc),
        Some(cipher),
        "negotiated cipher"
    );
    session
        .userauth_pubkey_file(sshd::USER, None, &server.client_key, None)
        .unwrap();
    let sftp = session.sftp().unwrap();
    let mut file = sftp.open(Path::new(remote)).unwrap();
    let mut buf = vec![0u8; sftp::READ_CHUNK];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
    }
    drop(file);
    drop(sftp);
    let _ = session.disconnect(None, "done", None);
    let t = start.elapsed();
    assert!(total > 0);
    t
}

/// OpenSSH's `sftp -b`: connect (key auth), `get`.
fn openssh_once(server: &sshd::Sshd, port: u16, remote: &str, local: &Path) -> Duration {
    let _ = std::fs::remove_file(local);
    let start = Instant::now();
    let mut child = Command::new("sftp")
        .args(["-q", "-b", "-", "-i"])
        .arg(&server.client_key)
        .args([
            "-P",
            &port.to_string(),
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
        .write_all(format!("get {} {}\n", remote, local.display()).as_bytes())
        .unwrap();
    let status = child.wait_with_output().unwrap();
    let t = start.elapsed();
    assert!(
        status.status.success(),
        "sftp: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    t
}

fn bench_sftp(dir: &Path, smoke: bool) {
    let Some(server) = sshd::Sshd::start() else {
        println!("sftp: skipped (needs root and /usr/sbin/sshd)");
        return;
    };
    let rounds = if smoke { 1 } else { 5 };
    // (what, one-way delay, size in MiB, goal)
    let cases: [(&str, Duration, usize, f64); 2] = if smoke {
        [
            ("loopback", Duration::ZERO, 4, 1.0),
            ("10 ms RTT", Duration::from_millis(5), 20, 1.5),
        ]
    } else {
        [
            ("loopback", Duration::ZERO, 200, 1.0),
            ("50 ms RTT", Duration::from_millis(25), 50, 1.5),
        ]
    };
    for (what, one_way, size_mib, goal) in cases {
        let size = size_mib * 1024 * 1024;
        let mut data = vec![0u8; size];
        let mut x: u64 = 0x9E3779B97F4A7C15 ^ size as u64;
        for chunk in data.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        let remote = server.put(&format!("big-{size_mib}.bin"), &data);
        drop(data);
        let port = if one_way.is_zero() {
            server.port
        } else {
            delay_proxy(server.port, one_way)
        };
        let local: PathBuf = dir.join("ours.bin");
        let theirs: PathBuf = dir.join("theirs.bin");
        let (mut ranged, mut two, mut single, mut openssh) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            // Interleaved; the order rotates so no side always runs first.
            for k in 0..4 {
                match (round + k) % 4 {
                    0 => ranged.push(ours_once(
                        &server,
                        port,
                        &remote,
                        &local,
                        sftp::DEFAULT_SESSIONS,
                    )),
                    1 => two.push(ours_once(&server, port, &remote, &local, 2)),
                    2 => single.push(ours_once(&server, port, &remote, &local, 1)),
                    _ => openssh.push(openssh_once(&server, port, &remote, &theirs)),
                }
            }
        }
        let (r, o2, o1, t) = (median(ranged), median(two), median(single), median(openssh));
        let rate = |d: Duration| size_mib as f64 / d.as_secs_f64();
        let ratio = |d: Duration| t.as_secs_f64() / d.as_secs_f64();
        println!(
            "sftp: {what}, {size_mib} MiB: OpenSSH sftp {t:.2?} ({:.0} MiB/s) | icims-onboard {} sessions {r:.2?} ({:.0} MiB/s), 2 sessions {o2:.2?} ({:.0} MiB/s), 1 session {o1:.2?} ({:.0} MiB/s) | ratio {:.2}x, 2 sessions {:.2}x, 1 session {:.2}x (goal >= {goal}); medians of {rounds}, each incl. connect; ours incl. SHA-256 and fsync",
            rate(t),
            sftp::DEFAULT_SESSIONS,
            rate(r),
            rate(o2),
            rate(o1),
            ratio(r),
            ratio(o2),
            ratio(o1),
        );
        if one_way.is_zero() && std::env::var_os("EXPORT_BENCH_SFTP_CIPHERS").is_some() {
            cipher_probe(&server, port, &remote, &theirs, size_mib, rounds);
        }
        let _ = std::fs::remove_file(&local);
        let _ = std::fs::remove_file(&theirs);
        let _ = std::fs::remove_file(&remote);
    }
}

/// Each cipher libssh2 offers (strong ones only), read by libssh2 alone against OpenSSH's
/// `sftp` in the same rounds.
fn cipher_probe(
    server: &sshd::Sshd,
    port: u16,
    remote: &str,
    theirs: &Path,
    size_mib: usize,
    rounds: usize,
) {
    let variants: [(&str, Option<&str>); 5] = [
        ("aes128-gcm@openssh.com", None),
        ("aes256-gcm@openssh.com", None),
        ("chacha20-poly1305@openssh.com", None),
        ("aes128-ctr", Some("hmac-sha2-256-etm@openssh.com")),
        ("aes128-ctr", Some("hmac-sha2-256")),
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); variants.len() + 1];
    for round in 0..rounds {
        for k in 0..=variants.len() {
            let i = (round + k) % (variants.len() + 1);
            if i == variants.len() {
                times[i].push(openssh_once(server, port, remote, theirs));
            } else {
                let (cipher, mac) = variants[i];
                times[i].push(libssh2_once(server, port, remote, cipher, mac));
            }
        }
    }
    let openssh = median(times[variants.len()].clone());
    let rate = |d: Duration| size_mib as f64 / d.as_secs_f64();
    println!(
        "sftp ciphers: OpenSSH sftp {openssh:.2?} ({:.0} MiB/s), its defaults, to disk",
        rate(openssh)
    );
    for (i, (cipher, mac)) in variants.iter().enumerate() {
        let t = median(times[i].clone());
        println!(
            "sftp ciphers: libssh2 alone, {cipher}{} {t:.2?} ({:.0} MiB/s), {:.2}x OpenSSH; to memory, no SHA-256",
            mac.map(|m| format!(" + {m}")).unwrap_or_default(),
            rate(t),
            openssh.as_secs_f64() / t.as_secs_f64()
        );
    }
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
