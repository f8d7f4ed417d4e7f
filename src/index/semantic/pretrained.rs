//! Word vectors learnt outside the content (chiVe, from Japanese web text;
//! see `dictionaries/word-vectors/NOTICE.md`), embedded in the binary and
//! only looked up: unlike the content's own spaces they know words the
//! content never uses, and they work for content of any size. An entry (its
//! questions and answer) and a message become the sum of their words'
//! vectors, each weighted by the word's rarity in the content.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

use super::{EntryVectors, EntryWords, Position};

/// Dimensions of each vector in `vectors.i8`.
const DIMS: usize = 150;
const WORDS: &str = include_str!("../../../dictionaries/word-vectors/words.tsv");
const VECTORS: &[u8] = include_bytes!("../../../dictionaries/word-vectors/vectors.i8");

/// The shipped vectors, as unit vectors, and each word's row.
struct Vectors {
    rows: FxHashMap<&'static str, u32>,
    values: Vec<f32>,
}

impl Vectors {
    /// The shipped table, read once per process.
    fn shipped() -> &'static Vectors {
        static VECTORS_READ: OnceLock<Vectors> = OnceLock::new();
        VECTORS_READ.get_or_init(|| Vectors::read(WORDS, VECTORS))
    }

    /// Reads `word<TAB>row` lines and rows of [`DIMS`] signed bytes; lines
    /// naming a row that is not there are skipped.
    fn read(words: &'static str, vectors: &[u8]) -> Vectors {
        let count = vectors.len() / DIMS;
        let rows = words
            .lines()
            .filter_map(|line| {
                let (word, row) = line.split_once('\t')?;
                let row: u32 = row.parse().ok()?;
                ((row as usize) < count).then_some((word, row))
            })
            .collect();
        let mut values: Vec<f32> = vectors[..count * DIMS]
            .iter()
            .map(|&byte| f32::from(byte as i8))
            .collect();
        for row in values.chunks_mut(DIMS) {
            sparse_svd::normalize(row);
        }
        Vectors { rows, values }
    }

    fn get(&self, word: &str) -> Option<&[f32]> {
        let row = *self.rows.get(word)? as usize;
        Some(&self.values[row * DIMS..(row + 1) * DIMS])
    }
}

/// The shipped vectors weighted by the rarity of each word in the content.
struct Weighting {
    vectors: &'static Vectors,
    /// Inverse document frequency of the content's words.
    idf: FxHashMap<String, f32>,
    /// The weight of a word the content does not have: as rare as can be.
    unseen_idf: f32,
}

impl Weighting {
    fn of(entries: &[EntryWords]) -> Weighting {
        let mut frequency: FxHashMap<&str, usize> = FxHashMap::default();
        for entry in entries {
            let mut words: Vec<&str> = words_of(entry).into_iter().map(String::as_str).collect();
            words.sort_unstable();
            words.dedup();
            for word in words {
                *frequency.entry(word).or_default() += 1;
            }
        }
        let total = entries.len() as f32;
        Weighting {
            vectors: Vectors::shipped(),
            idf: frequency
                .into_iter()
                .map(|(word, count)| (word.to_string(), (total / count as f32).ln()))
                .collect(),
            unseen_idf: total.ln(),
        }
    }

    /// The idf-weighted sum of the words' vectors; `None` when no word has
    /// one.
    fn locate<'a>(&self, words: impl IntoIterator<Item = &'a String>) -> Option<Position> {
        Position::sum(
            DIMS,
            words.into_iter().filter_map(|word| {
                let vector = self.vectors.get(word)?;
                let idf = self.idf.get(word).copied().unwrap_or(self.unseen_idf);
                Some((idf, vector))
            }),
        )
    }
}

/// The entries placed among the shipped word vectors.
pub struct PretrainedSpace {
    weighting: Weighting,
    entries: EntryVectors,
}

impl PretrainedSpace {
    /// Places each entry's questions and answer; `None` without entries.
    pub fn build(entries: &[EntryWords]) -> Option<PretrainedSpace> {
        if entries.is_empty() {
            return None;
        }
        let weighting = Weighting::of(entries);
        let placed = EntryVectors::placed(
            DIMS,
            entries
                .iter()
                .map(|entry| (entry.key, weighting.locate(words_of(entry)))),
        );
        Some(PretrainedSpace {
            weighting,
            entries: placed,
        })
    }

    /// Places a message, given its words; `None` when no word has a vector.
    pub fn locate<'a>(&self, words: impl IntoIterator<Item = &'a String>) -> Option<Position> {
        self.weighting.locate(words)
    }

    /// Cosine (−1–1) between a message's position and an entry.
    pub fn similarity(&self, position: &Position, key: usize) -> f32 {
        self.entries.similarity(position, key)
    }
}

/// The words of an entry's questions and answer.
fn words_of<'a>(entry: &EntryWords<'a>) -> Vec<&'a String> {
    entry
        .questions
        .iter()
        .copied()
        .chain([entry.answer])
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::split_words as words;
    use super::*;

    #[test]
    fn every_word_of_the_shipped_table_has_its_vector() {
        assert_eq!(VECTORS.len() % DIMS, 0, "vectors.i8 is not rows of {DIMS}");
        let vectors = Vectors::shipped();
        assert_eq!(vectors.rows.len(), WORDS.lines().count());
        assert!(vectors.get("住民票").is_some());
    }

    #[test]
    fn words_the_content_never_uses_find_the_entry_worded_otherwise() {
        // Three entries: too few for the content's own spaces.
        let texts = [
            (words("引っ越し 手続き"), words("転入 届 窓口 提出")),
            (words("予防 接種 受ける"), words("接種 券 病院 予約")),
            (words("ごみ 出す"), words("収集 申込 電話 有料")),
        ];
        let entries: Vec<EntryWords> = texts
            .iter()
            .enumerate()
            .map(|(key, (question, answer))| EntryWords {
                key,
                questions: vec![question.as_slice()],
                answer: answer.as_slice(),
            })
            .collect();
        let space = PretrainedSpace::build(&entries).expect("space");
        // 転居, ワクチン and 廃棄 appear in no entry.
        let position = |word: &str| space.locate(&words(word)).expect("known word");
        let closest = |position: &Position| {
            (0..3)
                .max_by(|a, b| {
                    space
                        .similarity(position, *a)
                        .total_cmp(&space.similarity(position, *b))
                })
                .expect("entries")
        };
        assert_eq!(closest(&position("転居")), 0);
        assert_eq!(closest(&position("ワクチン")), 1);
        assert_eq!(closest(&position("廃棄")), 2);
        assert!(space.locate(&words("ｘｙｚ未知語")).is_none());
    }
}
