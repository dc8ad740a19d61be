//! The `export.import` job: streams each unit into its staging table in batches, each
//! batch one transaction that also writes the job checkpoint, so a killed import resumes
//! exactly where the last committed batch ended. Bad rows go to the quarantine table.

use std::io::BufRead;
use std::path::PathBuf;

use std::sync::mpsc;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::ExportError;
use super::records::{RawRecord, RecordProblem, RecordReader};
use super::sniff::{
    ObjectKind, TextEncoding, date_columns, id_column, sniff_object, status_column, updated_column,
};
use super::source::{TextFormat, UnitSpec, units_of, with_text};
use super::stage;
use super::stats::UnitStats;
use super::summary::{UnitSummary, team_outcome};
use crate::onboarding::facts::{ExportOutcome, keys};
use crate::store::{Actor, Store, Team, jobs::write_checkpoint};
use crate::worker::JobHandle;

/// A file to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFile {
    pub path: PathBuf,
    /// The name it is shown and stored under (defaults to the file name).
    pub name: String,
}

impl ImportFile {
    pub fn from_path(path: PathBuf) -> ImportFile {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        ImportFile { path, name }
    }
}

/// Parameters of an `export.import` job (its `params` JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportParams {
    pub files: Vec<ImportFile>,
    /// The object every file holds, when the engineer says so (else sniffed per file).
    #[serde(default)]
    pub object: Option<ObjectKind>,
    /// Let a file with a header and no rows replace an earlier import of the same name
    /// (otherwise the earlier rows are kept and the file is reported).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_empty: bool,
}

/// Limits and batch size.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Rows per transaction (and per checkpoint).
    pub batch_rows: usize,
    /// A field longer than this is quarantined.
    pub max_field_bytes: usize,
    /// A record longer than this is quarantined without being held in memory.
    pub max_record_bytes: usize,
    pub max_fields: usize,
}

impl Default for ImportOptions {
    /// 20,000-row batches (`ICIMS_ONBOARD_IMPORT_BATCH_ROWS` overrides), 1 MiB fields,
    /// 8 MiB records, 4,096 fields.
    fn default() -> Self {
        let batch_rows = std::env::var("ICIMS_ONBOARD_IMPORT_BATCH_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(20_000);
        ImportOptions {
            batch_rows,
            max_field_bytes: 1 << 20,
            max_record_bytes: 8 << 20,
            max_fields: 4096,
        }
    }
}

/// Progress of an import, as written to the job row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportProgress {
    pub unit: String,
    pub unit_index: usize,
    pub units: usize,
    pub rows: u64,
    pub bad_rows: u64,
    /// Decoded bytes of the current unit read so far.
    pub bytes: u64,
    /// Something the engineer should read (e.g. why a unit starts over instead of resuming).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub units: Vec<UnitSummary>,
    pub failed: Vec<(String, String)>,
    pub outcome: ExportOutcome,
}

/// Where an import stands; the job checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Checkpoint {
    /// Units before this index are finished (done or failed).
    next_unit: usize,
    /// The unit in progress (index `next_unit`), if it was started.
    current: Option<UnitCursor>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UnitCursor {
    unit_id: i64,
    format: TextFormat,
    columns: Vec<String>,
    object: ObjectKind,
    /// Decoded bytes consumed (a record boundary) and the line number there.
    offset: u64,
    line: u64,
    stats: UnitStats,
    /// The source file as it was when the unit started: a resume into a file that is no
    /// longer the same would splice two versions.
    #[serde(default)]
    source: Option<SourceIdentity>,
}

/// Size, modification time and a hash of the first blocks of a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceIdentity {
    pub size: u64,
    /// Nanoseconds since the epoch (0 when the file system gives none).
    pub mtime_ns: u128,
    /// SHA-256 of the first [`IDENTITY_HEAD_BYTES`] bytes, hex.
    pub head_sha256: String,
}

/// Bytes hashed for a [`SourceIdentity`].
pub const IDENTITY_HEAD_BYTES: u64 = 1 << 20;

