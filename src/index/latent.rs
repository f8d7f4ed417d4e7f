//! A latent semantic space of the entries (latent semantic indexing): the
//! leading singular vectors of the entries' tf-idf term matrix. Words that
//! keep appearing together across the content (婚姻 and 戸籍, 粗大ごみ and
//! 収集) end up close in it, so a message can come near an entry that words
//! the same matter differently, which exact-term BM25 cannot see.
//!
//! The truncated SVD is computed by subspace iteration on the entry-by-entry
//! matrix MᵀM without forming it: every step costs two passes over the
//! non-zero weights, which keeps a 2,000-entry build to a fraction of a
//! second. The start vectors come from a fixed seed, so the same content
//! always gives the same space.

use std::collections::{BTreeMap, HashMap};

/// Extra dimensions iterated beyond those kept, for accuracy.
const OVERSAMPLING: usize = 10;
/// Rounds of subspace iteration.
const ITERATIONS: usize = 3;
/// Below this many entries the content is too small for co-occurrence to
/// mean anything, and no space is built.
pub const MIN_ENTRIES: usize = 200;

/// The terms of one entry with their counts (question terms counted more).
pub type TermCounts = HashMap<String, f32>;

/// Entries and terms as vectors of the same low-dimensional space.
pub struct LatentSpace {
    dims: usize,
    /// Each known term's inverse document frequency and row in
    /// `term_vectors`.
    terms: HashMap<String, (f32, usize)>,
    /// One row of `dims` values per term: where a message containing it is
    /// pulled to.
    term_vectors: Vec<f32>,
    /// The row of each entry key in `entry_vectors`.
    rows: HashMap<usize, usize>,
    /// One unit-length row of `dims` values per entry.
    entry_vectors: Vec<f32>,
}

/// A message placed in the space.
pub struct Position(Vec<f32>);

impl LatentSpace {
    /// Builds a space of (at most) `dims` dimensions over the entries, keyed
    /// by the caller's entry keys; `None` when there are fewer than
    /// [`MIN_ENTRIES`] entries or `dims` is 0.
    pub fn build(entries: &[(usize, TermCounts)], dims: usize) -> Option<LatentSpace> {
        let n = entries.len();
        if n < MIN_ENTRIES || dims == 0 {
            return None;
        }
        let matrix = TermMatrix::new(entries);
        let width = (dims + OVERSAMPLING).min(n);
        let mut basis = random_block(n, width);
        orthonormalize(&mut basis, width);
        for _ in 0..ITERATIONS {
            basis = matrix.gram_times(&basis, width);
            orthonormalize(&mut basis, width);
        }
        // Rayleigh–Ritz: the eigenvectors of the small projected matrix
        // rotate the basis onto the singular vectors.
        let projected = matrix.gram_times(&basis, width);
        let mut small = vec![0.0f64; width * width];
        for row in 0..n {
            let b = &basis[row * width..(row + 1) * width];
            let p = &projected[row * width..(row + 1) * width];
            for i in 0..width {
                for j in 0..width {
                    small[i * width + j] += f64::from(b[i]) * f64::from(p[j]);
                }
            }
        }
        // Symmetric in exact arithmetic; make it so in floating point.
        for i in 0..width {
            for j in 0..i {
                let mean = (small[i * width + j] + small[j * width + i]) / 2.0;
                small[i * width + j] = mean;
                small[j * width + i] = mean;
            }
        }
        let (values, vectors) = symmetric_eigen(small, width);
        let mut order: Vec<usize> = (0..width).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        // Directions the content barely spans would only amplify rounding.
        let largest = values.iter().copied().fold(0.0, f64::max);
        order.retain(|&i| values[i] > largest * 1e-6);
        order.truncate(dims);
        let dims = order.len();
        if dims == 0 {
            return None;
        }
        let sigma: Vec<f32> = order.iter().map(|&i| values[i].sqrt() as f32).collect();
        // Right singular vectors (one row per entry): the basis rotated by
        // the kept eigenvectors.
        let mut rotation = vec![0.0f32; width * dims];
        for j in 0..width {
            for (d, &i) in order.iter().enumerate() {
                rotation[j * dims + d] = vectors[j * width + i] as f32;
            }
        }
        let mut right = vec![0.0f32; n * dims];
        for (b, r) in basis.chunks(width).zip(right.chunks_mut(dims)) {
            for (&weight, rotated) in b.iter().zip(rotation.chunks(dims)) {
                for (value, x) in r.iter_mut().zip(rotated) {
                    *value += weight * x;
                }
            }
        }
        // Entries sit at VΣ, compared by angle.
        let mut entry_vectors = right.clone();
        for row in entry_vectors.chunks_mut(dims) {
            for (value, s) in row.iter_mut().zip(&sigma) {
                *value *= s;
            }
            normalize(row);
        }
        // Terms sit at MVΣ⁻¹ (the left singular vectors).
        let mut term_vectors = matrix.times(&right, dims);
        for row in term_vectors.chunks_mut(dims) {
            for (value, s) in row.iter_mut().zip(&sigma) {
                *value /= s;
            }
        }
        let rows = entries
            .iter()
            .enumerate()
            .map(|(row, (key, _))| (*key, row))
            .collect();
        Some(LatentSpace {
            dims,
            terms: matrix.terms,
            term_vectors,
            rows,
            entry_vectors,
        })
    }

