//! Edits of a running tenant for tests of what happens after the initial sync: a record
//! changed, created or deleted now (sandbox clock, minute precision), a status added and
//! a workflow moved into it. Use through [`super::Sandbox::mutate`], e.g.
//! `sb.mutate(|t, clock| mutate::change_person(t, clock, id))`. Deterministic: new ids
//! are the current maximum + 1, values derive from the id.

use super::clock::SandboxClock;
use super::model::{Status, Tenant, Timestamp};

fn now_minute(clock: &SandboxClock) -> Timestamp {
    let t = clock.now_ts();
    t - t.rem_euclid(60)
}

/// Changes a live person's phone and folder; `false` when there is no such person.
pub fn change_person(t: &mut Tenant, clock: &SandboxClock, id: u64) -> bool {
    let folders = t.person_folders.clone();
    let Some(p) = t.people.iter_mut().find(|p| p.id == id) else {
        return false;
    };
    if let Some(ph) = p.phones.first_mut() {
        ph.phonenumber = format!("508-555-{:04}", id % 10_000);
    }
    if let Some(f) = folders
        .iter()
        .find(|f| f.id != p.folder.id && f.id.starts_with(&p.folder.id[..1]))
    {
        p.folder = f.clone();
    }
    p.updateddate = now_minute(clock);
    true
}

/// Creates a person (a copy of the first live one with a new id, name and email).
/// Returns its id, or `None` on an empty tenant.
pub fn create_person(t: &mut Tenant, clock: &SandboxClock) -> Option<u64> {
    let template = t.people.first()?.clone();
    let id = t.people.iter().map(|p| p.id).max()? + 1;
    let now = now_minute(clock);
    let mut p = template;
    p.id = id;
    p.firstname = "Newly".into();
    p.lastname = format!("Created{id}");
    p.email = format!("newly.created{id}@example.com");
    p.externalid = format!("NEW-{id}");
    p.linkedin = String::new();
    p.createddate = now;
    p.updateddate = now;
    t.people.push(p);
    t.people.sort_by_key(|p| p.id);
    Some(id)
}

/// Deletes a live person and their workflows; `false` when there is no such person.
pub fn delete_person(t: &mut Tenant, id: u64) -> bool {
    let before = t.people.len();
    t.people.retain(|p| p.id != id);
    t.workflows.retain(|w| w.person != id);
    t.people.len() != before
}

/// Adds a status to the catalogue; returns its id (`C9` + index).
pub fn add_status(t: &mut Tenant, name: &str, bin: &str) -> String {
    let id = format!("C9{:04}", t.statuses.len());
    let bin_id = t
        .statuses
        .iter()
        .find(|s| s.bin == bin)
        .map(|s| s.bin_id.clone())
        .unwrap_or_else(|| "D9000".into());
    t.statuses.push(Status {
        id: id.clone(),
        name: name.into(),
        bin: bin.into(),
        bin_id,
        is_rejection: false,
    });
    id
}

/// Moves a workflow into the status `status_id` now; `false` when either is unknown.
pub fn move_workflow(t: &mut Tenant, clock: &SandboxClock, id: u64, status_id: &str) -> bool {
    let Some(idx) = t.statuses.iter().position(|s| s.id == status_id) else {
        return false;
    };
    let now = now_minute(clock);
    match t.workflows.iter_mut().find(|w| w.id == id) {
        Some(w) => {
            w.status = idx;
            w.updateddate = now;
            true
        }
        None => false,
    }
}
