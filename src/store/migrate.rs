//! Moving a city's records from one store to another (SQLite to PostgreSQL,
//! when one server becomes several): every table copied in pages, ids kept,
//! and the copy verified by counting each table on both sides.

use super::database::{Connection, Row, Value, transaction};
use super::{Store, StoreError};

/// The tables moved, parents before children, and their columns; the first
/// column orders the pages and is unique, except where noted.
const TABLES: [(&str, &str); 15] = [
    (
        "replies",
        "id, created_at, channel, session, decision, entry_id, content_version, text, typed, words, confidence, candidates, client, source_message",
    ),
    ("feedback", "reply_id, helpful, created_at"),
    ("review_groups", "key, status, entry_id, updated_at"),
    (
        "drafts",
        "id, author, title, status, group_key, entry_id, restores, created_at, updated_at",
    ),
    // Keyed by (draft_id, path): paged by draft, whole drafts at a time.
    ("draft_files", "draft_id, path, text, base"),
    (
        "revisions",
        "id, draft_id, author, approver, message, diff, before, after, published_at",
    ),
    ("audit_log", "id, at, actor, action, detail"),
    ("disaster_mode", "scope, notice, link, since, switched_by"),
    (
        "tickets",
        "id, channel, resident, address, department, state, assignee, left_message, context, created_at, first_reply_at, last_activity_at, closed_at, close_reason, answer_entry",
    ),
    ("ticket_messages", "id, ticket_id, author, kind, text, at"),
    (
        "staff_notices",
        "id, ticket_id, url, body, attempts, next_at, sent_at, failed_at",
    ),
    ("secrets", "name, value"),
    ("admin_sessions", "id, user_name, csrf, expires_at"),
    ("line_events", "event_id, expires_at"),
    // Claims are not moved: the new store's replicas claim afresh.
    ("line_queue", "id, chat, event, received_at"),
];

/// Tables whose `id` numbers new rows: the target counts on from the
/// largest id copied.
const NUMBERED: [&str; 7] = [
    "drafts",
    "revisions",
    "audit_log",
    "line_queue",
    "tickets",
    "ticket_messages",
    "staff_notices",
];

/// Rows read and written at a time.
const PAGE: i64 = 1_000;

/// One table's rows in the source and, after the copy, in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub table: &'static str,
    pub source: i64,
    pub target: i64,
}

/// Failures of a move.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the target already holds {0} rows in {1}: move into a new, empty database (records would otherwise be mixed or doubled)"
    )]
    NotEmpty(i64, &'static str),
    #[error(
        "the target has another pseudonym key: residents' history would be cut; move into a new, empty database"
    )]
    OtherKey,
    #[error("{table}: {in_source} rows in the source but {in_target} in the target")]
    Mismatch {
        table: &'static str,
        in_source: i64,
        in_target: i64,
    },
}

/// Copies every record of `from` into the empty store `to`, with the
/// pseudonym key `from` kept in a file (`pseudonym_key`), so that residents
/// keep their pseudonyms. Returns the counts, all verified equal.
pub fn move_records(
    from: &Store,
    to: &Store,
    pseudonym_key: Option<&str>,
) -> Result<Vec<Counted>, MoveError> {
    let mut source = from.connect()?;
    let mut target = to.connect()?;
    for (table, _) in TABLES {
        let rows = count(&mut *target, table)?;
        if rows > 0 && table != "secrets" {
            return Err(MoveError::NotEmpty(rows, table));
        }
    }
    if let Some(key) = pseudonym_key
        && to.secret(super::pseudonym::KEY_NAME, || key.to_string())? != key
    {
        return Err(MoveError::OtherKey);
    }
    for (table, columns) in TABLES {
        copy_table(&mut *source, &mut *target, table, columns)?;
    }
    for table in NUMBERED {
        target.count_on_from_largest_id(table)?;
    }
    TABLES
        .iter()
        .map(|(table, _)| {
            let counted = Counted {
                table,
                source: count(&mut *source, table)?,
                target: count(&mut *target, table)?,
            };
            // The target's secrets also hold the key moved from a file.
            let verified = if *table == "secrets" {
                counted.target >= counted.source
            } else {
                counted.target == counted.source
            };
            if !verified {
                return Err(MoveError::Mismatch {
                    table,
                    in_source: counted.source,
                    in_target: counted.target,
                });
            }
            Ok(counted)
        })
        .collect()
}

fn count(connection: &mut dyn Connection, table: &str) -> Result<i64, StoreError> {
    connection
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), &[])?
        .map_or(Ok(0), |row| row.get(0))
}

/// Copies a table page by page, each page in one transaction of the
/// target, ordered by its first column.
fn copy_table(
    source: &mut dyn Connection,
    target: &mut dyn Connection,
    table: &str,
    columns: &str,
) -> Result<(), StoreError> {
    let key = columns.split(',').next().unwrap_or(columns).trim();
    let width = columns.split(',').count();
    let placeholders: Vec<String> = (1..=width).map(|n| format!("?{n}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({columns}) VALUES ({})",
        placeholders.join(", ")
    );
    // `draft_files` shares its first column between rows: pages end on a
    // whole draft, so the last key's rows are read again and skipped.
    let mut after: Option<Value> = None;
    loop {
        let rows = match &after {
            None => source.query(
                &format!("SELECT {columns} FROM {table} ORDER BY {key} LIMIT ?1"),
                &[Value::Int(PAGE)],
            )?,
            Some(last) => source.query(
                &format!("SELECT {columns} FROM {table} WHERE {key} > ?1 ORDER BY {key} LIMIT ?2"),
                &[last.clone(), Value::Int(PAGE)],
            )?,
        };
        let Some(last) = rows.last().map(|row| row.0[0].clone()) else {
            return Ok(());
        };
        let full = rows.len() as i64 == PAGE;
        let mut page: Vec<Row> = rows;
        if full {
            // Keep whole keys: rows of the last key are read again next.
            let last_key = last.clone();
            page.retain(|row| row.0[0] != last_key);
            if page.is_empty() {
                // One key fills the page: take all its rows at once.
                page = source.query(
                    &format!("SELECT {columns} FROM {table} WHERE {key} = ?1"),
                    std::slice::from_ref(&last_key),
                )?;
                after = Some(last_key);
            } else {
                after = page.last().map(|row| row.0[0].clone());
            }
        } else {
            after = Some(last);
        }
        transaction(target, |target| {
            for row in &page {
                target.execute(&insert, &row.0)?;
            }
            Ok(())
        })?;
        if !full {
            return Ok(());
        }
    }
}
