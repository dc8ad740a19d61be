//! Step 2 *Test*: the preflight matrix — one row per permission the deep sync needs:
//! the REST token; people, jobs and applicant-workflow search and get; statuses; person
//! folders; the Schema API; the Data Stream token, subscriptions and events. It also
//! keeps the ids the searches returned, for hidden-field sampling. After the token, the
//! REST calls run concurrently (bounded); the Data Stream chain runs beside them.

use std::collections::BTreeSet;

use super::super::client::IcimsClient;
use super::super::error::IcimsError;
use super::super::model::Id;
use super::super::profiles::ProfileType;
use super::super::search::{Filter, SearchQuery};
use super::{CheckRow, Limiter, Ordered, Progress};

/// Ids found by the preflight searches (first page of each), ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Samples {
    pub people: Vec<Id>,
    pub jobs: Vec<Id>,
    pub workflows: Vec<Id>,
    /// The fields the Schema API showed this credential (`object.field`), when the
    /// schema row read all three objects.
    pub visible: Option<BTreeSet<String>>,
}

impl Samples {
    pub fn of(&self, kind: ProfileType) -> &[Id] {
        match kind {
            ProfileType::People => &self.people,
            ProfileType::Jobs => &self.jobs,
            ProfileType::ApplicantWorkflows => &self.workflows,
        }
    }

    fn set(&mut self, kind: ProfileType, ids: Vec<Id>) {
        match kind {
            ProfileType::People => self.people = ids,
            ProfileType::Jobs => self.jobs = ids,
            ProfileType::ApplicantWorkflows => self.workflows = ids,
        }
    }
}

/// Row names of the REST part, in order.
pub const REST_ROWS: [&str; 10] = [
    "rest.token",
    "people.search",
    "people.get",
    "jobs.search",
    "jobs.get",
    "applicantworkflows.search",
    "applicantworkflows.get",
    "statuses",
    "person.folders",
    "schema",
];

/// Row names of the Data Stream part, in order.
pub const DATASTREAM_ROWS: [&str; 3] = [
    "datastream.token",
    "datastream.subscriptions",
    "datastream.events",
];

/// The REST rows. `None` (no REST credential stored) gives rows that say so.
pub async fn rest_matrix(
    client: Option<&IcimsClient>,
    team: &str,
    progress: Progress<'_>,
) -> (Vec<CheckRow>, Samples) {
    let limiter = Limiter::new(client.map_or(1, |c| c.config().concurrency));
    let out = Ordered::new(progress, REST_ROWS.len());
    let samples = rest_rows(client, team, &limiter, &out, 0).await;
    (out.rows(), samples)
}

/// One profile type's search, then a GET of the first id found (slots `slot`, `slot+1`).
async fn search_then_get(
    client: &IcimsClient,
    kind: ProfileType,
    limiter: &Limiter,
    out: &Ordered<'_>,
    slot: usize,
) -> Vec<Id> {
    let search_name = format!("{}.search", kind.segment());
    out.start(&search_name);
    let query = SearchQuery::all(vec![Filter::gt(
        &format!("{}.id", kind.search_entity()),
        "0",
    )]);
    let result = limiter.run(client.search(kind, &query)).await;
    let row = CheckRow::from_result(&search_name, 2, &result, |hits| match hits.len() {
        0 => format!("search works; no {} records yet", kind.object()),
        n if n >= super::super::search::PAGE_SIZE => {
            format!("search works; {n}+ {} ids (first page)", kind.object())
        }
        n => format!("search works; {n} {} ids", kind.object()),
    });
    let ids: Vec<Id> = result
        .as_ref()
        .map(|h| h.iter().map(|h| h.id).collect())
        .unwrap_or_default();
    out.finish(slot, row);

    let get_name = format!("{}.get", kind.segment());
    out.start(&get_name);
    let row = match ids.first() {
        Some(&id) => {
            let result = limiter.run(client.get_profile(kind, id, &[])).await;
            CheckRow::from_result(&get_name, 2, &result, |p| {
                format!(
                    "read {} {id} ({} fields)",
                    kind.object(),
                    p.field_names().len()
                )
            })
        }
        None if result.is_ok() => CheckRow::pass(
            &get_name,
            2,
            format!(
                "not verified: the search found no {} to read",
                kind.object()
            ),
        ),
        None => CheckRow::not_run(
            &get_name,
            2,
            format!("not run: the {} search failed", kind.object()),
            "Fix the search permission first (see the row above).",
        ),
    };
    out.finish(slot + 1, row);
    ids
}

