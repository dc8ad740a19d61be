//! Export import on generated files: quoting, embedded newlines, BOMs, every encoding,
//! other delimiters, zip and gz wrappers, a corpus of malformed files with exact counts
//! and quarantine, the per-file summary, and SIGKILL of the importing process at several
//! points followed by a resume that stages exactly the rows of an uninterrupted import.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use icims_onboard::export::{self, ImportFile, ImportParams, ObjectKind, TextEncoding};
use icims_onboard::onboarding::facts::{ExportOutcome, keys};
use icims_onboard::store::{Actor, JobState, KeyRing, NewTeam, Store, Team};
use icims_onboard::worker;

// ---------- generating exports ----------

const HEADERS: [&str; 7] = [
    "ID",
    "First Name",
    "Last Name",
    "Email",
    "Note",
    "Updated Date",
    "Status",
];

/// Rows exercising quoting, delimiters inside fields, embedded newlines, empty values and
/// non-ASCII letters that Windows-1252 can also represent.
fn canonical_rows(n: usize) -> Vec<Vec<String>> {
    let firsts = ["José", "Zoë", "Jürgen", "Ann", "Renée"];
    let notes = [
        "plain",
        "comma, inside",
        "semi; colon",
        "tab\tinside",
        "pipe | here",
        "He said \"hi\"",
        "line one\nline two",
        "",
        "crlf\r\ninside",
        "price 5 €",
    ];
    let statuses = ["New Submission", "Hired", "Rejected - Not Qualified", ""];
    (0..n)
        .map(|i| {
            vec![
                format!("{}", 1000 + i),
                firsts[i % firsts.len()].to_string(),
                format!("Smith-{i}"),
                if i % 7 == 3 {
                    String::new()
                } else {
                    format!("p{i}@example.com")
                },
                notes[i % notes.len()].to_string(),
                format!("2025-{:02}-{:02} 0{}:30:00", 1 + i % 12, 1 + i % 28, i % 10),
                statuses[i % statuses.len()].to_string(),
            ]
        })
        .collect()
}

fn csv_line(fields: &[&str], delim: char, eol: &str) -> String {
    let quote = |f: &str| {
        if f.contains(delim) || f.contains('"') || f.contains('\n') || f.contains('\r') {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    };
    let mut line = fields
        .iter()
        .map(|f| quote(f))
        .collect::<Vec<_>>()
        .join(&delim.to_string());
    line.push_str(eol);
    line
}

fn csv_text(headers: &[&str], rows: &[Vec<String>], delim: char, eol: &str) -> String {
    let mut out = csv_line(headers, delim, eol);
    for r in rows {
        let fields: Vec<&str> = r.iter().map(String::as_str).collect();
        out.push_str(&csv_line(&fields, delim, eol));
    }
    out
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.add_directory("export/", opts).unwrap();
    for (name, bytes) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

// ---------- running imports through the job path ----------

struct Env {
    dir: tempfile::TempDir,
    store: Store,
    team: Team,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"))
            .unwrap()
            .with_keyring(KeyRing::from_bytes(&[3; 32]));
        let team = store
            .add_team(
                &NewTeam {
                    name: "Acme".into(),
                    customer_id: 42,
                    ..Default::default()
                },
                &Actor::named("t"),
            )
            .unwrap();
        Env { dir, store, team }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("t.db")
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Queues an import job and runs it in this process like `export import` does.
    fn import(&self, files: &[PathBuf], object: Option<ObjectKind>) -> worker::JobOutcome {
        let params = ImportParams {
            files: files.iter().cloned().map(ImportFile::from_path).collect(),
            object,
            ..Default::default()
        };
        let id = self
            .store
            .enqueue_job(
                &self.team,
                export::IMPORT_JOB,
                &serde_json::to_value(&params).unwrap(),
            )
            .unwrap();
        worker::run_job_inline(&self.db(), id, &mut |_| {})
            .unwrap()
            .unwrap()
    }

    fn staged(&self, file: &str) -> Vec<Vec<String>> {
        staged_rows(self.store.conn(), file)
            .into_iter()
            .map(|(_, r)| r)
            .collect()
    }
}

/// `(line, values)` of the staged rows of `file`, in insertion order.
fn staged_rows(conn: &rusqlite::Connection, file: &str) -> Rows {
    let id: i64 = conn
        .query_row("SELECT id FROM export_units WHERE name = ?1", [file], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("no unit {file}: {e}"));
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM export_stage_{id} ORDER BY rowid"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let line: i64 = r.get(0)?;
        let vals = (1..n)
            .map(|i| r.get::<_, String>(i))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((line, vals))
    })
    .unwrap()
    .collect::<rusqlite::Result<Vec<_>>>()
    .unwrap()
}

