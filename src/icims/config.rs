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
    match Url::parse(value) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(u),
        Ok(u) => Err(IcimsError::Config {
            field: field.into(),
            reason: format!("unsupported scheme {:?} in {value:?}", u.scheme()),
        }),
        Err(e) => Err(IcimsError::Config {
            field: field.into(),
            reason: format!("{value:?} is not a URL ({e})"),
        }),
    }
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
            Endpoints::new(7, "http://127.0.0.1:81/eu", "http://x/t", "http://x/d").unwrap();
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
        let err = Endpoints::new(1, "ftp://x", "http://x", "http://x").unwrap_err();
        assert!(err.to_string().starts_with("api base:"), "{err}");
        let err = Endpoints::new(1, "http://x", "not a url", "http://x").unwrap_err();
        assert!(err.to_string().starts_with("token url:"), "{err}");
    }
}
