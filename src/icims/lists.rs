//! The List API (`v2/lists`): the index of list ids and the nodes of one list (person
//! folders, job folders, …), read tolerantly since the node payload is undocumented.

use serde_json::Value;

use super::client::IcimsClient;
use super::error::IcimsError;
use super::model::ListNode;

impl IcimsClient {
    /// `GET v2/lists` → the list ids.
    pub async fn lists(&self) -> Result<Vec<String>, IcimsError> {
        let body = self.get_json(self.endpoints().api_url("v2/lists")).await?;
        let arr =
            body.get("lists")
                .and_then(Value::as_array)
                .ok_or_else(|| IcimsError::Malformed {
                    what: "list index".into(),
                    reason: "no lists array".into(),
                })?;
        Ok(arr
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o
                    .get("id")
                    .or_else(|| o.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                _ => None,
            })
            .collect())
    }

    /// `GET v2/lists/{list}?size=1000` → the nodes of one level.
    pub async fn list_nodes(&self, list: &str) -> Result<Vec<ListNode>, IcimsError> {
        let mut url = self.endpoints().api_url(&format!("v2/lists/{list}"));
        url.query_pairs_mut().append_pair("size", "1000");
        let body = self.get_json(url).await?;
        nodes_of(&body).ok_or_else(|| IcimsError::Malformed {
            what: format!("list {list}"),
            reason: "no array of nodes".into(),
        })
    }
}

/// Finds the node array in a list response: the body itself, or the first array under a
/// known key (`nodes`, `items`, `values`, `_embedded.*`).
pub fn nodes_of(body: &Value) -> Option<Vec<ListNode>> {
    let arr = match body {
        Value::Array(a) => a,
        Value::Object(o) => {
            let direct = ["nodes", "items", "values", "listnodes", "results"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_array));
            let embedded = || {
                o.get("_embedded")
                    .and_then(Value::as_object)
                    .and_then(|e| e.values().find_map(Value::as_array))
            };
            direct.or_else(embedded)?
        }
        _ => return None,
    };
    Some(
        arr.iter()
            .filter_map(|v| serde_json::from_value::<ListNode>(v.clone()).ok())
            .filter(|n| n.id.is_some() || n.value.is_some())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_nodes_in_several_shapes() {
        let a = nodes_of(&json!({"nodes": [{"id": "D32011", "value": "HM:Active"}], "_links": {}}))
            .unwrap();
        assert_eq!(a[0].label(), "HM:Active");
        let b = nodes_of(&json!({"_embedded": {"listNodes": [{"id": 5, "value": "x"}]}})).unwrap();
        assert_eq!(b[0].id.as_deref(), Some("5"));
        let c = nodes_of(&json!([{"id": "C1", "formattedvalue": "y"}, {"other": 1}])).unwrap();
        assert_eq!(c.len(), 1);
        assert!(nodes_of(&json!({"nothing": 1})).is_none());
    }
}
