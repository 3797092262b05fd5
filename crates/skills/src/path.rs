//! Learning paths: prerequisite-respecting, gap-first, budgeted plans with
//! SM-2 spaced-repetition reviews.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::taxonomy::{MAX_LEVEL, Taxonomy};

/// SuperMemo 2 (Woźniak, 1990) review scheduling for one item.
///
/// After a review with quality `q` (0..=5): if `q ≥ 3` the interval becomes
/// 1 day, then 6 days, then the previous interval times the easiness factor;
/// if `q < 3` the repetition count restarts at 1 day. The easiness factor is
/// updated as `EF ← max(1.3, EF + 0.1 − (5 − q)(0.08 + 0.02 (5 − q)))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sm2 {
    /// Easiness factor (≥ 1.3; starts at 2.5).
    pub easiness: f64,
    /// Successful repetitions in a row.
    pub repetitions: u32,
    /// Current interval in days.
    pub interval_days: f64,
}

impl Default for Sm2 {
    fn default() -> Self {
        Sm2 {
            easiness: 2.5,
            repetitions: 0,
            interval_days: 0.0,
        }
    }
}

impl Sm2 {
    /// Records a review of quality `q` (0..=5) and returns the days until the
    /// next review.
    pub fn review(&mut self, q: u8) -> Result<f64> {
        if q > 5 {
            return Err(Error::InvalidParameter {
                name: "quality",
                value: f64::from(q),
                reason: "SM-2 quality is 0 to 5",
            });
        }
        if q >= 3 {
            self.interval_days = match self.repetitions {
                0 => 1.0,
                1 => 6.0,
                _ => (self.interval_days * self.easiness).round(),
            };
            self.repetitions += 1;
        } else {
            self.repetitions = 0;
            self.interval_days = 1.0;
        }
        let d = f64::from(5 - q);
        self.easiness = (self.easiness + 0.1 - d * (0.08 + 0.02 * d)).max(1.3);
        Ok(self.interval_days)
    }
}

/// Settings of learning paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathParams {
    /// Weeks the plan covers; modules that do not finish are deferred.
    pub horizon_weeks: u32,
    /// Minutes one spaced-repetition review takes (counted in the budget).
    pub review_minutes: f64,
    /// Assumed SM-2 quality of each review (0..=5).
    pub review_quality: u8,
    /// Reviews scheduled per module at most.
    pub max_reviews: u32,
}

impl Default for PathParams {
    fn default() -> Self {
        PathParams {
            horizon_weeks: 26,
            review_minutes: 15.0,
            review_quality: 4,
            max_reviews: 4,
        }
    }
}

impl PathParams {
    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if !(self.review_minutes.is_finite() && self.review_minutes >= 0.0) {
            return Err(Error::InvalidParameter {
                name: "review_minutes",
                value: self.review_minutes,
                reason: "must be finite and non-negative",
            });
        }
        if self.review_quality > 5 {
            return Err(Error::InvalidParameter {
                name: "review_quality",
                value: f64::from(self.review_quality),
                reason: "SM-2 quality is 0 to 5",
            });
        }
        Ok(())
    }
}

/// What a member should reach on one skill, and how much it matters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// Skill id.
    pub skill: String,
    /// Current estimated level (mean).
    pub current: f64,
    /// Level to reach.
    pub target: u8,
    /// Priority: the importance- and demand-weighted gap.
    pub priority: f64,
}

/// One step of a learning path: rise one level on a skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Module {
    /// Skill id.
    pub skill: String,
    /// Level reached at the end of the module.
    pub to_level: u8,
    /// Study hours.
    pub hours: f64,
    /// Priority inherited from the skill's weighted gap (or from the skills
    /// it is a prerequisite of).
    pub priority: f64,
    /// Whether the skill is only in the path as a prerequisite.
    pub prerequisite_only: bool,
}

/// A module placed in the calendar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduledModule {
    /// The module.
    #[serde(flatten)]
    pub module: Module,
    /// Week (1-based) the module starts.
    pub start_week: u32,
    /// Week it finishes.
    pub end_week: u32,
    /// Weeks of its SM-2 reviews (within the horizon).
    pub review_weeks: Vec<u32>,
}

/// Hours used in one week.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeekLoad {
    /// Week (1-based).
    pub week: u32,
    /// Study hours.
    pub study_hours: f64,
    /// Review hours.
    pub review_hours: f64,
}

/// A member's ordered, budgeted learning path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LearningPath {
    /// Weekly budget in hours.
    pub weekly_hours: f64,
    /// Modules in order.
    pub modules: Vec<ScheduledModule>,
    /// Modules that do not fit in the horizon, in order.
    pub deferred: Vec<Module>,
    /// Hours per week (weeks with any load).
    pub weeks: Vec<WeekLoad>,
}

