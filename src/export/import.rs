//! The `export.import` job: streams each unit into its staging table in batches, each
//! batch one transaction that also writes the job checkpoint, so a killed import resumes
//! exactly where the last committed batch ended. Bad rows go to the quarantine table.

use std::io::BufRead;
use std::path::PathBuf;

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use super::ExportError;
use super::records::{RawRecord, RecordProblem, RecordReader};
use super::sniff::{ObjectKind, TextEncoding, sniff_object, status_column, updated_column};
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
    // Enumerate units deterministically (zip entries in archive order).
    let mut units: Vec<Result<UnitSpec, (String, String, ExportError)>> = Vec::new();
    for f in &params.files {
        match units_of(&f.path, &f.name) {
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
            Err(ExportError::Store(e)) => return Err(ExportError::Store(e)),
            Err(e) => {
                let (name, path) = match unit {
                    Ok(spec) => (spec.name.clone(), spec.file.display().to_string()),
                    Err((n, p, _)) => (n.clone(), p.clone()),
                };
                let message = e.to_string();
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
            &Actor::named(&job.actor),
        )?;
    }
    Ok(ImportReport {
        units: summaries,
        failed,
        outcome,
    })
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
    let resume_at = resume.as_ref().map(|c| (c.format, c.offset));
    with_text(spec, resume_at, |text, format| {
        let (mut reader, mut cursor) = match resume {
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
            None => start_unit(store, team, job, params, opts, spec, index, text, format)?,
        };
        let insert = stage::insert_sql(cursor.unit_id, cursor.columns.len());
        loop {
            if job.cancelled() {
                return Err(ExportError::Cancelled);
            }
            let tx = store.conn_mut().transaction()?;
            let finished = {
                let mut batch = Batch {
                    tx: &tx,
                    insert: &insert,
                    spec,
                    cursor: &mut cursor,
                    opts,
                    team_id: team.id,
                };
                batch.run(&mut reader)?
            };
            let (offset, line) = reader.position();
            cursor.offset = offset;
            cursor.line = line;
            let cp = if finished {
                let summary = UnitSummary::from_stats(
                    &spec.name,
                    cursor.object,
                    cursor.format,
                    &cursor.stats,
                );
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
            };
            store.set_job_progress(job.id, &serde_json::json!({ "import": &report }))?;
            progress(&report);
            if finished {
                return Ok(());
            }
        }
    })
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

/// One transaction's worth of rows.
struct Batch<'t, 'c> {
    tx: &'t Transaction<'c>,
    insert: &'t str,
    spec: &'t UnitSpec,
    cursor: &'t mut UnitCursor,
    opts: &'t ImportOptions,
    team_id: i64,
}

impl Batch<'_, '_> {
    /// Stages up to `batch_rows` records; `true` when the unit is exhausted.
    fn run<R: BufRead>(&mut self, reader: &mut RecordReader<R>) -> Result<bool, ExportError> {
        let mut stmt = self.tx.prepare_cached(self.insert)?;
        let ncols = self.cursor.columns.len();
        for _ in 0..self.opts.batch_rows {
            let rec = reader.next_record().map_err(|e| ExportError::Unreadable {
                file: self.spec.name.clone(),
                reason: format!(
                    "read error after line {}: {e}",
                    reader_line_hint(self.cursor)
                ),
            })?;
            let Some(rec) = rec else {
                return Ok(true);
            };
            match self.check(&rec, ncols) {
                Err(reason) => {
                    self.cursor.stats.bad_rows += 1;
                    self.tx.execute(
                        "INSERT INTO export_quarantine (team_id, unit_id, file, line, reason, excerpt) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            self.team_id,
                            self.cursor.unit_id,
                            self.spec.name,
                            rec.line as i64,
                            reason,
                            excerpt(&rec, self.cursor.format.delimiter)
                        ],
                    )?;
                }
                Ok(()) => {
                    let mut fields: Vec<&str> = Vec::with_capacity(ncols);
                    for i in 0..ncols {
                        // Validated by `check`.
                        fields.push(std::str::from_utf8(rec.field(i)).unwrap_or_default());
                    }
                    stmt.raw_bind_parameter(1, rec.line as i64)?;
                    for (i, f) in fields.iter().enumerate() {
                        stmt.raw_bind_parameter(i + 2, *f)?;
                    }
                    stmt.raw_execute()?;
                    self.cursor.stats.add_row(&fields);
                }
            }
        }
        Ok(false)
    }

    /// Why a record cannot be staged, if it cannot.
    fn check(&self, rec: &RawRecord<'_>, ncols: usize) -> Result<(), String> {
        if let Some(p) = rec.problem {
            return Err(problem_text(p));
        }
        if rec.len() != ncols {
            return Err(format!(
                "wrong column count: expected {ncols} fields, found {}",
                rec.len()
            ));
        }
        for (i, name) in self.cursor.columns.iter().enumerate() {
            let f = rec.field(i);
            if f.len() > self.opts.max_field_bytes {
                return Err(format!(
                    "oversize field: {:?} (column {}) is {} bytes, over the {}-byte limit",
                    name,
                    i + 1,
                    f.len(),
                    self.opts.max_field_bytes
                ));
            }
            if std::str::from_utf8(f).is_err() {
                return Err(format!(
                    "invalid encoding: field {:?} (column {}) is not valid {}",
                    name,
                    i + 1,
                    encoding_name(self.cursor.format.encoding)
                ));
            }
        }
        Ok(())
    }
}

fn reader_line_hint(cursor: &UnitCursor) -> u64 {
    cursor.line
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
