//! Host-key pins kept in the store, and connecting with a team's stored SFTP credential.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, params};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::client::{SftpClient, probe_host_key};
use super::error::SftpError;
use super::host_key::{HostKey, HostKeyCheck};
use super::{Auth, ConnectOptions};
use crate::store::{Actor, CredentialKind, Store, Team, now_text};

/// A pinned host key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostKeyPin {
    pub host: String,
    pub port: u16,
    pub key_type: String,
    pub fingerprint: String,
    pub pinned_at: String,
    pub pinned_by: String,
}

/// The key pinned for a team's `host:port`, if any.
pub fn pinned_host_key(
    store: &Store,
    team: &Team,
    host: &str,
    port: u16,
) -> Result<Option<HostKeyPin>, SftpError> {
    let pin = store
        .conn()
        .query_row(
            "SELECT key_type, fingerprint, pinned_at, pinned_by FROM sftp_host_keys
             WHERE team_id = ?1 AND host = ?2 AND port = ?3",
            params![team.id, host, port],
            |r| {
                Ok(HostKeyPin {
                    host: host.to_string(),
                    port,
                    key_type: r.get(0)?,
                    fingerprint: r.get(1)?,
                    pinned_at: r.get(2)?,
                    pinned_by: r.get(3)?,
                })
            },
        )
        .optional()
        .map_err(crate::store::StoreError::from)?;
    Ok(pin)
}

/// Pins `key` for a team's `host:port` (replacing any earlier pin) and audits it.
pub fn pin_host_key(
    store: &Store,
    team: &Team,
    host: &str,
    port: u16,
    key: &HostKey,
    actor: &Actor,
) -> Result<(), SftpError> {
    store
        .conn()
        .execute(
            "INSERT INTO sftp_host_keys (team_id, host, port, key_type, fingerprint, pinned_at, pinned_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (team_id, host, port) DO UPDATE SET key_type = excluded.key_type,
                 fingerprint = excluded.fingerprint, pinned_at = excluded.pinned_at, pinned_by = excluded.pinned_by",
            params![team.id, host, port, key.key_type, key.fingerprint, now_text(), actor.user],
        )
        .map_err(crate::store::StoreError::from)?;
    store.audit(
        actor,
        Some(&team.name),
        "sftp.host_key.pin",
        Some(&format!(
            "{host}:{port} {} {}",
            key.key_type, key.fingerprint
        )),
    )?;
    Ok(())
}

/// Forgets a pinned key (after the customer confirmed a rotation); audited.
pub fn forget_host_key(
    store: &Store,
    team: &Team,
    host: &str,
    port: u16,
    actor: &Actor,
) -> Result<bool, SftpError> {
    let n = store
        .conn()
        .execute(
            "DELETE FROM sftp_host_keys WHERE team_id = ?1 AND host = ?2 AND port = ?3",
            params![team.id, host, port],
        )
        .map_err(crate::store::StoreError::from)?;
    if n > 0 {
        store.audit(
            actor,
            Some(&team.name),
            "sftp.host_key.forget",
            Some(&format!("{host}:{port}")),
        )?;
    }
    Ok(n > 0)
}

/// The SFTP connection settings of a team, from its stored `sftp` credential.
pub struct TeamSftp {
    pub options: ConnectOptions,
    /// The export directory on the server (`.` if not given).
    pub path: String,
}

/// Reads the team's SFTP credential into connect options.
pub fn team_sftp(store: &Store, team: &Team) -> Result<TeamSftp, SftpError> {
    let cred = store.require_credential(team, CredentialKind::Sftp)?;
    let p = &cred.params;
    let host = p.host.clone().filter(|h| !h.is_empty()).ok_or_else(|| {
        SftpError::Config(format!(
            "the sftp credential of team {:?} has no host; set it with `icims-onboard creds set {} --kind sftp --host H ...`",
            team.name, team.name
        ))
    })?;
    let username = p
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            SftpError::Config(format!(
                "the sftp credential of team {:?} has no username",
                team.name
            ))
        })?;
    let auth = match &p.key_file {
        Some(key) if !key.is_empty() => Auth::KeyFile {
            path: PathBuf::from(key),
            passphrase: (!cred.secret.expose_secret().is_empty())
                .then(|| SecretString::from(cred.secret.expose_secret().to_string())),
        },
        _ => Auth::Password(cred.secret),
    };
    let options = ConnectOptions::new(&host, p.port.unwrap_or(22), &username, auth);
    Ok(TeamSftp {
        options,
        path: p
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| ".".into()),
    })
}

/// The key the team's server presents now, and the pin on record (nothing is sent).
pub fn probe_for_team(
    store: &Store,
    team: &Team,
) -> Result<(HostKey, Option<HostKeyPin>), SftpError> {
    let t = team_sftp(store, team)?;
    let key = probe_host_key(&t.options)?;
    let pin = pinned_host_key(store, team, &t.options.host, t.options.port)?;
    Ok((key, pin))
}

/// Connects with the team's credential. With a pin, the server must present the pinned
/// key. Without one, `accept` must name the presented fingerprint (confirmed by the
/// engineer), which is then pinned; otherwise [`SftpError::HostKeyUnknown`] reports it.
pub fn connect_for_team(
    store: &Store,
    team: &Team,
    accept: Option<&str>,
    actor: &Actor,
) -> Result<(SftpClient, TeamSftp), SftpError> {
    let t = team_sftp(store, team)?;
    let pin = pinned_host_key(store, team, &t.options.host, t.options.port)?;
    let check = match &pin {
        Some(p) => HostKeyCheck::Pinned(p.fingerprint.clone()),
        None => HostKeyCheck::Unpinned(accept.map(str::to_string)),
    };
    let client = SftpClient::connect(&t.options, &check)?;
    if pin.is_none() {
        pin_host_key(
            store,
            team,
            &t.options.host,
            t.options.port,
            client.host_key(),
            actor,
        )?;
    }
    Ok((client, t))
}
