//! The mapping's vocabulary: objects, where a customer field was found, the customer field
//! itself (with its evidence), the engineer's decision state and one mapping row.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The three iCIMS objects the product reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Object {
    Person,
    Job,
    Workflow,
}

impl Object {
    pub const ALL: [Object; 3] = [Object::Person, Object::Job, Object::Workflow];

    pub fn as_str(self) -> &'static str {
        match self {
            Object::Person => "person",
            Object::Job => "job",
            Object::Workflow => "workflow",
        }
    }

    /// Reads `person`/`job`/`workflow`, also the plural, API and export spellings
    /// (`people`, `jobs`, `workflows`, `applicantworkflows`, `submittal`).
    pub fn parse(s: &str) -> Option<Object> {
        match s.trim().to_ascii_lowercase().as_str() {
            "person" | "people" | "persons" | "candidate" | "candidates" => Some(Object::Person),
            "job" | "jobs" | "requisition" | "requisitions" => Some(Object::Job),
            "workflow"
            | "workflows"
            | "applicantworkflow"
            | "applicantworkflows"
            | "submittal"
            | "recruitingworkflow"
            | "recruitingworkflows" => Some(Object::Workflow),
            _ => None,
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a customer field was discovered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldSource {
    /// A column header of the historical export.
    Export,
    /// A field of the Schema API.
    Schema,
    /// A field seen only in sample records (profile GETs).
    Sample,
}

impl FieldSource {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldSource::Export => "export",
            FieldSource::Schema => "schema",
            FieldSource::Sample => "sample",
        }
    }
    pub fn parse(s: &str) -> Option<FieldSource> {
        match s.trim().to_ascii_lowercase().as_str() {
            "export" => Some(FieldSource::Export),
            "schema" => Some(FieldSource::Schema),
            "sample" => Some(FieldSource::Sample),
            _ => None,
        }
    }
    /// Export columns and API fields are two views of the customer's data: a standard
    /// field may be filled once from each, but not twice from the same one.
    pub fn side(self) -> &'static str {
        match self {
            FieldSource::Export => "export",
            FieldSource::Schema | FieldSource::Sample => "api",
        }
    }
}

impl fmt::Display for FieldSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A field of the customer's tenant with the evidence about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerField {
    pub object: Object,
    /// The export header or the API field id (`field41522`).
    pub name: String,
    /// A human label when one is known (the export header is its own label).
    pub label: Option<String>,
    /// A few non-empty values as text (JSON for list nodes and links from the API).
    pub samples: Vec<String>,
    /// Share of records with a value, 0.0–1.0.
    pub fill_rate: f64,
    pub source: FieldSource,
    /// The Schema API type (`string`, `object`, `array`, `string/date-time`, …), if known.
    pub schema_type: Option<String>,
}

impl CustomerField {
    /// The label if known, else the name.
    pub fn display_label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }
}

/// The engineer's decision on one customer field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingState {
    /// The suggestion stands, not yet reviewed.
    Suggested,
    /// The suggested target was accepted.
    Accepted,
    /// A different target was chosen.
    Changed,
    /// Not mapped on purpose.
    Ignored,
    /// Not mapped: the customer asks for a custom field in the product.
    CustomRequest,
}

impl MappingState {
    pub const ALL: [MappingState; 5] = [
        MappingState::Suggested,
        MappingState::Accepted,
        MappingState::Changed,
        MappingState::Ignored,
        MappingState::CustomRequest,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            MappingState::Suggested => "suggested",
            MappingState::Accepted => "accepted",
            MappingState::Changed => "changed",
            MappingState::Ignored => "ignored",
            MappingState::CustomRequest => "custom_request",
        }
    }
    pub fn parse(s: &str) -> Option<MappingState> {
        let norm = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        match norm.as_str() {
            "suggested" => Some(MappingState::Suggested),
            "accepted" | "accept" => Some(MappingState::Accepted),
            "changed" | "change" => Some(MappingState::Changed),
            "ignored" | "ignore" => Some(MappingState::Ignored),
            "custom_request" | "custom" | "custom_field_request" => {
                Some(MappingState::CustomRequest)
            }
            _ => None,
        }
    }
    /// Whether a row in this state fills its target.
    pub fn maps(self) -> bool {
        matches!(
            self,
            MappingState::Suggested | MappingState::Accepted | MappingState::Changed
        )
    }
}

impl fmt::Display for MappingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A proposed standard field for one customer field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub object: Object,
    pub customer_field: String,
    /// A standard id, or `None` when nothing fits.
    pub target: Option<String>,
    /// 0.0–1.0.
    pub confidence: f64,
    /// Why, in words (id/label match, alias, similarity, value shape, coverage).
    pub reasons: Vec<String>,
    /// Share of records that would fill the target (the field's fill rate), 0.0–1.0.
    pub coverage: f64,
}

/// One row of a team's mapping: the customer field, the suggestion and the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappingEntry {
    pub field: CustomerField,
    pub suggestion: Suggestion,
    /// The target in effect for `Suggested`/`Accepted`/`Changed`; `None` otherwise.
    pub target: Option<String>,
    pub state: MappingState,
    /// Free text (what the custom-field request asks for, a reviewer's remark).
    pub note: Option<String>,
}

impl MappingEntry {
    /// A fresh row in the `Suggested` state.
    pub fn suggested(field: CustomerField, suggestion: Suggestion) -> MappingEntry {
        MappingEntry {
            target: suggestion.target.clone(),
            field,
            suggestion,
            state: MappingState::Suggested,
            note: None,
        }
    }

    /// The target this row fills, if its state maps at all.
    pub fn effective_target(&self) -> Option<&str> {
        if self.state.maps() {
            self.target.as_deref()
        } else {
            None
        }
    }

    /// The row's identity: object, source and customer field name.
    pub fn key(&self) -> EntryKey {
        EntryKey {
            object: self.field.object,
            source: self.field.source,
            name: self.field.name.clone(),
        }
    }
}

/// Identity of a mapping row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EntryKey {
    pub object: Object,
    pub source: FieldSource,
    pub name: String,
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} field {:?}", self.object, self.source, self.name)
    }
}
