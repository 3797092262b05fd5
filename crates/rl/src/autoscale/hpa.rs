//! The Kubernetes Horizontal Pod Autoscaler (autoscaling/v2), as documented:
//! <https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/>
//! and implemented in `pkg/controller/podautoscaler` (replica calculator and
//! `normalizeDesiredReplicasWithBehaviors`).

use std::collections::VecDeque;

use crate::error::{self, Error, Result};

/// How a scaling policy limits change per period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HpaPolicy {
    /// At most `pods` pods per `period_secs`.
    Pods {
        /// Pod count.
        pods: u32,
        /// Period in seconds.
        period_secs: f64,
    },
    /// At most `percent` % of the replicas at the start of the period per
    /// `period_secs`.
    Percent {
        /// Percentage.
        percent: f64,
        /// Period in seconds.
        period_secs: f64,
    },
}

impl HpaPolicy {
    fn period(&self) -> f64 {
        match *self {
            HpaPolicy::Pods { period_secs, .. } | HpaPolicy::Percent { period_secs, .. } => {
                period_secs
            }
        }
    }
}

/// Scaling rules for one direction (`behavior.scaleUp` / `behavior.scaleDown`).
#[derive(Debug, Clone, PartialEq)]
pub struct HpaRules {
    /// Stabilisation window in seconds.
    pub stabilization_window_secs: f64,
    /// Policies; with `selectPolicy: Max` the most permissive one applies.
    pub policies: Vec<HpaPolicy>,
}

/// HPA configuration; the default is Kubernetes' default behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct HpaConfig {
    /// Target average utilisation of the ready pods, in (0, 1].
    pub target_utilization: f64,
    /// No scaling while `|current / target - 1| <= tolerance` (default 0.1).
    pub tolerance: f64,
    /// Controller sync period in seconds (default 15).
    pub sync_period_secs: f64,
    /// Scale-up behaviour (default: no stabilisation; 100 % or 4 pods per
    /// 15 s, whichever is larger).
    pub scale_up: HpaRules,
    /// Scale-down behaviour (default: 300 s stabilisation; 100 % per 15 s).
    pub scale_down: HpaRules,
    /// `minReplicas`.
    pub min_replicas: u32,
    /// `maxReplicas`.
    pub max_replicas: u32,
}

impl Default for HpaConfig {
    fn default() -> Self {
        HpaConfig {
            target_utilization: 0.7,
            tolerance: 0.1,
            sync_period_secs: 15.0,
            scale_up: HpaRules {
                stabilization_window_secs: 0.0,
                policies: vec![
                    HpaPolicy::Percent {
                        percent: 100.0,
                        period_secs: 15.0,
                    },
                    HpaPolicy::Pods {
                        pods: 4,
                        period_secs: 15.0,
                    },
                ],
            },
            scale_down: HpaRules {
                stabilization_window_secs: 300.0,
                policies: vec![HpaPolicy::Percent {
                    percent: 100.0,
                    period_secs: 15.0,
                }],
            },
            min_replicas: 1,
            max_replicas: 200,
        }
    }
}

impl HpaConfig {
    /// Validates the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a target outside (0, 1], a negative
    /// tolerance or window, a non-positive period, or a policy without
    /// periods; [`Error::InvalidReplicaBounds`] unless `1 <= min <= max`.
    pub fn check(&self) -> Result<()> {
        error::in_unit_open_closed("target_utilization", self.target_utilization)?;
        error::non_negative("tolerance", self.tolerance)?;
        error::positive("sync_period_secs", self.sync_period_secs)?;
        for rules in [&self.scale_up, &self.scale_down] {
            error::non_negative("stabilization_window_secs", rules.stabilization_window_secs)?;
            if rules.policies.is_empty() {
                return Err(Error::InvalidParameter {
                    name: "policies",
                    value: 0.0,
                    expected: "at least one scaling policy per direction",
                });
            }
            for p in &rules.policies {
                error::positive("period_secs", p.period())?;
                if let HpaPolicy::Percent { percent, .. } = p {
                    error::non_negative("percent", *percent)?;
                }
            }
        }
        if self.min_replicas == 0 || self.min_replicas > self.max_replicas {
            return Err(Error::InvalidReplicaBounds {
                min: self.min_replicas,
                max: self.max_replicas,
            });
        }
        Ok(())
    }
}

/// The HPA controller state: past recommendations and scale events.
#[derive(Debug, Clone)]
pub struct Hpa {
    config: HpaConfig,
    /// `(time, recommended replicas)` within the longest stabilisation window.
    recommendations: VecDeque<(f64, u32)>,
    /// `(time, replicas added)`.
    scale_up_events: VecDeque<(f64, u32)>,
    /// `(time, replicas removed)`.
    scale_down_events: VecDeque<(f64, u32)>,
}

