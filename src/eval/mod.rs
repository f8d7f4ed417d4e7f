//! Measuring retrieval quality: on the two public benchmarks (localgovFAQ
//! and the 子育てオープンデータ協議会 FAQ), and on our own paraphrase tests.

pub mod conversations;
pub mod kosodate;
pub mod localgovfaq;
pub mod metrics;
pub mod paraphrases;

use serde::Serialize;

use crate::index::{Document, FaqIndex, IndexError};
pub use metrics::{Judgements, QueryMetrics, Summary};

/// Failures to read or run an evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {0}: {1}")]
    Read(String, String),
    #[error("{0} is not in the expected format: {1}")]
    Format(String, String),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// A benchmark: documents to index and judged queries.
pub struct Benchmark {
    /// Document ids, in the order of `documents` (their keys).
    pub doc_ids: Vec<String>,
    pub documents: Vec<Document>,
    pub queries: Vec<Judged>,
}

impl Benchmark {
    /// Reads a benchmark directory in either layout: localgovFAQ's
    /// (`corpus.json`, `queries.json`, `qrels.json`) or the 子育て FAQ's
    /// (`corpus.json` as a list, `queries-dev.tsv`).
    pub fn load(dir: &std::path::Path) -> Result<Benchmark, EvalError> {
        if dir.join("qrels.json").exists() {
            return localgovfaq::LocalGovFaq::load(dir);
        }
        match kosodate::queries_file(dir) {
            Some(queries) => kosodate::load(dir, &queries),
            None => Err(EvalError::Read(
                dir.display().to_string(),
                "neither qrels.json (localgovFAQ) nor queries*.tsv (子育て FAQ) is there: name the benchmark's directory".into(),
            )),
        }
    }
}

/// A query with its relevance judgements.
#[derive(Debug, Clone)]
pub struct Judged {
    pub id: String,
    pub text: String,
    pub judgements: Judgements,
}

/// The outcome of one query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryOutcome {
    pub id: String,
    pub text: String,
    /// Document ids ranked by the index, best first (top 10).
    pub ranked: Vec<String>,
    pub metrics: QueryMetrics,
}

/// Runs every query against `index`, naming documents by `doc_ids[key]`.
pub fn run(
    index: &FaqIndex,
    doc_ids: &[String],
    queries: &[Judged],
) -> Result<(Summary, Vec<QueryOutcome>), EvalError> {
    let mut outcomes = Vec::with_capacity(queries.len());
    for query in queries {
        let ranked: Vec<String> = index
            .search(&query.text, 10)?
            .into_iter()
            .map(|hit| doc_ids[hit.key].clone())
            .collect();
        let metrics = QueryMetrics::score(&ranked, &query.judgements);
        outcomes.push(QueryOutcome {
            id: query.id.clone(),
            text: query.text.clone(),
            ranked,
            metrics,
        });
    }
    let per_query: Vec<QueryMetrics> = outcomes.iter().map(|o| o.metrics).collect();
    Ok((Summary::of(&per_query), outcomes))
}
