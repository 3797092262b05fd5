//! 2x2 gate matrices.

use num_complex::Complex64;

use crate::{Error, Result};

/// Complex amplitude type (two `f64`).
pub type C64 = Complex64;

/// Tolerance used by [`Matrix2::checked`] for `U^dagger U = I`.
pub const UNITARY_TOLERANCE: f64 = 1e-10;

const fn c(re: f64, im: f64) -> C64 {
    C64::new(re, im)
}

/// A 2x2 complex matrix, row-major: `[[m00, m01], [m10, m11]]`.
///
/// The gate constructors below follow the textbook (and Qiskit) definitions,
/// e.g. `RX(theta) = exp(-i theta X / 2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Matrix2(pub [[C64; 2]; 2]);

impl Matrix2 {
    /// The identity.
    pub const IDENTITY: Self = Self([[c(1.0, 0.0), c(0.0, 0.0)], [c(0.0, 0.0), c(1.0, 0.0)]]);

    /// A matrix checked to be unitary to within [`UNITARY_TOLERANCE`].
    ///
    /// # Errors
    /// [`Error::NotUnitary`] when `U^dagger U` differs from the identity (or
    /// an entry is not finite).
    pub fn checked(m: [[C64; 2]; 2], context: &str) -> Result<Self> {
        let m = Self(m);
        let dev = m.unitarity_deviation();
        if dev.is_finite() && dev <= UNITARY_TOLERANCE {
            Ok(m)
        } else {
            Err(Error::NotUnitary {
                deviation: dev,
                tolerance: UNITARY_TOLERANCE,
                context: context.to_owned(),
            })
        }
    }

    /// Largest absolute entry of `U^dagger U - I` (NaN when an entry is not finite).
    #[must_use]
    pub fn unitarity_deviation(&self) -> f64 {
        let p = self.adjoint().mul(self);
        let mut dev: f64 = 0.0;
        for (r, row) in p.0.iter().enumerate() {
            for (col, v) in row.iter().enumerate() {
                let target = if r == col { 1.0 } else { 0.0 };
                let d = (v - C64::new(target, 0.0)).norm();
                if !d.is_finite() {
                    return f64::NAN;
                }
                dev = dev.max(d);
            }
        }
        dev
    }

    /// Conjugate transpose.
    #[must_use]
    pub fn adjoint(&self) -> Self {
        let m = &self.0;
        Self([
            [m[0][0].conj(), m[1][0].conj()],
            [m[0][1].conj(), m[1][1].conj()],
        ])
    }

    /// Matrix product `self * rhs` (apply `rhs` first, then `self`).
    #[must_use]
    pub fn mul(&self, rhs: &Self) -> Self {
        let a = &self.0;
        let b = &rhs.0;
        Self([
            [
                a[0][0] * b[0][0] + a[0][1] * b[1][0],
                a[0][0] * b[0][1] + a[0][1] * b[1][1],
            ],
            [
                a[1][0] * b[0][0] + a[1][1] * b[1][0],
                a[1][0] * b[0][1] + a[1][1] * b[1][1],
            ],
        ])
    }

    /// True when both off-diagonal entries are exactly zero.
    #[must_use]
    pub fn is_diagonal(&self) -> bool {
        self.0[0][1] == C64::new(0.0, 0.0) && self.0[1][0] == C64::new(0.0, 0.0)
    }

