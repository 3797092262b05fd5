//! Bayesian Knowledge Tracing (Corbett & Anderson, 1995): fitting by
//! expectation-maximisation and online updates.
//!
//! # Model
//!
//! A learner either knows a skill (`K`) or not (`U`). Four parameters:
//! `p_init` = P(K before the first answer), `p_learn` = P(U → K after an
//! answer), `p_guess` = P(correct | U), `p_slip` = P(incorrect | K). There is
//! no forgetting (K → U has probability 0). This is a two-state hidden Markov
//! model with initial distribution `π = (1 − p_init, p_init)`, transition
//! matrix `A = [[1 − p_learn, p_learn], [0, 1]]` and emissions
//! `e_U(1) = p_guess`, `e_K(1) = 1 − p_slip`.
//!
//! # Online update (per answer)
//!
//! With `p = P(K_t | answers before t)`:
//!
//! ```text
//! P(K_t | correct)   = p (1 − S) / (p (1 − S) + (1 − p) G)
//! P(K_t | incorrect) = p S       / (p S       + (1 − p) (1 − G))
//! P(K_{t+1})         = P(K_t | obs) + (1 − P(K_t | obs)) T
//! P(correct_t)       = p (1 − S) + (1 − p) G
//! ```
//!
//! # Fitting (Baum-Welch)
//!
//! For each answer sequence `o_1..o_n` the E-step runs the scaled forward
//! pass `α̂_1(j) = π_j e_j(o_1) / c_1`, `α̂_t(j) = Σ_i α̂_{t−1}(i) A_ij e_j(o_t) / c_t`
//! (with `c_t` the normaliser, so `log L = Σ_t log c_t`) and the backward pass
//! `β̂_n = 1`, `β̂_t(i) = Σ_j A_ij e_j(o_{t+1}) β̂_{t+1}(j) / c_{t+1}`. Then
//! `γ_t(i) = α̂_t(i) β̂_t(i)` and the expected learning transitions
//! `ξ_t(U→K) = α̂_t(U) T e_K(o_{t+1}) β̂_{t+1}(K) / c_{t+1}`. The M-step sets
//!
//! ```text
//! p_init  = Σ_seq γ_1(K) / #sequences
//! p_learn = Σ ξ_t(U→K) / Σ_{t<n} γ_t(U)
//! p_guess = Σ_t γ_t(U) [o_t = 1] / Σ_t γ_t(U)
//! p_slip  = Σ_t γ_t(K) [o_t = 0] / Σ_t γ_t(K)
//! ```
//!
//! **Identifiability.** The model is symmetric under swapping the meaning of
//! the states when `p_guess + p_slip > 1` (a "known" state that answers worse
//! than the "unknown" one). As in the BKT literature (Corbett & Anderson 1995;
//! Baker, Corbett & Aleven 2008, who bound guess ≤ 0.3 and slip ≤ 0.1 or 0.3),
//! the M-step is constrained to `p_guess ≤ max_guess` and `p_slip ≤ max_slip`
//! (0.3 each by default), so `p_guess + p_slip < 1` always holds. Each
//! parameter's expected complete-data log-likelihood is a concave Bernoulli
//! term on its own, so clamping the unconstrained maximiser to the box is the
//! exact constrained M-step and EM still never decreases the likelihood. EM is
//! started from a few points ([`BktFitter::starts`]); each runs a short warm-up
//! and the best continues to convergence.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The four BKT parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BktParams {
    /// P(known before the first answer).
    pub p_init: f64,
    /// P(unknown → known after an answer).
    pub p_learn: f64,
    /// P(correct | unknown).
    pub p_guess: f64,
    /// P(incorrect | known).
    pub p_slip: f64,
}

impl Default for BktParams {
    /// Typical values used when a skill has no fitted parameters.
    fn default() -> Self {
        BktParams {
            p_init: 0.3,
            p_learn: 0.15,
            p_guess: 0.2,
            p_slip: 0.1,
        }
    }
}

impl BktParams {
    /// Checked constructor: each probability in (0, 1), `p_guess + p_slip < 1`.
    pub fn new(p_init: f64, p_learn: f64, p_guess: f64, p_slip: f64) -> Result<Self> {
        let p = BktParams {
            p_init,
            p_learn,
            p_guess,
            p_slip,
        };
        p.check()?;
        Ok(p)
    }

