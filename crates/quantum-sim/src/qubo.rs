//! Quadratic unconstrained binary optimisation problems.

use crate::hamiltonian::ZHamiltonian;
use crate::{Error, Result};

/// `E(x) = offset + sum_i a_i x_i + sum_{i<j} b_ij x_i x_j` over `x in {0,1}^n`, to minimise.
#[derive(Debug, Clone, PartialEq)]
pub struct Qubo {
    n: usize,
    linear: Vec<f64>,
    /// Dense symmetric storage of `b_ij` (`quad[i*n+j] = quad[j*n+i]`, zero diagonal).
    quad: Vec<f64>,
    offset: f64,
}

impl Qubo {
    /// All-zero QUBO on `n` variables.
    #[must_use]
    pub fn zeros(n: usize) -> Self {
        Self {
            n,
            linear: vec![0.0; n],
            quad: vec![0.0; n * n],
            offset: 0.0,
        }
    }

    /// From a full matrix `Q` with `E(x) = x^T Q x` (so `Q_ii` is linear, and
    /// `Q_ij + Q_ji` is the coefficient of `x_i x_j`).
    ///
    /// # Errors
    /// [`Error::NotSquare`] when a row's length differs from the row count,
    /// [`Error::Invalid`] for a non-finite entry.
    pub fn from_matrix(q: &[Vec<f64>]) -> Result<Self> {
        let n = q.len();
        for (row, r) in q.iter().enumerate() {
            if r.len() != n {
                return Err(Error::NotSquare {
                    row,
                    got: r.len(),
                    expected: n,
                });
            }
            if let Some(col) = r.iter().position(|v| !v.is_finite()) {
                return Err(Error::invalid(
                    "QUBO matrix",
                    format!("entry ({row}, {col}) is not finite"),
                ));
            }
        }
        let mut out = Self::zeros(n);
        for (i, row) in q.iter().enumerate() {
            out.linear[i] = row[i];
            for (j, other) in q.iter().enumerate().skip(i + 1) {
                out.add_quadratic(i, j, row[j] + other[i]);
            }
        }
        Ok(out)
    }

    /// Number of variables.
    #[must_use]
    pub fn num_vars(&self) -> usize {
        self.n
    }

    /// Add `w x_i` (ignored when `i` is out of range: builders index correctly).
    pub fn add_linear(&mut self, i: usize, w: f64) {
        if let Some(a) = self.linear.get_mut(i) {
            *a += w;
        }
    }

    /// Add `w x_i x_j` (`i == j` adds `w x_i`, since `x^2 = x`).
    pub fn add_quadratic(&mut self, i: usize, j: usize, w: f64) {
        if i == j {
            self.add_linear(i, w);
        } else if i < self.n && j < self.n {
            self.quad[i * self.n + j] += w;
            self.quad[j * self.n + i] += w;
        }
    }

    /// Add a constant.
    pub fn add_offset(&mut self, c: f64) {
        self.offset += c;
    }

    /// Constant term.
    #[must_use]
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// Linear coefficient of `x_i`.
    #[must_use]
    pub fn linear(&self, i: usize) -> f64 {
        self.linear[i]
    }

    /// Coefficient of `x_i x_j` (`i != j`).
    #[must_use]
    pub fn quadratic(&self, i: usize, j: usize) -> f64 {
        self.quad[i * self.n + j]
    }

    /// Energy of an assignment.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `x.len()` differs from the number of variables.
    pub fn energy(&self, x: &[bool]) -> Result<f64> {
        if x.len() != self.n {
            return Err(Error::invalid(
                "assignment",
                format!("{} values for {} variables", x.len(), self.n),
            ));
        }
        let mut e = self.offset;
        for i in 0..self.n {
            if x[i] {
                e += self.linear[i];
                let row = &self.quad[i * self.n..(i + 1) * self.n];
                for j in i + 1..self.n {
                    if x[j] {
                        e += row[j];
                    }
                }
            }
        }
        Ok(e)
    }

    /// Energy of the assignment in the low bits of `z` (`n <= 64`).
    #[must_use]
    pub fn energy_bits(&self, z: u64) -> f64 {
        let x: Vec<bool> = (0..self.n).map(|i| (z >> i) & 1 == 1).collect();
        self.energy(&x).unwrap_or(f64::NAN)
    }

    /// Energy change of flipping `x_i`.
    #[must_use]
    pub fn flip_delta(&self, x: &[bool], i: usize) -> f64 {
        let row = &self.quad[i * self.n..(i + 1) * self.n];
        let field: f64 = self.linear[i]
            + x.iter()
                .zip(row)
                .filter(|(xj, _)| **xj)
                .map(|(_, b)| *b)
                .sum::<f64>();
        if x[i] { -field } else { field }
    }

    /// Row `i` of the symmetric quadratic matrix.
    pub(crate) fn row(&self, i: usize) -> &[f64] {
        &self.quad[i * self.n..(i + 1) * self.n]
    }

    /// The energy as an Ising Hamiltonian (substituting `x_i = (1 - Z_i) / 2`):
    /// its value on basis state `z` equals `energy_bits(z)`.
    ///
    /// # Errors
    /// [`Error::TooLarge`] above 64 variables.
    pub fn to_ising(&self) -> Result<ZHamiltonian> {
        let mut h = ZHamiltonian::new(self.n)?;
        let mut constant = self.offset;
        for i in 0..self.n {
            let a = self.linear[i];
            constant += a / 2.0;
            h.add_term(-a / 2.0, &[i])?;
            for j in i + 1..self.n {
                let b = self.quad[i * self.n + j];
                if b != 0.0 {
                    constant += b / 4.0;
                    h.add_term(-b / 4.0, &[i])?;
                    h.add_term(-b / 4.0, &[j])?;
                    h.add_term(b / 4.0, &[i, j])?;
                }
            }
        }
        h.add_constant(constant);
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_and_ising_agree() {
        let m = vec![
            vec![1.0, -2.0, 0.5],
            vec![0.0, 3.0, 1.0],
            vec![0.25, 0.0, -1.5],
        ];
        let q = Qubo::from_matrix(&m).unwrap();
        let h = q.to_ising().unwrap();
        for z in 0..8u64 {
            let x: Vec<f64> = (0..3).map(|i| ((z >> i) & 1) as f64).collect();
            let mut direct = 0.0;
            for i in 0..3 {
                for j in 0..3 {
                    direct += m[i][j] * x[i] * x[j];
                }
            }
            assert!((q.energy_bits(z) - direct).abs() < 1e-12);
            assert!((h.value(z) - direct).abs() < 1e-12);
        }
    }

    #[test]
    fn not_square() {
        let m = vec![vec![1.0, 2.0], vec![3.0]];
        assert!(matches!(
            Qubo::from_matrix(&m),
            Err(Error::NotSquare {
                row: 1,
                got: 1,
                expected: 2
            })
        ));
        assert!(Qubo::from_matrix(&[vec![f64::NAN]]).is_err());
        assert!(Qubo::zeros(2).energy(&[true]).is_err());
    }

    #[test]
    fn flip_delta_matches() {
        let q = Qubo::from_matrix(&[vec![1.0, -2.0], vec![-1.0, 0.5]]).unwrap();
        let x = [true, false];
        let mut y = x;
        y[1] = true;
        let d = q.energy(&y).unwrap() - q.energy(&x).unwrap();
        assert!((q.flip_delta(&x, 1) - d).abs() < 1e-12);
    }
}
