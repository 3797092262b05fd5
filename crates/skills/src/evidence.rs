//! Evidence and level estimation.
//!
//! A member's level on a skill is a hidden quantity that drifts over time.
//! It is estimated with a one-dimensional Kalman filter over the evidence in
//! date order:
//!
//! * **Drift** between two dates `dt` days apart is an Ornstein-Uhlenbeck
//!   process pulling the level back to the prior (`prior_mean`, variance
//!   `v0 = prior_sd²`) with rate `λ = ln 2 / half_life_days`:
//!   `m ← μ0 + (m − μ0) e^(−λ dt)`, `v ← v0 + (v − v0) e^(−2 λ dt)`.
//!   Unused skills fade and, without recent evidence, the uncertainty grows
//!   back towards the prior's.
//! * **Evidence** `y` of kind `k` with weight `w` is a noisy reading with
//!   variance `R = σ_k² / w`: gain `K = v / (v + R)`, `m ← m + K (y − m)`,
//!   `v ← (1 − K) v`. Self-assessments are noisier than peer reviews,
//!   incidents and tests (see [`AssessmentParams`]).
//! * The estimate is then drifted to the assessment date.
//!
//! A test is read as `y = (L − 1) + s` for a test at level `L` with score
//! `s ∈ [0, 1]`; when the test gives the answer sequence, `s` is the BKT
//! probability that the skill is known after those answers.

use std::collections::BTreeMap;

use aiops_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::bkt::BktParams;
use crate::error::{Error, Result};
use crate::taxonomy::{MAX_LEVEL, MIN_LEVEL};

/// Where a piece of evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The member's own rating.
    #[serde(rename = "self")]
    SelfAssessment,
    /// A peer's or lead's review.
    Peer,
    /// A test (score or answer sequence).
    Test,
    /// An incident the member resolved that needed the skill at this level.
    Incident,
}

impl EvidenceKind {
    /// All kinds.
    pub const ALL: [EvidenceKind; 4] = [
        EvidenceKind::SelfAssessment,
        EvidenceKind::Peer,
        EvidenceKind::Test,
        EvidenceKind::Incident,
    ];

    /// Name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::SelfAssessment => "self",
            EvidenceKind::Peer => "peer",
            EvidenceKind::Test => "test",
            EvidenceKind::Incident => "incident",
        }
    }
}

/// What a test measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TestOutcome {
    /// Fraction of the test answered correctly, in [0, 1].
    Score(f64),
    /// The answers in order (`true` = correct), read through BKT.
    Answers(Vec<bool>),
}

/// One piece of evidence about a member's level on a skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Skill id.
    pub skill: String,
    /// Where it comes from.
    pub kind: EvidenceKind,
    /// The level it shows (for a test: the level the test targets).
    pub level: u8,
    /// For tests: the outcome.
    pub test: Option<TestOutcome>,
    /// When it was observed.
    #[serde(serialize_with = "crate::yaml::rfc3339::serialize")]
    pub date: Timestamp,
    /// Extra weight (> 0; 1 = normal). Multiplies the evidence's precision.
    pub weight: f64,
}

impl Evidence {
    /// Evidence of `kind` showing `level` on `date`, weight 1.
    pub fn new(skill: impl Into<String>, kind: EvidenceKind, level: u8, date: Timestamp) -> Self {
        Evidence {
            skill: skill.into(),
            kind,
            level,
            test: None,
            date,
            weight: 1.0,
        }
    }

    /// A test at `level` with an outcome.
    pub fn test(
        skill: impl Into<String>,
        level: u8,
        outcome: TestOutcome,
        date: Timestamp,
    ) -> Self {
        Evidence {
            test: Some(outcome),
            ..Evidence::new(skill, EvidenceKind::Test, level, date)
        }
    }

