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
    /// The credential whose samples lack it (`basic` or `rest`).
    pub credential: String,
    /// What the absence means (see [`classify`]). Facts stored before the status
    /// existed read as `hidden`, which is what they said.
    #[serde(default)]
    pub status: FieldStatus,
}

/// Why a standard field is absent from every sample record.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum FieldStatus {
    /// Hidden from this user by security rules: the export or another credential's
    /// samples show the field in use.
    #[default]
    Hidden,
    /// The tenant does not use it: the evidence at hand (export, field mapping, the
    /// other credential's samples, this user's own Schema API view) shows no value.
    NotInUse,
    /// Nothing yet tells the two apart (no export staged, no other credential sampled).
    Unverified,
}

impl FieldStatus {
    /// The words screens and the CLI use.
    pub fn words(self) -> &'static str {
        match self {
            FieldStatus::Hidden => "hidden from this user",
            FieldStatus::NotInUse => "not in use by this tenant",
            FieldStatus::Unverified => "hidden or unused (not yet known)",
        }
    }
}

/// What shows standard fields in use, gathered outside the sampling: the staged export
/// and the field mapping (built from the store by the caller) and the samples of a
/// credential that sees more (the REST client's, for the Basic user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InUseEvidence {
    /// Where the evidence comes from, in words ("the staged export"); empty = none.
    pub sources: Vec<String>,
    /// `object.field` standard ids with values (`person.addresses`, `person.linkedin`).
    pub in_use: BTreeSet<String>,
}

impl InUseEvidence {
    /// Records `id` (`object.field`) as in use; an address part also marks
    /// `person.addresses`.
    pub fn add(&mut self, id: &str) {
        if id.starts_with("person.address") && id != "person.addresses" {
            self.in_use.insert("person.addresses".to_string());
        }
        self.in_use.insert(id.to_string());
    }

    /// Adds another body of evidence (its sources and fields).
    pub fn extend(&mut self, other: &InUseEvidence) {
        for s in &other.sources {
            if !self.sources.contains(s) {
                self.sources.push(s.clone());
            }
        }
        self.in_use.extend(other.in_use.iter().cloned());
    }

    /// Is there any evidence at all?
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// Classifies a field absent from every sample of one credential. `ids` are the
/// standard ids it may go by (`person.field41522` and `person.linkedin`); `visible` is
/// the credential's own Schema API view of the object (`None` when not read): a field the
/// schema shows this user, with no value on any sample, is not in use.
pub fn classify(
    ids: &[String],
    evidence: &InUseEvidence,
    visible: Option<&BTreeSet<String>>,
) -> FieldStatus {
    if ids.iter().any(|id| evidence.in_use.contains(id)) {
        FieldStatus::Hidden
    } else if !evidence.is_empty() || visible.is_some_and(|v| ids.iter().any(|id| v.contains(id))) {
        FieldStatus::NotInUse
    } else {
        FieldStatus::Unverified
    }
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
            status: FieldStatus::Unverified,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_field_is_hidden_only_when_something_shows_it_in_use() {
        let none = InUseEvidence::default();
        let mut export = InUseEvidence {
            sources: vec!["the staged export".into()],
            ..Default::default()
        };
        export.add("person.addresscity");
        export.add("person.linkedin");
        let addresses = ids(&["person.addresses"]);
        let recruiter = ids(&["job.recruiter"]);
        let linkedin = ids(&["person.field41522", "person.linkedin"]);
        assert_eq!(classify(&addresses, &export, None), FieldStatus::Hidden);
        assert_eq!(classify(&linkedin, &export, None), FieldStatus::Hidden);
        assert_eq!(classify(&recruiter, &export, None), FieldStatus::NotInUse);
        assert_eq!(classify(&recruiter, &none, None), FieldStatus::Unverified);
        let schema: BTreeSet<String> = ids(&["job.recruiter"]).into_iter().collect();
        assert_eq!(
            classify(&recruiter, &none, Some(&schema)),
            FieldStatus::NotInUse
        );
        // The schema omitting it (hidden from this user, or not defined) proves nothing.
        assert_eq!(
            classify(&addresses, &none, Some(&schema)),
            FieldStatus::Unverified
        );
        // Evidence of use beats the user's own schema.
        let both: BTreeSet<String> = addresses.iter().cloned().collect();
        assert_eq!(
            classify(&addresses, &export, Some(&both)),
            FieldStatus::Hidden
        );
    }

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
