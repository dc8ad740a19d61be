//! Authentication: the OAuth client-credentials token endpoint (`POST /oauth/token`),
//! Bearer tokens with a configurable lifetime on the sandbox clock, HTTP Basic for the
//! full and the restricted integration user, and `x-icims-v1-hmac-sha256` signatures
//! verified as described in the reference §2.3. Credentials derive from the seed.

use super::clock::SandboxClock;
use super::request::Request;
use super::response::{Response, code};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;

pub const AUDIENCE: &str = "https://api.icims.com/v1/";
pub const HMAC_ALGORITHM: &str = "x-icims-v1-hmac-sha256";
/// Allowed distance between `x-icims-date` and the wall clock.
pub const HMAC_MAX_SKEW_SECS: i64 = 900;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UserPass {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ClientCreds {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HmacCreds {
    pub user: String,
    pub secret: String,
}

/// Every credential the sandbox accepts, derived from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub basic: UserPass,
    pub restricted: UserPass,
    pub oauth: ClientCreds,
    pub datastream: ClientCreds,
    pub hmac: HmacCreds,
    pub sftp: UserPass,
}

fn derive(seed: u64, label: &str, len: usize) -> String {
    let h = Sha256::digest(format!("icims-sandbox:{seed}:{label}").as_bytes());
    hex::encode(h)[..len].to_string()
}

impl Credentials {
    pub fn derive(seed: u64, customer_id: u64) -> Credentials {
        Credentials {
            basic: UserPass {
                username: format!("integration{customer_id}"),
                password: derive(seed, "basic", 20),
            },
            restricted: UserPass {
                username: format!("restricted{customer_id}"),
                password: derive(seed, "restricted", 20),
            },
            oauth: ClientCreds {
                client_id: format!("sbx-{}", derive(seed, "oauth-id", 16)),
                client_secret: derive(seed, "oauth-secret", 40),
            },
            datastream: ClientCreds {
                client_id: format!("sbx-ds-{}", derive(seed, "ds-id", 16)),
                client_secret: derive(seed, "ds-secret", 40),
            },
            hmac: HmacCreds {
                user: format!("integration{customer_id}"),
                secret: derive(seed, "hmac", 40),
            },
            sftp: UserPass {
                username: format!("customer{customer_id}"),
                password: derive(seed, "sftp", 20),
            },
        }
    }
}

/// Which user the request acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum User {
    /// The integration user: sees every field.
    Full,
    /// The restricted user: some standard fields are hidden.
    Restricted,
}

/// Which API a bearer token was issued for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Api,
    DataStream,
}

#[derive(Debug)]
struct Token {
    audience: Audience,
    expires_at: i64,
}

