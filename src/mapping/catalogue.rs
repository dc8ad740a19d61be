//! The catalogue of standard fields the product understands (`assets/standard_fields.json`,
//! embedded): ids `<object>.<iCIMS field id>`, types, required flags, flat-file headers and
//! the aliases customers are known to use.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::Object;

/// The embedded catalogue file.
pub const CATALOGUE_JSON: &str = include_str!("../../assets/standard_fields.json");

/// The type of a standard field (iCIMS data-model types, reduced to what mapping checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Text,
    Email,
    Url,
    Phone,
    Date,
    Datetime,
    Listnode,
    Personlink,
    Addresslink,
    Number,
    Id,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Email => "email",
            FieldType::Url => "url",
            FieldType::Phone => "phone",
            FieldType::Date => "date",
            FieldType::Datetime => "datetime",
            FieldType::Listnode => "listnode",
            FieldType::Personlink => "personlink",
            FieldType::Addresslink => "addresslink",
            FieldType::Number => "number",
            FieldType::Id => "id",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One standard field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardField {
    /// `<object>.<iCIMS field id>`, e.g. `job.recruiter`.
    pub id: String,
    /// The label iCIMS ships.
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub required: bool,
    /// Flat-file (export) headers iCIMS documents for this field.
    #[serde(default)]
    pub flat: Vec<String>,
    /// Labels customers use instead (e.g. "Coordinator" for `job.recruiter`).
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl StandardField {
    /// The object part of the id.
    pub fn object(&self) -> Option<Object> {
        Object::parse(self.id.split('.').next()?)
    }
    /// The iCIMS field id part (`recruiter` of `job.recruiter`).
    pub fn field_id(&self) -> &str {
        self.id.split_once('.').map_or("", |(_, f)| f)
    }
}

#[derive(Debug, Deserialize)]
struct CatalogueFile {
    fields: Vec<StandardField>,
}

/// A problem in a catalogue file.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("catalogue is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("catalogue field {0:?}: id must be <person|job|workflow>.<field id>")]
    BadId(String),
    #[error("catalogue field {0:?} appears twice")]
    Duplicate(String),
}

/// The standard fields, in file order, with an index by id.
#[derive(Debug, Clone)]
pub struct Catalogue {
    fields: Vec<StandardField>,
    index: HashMap<String, usize>,
}

impl Catalogue {
    /// The embedded catalogue.
    pub fn standard() -> Catalogue {
        // Parsed once per process. The embedded file is checked by a unit test; an error
        // here is a build defect, not bad input.
        #[allow(clippy::panic, reason = "the embedded file is a build input, tested")]
        static STANDARD: std::sync::LazyLock<Catalogue> = std::sync::LazyLock::new(|| {
            Catalogue::from_json(CATALOGUE_JSON)
                .unwrap_or_else(|e| panic!("embedded catalogue: {e}"))
        });
        STANDARD.clone()
    }

    pub fn from_json(text: &str) -> Result<Catalogue, CatalogueError> {
        let file: CatalogueFile = serde_json::from_str(text)?;
        let mut index = HashMap::new();
        for (i, f) in file.fields.iter().enumerate() {
            if f.object().is_none() || f.field_id().is_empty() {
                return Err(CatalogueError::BadId(f.id.clone()));
            }
            if index.insert(f.id.clone(), i).is_some() {
                return Err(CatalogueError::Duplicate(f.id.clone()));
            }
        }
        Ok(Catalogue {
            fields: file.fields,
            index,
        })
    }

    pub fn fields(&self) -> &[StandardField] {
        &self.fields
    }

    pub fn get(&self, id: &str) -> Option<&StandardField> {
        self.index.get(id).map(|&i| &self.fields[i])
    }

    /// The standard fields of one object.
    pub fn of(&self, object: Object) -> impl Iterator<Item = &StandardField> {
        self.fields
            .iter()
            .filter(move |f| f.object() == Some(object))
    }

    /// Required standard fields.
    pub fn required(&self) -> impl Iterator<Item = &StandardField> {
        self.fields.iter().filter(|f| f.required)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_loads_and_has_the_product_fields() {
        let c = Catalogue::standard();
        for id in [
            "person.id",
            "person.firstname",
            "person.lastname",
            "person.email",
            "person.phones",
            "person.linkedin",
            "person.folder",
            "person.createddate",
            "person.updateddate",
            "job.id",
            "job.jobid",
            "job.jobtitle",
            "job.folder",
            "job.recruiter",
            "job.secondaryrecruiter",
            "job.hiringmanager",
            "job.jobowner",
            "job.joblocation",
            "workflow.id",
            "workflow.baseprofile",
            "workflow.associatedprofile",
            "workflow.status",
            "workflow.source",
            "workflow.sourceperson",
            "workflow.updateddate",
        ] {
            assert!(c.get(id).is_some(), "{id} missing");
        }
        assert_eq!(
            c.get("job.recruiter").unwrap().field_type,
            FieldType::Personlink
        );
        assert!(
            c.get("job.recruiter")
                .unwrap()
                .aliases
                .iter()
                .any(|a| a == "Coordinator")
        );
        assert!(c.get("person.email").unwrap().required);
        assert_eq!(c.of(Object::Workflow).count(), 11);
    }

    #[test]
    fn bad_catalogues_are_refused() {
        let bad = r#"{"fields":[{"id":"company.x","label":"X","type":"text","required":false}]}"#;
        assert!(matches!(
            Catalogue::from_json(bad),
            Err(CatalogueError::BadId(_))
        ));
        let dup = r#"{"fields":[{"id":"job.x","label":"X","type":"text","required":false},{"id":"job.x","label":"Y","type":"text","required":false}]}"#;
        assert!(matches!(
            Catalogue::from_json(dup),
            Err(CatalogueError::Duplicate(_))
        ));
        assert!(Catalogue::from_json("{").is_err());
    }
}
