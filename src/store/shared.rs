//! State that replicas share through the database: named secrets, residents'
//! conversations, staff sessions and sign-in attempts. Rows carry their expiry (Unix milliseconds) and are ignored past
//! it, and pruned by [`Store::prune_expired`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::database::{params, transaction};
use super::{Store, StoreError};

/// A replica not heard from for this long is forgotten.
const GONE_REPLICA: Duration = Duration::from_secs(24 * 3600);

/// A staff session as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub user: String,
    pub csrf: String,
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(super) fn expiry(after: Duration) -> i64 {
    now_ms().saturating_add(after.as_millis().min(i64::MAX as u128) as i64)
}

impl Store {
    /// The secret named `name`; the first replica to ask creates it with
    /// `make`, and every other gets that one.
    pub fn secret(&self, name: &str, make: impl FnOnce() -> String) -> Result<String, StoreError> {
        let mut connection = self.connect()?;
        connection.execute(
            "INSERT INTO secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            params![name, make()],
        )?;
        connection
            .query_row("SELECT value FROM secrets WHERE name = ?1", params![name])?
            .ok_or_else(|| StoreError::Database(format!("the secret {name} was not kept")))?
            .get(0)
    }

    /// The conversation state kept under `key`, unless it has expired.
    pub fn conversation(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.connect()?
            .query_row(
                "SELECT state FROM conversations WHERE key = ?1 AND expires_at > ?2",
                params![key, now_ms()],
            )?
            .map(|row| row.get(0))
            .transpose()
    }

    /// Forgets the conversation under `key`.
    pub fn forget_conversation(&self, key: &str) -> Result<(), StoreError> {
        self.connect()?
            .execute("DELETE FROM conversations WHERE key = ?1", params![key])?;
        Ok(())
    }

    /// Keeps a staff session for `lifetime`.
    pub fn start_session(
        &self,
        id: &str,
        session: &StoredSession,
        lifetime: Duration,
    ) -> Result<(), StoreError> {
        self.connect()?.execute(
            "INSERT INTO admin_sessions (id, user_name, csrf, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, &session.user, &session.csrf, expiry(lifetime)],
        )?;
        Ok(())
    }

    /// The live session with this id.
    pub fn session(&self, id: &str) -> Result<Option<StoredSession>, StoreError> {
        self.connect()?
            .query_row(
                "SELECT user_name, csrf FROM admin_sessions WHERE id = ?1 AND expires_at > ?2",
                params![id, now_ms()],
            )?
            .map(|row| {
                Ok(StoredSession {
                    user: row.get(0)?,
                    csrf: row.get(1)?,
                })
            })
            .transpose()
    }

    /// Ends a session.
    pub fn end_session(&self, id: &str) -> Result<(), StoreError> {
        self.connect()?
            .execute("DELETE FROM admin_sessions WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Counts an attempt under `key` if fewer than `limit` were counted
    /// within the last `window`; false (and not counted) otherwise.
    pub fn count_attempt(
        &self,
        key: &str,
        window: Duration,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut connection = self.connect()?;
        transaction(&mut *connection, |connection| {
            let counted: i64 = connection
                .query_row(
                    "SELECT COUNT(*) FROM sign_in_attempts WHERE key = ?1 AND expires_at > ?2",
                    params![key, now_ms()],
                )?
                .map_or(Ok(0), |row| row.get(0))?;
            if counted >= i64::from(limit) {
                return Ok(false);
            }
            connection.execute(
                "INSERT INTO sign_in_attempts (key, expires_at) VALUES (?1, ?2)",
                params![key, expiry(window)],
            )?;
            Ok(true)
        })
    }

    /// Deletes expired conversations, events, sessions and sign-in
    /// attempts, and replicas not heard from for a day (killed ones never
    /// say goodbye; any events they held were taken over long before);
    /// returns how many.
    pub fn prune_expired(&self) -> Result<u64, StoreError> {
        let mut connection = self.connect()?;
        let now = now_ms();
        let mut pruned = 0;
        for table in [
            "conversations",
            "line_events",
            "admin_sessions",
            "sign_in_attempts",
        ] {
            pruned += connection.execute(
                &format!("DELETE FROM {table} WHERE expires_at <= ?1"),
                params![now],
            )?;
        }
        pruned += connection.execute(
            "DELETE FROM replicas WHERE seen_at <= ?1",
            params![now - GONE_REPLICA.as_millis() as i64],
        )?;
        Ok(pruned)
    }
}