    /// Places a message, given its terms, in the space; `None` when none of
    /// them is known.
    pub fn locate<'a>(&self, terms: impl IntoIterator<Item = &'a String>) -> Option<Position> {
        let mut counts: BTreeMap<&str, f32> = BTreeMap::new();
        for term in terms {
            *counts.entry(term.as_str()).or_default() += 1.0;
        }
        let mut position = vec![0.0f32; self.dims];
        let mut known = false;
        for (term, count) in counts {
            let Some(&(idf, row)) = self.terms.get(term) else {
                continue;
            };
            known = true;
            let weight = (1.0 + count.ln()) * idf;
            let vector = &self.term_vectors[row * self.dims..(row + 1) * self.dims];
            for (p, v) in position.iter_mut().zip(vector) {
                *p += weight * v;
            }
        }
        (known && normalize(&mut position)).then_some(Position(position))
    }

    /// Cosine (−1–1) between a message's position and an entry.
    pub fn similarity(&self, position: &Position, key: usize) -> f32 {
        self.rows.get(&key).map_or(0.0, |&row| {
            let entry = &self.entry_vectors[row * self.dims..(row + 1) * self.dims];
            entry.iter().zip(&position.0).map(|(a, b)| a * b).sum()
        })
    }
}

/// The entries' tf-idf weights, column (entry) by column, each column of
/// unit length.
struct TermMatrix {
    terms: HashMap<String, (f32, usize)>,
    /// For each entry, its (term row, weight) pairs.
    columns: Vec<Vec<(usize, f32)>>,
}

impl TermMatrix {
    fn new(entries: &[(usize, TermCounts)]) -> TermMatrix {
        let mut frequency: HashMap<&str, usize> = HashMap::new();
        for (_, counts) in entries {
            for term in counts.keys() {
                *frequency.entry(term.as_str()).or_default() += 1;
            }
        }
        let total = entries.len() as f32;
        let mut terms: HashMap<String, (f32, usize)> = HashMap::new();
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
                                let new =
                                    ((total / frequency[term.as_str()] as f32).ln(), terms.len());
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
        TermMatrix { terms, columns }
    }

    /// M·X for X with one row of `width` values per entry: one row per term.
    fn times(&self, x: &[f32], width: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; self.terms.len() * width];
        for (entry, column) in self.columns.iter().enumerate() {
            let source = &x[entry * width..(entry + 1) * width];
            for &(term, weight) in column {
                let target = &mut out[term * width..(term + 1) * width];
                for (t, s) in target.iter_mut().zip(source) {
                    *t += weight * s;
                }
            }
        }
        out
    }

    /// MᵀM·X, one row of `width` values per entry.
    fn gram_times(&self, x: &[f32], width: usize) -> Vec<f32> {
        let by_term = self.times(x, width);
        let mut out = vec![0.0f32; self.columns.len() * width];
        for (entry, column) in self.columns.iter().enumerate() {
            let target = &mut out[entry * width..(entry + 1) * width];
            for &(term, weight) in column {
                let source = &by_term[term * width..(term + 1) * width];
                for (t, s) in target.iter_mut().zip(source) {
                    *t += weight * s;
                }
            }
        }
        out
    }
}

