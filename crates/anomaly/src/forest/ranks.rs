//! Exact rank quantization of the forest's splits.
//!
//! For each feature the distinct split values of all trees are sorted,
//! `s_0 < s_1 < ... < s_{m-1}`. The rank of a value `x` is the number of
//! splits below it, `r(x) = #{j : s_j < x}`. Then, for every split `s_j`,
//! `x > s_j` exactly when `r(x) > j`: at least `j + 1` splits are below `x`
//! exactly when `s_j` is. So a tree whose node thresholds are the indices
//! `j` sends a row of ranks down the same path as the row of values, and
//! the comparisons are on `i16` instead of `f64` when `m <= MAX_SPLITS`.
//!
//! A rank is found through a bucket table: the bucket of a value is a
//! monotone (non-decreasing) function of the value, computed the same way for
//! the splits and for the scored values. So every split in a lower bucket is
//! below `x`, every split in a higher bucket is above it, and only the splits
//! of `x`'s own bucket (about one) are compared.

/// Most distinct splits per feature for `i16` ranks: ranks are `0..=m` and
/// `i16::MAX` is kept as the threshold that no rank exceeds.
pub(super) const MAX_SPLITS: usize = i16::MAX as usize - 1;

/// The sorted distinct splits of one feature and their bucket table.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FeatureRanks {
    /// Sorted distinct split values.
    splits: Vec<f64>,
    /// Smallest split (bucket origin).
    lo: f64,
    /// Buckets per unit of value; 0 when there is one bucket.
    scale: f64,
    /// `start[b]` = number of splits in buckets below `b`; `buckets + 1` entries.
    start: Vec<u16>,
}

impl FeatureRanks {
    /// Tables for the given split values (any order, repeats allowed).
    /// `None` when there are more than [`MAX_SPLITS`] distinct values.
    pub(super) fn new(mut splits: Vec<f64>) -> Option<Self> {
        // -0.0 and 0.0 compare equal: keep one of them.
        for s in &mut splits {
            *s += 0.0;
        }
        splits.sort_by(f64::total_cmp);
        splits.dedup();
        if splits.len() > MAX_SPLITS {
            return None;
        }
        let m = splits.len();
        let (lo, hi) = match (splits.first(), splits.last()) {
            (Some(&lo), Some(&hi)) => (lo, hi),
            _ => (0.0, 0.0),
        };
        // About two buckets per split; the scale stays finite (or the table
        // has one bucket, which is still exact, only slower).
        let buckets = (2 * m).next_power_of_two();
        let mut scale = buckets as f64 / (hi - lo);
        if !scale.is_finite() || hi <= lo {
            scale = 0.0;
        }
        // Sentinels, so that `rank` may read two splits past any bucket start.
        splits.extend([f64::INFINITY; SENTINELS]);
        let mut ranks = FeatureRanks {
            splits,
            lo,
            scale,
            start: vec![0; buckets + 1],
        };
        let mut count = vec![0u16; buckets];
        for &s in &ranks.splits[..m] {
            count[ranks.bucket(s)] += 1;
        }
        let mut total = 0;
        for (start, c) in ranks.start[1..].iter_mut().zip(&count) {
            total += c;
            *start = total;
        }
        Some(ranks)
    }

    /// Index of `s` among the sorted splits (`s` must be one of them).
    pub(super) fn index_of(&self, s: f64) -> Option<usize> {
        let s = s + 0.0;
        self.splits[..self.splits.len() - SENTINELS]
            .binary_search_by(|v| v.total_cmp(&s))
            .ok()
    }

    /// The bucket of `x`: non-decreasing in `x` (subtraction, multiplication
    /// by a non-negative constant, `min` and the saturating conversion are
    /// all monotone; a NaN product, from `0 * inf`, maps to 0 like everything
    /// at or below `lo`).
    #[inline]
    fn bucket(&self, x: f64) -> usize {
        let last = self.start.len() - 2;
        (((x - self.lo) * self.scale) as usize).min(last)
    }

