//! Isolation Forest (Liu, Ting and Zhou 2008) with scikit-learn's semantics.
//!
//! * Each tree is grown on `max_samples` rows drawn without replacement
//!   (all rows when there are fewer), up to height `ceil(log2(max_samples))`.
//! * A node picks, uniformly, a feature that is not constant in the node and
//!   a split uniform between that feature's minimum and maximum in the node;
//!   rows with `x <= split` go left. A node with one row, or whose rows are
//!   all equal, is a leaf.
//! * The path length of a row is the depth of its leaf plus `c(size)`, the
//!   average path length of an unbuilt subtree of `size` rows:
//!   `c(n) = 2 (ln(n - 1) + 0.5772156649) - 2 (n - 1) / n` for `n > 2`,
//!   `c(2) = 1`, `c(n) = 0` below.
//! * The score is `2^(-E[h] / c(max_samples))`, in (0, 1]; higher is more
//!   anomalous (scikit-learn's `-score_samples`).
//!
//! Trees are stored flat: all nodes of all trees in one `Vec` of 24-byte
//! nodes, children adjacent. For scoring they are also stored as complete
//! binary trees of the height limit, walked level by level over blocks of
//! 256 rows, one tree at a time (so a tree stays in L1). Each tree
//! has its own ChaCha8 stream derived from the seed and the tree index, so
//! the result is the same with or without the `parallel` feature (rayon over
//! trees when fitting and over rows when scoring).

use ndarray::{ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::{BatchDetector, ScoreRows};

/// Euler–Mascheroni constant as scikit-learn uses it.
const EULER_GAMMA: f64 = 0.577_215_664_9;

/// Average path length of an unsuccessful search in a binary search tree of
/// `n` points: the correction added at a leaf holding `n` rows.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// Parameters of [`IsolationForest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IsolationForestParams {
    /// Number of trees (scikit-learn `n_estimators`), >= 1.
    pub n_trees: usize,
    /// Rows drawn per tree (`max_samples`), >= 2.
    pub max_samples: usize,
    /// Seed of the random streams.
    pub seed: u64,
}

impl Default for IsolationForestParams {
    fn default() -> Self {
        IsolationForestParams {
            n_trees: 100,
            max_samples: 256,
            seed: 0,
        }
    }
}

impl IsolationForestParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        if self.n_trees == 0 || self.n_trees > 100_000 {
            return Err(Error::param(
                "n_trees",
                self.n_trees,
                "must be in [1, 100000]",
            ));
        }
        if self.max_samples < 2 || self.max_samples > 1 << 24 {
            return Err(Error::param(
                "max_samples",
                self.max_samples,
                "must be in [2, 2^24]",
            ));
        }
        Ok(self)
    }
}

/// The Isolation Forest estimator: [`BatchDetector::fit`] returns a
/// [`FittedForest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IsolationForest {
    params: IsolationForestParams,
}

impl IsolationForest {
    /// An estimator with validated parameters.
    pub fn new(params: IsolationForestParams) -> Result<Self> {
        Ok(IsolationForest {
            params: params.check()?,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &IsolationForestParams {
        &self.params
    }
}

/// One node of the flat layout. An inner node has `feature < u32::MAX`, its
/// split in `value` and its children at `left` and `left + 1`; a leaf has
/// `feature == u32::MAX` and its path length (depth + c(size)) in `value`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Node {
    value: f64,
    feature: u32,
    left: u32,
}

const LEAF: u32 = u32::MAX;

/// A fitted Isolation Forest.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FittedForest {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    width: usize,
    sample_size: usize,
    norm: f64,
    complete: Option<CompleteTrees>,
}

/// The trees padded to complete binary trees of the height limit `depth`
/// (used when `depth <= MAX_COMPLETE_DEPTH`): inner node `i` has children
/// `2i + 1` and `2i + 2`, so a walk is exactly `depth` branch-free steps and
/// a block of rows can advance level by level. A leaf above the bottom level
/// becomes a chain of nodes that always go left (split `+inf`) down to the
/// bottom, where its path length is stored.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct CompleteTrees {
    depth: u32,
    /// `(2^depth - 1)` features per tree.
    feature: Vec<u32>,
    /// `(2^depth - 1)` splits per tree.
    split: Vec<f64>,
    /// `2^depth` path lengths per tree.
    leaf: Vec<f64>,
}

/// Largest height limit stored as complete trees (2^12 leaves per tree).
const MAX_COMPLETE_DEPTH: u32 = 12;

