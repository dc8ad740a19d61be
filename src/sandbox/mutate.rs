//! Edits of a running tenant for tests of what happens after the initial sync: a record
//! changed, created or deleted now (sandbox clock, minute precision), a status added and
//! a workflow moved into it. Use through [`super::Sandbox::mutate`], e.g.
//! `sb.mutate(|t, clock| mutate::change_person(t, clock, id))`. Deterministic: new ids
//! are the current maximum + 1, values derive from the id. Every record edit is also
//! logged as a Data Stream event (`Tenant::stream_log`), as iCIMS would stream it; the
//! Data Stream itself can be switched off, and an event of any shape logged.

use serde_json::Value;

use super::clock::SandboxClock;
use super::datastream::Event;
use super::model::{Object, Status, Tenant, Timestamp};

fn log(t: &mut Tenant, object: Object, action: &'static str, id: u64, ts: Timestamp) {
    t.stream_log.push(Event::new(object, action, id, ts));
}

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
    let ts = p.updateddate;
    log(t, Object::Person, "Updated", id, ts);
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
    log(t, Object::Person, "Created", id, now);
    Some(id)
}

/// Deletes a live person and their workflows; `false` when there is no such person.
/// The deletion events are dated by this machine's clock (minute precision).
pub fn delete_person(t: &mut Tenant, id: u64) -> bool {
    let before = t.people.len();
    t.people.retain(|p| p.id != id);
    if t.people.len() == before {
        return false;
    }
    let now = chrono::Utc::now().timestamp();
    let now = now - now.rem_euclid(60);
    let gone: Vec<u64> = t
        .workflows
        .iter()
        .filter(|w| w.person == id)
        .map(|w| w.id)
        .collect();
    t.workflows.retain(|w| w.person != id);
    log(t, Object::Person, "Deleted", id, now);
    for w in gone {
        log(t, Object::Workflow, "Deleted", w, now);
    }
    true
}

/// Switches the customer's Data Stream subscriptions on or off (off: none listed).
pub fn set_datastream(t: &mut Tenant, on: bool) {
    t.datastream_off = !on;
}

/// Logs an event served exactly as `raw` on `object`'s subscription (an event shape the
/// client may not know).
pub fn log_raw_event(t: &mut Tenant, object: Object, raw: Value) {
    let mut e = Event::new(object, "Raw", 0, 0);
    e.raw = Some(raw);
    t.stream_log.push(e);
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
    let statuses = t.statuses.clone();
    let Some(w) = t.workflows.iter_mut().find(|w| w.id == id) else {
        return false;
    };
    let old = statuses.get(w.status).map(|s| s.id.clone());
    w.status = idx;
    w.updateddate = now;
    let mut e = Event::new(Object::Workflow, "Updated", id, now);
    e.old_status = old;
    e.new_status = statuses.get(idx).map(|s| s.id.clone());
    t.stream_log.push(e);
    true
}
