//! The HTTP client core: HTTP/1.1 only, connect and request timeouts, authentication
//! (Basic, HMAC, OAuth bearer with the token cache), bounded retries with backoff on
//! 429/5xx/timeouts/broken connections/unreadable bodies, one token refresh on 401,
//! quota accounting, and turning every failure into an [`IcimsError`].

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderMap, HeaderValue, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::time::Instant;
use url::Url;

use crate::store::{Credential, Team};

use super::auth::{AuthConfig, CachedToken, TokenResponse, refresh_margin, token_form};
use super::config::{ClientConfig, Endpoints, host_of};
use super::error::{ApiErrorDetail, IcimsError, code, parse_error_detail};
use super::hmac_sign;
use super::quota::{ClientStats, QuotaSnapshot};
use super::retry::parse_retry_after;

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";

/// A client for one customer's tenant with one credential.
pub struct IcimsClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    auth: AuthConfig,
    config: ClientConfig,
    token: tokio::sync::RwLock<Option<CachedToken>>,
    token_generation: AtomicU64,
    quota: Mutex<Option<QuotaSnapshot>>,
    /// Set by a 429 with `Retry-After`: no call of this client starts before it.
    pause_until: Mutex<Option<Instant>>,
    api_calls: AtomicU64,
    retries: AtomicU64,
    token_requests: AtomicU64,
    refresh_retries: AtomicU64,
}

impl std::fmt::Debug for IcimsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcimsClient")
            .field("endpoints", &self.endpoints)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// A raw response.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The decoded body of a 2xx API answer (decoded once, while judging it).
    pub json: Option<Value>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    /// An API call, authenticated with the client's credential.
    Api,
    /// The OAuth token request (credentials in the form body).
    Token,
}

/// The outcome of one attempt.
enum Attempt {
    Done(Reply),
    Retry {
        error: IcimsError,
        retry_after: Option<Duration>,
    },
    /// A 401 on a bearer call: refresh the token of this generation once; `error` is what
    /// to report if the refreshed token is refused too.
    Refresh {
        generation: u64,
        error: IcimsError,
    },
    Fail(IcimsError),
}

