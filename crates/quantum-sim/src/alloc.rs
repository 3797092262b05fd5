//! Resource allocation as QUBO: load balancing over two or `k` servers,
//! knapsack-style placement, decoding with constraint checks, and
//! [`balance_jobs`], which solves one balancing problem with QAOA and a
//! classical solver side by side.

use aiops_core::Num;
use std::time::Instant;

use crate::classical::{AnnealOptions, simulated_annealing};
use crate::qaoa::{Qaoa, QaoaOptions, check_layers};
use crate::qubo::Qubo;
use crate::state::{AMPLITUDE_BYTES, SimConfig};
use crate::{Error, Result};

/// Largest total load the balancing QUBOs accept. Their coefficients are
/// products of loads and of the total (up to `8 A^2`, and `A^2 (k - 1) / k`
/// for [`Penalty::Strict`]), so the total is bounded to keep every
/// coefficient and energy finite. Scale larger loads down (the optimal
/// assignment does not change).
pub const MAX_TOTAL_LOAD: f64 = 1e150;

/// Smallest positive load a balancing problem accepts: the QUBO and the
/// balance measure square loads, and squares of loads below about 1e-154
/// underflow to 0, so every assignment would look equally balanced.
pub const MIN_POSITIVE_LOAD: f64 = 1e-100;

/// Most QUBO variables a balancing problem may have: `jobs` for two servers,
/// `jobs * servers` otherwise. The QUBO is stored densely (`8 n^2` bytes, 32 MiB
/// at the bound), so this is checked before anything is allocated.
pub const MAX_BALANCE_VARS: usize = 2048;

fn check_loads(loads: &[f64]) -> Result<f64> {
    if loads.is_empty() {
        return Err(Error::invalid("loads", "no jobs"));
    }
    let mut total = 0.0;
    for (i, &l) in loads.iter().enumerate() {
        if !l.is_finite() || l < 0.0 {
            return Err(Error::invalid(
                "loads",
                format!("job {i} has load {}; loads must be finite and >= 0", Num(l)),
            ));
        }
        if l > 0.0 && l < MIN_POSITIVE_LOAD {
            return Err(Error::invalid(
                "loads",
                format!(
                    "job {i} has load {}, below {} (the QUBO squares loads, and such \
                     squares underflow); scale the loads up",
                    Num(l),
                    Num(MIN_POSITIVE_LOAD)
                ),
            ));
        }
        total += l;
        if total > MAX_TOTAL_LOAD {
            return Err(Error::invalid(
                "loads",
                format!(
                    "job {i} has load {}: the total load would reach {}, above {} \
                     (the QUBO squares the loads and their total); scale the loads down",
                    Num(l),
                    Num(total),
                    Num(MAX_TOTAL_LOAD)
                ),
            ));
        }
    }
    Ok(total)
}

/// Check `servers` against the job count before anything is allocated:
/// at least 2, and at most [`MAX_BALANCE_VARS`] QUBO variables (`jobs` with
/// the two-server encoding, `jobs * servers` with the one-hot encoding).
fn check_servers(jobs: usize, servers: usize, one_hot: bool) -> Result<()> {
    if servers < 2 {
        return Err(Error::invalid(
            "servers",
            format!("{servers}; need at least 2"),
        ));
    }
    let vars = if one_hot {
        jobs.saturating_mul(servers)
    } else {
        jobs
    };
    if vars > MAX_BALANCE_VARS {
        let how = if one_hot {
            "jobs x servers"
        } else {
            "one per job"
        };
        return Err(Error::invalid(
            "servers",
            format!(
                "{jobs} jobs on {servers} servers need {vars} QUBO variables ({how}); \
                 at most {MAX_BALANCE_VARS} are supported"
            ),
        ));
    }
    Ok(())
}

/// Two-server balancing (number partitioning): `x_i = 1` puts job `i` on
/// server 1. The energy is `(L_1 - L_0)^2`, zero for a perfect split.
///
/// # Errors
/// [`Error::Invalid`] for no jobs, a negative / non-finite load, loads
/// totalling more than [`MAX_TOTAL_LOAD`], positive loads below [`MIN_POSITIVE_LOAD`] or more than [`MAX_BALANCE_VARS`] jobs.
pub fn two_server_qubo(loads: &[f64]) -> Result<Qubo> {
    let total = check_loads(loads)?;
    check_servers(loads.len(), 2, false)?;
    // L1 - L0 = 2 sum a_i x_i - A, squared.
    let n = loads.len();
    let mut q = Qubo::zeros(n);
    for i in 0..n {
        q.add_linear(i, 4.0 * loads[i] * loads[i] - 4.0 * total * loads[i]);
        for j in i + 1..n {
            q.add_quadratic(i, j, 8.0 * loads[i] * loads[j]);
        }
    }
    q.add_offset(total * total);
    Ok(q)
}

