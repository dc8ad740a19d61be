//! The Profiles API: `GET /customers/{cid}/{people|jobs|applicantworkflows}/{id}[?fields=…]`
//! rendered in iCIMS's shapes — empty fields omitted, list nodes, person and address links,
//! collections with `entry`, the `field####` custom field, `links` with `rel:"self"`,
//! `yyyy-MM-dd hh:mm a` dates — minus the fields hidden from the restricted user.

use super::auth::User;
use super::model::*;
use super::response::Response;
use serde_json::{Map, Value, json};

/// Where a profile's URLs point (`http://127.0.0.1:PORT[/eu]/customers/{cid}`).
pub struct Urls<'a> {
    pub customer_base: &'a str,
}

impl Urls<'_> {
    pub fn profile(&self, object: Object, id: u64) -> String {
        format!("{}/{}/{id}", self.customer_base, object.segment())
    }
}

pub fn node_json(n: &ListNode) -> Value {
    json!({"id": n.id, "value": n.value, "formattedvalue": n.value})
}

fn abbrev_json(n: &AbbrevNode) -> Value {
    json!({"id": n.id, "abbrev": n.abbrev, "value": n.value})
}

fn person_link(t: &Tenant, urls: &Urls, id: u64) -> Option<Value> {
    let p = t.person(id)?;
    Some(json!({"id": id, "value": p.display_name(), "profile": urls.profile(Object::Person, id)}))
}

fn self_link(title: &str, url: String) -> Value {
    json!({"rel": "self", "title": title, "url": url})
}

/// All fields of a record that have a value: (JSON field id, standard id, value).
pub fn fields_of(
    t: &Tenant,
    object: Object,
    id: u64,
    urls: &Urls,
) -> Option<Vec<(String, String, Value)>> {
    let mut out: Vec<(String, String, Value)> = Vec::new();
    let mut put = |key: &str, v: Value| {
        let empty = matches!(&v, Value::Null)
            || v.as_str() == Some("")
            || v.as_array().is_some_and(|a| a.is_empty());
        let std_id = format!("{}.{key}", object.prefix());
        if !empty && !t.is_unused(&std_id) {
            out.push((key.to_string(), std_id, v));
        }
    };
    put("id", json!(id));
    match object {
        Object::Person => {
            let p = t.person(id)?;
            put("firstname", json!(p.firstname));
            put("middlename", json!(p.middlename));
            put("lastname", json!(p.lastname));
            put("email", json!(p.email));
            put("folder", node_json(&p.folder));
            put("externalid", json!(p.externalid));
            put(
                "phones",
                Value::Array(
                    p.phones
                        .iter()
                        .map(|ph| json!({"entry": ph.entry, "phonetype": node_json(&ph.phonetype), "phonenumber": ph.phonenumber}))
                        .collect(),
                ),
            );
            put(
                "addresses",
                Value::Array(
                    p.addresses
                        .iter()
                        .map(|a| {
                            json!({
                                "entry": a.entry,
                                "addressstreet1": a.street1,
                                "addresscity": a.city,
                                "addressstate": abbrev_json(&a.state),
                                "addresscountry": abbrev_json(&a.country),
                                "addresszip": a.zip,
                                "addresstype": node_json(&a.addresstype),
                            })
                        })
                        .collect(),
                ),
            );
            if !p.linkedin.is_empty() {
                out.push((
                    t.linkedin_field.clone(),
                    "person.linkedin".into(),
                    json!(p.linkedin),
                ));
            }
            let mut put =
                |key: &str, v: Value| out.push((key.to_string(), format!("person.{key}"), v));
            put("createddate", json!(format_datetime(p.createddate)));
            put("updateddate", json!(format_datetime(p.updateddate)));
        }
        Object::Job => {
            let j = t.job(id)?;
            put("jobid", json!(j.jobid));
            put("jobtitle", json!(j.jobtitle));
            put("folder", node_json(&j.folder));
            put("positioncategory", node_json(&j.positioncategory));
            put("numberofpositions", json!(j.numberofpositions));
            put(
                "joblocation",
                json!({
                    "id": j.joblocation.id,
                    "companyid": j.joblocation.companyid,
                    "address": format!("{}/companies/{}/fields/addresses/{}", urls.customer_base, j.joblocation.companyid, j.joblocation.id),
                    "value": j.joblocation.value,
                }),
            );
            put(
                "hiringmanager",
                j.hiringmanager
                    .and_then(|h| person_link(t, urls, h))
                    .unwrap_or(Value::Null),
            );
            put(
                "recruiter",
                j.recruiter
                    .and_then(|h| person_link(t, urls, h))
                    .unwrap_or(Value::Null),
            );
            put("overview", json!(j.overview));
            put("createddate", json!(format_datetime(j.createddate)));
            put("updateddate", json!(format_datetime(j.updateddate)));
        }
        Object::Workflow => {
            let w = t.workflow(id)?;
            put(
                "associatedprofile",
                person_link(t, urls, w.person).unwrap_or(Value::Null),
            );
            if let Some(j) = t.job(w.job) {
                put(
                    "baseprofile",
                    json!({"id": j.id, "value": j.jobtitle, "profile": urls.profile(Object::Job, j.id)}),
                );
            }
            if let Some(s) = t.statuses.get(w.status) {
                put(
                    "status",
                    json!({"id": s.id, "value": s.name, "formattedvalue": s.name}),
                );
            }
            put("source", json!(w.source));
            put("sourcename", json!(w.sourcename));
            put("createddate", json!(format_datetime(w.createddate)));
            put("updateddate", json!(format_datetime(w.updateddate)));
        }
    }
    Some(out)
}

