//! Tolerant shapes of what iCIMS returns: ids as numbers or strings, profiles as maps
//! with empty fields dropped (iCIMS omits empty and hidden fields alike), list nodes,
//! person links, search hits. Unknown keys are ignored everywhere.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A numeric system id that iCIMS sends as a number or as a string (`1235` or `"1235"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(pub u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a numeric id as a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                u64::try_from(v)
                    .map(Id)
                    .map_err(|_| E::custom(format!("negative id {v}")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
                    Ok(Id(v as u64))
                } else {
                    Err(E::custom(format!("id {v} is not a whole number")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                v.trim()
                    .parse()
                    .map(Id)
                    .map_err(|_| E::custom(format!("id {v:?} is not a number")))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

impl Id {
    /// Reads an id from a JSON value (number or numeric string).
    pub fn from_value(v: &Value) -> Option<Id> {
        match v {
            Value::Number(n) => n.as_u64().map(Id),
            Value::String(s) => s.trim().parse().ok().map(Id),
            _ => None,
        }
    }
}

/// One search result: the system id and the profile URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SearchHit {
    pub id: Id,
    #[serde(rename = "self", default)]
    pub self_url: Option<String>,
}

/// The body of a search response. Entries without a readable id are skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Entries that had no readable id (counted, not fatal).
    pub unreadable: usize,
}

impl SearchResults {
    pub fn from_json(v: &Value) -> Option<SearchResults> {
        let arr = v.get("searchResults")?.as_array()?;
        let mut out = SearchResults::default();
        for item in arr {
            match serde_json::from_value::<SearchHit>(item.clone()) {
                Ok(hit) => out.hits.push(hit),
                Err(_) => out.unreadable += 1,
            }
        }
        Some(out)
    }
}

/// A list node value (`{"id":"D31001","value":"Approved","formattedvalue":"Approved"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ListNode {
    #[serde(default, deserialize_with = "string_or_number")]
    pub id: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub formattedvalue: Option<String>,
}

impl ListNode {
    /// The text to show: formatted value, else value, else id.
    pub fn label(&self) -> &str {
        self.formattedvalue
            .as_deref()
            .or(self.value.as_deref())
            .or(self.id.as_deref())
            .unwrap_or("")
    }
}

/// A person/profile link (`{"id":564,"value":"Philip Chennikkara","profile":"…/people/564"}`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ProfileLink {
    #[serde(default)]
    pub id: Option<Id>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub profile: Option<String>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// Is this JSON value "empty" in iCIMS's sense (absent, null, "", [] or {})?
pub fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A profile (person, job, workflow) as returned by a GET: the fields that have a value.
/// Empty fields (null, "", [], {}) are dropped so "absent" means one thing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub fields: Map<String, Value>,
}

impl Profile {
    /// Builds a profile from a GET body; a body that is not a JSON object is refused.
    pub fn from_json(v: Value) -> Option<Profile> {
        let Value::Object(map) = v else {
            return None;
        };
        let fields = map
            .into_iter()
            .filter(|(_, v)| !is_empty_value(v))
            .collect();
        Some(Profile { fields })
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    /// A text field (numbers are shown as text).
    pub fn text(&self, field: &str) -> Option<String> {
        match self.fields.get(field)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A single list-node field.
    pub fn node(&self, field: &str) -> Option<ListNode> {
        serde_json::from_value(self.fields.get(field)?.clone()).ok()
    }

    /// A person/profile link field.
    pub fn link(&self, field: &str) -> Option<ProfileLink> {
        serde_json::from_value(self.fields.get(field)?.clone()).ok()
    }

    /// Field names present (with a value), sorted, without `links`.
    pub fn field_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .fields
            .keys()
            .filter(|k| k.as_str() != "links")
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// The profile's own id: the `id` field, else the number at the end of the `self` link.
    pub fn id(&self) -> Option<Id> {
        if let Some(id) = self.fields.get("id").and_then(Id::from_value) {
            return Some(id);
        }
        let links = self.fields.get("links")?.as_array()?;
        let first = links.first()?.get("url")?.as_str()?;
        first.rsplit('/').next()?.parse().ok().map(Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_parse_from_numbers_and_strings() {
        let hits: Vec<SearchHit> = serde_json::from_value(json!([
            {"id": 1235, "self": "x"},
            {"id": "1240", "self": "y", "extra": true},
            {"id": " 7 "}
        ]))
        .unwrap();
        assert_eq!(
            hits.iter().map(|h| h.id.0).collect::<Vec<_>>(),
            vec![1235, 1240, 7]
        );
        assert!(serde_json::from_value::<Id>(json!("D123")).is_err());
        assert!(serde_json::from_value::<Id>(json!(-4)).is_err());
        assert_eq!(serde_json::from_value::<Id>(json!(12.0)).unwrap(), Id(12));
    }

    #[test]
    fn search_results_skip_unreadable_entries() {
        let r = SearchResults::from_json(&json!({"searchResults": [
            {"id": 1}, {"id": "abc"}, {"self": "no id"}, {"id": "3"}
        ], "unknown": 1}))
        .unwrap();
        assert_eq!(r.hits.len(), 2);
        assert_eq!(r.unreadable, 2);
        assert!(SearchResults::from_json(&json!({"nope": []})).is_none());
        assert_eq!(
            SearchResults::from_json(&json!({"searchResults": []}))
                .unwrap()
                .hits,
            vec![]
        );
    }

    #[test]
    fn profiles_drop_empty_fields_and_read_shapes() {
        let p = Profile::from_json(json!({
            "firstname": "Matt",
            "middlename": "",
            "lastname": null,
            "phones": [],
            "numberofpositions": 5,
            "folder": {"id": "D31001", "value": "Approved", "formattedvalue": "Approved", "x": 1},
            "recruiter": {"id": "95", "value": "Gabe", "profile": "https://api.icims.com/customers/1/people/95"},
            "links": [{"rel": "self", "url": "https://api.icims.com/customers/1234/people/2"}]
        }))
        .unwrap();
        assert!(p.has("firstname"));
        assert!(!p.has("middlename"));
        assert!(!p.has("lastname"));
        assert!(!p.has("phones"));
        assert_eq!(p.text("numberofpositions").as_deref(), Some("5"));
        assert_eq!(p.node("folder").unwrap().label(), "Approved");
        assert_eq!(p.link("recruiter").unwrap().id, Some(Id(95)));
        assert_eq!(p.id(), Some(Id(2)));
        assert_eq!(
            p.field_names(),
            vec!["firstname", "folder", "numberofpositions", "recruiter"]
        );
        assert!(Profile::from_json(json!([1, 2])).is_none());
    }
}
