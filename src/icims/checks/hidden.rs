//! Hidden-field detection: iCIMS omits fields hidden by security rules exactly like empty
//! ones, so a few sample records are read with `?fields=` listing the standard fields, and
//! a field absent from every sample is reported. Sampling stops as soon as every field
//! has been seen, so a user who sees everything costs one GET per object.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::super::client::IcimsClient;
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;

/// A standard field absent from every sample record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HiddenField {
    /// `person`, `job` or `workflow`.
    pub object: String,
    /// The iCIMS field id (`addresses`, `hiringmanager`, `field41522`).
    pub field: String,
    /// The credential that cannot see it (`basic` or `rest`).
    pub credential: String,
}

/// Most records read per object before a field is declared hidden.
pub const MAX_SAMPLES: usize = 5;

/// Standard fields every tenant fills on most records (rarely-filled ones such as
/// `middlename` or `overview` are left out so an empty value is not taken for hidden).
pub fn standard_fields(kind: ProfileType) -> &'static [&'static str] {
    match kind {
        ProfileType::People => &[
            "firstname",
            "lastname",
            "email",
            "folder",
            "phones",
            "addresses",
            "createddate",
            "updateddate",
        ],
        ProfileType::Jobs => &[
            "jobid",
            "jobtitle",
            "folder",
            "positioncategory",
            "numberofpositions",
            "joblocation",
            "hiringmanager",
            "recruiter",
            "createddate",
            "updateddate",
        ],
        ProfileType::ApplicantWorkflows => &[
            "associatedprofile",
            "baseprofile",
            "status",
            "source",
            "sourcename",
            "createddate",
            "updateddate",
        ],
    }
}

/// Up to `n` ids spread evenly over `ids` (first, last and between).
pub fn spread(ids: &[Id], n: usize) -> Vec<Id> {
    if ids.len() <= n {
        return ids.to_vec();
    }
    if n <= 1 {
        return ids.first().copied().into_iter().collect();
    }
    (0..n).map(|i| ids[i * (ids.len() - 1) / (n - 1)]).collect()
}

/// Reads samples of `kind` from `ids` and returns the expected fields none of them has.
/// `extra` adds fields to expect (e.g. the LinkedIn custom field).
pub async fn hidden_fields(
    client: &IcimsClient,
    kind: ProfileType,
    ids: &[Id],
    extra: &[String],
    credential: &str,
) -> Result<Vec<HiddenField>, IcimsError> {
    let mut expected: Vec<String> = standard_fields(kind)
        .iter()
        .map(|s| s.to_string())
        .collect();
    expected.extend(extra.iter().cloned());
    let mut missing: BTreeSet<String> = expected.iter().cloned().collect();
    let wanted: Vec<&str> = expected.iter().map(String::as_str).collect();
    for id in spread(ids, MAX_SAMPLES) {
        if missing.is_empty() {
            break;
        }
        let profile = match client.get_profile(kind, id, &wanted).await {
            Ok(p) => p,
            // Deleted between search and get: try the next sample.
            Err(IcimsError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        missing.retain(|f| !profile.has(f));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(missing
        .into_iter()
        .map(|field| HiddenField {
            object: kind.object().to_string(),
            field,
            credential: credential.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spreads_samples_over_the_ids() {
        let ids: Vec<Id> = (1..=100).map(Id).collect();
        assert_eq!(
            spread(&ids, 5),
            vec![Id(1), Id(25), Id(50), Id(75), Id(100)]
        );
        assert_eq!(spread(&ids[..3], 5), ids[..3].to_vec());
        assert_eq!(spread(&ids, 1), vec![Id(1)]);
        assert!(spread(&[], 5).is_empty());
    }
}
