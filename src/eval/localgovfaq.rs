//! The localgovFAQ benchmark (Amagasaki city's FAQ and residents' queries),
//! read from the directory it ships in: `corpus.json`, `queries.json`,
//! `qrels.json`.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use super::metrics::Judgements;
use super::{Benchmark, EvalError, Judged};
use crate::index::Document;

/// The localgovFAQ benchmark.
pub struct LocalGovFaq;

impl LocalGovFaq {
    /// Reads the three JSON files from `dir`.
    pub fn load(dir: &Path) -> Result<Benchmark, EvalError> {
        let read = |name: &str| -> Result<String, EvalError> {
            let path = dir.join(name);
            fs::read_to_string(&path)
                .map_err(|err| EvalError::Read(path.display().to_string(), err.to_string()))
        };
        let parse = |name: &str, text: String| -> Result<serde_json::Value, EvalError> {
            serde_json::from_str(&text)
                .map_err(|err| EvalError::Format(name.to_string(), err.to_string()))
        };
        let corpus: HashMap<String, String> =
            serde_json::from_value(parse("corpus.json", read("corpus.json")?)?)
                .map_err(|err| EvalError::Format("corpus.json".into(), err.to_string()))?;
        let queries: HashMap<String, String> =
            serde_json::from_value(parse("queries.json", read("queries.json")?)?)
                .map_err(|err| EvalError::Format("queries.json".into(), err.to_string()))?;
        let qrels: HashMap<String, Judgements> =
            serde_json::from_value(parse("qrels.json", read("qrels.json")?)?)
                .map_err(|err| EvalError::Format("qrels.json".into(), err.to_string()))?;

        let mut doc_ids: Vec<String> = corpus.keys().cloned().collect();
        doc_ids.sort_by_key(|id| (id.parse::<u64>().unwrap_or(u64::MAX), id.clone()));
        let documents = doc_ids
            .iter()
            .enumerate()
            .map(|(key, id)| split_document(key, &corpus[id]))
            .collect();
        let mut query_ids: Vec<&String> =
            queries.keys().filter(|q| qrels.contains_key(*q)).collect();
        query_ids.sort_by_key(|id| (id.parse::<u64>().unwrap_or(u64::MAX), (*id).clone()));
        let queries = query_ids
            .into_iter()
            .map(|id| Judged {
                id: id.clone(),
                text: queries[id].clone(),
                judgements: qrels[id].clone(),
            })
            .collect();
        Ok(Benchmark {
            doc_ids,
            documents,
            queries,
        })
    }
}

/// Splits `Question: …\nAnswer: …` into a document; the answer's `＜改＞`
/// line-break markers become newlines.
fn split_document(key: usize, text: &str) -> Document {
    let (question, answer) = match text.split_once("\nAnswer:") {
        Some((q, a)) => (q, a),
        None => (text, ""),
    };
    let question = question.trim_start_matches("Question:").trim();
    Document {
        key,
        questions: vec![question.to_string()],
        keywords: Vec::new(),
        answer: answer.replace("＜改＞", "\n").trim().to_string(),
        category: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_split_into_question_and_answer() {
        let d = split_document(
            3,
            "Question: 住民票は？\nAnswer: ■市民課で。＜改＞。【お問い合わせ】",
        );
        assert_eq!(d.key, 3);
        assert_eq!(d.questions, vec!["住民票は？"]);
        assert_eq!(d.answer, "■市民課で。\n。【お問い合わせ】");
    }
}