    /// Validates the parameters (see [`BktParams::new`]).
    pub fn check(&self) -> Result<()> {
        for (name, v) in [
            ("p_init", self.p_init),
            ("p_learn", self.p_learn),
            ("p_guess", self.p_guess),
            ("p_slip", self.p_slip),
        ] {
            if !(v > 0.0 && v < 1.0) {
                return Err(Error::InvalidParameter {
                    name,
                    value: v,
                    reason: "must lie strictly between 0 and 1",
                });
            }
        }
        if self.p_guess + self.p_slip >= 1.0 {
            return Err(Error::InvalidParameter {
                name: "p_guess + p_slip",
                value: self.p_guess + self.p_slip,
                reason: "must be below 1 (otherwise the states are not identifiable)",
            });
        }
        Ok(())
    }

    /// P(correct) when P(known) is `p_known`.
    pub fn p_correct(&self, p_known: f64) -> f64 {
        p_known * (1.0 - self.p_slip) + (1.0 - p_known) * self.p_guess
    }

    /// One online step: P(known) before the next answer given P(known)
    /// before this one and this answer.
    pub fn update(&self, p_known: f64, correct: bool) -> f64 {
        let (k, u) = if correct {
            (
                p_known * (1.0 - self.p_slip),
                (1.0 - p_known) * self.p_guess,
            )
        } else {
            (
                p_known * self.p_slip,
                (1.0 - p_known) * (1.0 - self.p_guess),
            )
        };
        let post = if k + u > 0.0 { k / (k + u) } else { p_known };
        post + (1.0 - post) * self.p_learn
    }

    /// Log-likelihood of the sequences under these parameters.
    pub fn log_likelihood(&self, data: &AnswerSequences) -> f64 {
        let mut ll = 0.0;
        for seq in data.iter() {
            let mut p = self.p_init;
            for &o in seq {
                let pc = self.p_correct(p);
                ll += if o == 1 { pc.ln() } else { (1.0 - pc).ln() };
                p = self.update(p, o == 1);
            }
        }
        ll
    }
}

/// Online knowledge state of one learner on one skill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BktState {
    params: BktParams,
    p_known: f64,
}

impl BktState {
    /// A learner with no answers yet (P(known) = `p_init`).
    pub fn new(params: BktParams) -> Self {
        BktState {
            params,
            p_known: params.p_init,
        }
    }

    /// Updates with one answer and returns the new P(known).
    pub fn observe(&mut self, correct: bool) -> f64 {
        self.p_known = self.params.update(self.p_known, correct);
        self.p_known
    }

    /// Current P(known).
    pub fn p_known(&self) -> f64 {
        self.p_known
    }

    /// P(the next answer is correct).
    pub fn p_correct(&self) -> f64 {
        self.params.p_correct(self.p_known)
    }

    /// The parameters.
    pub fn params(&self) -> &BktParams {
        &self.params
    }
}

/// Answer sequences of many learners on one skill, stored flat (`0`/`1`
/// bytes plus offsets) so fitting streams through memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerSequences {
    answers: Vec<u8>,
    offsets: Vec<usize>,
}

impl AnswerSequences {
    /// An empty set.
    pub fn new() -> Self {
        AnswerSequences {
            answers: Vec::new(),
            offsets: vec![0],
        }
    }

    /// Appends one learner's answers in time order (`true` = correct).
    /// Empty sequences are kept out (they carry no information).
    pub fn push(&mut self, answers: impl IntoIterator<Item = bool>) {
        if self.offsets.is_empty() {
            self.offsets.push(0);
        }
        let before = self.answers.len();
        self.answers.extend(answers.into_iter().map(u8::from));
        if self.answers.len() > before {
            self.offsets.push(self.answers.len());
        }
    }

    /// Number of sequences.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Whether there are no sequences.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total number of answers.
    pub fn total_answers(&self) -> usize {
        self.answers.len()
    }

    /// The sequences, each a slice of `0`/`1`.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.offsets
            .windows(2)
            .map(move |w| &self.answers[w[0]..w[1]])
    }
}

