//! `x-icims-v1-hmac-sha256` request signing (reference §2.3): the canonical request, the
//! string to sign and the `Authorization` header. Pure functions; the secret is used
//! only as the HMAC key and never formatted.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "x-icims-v1-hmac-sha256";

/// Lowercase hex SHA-256 (`x-icims-content-sha256`; the empty body for a GET).
pub fn content_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// `x-icims-date` format: `2017-10-18T14:53:40+0000`.
pub fn icims_date(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// The canonical request and the `signedheaders` list for the given headers
/// (`(lowercase name, value)`; sorted here).
///
/// `METHOD \n path \n rawQuery \n name:value lines (sorted) \n \n signedheaders`.
pub fn canonical_request(
    method: &str,
    path: &str,
    raw_query: &str,
    headers: &[(String, String)],
) -> (String, String) {
    let mut sorted: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    sorted.sort();
    let lines: Vec<String> = sorted.iter().map(|(n, v)| format!("{n}:{v}")).collect();
    let signed: Vec<&str> = sorted.iter().map(|(n, _)| n.as_str()).collect();
    let signed = signed.join(";");
    (
        format!(
            "{method}\n{path}\n{raw_query}\n{}\n\n{signed}",
            lines.join("\n")
        ),
        signed,
    )
}

/// `x-icims-v1-hmac-sha256 \n date \n hex(sha256(canonical))`.
pub fn string_to_sign(date: &str, canonical: &str) -> String {
    format!(
        "{ALGORITHM}\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

/// Lowercase hex HMAC-SHA256 of `message` under `key`.
pub fn signature(key: &[u8], message: &str) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for Hmac<Sha256>.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The headers to add to a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub authorization: String,
    pub date: String,
    pub content_sha256: String,
    pub host: String,
}

/// Signs one request. `host` is the `Host` header value (with `:port` when not default).
#[allow(clippy::too_many_arguments)]
pub fn sign(
    method: &str,
    host: &str,
    path: &str,
    raw_query: &str,
    content_type: Option<&str>,
    body: &[u8],
    user: &str,
    secret: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> SignedHeaders {
    let date = icims_date(now);
    let content_sha256 = content_sha256(body);
    let mut headers = vec![
        ("host".to_string(), host.to_string()),
        ("x-icims-content-sha256".to_string(), content_sha256.clone()),
        ("x-icims-date".to_string(), date.clone()),
    ];
    if let Some(ct) = content_type {
        headers.push(("content-type".to_string(), ct.to_string()));
    }
    let (canonical, signed) = canonical_request(method, path, raw_query, &headers);
    let sig = signature(secret, &string_to_sign(&date, &canonical));
    SignedHeaders {
        authorization: format!("{ALGORITHM} user={user},signedheaders={signed},signature={sig}"),
        date,
        content_sha256,
        host: host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339("2017-10-18T14:53:40Z")
            .unwrap()
            .with_timezone(&chrono::Utc)
    }

    #[test]
    fn canonical_string_matches_the_reference_layout() {
        let headers = vec![
            (
                "X-ICIMS-Date".to_string(),
                "2017-10-18T14:53:40+0000".to_string(),
            ),
            ("host".to_string(), "api.icims.com".to_string()),
            ("content-type".to_string(), "application/json".to_string()),
            ("x-icims-content-sha256".to_string(), content_sha256(b"")),
        ];
        let (canonical, signed) =
            canonical_request("GET", "/customers/1234/people/2", "fields=email", &headers);
        assert_eq!(
            signed,
            "content-type;host;x-icims-content-sha256;x-icims-date"
        );
        assert_eq!(
            canonical,
            "GET\n/customers/1234/people/2\nfields=email\n\
             content-type:application/json\n\
             host:api.icims.com\n\
             x-icims-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-icims-date:2017-10-18T14:53:40+0000\n\
             \n\
             content-type;host;x-icims-content-sha256;x-icims-date"
        );
    }

    #[test]
    fn string_to_sign_and_signature() {
        let s = string_to_sign("2017-10-18T14:53:40+0000", "abc");
        assert_eq!(
            s,
            "x-icims-v1-hmac-sha256\n2017-10-18T14:53:40+0000\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signed_request_header_shape() {
        let h = sign(
            "POST",
            "127.0.0.1:8080",
            "/customers/1/search/people",
            "",
            Some("application/json"),
            b"{}",
            "integration1",
            b"k3y",
            at(),
        );
        assert_eq!(h.date, "2017-10-18T14:53:40+0000");
        assert_eq!(h.content_sha256, content_sha256(b"{}"));
        let (prefix, sig) = h.authorization.rsplit_once("signature=").unwrap();
        assert_eq!(
            prefix,
            "x-icims-v1-hmac-sha256 user=integration1,signedheaders=content-type;host;x-icims-content-sha256;x-icims-date,"
        );
        assert_eq!(sig.len(), 64);
        assert!(
            sig.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert!(!h.authorization.contains("k3y"));
        // The same input signs the same; another secret signs differently.
        let again = sign(
            "POST",
            "127.0.0.1:8080",
            "/customers/1/search/people",
            "",
            Some("application/json"),
            b"{}",
            "integration1",
            b"k3y",
            at(),
        );
        assert_eq!(again, h);
        let other = sign(
            "POST",
            "127.0.0.1:8080",
            "/customers/1/search/people",
            "",
            Some("application/json"),
            b"{}",
            "integration1",
            b"other",
            at(),
        );
        assert_ne!(other.authorization, h.authorization);
    }
}
