//! Gap analysis and the team skills report.
//!
//! For a member whose role requires level `r` with importance `i` on skill
//! `s`, with estimated level `m`, the gap is `max(0, r − m)` and the weighted
//! gap is `i · mult(s) · max(0, r − m)`, where `mult(s)` is the incident
//! demand multiplier ([`IncidentDemand::multiplier`]). The weighted gap is
//! monotone non-decreasing in `r`.
//!
//! For the team, each skill some member's role requires gets the highest
//! required level `R` among those roles; its **coverage** (and bus factor)
//! is the number of members (of any role) whose estimate is at least
//! `R − coverage_margin`.

use std::collections::BTreeMap;
use std::fmt;

use aiops_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::bkt::BktParams;
use crate::demand::IncidentDemand;
use crate::error::{Error, Result};
use crate::evidence::{AssessmentParams, LevelEstimate};
use crate::path::{LearningPath, PathParams, Target, learning_path};
use crate::taxonomy::Taxonomy;
use crate::team::Team;

/// Settings of the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnalysisParams {
    /// How level estimates are formed.
    pub assessment: AssessmentParams,
    /// Learning path settings.
    pub path: PathParams,
    /// `α` in the demand multiplier `1 + α d(s) / max d`.
    pub demand_strength: f64,
    /// A member covers a skill when their estimate is at least the required
    /// level minus this margin.
    pub coverage_margin: f64,
    /// Bus factor the team plan tries to reach on every required skill.
    pub target_bus_factor: usize,
    /// Fitted BKT parameters per skill, used to read test answers.
    pub bkt: BTreeMap<String, BktParams>,
}

impl Default for AnalysisParams {
    fn default() -> Self {
        AnalysisParams {
            assessment: AssessmentParams::default(),
            path: PathParams::default(),
            demand_strength: 1.0,
            coverage_margin: 0.5,
            target_bus_factor: 2,
            bkt: BTreeMap::new(),
        }
    }
}

impl AnalysisParams {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        self.assessment.check()?;
        self.path.check()?;
        if !(self.demand_strength.is_finite() && self.demand_strength >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "demand_strength",
                value: self.demand_strength,
                reason: "must be finite and non-negative",
            });
        }
        if !(self.coverage_margin.is_finite() && (0.0..1.0).contains(&self.coverage_margin)) {
            return Err(Error::InvalidParameter {
                name: "coverage_margin",
                value: self.coverage_margin,
                reason: "must lie in [0, 1)",
            });
        }
        for p in self.bkt.values() {
            p.check()?;
        }
        Ok(())
    }
}

/// The gap of one member on one required skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillGap {
    /// Skill id.
    pub skill: String,
    /// Required level.
    pub required: u8,
    /// Importance in the role.
    pub importance: f64,
    /// The member's estimate.
    pub estimate: LevelEstimate,
    /// `max(0, required − estimate.mean)`.
    pub gap: f64,
    /// Demand multiplier of the skill.
    pub demand_multiplier: f64,
    /// `importance · demand_multiplier · gap`.
    pub weighted_gap: f64,
}

/// Weighted gap of a requirement (see the module docs); monotone in `required`.
pub fn weighted_gap(required: u8, importance: f64, multiplier: f64, level: f64) -> f64 {
    importance * multiplier * (f64::from(required) - level).max(0.0)
}

/// One member's assessment, gaps and learning path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemberReport {
    /// Member id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Role id.
    pub role: String,
    /// Level estimates of every skill with evidence.
    pub estimates: BTreeMap<String, LevelEstimate>,
    /// Gaps on the role's requirements, largest weighted gap first.
    pub gaps: Vec<SkillGap>,
    /// Sum of weighted gaps.
    pub total_weighted_gap: f64,
    /// The learning path.
    pub path: LearningPath,
}

/// Team coverage of one required skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillCoverage {
    /// Skill id.
    pub skill: String,
    /// Skill display name.
    pub name: String,
    /// Highest level required by the roles of the team's members.
    pub required: u8,
    /// Highest importance among those roles.
    pub importance: f64,
    /// Demand multiplier from incidents.
    pub demand_multiplier: f64,
    /// Members at or above the required level (less the margin).
    pub covered_by: Vec<String>,
    /// Bus factor: `covered_by.len()`.
    pub bus_factor: usize,
    /// Best estimated level in the team.
    pub best_level: f64,
    /// Weighted gap of the best member (0 when someone covers it).
    pub team_gap: f64,
    /// Sum of members' weighted gaps on this skill.
    pub member_gap_total: f64,
}

