//! The state vector and its gates, measurement and sampling.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::gate::{C64, Matrix2};
use crate::hamiltonian::{Diagonal, ZHamiltonian};
use crate::kernel;
use crate::{Error, Result};

/// Largest number of qubits any state may have, whatever the memory limit.
pub const MAX_QUBITS: usize = 40;

/// Simulator configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    /// Bytes the simulator may allocate for one state plus its working
    /// buffers (a diagonal, a sample table). Checked before allocating.
    /// Default 4 GiB (a 27-qubit state is 2 GiB).
    pub memory_limit_bytes: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            memory_limit_bytes: 4 << 30,
        }
    }
}

impl SimConfig {
    /// Check that `num_qubits` amplitudes-sized buffers of `bytes_per_amplitude`
    /// fit in the limit.
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] when they do not, [`Error::TooLarge`] above [`MAX_QUBITS`].
    pub fn check(&self, num_qubits: usize, bytes_per_amplitude: u64) -> Result<()> {
        if num_qubits > MAX_QUBITS {
            return Err(Error::TooLarge {
                method: "state-vector simulation",
                max: MAX_QUBITS,
                got: num_qubits,
            });
        }
        let required = (1u128 << num_qubits) * u128::from(bytes_per_amplitude);
        if required > u128::from(self.memory_limit_bytes) {
            return Err(Error::MemoryLimit {
                num_qubits,
                required_bytes: required,
                limit_bytes: self.memory_limit_bytes,
            });
        }
        Ok(())
    }
}

/// Bytes per amplitude of a state (`Complex<f64>`).
pub const AMPLITUDE_BYTES: u64 = 16;

/// A pure state of `n` qubits as `2^n` complex amplitudes.
///
/// Qubit `q` is bit `q` of the basis index (little-endian, as in Qiskit): the
/// amplitude of `|x_{n-1} ... x_1 x_0>` is at index `sum_q x_q 2^q`.
#[derive(Debug, Clone, PartialEq)]
pub struct StateVector {
    num_qubits: usize,
    amps: Vec<C64>,
}

