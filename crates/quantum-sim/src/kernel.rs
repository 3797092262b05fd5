//! Amplitude kernels: single-qubit gates, cache-blocked layers of single-qubit
//! gates fused with a diagonal phase, and reductions. Rayon is used behind the
//! `parallel` feature for states of at least [`PAR_MIN_LEN`] amplitudes.

use crate::gate::{C64, Matrix2};

/// Qubits handled inside one cache block (2^12 amplitudes = 64 KiB).
pub(crate) const BLOCK_QUBITS: usize = 12;
/// High qubits handled together in one pass over the state.
pub(crate) const GROUP_QUBITS: usize = 4;
/// Amplitudes of one slice of a high-qubit group task (16 slices x 1024 x 16 B = 256 KiB).
const PIECE: usize = 1024;
/// Smallest state length that is worth splitting across threads (tiny in
/// unit tests so the parallel paths run on small states).
#[cfg_attr(
    not(feature = "parallel"),
    allow(dead_code, reason = "used by the parallel kernels only")
)]
#[cfg(not(test))]
pub(crate) const PAR_MIN_LEN: usize = 1 << 14;
#[cfg_attr(
    not(feature = "parallel"),
    allow(dead_code, reason = "used by the parallel kernels only")
)]
#[cfg(test)]
pub(crate) const PAR_MIN_LEN: usize = 1 << 4;

/// Smallest parallel task in amplitudes (tiny in unit tests, see [`PAR_MIN_LEN`]).
#[cfg(all(feature = "parallel", not(test)))]
const PAR_TASK_LEN: usize = 1 << 12;
#[cfg(all(feature = "parallel", test))]
const PAR_TASK_LEN: usize = 1 << 3;

/// A diagonal phase applied in the same pass as a layer of single-qubit gates.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase<'a> {
    /// `amp[i] *= table[index[i]]`.
    Levels { index: &'a [u16], table: &'a [C64] },
    /// `amp[i] *= exp(-i gamma values[i])`.
    Dense { values: &'a [f64], gamma: f64 },
}

impl Phase<'_> {
    fn apply(&self, amps: &mut [C64], offset: usize) {
        match *self {
            Phase::Levels { index, table } => {
                let idx = &index[offset..offset + amps.len()];
                for (a, &k) in amps.iter_mut().zip(idx) {
                    if let Some(t) = table.get(usize::from(k)) {
                        *a *= *t;
                    }
                }
            }
            Phase::Dense { values, gamma } => {
                let vals = &values[offset..offset + amps.len()];
                for (a, &v) in amps.iter_mut().zip(vals) {
                    *a *= C64::from_polar(1.0, -gamma * v);
                }
            }
        }
    }
}

/// A 2x2 matrix specialised by structure: diagonal and real matrices need
/// far fewer multiplications than the general complex case, which keeps the
/// common gates (H, X, Z, S, T, RY, RZ, phase) at memory speed.
#[derive(Debug, Clone, Copy)]
enum Kernel {
    Diagonal(C64, C64),
    Real([f64; 4]),
    /// Real diagonal, imaginary off-diagonal: `[[a, i b], [i c, d]]` (RX, Y).
    RealDiagImagOff([f64; 4]),
    General([[C64; 2]; 2]),
}

impl Kernel {
    fn of(m: &Matrix2) -> Self {
        let [[a, b], [c, d]] = m.0;
        if m.is_diagonal() {
            Self::Diagonal(a, d)
        } else if a.im == 0.0 && b.im == 0.0 && c.im == 0.0 && d.im == 0.0 {
            Self::Real([a.re, b.re, c.re, d.re])
        } else if a.im == 0.0 && d.im == 0.0 && b.re == 0.0 && c.re == 0.0 {
            Self::RealDiagImagOff([a.re, b.im, c.im, d.re])
        } else {
            Self::General(m.0)
        }
    }

