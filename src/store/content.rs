//! Drafts of content changes, the revisions they became, and the audit log
//! of who changed and published what.

use std::collections::BTreeMap;

use super::database::{Row, params, transaction};
use super::spreadsheet::SpreadsheetWriter;
use super::{Store, StoreError, now};

/// The files of a content version: path (relative to the content
/// directory) → text.
pub type Files = BTreeMap<String, String>;

/// Where a draft stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftStatus {
    Open,
    Published,
    Discarded,
}

impl DraftStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftStatus::Open => "open",
            DraftStatus::Published => "published",
            DraftStatus::Discarded => "discarded",
        }
    }

    fn parse(text: &str) -> DraftStatus {
        match text {
            "published" => DraftStatus::Published,
            "discarded" => DraftStatus::Discarded,
            _ => DraftStatus::Open,
        }
    }
}

/// A draft: changed files over the content being served.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: i64,
    pub author: String,
    pub title: String,
    pub status: DraftStatus,
    /// The unanswered group the draft answers, marked done on publishing.
    pub group_key: Option<String>,
    /// The entry that answers the group.
    pub entry_id: Option<String>,
    /// The revision whose content the draft brings back, if that is what
    /// it does.
    pub restores: Option<i64>,
    pub updated_at: i64,
    /// New text of each changed file; `None` deletes it.
    pub files: BTreeMap<String, Option<String>>,
    /// The published text each changed file started from (`None`: the
    /// file did not exist).
    pub bases: BTreeMap<String, Option<String>>,
}

impl Draft {
    /// The files that were published over since the draft changed them:
    /// publishing it would undo someone else's change.
    pub fn conflicts(&self, published: &Files) -> Vec<String> {
        self.bases
            .iter()
            .filter(|(path, base)| published.get(*path) != base.as_ref())
            .map(|(path, _)| path.clone())
            .collect()
    }
}

/// A published change of the content.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    pub id: i64,
    pub draft_id: Option<i64>,
    pub author: String,
    pub approver: String,
    pub message: String,
    pub diff: String,
    /// The whole content before and after.
    pub before: Files,
    pub after: Files,
    pub published_at: i64,
}

/// What a new revision records.
pub struct NewRevision<'a> {
    pub draft_id: Option<i64>,
    pub author: &'a str,
    pub approver: &'a str,
    pub message: &'a str,
    pub diff: &'a str,
    pub before: &'a Files,
    pub after: &'a Files,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// The columns [`draft_row`] reads.
const DRAFT_COLUMNS: &str = "id, author, title, status, group_key, entry_id, restores, updated_at";

/// A draft, without its files, from a row of [`DRAFT_COLUMNS`].
fn draft_row(row: &Row) -> Result<Draft, StoreError> {
    Ok(Draft {
        id: row.get(0)?,
        author: row.get(1)?,
        title: row.get(2)?,
        status: DraftStatus::parse(&row.get::<String>(3)?),
        group_key: row.get(4)?,
        entry_id: row.get(5)?,
        restores: row.get(6)?,
        updated_at: row.get(7)?,
        files: BTreeMap::new(),
        bases: BTreeMap::new(),
    })
}

/// The columns [`revision_row`] reads, before the two snapshots.
const REVISION_COLUMNS: &str = "id, draft_id, author, approver, message, diff, published_at";

/// A revision from a row of [`REVISION_COLUMNS`] and the snapshots.
fn revision_row(row: &Row) -> Result<Revision, StoreError> {
    Ok(Revision {
        id: row.get(0)?,
        draft_id: row.get(1)?,
        author: row.get(2)?,
        approver: row.get(3)?,
        message: row.get(4)?,
        diff: row.get(5)?,
        published_at: row.get(6)?,
        before: files_from_json(&row.get::<String>(7)?),
        after: files_from_json(&row.get::<String>(8)?),
    })
}

fn files_json(files: &Files) -> String {
    serde_json::to_string(files).unwrap_or_else(|_| "{}".into())
}

fn files_from_json(text: &str) -> Files {
    serde_json::from_str(text).unwrap_or_default()
}

/// The id a statement with `RETURNING id` gave.
pub(super) fn returned_id(rows: Vec<Row>) -> Result<i64, StoreError> {
    rows.first()
        .ok_or_else(|| StoreError::Database("the insert returned no id".into()))?
        .get(0)
}

impl Store {
    /// Starts a draft; returns its id.
    pub fn create_draft(
        &self,
        author: &str,
        title: &str,
        group_key: Option<&str>,
        entry_id: Option<&str>,
    ) -> Result<i64, StoreError> {
        self.insert_draft(author, title, group_key, entry_id, None)
    }

    /// Starts a draft that brings back the content of a revision (before
    /// or after it, as `files` says); returns its id.
    pub fn create_restoring_draft(
        &self,
        author: &str,
        title: &str,
        revision: i64,
        files: &BTreeMap<String, Option<String>>,
        published: &Files,
    ) -> Result<i64, StoreError> {
        let draft = self.insert_draft(author, title, None, None, Some(revision))?;
        for (path, text) in files {
            self.set_draft_file(
                draft,
                path,
                text.as_deref(),
                published.get(path).map(String::as_str),
            )?;
        }
        Ok(draft)
    }