#[derive(Debug)]
pub struct Auth {
    pub creds: Credentials,
    lifetime_secs: u64,
    clock: SandboxClock,
    tokens: Mutex<HashMap<String, Token>>,
    /// Token issuance limit per 10 minutes of the sandbox clock (iCIMS: about 500).
    pub token_limit_per_10min: usize,
    issued: Mutex<std::collections::VecDeque<i64>>,
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response {
    Response::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn unauthorized(message: &str) -> Response {
    Response::error(401, code::AUTH_INVALID, message)
}

impl Auth {
    pub fn new(creds: Credentials, lifetime_secs: u64, clock: SandboxClock) -> Auth {
        Auth {
            creds,
            lifetime_secs,
            clock,
            tokens: Mutex::new(HashMap::new()),
            token_limit_per_10min: 500,
            issued: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// `POST /oauth/token` (form or JSON body).
    pub fn token_endpoint(&self, req: &Request) -> Response {
        if req.method != "POST" {
            return oauth_error(405, "invalid_request", "Use POST");
        }
        let params: HashMap<String, String> =
            if req.header("content-type").unwrap_or("").contains("json") {
                match serde_json::from_slice::<HashMap<String, serde_json::Value>>(&req.body) {
                    Ok(m) => m
                        .into_iter()
                        .map(|(k, v)| {
                            (
                                k,
                                v.as_str()
                                    .map(str::to_string)
                                    .unwrap_or_else(|| v.to_string()),
                            )
                        })
                        .collect(),
                    Err(_) => return oauth_error(400, "invalid_request", "Malformed JSON body"),
                }
            } else {
                url::form_urlencoded::parse(&req.body)
                    .into_owned()
                    .collect()
            };
        match params.get("grant_type").map(String::as_str) {
            Some("client_credentials") => {}
            Some(other) => {
                return oauth_error(
                    400,
                    "unsupported_grant_type",
                    &format!("Grant type '{other}' not allowed"),
                );
            }
            None => {
                return oauth_error(
                    400,
                    "invalid_request",
                    "Missing required parameter: grant_type",
                );
            }
        }
        let id = params.get("client_id").map(String::as_str).unwrap_or("");
        let secret = params
            .get("client_secret")
            .map(String::as_str)
            .unwrap_or("");
        let audience =
            if id == self.creds.oauth.client_id && secret == self.creds.oauth.client_secret {
                Audience::Api
            } else if id == self.creds.datastream.client_id
                && secret == self.creds.datastream.client_secret
            {
                Audience::DataStream
            } else {
                return oauth_error(401, "access_denied", "Unauthorized");
            };
        if let Some(aud) = params.get("audience")
            && aud != AUDIENCE
        {
            return oauth_error(403, "access_denied", &format!("Service not found: {aud}"));
        }
        {
            let now = self.clock.now_ts();
            let mut issued = self.issued.lock().unwrap_or_else(|e| e.into_inner());
            while issued.front().is_some_and(|&t| t <= now - 600) {
                issued.pop_front();
            }
            if issued.len() >= self.token_limit_per_10min {
                return oauth_error(
                    429,
                    "too_many_requests",
                    "Too many access tokens requested; cache and reuse tokens",
                )
                .with_header(
                    "Retry-After",
                    (issued.front().map_or(600, |&t| t + 600 - now))
                        .max(1)
                        .to_string(),
                );
            }
            issued.push_back(now);
        }
        let token: String = hex::encode(rand::rng().random::<[u8; 24]>());
        let expires_at = self.clock.now_ts() + self.lifetime_secs as i64;
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                token.clone(),
                Token {
                    audience,
                    expires_at,
                },
            );
        let scope = match audience {
            Audience::Api => "read:people read:jobs read:applicantworkflows read:lists read:schema",
            Audience::DataStream => "read:datastream",
        };
        Response::json(
            200,
            &json!({"access_token": token, "scope": scope, "expires_in": self.lifetime_secs, "token_type": "Bearer"}),
        )
    }

    /// Authenticate an API call; `want` is the API being called.
    pub fn authenticate(&self, req: &Request, want: Audience) -> Result<User, Response> {
        let Some(header) = req.header("authorization") else {
            return Err(unauthorized(
                "Authentication credentials were not provided.",
            ));
        };
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        match scheme.to_ascii_lowercase().as_str() {
            "bearer" => self.bearer(rest.trim(), want),
            "basic" if want == Audience::Api => self.basic(rest.trim()),
            HMAC_ALGORITHM if want == Audience::Api => self.hmac(req, rest.trim()),
            _ => Err(unauthorized(
                "Unsupported authorization scheme for this API.",
            )),
        }
    }

    fn bearer(&self, token: &str, want: Audience) -> Result<User, Response> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = tokens.get(token) else {
            return Err(unauthorized("Authentication credentials invalid"));
        };
        if self.clock.now_ts() >= t.expires_at {
            return Err(unauthorized("Access token expired")
                .with_header("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
        if t.audience != want {
            return Err(unauthorized("Access token was not issued for this API"));
        }
        Ok(User::Full)
    }

    fn basic(&self, b64: &str) -> Result<User, Response> {
        let bad = || {
            Response::error(
                401,
                code::INVALID_CREDENTIALS,
                "Invalid Username or Password credentials provided.",
            )
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| bad())?;
        let text = String::from_utf8(decoded).map_err(|_| bad())?;
        let (user, pass) = text.split_once(':').ok_or_else(bad)?;
        if user == self.creds.basic.username && pass == self.creds.basic.password {
            Ok(User::Full)
        } else if user == self.creds.restricted.username && pass == self.creds.restricted.password {
            Ok(User::Restricted)
        } else {
            Err(bad())
        }
    }

    fn hmac(&self, req: &Request, params: &str) -> Result<User, Response> {
        let mut user = None;
        let mut signed = None;
        let mut signature = None;
        for part in params.split(',') {
            match part.trim().split_once('=') {
                Some(("user", v)) => user = Some(v),
                Some(("signedheaders", v)) => signed = Some(v),
                Some(("signature", v)) => signature = Some(v),
                _ => return Err(unauthorized("Malformed HMAC authorization header")),
            }
        }
        let (Some(user), Some(signed), Some(signature)) = (user, signed, signature) else {
            return Err(unauthorized(
                "HMAC authorization needs user, signedheaders and signature",
            ));
        };
        if user != self.creds.hmac.user {
            return Err(unauthorized("Authentication credentials invalid"));
        }
        let names: Vec<&str> = signed.split(';').collect();
        for required in ["host", "x-icims-content-sha256", "x-icims-date"] {
            if !names.contains(&required) {
                return Err(unauthorized(&format!(
                    "HMAC signedheaders must include {required}"
                )));
            }
        }
        let mut lines = Vec::new();
        for name in &names {
            let Some(v) = req.header(name) else {
                return Err(unauthorized(&format!("Signed header {name} is missing")));
            };
            lines.push(format!("{name}:{}", v.trim()));
        }
        lines.sort();
        let body_hash = hex::encode(Sha256::digest(&req.body));
        if req.header("x-icims-content-sha256").map(str::trim) != Some(body_hash.as_str()) {
            return Err(unauthorized(
                "x-icims-content-sha256 does not match the body",
            ));
        }
        let date = req.header("x-icims-date").unwrap_or("").trim();
        let Ok(ts) = chrono::DateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S%z") else {
            return Err(unauthorized(
                "x-icims-date is not an ISO-8601 timestamp like 2017-10-18T14:53:40+0000",
            ));
        };
        if (chrono::Utc::now().timestamp() - ts.timestamp()).abs() > HMAC_MAX_SKEW_SECS {
            return Err(unauthorized("x-icims-date is too far from the server time"));
        }
        let canonical = format!(
            "{}\n{}\n{}\n{}\n\n{}",
            req.method,
            req.raw_path,
            req.query,
            lines.join("\n"),
            signed
        );
        let to_sign = format!(
            "{HMAC_ALGORITHM}\n{date}\n{}",
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.creds.hmac.secret.as_bytes()) else {
            return Err(Response::error(500, code::INTERNAL_ERROR, "HMAC key error"));
        };
        mac.update(to_sign.as_bytes());
        let Ok(given) = hex::decode(signature) else {
            return Err(unauthorized("HMAC signature is not hex"));
        };
        mac.verify_slice(&given)
            .map_err(|_| unauthorized("HMAC signature does not match"))?;
        Ok(User::Full)
    }
}
