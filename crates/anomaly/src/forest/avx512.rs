//! The rank walk with AVX-512BW, 32 rows per register (x86-64 only; chosen
//! at run time when the CPU has the feature, see `FittedForest::best_walk`).
//!
//! A chunk of 32 quantized rows (8 `i16` ranks each) fills 8 registers, four
//! rows per register. Each of the 32 lanes of the position register `p` holds
//! one row's node index within the current level. One level of one tree is
//! then, for all 32 rows at once: look up the node's rank threshold and
//! feature by `p` in the level's tables (`vpermw` for up to 32 nodes,
//! `vpermt2w` for 64, two of them and a blend for 128), fetch each row's rank
//! of that feature from the row registers (four `vpermt2w`, each serving the
//! 8 rows held by one pair of registers, and three blends), compare
//! (`vpcmpgtw` into a mask) and step `p = 2p + right`. No gathers and no
//! memory reads other than the tables, which stay in L1 while a block of rows
//! walks four trees side by side (four independent dependency chains: one
//! tree at a time, or two, measured 2x slower). The path lengths of the
//! leaves reached are then added per row in tree order, as in every walk.
//!
//! Only safe code here: the intrinsics are safe inside a function with their
//! target features, and loads and stores are `bytemuck` casts of `[i16; 32]`.

use core::arch::x86_64::{
    __m512i, _mm512_add_epi16, _mm512_cmpgt_epi16_mask, _mm512_mask_blend_epi16,
    _mm512_mask_sub_epi16, _mm512_or_si512, _mm512_permutex2var_epi16, _mm512_permutexvar_epi16,
    _mm512_set1_epi16, _mm512_test_epi16_mask,
};

/// Rows per register.
pub(super) const LANES: usize = 32;
/// Features per quantized row (narrower inputs are padded).
pub(super) const ROW: usize = 8;
/// Deepest tree the kernel walks (128 nodes on the last inner level).
pub(super) const MAX_DEPTH: u32 = 8;

/// Table entries of level `d`: whole registers of 32, at least `2^d`.
pub(super) const fn level_len(d: u32) -> usize {
    let n = 1usize << d;
    if n < LANES { LANES } else { n }
}

/// Table entries per tree: thresholds then features, level by level.
pub(super) fn tree_len(depth: u32) -> usize {
    (0..depth).map(|d| 2 * level_len(d)).sum()
}

/// The kernel's tables of all trees, built from the complete trees' rank
/// thresholds and features (heap order, `2^depth - 1` per tree).
pub(super) fn build_tables(depth: u32, threshold: &[i16], feature: &[u32]) -> Vec<i16> {
    let inner = (1usize << depth) - 1;
    let trees = threshold.len() / inner.max(1);
    let mut tables = Vec::with_capacity(trees * tree_len(depth));
    for t in 0..trees {
        for d in 0..depth {
            let first = t * inner + (1usize << d) - 1;
            let n = 1usize << d;
            let len = level_len(d);
            tables.extend_from_slice(&threshold[first..first + n]);
            tables.extend(std::iter::repeat_n(i16::MAX, len - n));
            tables.extend(feature[first..first + n].iter().map(|f| *f as i16));
            tables.extend(std::iter::repeat_n(0, len - n));
        }
    }
    tables
}

#[inline(always)]
fn load(s: &[i16]) -> __m512i {
    let mut a = [0i16; LANES];
    a.copy_from_slice(&s[..LANES]);
    bytemuck::cast(a)
}

/// Looks up `table[p]` per lane for a level of `2^d` nodes (`table` holds
/// `level_len(d)` entries).
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn lookup(d: u32, table: &[i16], p: __m512i) -> __m512i {
    match d {
        0..=5 => _mm512_permutexvar_epi16(p, load(table)),
        6 => _mm512_permutex2var_epi16(load(table), p, load(&table[32..])),
        _ => {
            let lo = _mm512_permutex2var_epi16(load(table), p, load(&table[32..]));
            let hi = _mm512_permutex2var_epi16(load(&table[64..]), p, load(&table[96..]));
            let upper = _mm512_test_epi16_mask(p, _mm512_set1_epi16(64));
            _mm512_mask_blend_epi16(upper, lo, hi)
        }
    }
}

