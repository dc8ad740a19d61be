//! Data Stream events for live cycles: which records an event names (tolerant of the
//! event shape, which the reference leaves unknown), which objects the subscriptions
//! cover, and reading each subscription on from the position stored for it. Every page
//! of events commits its work rows together with the new position, so a crash never
//! skips events nor takes them twice (taking one twice would only fetch a record again).
//!
//! Anything that stops the stream from being trusted for a cycle — no Data Stream
//! credential, no subscription, an error, an event that cannot be interpreted — is a
//! [`Read::fallback`]: the cycle then polls every object by `updateddate` instead.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::icims::{ClientConfig, IcimsClient, IcimsError};
use crate::store::{CredentialKind, Store, Team, now_text};

use super::budget::Budget;
use super::plan::{add_work, parse_when, take_call};
use super::{OBJECTS, SyncError};

/// Minutes before the initial pass began from which a subscription read for the first
/// time (from its first page) takes events; older events were covered by the initial pass.
pub const CATCH_UP_SLACK_MINUTES: i64 = 60;

/// One record an event names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `people`, `jobs` or `workflows`.
    pub object: &'static str,
    pub id: u64,
    /// When the event happened, if it says so in a form this reader knows.
    pub at: Option<DateTime<Utc>>,
}

/// Lower-case with `_` and `-` removed: `person_id`, `personId` → `personid`.
fn norm(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The object a type name or event name speaks of (`person`, `Job`, `submittal`,
/// `applicantworkflow`, `WorkFlowStatusChangeEvent`, `PersonUpdatedEvent`…).
pub fn object_of_name(name: &str) -> Option<&'static str> {
    let l = name.to_ascii_lowercase();
    if l.contains("workflow") || l.contains("submittal") {
        Some("workflows")
    } else if l.contains("person") || l.contains("people") || l.contains("candidate") {
        Some("people")
    } else if l.contains("job") {
        Some("jobs")
    } else {
        None
    }
}

/// iCIMS profiles the sync does not keep: an event about one is read and passed over.
const NOT_SYNCED: [&str; 6] = ["compan", "offer", "contact", "location", "vendor", "user"];

/// The profile a type name speaks of when it is one the sync does not keep.
fn not_synced_name(name: &str) -> Option<&'static str> {
    let l = name.to_ascii_lowercase();
    NOT_SYNCED.into_iter().find(|n| l.contains(n))
}

/// The object of a URL path segment (`/customers/1/people/12`).
fn object_of_segment(seg: &str) -> Option<&'static str> {
    match seg.to_ascii_lowercase().as_str() {
        "people" | "person" => Some("people"),
        "jobs" | "job" => Some("jobs"),
        "applicantworkflows" | "applicantworkflow" | "workflows" | "workflow" => Some("workflows"),
        _ => None,
    }
}

/// Keys that name the object (most explicit first).
const TYPE_KEYS: [&str; 12] = [
    "profiletype",
    "objecttype",
    "entitytype",
    "resourcetype",
    "recordtype",
    "object",
    "entity",
    "resource",
    "type",
    "eventtype",
    "eventname",
    "event",
];

/// Keys whose value is the id of one object.
fn specific_id_key(key: &str) -> Option<&'static str> {
    match key {
        "personid" | "candidateid" => Some("people"),
        "jobid" => Some("jobs"),
        "workflowid" | "applicantworkflowid" | "recruitingworkflowid" | "submittalid" => {
            Some("workflows")
        }
        _ => None,
    }
}

/// Keys whose value is the record's id when the object is known otherwise.
const GENERIC_ID_KEYS: [&str; 7] = [
    "systemid",
    "profileid",
    "recordid",
    "objectid",
    "entityid",
    "resourceid",
    "id",
];

/// Keys that may wrap the event's body.
const WRAPPER_KEYS: [&str; 8] = [
    "data", "payload", "detail", "body", "record", "profile", "message", "event",
];

/// Keys of the event's date.
const DATE_KEYS: [&str; 9] = [
    "eventdate",
    "eventtime",
    "timestamp",
    "occurredat",
    "createdat",
    "date",
    "time",
    "updateddate",
    "createddate",
];

