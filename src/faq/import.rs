//! Converting a generic FAQ CSV (UTF-8; a question, an answer and optional
//! id, category and URL columns, under the header names cities use) into
//! topic files. (The 自治体標準オープンデータセット has no FAQ data set; the
//! shared FAQ format of city chatbots is the 子育てオープンデータ協議会's.)

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;

/// Header names accepted for each column, as cities publish them.
const ID_HEADERS: &[&str] = &["ID", "FAQ ID", "FAQID", "番号", "No"];
const CATEGORY_HEADERS: &[&str] = &["分類", "カテゴリ", "カテゴリー", "分野", "大分類"];
const QUESTION_HEADERS: &[&str] = &["質問", "質問内容", "Q", "問"];
const ANSWER_HEADERS: &[&str] = &["回答", "回答内容", "A", "答"];
const URL_HEADERS: &[&str] = &["URL", "関連URL", "参考URL", "リンク"];

/// Problems with the CSV file.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the CSV has no {0} column (looked for: {1})")]
    MissingColumn(&'static str, String),
    #[error("line {line}: {message}")]
    Row { line: u64, message: String },
    #[error("the CSV cannot be read: {0}")]
    Csv(#[from] csv::Error),
}

/// A topic file produced from the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedTopic {
    pub category: String,
    /// The YAML text of the topic file.
    pub yaml: String,
    pub entries: usize,
}

#[derive(Serialize)]
struct TopicOut {
    category: String,
    department: String,
    entries: Vec<EntryOut>,
}

#[derive(Serialize)]
struct EntryOut {
    id: String,
    question: String,
    answer: String,
}

/// Reads the CSV (UTF-8, with or without BOM) and groups its rows by
/// category into topic files answered by `department`. Rows without a
/// category go to `default_category`. URLs are appended to the answers.
pub fn import_csv(
    reader: impl Read,
    department: &str,
    default_category: &str,
) -> Result<Vec<ImportedTopic>, ImportError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers: Vec<String> = csv
        .headers()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let find = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let require = |what: &'static str, names: &[&str]| {
        find(names).ok_or_else(|| ImportError::MissingColumn(what, names.join(", ")))
    };
    let question_column = require("question", QUESTION_HEADERS)?;
    let answer_column = require("answer", ANSWER_HEADERS)?;
    let id_column = find(ID_HEADERS);
    let category_column = find(CATEGORY_HEADERS);
    let url_column = find(URL_HEADERS);

    let mut by_category: BTreeMap<String, Vec<EntryOut>> = BTreeMap::new();
    for (number, record) in csv.records().enumerate() {
        let record = record?;
        let line = record.position().map_or(number as u64 + 2, |p| p.line());
        let field = |column: Option<usize>| {
            column
                .and_then(|c| record.get(c))
                .map(str::trim)
                .unwrap_or("")
                .to_string()
        };
        let question = field(Some(question_column));
        let mut answer = field(Some(answer_column));
        if question.is_empty() && answer.is_empty() {
            continue;
        }
        if question.is_empty() || answer.is_empty() {
            return Err(ImportError::Row {
                line,
                message: "a row needs both a question and an answer".into(),
            });
        }
        let url = field(url_column);
        if !url.is_empty() {
            answer.push_str(&format!("\n詳しくは: {url}"));
        }
        let source_id = field(id_column);
        let id_part: String = source_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let id = if id_part.is_empty() {
            format!("imported-{}", number + 1)
        } else {
            format!("imported-{id_part}")
        };
        let category = Some(field(category_column))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| default_category.to_string());
        by_category.entry(category).or_default().push(EntryOut {
            id,
            question,
            answer,
        });
    }

    by_category
        .into_iter()
        .map(|(category, entries)| {
            let count = entries.len();
            let topic = TopicOut {
                category: category.clone(),
                department: department.to_string(),
                entries,
            };
            let yaml = serde_yaml::to_string(&topic).map_err(|err| ImportError::Row {
                line: 0,
                message: err.to_string(),
            })?;
            Ok(ImportedTopic {
                category,
                yaml,
                entries: count,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::model::TopicFile;

    const CSV: &str = "\u{feff}全国地方公共団体コード,ID,地方公共団体名,分類,質問,回答,URL\n\
        212334,Q-001,海津市,証明,住民票はどこで取れますか,市民課で取れます。,https://example.jp/a\n\
        212334,Q-002,海津市,税,\"納付書を\nなくした\",\"再発行します。\",\n";

    #[test]
    fn rows_are_grouped_by_category_into_valid_topic_files() {
        let topics = import_csv(CSV.as_bytes(), "somu", "その他").unwrap();
        assert_eq!(topics.len(), 2);
        let first: TopicFile = serde_yaml::from_str(&topics[0].yaml).unwrap();
        assert_eq!(first.category, "税");
        assert_eq!(first.entries[0].id, "imported-q-002");
        assert_eq!(first.entries[0].question, "納付書を\nなくした");
        let second: TopicFile = serde_yaml::from_str(&topics[1].yaml).unwrap();
        assert!(
            second.entries[0]
                .answer
                .ends_with("詳しくは: https://example.jp/a")
        );
        assert_eq!(second.department.as_deref(), Some("somu"));
    }

    #[test]
    fn a_missing_answer_column_is_named() {
        let err = import_csv("ID,質問\n1,x\n".as_bytes(), "somu", "その他").unwrap_err();
        assert!(err.to_string().contains("answer"), "{err}");
    }
}
