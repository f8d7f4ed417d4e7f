//! Word vectors from the words around each word in the content (positive
//! pointwise mutual information, reduced by SVD): words used in the same
//! surroundings (出生届 and 婚姻届, 障害 and 障碍) get close vectors even
//! when they never appear in the same entry. An entry's questions, and a
//! message, become the rarity-weighted sum of their words' vectors.

use rustc_hash::FxHashMap;

use super::{EntryVectors, MIN_ENTRIES, Position, TermVectors};
use sparse_svd::SparseColumns;

/// Words on either side of a word that count as its surroundings.
const WINDOW: usize = 4;
/// Smoothing of the surrounding words' frequencies (rare ones count less).
const CONTEXT_SMOOTHING: f32 = 0.75;

/// The content words of one entry, in text order.
pub struct EntryWords<'a> {
    pub key: usize,
    pub questions: Vec<&'a [String]>,
    pub answer: &'a [String],
}

/// Word vectors and the entries' questions placed among them.
pub struct WordSpace {
    /// One unit vector per word.
    words: TermVectors,
    questions: EntryVectors,
}

impl WordSpace {
    /// Learns vectors of (at most) `dims` dimensions from the entries' words;
    /// `None` under [`MIN_ENTRIES`] entries or when `dims` is 0.
    pub fn build(entries: &[EntryWords], dims: usize) -> Option<WordSpace> {
        if entries.len() < MIN_ENTRIES || dims == 0 {
            return None;
        }
        let texts = || {
            entries
                .iter()
                .flat_map(|entry| entry.questions.iter().copied().chain([entry.answer]))
        };
        // Words seen at least twice, numbered in a fixed order.
        let mut seen: FxHashMap<&str, usize> = FxHashMap::default();
        for word in texts().flatten() {
            *seen.entry(word.as_str()).or_default() += 1;
        }
        let mut vocabulary: Vec<&str> = seen
            .iter()
            .filter(|(_, count)| **count >= 2)
            .map(|(word, _)| *word)
            .collect();
        vocabulary.sort_unstable();
        let ids: FxHashMap<&str, usize> = vocabulary
            .iter()
            .enumerate()
            .map(|(id, word)| (*word, id))
            .collect();

        let matrix = ppmi(&ids, texts());
        let svd = matrix.truncated_svd(dims)?;
        let dims = svd.dims;
        // Words sit at UΣ^½ = MVΣ^-½.
        let mut vectors = matrix.times(&svd.right, dims);
        for row in vectors.chunks_mut(dims) {
            row.iter_mut()
                .zip(&svd.sigma)
                .for_each(|(v, s)| *v /= s.sqrt());
            sparse_svd::normalize(row);
        }

        let mut frequency = vec![0usize; vocabulary.len()];
        for entry in entries {
            let mut ids_in_entry: Vec<usize> = entry
                .questions
                .iter()
                .copied()
                .chain([entry.answer])
                .flatten()
                .filter_map(|word| ids.get(word.as_str()).copied())
                .collect();
            ids_in_entry.sort_unstable();
            ids_in_entry.dedup();
            ids_in_entry.into_iter().for_each(|id| frequency[id] += 1);
        }
        let total = entries.len() as f32;
        let words: FxHashMap<String, (f32, usize)> = vocabulary
            .iter()
            .enumerate()
            .map(|(id, word)| {
                let idf = (total / frequency[id].max(1) as f32).ln();
                (word.to_string(), (idf, id))
            })
            .collect();
        let words = TermVectors {
            dims,
            terms: words,
            vectors,
        };
        let questions = EntryVectors::placed(
            dims,
            entries.iter().map(|entry| {
                let position = locate(&words, entry.questions.iter().copied().flatten());
                (entry.key, position)
            }),
        );
        Some(WordSpace { words, questions })
    }

    /// Places a message, given its words, among the entries' questions;
    /// `None` when none of them is known.
    pub fn locate<'a>(&self, words: impl IntoIterator<Item = &'a String>) -> Option<Position> {
        locate(&self.words, words)
    }

    /// Cosine (−1–1) between a message's position and an entry's questions.
    pub fn similarity(&self, position: &Position, key: usize) -> f32 {
        self.questions.similarity(position, key)
    }
}

