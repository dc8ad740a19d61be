//! The driver of the step 6 page: loading, saving and approving the stage mapping and
//! rebuilding the status catalogue — the Schema API's status options are read in a task
//! (the credential is unsealed here, on the console thread), the rebuild from them, the
//! export and the synced workflows runs against the store.

use super::Out;
use crate::icims::{ClientConfig, IcimsClient};
use crate::mapping::stages::storage;
use crate::store::{Actor, CredentialKind, Store, Team};
use crate::tui::pages::stage_mapping::{StageMappingReply, StageMappingWork};

/// Runs one piece of step 6 work; a reply ready now is returned, later ones go to `out`.
pub fn run(
    store: &Store,
    actor: &Actor,
    work: StageMappingWork,
    out: &Out<StageMappingReply>,
) -> Option<StageMappingReply> {
    let result = (|| -> Result<Option<StageMappingReply>, String> {
        let team_name = match &work {
            StageMappingWork::Load { team }
            | StageMappingWork::Discover { team }
            | StageMappingWork::Catalogue { team, .. }
            | StageMappingWork::Save { team, .. }
            | StageMappingWork::Approve { team } => team.clone(),
        };
        let team = store.team(&team_name).map_err(|e| e.to_string())?;
        match work {
            StageMappingWork::Load { .. } => {}
            StageMappingWork::Discover { .. } => return read_schema(store, &team, out),
            StageMappingWork::Catalogue { options, .. } => {
                storage::refresh(store, &team, options.as_deref(), actor)
                    .map_err(|e| e.to_string())?;
            }
            StageMappingWork::Save { rows, .. } => {
                storage::save(store, &team, &rows, actor).map_err(|e| e.to_string())?;
            }
            StageMappingWork::Approve { .. } => {
                storage::approve(store, &team, None, actor).map_err(|e| e.to_string())?;
            }
        }
        Ok(Some(loaded(store, &team)?))
    })();
    result.unwrap_or_else(|e| Some(StageMappingReply::Failed(e)))
}

fn loaded(store: &Store, team: &Team) -> Result<StageMappingReply, String> {
    Ok(StageMappingReply::Loaded {
        rows: storage::load(store, team).map_err(|e| e.to_string())?,
        stages: storage::stages(store, team).map_err(|e| e.to_string())?,
        approval: storage::approval(store, team).map_err(|e| e.to_string())?,
    })
}

/// The status options over the API (REST credential, else basic) in a task; without a
/// credential the rebuild goes on from the export and the sync at once.
fn read_schema(
    store: &Store,
    team: &Team,
    out: &Out<StageMappingReply>,
) -> Result<Option<StageMappingReply>, String> {
    let credential = match store.credential(team, CredentialKind::Rest) {
        Ok(Some(c)) => Some(c),
        _ => store.credential(team, CredentialKind::Basic).ok().flatten(),
    };
    let Some(credential) = credential else {
        return Ok(Some(StageMappingReply::SchemaRead(Err(
            "no API credential stored".to_string(),
        ))));
    };
    let client = IcimsClient::for_team(team, &credential, ClientConfig::default())
        .map_err(|e| e.to_string())?;
    let out = out.clone();
    tokio::spawn(async move {
        let result = client
            .status_catalogue()
            .await
            .map_err(|e| format!("status options not read: {e}"));
        out.send(StageMappingReply::SchemaRead(result));
    });
    Ok(None)
}