/// How the one-hot penalty weight of [`BalanceQubo`] is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Penalty {
    /// `P` just above the objective of the greedy (LPT) assignment: the QUBO
    /// minimum is then feasible and optimal. Proof: the objective
    /// `f = sum_s (L_s - A/k)^2` is `>= 0` for every bit string, and a bit
    /// string breaking a one-hot constraint pays at least `P` (the squared
    /// violation is an integer `>= 1`), so its energy is `>= P > f(greedy) >=
    /// f(optimum)`, the energy of the optimal feasible assignment.
    #[default]
    Greedy,
    /// `P` above the largest objective of any feasible assignment,
    /// `A^2 (k-1)/k` (all load on one server): then every feasible assignment
    /// has lower energy than every infeasible bit string (same argument).
    /// Safer for heuristics, but a larger penalty flattens the landscape.
    Strict,
    /// A given weight (must be positive and finite).
    Fixed(f64),
}

/// A `k`-server balancing QUBO: variable `job * k + server` is 1 when the job
/// runs on that server. Energy = `sum_s (L_s - A/k)^2 + P sum_j (1 - sum_s x_js)^2`.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceQubo {
    /// The QUBO.
    pub qubo: Qubo,
    /// The one-hot penalty weight used.
    pub penalty: f64,
    loads: Vec<f64>,
    servers: usize,
}

/// An assignment of jobs to servers with its loads.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assignment {
    /// `server_of_job[j]` in `0..k`.
    pub server_of_job: Vec<usize>,
    /// Total load per server.
    pub server_loads: Vec<f64>,
    /// Largest server load.
    pub makespan: f64,
    /// Largest minus smallest server load.
    pub imbalance: f64,
    /// `sum_s (L_s - A/k)^2`, the QUBO objective.
    pub squared_deviation: f64,
}

impl Assignment {
    /// Loads and metrics of `server_of_job` (`servers >= 1`, entries `< servers`).
    ///
    /// # Errors
    /// [`Error::Invalid`] when an entry names a server `>= servers`, the
    /// lengths differ, or `servers` is 0 or above [`MAX_BALANCE_VARS`].
    pub fn new(loads: &[f64], servers: usize, server_of_job: Vec<usize>) -> Result<Self> {
        if server_of_job.len() != loads.len() || servers == 0 || servers > MAX_BALANCE_VARS {
            return Err(Error::invalid(
                "assignment",
                format!(
                    "{} entries for {} jobs on {servers} servers",
                    server_of_job.len(),
                    loads.len()
                ),
            ));
        }
        let mut server_loads = vec![0.0; servers];
        for (j, &s) in server_of_job.iter().enumerate() {
            let slot = server_loads.get_mut(s).ok_or_else(|| {
                Error::invalid("assignment", format!("job {j} on server {s} >= {servers}"))
            })?;
            *slot += loads[j];
        }
        let total: f64 = loads.iter().sum();
        let mean = total / servers as f64;
        let makespan = server_loads
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let min = server_loads.iter().copied().fold(f64::INFINITY, f64::min);
        Ok(Self {
            squared_deviation: server_loads.iter().map(|l| (l - mean).powi(2)).sum(),
            server_of_job,
            server_loads,
            makespan,
            imbalance: makespan - min,
        })
    }
}

/// A decoded bit string: the assignment when every one-hot constraint holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// All constraints hold.
    Feasible(Assignment),
    /// Jobs with zero or several servers selected.
    Infeasible {
        /// The violating jobs.
        jobs: Vec<usize>,
    },
}

/// Longest-processing-time-first greedy assignment.
#[must_use]
pub fn lpt_assignment(loads: &[f64], servers: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..loads.len()).collect();
    order.sort_by(|&a, &b| loads[b].total_cmp(&loads[a]));
    // More servers than jobs leave the extra ones idle: never allocate them
    // (the result is the same, ties go to the lowest server index).
    let mut acc = vec![0.0f64; servers.min(loads.len()).max(1)];
    let mut out = vec![0; loads.len()];
    for j in order {
        let s = (0..acc.len())
            .min_by(|&a, &b| acc[a].total_cmp(&acc[b]))
            .unwrap_or(0);
        acc[s] += loads[j];
        out[j] = s;
    }
    out
}