/// Simulates `students` learners answering `answers_per_student` questions
/// from known parameters, with a fixed seed.
pub fn simulate(
    params: &BktParams,
    students: usize,
    answers_per_student: usize,
    seed: u64,
) -> AnswerSequences {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = AnswerSequences::new();
    let mut buf = Vec::with_capacity(answers_per_student);
    for _ in 0..students {
        buf.clear();
        let mut known = rng.random::<f64>() < params.p_init;
        for _ in 0..answers_per_student {
            let p = if known {
                1.0 - params.p_slip
            } else {
                params.p_guess
            };
            buf.push(rng.random::<f64>() < p);
            if !known {
                known = rng.random::<f64>() < params.p_learn;
            }
        }
        out.push(buf.iter().copied());
    }
    out
}

/// EM settings for [`BktFitter::fit`].
#[derive(Debug, Clone, PartialEq)]
pub struct BktFitter {
    /// Maximum EM iterations of the final run.
    pub max_iter: usize,
    /// Stop when no parameter moves more than this in one iteration.
    pub tol: f64,
    /// Upper bound on `p_guess` (identifiability constraint).
    pub max_guess: f64,
    /// Upper bound on `p_slip` (identifiability constraint).
    pub max_slip: f64,
    /// Starting points; each runs `warmup` iterations and the best continues.
    pub starts: Vec<BktParams>,
    /// Warm-up iterations per starting point.
    pub warmup: usize,
}

impl Default for BktFitter {
    fn default() -> Self {
        BktFitter {
            max_iter: 500,
            tol: 1e-6,
            max_guess: 0.3,
            max_slip: 0.3,
            starts: vec![
                BktParams {
                    p_init: 0.4,
                    p_learn: 0.1,
                    p_guess: 0.2,
                    p_slip: 0.1,
                },
                BktParams {
                    p_init: 0.1,
                    p_learn: 0.3,
                    p_guess: 0.1,
                    p_slip: 0.2,
                },
                BktParams {
                    p_init: 0.7,
                    p_learn: 0.05,
                    p_guess: 0.25,
                    p_slip: 0.05,
                },
            ],
            warmup: 5,
        }
    }
}

/// Result of fitting one skill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BktFit {
    /// Fitted parameters.
    pub params: BktParams,
    /// Log-likelihood at the fitted parameters.
    pub log_likelihood: f64,
    /// EM iterations of the final run.
    pub iterations: usize,
    /// Whether the tolerance was reached before `max_iter`.
    pub converged: bool,
    /// Number of sequences.
    pub sequences: usize,
    /// Number of answers.
    pub answers: usize,
}

const EPS: f64 = 1e-6;

