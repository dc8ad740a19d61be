//! The audit log: who did what to which team, and when. Never a secret value.
//!
//! Each entry names the team as it was called at the time (`team`) and, while the team
//! exists, its stable id (`team_id`), so a team's history follows a rename.

use rusqlite::params;
use serde::Serialize;

use super::{Actor, Result, Store, now_text};

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub ssh_client: Option<String>,
    pub team: Option<String>,
    pub action: String,
    /// What the action acted on (a credential kind, a file, the settings changed, counts);
    /// written by the action, never a secret.
    pub detail: Option<String>,
}

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries of this team id (its whole history, whatever it was called).
    pub team_id: Option<i64>,
    /// Entries recorded under this team name (a removed team's entries).
    pub team_name: Option<String>,
    /// Entries at or after this stored time (RFC 3339, UTC).
    pub since: Option<String>,
    /// At most this many, newest first.
    pub limit: Option<usize>,
}

/// Text with control characters escaped, for showing audit entries (and other stored
/// text) to people: nothing stored can drive their terminal. The project's one escaping
/// rule, [`crate::safe_text::escape_control`].
pub fn printable(s: &str) -> String {
    crate::safe_text::escape_control(s).into_owned()
}

fn row_to_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        ssh_client: r.get(3)?,
        team: r.get(4)?,
        action: r.get(5)?,
        detail: r.get(6)?,
    })
}

impl Store {
    /// Records an action. `detail` must never carry a secret. The entry is tied to the
    /// team's id when a team of that name exists.
    pub fn audit(
        &self,
        actor: &Actor,
        team: Option<&str>,
        action: &str,
        detail: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO audit (at, actor, ssh_client, team, action, detail, team_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT id FROM teams WHERE name = ?4))",
            params![
                now_text(),
                actor.user,
                actor.ssh_client,
                team,
                action,
                detail
            ],
        )?;
        Ok(())
    }

    /// The most recent entries, newest first.
    pub fn audit_log(&self, team: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        let team_id = match team {
            Some(name) => Some(self.team(name)?.id),
            None => None,
        };
        self.audit_entries(&AuditQuery {
            team_id,
            limit: Some(limit),
            ..Default::default()
        })
    }

    /// Entries matching `q`, newest first.
    pub fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, ssh_client, team, action, detail FROM audit
             WHERE (?1 IS NULL OR team_id = ?1)
               AND (?2 IS NULL OR team = ?2 COLLATE NOCASE)
               AND (?3 IS NULL OR at >= ?3)
             ORDER BY id DESC LIMIT ?4",
        )?;
        let limit = q.limit.map_or(-1, |l| l as i64);
        let rows = stmt
            .query_map(
                params![q.team_id, q.team_name, q.since, limit],
                row_to_entry,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{KeyRing, NewTeam};

    #[test]
    fn entries_follow_the_team_id_through_a_rename_and_filter_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a.db"))
            .unwrap()
            .with_keyring(KeyRing::from_bytes(&[3; 32]));
        let actor = Actor::named("t");
        let team = store
            .add_team(
                &NewTeam {
                    name: "Acme".into(),
                    customer_id: 1,
                    ..Default::default()
                },
                &actor,
            )
            .unwrap();
        store.audit(&actor, None, "other", None).unwrap();
        store
            .conn()
            .execute("UPDATE teams SET name = 'Acme2' WHERE id = ?1", [team.id])
            .unwrap();
        store.audit(&actor, Some("acme2"), "after", None).unwrap();
        let mine = store
            .audit_entries(&AuditQuery {
                team_id: Some(team.id),
                ..Default::default()
            })
            .unwrap();
        let actions: Vec<&str> = mine.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["after", "team.add"], "newest first, both names");
        assert_eq!(mine[1].team.as_deref(), Some("Acme"), "name at the time");
        let by_name = store
            .audit_entries(&AuditQuery {
                team_name: Some("ACME".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(by_name.len(), 1);
        let future = store
            .audit_entries(&AuditQuery {
                since: Some("2999-01-01T00:00:00Z".into()),
                ..Default::default()
            })
            .unwrap();
        assert!(future.is_empty());
        assert_eq!(store.audit_log(None, 2).unwrap().len(), 2);
    }
}
