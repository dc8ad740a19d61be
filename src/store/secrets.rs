//! Sealing of stored secrets: XChaCha20-Poly1305 with a 256-bit key from
//! `ICIMS_ONBOARD_KEY` (64 hex digits) or a 0600 key file created on first use.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};

use rusqlite::OptionalExtension;

use super::{Result, StoreError};

/// The key that seals and opens stored secrets.
pub struct KeyRing {
    cipher: XChaCha20Poly1305,
    /// Where the key came from, for messages (`ICIMS_ONBOARD_KEY`, `key file PATH`).
    source: String,
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
            source: "the key given".into(),
        }
    }

    /// Where this key came from, for messages.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `ICIMS_ONBOARD_KEY` if set, else the key file at `path` (created 0600 if absent).
    pub fn from_env_or_file(path: &Path) -> Result<KeyRing> {
        KeyRing::load(path, false, 0)
    }

    /// `ICIMS_ONBOARD_KEY` if set, else the key file at `path`. A key file readable by
    /// group or others is refused (as OpenSSH refuses such private keys), naming the
    /// `chmod` to run. A missing key file is created (0600, in a folder made 0700 only if
    /// this creates it) unless `must_exist` — the store holds `sealed` secrets that only
    /// the lost key opens — which is an error saying so.
    pub fn load(path: &Path, must_exist: bool, sealed: i64) -> Result<KeyRing> {
        if let Ok(text) = std::env::var("ICIMS_ONBOARD_KEY") {
            let key = parse_key(&text)
                .ok_or_else(|| StoreError::Key("ICIMS_ONBOARD_KEY must be 64 hex digits".into()))?;
            return Ok(KeyRing {
                source: "ICIMS_ONBOARD_KEY".into(),
                ..KeyRing::from_bytes(&key)
            });
        }
        let shown = path.display();
        match fs::metadata(path) {
            Ok(meta) => {
                let mode = meta.permissions().mode() & 0o777;
                if mode & 0o077 != 0 {
                    return Err(StoreError::Key(format!(
                        "key file {shown} is accessible by group or others (mode {mode:04o}); \
                         refusing to use it — run `chmod 600 {shown}` (and consider the key \
                         exposed if others could read it)"
                    )));
                }
                let text = fs::read_to_string(path)
                    .map_err(|e| StoreError::Key(format!("cannot read key file {shown}: {e}")))?;
                let key = parse_key(&text).ok_or_else(|| {
                    StoreError::Key(format!(
                        "key file {shown} is malformed (expected 64 hex digits)"
                    ))
                })?;
                return Ok(KeyRing {
                    source: format!("key file {shown}"),
                    ..KeyRing::from_bytes(&key)
                });
            }
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(StoreError::Key(format!(
                    "cannot read key file {shown}: {e}"
                )));
            }
            Err(_) => {}
        }
        if must_exist {
            return Err(StoreError::Key(format!(
                "key file {shown} is missing, but the database holds {sealed} sealed \
                 credential(s) that only the key it held can open; restore the key file \
                 (or set ICIMS_ONBOARD_KEY / ICIMS_ONBOARD_KEY_FILE to it) — a new key \
                 was not made"
            )));
        }
        let key: [u8; 32] = rand::random();
        if let Some(dir) = path.parent() {
            crate::paths::create_private_dirs(dir).map_err(|e| {
                StoreError::Key(format!(
                    "cannot create key directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| StoreError::Key(format!("cannot create key file {shown}: {e}")))?;
        file.write_all(hex::encode(key).as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| StoreError::Key(format!("cannot write key file {shown}: {e}")))?;
        tracing::info!(path = %shown, "created sealing key file");
        Ok(KeyRing {
            source: format!("key file {shown}"),
            ..KeyRing::from_bytes(&key)
        })
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

/// The associated data of the key-check value.
const KEY_CHECK_CONTEXT: &str = "icims-onboard:key-check";

/// Sealed values in the store (credentials and the key check).
pub fn sealed_count(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT (SELECT count(*) FROM credentials) + (SELECT count(*) FROM key_check)",
        [],
        |r| r.get(0),
    )?)
}

/// Checks `ring` against the store's sealed key-check value. The first key a store sees
/// seals the value (a store from before the check adopts the key that opens its stored
/// credentials); a key that does not open it is refused, before anything is written.
pub fn check_key(conn: &rusqlite::Connection, ring: &KeyRing) -> Result<()> {
    let refuse = || {
        StoreError::Key(format!(
            "the sealing key differs from the one this database's credentials were sealed \
             with ({} does not open the store's key check); nothing was stored with it — use \
             the right key (ICIMS_ONBOARD_KEY or the key file)",
            ring.source
        ))
    };
    let stored = |conn: &rusqlite::Connection| -> Result<Option<Sealed>> {
        Ok(conn
            .query_row(
                "SELECT nonce, sealed FROM key_check WHERE id = 1",
                [],
                |r| {
                    Ok(Sealed {
                        nonce: r.get(0)?,
                        ciphertext: r.get(1)?,
                    })
                },
            )
            .optional()?)
    };
    if let Some(sealed) = stored(conn)? {
        return ring
            .open(&sealed, KEY_CHECK_CONTEXT)
            .map(|_| ())
            .map_err(|_| refuse());
    }
    // No check value yet: an older store with credentials must be opened by this key.
    let existing: Option<(i64, String, Vec<u8>, Vec<u8>)> = conn
        .query_row(
            "SELECT team_id, kind, nonce, sealed FROM credentials LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    if let Some((team_id, kind, nonce, ciphertext)) = existing {
        let context = format!("icims-onboard:{team_id}:{kind}");
        ring.open(&Sealed { nonce, ciphertext }, &context)
            .map_err(|_| refuse())?;
    }
    let check = ring.seal(
        &SecretString::from(hex::encode(rand::random::<[u8; 16]>())),
        KEY_CHECK_CONTEXT,
    )?;
    conn.execute(
        "INSERT OR IGNORE INTO key_check (id, nonce, sealed, created_at) VALUES (1, ?1, ?2, ?3)",
        rusqlite::params![check.nonce, check.ciphertext, super::now_text()],
    )?;
    // Another process may have won the race with another key: check what is stored.
    match stored(conn)? {
        Some(sealed) => ring
            .open(&sealed, KEY_CHECK_CONTEXT)
            .map(|_| ())
            .map_err(|_| refuse()),
        None => Ok(()),
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
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = KeyRing::from_env_or_file(&path).unwrap_err().to_string();
        assert!(err.contains("malformed") && err.contains("key"), "{err}");
    }
}
