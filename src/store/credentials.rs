//! Credentials per team and kind: non-secret parts in clear, the secret sealed.

use std::fmt;
use std::str::FromStr;

use rusqlite::{OptionalExtension, params};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::secrets::Sealed;
use super::{Actor, Result, Store, StoreError, Team, now_text};

/// Which credential: iCIMS Basic API user, REST OAuth client, Data Stream client, SFTP login.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    Basic,
    Rest,
    Datastream,
    Sftp,
}

impl CredentialKind {
    pub const ALL: [CredentialKind; 4] = [
        CredentialKind::Basic,
        CredentialKind::Rest,
        CredentialKind::Datastream,
        CredentialKind::Sftp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Basic => "basic",
            CredentialKind::Rest => "rest",
            CredentialKind::Datastream => "datastream",
            CredentialKind::Sftp => "sftp",
        }
    }

    /// What the secret of this kind is called, for prompts and messages.
    pub fn secret_name(self) -> &'static str {
        match self {
            CredentialKind::Basic | CredentialKind::Sftp => "password",
            CredentialKind::Rest | CredentialKind::Datastream => "client secret",
        }
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CredentialKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CredentialKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown credential kind {s:?}"))
    }
}

/// The non-secret parts of a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// SFTP: a private key file used instead of (or with, as passphrase) the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<String>,
}

/// A credential with its secret opened (held in a `SecretString`).
pub struct Credential {
    pub kind: CredentialKind,
    pub params: CredentialParams,
    pub secret: SecretString,
    pub updated_at: String,
    pub updated_by: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("kind", &self.kind)
            .field("params", &self.params)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// What can be shown of a credential: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSummary {
    pub kind: CredentialKind,
    pub params: CredentialParams,
    pub updated_at: String,
    pub updated_by: String,
}

fn context(team_id: i64, kind: CredentialKind) -> String {
    format!("icims-onboard:{team_id}:{kind}")
}

impl Store {
    /// Stores (replacing) a team's credential of one kind, sealing the secret.
    pub fn set_credential(
        &self,
        team: &Team,
        kind: CredentialKind,
        params_: &CredentialParams,
        secret: &SecretString,
        actor: &Actor,
    ) -> Result<()> {
        let sealed = self.keyring()?.seal(secret, &context(team.id, kind))?;
        let params_json = serde_json::to_string(params_).map_err(|e| StoreError::Corrupt {
            what: "credential parameters".into(),
            reason: e.to_string(),
        })?;
        self.conn.execute(
            "INSERT INTO credentials (team_id, kind, params, nonce, sealed, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (team_id, kind) DO UPDATE SET params = excluded.params, nonce = excluded.nonce,
                 sealed = excluded.sealed, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            params![
                team.id,
                kind.as_str(),
                params_json,
                sealed.nonce,
                sealed.ciphertext,
                now_text(),
                actor.user
            ],
        )?;
        self.audit(
            actor,
            Some(&team.name),
            "creds.set",
            Some(&format!("kind={kind}")),
        )
    }

    /// A credential with its secret, or `None` if not set.
    pub fn credential(&self, team: &Team, kind: CredentialKind) -> Result<Option<Credential>> {
        let row = self
            .conn
            .query_row(
                "SELECT params, nonce, sealed, updated_at, updated_by FROM credentials WHERE team_id = ?1 AND kind = ?2",
                params![team.id, kind.as_str()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()?;
        let Some((params_json, nonce, ciphertext, updated_at, updated_by)) = row else {
            return Ok(None);
        };
        let params = parse_params(&params_json, kind)?;
        let secret = self
            .keyring()?
            .open(&Sealed { nonce, ciphertext }, &context(team.id, kind))?;
        Ok(Some(Credential {
            kind,
            params,
            secret,
            updated_at,
            updated_by,
        }))
    }

    /// Like [`Store::credential`], but a missing credential is an error naming the fix.
    pub fn require_credential(&self, team: &Team, kind: CredentialKind) -> Result<Credential> {
        self.credential(team, kind)?
            .ok_or_else(|| StoreError::NoCredentials {
                team: team.name.clone(),
                kind,
            })
    }

    /// The credentials of a team without their secrets (no key needed).
    pub fn credential_summaries(&self, team: &Team) -> Result<Vec<CredentialSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT kind, params, updated_at, updated_by FROM credentials WHERE team_id = ?1 ORDER BY kind",
        )?;
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
        let mut out = Vec::new();
        for (kind, params_json, updated_at, updated_by) in rows {
            let Ok(kind) = kind.parse::<CredentialKind>() else {
                continue;
            };
            out.push(CredentialSummary {
                kind,
                params: parse_params(&params_json, kind)?,
                updated_at,
                updated_by,
            });
        }
        Ok(out)
    }
}

fn parse_params(json: &str, kind: CredentialKind) -> Result<CredentialParams> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        what: format!("{kind} credential parameters"),
        reason: e.to_string(),
    })
}
