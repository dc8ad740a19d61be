//! Teams: a customer being onboarded, with its iCIMS customer id, region and endpoint overrides.

use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{Actor, Result, Store, StoreError, now_text};

/// The iCIMS data region of a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Region {
    Us,
    Eu,
}

impl Region {
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Eu => "eu",
        }
    }

    /// The production API base of the region.
    pub fn default_api_base(self) -> &'static str {
        match self {
            Region::Us => "https://api.icims.com",
            Region::Eu => "https://api-eu.icims.com",
        }
    }

    /// The production OAuth token URL of the region.
    pub fn default_token_url(self) -> &'static str {
        match self {
            Region::Us => "https://login.icims.com/oauth/token",
            Region::Eu => "https://login.icims.eu/oauth/token",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Region {
    type Err = String;
    fn from_str(s: &str) -> Result<Region, String> {
        match s.to_ascii_lowercase().as_str() {
            "us" => Ok(Region::Us),
            "eu" => Ok(Region::Eu),
            other => Err(format!("unknown region {other:?} (expected us or eu)")),
        }
    }
}

/// The production Data Stream base (same for every region as far as public sources show).
pub const DEFAULT_DATASTREAM_BASE: &str =
    "https://data-transfer-assembler.production.env.icims.tools/datastream/v2/streams";

/// A stored team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub customer_id: u64,
    pub region: Region,
    pub api_base_override: Option<String>,
    pub token_url_override: Option<String>,
    pub datastream_base_override: Option<String>,
    pub created_at: String,
}

impl Team {
    /// The API base in use: the override, else the region's default.
    pub fn api_base(&self) -> String {
        self.api_base_override
            .clone()
            .unwrap_or_else(|| self.region.default_api_base().to_string())
    }

    /// The OAuth token URL in use.
    pub fn token_url(&self) -> String {
        self.token_url_override
            .clone()
            .unwrap_or_else(|| self.region.default_token_url().to_string())
    }

    /// The Data Stream base in use.
    pub fn datastream_base(&self) -> String {
        self.datastream_base_override
            .clone()
            .unwrap_or_else(|| DEFAULT_DATASTREAM_BASE.to_string())
    }
}

/// Fact recorded when a team's customer id or API base in effect changes: step 1 and
/// step 2 test results recorded before it no longer count.
pub const FACT_API_CHANGED: &str = "team.api_changed";
/// Fact recorded when a team's token URL or Data Stream base in effect changes: step 2
/// preflight results recorded before it no longer count.
pub const FACT_DEEP_ENDPOINTS_CHANGED: &str = "team.deep_endpoints_changed";

/// Test facts that a settings change can supersede (see [`change_stamp`]).
pub(crate) const TEST_FACTS: [&str; 2] = ["basic.test", "deep.preflight"];

/// A change to a team's settings; `None` leaves a setting as it is. For the endpoint
/// overrides, `Some(None)` goes back to the region's default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamEdit {
    pub name: Option<String>,
    pub customer_id: Option<u64>,
    pub region: Option<Region>,
    pub api_base: Option<Option<String>>,
    pub token_url: Option<Option<String>>,
    pub datastream_base: Option<Option<String>>,
}

/// One setting whose value in effect changed (endpoints as used, defaults included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    /// `name`, `customer_id`, `region`, `api_base`, `token_url` or `datastream_base`.
    pub field: &'static str,
    pub before: String,
    pub after: String,
}

impl SettingChange {
    /// The setting as people call it.
    pub fn label(&self) -> &'static str {
        match self.field {
            "name" => "name",
            "customer_id" => "customer id",
            "region" => "region",
            "api_base" => "API base",
            "token_url" => "token URL",
            _ => "Data Stream base",
        }
    }
}

/// What [`Store::edit_team`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamEdited {
    pub before: Team,
    pub after: Team,
    /// Settings whose value in effect changed, in a fixed order.
    pub changes: Vec<SettingChange>,
    /// The facts recorded to supersede earlier tests ([`FACT_API_CHANGED`], …).
    pub superseded: Vec<&'static str>,
}