fn summary_of(env: &Env, name: &str) -> export::UnitSummary {
    export::summary::unit_summary(&env.store, &env.team, name)
        .unwrap()
        .unwrap_or_else(|| panic!("no summary for {name}"))
}

// ---------- tests ----------

#[test]
fn every_encoding_delimiter_and_wrapper_stages_the_same_rows() {
    let env = Env::new();
    let rows = canonical_rows(60);
    let comma = csv_text(&HEADERS, &rows, ',', "\n");
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(comma.as_bytes());
    let (cp1252, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&comma);
    assert!(!unmappable);
    let cases: Vec<(&str, Vec<u8>, TextEncoding)> = vec![
        ("utf8.csv", comma.as_bytes().to_vec(), TextEncoding::Utf8),
        ("bom.csv", bom.clone(), TextEncoding::Utf8Bom),
        ("utf16le.csv", utf16(&comma, true), TextEncoding::Utf16Le),
        ("utf16be.csv", utf16(&comma, false), TextEncoding::Utf16Be),
        ("cp1252.csv", cp1252.to_vec(), TextEncoding::Windows1252),
        (
            "semicolon.csv",
            csv_text(&HEADERS, &rows, ';', "\r\n").into_bytes(),
            TextEncoding::Utf8,
        ),
        (
            "tabs.tsv",
            csv_text(&HEADERS, &rows, '\t', "\n").into_bytes(),
            TextEncoding::Utf8,
        ),
        ("people.csv.gz", gzip(&bom), TextEncoding::Utf8Bom),
        (
            "utf16.csv.gz",
            gzip(&utf16(&comma, true)),
            TextEncoding::Utf16Le,
        ),
    ];
    let mut paths: Vec<PathBuf> = cases.iter().map(|(n, b, _)| env.write(n, b)).collect();
    let zipped = zip(&[
        ("export/a.csv", comma.as_bytes()),
        ("export/b.csv", &utf16(&comma, false)),
    ]);
    paths.push(env.write("bundle.zip", &zipped));

    let outcome = env.import(&paths, Some(ObjectKind::People));
    assert_eq!(outcome.state, JobState::Done, "{:?}", outcome.error);

    let mut names: Vec<(String, Option<TextEncoding>)> = cases
        .iter()
        .map(|(n, _, e)| (n.to_string(), Some(*e)))
        .collect();
    names.push(("bundle.zip/export/a.csv".into(), Some(TextEncoding::Utf8)));
    names.push((
        "bundle.zip/export/b.csv".into(),
        Some(TextEncoding::Utf16Be),
    ));
    for (name, enc) in &names {
        assert_eq!(env.staged(name), rows, "rows of {name}");
        let s = summary_of(&env, name);
        assert_eq!(s.rows, 60, "{name}");
        assert_eq!(s.bad_rows, 0, "{name}");
        if let Some(enc) = enc {
            assert_eq!(s.encoding, *enc, "{name}");
        }
        let header_names: Vec<&str> = s.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(header_names, HEADERS, "{name}");
    }
    // Line numbers follow the source, embedded newlines included.
    let lines: Vec<i64> = staged_rows(env.store.conn(), "utf8.csv")
        .iter()
        .map(|(l, _)| *l)
        .collect();
    assert_eq!(lines[..8], [2, 3, 4, 5, 6, 7, 8, 10]);
    assert_eq!(summary_of(&env, "semicolon.csv").delimiter, ";");
    assert_eq!(summary_of(&env, "tabs.tsv").delimiter, "\\t");

    let fact: ExportOutcome = env
        .store
        .fact(&env.team, keys::EXPORT_IMPORTED)
        .unwrap()
        .unwrap();
    assert_eq!(fact.files, 11);
    assert_eq!(fact.rows, 660);
    assert_eq!(fact.bad_rows, 0);
    assert_eq!(fact.statuses, 3);
    assert_eq!(fact.cutoff.as_deref(), Some("2025-12-24T03:30:00"));
}