impl LearningPath {
    /// Total study hours scheduled.
    pub fn scheduled_hours(&self) -> f64 {
        self.modules.iter().map(|m| m.module.hours).sum()
    }
}

/// Current whole level a member has finished: `floor(mean)` with a small
/// tolerance so 2.9999 counts as 3.
fn finished_level(current: f64) -> u8 {
    ((current + 1e-9).floor() as u8).clamp(0, MAX_LEVEL)
}

/// The modules needed to go from `current` to `target` on a skill; the first
/// is shortened when the member is part-way through a level.
fn modules_for(current: f64, target: u8, hours_per_level: f64) -> Vec<(u8, f64)> {
    let from = finished_level(current);
    ((from + 1)..=target)
        .map(|l| {
            let frac = (f64::from(l) - current).clamp(0.0, 1.0);
            (l, hours_per_level * frac)
        })
        .filter(|&(_, h)| h > 1e-9)
        .collect()
}

/// Builds a learning path.
///
/// 1. Each target becomes one module per missing level (the first shortened
///    by the part of the level already reached).
/// 2. A skill's prerequisites that are below the skill's
///    `prerequisite_level` are added as targets too (transitively), unless the
///    member already knows the skill itself at that level (which implies its
///    prerequisites); they inherit the priority of what they unlock.
/// 3. Skills are ordered topologically over prerequisites (Kahn's algorithm),
///    always taking the ready skill with the largest priority.
/// 4. Weeks are filled in order: SM-2 reviews due that week first, then
///    modules, never exceeding `weekly_hours`; a module may span weeks.
///    Modules not finished within the horizon are deferred.
///
/// `level_of(skill)` gives the member's current level on any skill.
pub fn learning_path(
    taxonomy: &Taxonomy,
    targets: &[Target],
    level_of: &dyn Fn(&str) -> f64,
    weekly_hours: f64,
    params: &PathParams,
) -> Result<LearningPath> {
    params.check()?;
    if !(weekly_hours.is_finite() && weekly_hours >= 0.0) {
        return Err(Error::InvalidParameter {
            name: "weekly_hours",
            value: weekly_hours,
            reason: "must be finite and non-negative",
        });
    }
    // Skill index -> (target level, priority, directly targeted).
    let mut want: BTreeMap<usize, (u8, f64, bool)> = BTreeMap::new();
    for t in targets {
        let Some(i) = taxonomy.skill_index(&t.skill) else {
            return Err(Error::UnknownSkill {
                file: crate::error::MEMORY.to_owned(),
                line: 0,
                skill: t.skill.clone(),
            });
        };
        if f64::from(t.target) > t.current + 1e-9 {
            let e = want.entry(i).or_insert((t.target, t.priority, true));
            e.0 = e.0.max(t.target);
            e.1 = e.1.max(t.priority);
            e.2 = true;
        }
    }
    // Close over prerequisites, dependents before prerequisites (reverse topo).
    let skills = taxonomy.skills();
    for &i in taxonomy.topological_order().iter().rev() {
        let Some(&(_, prio, _)) = want.get(&i) else {
            continue;
        };
        let need = skills[i].prerequisite_level;
        // Knowing a skill at or above its prerequisite level implies its
        // prerequisites at that level: only newcomers to it need them first.
        if level_of(&skills[i].id) + 1e-9 >= f64::from(need) {
            for p in &skills[i].prerequisites {
                if let Some(j) = taxonomy.skill_index(p)
                    && let Some(e) = want.get_mut(&j)
                {
                    e.1 = e.1.max(prio);
                }
            }
            continue;
        }
        for p in &skills[i].prerequisites {
            let Some(j) = taxonomy.skill_index(p) else {
                continue;
            };
            let cur = level_of(p);
            let already = want.get(&j).map(|w| w.0);
            if cur + 1e-9 < f64::from(need) || already.is_some() {
                let e = want.entry(j).or_insert((need, prio, false));
                if cur + 1e-9 < f64::from(need) {
                    e.0 = e.0.max(need);
                }
                e.1 = e.1.max(prio);
            }
        }
    }
    // Kahn's algorithm over the skills in the plan, highest priority first.
    let in_plan: BTreeSet<usize> = want.keys().copied().collect();
    let mut indeg: BTreeMap<usize, usize> = in_plan.iter().map(|&i| (i, 0)).collect();
    let mut deps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &in_plan {
        for p in &skills[i].prerequisites {
            if let Some(j) = taxonomy.skill_index(p).filter(|j| in_plan.contains(j)) {
                *indeg.entry(i).or_default() += 1;
                deps.entry(j).or_default().push(i);
            }
        }
    }
    let mut ready: Vec<usize> = indeg
        .iter()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| *i)
        .collect();
    let mut order = Vec::with_capacity(in_plan.len());
    while !ready.is_empty() {
        // Largest priority; ties by file order.
        let (pos, _) = ready
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| {
                let pa = want[a].1;
                let pb = want[b].1;
                pa.total_cmp(&pb).then(b.cmp(a))
            })
            .unwrap_or((0, &0));
        let i = ready.swap_remove(pos);
        order.push(i);
        for &d in deps.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
            if let Some(x) = indeg.get_mut(&d) {
                *x -= 1;
                if *x == 0 {
                    ready.push(d);
                }
            }
        }
    }
    let mut modules = Vec::new();
    for i in order {
        let (target, priority, direct) = want[&i];
        let s = &skills[i];
        for (l, h) in modules_for(level_of(&s.id), target, s.hours_per_level) {
            modules.push(Module {
                skill: s.id.clone(),
                to_level: l,
                hours: h,
                priority,
                prerequisite_only: !direct,
            });
        }
    }
    Ok(schedule(modules, weekly_hours, params))
}