/// The settings in effect that differ between two versions of a team.
fn setting_changes(before: &Team, after: &Team) -> Vec<SettingChange> {
    let pairs: [(&'static str, String, String); 6] = [
        ("name", before.name.clone(), after.name.clone()),
        (
            "customer_id",
            before.customer_id.to_string(),
            after.customer_id.to_string(),
        ),
        (
            "region",
            before.region.to_string(),
            after.region.to_string(),
        ),
        ("api_base", before.api_base(), after.api_base()),
        ("token_url", before.token_url(), after.token_url()),
        (
            "datastream_base",
            before.datastream_base(),
            after.datastream_base(),
        ),
    ];
    pairs
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(field, before, after)| SettingChange {
            field,
            before,
            after,
        })
        .collect()
}

/// The time to stamp a settings change with. Facts have second precision and a test
/// counts unless something it depends on is strictly newer; a test recorded in this same
/// second happened before the change (it is already stored), so the change is stamped
/// one second later to make it strictly newer.
fn change_stamp(conn: &rusqlite::Connection, team_id: i64) -> Result<String> {
    let now = now_text();
    let latest: Option<String> = conn.query_row(
        "SELECT max(at) FROM facts WHERE team_id = ?1 AND key IN (?2, ?3)",
        params![team_id, TEST_FACTS[0], TEST_FACTS[1]],
        |r| r.get(0),
    )?;
    match latest {
        Some(test_at) if test_at >= now => {
            let next = chrono::DateTime::parse_from_rfc3339(&test_at)
                .map(|t| t.with_timezone(&chrono::Utc) + chrono::Duration::seconds(1))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or(now);
            Ok(next)
        }
        _ => Ok(now),
    }
}

/// What it takes to create a team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewTeam {
    pub name: String,
    pub customer_id: u64,
    pub region: Option<Region>,
    pub api_base: Option<String>,
    pub token_url: Option<String>,
    pub datastream_base: Option<String>,
}

fn row_to_team(row: &Row<'_>) -> rusqlite::Result<Team> {
    let region: String = row.get("region")?;
    Ok(Team {
        id: row.get("id")?,
        name: row.get("name")?,
        customer_id: row.get::<_, i64>("customer_id")? as u64,
        region: if region == "eu" {
            Region::Eu
        } else {
            Region::Us
        },
        api_base_override: row.get("api_base")?,
        token_url_override: row.get("token_url")?,
        datastream_base_override: row.get("datastream_base")?,
        created_at: row.get("created_at")?,
    })
}

/// Checks a team name: 1–64 printable characters, no leading or trailing space.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("team name is empty".into());
    }
    if name.trim() != name {
        return Err("team name has leading or trailing spaces".into());
    }
    if name.chars().count() > 64 {
        return Err("team name is longer than 64 characters".into());
    }
    if name.chars().any(char::is_control) {
        return Err("team name contains control characters".into());
    }
    Ok(())
}

/// Checks an URL override: see [`crate::icims::config::validate_endpoint_url`] (https off
/// loopback, no credentials in the URL).
pub fn validate_url(field: &str, value: &str) -> Result<(), String> {
    crate::icims::config::validate_endpoint_url(field, value).map(|_| ())
}

