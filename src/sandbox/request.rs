//! A parsed sandbox request (method, path with the region prefix removed, query, headers,
//! body, region): the neutral type the handlers read, next to `response`, so that neither
//! depends on the HTTP server that produces and consumes them.

/// Which regional base a request came in on (path prefix `/eu` or `/us`; none = US).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Us,
    Eu,
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path exactly as received (without the query), e.g. `/eu/customers/1/people/5`.
    pub raw_path: String,
    /// The path with the region prefix removed.
    pub path: String,
    /// The raw query string (without `?`), empty if none.
    pub query: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub region: Region,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// First value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
    pub fn segments(&self) -> Vec<&str> {
        self.path.split('/').filter(|s| !s.is_empty()).collect()
    }
}
