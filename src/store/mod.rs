//! Durable records: the replies given and the feedback on them, the review
//! of unanswered questions, and staff's drafts, revisions and audit log; in
//! an embedded SQLite database or in PostgreSQL.

pub mod content;
pub mod database;
pub mod disaster;
pub mod handoff;
pub mod log;
pub mod migrate;
pub mod postgres;
pub mod pseudonym;
pub mod queue;
pub mod retry;
pub mod shared;
pub mod spreadsheet;
pub mod sqlite;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::StoreSettings;
use database::{Connection, Database, params, transaction};
use postgres::PostgresDatabase;
pub use sqlite::DATABASE_FILE;
use sqlite::SqliteDatabase;

/// Failures of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Database(String),
    #[error("no query log in {0}: name the server's --data-dir, or its store.database_url")]
    NoLog(String),
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
    /// The channel's message this replies to (a pseudonym of its id), for
    /// messages the resident can take back (LINE's unsend).
    pub source_message: Option<String>,
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

/// A conversation's state to keep with a reply: written in the reply's
/// transaction, so that it is in the database before the resident sees the
/// reply (and may answer it on another replica), at no extra round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationWrite {
    pub key: String,
    /// The state as JSON.
    pub state: String,
    pub idle: Duration,
}

/// A reply waiting for the writer (with the conversation state to keep),
/// and who to tell once it is committed.
type PendingReply = (
    ReplyRecord,
    Option<ConversationWrite>,
    tokio::sync::oneshot::Sender<Result<(), String>>,
);

/// The store: the query log, feedback, drafts, revisions and the audit log,
/// in SQLite (one server) or PostgreSQL (any number of replicas). Replies
/// go through one writer thread that commits whatever has queued up in one
/// transaction (group commit), so many concurrent requests cost one commit.
pub struct Store {
    database: Arc<dyn Database>,
    writer: std::sync::mpsc::Sender<PendingReply>,
}

