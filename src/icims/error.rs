//! The iCIMS error model turned into typed errors: the `errors[]` body and `X-Error`
//! headers of the API, OAuth token errors, transport failures (unreachable, timeout, TLS).
//! Every error says what happened in plain words and carries a remedy; none carries a
//! secret (messages are built from status codes, iCIMS error texts and host names only).

use std::time::Duration;

use serde_json::Value;

/// One `errors[]` entry or `X-Error` header: iCIMS's numeric code and its message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiErrorDetail {
    /// `errorCode`; `None` when absent or not a number (the docs show a `"CODE"` placeholder).
    pub code: Option<i64>,
    pub message: String,
}

/// Error codes iCIMS documents (reference §10.1).
pub mod code {
    pub const INTERNAL_ERROR: i64 = 0;
    pub const FIELD_REQUIRED: i64 = 1;
    pub const RESOURCE_NOT_FOUND: i64 = 2;
    pub const RESOURCE_ACCESS_DENIED: i64 = 3;
    pub const INVALID_CREDENTIALS: i64 = 6;
    pub const AUTH_INVALID: i64 = 9;
}

/// Reads the first error of a response: the JSON body (`errors[]`, OAuth `error`/
/// `error_description`, vendor `{"error":{"userMessage"}}`, Spring `message`), else the
/// first `X-Error: code:message` header. Unknown shapes give `None`.
pub fn parse_error_detail(body: &[u8], x_error: Option<&str>) -> Option<ApiErrorDetail> {
    if let Ok(v) = serde_json::from_slice::<Value>(body)
        && let Some(d) = detail_from_json(&v)
    {
        return Some(d);
    }
    x_error.and_then(parse_x_error)
}

fn detail_from_json(v: &Value) -> Option<ApiErrorDetail> {
    if let Some(first) = v
        .get("errors")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
    {
        let message = first
            .get("errorMessage")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        return Some(ApiErrorDetail {
            code: first.get("errorCode").and_then(code_of),
            message,
        });
    }
    match v.get("error") {
        Some(Value::String(e)) => {
            let desc = v
                .get("error_description")
                .or_else(|| v.get("message"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let message = if desc.is_empty() {
                e.clone()
            } else {
                format!("{e}: {desc}")
            };
            Some(ApiErrorDetail {
                code: None,
                message,
            })
        }
        Some(obj @ Value::Object(_)) => {
            obj.get("userMessage")
                .and_then(Value::as_str)
                .map(|m| ApiErrorDetail {
                    code: None,
                    message: m.to_string(),
                })
        }
        _ => None,
    }
}

fn code_of(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Parses an `X-Error` header value: `2:Job not found.` or `4:fieldid:detail`.
pub fn parse_x_error(value: &str) -> Option<ApiErrorDetail> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    match value.split_once(':') {
        Some((c, rest)) if c.trim().parse::<i64>().is_ok() => Some(ApiErrorDetail {
            code: c.trim().parse().ok(),
            message: rest.trim().to_string(),
        }),
        _ => Some(ApiErrorDetail {
            code: None,
            message: value.to_string(),
        }),
    }
}

/// Everything that can go wrong talking to iCIMS.
#[derive(Debug, thiserror::Error)]
pub enum IcimsError {
    #[error("iCIMS rejected the {credential} (HTTP {status}, errorCode {}): {message}", fmt_code(*.code))]
    BadCredentials {
        /// What was rejected, in words ("API username or password", "OAuth access token").
        credential: &'static str,
        status: u16,
        code: Option<i64>,
        message: String,
    },
    #[error(
        "the OAuth token endpoint {host} refused the client id or secret (HTTP {status}): {message}"
    )]
    TokenRejected {
        host: String,
        status: u16,
        message: String,
    },
    #[error("iCIMS at {host} does not know customer id {customer_id} (HTTP {status}): {message}")]
    UnknownCustomer {
        host: String,
        customer_id: u64,
        status: u16,
        code: Option<i64>,
        message: String,
    },
    #[error("iCIMS at {host} refused the call (HTTP 403 Forbidden): {message}")]
    Forbidden {
        host: String,
        message: String,
        allow_list: Vec<String>,
    },
    #[error("the API user may not access this (HTTP {status}, errorCode 3): {message}")]
    AccessDenied { status: u16, message: String },
    #[error("not found (HTTP {status}, errorCode {}): {message}", fmt_code(*.code))]
    NotFound {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    #[error("iCIMS refused the request (HTTP {status}, errorCode {}): {message}", fmt_code(*.code))]
    Rejected {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    #[error("the customer's daily API quota is spent ({}); it resets in {}", fmt_opt(*.limit, " calls a day"), fmt_secs(*.reset_secs))]
    QuotaExhausted {
        limit: Option<u64>,
        reset_secs: Option<u64>,
    },
    #[error("iCIMS kept throttling (HTTP 429) after {attempts} attempts{}", fmt_wait(*.retry_after))]
    Throttled {
        attempts: u32,
        retry_after: Option<Duration>,
    },
    #[error("iCIMS server error (HTTP {status}, errorCode {}) after {attempts} attempts: {message}", fmt_code(*.code))]
    Server {
        status: u16,
        code: Option<i64>,
        message: String,
        attempts: u32,
    },
    #[error("{host} refused the HTTP version (HTTP 505); iCIMS speaks HTTP/1.1 only")]
    HttpVersion { host: String },
    #[error(
        "{host} answered with a redirect (HTTP {status}) to {location}; iCIMS API and token URLs do not redirect"
    )]
    Redirected {
        host: String,
        status: u16,
        location: String,
    },
    #[error("cannot reach {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("no answer from {host} within {}s (after {attempts} attempts)", .after.as_secs_f32())]
    Timeout {
        host: String,
        after: Duration,
        attempts: u32,
    },
    #[error("TLS handshake with {host} failed: {reason}")]
    Tls { host: String, reason: String },
    #[error("the connection to {host} broke after {attempts} attempts: {reason}")]
    Transport {
        host: String,
        reason: String,
        attempts: u32,
    },
    #[error("iCIMS sent a response that cannot be read ({what}): {reason}")]
    Malformed { what: String, reason: String },
    #[error("{field}: {reason}")]
    Config { field: String, reason: String },
}