impl Hpa {
    /// A controller with no history.
    ///
    /// # Errors
    /// As [`HpaConfig::check`].
    pub fn new(config: HpaConfig) -> Result<Self> {
        config.check()?;
        Ok(Hpa {
            config,
            recommendations: VecDeque::new(),
            scale_up_events: VecDeque::new(),
            scale_down_events: VecDeque::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &HpaConfig {
        &self.config
    }

    /// The replica calculator for a resource-utilisation metric
    /// (`GetResourceReplicas`): `ready` pods report `utilization` (average,
    /// in [0, 1]), `starting` pods are not ready yet. Unready pods count as
    /// 0 % when scaling up and are ignored when scaling down.
    pub fn raw_recommendation(
        &self,
        current: u32,
        ready: u32,
        starting: u32,
        utilization: f64,
    ) -> u32 {
        if ready == 0 || !utilization.is_finite() {
            // No metrics: the controller keeps the current scale.
            return current;
        }
        let target = self.config.target_utilization;
        let tol = self.config.tolerance;
        let ratio = utilization / target;
        if !(ratio > 1.0 && starting > 0) {
            if (ratio - 1.0).abs() <= tol {
                return current;
            }
            return ceil_u32(ratio * f64::from(ready));
        }
        let total = ready + starting;
        let new_ratio = utilization * f64::from(ready) / f64::from(total) / target;
        if (new_ratio - 1.0).abs() <= tol || new_ratio < 1.0 {
            return current;
        }
        let proposed = ceil_u32(new_ratio * f64::from(total));
        if proposed < current {
            current
        } else {
            proposed
        }
    }

    /// One sync of the controller at time `now_secs`: computes the raw
    /// recommendation, stabilises it, applies the rate limits and the
    /// min/max bounds, records the event and returns the new replica count.
    pub fn sync(
        &mut self,
        now_secs: f64,
        current: u32,
        ready: u32,
        starting: u32,
        utilization: f64,
    ) -> u32 {
        let raw = self.raw_recommendation(current, ready, starting, utilization);
        let stabilized = self.stabilize(now_secs, current, raw);
        let desired = self.limit_rate(now_secs, current, stabilized);
        let desired = desired.clamp(self.config.min_replicas, self.config.max_replicas);
        if desired > current {
            self.scale_up_events
                .push_back((now_secs, desired - current));
        } else if desired < current {
            self.scale_down_events
                .push_back((now_secs, current - desired));
        }
        desired
    }

    fn stabilize(&mut self, now: f64, current: u32, raw: u32) -> u32 {
        let up_cut = now - self.config.scale_up.stabilization_window_secs;
        let down_cut = now - self.config.scale_down.stabilization_window_secs;
        let mut up = raw;
        let mut down = raw;
        for &(t, r) in &self.recommendations {
            if t > up_cut {
                up = up.min(r);
            }
            if t > down_cut {
                down = down.max(r);
            }
        }
        let keep = up_cut.min(down_cut);
        while self
            .recommendations
            .front()
            .is_some_and(|&(t, _)| t <= keep)
        {
            self.recommendations.pop_front();
        }
        self.recommendations.push_back((now, raw));
        let mut rec = current;
        if rec < up {
            rec = up;
        }
        if rec > down {
            rec = down;
        }
        rec
    }

    fn changes_in(events: &VecDeque<(f64, u32)>, now: f64, period: f64) -> u32 {
        events
            .iter()
            .filter(|&&(t, _)| t > now - period)
            .map(|&(_, n)| n)
            .sum()
    }

    fn limit_rate(&mut self, now: f64, current: u32, desired: u32) -> u32 {
        let longest = self
            .config
            .scale_up
            .policies
            .iter()
            .chain(&self.config.scale_down.policies)
            .map(HpaPolicy::period)
            .fold(0.0, f64::max);
        for events in [&mut self.scale_up_events, &mut self.scale_down_events] {
            while events.front().is_some_and(|&(t, _)| t <= now - longest) {
                events.pop_front();
            }
        }
        if desired > current {
            let mut limit = 0u32;
            for p in &self.config.scale_up.policies {
                let added = Self::changes_in(&self.scale_up_events, now, p.period());
                let removed = Self::changes_in(&self.scale_down_events, now, p.period());
                let start = i64::from(current) - i64::from(added) + i64::from(removed);
                let proposed = match *p {
                    HpaPolicy::Pods { pods, .. } => start + i64::from(pods),
                    HpaPolicy::Percent { percent, .. } => {
                        (start as f64 * (1.0 + percent / 100.0)).ceil() as i64
                    }
                };
                limit = limit.max(proposed.clamp(0, i64::from(u32::MAX)) as u32);
            }
            let limit = limit.max(current).min(self.config.max_replicas);
            desired.min(limit)
        } else if desired < current {
            let mut limit = u32::MAX;
            for p in &self.config.scale_down.policies {
                let added = Self::changes_in(&self.scale_up_events, now, p.period());
                let removed = Self::changes_in(&self.scale_down_events, now, p.period());
                let start = i64::from(current) - i64::from(added) + i64::from(removed);
                let proposed = match *p {
                    HpaPolicy::Pods { pods, .. } => start - i64::from(pods),
                    HpaPolicy::Percent { percent, .. } => {
                        (start as f64 * (1.0 - percent / 100.0)) as i64
                    }
                };
                limit = limit.min(proposed.clamp(0, i64::from(u32::MAX)) as u32);
            }
            let limit = limit.min(current).max(self.config.min_replicas);
            desired.max(limit)
        } else {
            desired
        }
    }
}

fn ceil_u32(x: f64) -> u32 {
    let c = x.ceil();
    if c >= f64::from(u32::MAX) {
        u32::MAX
    } else if c <= 0.0 {
        0
    } else {
        c as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hpa() -> Hpa {
        Hpa::new(HpaConfig {
            target_utilization: 0.5,
            max_replicas: 1000,
            ..HpaConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn formula_and_tolerance() {
        let h = hpa();
        // desired = ceil(current * current / target).
        assert_eq!(h.raw_recommendation(10, 10, 0, 1.0), 20);
        assert_eq!(h.raw_recommendation(10, 10, 0, 0.26), 6);
        // Inside the 10 % tolerance: no change.
        assert_eq!(h.raw_recommendation(10, 10, 0, 0.54), 10);
        assert_eq!(h.raw_recommendation(10, 10, 0, 0.46), 10);
        assert_eq!(h.raw_recommendation(10, 10, 0, 0.56), 12);
    }

    #[test]
    fn unready_pods_count_as_zero_when_scaling_up() {
        let h = hpa();
        // 4 ready at 100 %, 4 starting at 0 %: average 50 % = target, no change.
        assert_eq!(h.raw_recommendation(8, 4, 4, 1.0), 8);
        // 4 ready at 100 %, 2 starting: ratio 4/6/0.5 = 1.33 -> ceil(1.33 * 6) = 8.
        assert_eq!(h.raw_recommendation(6, 4, 2, 1.0), 8);
    }

    #[test]
    fn scale_up_limited_to_max_of_100_percent_or_4_pods() {
        let mut h = Hpa::new(HpaConfig {
            target_utilization: 0.1,
            max_replicas: 1000,
            ..HpaConfig::default()
        })
        .unwrap();
        // Utilisation 100 % against a 10 % target asks for 10x.
        // From 1 replica the 4-pod policy allows 5.
        assert_eq!(h.sync(0.0, 1, 1, 0, 1.0), 5);
        // Within the same 15 s period no further scale-up.
        assert_eq!(h.sync(10.0, 5, 1, 4, 1.0), 5);
        // A new period: 100 % of 5 = 10, larger than 5 + 4.
        assert_eq!(h.sync(15.0, 5, 5, 0, 1.0), 10);
        // From 10: 100 % allows 20.
        assert_eq!(h.sync(30.0, 10, 10, 0, 1.0), 20);
    }

    #[test]
    fn scale_down_waits_for_the_stabilisation_window() {
        let mut h = hpa();
        assert_eq!(h.sync(0.0, 10, 10, 0, 0.5), 10);
        // Load drops: the 300 s window still holds the recommendation of 10.
        let mut t = 15.0;
        let mut r = 10;
        while t < 300.0 {
            r = h.sync(t, r, r, 0, 0.1);
            assert_eq!(r, 10, "scaled down early at {t}");
            t += 15.0;
        }
        // Once the old recommendation leaves the window it scales down.
        r = h.sync(300.0, r, r, 0, 0.1);
        assert_eq!(r, 2);
    }

    #[test]
    fn bounds_and_bad_config() {
        let mut h = Hpa::new(HpaConfig {
            min_replicas: 3,
            max_replicas: 6,
            ..HpaConfig::default()
        })
        .unwrap();
        assert_eq!(h.sync(0.0, 4, 4, 0, 1.0), 6);
        let mut h2 = Hpa::new(HpaConfig {
            min_replicas: 3,
            max_replicas: 6,
            scale_down: HpaRules {
                stabilization_window_secs: 0.0,
                policies: vec![HpaPolicy::Percent {
                    percent: 100.0,
                    period_secs: 15.0,
                }],
            },
            ..HpaConfig::default()
        })
        .unwrap();
        assert_eq!(h2.sync(0.0, 6, 6, 0, 0.01), 3);
        assert!(
            Hpa::new(HpaConfig {
                min_replicas: 0,
                ..HpaConfig::default()
            })
            .is_err()
        );
        assert!(
            Hpa::new(HpaConfig {
                target_utilization: 1.5,
                ..HpaConfig::default()
            })
            .is_err()
        );
    }
}
