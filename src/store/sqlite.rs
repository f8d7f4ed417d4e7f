//! The embedded database: one SQLite file in the data directory, in WAL
//! mode. Reads and short writes share one connection; the reply writer has
//! its own. A commit only appends to the write-ahead log; a thread of its
//! own copies the log into the database (the checkpoint, which syncs to
//! disk) every second, so no reply waits for that. The log starts over only
//! once all of it is copied, which never happens while commits keep coming;
//! so when much is left after a checkpoint, the checkpoint thread holds the
//! writer back for the short time it takes to copy the rest.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};

use super::database::{Connection, Database, MIGRATIONS, Row, Value};
use super::{StoreError, lock};

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "madoguchi.sqlite3";

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

/// Statements each connection keeps prepared.
const STATEMENT_CACHE: usize = 64;

/// The SQLite database of one server.
pub struct SqliteDatabase {
    connection: Mutex<rusqlite::Connection>,
    writer: Mutex<rusqlite::Connection>,
    /// Held by the writer while it commits and by the checkpoint thread
    /// while it restarts the log.
    writing: Arc<Mutex<()>>,
    /// Dropped with the database, which stops the checkpoint thread.
    _checkpoints: std::sync::mpsc::Sender<()>,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database in `data_dir` and brings its
    /// schema up to date.
    pub fn open(data_dir: &Path) -> Result<SqliteDatabase, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|err| StoreError::DataDir(data_dir.display().to_string(), err))?;
        let file = data_dir.join(DATABASE_FILE);
        let connection = rusqlite::Connection::open(&file)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.busy_timeout(Duration::from_secs(5))?;
        connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        migrate(&connection)?;
        let writer = rusqlite::Connection::open(&file)?;
        writer.busy_timeout(Duration::from_secs(5))?;
        writer.pragma_update(None, "synchronous", "NORMAL")?;
        writer.pragma_update(None, "wal_autocheckpoint", 0)?;
        writer.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
        let checkpoint_connection = rusqlite::Connection::open(&file)?;
        checkpoint_connection.busy_timeout(RESTART_PATIENCE)?;
        let writing = Arc::new(Mutex::new(()));
        let checkpoint_writing = writing.clone();
        let (checkpoints, stop) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                checkpoint_until_dropped(checkpoint_connection, stop, &checkpoint_writing)
            })
            .map_err(|err| StoreError::DataDir(data_dir.display().to_string(), err))?;
        Ok(SqliteDatabase {
            connection: Mutex::new(connection),
            writer: Mutex::new(writer),
            writing,
            _checkpoints: checkpoints,
        })
    }
}

impl Database for SqliteDatabase {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn shared(&self) -> bool {
        false
    }

    fn connect(&self) -> Result<Box<dyn Connection + '_>, StoreError> {
        Ok(Box::new(Locked {
            _writing: None,
            connection: lock(&self.connection),
        }))
    }

    fn writer(&self) -> Result<Box<dyn Connection + '_>, StoreError> {
        let connection = lock(&self.writer);
        Ok(Box::new(Locked {
            _writing: Some(lock(&self.writing)),
            connection,
        }))
    }

    /// Copies the whole write-ahead log into the database and empties it.
    fn flush(&self) -> Result<(), StoreError> {
        lock(&self.connection).query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

/// A connection in use, and for the writer, the checkpoint held back.
struct Locked<'a> {
    _writing: Option<MutexGuard<'a, ()>>,
    connection: MutexGuard<'a, rusqlite::Connection>,
}

impl Connection for Locked<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut statement = self.connection.prepare_cached(sql)?;
        Ok(statement.execute(rusqlite::params_from_iter(params))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.connection.prepare_cached(sql)?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        let mut all = Vec::new();
        while let Some(row) = rows.next()? {
            let values = (0..columns)
                .map(|index| row.get_ref(index).map(value_of))
                .collect::<Result<_, _>>()?;
            all.push(Row(values));
        }
        Ok(all)
    }

    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.connection.execute_batch(sql)?)
    }

    /// Takes the write lock at once, so that a transaction that reads
    /// before it writes cannot fail half-way for another writer.
    fn begin(&self) -> &'static str {
        "BEGIN IMMEDIATE"
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(value) => ValueRef::Integer(*value),
            Value::Real(value) => ValueRef::Real(*value),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
        }))
    }
}

fn value_of(value: ValueRef) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(value) => Value::Int(value),
        ValueRef::Real(value) => Value::Real(value),
        ValueRef::Text(text) | ValueRef::Blob(text) => {
            Value::Text(String::from_utf8_lossy(text).into_owned())
        }
    }
}

/// Applies the migrations not yet applied; `PRAGMA user_version` counts
/// those applied.
fn migrate(connection: &rusqlite::Connection) -> Result<(), StoreError> {
    let applied: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    for (number, migration) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        connection.execute_batch(&format!(
            "BEGIN; {} PRAGMA user_version = {}; COMMIT;",
            migration.sql,
            number + 1
        ))?;
    }
    Ok(())
}

/// The checkpoint thread: copies the write-ahead log into the database every
/// [`CHECKPOINT_INTERVAL`] without blocking the writer (a passive checkpoint),
/// until the database is dropped. When more than [`RESTART_AFTER_FRAMES`]
/// remain, it catches up with passive checkpoints, then takes `writing` from
/// the writer for the last few frames.
fn checkpoint_until_dropped(
    connection: rusqlite::Connection,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopening_keeps_the_schema_version() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteDatabase::open(dir.path()).unwrap());
        let database = SqliteDatabase::open(dir.path()).unwrap();
        let version: i64 = lock(&database.connection)
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len() as i64);
    }
}
