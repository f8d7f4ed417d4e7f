//! Reading the query log: CSV export, the dashboard's figures, groups of
//! unanswered questions for review, and retention.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;

use super::database::{params, transaction};
use super::spreadsheet::SpreadsheetWriter;
use super::{Store, StoreError, now};
use crate::faq::Date;

/// A question residents typed, as logged (masked), and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub text: String,
    pub count: u64,
}

/// Unix time as Japanese local time, `2026-11-27 09:30:00`.
pub fn japan_time(unix: i64) -> String {
    let local = unix + 9 * 3600;
    let date = Date::from_days_since_epoch(local.div_euclid(86_400));
    let seconds = local.rem_euclid(86_400);
    format!(
        "{date} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// What staff decided about a group of unanswered questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStatus {
    /// Still to be looked at.
    Open,
    /// Answered by new or changed content.
    Done,
    /// Not worth an answer.
    Ignored,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Done => "done",
            GroupStatus::Ignored => "ignored",
        }
    }

    pub fn parse(text: &str) -> Option<GroupStatus> {
        match text {
            "open" => Some(GroupStatus::Open),
            "done" => Some(GroupStatus::Done),
            "ignored" => Some(GroupStatus::Ignored),
            _ => None,
        }
    }
}

/// Similar questions the bot could not answer well.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewGroup {
    /// Identifies the group: its most common words.
    pub key: String,
    pub count: usize,
    pub first_seen: i64,
    pub last_seen: i64,
    /// Up to three different messages, most recent first.
    pub examples: Vec<String>,
    /// How many were fallbacks (nothing found), the rest were choices or
    /// answers voted unhelpful.
    pub fallbacks: usize,
    pub status: GroupStatus,
    /// The entry that now answers the group, when staff linked one.
    pub entry_id: Option<String>,
}

/// Figures for the dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub queries: i64,
    /// Queries by decision kind.
    pub decisions: BTreeMap<String, i64>,
    pub helpful: i64,
    pub not_helpful: i64,
    /// (day, channel) → queries.
    pub per_day: BTreeMap<(String, String), i64>,
    /// The most answered entries and how often.
    pub top_entries: Vec<(String, i64)>,
}

impl Summary {
    /// Share of queries with a decision of this kind.
    pub fn rate(&self, kind: &str) -> f64 {
        if self.queries == 0 {
            return 0.0;
        }
        *self.decisions.get(kind).unwrap_or(&0) as f64 / self.queries as f64
    }
}

/// Near-duplicate groups share at least this part of their words.
const NEAR: f64 = 0.5;

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    a.intersection(b).count() as f64 / a.union(b).count() as f64
}

/// Rows of the log read for the export at a time.
const EXPORT_PAGE: i64 = 2_000;

impl Store {
    /// Writes the log since `since` (Unix time) as CSV, with a BOM.
    /// Returns the number of rows. Read a page at a time, so that a year
    /// of log is never held in memory at once.
    pub fn export_csv(&self, since: i64, out: &mut dyn Write) -> Result<usize, StoreError> {
        let mut writer = SpreadsheetWriter::new(
            out,
            &[
                "日時",
                "経路",
                "利用者",
                "質問",
                "判定",
                "回答ID",
                "確度",
                "候補",
                "評価",
                "内容版",
                "接続元",
            ],
        )?;
        let mut connection = self.connect()?;
        let mut after = (since, String::new());
        let mut count = 0;
        loop {
            let rows = connection.query(
                "SELECT r.created_at, r.channel, r.session, r.text, r.decision, r.entry_id,
                        r.confidence, r.candidates, f.helpful, r.content_version, r.client, r.id
                 FROM replies r LEFT JOIN feedback f ON f.reply_id = r.id
                 WHERE r.created_at > ?1 OR (r.created_at = ?1 AND r.id > ?2)
                 ORDER BY r.created_at, r.id LIMIT ?3",
                params![after.0, after.1.as_str(), EXPORT_PAGE],
            )?;
            for row in &rows {
                let helpful: Option<bool> = row.get(8)?;
                writer.row([
                    japan_time(row.get(0)?),
                    row.get(1)?,
                    row.get::<Option<String>>(2)?.unwrap_or_default(),
                    row.get(3)?,
                    row.get(4)?,
                    row.get::<Option<String>>(5)?.unwrap_or_default(),
                    row.get::<Option<String>>(6)?.unwrap_or_default(),
                    row.get(7)?,
                    match helpful {
                        Some(true) => "役に立った".into(),
                        Some(false) => "役に立たなかった".into(),
                        None => String::new(),
                    },
                    row.get(9)?,
                    row.get::<Option<String>>(10)?.unwrap_or_default(),
                ])?;
                count += 1;
            }
            match rows.last() {
                Some(last) if rows.len() as i64 == EXPORT_PAGE => {
                    after = (last.get(0)?, last.get(11)?);
                }
                _ => break,
            }
        }
        writer.finish()?;
        Ok(count)
    }

