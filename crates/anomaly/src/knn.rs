//! A streaming k-nearest-neighbour non-conformity measure over lagged
//! windows, after the conformal k-NN anomaly detector of Burnaev and
//! Ishimtsev ("Conformalized density- and distance-based anomaly detection in
//! time-series data", 2016): the last `dim` values form a vector, its
//! non-conformity is the sum of the squared distances to its `k` nearest
//! neighbours among the windows that ended `dim..=lags` points ago, and the
//! score is that sum relative to its own running mean.
//!
//! The distance to the window ending `j` points ago is kept per lag and
//! updated in O(1) when a point arrives (add the newest squared difference,
//! drop the oldest), so a point costs O(`lags`), not O(`lags * dim`). The
//! running sums are recomputed exactly every `lags` points to bound rounding
//! drift.

use crate::error::{Error, Result};

/// Parameters of [`KnnConformity`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KnnParams {
    /// Length of the compared windows (>= 1).
    pub dim: usize,
    /// Largest lag (in points) of a neighbour window; neighbours are the
    /// windows ending `dim..=lags` points ago (`lags >= 2 * dim`, <= 4096).
    pub lags: usize,
    /// Number of nearest neighbours summed (1..=16, <= `lags - dim + 1`).
    pub k: usize,
    /// Smoothing factor of the running mean of the non-conformity, (0, 1].
    pub alpha: f64,
}

impl Default for KnnParams {
    fn default() -> Self {
        KnnParams {
            dim: 8,
            lags: 256,
            k: 3,
            alpha: 0.01,
        }
    }
}

impl KnnParams {
    /// Validates the parameters.
    pub fn check(self) -> Result<Self> {
        if self.dim == 0 {
            return Err(Error::param("dim", self.dim, "must be >= 1"));
        }
        if self.lags < 2 * self.dim || self.lags > 4096 {
            return Err(Error::param(
                "lags",
                self.lags,
                "must be in [2 * dim, 4096]",
            ));
        }
        if self.k == 0 || self.k > 16 || self.k > self.lags - self.dim + 1 {
            return Err(Error::param(
                "k",
                self.k,
                "must be in [1, 16] and at most lags - dim + 1",
            ));
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(Error::param("alpha", self.alpha, "must be in (0, 1]"));
        }
        Ok(self)
    }
}

/// Streaming k-NN non-conformity of the latest window (see the module docs).
/// State: `8 * (2 * lags + dim + 1)` bytes plus about 100.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KnnConformity {
    params: KnnParams,
    /// The last `lags + dim + 1` values, a ring buffer.
    ring: Vec<f64>,
    /// `dist[j - 1]`: squared distance between the window ending now and the
    /// window ending `j` points ago.
    dist: Vec<f64>,
    head: usize,
    n: u64,
    mean: f64,
    since_refresh: usize,
}

impl KnnConformity {
    /// A k-NN conformity measure with validated parameters.
    pub fn new(params: KnnParams) -> Result<Self> {
        let p = params.check()?;
        Ok(KnnConformity {
            params: p,
            ring: vec![0.0; p.lags + p.dim + 1],
            dist: vec![0.0; p.lags],
            head: 0,
            n: 0,
            mean: 0.0,
            since_refresh: 0,
        })
    }

    /// The value `back` points before the newest (0 = newest).
    fn at(&self, back: usize) -> f64 {
        let len = self.ring.len();
        self.ring[(self.head + len - 1 - back) % len]
    }

    /// Learns `x` and returns the non-conformity of the window ending at it
    /// relative to its running mean (`None` until `lags + dim` points were
    /// seen). `x` must be finite.
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let (dim, lags) = (self.params.dim, self.params.lags);
        let len = self.ring.len();
        // The value leaving the current window (dim points back, before the push).
        let leaving = (self.n >= dim as u64).then(|| self.at(dim - 1));
        self.ring[self.head] = x;
        self.head = (self.head + 1) % len;
        self.n += 1;
        let n = self.n as usize;
        self.since_refresh += 1;
        if self.since_refresh >= lags {
            self.since_refresh = 0;
            self.refresh();
        } else {
            for j in 1..=lags.min(n.saturating_sub(1)) {
                let d = x - self.at(j);
                let mut v = self.dist[j - 1] + d * d;
                if let Some(old) = leaving
                    && n > j + dim
                {
                    let e = old - self.at(j + dim);
                    v -= e * e;
                }
                self.dist[j - 1] = v.max(0.0);
            }
        }
        if n < lags + dim {
            return None;
        }
        // Sum of the k smallest distances among lags dim..=lags.
        let k = self.params.k;
        let mut best = [f64::INFINITY; 16];
        for &d in &self.dist[dim - 1..] {
            if d < best[k - 1] {
                let mut i = k - 1;
                while i > 0 && best[i - 1] > d {
                    best[i] = best[i - 1];
                    i -= 1;
                }
                best[i] = d;
            }
        }
        let a: f64 = best[..k].iter().sum();
        let rel = if self.mean > 0.0 {
            a / self.mean
        } else if a > 0.0 {
            f64::MAX
        } else {
            1.0
        };
        let w = self.params.alpha.max(1.0 / ((n - lags - dim) as f64 + 1.0));
        self.mean += w * (a - self.mean);
        Some(rel.min(1e12))
    }

    /// Recomputes every lag's distance exactly.
    fn refresh(&mut self) {
        let (dim, lags) = (self.params.dim, self.params.lags);
        let n = self.n as usize;
        for j in 1..=lags {
            let mut s = 0.0;
            for i in 0..dim {
                if n > i + j {
                    let d = self.at(i) - self.at(i + j);
                    s += d * d;
                }
            }
            self.dist[j - 1] = s;
        }
    }

    /// Bytes of state (inline and heap).
    pub fn state_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + (self.ring.capacity() + self.dist.capacity()) * std::mem::size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_distances_match_a_recomputation() {
        let p = KnnParams {
            dim: 4,
            lags: 16,
            k: 2,
            alpha: 0.1,
        };
        let mut a = KnnConformity::new(p).unwrap();
        for i in 0..100 {
            a.update(((i * 37) % 11) as f64);
            let mut b = a.clone();
            b.refresh();
            for (x, y) in a.dist.iter().zip(&b.dist) {
                assert!((x - y).abs() < 1e-9, "{i}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn a_new_shape_scores_higher_than_a_repeated_one() {
        let mut k = KnnConformity::new(KnnParams::default()).unwrap();
        let mut normal = 0.0f64;
        let mut odd = 0.0f64;
        for i in 0..3000 {
            // A 20-point saw; at 2500 the saw is replaced by a flat stretch.
            let x = if (2500..2520).contains(&i) {
                5.0
            } else {
                (i % 20) as f64
            };
            if let Some(r) = k.update(x) {
                if (2000..2400).contains(&i) {
                    normal = normal.max(r);
                } else if (2500..2520).contains(&i) {
                    odd = odd.max(r);
                }
            }
        }
        assert!(odd > 10.0 * normal.max(1e-9), "{odd} vs {normal}");
    }

    #[test]
    fn bad_params_are_rejected() {
        for p in [
            KnnParams {
                dim: 0,
                ..Default::default()
            },
            KnnParams {
                lags: 10,
                ..Default::default()
            },
            KnnParams {
                k: 0,
                ..Default::default()
            },
            KnnParams {
                alpha: 2.0,
                ..Default::default()
            },
        ] {
            assert!(KnnConformity::new(p).is_err());
        }
    }
}
