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
//! 256 rows, one tree at a time (so a tree stays in L1). When every feature
//! has at most 32,766 distinct splits over all trees (always so for the
//! default 100 trees of 256 rows), the splits are also stored as exact `i16`
//! ranks (see `ranks`), and on x86-64 CPUs with AVX-512BW, detected at run
//! time, trees of height <= 8 on up to 8 features are walked 32 rows per
//! register on those ranks (see `avx512`). Every walk gives bit-identical
//! scores. Each tree
//! has its own ChaCha8 stream derived from the seed and the tree index, so
//! the result is the same with or without the `parallel` feature (rayon over
//! trees when fitting and over rows when scoring).

use ndarray::{ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::{BatchDetector, ScoreRows};

#[cfg(target_arch = "x86_64")]
mod avx512;
mod ranks;

use ranks::FeatureRanks;

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
///
/// With the `serde` feature it serializes its trees only; the scoring
/// layouts are rebuilt (and the trees checked) when it is deserialized.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(into = "ForestData", try_from = "ForestData")
)]
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
struct CompleteTrees {
    depth: u32,
    /// `(2^depth - 1)` features per tree.
    feature: Vec<u32>,
    /// `(2^depth - 1)` splits per tree.
    split: Vec<f64>,
    /// `2^depth` path lengths per tree.
    leaf: Vec<f64>,
    /// The splits as exact `i16` ranks, when every feature has at most
    /// [`ranks::MAX_SPLITS`] distinct splits.
    ranked: Option<RankedTrees>,
}

/// The complete trees with rank thresholds (see [`ranks`]): node `i`
/// sends a row right when `rank(row[feature[i]]) > threshold[i]`, exactly
/// when `row[feature[i]] > split[i]`. Always-left padding nodes have
/// threshold `i16::MAX`.
#[derive(Debug, Clone, PartialEq)]
struct RankedTrees {
    /// One rank table per input feature.
    features: Vec<FeatureRanks>,
    /// `(2^depth - 1)` thresholds per tree, parallel to `CompleteTrees::split`.
    threshold: Vec<i16>,
    /// The AVX-512 walk's tables (x86-64, depth <= 8 and width <= 8; else empty).
    simd: Vec<i16>,
}

fn ranked_trees(ct: &CompleteTrees, width: usize) -> Option<RankedTrees> {
    let mut per_feature: Vec<Vec<f64>> = vec![Vec::new(); width];
    for (&f, &s) in ct.feature.iter().zip(&ct.split) {
        if s.is_finite() {
            per_feature.get_mut(f as usize)?.push(s);
        }
    }
    let features: Vec<FeatureRanks> = per_feature
        .into_iter()
        .map(FeatureRanks::new)
        .collect::<Option<_>>()?;
    let mut threshold = Vec::with_capacity(ct.split.len());
    for (&f, &s) in ct.feature.iter().zip(&ct.split) {
        threshold.push(if s.is_finite() {
            i16::try_from(features.get(f as usize)?.index_of(s)?).ok()?
        } else {
            i16::MAX
        });
    }
    #[cfg(target_arch = "x86_64")]
    let simd = if ct.depth <= avx512::MAX_DEPTH && width <= avx512::ROW {
        avx512::build_tables(ct.depth, &threshold, &ct.feature)
    } else {
        Vec::new()
    };
    #[cfg(not(target_arch = "x86_64"))]
    let simd = Vec::new();
    Some(RankedTrees {
        features,
        threshold,
        simd,
    })
}

/// Largest height limit stored as complete trees (2^12 leaves per tree).
const MAX_COMPLETE_DEPTH: u32 = 12;

