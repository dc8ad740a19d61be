//! Removing a team and everything stored for it: its jobs are cancelled (and their
//! workers given the time to notice), every row of every table with a `team_id` column
//! is deleted (found from `sqlite_master`, so tables added later are covered), its export
//! staging tables are dropped, its downloaded export files and folder are deleted, and
//! one audit entry records the removal with counts — never the data.
//!
//! The delete runs with `PRAGMA secure_delete` so the freed pages are overwritten with
//! zeros, and the WAL is then checkpointed and truncated so no old copy of a page stays
//! in it. Nothing of the team can be read back from the database files afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::store::{Actor, Store, StoreError, Team, now_text, now_unix};

/// Why a removal stopped.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "job {job} ({kind}) of team {team:?} is still held by worker {owner} after being cancelled; nothing was removed, try again when it has stopped"
    )]
    JobStillRunning {
        team: String,
        job: i64,
        kind: String,
        owner: String,
    },
    #[error(
        "team {team:?} was removed from the database, but {path} could not be deleted: {reason}"
    )]
    Files {
        team: String,
        path: PathBuf,
        reason: String,
    },
}

impl From<rusqlite::Error> for RemoveError {
    fn from(e: rusqlite::Error) -> Self {
        RemoveError::Store(StoreError::Sqlite(e))
    }
}

/// How long to wait for workers to let go of the team's cancelled jobs.
#[derive(Debug, Clone)]
pub struct RemoveOptions {
    pub wait_for_jobs: Duration,
    pub poll: Duration,
}

impl Default for RemoveOptions {
    fn default() -> Self {
        RemoveOptions {
            // A cancelled job's lease is no longer renewed, so it lapses within one lease.
            wait_for_jobs: Duration::from_secs(crate::worker::LEASE_SECS as u64 + 5),
            poll: Duration::from_millis(250),
        }
    }
}

/// What removing a team would delete (shown before the confirmation) or deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RemovalPlan {
    pub team_id: i64,
    pub name: String,
    /// Every table with a `team_id` column and the team's rows in it (zeros included).
    pub tables: BTreeMap<String, u64>,
    /// The team's export staging tables and the rows in them.
    pub staged_tables: u64,
    pub staged_rows: u64,
    /// Jobs still queued, running or paused.
    pub open_jobs: u64,
    /// Downloaded export files (and partial downloads, tickets) and their size.
    pub files: u64,
    pub bytes: u64,
    /// The team's folder, if it has one on disk.
    pub folder: Option<PathBuf>,
    /// Downloaded files outside the team's folder (`export fetch --dest`).
    #[serde(skip)]
    pub other_files: Vec<PathBuf>,
}

impl RemovalPlan {
    /// Rows of one table (0 if the table does not exist).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables.get(table).copied().unwrap_or(0)
    }

    /// One line of counts: non-empty tables, staged rows, files. Never a value. Tables
    /// that only tally another table's rows (kept by triggers) are not listed.
    pub fn counts_line(&self) -> String {
        let mut parts: Vec<String> = self
            .tables
            .iter()
            .filter(|(t, n)| **n > 0 && !["audit", "sync_record_counts"].contains(&t.as_str()))
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        if self.staged_tables > 0 {
            parts.push(format!(
                "staged rows {} in {} table(s)",
                self.staged_rows, self.staged_tables
            ));
        }
        parts.push(format!("files {} ({} bytes)", self.files, self.bytes));
        parts.push(format!("audit entries {}", self.rows("audit")));
        parts.join(", ")
    }
}

/// What a removal did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovalReport {
    #[serde(flatten)]
    pub plan: RemovalPlan,
    /// Open jobs cancelled.
    pub jobs_cancelled: u64,
    /// True when the WAL was checkpointed and truncated (false if another process kept
    /// reading; the old pages then stay in the WAL until its next checkpoint).
    pub wal_truncated: bool,
}