    /// Checks level, weight and test outcome.
    pub fn check(&self) -> Result<()> {
        let bad = |field: &str, message: String| Error::InvalidValue {
            file: crate::error::MEMORY.to_owned(),
            line: 0,
            field: field.to_owned(),
            message,
        };
        if !(MIN_LEVEL..=MAX_LEVEL).contains(&self.level) {
            return Err(Error::LevelOutOfRange {
                file: crate::error::MEMORY.to_owned(),
                line: 0,
                value: self.level.to_string(),
            });
        }
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(bad(
                "weight",
                format!("{} must be finite and positive", self.weight),
            ));
        }
        if let Some(TestOutcome::Score(s)) = self.test
            && !(0.0..=1.0).contains(&s)
        {
            return Err(bad("score", format!("{s} is outside [0, 1]")));
        }
        Ok(())
    }

    /// The level reading this evidence gives (see the module docs).
    pub fn observed_level(&self, bkt: &BktParams) -> f64 {
        let l = f64::from(self.level);
        match &self.test {
            None => l,
            Some(TestOutcome::Score(s)) => (l - 1.0 + s).max(f64::from(MIN_LEVEL)),
            Some(TestOutcome::Answers(a)) => {
                let mut p = bkt.p_init;
                for &c in a {
                    p = bkt.update(p, c);
                }
                (l - 1.0 + p).max(f64::from(MIN_LEVEL))
            }
        }
    }
}

/// Parameters of level estimation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssessmentParams {
    /// Level assumed without evidence.
    pub prior_mean: f64,
    /// Standard deviation of the level without evidence.
    pub prior_sd: f64,
    /// Reading noise (standard deviation in levels) of self-assessments.
    pub self_sd: f64,
    /// Reading noise of peer reviews.
    pub peer_sd: f64,
    /// Reading noise of tests.
    pub test_sd: f64,
    /// Reading noise of resolved incidents.
    pub incident_sd: f64,
    /// Days for an unused level to fall half-way back to the prior.
    pub half_life_days: f64,
}

impl Default for AssessmentParams {
    fn default() -> Self {
        AssessmentParams {
            prior_mean: 1.0,
            prior_sd: 1.5,
            self_sd: 1.0,
            peer_sd: 0.6,
            test_sd: 0.4,
            incident_sd: 0.7,
            half_life_days: 730.0,
        }
    }
}

const DAY_MS: f64 = 86_400_000.0;

impl AssessmentParams {
    /// Validates the parameters.
    pub fn check(&self) -> Result<()> {
        let positive = [
            ("prior_sd", self.prior_sd),
            ("self_sd", self.self_sd),
            ("peer_sd", self.peer_sd),
            ("test_sd", self.test_sd),
            ("incident_sd", self.incident_sd),
            ("half_life_days", self.half_life_days),
        ];
        for (name, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidParameter {
                    name,
                    value: v,
                    reason: "must be finite and positive",
                });
            }
        }
        if !(f64::from(MIN_LEVEL)..=f64::from(MAX_LEVEL)).contains(&self.prior_mean) {
            return Err(Error::InvalidParameter {
                name: "prior_mean",
                value: self.prior_mean,
                reason: "must be a level between 1 and 5",
            });
        }
        Ok(())
    }

    /// Reading noise (standard deviation) of a kind.
    pub fn noise_sd(&self, kind: EvidenceKind) -> f64 {
        match kind {
            EvidenceKind::SelfAssessment => self.self_sd,
            EvidenceKind::Peer => self.peer_sd,
            EvidenceKind::Test => self.test_sd,
            EvidenceKind::Incident => self.incident_sd,
        }
    }

    fn drift(&self, mean: f64, var: f64, days: f64) -> (f64, f64) {
        if days <= 0.0 {
            return (mean, var);
        }
        let lambda = std::f64::consts::LN_2 / self.half_life_days;
        let a = (-lambda * days).exp();
        let v0 = self.prior_sd * self.prior_sd;
        (
            self.prior_mean + (mean - self.prior_mean) * a,
            v0 + (var - v0) * a * a,
        )
    }

    /// Estimates the level on one skill from its evidence (any order) as of
    /// `as_of`. Evidence after `as_of` is an error.
    pub fn estimate<'a>(
        &self,
        evidence: impl IntoIterator<Item = &'a Evidence>,
        bkt: &BktParams,
        as_of: Timestamp,
    ) -> Result<LevelEstimate> {
        let mut items: Vec<&Evidence> = evidence.into_iter().collect();
        items.sort_by_key(|e| e.date);
        let mut mean = self.prior_mean;
        let mut var = self.prior_sd * self.prior_sd;
        let mut last: Option<Timestamp> = None;
        for e in &items {
            e.check()?;
            if e.date > as_of {
                return Err(Error::FutureEvidence {
                    file: crate::error::MEMORY.to_owned(),
                    line: 0,
                    date: e.date.to_rfc3339(),
                    as_of: as_of.to_rfc3339(),
                });
            }
            if let Some(prev) = last {
                let days = e.date.millis_since(prev) as f64 / DAY_MS;
                (mean, var) = self.drift(mean, var, days);
            }
            let sd = self.noise_sd(e.kind);
            let r = sd * sd / e.weight;
            let k = var / (var + r);
            mean += k * (e.observed_level(bkt) - mean);
            var *= 1.0 - k;
            last = Some(e.date);
        }
        if let Some(prev) = last {
            let days = as_of.millis_since(prev) as f64 / DAY_MS;
            (mean, var) = self.drift(mean, var, days);
        }
        Ok(LevelEstimate {
            mean: mean.clamp(f64::from(MIN_LEVEL), f64::from(MAX_LEVEL)),
            sd: var.sqrt(),
            evidence: items.len(),
            last_evidence: last,
        })
    }

    /// Estimates every skill that has evidence; keys are skill ids.
    pub fn estimate_all(
        &self,
        evidence: &[Evidence],
        bkt: &BTreeMap<String, BktParams>,
        as_of: Timestamp,
    ) -> Result<BTreeMap<String, LevelEstimate>> {
        let mut by_skill: BTreeMap<&str, Vec<&Evidence>> = BTreeMap::new();
        for e in evidence {
            by_skill.entry(e.skill.as_str()).or_default().push(e);
        }
        let default = BktParams::default();
        by_skill
            .into_iter()
            .map(|(skill, ev)| {
                let p = bkt.get(skill).unwrap_or(&default);
                Ok((skill.to_owned(), self.estimate(ev, p, as_of)?))
            })
            .collect()
    }

    /// The estimate for a skill without evidence.
    pub fn prior(&self) -> LevelEstimate {
        LevelEstimate {
            mean: self.prior_mean,
            sd: self.prior_sd,
            evidence: 0,
            last_evidence: None,
        }
    }
}