fn complete_trees(nodes: &[Node], roots: &[u32], depth: u32, width: usize) -> CompleteTrees {
    let inner = (1usize << depth) - 1;
    let leaves = 1usize << depth;
    let mut ct = CompleteTrees {
        depth,
        feature: vec![0; inner * roots.len()],
        split: vec![f64::INFINITY; inner * roots.len()],
        leaf: vec![0.0; leaves * roots.len()],
        ranked: None,
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
    ct.ranked = ranked_trees(&ct, width);
    ct
}

pub(crate) fn check_finite(what: &'static str, x: ArrayView2<'_, f64>) -> Result<()> {
    // Fast path: one pass over contiguous memory (vectorises), no indices.
    if let Some(all) = x.as_slice_memory_order()
        && all.iter().fold(true, |ok, v| ok & v.is_finite())
    {
        return Ok(());
    }
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
        // The NaN case is `0 * inf` when `hi - lo` overflows.
        if split >= hi || split.is_nan() {
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
        Ok(FittedForest::from_trees(
            nodes,
            roots,
            x.ncols(),
            sample_size,
        ))
    }
}

impl FittedForest {
    /// The forest of the given flat trees, with its scoring layouts.
    fn from_trees(nodes: Vec<Node>, roots: Vec<u32>, width: usize, sample_size: usize) -> Self {
        let c = average_path_length(sample_size);
        let depth = (sample_size as f64).log2().ceil() as u32;
        let complete =
            (depth <= MAX_COMPLETE_DEPTH).then(|| complete_trees(&nodes, &roots, depth, width));
        FittedForest {
            nodes,
            roots,
            width,
            sample_size,
            norm: if c > 0.0 { c } else { 1.0 },
            complete,
        }
    }
}

/// What a [`FittedForest`] serializes: its trees.
#[cfg(feature = "serde")]
#[derive(serde::Serialize, serde::Deserialize)]
struct ForestData {
    nodes: Vec<Node>,
    roots: Vec<u32>,
    width: usize,
    sample_size: usize,
}

#[cfg(feature = "serde")]
impl From<FittedForest> for ForestData {
    fn from(f: FittedForest) -> Self {
        ForestData {
            nodes: f.nodes,
            roots: f.roots,
            width: f.width,
            sample_size: f.sample_size,
        }
    }
}

#[cfg(feature = "serde")]
impl TryFrom<ForestData> for FittedForest {
    type Error = String;

    /// Checks that the trees are trees the fit could have built (children
    /// after their parent and inside the node list, features inside the
    /// width, no deeper than the height limit, finite values), so that
    /// scoring cannot index out of bounds or loop.
    fn try_from(d: ForestData) -> std::result::Result<Self, String> {
        if d.width == 0 || d.roots.is_empty() || !(1..=1 << 24).contains(&d.sample_size) {
            return Err("isolation forest: empty width, no trees or bad sample size".into());
        }
        let limit = (d.sample_size as f64).log2().ceil() as usize;
        let n = d.nodes.len();
        for &root in &d.roots {
            let mut stack = vec![(root as usize, 0usize)];
            while let Some((k, depth)) = stack.pop() {
                let node = d
                    .nodes
                    .get(k)
                    .ok_or_else(|| format!("isolation forest: node {k} out of range"))?;
                if !node.value.is_finite() || depth > limit {
                    return Err(format!("isolation forest: node {k} is not valid"));
                }
                if node.feature != LEAF {
                    let left = node.left as usize;
                    if left <= k || left + 1 >= n || node.feature as usize >= d.width {
                        return Err(format!("isolation forest: node {k} is not valid"));
                    }
                    stack.push((left, depth + 1));
                    stack.push((left + 1, depth + 1));
                }
            }
        }
        Ok(FittedForest::from_trees(
            d.nodes,
            d.roots,
            d.width,
            d.sample_size,
        ))
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

/// Writes the ranks of rows `start..start + q.len()` of `x` into `q`,
/// feature by feature (one feature's tables stay in cache). Lanes past the
/// width are left as they are.
fn quantize<const W: usize>(
    x: ArrayView2<'_, f64>,
    start: usize,
    features: &[FeatureRanks],
    q: &mut [[i16; W]],
) {
    let w = x.ncols();
    let end = start + q.len();
    match x.as_slice() {
        Some(all) => {
            let block = all.get(start * w..end * w).unwrap_or_default();
            for (f, fr) in features.iter().enumerate().take(W) {
                for (q, row) in q.iter_mut().zip(block.chunks_exact(w)) {
                    if let Some(v) = row.get(f) {
                        q[f] = fr.rank(*v);
                    }
                }
            }
        }
        None => {
            for (f, fr) in features.iter().enumerate().take(W) {
                for (q, v) in q.iter_mut().zip(x.column(f).slice(ndarray::s![start..end])) {
                    q[f] = fr.rank(*v);
                }
            }
        }
    }
}

/// Whether the CPU runs the AVX-512 walk (AVX-512 F and BW; the standard
/// library caches the answer).
#[cfg(target_arch = "x86_64")]
fn avx512_available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
}

/// Rows scored together per tree.
const BLOCK: usize = 256;

/// How a block of rows walks the trees. All walks give bit-identical scores:
/// the same leaves, their path lengths added tree by tree in tree order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Pointer walk of the flat nodes, one row and tree at a time.
    Pointer,
    /// Level-synchronous walk of the complete trees on `f64` values.
    Complete,
    /// The same on `i16` ranks (portable; the tests' check of the ranks).
    #[cfg(test)]
    Ranked,
    /// The rank walk with AVX-512BW, 32 rows per register.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl FittedForest {
    /// The fastest walk this forest supports on this CPU.
    fn best_walk(&self) -> Walk {
        match &self.complete {
            #[cfg(target_arch = "x86_64")]
            Some(ct)
                if ct.ranked.as_ref().is_some_and(|r| !r.simd.is_empty()) && avx512_available() =>
            {
                Walk::Avx512
            }
            Some(_) => Walk::Complete,
            None => Walk::Pointer,
        }
    }

    /// Scores the rows `start..start + out.len()` of `x` into `out`.
    fn score_block(&self, x: ArrayView2<'_, f64>, start: usize, out: &mut [f64], walk: Walk) {
        out.fill(0.0);
        let ct = self.complete.as_ref();
        let ranked = ct.and_then(|c| c.ranked.as_ref());
        match (walk, ct, ranked) {
            #[cfg(target_arch = "x86_64")]
            (Walk::Avx512, Some(ct), Some(r)) if !r.simd.is_empty() && avx512_available() => {
                self.walk_avx512(ct, r, x, start, out)
            }
            #[cfg(test)]
            (Walk::Ranked, Some(ct), Some(r)) => self.walk_ranked(ct, r, x, start, out),
            (Walk::Pointer, _, _) | (_, None, _) => self.walk_pointer(x, start, out),
            (_, Some(ct), _) => self.walk_complete(ct, x, start, out),
        }
        let t = self.roots.len() as f64;
        for o in out.iter_mut() {
            *o = (-(*o / t) / self.norm).exp2();
        }
    }

    fn walk_pointer(&self, x: ArrayView2<'_, f64>, start: usize, out: &mut [f64]) {
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
    }

    fn walk_complete(
        &self,
        ct: &CompleteTrees,
        x: ArrayView2<'_, f64>,
        start: usize,
        out: &mut [f64],
    ) {
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
    }

    /// `walk_complete` on ranks: measured slower than it on `f64` (0.92 s
    /// against 0.85 s for 1M x 8, the quantization not paying for itself
    /// without SIMD), so only the tests use it, as a check of the ranks on
    /// any CPU.
    #[cfg(test)]
    fn walk_ranked(
        &self,
        ct: &CompleteTrees,
        r: &RankedTrees,
        x: ArrayView2<'_, f64>,
        start: usize,
        out: &mut [f64],
    ) {
        let inner = (1usize << ct.depth) - 1;
        let leaves = inner + 1;
        let mut rows = vec![[0i16; 64]; out.len()];
        quantize(x, start, &r.features, &mut rows);
        let mut idx = vec![0usize; out.len()];
        for t in 0..self.roots.len() {
            let feature = &ct.feature[t * inner..(t + 1) * inner];
            let threshold = &r.threshold[t * inner..(t + 1) * inner];
            let leaf = &ct.leaf[t * leaves..(t + 1) * leaves];
            idx.fill(0);
            for _ in 0..ct.depth {
                for (row, i) in rows.iter().zip(idx.iter_mut()) {
                    let f = feature[*i] as usize;
                    let go_right = row.get(f).is_some_and(|v| *v > threshold[*i]);
                    *i = 2 * *i + 1 + usize::from(go_right);
                }
            }
            for (o, i) in out.iter_mut().zip(&idx) {
                *o += leaf[*i - inner];
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn walk_avx512(
        &self,
        ct: &CompleteTrees,
        r: &RankedTrees,
        x: ArrayView2<'_, f64>,
        start: usize,
        out: &mut [f64],
    ) {
        let n = out.len().div_ceil(avx512::LANES) * avx512::LANES;
        let mut rows = vec![[0i16; avx512::ROW]; n];
        quantize(x, start, &r.features, &mut rows[..out.len()]);
        if avx512_available() {
            // SAFETY: `walk_block` is safe code that needs only the CPU
            // features it enables (AVX-512 F and BW), and
            // `avx512_available` has just detected both at run time.
            #[allow(
                unsafe_code,
                reason = "the one call of the run-time-detected AVX-512 walk"
            )]
            unsafe {
                avx512::walk_block(&r.simd, ct.depth, &ct.leaf, &rows, out)
            };
        }
    }

    /// Scores with a given walk, block by block (the tests compare walks).
    fn score_with(&self, x: ArrayView2<'_, f64>, out: &mut [f64], walk: Walk) {
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            out.par_chunks_mut(BLOCK)
                .enumerate()
                .for_each(|(b, o)| self.score_block(x, b * BLOCK, o, walk));
        }
        #[cfg(not(feature = "parallel"))]
        for (b, o) in out.chunks_mut(BLOCK).enumerate() {
            self.score_block(x, b * BLOCK, o, walk);
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
        self.score_with(x, out, self.best_walk());
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

    /// Scores of `x` by every walk the forest has, all bit-identical to the
    /// pointer walk; returns the walks compared.
    fn all_walks_agree(f: &FittedForest, x: ArrayView2<'_, f64>) -> Vec<Walk> {
        let n = x.nrows();
        let mut reference = vec![0.0; n];
        f.score_with(x, &mut reference, Walk::Pointer);
        let mut walks = vec![Walk::Pointer];
        if f.complete.is_some() {
            walks.push(Walk::Complete);
        }
        if f.complete.as_ref().is_some_and(|c| c.ranked.is_some()) && f.width <= 64 {
            walks.push(Walk::Ranked);
        }
        #[cfg(target_arch = "x86_64")]
        if f.best_walk() == Walk::Avx512 {
            walks.push(Walk::Avx512);
        }
        for &walk in &walks {
            let mut s = vec![f64::NAN; n];
            f.score_with(x, &mut s, walk);
            for i in 0..n {
                assert_eq!(
                    s[i].to_bits(),
                    reference[i].to_bits(),
                    "{walk:?} row {i}: {} vs {}",
                    s[i],
                    reference[i]
                );
            }
        }
        walks
    }

    /// Rows whose values are the forest's own splits, their neighbours and
    /// values between, plus repeated rows.
    fn probe_rows(f: &FittedForest, n: usize, seed: u64) -> Array2<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let w = f.width;
        let splits: Vec<Vec<f64>> = (0..w)
            .map(|j| {
                f.nodes
                    .iter()
                    .filter(|nd| nd.feature == j as u32)
                    .map(|nd| nd.value)
                    .collect()
            })
            .collect();
        let mut x = Array2::zeros((n, w));
        for i in 0..n {
            for j in 0..w {
                let s = &splits[j];
                x[[i, j]] = if s.is_empty() {
                    rng.random_range(-3.0..3.0)
                } else {
                    let v = s[rng.random_range(0..s.len())];
                    match rng.random_range(0..5) {
                        0 | 1 => v,
                        2 => v.next_up(),
                        3 => v.next_down(),
                        _ => rng.random_range(-4.0..4.0),
                    }
                };
            }
            if i % 7 == 6 {
                let prev = x.row(i - 1).to_owned();
                x.row_mut(i).assign(&prev);
            }
        }
        x
    }

    #[test]
    fn every_walk_gives_bit_identical_scores_on_ties_and_splits() {
        let mut avx512_runs = 0;
        for (case, &(width, samples, trees, rows)) in [
            (1usize, 2usize, 3usize, 5usize),
            (3, 3, 10, 31),
            (8, 256, 100, 1000),
            (8, 100, 25, 257),
            (5, 64, 40, 300),
            (2, 33, 7, 64),
            (8, 16, 13, 65),
            (4, 128, 9, 100),
            (9, 256, 10, 200),
            (6, 512, 10, 300),
        ]
        .iter()
        .enumerate()
        {
            let mut rng = ChaCha8Rng::seed_from_u64(case as u64);
            // Few distinct values: many ties in the fit and in the scoring.
            let x = Array2::from_shape_fn((2000, width), |_| {
                if rng.random_range(0..3) == 0 {
                    rng.random_range(-5i32..5) as f64 * 0.25
                } else {
                    rng.random::<f64>() + rng.random::<f64>() - 1.0
                }
            });
            let f = IsolationForest::new(IsolationForestParams {
                n_trees: trees,
                max_samples: samples,
                seed: case as u64,
            })
            .unwrap()
            .fit(x.view())
            .unwrap();
            assert!(f.complete.as_ref().unwrap().ranked.is_some());
            let walks = all_walks_agree(&f, x.view());
            assert!(walks.contains(&Walk::Ranked), "{walks:?}");
            let probes = probe_rows(&f, rows, case as u64 + 100);
            let walks = all_walks_agree(&f, probes.view());
            // A column-major view takes the strided quantization path.
            let t = probes.t().to_owned();
            all_walks_agree(&f, t.t());
            #[cfg(target_arch = "x86_64")]
            {
                let simd = width <= avx512::ROW && samples <= 256;
                assert_eq!(
                    !f.complete
                        .as_ref()
                        .unwrap()
                        .ranked
                        .as_ref()
                        .unwrap()
                        .simd
                        .is_empty(),
                    simd
                );
                if simd && avx512_available() {
                    assert!(walks.contains(&Walk::Avx512), "{walks:?}");
                    avx512_runs += 1;
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if avx512_available() {
            assert_eq!(avx512_runs, 8);
        }
        let _ = avx512_runs;
    }

    #[test]
    fn too_many_splits_fall_back_to_the_f64_walk() {
        // 1 feature, 40 trees of about 2,000 inner nodes each: more than
        // 32766 distinct splits.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let x = Array2::from_shape_fn((4096, 1), |_| rng.random::<f64>());
        let f = IsolationForest::new(IsolationForestParams {
            n_trees: 40,
            max_samples: 4096,
            seed: 1,
        })
        .unwrap()
        .fit(x.view())
        .unwrap();
        let ct = f.complete.as_ref().unwrap();
        assert!(ct.ranked.is_none());
        assert_eq!(f.best_walk(), Walk::Complete);
        assert_eq!(
            all_walks_agree(&f, x.view()),
            [Walk::Pointer, Walk::Complete]
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_round_trip_scores_identically_and_rejects_bad_trees() {
        let (x, _) = data(500, 10, 4);
        let f = IsolationForest::default().fit(x.view()).unwrap();
        let json = serde_json::to_string(&f).unwrap();
        let g: FittedForest = serde_json::from_str(&json).unwrap();
        assert_eq!(f, g);
        assert_eq!(f.score(x.view()).unwrap(), g.score(x.view()).unwrap());
        let mut bad: serde_json::Value = serde_json::from_str(&json).unwrap();
        bad["nodes"][0]["left"] = 0.into();
        assert!(serde_json::from_value::<FittedForest>(bad).is_err());
        let mut bad: serde_json::Value = serde_json::from_str(&json).unwrap();
        bad["nodes"][0]["feature"] = 7.into();
        assert!(serde_json::from_value::<FittedForest>(bad).is_err());
    }

    #[test]
    fn auc_handles_ties() {
        assert_eq!(roc_auc(&[0.1, 0.9], &[false, true]), Some(1.0));
        assert_eq!(roc_auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(roc_auc(&[0.5], &[true]), None);
    }
}