impl BalanceQubo {
    /// Build the QUBO for `loads` on `servers >= 2` servers.
    ///
    /// # Errors
    /// [`Error::Invalid`] for bad loads (see [`two_server_qubo`]), fewer than
    /// two servers, more than [`MAX_BALANCE_VARS`] variables (`jobs * servers`)
    /// or a bad fixed penalty.
    pub fn new(loads: &[f64], servers: usize, penalty: Penalty) -> Result<Self> {
        let total = check_loads(loads)?;
        check_servers(loads.len(), servers, true)?;
        let k = servers;
        let mean = total / k as f64;
        let p = match penalty {
            Penalty::Greedy => {
                let g = Assignment::new(loads, k, lpt_assignment(loads, k))?.squared_deviation;
                g + (0.1 * g).max(1e-3 * mean * mean).max(1e-9)
            }
            Penalty::Strict => {
                let bound = total * total * (k as f64 - 1.0) / k as f64;
                bound + (0.1 * bound).max(1e-9)
            }
            Penalty::Fixed(p) if p.is_finite() && p > 0.0 => p,
            Penalty::Fixed(p) => {
                return Err(Error::invalid(
                    "penalty",
                    format!("{p} must be positive and finite"),
                ));
            }
        };
        let n = loads.len();
        let var = |j: usize, s: usize| j * k + s;
        let mut q = Qubo::zeros(n * k);
        // sum_s (sum_j a_j x_js - mean)^2
        for s in 0..k {
            for j in 0..n {
                q.add_linear(var(j, s), loads[j] * loads[j] - 2.0 * mean * loads[j]);
                for i in j + 1..n {
                    q.add_quadratic(var(j, s), var(i, s), 2.0 * loads[j] * loads[i]);
                }
            }
            q.add_offset(mean * mean);
        }
        // P (1 - sum_s x_js)^2 = P (1 - sum_s x_js + 2 sum_{s<t} x_js x_jt)
        for j in 0..n {
            q.add_offset(p);
            for s in 0..k {
                q.add_linear(var(j, s), -p);
                for t in s + 1..k {
                    q.add_quadratic(var(j, s), var(j, t), 2.0 * p);
                }
            }
        }
        Ok(Self {
            qubo: q,
            penalty: p,
            loads: loads.to_vec(),
            servers: k,
        })
    }

    /// Number of servers.
    #[must_use]
    pub fn servers(&self) -> usize {
        self.servers
    }

    /// Decode bits (length `jobs * servers`), checking the one-hot constraints.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a wrong length.
    pub fn decode(&self, bits: &[bool]) -> Result<Decoded> {
        let k = self.servers;
        if bits.len() != self.loads.len() * k {
            return Err(Error::invalid(
                "bits",
                format!("{} bits for {} variables", bits.len(), self.loads.len() * k),
            ));
        }
        let mut out = Vec::with_capacity(self.loads.len());
        let mut bad = Vec::new();
        for (j, row) in bits.chunks_exact(k).enumerate() {
            let on: Vec<usize> = (0..k).filter(|&s| row[s]).collect();
            if on.len() == 1 {
                out.push(on[0]);
            } else {
                bad.push(j);
            }
        }
        if bad.is_empty() {
            Ok(Decoded::Feasible(Assignment::new(&self.loads, k, out)?))
        } else {
            Ok(Decoded::Infeasible { jobs: bad })
        }
    }

    /// Decode, repairing violated jobs by putting each on the least-loaded
    /// server among those it selected (or any server if none). Returns the
    /// assignment and whether the bits were feasible as they stood.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a wrong length.
    pub fn decode_repair(&self, bits: &[bool]) -> Result<(Assignment, bool)> {
        if let Decoded::Feasible(a) = self.decode(bits)? {
            return Ok((a, true));
        }
        let k = self.servers;
        let mut acc = vec![0.0f64; k];
        let mut out = vec![usize::MAX; self.loads.len()];
        for (j, row) in bits.chunks_exact(k).enumerate() {
            let on: Vec<usize> = (0..k).filter(|&s| row[s]).collect();
            if on.len() == 1 {
                out[j] = on[0];
                acc[on[0]] += self.loads[j];
            }
        }
        for (j, row) in bits.chunks_exact(k).enumerate() {
            if out[j] == usize::MAX {
                let cands: Vec<usize> = if row.iter().any(|b| *b) {
                    (0..k).filter(|&s| row[s]).collect()
                } else {
                    (0..k).collect()
                };
                let s = cands
                    .into_iter()
                    .min_by(|&a, &b| acc[a].total_cmp(&acc[b]))
                    .unwrap_or(0);
                out[j] = s;
                acc[s] += self.loads[j];
            }
        }
        Ok((Assignment::new(&self.loads, k, out)?, false))
    }

    /// Bits of a feasible assignment.
    #[must_use]
    pub fn encode(&self, server_of_job: &[usize]) -> Vec<bool> {
        let k = self.servers;
        let mut bits = vec![false; self.loads.len() * k];
        for (j, &s) in server_of_job.iter().enumerate() {
            if s < k {
                bits[j * k + s] = true;
            }
        }
        bits
    }
}