fn id_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Object(o) => o
            .iter()
            .find(|(k, _)| matches!(norm(k).as_str(), "id" | "systemid" | "value"))
            .and_then(|(_, v)| match v {
                Value::Object(_) => None,
                other => id_of(other),
            }),
        _ => None,
    }
}

fn date_of(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => parse_when(s),
        Value::Number(n) => {
            let n = n.as_i64()?;
            // Seconds or milliseconds since the epoch.
            let secs = if n > 100_000_000_000 { n / 1000 } else { n };
            DateTime::from_timestamp(secs, 0)
        }
        _ => None,
    }
}

/// An `(object, id)` from a URL such as `https://…/customers/1/people/12`.
fn from_url(url: &str) -> Option<(&'static str, u64)> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segs.windows(2)
        .rev()
        .find_map(|w| Some((object_of_segment(w[0])?, w[1].parse().ok()?)))
}

/// The profile the sync does not keep that a URL points to (`…/customers/1/companies/5`).
fn other_of_url(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    segs.windows(2)
        .rev()
        .find(|w| w[1].parse::<u64>().is_ok())
        .and_then(|w| not_synced_name(w[0]))
}

fn push_url(url: &str, f: &mut Found) {
    match from_url(url) {
        Some(c) => f.links.push(c),
        None => f.other = f.other.or(other_of_url(url)),
    }
}

