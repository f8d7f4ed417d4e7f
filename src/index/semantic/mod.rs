//! Meaning beyond exact words. Learnt from the content itself: a topic
//! space of whole entries (latent semantic indexing) and word vectors from
//! the words around each word; learnt elsewhere and shipped: word vectors
//! that know words the content never uses. Each places a message and the
//! entries as unit vectors and compares them by angle, so that an entry
//! worded differently from the message can still come up.
//!
//! Co-occurrence means nothing in a handful of entries, so the content's
//! own spaces are built only from [`MIN_ENTRIES`] entries up; the shipped
//! vectors serve content of any size.

use rustc_hash::FxHashMap;

mod pretrained;
mod topics;
mod words;

pub use pretrained::PretrainedSpace;
pub use topics::{TermCounts, TopicSpace};
pub use words::{EntryWords, WordSpace};

/// The fewest entries a space is built from: a city starting with 90
/// entries gets them too (below 50, co-occurrence says little; nothing
/// was measured there). See docs/benchmarks.md.
pub const MIN_ENTRIES: usize = 50;

/// A message placed in a space: a unit vector.
pub struct Position(Vec<f32>);

impl Position {
    /// Sums weighted vectors of `dims` values into a unit vector; `None`
    /// when there are none or they cancel out.
    fn sum<'a>(
        dims: usize,
        weighted: impl IntoIterator<Item = (f32, &'a [f32])>,
    ) -> Option<Position> {
        let mut position = vec![0.0f32; dims];
        for (weight, vector) in weighted {
            for (p, v) in position.iter_mut().zip(vector) {
                *p += weight * v;
            }
        }
        sparse_svd::normalize(&mut position).then_some(Position(position))
    }
}

/// A vector of `dims` values, and an inverse document frequency, per term.
struct TermVectors {
    dims: usize,
    /// Each term's idf and row in `vectors`.
    terms: FxHashMap<String, (f32, usize)>,
    vectors: Vec<f32>,
}

impl TermVectors {
    /// A known term's idf and vector.
    fn get(&self, term: &str) -> Option<(f32, &[f32])> {
        let &(idf, row) = self.terms.get(term)?;
        Some((idf, &self.vectors[row * self.dims..(row + 1) * self.dims]))
    }
}

/// One unit vector per entry, found by the entry's key.
struct EntryVectors {
    dims: usize,
    rows: FxHashMap<usize, usize>,
    values: Vec<f32>,
}

impl EntryVectors {
    /// `values` holds one row of `dims` values per key, in the keys' order;
    /// each row is scaled to unit length.
    fn new(
        dims: usize,
        keys: impl IntoIterator<Item = usize>,
        mut values: Vec<f32>,
    ) -> EntryVectors {
        for row in values.chunks_mut(dims) {
            sparse_svd::normalize(row);
        }
        EntryVectors {
            dims,
            rows: keys
                .into_iter()
                .enumerate()
                .map(|(row, key)| (key, row))
                .collect(),
            values,
        }
    }

    /// One row per `(key, position)`; an entry with no position gets a row
    /// of zeros (close to nothing).
    fn placed(
        dims: usize,
        placed: impl IntoIterator<Item = (usize, Option<Position>)>,
    ) -> EntryVectors {
        let mut keys = Vec::new();
        let mut values = Vec::new();
        for (key, position) in placed {
            keys.push(key);
            match position {
                Some(position) => values.extend(position.0),
                None => values.extend(std::iter::repeat_n(0.0, dims)),
            }
        }
        EntryVectors::new(dims, keys, values)
    }

    /// Cosine (−1–1) between a position and an entry; 0 for an unknown key.
    fn similarity(&self, position: &Position, key: usize) -> f32 {
        self.rows.get(&key).map_or(0.0, |&row| {
            let entry = &self.values[row * self.dims..(row + 1) * self.dims];
            sparse_svd::dot(entry, &position.0)
        })
    }
}

/// Words written space-separated, as the analyser would give them, for
/// the spaces' tests.
#[cfg(test)]
fn split_words(text: &str) -> Vec<String> {
    text.split(' ').map(String::from).collect()
}
