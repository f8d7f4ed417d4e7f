//! How much each field counts in a search.

use serde::{Deserialize, Serialize};

/// Field weights (BM25 boosts). Questions count most: residents ask about
/// the same things in the same words as other residents, while answers use
/// the city's words.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub question_words: f32,
    pub question_readings: f32,
    pub question_grams: f32,
    pub keywords: f32,
    pub answer_words: f32,
    pub answer_grams: f32,
    /// Scale of the words a broad word stands for (引っ越し → 転入).
    pub narrower: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            question_words: 3.0,
            question_readings: 1.0,
            question_grams: 1.0,
            keywords: 2.0,
            answer_words: 1.0,
            answer_grams: 0.5,
            narrower: 0.5,
        }
    }
}