#[test]
fn summary_reports_fill_samples_cutoff_and_statuses() {
    let env = Env::new();
    let rows = canonical_rows(100);
    let p = env.write(
        "applicant_workflows.csv",
        csv_text(&HEADERS, &rows, ',', "\n").as_bytes(),
    );
    assert_eq!(env.import(&[p], None).state, JobState::Done);
    let s = summary_of(&env, "applicant_workflows.csv");
    assert_eq!(s.object, ObjectKind::Workflows);
    assert_eq!(s.rows, 100);
    let email = &s.columns[3];
    assert_eq!(email.filled, 100 - 14); // every 7th row from the 4th is empty
    assert!((email.fill_rate - 0.86).abs() < 1e-9);
    assert_eq!(
        email.samples,
        ["p0@example.com", "p1@example.com", "p2@example.com"]
    );
    assert_eq!(s.updated_column.as_deref(), Some("Updated Date"));
    assert_eq!(s.earliest.as_deref(), Some("2025-01-01T00:30:00"));
    assert_eq!(s.cutoff.as_deref(), Some("2025-12-28T03:30:00"));
    assert_eq!(s.status_column.as_deref(), Some("Status"));
    assert_eq!(
        s.statuses,
        [
            ("Hired".to_string(), 25),
            ("New Submission".to_string(), 25),
            ("Rejected - Not Qualified".to_string(), 25)
        ]
    );
    let all = export::export_summary(&env.store, &env.team, 10).unwrap();
    assert_eq!(all.files.len(), 1);
    assert_eq!(all.files[0].object, "workflows");
    assert_eq!(all.files[0].cutoff.as_deref(), Some("2025-12-28T03:30:00"));
}

