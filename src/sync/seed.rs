//! Seeding: the staged export rows (step 3), through the approved mapping (step 4), become
//! the team's `sync_records` (source `export`), scope applied. Batches of rows are read by
//! rowid and written one transaction each; the last one also records the phase `seeded`,
//! so a seed interrupted at any point is simply redone (upserts of the same values; no
//! API record exists before the seed is complete).

use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::export::stage::{quote_ident, stage_table};

use super::SyncError;
use super::fields::{FieldPlan, Statuses, folder_of};
use super::progress;
use super::settings::Scope;

const BATCH: i64 = 2000;

/// Rows seeded per object.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SeedReport {
    pub people: u64,
    pub jobs: u64,
    pub workflows: u64,
    /// Export rows without an id under the mapping (not seeded).
    pub without_id: u64,
    /// Export rows outside the scope.
    pub out_of_scope: u64,
}

/// Staged units (id, object) of a team whose import finished.
pub fn staged_units(conn: &Connection, team_id: i64) -> Result<Vec<(i64, String)>, SyncError> {
    let mut stmt = conn.prepare(
        "SELECT id, object FROM export_units WHERE team_id = ?1 AND state = 'done' ORDER BY id",
    )?;
    let rows = stmt
        .query_map([team_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(i64, String)>>>()?;
    Ok(rows)
}

/// Seeds `sync_records` from the staged export.
pub fn seed(
    conn: &Connection,
    team_id: i64,
    plan: &FieldPlan,
    statuses: &Statuses,
    scope: &Scope,
) -> Result<SeedReport, SyncError> {
    let mut report = SeedReport::default();
    let units = staged_units(conn, team_id)?;
    for (unit, object) in &units {
        let Some(fields) = plan.of(object) else {
            continue;
        };
        let table = stage_table(*unit);
        let columns: Vec<String> = {
            let stmt = conn.prepare(&format!("SELECT * FROM {} LIMIT 0", quote_ident(&table)))?;
            stmt.column_names().map(|s| s.to_string()).collect()
        };
        let sql = format!(
            "SELECT rowid, * FROM {} WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
            quote_ident(&table)
        );
        let mut after = 0i64;
        loop {
            let rows: Vec<(i64, HashMap<String, String>)> = {
                let mut stmt = conn.prepare_cached(&sql)?;
                stmt.query_map(params![after, BATCH], |r| {
                    let rowid: i64 = r.get(0)?;
                    let mut cells = HashMap::with_capacity(columns.len());
                    for (i, c) in columns.iter().enumerate() {
                        if c == "_line" {
                            continue;
                        }
                        let v: Option<String> = r.get(i + 1)?;
                        cells.insert(c.clone(), v.unwrap_or_default());
                    }
                    Ok((rowid, cells))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?
            };
            let Some(last) = rows.last().map(|r| r.0) else {
                break;
            };
            after = last;
            let tx = super::progress::begin(conn)?;
            let mut n = 0u64;
            for (_, cells) in &rows {
                let Some(rec) = fields.from_export(object, cells, statuses) else {
                    report.without_id += 1;
                    continue;
                };
                if let Some(folder) = folder_of(&rec, object) {
                    let kept = match object.as_str() {
                        "people" => scope.keeps_person(&folder),
                        "jobs" => scope.keeps_job(&folder),
                        _ => true,
                    };
                    if !kept {
                        report.out_of_scope += 1;
                        continue;
                    }
                }
                progress::upsert_row(
                    &tx,
                    team_id,
                    object,
                    &progress::RecordRow::of(rec, None),
                    "export",
                )?;
                n += 1;
            }
            tx.commit()?;
            match object.as_str() {
                "people" => report.people += n,
                "jobs" => report.jobs += n,
                _ => report.workflows += n,
            }
        }
    }
    let tx = super::progress::begin(conn)?;
    for (object, n) in [
        ("people", report.people),
        ("jobs", report.jobs),
        ("workflows", report.workflows),
    ] {
        tx.execute(
            "INSERT INTO sync_objects (team_id, object, seeded) VALUES (?1, ?2, ?3)
             ON CONFLICT (team_id, object) DO UPDATE SET seeded = excluded.seeded",
            params![team_id, object, n as i64],
        )?;
    }
    progress::set_phase(&tx, team_id, "seeded")?;
    progress::event(
        &tx,
        team_id,
        "seeded",
        &format!(
            "seeded from the export: {} people, {} jobs, {} workflows ({} out of scope, {} without an id)",
            report.people, report.jobs, report.workflows, report.out_of_scope, report.without_id
        ),
    )?;
    tx.commit()?;
    Ok(report)
}
