//! The status catalogue: every status seen in the Schema API's status options, in the
//! historical export (the staged workflow file's status and bin columns) and in synced
//! workflows (`sync_records`, tolerated absent until the deep sync's migration exists),
//! merged by id (export names are matched to ids by name). Workflow counts "now" come
//! from the synced records when there are any, else from the export.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;

use super::model::{NAME_ID_PREFIX, Seen};
use crate::export::stage::{quote_ident, stage_table};
use crate::icims::schema::StatusOption;
use crate::store::{Store, Team};

/// One status as one source saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub id: Option<String>,
    pub name: String,
    pub bin: Option<String>,
    /// Workflows in it according to this source (`None` for the schema).
    pub workflows: Option<u64>,
    pub seen: Seen,
}

/// A merged catalogue entry (before storage adds first/last seen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub id: String,
    pub name: String,
    pub bin: Option<String>,
    pub position: u32,
    pub workflows: u64,
    pub seen_in: Vec<Seen>,
}

/// Statuses of the Schema API's status options, in the tenant's order.
pub fn from_schema(options: &[StatusOption]) -> Vec<Observed> {
    options
        .iter()
        .map(|o| Observed {
            id: Some(o.id.clone()),
            name: o.value.clone(),
            bin: o.bin.clone(),
            workflows: None,
            seen: Seen::Schema,
        })
        .collect()
}

fn table_exists(store: &Store, name: &str) -> rusqlite::Result<bool> {
    store
        .conn()
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()
        .map(|o| o.is_some())
}

/// The export column mapped to `target` in the field mapping, else a header equal to
/// `fallback` (case-insensitive), among `columns`.
fn column_for(
    store: &Store,
    team: &Team,
    columns: &[String],
    target: &str,
    fallback: &str,
) -> Option<String> {
    let mapped: Option<String> = store
        .conn()
        .query_row(
            "SELECT customer_field FROM field_mapping WHERE team_id = ?1 AND object = 'workflow'
             AND source = 'export' AND target = ?2 AND state IN ('suggested', 'accepted', 'changed')",
            rusqlite::params![team.id, target],
            |r| r.get(0),
        )
        .optional()
        .ok()
        .flatten();
    mapped.filter(|m: &String| columns.contains(m)).or_else(|| {
        columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(fallback))
            .cloned()
    })
}