    /// Deletes the text (and the words searched) of the replies to a
    /// message its sender took back; returns how many replies had it.
    pub fn forget_message(&self, source_message: &str) -> Result<usize, StoreError> {
        let forgotten = self.connect()?.execute(
            "UPDATE replies SET text = '', words = '' WHERE source_message = ?1",
            params![source_message],
        )?;
        Ok(forgotten as usize)
    }

    /// Deletes queries (and their votes) older than `cutoff` (Unix time).
    pub fn delete_older_than(&self, cutoff: i64) -> Result<usize, StoreError> {
        let mut connection = self.connect()?;
        transaction(&mut *connection, |connection| {
            connection.execute(
                "DELETE FROM feedback WHERE reply_id IN (SELECT id FROM replies WHERE created_at < ?1)",
                params![cutoff],
            )?;
            let deleted =
                connection.execute("DELETE FROM replies WHERE created_at < ?1", params![cutoff])?;
            Ok(deleted as usize)
        })
    }

    /// The dashboard's figures since `since`.
    pub fn summary(&self, since: i64) -> Result<Summary, StoreError> {
        let mut connection = self.connect()?;
        let mut summary = Summary::default();
        for row in connection.query(
            "SELECT decision, COUNT(*) FROM replies WHERE created_at >= ?1 GROUP BY decision",
            params![since],
        )? {
            let (kind, count): (String, i64) = (row.get(0)?, row.get(1)?);
            summary.queries += count;
            summary.decisions.insert(kind, count);
        }
        if let Some(row) = connection.query_row(
            "SELECT CAST(SUM(f.helpful) AS BIGINT), CAST(SUM(1 - f.helpful) AS BIGINT)
             FROM feedback f JOIN replies r ON r.id = f.reply_id WHERE r.created_at >= ?1",
            params![since],
        )? {
            summary.helpful = row.get::<Option<i64>>(0)?.unwrap_or(0);
            summary.not_helpful = row.get::<Option<i64>>(1)?.unwrap_or(0);
        }
        for row in connection.query(
            "SELECT created_at, channel FROM replies WHERE created_at >= ?1",
            params![since],
        )? {
            let day = japan_time(row.get(0)?)[..10].to_string();
            *summary.per_day.entry((day, row.get(1)?)).or_default() += 1;
        }
        summary.top_entries = connection
            .query(
                "SELECT entry_id, COUNT(*) AS n FROM replies
                 WHERE created_at >= ?1 AND entry_id IS NOT NULL
                 GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT 10",
                params![since],
            )?
            .iter()
            .map(|row| Ok((row.get(0)?, row.get(1)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(summary)
    }

    /// How often each entry was answered since `since`.
    pub fn answer_counts(&self, since: i64) -> Result<HashMap<String, u64>, StoreError> {
        self.connect()?
            .query(
                "SELECT entry_id, COUNT(*) FROM replies
                 WHERE created_at >= ?1 AND entry_id IS NOT NULL GROUP BY entry_id",
                params![since],
            )?
            .iter()
            .map(|row| Ok((row.get(0)?, row.get::<i64>(1)?.max(0) as u64)))
            .collect()
    }

    /// The questions residents typed since `since` (Unix time), as logged
    /// (masked), with how often each was asked, the most asked first.
    pub fn asked_questions(&self, since: i64) -> Result<Vec<Asked>, StoreError> {
        self.connect()?
            .query(
                "SELECT text, COUNT(*) FROM replies
                 WHERE created_at >= ?1 AND typed = 1 AND text != ''
                 GROUP BY text ORDER BY COUNT(*) DESC, text",
                params![since],
            )?
            .iter()
            .map(|row| {
                Ok(Asked {
                    text: row.get(0)?,
                    count: row.get::<i64>(1)?.max(0) as u64,
                })
            })
            .collect()
    }

    /// Queries since `since` that got no answer (fallback), only choices, or
    /// an answer voted unhelpful, grouped by their words (near groups
    /// merged), the largest first.
    pub fn review_groups(&self, since: i64) -> Result<Vec<ReviewGroup>, StoreError> {
        let mut connection = self.connect()?;
        let rows = connection.query(
            "SELECT r.words, r.text, r.created_at, r.decision FROM replies r
             LEFT JOIN feedback f ON f.reply_id = r.id
             WHERE r.created_at >= ?1
               AND (r.decision IN ('fallback', 'choices') OR f.helpful = 0)
               AND r.typed = 1 AND r.text != ''
             ORDER BY r.created_at DESC, r.id DESC",
            params![since],
        )?;
        struct Raw {
            words: BTreeSet<String>,
            group: ReviewGroup,
        }
        let mut by_key: HashMap<String, Raw> = HashMap::new();
        for row in rows {
            let (words, text, at, decision): (String, String, i64, String) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let words: BTreeSet<String> = words.split_whitespace().map(String::from).collect();
            let key = if words.is_empty() {
                text.trim().to_lowercase()
            } else {
                words.iter().cloned().collect::<Vec<_>>().join(" ")
            };
            let raw = by_key.entry(key.clone()).or_insert_with(|| Raw {
                words,
                group: ReviewGroup {
                    key,
                    count: 0,
                    first_seen: at,
                    last_seen: at,
                    examples: Vec::new(),
                    fallbacks: 0,
                    status: GroupStatus::Open,
                    entry_id: None,
                },
            });
            absorb(
                &mut raw.group,
                1,
                at,
                at,
                &[text],
                usize::from(decision == "fallback"),
            );
        }
        let mut raws: Vec<Raw> = by_key.into_values().collect();
        raws.sort_by(|a, b| {
            b.group
                .count
                .cmp(&a.group.count)
                .then(a.group.key.cmp(&b.group.key))
        });
        let mut merged: Vec<Raw> = Vec::new();
        for raw in raws {
            match merged
                .iter_mut()
                .find(|m| jaccard(&m.words, &raw.words) >= NEAR)
            {
                Some(target) => {
                    let g = raw.group;
                    absorb(
                        &mut target.group,
                        g.count,
                        g.first_seen,
                        g.last_seen,
                        &g.examples,
                        g.fallbacks,
                    );
                }
                None => merged.push(raw),
            }
        }
        let mut groups: Vec<ReviewGroup> = merged.into_iter().map(|m| m.group).collect();
        let marks: HashMap<String, (String, Option<String>)> = connection
            .query("SELECT key, status, entry_id FROM review_groups", &[])?
            .iter()
            .map(|row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))
            .collect::<Result<_, StoreError>>()?;
        for group in &mut groups {
            if let Some((state, entry)) = marks.get(&group.key) {
                group.status = GroupStatus::parse(state).unwrap_or(GroupStatus::Open);
                group.entry_id = entry.clone();
            }
        }
        groups.sort_by(|a, b| b.count.cmp(&a.count).then(b.last_seen.cmp(&a.last_seen)));
        Ok(groups)
    }

    /// Marks a group; `Open` forgets the mark.
    pub fn mark_group(
        &self,
        key: &str,
        status: GroupStatus,
        entry_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut connection = self.connect()?;
        if status == GroupStatus::Open {
            connection.execute("DELETE FROM review_groups WHERE key = ?1", params![key])?;
        } else {
            connection.execute(
                "INSERT INTO review_groups (key, status, entry_id, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (key) DO UPDATE SET status = excluded.status,
                     entry_id = excluded.entry_id, updated_at = excluded.updated_at",
                params![key, status.as_str(), entry_id, now()],
            )?;
        }
        Ok(())
    }
}

/// Writes review groups as CSV, with a BOM.
pub fn groups_csv(groups: &[ReviewGroup], out: &mut dyn Write) -> Result<(), StoreError> {
    let mut writer = SpreadsheetWriter::new(
        out,
        &[
            "語",
            "件数",
            "答えられず",
            "初回",
            "最終",
            "例",
            "状態",
            "回答ID",
        ],
    )?;
    for g in groups {
        writer.row([
            g.key.clone(),
            g.count.to_string(),
            g.fallbacks.to_string(),
            japan_time(g.first_seen),
            japan_time(g.last_seen),
            g.examples.join(" / "),
            g.status.as_str().to_string(),
            g.entry_id.clone().unwrap_or_default(),
        ])?;
    }
    writer.finish()
}

fn absorb(
    group: &mut ReviewGroup,
    count: usize,
    first: i64,
    last: i64,
    examples: &[String],
    fallbacks: usize,
) {
    group.count += count;
    group.fallbacks += fallbacks;
    group.first_seen = group.first_seen.min(first);
    group.last_seen = group.last_seen.max(last);
    for example in examples {
        if group.examples.len() < 3 && !group.examples.contains(example) {
            group.examples.push(example.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_time_is_utc_plus_nine() {
        assert_eq!(japan_time(0), "1970-01-01 09:00:00");
        assert_eq!(japan_time(1_767_193_200), "2026-01-01 00:00:00");
    }
}