impl IcimsClient {
    pub fn new(
        endpoints: Endpoints,
        auth: AuthConfig,
        config: ClientConfig,
    ) -> Result<IcimsClient, IcimsError> {
        let http = reqwest::Client::builder()
            .http1_only()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| IcimsError::Config {
                field: "http client".into(),
                reason: error_chain(&e),
            })?;
        Ok(IcimsClient {
            http,
            endpoints,
            auth,
            config,
            token: tokio::sync::RwLock::new(None),
            token_generation: AtomicU64::new(0),
            quota: Mutex::new(None),
            pause_until: Mutex::new(None),
            api_calls: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            token_requests: AtomicU64::new(0),
            refresh_retries: AtomicU64::new(0),
        })
    }

    /// A client for a team with one of its stored credentials (basic, rest or datastream).
    pub fn for_team(
        team: &Team,
        credential: &Credential,
        config: ClientConfig,
    ) -> Result<IcimsClient, IcimsError> {
        IcimsClient::new(
            Endpoints::for_team(team)?,
            AuthConfig::from_credential(credential)?,
            config,
        )
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn auth(&self) -> &AuthConfig {
        &self.auth
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The latest `x-ratelimit-*` figures seen.
    pub fn quota(&self) -> Option<QuotaSnapshot> {
        *self.quota.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls, retries and token requests made so far.
    pub fn stats(&self) -> ClientStats {
        ClientStats {
            api_calls: self.api_calls.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
            token_refresh_retries: self.refresh_retries.load(Ordering::Relaxed),
        }
    }

    /// GET returning JSON (`Null` for an empty 2xx body).
    pub async fn get_json(&self, url: Url) -> Result<Value, IcimsError> {
        let reply = self.send(Method::GET, url, None, Target::Api).await?;
        reply.into_json()
    }

    /// GET returning JSON and the body's text as received (for callers that keep it).
    pub async fn get_json_and_text(&self, url: Url) -> Result<(Value, String), IcimsError> {
        let mut reply = self.send(Method::GET, url, None, Target::Api).await?;
        let body = std::mem::take(&mut reply.body);
        let json = reply.into_json()?;
        let text = String::from_utf8(body)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Ok((json, text))
    }

    /// POST a JSON body, returning JSON.
    pub async fn post_json(&self, url: Url, body: &Value) -> Result<Value, IcimsError> {
        let bytes = serde_json::to_vec(body).map_err(|e| IcimsError::Config {
            field: "request body".into(),
            reason: e.to_string(),
        })?;
        let reply = self
            .send(Method::POST, url, Some((bytes, JSON)), Target::Api)
            .await?;
        reply.into_json()
    }

    /// Fetches a token now (used by the preflight's token row); returns its lifetime.
    pub async fn fetch_token(&self) -> Result<Duration, IcimsError> {
        let mut slot = self.token.write().await;
        let (cached, lifetime) = self.request_token().await?;
        *slot = Some(cached);
        Ok(lifetime)
    }

    /// The bearer token to use, fetching one when there is none or it is near expiry.
    async fn bearer(&self) -> Result<(SecretString, u64), IcimsError> {
        // Fast path: concurrent calls share the cached token under a read lock.
        if let Some(t) = self
            .token
            .read()
            .await
            .as_ref()
            .filter(|t| t.is_fresh(Instant::now()))
        {
            return Ok((t.token.clone(), t.generation));
        }
        // One caller fetches; the others wait on the write lock, then find it fresh.
        let mut slot = self.token.write().await;
        if let Some(t) = slot.as_ref().filter(|t| t.is_fresh(Instant::now())) {
            return Ok((t.token.clone(), t.generation));
        }
        let (cached, _) = self.request_token().await?;
        let out = (cached.token.clone(), cached.generation);
        *slot = Some(cached);
        Ok(out)
    }

    async fn request_token(&self) -> Result<(CachedToken, Duration), IcimsError> {
        let AuthConfig::OAuth {
            client_id,
            client_secret,
            audience,
        } = &self.auth
        else {
            return Err(IcimsError::Config {
                field: "credential".into(),
                reason: "tokens exist only for OAuth clients".into(),
            });
        };
        let form = token_form(client_id, client_secret, audience);
        let url = self.endpoints.token_url.clone();
        // Boxed: a token request is a `send` made from inside `send` (never recursing further).
        let reply =
            Box::pin(self.send(Method::POST, url, Some((form, FORM)), Target::Token)).await?;
        let parsed: TokenResponse =
            serde_json::from_slice(&reply.body).map_err(|e| IcimsError::Malformed {
                what: "OAuth token response".into(),
                reason: e.to_string(),
            })?;
        let lifetime = parsed.lifetime();
        let generation = self.token_generation.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(
            generation,
            lifetime_secs = lifetime.as_secs(),
            "OAuth token fetched"
        );
        Ok((
            CachedToken {
                token: SecretString::from(parsed.access_token),
                refresh_at: Instant::now() + lifetime.saturating_sub(refresh_margin(lifetime)),
                generation,
            },
            lifetime,
        ))
    }

    /// Drops the cached token if it is still the one of `generation`.
    async fn invalidate_token(&self, generation: u64) {
        let mut slot = self.token.write().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }

    async fn wait_for_pause(&self) -> Duration {
        let until = *self.pause_until.lock().unwrap_or_else(|e| e.into_inner());
        match until {
            Some(until) if until > Instant::now() => {
                let d = until - Instant::now();
                tokio::time::sleep(d).await;
                d
            }
            _ => Duration::ZERO,
        }
    }

    fn pause_all(&self, d: Duration) {
        let mut p = self.pause_until.lock().unwrap_or_else(|e| e.into_inner());
        let until = Instant::now() + d;
        if p.is_none_or(|cur| cur < until) {
            *p = Some(until);
        }
    }

    /// Sends with authentication, retries and error classification.
    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<(Vec<u8>, &'static str)>,
        target: Target,
    ) -> Result<Reply, IcimsError> {
        let policy = &self.config.retry;
        let mut attempts: u32 = 0;
        let mut waited = Duration::ZERO;
        let mut refreshed = false;
        loop {
            let paused = self.wait_for_pause().await;
            if attempts > 0 {
                waited += paused;
            }
            attempts += 1;
            let step = self.attempt(&method, &url, body.as_ref(), target).await;
            let (error, retry_after) = match step {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Fail(e) => return Err(e),
                Attempt::Refresh { generation, .. } if !refreshed => {
                    refreshed = true;
                    attempts -= 1;
                    self.refresh_retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!("401 with a cached token: refreshing once and retrying");
                    self.invalidate_token(generation).await;
                    continue;
                }
                Attempt::Refresh { error, .. } => return Err(error),
                Attempt::Retry { error, retry_after } => (error, retry_after),
            };
            // A write whose answer was lost may have been applied: repeat it only when
            // iCIMS said it did not process it (429, 5xx), never after a timeout or reset.
            let maybe_applied = matches!(
                error,
                IcimsError::Timeout { .. }
                    | IcimsError::Transport { .. }
                    | IcimsError::Malformed { .. }
            );
            if maybe_applied && !is_idempotent(&method, &url, target) {
                return Err(with_attempts(error, attempts));
            }
            let delay = policy.delay(attempts, retry_after, rand::random::<f64>());
            if !policy.allows(attempts, waited, delay) {
                tracing::debug!(attempts, kind = error.kind(), "giving up");
                return Err(with_attempts(error, attempts));
            }
            tracing::debug!(
                attempts,
                kind = error.kind(),
                delay_ms = delay.as_millis() as u64,
                "transient failure; retrying"
            );
            self.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(delay).await;
            waited += delay;
        }
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&(Vec<u8>, &'static str)>,
        target: Target,
    ) -> Attempt {
        let host = host_of(url);
        // The https rule again, right before the bytes would leave: a URL that reached the
        // client some other way than a checked team must not carry secrets in clear.
        if let Err(reason) = super::config::check_transport(url) {
            return Attempt::Fail(IcimsError::Config {
                field: format!("request to {host}"),
                reason,
            });
        }
        let mut req = self.http.request(method.clone(), url.clone());
        if let Some((bytes, ct)) = body {
            req = req.header(CONTENT_TYPE, *ct).body(bytes.clone());
        }
        let mut generation = None;
        if target == Target::Api {
            match &self.auth {
                AuthConfig::Basic { username, password } => {
                    req = req.basic_auth(username, Some(password.expose_secret()));
                }
                AuthConfig::Hmac { user, secret } => {
                    let signed = hmac_sign::sign(
                        method.as_str(),
                        &host,
                        url.path(),
                        url.query().unwrap_or(""),
                        body.map(|(_, ct)| *ct),
                        body.map(|(b, _)| b.as_slice()).unwrap_or(b""),
                        user,
                        secret.expose_secret().as_bytes(),
                        chrono::Utc::now(),
                    );
                    let Ok(mut auth) = HeaderValue::from_str(&signed.authorization) else {
                        return Attempt::Fail(IcimsError::Config {
                            field: "HMAC user".into(),
                            reason: "contains characters not allowed in a header".into(),
                        });
                    };
                    auth.set_sensitive(true);
                    req = req
                        .header(HOST, signed.host)
                        .header("x-icims-date", signed.date)
                        .header("x-icims-content-sha256", signed.content_sha256)
                        .header(AUTHORIZATION, auth);
                }
                AuthConfig::OAuth { .. } => match self.bearer().await {
                    Ok((token, g)) => {
                        generation = Some(g);
                        let Ok(mut v) =
                            HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                        else {
                            return Attempt::Fail(IcimsError::Malformed {
                                what: "OAuth token response".into(),
                                reason: "the access token has characters not allowed in a header"
                                    .into(),
                            });
                        };
                        v.set_sensitive(true);
                        req = req.header(AUTHORIZATION, v);
                    }
                    Err(e) => return Attempt::Fail(e),
                },
            }
            self.api_calls.fetch_add(1, Ordering::Relaxed);
        } else {
            self.token_requests.fetch_add(1, Ordering::Relaxed);
        }

        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return self.transport_failure(&e, &host),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if target == Target::Api
            && let Some(q) = QuotaSnapshot::from_headers(&headers)
        {
            *self.quota.lock().unwrap_or_else(|e| e.into_inner()) = Some(q);
        }
        let body = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return self.transport_failure(&e, &host),
        };
        tracing::debug!(method = %method, path = url.path(), status, "iCIMS call");
        let reply = Reply {
            status,
            headers,
            body,
            json: None,
        };
        self.judge(reply, &host, target, generation)
    }

    fn transport_failure(&self, e: &reqwest::Error, host: &str) -> Attempt {
        let reason = error_chain(e);
        let lower = reason.to_ascii_lowercase();
        let tls = [
            "certificate",
            "tls",
            "handshake",
            "corrupt message",
            "invalidcontenttype",
            "alert",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if tls {
            return Attempt::Fail(IcimsError::Tls {
                host: host.to_string(),
                reason,
            });
        }
        if e.is_connect() {
            let reason = if e.is_timeout() {
                format!(
                    "no connection within {}s ({reason})",
                    self.config.connect_timeout.as_secs_f32()
                )
            } else {
                reason
            };
            return Attempt::Fail(IcimsError::Unreachable {
                host: host.to_string(),
                reason,
            });
        }
        if e.is_timeout() {
            return Attempt::Retry {
                error: IcimsError::Timeout {
                    host: host.to_string(),
                    after: self.config.request_timeout,
                    attempts: 1,
                },
                retry_after: None,
            };
        }
        Attempt::Retry {
            error: IcimsError::Transport {
                host: host.to_string(),
                reason,
                attempts: 1,
            },
            retry_after: None,
        }
    }

    /// Classifies a response: success, retry, one token refresh, or a typed error.
    fn judge(
        &self,
        mut reply: Reply,
        host: &str,
        target: Target,
        generation: Option<u64>,
    ) -> Attempt {
        let status = reply.status;
        if (200..300).contains(&status) {
            if target == Target::Api {
                match decode_json(&reply.body) {
                    Ok(v) => reply.json = Some(v),
                    Err(_) => {
                        return Attempt::Retry {
                            error: IcimsError::Malformed {
                                what: format!("HTTP {status} body from {host}"),
                                reason: "not valid JSON".into(),
                            },
                            retry_after: None,
                        };
                    }
                }
            }
            return Attempt::Done(reply);
        }
        let x_error = reply.headers.get("x-error").and_then(|v| v.to_str().ok());
        let detail = parse_error_detail(&reply.body, x_error).unwrap_or_else(|| ApiErrorDetail {
            code: None,
            message: default_reason(status),
        });
        match status {
            429 => {
                let retry_after = reply
                    .headers
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
                let quota = if target == Target::Api {
                    self.quota()
                } else {
                    None
                };
                let too_long = retry_after.is_some_and(|d| d > self.config.retry.max_retry_after);
                if let Some(q) = quota.filter(|q| q.is_exhausted())
                    && (too_long || retry_after.is_none())
                {
                    return Attempt::Fail(IcimsError::QuotaExhausted {
                        limit: q.limit,
                        reset_secs: q.reset_secs,
                    });
                }
                if too_long {
                    return Attempt::Fail(IcimsError::Throttled {
                        attempts: 1,
                        retry_after,
                    });
                }
                if let Some(d) = retry_after {
                    self.pause_all(d);
                }
                Attempt::Retry {
                    error: IcimsError::Throttled {
                        attempts: 1,
                        retry_after,
                    },
                    retry_after,
                }
            }
            500 | 502 | 503 | 504 => Attempt::Retry {
                error: IcimsError::Server {
                    status,
                    code: detail.code,
                    message: detail.message,
                    attempts: 1,
                },
                retry_after: None,
            },
            300..=399 => Attempt::Fail(IcimsError::Redirected {
                host: host.to_string(),
                status,
                location: reply
                    .headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| crate::safe_text::escape_control(l).into_owned())
                    .unwrap_or_else(|| "an address it did not give".into()),
            }),
            505 => Attempt::Fail(IcimsError::HttpVersion {
                host: host.to_string(),
            }),
            401 | 403 | 400 if target == Target::Token => {
                Attempt::Fail(IcimsError::TokenRejected {
                    host: host.to_string(),
                    status,
                    message: detail.message,
                })
            }
            401 => {
                let error = self.classify_client_error(status, detail, host);
                match generation {
                    Some(generation) => Attempt::Refresh { generation, error },
                    None => Attempt::Fail(error),
                }
            }
            _ => Attempt::Fail(self.classify_client_error(status, detail, host)),
        }
    }

    fn classify_client_error(&self, status: u16, detail: ApiErrorDetail, host: &str) -> IcimsError {
        let mentions_customer = detail.message.to_ascii_lowercase().contains("customer");
        match (status, detail.code) {
            (401 | 403 | 404, _) if mentions_customer => IcimsError::UnknownCustomer {
                host: host.to_string(),
                customer_id: self.endpoints.customer_id,
                status,
                code: detail.code,
                message: detail.message,
            },
            (401, _) | (_, Some(code::INVALID_CREDENTIALS)) | (_, Some(code::AUTH_INVALID)) => {
                IcimsError::BadCredentials {
                    credential: self.auth.credential_words(),
                    status,
                    code: detail.code,
                    message: detail.message,
                }
            }
            (_, Some(code::RESOURCE_ACCESS_DENIED)) => IcimsError::AccessDenied {
                status,
                message: detail.message,
            },
            (403, _) => IcimsError::Forbidden {
                host: host.to_string(),
                message: detail.message,
                allow_list: self.config.allow_list.clone(),
            },
            (404 | 410, _) => IcimsError::NotFound {
                status,
                code: detail.code,
                message: detail.message,
            },
            _ => IcimsError::Rejected {
                status,
                code: detail.code,
                message: detail.message,
            },
        }
    }
}

/// Reads and searches may be repeated; a token request creates nothing that matters.
/// Other POSTs (create), PATCH and DELETE are writes.
fn is_idempotent(method: &Method, url: &Url, target: Target) -> bool {
    target == Target::Token
        || matches!(*method, Method::GET | Method::HEAD)
        || (*method == Method::POST && url.path().contains("/search/"))
}

fn default_reason(status: u16) -> String {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("no error message")
        .to_string()
}

impl Reply {
    /// The JSON of a judged 2xx answer (decoding now if it was not yet).
    fn into_json(self) -> Result<Value, IcimsError> {
        match self.json {
            Some(v) => Ok(v),
            None => decode_json(&self.body),
        }
    }
}

/// A 2xx body as JSON; empty bodies are `Null`.
fn decode_json(body: &[u8]) -> Result<Value, IcimsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|e| IcimsError::Malformed {
        what: "response body".into(),
        reason: e.to_string(),
    })
}

