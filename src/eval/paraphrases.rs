//! Our own content tests: everyday phrasings of residents' questions and the
//! entry each should find, in `faq/tests/paraphrases.yaml`.

use std::path::Path;

use serde::Deserialize;

use super::{EvalError, Judged, QueryOutcome, Summary};
use crate::diagnostic::{Diagnostic, Diagnostics, yaml_error};
use crate::engine::Engine;

/// One test: a question and the id of the entry that answers it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paraphrase {
    pub ask: String,
    pub expect: String,
}

/// Reads a paraphrase file; every expected id must be in `known_ids`.
pub fn load(path: &Path, known_ids: &[&str]) -> Result<Vec<Judged>, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let text = std::fs::read_to_string(path).map_err(|err| {
        let mut d = Diagnostics::default();
        d.push(Diagnostic::error(path, 0, 0, format!("cannot read: {err}")));
        d
    })?;
    let paraphrases: Vec<Paraphrase> = serde_yaml::from_str(&text).map_err(|err| {
        let mut d = Diagnostics::default();
        d.push(yaml_error(path, &err));
        d
    })?;
    let mut judged = Vec::with_capacity(paraphrases.len());
    for (number, paraphrase) in paraphrases.into_iter().enumerate() {
        if !known_ids.contains(&paraphrase.expect.as_str()) {
            let line = text
                .lines()
                .position(|l| l.contains(&format!("expect: {}", paraphrase.expect)))
                .map_or(0, |i| i + 1);
            diagnostics.push(Diagnostic::error(
                path,
                line,
                0,
                format!("`{}` is not the id of any entry", paraphrase.expect),
            ));
            continue;
        }
        judged.push(Judged {
            id: format!("{}", number + 1),
            text: paraphrase.ask,
            judgements: [(paraphrase.expect, 2)].into(),
        });
    }
    if diagnostics.has_errors() {
        Err(diagnostics)
    } else {
        Ok(judged)
    }
}

/// Reads a paraphrase file for the engine's content and ranks every
/// paraphrase with the engine's index.
pub fn evaluate(
    engine: &Engine,
    path: &Path,
) -> Result<(Vec<Judged>, Summary, Vec<QueryOutcome>), EvalError> {
    let ids: Vec<&str> = engine
        .content()
        .entries
        .iter()
        .map(|e| e.id.as_str())
        .collect();
    let queries = load(path, &ids)
        .map_err(|d| EvalError::Format(path.display().to_string(), d.to_string()))?;
    let doc_ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let (summary, outcomes) = super::run(engine.index(), &doc_ids, &queries)?;
    Ok((queries, summary, outcomes))
}
