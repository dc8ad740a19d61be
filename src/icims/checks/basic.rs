//! Step 1 *Test*: one authenticated call with the Basic API user — a people search for an
//! address that cannot exist, which exercises the credentials, the customer id, the
//! region's host, the IP allow-list and the Integration User group at once.

use super::super::client::IcimsClient;
use super::super::profiles::ProfileType;
use super::super::search::{Filter, SearchQuery};
use super::CheckRow;

/// The row name of the basic test.
pub const BASIC_AUTH: &str = "basic.auth";

/// An address no tenant has (the `.invalid` TLD is reserved).
const PROBE_EMAIL: &str = "connection-test@icims-onboard.invalid";

/// Runs the basic test.
pub async fn basic_test(client: &IcimsClient) -> CheckRow {
    let query = SearchQuery::all(vec![Filter::exact("person.email", PROBE_EMAIL)]);
    let result = client.search(ProfileType::People, &query).await;
    CheckRow::from_result(BASIC_AUTH, 1, &result, |_| {
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
    })
}