/// A knapsack-style placement QUBO: choose jobs (integer sizes, values `>= 0`)
/// for a server of integer capacity, maximising total value. Variables: one
/// per job, then binary slack bits (coefficients `1, 2, 4, ..`, the last cut
/// so the slack never exceeds the capacity). Energy =
/// `-sum v_j x_j + P (sum w_j x_j + slack - C)^2` with `P = sum v_j + 1`:
/// a feasible choice with the right slack has energy `-value <= 0`, any bit
/// string off the equality pays `>= P`, so the minimum is the best placement.
#[derive(Debug, Clone, PartialEq)]
pub struct KnapsackQubo {
    /// The QUBO.
    pub qubo: Qubo,
    /// The penalty weight.
    pub penalty: f64,
    sizes: Vec<u64>,
    values: Vec<f64>,
    capacity: u64,
}

/// A decoded placement.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Placement {
    /// Chosen jobs.
    pub chosen: Vec<usize>,
    /// Sum of their sizes.
    pub used: u64,
    /// Sum of their values.
    pub value: f64,
    /// `used <= capacity`.
    pub feasible: bool,
}

impl KnapsackQubo {
    /// Build the QUBO.
    ///
    /// # Errors
    /// [`Error::Invalid`] for mismatched lengths, no jobs, negative or
    /// non-finite values, or a zero capacity.
    pub fn new(sizes: &[u64], values: &[f64], capacity: u64) -> Result<Self> {
        if sizes.is_empty() || sizes.len() != values.len() {
            return Err(Error::invalid(
                "knapsack",
                format!("{} sizes and {} values", sizes.len(), values.len()),
            ));
        }
        if values.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(Error::invalid("knapsack", "values must be finite and >= 0"));
        }
        if capacity == 0 {
            return Err(Error::invalid("knapsack", "capacity must be positive"));
        }
        let m = 64 - capacity.leading_zeros() as usize; // bits to hold 0..=C
        let mut coeffs: Vec<u64> = (0..m.saturating_sub(1)).map(|j| 1u64 << j).collect();
        coeffs.push(capacity - ((1u64 << (m - 1)) - 1));
        let n = sizes.len();
        let p = values.iter().sum::<f64>() + 1.0;
        let weights: Vec<f64> = sizes
            .iter()
            .map(|&w| w as f64)
            .chain(coeffs.iter().map(|&c| c as f64))
            .collect();
        let mut q = Qubo::zeros(n + coeffs.len());
        let c = capacity as f64;
        // P (sum w_i x_i - C)^2 = P (sum w_i^2 x_i + 2 sum_{i<j} w_i w_j x_i x_j - 2C sum w_i x_i + C^2)
        for (i, &wi) in weights.iter().enumerate() {
            q.add_linear(i, p * (wi * wi - 2.0 * c * wi));
            for (j, &wj) in weights.iter().enumerate().skip(i + 1) {
                q.add_quadratic(i, j, 2.0 * p * wi * wj);
            }
        }
        q.add_offset(p * c * c);
        for (i, v) in values.iter().enumerate() {
            q.add_linear(i, -v);
        }
        Ok(Self {
            qubo: q,
            penalty: p,
            sizes: sizes.to_vec(),
            values: values.to_vec(),
            capacity,
        })
    }

    /// Decode the job bits (the first `jobs` variables; slack bits ignored)
    /// and check the capacity.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a wrong length.
    pub fn decode(&self, bits: &[bool]) -> Result<Placement> {
        if bits.len() != self.qubo.num_vars() {
            return Err(Error::invalid(
                "bits",
                format!("{} bits for {} variables", bits.len(), self.qubo.num_vars()),
            ));
        }
        let chosen: Vec<usize> = (0..self.sizes.len()).filter(|&i| bits[i]).collect();
        let used = chosen.iter().map(|&i| self.sizes[i]).sum::<u64>();
        Ok(Placement {
            value: chosen.iter().map(|&i| self.values[i]).sum(),
            feasible: used <= self.capacity,
            used,
            chosen,
        })
    }
}

/// Options of [`balance_jobs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceOptions {
    /// QAOA runs only when the QUBO has at most this many variables (and
    /// its state fits in `sim`'s memory limit); else it is skipped and
    /// [`BalanceReport::qaoa_skipped`] says why. Default
    /// [`crate::DEFAULT_QAOA_MAX_QUBITS`].
    pub qaoa_max_qubits: usize,
    /// QAOA layers.
    pub p: usize,
    /// QAOA optimiser and sampling.
    pub qaoa: QaoaOptions,
    /// Penalty rule for `k > 2`.
    pub penalty: Penalty,
    /// The classical solver searches all `k^n` assignments up to this count,
    /// else runs simulated annealing on the QUBO from the LPT start.
    pub exact_max_assignments: u64,
    /// Annealing (when the problem is too large for exact search).
    pub anneal: AnnealOptions,
    /// Simulator memory limit.
    pub sim: SimConfig,
}