/// The REST rows into slots `base..base + 10`: the token first, then every other row at
/// once (each search before its GET), within the limiter's bound.
pub(crate) async fn rest_rows(
    client: Option<&IcimsClient>,
    team: &str,
    limiter: &Limiter,
    out: &Ordered<'_>,
    base: usize,
) -> Samples {
    let mut samples = Samples::default();
    let Some(client) = client else {
        for (i, name) in REST_ROWS.iter().enumerate() {
            out.finish(
                base + i,
                CheckRow::not_run(
                    name,
                    2,
                    "no REST API credentials are stored",
                    format!(
                        "Store the OAuth client iCIMS issued: `icims-onboard creds set {team} --kind rest --client-id ID --secret-stdin`."
                    ),
                ),
            );
        }
        return samples;
    };

    out.start("rest.token");
    let token = limiter.run(client.fetch_token()).await;
    let token_row = CheckRow::from_result("rest.token", 2, &token, |life| {
        format!(
            "token issued to {} (valid {}h{:02}m)",
            client.auth().principal(),
            life.as_secs() / 3600,
            (life.as_secs() % 3600) / 60
        )
    });
    let token_ok = token_row.ok;
    let remedy = token_row.remedy.clone().unwrap_or_default();
    out.finish(base, token_row);
    if !token_ok {
        for (i, name) in REST_ROWS.iter().enumerate().skip(1) {
            out.finish(
                base + i,
                CheckRow::not_run(name, 2, "not run: no REST token", remedy.clone()),
            );
        }
        return samples;
    }

    let kinds = futures::future::join_all(
        ProfileType::ALL
            .iter()
            .enumerate()
            .map(|(k, &kind)| search_then_get(client, kind, limiter, out, base + 1 + 2 * k)),
    );
    let statuses = async {
        out.start("statuses");
        let result = limiter.run(client.status_catalogue()).await;
        let row = CheckRow::from_result("statuses", 2, &result, |opts| {
            if opts.is_empty() {
                "status field readable; the tenant lists no status catalogue".to_string()
            } else {
                let bins: BTreeSet<&str> = opts.iter().filter_map(|o| o.bin.as_deref()).collect();
                let rejections = opts.iter().filter(|o| o.rejection).count();
                format!(
                    "{} statuses in {} bins ({rejections} rejection reasons)",
                    opts.len(),
                    bins.len()
                )
            }
        });
        out.finish(base + 7, row);
    };
    let folders = async {
        out.start("person.folders");
        let result = limiter.run(client.list_nodes("lists.person.folders")).await;
        let row = CheckRow::from_result("person.folders", 2, &result, |nodes| {
            let users = nodes
                .iter()
                .filter(|n| super::source_person::is_user_folder(n.label()))
                .count();
            format!(
                "{} person folders ({users} user folders HM:/Emp:)",
                nodes.len()
            )
        });
        out.finish(base + 8, row);
    };
    let schema = async {
        out.start("schema");
        let results = futures::future::join_all(
            ProfileType::ALL
                .iter()
                .map(|kind| limiter.run(client.profile_schema(kind.schema_type()))),
        )
        .await;
        let mut parts = Vec::new();
        let mut failure: Option<&IcimsError> = None;
        let mut visible = BTreeSet::new();
        for (kind, result) in ProfileType::ALL.iter().zip(&results) {
            match result {
                Ok(s) => {
                    parts.push(format!("{} {} fields", kind.schema_type(), s.fields.len()));
                    visible.extend(s.fields.keys().map(|f| format!("{}.{f}", kind.object())));
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let (row, visible) = match failure {
            Some(e) => (CheckRow::fail("schema", 2, e), None),
            None => (CheckRow::pass("schema", 2, parts.join(", ")), Some(visible)),
        };
        out.finish(base + 9, row);
        visible
    };
    let (ids, (), (), visible) = futures::join!(kinds, statuses, folders, schema);
    samples.visible = visible;
    for (kind, ids) in ProfileType::ALL.iter().zip(ids) {
        samples.set(*kind, ids);
    }
    samples
}

/// The Data Stream rows. `None` (no Data Stream credential stored) gives rows that say so.
pub async fn datastream_matrix(
    client: Option<&IcimsClient>,
    team: &str,
    progress: Progress<'_>,
) -> Vec<CheckRow> {
    let limiter = Limiter::new(client.map_or(1, |c| c.config().concurrency));
    let out = Ordered::new(progress, DATASTREAM_ROWS.len());
    datastream_rows(client, team, &limiter, &out, 0).await;
    out.rows()
}

/// The Data Stream rows into slots `base..base + 3`: one chain (token, subscriptions,
/// events of the first subscription), each call within the limiter's bound.
pub(crate) async fn datastream_rows(
    client: Option<&IcimsClient>,
    team: &str,
    limiter: &Limiter,
    out: &Ordered<'_>,
    base: usize,
) {
    let Some(client) = client else {
        for (i, name) in DATASTREAM_ROWS.iter().enumerate() {
            out.finish(
                base + i,
                CheckRow::not_run(
                    name,
                    2,
                    "no Data Stream credentials are stored",
                    format!(
                        "Store the Data Stream client: `icims-onboard creds set {team} --kind datastream --client-id ID --secret-stdin`."
                    ),
                ),
            );
        }
        return;
    };
    out.start("datastream.token");
    let token = limiter.run(client.fetch_token()).await;
    let row = CheckRow::from_result("datastream.token", 2, &token, |_| {
        format!("token issued to {}", client.auth().principal())
    });
    let ok = row.ok;
    let remedy = row.remedy.clone().unwrap_or_default();
    out.finish(base, row);
    if !ok {
        for (i, name) in DATASTREAM_ROWS.iter().enumerate().skip(1) {
            out.finish(
                base + i,
                CheckRow::not_run(name, 2, "not run: no Data Stream token", remedy.clone()),
            );
        }
        return;
    }
    out.start("datastream.subscriptions");
    let subs = limiter.run(client.datastream_subscriptions()).await;
    let row = CheckRow::from_result("datastream.subscriptions", 2, &subs, |s| {
        if s.is_empty() {
            "no subscriptions configured".to_string()
        } else {
            let ids: Vec<&str> = s.iter().map(|s| s.id.as_str()).collect();
            format!("{} subscriptions: {}", s.len(), ids.join(", "))
        }
    });
    let first = subs
        .as_ref()
        .ok()
        .and_then(|s| s.first().map(|s| s.id.clone()));
    let subs_ok = row.ok;
    let empty = subs.as_ref().is_ok_and(|s| s.is_empty());
    let row = if empty {
        CheckRow {
            ok: false,
            remedy: Some(
                "Ask the customer's iCIMS contact to set up the Data Stream subscriptions (people, jobs, workflows) for this client."
                    .into(),
            ),
            ..row
        }
    } else {
        row
    };
    out.finish(base + 1, row);
    out.start("datastream.events");
    let row = match first {
        Some(sub) => {
            let page = limiter.run(client.datastream_events(&sub, None)).await;
            CheckRow::from_result("datastream.events", 2, &page, |p| {
                format!(
                    "read {} events of {sub}{}",
                    p.events.len(),
                    if p.next_key.is_some() {
                        " (more pages)"
                    } else {
                        ""
                    }
                )
            })
        }
        None if subs_ok => CheckRow::not_run(
            "datastream.events",
            2,
            "not run: no subscription to read",
            "Ask the customer's iCIMS contact to set up the Data Stream subscriptions.",
        ),
        None => CheckRow::not_run(
            "datastream.events",
            2,
            "not run: subscriptions could not be listed",
            "Fix the subscriptions row first.",
        ),
    };
    out.finish(base + 2, row);
}
