//! Jobs: background work (export download/import, deep sync) claimed by a worker
//! through a lease. Progress and checkpoints live on the job row; a checkpoint is
//! written with [`write_checkpoint`] inside the same transaction as the work it covers.

use std::fmt;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Result, Store, StoreError, Team, now_text, now_unix};

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Paused,
    Done,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> JobState {
        match s {
            "running" => JobState::Running,
            "paused" => JobState::Paused,
            "done" => JobState::Done,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Queued,
        }
    }

    /// Still to be worked on (queued, running or paused).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            JobState::Queued | JobState::Running | JobState::Paused
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A job row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub team_id: i64,
    pub kind: String,
    pub params: serde_json::Value,
    pub state: JobState,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
    pub checkpoint: Option<serde_json::Value>,
    pub progress: Option<serde_json::Value>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

fn json_col(row: &Row<'_>, col: &str) -> rusqlite::Result<Option<serde_json::Value>> {
    let text: Option<String> = row.get(col)?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn row_to_job(row: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: row.get("id")?,
        team_id: row.get("team_id")?,
        kind: row.get("kind")?,
        params: json_col(row, "params")?.unwrap_or(serde_json::Value::Null),
        state: JobState::parse(&row.get::<_, String>("state")?),
        lease_owner: row.get("lease_owner")?,
        lease_expires_at: row.get("lease_expires_at")?,
        checkpoint: json_col(row, "checkpoint")?,
        progress: json_col(row, "progress")?,
        error: row.get("error")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

fn to_json(v: &serde_json::Value) -> String {
    v.to_string()
}

/// Writes a job's checkpoint on `conn` — call it inside the transaction that commits
/// the work the checkpoint covers. Fails if `owner` no longer holds the lease.
pub fn write_checkpoint(
    conn: &Connection,
    job_id: i64,
    owner: &str,
    checkpoint: &serde_json::Value,
) -> Result<()> {
    let n = conn.execute(
        "UPDATE jobs SET checkpoint = ?3, updated_at = ?4 WHERE id = ?1 AND lease_owner = ?2",
        params![job_id, owner, to_json(checkpoint), now_text()],
    )?;
    if n == 0 {
        return Err(StoreError::Corrupt {
            what: format!("job {job_id}"),
            reason: format!("lease lost by {owner}"),
        });
    }
    Ok(())
}

impl Store {
    /// Queues a job for a team.
    pub fn enqueue_job(&self, team: &Team, kind: &str, params_: &serde_json::Value) -> Result<i64> {
        let now = now_text();
        self.conn.execute(
            "INSERT INTO jobs (team_id, kind, params, state, created_at, updated_at) VALUES (?1, ?2, ?3, 'queued', ?4, ?4)",
            params![team.id, kind, to_json(params_), now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Claims the oldest job of one of `kinds` that is queued, or running with an
    /// expired lease (its worker died). Atomic across processes.
    pub fn claim_job(
        &mut self,
        owner: &str,
        lease_secs: i64,
        kinds: &[&str],
    ) -> Result<Option<Job>> {
        let now = now_unix();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let candidates: Vec<Job> = {
            let mut stmt = tx.prepare(
                "SELECT * FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_expires_at < ?1) ORDER BY id",
            )?;
            stmt.query_map([now], row_to_job)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let Some(job) = candidates
            .into_iter()
            .find(|j| kinds.is_empty() || kinds.contains(&j.kind.as_str()))
        else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE jobs SET state = 'running', lease_owner = ?2, lease_expires_at = ?3, updated_at = ?4 WHERE id = ?1",
            params![job.id, owner, now + lease_secs, now_text()],
        )?;
        tx.commit()?;
        self.job(job.id)
    }

    /// Extends a lease; `false` if the job is no longer ours or no longer running.
    pub fn renew_lease(&self, job_id: i64, owner: &str, lease_secs: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET lease_expires_at = ?3 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
            params![job_id, owner, now_unix() + lease_secs],
        )?;
        Ok(n == 1)
    }

    /// Records progress (any JSON the job kind defines).
    pub fn set_job_progress(&self, job_id: i64, progress: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET progress = ?2, updated_at = ?3 WHERE id = ?1",
            params![job_id, to_json(progress), now_text()],
        )?;
        Ok(())
    }

    /// Ends a job (done, failed or cancelled) and releases its lease.
    pub fn finish_job(&self, job_id: i64, state: JobState, error: Option<&str>) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET state = ?2, error = ?3, lease_owner = NULL, lease_expires_at = NULL, updated_at = ?4 WHERE id = ?1",
            params![job_id, state.as_str(), error, now_text()],
        )?;
        Ok(())
    }

    /// Releases `owner`'s lease without finishing the job: a running job goes back to
    /// `queued` (to be resumed), a paused or cancelled one keeps its state. Returns the state.
    pub fn release_job(&self, job_id: i64, owner: &str) -> Result<JobState> {
        self.conn.execute(
            "UPDATE jobs SET state = CASE state WHEN 'running' THEN 'queued' ELSE state END,
                 lease_owner = NULL, lease_expires_at = NULL, updated_at = ?3
             WHERE id = ?1 AND (lease_owner = ?2 OR lease_owner IS NULL OR state != 'running')",
            params![job_id, owner, now_text()],
        )?;
        Ok(self.job(job_id)?.map_or(JobState::Queued, |j| j.state))
    }

    /// Sets an open job's state (pause, resume as queued, cancel) from the console or CLI.
    /// Cancels an open job for real: its state becomes `cancelled` and its lease is taken
    /// away, so a worker still running it fails its next checkpoint or lease renewal and
    /// stops without committing more. `false` if the job was no longer open.
    pub fn cancel_job(&self, job_id: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,
                 updated_at = ?2
             WHERE id = ?1 AND state IN ('queued', 'running', 'paused')",
            params![job_id, now_text()],
        )?;
        Ok(n == 1)
    }

    pub fn set_job_state(&self, job_id: i64, state: JobState) -> Result<()> {
        self.conn.execute(
            "UPDATE jobs SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![job_id, state.as_str(), now_text()],
        )?;
        Ok(())
    }

    /// One job.
    pub fn job(&self, id: i64) -> Result<Option<Job>> {
        Ok(self
            .conn
            .query_row("SELECT * FROM jobs WHERE id = ?1", [id], row_to_job)
            .optional()?)
    }

    /// The newest job of a kind for a team.
    pub fn latest_job(&self, team: &Team, kind: &str) -> Result<Option<Job>> {
        Ok(self
            .conn
            .query_row(
                "SELECT * FROM jobs WHERE team_id = ?1 AND kind = ?2 ORDER BY id DESC LIMIT 1",
                params![team.id, kind],
                row_to_job,
            )
            .optional()?)
    }

    /// A team's jobs, newest first.
    pub fn jobs(&self, team: &Team) -> Result<Vec<Job>> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM jobs WHERE team_id = ?1 ORDER BY id DESC")?;
        let jobs = stmt
            .query_map([team.id], row_to_job)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(jobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Actor, NewTeam};

    fn store() -> (tempfile::TempDir, Store, Team) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"))
            .unwrap()
            .with_keyring(crate::store::KeyRing::from_bytes(&[1; 32]));
        let team = store
            .add_team(
                &NewTeam {
                    name: "Acme".into(),
                    customer_id: 1,
                    ..Default::default()
                },
                &Actor::named("t"),
            )
            .unwrap();
        (dir, store, team)
    }

    #[test]
    fn claim_is_exclusive_until_the_lease_expires() {
        let (_d, mut store, team) = store();
        let id = store
            .enqueue_job(&team, "export.import", &serde_json::json!({}))
            .unwrap();
        let job = store
            .claim_job("w1", 60, &["export.import"])
            .unwrap()
            .unwrap();
        assert_eq!(job.id, id);
        assert_eq!(job.state, JobState::Running);
        assert!(store.claim_job("w2", 60, &[]).unwrap().is_none());
        // Expire the lease: another worker takes over.
        store
            .conn()
            .execute("UPDATE jobs SET lease_expires_at = 0 WHERE id = ?1", [id])
            .unwrap();
        let taken = store.claim_job("w2", 60, &[]).unwrap().unwrap();
        assert_eq!(taken.lease_owner.as_deref(), Some("w2"));
        assert!(!store.renew_lease(id, "w1", 60).unwrap());
        assert!(write_checkpoint(store.conn(), id, "w1", &serde_json::json!({"n": 1})).is_err());
        write_checkpoint(store.conn(), id, "w2", &serde_json::json!({"n": 2})).unwrap();
        store.finish_job(id, JobState::Done, None).unwrap();
        let done = store.job(id).unwrap().unwrap();
        assert_eq!(done.state, JobState::Done);
        assert_eq!(done.checkpoint, Some(serde_json::json!({"n": 2})));
    }

    #[test]
    fn claim_filters_by_kind() {
        let (_d, mut store, team) = store();
        store
            .enqueue_job(&team, "sync.deep", &serde_json::json!({}))
            .unwrap();
        assert!(
            store
                .claim_job("w", 60, &["export.import"])
                .unwrap()
                .is_none()
        );
        assert!(store.claim_job("w", 60, &["sync.deep"]).unwrap().is_some());
    }
}