/// The idf-weighted sum of the words' vectors, as a unit vector.
fn locate<'a>(
    vectors: &TermVectors,
    words: impl IntoIterator<Item = &'a String>,
) -> Option<Position> {
    Position::sum(
        vectors.dims,
        words.into_iter().filter_map(|word| vectors.get(word)),
    )
}

/// Positive pointwise mutual information of each word (row) with each word
/// around it (column), within [`WINDOW`] words in the same text.
fn ppmi<'a>(
    ids: &FxHashMap<&str, usize>,
    texts: impl Iterator<Item = &'a [String]>,
) -> SparseColumns {
    let size = ids.len();
    // For each surrounding word, the words seen with it.
    let mut around: Vec<Vec<u32>> = vec![Vec::new(); size];
    for text in texts {
        let known: Vec<Option<usize>> = text.iter().map(|w| ids.get(w.as_str()).copied()).collect();
        for (i, word) in known.iter().enumerate() {
            let Some(word) = word else { continue };
            let start = i.saturating_sub(WINDOW);
            let end = (i + WINDOW + 1).min(known.len());
            for (j, other) in known[start..end].iter().enumerate() {
                if let Some(other) = other.filter(|_| start + j != i) {
                    around[other].push(*word as u32);
                }
            }
        }
    }
    let mut counts: Vec<Vec<(usize, f32)>> = around
        .into_iter()
        .map(|mut words| {
            words.sort_unstable();
            let mut column: Vec<(usize, f32)> = Vec::new();
            for word in words {
                match column.last_mut() {
                    Some((last, count)) if *last == word as usize => *count += 1.0,
                    _ => column.push((word as usize, 1.0)),
                }
            }
            column
        })
        .collect();
    let mut word_totals = vec![0.0f32; size];
    let mut context_totals = vec![0.0f32; size];
    for (context, column) in counts.iter().enumerate() {
        for &(word, count) in column {
            word_totals[word] += count;
            context_totals[context] += count;
        }
    }
    let smoothed: Vec<f32> = context_totals
        .iter()
        .map(|c| c.powf(CONTEXT_SMOOTHING))
        .collect();
    let smoothed_total: f32 = smoothed.iter().sum();
    for (context, column) in counts.iter_mut().enumerate() {
        let context_share = smoothed[context] / smoothed_total;
        column.retain_mut(|(word, count)| {
            let pmi = (*count / (word_totals[*word] * context_share)).ln();
            *count = pmi;
            pmi > 0.0
        });
    }
    SparseColumns {
        rows: size,
        columns: counts,
    }
}

#[cfg(test)]
mod tests {
    use super::super::split_words as words;
    use super::*;

    #[test]
    fn words_used_alike_bring_a_question_near_a_message_without_them() {
        // 婚姻届 and 出生届 are used the same way but never in one entry.
        let mut texts = Vec::new();
        for i in 0..MIN_ENTRIES {
            let (question, answer) = match i % 4 {
                0 => ("婚姻届 出す 場所", "婚姻届 市民課 窓口 提出 受付"),
                1 => ("出生届 出す 場所", "出生届 市民課 窓口 提出 受付"),
                2 => ("粗大ごみ 捨てる 方法", "粗大ごみ 収集 申込 電話 有料"),
                _ => ("市県民税 払う 方法", "市県民税 納付書 口座 振替 銀行"),
            };
            texts.push((i, words(question), words(answer)));
        }
        let entries: Vec<EntryWords> = texts
            .iter()
            .map(|(key, question, answer)| EntryWords {
                key: *key,
                questions: vec![question.as_slice()],
                answer: answer.as_slice(),
            })
            .collect();
        let space = WordSpace::build(&entries, 3).expect("space");
        let position = space.locate(&words("婚姻届")).expect("known word");
        let birth = space.similarity(&position, 1);
        let garbage = space.similarity(&position, 2);
        assert!(
            birth > 0.5 && birth > garbage + 0.4,
            "出生届 entry {birth}, 粗大ごみ entry {garbage}"
        );
        assert!(space.locate(&words("未知語")).is_none());
    }
}
