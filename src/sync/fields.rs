//! From the approved field mapping to what the sync reads and how it writes it.
//!
//! A record's `fields` are the standard fields the export carries under the approved
//! mapping (so a record seeded from the export and one fetched from the API have the same
//! shape). For each of them the plan knows the export column it comes from and how to
//! read it from a profile GET: the API field the mapping names for it, or the standard
//! field's own id (address parts from the first `addresses` entry; a workflow's bin from
//! its status via the status catalogue). Values are normalised to text the same way on
//! both sides: strings trimmed with `\r\n` → `\n`, numbers as written, list nodes by
//! `abbrev` or `value`, person links by display name except a workflow's person and job,
//! which are ids, collections by their first entry; empty values are left out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::mapping::{MappingEntry, Object};

/// Standard fields read from the first entry of `addresses`.
const ADDRESS_PARTS: [&str; 5] = [
    "addressstreet1",
    "addresscity",
    "addressstate",
    "addresszip",
    "addresscountry",
];

/// Link fields kept as ids (the workflow's person and job, used for joins).
const ID_LINKS: [&str; 2] = ["workflow.associatedprofile", "workflow.baseprofile"];

/// How one standard field is read from a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiSource {
    /// The record's own id.
    Id,
    /// A top-level API field.
    Field(String),
    /// A part of the first `addresses` entry.
    Address(String),
    /// The bin of the workflow's status (status catalogue).
    StatusBin,
}

/// One standard field of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRule {
    pub target: String,
    /// Export column headers mapped to it (first non-empty wins).
    pub columns: Vec<String>,
    pub api: ApiSource,
}

/// What the sync reads for one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectFields {
    pub rules: Vec<FieldRule>,
}

impl ObjectFields {
    /// API field ids to ask for with `?fields=` (sorted, distinct).
    pub fn api_fields(&self) -> Vec<String> {
        let mut out = BTreeSet::new();
        for r in &self.rules {
            match &r.api {
                ApiSource::Field(f) => {
                    out.insert(f.clone());
                }
                ApiSource::Address(_) => {
                    out.insert("addresses".to_string());
                }
                ApiSource::StatusBin => {
                    out.insert("status".to_string());
                }
                ApiSource::Id => {}
            }
        }
        out.into_iter().collect()
    }

    /// The standard field ids synced.
    pub fn targets(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.target.as_str()).collect()
    }
}

/// The status catalogue as the sync needs it: id → (name, bin) and name → id.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Statuses {
    pub by_id: HashMap<String, (String, String)>,
    pub by_name: HashMap<String, String>,
}

impl Statuses {
    pub fn from_options(opts: &[crate::icims::schema::StatusOption]) -> Statuses {
        let mut s = Statuses::default();
        for o in opts {
            s.by_id.insert(
                o.id.clone(),
                (o.value.clone(), o.bin.clone().unwrap_or_default()),
            );
            s.by_name
                .entry(o.value.to_lowercase())
                .or_insert(o.id.clone());
        }
        s
    }
}

/// The field plan of all three objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldPlan {
    pub objects: BTreeMap<&'static str, ObjectFields>,
    /// Mapped standard fields that are not synced because the export lacks them.
    pub not_synced: Vec<String>,
}

impl FieldPlan {
    /// Builds the plan from the approved mapping rows.
    pub fn from_mapping(entries: &[MappingEntry]) -> FieldPlan {
        let mut plan = FieldPlan::default();
        for object in Object::ALL {
            let name = super::object_name(object);
            let mut rules: Vec<FieldRule> = Vec::new();
            // Export columns per target, in the mapping's order.
            for e in entries.iter().filter(|e| {
                e.field.object == object && e.field.source == crate::mapping::FieldSource::Export
            }) {
                let Some(target) = e.effective_target() else {
                    continue;
                };
                match rules.iter_mut().find(|r| r.target == target) {
                    Some(r) => r.columns.push(e.field.name.clone()),
                    None => rules.push(FieldRule {
                        target: target.to_string(),
                        columns: vec![e.field.name.clone()],
                        api: ApiSource::Id,
                    }),
                }
            }
            for r in &mut rules {
                r.api = api_source(entries, object, &r.target);
            }
            for e in entries.iter().filter(|e| {
                e.field.object == object && e.field.source != crate::mapping::FieldSource::Export
            }) {
                if let Some(t) = e.effective_target()
                    && !rules.iter().any(|r| r.target == t)
                    && !plan.not_synced.iter().any(|n| n == t)
                {
                    plan.not_synced.push(t.to_string());
                }
            }
            plan.objects.insert(name, ObjectFields { rules });
        }
        plan
    }

    pub fn of(&self, object: &str) -> Option<&ObjectFields> {
        self.objects.get(object)
    }
}

fn api_source(entries: &[MappingEntry], object: Object, target: &str) -> ApiSource {
    if let Some(e) = entries.iter().find(|e| {
        e.field.object == object
            && e.field.source != crate::mapping::FieldSource::Export
            && e.effective_target() == Some(target)
    }) {
        return ApiSource::Field(e.field.name.to_ascii_lowercase());
    }
    let fid = target.split_once('.').map_or(target, |(_, f)| f);
    if fid == "id" {
        ApiSource::Id
    } else if ADDRESS_PARTS.contains(&fid) {
        ApiSource::Address(fid.to_string())
    } else if target == "workflow.bin" {
        ApiSource::StatusBin
    } else {
        ApiSource::Field(fid.to_string())
    }
}

/// Normalises a text value (export cell or API string): trimmed, `\r\n` → `\n`.
pub fn clean_text(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        None
    } else {
        Some(t.replace("\r\n", "\n"))
    }
}