    fn insert_draft(
        &self,
        author: &str,
        title: &str,
        group_key: Option<&str>,
        entry_id: Option<&str>,
        restores: Option<i64>,
    ) -> Result<i64, StoreError> {
        returned_id(self.connect()?.query(
            "INSERT INTO drafts (author, title, status, group_key, entry_id, restores, created_at, updated_at)
             VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?6) RETURNING id",
            params![author, title, group_key, entry_id, restores, now()],
        )?)
    }

    /// Sets the new text of one file of a draft (`None` deletes the file);
    /// `base` is the file's published text now, kept from the first change.
    pub fn set_draft_file(
        &self,
        draft_id: i64,
        path: &str,
        text: Option<&str>,
        base: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut connection = self.connect()?;
        transaction(&mut *connection, |connection| {
            connection.execute(
                "INSERT INTO draft_files (draft_id, path, text, base) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (draft_id, path) DO UPDATE SET text = excluded.text",
                params![draft_id, path, text, base],
            )?;
            connection.execute(
                "UPDATE drafts SET updated_at = ?2 WHERE id = ?1",
                params![draft_id, now()],
            )?;
            Ok(())
        })
    }

    /// The draft with its files.
    pub fn draft(&self, id: i64) -> Result<Option<Draft>, StoreError> {
        let mut connection = self.connect()?;
        let Some(row) = connection.query_row(
            &format!("SELECT {DRAFT_COLUMNS} FROM drafts WHERE id = ?1"),
            params![id],
        )?
        else {
            return Ok(None);
        };
        let mut draft = draft_row(&row)?;
        for row in connection.query(
            "SELECT path, text, base FROM draft_files WHERE draft_id = ?1 ORDER BY path",
            params![id],
        )? {
            let path: String = row.get(0)?;
            draft.files.insert(path.clone(), row.get(1)?);
            draft.bases.insert(path, row.get(2)?);
        }
        Ok(Some(draft))
    }

    /// Drafts with this status, the most recently changed first (without
    /// their files).
    pub fn drafts(&self, status: DraftStatus) -> Result<Vec<Draft>, StoreError> {
        self.connect()?
            .query(
                &format!(
                    "SELECT {DRAFT_COLUMNS} FROM drafts WHERE status = ?1 ORDER BY updated_at DESC, id DESC"
                ),
                params![status.as_str()],
            )?
            .iter()
            .map(draft_row)
            .collect()
    }

    /// Marks a draft published or discarded.
    pub fn close_draft(&self, id: i64, status: DraftStatus) -> Result<(), StoreError> {
        self.connect()?.execute(
            "UPDATE drafts SET status = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, status.as_str(), now()],
        )?;
        Ok(())
    }

    /// Records a publish; returns the revision's id.
    pub fn record_revision(&self, revision: &NewRevision) -> Result<i64, StoreError> {
        returned_id(self.connect()?.query(
            "INSERT INTO revisions (draft_id, author, approver, message, diff, before, after, published_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            params![
                revision.draft_id,
                revision.author,
                revision.approver,
                revision.message,
                revision.diff,
                files_json(revision.before),
                files_json(revision.after),
                now()
            ],
        )?)
    }

    /// The newest revision's id, if any was published.
    pub fn latest_revision(&self) -> Result<Option<i64>, StoreError> {
        self.connect()?
            .query_row("SELECT MAX(id) FROM revisions", &[])?
            .map_or(Ok(None), |row| row.get(0))
    }

    /// Every revision, the newest first, without the content snapshots.
    pub fn revisions(&self) -> Result<Vec<Revision>, StoreError> {
        self.connect()?
            .query(
                &format!(
                    "SELECT {REVISION_COLUMNS}, '{{}}', '{{}}' FROM revisions ORDER BY id DESC"
                ),
                &[],
            )?
            .iter()
            .map(revision_row)
            .collect()
    }

    /// One revision with the content before and after it.
    pub fn revision(&self, id: i64) -> Result<Option<Revision>, StoreError> {
        self.connect()?
            .query_row(
                &format!("SELECT {REVISION_COLUMNS}, before, after FROM revisions WHERE id = ?1"),
                params![id],
            )?
            .as_ref()
            .map(revision_row)
            .transpose()
    }

    /// Adds a line to the audit log.
    pub fn audit(&self, actor: &str, action: &str, detail: &str) -> Result<(), StoreError> {
        self.connect()?.execute(
            "INSERT INTO audit_log (at, actor, action, detail) VALUES (?1, ?2, ?3, ?4)",
            params![now(), actor, action, detail],
        )?;
        Ok(())
    }

    /// The audit log since `since` (Unix time), the newest first.
    pub fn audit_log(&self, since: i64) -> Result<Vec<AuditEntry>, StoreError> {
        self.connect()?
            .query(
                "SELECT at, actor, action, detail FROM audit_log WHERE at >= ?1 ORDER BY id DESC",
                params![since],
            )?
            .iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: row.get(0)?,
                    actor: row.get(1)?,
                    action: row.get(2)?,
                    detail: row.get(3)?,
                })
            })
            .collect()
    }
}

/// Writes the audit log as CSV for Excel.
pub fn audit_csv(entries: &[AuditEntry], out: &mut dyn std::io::Write) -> Result<(), StoreError> {
    let mut writer = SpreadsheetWriter::new(out, &["日時", "職員", "操作", "内容"])?;
    for entry in entries {
        writer.row([
            super::log::japan_time(entry.at),
            entry.actor.clone(),
            entry.action.clone(),
            entry.detail.clone(),
        ])?;
    }
    writer.finish()
}
