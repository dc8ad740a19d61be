//! Where a client talks to (API base, token URL, Data Stream base, customer id — the
//! region's hosts or the team's overrides) and how (timeouts, retries, the IP allow-list
//! addresses that remedies name).

use std::time::Duration;

use url::Url;

use crate::store::Team;

use super::error::IcimsError;
use super::retry::RetryPolicy;

/// The addresses customers allow-list for the integration (from the vendor's setup article).
pub const DEFAULT_ALLOW_LIST: [&str; 2] = ["54.173.229.200", "54.175.230.252"];

/// The URLs of one customer's tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub customer_id: u64,
    pub api_base: Url,
    pub token_url: Url,
    pub datastream_base: Url,
}

fn parse_url(field: &str, value: &str) -> Result<Url, IcimsError> {
    validate_endpoint_url(field, value).map_err(|reason| IcimsError::Config {
        field: field.into(),
        reason,
    })
}

/// Is the URL's host loopback, so plain http never leaves the machine? Only the literal
/// forms count: `localhost`, `127.0.0.0/8` and `[::1]` (a name that merely resolves to
/// loopback, or an IPv4-mapped address, does not).
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The transport rule for every iCIMS URL (API base, token URL, Data Stream base), checked
/// when a team is added or changed and again before every request: http(s) only, `https`
/// unless the host is loopback (the Basic password and OAuth secrets must never travel in
/// clear), and no `user:password@` in the URL. The reason names no secret.
pub fn check_transport(url: &Url) -> Result<(), String> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "the URL carries a user name or password (user:password@…); remove it — \
             credentials are stored with `icims-onboard creds set`, never in URLs"
                .into(),
        );
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "plain http to {} would send the API password and OAuth secrets unencrypted; \
             use https (http is allowed only on loopback: localhost, 127.0.0.0/8, [::1])",
            host_of(url)
        )),
        other => Err(format!("unsupported scheme {other:?}; use https")),
    }
}

/// Checks an iCIMS URL as typed by an engineer (`team add`, `team set`, the new-team
/// form): an absolute URL that passes [`check_transport`]. `field` names the flag or
/// field in the message (`--api-base: …`). Returns the parsed URL.
pub fn validate_endpoint_url(field: &str, value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| {
        // Never echo a value that may carry a password.
        if value.contains('@') {
            format!("{field}: not a URL ({e})")
        } else {
            format!("{field}: {value:?} is not a URL ({e})")
        }
    })?;
    check_transport(&url).map_err(|reason| format!("{field}: {reason}"))?;
    Ok(url)
}

fn join(base: &Url, path: &str) -> Url {
    let mut s = base.as_str().trim_end_matches('/').to_string();
    s.push('/');
    s.push_str(path.trim_start_matches('/'));
    // Only our own path segments are appended to a URL that parsed; this cannot fail.
    Url::parse(&s).unwrap_or_else(|_| base.clone())
}

impl Endpoints {
    pub fn new(
        customer_id: u64,
        api_base: &str,
        token_url: &str,
        datastream_base: &str,
    ) -> Result<Endpoints, IcimsError> {
        Ok(Endpoints {
            customer_id,
            api_base: parse_url("api base", api_base)?,
            token_url: parse_url("token url", token_url)?,
            datastream_base: parse_url("data stream base", datastream_base)?,
        })
    }

    /// The team's endpoints: its region's hosts unless overridden.
    pub fn for_team(team: &Team) -> Result<Endpoints, IcimsError> {
        Endpoints::new(
            team.customer_id,
            &team.api_base(),
            &team.token_url(),
            &team.datastream_base(),
        )
    }

    /// `{api_base}/customers/{cid}/{path}`.
    pub fn api_url(&self, path: &str) -> Url {
        join(
            &self.api_base,
            &format!(
                "customers/{}/{}",
                self.customer_id,
                path.trim_start_matches('/')
            ),
        )
    }

    /// `{datastream_base}/{cid}/{path}`.
    pub fn datastream_url(&self, path: &str) -> Url {
        join(
            &self.datastream_base,
            &format!("{}/{}", self.customer_id, path.trim_start_matches('/')),
        )
    }
}