/// A member's estimated level on one skill.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LevelEstimate {
    /// Posterior mean level, in [1, 5].
    pub mean: f64,
    /// Posterior standard deviation (levels).
    pub sd: f64,
    /// Number of evidence items used.
    pub evidence: usize,
    /// Date of the latest evidence.
    #[serde(serialize_with = "crate::yaml::rfc3339::option::serialize")]
    pub last_evidence: Option<Timestamp>,
}

impl LevelEstimate {
    /// A central interval `mean ± z sd`, clamped to [1, 5].
    pub fn interval(&self, z: f64) -> (f64, f64) {
        let lo = (self.mean - z * self.sd).max(f64::from(MIN_LEVEL));
        let hi = (self.mean + z * self.sd).min(f64::from(MAX_LEVEL));
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: i64) -> Timestamp {
        Timestamp::from_millis(d * 86_400_000)
    }

    #[test]
    fn evidence_pulls_estimate_and_shrinks_uncertainty() {
        let p = AssessmentParams::default();
        let bkt = BktParams::default();
        let prior = p.prior();
        let one = [Evidence::new("k", EvidenceKind::Peer, 4, day(100))];
        let e1 = p.estimate(&one, &bkt, day(100)).unwrap();
        assert!(e1.mean > 3.0 && e1.mean < 4.0, "{e1:?}");
        assert!(e1.sd < prior.sd);
        // Peer evidence moves the estimate more than self-assessment.
        let selfe = [Evidence::new(
            "k",
            EvidenceKind::SelfAssessment,
            4,
            day(100),
        )];
        let e2 = p.estimate(&selfe, &bkt, day(100)).unwrap();
        assert!(e2.mean < e1.mean);
        // Decay: a year later the mean falls back and uncertainty grows.
        let later = p.estimate(&one, &bkt, day(465)).unwrap();
        assert!(later.mean < e1.mean && later.sd > e1.sd, "{later:?}");
        // Future evidence is an error.
        assert!(matches!(
            p.estimate(&one, &bkt, day(50)),
            Err(Error::FutureEvidence { .. })
        ));
    }

    #[test]
    fn tests_read_through_bkt() {
        let bkt = BktParams::default();
        let good = Evidence::test("k", 3, TestOutcome::Answers(vec![true; 8]), day(1));
        let bad = Evidence::test("k", 3, TestOutcome::Answers(vec![false; 8]), day(1));
        assert!(good.observed_level(&bkt) > 2.9);
        assert!(bad.observed_level(&bkt) < 2.3);
        let half = Evidence::test("k", 3, TestOutcome::Score(0.5), day(1));
        assert!((half.observed_level(&bkt) - 2.5).abs() < 1e-12);
        let wrong = Evidence::test("k", 3, TestOutcome::Score(1.5), day(1));
        assert!(wrong.check().is_err());
    }
}
