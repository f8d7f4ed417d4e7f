//! The topic space (latent semantic indexing): the leading singular vectors
//! of the entries' tf-idf term matrix. Terms that keep appearing in the same
//! entries (婚姻 and 戸籍, 粗大ごみ and 収集) end up close in it.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::{EntryVectors, MIN_ENTRIES, Position, TermVectors};
use sparse_svd::SparseColumns;

/// The terms of one entry with their counts (question terms counted more).
pub type TermCounts = FxHashMap<String, f32>;

/// Entries and terms as vectors of one low-dimensional space.
pub struct TopicSpace {
    /// Where a message containing each term is pulled to.
    terms: TermVectors,
    entries: EntryVectors,
}

impl TopicSpace {
    /// Builds a space of (at most) `dims` dimensions over the entries, keyed
    /// by the caller's entry keys; `None` under [`MIN_ENTRIES`] entries or
    /// when `dims` is 0.
    pub fn build(entries: &[(usize, TermCounts)], dims: usize) -> Option<TopicSpace> {
        if entries.len() < MIN_ENTRIES || dims == 0 {
            return None;
        }
        let (terms, matrix) = tf_idf(entries);
        let svd = matrix.truncated_svd(dims)?;
        let dims = svd.dims;
        // Entries sit at VΣ, terms at MVΣ⁻¹ (the left singular vectors).
        let mut entry_vectors = svd.right.clone();
        for row in entry_vectors.chunks_mut(dims) {
            row.iter_mut().zip(&svd.sigma).for_each(|(v, s)| *v *= s);
        }
        let mut term_vectors = matrix.times(&svd.right, dims);
        for row in term_vectors.chunks_mut(dims) {
            row.iter_mut().zip(&svd.sigma).for_each(|(v, s)| *v /= s);
        }
        Some(TopicSpace {
            terms: TermVectors {
                dims,
                terms,
                vectors: term_vectors,
            },
            entries: EntryVectors::new(dims, entries.iter().map(|(key, _)| *key), entry_vectors),
        })
    }

    /// Places a message, given its terms, in the space; `None` when none of
    /// them is known.
    pub fn locate<'a>(&self, terms: impl IntoIterator<Item = &'a String>) -> Option<Position> {
        let mut counts: BTreeMap<&str, f32> = BTreeMap::new();
        for term in terms {
            *counts.entry(term.as_str()).or_default() += 1.0;
        }
        Position::sum(
            self.terms.dims,
            counts.into_iter().filter_map(|(term, count)| {
                let (idf, vector) = self.terms.get(term)?;
                Some(((1.0 + count.ln()) * idf, vector))
            }),
        )
    }

    /// Cosine (−1–1) between a message's position and an entry.
    pub fn similarity(&self, position: &Position, key: usize) -> f32 {
        self.entries.similarity(position, key)
    }
}

/// The entries' tf-idf weights (log counts), column (entry) by column, each
/// column of unit length; and each term's idf and row.
fn tf_idf(entries: &[(usize, TermCounts)]) -> (FxHashMap<String, (f32, usize)>, SparseColumns) {
    let mut frequency: FxHashMap<&str, usize> = FxHashMap::default();
    for (_, counts) in entries {
        for term in counts.keys() {
            *frequency.entry(term.as_str()).or_default() += 1;
        }
    }
    let total = entries.len() as f32;
    let mut terms: FxHashMap<String, (f32, usize)> = FxHashMap::default();
    let columns = entries
        .iter()
        .map(|(_, counts)| {
            // In a fixed order, so that the same content gives the same
            // rounding and so the same space.
            let mut sorted: Vec<(&String, &f32)> = counts.iter().collect();
            sorted.sort_unstable_by_key(|(term, _)| *term);
            let mut column: Vec<(usize, f32)> = sorted
                .into_iter()
                .filter(|(_, count)| **count > 0.0)
                .map(|(term, count)| {
                    let (idf, row) = match terms.get(term) {
                        Some(&known) => known,
                        None => {
                            let new = ((total / frequency[term.as_str()] as f32).ln(), terms.len());
                            terms.insert(term.clone(), new);
                            new
                        }
                    };
                    (row, (1.0 + count.ln()) * idf)
                })
                .collect();
            let norm = column.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                column.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            column
        })
        .collect();
    let rows = terms.len();
    (terms, SparseColumns { rows, columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(terms: &[&str]) -> TermCounts {
        terms.iter().map(|t| (t.to_string(), 1.0)).collect()
    }

    /// Entries on three subjects; on the first, 婚姻 and 戸籍 keep appearing
    /// together, but one entry says only 戸籍.
    fn corpus() -> Vec<(usize, TermCounts)> {
        let mut entries = Vec::new();
        for i in 0..MIN_ENTRIES {
            let terms: &[&str] = match i % 3 {
                0 => &["婚姻", "戸籍", "届出"],
                1 => &["粗大", "ごみ", "収集"],
                _ => &["税", "納付", "口座"],
            };
            entries.push((i, counts(terms)));
        }
        entries.push((1000, counts(&["戸籍", "謄本"])));
        entries
    }

    #[test]
    fn co_occurring_terms_bring_an_entry_near_a_message_without_them() {
        // Three dimensions for three subjects: the odd entry is folded into
        // its subject.
        let space = TopicSpace::build(&corpus(), 3).expect("space");
        let position = space.locate(&["婚姻".to_string()]).expect("known term");
        let related = space.similarity(&position, 1000);
        let unrelated = space.similarity(&position, 1);
        assert!(
            related > 0.5 && related > unrelated + 0.4,
            "related {related}, unrelated {unrelated}"
        );
    }

    #[test]
    fn small_content_and_unknown_terms_give_no_position() {
        assert!(TopicSpace::build(&corpus()[..MIN_ENTRIES - 1], 8).is_none());
        assert!(TopicSpace::build(&corpus(), 0).is_none());
        let space = TopicSpace::build(&corpus(), 8).expect("space");
        assert!(space.locate(&["未知語".to_string()]).is_none());
        let position = space.locate(&["税".to_string()]).expect("known term");
        assert_eq!(space.similarity(&position, 99_999), 0.0);
    }

    #[test]
    fn the_same_content_gives_the_same_space() {
        let a = TopicSpace::build(&corpus(), 8).expect("space");
        let b = TopicSpace::build(&corpus(), 8).expect("space");
        let message = ["収集".to_string(), "戸籍".to_string()];
        let (pa, pb) = (a.locate(&message).unwrap(), b.locate(&message).unwrap());
        for key in [0, 1, 2, 1000] {
            assert_eq!(a.similarity(&pa, key), b.similarity(&pb, key));
        }
    }
}