/// Host (and port when not the default) of a URL, for messages and the `Host` header.
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// Calls the checks keep in flight at once by default: the widest point of the
/// preflight (three searches, statuses, folders, three schemas, the Data Stream chain).
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Transport and behaviour settings of a client.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Time to establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time for a whole request, response body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Addresses named in the remedy of a 403 (IP allow-list).
    pub allow_list: Vec<String>,
    /// `staleness` minutes sent with searches (`None` = iCIMS default, 15).
    pub search_staleness: Option<u32>,
    pub user_agent: String,
    /// Most calls the checks keep in flight at once, over all the clients of one run
    /// (1 = one after another). Independent calls overlap to hide the API's latency.
    pub concurrency: usize,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            allow_list: DEFAULT_ALLOW_LIST.iter().map(|s| s.to_string()).collect(),
            search_staleness: None,
            user_agent: format!("icims-onboard/{}", env!("CARGO_PKG_VERSION")),
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl ClientConfig {
    /// The defaults, with the allow-list addresses from `ICIMS_ONBOARD_ALLOW_IPS`
    /// (comma-separated) when it is set — the console's configuration.
    pub fn from_env() -> ClientConfig {
        let mut c = ClientConfig::default();
        if let Some(list) = std::env::var("ICIMS_ONBOARD_ALLOW_IPS")
            .ok()
            .map(|v| parse_allow_list(&v))
            .filter(|l| !l.is_empty())
        {
            c.allow_list = list;
        }
        c
    }
}

/// Splits a comma- or space-separated address list.
pub fn parse_allow_list(text: &str) -> Vec<String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_customer_urls_from_bases_with_or_without_slash() {
        let e = Endpoints::new(
            1234,
            "https://api.icims.com/",
            "https://login.icims.com/oauth/token",
            "http://127.0.0.1:9000/datastream/v2/streams",
        )
        .unwrap();
        assert_eq!(
            e.api_url("people/2").as_str(),
            "https://api.icims.com/customers/1234/people/2"
        );
        assert_eq!(
            e.datastream_url("subscriptions").as_str(),
            "http://127.0.0.1:9000/datastream/v2/streams/1234/subscriptions"
        );
        let prefixed =
            Endpoints::new(7, "http://127.0.0.1:81/eu", "https://x/t", "https://x/d").unwrap();
        assert_eq!(
            prefixed.api_url("/v2/lists").as_str(),
            "http://127.0.0.1:81/eu/customers/7/v2/lists"
        );
        assert_eq!(host_of(&prefixed.api_base), "127.0.0.1:81");
        assert_eq!(host_of(&e.api_base), "api.icims.com");
    }

    #[test]
    fn parses_allow_lists() {
        assert_eq!(
            parse_allow_list(" 10.0.0.1, 10.0.0.2 ,,"),
            vec!["10.0.0.1", "10.0.0.2"]
        );
        assert_eq!(ClientConfig::default().allow_list, DEFAULT_ALLOW_LIST);
    }

    #[test]
    fn rejects_bad_urls_naming_the_field() {
        let err = Endpoints::new(1, "ftp://x", "https://x", "https://x").unwrap_err();
        assert!(err.to_string().starts_with("api base:"), "{err}");
        let err = Endpoints::new(1, "https://x", "not a url", "https://x").unwrap_err();
        assert!(err.to_string().starts_with("token url:"), "{err}");
    }

    #[test]
    fn https_is_required_off_loopback_and_urls_carry_no_credentials() {
        for ok in [
            "https://api.icims.com",
            "http://127.0.0.1:9/",
            "http://127.8.9.10/x",
            "http://localhost:81",
            "http://LOCALHOST",
            "http://[::1]:9",
        ] {
            assert!(validate_endpoint_url("api base", ok).is_ok(), "{ok}");
        }
        for (bad, needle) in [
            ("http://api.icims.com", "https"),
            ("http://10.0.0.1", "https"),
            ("http://[::ffff:127.0.0.1]:9", "https"),
            ("http://localhost.evil.example", "https"),
            ("ftp://x", "scheme"),
            ("https://u:hunter2@api.icims.com", "user name or password"),
            ("http://u@127.0.0.1", "user name or password"),
        ] {
            let err = validate_endpoint_url("--api-base", bad).unwrap_err();
            assert!(
                err.starts_with("--api-base: ") && err.contains(needle),
                "{bad}: {err}"
            );
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
