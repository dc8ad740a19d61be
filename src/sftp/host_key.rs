//! Host keys: the SHA-256 fingerprint as OpenSSH prints it, and the check made before
//! any credential is sent.

use base64::Engine;
use sha2::{Digest, Sha256};

/// A server's host key as presented during the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKey {
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...
    pub key_type: String,
    /// `SHA256:<base64 without padding>` of the key blob, like `ssh-keygen -lf`.
    pub fingerprint: String,
}

impl HostKey {
    /// Fingerprint and type of a public key blob (the SSH wire format).
    pub fn from_blob(blob: &[u8]) -> HostKey {
        HostKey {
            key_type: key_type_of_blob(blob).unwrap_or_else(|| "unknown".to_string()),
            fingerprint: fingerprint(blob),
        }
    }
}

/// `SHA256:<base64 no padding>` of a key blob.
pub fn fingerprint(blob: &[u8]) -> String {
    let digest = Sha256::digest(blob);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    )
}

/// The algorithm name at the start of an SSH public key blob (a length-prefixed string).
fn key_type_of_blob(blob: &[u8]) -> Option<String> {
    let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let name = blob.get(4..4 + len)?;
    String::from_utf8(name.to_vec()).ok()
}

/// Normalizes a fingerprint typed by a person: accepts it with or without the
/// `SHA256:` prefix and with trailing `=` padding.
pub fn normalize_fingerprint(text: &str) -> String {
    let t = text.trim();
    let body = t
        .strip_prefix("SHA256:")
        .or_else(|| t.strip_prefix("sha256:"))
        .unwrap_or(t);
    format!("SHA256:{}", body.trim_end_matches('='))
}

/// What the caller knows about the server's key before connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyCheck {
    /// A key is pinned: the server must present exactly this fingerprint.
    Pinned(String),
    /// Nothing pinned. `Some(fp)`: the engineer confirmed this fingerprint (connect only if
    /// it matches). `None`: stop after the handshake and report the fingerprint.
    Unpinned(Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_matches_openssh_format() {
        // `ssh-keygen -lf` of this public key prints
        // 256 SHA256:fUqcMUyGq9/x0zgOUi6L3mKaIw/XNtJFpONcLa6j7oM (ED25519)
        let b64 = "AAAAC3NzaC1lZDI1NTE5AAAAIIXhCHiJ7/BAi1QJBTHGXtfmdh9osPs+NvbTZcIhrV4c";
        let blob = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let key = HostKey::from_blob(&blob);
        assert_eq!(key.key_type, "ssh-ed25519");
        assert_eq!(
            key.fingerprint,
            "SHA256:fUqcMUyGq9/x0zgOUi6L3mKaIw/XNtJFpONcLa6j7oM"
        );
    }

    #[test]
    fn typed_fingerprints_are_normalized() {
        assert_eq!(normalize_fingerprint(" SHA256:abc= "), "SHA256:abc");
        assert_eq!(normalize_fingerprint("abc"), "SHA256:abc");
    }
}
