//! Request routing and the per-request pipeline of an API call: base latency, the seeded
//! fault for this request, authentication, the daily quota, then the endpoint. Also the
//! unauthenticated `/oauth/token` and `/_sandbox/stats` (per-region request counters).

use super::auth::{Audience, Auth, User};
use super::clock::SandboxClock;
use super::datastream::{self, Event};
use super::faults::{FaultKind, FaultPlan};
use super::model::{Object, Tenant};
use super::profiles::{self, Urls};
use super::quota::Quota;
use super::request::{Region, Request};
use super::response::{Response, code};
use super::{lists, schema, search};
use serde_json::json;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How the HTTP layer must deliver a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Normal,
    /// Reset the connection instead of answering.
    Reset,
    /// Announce the full body but send only half, then close.
    Truncate,
}

pub struct Reply {
    pub response: Response,
    pub transport: Transport,
}

impl From<Response> for Reply {
    fn from(response: Response) -> Reply {
        Reply {
            response,
            transport: Transport::Normal,
        }
    }
}

/// Shared state of a running sandbox.
pub struct AppState {
    /// The tenant as served now; swapped whole by [`super::Sandbox::mutate`] (readers keep
    /// the snapshot they took for the whole request).
    pub tenant: std::sync::RwLock<Arc<Tenant>>,
    pub auth: Auth,
    pub quota: Quota,
    pub clock: SandboxClock,
    pub faults: FaultPlan,
    pub latency_ms: u64,
    /// `http://127.0.0.1:PORT` (the US base; the EU base adds `/eu`).
    pub base_url: String,
    pub events: Vec<Event>,
    pub fault_counter: AtomicU64,
    /// Faults injected so far, in order: (faultable request index, kind).
    pub fault_log: Mutex<Vec<(u64, FaultKind)>>,
    pub hits_us: AtomicU64,
    pub hits_eu: AtomicU64,
    pub served: AtomicU64,
    /// Authenticated calls that reached an endpoint, per kind (tests: which calls a
    /// client needed).
    pub kinds: KindCounts,
}

/// Authenticated calls per kind of endpoint.
#[derive(Debug, Default)]
pub struct KindCounts {
    pub searches: AtomicU64,
    pub profile_gets: AtomicU64,
    pub datastream: AtomicU64,
}

impl AppState {
    /// The current tenant snapshot.
    pub fn tenant(&self) -> Arc<Tenant> {
        self.tenant
            .read()
            .map(|t| t.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    pub fn region_base(&self, region: Region) -> String {
        match region {
            Region::Us => self.base_url.clone(),
            Region::Eu => format!("{}/eu", self.base_url),
        }
    }
}

pub async fn handle(state: &AppState, req: &Request) -> Reply {
    match req.region {
        Region::Us => state.hits_us.fetch_add(1, Ordering::Relaxed),
        Region::Eu => state.hits_eu.fetch_add(1, Ordering::Relaxed),
    };
    let segs = req.segments();
    match segs.first().copied() {
        Some("oauth") if segs.get(1) == Some(&"token") && segs.len() == 2 => {
            state.auth.token_endpoint(req).into()
        }
        Some("_sandbox") if segs.get(1) == Some(&"stats") => stats(state).into(),
        Some("_sandbox") if segs.get(1) == Some(&"statuses") && req.method == "POST" => {
            super::status_variants::add_status_request(state, &req.body).into()
        }
        Some("customers") => api_call(state, req, Audience::Api).await,
        Some("datastream") => api_call(state, req, Audience::DataStream).await,
        _ => Response::not_found("Resource not found.").into(),
    }
}

fn stats(state: &AppState) -> Response {
    Response::json(
        200,
        &json!({
            "requests": {"us": state.hits_us.load(Ordering::Relaxed), "eu": state.hits_eu.load(Ordering::Relaxed)},
            "quota_used_today": state.quota.used_today(),
            "faults_injected": state.fault_log.lock().map(|l| l.len()).unwrap_or(0),
            "calls": {
                "searches": state.kinds.searches.load(Ordering::Relaxed),
                "profile_gets": state.kinds.profile_gets.load(Ordering::Relaxed),
                "datastream": state.kinds.datastream.load(Ordering::Relaxed),
            },
        }),
    )
}

async fn api_call(state: &AppState, req: &Request, audience: Audience) -> Reply {
    if state.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.latency_ms)).await;
    }
    let n = state.fault_counter.fetch_add(1, Ordering::SeqCst);
    let fault = state.faults.at(n);
    if let Some(kind) = fault
        && let Ok(mut log) = state.fault_log.lock()
    {
        log.push((n, kind));
    }
    match fault {
        Some(FaultKind::Slow) => {
            tokio::time::sleep(Duration::from_millis(state.faults.slow_ms)).await
        }
        Some(FaultKind::Reset) => {
            return Reply {
                response: Response::empty(500),
                transport: Transport::Reset,
            };
        }
        Some(FaultKind::Throttle) => {
            let mut r = Response::error(429, code::RATE_LIMITED, "Too many requests; slow down.")
                .with_header("Retry-After", "1");
            state.quota.peek().apply(&mut r);
            return r.into();
        }
        Some(FaultKind::ServerError) => {
            let mut r = Response::error(
                503,
                code::INTERNAL_ERROR,
                "Service temporarily unavailable.",
            );
            state.quota.peek().apply(&mut r);
            return r.into();
        }
        _ => {}
    }
    let user = match state.auth.authenticate(req, audience) {
        Ok(u) => u,
        Err(mut r) => {
            state.quota.peek().apply(&mut r);
            return r.into();
        }
    };
    let qs = match state.quota.spend() {
        Ok(qs) => qs,
        Err(r) => return r.into(),
    };
    let mut response = match audience {
        Audience::Api => customers(state, req, user),
        Audience::DataStream => datastream_route(state, req),
    };
    qs.apply(&mut response);
    match fault {
        Some(FaultKind::Truncated) => Reply {
            response,
            transport: Transport::Truncate,
        },
        Some(FaultKind::Malformed) => {
            let keep = response.body.len() * 2 / 3;
            response.body.truncate(keep);
            response.body.extend_from_slice(b"\"}{,]");
            response.status = 200;
            response.into()
        }
        _ => response.into(),
    }
}

