//! Pseudonymous user keys: the HMAC-SHA256 of a channel's user id with a
//! secret kept in the data directory (or the shared database), so that the
//! log can tell a user's messages apart without holding the user id itself.
//! A key derived from the same secret seals what must rest in the database
//! with a user id in it (queued LINE events) for the servers' eyes only.

use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, Generate, Key};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Bytes of an XChaCha20 nonce.
const NONCE_LEN: usize = 24;

use super::StoreError;

/// The secret's file inside the data directory.
pub const KEY_FILE: &str = "pseudonym.key";

/// Turns user ids into stable pseudonyms, and seals text.
pub struct Pseudonyms {
    key: Vec<u8>,
}

/// What the sealing key is derived for.
const SEALING: &[u8] = b"madoguchi: sealed at rest";

/// The secret's name in a shared database.
pub const KEY_NAME: &str = "pseudonym_key";

impl Pseudonyms {
    /// The pseudonyms of the store's servers: with a shared database, the
    /// secret kept in it (made by the first replica to start), so that every
    /// replica gives a resident the same pseudonym; else the key file in
    /// `data_dir`.
    pub fn of_store(store: &super::Store, data_dir: &Path) -> Result<Pseudonyms, StoreError> {
        if store.shared() {
            let key = store.secret(KEY_NAME, new_secret)?;
            return Ok(Pseudonyms {
                key: key.into_bytes(),
            });
        }
        Pseudonyms::load_or_create(data_dir)
    }

    /// Reads the secret from `data_dir`, creating it (readable by the owner
    /// only) on first use. A key file that exists but cannot be read, or is
    /// too short, is an error: replacing it would cut every resident's
    /// history.
    pub fn load_or_create(data_dir: &Path) -> Result<Pseudonyms, StoreError> {
        let path = data_dir.join(KEY_FILE);
        let io_error = |err| StoreError::DataDir(path.display().to_string(), err);
        let unusable = |why: String| {
            StoreError::PseudonymKey(format!(
                "{}: {why}; restore it from a backup (or fix its permissions), or delete it to start new pseudonyms, which cuts every resident's history in the log",
                path.display()
            ))
        };
        match fs::read_to_string(&path) {
            Ok(text) => {
                let key = text.trim().as_bytes().to_vec();
                if key.len() >= 32 {
                    return Ok(Pseudonyms { key });
                }
                return Err(unusable(format!(
                    "the key is {} bytes long, not at least 32",
                    key.len()
                )));
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(unusable(format!("cannot be read ({err})"))),
        }
        fs::create_dir_all(data_dir).map_err(io_error)?;
        let secret = new_secret();
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(io_error)?;
        file.write_all(secret.as_bytes()).map_err(io_error)?;
        file.sync_all().map_err(io_error)?;
        Ok(Pseudonyms {
            key: secret.into_bytes(),
        })
    }

    /// `text` encrypted and authenticated (XChaCha20-Poly1305 with a random
    /// nonce), as base64.
    pub fn seal(&self, text: &str) -> String {
        let nonce = XNonce::generate();
        let sealed = self
            .cipher()
            .encrypt(&nonce, text.as_bytes())
            .expect("sealing into memory cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        BASE64.encode(bytes)
    }

    /// The text `seal` sealed with this secret; `None` if it was sealed
    /// with another or changed since.
    pub fn unseal(&self, sealed: &str) -> Option<String> {
        let bytes = BASE64.decode(sealed).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).ok()?;
        let text = self.cipher().decrypt(&nonce, sealed).ok()?;
        String::from_utf8(text).ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key size");
        mac.update(SEALING);
        let derived: [u8; 32] = mac.finalize().into_bytes().into();
        XChaCha20Poly1305::new(&Key::<XChaCha20Poly1305>::from(derived))
    }

    /// The pseudonym of `user_id` on `channel`: 32 hex digits.
    pub fn of(&self, channel: &str, user_id: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key size");
        mac.update(channel.as_bytes());
        mac.update(b"\0");
        mac.update(user_id.as_bytes());
        mac.finalize().into_bytes()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Two version-4 UUIDs: 244 bits from the operating system's random
/// source.
fn new_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_across_restarts_and_hide_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let first = Pseudonyms::load_or_create(dir.path()).unwrap();
        let id = "U4af4980629a0c2f8d6e1f7b1c5a3e7d9";
        let pseudonym = first.of("line", id);
        assert_eq!(pseudonym.len(), 32);
        assert!(!pseudonym.contains(id));
        let again = Pseudonyms::load_or_create(dir.path()).unwrap();
        assert_eq!(again.of("line", id), pseudonym);
        assert_ne!(again.of("line", "U0000"), pseudonym);
        assert_ne!(again.of("web", id), pseudonym);

        let elsewhere = tempfile::tempdir().unwrap();
        let other = Pseudonyms::load_or_create(elsewhere.path()).unwrap();
        assert_ne!(
            other.of("line", id),
            pseudonym,
            "each server has its own secret"
        );
    }

    #[test]
    fn sealed_text_opens_with_the_same_secret_only() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Pseudonyms::load_or_create(dir.path()).unwrap();
        let text = r#"{"source":{"userId":"U4af4980629a0c2f8d6e1f7b1c5a3e7d9"}}"#;
        let sealed = keys.seal(text);
        assert!(!sealed.contains("U4af49806"));
        assert_ne!(keys.seal(text), sealed, "a new nonce each time");
        assert_eq!(keys.unseal(&sealed).as_deref(), Some(text));
        let other = Pseudonyms::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert_eq!(other.unseal(&sealed), None);
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(keys.unseal(&String::from_utf8(tampered).unwrap()), None);
        assert_eq!(keys.unseal("not base64!"), None);
    }

    #[test]
    fn a_key_that_exists_but_cannot_be_used_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, "short").unwrap();
        let err = Pseudonyms::load_or_create(dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains(&path.display().to_string()) && err.contains("32"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "short",
            "left as it was"
        );
        // A directory where the key should be cannot be read as a file.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        let err = Pseudonyms::load_or_create(dir.path())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("cannot be read") && err.contains("restore"),
            "{err}"
        );
    }
}
