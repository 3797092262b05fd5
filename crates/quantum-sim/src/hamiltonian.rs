//! Diagonal (Z-string) Hamiltonians and their precomputed diagonals.

use crate::state::SimConfig;
use crate::{Error, Result};

/// One term `coeff * prod_{q in mask} Z_q` (an empty mask is a constant).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZTerm {
    /// Coefficient.
    pub coeff: f64,
    /// Bit `q` set when `Z_q` is in the product.
    pub mask: u64,
}

/// A Hamiltonian that is a real combination of products of Pauli Z: diagonal
/// in the computational basis. The value on basis state `z` is
/// `sum_t coeff_t * (-1)^{popcount(z & mask_t)}` (`Z|0> = |0>`, `Z|1> = -|1>`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ZHamiltonian {
    num_qubits: usize,
    terms: Vec<ZTerm>,
}

impl ZHamiltonian {
    /// An empty Hamiltonian on `num_qubits` qubits (at most 64).
    ///
    /// # Errors
    /// [`Error::TooLarge`] above 64 qubits.
    pub fn new(num_qubits: usize) -> Result<Self> {
        if num_qubits > 64 {
            return Err(Error::TooLarge {
                method: "Z-string Hamiltonian",
                max: 64,
                got: num_qubits,
            });
        }
        Ok(Self {
            num_qubits,
            terms: Vec::new(),
        })
    }

    /// Add `coeff * prod_{q in qubits} Z_q`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`], [`Error::Invalid`]
    /// for a non-finite coefficient.
    pub fn add_term(&mut self, coeff: f64, qubits: &[usize]) -> Result<&mut Self> {
        if !coeff.is_finite() {
            return Err(Error::invalid(
                "coefficient",
                format!("{coeff} on Z{qubits:?} is not finite"),
            ));
        }
        let mut mask = 0u64;
        for &q in qubits {
            if q >= self.num_qubits {
                return Err(Error::QubitOutOfRange {
                    qubit: q,
                    num_qubits: self.num_qubits,
                    context: format!("Z-string term {qubits:?}"),
                });
            }
            if mask & (1 << q) != 0 {
                return Err(Error::RepeatedQubit {
                    qubit: q,
                    context: format!("Z-string term {qubits:?}"),
                });
            }
            mask |= 1 << q;
        }
        if coeff != 0.0 {
            self.terms.push(ZTerm { coeff, mask });
        }
        Ok(self)
    }

    /// Add a constant.
    pub fn add_constant(&mut self, c: f64) -> &mut Self {
        if c != 0.0 && c.is_finite() {
            self.terms.push(ZTerm { coeff: c, mask: 0 });
        }
        self
    }

    /// Number of qubits.
    #[must_use]
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The terms.
    #[must_use]
    pub fn terms(&self) -> &[ZTerm] {
        &self.terms
    }

    /// Value on basis state `z` (bit `q` of `z` = qubit `q`).
    #[must_use]
    pub fn value(&self, z: u64) -> f64 {
        self.terms
            .iter()
            .map(|t| {
                if (z & t.mask).count_ones().is_multiple_of(2) {
                    t.coeff
                } else {
                    -t.coeff
                }
            })
            .sum()
    }

    /// The full diagonal, built by doubling (`O(2^n * terms / n)` on average,
    /// each term is added when its highest qubit is reached), stored as a
    /// `u16` level index when the values are integers spanning at most 65 536
    /// levels (MaxCut with integer weights), else as `f64`.
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] before allocating (8 bytes per basis state).
    pub fn diagonal(&self, config: &SimConfig) -> Result<Diagonal> {
        let n = self.num_qubits;
        config.check(n, 8)?;
        let mut by_top: Vec<Vec<(f64, u64)>> = vec![Vec::new(); n];
        let mut constant = 0.0;
        for t in &self.terms {
            if t.mask == 0 {
                constant += t.coeff;
            } else {
                let top = 63 - t.mask.leading_zeros() as usize;
                by_top[top].push((t.coeff, t.mask & !(1u64 << top)));
            }
        }
        let mut d: Vec<f64> = Vec::with_capacity(1usize << n);
        d.push(constant);
        for (k, terms) in by_top.iter().enumerate() {
            let len = 1usize << k;
            d.extend_from_within(..len);
            let (lo, hi) = d.split_at_mut(len);
            for (z, (l, h)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                let delta: f64 = terms
                    .iter()
                    .map(|&(c, m)| {
                        if (z as u64 & m).count_ones().is_multiple_of(2) {
                            c
                        } else {
                            -c
                        }
                    })
                    .sum();
                *l += delta;
                *h -= delta;
            }
        }
        Ok(Diagonal::from_values(n, d))
    }
}