impl Store {
    /// Opens the SQLite database in `data_dir` (creating it if needed) and
    /// brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::over(Arc::new(SqliteDatabase::open(data_dir)?))
    }

    /// The store of the settings: PostgreSQL at `database_url` when it is
    /// set (and not empty), else SQLite in `data_dir`.
    pub fn open_configured(data_dir: &Path, settings: &StoreSettings) -> Result<Store, StoreError> {
        match postgres_url(settings) {
            Some(url) => Store::over(Arc::new(PostgresDatabase::open(
                url,
                settings.connections,
                settings.tls_ca_file.as_deref(),
            )?)),
            None => Store::open(data_dir),
        }
    }

    /// Like [`Store::open_configured`], for commands that read what a
    /// server wrote: a SQLite file that does not exist is an error rather
    /// than a new, empty log.
    pub fn open_existing(data_dir: &Path, settings: &StoreSettings) -> Result<Store, StoreError> {
        if postgres_url(settings).is_none() && !data_dir.join(DATABASE_FILE).exists() {
            return Err(StoreError::NoLog(data_dir.display().to_string()));
        }
        Store::open_configured(data_dir, settings)
    }

    /// The store over an open database, its reply writer started.
    fn over(database: Arc<dyn Database>) -> Result<Store, StoreError> {
        let (writer, queue) = std::sync::mpsc::channel();
        let writer_database = database.clone();
        std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || write_replies(&*writer_database, queue))
            .map_err(|err| StoreError::Writer(err.to_string()))?;
        Ok(Store { database, writer })
    }

    /// `sqlite` or `postgresql`.
    pub fn kind(&self) -> &'static str {
        self.database.kind()
    }

    /// Whether several servers share the database (PostgreSQL): state they
    /// share is then kept in it rather than in each process.
    pub fn shared(&self) -> bool {
        self.database.shared()
    }

    /// A connection to run queries on.
    fn connect(&self) -> Result<Box<dyn Connection + '_>, StoreError> {
        self.database.connect()
    }

    /// Records a reply (queued for the writer at once, in the order of the
    /// calls); resolves once it is committed.
    pub fn record_reply(
        &self,
        reply: ReplyRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + use<> {
        let queued = self.enqueue(reply, None);
        async move { committed(queued?.await) }
    }

    /// Records a reply and keeps a conversation's state in the same
    /// transaction; resolves once both are committed.
    pub fn record_reply_with(
        &self,
        reply: ReplyRecord,
        conversation: ConversationWrite,
    ) -> impl Future<Output = Result<(), StoreError>> + use<> {
        let queued = self.enqueue(reply, Some(conversation));
        async move { committed(queued?.await) }
    }

    /// Records a reply from a thread outside the async runtime.
    pub fn record_reply_blocking(&self, reply: ReplyRecord) -> Result<(), StoreError> {
        committed(self.enqueue(reply, None)?.blocking_recv())
    }

    /// Hands a reply to the writer thread, masked.
    fn enqueue(
        &self,
        reply: ReplyRecord,
        conversation: Option<ConversationWrite>,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<(), String>>, StoreError> {
        let (done, committed) = tokio::sync::oneshot::channel();
        self.writer
            .send((reply.masked(), conversation, done))
            .map_err(|_| StoreError::Writer("the writer has stopped".into()))?;
        Ok(committed)
    }

    /// Whether the database takes writes now: starts a writing transaction
    /// and rolls it back.
    pub fn probe_writable(&self) -> Result<(), StoreError> {
        let mut connection = self.connect()?;
        let begin = connection.begin();
        connection.execute_batch(&format!("{begin}; ROLLBACK;"))
    }

    /// Makes everything committed durable in the database's files; for a
    /// clean stop, once no more replies come.
    pub fn checkpoint_all(&self) -> Result<(), StoreError> {
        self.database.flush()
    }

    /// Records (or changes) the vote on a reply. False if no such reply.
    pub fn record_feedback(&self, reply_id: &str, helpful: bool) -> Result<bool, StoreError> {
        let mut connection = self.connect()?;
        let changed = connection.execute(
            "INSERT INTO feedback (reply_id, helpful, created_at)
             SELECT id, ?2, ?3 FROM replies WHERE id = ?1
             ON CONFLICT (reply_id) DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at",
            params![reply_id, helpful, now()],
        )?;
        Ok(changed > 0)
    }

    /// Helpful and not-helpful votes per answered entry, worst ratio first.
    pub fn feedback_by_entry(&self) -> Result<Vec<EntryFeedback>, StoreError> {
        self.connect()?
            .query(
                "SELECT r.entry_id, CAST(SUM(f.helpful) AS BIGINT), CAST(SUM(1 - f.helpful) AS BIGINT)
                 FROM feedback f JOIN replies r ON r.id = f.reply_id
                 WHERE r.entry_id IS NOT NULL
                 GROUP BY r.entry_id
                 ORDER BY CAST(SUM(f.helpful) AS REAL) / COUNT(*), r.entry_id",
                &[],
            )?
            .iter()
            .map(|row| {
                Ok(EntryFeedback {
                    entry_id: row.get(0)?,
                    helpful: row.get(1)?,
                    not_helpful: row.get(2)?,
                })
            })
            .collect()
    }
}

/// The PostgreSQL URL of the settings, unless unset or empty.
fn postgres_url(settings: &StoreSettings) -> Option<&str> {
    settings
        .database_url
        .as_deref()
        .filter(|url| !url.trim().is_empty())
}

/// What the writer said of a reply.
fn committed(
    answer: Result<Result<(), String>, tokio::sync::oneshot::error::RecvError>,
) -> Result<(), StoreError> {
    answer
        .map_err(|_| StoreError::Writer("the writer has stopped".into()))?
        .map_err(StoreError::Writer)
}

/// The writer thread: waits for a reply, takes every other one already
/// queued (when the last commit was shared, also those that come within
/// [`GATHER_FOR`]), commits them together, and tells each sender.
fn write_replies(database: &dyn Database, queue: std::sync::mpsc::Receiver<PendingReply>) {
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
        let result = database
            .writer()
            .and_then(|mut connection| {
                write_batch(
                    &mut *connection,
                    batch.iter().map(|(reply, _, _)| reply),
                    batch
                        .iter()
                        .filter_map(|(_, conversation, _)| conversation.as_ref()),
                )
            })
            .map_err(|err| err.to_string());
        if let Err(err) = &result {
            tracing::error!(error = %err, replies = batch.len(), "storing replies failed");
        }
        for (_, _, done) in batch {
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

/// Replies written by one statement at most: fewer round trips to
/// PostgreSQL (a batch of 256 replies is 8 statements, not 256), and within
/// SQLite's limit of parameters.
const ROWS_PER_INSERT: usize = 32;

/// The columns of a reply as inserted.
const REPLY_COLUMNS: usize = 14;

/// Writes a batch in one transaction: the replies, then the conversations
/// (the last state of each, should a resident have two in the batch).
fn write_batch<'a>(
    connection: &mut dyn Connection,
    replies: impl Iterator<Item = &'a ReplyRecord>,
    conversations: impl Iterator<Item = &'a ConversationWrite>,
) -> Result<(), StoreError> {
    let replies: Vec<&ReplyRecord> = replies.collect();
    let mut latest: Vec<&ConversationWrite> = Vec::new();
    for conversation in conversations {
        latest.retain(|kept| kept.key != conversation.key);
        latest.push(conversation);
    }
    // In key order: two replicas' writers lock the rows they share in the
    // same order, so neither waits for the other in a deadlock.
    latest.sort_by(|a, b| a.key.cmp(&b.key));
    let created_at = now();
    transaction(connection, |connection| {
        for chunk in replies.chunks(ROWS_PER_INSERT) {
            let mut values = Vec::with_capacity(chunk.len() * REPLY_COLUMNS);
            for reply in chunk {
                let candidates = serde_json::to_string(&reply.candidates).unwrap_or_default();
                values.extend_from_slice(params![
                    &reply.id,
                    created_at,
                    &reply.channel,
                    reply.session.as_deref(),
                    &reply.text,
                    reply.typed,
                    reply.words.join(" "),
                    &reply.decision,
                    reply.entry_id.as_deref(),
                    reply.confidence.as_deref(),
                    candidates,
                    &reply.content_version,
                    reply.client.as_deref(),
                    reply.source_message.as_deref()
                ]);
            }
            connection.execute(&insert_replies_sql(chunk.len()), &values)?;
        }
        for chunk in latest.chunks(ROWS_PER_INSERT) {
            let mut values = Vec::with_capacity(chunk.len() * 3);
            for conversation in chunk {
                values.extend_from_slice(params![
                    &conversation.key,
                    &conversation.state,
                    shared::expiry(conversation.idle)
                ]);
            }
            connection.execute(&save_conversations_sql(chunk.len()), &values)?;
        }
        Ok(())
    })
}

/// The statement inserting `rows` replies.
fn insert_replies_sql(rows: usize) -> String {
    format!(
        "INSERT INTO replies (id, created_at, channel, session, text, typed, words, decision,
                              entry_id, confidence, candidates, content_version, client,
                              source_message)
         VALUES {}",
        placeholders(rows, REPLY_COLUMNS)
    )
}

/// The statement keeping `rows` conversations.
fn save_conversations_sql(rows: usize) -> String {
    format!(
        "INSERT INTO conversations (key, state, expires_at) VALUES {}
         ON CONFLICT (key) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at",
        placeholders(rows, 3)
    )
}

/// `(?1, ?2), (?3, ?4)` for 2 rows of 2 columns.
fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let numbers: Vec<String> = (1..=columns)
                .map(|column| format!("?{}", row * columns + column))
                .collect();
            format!("({})", numbers.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
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
            source_message: None,
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
    fn reopening_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        record(&Store::open(dir.path()).unwrap(), reply("a", None));
        let store = Store::open(dir.path()).unwrap();
        assert!(store.record_feedback("a", true).unwrap());
    }
}
