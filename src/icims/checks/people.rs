//! Reading a few people for display: id, name, email, folder and (when known) the
//! LinkedIn URL, used by the dedupe preview and the source-person check.

use serde::{Deserialize, Serialize};

use super::super::client::IcimsClient;
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;

/// A person as shown in match lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonMatch {
    pub id: u64,
    pub name: String,
    pub email: Option<String>,
    pub folder: Option<String>,
    pub linkedin: Option<String>,
}

/// Most people read per key; more matches are counted but not shown.
pub const MAX_SHOWN: usize = 20;

/// GETs each id (at most [`MAX_SHOWN`]) with the display fields. People deleted
/// meanwhile (404) are skipped.
pub async fn read_people(
    client: &IcimsClient,
    ids: &[Id],
    linkedin_field: Option<&str>,
) -> Result<Vec<PersonMatch>, IcimsError> {
    let mut fields = vec!["firstname", "lastname", "email", "folder"];
    if let Some(f) = linkedin_field {
        fields.push(f);
    }
    let mut out = Vec::new();
    for &id in ids.iter().take(MAX_SHOWN) {
        let p = match client.get_profile(ProfileType::People, id, &fields).await {
            Ok(p) => p,
            Err(IcimsError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let name = [p.text("firstname"), p.text("lastname")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        out.push(PersonMatch {
            id: id.0,
            name,
            email: p.text("email"),
            folder: p.node("folder").map(|n| n.label().to_string()),
            linkedin: linkedin_field.and_then(|f| p.text(f)),
        });
    }
    Ok(out)
}