impl SourceIdentity {
    /// The identity of the file at `path` now.
    pub fn of(path: &std::path::Path) -> std::io::Result<SourceIdentity> {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let mut hasher = Sha256::new();
        let mut head = file.take(IDENTITY_HEAD_BYTES);
        std::io::copy(&mut head, &mut hasher)?;
        Ok(SourceIdentity {
            size: meta.len(),
            mtime_ns,
            head_sha256: hex::encode(hasher.finalize()),
        })
    }

    /// Why `now` is not the file this identity was taken of, if it is not.
    pub fn differs(&self, now: &SourceIdentity) -> Option<String> {
        let mut why = Vec::new();
        if self.size != now.size {
            why.push(format!("size {} -> {} bytes", self.size, now.size));
        }
        if self.mtime_ns != now.mtime_ns {
            why.push("modification time".to_string());
        }
        if self.head_sha256 != now.head_sha256 {
            why.push("content of its first blocks".to_string());
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
}

/// Runs (or resumes, from `job.checkpoint`) an import.
pub fn run_import(
    store: &mut Store,
    team: &Team,
    job: &JobHandle,
    params: &ImportParams,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportReport, ExportError> {
    // Checkpointing the WAL into the database after every few batches costs two fsyncs
    // each; during the import this connection leaves that to one checkpoint at the end.
    // (Batches stay durable in the WAL; a crash only leaves a longer WAL to replay.)
    // A page cache larger than a batch keeps SQLite from spilling half-filled pages to the
    // WAL in the middle of a transaction (bounded: memory stays flat in the file size).
    let cache: i64 = store
        .conn()
        .query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    store.conn().pragma_update(None, "wal_autocheckpoint", 0)?;
    store.conn().pragma_update(None, "cache_size", -16_384)?;
    let result = import_all(store, team, job, params, opts, progress);
    let _ = store.conn().pragma_update(None, "cache_size", cache);
    let _ = store.conn().pragma_update(None, "wal_autocheckpoint", 1000);
    let _ = store
        .conn()
        .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    result
}

fn import_all(
    store: &mut Store,
    team: &Team,
    job: &JobHandle,
    params: &ImportParams,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<ImportReport, ExportError> {
    if params.files.is_empty() {
        return Err(ExportError::NoFiles(team.name.clone()));
    }
    let mut checkpoint: Checkpoint = job
        .checkpoint
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or(Checkpoint {
            next_unit: 0,
            current: None,
        });
    // Enumerate units deterministically (zip entries in archive order). A file recorded
    // with a SHA-256 (at fetch, or when a local file was named) must still have it: a
    // file changed or overwritten since is not staged under this team.
    let recorded = super::fetch::fetched_files(store, team)?;
    let mut units: Vec<Result<UnitSpec, (String, String, ExportError)>> = Vec::new();
    for f in &params.files {
        let checked = verify_recorded(&recorded, f).and_then(|()| units_of(&f.path, &f.name));
        match checked {
            Ok(us) => units.extend(us.into_iter().map(Ok)),
            Err(e) => units.push(Err((f.name.clone(), f.path.display().to_string(), e))),
        }
    }
    let total = units.len();
    let mut failed = Vec::new();
    for (index, unit) in units.iter().enumerate() {
        if index < checkpoint.next_unit {
            continue;
        }
        if job.cancelled() {
            return Err(ExportError::Cancelled);
        }
        let result = match unit {
            Ok(spec) => import_unit(
                store,
                team,
                job,
                params,
                opts,
                spec,
                index,
                total,
                checkpoint.current.take(),
                progress,
            ),
            Err((_, _, e)) => Err(clone_err(e)),
        };
        match result {
            Ok(()) => {}
            Err(ExportError::Cancelled) => return Err(ExportError::Cancelled),
            Err(ExportError::LeaseLost) => return Err(ExportError::LeaseLost),
            Err(ExportError::Store(e)) => {
                // E.g. a full disk: the unit does not stay "importing" forever; it is
                // failed with the reason (best effort: the failure may prevent that too).
                let err = ExportError::Store(e);
                let _ = stage::fail_open_units(store.conn(), job.id, &err.to_string());
                return Err(err);
            }
            Err(ExportError::EmptyKept { file, rows }) => {
                let message = ExportError::EmptyKept { file, rows }.to_string();
                let name = match unit {
                    Ok(spec) => spec.name.clone(),
                    Err((n, _, _)) => n.clone(),
                };
                let tx = store.conn_mut().transaction()?;
                write_cp(
                    &tx,
                    job,
                    &Checkpoint {
                        next_unit: index + 1,
                        current: None,
                    },
                )?;
                tx.commit()?;
                let why = without_prefix(&message, &name);
                failed.push((name, why));
            }
            Err(e) => {
                let (name, path) = match unit {
                    Ok(spec) => (spec.name.clone(), spec.file.display().to_string()),
                    Err((n, p, _)) => (n.clone(), p.clone()),
                };
                let message = without_prefix(&e.to_string(), &name);
                let tx = store.conn_mut().transaction()?;
                stage::fail_unit(&tx, team.id, &name, &path, job.id, &message)?;
                write_cp(
                    &tx,
                    job,
                    &Checkpoint {
                        next_unit: index + 1,
                        current: None,
                    },
                )?;
                tx.commit()?;
                failed.push((name, message));
            }
        }
        checkpoint.next_unit = index + 1;
    }
    let summaries: Vec<UnitSummary> = units
        .iter()
        .filter_map(|u| u.as_ref().ok())
        .filter_map(|spec| {
            super::summary::unit_summary(store, team, &spec.name)
                .ok()
                .flatten()
        })
        .collect();
    let outcome = team_outcome(store, team)?;
    if failed.is_empty() {
        store.set_fact(
            team,
            keys::EXPORT_IMPORTED,
            &outcome,
            &Actor::for_job(&job.actor),
        )?;
    }
    Ok(ImportReport {
        units: summaries,
        failed,
        outcome,
    })
}

/// `message` without a leading `name: ` (the name is shown next to it already).
fn without_prefix(message: &str, name: &str) -> String {
    message
        .strip_prefix(name)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
        .to_string()
}

/// A fetched file must still have the SHA-256 recorded at fetch; anything else (another
/// team's fetch, a hand edit) is refused before a row is staged. (Local files named on
/// the command line are hashed and recorded by that same command just before.)
fn verify_recorded(recorded: &[super::FetchedFile], f: &ImportFile) -> Result<(), ExportError> {
    let Some(known) = recorded
        .iter()
        .find(|k| k.source == "sftp" && k.name == f.name && k.local_path == f.path)
    else {
        return Ok(());
    };
    let now = crate::sftp::sha256_file(&f.path).map_err(|source| ExportError::Io {
        file: f.name.clone(),
        source,
    })?;
    if now == known.sha256 {
        return Ok(());
    }
    let how = "fetched";
    Err(ExportError::Unreadable {
        file: f.name.clone(),
        reason: format!(
            "changed since it was {how} (SHA-256 {} now, {} when {how}); nothing was staged \
             from it — fetch it again (`icims-onboard export fetch`) or name the file to import",
            short_hash(&now),
            short_hash(&known.sha256)
        ),
    })
}

fn short_hash(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

fn clone_err(e: &ExportError) -> ExportError {
    ExportError::Unreadable {
        file: match e {
            ExportError::Unreadable { file, .. } | ExportError::Io { file, .. } => file.clone(),
            _ => String::new(),
        },
        reason: match e {
            ExportError::Unreadable { reason, .. } => reason.clone(),
            other => other.to_string(),
        },
    }
}

fn write_cp(
    conn: &rusqlite::Connection,
    job: &JobHandle,
    cp: &Checkpoint,
) -> Result<(), ExportError> {
    let json = serde_json::to_value(cp).map_err(|e| ExportError::Internal(e.to_string()))?;
    write_checkpoint(conn, job.id, &job.owner, &json).map_err(|e| match e {
        crate::store::StoreError::Corrupt { .. } => ExportError::LeaseLost,
        other => ExportError::Store(other),
    })
}

#[allow(clippy::too_many_arguments)]
fn import_unit(
    store: &mut Store,
    team: &Team,
    job: &JobHandle,
    params: &ImportParams,
    opts: &ImportOptions,
    spec: &UnitSpec,
    index: usize,
    total: usize,
    resume: Option<UnitCursor>,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<(), ExportError> {
    let identity = SourceIdentity::of(&spec.file).map_err(|source| ExportError::Io {
        file: spec.name.clone(),
        source,
    })?;
    let mut resume = resume;
    if let Some(why) = resume
        .as_ref()
        .and_then(|c| c.source.as_ref())
        .and_then(|then| then.differs(&identity))
    {
        // Resuming would splice the old file's first rows with the new file's rest.
        let note = format!(
            "starting {} over: the file changed since the interrupted import ({why})",
            spec.name
        );
        tracing::warn!(unit = %spec.name, "{note}");
        progress(&ImportProgress {
            unit: spec.name.clone(),
            unit_index: index,
            units: total,
            rows: 0,
            bad_rows: 0,
            bytes: 0,
            note: Some(note),
        });
        resume = None;
    }
    if resume.is_none()
        && !params.allow_empty
        && let Some(rows) = stage::done_rows(store.conn(), team.id, &spec.name)?
        && rows > 0
        && !has_rows(spec, opts)
    {
        return Err(ExportError::EmptyKept {
            file: spec.name.clone(),
            rows,
        });
    }
    let resume_at = resume.as_ref().map(|c| (c.format, c.offset));
    with_text(spec, resume_at, |text, format| {
        let (mut reader, cursor) = match resume {
            Some(cursor) => (
                RecordReader::new(
                    text,
                    cursor.format.delimiter,
                    opts.max_record_bytes,
                    opts.max_fields,
                    cursor.offset,
                    cursor.line,
                ),
                cursor,
            ),
            None => start_unit(
                store, team, job, params, opts, spec, index, text, format, identity,
            )?,
        };
        pipeline(
            store,
            team,
            job,
            opts,
            spec,
            index,
            total,
            &mut reader,
            cursor,
            progress,
        )
    })
}

/// Does the unit have at least one record after its header? (A file that cannot be read
/// says "yes": the import itself then reports why.)
fn has_rows(spec: &UnitSpec, opts: &ImportOptions) -> bool {
    with_text(spec, None, |text, format| {
        let mut reader = RecordReader::new(
            text,
            format.delimiter,
            opts.max_record_bytes,
            opts.max_fields,
            0,
            1,
        );
        let header = reader.next_record().ok().flatten().is_some();
        Ok(!header || !matches!(reader.next_record(), Ok(None)))
    })
    .unwrap_or(true)
}

/// Reads the header, creates the staging table and commits the unit's first checkpoint.
#[allow(clippy::too_many_arguments)]
fn start_unit<'a>(
    store: &mut Store,
    team: &Team,
    job: &JobHandle,
    params: &ImportParams,
    opts: &ImportOptions,
    spec: &UnitSpec,
    index: usize,
    text: &'a mut dyn BufRead,
    format: TextFormat,
    identity: SourceIdentity,
) -> Result<(RecordReader<&'a mut dyn BufRead>, UnitCursor), ExportError> {
    let mut reader = RecordReader::new(
        text,
        format.delimiter,
        opts.max_record_bytes,
        opts.max_fields,
        0,
        1,
    );
    let header = reader.next_record().map_err(|e| ExportError::Unreadable {
        file: spec.name.clone(),
        reason: e.to_string(),
    })?;
    let Some(header) = header else {
        return Err(ExportError::Unreadable {
            file: spec.name.clone(),
            reason: "the file is empty (no header row)".into(),
        });
    };
    if let Some(problem) = header.problem {
        return Err(ExportError::Unreadable {
            file: spec.name.clone(),
            reason: format!("line 1 (header): {}", problem_text(problem)),
        });
    }
    let mut headers = Vec::with_capacity(header.len());
    for i in 0..header.len() {
        let h = std::str::from_utf8(header.field(i)).map_err(|_| ExportError::Unreadable {
            file: spec.name.clone(),
            reason: format!(
                "line 1 (header), column {}: not valid {}",
                i + 1,
                encoding_name(format.encoding)
            ),
        })?;
        headers.push(h.to_string());
    }
    let columns = stage::column_names(&headers);
    let object = params
        .object
        .unwrap_or_else(|| sniff_object(&spec.name, &headers));
    let stats = UnitStats::new(&columns, updated_column(&headers), status_column(&headers));
    let (offset, line) = reader.position();
    let tx = store.conn_mut().transaction()?;
    let unit_id = stage::start_unit(
        &tx,
        team.id,
        &spec.name,
        &spec.file.display().to_string(),
        object,
        job.id,
    )?;
    stage::recreate_stage(&tx, unit_id, &columns)?;
    let cursor = UnitCursor {
        unit_id,
        format,
        columns,
        object,
        offset,
        line,
        stats,
        source: Some(identity),
    };
    write_cp(
        &tx,
        job,
        &Checkpoint {
            next_unit: index,
            current: Some(cursor.clone()),
        },
    )?;
    tx.commit()?;
    Ok((reader, cursor))
}

fn encoding_name(e: TextEncoding) -> &'static str {
    match e {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => "UTF-8",
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => "UTF-16",
        TextEncoding::Windows1252 => "Windows-1252",
    }
}

fn problem_text(p: RecordProblem) -> String {
    match p {
        RecordProblem::TooLong(limit) => format!(
            "oversize field: record longer than {limit} bytes (a huge field or an unterminated quote)"
        ),
        RecordProblem::TooManyFields(limit) => format!("more than {limit} fields"),
    }
}

/// Value checks beyond the CSV shape: the system id is a number, dates are dates.
struct Rules {
    id_column: Option<usize>,
    date_columns: Vec<usize>,
    updated_column: Option<usize>,
}

impl Rules {
    fn for_columns(columns: &[String]) -> Rules {
        Rules {
            id_column: id_column(columns),
            date_columns: date_columns(columns),
            updated_column: updated_column(columns),
        }
    }
}

/// Parsed rows of one batch, owned, on their way from the parsing thread to the thread
/// that writes them (one transaction, with the checkpoint after the block's last record).
struct Block {
    /// The fields of the good rows, concatenated; `ends` are their end offsets.
    text: String,
    ends: Vec<usize>,
    lines: Vec<u64>,
    /// Bad rows: line, reason, excerpt.
    bad: Vec<(u64, String, String)>,
    offset: u64,
    line: u64,
    stats: UnitStats,
    finished: bool,
}

/// Parses and validates on this thread while a scoped helper thread writes the previous
/// batch to SQLite, so the two overlap. Semantics are those of a single loop: each block
/// is committed in one transaction together with the checkpoint of its last record.
#[allow(clippy::too_many_arguments)]
fn pipeline<R: BufRead>(
    store: &mut Store,
    team: &Team,
    job: &JobHandle,
    opts: &ImportOptions,
    spec: &UnitSpec,
    index: usize,
    total: usize,
    reader: &mut RecordReader<R>,
    mut cursor: UnitCursor,
    progress: &mut dyn FnMut(&ImportProgress),
) -> Result<(), ExportError> {
    let checker = Checker {
        rules: Rules::for_columns(&cursor.columns),
        columns: cursor.columns.clone(),
        opts: opts.clone(),
        encoding: cursor.format.encoding,
    };
    let (block_tx, block_rx) = mpsc::sync_channel::<Block>(1);
    let (done_tx, done_rx) = mpsc::channel::<ImportProgress>();
    let writer_cursor = cursor.clone();
    std::thread::scope(|scope| {
        let store = &mut *store;
        let writer = scope.spawn(move || {
            write_blocks(
                store,
                team.id,
                job,
                spec,
                index,
                total,
                writer_cursor,
                block_rx,
                done_tx,
            )
        });
        let parsed = (|| -> Result<(), ExportError> {
            // Sized like the previous block, so the text buffer does not grow by doubling.
            let mut text_hint = 0;
            loop {
                if job.cancelled() {
                    return Err(ExportError::Cancelled);
                }
                let block = parse_block(reader, &checker, &mut cursor, opts, spec, text_hint)?;
                text_hint = block.text.len();
                let finished = block.finished;
                if block_tx.send(block).is_err() {
                    return Ok(()); // the writer stopped; its error is reported below
                }
                while let Ok(p) = done_rx.try_recv() {
                    progress(&p);
                }
                if finished {
                    return Ok(());
                }
            }
        })();
        drop(block_tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(ExportError::Internal("import writer panicked".into())));
        while let Ok(p) = done_rx.try_recv() {
            progress(&p);
        }
        written.and(parsed)
    })
}

/// Reads up to `batch_rows` records into a block (good rows copied, bad rows described).
fn parse_block<R: BufRead>(
    reader: &mut RecordReader<R>,
    checker: &Checker,
    cursor: &mut UnitCursor,
    opts: &ImportOptions,
    spec: &UnitSpec,
    text_hint: usize,
) -> Result<Block, ExportError> {
    let ncols = checker.columns.len();
    let mut block = Block {
        text: String::with_capacity(text_hint + text_hint / 8),
        ends: Vec::with_capacity(opts.batch_rows.min(1 << 16) * ncols),
        lines: Vec::with_capacity(opts.batch_rows.min(1 << 16)),
        bad: Vec::new(),
        offset: 0,
        line: 0,
        stats: UnitStats::default(),
        finished: false,
    };
    for _ in 0..opts.batch_rows {
        let line_before = reader.position().1;
        let rec = reader.next_record().map_err(|e| ExportError::Unreadable {
            file: spec.name.clone(),
            reason: format!("read error after line {line_before}: {e}"),
        })?;
        let Some(rec) = rec else {
            block.finished = true;
            break;
        };
        match checker.check(&rec) {
            Err(reason) => {
                cursor.stats.bad_rows += 1;
                block
                    .bad
                    .push((rec.line, reason, excerpt(&rec, cursor.format.delimiter)));
            }
            Ok((fields, updated_key)) => {
                for f in &fields {
                    block.text.push_str(f);
                    block.ends.push(block.text.len());
                }
                block.lines.push(rec.line);
                cursor.stats.add_row_keyed(&fields, updated_key);
            }
        }
    }
    let (offset, line) = reader.position();
    block.offset = offset;
    block.line = line;
    block.stats = cursor.stats.clone();
    Ok(block)
}

/// Commits blocks: rows, quarantine and checkpoint in one transaction each; finishes the
/// unit with its last block. Reports progress back after every commit.
#[allow(clippy::too_many_arguments)]
fn write_blocks(
    store: &mut Store,
    team_id: i64,
    job: &JobHandle,
    spec: &UnitSpec,
    index: usize,
    total: usize,
    mut cursor: UnitCursor,
    blocks: mpsc::Receiver<Block>,
    done: mpsc::Sender<ImportProgress>,
) -> Result<(), ExportError> {
    let ncols = cursor.columns.len();
    let insert = stage::insert_sql(cursor.unit_id, ncols);
    for block in blocks {
        let tx = store.conn_mut().transaction()?;
        {
            let mut stmt = tx.prepare_cached(&insert)?;
            let mut start = 0;
            for (r, line) in block.lines.iter().enumerate() {
                stmt.raw_bind_parameter(1, *line as i64)?;
                for c in 0..ncols {
                    let end = block.ends[r * ncols + c];
                    stmt.raw_bind_parameter(c + 2, block.text.get(start..end).unwrap_or(""))?;
                    start = end;
                }
                stmt.raw_execute()?;
            }
            for (line, reason, excerpt) in &block.bad {
                tx.execute(
                    "INSERT INTO export_quarantine (team_id, unit_id, file, line, reason, excerpt) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![team_id, cursor.unit_id, spec.name, *line as i64, reason, excerpt],
                )?;
            }
        }
        cursor.offset = block.offset;
        cursor.line = block.line;
        cursor.stats = block.stats;
        let cp = if block.finished {
            let summary =
                UnitSummary::from_stats(&spec.name, cursor.object, cursor.format, &cursor.stats);
            let summary_json = serde_json::to_string(&summary)
                .map_err(|e| ExportError::Internal(e.to_string()))?;
            stage::finish_unit(
                &tx,
                cursor.unit_id,
                cursor.stats.rows,
                cursor.stats.bad_rows,
                &summary_json,
            )?;
            Checkpoint {
                next_unit: index + 1,
                current: None,
            }
        } else {
            Checkpoint {
                next_unit: index,
                current: Some(cursor.clone()),
            }
        };
        write_cp(&tx, job, &cp)?;
        tx.commit()?;
        let report = ImportProgress {
            unit: spec.name.clone(),
            unit_index: index,
            units: total,
            rows: cursor.stats.rows,
            bad_rows: cursor.stats.bad_rows,
            bytes: cursor.offset,
            note: None,
        };
        store.set_job_progress(job.id, &serde_json::json!({ "import": &report }))?;
        let _ = done.send(report);
        if block.finished {
            return Ok(());
        }
    }
    Ok(())
}

/// Decides whether a record can be staged.
struct Checker {
    rules: Rules,
    columns: Vec<String>,
    opts: ImportOptions,
    encoding: TextEncoding,
}

impl Checker {
    /// Why a record cannot be staged, if it cannot; else its fields as text and the parsed
    /// "updated" value. UTF-8 is validated once per record (the per-field pass runs only
    /// to name the field of a badly encoded record).
    #[allow(clippy::type_complexity)]
    fn check<'r>(
        &self,
        rec: &'r RawRecord<'_>,
    ) -> Result<(Vec<&'r str>, Option<Option<u64>>), String> {
        let ncols = self.columns.len();
        let columns = &self.columns;
        if let Some(p) = rec.problem {
            return Err(problem_text(p));
        }
        if rec.len() != ncols {
            return Err(format!(
                "wrong column count: expected {ncols} fields, found {}",
                rec.len()
            ));
        }
        let mut start = 0;
        for (i, &end) in rec.ends.iter().enumerate() {
            if end - start > self.opts.max_field_bytes {
                return Err(format!(
                    "oversize field: {:?} (column {}) is {} bytes, over the {}-byte limit",
                    columns[i],
                    i + 1,
                    end - start,
                    self.opts.max_field_bytes
                ));
            }
            start = end;
        }
        let Ok(text) = std::str::from_utf8(rec.bytes) else {
            let bad = (0..ncols)
                .find(|&i| std::str::from_utf8(rec.field(i)).is_err())
                .unwrap_or(0);
            return Err(format!(
                "invalid encoding: field {:?} (column {}) is not valid {}",
                columns[bad],
                bad + 1,
                encoding_name(self.encoding)
            ));
        };
        // Field boundaries sit next to ASCII delimiters, so they are char boundaries.
        let mut fields = Vec::with_capacity(ncols);
        let mut start = 0;
        for &end in rec.ends {
            fields.push(text.get(start..end).unwrap_or_default());
            start = end;
        }
        if let Some(i) = self.rules.id_column {
            let v = fields[i].trim();
            if !v.is_empty() && !v.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("invalid {}: not a number ({v:?})", columns[i]));
            }
        }
        let mut updated = None;
        for &i in &self.rules.date_columns {
            let v = fields[i];
            if v.trim().is_empty() {
                continue;
            }
            match super::stats::date_key(v) {
                Some(k) => {
                    if Some(i) == self.rules.updated_column {
                        updated = Some(Some(k));
                    }
                }
                None => return Err(format!("invalid date in {}: {v:?}", columns[i])),
            }
        }
        Ok((fields, updated))
    }
}

/// The start of a bad record as text, for the quarantine browser.
fn excerpt(rec: &RawRecord<'_>, delimiter: u8) -> String {
    let mut bytes = Vec::with_capacity(rec.bytes.len().min(300) + rec.len());
    for i in 0..rec.len() {
        if i > 0 {
            bytes.push(delimiter);
        }
        bytes.extend_from_slice(rec.field(i));
        if bytes.len() > 300 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.into_owned(),
    }
}
