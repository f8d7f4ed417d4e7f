//! What the store needs of a database, whichever it is: SQL with numbered
//! parameters (`?1`) in, rows of plain values out, transactions, and the
//! schema brought up to date. SQLite ([`super::sqlite`]) and PostgreSQL
//! ([`super::postgres`]) sit behind it, so the store's queries are written
//! once, in the SQL both understand.

use super::StoreError;

/// A value bound to a parameter or read from a column. Integers are 64-bit
/// in both databases (PostgreSQL's columns are `BIGINT`); booleans are
/// stored as 0 and 1.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl From<i64> for Value {
    fn from(value: i64) -> Value {
        Value::Int(value)
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Value {
        Value::Int(i64::from(value))
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Value {
        Value::Text(value.to_string())
    }
}

impl From<String> for Value {
    fn from(value: String) -> Value {
        Value::Text(value)
    }
}

impl From<&String> for Value {
    fn from(value: &String) -> Value {
        Value::Text(value.clone())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Value {
        value.map_or(Value::Null, Into::into)
    }
}

/// Parameters for a statement: `params![a, b]` turns each into a [`Value`].
macro_rules! params {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::database::Value::from($value)),*]
    };
}
pub(crate) use params;

/// A column's value as a Rust type.
pub trait FromValue: Sized {
    fn from_value(value: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Option<i64> {
        match value {
            Value::Int(value) => Some(*value),
            _ => None,
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Option<bool> {
        i64::from_value(value).map(|value| value != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value) -> Option<f64> {
        match value {
            Value::Real(value) => Some(*value),
            Value::Int(value) => Some(*value as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Option<String> {
        match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Option<Option<T>> {
        match value {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// One row of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `index` as `T`; a missing column or another type is an error
    /// naming both.
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T, StoreError> {
        let value = self.0.get(index).unwrap_or(&Value::Null);
        T::from_value(value).ok_or_else(|| {
            StoreError::Database(format!(
                "column {index} holds {value:?}, not a {}",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// A connection to the database, for one caller at a time.
pub trait Connection {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; returns all its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs statements without parameters, separated by semicolons.
    fn execute_batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// The statement that starts a transaction that will write.
    fn begin(&self) -> &'static str {
        "BEGIN"
    }

    /// What ends a `SELECT` whose rows are claimed by the statement around
    /// it, so that concurrent claims pass over rows another has locked
    /// instead of waiting for them (PostgreSQL's `FOR UPDATE SKIP LOCKED`;
    /// SQLite has one writer at a time and needs nothing).
    fn skip_locked(&self) -> &'static str {
        ""
    }

    /// Makes `table`'s `id` number new rows on from the largest id in it,
    /// after rows were inserted with their ids (SQLite does by itself).
    fn count_on_from_largest_id(&mut self, _table: &str) -> Result<(), StoreError> {
        Ok(())
    }

    /// The first row of a query, if any.
    fn query_row(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// A database the store can keep its records in.
pub trait Database: Send + Sync {
    /// `sqlite` or `postgresql`, for messages and metrics.
    fn kind(&self) -> &'static str;
    /// Whether other servers may use the database at the same time, so that
    /// state they share must be kept in it.
    fn shared(&self) -> bool;
    /// A connection for reads and short writes.
    fn connect(&self) -> Result<Box<dyn Connection + '_>, StoreError>;
    /// The connection the reply writer commits its batches on.
    fn writer(&self) -> Result<Box<dyn Connection + '_>, StoreError> {
        self.connect()
    }
    /// Everything committed is made durable in the database's own files;
    /// for a clean stop.
    fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Runs `work` in a transaction on `connection`: committed if it succeeds,
/// rolled back if it fails or panics.
pub fn transaction<T>(
    connection: &mut dyn Connection,
    work: impl FnOnce(&mut dyn Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    /// Rolls back unless committed.
    struct Open<'a, 'b> {
        connection: &'a mut (dyn Connection + 'b),
        committed: bool,
    }
    impl Drop for Open<'_, '_> {
        fn drop(&mut self) {
            if !self.committed {
                let _ = self.connection.execute_batch("ROLLBACK");
            }
        }
    }
    let begin = connection.begin();
    connection.execute_batch(begin)?;
    let mut open = Open {
        connection,
        committed: false,
    };
    let value = work(open.connection)?;
    open.connection.execute_batch("COMMIT")?;
    open.committed = true;
    Ok(value)
}

/// A migration of the schema: SQL in SQLite's words, which PostgreSQL takes
/// once [`postgres_dialect`] has rewritten its column types, and what only
/// PostgreSQL has (its own file, `NNNN_name.postgresql.sql`).
pub struct Migration {
    pub name: &'static str,
    pub sql: &'static str,
    pub postgres_only: &'static str,
}

/// `migrations/NAME.sql`, and with `postgresql` also
/// `migrations/NAME.postgresql.sql`.
macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sql: include_str!(concat!("migrations/", $name, ".sql")),
            postgres_only: "",
        }
    };
    ($name:literal, postgresql) => {
        Migration {
            name: $name,
            sql: include_str!(concat!("migrations/", $name, ".sql")),
            postgres_only: include_str!(concat!("migrations/", $name, ".postgresql.sql")),
        }
    };
}

/// The schema, one migration per version, applied in order; both databases
/// record how many are applied.
pub const MIGRATIONS: [Migration; 13] = [
    migration!("0001_replies_and_feedback"),
    migration!("0002_query_log"),
    migration!("0003_lighter_reply_writes"),
    migration!("0004_client_network"),
    migration!("0005_drafts_revisions_audit"),
    migration!("0006_shared_state"),
    migration!("0007_sign_in_attempts"),
    migration!("0008_line_queue"),
    migration!("0009_ephemeral_conversations", postgresql),
    migration!("0010_unsent_messages"),
    migration!("0011_disaster_mode"),
    migration!("0012_handoff"),
    migration!("0013_ticket_language"),
];

/// A migration's SQL for PostgreSQL: SQLite's auto-numbered
/// `INTEGER PRIMARY KEY` becomes an identity column, and every other
/// `INTEGER` a `BIGINT` (SQLite's integers are 64-bit).
pub fn postgres_dialect(sql: &str) -> String {
    sql.replace(
        "INTEGER PRIMARY KEY",
        "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    )
    .replace("INTEGER", "BIGINT")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_the_types_they_were_written_as() {
        let row = Row(vec![
            Value::from(7i64),
            Value::from(true),
            Value::from("text"),
            Value::from(None::<&str>),
            Value::Real(0.5),
        ]);
        assert_eq!(row.get::<i64>(0).unwrap(), 7);
        assert!(row.get::<bool>(1).unwrap());
        assert_eq!(row.get::<String>(2).unwrap(), "text");
        assert_eq!(row.get::<Option<String>>(3).unwrap(), None);
        assert_eq!(row.get::<Option<i64>>(0).unwrap(), Some(7));
        assert_eq!(row.get::<f64>(4).unwrap(), 0.5);
        let err = row.get::<i64>(2).unwrap_err().to_string();
        assert!(err.contains("column 2") && err.contains("i64"), "{err}");
        assert!(row.get::<String>(9).is_err(), "no such column");
    }

    #[test]
    fn the_postgres_dialect_keeps_64_bit_integers_and_numbers_rows() {
        let sql = "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, s TEXT);";
        assert_eq!(
            postgres_dialect(sql),
            "CREATE TABLE t (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n BIGINT NOT NULL, s TEXT);"
        );
    }
}
