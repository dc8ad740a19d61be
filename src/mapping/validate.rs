//! Validation of a mapping: required standard fields left unmapped, a standard field
//! filled twice from the same side (export or API), targets of another object or unknown
//! to the catalogue, and values whose shape cannot fill the target's type.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::catalogue::{Catalogue, FieldType};
use super::model::{MappingEntry, Object};
use super::shape::{Fit, dominant_shape, fit};

/// One validation problem. Every problem blocks approval.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Issue {
    RequiredUnmapped {
        target: String,
        label: String,
    },
    DuplicateTarget {
        target: String,
        side: String,
        fields: Vec<String>,
    },
    UnknownTarget {
        object: Object,
        customer_field: String,
        target: String,
    },
    IncompatibleType {
        object: Object,
        customer_field: String,
        target: String,
        values: String,
        expected: FieldType,
    },
}

impl Issue {
    /// The customer fields the issue is about (for highlighting rows).
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Issue::RequiredUnmapped { .. } => Vec::new(),
            Issue::DuplicateTarget { fields, .. } => fields.iter().map(String::as_str).collect(),
            Issue::UnknownTarget { customer_field, .. }
            | Issue::IncompatibleType { customer_field, .. } => vec![customer_field.as_str()],
        }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Issue::RequiredUnmapped { target, label } => {
                write!(f, "required field {target} ({label}) is not mapped")
            }
            Issue::DuplicateTarget {
                target,
                side,
                fields,
            } => write!(
                f,
                "{target} is mapped twice from the {side}: {}",
                fields
                    .iter()
                    .map(|x| format!("{x:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Issue::UnknownTarget {
                object,
                customer_field,
                target,
            } => write!(
                f,
                "{object} field {customer_field:?} is mapped to {target}, which is not a standard {object} field"
            ),
            Issue::IncompatibleType {
                object,
                customer_field,
                target,
                values,
                expected,
            } => write!(
                f,
                "{object} field {customer_field:?} holds {values}; {target} expects {expected}"
            ),
        }
    }
}

/// Validates a mapping against the catalogue. The order is stable: required fields in
/// catalogue order, then duplicates by target, then per-row problems in row order.
pub fn validate(entries: &[MappingEntry], catalogue: &Catalogue) -> Vec<Issue> {
    let mut issues = Vec::new();
    for std in catalogue.required() {
        let mapped = entries
            .iter()
            .any(|e| e.effective_target() == Some(std.id.as_str()));
        if !mapped {
            issues.push(Issue::RequiredUnmapped {
                target: std.id.clone(),
                label: std.label.clone(),
            });
        }
    }
    let mut by_target: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for e in entries {
        if let Some(t) = e.effective_target() {
            by_target
                .entry((t, e.field.source.side()))
                .or_default()
                .push(e.field.display_label().to_string());
        }
    }
    for ((target, side), fields) in by_target {
        if fields.len() > 1 {
            issues.push(Issue::DuplicateTarget {
                target: target.to_string(),
                side: side.to_string(),
                fields,
            });
        }
    }
    for e in entries {
        let Some(t) = e.effective_target() else {
            continue;
        };
        let std = catalogue
            .get(t)
            .filter(|s| s.object() == Some(e.field.object));
        let Some(std) = std else {
            issues.push(Issue::UnknownTarget {
                object: e.field.object,
                customer_field: e.field.name.clone(),
                target: t.to_string(),
            });
            continue;
        };
        if let Some((shape, _)) = dominant_shape(&e.field.samples)
            && fit(shape, std.field_type) == Fit::Bad
        {
            issues.push(Issue::IncompatibleType {
                object: e.field.object,
                customer_field: e.field.name.clone(),
                target: t.to_string(),
                values: shape.describe().to_string(),
                expected: std.field_type,
            });
        }
    }
    issues
}