/// A team-plan assignment: train a member on a skill to raise its bus factor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    /// Skill id.
    pub skill: String,
    /// Member id.
    pub member: String,
    /// The member's current estimate.
    pub from_level: f64,
    /// Level to reach.
    pub to_level: u8,
    /// Study hours needed (the skill only, without prerequisites).
    pub hours: f64,
    /// Bus factor before this assignment.
    pub bus_factor_before: usize,
    /// Bus factor after it.
    pub bus_factor_after: usize,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamSkillsReport {
    /// Team name.
    pub team: String,
    /// Taxonomy name.
    pub taxonomy: String,
    /// Assessment date.
    #[serde(serialize_with = "crate::yaml::rfc3339::serialize")]
    pub as_of: Timestamp,
    /// Incident demand used.
    pub demand: IncidentDemand,
    /// Coverage of each required skill, lowest bus factor first.
    pub coverage: Vec<SkillCoverage>,
    /// Lowest bus factor over required skills.
    pub min_bus_factor: usize,
    /// Per-member reports, largest total weighted gap first.
    pub members: Vec<MemberReport>,
    /// Team plan raising the lowest bus factors first.
    pub team_plan: Vec<Assignment>,
}

/// Runs the gap analysis and builds learning paths and the team plan.
pub fn analyze(
    taxonomy: &Taxonomy,
    team: &Team,
    demand: &IncidentDemand,
    params: &AnalysisParams,
) -> Result<TeamSkillsReport> {
    params.check()?;
    let alpha = params.demand_strength;
    let as_of = team.as_of();
    let mult = |s: &str| demand.multiplier(s, alpha);
    // Estimates per member.
    let mut estimates: Vec<BTreeMap<String, LevelEstimate>> = Vec::new();
    for m in team.members() {
        estimates.push(
            params
                .assessment
                .estimate_all(&m.evidence, &params.bkt, as_of)?,
        );
    }
    let prior = params.assessment.prior();
    let est = |k: usize, s: &str| estimates[k].get(s).copied().unwrap_or(prior);
    // Member gaps and paths.
    let mut members = Vec::new();
    for (k, m) in team.members().iter().enumerate() {
        let role = team.role(&m.role).ok_or_else(|| Error::UnknownReference {
            file: crate::error::MEMORY.to_owned(),
            line: 0,
            what: "role",
            id: m.role.clone(),
        })?;
        let mut gaps: Vec<SkillGap> = role
            .requires
            .iter()
            .map(|q| {
                let e = est(k, &q.skill);
                let mu = mult(&q.skill);
                SkillGap {
                    skill: q.skill.clone(),
                    required: q.level,
                    importance: q.importance,
                    estimate: e,
                    gap: (f64::from(q.level) - e.mean).max(0.0),
                    demand_multiplier: mu,
                    weighted_gap: weighted_gap(q.level, q.importance, mu, e.mean),
                }
            })
            .collect();
        gaps.sort_by(|a, b| {
            b.weighted_gap
                .total_cmp(&a.weighted_gap)
                .then(a.skill.cmp(&b.skill))
        });
        let targets: Vec<Target> = gaps
            .iter()
            .filter(|g| g.gap > 0.0)
            .map(|g| Target {
                skill: g.skill.clone(),
                current: g.estimate.mean,
                target: g.required,
                priority: g.weighted_gap,
            })
            .collect();
        let level_of = |s: &str| est(k, s).mean;
        let path = learning_path(taxonomy, &targets, &level_of, m.weekly_hours, &params.path)?;
        members.push(MemberReport {
            id: m.id.clone(),
            name: m.name.clone(),
            role: m.role.clone(),
            estimates: estimates[k].clone(),
            total_weighted_gap: gaps.iter().map(|g| g.weighted_gap).sum(),
            gaps,
            path,
        });
    }
    // Coverage per required skill.
    let mut required: BTreeMap<String, (u8, f64)> = BTreeMap::new();
    for m in team.members() {
        if let Some(role) = team.role(&m.role) {
            for q in &role.requires {
                let e = required
                    .entry(q.skill.clone())
                    .or_insert((q.level, q.importance));
                e.0 = e.0.max(q.level);
                e.1 = e.1.max(q.importance);
            }
        }
    }
    let mut coverage = Vec::new();
    for (skill, (req, imp)) in &required {
        let threshold = f64::from(*req) - params.coverage_margin;
        let mut covered_by = Vec::new();
        let mut best = f64::MIN;
        for (k, m) in team.members().iter().enumerate() {
            let l = est(k, skill).mean;
            best = best.max(l);
            if l + 1e-9 >= threshold {
                covered_by.push(m.id.clone());
            }
        }
        let mu = mult(skill);
        let member_gap_total = members
            .iter()
            .flat_map(|m| m.gaps.iter())
            .filter(|g| &g.skill == skill)
            .map(|g| g.weighted_gap)
            .sum();
        coverage.push(SkillCoverage {
            skill: skill.clone(),
            name: taxonomy
                .skill(skill)
                .map_or_else(|| skill.clone(), |s| s.name.clone()),
            required: *req,
            importance: *imp,
            demand_multiplier: mu,
            bus_factor: covered_by.len(),
            covered_by,
            best_level: best,
            team_gap: if best + 1e-9 >= threshold {
                0.0
            } else {
                weighted_gap(*req, *imp, mu, best)
            },
            member_gap_total,
        });
    }
    coverage.sort_by(|a, b| {
        a.bus_factor
            .cmp(&b.bus_factor)
            .then(
                (b.importance * b.demand_multiplier)
                    .total_cmp(&(a.importance * a.demand_multiplier)),
            )
            .then(a.skill.cmp(&b.skill))
    });
    let team_plan = team_plan(taxonomy, team, &coverage, &est, params);
    members.sort_by(|a, b| {
        b.total_weighted_gap
            .total_cmp(&a.total_weighted_gap)
            .then(a.id.cmp(&b.id))
    });
    Ok(TeamSkillsReport {
        team: team.name().to_owned(),
        taxonomy: taxonomy.name().to_owned(),
        as_of,
        demand: demand.clone(),
        min_bus_factor: coverage.iter().map(|c| c.bus_factor).min().unwrap_or(0),
        coverage,
        members,
        team_plan,
    })
}

