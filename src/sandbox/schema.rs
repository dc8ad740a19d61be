//! The Schema API: `GET /customers/{cid}/profiledefinitions/v1/{person|job|submittal}/schema`
//! and `…/{type}/{field}/schema` — JSON-Schema of what the Profiles API returns, per user
//! (fields hidden from the restricted user are absent). The submittal `status` field schema
//! also lists the status catalogue (`options`: id, value, bin, binid, rejection) — a sandbox
//! extension, since iCIMS documents no status-list endpoint.

use super::auth::User;
use super::model::*;
use super::response::Response;
use serde_json::{Map, Value, json};

fn s(t: &str) -> Value {
    json!({"type": t})
}
fn node() -> Value {
    json!({"type":"object","properties":{"id":{"type":"string"},"formattedvalue":{"type":"string"},"value":{"type":"string"}}})
}
fn link() -> Value {
    json!({"type":"object","properties":{"profile":{"type":"string"},"id":{"type":"integer"},"value":{"type":"string"}}})
}
fn datetime() -> Value {
    json!({"type":"string","format":"date-time","pattern":"yyyy-MM-dd hh:mm a"})
}
fn abbrev() -> Value {
    json!({"type":"object","properties":{"id":{"type":"string"},"abbrev":{"type":"string"},"value":{"type":"string"}}})
}

/// (field id, standard id, schema) for every field of `object`.
fn properties(t: &Tenant, object: Object, added: &[Status]) -> Vec<(String, String, Value)> {
    let p = object.prefix();
    let mut v: Vec<(&str, Value)> = match object {
        Object::Person => vec![
            ("firstname", s("string")),
            ("middlename", s("string")),
            ("lastname", s("string")),
            ("email", s("string")),
            ("folder", node()),
            ("externalid", s("string")),
            (
                "phones",
                json!({"type":"array","items":{"type":"object","properties":{"entry":{"type":"integer"},"phonetype":node(),"phonenumber":{"type":"string"}}}}),
            ),
            (
                "addresses",
                json!({"type":"array","items":{"type":"object","properties":{
                    "entry":{"type":"integer"},"addressstreet1":{"type":"string"},"addresscity":{"type":"string"},
                    "addressstate":abbrev(),"addresscountry":abbrev(),"addresszip":{"type":"string"},"addresstype":node(),
                    "primary":{"type":"boolean"}}}}),
            ),
            ("createddate", datetime()),
            ("updateddate", datetime()),
        ],
        Object::Job => vec![
            ("jobid", s("string")),
            ("jobtitle", s("string")),
            ("folder", node()),
            ("positioncategory", node()),
            ("numberofpositions", s("number")),
            (
                "joblocation",
                json!({"type":"object","properties":{"id":{"type":"integer"},"companyid":{"type":"integer"},"address":{"type":"string"},"value":{"type":"string"}}}),
            ),
            ("hiringmanager", link()),
            ("recruiter", link()),
            ("overview", s("string")),
            ("createddate", datetime()),
            ("updateddate", datetime()),
        ],
        Object::Workflow => vec![
            ("associatedprofile", link()),
            ("baseprofile", link()),
            ("status", node()),
            ("source", s("string")),
            ("sourcename", s("string")),
            ("createddate", datetime()),
            ("updateddate", datetime()),
        ],
    };
    let mut out: Vec<(String, String, Value)> = v
        .drain(..)
        .map(|(k, sch)| (k.to_string(), format!("{p}.{k}"), sch))
        .collect();
    if object == Object::Person {
        out.push((
            t.linkedin_field.clone(),
            "person.linkedin".into(),
            s("string"),
        ));
    }
    if object == Object::Workflow
        && let Some(st) = out.iter_mut().find(|(k, _, _)| k == "status")
    {
        st.2["options"] = Value::Array(
                t.statuses
                    .iter()
                    .chain(added)
                    .map(|x| json!({"id": x.id, "value": x.name, "bin": x.bin, "binid": x.bin_id, "rejection": x.is_rejection}))
                    .collect(),
            );
    }
    out
}

fn visible(t: &Tenant, user: User, std_id: &str) -> bool {
    user == User::Full || !t.is_hidden_for_restricted(std_id)
}

pub fn profile_schema(t: &Tenant, object: Object, user: User, added: &[Status]) -> Response {
    let mut props = Map::new();
    for (k, std_id, sch) in properties(t, object, added) {
        if visible(t, user, &std_id) {
            props.insert(k, sch);
        }
    }
    Response::json(
        200,
        &json!({"$schema":"http://json-schema.org/draft-04/schema#","title": object.schema_type(),"type":"object","properties": props}),
    )
}

pub fn field_schema(
    t: &Tenant,
    object: Object,
    field: &str,
    user: User,
    added: &[Status],
) -> Response {
    match properties(t, object, added)
        .into_iter()
        .find(|(k, _, _)| k == field)
    {
        Some((_, std_id, sch)) if visible(t, user, &std_id) => Response::json(200, &sch),
        _ => Response::not_found(&format!(
            "Field {field} not found on {}.",
            object.schema_type()
        )),
    }
}