/// Statuses in the staged export (workflow units whose import finished), with counts.
pub fn from_export(store: &Store, team: &Team) -> rusqlite::Result<Vec<Observed>> {
    let units: Vec<i64> = {
        let mut stmt = store.conn().prepare(
            "SELECT id FROM export_units WHERE team_id = ?1 AND state = 'done'
             AND object IN ('workflows', 'workflow') ORDER BY id",
        )?;
        stmt.query_map([team.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<i64>>>()?
    };
    let mut order: Vec<(String, Option<String>)> = Vec::new();
    let mut counts: BTreeMap<(String, Option<String>), u64> = BTreeMap::new();
    for unit in units {
        let table = stage_table(unit);
        if !table_exists(store, &table)? {
            continue;
        }
        let columns: Vec<String> = {
            let mut stmt = store
                .conn()
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?
        };
        let Some(status_col) = column_for(store, team, &columns, "workflow.status", "status")
        else {
            continue;
        };
        let bin_col = column_for(store, team, &columns, "workflow.bin", "bin");
        let bin_expr = bin_col.as_deref().map_or("NULL".to_string(), quote_ident);
        let sql = format!(
            "SELECT TRIM({s}), NULLIF(TRIM({bin_expr}), ''), COUNT(*), MIN(_line) FROM {table}
             WHERE TRIM(COALESCE({s}, '')) <> '' GROUP BY TRIM({s}), NULLIF(TRIM({bin_expr}), '')
             ORDER BY MIN(_line)",
            s = quote_ident(&status_col)
        );
        let mut stmt = store.conn().prepare(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (name, bin, n) in rows {
            let key = (name, bin);
            let slot = counts.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                0
            });
            *slot += n.max(0) as u64;
        }
    }
    Ok(order
        .into_iter()
        .map(|key| {
            let n = counts.get(&key).copied().unwrap_or(0);
            Observed {
                id: None,
                name: key.0,
                bin: key.1,
                workflows: Some(n),
                seen: Seen::Export,
            }
        })
        .collect())
}

/// Statuses of the live synced workflows with counts; empty when the table is absent
/// (the deep sync's migration not there yet) or holds no workflows of the team.
pub fn from_sync(store: &Store, team: &Team) -> rusqlite::Result<Vec<Observed>> {
    if !table_exists(store, "sync_records")? {
        return Ok(Vec::new());
    }
    let mut stmt = store.conn().prepare(
        "SELECT status_id, MAX(status_name), COUNT(*), MIN(rowid) FROM sync_records
         WHERE team_id = ?1 AND object = 'workflows' AND deleted = 0
           AND COALESCE(status_id, status_name) IS NOT NULL
         GROUP BY COALESCE(status_id, 'name:' || status_name) ORDER BY MIN(rowid)",
    )?;
    let rows = stmt
        .query_map([team.id], |r| {
            Ok(Observed {
                id: r
                    .get::<_, Option<String>>(0)?
                    .filter(|s| !s.trim().is_empty()),
                name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                bin: None,
                workflows: Some(r.get::<_, i64>(2)?.max(0) as u64),
                seen: Seen::Sync,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Merges the sources: schema first (its order is the tenant's), then sync, then export.
/// Counts come from `sync` when it has any workflow, else from the export.
pub fn merge(schema: &[Observed], sync: &[Observed], export: &[Observed]) -> Vec<Merged> {
    let mut out: Vec<Merged> = Vec::new();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let counts_from_sync = !sync.is_empty();
    for o in schema.iter().chain(sync).chain(export) {
        let index =
            o.id.as_ref()
                .and_then(|id| by_id.get(id).copied())
                .or_else(|| by_name.get(&name_key(&o.name)).copied());
        let index = match index {
            Some(i) => i,
            None => {
                let id =
                    o.id.clone()
                        .unwrap_or_else(|| format!("{NAME_ID_PREFIX}{}", o.name.trim()));
                out.push(Merged {
                    id: id.clone(),
                    name: o.name.trim().to_string(),
                    bin: None,
                    position: out.len() as u32,
                    workflows: 0,
                    seen_in: Vec::new(),
                });
                by_id.insert(id, out.len() - 1);
                out.len() - 1
            }
        };
        let m = &mut out[index];
        if let Some(id) = &o.id
            && !m.id.starts_with(NAME_ID_PREFIX)
            && m.id != *id
        {
            // Same name, two ids: keep them apart.
            let id = id.clone();
            out.push(Merged {
                id: id.clone(),
                name: o.name.trim().to_string(),
                bin: o.bin.clone(),
                position: out.len() as u32,
                workflows: o
                    .workflows
                    .filter(|_| o.seen == Seen::Sync || !counts_from_sync)
                    .unwrap_or(0),
                seen_in: vec![o.seen],
            });
            by_id.insert(id, out.len() - 1);
            continue;
        }
        if m.name.is_empty() {
            m.name = o.name.trim().to_string();
        }
        if m.bin.is_none() {
            m.bin = o.bin.clone();
        }
        if !m.seen_in.contains(&o.seen) {
            m.seen_in.push(o.seen);
            m.seen_in.sort();
        }
        let counts_here = match o.seen {
            Seen::Schema => false,
            Seen::Sync => true,
            Seen::Export => !counts_from_sync,
        };
        if counts_here {
            m.workflows += o.workflows.unwrap_or(0);
        }
        if !o.name.trim().is_empty() {
            by_name.entry(name_key(&o.name)).or_insert(index);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(
        id: Option<&str>,
        name: &str,
        bin: Option<&str>,
        n: Option<u64>,
        seen: Seen,
    ) -> Observed {
        Observed {
            id: id.map(str::to_string),
            name: name.into(),
            bin: bin.map(str::to_string),
            workflows: n,
            seen,
        }
    }

    #[test]
    fn export_names_join_schema_ids_and_counts_prefer_sync() {
        let schema = [
            obs(Some("D1"), "New", Some("Review"), None, Seen::Schema),
            obs(Some("C2"), "NMF", Some("Review"), None, Seen::Schema),
        ];
        let export = [
            obs(None, "new", Some("Review"), Some(5), Seen::Export),
            obs(None, "Legacy Status", Some("Old"), Some(2), Seen::Export),
        ];
        let m = merge(&schema, &[], &export);
        assert_eq!(m.len(), 3);
        assert_eq!((m[0].id.as_str(), m[0].workflows), ("D1", 5));
        assert_eq!(m[0].seen_in, vec![Seen::Schema, Seen::Export]);
        assert_eq!((m[1].id.as_str(), m[1].workflows), ("C2", 0));
        assert_eq!(m[2].id, "name:Legacy Status");
        assert_eq!(m[2].bin.as_deref(), Some("Old"));

        let sync = [obs(Some("C2"), "NMF", None, Some(7), Seen::Sync)];
        let m = merge(&schema, &sync, &export);
        assert_eq!(
            m[0].workflows, 0,
            "counts come from sync when it has workflows"
        );
        assert_eq!(m[1].workflows, 7);
        assert_eq!(m[1].bin.as_deref(), Some("Review"));
        assert_eq!(m[2].workflows, 0);
    }
}