impl Default for BalanceOptions {
    fn default() -> Self {
        Self {
            qaoa_max_qubits: crate::DEFAULT_QAOA_MAX_QUBITS,
            p: 2,
            qaoa: QaoaOptions::default(),
            penalty: Penalty::Greedy,
            exact_max_assignments: 5_000_000,
            anneal: AnnealOptions::default(),
            sim: SimConfig::default(),
        }
    }
}

/// One solver's answer to a balancing problem.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BalanceOutcome {
    /// `qaoa`, `exact` or `annealing`.
    pub method: String,
    /// The assignment (repaired when the raw QAOA sample broke a constraint).
    pub assignment: Assignment,
    /// Whether the solver's raw answer satisfied every constraint (for QAOA:
    /// whether any of the samples was feasible; the best feasible one is kept).
    pub feasible: bool,
    /// Wall time in seconds.
    pub seconds: f64,
    /// For QAOA: the expected QUBO energy `-<C>` of the optimised state.
    pub expected_energy: Option<f64>,
}

/// QAOA and classical answers to one balancing problem.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BalanceReport {
    /// Job loads.
    pub loads: Vec<f64>,
    /// Number of servers.
    pub servers: usize,
    /// QUBO variables (qubits): `n` for two servers, `n k` otherwise.
    pub qubits: usize,
    /// One-hot penalty weight (`None` for two servers).
    pub penalty: Option<f64>,
    /// QAOA's answer, when the problem was small enough.
    pub qaoa: Option<BalanceOutcome>,
    /// Why QAOA did not run.
    pub qaoa_skipped: Option<String>,
    /// The classical answer.
    pub classical: BalanceOutcome,
}

/// Exhaustive search over `k^n` assignments (job 0 fixed on server 0 by symmetry).
fn exact_assignment(loads: &[f64], k: usize) -> Result<Assignment> {
    let n = loads.len();
    let mut cur = vec![0usize; n];
    let mut best = Assignment::new(loads, k, cur.clone())?;
    let total: f64 = loads.iter().sum();
    let mean = total / k as f64;
    let mut acc = vec![0.0; k];
    fn rec(
        j: usize,
        loads: &[f64],
        k: usize,
        mean: f64,
        cur: &mut Vec<usize>,
        acc: &mut Vec<f64>,
        best: &mut (f64, Vec<usize>),
    ) {
        if j == loads.len() {
            let v: f64 = acc.iter().map(|l| (l - mean).powi(2)).sum();
            // Relative: loads of 1e-7 have squared deviations near 1e-14.
            if v < best.0 - 1e-12 * best.0 {
                *best = (v, cur.clone());
            }
            return;
        }
        let limit = if j == 0 { 1 } else { k };
        for s in 0..limit {
            cur[j] = s;
            acc[s] += loads[j];
            rec(j + 1, loads, k, mean, cur, acc, best);
            acc[s] -= loads[j];
        }
    }
    let mut b = (best.squared_deviation, best.server_of_job.clone());
    rec(0, loads, k, mean, &mut cur, &mut acc, &mut b);
    best = Assignment::new(loads, k, b.1)?;
    Ok(best)
}

fn to_bits(z: u64, n: usize) -> Vec<bool> {
    (0..n).map(|i| (z >> i) & 1 == 1).collect()
}

