//! Staff sign-in: argon2 password hashes, server-side sessions with a CSRF
//! token each, and the cookie that carries the session id.

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::config::AdminUser;
use crate::store::shared::StoredSession;
use crate::store::{Store, StoreError};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "madoguchi_admin";
/// The cookie holding the sign-in form's CSRF token.
pub const LOGIN_COOKIE: &str = "madoguchi_login";

/// An argon2id hash of `password`, as the config file takes it.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|err| err.to_string())
}

/// A random token for cookies and forms: 128 bits from the operating
/// system, as 32 hex digits.
pub fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string()[..8]
}

/// Compares two strings in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The staff who may sign in.
pub struct Users {
    users: Vec<AdminUser>,
    /// Checked for unknown names, so they take as long as wrong passwords.
    decoy: String,
}

impl Users {
    /// Checks every hash; a malformed one is an error naming its user.
    pub fn new(users: Vec<AdminUser>) -> Result<Users, String> {
        for user in &users {
            PasswordHash::new(&user.password_hash).map_err(|err| {
                format!(
                    "admin user `{}`: the password hash is not valid ({err}); make one with `madoguchi hash-password`",
                    user.name
                )
            })?;
        }
        Ok(Users {
            users,
            decoy: hash_password(&random_token())?,
        })
    }

    /// The member of staff with this name.
    pub fn get(&self, name: &str) -> Option<&AdminUser> {
        self.users.iter().find(|u| u.name == name)
    }

    /// Whether anyone can sign in.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Whether `password` is `name`'s. Takes about as long for an unknown
    /// name as for a wrong password.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let user = self.users.iter().find(|u| u.name == name);
        let hash = user.map_or(self.decoy.as_str(), |u| u.password_hash.as_str());
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        matches && user.is_some()
    }
}

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    /// Every form must carry it back.
    pub csrf: String,
}

/// Sessions by id, kept in the store: they outlive a restart, and with a
/// shared database every replica knows them.
pub struct Sessions {
    lifetime: Duration,
    store: Arc<Store>,
}

impl Sessions {
    pub fn new(store: Arc<Store>, lifetime: Duration) -> Sessions {
        Sessions { lifetime, store }
    }

    /// Starts a session for `user`; returns its id.
    pub async fn start(&self, user: &str) -> Result<String, StoreError> {
        let id = random_token();
        let session = StoredSession {
            user: user.to_string(),
            csrf: random_token(),
        };
        let (store, key, lifetime) = (self.store.clone(), id.clone(), self.lifetime);
        blocking(move || store.start_session(&key, &session, lifetime)).await?;
        Ok(id)
    }

    /// The live session with this id; none when the store cannot say.
    pub async fn get(&self, id: &str) -> Option<Session> {
        let (store, id) = (self.store.clone(), id.to_string());
        match blocking(move || store.session(&id)).await {
            Ok(found) => found.map(|s| Session {
                user: s.user,
                csrf: s.csrf,
            }),
            Err(err) => {
                tracing::error!(error = %err, "cannot read staff sessions");
                None
            }
        }
    }

    /// Ends a session.
    pub async fn end(&self, id: &str) -> Result<(), StoreError> {
        let (store, id) = (self.store.clone(), id.to_string());
        blocking(move || store.end_session(&id)).await
    }
}

/// Which sign-in limit an attempt is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLimit {
    /// Too many attempts from one client address this minute.
    Address,
    /// Too many attempts for one account this hour, from anywhere.
    Account,
}

/// Staff sign-in attempts allowed per client address a minute and per
/// account an hour, counted in the store, so that every replica counts the
/// same attempts (and a restart forgets none).
pub struct SignInLimits {
    store: Arc<Store>,
    per_address_per_minute: u32,
    per_account_per_hour: u32,
}

impl SignInLimits {
    pub fn new(
        store: Arc<Store>,
        per_address_per_minute: u32,
        per_account_per_hour: u32,
    ) -> SignInLimits {
        SignInLimits {
            store,
            per_address_per_minute: per_address_per_minute.max(1),
            per_account_per_hour: per_account_per_hour.max(1),
        }
    }

    /// Counts an attempt from `address` for `user`; the limit it is over,
    /// if any (an attempt over the address's limit is not counted against
    /// the account).
    pub async fn attempt(
        &self,
        address: std::net::IpAddr,
        user: &str,
    ) -> Result<Option<OverLimit>, StoreError> {
        let store = self.store.clone();
        let (address_key, account_key) = (format!("address:{address}"), format!("account:{user}"));
        let (per_minute, per_hour) = (self.per_address_per_minute, self.per_account_per_hour);
        blocking(move || {
            if !store.count_attempt(&address_key, Duration::from_secs(60), per_minute)? {
                return Ok(Some(OverLimit::Address));
            }
            if !store.count_attempt(&account_key, Duration::from_secs(3600), per_hour)? {
                return Ok(Some(OverLimit::Account));
            }
            Ok(None)
        })
        .await
    }
}

/// Runs a store call on the blocking pool.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    actix_web::web::block(call)
        .await
        .map_err(|err| StoreError::Writer(err.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("かいづ-2026").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let users = Users::new(vec![AdminUser {
            name: "staff".into(),
            password_hash: hash,
            ..Default::default()
        }])
        .unwrap();
        assert!(users.verify("staff", "かいづ-2026"));
        assert!(!users.verify("staff", "かいづ-2025"));
        assert!(!users.verify("other", "かいづ-2026"));
        let broken = Users::new(vec![AdminUser {
            name: "staff".into(),
            password_hash: "plain-text".into(),
            ..Default::default()
        }]);
        assert!(broken.err().unwrap().contains("hash-password"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