impl BktFitter {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [("max_guess", self.max_guess), ("max_slip", self.max_slip)] {
            if !(v > 0.0 && v < 1.0) {
                return Err(Error::InvalidParameter {
                    name,
                    value: v,
                    reason: "must lie strictly between 0 and 1",
                });
            }
        }
        if self.max_guess + self.max_slip >= 1.0 {
            return Err(Error::InvalidParameter {
                name: "max_guess + max_slip",
                value: self.max_guess + self.max_slip,
                reason: "must be below 1 so guess + slip < 1 (identifiability)",
            });
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::InvalidParameter {
                name: "tol",
                value: self.tol,
                reason: "must be finite and positive",
            });
        }
        if self.starts.is_empty() {
            return Err(Error::Empty {
                what: "BKT starting points".to_owned(),
            });
        }
        for s in &self.starts {
            s.check()?;
        }
        Ok(())
    }

    /// Fits the four parameters to the sequences by constrained EM.
    pub fn fit(&self, data: &AnswerSequences) -> Result<BktFit> {
        self.check()?;
        if data.is_empty() {
            return Err(Error::Empty {
                what: "answer sequences".to_owned(),
            });
        }
        let mut scratch = Scratch::default();
        let mut best: Option<(BktParams, f64)> = None;
        for start in &self.starts {
            let mut p = self.clamp(*start);
            let mut ll = f64::NEG_INFINITY;
            for _ in 0..self.warmup.max(1) {
                let (next, l) = self.em_step(&p, data, &mut scratch);
                p = next;
                ll = l;
            }
            if best.is_none_or(|(_, b)| ll > b) {
                best = Some((p, ll));
            }
        }
        let (mut p, mut ll) = best.unwrap_or((BktParams::default(), f64::NEG_INFINITY));
        let mut iterations = 0;
        let mut converged = false;
        while iterations < self.max_iter {
            let (next, l) = self.em_step(&p, data, &mut scratch);
            iterations += 1;
            let delta = max_change(&p, &next);
            p = next;
            ll = l;
            if delta < self.tol {
                converged = true;
                break;
            }
        }
        // `ll` is the likelihood of the parameters before the last step; the
        // step moved them less than `tol`, so recompute for the reported ones.
        let final_ll = p.log_likelihood(data);
        tracing::debug!(iterations, converged, ll, final_ll, "BKT EM finished");
        Ok(BktFit {
            params: p,
            log_likelihood: final_ll,
            iterations,
            converged,
            sequences: data.len(),
            answers: data.total_answers(),
        })
    }

    fn clamp(&self, p: BktParams) -> BktParams {
        BktParams {
            p_init: p.p_init.clamp(EPS, 1.0 - EPS),
            p_learn: p.p_learn.clamp(EPS, 1.0 - EPS),
            p_guess: p.p_guess.clamp(EPS, self.max_guess),
            p_slip: p.p_slip.clamp(EPS, self.max_slip),
        }
    }

    /// One EM iteration; returns the new parameters and the log-likelihood of
    /// the old ones.
    fn em_step(&self, p: &BktParams, data: &AnswerSequences, s: &mut Scratch) -> (BktParams, f64) {
        let t = p.p_learn;
        // Emission probabilities e[state][obs].
        let e_u = [1.0 - p.p_guess, p.p_guess];
        let e_k = [p.p_slip, 1.0 - p.p_slip];
        let mut ll = 0.0;
        let mut init_k = 0.0;
        let mut xi_uk = 0.0;
        let mut from_u = 0.0;
        let mut u_total = 0.0;
        let mut u_correct = 0.0;
        let mut k_total = 0.0;
        let mut k_wrong = 0.0;
        for seq in data.iter() {
            let n = seq.len();
            s.au.clear();
            s.ak.clear();
            s.c.clear();
            // Forward.
            let o = usize::from(seq[0]);
            let mut au = (1.0 - p.p_init) * e_u[o];
            let mut ak = p.p_init * e_k[o];
            let mut c = au + ak;
            au /= c;
            ak /= c;
            s.au.push(au);
            s.ak.push(ak);
            s.c.push(c);
            for &ob in &seq[1..] {
                let o = usize::from(ob);
                let nu = au * (1.0 - t) * e_u[o];
                let nk = (au * t + ak) * e_k[o];
                c = nu + nk;
                let inv = 1.0 / c;
                au = nu * inv;
                ak = nk * inv;
                s.au.push(au);
                s.ak.push(ak);
                s.c.push(c);
            }
            // log L = Σ log c_t, with one `ln` per run of factors (the
            // running product is flushed before it could underflow).
            let mut prod = 1.0f64;
            for &c in &s.c {
                prod *= c;
                if prod < 1e-250 {
                    ll += prod.ln();
                    prod = 1.0;
                }
            }
            ll += prod.ln();
            // Backward, accumulating sufficient statistics.
            let (mut bu, mut bk) = (1.0, 1.0);
            for i in (0..n).rev() {
                let o = usize::from(seq[i]);
                let gu = s.au[i] * bu;
                let gk = s.ak[i] * bk;
                // gu + gk == 1 up to rounding; normalise to be safe.
                let z = 1.0 / (gu + gk);
                let (gu, gk) = (gu * z, gk * z);
                u_total += gu;
                k_total += gk;
                if o == 1 {
                    u_correct += gu;
                } else {
                    k_wrong += gk;
                }
                if i == 0 {
                    init_k += gk;
                    break;
                }
                // Step to i-1 using the observation at i.
                let inv_c = 1.0 / s.c[i];
                let ek = e_k[o] * bk * inv_c;
                let eu = e_u[o] * bu * inv_c;
                let a_prev_u = s.au[i - 1];
                xi_uk += a_prev_u * t * ek;
                from_u += a_prev_u * ((1.0 - t) * eu + t * ek);
                bu = (1.0 - t) * eu + t * ek;
                bk = ek;
            }
        }
        let nseq = data.len() as f64;
        let next = BktParams {
            p_init: init_k / nseq,
            p_learn: if from_u > 0.0 { xi_uk / from_u } else { t },
            p_guess: if u_total > 0.0 {
                u_correct / u_total
            } else {
                p.p_guess
            },
            p_slip: if k_total > 0.0 {
                k_wrong / k_total
            } else {
                p.p_slip
            },
        };
        (self.clamp(next), ll)
    }

    /// Fits every skill of an answer log.
    pub fn fit_log(&self, log: &AnswerLog) -> Result<BTreeMap<String, BktFit>> {
        let mut out = BTreeMap::new();
        for (skill, seqs) in &log.skills {
            out.insert(skill.clone(), self.fit(seqs)?);
        }
        Ok(out)
    }
}

