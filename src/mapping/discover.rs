//! Discovery of the customer's fields: from the export staging (the step 3 import's
//! per-column summaries), from export CSV files read directly (fallback when nothing is
//! staged), and from the Schema API plus a few sample records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::MappingError;
use super::model::{CustomerField, FieldSource, Object};
use crate::icims::schema::ProfileSchema;
use crate::icims::{Filter, IcimsClient, IcimsError, Profile, ProfileType, SearchQuery};
use crate::store::{Store, Team};

/// Samples kept per field and their length.
pub const MAX_SAMPLES: usize = 5;
const SAMPLE_CHARS: usize = 120;

#[derive(Debug, Deserialize)]
struct StagedColumn {
    name: String,
    #[serde(default)]
    fill_rate: f64,
    #[serde(default)]
    samples: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct StagedSummary {
    #[serde(default)]
    rows: u64,
    #[serde(default)]
    columns: Vec<StagedColumn>,
}

/// Customer fields from the export the step 3 import staged (`export_units` whose import
/// finished, with their column summaries). Empty when nothing is staged.
pub fn from_export_staging(store: &Store, team: &Team) -> Result<Vec<CustomerField>, MappingError> {
    let mut stmt = store.conn().prepare(
        "SELECT name, object, summary FROM export_units
         WHERE team_id = ?1 AND state = 'done' AND summary IS NOT NULL ORDER BY id",
    )?;
    let units = stmt
        .query_map([team.id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // (object, header) → (rows, filled rows, samples), columns in first-seen order.
    let mut order: Vec<(Object, String)> = Vec::new();
    let mut acc: BTreeMap<(Object, String), (f64, f64, Vec<String>)> = BTreeMap::new();
    for (name, object, summary) in units {
        let Some(object) = Object::parse(&object).or_else(|| object_from_file_name(&name)) else {
            continue;
        };
        let summary: StagedSummary = serde_json::from_str(&summary)
            .map_err(|e| MappingError::Corrupt(format!("export summary of {name}: {e}")))?;
        let rows = summary.rows as f64;
        for col in summary.columns {
            let key = (object, col.name.clone());
            let slot = acc.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                (0.0, 0.0, Vec::new())
            });
            slot.0 += rows;
            slot.1 += rows * col.fill_rate.clamp(0.0, 1.0);
            for s in col.samples {
                if slot.2.len() < MAX_SAMPLES && !s.trim().is_empty() && !slot.2.contains(&s) {
                    slot.2.push(s);
                }
            }
        }
    }
    Ok(order
        .into_iter()
        .filter_map(|key| {
            let (rows, filled, samples) = acc.remove(&key)?;
            Some(CustomerField {
                object: key.0,
                label: Some(key.1.clone()),
                name: key.1,
                samples,
                fill_rate: if rows > 0.0 { filled / rows } else { 0.0 },
                source: FieldSource::Export,
                schema_type: None,
            })
        })
        .collect())
}

/// Which object an export file holds, from its name (`people_export_…`, `jobs…`, …).
pub fn object_from_file_name(name: &str) -> Option<Object> {
    let n = name.to_ascii_lowercase();
    if ["workflow", "submittal", "application"]
        .iter()
        .any(|w| n.contains(w))
    {
        Some(Object::Workflow)
    } else if ["people", "person", "candidate"]
        .iter()
        .any(|w| n.contains(w))
    {
        Some(Object::Person)
    } else if ["job", "requisition"].iter().any(|w| n.contains(w)) {
        Some(Object::Job)
    } else {
        None
    }
}

/// The CSV export files in a directory (`*.csv`), sorted by name.
pub fn export_files_in(dir: &Path) -> Result<Vec<PathBuf>, MappingError> {
    let read = std::fs::read_dir(dir).map_err(|e| MappingError::File {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = read
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("csv")))
        .collect();
    files.sort();
    Ok(files)
}

/// Customer fields read directly from export CSV files (UTF-8, optional BOM): headers,
/// fill rate over the rows that have the header's column count, and up to
/// [`MAX_SAMPLES`] distinct values. The object comes from the file name.
pub fn from_export_files(files: &[PathBuf]) -> Result<Vec<CustomerField>, MappingError> {
    let mut out = Vec::new();
    for path in files {
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let object = object_from_file_name(&file_name).ok_or_else(|| MappingError::File {
            path: path.clone(),
            reason: "cannot tell from the name whether it holds people, jobs or workflows".into(),
        })?;
        let bytes = std::fs::read(path).map_err(|e| MappingError::File {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| MappingError::File {
                path: path.clone(),
                reason: format!("line 1: {e}"),
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut filled = vec![0u64; headers.len()];
        let mut samples: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
        let mut rows = 0u64;
        for record in reader.records() {
            // Unreadable or short rows are the import's to quarantine; they do not count.
            let Ok(record) = record else { continue };
            if record.len() != headers.len() {
                continue;
            }
            rows += 1;
            for (i, v) in record.iter().enumerate() {
                let v = v.trim();
                if v.is_empty() {
                    continue;
                }
                filled[i] += 1;
                if samples[i].len() < MAX_SAMPLES && !samples[i].iter().any(|s| s == v) {
                    samples[i].push(v.chars().take(SAMPLE_CHARS).collect());
                }
            }
        }
        for (i, h) in headers.into_iter().enumerate() {
            out.push(CustomerField {
                object,
                label: Some(h.clone()),
                name: h,
                samples: std::mem::take(&mut samples[i]),
                fill_rate: if rows > 0 {
                    filled[i] as f64 / rows as f64
                } else {
                    0.0
                },
                source: FieldSource::Export,
                schema_type: None,
            });
        }
    }
    Ok(out)
}

/// A profile field value as a sample: text as is, numbers as text, objects and arrays
/// as compact JSON (so list nodes and links keep their shape).
fn sample_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.chars().take(SAMPLE_CHARS * 2).collect()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

/// Customer fields of one object from its Schema API fields and sample records: every
/// schema field (source `schema`), and fields only the records show (source `sample`).
/// Fill rate is the share of the sample records that have a value.
pub fn from_schema(
    object: Object,
    schema: &ProfileSchema,
    records: &[Profile],
) -> Vec<CustomerField> {
    let n = records.len();
    let evidence = |id: &str| -> (Vec<String>, f64) {
        let mut samples = Vec::new();
        let mut have = 0usize;
        for r in records {
            if let Some(s) = r.get(id).and_then(sample_text) {
                have += 1;
                if samples.len() < MAX_SAMPLES && !samples.contains(&s) {
                    samples.push(s);
                }
            }
        }
        let fill = if n > 0 { have as f64 / n as f64 } else { 0.0 };
        (samples, fill)
    };
    let mut out: Vec<CustomerField> = schema
        .fields
        .values()
        .map(|f| {
            let (samples, fill_rate) = evidence(&f.id);
            let schema_type = match (&f.kind, &f.format) {
                (Some(k), Some(fm)) => Some(format!("{k}/{fm}")),
                (Some(k), None) => Some(k.clone()),
                (None, Some(fm)) => Some(fm.clone()),
                (None, None) => None,
            };
            CustomerField {
                object,
                name: f.id.clone(),
                label: f.label.clone(),
                samples,
                fill_rate,
                source: FieldSource::Schema,
                schema_type,
            }
        })
        .collect();
    let mut extra: Vec<String> = records
        .iter()
        .flat_map(|r| r.field_names())
        .filter(|k| k != "id" && !schema.fields.contains_key(k))
        .collect();
    extra.sort();
    extra.dedup();
    for id in extra {
        let (samples, fill_rate) = evidence(&id);
        out.push(CustomerField {
            object,
            name: id,
            label: None,
            samples,
            fill_rate,
            source: FieldSource::Sample,
            schema_type: None,
        });
    }
    out
}

fn object_of(kind: ProfileType) -> Object {
    match kind {
        ProfileType::People => Object::Person,
        ProfileType::Jobs => Object::Job,
        ProfileType::ApplicantWorkflows => Object::Workflow,
    }
}

/// Customer fields from the live tenant: per object the Schema API, then up to
/// `records_per_object` records (the lowest ids) fetched for samples. Costs
/// 2 + `records_per_object` API calls per object.
pub async fn from_api(
    client: &IcimsClient,
    records_per_object: usize,
) -> Result<Vec<CustomerField>, IcimsError> {
    let mut out = Vec::new();
    for kind in ProfileType::ALL {
        let schema = client.profile_schema(kind.schema_type()).await?;
        let query = SearchQuery::all(vec![Filter::gt(
            &format!("{}.id", kind.search_entity()),
            "0",
        )]);
        let hits = client.search(kind, &query).await?;
        let mut records = Vec::new();
        for hit in hits.iter().take(records_per_object) {
            records.push(client.get_profile(kind, hit.id, &[]).await?);
        }
        out.extend(from_schema(object_of(kind), &schema, &records));
    }
    Ok(out)
}

/// Where the customer's export columns come from — decided here, once, for the CLI and the
/// console: the staged import (step 3) when there is one, else the export CSV files in
/// `dir`, read directly.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportColumns {
    /// Fields from the staged import.
    Staged(Vec<CustomerField>),
    /// Nothing staged: these files are to be read with [`from_export_files`] (blocking
    /// file I/O, which a caller may run off its own thread).
    Files(Vec<PathBuf>),
    /// Neither a staged import nor export files.
    Nothing,
}

/// Which source [`ExportColumns`] the team's fields come from (store reads and a
/// directory listing only).
pub fn export_columns(
    store: &Store,
    team: &Team,
    dir: &Path,
) -> Result<ExportColumns, MappingError> {
    let staged = from_export_staging(store, team)?;
    if !staged.is_empty() {
        return Ok(ExportColumns::Staged(staged));
    }
    if dir.is_dir() {
        let files = export_files_in(dir)?;
        if !files.is_empty() {
            return Ok(ExportColumns::Files(files));
        }
    }
    Ok(ExportColumns::Nothing)
}