fn schedule(modules: Vec<Module>, weekly_hours: f64, params: &PathParams) -> LearningPath {
    let horizon = params.horizon_weeks;
    let review_h = params.review_minutes / 60.0;
    let mut loads: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
    // Pending reviews: week -> count, plus which module each belongs to.
    let mut reviews_due: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    // Per scheduled module: its SM-2 state and the reviews scheduled so far.
    let mut sm2_state: Vec<(Sm2, u32)> = Vec::new();
    let mut scheduled: Vec<ScheduledModule> = Vec::new();
    let mut deferred = Vec::new();
    let mut queue = modules.into_iter();
    let mut current: Option<(Module, f64, u32)> = None; // module, hours left, start week
    let mut week = 1;
    let eps = 1e-9;
    'weeks: while week <= horizon {
        let mut left = weekly_hours;
        // Reviews first; those that do not fit move to next week.
        if let Some(due) = reviews_due.remove(&week) {
            for k in due {
                if left + eps >= review_h {
                    left -= review_h;
                    loads.entry(week).or_default().1 += review_h;
                    let (st, count) = &mut sm2_state[k];
                    if *count < params.max_reviews {
                        let next = st.review(params.review_quality).unwrap_or(1.0);
                        let w = week + ((next / 7.0).ceil() as u32).max(1);
                        *count += 1;
                        if w <= horizon {
                            reviews_due.entry(w).or_default().push(k);
                            scheduled[k].review_weeks.push(w);
                        }
                    }
                } else if week < horizon {
                    // No room this week: the review slips to the next one.
                    reviews_due.entry(week + 1).or_default().push(k);
                    if let Some(w) = scheduled[k].review_weeks.iter_mut().find(|w| **w == week) {
                        *w = week + 1;
                    }
                } else {
                    // No room in the last week: the review falls outside the plan.
                    if let Some(pos) = scheduled[k].review_weeks.iter().position(|w| *w == week) {
                        scheduled[k].review_weeks.remove(pos);
                    }
                }
            }
        }
        // Study.
        while left > eps {
            if current.is_none() {
                match queue.next() {
                    Some(m) => {
                        let h = m.hours;
                        current = Some((m, h, week));
                    }
                    None => break,
                }
            }
            let Some((m, rem, start)) = current.as_mut() else {
                break;
            };
            let take = rem.min(left);
            *rem -= take;
            left -= take;
            loads.entry(week).or_default().0 += take;
            if *rem <= eps {
                let (m, _, start) = (m.clone(), *rem, *start);
                current = None;
                // Completing the module is the first SM-2 repetition.
                let mut st = Sm2::default();
                let next = st.review(params.review_quality).unwrap_or(1.0);
                let k = scheduled.len();
                let mut review_weeks = Vec::new();
                let w = week + ((next / 7.0).ceil() as u32).max(1);
                sm2_state.push((st, 1));
                if w <= horizon {
                    reviews_due.entry(w).or_default().push(k);
                    review_weeks.push(w);
                }
                scheduled.push(ScheduledModule {
                    module: m,
                    start_week: start,
                    end_week: week,
                    review_weeks,
                });
            }
            if queue.len() == 0 && current.is_none() && reviews_due.is_empty() {
                break 'weeks;
            }
        }
        week += 1;
    }
    // Unfinished module: give back the hours it used; it and the rest are deferred.
    if let Some((m, rem, start)) = current {
        let mut used = m.hours - rem;
        let mut w = horizon.min(week);
        while used > eps && w >= start {
            if let Some(l) = loads.get_mut(&w) {
                let give = l.0.min(used);
                l.0 -= give;
                used -= give;
            }
            if w == 0 {
                break;
            }
            w -= 1;
        }
        deferred.push(m);
    }
    deferred.extend(queue);
    let weeks = loads
        .into_iter()
        .filter(|(_, (s, r))| *s > eps || *r > eps)
        .map(|(week, (study_hours, review_hours))| WeekLoad {
            week,
            study_hours,
            review_hours,
        })
        .collect();
    LearningPath {
        weekly_hours,
        modules: scheduled,
        deferred,
        weeks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm2_intervals() {
        let mut s = Sm2::default();
        assert_eq!(s.review(5).unwrap(), 1.0);
        assert_eq!(s.review(5).unwrap(), 6.0);
        // EF after two q=5 reviews: 2.5 + 0.1 + 0.1 = 2.7; 6 * 2.7 = 16.2 -> 16.
        assert_eq!(s.review(5).unwrap(), 16.0);
        assert_eq!(s.review(1).unwrap(), 1.0);
        assert_eq!(s.repetitions, 0);
        assert!(s.easiness >= 1.3);
        assert!(s.review(6).is_err());
    }

    fn target(skill: &str, current: f64, level: u8, priority: f64) -> Target {
        Target {
            skill: skill.to_owned(),
            current,
            target: level,
            priority,
        }
    }

    #[test]
    fn zero_budget_defers_everything_and_short_horizon_defers_the_rest() {
        let t = Taxonomy::default_devops().unwrap();
        let targets = [target("python", 3.0, 5, 1.0)];
        let p = PathParams::default();
        let path = learning_path(&t, &targets, &|_| 3.0, 0.0, &p).unwrap();
        assert!(path.modules.is_empty() && path.weeks.is_empty());
        assert_eq!(path.deferred.len(), 2);
        // 12 h per level, 10 h/week, 2 weeks: level 4 done in week 2, level 5 deferred and
        // its partial hours given back.
        let p2 = PathParams {
            horizon_weeks: 2,
            review_minutes: 0.0,
            ..p
        };
        let path = learning_path(&t, &targets, &|_| 3.0, 10.0, &p2).unwrap();
        assert_eq!(path.modules.len(), 1);
        assert_eq!(path.modules[0].end_week, 2);
        assert_eq!(path.deferred.len(), 1);
        let study: f64 = path.weeks.iter().map(|w| w.study_hours).sum();
        assert!((study - 12.0).abs() < 1e-9);
    }

    #[test]
    fn larger_gaps_come_first_and_partial_levels_cost_less() {
        let t = Taxonomy::default_devops().unwrap();
        let targets = [
            target("git", 1.0, 2, 1.0),
            target("statistics", 2.5, 3, 9.0),
        ];
        let path = learning_path(
            &t,
            &targets,
            &|s| if s == "statistics" { 2.5 } else { 1.0 },
            4.0,
            &PathParams::default(),
        )
        .unwrap();
        assert_eq!(path.modules[0].module.skill, "statistics");
        assert!((path.modules[0].module.hours - 6.0).abs() < 1e-9);
        assert_eq!(path.modules[1].module.skill, "git");
        // Reviews take their minutes out of the budget.
        let reviews: f64 = path.weeks.iter().map(|w| w.review_hours).sum();
        let n: usize = path.modules.iter().map(|m| m.review_weeks.len()).sum();
        assert!((reviews - n as f64 * 0.25).abs() < 1e-9, "{reviews} vs {n}");
        assert!(n > 0);
    }

    #[test]
    fn path_orders_prerequisites_and_fits_budget() {
        let t = Taxonomy::default_devops().unwrap();
        let targets = vec![Target {
            skill: "service-mesh".to_owned(),
            current: 1.0,
            target: 3,
            priority: 5.0,
        }];
        let path = learning_path(&t, &targets, &|_| 1.0, 5.0, &PathParams::default()).unwrap();
        let order: Vec<&str> = path
            .modules
            .iter()
            .map(|m| m.module.skill.as_str())
            .collect();
        let pos = |s: &str| order.iter().position(|x| *x == s).unwrap();
        // linux -> containers -> kubernetes -> service-mesh; networking too.
        assert!(pos("linux") < pos("containers"));
        assert!(pos("containers") < pos("kubernetes"));
        assert!(pos("kubernetes") < pos("service-mesh"));
        assert!(pos("networking") < pos("service-mesh"));
        for w in &path.weeks {
            assert!(w.study_hours + w.review_hours <= 5.0 + 1e-9, "{w:?}");
        }
        assert!(path.modules.iter().any(|m| !m.review_weeks.is_empty()));
    }
}