/// Tables (other than `teams`) that have a `team_id` column, by name.
pub fn team_tables(store: &Store) -> Result<Vec<String>, StoreError> {
    let mut stmt = store.conn().prepare(
        "SELECT m.name FROM sqlite_master m
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name <> 'teams'
           AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'team_id')
         ORDER BY m.name",
    )?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(names)
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn table_exists(store: &Store, name: &str) -> Result<bool, StoreError> {
    Ok(store
        .conn()
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The team's export staging tables (one per imported unit) that exist.
fn staging_tables(store: &Store, team: &Team) -> Result<Vec<String>, StoreError> {
    if !table_exists(store, "export_units")? {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = {
        let mut stmt = store
            .conn()
            .prepare("SELECT id FROM export_units WHERE team_id = ?1 ORDER BY id")?;
        stmt.query_map([team.id], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    let mut out = Vec::new();
    for id in ids {
        let name = crate::export::stage::stage_table(id);
        if table_exists(store, &name)? {
            out.push(name);
        }
    }
    Ok(out)
}

/// The folder the domain keeps a team's downloaded exports and tickets in, keyed by the
/// team's stable id (the one call into `paths` for it).
fn folder_of(store: &Store, team: &Team) -> PathBuf {
    crate::paths::exports_dir(store.path(), team.id)
}

/// The team's own folder for downloaded exports and tickets, if it exists. Another team
/// never shares it (folders are keyed by id); checked anyway, since deleting a folder is
/// not undone — a shared one would leave only the team's recorded files deleted.
fn team_folder(store: &Store, team: &Team) -> Result<Option<PathBuf>, StoreError> {
    let folder = folder_of(store, team);
    let shared = store
        .teams()?
        .iter()
        .any(|t| t.id != team.id && folder_of(store, t) == folder);
    Ok((!shared && folder.exists()).then_some(folder))
}

/// Files downloaded over SFTP for the team (with their partial files), wherever they are.
fn downloaded_files(store: &Store, team: &Team) -> Result<Vec<PathBuf>, StoreError> {
    if !table_exists(store, "export_files")? {
        return Ok(Vec::new());
    }
    let mut stmt = store.conn().prepare(
        "SELECT local_path FROM export_files WHERE team_id = ?1 AND source = 'sftp' ORDER BY id",
    )?;
    let paths = stmt
        .query_map([team.id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for p in paths {
        let p = PathBuf::from(p);
        out.push(crate::sftp::partial_path(&p));
        out.push(p);
    }
    Ok(out)
}

/// Counts files and bytes under `dir` (not following symlinks).
fn walk(dir: &Path, files: &mut u64, bytes: &mut u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        if meta.is_dir() {
            walk(&entry.path(), files, bytes);
        } else {
            *files += 1;
            *bytes += meta.len();
        }
    }
}

/// What removing `team` would delete, without changing anything.
pub fn plan_removal(store: &Store, team: &Team) -> Result<RemovalPlan, StoreError> {
    let mut plan = RemovalPlan {
        team_id: team.id,
        name: team.name.clone(),
        ..Default::default()
    };
    for table in team_tables(store)? {
        let n: i64 = store.conn().query_row(
            &format!("SELECT count(*) FROM {} WHERE team_id = ?1", quote(&table)),
            [team.id],
            |r| r.get(0),
        )?;
        plan.tables.insert(table, n as u64);
    }
    for table in staging_tables(store, team)? {
        let n: i64 = store.conn().query_row(
            &format!("SELECT count(*) FROM {}", quote(&table)),
            [],
            |r| r.get(0),
        )?;
        plan.staged_tables += 1;
        plan.staged_rows += n as u64;
    }
    if table_exists(store, "jobs")? {
        let n: i64 = store.conn().query_row(
            "SELECT count(*) FROM jobs WHERE team_id = ?1 AND state IN ('queued', 'running', 'paused')",
            [team.id],
            |r| r.get(0),
        )?;
        plan.open_jobs = n as u64;
    }
    plan.folder = team_folder(store, team)?;
    if let Some(folder) = &plan.folder {
        walk(folder, &mut plan.files, &mut plan.bytes);
    }
    for file in downloaded_files(store, team)? {
        let inside = plan.folder.as_ref().is_some_and(|f| file.starts_with(f));
        if !inside && let Ok(meta) = file.symlink_metadata() {
            plan.files += 1;
            plan.bytes += meta.len();
            plan.other_files.push(file);
        }
    }
    Ok(plan)
}

/// Cancels the team's open jobs and waits until no worker holds a live lease on one.
fn stop_jobs(
    store: &Store,
    team: &Team,
    opts: &RemoveOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<u64, RemoveError> {
    // Leases of workers that died are expired first, so only live workers are waited for.
    crate::worker::reap_dead_leases(store)?;
    let cancelled = store.conn().execute(
        "UPDATE jobs SET state = 'cancelled', updated_at = ?2
         WHERE team_id = ?1 AND state IN ('queued', 'running', 'paused')",
        params![team.id, now_text()],
    )? as u64;
    let deadline = Instant::now() + opts.wait_for_jobs;
    let mut told = false;
    loop {
        let held: Option<(i64, String, String)> = store
            .conn()
            .query_row(
                "SELECT id, kind, lease_owner FROM jobs
                 WHERE team_id = ?1 AND lease_owner IS NOT NULL AND lease_expires_at >= ?2
                 ORDER BY id LIMIT 1",
                params![team.id, now_unix()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((job, kind, owner)) = held else {
            return Ok(cancelled);
        };
        if Instant::now() >= deadline {
            return Err(RemoveError::JobStillRunning {
                team: team.name.clone(),
                job,
                kind,
                owner,
            });
        }
        if !told {
            progress(&format!(
                "cancelled job {job} ({kind}); waiting for its worker to stop (up to {} s)",
                opts.wait_for_jobs.as_secs()
            ));
            told = true;
        }
        std::thread::sleep(opts.poll);
        crate::worker::reap_dead_leases(store)?;
    }
}

fn remove_path(team: &Team, path: &Path) -> Result<(), RemoveError> {
    let res = match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    };
    res.map_err(|e| RemoveError::Files {
        team: team.name.clone(),
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Removes `team` and everything of it (see the module docs). Returns what was removed.
pub fn remove_team(
    store: &Store,
    team: &Team,
    actor: &Actor,
    opts: &RemoveOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<RemovalReport, RemoveError> {
    let jobs_cancelled = if table_exists(store, "jobs")? {
        stop_jobs(store, team, opts, progress)?
    } else {
        0
    };
    let plan = plan_removal(store, team)?;
    let conn = store.conn();
    let secure_before: i64 = conn.query_row("PRAGMA secure_delete", [], |r| r.get(0))?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    let deleted = delete_rows(store, team, &plan, actor);
    let _ = conn.pragma_update(None, "secure_delete", secure_before);
    deleted?;
    // Copy the zeroed pages into the database file and empty the WAL, so no earlier copy
    // of a page survives in it.
    let (busy, _log, _done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if let Some(folder) = &plan.folder {
        remove_path(team, folder)?;
    }
    for file in &plan.other_files {
        remove_path(team, file)?;
    }
    // Downloads kept in another folder of the exports root (databases from before folders
    // were keyed by id): that folder goes too once it is empty. Folders outside the exports
    // root are never touched.
    let team_dir = folder_of(store, team);
    let exports_root = team_dir.parent().unwrap_or(Path::new("/nonexistent"));
    for file in &plan.other_files {
        if let Some(dir) = file.parent()
            && dir.starts_with(exports_root)
            && dir != exports_root
        {
            let _ = std::fs::remove_dir(dir);
        }
    }
    Ok(RemovalReport {
        plan,
        jobs_cancelled,
        wal_truncated: busy == 0,
    })
}

fn delete_rows(
    store: &Store,
    team: &Team,
    plan: &RemovalPlan,
    actor: &Actor,
) -> Result<(), RemoveError> {
    let conn = store.conn();
    let tx = rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate)?;
    // Rows of one team table may reference another's; check references at commit, when
    // all of them are gone.
    conn.pragma_update(None, "defer_foreign_keys", "ON")?;
    for table in staging_tables(store, team)? {
        conn.execute_batch(&format!("DROP TABLE IF EXISTS {}", quote(&table)))?;
    }
    for table in team_tables(store)? {
        conn.execute(
            &format!("DELETE FROM {} WHERE team_id = ?1", quote(&table)),
            [team.id],
        )?;
    }
    conn.execute("DELETE FROM teams WHERE id = ?1", [team.id])?;
    store.audit(
        actor,
        Some(&team.name),
        "team.remove",
        Some(&format!("team #{}: {}", team.id, plan.counts_line())),
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JobState, KeyRing};

    fn store() -> (tempfile::TempDir, Store, Team, Team) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("r.db"))
            .unwrap()
            .with_keyring(KeyRing::from_bytes(&[7; 32]));
        let (a, b) = (store.add_test_team("Acme"), store.add_test_team("Globex"));
        (dir, store, a, b)
    }

    fn fast() -> RemoveOptions {
        RemoveOptions {
            wait_for_jobs: Duration::from_millis(600),
            poll: Duration::from_millis(50),
        }
    }

    #[test]
    fn a_live_lease_stops_the_removal_with_nothing_removed() {
        let (_d, mut store, acme, _g) = store();
        let id = store
            .enqueue_job(&acme, "export.import", &serde_json::json!({}))
            .unwrap();
        // Held by this (live) process: the removal cancels it, waits, then gives up.
        store
            .claim_job(&crate::worker::owner_id(), 60, &[])
            .unwrap()
            .unwrap();
        let err = remove_team(&store, &acme, &Actor::named("t"), &fast(), &mut |_| {}).unwrap_err();
        assert!(
            matches!(err, RemoveError::JobStillRunning { job, .. } if job == id),
            "{err}"
        );
        assert!(store.team("Acme").is_ok(), "nothing removed");
        assert_eq!(
            store.job(id).unwrap().unwrap().state,
            JobState::Cancelled,
            "the job stays cancelled"
        );
    }

    #[test]
    fn dead_or_expired_leases_do_not_block_and_other_teams_are_untouched() {
        let (_d, mut store, acme, globex) = store();
        let dead = store
            .enqueue_job(&acme, "export.fetch", &serde_json::json!({}))
            .unwrap();
        store
            .claim_job("localhost:999999999:dead", 60, &[])
            .unwrap();
        store
            .conn()
            .execute(
                "UPDATE jobs SET lease_owner = ?2 WHERE id = ?1",
                params![dead, format!("{}:2147483646:00000000", hostname())],
            )
            .unwrap();
        store
            .enqueue_job(&acme, "export.import", &serde_json::json!({}))
            .unwrap();
        let other = store
            .enqueue_job(&globex, "export.import", &serde_json::json!({}))
            .unwrap();
        for (team, id) in [(&acme, "1"), (&acme, "2"), (&globex, "1")] {
            store
                .conn()
                .execute(
                    "INSERT INTO sync_records (team_id, object, icims_id, fields, raw, source) VALUES (?1, 'people', ?2, '{}', '{}', 'api')",
                    params![team.id, id],
                )
                .unwrap();
        }
        let report = remove_team(&store, &acme, &Actor::named("t"), &fast(), &mut |_| {}).unwrap();
        assert_eq!(report.jobs_cancelled, 2);
        // The counts the triggers keep are removed too, but not listed as data removed;
        // the other team's still match its rows.
        let line = report.plan.counts_line();
        assert!(
            line.contains("sync_records 2") && !line.contains("sync_record_counts"),
            "{line}"
        );
        let globex_count: i64 = store
            .conn()
            .query_row(
                "SELECT n FROM sync_record_counts WHERE team_id = ?1 AND object = 'people' AND deleted = 0",
                [globex.id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(globex_count, 1);
        assert_eq!(report.plan.rows("jobs"), 2);
        assert!(store.team("Acme").is_err());
        assert_eq!(
            store.job(other).unwrap().unwrap().state,
            JobState::Queued,
            "another team's job is untouched"
        );
        for table in team_tables(&store).unwrap() {
            let n: i64 = store
                .conn()
                .query_row(
                    &format!("SELECT count(*) FROM {} WHERE team_id = ?1", quote(&table)),
                    [acme.id],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 0, "{table} keeps rows of the removed team");
        }
        let log = store.audit_log(None, 100).unwrap();
        let removal: Vec<_> = log
            .iter()
            .filter(|e| e.team.as_deref() == Some("Acme"))
            .collect();
        assert_eq!(removal.len(), 1, "{log:?}");
        assert_eq!(removal[0].action, "team.remove");
        assert!(
            removal[0].detail.as_deref().unwrap().contains("jobs 2"),
            "{removal:?}"
        );
    }

    fn hostname() -> String {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_string())
    }
}