#[test]
fn malformed_corpus_quarantines_exactly_the_bad_rows() {
    let env = Env::new();
    let mut bad = Vec::new();
    bad.extend_from_slice(b"ID,Name,Note,Updated\n"); // 1
    bad.extend_from_slice("1,Zoë Ångström,ok,2026-01-01\n".as_bytes()); // 2 good
    bad.extend_from_slice(b"2,Bob,short\n"); // 3 too few
    bad.extend_from_slice("3,José,\"multi\nline\",2026-01-02\n".as_bytes()); // 4-5 good
    bad.extend_from_slice(b"4,Di,too,many,fields\n"); // 6 too many
    bad.extend_from_slice(b"5,Ed,\xFF\xFE bad,2026-01-03\n"); // 7 invalid UTF-8
    bad.extend_from_slice(b"6,Fay,"); // 8 oversize field
    bad.extend(std::iter::repeat_n(b'x', (1 << 20) + 1));
    bad.extend_from_slice(b",2026-01-04\n");
    bad.extend_from_slice("7,Jürgen,ok,2026-01-05\n".as_bytes()); // 9 good
    bad.extend_from_slice(b"\n"); // 10 blank: skipped
    bad.extend_from_slice(b"10,Kim,ok,2026-13-01\n"); // 11 invalid date
    bad.extend_from_slice(b"11x,Lu,ok,2026-01-08\n"); // 12 id not a number
    bad.extend_from_slice(b"8,Hal,\"unterminated,2026-01-06\n9,Ivy,ok,2026-01-07\n"); // 13-14
    let mixed = env.write("people_mixed.csv", &bad);

    // UTF-16 with a lone surrogate in one field.
    let mut u16 = utf16("ID,Name\n1,Ann\n2,", true);
    u16.extend_from_slice(&0xDC00u16.to_le_bytes());
    u16.extend_from_slice(&utf16("x\n3,Cy\n", true)[2..]);
    let surrogate = env.write("people16.csv", &u16);

    let empty = env.write("empty.csv", b"");
    let header_only = env.write("header_only.csv", b"ID,Name\r\n");
    let full = gzip(csv_text(&HEADERS, &canonical_rows(3000), ',', "\n").as_bytes());
    let truncated = env.write("jobs_truncated.csv.gz", &full[..full.len() / 2]);
    let not_zip = env.write("broken.zip", b"PK\x03\x04 this is not really a zip");

    let outcome = env.import(
        &[mixed, surrogate, empty, header_only, truncated, not_zip],
        None,
    );
    assert_eq!(outcome.state, JobState::Failed);
    let err = outcome.error.unwrap();
    assert!(err.contains("3 of 6 files"), "{err}");
    assert!(
        err.contains("empty.csv: the file is empty (no header row)"),
        "{err}"
    );
    assert!(err.contains("jobs_truncated.csv.gz"), "{err}");
    assert!(
        err.contains("broken.zip: not a readable zip archive"),
        "{err}"
    );

    let s = summary_of(&env, "people_mixed.csv");
    assert_eq!(s.encoding, TextEncoding::Utf8);
    assert_eq!(
        (s.rows, s.bad_rows),
        (3, 7),
        "{:?}",
        env.staged("people_mixed.csv")
    );
    assert_eq!(
        env.staged("people_mixed.csv"),
        [
            vec!["1", "Zoë Ångström", "ok", "2026-01-01"],
            vec!["3", "José", "multi\nline", "2026-01-02"],
            vec!["7", "Jürgen", "ok", "2026-01-05"],
        ]
    );
    let q = export::quarantine(&env.store, &env.team, Some("people_mixed.csv"), 100).unwrap();
    let got: Vec<(u64, &str)> = q.iter().map(|e| (e.line, e.reason.as_str())).collect();
    assert_eq!(
        got,
        [
            (3, "wrong column count: expected 4 fields, found 3"),
            (6, "wrong column count: expected 4 fields, found 5"),
            (
                7,
                "invalid encoding: field \"Note\" (column 3) is not valid UTF-8"
            ),
            (
                8,
                "oversize field: \"Note\" (column 3) is 1048577 bytes, over the 1048576-byte limit"
            ),
            (11, "invalid date in Updated: \"2026-13-01\""),
            (12, "invalid ID: not a number (\"11x\")"),
            (13, "wrong column count: expected 4 fields, found 3"),
        ]
    );
    assert_eq!(q[0].excerpt.as_deref(), Some("2,Bob,short"));

    let s16 = summary_of(&env, "people16.csv");
    assert_eq!((s16.rows, s16.bad_rows), (2, 1));
    let q16 = export::quarantine(&env.store, &env.team, Some("people16.csv"), 10).unwrap();
    assert_eq!(q16.len(), 1);
    assert_eq!(q16[0].line, 3);
    assert_eq!(
        q16[0].reason,
        "invalid encoding: field \"Name\" (column 2) is not valid UTF-16"
    );

    let h = summary_of(&env, "header_only.csv");
    assert_eq!((h.rows, h.bad_rows), (0, 0));

    let files = export::export_summary(&env.store, &env.team, 100)
        .unwrap()
        .files;
    let state = |n: &str| {
        files
            .iter()
            .find(|f| f.name == n)
            .map(|f| f.state.clone())
            .unwrap()
    };
    assert_eq!(state("empty.csv"), "failed");
    assert_eq!(state("jobs_truncated.csv.gz"), "failed");
    assert_eq!(state("broken.zip"), "failed");
    assert_eq!(state("people_mixed.csv"), "done");
    // A failed file keeps step 3 from being recorded as done.
    assert!(
        env.store
            .fact::<ExportOutcome>(&env.team, keys::EXPORT_IMPORTED)
            .unwrap()
            .is_none()
    );
}

