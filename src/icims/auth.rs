//! Credentials the client authenticates with (Basic, HMAC, OAuth client credentials) and
//! the OAuth token cache: one token shared by all calls, refreshed shortly before it
//! expires and once more when iCIMS answers 401. Secrets stay in `SecretString`s and the
//! `Debug` output shows only what is not secret.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::store::{Credential, CredentialKind};

use super::error::IcimsError;

/// The audience of the iCIMS API for OAuth client credentials.
pub const AUDIENCE: &str = "https://api.icims.com/v1/";

/// How the client proves who it is.
#[derive(Clone)]
pub enum AuthConfig {
    /// HTTP Basic with the integration API user (step 1).
    Basic {
        username: String,
        password: SecretString,
    },
    /// `x-icims-v1-hmac-sha256` signatures with the user's shared secret.
    Hmac { user: String, secret: SecretString },
    /// OAuth 2.0 client credentials against the team's token URL (REST and Data Stream).
    OAuth {
        client_id: String,
        client_secret: SecretString,
        audience: String,
    },
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthConfig::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            AuthConfig::Hmac { user, .. } => f
                .debug_struct("Hmac")
                .field("user", user)
                .field("secret", &"<redacted>")
                .finish(),
            AuthConfig::OAuth {
                client_id,
                audience,
                ..
            } => f
                .debug_struct("OAuth")
                .field("client_id", client_id)
                .field("client_secret", &"<redacted>")
                .field("audience", audience)
                .finish(),
        }
    }
}

impl AuthConfig {
    /// The auth for a stored credential: `basic` → Basic, `rest`/`datastream` → OAuth.
    pub fn from_credential(cred: &Credential) -> Result<AuthConfig, IcimsError> {
        let missing = |field: &str| IcimsError::Config {
            field: format!("{} credential {field}", cred.kind),
            reason: "is not set".into(),
        };
        match cred.kind {
            CredentialKind::Basic => Ok(AuthConfig::Basic {
                username: cred
                    .params
                    .username
                    .clone()
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| missing("username"))?,
                password: cred.secret.clone(),
            }),
            CredentialKind::Rest | CredentialKind::Datastream => Ok(AuthConfig::OAuth {
                client_id: cred
                    .params
                    .client_id
                    .clone()
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| missing("client id"))?,
                client_secret: cred.secret.clone(),
                audience: AUDIENCE.to_string(),
            }),
            CredentialKind::Sftp => Err(IcimsError::Config {
                field: "sftp credential".into(),
                reason: "is not an iCIMS API credential".into(),
            }),
        }
    }

    /// Who the calls are made as (username or client id), for messages.
    pub fn principal(&self) -> &str {
        match self {
            AuthConfig::Basic { username, .. } => username,
            AuthConfig::Hmac { user, .. } => user,
            AuthConfig::OAuth { client_id, .. } => client_id,
        }
    }

    /// What iCIMS would reject, for messages ("API username or password", …).
    pub fn credential_words(&self) -> &'static str {
        match self {
            AuthConfig::Basic { .. } => "API username or password",
            AuthConfig::Hmac { .. } => "HMAC user or secret",
            AuthConfig::OAuth { .. } => "OAuth access token",
        }
    }
}

/// A bearer token and when to stop using it.
pub(crate) struct CachedToken {
    pub token: SecretString,
    /// Refresh from this instant on (some margin before the real expiry).
    pub refresh_at: Instant,
    /// Bumped on every fetch, so a 401 invalidates only the token it was given.
    pub generation: u64,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("token", &"<redacted>")
            .field("generation", &self.generation)
            .finish()
    }
}

impl CachedToken {
    pub fn is_fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

/// How long before expiry a token is refreshed: a tenth of its life, at most five minutes.
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

/// The token response (unknown keys ignored; `expires_in` as number or string).
#[derive(serde::Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<serde_json::Value>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl TokenResponse {
    /// Token lifetime; 24 h when iCIMS does not say (what its docs give).
    pub fn lifetime(&self) -> Duration {
        let secs = match &self.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        Duration::from_secs(secs.unwrap_or(86_400))
    }
}

/// The form body of a client-credentials token request.
pub(crate) fn token_form(client_id: &str, client_secret: &SecretString, audience: &str) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret.expose_secret())
        .append_pair("audience", audience)
        .finish()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let basic = AuthConfig::Basic {
            username: "integration1".into(),
            password: SecretString::from("hunter2-secret"),
        };
        let oauth = AuthConfig::OAuth {
            client_id: "cid".into(),
            client_secret: SecretString::from("oauth-secret-value"),
            audience: AUDIENCE.into(),
        };
        let hmac = AuthConfig::Hmac {
            user: "u".into(),
            secret: SecretString::from("hmac-secret-value"),
        };
        let all = format!("{basic:?} {oauth:?} {hmac:?}");
        assert!(all.contains("integration1") && all.contains("cid"));
        for s in ["hunter2-secret", "oauth-secret-value", "hmac-secret-value"] {
            assert!(!all.contains(s), "{s} leaked in {all}");
        }
        let tok = TokenResponse {
            access_token: "tok-value".into(),
            expires_in: None,
        };
        assert!(!format!("{tok:?}").contains("tok-value"));
    }

    #[test]
    fn token_lifetime_and_margin() {
        let t: TokenResponse =
            serde_json::from_str(r#"{"access_token":"a","expires_in":"3600","scope":"x"}"#)
                .unwrap();
        assert_eq!(t.lifetime(), Duration::from_secs(3600));
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(t.lifetime(), Duration::from_secs(86_400));
        assert_eq!(
            refresh_margin(Duration::from_secs(86_400)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(10)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn token_form_is_urlencoded() {
        let body = token_form("id 1", &SecretString::from("s&t"), AUDIENCE);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "grant_type=client_credentials&client_id=id+1&client_secret=s%26t&audience=https%3A%2F%2Fapi.icims.com%2Fv1%2F"
        );
    }
}
