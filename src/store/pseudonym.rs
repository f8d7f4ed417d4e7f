//! Pseudonymous user keys: the HMAC-SHA256 of a channel's user id with a
//! secret kept in the data directory, so that the log can tell a user's
//! messages apart without holding the user id itself.

use std::fs;
use std::io::Write;
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::StoreError;

/// The secret's file inside the data directory.
pub const KEY_FILE: &str = "pseudonym.key";

/// Turns user ids into stable pseudonyms.
pub struct Pseudonyms {
    key: Vec<u8>,
}

/// The secret's name in a shared database.
const KEY_NAME: &str = "pseudonym_key";

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