impl Store {
    /// Creates a team; a name already taken (case-insensitively) is refused.
    pub fn add_team(&self, new: &NewTeam, actor: &Actor) -> Result<Team> {
        let region = new.region.unwrap_or(Region::Us);
        let res = self.conn.execute(
            "INSERT INTO teams (name, customer_id, region, api_base, token_url, datastream_base, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                new.name,
                new.customer_id as i64,
                region.as_str(),
                new.api_base,
                new.token_url,
                new.datastream_base,
                now_text()
            ],
        );
        match res {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                return Err(StoreError::DuplicateTeam(new.name.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        self.audit(
            actor,
            Some(&new.name),
            "team.add",
            Some(&format!(
                "customer_id={} region={}",
                new.customer_id, region
            )),
        )?;
        self.team(&new.name)
    }

    /// Updates a team's customer id, region and endpoint overrides to those of `team`
    /// (the row with `team.id`), through [`Store::edit_team`] so that tests taken against
    /// the old settings stop counting.
    pub fn update_team(&self, team: &Team, actor: &Actor) -> Result<()> {
        self.edit_team(
            team.id,
            &TeamEdit {
                name: None,
                customer_id: Some(team.customer_id),
                region: Some(team.region),
                api_base: Some(team.api_base_override.clone()),
                token_url: Some(team.token_url_override.clone()),
                datastream_base: Some(team.datastream_base_override.clone()),
            },
            actor,
        )?;
        Ok(())
    }

    /// Applies `edit` to the team with id `team_id` in one transaction: the row, the
    /// facts that mark earlier tests as superseded ([`FACT_API_CHANGED`],
    /// [`FACT_DEEP_ENDPOINTS_CHANGED`]) and one `team.set` audit entry naming the
    /// settings changed (never their values). An edit that changes nothing writes nothing.
    pub fn edit_team(&self, team_id: i64, edit: &TeamEdit, actor: &Actor) -> Result<TeamEdited> {
        let tx = rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?;
        let before = self.team_by_id(team_id)?;
        let mut after = before.clone();
        if let Some(name) = &edit.name {
            after.name = name.clone();
        }
        if let Some(id) = edit.customer_id {
            after.customer_id = id;
        }
        if let Some(region) = edit.region {
            after.region = region;
        }
        if let Some(v) = &edit.api_base {
            after.api_base_override = v.clone();
        }
        if let Some(v) = &edit.token_url {
            after.token_url_override = v.clone();
        }
        if let Some(v) = &edit.datastream_base {
            after.datastream_base_override = v.clone();
        }
        let changes = setting_changes(&before, &after);
        if after == before {
            return Ok(TeamEdited {
                before,
                after,
                changes,
                superseded: Vec::new(),
            });
        }
        let res = self.conn.execute(
            "UPDATE teams SET name = ?2, customer_id = ?3, region = ?4, api_base = ?5, token_url = ?6,
                 datastream_base = ?7 WHERE id = ?1",
            params![
                team_id,
                after.name,
                after.customer_id as i64,
                after.region.as_str(),
                after.api_base_override,
                after.token_url_override,
                after.datastream_base_override
            ],
        );
        match res {
            Ok(_) => {}
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation) => {
                return Err(StoreError::DuplicateTeam(after.name.clone()));
            }
            Err(e) => return Err(e.into()),
        }
        let changed = |f: &str| changes.iter().any(|c| c.field == f);
        let mut superseded = Vec::new();
        if changed("customer_id") || changed("api_base") {
            superseded.push(FACT_API_CHANGED);
        }
        if changed("token_url") || changed("datastream_base") {
            superseded.push(FACT_DEEP_ENDPOINTS_CHANGED);
        }
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        if !superseded.is_empty() {
            let at = change_stamp(&self.conn, team_id)?;
            let value = serde_json::json!({ "fields": fields }).to_string();
            for key in &superseded {
                self.conn.execute(
                    "INSERT INTO facts (team_id, key, value, actor, at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (team_id, key) DO UPDATE SET value = excluded.value,
                         actor = excluded.actor, at = excluded.at",
                    params![team_id, key, value, actor.user, at],
                )?;
            }
        }
        let detail = if fields.is_empty() {
            "endpoint overrides (same endpoints in effect)".to_string()
        } else {
            fields.join(", ")
        };
        self.audit(actor, Some(&after.name), "team.set", Some(&detail))?;
        tx.commit()?;
        Ok(TeamEdited {
            before,
            after,
            changes,
            superseded,
        })
    }

    /// All teams, by name.
    pub fn teams(&self) -> Result<Vec<Team>> {
        let mut stmt = self
            .conn
            .prepare("SELECT * FROM teams ORDER BY name COLLATE NOCASE")?;
        let teams = stmt
            .query_map([], row_to_team)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(teams)
    }

    /// One team by name (case-insensitive).
    pub fn team(&self, name: &str) -> Result<Team> {
        self.conn
            .query_row("SELECT * FROM teams WHERE name = ?1", [name], row_to_team)
            .optional()?
            .ok_or_else(|| StoreError::NoSuchTeam(name.to_string()))
    }

    /// One team by id.
    pub fn team_by_id(&self, id: i64) -> Result<Team> {
        self.conn
            .query_row("SELECT * FROM teams WHERE id = ?1", [id], row_to_team)
            .optional()?
            .ok_or_else(|| StoreError::NoSuchTeam(format!("#{id}")))
    }
}

#[cfg(test)]
impl Store {
    /// Adds a team named `name` (customer 1) as actor "t": the unit tests' one-line team.
    pub(crate) fn add_test_team(&self, name: &str) -> Team {
        self.add_team(
            &NewTeam {
                name: name.into(),
                customer_id: 1,
                ..Default::default()
            },
            &Actor::named("t"),
        )
        .unwrap()
    }
}