    /// Run `f(pair op)` with the pair operation of this kernel, so loops are
    /// monomorphised per matrix kind (no per-amplitude dispatch).
    #[inline]
    fn with_op<R>(&self, f: impl PairVisitor<R>) -> R {
        match *self {
            Self::Diagonal(a, d) => f.visit(move |u: C64, v: C64| (a * u, d * v)),
            Self::Real([a, b, c, d]) => f.visit(move |u: C64, v: C64| {
                (
                    C64::new(a * u.re + b * v.re, a * u.im + b * v.im),
                    C64::new(c * u.re + d * v.re, c * u.im + d * v.im),
                )
            }),
            // x' = a u + i b v, y' = i c u + d v
            Self::RealDiagImagOff([a, b, c, d]) => f.visit(move |u: C64, v: C64| {
                (
                    C64::new(a * u.re - b * v.im, a * u.im + b * v.re),
                    C64::new(d * v.re - c * u.im, d * v.im + c * u.re),
                )
            }),
            Self::General([[a, b], [c, d]]) => f.visit(move |u: C64, v: C64| {
                (
                    C64::new(
                        (a.re * u.re + b.re * v.re) - (a.im * u.im + b.im * v.im),
                        (a.re * u.im + b.re * v.im) + (a.im * u.re + b.im * v.re),
                    ),
                    C64::new(
                        (c.re * u.re + d.re * v.re) - (c.im * u.im + d.im * v.im),
                        (c.re * u.im + d.re * v.im) + (c.im * u.re + d.im * v.re),
                    ),
                )
            }),
        }
    }

    /// `lo[j], hi[j] <- m * (lo[j], hi[j])`.
    #[inline]
    fn pairs(&self, lo: &mut [C64], hi: &mut [C64]) {
        self.with_op(Zip { lo, hi });
    }
}

/// A loop generic over the pair operation.
trait PairVisitor<R> {
    fn visit<F: Fn(C64, C64) -> (C64, C64) + Copy>(self, op: F) -> R;
}

struct Zip<'a> {
    lo: &'a mut [C64],
    hi: &'a mut [C64],
}

impl PairVisitor<()> for Zip<'_> {
    #[inline]
    fn visit<F: Fn(C64, C64) -> (C64, C64) + Copy>(self, op: F) {
        for (x, y) in self.lo.iter_mut().zip(self.hi.iter_mut()) {
            (*x, *y) = op(*x, *y);
        }
    }
}

/// Whole-state loop for one qubit: adjacent pairs for qubit 0, split chunks above.
struct Strided<'a> {
    amps: &'a mut [C64],
    half: usize,
}

impl PairVisitor<()> for Strided<'_> {
    #[inline]
    fn visit<F: Fn(C64, C64) -> (C64, C64) + Copy>(self, op: F) {
        if self.half == 1 {
            for p in self.amps.chunks_exact_mut(2) {
                (p[0], p[1]) = op(p[0], p[1]);
            }
        } else {
            for chunk in self.amps.chunks_exact_mut(2 * self.half) {
                let (lo, hi) = chunk.split_at_mut(self.half);
                for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                    (*x, *y) = op(*x, *y);
                }
            }
        }
    }
}

/// `lo[j], hi[j] <- m * (lo[j], hi[j])`.
#[inline]
pub(crate) fn pair_kernel(lo: &mut [C64], hi: &mut [C64], m: &Matrix2) {
    Kernel::of(m).pairs(lo, hi);
}

/// Apply `m` to qubit `q` of `amps` (length a power of two, `q` in range), one thread.
pub(crate) fn apply_1q_seq(amps: &mut [C64], q: usize, m: &Matrix2) {
    Kernel::of(m).with_op(Strided {
        amps,
        half: 1usize << q,
    });
}

/// Apply `m` to qubit `q`, in parallel when the feature is on and the state is large.
pub(crate) fn apply_1q(amps: &mut [C64], q: usize, m: &Matrix2) {
    #[cfg(feature = "parallel")]
    if amps.len() >= PAR_MIN_LEN {
        use rayon::prelude::*;
        let half = 1usize << q;
        let chunk = 2 * half;
        // Tasks of at least PAR_TASK_LEN amplitudes, each a whole number of
        // chunks; for high qubits (few, large chunks) split the halves instead.
        let task = chunk.max(PAR_TASK_LEN);
        if chunk <= PAR_TASK_LEN || amps.len() / chunk >= 8 {
            amps.par_chunks_mut(task)
                .for_each(|ch| apply_1q_seq(ch, q, m));
        } else {
            for ch in amps.chunks_exact_mut(chunk) {
                let (lo, hi) = ch.split_at_mut(half);
                lo.par_chunks_mut(PIECE)
                    .zip(hi.par_chunks_mut(PIECE))
                    .for_each(|(l, h)| pair_kernel(l, h, m));
            }
        }
        return;
    }
    apply_1q_seq(amps, q, m);
}

