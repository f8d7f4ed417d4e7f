//! Replays logged questions against two versions of the content and lists
//! every question whose decision or answer changes.

use serde::Serialize;

use crate::engine::{Decision, Engine, EngineError};
use crate::store::log::Asked;

/// What the engine did with a question, as far as staff compare it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `answer`, `choices`, `flow`, `rule` or `fallback`.
    pub kind: String,
    /// The entry answered.
    pub entry_id: Option<String>,
    /// What was offered, for choices and flows (entry ids, categories…).
    pub choices: Vec<String>,
}

impl Outcome {
    fn of(decision: &Decision) -> Outcome {
        Outcome {
            kind: decision.kind().to_string(),
            entry_id: decision.answer_id().map(String::from),
            choices: match decision {
                Decision::Answer(_) => Vec::new(),
                other => other
                    .choices()
                    .iter()
                    .map(|c| c.value.id().to_string())
                    .collect(),
            },
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.kind)?;
        if let Some(id) = &self.entry_id {
            write!(f, " {id}")?;
        }
        if !self.choices.is_empty() {
            write!(f, " [{}]", self.choices.join(", "))?;
        }
        Ok(())
    }
}

/// A question the draft answers differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub question: String,
    /// How often residents asked it in the period.
    pub count: u64,
    pub before: Outcome,
    pub after: Outcome,
}

/// Asks every question of `asked` of both engines, each as a new
/// conversation; returns the changes, the most asked first.
pub fn replay(
    current: &Engine,
    draft: &Engine,
    asked: &[Asked],
) -> Result<Vec<Change>, EngineError> {
    let mut changes = Vec::new();
    for question in asked {
        let before = Outcome::of(&current.ask(&question.text)?.0);
        let after = Outcome::of(&draft.ask(&question.text)?.0);
        if before != after {
            changes.push(Change {
                question: question.text.clone(),
                count: question.count,
                before,
                after,
            });
        }
    }
    changes.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.question.cmp(&b.question))
    });
    Ok(changes)
}
