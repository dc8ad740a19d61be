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

    /// Updates a team's endpoint overrides and region/customer id.
    pub fn update_team(&self, team: &Team, actor: &Actor) -> Result<()> {
        self.conn.execute(
            "UPDATE teams SET customer_id = ?2, region = ?3, api_base = ?4, token_url = ?5, datastream_base = ?6 WHERE id = ?1",
            params![
                team.id,
                team.customer_id as i64,
                team.region.as_str(),
                team.api_base_override,
                team.token_url_override,
                team.datastream_base_override
            ],
        )?;
        self.audit(actor, Some(&team.name), "team.update", None)
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
