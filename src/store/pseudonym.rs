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

impl Pseudonyms {
    /// Reads the secret from `data_dir`, creating it (readable by the owner
    /// only) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Pseudonyms, StoreError> {
        let path = data_dir.join(KEY_FILE);
        let io_error = |err| StoreError::DataDir(path.display().to_string(), err);
        if let Ok(text) = fs::read_to_string(&path) {
            let key = text.trim().as_bytes().to_vec();
            if key.len() >= 32 {
                return Ok(Pseudonyms { key });
            }
        }
        fs::create_dir_all(data_dir).map_err(io_error)?;
        // Two version-4 UUIDs: 244 bits from the operating system's
        // random source.
        let secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
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
}