/// One call for an orchestrator: the team skills report weighted by the
/// incidents of a run ([`IncidentDemand::from_incidents`]) with default
/// [`AnalysisParams`].
pub fn report_for_incidents(
    taxonomy: &Taxonomy,
    team: &Team,
    incidents: &[aiops_core::Incident],
) -> Result<TeamSkillsReport> {
    let demand = IncidentDemand::from_incidents(taxonomy, incidents);
    analyze(taxonomy, team, &demand, &AnalysisParams::default())
}

/// Greedy team plan: repeatedly take the required skill with the lowest bus
/// factor (ties: larger importance × demand) below the target and train the
/// member closest to covering it who still has study time in the horizon.
fn team_plan(
    taxonomy: &Taxonomy,
    team: &Team,
    coverage: &[SkillCoverage],
    est: &dyn Fn(usize, &str) -> LevelEstimate,
    params: &AnalysisParams,
) -> Vec<Assignment> {
    let horizon = f64::from(params.path.horizon_weeks);
    let mut budget: Vec<f64> = team
        .members()
        .iter()
        .map(|m| m.weekly_hours * horizon)
        .collect();
    let mut bus: Vec<(usize, usize)> = coverage
        .iter()
        .enumerate()
        .map(|(i, c)| (i, c.bus_factor))
        .collect();
    let mut trained: Vec<Vec<String>> = coverage.iter().map(|c| c.covered_by.clone()).collect();
    let mut plan = Vec::new();
    loop {
        // Lowest bus factor first; coverage is already sorted by priority.
        bus.sort_by_key(|&(i, b)| (b, i));
        let Some(&(ci, b)) = bus.iter().find(|&&(i, b)| {
            b < params.target_bus_factor
                && b < team.members().len()
                && !exhausted(i, &trained, team)
        }) else {
            break;
        };
        let c = &coverage[ci];
        let hpl = taxonomy
            .skill(&c.skill)
            .map_or(crate::taxonomy::DEFAULT_HOURS_PER_LEVEL, |s| {
                s.hours_per_level
            });
        let mut best: Option<(usize, f64, f64)> = None;
        for (k, m) in team.members().iter().enumerate() {
            if trained[ci].contains(&m.id) {
                continue;
            }
            let from = est(k, &c.skill).mean;
            let hours = (f64::from(c.required) - params.coverage_margin - from).max(0.0) * hpl;
            if hours <= budget[k] + 1e-9 && best.is_none_or(|(_, _, h)| hours < h) {
                best = Some((k, from, hours));
            }
        }
        let Some((k, from, hours)) = best else {
            // Nobody has time left for this skill; mark it done.
            trained[ci] = team.members().iter().map(|m| m.id.clone()).collect();
            continue;
        };
        budget[k] -= hours;
        let id = team.members()[k].id.clone();
        trained[ci].push(id.clone());
        if let Some(e) = bus.iter_mut().find(|(i, _)| *i == ci) {
            e.1 += 1;
        }
        plan.push(Assignment {
            skill: c.skill.clone(),
            member: id,
            from_level: from,
            to_level: c.required,
            hours,
            bus_factor_before: b,
            bus_factor_after: b + 1,
        });
    }
    plan
}

