//! Decisions on mapping rows, shared by the console and the CLI: accept, change, ignore,
//! request a custom field, accept everything above a confidence. Pure: the caller saves.

use super::catalogue::Catalogue;
use super::model::{MappingEntry, MappingState};

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{field:?} has no suggestion to accept; pick a target instead")]
    NothingToAccept { field: String },
    #[error("{target} is not a standard {object} field")]
    WrongTarget { object: String, target: String },
}

/// Accepts the row's suggestion.
pub fn accept(entry: &mut MappingEntry) -> Result<(), EditError> {
    let Some(t) = entry.suggestion.target.clone() else {
        return Err(EditError::NothingToAccept {
            field: entry.field.name.clone(),
        });
    };
    entry.target = Some(t);
    entry.state = MappingState::Accepted;
    Ok(())
}

/// Maps the row to `target` (the suggestion counts as accepting it).
pub fn change(
    entry: &mut MappingEntry,
    target: &str,
    catalogue: &Catalogue,
) -> Result<(), EditError> {
    let ok = catalogue
        .get(target)
        .is_some_and(|s| s.object() == Some(entry.field.object));
    if !ok {
        return Err(EditError::WrongTarget {
            object: entry.field.object.to_string(),
            target: target.to_string(),
        });
    }
    entry.state = if entry.suggestion.target.as_deref() == Some(target) {
        MappingState::Accepted
    } else {
        MappingState::Changed
    };
    entry.target = Some(target.to_string());
    Ok(())
}

/// Leaves the row unmapped on purpose.
pub fn ignore(entry: &mut MappingEntry) {
    entry.target = None;
    entry.state = MappingState::Ignored;
}

/// Leaves the row unmapped and records a custom-field request.
pub fn request_custom(entry: &mut MappingEntry, note: Option<String>) {
    entry.target = None;
    entry.state = MappingState::CustomRequest;
    if note.is_some() {
        entry.note = note;
    }
}

/// Accepts every still-`Suggested` row whose suggestion has at least `min_confidence`;
/// returns how many were accepted.
pub fn accept_all_above(entries: &mut [MappingEntry], min_confidence: f64) -> usize {
    let mut n = 0;
    for e in entries.iter_mut() {
        if e.state == MappingState::Suggested
            && e.suggestion.target.is_some()
            && e.suggestion.confidence >= min_confidence
            && accept(e).is_ok()
        {
            n += 1;
        }
    }
    n
}
