//! The home screen's read of every team's deep sync status: `sync::status::load` per
//! team, skipped while the team's fingerprint (`sync::browse::probe`) is unchanged since
//! the last read on this thread (the console thread runs the drivers), so an idle live
//! sync costs one small query per refresh, not a count of its records.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use crate::store::Store;
use crate::sync::{self, SyncStatus};

thread_local! {
    /// (database, team id) → (fingerprint, status read with it).
    static CACHE: RefCell<HashMap<(PathBuf, i64), (String, SyncStatus)>> =
        RefCell::new(HashMap::new());
}

/// Every team's sync status, by team id (teams whose status cannot be read are logged and
/// left out).
pub fn load(store: &Store) -> BTreeMap<i64, SyncStatus> {
    let mut out = BTreeMap::new();
    let teams = match store.teams() {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!("cannot list the teams for their sync states: {e}");
            return out;
        }
    };
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        for team in teams {
            let key = (store.path().to_path_buf(), team.id);
            let probe = match sync::browse::probe(store.conn(), store.path(), team.id) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(team = team.id, "cannot read the sync status: {e}");
                    continue;
                }
            };
            if let Some((seen, status)) = cache.get(&key)
                && *seen == probe
            {
                let mut status = status.clone();
                if let Ok(beat) = sync::browse::heartbeat(store.conn(), team.id) {
                    status.worker.heartbeat_at = beat;
                }
                out.insert(team.id, status);
                continue;
            }
            match sync::status::load(store.conn(), team.id) {
                Ok(status) => {
                    cache.insert(key, (probe, status.clone()));
                    out.insert(team.id, status);
                }
                Err(e) => tracing::warn!(team = team.id, "cannot read the sync status: {e}"),
            }
        }
    });
    out
}