fn customers(state: &AppState, req: &Request, user: User) -> Response {
    let tenant = state.tenant();
    let t = &tenant;
    let segs = req.segments();
    let cid = segs.get(1).copied().unwrap_or("");
    if cid.parse::<u64>().ok() != Some(t.customer_id) {
        return Response::error(
            404,
            code::RESOURCE_ACCESS_DENIED,
            &format!("Access denied to customer {cid}."),
        );
    }
    let customer_base = format!(
        "{}/customers/{}",
        state.region_base(req.region),
        t.customer_id
    );
    let urls = Urls {
        customer_base: &customer_base,
    };
    let get = req.method == "GET";
    match segs.get(2..).unwrap_or_default() {
        [seg, id] if Object::from_segment(seg).is_some() => {
            let object = Object::from_segment(seg).unwrap_or(Object::Person);
            if !get {
                return method_not_allowed(req);
            }
            state.kinds.profile_gets.fetch_add(1, Ordering::Relaxed);
            profiles::get(
                t,
                object,
                id,
                req.query_param("fields").as_deref(),
                user,
                &urls,
            )
        }
        ["search", seg] => {
            let Some(object) = Object::from_segment(seg) else {
                return Response::not_found(&format!("Search type {seg} not found."));
            };
            state.kinds.searches.fetch_add(1, Ordering::Relaxed);
            do_search(state, req, user, object, &customer_base)
        }
        ["v2", "lists"] if get => lists::index(),
        ["v2", "lists", list] if get => lists::list(
            t,
            list,
            req.query_param("size"),
            req.query_param("page"),
            &customer_base,
        ),
        ["profiledefinitions", "v1", ty, "schema"] if get => match Object::from_schema_type(ty) {
            Some(o) => schema::profile_schema(t, o, user),
            None => Response::not_found(&format!("Profile type {ty} not found.")),
        },
        ["profiledefinitions", "v1", ty, field, "schema"] if get => {
            match Object::from_schema_type(ty) {
                Some(o) => schema::field_schema(t, o, field, user),
                None => Response::not_found(&format!("Profile type {ty} not found.")),
            }
        }
        _ => Response::not_found("Resource not found."),
    }
}

fn method_not_allowed(req: &Request) -> Response {
    Response::error(
        405,
        code::BAD_REQUEST,
        &format!(
            "{} is not supported by the sandbox on this resource.",
            req.method
        ),
    )
}

fn do_search(
    state: &AppState,
    req: &Request,
    user: User,
    object: Object,
    customer_base: &str,
) -> Response {
    if let Some(s) = req.query_param("staleness")
        && s.parse::<u32>().is_err()
    {
        return Response::bad_request("staleness must be a whole number of minutes");
    }
    let text = match req.method.as_str() {
        "POST" => String::from_utf8_lossy(&req.body).into_owned(),
        "GET" => match req.query_param("searchJson") {
            Some(s) => s,
            None => return Response::bad_request("At least one filter must be specified"),
        },
        _ => return method_not_allowed(req),
    };
    if text.trim().is_empty() {
        return Response::bad_request("At least one filter must be specified");
    }
    let body: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return Response::bad_request(&format!("Could not parse the search request: {e}"));
        }
    };
    let tenant = state.tenant();
    match search::parse(&tenant, object, user, &body, state.clock.now_ts()) {
        Ok(g) => {
            let ids = search::run(&tenant, object, &g);
            Response::json(200, &search::results_json(&ids, customer_base, object))
        }
        Err(msg) => Response::bad_request(&msg),
    }
}

fn datastream_route(state: &AppState, req: &Request) -> Response {
    state.kinds.datastream.fetch_add(1, Ordering::Relaxed);
    let tenant = state.tenant();
    let t = &tenant;
    if req.method != "GET" {
        return method_not_allowed(req);
    }
    let segs = req.segments();
    let customer_base = format!(
        "{}/customers/{}",
        state.region_base(req.region),
        t.customer_id
    );
    match segs.get(1..).unwrap_or_default() {
        ["v2", "streams"] => datastream::streams(t),
        ["v2", "streams", cid, rest @ ..] => {
            if cid.parse::<u64>().ok() != Some(t.customer_id) {
                return Response::error(
                    404,
                    code::RESOURCE_ACCESS_DENIED,
                    &format!("Access denied to stream {cid}."),
                );
            }
            match rest {
                ["subscriptions"] => datastream::subscriptions(t),
                ["subscriptions", sub, "events"] => datastream::events_page(
                    t,
                    &state.events,
                    sub,
                    req.query_param("limit"),
                    req.query_param("exclusiveStartKey"),
                    &customer_base,
                ),
                _ => Response::not_found("Resource not found."),
            }
        }
        _ => Response::not_found("Resource not found."),
    }
}
