//! The iCIMS API client: authentication (OAuth client credentials with a token cache,
//! Basic, HMAC), region hosts with per-team overrides, HTTP/1.1 only, tolerant parsing,
//! the iCIMS error model as typed errors with remedies, search paging, quota accounting
//! and bounded retries; plus the step 1 and step 2 checks built on it ([`checks`]).

pub mod auth;
pub mod checks;
pub mod client;
pub mod config;
pub mod datastream;
pub mod error;
pub mod hmac_sign;
pub mod lists;
pub mod model;
pub mod profiles;
pub mod quota;
pub mod retry;
pub mod schema;
pub mod search;

pub use auth::{AUDIENCE, AuthConfig};
pub use client::IcimsClient;
pub use config::{ClientConfig, DEFAULT_ALLOW_LIST, DEFAULT_CONCURRENCY, Endpoints};
pub use error::IcimsError;
pub use model::{Id, ListNode, Profile, ProfileLink, SearchHit};
pub use profiles::ProfileType;
pub use quota::{ClientStats, QuotaSnapshot};
pub use retry::RetryPolicy;
pub use search::{Filter, SearchPager, SearchQuery};
