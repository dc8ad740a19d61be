//! What an import produced, read back from the store: per-file summaries (rows, bad rows,
//! columns with samples and fill rate, date range, statuses), the quarantine, and the
//! team-wide [`ExportOutcome`] recorded as the step 3 fact.

use std::collections::BTreeSet;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::ExportError;
use super::sniff::{ObjectKind, TextEncoding};
use super::source::TextFormat;
use super::stats::UnitStats;
use crate::onboarding::facts::ExportOutcome;
use crate::store::{Store, Team};

/// One column of a file's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnSummary {
    pub name: String,
    pub filled: u64,
    /// Share of rows with a value, 0.0–1.0.
    pub fill_rate: f64,
    pub samples: Vec<String>,
}

/// The summary of one imported file (or zip entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitSummary {
    pub name: String,
    pub object: ObjectKind,
    pub encoding: TextEncoding,
    pub delimiter: String,
    pub rows: u64,
    pub bad_rows: u64,
    pub columns: Vec<ColumnSummary>,
    /// The column taken as "updated", if any.
    pub updated_column: Option<String>,
    pub earliest: Option<String>,
    /// Latest "updated" value: the export's cut-off.
    pub cutoff: Option<String>,
    /// Non-empty "updated" values that were not dates.
    pub updated_unparsed: u64,
    pub status_column: Option<String>,
    /// Distinct status values with counts, most frequent first.
    pub statuses: Vec<(String, u64)>,
}

impl UnitSummary {
    pub fn from_stats(
        name: &str,
        object: ObjectKind,
        format: TextFormat,
        stats: &UnitStats,
    ) -> UnitSummary {
        let mut statuses: Vec<(String, u64)> = stats
            .statuses
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        statuses.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        UnitSummary {
            name: name.to_string(),
            object,
            encoding: format.encoding,
            delimiter: match format.delimiter {
                b'\t' => "\\t".to_string(),
                d => (d as char).to_string(),
            },
            rows: stats.rows,
            bad_rows: stats.bad_rows,
            columns: stats
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| ColumnSummary {
                    name: c.name.clone(),
                    filled: c.filled,
                    fill_rate: stats.fill_rate(i),
                    samples: c.samples.clone(),
                })
                .collect(),
            updated_column: stats
                .updated_column
                .and_then(|i| stats.columns.get(i))
                .map(|c| c.name.clone()),
            earliest: stats.earliest(),
            cutoff: stats.cutoff(),
            updated_unparsed: stats.updated_unparsed,
            status_column: stats
                .status_column
                .and_then(|i| stats.columns.get(i))
                .map(|c| c.name.clone()),
            statuses,
        }
    }
}

/// One row of `export summary --json` `files`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub object: String,
    pub rows: u64,
    pub bad_rows: u64,
    pub cutoff: Option<String>,
    /// importing, done or failed.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The staging table holding the rows.
    pub table: String,
}

/// One quarantined row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineEntry {
    pub file: String,
    pub line: u64,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
}

/// `export summary NAME --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportSummary {
    pub files: Vec<FileEntry>,
    pub quarantine: Vec<QuarantineEntry>,
}

/// The stored summary of a unit, if it finished.
pub fn unit_summary(
    store: &Store,
    team: &Team,
    name: &str,
) -> Result<Option<UnitSummary>, ExportError> {
    let json: Option<Option<String>> = store
        .conn()
        .query_row(
            "SELECT summary FROM export_units WHERE team_id = ?1 AND name = ?2",
            params![team.id, name],
            |r| r.get(0),
        )
        .optional()
        .map_err(crate::store::StoreError::from)?;
    Ok(json.flatten().and_then(|j| serde_json::from_str(&j).ok()))
}

/// Every unit's summary (finished units only), by name.
pub fn unit_summaries(store: &Store, team: &Team) -> Result<Vec<UnitSummary>, ExportError> {
    let mut stmt = store
        .conn()
        .prepare("SELECT summary FROM export_units WHERE team_id = ?1 AND summary IS NOT NULL ORDER BY name")
        .map_err(crate::store::StoreError::from)?;
    let rows = stmt
        .query_map([team.id], |r| r.get::<_, String>(0))
        .map_err(crate::store::StoreError::from)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(crate::store::StoreError::from)?;
    Ok(rows
        .iter()
        .filter_map(|j| serde_json::from_str(j).ok())
        .collect())
}

/// The files and quarantine of a team (quarantine ordered by file and line, up to `limit`).
pub fn export_summary(
    store: &Store,
    team: &Team,
    quarantine_limit: usize,
) -> Result<ExportSummary, ExportError> {
    let conn = store.conn();
    let mut stmt = conn
        .prepare(
            "SELECT id, name, object, rows, bad_rows, summary, state, error FROM export_units
             WHERE team_id = ?1 ORDER BY name",
        )
        .map_err(crate::store::StoreError::from)?;
    let files = stmt
        .query_map([team.id], |r| {
            let summary: Option<String> = r.get(5)?;
            let cutoff = summary
                .and_then(|j| serde_json::from_str::<UnitSummary>(&j).ok())
                .and_then(|s| s.cutoff);
            Ok(FileEntry {
                table: super::stage::stage_table(r.get(0)?),
                name: r.get(1)?,
                object: r.get(2)?,
                rows: r.get::<_, i64>(3)? as u64,
                bad_rows: r.get::<_, i64>(4)? as u64,
                cutoff,
                state: r.get(6)?,
                error: r.get(7)?,
            })
        })
        .map_err(crate::store::StoreError::from)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(crate::store::StoreError::from)?;
    Ok(ExportSummary {
        files,
        quarantine: quarantine(store, team, None, quarantine_limit)?,
    })
}

/// Quarantined rows of a team (optionally of one file), ordered by file and line.
pub fn quarantine(
    store: &Store,
    team: &Team,
    file: Option<&str>,
    limit: usize,
) -> Result<Vec<QuarantineEntry>, ExportError> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT file, line, reason, excerpt FROM export_quarantine
             WHERE team_id = ?1 AND (?2 IS NULL OR file = ?2) ORDER BY file, line LIMIT ?3",
        )
        .map_err(crate::store::StoreError::from)?;
    let rows = stmt
        .query_map(params![team.id, file, limit as i64], |r| {
            Ok(QuarantineEntry {
                file: r.get(0)?,
                line: r.get::<_, i64>(1)? as u64,
                reason: r.get(2)?,
                excerpt: r.get(3)?,
            })
        })
        .map_err(crate::store::StoreError::from)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(crate::store::StoreError::from)?;
    Ok(rows)
}

/// Team-wide totals over the finished units: the step 3 fact.
pub fn team_outcome(store: &Store, team: &Team) -> Result<ExportOutcome, ExportError> {
    let summaries = unit_summaries(store, team)?;
    let mut statuses = BTreeSet::new();
    let mut outcome = ExportOutcome::default();
    for s in &summaries {
        outcome.files += 1;
        outcome.rows += s.rows;
        outcome.bad_rows += s.bad_rows;
        if let Some(c) = &s.cutoff
            && outcome.cutoff.as_ref().is_none_or(|o| c > o)
        {
            outcome.cutoff = Some(c.clone());
        }
        statuses.extend(s.statuses.iter().map(|(k, _)| k.clone()));
    }
    statuses.remove(super::stats::OTHER_STATUSES);
    outcome.statuses = statuses.len() as u32;
    Ok(outcome)
}
