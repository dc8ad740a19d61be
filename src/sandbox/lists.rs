//! The List API: `GET /customers/{cid}/v2/lists` (the list index) and
//! `GET /customers/{cid}/v2/lists/{listId}[?size=&page=]` (one level of nodes, paged,
//! with `_links`). Rejection reasons are the `lists.notes.rejection` nodes.

use super::model::*;
use super::response::Response;
use serde_json::{Value, json};

pub const LIST_IDS: [&str; 9] = [
    "lists.notes.rejection",
    "lists.person.folders",
    "lists.job.folders",
    "lists.position",
    "lists.sources",
    "lists.country",
    "lists.phone_type",
    "lists.address_type",
    "lists.customfields_lists",
];

fn nodes(t: &Tenant, list: &str) -> Option<Vec<ListNode>> {
    let n = |id: &str, v: &str| ListNode {
        id: id.into(),
        value: v.into(),
    };
    Some(match list {
        "lists.notes.rejection" => t
            .statuses
            .iter()
            .filter(|s| s.is_rejection)
            .map(|s| n(&s.id, &s.name))
            .collect(),
        "lists.person.folders" => t.person_folders.clone(),
        "lists.job.folders" => t.job_folders.clone(),
        "lists.position" => t.position_categories.clone(),
        "lists.sources" => [
            "Career Site",
            "LinkedIn",
            "Employee Referral",
            "Agency",
            "Other (Please Specify)",
        ]
        .iter()
        .enumerate()
        .map(|(i, s)| n(&format!("C5000{}", i + 1), s))
        .collect(),
        "lists.country" => vec![n("D41001", "United States")],
        "lists.phone_type" => vec![n("D84101", "Mobile"), n("D84102", "Home")],
        "lists.address_type" => vec![n("D84002", "Home")],
        "lists.customfields_lists" => Vec::new(),
        _ => return None,
    })
}

pub fn index() -> Response {
    Response::json(200, &json!({ "lists": LIST_IDS }))
}

/// One page of a list's nodes. `size` defaults to (and is capped at) 1000; `page` is 0-based.
pub fn list(
    t: &Tenant,
    list: &str,
    size: Option<String>,
    page: Option<String>,
    customer_base: &str,
) -> Response {
    let Some(all) = nodes(t, list) else {
        return Response::not_found(&format!("List {list} not found."));
    };
    let size = match size.map(|s| s.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return Response::bad_request("size must be a number from 1 to 1000"),
    };
    let page = match page.map(|s| s.parse::<usize>()) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Response::bad_request("page must be a non-negative number"),
    };
    let href = |p: usize| format!("{customer_base}/v2/lists/{list}?size={size}&page={p}");
    let items: Vec<Value> = all
        .iter()
        .skip(page * size)
        .take(size)
        .map(|node| {
            json!({
                "id": node.id, "value": node.value, "formattedvalue": node.value,
                "_links": {"self": {"href": format!("{customer_base}/v2/lists/{list}/{}", node.id)}}
            })
        })
        .collect();
    let mut links = json!({"self": {"href": href(page)}});
    if (page + 1) * size < all.len() {
        links["next"] = json!({"href": href(page + 1)});
    }
    Response::json(200, &json!({"nodes": items, "_links": links}))
}