/// Normalises an API value for `target`.
pub fn api_value(target: &str, v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => clean_text(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(a) => a.first().and_then(|x| api_value(target, x)),
        Value::Object(o) => {
            if ID_LINKS.contains(&target) {
                return o.get("id").and_then(|x| api_value("", x));
            }
            for key in ["abbrev", "value", "phonenumber", "amountstring"] {
                if let Some(x) = o.get(key)
                    && let Some(t) = api_value(target, x)
                {
                    return Some(t);
                }
            }
            None
        }
    }
}

/// A record as the sync writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncedRecord {
    pub icims_id: String,
    pub fields: Map<String, Value>,
    pub raw: Map<String, Value>,
    pub status_id: Option<String>,
    pub status_name: Option<String>,
    pub updated_at: Option<String>,
}

impl ObjectFields {
    /// A record from a profile GET (`body` without `links`).
    pub fn from_api(
        &self,
        object: &str,
        id: &str,
        body: &Map<String, Value>,
        statuses: &Statuses,
    ) -> SyncedRecord {
        self.from_api_owned(object, id, body.clone(), statuses)
    }

    /// [`ObjectFields::from_api`] taking the body (kept as the raw values, not copied).
    pub fn from_api_owned(
        &self,
        object: &str,
        id: &str,
        body: Map<String, Value>,
        statuses: &Statuses,
    ) -> SyncedRecord {
        let mut fields = Map::new();
        for r in &self.rules {
            let v = match &r.api {
                ApiSource::Id => Some(id.to_string()),
                ApiSource::Field(f) => body.get(f).and_then(|v| api_value(&r.target, v)),
                ApiSource::Address(part) => body
                    .get("addresses")
                    .and_then(Value::as_array)
                    .and_then(|a| a.first())
                    .and_then(|a| a.get(part))
                    .and_then(|v| api_value(&r.target, v)),
                ApiSource::StatusBin => body
                    .get("status")
                    .and_then(|s| s.get("id"))
                    .and_then(Value::as_str)
                    .and_then(|sid| statuses.by_id.get(sid))
                    .and_then(|(_, bin)| clean_text(bin)),
            };
            if let Some(v) = v {
                fields.insert(r.target.clone(), Value::String(v));
            }
        }
        let (status_id, status_name) = if object == "workflows" {
            let node = body.get("status");
            (
                node.and_then(|s| s.get("id"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                node.and_then(|s| s.get("value"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
            )
        } else {
            (None, None)
        };
        let updated_at = body
            .get("updateddate")
            .and_then(|v| api_value("", v))
            .or_else(|| updated_from_fields(&fields));
        let mut raw = body;
        raw.remove("links");
        SyncedRecord {
            icims_id: id.to_string(),
            fields,
            raw,
            status_id,
            status_name,
            updated_at,
        }
    }

    /// A record from an export row (`cells`: header → value). `None` without an id.
    pub fn from_export(
        &self,
        object: &str,
        cells: &HashMap<String, String>,
        statuses: &Statuses,
    ) -> Option<SyncedRecord> {
        let mut fields = Map::new();
        let mut id = None;
        for r in &self.rules {
            let v = r
                .columns
                .iter()
                .find_map(|c| cells.get(c).and_then(|v| clean_text(v)));
            if r.api == ApiSource::Id {
                id = v.clone();
            }
            if let Some(v) = v {
                fields.insert(r.target.clone(), Value::String(v));
            }
        }
        let id = id?;
        let raw: Map<String, Value> = cells
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let status_name = (object == "workflows")
            .then(|| {
                fields
                    .get("workflow.status")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .flatten();
        let status_id = status_name
            .as_ref()
            .and_then(|n| statuses.by_name.get(&n.to_lowercase()).cloned());
        let updated_at = updated_from_fields(&fields);
        Some(SyncedRecord {
            icims_id: id,
            fields,
            raw,
            status_id,
            status_name,
            updated_at,
        })
    }
}

fn updated_from_fields(fields: &Map<String, Value>) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k.ends_with(".updateddate"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string)
}

/// The folder of a record as far as scope needs it (value or id).
pub fn folder_of(record: &SyncedRecord, object: &str) -> Option<String> {
    let key = match object {
        "people" => "person.folder",
        "jobs" => "job.folder",
        _ => return None,
    };
    record
        .fields
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_values_normalise_like_export_cells() {
        assert_eq!(
            api_value("job.overview", &json!(" a\r\nb ")),
            Some("a\nb".into())
        );
        assert_eq!(
            api_value("job.numberofpositions", &json!(3)),
            Some("3".into())
        );
        assert_eq!(
            api_value(
                "person.addressstate",
                &json!({"id": "D1", "abbrev": "MA", "value": "Massachusetts"})
            ),
            Some("MA".into())
        );
        assert_eq!(
            api_value(
                "job.recruiter",
                &json!({"id": 5, "value": "Ann Lee", "profile": "u"})
            ),
            Some("Ann Lee".into())
        );
        assert_eq!(
            api_value(
                "workflow.associatedprofile",
                &json!({"id": 5, "value": "Ann Lee"})
            ),
            Some("5".into())
        );
        assert_eq!(
            api_value(
                "person.phones",
                &json!([{"entry": 1, "phonetype": {"id": "D1", "value": "Home"}, "phonenumber": "555"}])
            ),
            Some("555".into())
        );
        assert_eq!(api_value("person.email", &json!("")), None);
        assert_eq!(clean_text("  "), None);
    }
}
