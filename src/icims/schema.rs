//! The Schema API (`profiledefinitions/v1/{type}/schema`): the JSON Schema of what the
//! Profiles API returns for a tenant, reduced to field ids with their type and title.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::client::IcimsClient;
use super::error::IcimsError;

/// One field of a profile schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SchemaField {
    pub id: String,
    /// JSON Schema `type` (`string`, `object`, `array`, …), if given.
    pub kind: Option<String>,
    /// JSON Schema `format` (`date`, `uri`, …), if given.
    pub format: Option<String>,
    /// A human label (`title` or `description`), if the tenant's schema has one.
    pub label: Option<String>,
}

/// A profile type's schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProfileSchema {
    pub fields: BTreeMap<String, SchemaField>,
}

impl ProfileSchema {
    pub fn from_json(v: &Value) -> Option<ProfileSchema> {
        let props = v.get("properties")?.as_object()?;
        let text = |f: &Value, k: &str| f.get(k).and_then(Value::as_str).map(str::to_string);
        let fields = props
            .iter()
            .map(|(id, f)| {
                let kind = match f.get("type") {
                    Some(Value::String(s)) => Some(s.clone()),
                    Some(Value::Array(a)) => a.iter().find_map(Value::as_str).map(str::to_string),
                    _ => None,
                };
                (
                    id.clone(),
                    SchemaField {
                        id: id.clone(),
                        kind,
                        format: text(f, "format"),
                        label: text(f, "title").or_else(|| text(f, "description")),
                    },
                )
            })
            .collect();
        Some(ProfileSchema { fields })
    }

    /// Custom fields (`field####`).
    pub fn custom_fields(&self) -> impl Iterator<Item = &SchemaField> {
        self.fields.values().filter(|f| is_custom_field(&f.id))
    }
}

/// `field` followed by digits.
pub fn is_custom_field(id: &str) -> bool {
    id.strip_prefix("field")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
}

impl IcimsClient {
    /// `GET profiledefinitions/v1/{type}/schema` (`person`, `job`, `submittal`, …).
    pub async fn profile_schema(&self, schema_type: &str) -> Result<ProfileSchema, IcimsError> {
        let url = self
            .endpoints()
            .api_url(&format!("profiledefinitions/v1/{schema_type}/schema"));
        let body = self.get_json(url).await?;
        ProfileSchema::from_json(&body).ok_or_else(|| IcimsError::Malformed {
            what: format!("{schema_type} schema"),
            reason: "no properties object".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_fields_types_and_labels() {
        let s = ProfileSchema::from_json(&json!({
            "type": "object",
            "properties": {
                "startdate": {"format": "date", "type": "string"},
                "field41522": {"type": ["string", "null"], "title": "LinkedIn Profile"},
                "recruiter": {"type": "object", "description": "Coordinator"}
            }
        }))
        .unwrap();
        assert_eq!(s.fields.len(), 3);
        assert_eq!(s.fields["startdate"].format.as_deref(), Some("date"));
        assert_eq!(s.fields["field41522"].kind.as_deref(), Some("string"));
        assert_eq!(s.fields["recruiter"].label.as_deref(), Some("Coordinator"));
        let custom: Vec<_> = s.custom_fields().map(|f| f.id.as_str()).collect();
        assert_eq!(custom, vec!["field41522"]);
        assert!(!is_custom_field("field"));
        assert!(!is_custom_field("fieldx1"));
        assert!(ProfileSchema::from_json(&json!({"x": 1})).is_none());
    }
}

impl IcimsClient {
    /// `GET profiledefinitions/v1/{type}/{field}/schema` — one field's schema as JSON.
    pub async fn field_schema(&self, schema_type: &str, field: &str) -> Result<Value, IcimsError> {
        let url = self.endpoints().api_url(&format!(
            "profiledefinitions/v1/{schema_type}/{field}/schema"
        ));
        self.get_json(url).await
    }

    /// The recruiting-workflow status catalogue, when the tenant's `submittal/status` field
    /// schema lists it (`options` with id, value, bin). An empty list when it does not.
    pub async fn status_catalogue(&self) -> Result<Vec<StatusOption>, IcimsError> {
        let v = self.field_schema("submittal", "status").await?;
        Ok(status_options(&v))
    }
}

/// One workflow status of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusOption {
    pub id: String,
    pub value: String,
    pub bin: Option<String>,
    pub rejection: bool,
}

/// Reads the `options` of a status field schema (unknown keys ignored).
pub fn status_options(v: &Value) -> Vec<StatusOption> {
    v.get("options")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|o| {
                    let id = match o.get("id")? {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some(StatusOption {
                        value: o
                            .get("value")
                            .and_then(Value::as_str)
                            .unwrap_or(&id)
                            .to_string(),
                        id,
                        bin: o.get("bin").and_then(Value::as_str).map(str::to_string),
                        rejection: o.get("rejection").and_then(Value::as_bool).unwrap_or(false),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
