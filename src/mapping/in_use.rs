//! Evidence that the tenant uses a standard field, for the step 1/2 hidden-field checks:
//! the staged export's columns (matched to standard fields the way step 4 suggests) and
//! the team's field mapping rows, each counted only when some record has a value.

use super::MappingError;
use super::catalogue::Catalogue;
use super::discover::{from_export_files, from_export_staging};
use super::model::CustomerField;
use super::storage;
use super::suggest::suggest;
use crate::icims::checks::InUseEvidence;
use crate::store::{Store, Team};

/// Where export evidence comes from, in words.
pub const EXPORT_SOURCE: &str = "the staged export";
/// Where mapping evidence comes from, in words.
pub const MAPPING_SOURCE: &str = "the field mapping";

/// Evidence from export columns: every column with a value on some row, matched to the
/// standard field step 4 would suggest for it.
pub fn from_fields(fields: &[CustomerField], source: &str) -> InUseEvidence {
    let mut ev = InUseEvidence::default();
    if fields.is_empty() {
        return ev;
    }
    ev.sources.push(source.to_string());
    for (field, s) in fields.iter().zip(suggest(fields, &Catalogue::standard())) {
        if field.fill_rate > 0.0
            && let Some(target) = s.target
        {
            ev.add(&target);
        }
    }
    ev
}

/// Evidence from export CSV files read directly (tests, or files not yet staged).
pub fn from_files(files: &[std::path::PathBuf]) -> Result<InUseEvidence, MappingError> {
    Ok(from_fields(&from_export_files(files)?, EXPORT_SOURCE))
}

/// Evidence from the store: the staged export (step 3) and the field mapping rows
/// (step 4) whose customer field has values. Empty when neither exists yet.
pub fn from_store(store: &Store, team: &Team) -> Result<InUseEvidence, MappingError> {
    let mut ev = from_fields(&from_export_staging(store, team)?, EXPORT_SOURCE);
    let rows = storage::load(store, team)?;
    if !rows.is_empty() {
        ev.extend(&InUseEvidence {
            sources: vec![MAPPING_SOURCE.to_string()],
            ..Default::default()
        });
        for row in rows {
            if row.field.fill_rate > 0.0
                && let Some(target) = &row.target
            {
                ev.add(target);
            }
        }
    }
    Ok(ev)
}