/// What one event object (and the objects it wraps) says.
#[derive(Default)]
struct Found {
    kind: Option<(usize, &'static str)>,
    /// A profile the sync does not keep, named by a type or a link.
    other: Option<&'static str>,
    links: Vec<(&'static str, u64)>,
    specific: Vec<(&'static str, u64)>,
    generic: Option<u64>,
    at: Option<DateTime<Utc>>,
}

fn scan(o: &Map<String, Value>, depth: usize, f: &mut Found) {
    for (k, v) in o {
        let key = norm(k);
        if let (Some(rank), Value::String(s)) = (TYPE_KEYS.iter().position(|t| *t == key), v) {
            match object_of_name(s) {
                Some(obj) if f.kind.is_none_or(|(r, _)| rank < r) => f.kind = Some((rank, obj)),
                Some(_) => {}
                None => f.other = f.other.or(not_synced_name(s)),
            }
        }
        if let Some(obj) = specific_id_key(&key)
            && let Some(id) = id_of(v)
        {
            f.specific.push((obj, id));
        }
        if f.generic.is_none()
            && GENERIC_ID_KEYS.contains(&key.as_str())
            && let Some(id) = id_of(v)
        {
            f.generic = Some(id);
        }
        if f.at.is_none() && DATE_KEYS.contains(&key.as_str()) {
            f.at = date_of(v);
        }
        match (key.as_str(), v) {
            ("links" | "link" | "relations", Value::Array(a)) => {
                for l in a {
                    link(l, f);
                }
            }
            ("links" | "link" | "self", Value::Object(_)) => link(v, f),
            (
                "url" | "href" | "uri" | "self" | "location" | "profile" | "resource",
                Value::String(s),
            ) => {
                if let Some(c) = from_url(s) {
                    f.links.push(c);
                }
            }
            // `"person": {"id": 12}` and the like.
            (name, Value::Object(_)) => {
                if let (Some(obj), Some(id)) = (object_of_segment(name), id_of(v)) {
                    f.specific.push((obj, id));
                }
            }
            _ => {}
        }
        if depth < 2
            && WRAPPER_KEYS.contains(&key.as_str())
            && let Value::Object(inner) = v
        {
            scan(inner, depth + 1, f);
        }
    }
}

fn link(l: &Value, f: &mut Found) {
    match l {
        Value::String(s) => push_url(s, f),
        Value::Object(o) => {
            for (k, v) in o {
                if matches!(norm(k).as_str(), "url" | "href" | "uri")
                    && let Value::String(s) = v
                {
                    push_url(s, f);
                }
            }
        }
        _ => {}
    }
}

/// The only object among `cands`, if they name just one.
fn single(cands: &[(&'static str, u64)]) -> Option<(&'static str, u64)> {
    let first = *cands.first()?;
    cands.iter().all(|c| c.0 == first.0).then_some(first)
}

/// Short description of an event's shape for the event log: its keys, never values
/// (values are customer data).
pub fn shape(event: &Value) -> String {
    match event {
        Value::Object(o) => {
            let mut keys: Vec<String> = o
                .keys()
                .take(8)
                .map(|k| {
                    let k: String = k.chars().take(40).collect();
                    crate::safe_text::escape_control(&k).into_owned()
                })
                .collect();
            if o.len() > 8 {
                keys.push("…".into());
            }
            format!("an object with keys {}", keys.join(", "))
        }
        Value::Array(_) => "an array".into(),
        Value::String(_) => "a string".into(),
        Value::Number(_) => "a number".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Null => "null".into(),
    }
}

/// Which record an event names. The shape is not documented, so every plausible one is
/// read: links (`/customers/N/people/123`, `/jobs/`, `/applicantworkflows/`), object
/// ids (`personId`, `jobId`, `workflowId`…), or a generic id (`systemId`, `id`…) with
/// the object named by a type (`profileType`, `objectType`, `eventType`…), also inside
/// a wrapper (`data`, `payload`, `detail`…). With an object named, its own link or id
/// wins over others the event carries (a workflow event also naming its person).
/// `Ok(None)`: the event is about a profile the sync does not keep (a company, an
/// offer…). An event that names no record, or several with nothing to choose between
/// them, is not understood: the error describes its shape (keys only).
pub fn interpret(event: &Value) -> Result<Option<Change>, String> {
    let Value::Object(o) = event else {
        return Err(format!("the event is {}", shape(event)));
    };
    let mut f = Found::default();
    scan(o, 0, &mut f);
    let at = f.at;
    let chosen = match f.kind {
        Some((_, kind)) => f
            .links
            .iter()
            .chain(f.specific.iter())
            .find(|c| c.0 == kind)
            .copied()
            .or(f.generic.map(|id| (kind, id))),
        None => single(&f.links).or_else(|| {
            if f.links.is_empty() {
                single(&f.specific)
            } else {
                None
            }
        }),
    };
    match (chosen, f.other) {
        (Some((object, id)), _) => Ok(Some(Change { object, id, at })),
        (None, Some(_)) if f.kind.is_none() => Ok(None),
        (None, _) => Err(format!("no record could be read from {}", shape(event))),
    }
}

/// The objects a subscription says it carries (`profileType: person`, an id such as
/// `people-changes`…); empty when it does not say.
pub fn subscription_objects(raw: &Value) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    let mut add = |s: &str| {
        if let Some(o) = object_of_name(s) {
            out.insert(o);
        }
    };
    match raw {
        Value::String(s) => add(s),
        Value::Object(o) => {
            for (k, v) in o {
                let key = norm(k);
                let named = TYPE_KEYS.contains(&key.as_str())
                    || matches!(
                        key.as_str(),
                        "id" | "subscriptionid" | "name" | "profiletypes" | "objecttypes" | "types"
                    );
                if !named {
                    continue;
                }
                match v {
                    Value::String(s) => add(s),
                    Value::Array(a) => a.iter().filter_map(Value::as_str).for_each(&mut add),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    out
}

/// A stable fingerprint of an event (the same event read again gives the same one).
pub fn fingerprint(event: &Value) -> String {
    let text = serde_json::to_string(event).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// How many events of a page read again were taken already: `consumed` from the
/// stored position if the event before that point is the one stored, else up to the
/// last event with the stored fingerprint, else none (all are taken again: safe).
pub fn already_taken(events: &[Value], consumed: usize, last: Option<&str>) -> usize {
    let Some(last) = last else {
        return 0;
    };
    if consumed > 0 && consumed <= events.len() && fingerprint(&events[consumed - 1]) == last {
        return consumed;
    }
    events
        .iter()
        .rposition(|e| fingerprint(e) == last)
        .map(|i| i + 1)
        .unwrap_or(0)
}

/// Where a subscription's reading stands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Position {
    pub start_key: Option<String>,
    pub consumed: usize,
    pub last_event: Option<String>,
    pub since: Option<String>,
    pub read_at: Option<String>,
}

pub fn load_position(
    conn: &Connection,
    team_id: i64,
    sub: &str,
) -> Result<Option<Position>, SyncError> {
    Ok(conn
        .query_row(
            "SELECT start_key, consumed, last_event, since, read_at FROM sync_stream
             WHERE team_id = ?1 AND subscription = ?2",
            params![team_id, sub],
            |r| {
                Ok(Position {
                    start_key: r.get(0)?,
                    consumed: r.get::<_, i64>(1)?.max(0) as usize,
                    last_event: r.get(2)?,
                    since: r.get(3)?,
                    read_at: r.get(4)?,
                })
            },
        )
        .optional()?)
}

fn save_position(
    conn: &Connection,
    team_id: i64,
    sub: &str,
    p: &Position,
    taken: u64,
) -> Result<(), SyncError> {
    conn.execute(
        "INSERT INTO sync_stream (team_id, subscription, start_key, consumed, last_event, since, read_at, events)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (team_id, subscription) DO UPDATE SET start_key = excluded.start_key,
             consumed = excluded.consumed, last_event = excluded.last_event, since = excluded.since,
             read_at = excluded.read_at, events = events + excluded.events",
        params![
            team_id,
            sub,
            p.start_key,
            p.consumed as i64,
            p.last_event,
            p.since,
            p.read_at,
            taken as i64
        ],
    )?;
    Ok(())
}

/// Where a subscription read for the first time starts taking events, less
/// [`CATCH_UP_SLACK_MINUTES`]: the start of the last live cycle (every cycle covers every
/// object, by stream or poll, so older events were covered), or before any cycle the
/// earliest of the initial pass's start, its plan and the newest updated date it stored
/// (older events were covered by the initial pass). Events after are taken even if they
/// were covered: a record fetched twice.
pub fn catch_up_from(conn: &Connection, team_id: i64) -> Result<DateTime<Utc>, SyncError> {
    let slack = chrono::Duration::minutes(CATCH_UP_SLACK_MINUTES);
    let last_cycle: Option<String> = conn
        .query_row(
            "SELECT started_at FROM sync_cycles WHERE team_id = ?1 ORDER BY id DESC LIMIT 1",
            [team_id],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(t) = last_cycle.as_deref().and_then(parse_when) {
        return Ok(t - slack);
    }
    let (started, plan, watermark): (Option<String>, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT started_at, plan, watermark FROM sync_state WHERE team_id = ?1",
            [team_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .unwrap_or((None, None, None));
    let made = plan
        .and_then(|p| serde_json::from_str::<Value>(&p).ok())
        .and_then(|p| p.get("made_at").and_then(Value::as_str).map(str::to_owned));
    let earliest = [started, made, watermark]
        .iter()
        .flatten()
        .filter_map(|s| parse_when(s))
        .min()
        .unwrap_or_else(Utc::now);
    Ok(earliest - slack)
}

/// What a cycle's reading of the Data Stream gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    /// Subscriptions read.
    pub subscriptions: usize,
    /// Objects whose changes the subscriptions carry and that are taken from them (the
    /// others are polled).
    pub covered: BTreeSet<&'static str>,
    /// Events of objects not taken from the stream (scoped objects, polled with their
    /// scope instead).
    pub skipped_scoped: u64,
    /// Events about profiles the sync does not keep (companies, offers…).
    pub not_synced: u64,
    /// Events read (taken), understood or not.
    pub events: u64,
    /// Events not understood.
    pub unknown: u64,
    /// The shape of the first event not understood (keys only).
    pub unknown_sample: Option<String>,
    /// Work rows the events added.
    pub queued: u64,
    /// Events older than the catch-up point of a subscription read for the first time.
    pub skipped_old: u64,
    /// Why this cycle cannot trust the stream (it polls every object): a stable key for
    /// "logged once" and the message.
    pub fallback: Option<(&'static str, String)>,
    /// Data Stream calls made (retries included) and retries.
    pub calls: u64,
    pub retries: u64,
}

/// The Data Stream side of live cycles: its own client, built from the team's stored
/// Data Stream credential (looked up again each cycle while there is none).
#[derive(Default)]
pub struct StreamSource {
    client: Option<IcimsClient>,
}

impl StreamSource {
    fn client(
        &mut self,
        store: &Store,
        team: &Team,
    ) -> Result<&IcimsClient, (&'static str, String)> {
        if self.client.is_none() {
            let cred = store
                .credential(team, CredentialKind::Datastream)
                .map_err(|e| {
                    (
                        "credential",
                        format!("the Data Stream credential could not be read: {e}"),
                    )
                })?
                .ok_or_else(|| {
                    (
                        "no-credential",
                        "no Data Stream credential is stored (creds set --kind datastream)"
                            .to_string(),
                    )
                })?;
            let client =
                IcimsClient::for_team(team, &cred, ClientConfig::default()).map_err(|e| {
                    (
                        "credential",
                        format!("the Data Stream client could not be built: {e}"),
                    )
                })?;
            self.client = Some(client);
        }
        self.client
            .as_ref()
            .ok_or_else(|| ("credential", "no Data Stream client".to_string()))
    }

    /// Reads every subscription on from its stored position, queueing the records the
    /// events name as `changed` work, except records of the objects in `not_taken`
    /// (scoped by folder: an event does not say the folder, so those objects are polled
    /// with their scope). Store errors and stop requests are errors; the stream's own
    /// failures are a [`Read::fallback`].
    pub async fn read(
        &mut self,
        store: &Store,
        conn: &Connection,
        team: &Team,
        budget: &Budget,
        not_taken: &[&str],
        check: &mut dyn FnMut() -> Result<(), SyncError>,
    ) -> Result<Read, SyncError> {
        let mut read = Read::default();
        let client = match self.client(store, team) {
            Ok(c) => c,
            Err(f) => {
                read.fallback = Some(f);
                return Ok(read);
            }
        };
        let stats0 = client.stats();
        let result = read_all(client, conn, team.id, budget, not_taken, check, &mut read).await;
        let stats = client.stats();
        read.calls = stats.api_calls - stats0.api_calls;
        read.retries = stats.retries - stats0.retries;
        if let Err(e) = result {
            match e {
                StreamFailure::Sync(e) => return Err(e),
                StreamFailure::Api(key, msg) => read.fallback = Some((key, msg)),
            }
        }
        if read.unknown > 0 && read.fallback.is_none() {
            read.fallback = Some((
                "unknown-events",
                format!(
                    "{} Data Stream event{} not understood ({})",
                    read.unknown,
                    if read.unknown == 1 { " was" } else { "s were" },
                    read.unknown_sample.as_deref().unwrap_or("?")
                ),
            ));
        }
        Ok(read)
    }
}

enum StreamFailure {
    Sync(SyncError),
    Api(&'static str, String),
}

impl From<SyncError> for StreamFailure {
    fn from(e: SyncError) -> Self {
        StreamFailure::Sync(e)
    }
}

impl From<rusqlite::Error> for StreamFailure {
    fn from(e: rusqlite::Error) -> Self {
        StreamFailure::Sync(e.into())
    }
}

/// One Data Stream call under the budget; a spent quota waits and asks again.
async fn call<T>(
    conn: &Connection,
    team_id: i64,
    client: &IcimsClient,
    budget: &Budget,
    check: &mut dyn FnMut() -> Result<(), SyncError>,
    mut f: impl AsyncFnMut() -> Result<T, IcimsError>,
) -> Result<Result<T, IcimsError>, SyncError> {
    loop {
        check()?;
        take_call(conn, team_id, budget, check).await?;
        let r = f().await;
        budget.release(client.quota());
        match r {
            Err(IcimsError::QuotaExhausted { reset_secs, .. }) => budget.exhausted(reset_secs),
            other => return Ok(other),
        }
    }
}

async fn read_all(
    client: &IcimsClient,
    conn: &Connection,
    team_id: i64,
    budget: &Budget,
    not_taken: &[&str],
    check: &mut dyn FnMut() -> Result<(), SyncError>,
    read: &mut Read,
) -> Result<(), StreamFailure> {
    let subs = match call(conn, team_id, client, budget, check, async || {
        client.datastream_subscriptions().await
    })
    .await?
    {
        Ok(s) => s,
        Err(
            e @ (IcimsError::NotFound { .. }
            | IcimsError::Forbidden { .. }
            | IcimsError::AccessDenied { .. }),
        ) => {
            return Err(StreamFailure::Api(
                "no-subscription",
                format!("the tenant has no Data Stream subscription for this client ({e})"),
            ));
        }
        Err(e) => {
            return Err(StreamFailure::Api(
                "error",
                format!("the Data Stream subscriptions could not be read: {e}"),
            ));
        }
    };
    if subs.is_empty() {
        return Err(StreamFailure::Api(
            "no-subscription",
            "the tenant has no Data Stream subscription".into(),
        ));
    }
    read.subscriptions = subs.len();
    for s in &subs {
        read.covered.extend(subscription_objects(&s.raw));
    }
    read.covered.retain(|o| !not_taken.contains(o));
    let mut catch_up = None;
    for s in &subs {
        let stored = load_position(conn, team_id, &s.id)?;
        let mut pos = match stored {
            Some(p) => p,
            None => {
                let from = match catch_up {
                    Some(t) => t,
                    None => {
                        let t = catch_up_from(conn, team_id)?;
                        catch_up = Some(t);
                        t
                    }
                };
                Position {
                    since: Some(from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    ..Position::default()
                }
            }
        };
        loop {
            let key = pos.start_key.clone();
            let page = match call(conn, team_id, client, budget, check, async || {
                client.datastream_events(&s.id, key.as_deref()).await
            })
            .await?
            {
                Ok(p) => p,
                Err(e) => {
                    if key.is_some() && matches!(e, IcimsError::Rejected { status: 400, .. }) {
                        // The stored position is no longer accepted (retention?): read
                        // from the first page next cycle, taking events from the last
                        // successful read on; this cycle polls.
                        let since = pos
                            .read_at
                            .as_deref()
                            .and_then(parse_when)
                            .map(|t| t - chrono::Duration::minutes(CATCH_UP_SLACK_MINUTES))
                            .unwrap_or_else(|| Utc::now() - chrono::Duration::days(1));
                        let reset = Position {
                            since: Some(since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                            read_at: pos.read_at.clone(),
                            ..Position::default()
                        };
                        save_position(conn, team_id, &s.id, &reset, 0)?;
                        return Err(StreamFailure::Api(
                            "position",
                            format!(
                                "the Data Stream refused the stored position of {} ({e}); it is read from its first page next cycle",
                                crate::safe_text::escape_control(&s.id)
                            ),
                        ));
                    }
                    return Err(StreamFailure::Api(
                        "error",
                        format!(
                            "the Data Stream events of {} could not be read: {e}",
                            crate::safe_text::escape_control(&s.id)
                        ),
                    ));
                }
            };
            let skip = already_taken(&page.events, pos.consumed, pos.last_event.as_deref());
            let since = pos.since.as_deref().and_then(parse_when);
            let mut ids: BTreeMap<&'static str, Vec<u64>> = BTreeMap::new();
            let mut unknown = 0u64;
            let fresh = &page.events[skip.min(page.events.len())..];
            for e in fresh {
                match interpret(e) {
                    Ok(None) => read.not_synced += 1,
                    Ok(Some(c)) => {
                        if not_taken.contains(&c.object) {
                            read.skipped_scoped += 1;
                        } else if since.is_some_and(|s| c.at.is_some_and(|at| at < s)) {
                            read.skipped_old += 1;
                        } else {
                            ids.entry(c.object).or_default().push(c.id);
                        }
                    }
                    Err(why) => {
                        unknown += 1;
                        if read.unknown_sample.is_none() {
                            read.unknown_sample = Some(why.clone());
                        }
                        tracing::warn!(subscription = %s.id, "Data Stream event not understood: {why}");
                    }
                }
            }
            // The end, or a server handing back the key it was given (never loop on it).
            let next_key = page.next_key.clone().filter(|k| key.as_ref() != Some(k));
            let next = match &next_key {
                Some(k) => Position {
                    start_key: Some(k.clone()),
                    consumed: 0,
                    last_event: None,
                    since: pos.since.clone(),
                    read_at: Some(now_text()),
                },
                None => Position {
                    start_key: pos.start_key.clone(),
                    consumed: page.events.len(),
                    last_event: page
                        .events
                        .last()
                        .map(fingerprint)
                        .or(pos.last_event.clone()),
                    // Caught up: from now on every event is new.
                    since: None,
                    read_at: Some(now_text()),
                },
            };
            let tx = super::progress::begin(conn)?;
            for (object, list) in &ids {
                read.queued += add_work(&tx, team_id, object, list, "changed")?;
            }
            if unknown > 0 {
                tx.execute(
                    "UPDATE sync_state SET poll_due = ?2 WHERE team_id = ?1",
                    params![
                        team_id,
                        format!("{unknown} Data Stream events not understood")
                    ],
                )?;
            }
            save_position(&tx, team_id, &s.id, &next, fresh.len() as u64)?;
            tx.commit()?;
            read.events += fresh.len() as u64;
            read.unknown += unknown;
            pos = next;
            if next_key.is_none() {
                break;
            }
        }
    }
    Ok(())
}

/// The objects a cycle polls by `updateddate`: all on a fallback (or a poll still due),
/// else those no subscription covers.
pub fn objects_to_poll(read: &Read, poll_due: bool) -> Vec<&'static str> {
    OBJECTS
        .into_iter()
        .filter(|o| poll_due || read.fallback.is_some() || !read.covered.contains(o))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(v: Value) -> (&'static str, u64) {
        let c = interpret(&v)
            .unwrap_or_else(|e| panic!("{v}: {e}"))
            .unwrap_or_else(|| panic!("{v}: not synced"));
        (c.object, c.id)
    }

    #[test]
    fn reads_the_sandbox_shape() {
        let e = json!({
            "eventId": "1001-00000012", "eventType": "PersonUpdatedEvent", "customerId": "1001",
            "systemId": "4711", "profileType": "person", "eventDate": "2026-11-20 05:41 PM",
            "links": [{"rel": "person", "title": "Person Profile", "url": "http://127.0.0.1:1/customers/1001/people/4711"}]
        });
        let c = interpret(&e).unwrap().unwrap();
        assert_eq!((c.object, c.id), ("people", 4711));
        assert_eq!(
            c.at.map(|t| t.to_rfc3339()),
            Some("2026-11-20T17:41:00+00:00".into())
        );
        let wf = json!({"eventType": "WorkFlowStatusChangeEvent", "systemId": "9", "profileType": "submittal",
            "oldStatus": "C1", "newStatus": "C2"});
        assert_eq!(ok(wf), ("workflows", 9));
    }

    #[test]
    fn reads_ids_by_object_key_link_or_wrapper() {
        assert_eq!(ok(json!({"personId": 12})), ("people", 12));
        assert_eq!(ok(json!({"job_id": "77"})), ("jobs", 77));
        assert_eq!(ok(json!({"applicantWorkflowId": 5})), ("workflows", 5));
        assert_eq!(
            ok(
                json!({"links": [{"rel": "self", "href": "https://api.icims.com/customers/1/jobs/3?fields=x"}]})
            ),
            ("jobs", 3)
        );
        assert_eq!(
            ok(json!({"url": "https://api.icims.com/customers/1/applicantworkflows/8"})),
            ("workflows", 8)
        );
        assert_eq!(
            ok(json!({"data": {"objectType": "Job", "id": 41}, "eventId": "e-1"})),
            ("jobs", 41)
        );
        assert_eq!(
            ok(json!({"type": "person.deleted", "id": 6})),
            ("people", 6)
        );
        assert_eq!(ok(json!({"person": {"id": 15}})), ("people", 15));
        assert_eq!(
            ok(json!({"detail": {"links": ["https://x/customers/2/people/99"]}})),
            ("people", 99)
        );
    }

    #[test]
    fn the_named_object_wins_over_related_records() {
        // A workflow event that also names its person and job.
        let e =
            json!({"profileType": "applicantworkflow", "personId": 1, "jobId": 2, "workflowId": 3});
        assert_eq!(ok(e), ("workflows", 3));
        let e = json!({"eventType": "WorkflowUpdated", "links": [
            {"rel": "person", "url": "https://x/customers/1/people/1"},
            {"rel": "job", "url": "https://x/customers/1/jobs/2"},
            {"rel": "self", "url": "https://x/customers/1/applicantworkflows/3"}]});
        assert_eq!(ok(e), ("workflows", 3));
        // profileType is more explicit than an event name.
        let e = json!({"eventType": "PersonEvent", "profileType": "job", "systemId": 4});
        assert_eq!(ok(e), ("jobs", 4));
    }

    #[test]
    fn events_about_profiles_not_synced_are_passed_over() {
        for e in [
            json!({"profileType": "company", "systemId": "5"}),
            json!({"eventType": "OfferUpdatedEvent", "id": 9}),
            json!({"links": [{"rel": "self", "url": "https://x/customers/1/companies/5"}]}),
        ] {
            assert_eq!(interpret(&e), Ok(None), "{e}");
        }
        // A synced object named next to another profile is still read.
        assert_eq!(
            ok(
                json!({"profileType": "person", "personId": 3, "links": [{"url": "https://x/customers/1/companies/5"}]})
            ),
            ("people", 3)
        );
    }

    #[test]
    fn events_naming_no_record_or_several_are_not_understood() {
        for e in [
            json!({"heartbeat": true}),
            json!({"type": "person", "id": "evt-abc"}),
            json!({"personId": 1, "jobId": 2}),
            json!({"links": [{"url": "https://x/customers/1/people/1"}, {"url": "https://x/customers/1/jobs/2"}]}),
            json!({"profileType": "person", "jobId": 2}),
            json!({"customerId": "1001", "systemId": "5"}),
            json!("PersonUpdated 5"),
            json!([1, 2]),
        ] {
            let err = interpret(&e).unwrap_err();
            assert!(!err.is_empty(), "{e}");
        }
        // The message names keys, never values.
        let err = interpret(&json!({"secretName": "Jane Doe", "x\u{1b}y": 1})).unwrap_err();
        assert!(err.contains("secretName"), "{err}");
        assert!(!err.contains("Jane"), "{err}");
        assert!(!err.contains('\u{1b}'), "{err}");
    }

    #[test]
    fn subscriptions_say_what_they_carry() {
        let s =
            subscription_objects(&json!({"id": "1001-people-changes", "profileType": "person"}));
        assert_eq!(s.into_iter().collect::<Vec<_>>(), vec!["people"]);
        let s = subscription_objects(
            &json!({"subscriptionId": "s1", "profileTypes": ["job", "submittal"]}),
        );
        assert_eq!(s.into_iter().collect::<Vec<_>>(), vec!["jobs", "workflows"]);
        assert!(subscription_objects(&json!({"id": "abc", "status": "ACTIVE"})).is_empty());
        assert!(subscription_objects(&json!("sub-1")).is_empty());
    }

    #[test]
    fn a_page_read_again_skips_what_was_taken() {
        let evs: Vec<Value> = (0..4).map(|i| json!({"personId": i})).collect();
        let fp = |i: usize| fingerprint(&evs[i]);
        assert_eq!(already_taken(&evs, 2, Some(&fp(1))), 2);
        // The count no longer matches (page shifted): found by fingerprint.
        assert_eq!(already_taken(&evs, 1, Some(&fp(2))), 3);
        // Unknown fingerprint: take everything again (never skip).
        assert_eq!(already_taken(&evs, 2, Some("nope")), 0);
        assert_eq!(already_taken(&evs, 0, None), 0);
        // Identical events: the count decides.
        let same = vec![json!({"personId": 1}); 3];
        assert_eq!(already_taken(&same, 2, Some(&fingerprint(&same[0]))), 2);
    }

    #[test]
    fn dates_in_several_forms() {
        let at = |v: Value| {
            interpret(&json!({"personId": 1, "timestamp": v}))
                .unwrap()
                .unwrap()
                .at
        };
        assert_eq!(
            at(json!(1_764_633_600)).map(|t| t.timestamp()),
            Some(1_764_633_600)
        );
        assert_eq!(
            at(json!(1_764_633_600_000u64)).map(|t| t.timestamp()),
            Some(1_764_633_600)
        );
        assert_eq!(
            at(json!("2025-12-02T01:00:00Z")).map(|t| t.timestamp()),
            Some(1_764_637_200)
        );
        assert_eq!(at(json!("yesterday")), None);
    }
}
