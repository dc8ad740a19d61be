//! Per-team sync settings (`sync_settings`): the share of the customer's daily quota the
//! sync may use (default 80%, leaving 20% for the customer's other integrations), the
//! concurrency, the safety overlap before the export cut-off, the live interval and how
//! often a live cycle also reconciles ids, and the scope (person and job folders kept).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::store::{Actor, Store, Team, now_text};

use super::SyncError;

/// Which records the sync keeps. `None` = all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Person folders kept (names or list-node ids, case-insensitive).
    pub person_folders: Option<Vec<String>>,
    /// Job folders kept (names or list-node ids, case-insensitive).
    pub job_folders: Option<Vec<String>>,
}

impl Scope {
    fn keeps(list: &Option<Vec<String>>, value: &str) -> bool {
        match list {
            None => true,
            Some(l) => l
                .iter()
                .any(|f| f.trim().eq_ignore_ascii_case(value.trim())),
        }
    }

    /// Whether a person in `folder` (name or id) is kept.
    pub fn keeps_person(&self, folder: &str) -> bool {
        Scope::keeps(&self.person_folders, folder)
    }

    /// Whether a job in `folder` (name or id) is kept.
    pub fn keeps_job(&self, folder: &str) -> bool {
        Scope::keeps(&self.job_folders, folder)
    }

    /// The folder list of an object, if scoped.
    pub fn folders(&self, object: &str) -> Option<&[String]> {
        match object {
            "people" => self.person_folders.as_deref(),
            "jobs" => self.job_folders.as_deref(),
            _ => None,
        }
    }

    /// One line for the plan: "people: all; jobs: Approved".
    pub fn describe(&self) -> String {
        let one = |l: &Option<Vec<String>>| match l {
            None => "all".to_string(),
            Some(v) => v.join(", "),
        };
        format!(
            "people: {}; jobs: {}; workflows: all",
            one(&self.person_folders),
            one(&self.job_folders)
        )
    }
}

/// A team's sync settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncSettings {
    /// Share of the daily quota the sync may use (0.05–1.0).
    pub quota_share: f64,
    /// Profile GETs in flight at once.
    pub concurrency: usize,
    /// Minutes searched before the export's cut-off (exports carry minute precision).
    pub overlap_minutes: i64,
    /// Seconds between live cycles.
    pub live_interval_secs: u64,
    /// A live cycle also reconciles ids every this many cycles (1 = every cycle).
    pub reconcile_every: u32,
    pub scope: Scope,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            quota_share: 0.8,
            concurrency: 8,
            overlap_minutes: 5,
            live_interval_secs: 300,
            reconcile_every: 12,
            scope: Scope::default(),
        }
    }
}

impl SyncSettings {
    /// Checks ranges; the message names the setting at fault.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.05..=1.0).contains(&self.quota_share) {
            return Err(format!(
                "quota share {} is outside 0.05–1.0",
                self.quota_share
            ));
        }
        if !(1..=64).contains(&self.concurrency) {
            return Err(format!("concurrency {} is outside 1–64", self.concurrency));
        }
        if !(1..=1440).contains(&self.overlap_minutes) {
            return Err(format!(
                "overlap {} minutes is outside 1–1440",
                self.overlap_minutes
            ));
        }
        if self.live_interval_secs == 0 {
            return Err("live interval must be at least 1 second".into());
        }
        if self.reconcile_every == 0 {
            return Err("reconcile-every must be at least 1".into());
        }
        Ok(())
    }
}

/// A team's settings (defaults when none were saved).
pub fn load(store: &Store, team: &Team) -> Result<SyncSettings, SyncError> {
    let row = store
        .conn()
        .query_row(
            "SELECT quota_share, concurrency, overlap_minutes, live_interval_secs, reconcile_every,
                    person_folders, job_folders FROM sync_settings WHERE team_id = ?1",
            [team.id],
            |r| {
                Ok((
                    r.get::<_, f64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .optional()?;
    let Some((share, conc, overlap, live, rec, pf, jf)) = row else {
        return Ok(SyncSettings::default());
    };
    let list = |t: Option<String>| t.and_then(|t| serde_json::from_str::<Vec<String>>(&t).ok());
    Ok(SyncSettings {
        quota_share: share,
        concurrency: conc.clamp(1, 64) as usize,
        overlap_minutes: overlap.max(1),
        live_interval_secs: live.max(1) as u64,
        reconcile_every: rec.max(1) as u32,
        scope: Scope {
            person_folders: list(pf),
            job_folders: list(jf),
        },
    })
}

/// Saves a team's settings (validated first).
pub fn save(store: &Store, team: &Team, s: &SyncSettings, actor: &Actor) -> Result<(), SyncError> {
    s.validate().map_err(|reason| SyncError::NotReady {
        team: team.name.clone(),
        reason,
    })?;
    let list = |l: &Option<Vec<String>>| l.as_ref().and_then(|v| serde_json::to_string(v).ok());
    store.conn().execute(
        "INSERT INTO sync_settings (team_id, quota_share, concurrency, overlap_minutes, live_interval_secs,
             reconcile_every, person_folders, job_folders, updated_by, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (team_id) DO UPDATE SET quota_share = excluded.quota_share,
             concurrency = excluded.concurrency, overlap_minutes = excluded.overlap_minutes,
             live_interval_secs = excluded.live_interval_secs, reconcile_every = excluded.reconcile_every,
             person_folders = excluded.person_folders, job_folders = excluded.job_folders,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        params![
            team.id,
            s.quota_share,
            s.concurrency as i64,
            s.overlap_minutes,
            s.live_interval_secs as i64,
            s.reconcile_every as i64,
            list(&s.scope.person_folders),
            list(&s.scope.job_folders),
            actor.user,
            now_text()
        ],
    )?;
    store.audit(actor, Some(&team.name), "sync.settings", None)?;
    Ok(())
}