fn not_found(object: Object) -> Response {
    Response::not_found(match object {
        Object::Person => "Person not found.",
        Object::Job => "Job not found.",
        Object::Workflow => "Applicant Workflow not found.",
    })
}

/// `GET /customers/{cid}/{segment}/{id}`.
pub fn get(
    t: &Tenant,
    object: Object,
    id_text: &str,
    fields: Option<&str>,
    user: User,
    urls: &Urls,
) -> Response {
    let Ok(id) = id_text.parse::<u64>() else {
        return not_found(object);
    };
    let Some(all) = fields_of(t, object, id, urls) else {
        return not_found(object);
    };
    let visible = |std_id: &str| user == User::Full || !t.is_hidden_for_restricted(std_id);
    let mut body = Map::new();
    let mut warnings = Vec::new();
    match fields.map(|f| {
        f.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
    }) {
        Some(wanted) if !wanted.is_empty() => {
            for w in wanted {
                let w = w.to_ascii_lowercase();
                match all.iter().find(|(k, _, _)| *k == w) {
                    Some((k, std_id, v)) if visible(std_id) => {
                        body.insert(k.clone(), v.clone());
                    }
                    Some(_) => {}
                    None if known_field(t, object, &w) => {} // empty: omitted
                    None => warnings.push(w),
                }
            }
        }
        _ => {
            for (k, std_id, v) in &all {
                if k != "id" && visible(std_id) {
                    body.insert(k.clone(), v.clone());
                }
            }
        }
    }
    let mut links = vec![self_link(
        "The current profile being viewed.",
        urls.profile(object, id),
    )];
    if let (Object::Workflow, Some(w)) = (object, t.workflow(id)) {
        links.push(self_link(
            "The base profile of this workflow.",
            urls.profile(Object::Job, w.job),
        ));
        links.push(self_link(
            "The associated profile of this workflow.",
            urls.profile(Object::Person, w.person),
        ));
    }
    body.insert("links".into(), Value::Array(links));
    let mut r = Response::json(200, &Value::Object(body));
    for w in warnings {
        r.headers.push((
            "X-Warning".into(),
            format!("4:{w}:Field does not exist or is not available."),
        ));
    }
    r
}

/// Field ids a profile type has (whether or not this record has a value).
pub fn known_field(t: &Tenant, object: Object, field: &str) -> bool {
    let std: &[&str] = match object {
        Object::Person => &[
            "id",
            "firstname",
            "middlename",
            "lastname",
            "email",
            "folder",
            "externalid",
            "phones",
            "addresses",
            "createddate",
            "updateddate",
        ],
        Object::Job => &[
            "id",
            "jobid",
            "jobtitle",
            "folder",
            "positioncategory",
            "numberofpositions",
            "joblocation",
            "hiringmanager",
            "recruiter",
            "overview",
            "createddate",
            "updateddate",
        ],
        Object::Workflow => &[
            "id",
            "associatedprofile",
            "baseprofile",
            "status",
            "source",
            "sourcename",
            "createddate",
            "updateddate",
        ],
    };
    std.contains(&field) || (object == Object::Person && field == t.linkedin_field)
}