/// A precomputed diagonal `d(z)` over all `2^n` basis states.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagonal {
    num_qubits: usize,
    repr: Repr,
    /// `max_z |d(z)|` (infinite or NaN when some value is).
    max_abs: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    Levels { index: Vec<u16>, levels: Vec<f64> },
    Dense(Vec<f64>),
}

impl Diagonal {
    /// From explicit values (length `2^n`); compressed to levels when possible.
    pub(crate) fn from_values(num_qubits: usize, d: Vec<f64>) -> Self {
        let (min, max) = d
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        // Integer levels above the minimum, up to rounding; a value that
        // rounds to the minimum must equal it up to rounding of the values'
        // magnitude (else tiny objectives, all within 1e-9 of their minimum,
        // collapsed into one level).
        let noise = 1e-12 * min.abs().max(max.abs());
        let integral = max - min <= 65_535.0
            && d.iter().all(|&v| {
                let r = v - min;
                let k = r.round();
                (r - k).abs() <= 1e-9 * (1.0 + r.abs()) && (k != 0.0 || r.abs() <= noise)
            });
        let max_abs = if d.iter().any(|v| v.is_nan()) {
            f64::NAN
        } else {
            min.abs().max(max.abs())
        };
        if integral && min.is_finite() {
            let index: Vec<u16> = d.iter().map(|&v| (v - min).round() as u16).collect();
            let span = (max - min).round() as usize;
            let levels = (0..=span).map(|k| min + k as f64).collect();
            Self {
                num_qubits,
                repr: Repr::Levels { index, levels },
                max_abs,
            }
        } else {
            Self {
                num_qubits,
                repr: Repr::Dense(d),
                max_abs,
            }
        }
    }

    /// Number of qubits.
    #[must_use]
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Value on basis state `z`.
    #[must_use]
    pub fn value(&self, z: usize) -> f64 {
        match &self.repr {
            Repr::Levels { index, levels } => levels[usize::from(index[z])],
            Repr::Dense(d) => d[z],
        }
    }

    /// `max_z |d(z)|`: the scale of the cost phases `gamma * d(z)`. Not
    /// finite when some value overflowed `f64`.
    #[must_use]
    pub fn max_abs(&self) -> f64 {
        self.max_abs
    }

    /// Largest value and one basis state attaining it.
    #[must_use]
    pub fn max(&self) -> (usize, f64) {
        let mut best = (0, f64::NEG_INFINITY);
        for z in 0..1usize << self.num_qubits {
            let v = self.value(z);
            if v > best.1 {
                best = (z, v);
            }
        }
        best
    }

    /// `(index, levels)` when stored as levels.
    pub(crate) fn levels(&self) -> Option<(&[u16], &[f64])> {
        match &self.repr {
            Repr::Levels { index, levels } => Some((index, levels)),
            Repr::Dense(_) => None,
        }
    }

    /// Dense values when not stored as levels.
    pub(crate) fn dense(&self) -> Option<&[f64]> {
        match &self.repr {
            Repr::Dense(d) => Some(d),
            Repr::Levels { .. } => None,
        }
    }

    /// True when stored as a `u16` index into integer levels.
    #[must_use]
    pub fn is_leveled(&self) -> bool {
        matches!(self.repr, Repr::Levels { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagonal_matches_value() {
        let mut h = ZHamiltonian::new(5).unwrap();
        h.add_term(0.5, &[0, 3]).unwrap();
        h.add_term(-1.25, &[4]).unwrap();
        h.add_term(0.3, &[1, 2, 4]).unwrap();
        h.add_constant(2.0);
        let d = h.diagonal(&SimConfig::default()).unwrap();
        assert!(!d.is_leveled());
        for z in 0..32u64 {
            assert!((d.value(z as usize) - h.value(z)).abs() < 1e-12);
        }
        let mut g = ZHamiltonian::new(3).unwrap();
        g.add_term(-0.5, &[0, 1])
            .unwrap()
            .add_term(-0.5, &[1, 2])
            .unwrap();
        g.add_constant(1.0);
        let d = g.diagonal(&SimConfig::default()).unwrap();
        assert!(d.is_leveled());
        for z in 0..8u64 {
            assert!((d.value(z as usize) - g.value(z)).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_terms() {
        let mut h = ZHamiltonian::new(2).unwrap();
        assert!(matches!(
            h.add_term(1.0, &[2]),
            Err(Error::QubitOutOfRange { .. })
        ));
        assert!(matches!(
            h.add_term(1.0, &[1, 1]),
            Err(Error::RepeatedQubit { .. })
        ));
        assert!(h.add_term(f64::NAN, &[0]).is_err());
    }
}
