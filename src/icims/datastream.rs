//! The Data Stream API (pull): a customer's subscriptions and the pages of events of one
//! subscription (`lastEvaluatedKey` → `exclusiveStartKey`, DynamoDB-style).

use serde::Serialize;
use serde_json::Value;

use super::client::IcimsClient;
use super::error::IcimsError;

/// One subscription (its id and whatever else iCIMS says about it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscription {
    pub id: String,
    pub raw: Value,
}

/// One page of events.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventsPage {
    pub events: Vec<Value>,
    /// Where the next page starts; `None` at the end.
    pub next_key: Option<String>,
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a subscriptions response: an array, or an object with `subscriptions`/`items`.
pub fn subscriptions_of(body: &Value) -> Option<Vec<Subscription>> {
    let arr = match body {
        Value::Array(a) => a,
        Value::Object(o) => ["subscriptions", "items", "results"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_array))?,
        _ => return None,
    };
    Some(
        arr.iter()
            .filter_map(|s| {
                let id = match s {
                    Value::Object(o) => ["id", "subscriptionId", "subscriptionid"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(id_text)),
                    other => id_text(other),
                }?;
                Some(Subscription { id, raw: s.clone() })
            })
            .collect(),
    )
}

/// Reads an events page.
pub fn events_of(body: &Value) -> Option<EventsPage> {
    let events = body.get("events")?.as_array()?.clone();
    let next_key = body
        .get("lastEvaluatedKey")
        .and_then(|v| match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
        .filter(|_| !events.is_empty());
    Some(EventsPage { events, next_key })
}

impl IcimsClient {
    /// `GET {datastream}/{cid}/subscriptions`.
    pub async fn datastream_subscriptions(&self) -> Result<Vec<Subscription>, IcimsError> {
        let body = self
            .get_json(self.endpoints().datastream_url("subscriptions"))
            .await?;
        subscriptions_of(&body).ok_or_else(|| IcimsError::Malformed {
            what: "Data Stream subscriptions".into(),
            reason: "no subscriptions array".into(),
        })
    }

    /// `GET {datastream}/{cid}/subscriptions/{id}/events[?exclusiveStartKey=]`.
    pub async fn datastream_events(
        &self,
        subscription: &str,
        start_key: Option<&str>,
    ) -> Result<EventsPage, IcimsError> {
        let mut url = self
            .endpoints()
            .datastream_url(&format!("subscriptions/{subscription}/events"));
        if let Some(k) = start_key {
            url.query_pairs_mut().append_pair("exclusiveStartKey", k);
        }
        let body = self.get_json(url).await?;
        events_of(&body).ok_or_else(|| IcimsError::Malformed {
            what: "Data Stream events".into(),
            reason: "no events array".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_subscriptions_and_event_pages() {
        let s = subscriptions_of(&json!({"subscriptions": [{"id": "sub-1", "x": 1}, {"subscriptionId": 7}, {"nope": 1}]})).unwrap();
        assert_eq!(
            s.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            vec!["sub-1", "7"]
        );
        let s = subscriptions_of(&json!(["a", "b"])).unwrap();
        assert_eq!(s.len(), 2);
        let p = events_of(&json!({"events": [{"a": 1}], "lastEvaluatedKey": "k1"})).unwrap();
        assert_eq!(p.next_key.as_deref(), Some("k1"));
        let end = events_of(&json!({"events": [], "lastEvaluatedKey": "k1"})).unwrap();
        assert_eq!(end.next_key, None);
        let end = events_of(&json!({"events": [{"a": 1}], "lastEvaluatedKey": ""})).unwrap();
        assert_eq!(end.next_key, None);
        assert!(events_of(&json!({"x": 1})).is_none());
    }
}
