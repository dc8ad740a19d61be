//! Step 1 *Test*: one authenticated call with the Basic API user that depends on no
//! optional field — a people search on the system id, which every tenant lets an
//! integration user search — exercising the credentials, the customer id, the region's
//! host, the IP allow-list and the Integration User group at once. Its ids are the people
//! samples of the hidden-field check. Whether `person.email` can be searched is a
//! separate question ([`email_probe`]): a tenant that hides it still authenticates.

use super::super::client::IcimsClient;
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;
use super::super::search::{Filter, SearchQuery};
use super::CheckRow;

/// The row name of the basic test.
pub const BASIC_AUTH: &str = "basic.auth";

/// The row name of the email field's own check (shown when email is not usable).
pub const BASIC_EMAIL: &str = "basic.email";

/// An address no tenant has (the `.invalid` TLD is reserved).
const PROBE_EMAIL: &str = "connection-test@icims-onboard.invalid";

/// Runs the basic test; on success also returns the first page of people ids.
pub async fn basic_test(client: &IcimsClient) -> (CheckRow, Option<Vec<Id>>) {
    let query = SearchQuery::all(vec![Filter::gt("person.id", "0")]);
    let result = client.search(ProfileType::People, &query).await;
    let row = CheckRow::from_result(BASIC_AUTH, 1, &result, |_| {
        let mut msg = format!(
            "authenticated as {} for customer {}; people search works",
            client.auth().principal(),
            client.endpoints().customer_id
        );
        if let Some(q) = client.quota()
            && let (Some(left), Some(limit)) = (q.remaining, q.limit)
        {
            msg.push_str(&format!(" ({left} of {limit} calls left today)"));
        }
        msg
    });
    let ids = result.ok().map(|h| h.into_iter().map(|h| h.id).collect());
    (row, ids)
}

/// Can the user search `person.email`? `Ok(())`, or the error iCIMS gave.
pub async fn email_probe(client: &IcimsClient) -> Result<(), IcimsError> {
    let query = SearchQuery::all(vec![Filter::exact("person.email", PROBE_EMAIL)]);
    client.search(ProfileType::People, &query).await.map(|_| ())
}

/// What email costs when it cannot be used.
const EMAIL_COST: &str = "Until then there is no dedupe and no source-person match by email: \
     candidates are matched by LinkedIn URL and name only, and recruiters cannot be found \
     by their email.";

/// The email row, when email is not fully usable: not searchable (`search`), not visible
/// on the sample records (`visible == false`), or both. `None` when all is well.
pub fn email_row(search: &Result<(), IcimsError>, visible: bool) -> Option<CheckRow> {
    let searchable = search.is_ok();
    if searchable && visible {
        return None;
    }
    let what = match (visible, searchable) {
        (false, false) => "not visible and not searchable",
        (true, false) => "not searchable",
        _ => "not visible",
    };
    let detail = match search {
        Err(e @ IcimsError::Rejected { .. }) => format!(" (iCIMS: {e})"),
        Err(e) => format!(" (the probe failed: {e})"),
        Ok(()) => " (absent from every sample record)".to_string(),
    };
    let (http_status, error_code) = match search {
        Err(e) => (e.http_status(), e.error_code()),
        Ok(()) => (None, None),
    };
    Some(CheckRow {
        name: BASIC_EMAIL.into(),
        step: 1,
        ok: false,
        required: false,
        http_status,
        error_code,
        message: format!("person.email is {what} for this API user{detail}"),
        remedy: Some(format!(
            "Ask the customer's iCIMS admin to let the API user's login group see and search \
             the person Email field (Security Rules and field attributes). {EMAIL_COST}"
        )),
    })
}