    /// `#{j : s_j < x}`.
    ///
    /// Splits in buckets above `x`'s bucket are above `x`, so counting the
    /// sorted splits below `x` from the bucket's start never needs the
    /// bucket's end: the first two are compared without branches, and a
    /// loop runs only for buckets holding more than two splits.
    #[inline]
    pub(super) fn rank(&self, x: f64) -> i16 {
        let b = self.bucket(x);
        let (Some(&s), Some(&e)) = (self.start.get(b), self.start.get(b + 1)) else {
            return 0;
        };
        let (s, e) = (s as usize, e as usize);
        let (Some(&s0), Some(&s1)) = (self.splits.get(s), self.splits.get(s + 1)) else {
            return 0;
        };
        let mut r = s + usize::from(s0 < x) + usize::from(s1 < x);
        if e > s + SENTINELS {
            while r < e && self.splits.get(r).is_some_and(|v| *v < x) {
                r += 1;
            }
        }
        // r <= MAX_SPLITS < i16::MAX.
        r as i16
    }
}

/// Infinite splits appended after the real ones.
const SENTINELS: usize = 2;

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Splits below `x` in sorted distinct `splits`, by a binary search.
    fn reference(splits: &[f64], x: f64) -> i16 {
        splits.partition_point(|s| *s < x) as i16
    }

    #[test]
    fn rank_counts_splits_below_including_ties_and_extremes() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for case in 0..21 {
            let m = [0usize, 1, 2, 3, 17, 500, 3000][case % 7];
            let mut splits: Vec<f64> = (0..m)
                .map(|_| match rng.random_range(0..4) {
                    0 => rng.random_range(-3.0..3.0),
                    1 => rng.random_range(-3i32..=3) as f64 * 0.5,
                    2 => rng.random::<f64>() * 1e-300,
                    _ => rng.random_range(-1e6..1e6),
                })
                .collect();
            // Repeats.
            if m > 2 {
                splits.push(splits[0]);
                splits.push(splits[1]);
            }
            if case % 3 == 0 {
                splits.push(-0.0);
                splits.push(0.0);
            }
            let r = FeatureRanks::new(splits.clone()).unwrap();
            let mut probes: Vec<f64> = splits.clone();
            probes.extend(splits.iter().map(|s| s.next_up()));
            probes.extend(splits.iter().map(|s| s.next_down()));
            probes.extend((0..200).map(|_| rng.random_range(-4.0..4.0)));
            probes.extend([f64::MAX, f64::MIN, 0.0, -0.0, 1e-310, -1e-310]);
            let mut sorted: Vec<f64> = splits.iter().map(|s| s + 0.0).collect();
            sorted.sort_by(f64::total_cmp);
            sorted.dedup();
            for x in probes {
                assert_eq!(r.rank(x), reference(&sorted, x), "m {m} x {x}");
            }
        }
    }

    #[test]
    fn rank_comparison_equals_value_comparison() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let splits: Vec<f64> = (0..300).map(|_| rng.random_range(-2.0..2.0)).collect();
        let r = FeatureRanks::new(splits.clone()).unwrap();
        for &s in &splits {
            let j = r.index_of(s).unwrap() as i16;
            for x in [s, s.next_up(), s.next_down(), rng.random_range(-3.0..3.0)] {
                assert_eq!(x > s, r.rank(x) > j, "x {x} s {s}");
            }
        }
    }

    #[test]
    fn extreme_ranges_stay_exact() {
        // hi - lo overflows: one bucket, still exact.
        let splits = vec![-1.5e308, 0.0, 1.5e308];
        let r = FeatureRanks::new(splits.clone()).unwrap();
        for x in [f64::MIN, -1.5e308, -1.0, 0.0, 1.0, 1.5e308, f64::MAX] {
            assert_eq!(r.rank(x), reference(&splits, x));
        }
        // hi - lo subnormal.
        let splits = vec![0.0, 5e-324, 1e-323];
        let r = FeatureRanks::new(splits.clone()).unwrap();
        for x in [-1.0, 0.0, 5e-324, 1e-323, 1.0] {
            assert_eq!(r.rank(x), reference(&splits, x));
        }
        assert!(FeatureRanks::new((0..MAX_SPLITS + 1).map(|i| i as f64).collect()).is_none());
        assert_eq!(
            FeatureRanks::new((0..MAX_SPLITS).map(|i| i as f64).collect())
                .unwrap()
                .rank(1e9),
            MAX_SPLITS as i16
        );
    }
}