fn complete_trees(nodes: &[Node], roots: &[u32], depth: u32) -> CompleteTrees {
    let inner = (1usize << depth) - 1;
    let leaves = 1usize << depth;
    let mut ct = CompleteTrees {
        depth,
        feature: vec![0; inner * roots.len()],
        split: vec![f64::INFINITY; inner * roots.len()],
        leaf: vec![0.0; leaves * roots.len()],
    };
    for (t, &root) in roots.iter().enumerate() {
        // (node in flat layout, heap index, depth)
        let mut stack = vec![(root as usize, 0usize, 0u32)];
        while let Some((k, h, d)) = stack.pop() {
            let n = nodes[k];
            if n.feature == LEAF {
                // Always-left chain down to the bottom level.
                let mut h = h;
                for _ in d..depth {
                    ct.feature[t * inner + h] = 0;
                    ct.split[t * inner + h] = f64::INFINITY;
                    h = 2 * h + 1;
                }
                ct.leaf[t * leaves + (h - inner)] = n.value;
            } else {
                ct.feature[t * inner + h] = n.feature;
                ct.split[t * inner + h] = n.value;
                stack.push((n.left as usize, 2 * h + 1, d + 1));
                stack.push((n.left as usize + 1, 2 * h + 2, d + 1));
            }
        }
    }
    ct
}

pub(crate) fn check_finite(what: &'static str, x: ArrayView2<'_, f64>) -> Result<()> {
    for ((row, column), v) in x.indexed_iter() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what,
                row,
                column,
                value: *v,
            });
        }
    }
    Ok(())
}

fn build_tree(x: ArrayView2<'_, f64>, sample_size: usize, seed: u64, tree: u64) -> Vec<Node> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(tree);
    let n = x.nrows();
    let mut idx: Vec<usize> = rand::seq::index::sample(&mut rng, n, sample_size).into_vec();
    let max_depth = (sample_size as f64).log2().ceil() as usize;
    let width = x.ncols();
    let mut nodes: Vec<Node> = Vec::with_capacity(2 * sample_size);
    nodes.push(Node {
        value: 0.0,
        feature: LEAF,
        left: 0,
    });
    // (node index, start, end, depth)
    let mut stack = vec![(0usize, 0usize, idx.len(), 0usize)];
    let mut candidates: Vec<(u32, f64, f64)> = Vec::with_capacity(width);
    while let Some((node, start, end, depth)) = stack.pop() {
        let size = end - start;
        let leaf = |nodes: &mut Vec<Node>| {
            nodes[node] = Node {
                value: depth as f64 + average_path_length(size),
                feature: LEAF,
                left: 0,
            };
        };
        if size <= 1 || depth >= max_depth {
            leaf(&mut nodes);
            continue;
        }
        candidates.clear();
        for f in 0..width {
            let col = x.column(f);
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for &i in &idx[start..end] {
                let v = col[i];
                lo = lo.min(v);
                hi = hi.max(v);
            }
            if hi > lo {
                candidates.push((f as u32, lo, hi));
            }
        }
        if candidates.is_empty() {
            leaf(&mut nodes);
            continue;
        }
        let (f, lo, hi) = candidates[rng.random_range(0..candidates.len())];
        let mut split = lo + rng.random::<f64>() * (hi - lo);
        if split >= hi {
            split = lo;
        }
        let col = x.column(f as usize);
        // Partition idx[start..end]: <= split first.
        let mut i = start;
        let mut j = end;
        while i < j {
            if col[idx[i]] <= split {
                i += 1;
            } else {
                j -= 1;
                idx.swap(i, j);
            }
        }
        let left = nodes.len();
        nodes.push(Node {
            value: 0.0,
            feature: LEAF,
            left: 0,
        });
        nodes.push(Node {
            value: 0.0,
            feature: LEAF,
            left: 0,
        });
        nodes[node] = Node {
            value: split,
            feature: f,
            left: left as u32,
        };
        stack.push((left + 1, i, end, depth + 1));
        stack.push((left, start, i, depth + 1));
    }
    nodes
}

impl BatchDetector for IsolationForest {
    type Fitted = FittedForest;

