//! HTTP responses as the sandbox writes them, and iCIMS's error model
//! (`{"errors":[{"errorMessage":…,"errorCode":N}]}` plus an `X-Error:N:msg` header).

use serde_json::{Value, json};

/// iCIMS error codes the sandbox uses (see the reference §10.1).
pub mod code {
    pub const INTERNAL_ERROR: u32 = 0;
    pub const FIELD_REQUIRED: u32 = 1;
    pub const RESOURCE_NOT_FOUND: u32 = 2;
    pub const RESOURCE_ACCESS_DENIED: u32 = 3;
    pub const INVALID_CREDENTIALS: u32 = 6;
    pub const AUTH_INVALID: u32 = 9;
    /// Not documented by iCIMS: the sandbox's code for bad search/query input.
    pub const BAD_REQUEST: u32 = 10;
    /// Not documented by iCIMS: the sandbox's code for the spent daily quota.
    pub const RATE_LIMITED: u32 = 11;
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub content_type: &'static str,
}

impl Response {
    pub fn json(status: u16, v: &Value) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: serde_json::to_vec(v).unwrap_or_default(),
            content_type: "application/json",
        }
    }
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            content_type: "application/octet-stream",
        }
    }
    /// An iCIMS-style error: JSON `errors` body and `X-Error` header.
    pub fn error(status: u16, code: u32, message: &str) -> Response {
        let mut r = Response::json(
            status,
            &json!({"errors":[{"errorMessage": message, "errorCode": code}]}),
        );
        r.headers
            .push(("X-Error".into(), format!("{code}:{}", sanitize(message))));
        r
    }
    pub fn not_found(message: &str) -> Response {
        Response::error(404, code::RESOURCE_NOT_FOUND, message)
    }
    pub fn bad_request(message: &str) -> Response {
        Response::error(400, code::BAD_REQUEST, message)
    }
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// Header values must not carry CR/LF.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}
