//! The audit log: who did what to which team, and when. Never a secret value.

use rusqlite::params;
use serde::Serialize;

use super::{Actor, Result, Store, now_text};

/// One audit entry.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub ssh_client: Option<String>,
    pub team: Option<String>,
    pub action: String,
    pub detail: Option<String>,
}

impl Store {
    /// Records an action. `detail` must never carry a secret.
    pub fn audit(
        &self,
        actor: &Actor,
        team: Option<&str>,
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO audit (at, actor, ssh_client, team, action, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![now_text(), actor.user, actor.ssh_client, team, action, detail],
        )?;
        Ok(())
    }

    /// The most recent entries, newest first.
    pub fn audit_log(&self, team: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, actor, ssh_client, team, action, detail FROM audit
             WHERE ?1 IS NULL OR team = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![team, limit as i64], |r| {
                Ok(AuditEntry {
                    at: r.get(0)?,
                    actor: r.get(1)?,
                    ssh_client: r.get(2)?,
                    team: r.get(3)?,
                    action: r.get(4)?,
                    detail: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}
