//! The Data Stream API (pull): `GET /datastream/v2/streams` (stream ids),
//! `…/streams/{cid}/subscriptions` and `…/subscriptions/{id}/events` with DynamoDB-style
//! paging (`limit`, `exclusiveStartKey` → `lastEvaluatedKey`). The events are the changes,
//! creations and deletions after the export cut-off, oldest first, then those of the edits
//! made while the tenant runs ([`super::mutate`] logs them in `Tenant::stream_log`; a test
//! can also log an event of a shape of its own). A tenant with `datastream_off` lists no
//! subscription and answers 404 for their events.

use super::generator::{CHANGES_END, CUTOFF};
use super::model::*;
use super::response::Response;
use base64::Engine;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Event {
    pub object: Object,
    pub action: &'static str,
    pub system_id: u64,
    pub ts: Timestamp,
    pub old_status: Option<String>,
    pub new_status: Option<String>,
    /// Served as is instead of the usual event object (tests of odd event shapes).
    pub raw: Option<Value>,
}

impl Event {
    /// An event of the usual shape.
    pub fn new(object: Object, action: &'static str, system_id: u64, ts: Timestamp) -> Event {
        Event {
            object,
            action,
            system_id,
            ts,
            old_status: None,
            new_status: None,
            raw: None,
        }
    }
}

pub const SUBSCRIPTIONS: [(&str, Object); 3] = [
    ("people-changes", Object::Person),
    ("jobs-changes", Object::Job),
    ("workflows-changes", Object::Workflow),
];

/// All events after the cut-off, oldest first (ties by object then id).
pub fn events(t: &Tenant) -> Vec<Event> {
    let mut out = Vec::new();
    for object in Object::ALL {
        let cs = t.after_cutoff.of(object);
        let updated = |id: u64| match object {
            Object::Person => t.person(id).map(|p| p.updateddate),
            Object::Job => t.job(id).map(|j| j.updateddate),
            Object::Workflow => t.workflow(id).map(|w| w.updateddate),
        };
        // Export workflows are sorted by id, so a binary search finds the old status.
        let status_of = |ws: &[Workflow], id: u64| {
            ws.binary_search_by_key(&id, |w| w.id)
                .ok()
                .and_then(|i| t.statuses.get(ws[i].status))
                .map(|s| s.id.clone())
        };
        for &id in &cs.changed {
            let (old_status, new_status) = if object == Object::Workflow {
                (
                    status_of(&t.export_workflows, id),
                    status_of(&t.workflows, id),
                )
            } else {
                (None, None)
            };
            let ts = updated(id).unwrap_or(CUTOFF);
            out.push(Event {
                object,
                action: "Updated",
                system_id: id,
                ts,
                old_status,
                new_status,
                raw: None,
            });
        }
        for &id in &cs.created {
            let ts = match object {
                Object::Person => t.person(id).map(|p| p.createddate),
                Object::Job => t.job(id).map(|j| j.createddate),
                Object::Workflow => t.workflow(id).map(|w| w.createddate),
            }
            .unwrap_or(CUTOFF);
            out.push(Event::new(object, "Created", id, ts));
        }
        for &id in &cs.deleted {
            let span = (CHANGES_END - CUTOFF) as u64;
            let ts = CUTOFF + ((id.wrapping_mul(2_654_435_761) % span) as i64 / 60) * 60;
            out.push(Event::new(object, "Deleted", id, ts));
        }
    }
    out.sort_by_key(|e| (e.ts, e.object as u8, e.system_id));
    out
}

fn event_json(t: &Tenant, e: &Event, seq: usize, customer_base: &str) -> Value {
    if let Some(raw) = &e.raw {
        return raw.clone();
    }
    let (kind, rel, title) = match e.object {
        Object::Person => ("Person", "person", "Person Profile"),
        Object::Job => ("Job", "job", "Job Profile"),
        Object::Workflow => ("Workflow", "applicantWorkflow", "Applicant Workflow"),
    };
    let event_type = if e.object == Object::Workflow && e.action == "Updated" {
        "WorkFlowStatusChangeEvent".to_string()
    } else {
        format!("{kind}{}Event", e.action)
    };
    let mut v = json!({
        "eventId": format!("{}-{seq:08}", t.customer_id),
        "eventType": event_type,
        "customerId": t.customer_id.to_string(),
        "systemId": e.system_id.to_string(),
        "profileType": e.object.schema_type(),
        "eventDate": format_datetime(e.ts),
        "links": [{"rel": rel, "title": title, "url": format!("{customer_base}/{}/{}", e.object.segment(), e.system_id)}],
    });
    if let (Some(o), Some(n)) = (&e.old_status, &e.new_status) {
        v["oldStatus"] = json!(o);
        v["newStatus"] = json!(n);
    }
    v
}

pub fn streams(t: &Tenant) -> Response {
    Response::json(200, &json!({"streams": [t.customer_id.to_string()]}))
}

pub fn subscriptions(t: &Tenant) -> Response {
    if t.datastream_off {
        return Response::json(200, &json!({ "subscriptions": [] }));
    }
    let subs: Vec<Value> = SUBSCRIPTIONS
        .iter()
        .map(|(id, o)| json!({"id": format!("{}-{id}", t.customer_id), "profileType": o.schema_type(), "status": "ACTIVE"}))
        .collect();
    Response::json(200, &json!({ "subscriptions": subs }))
}

fn encode_key(seq: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("seq:{seq}"))
}

fn decode_key(key: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key)
        .ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("seq:")?
        .parse()
        .ok()
}

/// `…/subscriptions/{id}/events?limit=&exclusiveStartKey=`. `generated` are the events
/// after the cut-off, then come the tenant's `stream_log` (numbered on from them).
pub fn events_page(
    t: &Tenant,
    generated: &[Event],
    sub: &str,
    limit: Option<String>,
    start: Option<String>,
    customer_base: &str,
) -> Response {
    let Some((_, object)) = SUBSCRIPTIONS
        .iter()
        .find(|(id, _)| format!("{}-{id}", t.customer_id) == sub)
        .filter(|_| !t.datastream_off)
    else {
        return Response::not_found(&format!("Subscription {sub} not found."));
    };
    let limit = match limit.map(|s| s.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return Response::bad_request("limit must be a number from 1 to 1000"),
    };
    let after = match start.filter(|s| !s.is_empty()) {
        None => None,
        Some(k) => match decode_key(&k) {
            Some(seq) => Some(seq),
            None => {
                return Response::bad_request("exclusiveStartKey is not a key this stream issued");
            }
        },
    };
    let mut page = Vec::new();
    let mut last = None;
    let mut more = false;
    let all = generated.iter().chain(t.stream_log.iter());
    for (seq, e) in all.enumerate().filter(|(_, e)| e.object == *object) {
        if after.is_some_and(|a| seq <= a) {
            continue;
        }
        if page.len() == limit {
            more = true;
            break;
        }
        page.push(event_json(t, e, seq, customer_base));
        last = Some(seq);
    }
    let mut body = json!({ "events": page });
    if let (true, Some(seq)) = (more, last) {
        body["lastEvaluatedKey"] = json!(encode_key(seq));
    }
    Response::json(200, &body)
}
