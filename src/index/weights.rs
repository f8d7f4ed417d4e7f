//! How much each field counts in a search.

use serde::{Deserialize, Serialize};

/// Field weights (BM25 boosts), chosen on the localgovFAQ dev queries (see
/// `docs/benchmarks.md`): residents' questions are long and share many words
/// with the answers, so answers weigh as much as questions.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub question_words: f32,
    pub question_readings: f32,
    pub question_grams: f32,
    pub keywords: f32,
    pub answer_words: f32,
    pub answer_grams: f32,
    /// A single kanji found in more than this share of the entries' answers
    /// is left out of a message's search: it says little of what the message is
    /// about, and its long posting list slows every search.
    pub common_kanji: f32,
    /// How much closeness of the character pairs of the message and the
    /// entry's closest question adds, in units of the best score.
    pub pair_closeness: f32,
    /// Scale of the words a broad word stands for (引っ越し → 転入).
    pub narrower: f32,
    /// How much coverage of the question raises a candidate's score when
    /// reranking: score × (1 + coverage × this).
    pub coverage: f32,
    /// How many BM25 candidates are reranked.
    pub rerank_depth: usize,
    /// How much closeness in the topic space adds to a candidate's score,
    /// in units of the best candidate's score.
    pub topic_closeness: f32,
    /// Dimensions of the topic space (0: none).
    pub topic_dimensions: usize,
    /// How much closeness of the message to the entry's questions by word
    /// vectors adds, in units of the best candidate's score.
    pub question_closeness: f32,
    /// Dimensions of the word vectors (0: none).
    pub word_dimensions: usize,
    /// How much closeness of the message to the entry by the shipped word
    /// vectors (learnt outside the content) adds, in units of the best
    /// candidate's score (0: none).
    pub pretrained_closeness: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            question_words: 3.0,
            question_readings: 1.0,
            question_grams: 3.0,
            keywords: 2.0,
            answer_words: 3.0,
            answer_grams: 3.0,
            common_kanji: 0.02,
            pair_closeness: 1.0,
            narrower: 0.5,
            coverage: 1.0,
            rerank_depth: 100,
            topic_closeness: 0.6,
            topic_dimensions: 120,
            question_closeness: 0.6,
            word_dimensions: 100,
            pretrained_closeness: 1.5,
        }
    }
}