/// The messages of an error's sources, without the URL reqwest puts at the top.
fn error_chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let msg = s.to_string();
        if !parts.iter().any(|p| p.contains(&msg)) {
            parts.push(msg);
        }
        src = s.source();
    }
    if parts.is_empty() {
        if e.is_timeout() {
            return "timed out".into();
        }
        return "request failed".into();
    }
    // Keep the most specific messages (the innermost ones).
    let n = parts.len();
    parts[n.saturating_sub(2)..].join(": ")
}

/// Puts the final attempt count into a transient error that is being given up on.
fn with_attempts(e: IcimsError, n: u32) -> IcimsError {
    match e {
        IcimsError::Server {
            status,
            code,
            message,
            ..
        } => IcimsError::Server {
            status,
            code,
            message,
            attempts: n,
        },
        IcimsError::Timeout { host, after, .. } => IcimsError::Timeout {
            host,
            after,
            attempts: n,
        },
        IcimsError::Transport { host, reason, .. } => IcimsError::Transport {
            host,
            reason,
            attempts: n,
        },
        IcimsError::Throttled { retry_after, .. } => IcimsError::Throttled {
            attempts: n,
            retry_after,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(auth: AuthConfig) -> IcimsClient {
        let e = Endpoints::new(
            1234,
            "https://api.icims.com",
            "https://login.icims.com/oauth/token",
            "https://ds.example/streams",
        )
        .unwrap();
        IcimsClient::new(e, auth, ClientConfig::default()).unwrap()
    }

    fn basic() -> AuthConfig {
        AuthConfig::Basic {
            username: "u".into(),
            password: SecretString::from("p".to_string()),
        }
    }

    fn reply(status: u16, body: &str, headers: &[(&str, &str)]) -> Reply {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        Reply {
            status,
            headers: h,
            body: body.as_bytes().to_vec(),
            json: None,
        }
    }

    fn fail(a: Attempt) -> IcimsError {
        match a {
            Attempt::Fail(e) => e,
            Attempt::Done(_) => panic!("done"),
            Attempt::Retry { error, .. } => panic!("retry {error:?}"),
            Attempt::Refresh { error, .. } => panic!("refresh {error:?}"),
        }
    }

    #[test]
    fn classifies_client_errors() {
        let c = client(basic());
        let judge = |r: Reply| fail(c.judge(r, "api.icims.com", Target::Api, None));
        let e = judge(reply(403, "", &[]));
        assert!(
            matches!(&e, IcimsError::Forbidden { allow_list, .. } if allow_list.len() == 2),
            "{e:?}"
        );
        assert!(e.remedy().contains("54.173.229.200"));
        let e = judge(reply(
            404,
            r#"{"errors":[{"errorMessage":"Access denied to customer 99.","errorCode":3}]}"#,
            &[],
        ));
        assert!(
            matches!(
                e,
                IcimsError::UnknownCustomer {
                    customer_id: 1234,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = judge(reply(
            404,
            r#"{"errors":[{"errorMessage":"No access to this job.","errorCode":3}]}"#,
            &[],
        ));
        assert!(matches!(e, IcimsError::AccessDenied { .. }), "{e:?}");
        let e = judge(reply(404, "", &[("x-error", "2:Job not found.")]));
        assert!(
            matches!(&e, IcimsError::NotFound { code: Some(2), message, .. } if message == "Job not found."),
            "{e:?}"
        );
        let e = judge(reply(
            401,
            r#"{"errors":[{"errorMessage":"Invalid Username or Password credentials provided.","errorCode":6}]}"#,
            &[],
        ));
        assert!(
            matches!(e, IcimsError::BadCredentials { code: Some(6), .. }),
            "{e:?}"
        );
        let e = judge(reply(
            400,
            r#"{"errors":[{"errorMessage":"At least one filter must be specified","errorCode":"CODE"}]}"#,
            &[],
        ));
        assert!(
            matches!(
                e,
                IcimsError::Rejected {
                    status: 400,
                    code: None,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = judge(reply(505, "", &[]));
        assert!(matches!(e, IcimsError::HttpVersion { .. }), "{e:?}");
        let e = fail(c.judge(
            reply(
                401,
                r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
                &[],
            ),
            "login.icims.com",
            Target::Token,
            None,
        ));
        assert!(
            matches!(&e, IcimsError::TokenRejected { message, .. } if message == "access_denied: Unauthorized"),
            "{e:?}"
        );
    }

    #[test]
    fn transient_answers_are_retried_and_401_with_a_token_refreshes() {
        let c = client(basic());
        for status in [500, 502, 503, 504] {
            assert!(matches!(
                c.judge(reply(status, "", &[]), "h", Target::Api, None),
                Attempt::Retry {
                    error: IcimsError::Server { .. },
                    retry_after: None
                }
            ));
        }
        match c.judge(
            reply(429, "", &[("retry-after", "2")]),
            "h",
            Target::Api,
            None,
        ) {
            Attempt::Retry { retry_after, .. } => {
                assert_eq!(retry_after, Some(Duration::from_secs(2)))
            }
            _ => panic!("429 is retried"),
        }
        // A Retry-After beyond the policy is not waited out.
        let e = fail(c.judge(
            reply(429, "", &[("retry-after", "3600")]),
            "h",
            Target::Api,
            None,
        ));
        assert!(matches!(e, IcimsError::Throttled { .. }), "{e:?}");
        // 200 with broken JSON is retried as malformed.
        assert!(matches!(
            c.judge(reply(200, "{\"a\":", &[]), "h", Target::Api, None),
            Attempt::Retry {
                error: IcimsError::Malformed { .. },
                ..
            }
        ));
        assert!(matches!(
            c.judge(reply(401, "", &[]), "h", Target::Api, Some(3)),
            Attempt::Refresh { generation: 3, .. }
        ));
    }

    #[test]
    fn a_spent_quota_fails_at_once() {
        let c = client(basic());
        *c.quota.lock().unwrap() = Some(QuotaSnapshot {
            limit: Some(10_000),
            remaining: Some(0),
            reset_secs: Some(3_600),
            observed_at: std::time::Instant::now(),
        });
        let e = fail(c.judge(
            reply(429, "", &[("retry-after", "3600")]),
            "h",
            Target::Api,
            None,
        ));
        assert!(
            matches!(
                e,
                IcimsError::QuotaExhausted {
                    limit: Some(10_000),
                    reset_secs: Some(3_600)
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("1h00m"), "{e}");
    }

    #[test]
    fn only_reads_and_searches_count_as_idempotent() {
        let u = |p: &str| Url::parse(&format!("https://api.icims.com/customers/1/{p}")).unwrap();
        assert!(is_idempotent(&Method::GET, &u("people/1"), Target::Api));
        assert!(is_idempotent(
            &Method::POST,
            &u("search/people"),
            Target::Api
        ));
        assert!(!is_idempotent(
            &Method::POST,
            &u("applicantworkflows"),
            Target::Api
        ));
        assert!(!is_idempotent(
            &Method::PATCH,
            &u("applicantworkflows/5"),
            Target::Api
        ));
        assert!(is_idempotent(
            &Method::POST,
            &u("oauth/token"),
            Target::Token
        ));
    }

    #[test]
    fn debug_shows_no_secret() {
        let c = client(AuthConfig::OAuth {
            client_id: "cid".into(),
            client_secret: SecretString::from("very-secret-value".to_string()),
            audience: crate::icims::AUDIENCE.into(),
        });
        let d = format!("{c:?}");
        assert!(d.contains("cid") && !d.contains("very-secret-value"), "{d}");
    }
}
