//! Sealing of stored secrets: XChaCha20-Poly1305 with a 256-bit key from
//! `ICIMS_ONBOARD_KEY` (64 hex digits) or a 0600 key file created on first use.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

use super::{Result, StoreError};

/// The key that seals and opens stored secrets.
pub struct KeyRing {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyRing(..)")
    }
}

/// A sealed value: nonce and ciphertext with tag.
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl KeyRing {
    /// A key ring from 32 raw bytes.
    pub fn from_bytes(key: &[u8; 32]) -> KeyRing {
        KeyRing {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    /// `ICIMS_ONBOARD_KEY` if set, else the key file at `path` (created 0600 if absent).
    pub fn from_env_or_file(path: &Path) -> Result<KeyRing> {
        if let Ok(text) = std::env::var("ICIMS_ONBOARD_KEY") {
            let key = parse_key(&text)
                .ok_or_else(|| StoreError::Key("ICIMS_ONBOARD_KEY must be 64 hex digits".into()))?;
            return Ok(KeyRing::from_bytes(&key));
        }
        if path.exists() {
            let text = fs::read_to_string(path).map_err(|e| {
                StoreError::Key(format!("cannot read key file {}: {e}", path.display()))
            })?;
            let key = parse_key(&text).ok_or_else(|| {
                StoreError::Key(format!(
                    "key file {} is malformed (expected 64 hex digits)",
                    path.display()
                ))
            })?;
            return Ok(KeyRing::from_bytes(&key));
        }
        let key: [u8; 32] = rand::random();
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| {
                StoreError::Key(format!(
                    "cannot create key directory {}: {e}",
                    dir.display()
                ))
            })?;
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| {
                StoreError::Key(format!("cannot create key file {}: {e}", path.display()))
            })?;
        file.write_all(hex::encode(key).as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| {
                StoreError::Key(format!("cannot write key file {}: {e}", path.display()))
            })?;
        tracing::info!(path = %path.display(), "created sealing key file");
        Ok(KeyRing::from_bytes(&key))
    }

    /// Seals `secret`, binding it to `context` (team and credential kind).
    pub fn seal(&self, secret: &SecretString, context: &str) -> Result<Sealed> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.expose_secret().as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| StoreError::Key("sealing failed".into()))?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens a sealed value; fails if the key or the context differ.
    pub fn open(&self, sealed: &Sealed, context: &str) -> Result<SecretString> {
        if sealed.nonce.len() != 24 {
            return Err(StoreError::Corrupt {
                what: format!("secret for {context}"),
                reason: "bad nonce length".into(),
            });
        }
        let nonce = XNonce::from_slice(&sealed.nonce);
        let plain = self
            .cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &sealed.ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| {
                StoreError::Key(format!(
                    "cannot open the secret for {context}: the sealing key differs from the one it was stored with"
                ))
            })?;
        let text = String::from_utf8(plain).map_err(|_| StoreError::Corrupt {
            what: format!("secret for {context}"),
            reason: "not UTF-8".into(),
        })?;
        Ok(SecretString::from(text))
    }
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text.trim()).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_then_open_roundtrips_and_binds_context() {
        let ring = KeyRing::from_bytes(&[7u8; 32]);
        let secret = SecretString::from("hunter2".to_string());
        let sealed = ring.seal(&secret, "1:basic").unwrap();
        assert!(!sealed.ciphertext.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(
            ring.open(&sealed, "1:basic").unwrap().expose_secret(),
            "hunter2"
        );
        assert!(ring.open(&sealed, "2:basic").is_err());
        let other = KeyRing::from_bytes(&[8u8; 32]);
        assert!(other.open(&sealed, "1:basic").is_err());
    }

    #[test]
    fn key_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cfg").join("key");
        let a = KeyRing::from_env_or_file(&path);
        // ICIMS_ONBOARD_KEY may be set by the environment; only check the file path when not.
        if std::env::var("ICIMS_ONBOARD_KEY").is_err() {
            let a = a.unwrap();
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            let sealed = a.seal(&SecretString::from("x".to_string()), "c").unwrap();
            let b = KeyRing::from_env_or_file(&path).unwrap();
            assert_eq!(b.open(&sealed, "c").unwrap().expose_secret(), "x");
        }
    }

    #[test]
    fn malformed_key_file_is_named() {
        if std::env::var("ICIMS_ONBOARD_KEY").is_ok() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        fs::write(&path, "not hex").unwrap();
        let err = KeyRing::from_env_or_file(&path).unwrap_err().to_string();
        assert!(err.contains("malformed") && err.contains("key"), "{err}");
    }
}