    /// Fits on the rows of `x` (rows = samples). Errors on no rows, no
    /// columns, or a NaN or infinite value. Constant columns are allowed
    /// (they are never split on); one row gives a forest scoring every row 1.
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<FittedForest> {
        if x.nrows() == 0 {
            return Err(Error::TooFewRows {
                what: "isolation forest fit",
                needed: 1,
                got: 0,
            });
        }
        if x.ncols() == 0 {
            return Err(Error::WidthMismatch {
                expected: 1,
                got: 0,
            });
        }
        check_finite("isolation forest fit", x)?;
        let p = self.params;
        let sample_size = p.max_samples.min(x.nrows());
        let build = |t: usize| build_tree(x, sample_size, p.seed, t as u64);
        #[cfg(feature = "parallel")]
        let trees: Vec<Vec<Node>> = {
            use rayon::prelude::*;
            (0..p.n_trees).into_par_iter().map(build).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let trees: Vec<Vec<Node>> = (0..p.n_trees).map(build).collect();
        let total: usize = trees.iter().map(Vec::len).sum();
        let mut nodes = Vec::with_capacity(total);
        let mut roots = Vec::with_capacity(trees.len());
        for t in trees {
            let base = nodes.len() as u32;
            roots.push(base);
            nodes.extend(t.into_iter().map(|mut n| {
                if n.feature != LEAF {
                    n.left += base;
                }
                n
            }));
        }
        let c = average_path_length(sample_size);
        let depth = (sample_size as f64).log2().ceil() as u32;
        let complete = (depth <= MAX_COMPLETE_DEPTH).then(|| complete_trees(&nodes, &roots, depth));
        Ok(FittedForest {
            nodes,
            roots,
            width: x.ncols(),
            sample_size,
            norm: if c > 0.0 { c } else { 1.0 },
            complete,
        })
    }
}

impl FittedForest {
    /// Number of features the forest was fitted on.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Rows drawn per tree.
    pub fn sample_size(&self) -> usize {
        self.sample_size
    }

    /// Total number of nodes over all trees.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Mean path length of one row over the trees.
    pub fn mean_path_length(&self, row: ArrayView1<'_, f64>) -> f64 {
        let mut sum = 0.0;
        for &root in &self.roots {
            let mut k = root as usize;
            loop {
                let n = self.nodes[k];
                if n.feature == LEAF {
                    sum += n.value;
                    break;
                }
                k = n.left as usize + usize::from(row[n.feature as usize] > n.value);
            }
        }
        sum / self.roots.len() as f64
    }

    /// The anomaly score of one row, `2^(-E[h] / c(sample_size))`.
    pub fn score_row(&self, row: ArrayView1<'_, f64>) -> f64 {
        (-self.mean_path_length(row) / self.norm).exp2()
    }
}

/// Rows scored together per tree.
const BLOCK: usize = 256;

impl FittedForest {
    fn score_block(&self, x: ArrayView2<'_, f64>, start: usize, out: &mut [f64]) {
        out.fill(0.0);
        if let Some(ct) = &self.complete {
            // Copy the block row-major so the walk reads a plain slice.
            let w = self.width;
            let mut rows = Vec::with_capacity(out.len() * w);
            for k in 0..out.len() {
                rows.extend(x.row(start + k).iter().copied());
            }
            let inner = (1usize << ct.depth) - 1;
            let leaves = inner + 1;
            let mut idx = vec![0usize; out.len()];
            for t in 0..self.roots.len() {
                let feature = &ct.feature[t * inner..(t + 1) * inner];
                let split = &ct.split[t * inner..(t + 1) * inner];
                let leaf = &ct.leaf[t * leaves..(t + 1) * leaves];
                idx.fill(0);
                for _ in 0..ct.depth {
                    for (row, i) in rows.chunks_exact(w).zip(idx.iter_mut()) {
                        let f = feature[*i] as usize;
                        let go_right = row.get(f).is_some_and(|v| *v > split[*i]);
                        *i = 2 * *i + 1 + usize::from(go_right);
                    }
                }
                for (o, i) in out.iter_mut().zip(&idx) {
                    *o += leaf[*i - inner];
                }
            }
            let t = self.roots.len() as f64;
            for o in out.iter_mut() {
                *o = (-(*o / t) / self.norm).exp2();
            }
            return;
        }
        for &root in &self.roots {
            for (k, o) in out.iter_mut().enumerate() {
                let row = x.row(start + k);
                let mut i = root as usize;
                loop {
                    let n = self.nodes[i];
                    if n.feature == LEAF {
                        *o += n.value;
                        break;
                    }
                    i = n.left as usize + usize::from(row[n.feature as usize] > n.value);
                }
            }
        }
        let t = self.roots.len() as f64;
        for o in out.iter_mut() {
            *o = (-(*o / t) / self.norm).exp2();
        }
    }
}

impl ScoreRows for FittedForest {
    fn score_into(&self, x: ArrayView2<'_, f64>, out: &mut [f64]) -> Result<()> {
        if x.ncols() != self.width {
            return Err(Error::WidthMismatch {
                expected: self.width,
                got: x.ncols(),
            });
        }
        if out.len() != x.nrows() {
            return Err(Error::param("out", out.len(), "must have one slot per row"));
        }
        check_finite("isolation forest score", x)?;
        // Tree-major over blocks of rows: one tree (a few KiB) stays in L1
        // while a block of rows walks it.
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            out.par_chunks_mut(BLOCK)
                .enumerate()
                .for_each(|(b, o)| self.score_block(x, b * BLOCK, o));
        }
        #[cfg(not(feature = "parallel"))]
        for (b, o) in out.chunks_mut(BLOCK).enumerate() {
            self.score_block(x, b * BLOCK, o);
        }
        Ok(())
    }
}

