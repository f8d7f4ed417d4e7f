//! Durable records in an embedded SQLite database: the replies given and the
//! feedback on them.

use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those
/// applied.
const MIGRATIONS: [&str; 1] = [include_str!("migrations/0001_replies_and_feedback.sql")];

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "madoguchi.sqlite3";

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// One reply, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRecord {
    pub id: String,
    pub channel: String,
    pub session: Option<String>,
    pub decision: String,
    pub entry_id: Option<String>,
    pub content_version: String,
}

/// Feedback counts for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFeedback {
    pub entry_id: String,
    pub helpful: i64,
    pub not_helpful: i64,
}

/// The SQLite database (WAL mode), shared by the request handlers.
pub struct Store {
    connection: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and brings its
    /// schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|err| StoreError::DataDir(data_dir.display().to_string(), err))?;
        let connection = Connection::open(data_dir.join(DATABASE_FILE))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&connection)?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a reply.
    pub fn record_reply(&self, reply: &ReplyRecord) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO replies (id, created_at, channel, session, decision, entry_id, content_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                reply.id,
                now(),
                reply.channel,
                reply.session,
                reply.decision,
                reply.entry_id,
                reply.content_version
            ],
        )?;
        Ok(())
    }

    /// Records (or changes) the vote on a reply. False if no such reply.
    pub fn record_feedback(&self, reply_id: &str, helpful: bool) -> Result<bool, StoreError> {
        let connection = self.lock();
        let exists: Option<String> = connection
            .query_row("SELECT id FROM replies WHERE id = ?1", [reply_id], |row| {
                row.get(0)
            })
            .optional()?;
        if exists.is_none() {
            return Ok(false);
        }
        connection.execute(
            "INSERT INTO feedback (reply_id, helpful, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (reply_id) DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            params![reply_id, helpful, now()],
        )?;
        Ok(true)
    }

    /// Helpful and not-helpful votes per answered entry, worst ratio first.
    pub fn feedback_by_entry(&self) -> Result<Vec<EntryFeedback>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT r.entry_id, SUM(f.helpful), SUM(1 - f.helpful)
             FROM feedback f JOIN replies r ON r.id = f.reply_id
             WHERE r.entry_id IS NOT NULL
             GROUP BY r.entry_id
             ORDER BY CAST(SUM(f.helpful) AS REAL) / COUNT(*), r.entry_id",
        )?;
        let rows = statement.query_map([], |row| {
            Ok(EntryFeedback {
                entry_id: row.get(0)?,
                helpful: row.get(1)?,
                not_helpful: row.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn migrate(connection: &Connection) -> Result<(), StoreError> {
    let applied: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (number, migration) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        connection.execute_batch(&format!(
            "BEGIN; {migration} PRAGMA user_version = {}; COMMIT;",
            number + 1
        ))?;
    }
    Ok(())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(id: &str, entry: Option<&str>) -> ReplyRecord {
        ReplyRecord {
            id: id.into(),
            channel: "web".into(),
            session: Some("s".into()),
            decision: "answer".into(),
            entry_id: entry.map(String::from),
            content_version: "v1".into(),
        }
    }

    #[test]
    fn feedback_is_kept_per_reply_and_summed_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.record_reply(&reply("a", Some("koseki"))).unwrap();
        store.record_reply(&reply("b", Some("koseki"))).unwrap();
        store.record_reply(&reply("c", Some("tenkyo"))).unwrap();
        assert!(store.record_feedback("a", false).unwrap());
        assert!(
            store.record_feedback("a", true).unwrap(),
            "a vote can be changed"
        );
        assert!(store.record_feedback("b", false).unwrap());
        assert!(store.record_feedback("c", true).unwrap());
        assert!(!store.record_feedback("missing", true).unwrap());
        let summary = store.feedback_by_entry().unwrap();
        assert_eq!(
            summary[0],
            EntryFeedback {
                entry_id: "koseki".into(),
                helpful: 1,
                not_helpful: 1
            }
        );
        assert_eq!(summary[1].entry_id, "tenkyo");
    }

    #[test]
    fn reopening_keeps_the_data_and_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path())
            .unwrap()
            .record_reply(&reply("a", None))
            .unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert!(store.record_feedback("a", true).unwrap());
        let version: i64 = store
            .lock()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