#[test]
fn reimporting_a_file_replaces_its_rows_and_quarantine() {
    let env = Env::new();
    let p = env.write("people.csv", b"ID,Name\n1,Ann\n2\n");
    assert_eq!(
        env.import(std::slice::from_ref(&p), None).state,
        JobState::Done
    );
    std::fs::write(&p, b"ID,Name\n1,Ann\n2,Bob\n3,Cy\n").unwrap();
    assert_eq!(env.import(&[p], None).state, JobState::Done);
    assert_eq!(env.staged("people.csv").len(), 3);
    assert!(
        export::quarantine(&env.store, &env.team, None, 10)
            .unwrap()
            .is_empty()
    );
    let fact: ExportOutcome = env
        .store
        .fact(&env.team, keys::EXPORT_IMPORTED)
        .unwrap()
        .unwrap();
    assert_eq!((fact.files, fact.rows, fact.bad_rows), (1, 3, 0));
}

// ---------- SIGKILL and resume, through the real binary ----------

/// A larger export with bad rows sprinkled in: a plain CSV and a gzipped one.
fn kill_corpus(dir: &Path) -> Vec<PathBuf> {
    let rows = canonical_rows(40_000);
    let mut text = csv_line(&HEADERS, ',', "\n");
    for (i, r) in rows.iter().enumerate() {
        let fields: Vec<&str> = r.iter().map(String::as_str).collect();
        text.push_str(&csv_line(&fields, ',', "\n"));
        if i % 997 == 500 {
            text.push_str("bad,row\n"); // wrong column count
        }
    }
    let a = dir.join("people.csv");
    std::fs::write(&a, text.as_bytes()).unwrap();
    let b = dir.join("jobs.csv.gz");
    std::fs::write(&b, gzip(&utf16(&text, true))).unwrap();
    vec![a, b]
}

