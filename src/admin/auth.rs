//! Staff sign-in: argon2 password hashes, server-side sessions with a CSRF
//! token each, and the cookie that carries the session id.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::config::AdminUser;

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
    expires: Instant,
}

/// Sessions by id, in memory: a restart signs everyone out.
pub struct Sessions {
    lifetime: Duration,
    sessions: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Sessions {
        Sessions {
            lifetime,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session for `user`; returns its id.
    pub fn start(&self, user: &str) -> String {
        let id = random_token();
        let mut sessions = self.lock();
        sessions.retain(|_, s| s.expires > Instant::now());
        sessions.insert(
            id.clone(),
            Session {
                user: user.to_string(),
                csrf: random_token(),
                expires: Instant::now() + self.lifetime,
            },
        );
        id
    }

    /// The live session with this id.
    pub fn get(&self, id: &str) -> Option<Session> {
        self.lock()
            .get(id)
            .filter(|s| s.expires > Instant::now())
            .cloned()
    }

    /// Ends a session.
    pub fn end(&self, id: &str) {
        self.lock().remove(id);
    }
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
    fn sessions_end_and_expire() {
        let sessions = Sessions::new(Duration::from_millis(40));
        let id = sessions.start("staff");
        let session = sessions.get(&id).unwrap();
        assert_eq!(session.user, "staff");
        assert_eq!(session.csrf.len(), 40);
        sessions.end(&id);
        assert!(sessions.get(&id).is_none());
        let id = sessions.start("staff");
        std::thread::sleep(Duration::from_millis(50));
        assert!(sessions.get(&id).is_none());
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