fn exhausted(i: usize, trained: &[Vec<String>], team: &Team) -> bool {
    trained[i].len() >= team.members().len()
}

impl fmt::Display for TeamSkillsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "team {} ({} members), taxonomy {}, as of {}",
            self.team,
            self.members.len(),
            self.taxonomy,
            self.as_of
        )?;
        if !self.demand.categories.is_empty() || !self.demand.unmapped.is_empty() {
            let cats: Vec<String> = self
                .demand
                .categories
                .iter()
                .map(|(c, n)| format!("{c}={n}"))
                .collect();
            write!(f, "incident demand: {}", cats.join(", "))?;
            if !self.demand.unmapped.is_empty() {
                let un: Vec<String> = self
                    .demand
                    .unmapped
                    .iter()
                    .map(|(c, n)| format!("{c}={n}"))
                    .collect();
                write!(f, " (unmapped: {})", un.join(", "))?;
            }
            writeln!(f)?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "coverage (lowest bus factor first; minimum {}):",
            self.min_bus_factor
        )?;
        writeln!(
            f,
            "  {:<26} {:>4} {:>6} {:>6} {:>4} {:>6} {:>8}  covered by",
            "skill", "req", "import", "demand", "bus", "best", "team_gap"
        )?;
        for c in &self.coverage {
            writeln!(
                f,
                "  {:<26} {:>4} {:>6.2} {:>6.2} {:>4} {:>6.2} {:>8.2}  {}",
                c.skill,
                c.required,
                c.importance,
                c.demand_multiplier,
                c.bus_factor,
                c.best_level,
                c.team_gap,
                if c.covered_by.is_empty() {
                    "-".to_owned()
                } else {
                    c.covered_by.join(", ")
                }
            )?;
        }
        for m in &self.members {
            writeln!(f)?;
            writeln!(
                f,
                "member {} ({}), role {}: total weighted gap {:.2}",
                m.id, m.name, m.role, m.total_weighted_gap
            )?;
            writeln!(
                f,
                "  {:<26} {:>4} {:>11} {:>6} {:>8}",
                "gap", "req", "level±sd", "gap", "weighted"
            )?;
            for g in m.gaps.iter().filter(|g| g.gap > 0.0) {
                writeln!(
                    f,
                    "  {:<26} {:>4} {:>6.2}±{:<4.2} {:>6.2} {:>8.2}",
                    g.skill, g.required, g.estimate.mean, g.estimate.sd, g.gap, g.weighted_gap
                )?;
            }
            writeln!(
                f,
                "  path ({:.1} h/week, {:.1} h scheduled):",
                m.path.weekly_hours,
                m.path.scheduled_hours()
            )?;
            for (n, s) in m.path.modules.iter().enumerate() {
                let reviews: Vec<String> = s.review_weeks.iter().map(u32::to_string).collect();
                writeln!(
                    f,
                    "    {:>2}. {:<26} -> L{} {:>5.1} h  weeks {}-{}{}{}",
                    n + 1,
                    s.module.skill,
                    s.module.to_level,
                    s.module.hours,
                    s.start_week,
                    s.end_week,
                    if s.module.prerequisite_only {
                        " (prerequisite)"
                    } else {
                        ""
                    },
                    if reviews.is_empty() {
                        String::new()
                    } else {
                        format!("  reviews in weeks {}", reviews.join(","))
                    }
                )?;
            }
            if !m.path.deferred.is_empty() {
                let d: Vec<String> = m
                    .path
                    .deferred
                    .iter()
                    .map(|d| format!("{}->L{}", d.skill, d.to_level))
                    .collect();
                writeln!(f, "    deferred beyond the horizon: {}", d.join(", "))?;
            }
        }
        if !self.team_plan.is_empty() {
            writeln!(f)?;
            writeln!(f, "team plan (raise the lowest bus factors first):")?;
            for a in &self.team_plan {
                writeln!(
                    f,
                    "  {:<26} {:<12} {:.2} -> L{} ({:.1} h), bus factor {} -> {}",
                    a.skill,
                    a.member,
                    a.from_level,
                    a.to_level,
                    a.hours,
                    a.bus_factor_before,
                    a.bus_factor_after
                )?;
            }
        }
        Ok(())
    }
}