/// Apply a controlled gate: `m` on `target` where `control` is 1.
pub(crate) fn apply_controlled(amps: &mut [C64], control: usize, target: usize, m: &Matrix2) {
    let [[a, b], [c, d]] = m.0;
    let cbit = 1usize << control;
    let tbit = 1usize << target;
    // Iterate over indices with control = 1 and target = 0.
    let kernel = |base: usize, amps: &mut [C64]| {
        let i0 = base;
        let i1 = base | tbit;
        let (u, v) = (amps[i0], amps[i1]);
        amps[i0] = a * u + b * v;
        amps[i1] = c * u + d * v;
    };
    let n = amps.len();
    let mut i = 0usize;
    while i < n {
        if i & cbit != 0 && i & tbit == 0 {
            kernel(i, amps);
        }
        i += 1;
    }
}

/// Apply a diagonal over whole basis indices: `amps[i] *= f(i)`.
pub(crate) fn apply_phase(amps: &mut [C64], phase: Phase<'_>) {
    #[cfg(feature = "parallel")]
    if amps.len() >= PAR_MIN_LEN {
        use rayon::prelude::*;
        amps.par_chunks_mut(1 << BLOCK_QUBITS)
            .enumerate()
            .for_each(|(bi, blk)| phase.apply(blk, bi << BLOCK_QUBITS));
        return;
    }
    phase.apply(amps, 0);
}

/// Apply single-qubit gates on distinct qubits (`gates[q]`, `None` = identity),
/// preceded by an optional diagonal phase, in `1 + ceil((n - 12) / 4)` passes
/// over memory: one cache-blocked pass for the phase and the low 12 qubits,
/// then one pass per group of 4 higher qubits.
pub(crate) fn apply_layer(amps: &mut [C64], gates: &[Option<Matrix2>], phase: Option<Phase<'_>>) {
    apply_layer_blocked(amps, gates, phase, BLOCK_QUBITS);
}

/// [`apply_layer`] with a chosen block size (tests use small blocks to reach
/// the high-qubit group path on small states).
pub(crate) fn apply_layer_blocked(
    amps: &mut [C64],
    gates: &[Option<Matrix2>],
    phase: Option<Phase<'_>>,
    block_qubits: usize,
) {
    let n = gates.len();
    let b = n.min(block_qubits);
    let block = 1usize << b;
    let low: Vec<(usize, Matrix2)> = gates[..b]
        .iter()
        .enumerate()
        .filter_map(|(q, m)| m.map(|m| (q, m)))
        .collect();
    if !low.is_empty() || phase.is_some() {
        let run_block = |bi: usize, blk: &mut [C64]| {
            if let Some(ph) = &phase {
                ph.apply(blk, bi * block);
            }
            for (q, m) in &low {
                apply_1q_seq(blk, *q, m);
            }
        };
        #[cfg(feature = "parallel")]
        let done = if amps.len() >= PAR_MIN_LEN {
            use rayon::prelude::*;
            amps.par_chunks_mut(block)
                .enumerate()
                .for_each(|(bi, blk)| run_block(bi, blk));
            true
        } else {
            false
        };
        #[cfg(not(feature = "parallel"))]
        let done = false;
        if !done {
            for (bi, blk) in amps.chunks_mut(block).enumerate() {
                run_block(bi, blk);
            }
        }
    }
    let mut a = b;
    while a < n {
        let g = GROUP_QUBITS.min(n - a);
        let local: Vec<(usize, Matrix2)> = (0..g)
            .filter_map(|k| gates[a + k].map(|m| (k, m)))
            .collect();
        if !local.is_empty() {
            apply_group(amps, a, g, &local);
        }
        a += g;
    }
}

