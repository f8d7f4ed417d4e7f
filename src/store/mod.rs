//! Durable records in an embedded SQLite database: the replies given and the
//! feedback on them.

pub mod content;
pub mod log;
pub mod pseudonym;
pub mod retry;
pub mod spreadsheet;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, params};

/// Schema migrations, applied in order; `PRAGMA user_version` counts those
/// applied.
const MIGRATIONS: [&str; 5] = [
    include_str!("migrations/0001_replies_and_feedback.sql"),
    include_str!("migrations/0002_query_log.sql"),
    include_str!("migrations/0003_lighter_reply_writes.sql"),
    include_str!("migrations/0004_client_network.sql"),
    include_str!("migrations/0005_drafts_revisions_audit.sql"),
];

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "madoguchi.sqlite3";

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("storing replies: {0}")]
    Writer(String),
    #[error("writing the export: {0}")]
    Export(String),
    #[error("the pseudonym key {0}")]
    PseudonymKey(String),
}

/// One query and the reply to it, as recorded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplyRecord {
    pub id: String,
    pub channel: String,
    /// The pseudonymous key of the user or session.
    pub session: Option<String>,
    /// The network the request came from (`203.0.113.0/24`), for web
    /// requests; never the full address.
    pub client: Option<String>,
    /// The resident's message; personal data is masked before it is written.
    pub text: String,
    /// Typed by the resident (not a tapped button or a vote): only typed
    /// messages are reviewed as questions.
    pub typed: bool,
    /// The words searched for, to group similar questions.
    pub words: Vec<String>,
    /// `answer`, `choices`, `rule` or `fallback`.
    pub decision: String,
    pub entry_id: Option<String>,
    /// `high`, `medium` or `low`, for answers.
    pub confidence: Option<String>,
    /// The best candidates and their scores, best first.
    pub candidates: Vec<(String, f32)>,
    pub content_version: String,
    /// Numbers the content itself publishes (the city's phone numbers),
    /// left unmasked in the text; not written.
    pub public_numbers: Arc<[String]>,
}

impl ReplyRecord {
    /// The record as it may be written: the text masked, and words that
    /// could carry personal data (digits, addresses) dropped.
    fn masked(mut self) -> ReplyRecord {
        self.text = crate::text::mask::mask_keeping(&self.text, &self.public_numbers);
        self.words
            .retain(|w| !w.chars().any(|c| c.is_ascii_digit() || c == '@'));
        self
    }
}

/// Feedback counts for one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFeedback {
    pub entry_id: String,
    pub helpful: i64,
    pub not_helpful: i64,
}

/// Most replies committed in one transaction.
const MAX_BATCH: usize = 256;

/// How long the writer gathers replies for one commit while they come in
/// faster than it commits them. Fewer, larger commits write far fewer pages
/// to the write-ahead log.
const GATHER_FOR: Duration = Duration::from_millis(1);

/// A reply waiting for the writer, and who to tell once it is committed.
type PendingReply = (
    ReplyRecord,
    tokio::sync::oneshot::Sender<Result<(), String>>,
);

/// How often the write-ahead log is copied into the database.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Frames (pages, 64 MB) the write-ahead log may hold after a checkpoint
/// before the checkpoint thread makes it start over. Each start-over holds
/// replies back for a few milliseconds (the database file is synced), so
/// under full load it comes every two or three seconds, not every second.
/// Under lighter load the log starts over by itself, whenever a checkpoint
/// has copied all of it.
const RESTART_AFTER_FRAMES: i64 = 16_000;

/// Passive checkpoints run one after another while commits keep adding more
/// than [`CAUGHT_UP_FRAMES`] frames, at most this many times, before the
/// writer is held back.
const CATCH_UP_ROUNDS: usize = 8;

/// Frames added during a passive checkpoint below which the checkpoint has
/// caught up with the writer.
const CAUGHT_UP_FRAMES: i64 = 100;

/// How long a restart of the write-ahead log waits for readers still on an
/// older snapshot (an export, say) while it holds the writer back; past that
/// it gives up until the next checkpoint.
const RESTART_PATIENCE: Duration = Duration::from_millis(20);

