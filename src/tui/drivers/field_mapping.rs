//! The driver of the step 4 page: loading, saving and approving the mapping, and
//! discovering the customer's fields — the staged import or, failing that, the export
//! files, whose reading runs off the console thread.

use super::Out;
use crate::mapping::discover::{self, ExportColumns};
use crate::mapping::{Catalogue, storage};
use crate::store::{Actor, Store, Team};
use crate::tui::pages::field_mapping::{MappingEffect, MappingMsg};

/// Runs one piece of step 4 work; a reply ready now is returned, later ones go to `out`.
pub fn run(
    store: &Store,
    actor: &Actor,
    effect: MappingEffect,
    out: &Out<MappingMsg>,
) -> Option<MappingMsg> {
    let result = (|| -> Result<Option<MappingMsg>, String> {
        let team_name = match &effect {
            MappingEffect::Load { team }
            | MappingEffect::Discover { team }
            | MappingEffect::Refresh { team, .. }
            | MappingEffect::Save { team, .. }
            | MappingEffect::Approve { team } => team.clone(),
        };
        let team = store.team(&team_name).map_err(|e| e.to_string())?;
        let catalogue = Catalogue::standard();
        match effect {
            MappingEffect::Save { entries, .. } => {
                storage::save(store, &team, &entries, &catalogue, actor)
                    .map_err(|e| e.to_string())?;
            }
            MappingEffect::Discover { .. } => return discover_fields(store, &team, out),
            MappingEffect::Refresh { fields, .. } => {
                storage::refresh(store, &team, fields, &catalogue, actor)
                    .map_err(|e| e.to_string())?;
            }
            MappingEffect::Approve { .. } => {
                storage::approve(store, &team, &catalogue, None, actor)
                    .map_err(|e| e.to_string())?;
            }
            MappingEffect::Load { .. } => {}
        }
        Ok(Some(loaded(store, &team)?))
    })();
    result.unwrap_or_else(|e| Some(MappingMsg::Failed(e)))
}

fn loaded(store: &Store, team: &Team) -> Result<MappingMsg, String> {
    Ok(MappingMsg::Loaded {
        entries: storage::load(store, team).map_err(|e| e.to_string())?,
        approval: storage::approval(store, team).map_err(|e| e.to_string())?,
    })
}

/// The staged import answers at once; export files are read in a blocking task.
fn discover_fields(
    store: &Store,
    team: &Team,
    out: &Out<MappingMsg>,
) -> Result<Option<MappingMsg>, String> {
    let dir = crate::paths::exports_dir(store.path(), &team.name);
    match discover::export_columns(store, team, &dir).map_err(|e| e.to_string())? {
        ExportColumns::Staged(fields) => Ok(Some(MappingMsg::Discovered(fields))),
        ExportColumns::Files(files) => {
            let out = out.clone();
            tokio::task::spawn_blocking(move || {
                out.send(match discover::from_export_files(&files) {
                    Ok(fields) if fields.is_empty() => {
                        MappingMsg::Failed("the export files have no columns".into())
                    }
                    Ok(fields) => MappingMsg::Discovered(fields),
                    Err(e) => MappingMsg::Failed(e.to_string()),
                })
            });
            Ok(None)
        }
        ExportColumns::Nothing => Err(format!(
            "no export imported for {} yet (step 3); nothing to discover",
            team.name
        )),
    }
}