/// Adds, for every tree in order, the path length of each row to `out`.
///
/// `rows` holds `out.len()` rounded up to a multiple of 32 quantized rows of
/// [`ROW`] ranks; `leaf` holds `2^depth` path lengths per tree; `tables` is
/// [`build_tables`]'s output; `depth <= MAX_DEPTH`.
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) fn walk_block(
    tables: &[i16],
    depth: u32,
    leaf: &[f64],
    rows: &[[i16; ROW]],
    out: &mut [f64],
) {
    match depth {
        1 => walk::<1>(tables, leaf, rows, out),
        2 => walk::<2>(tables, leaf, rows, out),
        3 => walk::<3>(tables, leaf, rows, out),
        4 => walk::<4>(tables, leaf, rows, out),
        5 => walk::<5>(tables, leaf, rows, out),
        6 => walk::<6>(tables, leaf, rows, out),
        7 => walk::<7>(tables, leaf, rows, out),
        8 => walk::<8>(tables, leaf, rows, out),
        _ => {}
    }
}

/// Trees walked side by side (independent dependency chains).
const TREES: usize = 4;

#[target_feature(enable = "avx512f,avx512bw")]
fn walk<const DEPTH: u32>(tables: &[i16], leaf: &[f64], rows: &[[i16; ROW]], out: &mut [f64]) {
    let per_tree = tree_len(DEPTH);
    let leaves = 1usize << DEPTH;
    let trees = tables.len() / per_tree;
    let mut t = 0;
    while t < trees {
        let n = TREES.min(trees - t);
        let tab = &tables[t * per_tree..(t + n) * per_tree];
        let lf = &leaf[t * leaves..(t + n) * leaves];
        if n == TREES {
            walk_trees::<DEPTH, TREES>(tab, lf, rows, out);
        } else {
            walk_trees::<DEPTH, 1>(&tab[..per_tree], &lf[..leaves], rows, out);
            if n > 1 {
                walk::<DEPTH>(&tab[per_tree..], &lf[leaves..], rows, out);
            }
        }
        t += n;
    }
}

/// Walks `N` trees (their tables and leaves) over all rows.
#[inline]
#[target_feature(enable = "avx512f,avx512bw")]
fn walk_trees<const DEPTH: u32, const N: usize>(
    tables: &[i16],
    leaf: &[f64],
    rows: &[[i16; ROW]],
    out: &mut [f64],
) {
    let per_tree = tree_len(DEPTH);
    let leaves = 1usize << DEPTH;
    // Lane j reads word (j mod 8) * 8 + feature of its register pair.
    let lane_offset: __m512i = bytemuck::cast(std::array::from_fn::<i16, LANES, _>(|j| {
        ((j % 8) * ROW) as i16
    }));
    let minus_one = _mm512_set1_epi16(-1);
    for (chunk, out) in rows.chunks_exact(LANES).zip(out.chunks_mut(LANES)) {
        let r: [__m512i; 8] = std::array::from_fn(|q| {
            bytemuck::cast::<[[i16; ROW]; 4], __m512i>(std::array::from_fn(|k| chunk[4 * q + k]))
        });
        let mut p = [_mm512_set1_epi16(0); N];
        let mut at = 0;
        for d in 0..DEPTH {
            let len = level_len(d);
            for (k, p) in p.iter_mut().enumerate() {
                let tree = &tables[k * per_tree + at..];
                let threshold = lookup(d, tree, *p);
                let feature = lookup(d, &tree[len..], *p);
                let select = _mm512_or_si512(lane_offset, feature);
                let v0 = _mm512_permutex2var_epi16(r[0], select, r[1]);
                let v1 = _mm512_permutex2var_epi16(r[2], select, r[3]);
                let v2 = _mm512_permutex2var_epi16(r[4], select, r[5]);
                let v3 = _mm512_permutex2var_epi16(r[6], select, r[7]);
                let v01 = _mm512_mask_blend_epi16(0x0000_ff00, v0, v1);
                let v23 = _mm512_mask_blend_epi16(0xff00_0000, v2, v3);
                let v = _mm512_mask_blend_epi16(0xffff_0000, v01, v23);
                let right = _mm512_cmpgt_epi16_mask(v, threshold);
                let twice = _mm512_add_epi16(*p, *p);
                *p = _mm512_mask_sub_epi16(twice, right, twice, minus_one);
            }
            at += 2 * len;
        }
        for (k, p) in p.iter().enumerate() {
            let leaf = &leaf[k * leaves..(k + 1) * leaves];
            let p: [i16; LANES] = bytemuck::cast(*p);
            for (o, &i) in out.iter_mut().zip(&p) {
                *o += leaf.get(i as usize).copied().unwrap_or(0.0);
            }
        }
    }
}