impl StateVector {
    /// `|0...0>` on `num_qubits` qubits.
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] before allocating a state above the limit.
    pub fn zero(num_qubits: usize, config: &SimConfig) -> Result<Self> {
        config.check(num_qubits, AMPLITUDE_BYTES)?;
        let mut amps = vec![C64::new(0.0, 0.0); 1usize << num_qubits];
        amps[0] = C64::new(1.0, 0.0);
        Ok(Self { num_qubits, amps })
    }

    /// The uniform superposition `|+>^n` (Hadamard on every qubit of `|0...0>`).
    ///
    /// # Errors
    /// [`Error::MemoryLimit`] before allocating a state above the limit.
    pub fn plus(num_qubits: usize, config: &SimConfig) -> Result<Self> {
        config.check(num_qubits, AMPLITUDE_BYTES)?;
        let len = 1usize << num_qubits;
        let a = 1.0 / (len as f64).sqrt();
        Ok(Self {
            num_qubits,
            amps: vec![C64::new(a, 0.0); len],
        })
    }

    /// A state from explicit amplitudes (length a power of two, finite, nonzero norm);
    /// the amplitudes are normalised.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad length, a non-finite amplitude or a zero vector.
    pub fn from_amplitudes(mut amps: Vec<C64>) -> Result<Self> {
        let len = amps.len();
        if len == 0 || !len.is_power_of_two() {
            return Err(Error::invalid(
                "amplitudes",
                format!("length {len} is not a power of two"),
            ));
        }
        if let Some(i) = amps
            .iter()
            .position(|a| !a.re.is_finite() || !a.im.is_finite())
        {
            return Err(Error::invalid(
                "amplitudes",
                format!("amplitude {i} is not finite"),
            ));
        }
        let norm = amps.iter().map(C64::norm_sqr).sum::<f64>().sqrt();
        if norm == 0.0 {
            return Err(Error::invalid("amplitudes", "zero vector"));
        }
        for a in &mut amps {
            *a /= norm;
        }
        Ok(Self {
            num_qubits: len.trailing_zeros() as usize,
            amps,
        })
    }

    /// Reset to the uniform superposition without reallocating.
    pub fn reset_plus(&mut self) {
        let a = 1.0 / (self.amps.len() as f64).sqrt();
        self.amps.fill(C64::new(a, 0.0));
    }

    /// Number of qubits.
    #[must_use]
    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// The amplitudes (index = basis state, see the type docs).
    #[must_use]
    pub fn amplitudes(&self) -> &[C64] {
        &self.amps
    }

    /// Mutable amplitudes, for custom kernels (keep the state normalised).
    pub fn amplitudes_mut(&mut self) -> &mut [C64] {
        &mut self.amps
    }

    /// `<psi|psi>` (1 up to rounding for a valid state).
    #[must_use]
    pub fn norm_sqr(&self) -> f64 {
        self.amps.iter().map(C64::norm_sqr).sum()
    }

    pub(crate) fn check_qubit(&self, qubit: usize, context: &str) -> Result<()> {
        if qubit >= self.num_qubits {
            return Err(Error::QubitOutOfRange {
                qubit,
                num_qubits: self.num_qubits,
                context: context.to_owned(),
            });
        }
        Ok(())
    }

    fn check_pair(&self, a: usize, b: usize, context: &str) -> Result<()> {
        self.check_qubit(a, context)?;
        self.check_qubit(b, context)?;
        if a == b {
            return Err(Error::RepeatedQubit {
                qubit: a,
                context: context.to_owned(),
            });
        }
        Ok(())
    }

    /// Apply a single-qubit unitary (checked) to `qubit`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::NotUnitary`].
    pub fn apply_unitary(&mut self, qubit: usize, m: [[C64; 2]; 2]) -> Result<()> {
        let m = Matrix2::checked(m, "apply_unitary")?;
        self.apply(qubit, &m)
    }

    /// Apply a [`Matrix2`] (assumed unitary: the constructors of [`Matrix2`]
    /// are; use [`Matrix2::checked`] for user data) to `qubit`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn apply(&mut self, qubit: usize, m: &Matrix2) -> Result<()> {
        self.check_qubit(qubit, "single-qubit gate")?;
        kernel::apply_1q(&mut self.amps, qubit, m);
        Ok(())
    }

    /// Apply single-qubit gates on distinct qubits at once (`gates[q]` for qubit
    /// `q`, `None` = identity) in `1 + ceil((n - 12) / 4)` passes over memory.
    ///
    /// # Errors
    /// [`Error::Invalid`] when `gates.len()` differs from the number of qubits.
    pub fn apply_layer(&mut self, gates: &[Option<Matrix2>]) -> Result<()> {
        if gates.len() != self.num_qubits {
            return Err(Error::invalid(
                "layer",
                format!(
                    "{} gates for a {}-qubit state",
                    gates.len(),
                    self.num_qubits
                ),
            ));
        }
        kernel::apply_layer(&mut self.amps, gates, None);
        Ok(())
    }

    /// Apply `m` to `target` when `control` is 1.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`].
    pub fn apply_controlled(&mut self, control: usize, target: usize, m: &Matrix2) -> Result<()> {
        self.check_pair(control, target, "controlled gate")?;
        kernel::apply_controlled(&mut self.amps, control, target, m);
        Ok(())
    }

    /// Hadamard.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn h(&mut self, q: usize) -> Result<()> {
        self.apply(q, &Matrix2::h())
    }
    /// Pauli X.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn x(&mut self, q: usize) -> Result<()> {
        self.apply(q, &Matrix2::x())
    }
    /// Pauli Y.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn y(&mut self, q: usize) -> Result<()> {
        self.apply(q, &Matrix2::y())
    }
    /// Pauli Z.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn z(&mut self, q: usize) -> Result<()> {
        self.apply(q, &Matrix2::z())
    }
    /// S gate.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn s(&mut self, q: usize) -> Result<()> {
        self.apply(q, &Matrix2::s())
    }
    /// T gate.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn t(&mut self, q: usize) -> Result<()> {
        self.apply(q, &Matrix2::t())
    }
    /// `RX(theta)`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn rx(&mut self, q: usize, theta: f64) -> Result<()> {
        self.apply(q, &Matrix2::rx(theta))
    }
    /// `RY(theta)`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn ry(&mut self, q: usize, theta: f64) -> Result<()> {
        self.apply(q, &Matrix2::ry(theta))
    }
    /// `RZ(theta)`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn rz(&mut self, q: usize, theta: f64) -> Result<()> {
        self.apply(q, &Matrix2::rz(theta))
    }
    /// Phase gate `diag(1, e^{i lambda})`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn phase(&mut self, q: usize, lambda: f64) -> Result<()> {
        self.apply(q, &Matrix2::phase(lambda))
    }
    /// CNOT (controlled X).
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`].
    pub fn cnot(&mut self, control: usize, target: usize) -> Result<()> {
        self.apply_controlled(control, target, &Matrix2::x())
    }
    /// Controlled Z (symmetric).
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`].
    pub fn cz(&mut self, a: usize, b: usize) -> Result<()> {
        self.check_pair(a, b, "CZ")?;
        let mask = (1usize << a) | (1usize << b);
        for (i, amp) in self.amps.iter_mut().enumerate() {
            if i & mask == mask {
                *amp = -*amp;
            }
        }
        Ok(())
    }
    /// SWAP.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`].
    pub fn swap(&mut self, a: usize, b: usize) -> Result<()> {
        self.check_pair(a, b, "SWAP")?;
        let (ba, bb) = (1usize << a, 1usize << b);
        for i in 0..self.amps.len() {
            // Swap |..1_a..0_b..> with |..0_a..1_b..>, each pair once.
            if i & ba != 0 && i & bb == 0 {
                self.amps.swap(i, i ^ ba ^ bb);
            }
        }
        Ok(())
    }
    /// `RZZ(theta) = exp(-i theta Z_a Z_b / 2)`.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`], [`Error::RepeatedQubit`].
    pub fn rzz(&mut self, a: usize, b: usize, theta: f64) -> Result<()> {
        self.check_pair(a, b, "RZZ")?;
        let same = C64::from_polar(1.0, -theta / 2.0);
        let diff = C64::from_polar(1.0, theta / 2.0);
        let (ba, bb) = (a, b);
        for (i, amp) in self.amps.iter_mut().enumerate() {
            let parity = ((i >> ba) ^ (i >> bb)) & 1;
            *amp *= if parity == 0 { same } else { diff };
        }
        Ok(())
    }

    /// Multiply every amplitude by `exp(-i gamma d(z))` for a precomputed
    /// diagonal `d`: the QAOA cost layer in one pass.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the diagonal has another number of qubits or
    /// `gamma` is not finite, [`Error::AngleTooLarge`] when
    /// `|gamma| * max_z |d(z)|` is above [`crate::MAX_PHASE`].
    pub fn apply_diagonal_phase(&mut self, diagonal: &Diagonal, gamma: f64) -> Result<()> {
        self.check_diagonal(diagonal)?;
        crate::qaoa::check_angle(|| "gamma".to_owned(), gamma, diagonal.max_abs())?;
        let table;
        let phase = match diagonal.levels() {
            Some((index, levels)) => {
                table = levels
                    .iter()
                    .map(|&v| C64::from_polar(1.0, -gamma * v))
                    .collect::<Vec<_>>();
                kernel::Phase::Levels {
                    index,
                    table: &table,
                }
            }
            None => kernel::Phase::Dense {
                values: diagonal.dense().unwrap_or(&[]),
                gamma,
            },
        };
        kernel::apply_phase(&mut self.amps, phase);
        Ok(())
    }

    /// One QAOA layer in `1 + ceil((n - 12) / 4)` passes: the cost phase
    /// `exp(-i gamma C)` followed by the mixer `exp(-i beta sum_j X_j)`
    /// (`RX(2 beta)` on every qubit).
    ///
    /// # Errors
    /// [`Error::Invalid`] when the diagonal has another number of qubits or
    /// an angle is not finite, [`Error::AngleTooLarge`] when
    /// `|gamma| * max_z |d(z)|` or `|beta|` is above [`crate::MAX_PHASE`].
    pub fn apply_qaoa_layer(&mut self, diagonal: &Diagonal, gamma: f64, beta: f64) -> Result<()> {
        self.check_diagonal(diagonal)?;
        crate::qaoa::check_angle(|| "gamma".to_owned(), gamma, diagonal.max_abs())?;
        crate::qaoa::check_angle(|| "beta".to_owned(), beta, 1.0)?;
        let mixer = vec![Some(Matrix2::rx(2.0 * beta)); self.num_qubits];
        let table;
        let phase = match diagonal.levels() {
            Some((index, levels)) => {
                table = levels
                    .iter()
                    .map(|&v| C64::from_polar(1.0, -gamma * v))
                    .collect::<Vec<_>>();
                kernel::Phase::Levels {
                    index,
                    table: &table,
                }
            }
            None => kernel::Phase::Dense {
                values: diagonal.dense().unwrap_or(&[]),
                gamma,
            },
        };
        kernel::apply_layer(&mut self.amps, &mixer, Some(phase));
        Ok(())
    }

    fn check_diagonal(&self, diagonal: &Diagonal) -> Result<()> {
        if diagonal.num_qubits() != self.num_qubits {
            return Err(Error::invalid(
                "diagonal",
                format!(
                    "{} qubits for a {}-qubit state",
                    diagonal.num_qubits(),
                    self.num_qubits
                ),
            ));
        }
        Ok(())
    }

    /// `<psi| D |psi>` for a precomputed diagonal.
    ///
    /// # Errors
    /// [`Error::Invalid`] when the diagonal has another number of qubits.
    pub fn expectation_diagonal(&self, diagonal: &Diagonal) -> Result<f64> {
        self.check_diagonal(diagonal)?;
        Ok(match diagonal.levels() {
            Some((index, levels)) => {
                kernel::expectation(&self.amps, |i| levels[usize::from(index[i])])
            }
            None => {
                let d = diagonal.dense().unwrap_or(&[]);
                kernel::expectation(&self.amps, |i| d[i])
            }
        })
    }

    /// `<psi| H |psi>` for a Z-string Hamiltonian, term by term
    /// (`O(terms * 2^n)`, no extra memory).
    ///
    /// # Errors
    /// [`Error::Invalid`] when the Hamiltonian has more qubits than the state.
    pub fn expectation(&self, h: &ZHamiltonian) -> Result<f64> {
        if h.num_qubits() > self.num_qubits {
            return Err(Error::invalid(
                "hamiltonian",
                format!(
                    "{} qubits for a {}-qubit state",
                    h.num_qubits(),
                    self.num_qubits
                ),
            ));
        }
        Ok(h.terms()
            .iter()
            .map(|t| {
                let mask = t.mask as usize;
                t.coeff
                    * kernel::expectation(&self.amps, |i| {
                        if (i & mask).count_ones().is_multiple_of(2) {
                            1.0
                        } else {
                            -1.0
                        }
                    })
            })
            .sum())
    }

    /// Probabilities of every basis state.
    #[must_use]
    pub fn probabilities(&self) -> Vec<f64> {
        self.amps.iter().map(C64::norm_sqr).collect()
    }

    /// Probability that measuring `qubit` gives 1.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn probability_one(&self, qubit: usize) -> Result<f64> {
        self.check_qubit(qubit, "probability_one")?;
        let bit = 1usize << qubit;
        Ok(self
            .amps
            .iter()
            .enumerate()
            .filter(|(i, _)| i & bit != 0)
            .map(|(_, a)| a.norm_sqr())
            .sum())
    }

    /// Projectively measure `qubit`, collapse and renormalise the state, and
    /// return the outcome.
    ///
    /// # Errors
    /// [`Error::QubitOutOfRange`].
    pub fn measure<R: Rng + ?Sized>(&mut self, qubit: usize, rng: &mut R) -> Result<bool> {
        let p1 = self.probability_one(qubit)?;
        let outcome = rng.random::<f64>() < p1;
        let keep = if outcome { p1 } else { 1.0 - p1 };
        let scale = if keep > 0.0 { 1.0 / keep.sqrt() } else { 0.0 };
        let bit = 1usize << qubit;
        for (i, a) in self.amps.iter_mut().enumerate() {
            if (i & bit != 0) == outcome {
                *a *= scale;
            } else {
                *a = C64::new(0.0, 0.0);
            }
        }
        Ok(outcome)
    }

    /// Draw `shots` basis states from the measurement distribution
    /// (seeded ChaCha8; the state is not changed). Returns basis indices.
    #[must_use]
    pub fn sample(&self, shots: usize, seed: u64) -> Vec<u64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Sorted uniforms walked against the cumulative distribution: O(2^n + shots log shots).
        let mut u: Vec<f64> = (0..shots).map(|_| rng.random::<f64>()).collect();
        u.sort_by(f64::total_cmp);
        let total = self.norm_sqr();
        let mut out = Vec::with_capacity(shots);
        let mut acc = 0.0;
        let mut k = 0;
        let last = self.amps.len() - 1;
        for (i, a) in self.amps.iter().enumerate() {
            acc += a.norm_sqr() / total;
            while k < u.len() && (u[k] < acc || i == last) {
                out.push(i as u64);
                k += 1;
            }
            if k == u.len() {
                break;
            }
        }
        // Shuffle so the sample order is not sorted by basis index.
        for i in (1..out.len()).rev() {
            let j = rng.random_range(0..=i);
            out.swap(i, j);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: C64, b: C64) -> bool {
        (a - b).norm() < 1e-12
    }

    #[test]
    fn bell_state() {
        let cfg = SimConfig::default();
        let mut s = StateVector::zero(2, &cfg).unwrap();
        s.h(0).unwrap();
        s.cnot(0, 1).unwrap();
        let r = std::f64::consts::FRAC_1_SQRT_2;
        assert!(close(s.amplitudes()[0], C64::new(r, 0.0)));
        assert!(close(s.amplitudes()[3], C64::new(r, 0.0)));
        assert!(s.amplitudes()[1].norm() < 1e-15 && s.amplitudes()[2].norm() < 1e-15);
        let samples = s.sample(1000, 7);
        assert!(samples.iter().all(|&x| x == 0 || x == 3));
        let ones = samples.iter().filter(|&&x| x == 3).count();
        assert!((400..600).contains(&ones), "{ones}");
    }

    #[test]
    fn little_endian_x() {
        let mut s = StateVector::zero(3, &SimConfig::default()).unwrap();
        s.x(1).unwrap();
        assert!(close(s.amplitudes()[2], C64::new(1.0, 0.0)));
        s.swap(1, 2).unwrap();
        assert!(close(s.amplitudes()[4], C64::new(1.0, 0.0)));
    }

    #[test]
    fn errors_are_typed() {
        let cfg = SimConfig::default();
        let mut s = StateVector::zero(3, &cfg).unwrap();
        assert!(matches!(
            s.h(3),
            Err(Error::QubitOutOfRange { qubit: 3, .. })
        ));
        assert!(matches!(
            s.cnot(1, 1),
            Err(Error::RepeatedQubit { qubit: 1, .. })
        ));
        assert!(matches!(s.cz(0, 9), Err(Error::QubitOutOfRange { .. })));
        let bad = [
            [C64::new(2.0, 0.0), C64::new(0.0, 0.0)],
            [C64::new(0.0, 0.0), C64::new(1.0, 0.0)],
        ];
        assert!(matches!(
            s.apply_unitary(0, bad),
            Err(Error::NotUnitary { .. })
        ));
        let small = SimConfig {
            memory_limit_bytes: 1 << 20,
        };
        assert!(matches!(
            StateVector::zero(20, &small),
            Err(Error::MemoryLimit { num_qubits: 20, .. })
        ));
        assert!(matches!(
            StateVector::zero(64, &cfg),
            Err(Error::TooLarge { .. })
        ));
    }

    #[test]
    fn rzz_matches_cnot_rz_cnot() {
        let cfg = SimConfig::default();
        let mut a = StateVector::plus(3, &cfg).unwrap();
        a.ry(1, 0.4).unwrap();
        let mut b = a.clone();
        a.rzz(0, 2, 0.9).unwrap();
        b.cnot(0, 2).unwrap();
        b.rz(2, 0.9).unwrap();
        b.cnot(0, 2).unwrap();
        for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
            assert!(close(*x, *y));
        }
    }

    #[test]
    fn cz_equals_controlled_z() {
        let cfg = SimConfig::default();
        let mut a = StateVector::plus(2, &cfg).unwrap();
        a.ry(0, 0.3).unwrap();
        let mut b = a.clone();
        a.cz(0, 1).unwrap();
        b.apply_controlled(1, 0, &Matrix2::z()).unwrap();
        for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
            assert!(close(*x, *y));
        }
    }

    #[test]
    fn measurement_collapses() {
        let cfg = SimConfig::default();
        let mut s = StateVector::zero(2, &cfg).unwrap();
        s.h(0).unwrap();
        s.cnot(0, 1).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let m0 = s.measure(0, &mut rng).unwrap();
        let p1 = s.probability_one(1).unwrap();
        assert!((p1 - if m0 { 1.0 } else { 0.0 }).abs() < 1e-12);
        assert!((s.norm_sqr() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn layer_equals_individual_gates() {
        let cfg = SimConfig::default();
        for (n, block) in [(3usize, 12usize), (12, 12), (9, 2), (11, 3), (12, 1)] {
            let mut a = StateVector::plus(n, &cfg).unwrap();
            for q in 0..n {
                a.ry(q, 0.1 * q as f64 + 0.2).unwrap();
            }
            let mut b = a.clone();
            let gates: Vec<Option<Matrix2>> = (0..n)
                .map(|q| (q % 3 != 1).then(|| Matrix2::u(0.3 * q as f64, 0.2, -0.1 * q as f64)))
                .collect();
            crate::kernel::apply_layer_blocked(a.amplitudes_mut(), &gates, None, block);
            for (q, g) in gates.iter().enumerate() {
                if let Some(m) = g {
                    b.apply(q, m).unwrap();
                }
            }
            for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
                assert!((x - y).norm() < 1e-12, "n={n}");
            }
        }
    }
}