fn fmt_code(code: Option<i64>) -> String {
    code.map_or_else(|| "none".to_string(), |c| c.to_string())
}

fn fmt_opt(v: Option<u64>, unit: &str) -> String {
    v.map_or_else(|| "limit unknown".to_string(), |v| format!("{v}{unit}"))
}

fn fmt_secs(v: Option<u64>) -> String {
    match v {
        Some(s) => format!("{}h{:02}m (00:00 UTC)", s / 3600, (s % 3600) / 60),
        None => "at 00:00 UTC".to_string(),
    }
}

fn fmt_wait(v: Option<Duration>) -> String {
    v.map_or_else(String::new, |d| {
        format!("; it asked to wait {}s", d.as_secs())
    })
}

impl IcimsError {
    /// The HTTP status behind the error, if there was a response.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            IcimsError::BadCredentials { status, .. }
            | IcimsError::TokenRejected { status, .. }
            | IcimsError::UnknownCustomer { status, .. }
            | IcimsError::AccessDenied { status, .. }
            | IcimsError::NotFound { status, .. }
            | IcimsError::Rejected { status, .. }
            | IcimsError::Server { status, .. } => Some(*status),
            IcimsError::Forbidden { .. } => Some(403),
            IcimsError::QuotaExhausted { .. } | IcimsError::Throttled { .. } => Some(429),
            IcimsError::HttpVersion { .. } => Some(505),
            IcimsError::Redirected { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// iCIMS's `errorCode`, if the response carried one.
    pub fn error_code(&self) -> Option<i64> {
        match self {
            IcimsError::BadCredentials { code, .. }
            | IcimsError::UnknownCustomer { code, .. }
            | IcimsError::NotFound { code, .. }
            | IcimsError::Rejected { code, .. }
            | IcimsError::Server { code, .. } => *code,
            IcimsError::AccessDenied { .. } => Some(code::RESOURCE_ACCESS_DENIED),
            _ => None,
        }
    }

    /// A short stable name of the kind of failure (for JSON and tests).
    pub fn kind(&self) -> &'static str {
        match self {
            IcimsError::BadCredentials { .. } => "bad_credentials",
            IcimsError::TokenRejected { .. } => "token_rejected",
            IcimsError::UnknownCustomer { .. } => "unknown_customer",
            IcimsError::Forbidden { .. } => "forbidden",
            IcimsError::AccessDenied { .. } => "access_denied",
            IcimsError::NotFound { .. } => "not_found",
            IcimsError::Rejected { .. } => "rejected",
            IcimsError::QuotaExhausted { .. } => "quota_exhausted",
            IcimsError::Throttled { .. } => "throttled",
            IcimsError::Server { .. } => "server_error",
            IcimsError::HttpVersion { .. } => "http_version",
            IcimsError::Redirected { .. } => "redirected",
            IcimsError::Unreachable { .. } => "unreachable",
            IcimsError::Timeout { .. } => "timeout",
            IcimsError::Tls { .. } => "tls",
            IcimsError::Transport { .. } => "transport",
            IcimsError::Malformed { .. } => "malformed",
            IcimsError::Config { .. } => "config",
        }
    }