/// Balance jobs over `servers` servers with QAOA (when the QUBO has at most
/// `options.qaoa_max_qubits` variables and its state fits in
/// `options.sim`'s memory limit; else QAOA is skipped and the report says
/// why) and with a classical solver (exact
/// search when `servers^jobs <= options.exact_max_assignments`, else
/// simulated annealing on the QUBO), and return both answers.
///
/// Two servers use the number-partitioning QUBO (`n` qubits); more servers
/// the one-hot QUBO of [`BalanceQubo`] (`n k` qubits).
///
/// # Errors
/// [`Error::Invalid`] for no jobs, a bad load (see [`two_server_qubo`]),
/// fewer than 2 servers or more than [`MAX_BALANCE_VARS`] QUBO variables
/// (`jobs` for two servers, `jobs * servers` otherwise), checked before
/// anything is allocated; [`Error::TooManyLayers`] for `options.p` above
/// [`crate::MAX_LAYERS`]; simulator errors.
pub fn balance_jobs(
    loads: &[f64],
    servers: usize,
    options: &BalanceOptions,
) -> Result<BalanceReport> {
    check_loads(loads)?;
    check_servers(loads.len(), servers, servers > 2)?;
    check_layers(options.p.max(1))?;
    let n = loads.len();
    let (qubo, bq) = if servers == 2 {
        (two_server_qubo(loads)?, None)
    } else {
        let b = BalanceQubo::new(loads, servers, options.penalty)?;
        (b.qubo.clone(), Some(b))
    };
    let qubits = qubo.num_vars();
    let decode = |bits: &[bool]| -> Result<(Assignment, bool)> {
        match &bq {
            Some(b) => b.decode_repair(bits),
            None => Ok((
                Assignment::new(loads, 2, bits.iter().map(|&b| usize::from(b)).collect())?,
                true,
            )),
        }
    };

    let t = Instant::now();
    let assignments = (servers as f64).powi(n as i32);
    let classical = if assignments <= options.exact_max_assignments as f64 {
        let a = exact_assignment(loads, servers)?;
        BalanceOutcome {
            method: "exact".into(),
            assignment: a,
            feasible: true,
            seconds: t.elapsed().as_secs_f64(),
            expected_energy: None,
        }
    } else {
        let s = simulated_annealing(&qubo, &options.anneal)?;
        let (a, feasible) = decode(&s.bits)?;
        // Never report worse than the greedy start.
        let greedy = Assignment::new(loads, servers, lpt_assignment(loads, servers))?;
        let (a, feasible) = if greedy.squared_deviation < a.squared_deviation {
            (greedy, true)
        } else {
            (a, feasible)
        };
        BalanceOutcome {
            method: "annealing".into(),
            assignment: a,
            feasible,
            seconds: t.elapsed().as_secs_f64(),
            expected_energy: None,
        }
    };

    let fits = if qubits <= options.qaoa_max_qubits {
        // As `Qaoa::new` checks: state, diagonal and its build buffer.
        options
            .sim
            .check(qubits, AMPLITUDE_BYTES + 10)
            .map_err(|e| format!("{e}"))
    } else {
        Err(format!(
            "{qubits} qubits > qaoa_max_qubits = {}",
            options.qaoa_max_qubits
        ))
    };
    let (qaoa, qaoa_skipped) = if let Err(why) = fits {
        tracing::debug!(qubits, %why, "QAOA skipped");
        (None, Some(why))
    } else {
        let t = Instant::now();
        let qa = Qaoa::qubo(&qubo, &options.sim)?;
        let r = qa.optimize(options.p.max(1), &options.qaoa)?;
        // Prefer the best feasible sample (by balance); when no sample is
        // feasible, repair the lowest-energy one.
        let state = qa.state(&r.gamma, &r.beta)?;
        let mut best_feasible: Option<Assignment> = None;
        for z in state.sample(options.qaoa.shots.max(1), options.qaoa.seed ^ 0x5eed) {
            if let (a, true) = decode(&to_bits(z, qubits))?
                && best_feasible
                    .as_ref()
                    .is_none_or(|b| a.squared_deviation < b.squared_deviation)
            {
                best_feasible = Some(a);
            }
        }
        let (a, feasible) = match best_feasible {
            Some(a) => (a, true),
            None => decode(&to_bits(r.best_bitstring, qubits))?,
        };
        (
            Some(BalanceOutcome {
                method: "qaoa".into(),
                assignment: a,
                feasible,
                seconds: t.elapsed().as_secs_f64(),
                expected_energy: Some(-r.expected),
            }),
            None,
        )
    };
    Ok(BalanceReport {
        loads: loads.to_vec(),
        servers,
        qubits,
        penalty: bq.as_ref().map(|b| b.penalty),
        qaoa,
        qaoa_skipped,
        classical,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classical::exact_minimum;

    #[test]
    fn qaoa_over_the_cap_or_the_memory_limit_is_skipped_with_the_reason() {
        let loads = [4.0, 2.0, 3.0];
        let capped = BalanceOptions {
            qaoa_max_qubits: 8,
            ..BalanceOptions::default()
        };
        let r = balance_jobs(&loads, 3, &capped).unwrap();
        assert!(r.qaoa.is_none());
        assert_eq!(
            r.qaoa_skipped.as_deref(),
            Some("9 qubits > qaoa_max_qubits = 8")
        );
        // Under the cap but over the memory limit: skipped, the classical row stays.
        let small_memory = BalanceOptions {
            qaoa_max_qubits: 40,
            sim: SimConfig {
                memory_limit_bytes: 1024,
            },
            ..BalanceOptions::default()
        };
        let r = balance_jobs(&loads, 3, &small_memory).unwrap();
        assert!(r.qaoa.is_none());
        let why = r.qaoa_skipped.unwrap_or_default();
        assert!(
            why.contains("9 qubits") && why.contains("memory limit"),
            "{why}"
        );
        assert_eq!(r.classical.method, "exact");
        assert_eq!(
            BalanceOptions::default().qaoa_max_qubits,
            crate::DEFAULT_QAOA_MAX_QUBITS
        );
    }

    #[test]
    fn huge_server_counts_are_rejected_before_allocating() {
        let loads = [25.0, 7.0, 13.0];
        let opts = BalanceOptions::default();
        for servers in [99_999_999_999usize, usize::MAX, MAX_BALANCE_VARS] {
            let e = balance_jobs(&loads, servers, &opts).unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { what, message } if what == "servers"
                    && message.contains(&servers.to_string())),
                "{e}"
            );
            assert!(BalanceQubo::new(&loads, servers, Penalty::Greedy).is_err());
            assert_eq!(
                Assignment::new(&loads, servers, vec![0, 0, 0]).is_err(),
                servers > MAX_BALANCE_VARS
            );
            // The greedy never allocates idle servers and keeps its answer.
            assert_eq!(lpt_assignment(&loads, servers), vec![0, 2, 1]);
        }
        // Up to the bound is fine, also with more servers than jobs.
        assert!(BalanceQubo::new(&loads, MAX_BALANCE_VARS / 3, Penalty::Greedy).is_ok());
        let classical_only = BalanceOptions {
            qaoa_max_qubits: 0,
            ..BalanceOptions::default()
        };
        let r = balance_jobs(&loads, 5, &classical_only).unwrap();
        assert_eq!(r.classical.assignment.makespan, 25.0);
        assert!(two_server_qubo(&vec![1.0; MAX_BALANCE_VARS + 1]).is_err());
        assert!(two_server_qubo(&vec![1.0; MAX_BALANCE_VARS]).is_ok());
    }

    #[test]
    fn small_loads_are_balanced_exactly() {
        // Loads of 1e-7: squared deviations near 1e-14 were all "equal"
        // under an absolute tolerance, and `exact` kept all jobs on one server.
        let loads = [1e-7, 2e-7, 3e-7, 4e-7];
        let r = balance_jobs(&loads, 2, &BalanceOptions::default()).unwrap();
        assert!(
            r.classical.assignment.imbalance < 1e-15,
            "{:?}",
            r.classical
        );
        let q = two_server_qubo(&loads).unwrap();
        let s = exact_minimum(&q).unwrap();
        assert!(s.energy.abs() < 1e-25, "{s:?}");
        let a =
            BalanceQubo::new(&[1e-7, 2e-7, 3e-7, 4e-7, 5e-7, 6e-7], 3, Penalty::Strict).unwrap();
        let s = exact_minimum(&a.qubo).unwrap();
        let (asg, feasible) = a.decode_repair(&s.bits).unwrap();
        assert!(feasible && asg.imbalance < 1e-15, "{asg:?}");
    }

    #[test]
    fn loads_whose_squares_underflow_name_the_job() {
        // 1e-300: every squared deviation was 0, so `exact` kept the first
        // assignment (all jobs on one server) as "optimal".
        let loads = [3.0, 1e-300, 2.0];
        let e = balance_jobs(&loads, 2, &BalanceOptions::default()).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("job 1 has load 1e-300"), "{msg}");
        assert!(msg.contains("scale the loads up"), "{msg}");
        // Zero loads are fine.
        assert!(balance_jobs(&[3.0, 0.0, 2.0], 2, &BalanceOptions::default()).is_ok());
    }

    #[test]
    fn loads_whose_squares_overflow_name_the_job() {
        for loads in [vec![1e300, 7.0, 13.0], vec![7.0, 1e200, 13.0]] {
            let bad = loads.iter().position(|&l| l > 1e100).unwrap();
            for e in [
                balance_jobs(&loads, 3, &BalanceOptions::default()).unwrap_err(),
                two_server_qubo(&loads).unwrap_err(),
                BalanceQubo::new(&loads, 3, Penalty::Strict).unwrap_err(),
            ] {
                let msg = e.to_string();
                assert!(msg.contains(&format!("job {bad} has load")), "{msg}");
                assert!(msg.contains("scale the loads down"), "{msg}");
            }
        }
        // Many jobs that are each fine but sum past the bound: the job that
        // crosses it is named.
        let loads = vec![0.6 * MAX_TOTAL_LOAD, 0.6 * MAX_TOTAL_LOAD];
        assert!(
            two_server_qubo(&loads)
                .unwrap_err()
                .to_string()
                .contains("job 1 ")
        );
        // At the bound every coefficient, including the strict penalty, is finite.
        let loads = [
            0.5 * MAX_TOTAL_LOAD,
            0.25 * MAX_TOTAL_LOAD,
            0.25 * MAX_TOTAL_LOAD,
        ];
        let b = BalanceQubo::new(&loads, 3, Penalty::Strict).unwrap();
        assert!(b.penalty.is_finite());
        assert!(b.qubo.energy(&b.encode(&[0, 1, 2])).unwrap().is_finite());
        let q = two_server_qubo(&loads).unwrap();
        assert!(q.energy(&[true, false, false]).unwrap().is_finite());
    }

    #[test]
    fn balance_rejects_too_many_layers() {
        let opts = BalanceOptions {
            p: crate::MAX_LAYERS + 1,
            ..BalanceOptions::default()
        };
        assert!(matches!(
            balance_jobs(&[1.0, 2.0], 2, &opts),
            Err(Error::TooManyLayers { .. })
        ));
    }

    #[test]
    fn two_server_energy_is_squared_difference() {
        let loads = [3.0, 1.0, 1.0, 2.0, 2.0, 1.0];
        let q = two_server_qubo(&loads).unwrap();
        for z in 0..64u64 {
            let l1: f64 = (0..6).filter(|i| z >> i & 1 == 1).map(|i| loads[i]).sum();
            let l0 = 10.0 - l1;
            assert!((q.energy_bits(z) - (l1 - l0).powi(2)).abs() < 1e-9);
        }
        assert!(exact_minimum(&q).unwrap().energy.abs() < 1e-9);
    }

    fn best_feasible(loads: &[f64], k: usize) -> f64 {
        exact_assignment(loads, k).unwrap().squared_deviation
    }

    #[test]
    fn greedy_penalty_makes_the_minimum_feasible_and_optimal() {
        for loads in [
            vec![5.0, 3.0, 2.0, 4.0],
            vec![7.0, 1.0, 1.0, 1.0],
            vec![2.0, 2.0, 9.0, 4.0],
        ] {
            let b = BalanceQubo::new(&loads, 3, Penalty::Greedy).unwrap();
            let s = exact_minimum(&b.qubo).unwrap();
            let Decoded::Feasible(a) = b.decode(&s.bits).unwrap() else {
                panic!("QUBO minimum infeasible for {loads:?}");
            };
            assert!((a.squared_deviation - best_feasible(&loads, 3)).abs() < 1e-9);
            assert!((s.energy - a.squared_deviation).abs() < 1e-9);
        }
    }

    #[test]
    fn strict_penalty_every_feasible_beats_every_infeasible() {
        let loads = [5.0, 3.0, 2.0, 4.0];
        let b = BalanceQubo::new(&loads, 3, Penalty::Strict).unwrap();
        let (mut max_feasible, mut min_infeasible) = (f64::NEG_INFINITY, f64::INFINITY);
        for z in 0..1u64 << 12 {
            let bits = to_bits(z, 12);
            let e = b.qubo.energy(&bits).unwrap();
            match b.decode(&bits).unwrap() {
                Decoded::Feasible(_) => max_feasible = max_feasible.max(e),
                Decoded::Infeasible { .. } => min_infeasible = min_infeasible.min(e),
            }
        }
        assert!(
            max_feasible < min_infeasible,
            "{max_feasible} {min_infeasible}"
        );
    }

    #[test]
    fn knapsack_minimum_is_best_placement() {
        let sizes = [4u64, 3, 5, 2];
        let values = [10.0, 7.0, 12.0, 3.0];
        let kq = KnapsackQubo::new(&sizes, &values, 9).unwrap();
        let s = exact_minimum(&kq.qubo).unwrap();
        let p = kq.decode(&s.bits).unwrap();
        assert!(p.feasible);
        // Best: items 0 and 2 (size 9, value 22).
        assert_eq!(p.chosen, vec![0, 2]);
        assert!((p.value - 22.0).abs() < 1e-9);
        assert!((s.energy + 22.0).abs() < 1e-9);
        assert!(KnapsackQubo::new(&[1], &[1.0, 2.0], 3).is_err());
        assert!(KnapsackQubo::new(&[1], &[1.0], 0).is_err());
    }

    #[test]
    fn balance_jobs_reports_both() {
        let opts = BalanceOptions {
            p: 1,
            qaoa: QaoaOptions {
                restarts: 2,
                max_evals: 80,
                ..QaoaOptions::default()
            },
            ..BalanceOptions::default()
        };
        let r = balance_jobs(&[25.0, 7.0, 13.0, 9.0, 4.0, 6.0], 2, &opts).unwrap();
        assert_eq!(r.qubits, 6);
        assert_eq!(r.classical.method, "exact");
        assert!(r.classical.assignment.imbalance.abs() < 1e-9); // 32 / 32
        let q = r.qaoa.unwrap();
        assert!(q.feasible);
        assert!(q.assignment.imbalance >= r.classical.assignment.imbalance);
        let r3 = balance_jobs(&[5.0, 3.0, 2.0, 4.0], 3, &opts).unwrap();
        assert_eq!(r3.qubits, 12);
        assert!(r3.qaoa.is_some() && r3.penalty.is_some());
        assert!(balance_jobs(&[], 2, &opts).is_err());
        assert!(balance_jobs(&[1.0, -1.0], 2, &opts).is_err());
        assert!(balance_jobs(&[1.0], 1, &opts).is_err());
    }
}
