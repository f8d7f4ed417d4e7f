//! Truncated singular value decomposition of a sparse matrix, by subspace
//! iteration on MᵀM without forming it: every step costs two passes over
//! the non-zero values. The start block comes from a fixed seed, so the same
//! matrix always gives the same vectors.
//!
//! A crate of its own so that test builds, which optimise dependencies but
//! not madoguchi itself, build the semantic spaces at full speed: left
//! unoptimised, these loops cost 0.3–0.5 s per space even for 90 entries.

/// Extra dimensions iterated beyond those kept, for accuracy.
const OVERSAMPLING: usize = 10;
/// Rounds of subspace iteration.
const ITERATIONS: usize = 3;

/// A sparse matrix stored column by column.
pub struct SparseColumns {
    /// Number of rows.
    pub rows: usize,
    /// For each column, its (row, value) pairs.
    pub columns: Vec<Vec<(usize, f32)>>,
}

/// The leading singular values of a matrix and its right singular vectors.
pub struct Truncated {
    pub dims: usize,
    /// Singular values, largest first.
    pub sigma: Vec<f32>,
    /// One row of `dims` values per column of the matrix.
    pub right: Vec<f32>,
}

impl SparseColumns {
    /// M·X for X with one row of `width` values per column: one row per
    /// row of M.
    pub fn times(&self, x: &[f32], width: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; self.rows * width];
        for (col, entries) in self.columns.iter().enumerate() {
            let source = &x[col * width..(col + 1) * width];
            for &(row, value) in entries {
                let target = &mut out[row * width..(row + 1) * width];
                for (t, s) in target.iter_mut().zip(source) {
                    *t += value * s;
                }
            }
        }
        out
    }

    /// MᵀM·X, one row of `width` values per column.
    fn gram_times(&self, x: &[f32], width: usize) -> Vec<f32> {
        let by_row = self.times(x, width);
        let mut out = vec![0.0f32; self.columns.len() * width];
        for (col, entries) in self.columns.iter().enumerate() {
            let target = &mut out[col * width..(col + 1) * width];
            for &(row, value) in entries {
                let source = &by_row[row * width..(row + 1) * width];
                for (t, s) in target.iter_mut().zip(source) {
                    *t += value * s;
                }
            }
        }
        out
    }

    /// The `dims` leading singular values and right singular vectors;
    /// directions the matrix barely spans are dropped. `None` when nothing
    /// is left.
    pub fn truncated_svd(&self, dims: usize) -> Option<Truncated> {
        let n = self.columns.len();
        let width = (dims + OVERSAMPLING).min(n);
        if width == 0 {
            return None;
        }
        let mut basis = random_block(n, width);
        orthonormalize(&mut basis, width);
        for _ in 0..ITERATIONS {
            basis = self.gram_times(&basis, width);
            orthonormalize(&mut basis, width);
        }
        // Rayleigh–Ritz: the eigenvectors of the small projected matrix
        // rotate the basis onto the singular vectors.
        let projected = self.gram_times(&basis, width);
        let mut small = vec![0.0f64; width * width];
        for (b, p) in basis.chunks(width).zip(projected.chunks(width)) {
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
        // Directions the matrix barely spans would only amplify rounding.
        let largest = values.iter().copied().fold(0.0, f64::max);
        order.retain(|&i| values[i] > largest * 1e-6);
        order.truncate(dims);
        let dims = order.len();
        if dims == 0 {
            return None;
        }
        let sigma = order.iter().map(|&i| values[i].sqrt() as f32).collect();
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
        Some(Truncated { dims, sigma, right })
    }
}

/// The dot product of two vectors of one length, summed in eight lanes:
/// a single running sum must keep its order, so it cannot be vectorised.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let (a_blocks, b_blocks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_blocks
        .remainder()
        .iter()
        .zip(b_blocks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    let mut lanes = [0.0f32; 8];
    for (x, y) in a_blocks.zip(b_blocks) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    lanes.iter().sum::<f32>() + tail
}

/// Scales a vector to unit length; false when it is zero.
#[inline]
pub fn normalize(vector: &mut [f32]) -> bool {
    let norm = dot(vector, vector).sqrt();
    if norm > 1e-12 {
        vector.iter_mut().for_each(|v| *v /= norm);
        true
    } else {
        false
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
            let along = dot(current, prev);
            for (a, b) in current.iter_mut().zip(prev) {
                *a -= along * b;
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
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_singular_values_of_a_diagonal_matrix_are_its_entries() {
        // diag(3, 2, 1) as sparse columns; two dimensions kept.
        let matrix = SparseColumns {
            rows: 3,
            columns: vec![vec![(0, 3.0)], vec![(1, 2.0)], vec![(2, 1.0)]],
        };
        let svd = matrix.truncated_svd(2).expect("svd");
        assert_eq!(svd.dims, 2);
        assert!((svd.sigma[0] - 3.0).abs() < 1e-4 && (svd.sigma[1] - 2.0).abs() < 1e-4);
        // The first right singular vector is ±e₁.
        assert!((svd.right[0].abs() - 1.0).abs() < 1e-4);
        assert!(svd.right[2].abs() < 1e-4 && svd.right[4].abs() < 1e-4);
    }
}