    /// Whether a later identical call could succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            IcimsError::Throttled { .. }
                | IcimsError::Server { .. }
                | IcimsError::Timeout { .. }
                | IcimsError::Transport { .. }
                | IcimsError::Malformed { .. }
        )
    }

    /// What to do about it, in plain words.
    pub fn remedy(&self) -> String {
        match self {
            IcimsError::BadCredentials { credential, .. } if credential.contains("OAuth") => {
                "iCIMS did not accept the access token it issued: check the client was issued \
                 for this API (REST and Data Stream clients differ) and for this customer, then \
                 store it again with `icims-onboard creds set TEAM --kind rest` (or `--kind datastream`)."
                    .into()
            }
            IcimsError::BadCredentials { .. } => {
                "Ask the customer to confirm the API user's username and password (the \
                 integration API user iCIMS created, not a personal or developer-portal login), \
                 then store them again with `icims-onboard creds set TEAM --kind basic`."
                    .into()
            }
            IcimsError::TokenRejected { .. } => {
                "Check the OAuth client id and secret with the customer's iCIMS contact (REST \
                 and Data Stream have separate clients) and the region's token URL, then store \
                 them again with `icims-onboard creds set TEAM --kind rest` (or `--kind datastream`)."
                    .into()
            }
            IcimsError::UnknownCustomer { customer_id, .. } => format!(
                "Check the customer id ({customer_id} is stored) against the id iCIMS gave the \
                 customer, and the region: customers hosted in the EU must use api-eu.icims.com. \
                 Fix it with `icims-onboard team add` settings or the step 1 screen."
            ),
            IcimsError::Forbidden { allow_list, .. } => {
                let ips = if allow_list.is_empty() {
                    "our egress addresses".to_string()
                } else {
                    allow_list.join(" and ")
                };
                format!(
                    "Ask the customer's iCIMS admin to add {ips} under \"IP Addresses allowed to \
                     Access our API\" (IP Address Restrictions on the API user's settings page), \
                     and to check the user is in the Integration User group."
                )
            }
            IcimsError::AccessDenied { .. } => {
                "The API user's login group lacks access to this data; ask the customer's \
                 iCIMS admin to grant it (security rules and login-group permissions)."
                    .into()
            }
            IcimsError::NotFound { .. } => {
                "The record or endpoint does not exist for this customer; check the id and \
                 the customer's iCIMS configuration (some tenants lack some profile types)."
                    .into()
            }
            IcimsError::Rejected { .. } => {
                "iCIMS found the request invalid; this is a defect in icims-onboard or an \
                 unusual tenant configuration — report it with the message above."
                    .into()
            }
            IcimsError::QuotaExhausted { .. } => {
                "Wait for the quota to reset at 00:00 UTC, or ask the customer to buy more \
                 API calls (iCIMS \"Call Expansion\")."
                    .into()
            }
            IcimsError::Throttled { .. } => {
                "iCIMS is rate limiting this customer right now; try again in a few minutes.".into()
            }
            IcimsError::Server { .. } => {
                "iCIMS had an internal error and kept failing after retries; try again later, \
                 and if it persists open a case with iCIMS support."
                    .into()
            }
            IcimsError::Redirected { .. } => {
                "Check the team's API base and token URL: a redirect means the address is not \
                 the iCIMS API itself (a wrong host or path, a login portal, a proxy sign-in \
                 page, or http sent to https). Credentials are never sent on to another host; \
                 fix the URL with the team's settings."
                    .into()
            }
            IcimsError::HttpVersion { .. } => {
                "A proxy in between is changing the HTTP version; call iCIMS directly over \
                 HTTP/1.1."
                    .into()
            }
            IcimsError::Unreachable { .. } => {
                "Check the region and any API base override of the team, DNS and outbound \
                 network access (firewall or proxy) from this machine to the host."
                    .into()
            }
            IcimsError::Timeout { .. } => {
                "The host did not answer in time: check network access from this machine, or \
                 try again if iCIMS is slow right now."
                    .into()
            }
            IcimsError::Tls { .. } => {
                "The secure connection failed: check the API base URL (https, right host), the \
                 machine's clock and CA certificates, and any TLS-intercepting proxy."
                    .into()
            }
            IcimsError::Transport { .. } => {
                "The connection kept breaking; check the network and try again.".into()
            }
            IcimsError::Malformed { .. } => {
                "iCIMS (or a proxy) returned something that is not the expected JSON; try \
                 again, and report it if it persists."
                    .into()
            }
            IcimsError::Config { field, .. } => {
                format!("Fix the setting {field} of the team and try again.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_errors_array_with_numeric_code() {
        let d = parse_error_detail(
            br#"{"errors":[{"errorMessage":"Invalid Username or Password credentials provided.","errorCode":6}]}"#,
            None,
        )
        .unwrap();
        assert_eq!(d.code, Some(6));
        assert_eq!(
            d.message,
            "Invalid Username or Password credentials provided."
        );
    }

    #[test]
    fn parses_string_code_and_placeholder() {
        let d = parse_error_detail(
            br#"{"errors":[{"errorMessage":"x","errorCode":"2"}]}"#,
            None,
        )
        .unwrap();
        assert_eq!(d.code, Some(2));
        let d = parse_error_detail(
            br#"{"errors":[{"errorMessage":"At least one filter must be specified","errorCode":"CODE"}]}"#,
            None,
        )
        .unwrap();
        assert_eq!(d.code, None);
        assert_eq!(d.message, "At least one filter must be specified");
    }

    #[test]
    fn falls_back_to_x_error_header() {
        let d = parse_error_detail(b"<html>oops</html>", Some("2:Job not found.")).unwrap();
        assert_eq!(d.code, Some(2));
        assert_eq!(d.message, "Job not found.");
        let d = parse_x_error("4:startdate:Field name must be all lowercase.").unwrap();
        assert_eq!(d.code, Some(4));
        assert_eq!(d.message, "startdate:Field name must be all lowercase.");
        assert_eq!(parse_x_error("  "), None);
        assert_eq!(parse_error_detail(b"", None), None);
    }

    #[test]
    fn parses_oauth_and_vendor_errors() {
        let d = parse_error_detail(
            br#"{"error":"access_denied","error_description":"Unauthorized"}"#,
            None,
        )
        .unwrap();
        assert_eq!(d.message, "access_denied: Unauthorized");
        let d = parse_error_detail(
            br#"{"error":{"userMessage":"Try later","debugErrorMessage":"x"}}"#,
            None,
        )
        .unwrap();
        assert_eq!(d.message, "Try later");
    }

    #[test]
    fn forbidden_remedy_names_the_allow_list() {
        let e = IcimsError::Forbidden {
            host: "api.icims.com".into(),
            message: "Forbidden".into(),
            allow_list: vec!["54.173.229.200".into(), "54.175.230.252".into()],
        };
        assert!(e.remedy().contains("54.173.229.200 and 54.175.230.252"));
        assert_eq!(e.http_status(), Some(403));
    }

    #[test]
    fn bad_credentials_display_and_code() {
        let e = IcimsError::BadCredentials {
            credential: "API username or password",
            status: 401,
            code: Some(6),
            message: "Invalid Username or Password credentials provided.".into(),
        };
        assert_eq!(e.error_code(), Some(6));
        assert!(e.to_string().contains("errorCode 6"));
        assert!(e.remedy().contains("creds set"));
        assert!(!e.is_transient());
    }
}
