//! Step facts: small JSON values keyed per team (test results, toggles, approvals),
//! each stamped with who recorded it and when. Step states are derived from them.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Actor, Result, Store, StoreError, Team, now_text};

/// One stored fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub key: String,
    pub value: serde_json::Value,
    pub actor: String,
    pub at: String,
}

impl Store {
    /// The time to stamp a fact with: now, except that a test result is never stamped
    /// before a settings change already stored (a change made in the same second as an
    /// earlier test is stamped one second ahead, see `teams::change_stamp`; a test run
    /// after that change did test the new settings, so it must not look older).
    fn fact_stamp(&self, team: &Team, key: &str) -> Result<String> {
        let now = now_text();
        if !super::teams::TEST_FACTS.contains(&key) {
            return Ok(now);
        }
        let latest_change: Option<String> = self.conn.query_row(
            "SELECT max(at) FROM facts WHERE team_id = ?1 AND key IN (?2, ?3)",
            params![
                team.id,
                super::teams::FACT_API_CHANGED,
                super::teams::FACT_DEEP_ENDPOINTS_CHANGED
            ],
            |r| r.get(0),
        )?;
        Ok(match latest_change {
            Some(change) if change > now => change,
            _ => now,
        })
    }

    /// Records (replacing) a fact and audits it under `fact.<key>`.
    pub fn set_fact<T: Serialize>(
        &self,
        team: &Team,
        key: &str,
        value: &T,
        actor: &Actor,
    ) -> Result<()> {
        let json = serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
            what: format!("fact {key}"),
            reason: e.to_string(),
        })?;
        let at = self.fact_stamp(team, key)?;
        self.conn.execute(
            "INSERT INTO facts (team_id, key, value, actor, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (team_id, key) DO UPDATE SET value = excluded.value, actor = excluded.actor, at = excluded.at",
            params![team.id, key, json, actor.user, at],
        )?;
        self.audit(actor, Some(&team.name), &format!("fact.{key}"), None)
    }

    /// Removes a fact (e.g. an approval reopened by a later change).
    pub fn clear_fact(&self, team: &Team, key: &str, actor: &Actor) -> Result<()> {
        let n = self.conn.execute(
            "DELETE FROM facts WHERE team_id = ?1 AND key = ?2",
            params![team.id, key],
        )?;
        if n > 0 {
            self.audit(
                actor,
                Some(&team.name),
                &format!("fact.{key}.cleared"),
                None,
            )?;
        }
        Ok(())
    }

    /// A fact decoded into `T`, if present.
    pub fn fact<T: DeserializeOwned>(&self, team: &Team, key: &str) -> Result<Option<T>> {
        let raw: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM facts WHERE team_id = ?1 AND key = ?2",
                params![team.id, key],
                |r| r.get(0),
            )
            .optional()?;
        raw.map(|json| {
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt {
                what: format!("fact {key}"),
                reason: e.to_string(),
            })
        })
        .transpose()
    }

    /// Every fact of a team.
    pub fn facts(&self, team: &Team) -> Result<Vec<Fact>> {
        let mut stmt = self
            .conn
            .prepare("SELECT key, value, actor, at FROM facts WHERE team_id = ?1 ORDER BY key")?;
        let rows = stmt
            .query_map([team.id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(key, value, actor, at)| {
                let value = serde_json::from_str(&value).map_err(|e| StoreError::Corrupt {
                    what: format!("fact {key}"),
                    reason: e.to_string(),
                })?;
                Ok(Fact {
                    key,
                    value,
                    actor,
                    at,
                })
            })
            .collect()
    }
}