    /// Hadamard.
    #[must_use]
    pub fn h() -> Self {
        let s = std::f64::consts::FRAC_1_SQRT_2;
        Self([[c(s, 0.0), c(s, 0.0)], [c(s, 0.0), c(-s, 0.0)]])
    }
    /// Pauli X.
    #[must_use]
    pub fn x() -> Self {
        Self([[c(0.0, 0.0), c(1.0, 0.0)], [c(1.0, 0.0), c(0.0, 0.0)]])
    }
    /// Pauli Y.
    #[must_use]
    pub fn y() -> Self {
        Self([[c(0.0, 0.0), c(0.0, -1.0)], [c(0.0, 1.0), c(0.0, 0.0)]])
    }
    /// Pauli Z.
    #[must_use]
    pub fn z() -> Self {
        Self::phase(std::f64::consts::PI)
    }
    /// S = sqrt(Z).
    #[must_use]
    pub fn s() -> Self {
        Self([[c(1.0, 0.0), c(0.0, 0.0)], [c(0.0, 0.0), c(0.0, 1.0)]])
    }
    /// S dagger.
    #[must_use]
    pub fn sdg() -> Self {
        Self([[c(1.0, 0.0), c(0.0, 0.0)], [c(0.0, 0.0), c(0.0, -1.0)]])
    }
    /// T = sqrt(S).
    #[must_use]
    pub fn t() -> Self {
        Self::phase(std::f64::consts::FRAC_PI_4)
    }
    /// T dagger.
    #[must_use]
    pub fn tdg() -> Self {
        Self::phase(-std::f64::consts::FRAC_PI_4)
    }
    /// `RX(theta) = exp(-i theta X / 2)`.
    #[must_use]
    pub fn rx(theta: f64) -> Self {
        let (s, co) = (theta / 2.0).sin_cos();
        Self([[c(co, 0.0), c(0.0, -s)], [c(0.0, -s), c(co, 0.0)]])
    }
    /// `RY(theta) = exp(-i theta Y / 2)`.
    #[must_use]
    pub fn ry(theta: f64) -> Self {
        let (s, co) = (theta / 2.0).sin_cos();
        Self([[c(co, 0.0), c(-s, 0.0)], [c(s, 0.0), c(co, 0.0)]])
    }
    /// `RZ(theta) = exp(-i theta Z / 2) = diag(e^{-i theta/2}, e^{i theta/2})`.
    #[must_use]
    pub fn rz(theta: f64) -> Self {
        Self([
            [C64::from_polar(1.0, -theta / 2.0), c(0.0, 0.0)],
            [c(0.0, 0.0), C64::from_polar(1.0, theta / 2.0)],
        ])
    }
    /// Phase gate `diag(1, e^{i lambda})`.
    #[must_use]
    pub fn phase(lambda: f64) -> Self {
        Self([
            [c(1.0, 0.0), c(0.0, 0.0)],
            [c(0.0, 0.0), C64::from_polar(1.0, lambda)],
        ])
    }
    /// The general single-qubit gate `U(theta, phi, lambda)` (OpenQASM 3 definition).
    #[must_use]
    pub fn u(theta: f64, phi: f64, lambda: f64) -> Self {
        let (s, co) = (theta / 2.0).sin_cos();
        Self([
            [c(co, 0.0), -C64::from_polar(s, lambda)],
            [C64::from_polar(s, phi), C64::from_polar(co, phi + lambda)],
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_gates_are_unitary() {
        for m in [
            Matrix2::h(),
            Matrix2::x(),
            Matrix2::y(),
            Matrix2::z(),
            Matrix2::s(),
            Matrix2::sdg(),
            Matrix2::t(),
            Matrix2::tdg(),
            Matrix2::rx(0.3),
            Matrix2::ry(-1.2),
            Matrix2::rz(2.0),
            Matrix2::phase(0.7),
            Matrix2::u(0.1, 0.2, 0.3),
        ] {
            assert!(m.unitarity_deviation() < 1e-12, "{m:?}");
        }
    }

    #[test]
    fn non_unitary_is_rejected() {
        let m = [[c(1.0, 0.0), c(1.0, 0.0)], [c(0.0, 0.0), c(1.0, 0.0)]];
        assert!(matches!(
            Matrix2::checked(m, "test"),
            Err(Error::NotUnitary { .. })
        ));
        let nan = [[c(f64::NAN, 0.0), c(0.0, 0.0)], [c(0.0, 0.0), c(1.0, 0.0)]];
        assert!(Matrix2::checked(nan, "test").is_err());
    }

    #[test]
    fn s_squared_is_z_and_t_squared_is_s() {
        let zz = Matrix2::s().mul(&Matrix2::s());
        let z = Matrix2::z();
        for r in 0..2 {
            for k in 0..2 {
                assert!((zz.0[r][k] - z.0[r][k]).norm() < 1e-15);
                assert!(
                    (Matrix2::t().mul(&Matrix2::t()).0[r][k] - Matrix2::s().0[r][k]).norm() < 1e-15
                );
            }
        }
    }
}
