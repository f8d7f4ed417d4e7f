//! The 子育てオープンデータ協議会 FAQ benchmark: the FAQ data set (a JSON
//! list of `faq_id`, `question`, `answer`, `category1`, `category2`,
//! `service_name`) and resident-style queries in a TSV file
//! (`query_id faq_id split difficulty query_type query`), one gold entry
//! each.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Benchmark, EvalError, Judged};
use crate::index::Document;

/// One FAQ of the data set.
#[derive(Debug, Deserialize)]
struct Faq {
    faq_id: u64,
    question: String,
    answer: String,
    #[serde(default)]
    service_name: String,
    #[serde(default)]
    category1: String,
}

/// The query file in `dir`: `queries-dev.tsv`, or another `queries*.tsv`.
pub fn queries_file(dir: &Path) -> Option<PathBuf> {
    let dev = dir.join("queries-dev.tsv");
    if dev.exists() {
        return Some(dev);
    }
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("queries") && n.ends_with(".tsv"))
        })
        .collect();
    files.sort();
    files.into_iter().next()
}

/// Reads `corpus.json` and the query file from `dir`.
pub fn load(dir: &Path, queries: &Path) -> Result<Benchmark, EvalError> {
    let read = |path: &Path| {
        fs::read_to_string(path)
            .map_err(|err| EvalError::Read(path.display().to_string(), err.to_string()))
    };
    let corpus: Vec<Faq> = serde_json::from_str(&read(&dir.join("corpus.json"))?)
        .map_err(|err| EvalError::Format("corpus.json".into(), err.to_string()))?;
    let doc_ids = corpus.iter().map(|f| f.faq_id.to_string()).collect();
    let documents = corpus
        .iter()
        .enumerate()
        .map(|(key, faq)| Document {
            key,
            questions: vec![faq.question.trim().to_string()],
            // The services an FAQ is about name it as keywords would.
            keywords: faq
                .service_name
                .split('\n')
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "null")
                .map(String::from)
                .collect(),
            answer: faq.answer.trim().to_string(),
            category: Some(faq.category1.clone()).filter(|c| !c.is_empty() && c != "null"),
        })
        .collect();
    let text = read(queries)?;
    let name = queries.display().to_string();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |wanted: &str| {
        header
            .iter()
            .position(|h| *h == wanted)
            .ok_or_else(|| EvalError::Format(name.clone(), format!("no `{wanted}` column")))
    };
    let (id, gold, query) = (column("query_id")?, column("faq_id")?, column("query")?);
    let queries = lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            let cell = |i: usize| {
                cells
                    .get(i)
                    .map(|c| c.to_string())
                    .ok_or_else(|| EvalError::Format(name.clone(), format!("a short row: {line}")))
            };
            Ok(Judged {
                id: cell(id)?,
                text: cell(query)?,
                judgements: [(cell(gold)?, 2)].into(),
            })
        })
        .collect::<Result<_, EvalError>>()?;
    Ok(Benchmark {
        doc_ids,
        documents,
        queries,
    })
}