/// One pass applying gates on the qubit range `[a, a + g)`; `gates` carry local bit indices.
fn apply_group(amps: &mut [C64], a: usize, g: usize, gates: &[(usize, Matrix2)]) {
    let sub = 1usize << a;
    let outer = sub << g;
    let piece = sub.min(PIECE);
    let mut tasks: Vec<Vec<&mut [C64]>> = Vec::with_capacity(amps.len() / (piece << g));
    for ch in amps.chunks_exact_mut(outer) {
        let mut iters: Vec<_> = ch
            .chunks_exact_mut(sub)
            .map(|s| s.chunks_mut(piece))
            .collect();
        loop {
            let task: Vec<&mut [C64]> = iters.iter_mut().filter_map(Iterator::next).collect();
            if task.len() != 1 << g {
                break;
            }
            tasks.push(task);
        }
    }
    let run = |task: &mut Vec<&mut [C64]>| {
        for (bit, m) in gates {
            let stride = 1usize << bit;
            for t in 0..task.len() {
                if t & stride == 0 {
                    let (left, right) = task.split_at_mut(t | stride);
                    pair_kernel(left[t], right[0], m);
                }
            }
        }
    };
    #[cfg(feature = "parallel")]
    if amps_len_large(&tasks, piece) {
        use rayon::prelude::*;
        tasks.par_iter_mut().for_each(run);
        return;
    }
    tasks.iter_mut().for_each(run);
}

#[cfg(feature = "parallel")]
fn amps_len_large(tasks: &[Vec<&mut [C64]>], piece: usize) -> bool {
    tasks.len() * piece * tasks.first().map_or(0, Vec::len) >= PAR_MIN_LEN
}

/// `sum_i |amps[i]|^2 * f(i)` for a diagonal observable.
pub(crate) fn expectation(amps: &[C64], f: impl Fn(usize) -> f64 + Sync) -> f64 {
    let chunk_sum = |bi: usize, blk: &[C64]| -> f64 {
        let off = bi << BLOCK_QUBITS;
        blk.iter()
            .enumerate()
            .map(|(j, a)| a.norm_sqr() * f(off + j))
            .sum::<f64>()
    };
    #[cfg(feature = "parallel")]
    if amps.len() >= PAR_MIN_LEN {
        use rayon::prelude::*;
        return amps
            .par_chunks(1 << BLOCK_QUBITS)
            .enumerate()
            .map(|(bi, blk)| chunk_sum(bi, blk))
            .sum();
    }
    amps.chunks(1 << BLOCK_QUBITS)
        .enumerate()
        .map(|(bi, blk)| chunk_sum(bi, blk))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(n: usize) -> Vec<C64> {
        (0..1usize << n)
            .map(|i| C64::new((i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()))
            .collect()
    }

    /// With the `parallel` feature these run the rayon paths (the threshold
    /// is lowered in tests); without it they check the sequential paths.
    #[test]
    fn dispatching_kernels_match_the_sequential_one() {
        let n = 10;
        for m in [
            Matrix2::h(),
            Matrix2::rx(0.7),
            Matrix2::rz(0.3),
            Matrix2::u(0.3, 0.2, 0.1),
        ] {
            for q in 0..n {
                let mut a = state(n);
                let mut b = a.clone();
                apply_1q(&mut a, q, &m);
                apply_1q_seq(&mut b, q, &m);
                assert!(a.iter().zip(&b).all(|(x, y)| (x - y).norm() < 1e-12));
            }
        }
        let gates: Vec<Option<Matrix2>> = (0..n)
            .map(|q| (q != 3).then(|| Matrix2::u(0.1 * q as f64, 0.4, 0.2)))
            .collect();
        let mut a = state(n);
        let mut b = a.clone();
        apply_layer_blocked(&mut a, &gates, None, 2);
        for (q, g) in gates.iter().enumerate() {
            if let Some(m) = g {
                apply_1q_seq(&mut b, q, m);
            }
        }
        assert!(a.iter().zip(&b).all(|(x, y)| (x - y).norm() < 1e-12));
        let values: Vec<f64> = (0..1usize << n).map(|i| (i % 7) as f64).collect();
        let mut c = state(n);
        let mut d = c.clone();
        apply_phase(
            &mut c,
            Phase::Dense {
                values: &values,
                gamma: 0.3,
            },
        );
        for (x, v) in d.iter_mut().zip(&values) {
            *x *= C64::from_polar(1.0, -0.3 * v);
        }
        assert!(c.iter().zip(&d).all(|(x, y)| (x - y).norm() < 1e-12));
        let e = expectation(&c, |i| values[i]);
        let f: f64 = c.iter().zip(&values).map(|(a, v)| a.norm_sqr() * v).sum();
        assert!((e - f).abs() < 1e-9);
    }
}