/// `rows` × `width` values from a fixed-seed generator, uniform in −1–1.
fn random_block(rows: usize, width: usize) -> Vec<f32> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..rows * width)
        .map(|_| {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
            bits as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

/// Makes the `width` columns of a row-major block orthonormal (modified
/// Gram–Schmidt, on a column-major copy so that each column is contiguous);
/// a column that turns out dependent is left at zero.
fn orthonormalize(block: &mut [f32], width: usize) {
    let rows = block.len() / width;
    let mut columns = vec![0.0f32; block.len()];
    for r in 0..rows {
        for c in 0..width {
            columns[c * rows + r] = block[r * width + c];
        }
    }
    for col in 0..width {
        let (done, rest) = columns.split_at_mut(col * rows);
        let current = &mut rest[..rows];
        for prev in done.chunks(rows) {
            let dot: f32 = current.iter().zip(prev).map(|(a, b)| a * b).sum();
            for (a, b) in current.iter_mut().zip(prev) {
                *a -= dot * b;
            }
        }
        if !normalize(current) {
            current.iter_mut().for_each(|v| *v = 0.0);
        }
    }
    for r in 0..rows {
        for c in 0..width {
            block[r * width + c] = columns[c * rows + r];
        }
    }
}

/// Eigenvalues and eigenvectors (as columns, row-major) of a small
/// symmetric matrix, by cyclic Jacobi rotations.
fn symmetric_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..50 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i].powi(2)).sum();
        if off <= 1e-14 * scale.max(1e-300) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let akp = a[k * n + p];
                    let akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let apk = a[p * n + k];
                    let aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

/// Scales a vector to unit length; false when it is zero.
fn normalize(vector: &mut [f32]) -> bool {
    let norm = vector.iter().map(|v| v * v).sum::<f32>().sqrt();
    if norm > 1e-12 {
        vector.iter_mut().for_each(|v| *v /= norm);
        true
    } else {
        false
    }
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
    fn co_occurring_words_bring_an_entry_near_a_message_without_them() {
        // Three dimensions for three subjects: the odd entry is folded into
        // its subject.
        let space = LatentSpace::build(&corpus(), 3).expect("space");
        let message = ["婚姻".to_string()];
        let position = space.locate(&message).expect("known word");
        let related = space.similarity(&position, 1000);
        let unrelated = space.similarity(&position, 1);
        assert!(
            related > 0.5 && related > unrelated + 0.4,
            "related {related}, unrelated {unrelated}"
        );
    }

    #[test]
    fn small_content_and_unknown_words_give_no_position() {
        assert!(LatentSpace::build(&corpus()[..MIN_ENTRIES - 1], 8).is_none());
        assert!(LatentSpace::build(&corpus(), 0).is_none());
        let space = LatentSpace::build(&corpus(), 8).expect("space");
        assert!(space.locate(&["未知語".to_string()]).is_none());
        let position = space.locate(&["税".to_string()]).expect("known word");
        assert_eq!(space.similarity(&position, 99_999), 0.0);
    }

    #[test]
    fn the_same_content_gives_the_same_space() {
        let a = LatentSpace::build(&corpus(), 8).expect("space");
        let b = LatentSpace::build(&corpus(), 8).expect("space");
        let message = ["収集".to_string(), "戸籍".to_string()];
        let (pa, pb) = (a.locate(&message).unwrap(), b.locate(&message).unwrap());
        for key in [0, 1, 2, 1000] {
            assert_eq!(a.similarity(&pa, key), b.similarity(&pb, key));
        }
    }

    #[test]
    fn jacobi_finds_the_eigenvalues_of_a_symmetric_matrix() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        assert!((sorted[0] - 1.0).abs() < 1e-9 && (sorted[1] - 3.0).abs() < 1e-9);
        // Each column is an eigenvector: A·v = λ·v.
        for (col, value) in values.iter().enumerate() {
            let (x, y) = (vectors[col], vectors[2 + col]);
            assert!((2.0 * x + y - value * x).abs() < 1e-9);
            assert!((x + 2.0 * y - value * y).abs() < 1e-9);
        }
    }

    #[test]
    fn orthonormalized_columns_are_unit_and_orthogonal() {
        let mut block = random_block(50, 4);
        orthonormalize(&mut block, 4);
        for a in 0..4 {
            for b in 0..4 {
                let dot: f32 = (0..50).map(|r| block[r * 4 + a] * block[r * 4 + b]).sum();
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-4, "columns {a},{b}: {dot}");
            }
        }
    }
}