/// Bytes the write-ahead log file is cut back to when it starts over: more
/// than it reaches under full load, so that its blocks are not allocated
/// again after every start-over.
const WAL_SIZE_LIMIT: i64 = 128 * 1024 * 1024;

/// The SQLite database (WAL mode), shared by the request handlers. Replies
/// go through one writer thread that commits whatever has queued up in one
/// transaction (group commit), so many concurrent requests cost one commit.
/// A commit only appends to the write-ahead log; a thread of its own copies
/// the log into the database (the checkpoint, which syncs to disk) every
/// second, so no reply waits for that. The log starts over only once all of
/// it is copied, which never happens while commits keep coming; so when much
/// is left after a checkpoint, the checkpoint thread holds the writer back
/// for the short time it takes to copy the rest.
pub struct Store {
    connection: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<PendingReply>,
    /// Dropped with the store, which stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
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
        connection.busy_timeout(Duration::from_secs(5))?;
        migrate(&connection)?;
        let writer_connection = Connection::open(data_dir.join(DATABASE_FILE))?;
        writer_connection.busy_timeout(Duration::from_secs(5))?;
        writer_connection.pragma_update(None, "synchronous", "NORMAL")?;
        writer_connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer_connection.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        let checkpoint_connection = Connection::open(data_dir.join(DATABASE_FILE))?;
        checkpoint_connection.busy_timeout(RESTART_PATIENCE)?;
        let writing = Arc::new(Mutex::new(()));
        let checkpoint_writing = writing.clone();
        let thread_error = |err| StoreError::DataDir(data_dir.display().to_string(), err);
        let (writer, queue) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write_replies(writer_connection, queue, &writing))
            .map_err(thread_error)?;
        let (checkpoints, stop) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                checkpoint_until_dropped(checkpoint_connection, stop, &checkpoint_writing)
            })
            .map_err(thread_error)?;
        Ok(Store {
            connection: Mutex::new(connection),
            writer,
            _checkpoints: checkpoints,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        lock(&self.connection)
    }

    /// Records a reply; resolves once it is committed.
    pub async fn record_reply(&self, reply: ReplyRecord) -> Result<(), StoreError> {
        committed(self.enqueue(reply)?.await)
    }

    /// Records a reply from a thread outside the async runtime.
    pub fn record_reply_blocking(&self, reply: ReplyRecord) -> Result<(), StoreError> {
        committed(self.enqueue(reply)?.blocking_recv())
    }

    /// Hands a reply to the writer thread, masked.
    fn enqueue(
        &self,
        reply: ReplyRecord,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<(), String>>, StoreError> {
        let (done, committed) = tokio::sync::oneshot::channel();
        self.writer
            .send((reply.masked(), done))
            .map_err(|_| StoreError::Writer("the writer has stopped".into()))?;
        Ok(committed)
    }

    /// Whether the database takes writes now: takes the write lock and
    /// lets it go.
    pub fn probe_writable(&self) -> Result<(), StoreError> {
        let connection = self.lock();
        connection.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")?;
        Ok(())
    }

    /// Copies the whole write-ahead log into the database and empties it;
    /// for a clean stop, once no more replies come.
    pub fn checkpoint_all(&self) -> Result<(), StoreError> {
        self.lock()
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
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

/// What the writer said of a reply.
fn committed(
    answer: Result<Result<(), String>, tokio::sync::oneshot::error::RecvError>,
) -> Result<(), StoreError> {
    answer
        .map_err(|_| StoreError::Writer("the writer has stopped".into()))?
        .map_err(StoreError::Writer)
}

/// The checkpoint thread: copies the write-ahead log into the database every
/// [`CHECKPOINT_INTERVAL`] without blocking the writer (a passive checkpoint),
/// until the store is dropped. The log starts over only once every frame in
/// it is copied, which never happens while commits keep coming; so when more
/// than [`RESTART_AFTER_FRAMES`] remain, the thread catches up with passive
/// checkpoints, then takes `writing` from the writer for the last few frames.
fn checkpoint_until_dropped(
    connection: Connection,
    stop: std::sync::mpsc::Receiver<()>,
    writing: &Mutex<()>,
) {
    // The number of frames in the log.
    let checkpoint = |mode: &str| -> Result<i64, rusqlite::Error> {
        connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
            row.get(1)
        })
    };
    let copy_all = || -> Result<(), rusqlite::Error> {
        let mut frames = checkpoint("PASSIVE")?;
        if frames <= RESTART_AFTER_FRAMES {
            return Ok(());
        }
        for _ in 0..CATCH_UP_ROUNDS {
            let before = frames;
            frames = checkpoint("PASSIVE")?;
            if frames - before <= CAUGHT_UP_FRAMES {
                break;
            }
        }
        let _writer_waits = lock(writing);
        checkpoint("RESTART").map(drop)
    };
    while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
        stop.recv_timeout(CHECKPOINT_INTERVAL)
    {
        if let Err(err) = copy_all() {
            tracing::warn!(error = %err, "checkpoint of the query log failed");
        }
    }
}

/// The writer thread: waits for a reply, takes every other one already
/// queued (when the last commit was shared, also those that come within
/// [`GATHER_FOR`]), commits them together holding `writing`, and tells each
/// sender.
fn write_replies(
    mut connection: Connection,
    queue: std::sync::mpsc::Receiver<PendingReply>,
    writing: &Mutex<()>,
) {
    let mut busy = false;
    while let Ok(first) = queue.recv() {
        if busy {
            // Asleep rather than waiting on the queue, so that queueing a
            // reply does not wake the writer each time.
            std::thread::sleep(GATHER_FOR);
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        busy = batch.len() > 1;
        let result = {
            let _checkpoint_waits = lock(writing);
            insert_replies(&mut connection, batch.iter().map(|(reply, _)| reply))
                .map_err(|err| err.to_string())
        };
        if let Err(err) = &result {
            tracing::error!(error = %err, replies = batch.len(), "storing replies failed");
        }
        for (_, done) in batch {
            let _ = done.send(result.clone());
        }
    }
}

/// Locks `mutex`, also when a thread panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn insert_replies<'a>(
    connection: &mut Connection,
    replies: impl Iterator<Item = &'a ReplyRecord>,
) -> Result<(), rusqlite::Error> {
    let transaction = connection.transaction()?;
    {
        let mut insert = transaction.prepare_cached(
            "INSERT INTO replies (id, created_at, channel, session, text, typed, words, decision,
                                  entry_id, confidence, candidates, content_version, client)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for reply in replies {
            let candidates = serde_json::to_string(&reply.candidates).unwrap_or_default();
            insert.execute(params![
                reply.id,
                now(),
                reply.channel,
                reply.session,
                reply.text,
                reply.typed,
                reply.words.join(" "),
                reply.decision,
                reply.entry_id,
                reply.confidence,
                candidates,
                reply.content_version,
                reply.client
            ])?;
        }
    }
    transaction.commit()
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
            client: None,
            text: "住民票がほしい".into(),
            typed: true,
            words: vec!["住民票".into()],
            decision: "answer".into(),
            entry_id: entry.map(String::from),
            confidence: Some("high".into()),
            candidates: vec![("koseki".into(), 12.5)],
            content_version: "v1".into(),
            public_numbers: Default::default(),
        }
    }

    fn record(store: &Store, reply: ReplyRecord) {
        block_on(store.record_reply(reply)).unwrap();
    }

    /// Drives a future to completion on this thread.
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn feedback_is_kept_per_reply_and_summed_per_entry() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        record(&store, reply("a", Some("koseki")));
        record(&store, reply("b", Some("koseki")));
        record(&store, reply("c", Some("tenkyo")));
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
    fn concurrent_replies_are_all_committed() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(dir.path()).unwrap());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        runtime.block_on(async {
            let tasks: Vec<_> = (0..500)
                .map(|i| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        store
                            .record_reply(reply(&format!("r{i}"), Some("koseki")))
                            .await
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap().unwrap();
            }
        });
        let count: i64 = store
            .lock()
            .query_row("SELECT COUNT(*) FROM replies", [], |r| r.get(0))
            .unwrap();
        assert_eq!(count, 500);
    }

    #[test]
    fn reopening_keeps_the_data_and_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        record(&Store::open(dir.path()).unwrap(), reply("a", None));
        let store = Store::open(dir.path()).unwrap();
        assert!(store.record_feedback("a", true).unwrap());
        let version: i64 = store
            .lock()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
