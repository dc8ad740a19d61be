//! The Profiles API: GET a person, job or recruiting workflow, optionally limited with
//! `?fields=`, as a tolerant [`Profile`].

use super::client::IcimsClient;
use super::error::IcimsError;
use super::model::{Id, Profile};

/// The profile types the integration reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileType {
    People,
    Jobs,
    ApplicantWorkflows,
}

impl ProfileType {
    pub const ALL: [ProfileType; 3] = [
        ProfileType::People,
        ProfileType::Jobs,
        ProfileType::ApplicantWorkflows,
    ];

    /// URL segment (`people`, `jobs`, `applicantworkflows`).
    pub fn segment(self) -> &'static str {
        match self {
            ProfileType::People => "people",
            ProfileType::Jobs => "jobs",
            ProfileType::ApplicantWorkflows => "applicantworkflows",
        }
    }

    /// Entity prefix in search filters (`person`, `job`, `applicantworkflow`).
    pub fn search_entity(self) -> &'static str {
        match self {
            ProfileType::People => "person",
            ProfileType::Jobs => "job",
            ProfileType::ApplicantWorkflows => "applicantworkflow",
        }
    }

    /// Profile type of the Schema API (`person`, `job`, `submittal`).
    pub fn schema_type(self) -> &'static str {
        match self {
            ProfileType::People => "person",
            ProfileType::Jobs => "job",
            ProfileType::ApplicantWorkflows => "submittal",
        }
    }

    /// The object name people read (`person`, `job`, `workflow`).
    pub fn object(self) -> &'static str {
        match self {
            ProfileType::People => "person",
            ProfileType::Jobs => "job",
            ProfileType::ApplicantWorkflows => "workflow",
        }
    }
}

impl IcimsClient {
    /// GET `/customers/{cid}/{type}/{id}[?fields=a,b]`.
    pub async fn get_profile(
        &self,
        kind: ProfileType,
        id: Id,
        fields: &[&str],
    ) -> Result<Profile, IcimsError> {
        let body = self.get_json(profile_url(self, kind, id, fields)).await?;
        profile_of(kind, id, body)
    }

    /// [`IcimsClient::get_profile`], also giving the body's text as received (what the
    /// deep sync keeps as a record's raw values, without encoding it again).
    pub async fn get_profile_and_text(
        &self,
        kind: ProfileType,
        id: Id,
        fields: &[&str],
    ) -> Result<(Profile, String), IcimsError> {
        let (body, text) = self
            .get_json_and_text(profile_url(self, kind, id, fields))
            .await?;
        Ok((profile_of(kind, id, body)?, text))
    }
}

fn profile_url(client: &IcimsClient, kind: ProfileType, id: Id, fields: &[&str]) -> url::Url {
    let mut url = client
        .endpoints()
        .api_url(&format!("{}/{}", kind.segment(), id.0));
    if !fields.is_empty() {
        url.query_pairs_mut()
            .append_pair("fields", &fields.join(","));
    }
    url
}

fn profile_of(kind: ProfileType, id: Id, body: serde_json::Value) -> Result<Profile, IcimsError> {
    Profile::from_json(body).ok_or_else(|| IcimsError::Malformed {
        what: format!("{} {} profile", kind.object(), id),
        reason: "not a JSON object".into(),
    })
}