fn cli_import(sb: &common::Sandbox, files: &[PathBuf]) -> Command {
    let mut cmd = sb.command();
    cmd.arg("export").arg("import").arg("Acme");
    for f in files {
        cmd.arg(f);
    }
    cmd.env("ICIMS_ONBOARD_IMPORT_BATCH_ROWS", "500")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// `(unit_index, rows)` of the running import, from its job row.
fn import_progress(db: &Path) -> Option<(u64, u64)> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    conn.busy_timeout(Duration::from_secs(5)).ok()?;
    let progress: Option<String> = conn
        .query_row(
            "SELECT progress FROM jobs WHERE kind = 'export.import' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok()?;
    let v: serde_json::Value = serde_json::from_str(&progress?).ok()?;
    Some((
        v["import"]["unit_index"].as_u64()?,
        v["import"]["rows"].as_u64()?,
    ))
}

/// `(line, values)` of each staged row.
type Rows = Vec<(i64, Vec<String>)>;

struct Staged {
    units: Vec<(String, i64, i64, Option<String>)>,
    rows: Vec<(String, Rows)>,
    quarantine: Vec<(String, i64, String)>,
}

fn staged_state(db: &Path) -> Staged {
    let conn = rusqlite::Connection::open(db).unwrap();
    let units: Vec<(String, i64, i64, Option<String>)> = conn
        .prepare("SELECT name, rows, bad_rows, summary FROM export_units ORDER BY name")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let rows = units
        .iter()
        .map(|(name, ..)| (name.clone(), staged_rows(&conn, name)))
        .collect();
    let quarantine = conn
        .prepare("SELECT file, line, reason FROM export_quarantine ORDER BY file, line, id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    Staged {
        units,
        rows,
        quarantine,
    }
}

#[test]
fn sigkill_at_several_points_then_resume_stages_exactly_the_uninterrupted_rows() {
    let corpus_dir = tempfile::tempdir().unwrap();
    let files = kill_corpus(corpus_dir.path());

    // Reference: one uninterrupted import.
    let reference = common::Sandbox::new();
    reference.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let out = cli_import(&reference, &files).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = staged_state(&reference.db());
    let total_rows: i64 = expected.units.iter().map(|u| u.1).sum();
    assert_eq!(total_rows, 80_000);
    let bad_per_file = (0..40_000).filter(|i| i % 997 == 500).count();
    assert_eq!(expected.quarantine.len(), 2 * bad_per_file);

    // Killed at several points: early in the first file, late in it, inside the
    // (gzipped, UTF-16) second file.
    let sb = common::Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let kill_points = [(0u64, 1_000u64), (0, 25_000), (1, 8_000), (1, 30_000)];
    let mut resumed_messages = 0;
    for (unit, rows) in kill_points {
        let mut child = cli_import(&sb, &files).spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("import finished ({status}) before the kill point {unit}/{rows}");
            }
            if import_progress(&sb.db()).is_some_and(|p| p >= (unit, rows)) {
                break;
            }
            assert!(Instant::now() < deadline, "no progress to {unit}/{rows}");
            std::thread::sleep(Duration::from_millis(2));
        }
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&out.status),
            Some(libc::SIGKILL)
        );
        if String::from_utf8_lossy(&out.stderr).contains("resuming import job") {
            resumed_messages += 1;
        }
        // Nothing is staged twice, and the import really was interrupted.
        let partial = staged_state(&sb.db());
        let staged: usize = partial.rows.iter().map(|(_, r)| r.len()).sum();
        assert!(staged < 80_000, "kill at {unit}/{rows} came too late");
        for (name, rows) in &partial.rows {
            let full = &expected.rows.iter().find(|(n, _)| n == name).unwrap().1;
            assert_eq!(&full[..rows.len()], &rows[..], "{name} is a prefix");
        }
    }
    assert_eq!(resumed_messages, kill_points.len() - 1);
    let out = cli_import(&sb, &files).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("resuming import job"));

    let got = staged_state(&sb.db());
    assert_eq!(got.units.len(), expected.units.len());
    for ((gn, gr, gb, gs), (en, er, eb, es)) in got.units.iter().zip(&expected.units) {
        assert_eq!((gn, gr, gb), (en, er, eb));
        assert_eq!(gs, es, "summary of {gn}");
    }
    for ((gn, grows), (_, erows)) in got.rows.iter().zip(&expected.rows) {
        assert_eq!(grows.len(), erows.len(), "{gn}");
        assert!(
            grows == erows,
            "{gn}: staged rows differ from the uninterrupted import"
        );
    }
    assert_eq!(got.quarantine, expected.quarantine);
}

#[test]
fn worker_until_idle_runs_queued_jobs() {
    let sb = common::Sandbox::new();
    sb.ok(&["team", "add", "Acme", "--customer-id", "1"], "");
    let csv = sb.dir.path().join("people.csv");
    std::fs::write(&csv, b"ID,Email\n1,a@x.com\n2,b@x.com\n").unwrap();
    {
        let store = Store::open(&sb.db()).unwrap();
        let team = store.team("Acme").unwrap();
        let params = ImportParams {
            files: vec![ImportFile::from_path(csv.clone())],
            object: None,
            ..Default::default()
        };
        store
            .enqueue_job(
                &team,
                export::IMPORT_JOB,
                &serde_json::to_value(&params).unwrap(),
            )
            .unwrap();
    }
    let out = sb.run(&["worker", "--until-idle"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&sb.ok(&["export", "summary", "Acme", "--json"], "")).unwrap();
    assert_eq!(summary["files"][0]["name"], "people.csv");
    assert_eq!(summary["files"][0]["object"], "people");
    assert_eq!(summary["files"][0]["rows"], 2);
    assert_eq!(summary["files"][0]["bad_rows"], 0);
    assert_eq!(summary["quarantine"], serde_json::json!([]));
    let store = Store::open(&sb.db()).unwrap();
    let team = store.team("Acme").unwrap();
    let job = store
        .latest_job(&team, export::IMPORT_JOB)
        .unwrap()
        .unwrap();
    assert_eq!(job.state, JobState::Done);
    assert!(job.lease_owner.is_none());
}