/// Area under the ROC curve of `scores` (higher = more positive) against
/// `labels`, with ties counted half (the Mann–Whitney statistic). `None` when
/// either class is empty or the lengths differ.
pub fn roc_auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let pos = labels.iter().filter(|l| **l).count();
    let neg = labels.len() - pos;
    if pos == 0 || neg == 0 {
        return None;
    }
    // Sum of (average) ranks of positives.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if labels[k] {
                rank_sum += avg;
            }
        }
        i = j + 1;
    }
    let p = pos as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * neg as f64))
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;
    use rand::Rng;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::*;

    fn data(n: usize, outliers: usize, seed: u64) -> (Array2<f64>, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Array2::zeros((n + outliers, 4));
        let mut y = vec![false; n + outliers];
        for i in 0..n + outliers {
            for j in 0..4 {
                x[[i, j]] = if i < n {
                    rng.random::<f64>() + rng.random::<f64>() - 1.0
                } else {
                    y[i] = true;
                    rng.random_range(-6.0..6.0)
                };
            }
        }
        (x, y)
    }

    #[test]
    fn c_matches_sklearn() {
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // sklearn: _average_path_length([256]) = 10.244770920116851
        assert!((average_path_length(256) - 10.244_770_920_116_851).abs() < 1e-9);
    }

    #[test]
    fn outliers_score_higher_and_fit_is_deterministic() {
        let (x, y) = data(2000, 40, 7);
        let f = IsolationForest::default().fit(x.view()).unwrap();
        let s = f.score(x.view()).unwrap();
        let auc = roc_auc(&s, &y).unwrap();
        assert!(auc > 0.95, "auc {auc}");
        assert!(s.iter().all(|v| *v > 0.0 && *v <= 1.0));
        let g = IsolationForest::default().fit(x.view()).unwrap();
        assert_eq!(f, g);
        // The complete-tree walk agrees with the pointer walk.
        for (i, row) in x.rows().into_iter().enumerate() {
            assert!((f.score_row(row) - s[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let f = IsolationForest::default();
        assert!(matches!(
            f.fit(Array2::<f64>::zeros((0, 3)).view()),
            Err(Error::TooFewRows { .. })
        ));
        let mut x = Array2::<f64>::zeros((5, 2));
        x[[3, 1]] = f64::NAN;
        assert!(matches!(
            f.fit(x.view()),
            Err(Error::NonFinite {
                row: 3,
                column: 1,
                ..
            })
        ));
        let fitted = f.fit(Array2::<f64>::zeros((5, 2)).view()).unwrap();
        assert!(matches!(
            fitted.score(Array2::<f64>::zeros((5, 3)).view()),
            Err(Error::WidthMismatch { .. })
        ));
        // Constant data: every row is a leaf at the root, score 2^(-c(5)/c(5)) = 0.5.
        let s = fitted.score(Array2::<f64>::zeros((2, 2)).view()).unwrap();
        assert!(s.iter().all(|v| (*v - 0.5).abs() < 1e-12), "{s:?}");
        // A single row.
        let one = f.fit(Array2::<f64>::ones((1, 2)).view()).unwrap();
        assert_eq!(
            one.score(Array2::<f64>::ones((1, 2)).view()).unwrap(),
            vec![1.0]
        );
    }

    #[test]
    fn auc_handles_ties() {
        assert_eq!(roc_auc(&[0.1, 0.9], &[false, true]), Some(1.0));
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(roc_auc(&[0.5], &[true]), None);
    }
}