#[derive(Debug, Default)]
struct Scratch {
    au: Vec<f64>,
    ak: Vec<f64>,
    c: Vec<f64>,
}

fn max_change(a: &BktParams, b: &BktParams) -> f64 {
    (a.p_init - b.p_init)
        .abs()
        .max((a.p_learn - b.p_learn).abs())
        .max((a.p_guess - b.p_guess).abs())
        .max((a.p_slip - b.p_slip).abs())
}

/// Learner -> index into a skill's sequences, and the sequences.
type Grouped = (HashMap<String, usize>, Vec<Vec<bool>>);

/// Answers of many learners on many skills, grouped per skill and learner in
/// time order (as read from a `student,skill,correct` CSV).
#[derive(Debug, Clone, Default)]
pub struct AnswerLog {
    skills: BTreeMap<String, AnswerSequences>,
}

impl AnswerLog {
    /// Reads a CSV file with a header naming the columns `student`, `skill`
    /// and `correct` (any order, extra columns ignored); rows are in time
    /// order; `correct` is `0`/`1` (or `true`/`false`).
    pub fn from_csv_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_csv_str(&path.display().to_string(), &text)
    }

    /// Parses CSV text (see [`AnswerLog::from_csv_file`]); `file` names it in errors.
    pub fn from_csv_str(file: &str, text: &str) -> Result<Self> {
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let csv_err = |line: usize, message: String| Error::Csv {
            file: file.to_owned(),
            line,
            message,
        };
        let headers = rdr
            .headers()
            .map_err(|e| csv_err(1, e.to_string()))?
            .clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| csv_err(1, format!("missing column `{name}` in the header")))
        };
        let (ci_student, ci_skill, ci_correct) = (col("student")?, col("skill")?, col("correct")?);
        let width = headers.len();
        // Per skill: learner -> index into that skill's sequences.
        let mut grouped: BTreeMap<String, Grouped> = BTreeMap::new();
        let mut record = csv::StringRecord::new();
        loop {
            let more = rdr.read_record(&mut record).map_err(|e| {
                csv_err(e.position().map_or(0, |p| p.line() as usize), e.to_string())
            })?;
            if !more {
                break;
            }
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.len() == 1 && record.get(0).is_some_and(str::is_empty) {
                continue; // blank line
            }
            if record.len() != width {
                return Err(csv_err(
                    line,
                    format!("expected {width} fields, found {}", record.len()),
                ));
            }
            let student = record.get(ci_student).unwrap_or_default();
            let skill = record.get(ci_skill).unwrap_or_default();
            let raw = record.get(ci_correct).unwrap_or_default();
            if student.is_empty() {
                return Err(csv_err(line, "empty `student`".to_owned()));
            }
            if skill.is_empty() {
                return Err(csv_err(line, "empty `skill`".to_owned()));
            }
            let correct = match raw {
                "1" => true,
                "0" => false,
                r if r.eq_ignore_ascii_case("true") => true,
                r if r.eq_ignore_ascii_case("false") => false,
                r => {
                    return Err(Error::NonBinaryOutcome {
                        file: file.to_owned(),
                        line,
                        value: r.to_owned(),
                    });
                }
            };
            let (index, seqs) = grouped.entry(skill.to_owned()).or_default();
            let next = seqs.len();
            let i = *index.entry(student.to_owned()).or_insert(next);
            if i == next {
                seqs.push(Vec::new());
            }
            seqs[i].push(correct);
        }
        let skills = grouped
            .into_iter()
            .map(|(skill, (_, seqs))| {
                let mut s = AnswerSequences::new();
                for q in seqs {
                    s.push(q);
                }
                (skill, s)
            })
            .collect();
        Ok(AnswerLog { skills })
    }

    /// Sequences of one skill.
    pub fn skill(&self, skill: &str) -> Option<&AnswerSequences> {
        self.skills.get(skill)
    }

    /// Skills in name order with their sequences.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &AnswerSequences)> + '_ {
        self.skills.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Adds sequences for a skill (replacing any).
    pub fn insert(&mut self, skill: impl Into<String>, sequences: AnswerSequences) {
        self.skills.insert(skill.into(), sequences);
    }

    /// Number of skills.
    pub fn len(&self) -> usize {
        self.skills.len()
    }

    /// Whether the log has no skills.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_update_matches_hand_computation() {
        let p = BktParams::new(0.3, 0.2, 0.2, 0.1).unwrap();
        // correct: post = 0.27 / (0.27 + 0.14) ; next = post + (1-post)*0.2
        let post: f64 = 0.27 / (0.27 + 0.14);
        let want = post + (1.0 - post) * 0.2;
        assert!((p.update(0.3, true) - want).abs() < 1e-12);
        let mut s = BktState::new(p);
        let a = s.observe(false);
        assert!(a < 0.3 + 0.7 * 0.2);
        assert!((s.p_correct() - p.p_correct(a)).abs() < 1e-12);
    }

    #[test]
    fn em_never_decreases_likelihood() {
        let truth = BktParams::new(0.25, 0.12, 0.18, 0.08).unwrap();
        let data = simulate(&truth, 300, 15, 7);
        let fitter = BktFitter::default();
        let mut p = fitter.starts[0];
        let mut s = Scratch::default();
        let mut last = f64::NEG_INFINITY;
        for _ in 0..30 {
            let (next, ll) = fitter.em_step(&p, &data, &mut s);
            assert!(ll >= last - 1e-7, "{ll} < {last}");
            // The forward log-likelihood equals the direct one.
            assert!((ll - p.log_likelihood(&data)).abs() < 1e-6);
            last = ll;
            p = next;
        }
    }

    #[test]
    fn rejects_bad_params() {
        assert!(BktParams::new(0.0, 0.1, 0.1, 0.1).is_err());
        assert!(BktParams::new(0.3, 0.1, 0.6, 0.5).is_err());
        let f = BktFitter {
            max_guess: 0.6,
            max_slip: 0.5,
            ..BktFitter::default()
        };
        assert!(f.fit(&simulate(&BktParams::default(), 5, 5, 1)).is_err());
        assert!(BktFitter::default().fit(&AnswerSequences::new()).is_err());
    }

    #[test]
    fn csv_groups_and_rejects_non_binary() {
        let log = AnswerLog::from_csv_str(
            "a.csv",
            "student,skill,correct\ns1,k8s,1\ns2,k8s,0\ns1,k8s,0\ns1,py,true\n",
        )
        .unwrap();
        let k = log.skill("k8s").unwrap();
        assert_eq!(k.len(), 2);
        let seqs: Vec<&[u8]> = k.iter().collect();
        assert_eq!(seqs, vec![&[1u8, 0][..], &[0u8][..]]);
        let e = AnswerLog::from_csv_str("a.csv", "student,skill,correct\ns1,k8s,1\ns1,k8s,0.5\n")
            .unwrap_err();
        assert!(
            matches!(&e, Error::NonBinaryOutcome { line: 3, value, .. } if value == "0.5"),
            "{e}"
        );
        let e = AnswerLog::from_csv_str("a.csv", "student,correct\ns1,1\n").unwrap_err();
        assert!(matches!(&e, Error::Csv { line: 1, .. }), "{e}");
        let e = AnswerLog::from_csv_str("a.csv", "student,skill,correct\ns1,k8s\n").unwrap_err();
        assert!(matches!(&e, Error::Csv { line: 2, .. }), "{e}");
    }
}
