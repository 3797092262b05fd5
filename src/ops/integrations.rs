//! Adapters from the capability crates to the orchestrator's traits.
//!
//! Each adapter is compiled with its crate's feature. With the default
//! features the orchestrator's defaults are: the `aiops-anomaly` ensemble,
//! `aiops-forecast`'s failure probability, `aiops-remediation`'s severity
//! rules and guarded engine (dry run). With `rl` and `remediation` both on,
//! [`BanditSelector`] lets an `aiops-rl` bandit choose between runbooks.

#[cfg(feature = "remediation")]
use std::sync::Arc;

#[cfg(any(feature = "anomaly", feature = "forecast", feature = "remediation"))]
use crate::error::Error;
#[cfg(any(feature = "forecast", feature = "remediation"))]
use crate::error::Result;
#[cfg(feature = "remediation")]
use crate::ops::traits::{
    ActionRecord, ActionStatus, ProposedAction, RemediationEngine, SeverityAssessor,
    SeverityContext,
};
#[cfg(feature = "anomaly")]
use crate::ops::traits::{Detector, DetectorFactory};
#[cfg(feature = "forecast")]
use crate::ops::traits::{Direction, FailurePrediction, FailurePredictor, FailureQuery};

/// One `aiops-anomaly` [`Ensemble`](aiops_anomaly::Ensemble) per series.
#[cfg(feature = "anomaly")]
#[cfg_attr(docsrs, doc(cfg(feature = "anomaly")))]
#[derive(Debug, Clone)]
pub struct EnsembleDetectors {
    params: aiops_anomaly::EnsembleParams,
    threshold: f64,
}

#[cfg(feature = "anomaly")]
impl EnsembleDetectors {
    /// Ensembles with `params`, alerting at `threshold` (checked).
    pub fn new(params: aiops_anomaly::EnsembleParams, threshold: f64) -> crate::Result<Self> {
        let params = params.check().map_err(|e| Error::Config {
            field: "ensemble",
            message: e.to_string(),
        })?;
        if !(threshold > 0.0 && threshold <= 1.0) {
            return Err(Error::Config {
                field: "threshold",
                message: format!("{threshold} is not in (0, 1]"),
            });
        }
        Ok(EnsembleDetectors { params, threshold })
    }
}

#[cfg(feature = "anomaly")]
impl Default for EnsembleDetectors {
    /// Default parameters, alerting at 0.99. That is below the crate's
    /// single-point [`aiops_anomaly::Ensemble::RECOMMENDED_THRESHOLD`]
    /// because the orchestrator also asks for persistence
    /// ([`crate::OpsConfig::open_after_points`] within
    /// [`crate::OpsConfig::open_window_ms`]) before it opens an incident.
    ///
    /// Spatial novelty (a value beyond the range seen so far scores 1, which
    /// opens an incident at once) waits 600 points instead of the crate's
    /// 150: the range of the first hours of a live series is narrow, so new
    /// values there are routine (on NAB's machine-temperature series it
    /// opened an incident 26 hours in). NAB does not score its first 15% of
    /// rows, which is why the crate's NAB-tuned default starts earlier.
    fn default() -> Self {
        EnsembleDetectors {
            params: aiops_anomaly::EnsembleParams {
                spatial_warmup: 600,
                ..aiops_anomaly::EnsembleParams::default()
            },
            threshold: 0.99,
        }
    }
}

#[cfg(feature = "anomaly")]
#[derive(Debug)]
struct EnsembleDetector(aiops_anomaly::Ensemble);

#[cfg(feature = "anomaly")]
impl Detector for EnsembleDetector {
    fn update(&mut self, t: aiops_core::Timestamp, value: f64) -> Option<f64> {
        self.0.update(t, value).map(aiops_core::AnomalyScore::get)
    }
}

#[cfg(feature = "anomaly")]
impl DetectorFactory for EnsembleDetectors {
    fn create(&self, _key: &aiops_core::SeriesKey) -> Box<dyn Detector> {
        match aiops_anomaly::Ensemble::new(self.params) {
            Ok(e) => Box::new(EnsembleDetector(e)),
            // The parameters were checked in `new`/`default`; keep a working detector regardless.
            Err(_) => Box::new(EnsembleDetector(aiops_anomaly::Ensemble::default())),
        }
    }

    fn threshold(&self) -> f64 {
        self.threshold
    }

    fn name(&self) -> &str {
        "ensemble"
    }
}

/// Failure probability from `aiops-forecast` (a fitted process model,
/// simulated paths, first passage over the horizon).
#[cfg(feature = "forecast")]
#[cfg_attr(docsrs, doc(cfg(feature = "forecast")))]
#[derive(Debug, Clone, Default)]
pub struct ForecastPredictor {
    /// Simulated paths per prediction (`None`: the crate's default).
    pub paths: Option<usize>,
    /// Points of history used (`None`: the crate's default).
    pub max_history: Option<usize>,
}

#[cfg(feature = "forecast")]
impl FailurePredictor for ForecastPredictor {
    fn predict(
        &self,
        history: &aiops_core::TimeSeries,
        q: &FailureQuery,
    ) -> Result<FailurePrediction> {
        let direction = match q.direction {
            Direction::Above => aiops_forecast::Direction::Above,
            Direction::Below => aiops_forecast::Direction::Below,
        };
        let mut params =
            aiops_forecast::FailureParams::new(q.threshold, direction, q.horizon_steps);
        if let Some(p) = self.paths {
            params.paths = p;
        }
        if let Some(m) = self.max_history {
            params.max_history = m;
        }
        // Values the forecasting models cannot use (a glitch of 1e300, which
        // the detectors already scored) are missing points here, so one
        // glitch does not leave the incident without a failure probability.
        let too_large = |v: &f64| v.abs() > aiops_forecast::MAX_ABS_VALUE;
        let left_out = history.values().iter().filter(|v| too_large(v)).count();
        let cleaned;
        let history = if left_out == 0 {
            history
        } else {
            let values = history
                .values()
                .iter()
                .map(|v| if too_large(v) { f64::NAN } else { *v })
                .collect();
            cleaned = aiops_core::TimeSeries::new(
                history.key().clone(),
                history.timestamps().to_vec(),
                values,
            )?;
            &cleaned
        };
        let f = aiops_forecast::predict_failure(history, &params).map_err(|e| Error::Forecast {
            resource: history.key().to_string(),
            message: e.to_string(),
        })?;
        let mut model = f.prediction.model;
        if left_out > 0 {
            model.push_str(&format!(
                "; {left_out} value(s) beyond +-{} left out",
                aiops_core::Num(aiops_forecast::MAX_ABS_VALUE)
            ));
        }
        Ok(FailurePrediction {
            probability: f.prediction.probability,
            expected_steps: f.prediction.expected_steps,
            model,
        })
    }
}

/// Severity from `aiops-remediation`'s documented rules, with the number of
/// resources in incident as the affected count.
#[cfg(feature = "remediation")]
#[cfg_attr(docsrs, doc(cfg(feature = "remediation")))]
#[derive(Debug, Clone, Default)]
pub struct RemediationSeverity {
    /// The rules (default: the crate's documented defaults).
    pub rules: aiops_remediation::SeverityRules,
}

#[cfg(feature = "remediation")]
impl SeverityAssessor for RemediationSeverity {
    fn assess(&self, ctx: &SeverityContext<'_>) -> (aiops_core::Severity, Vec<String>) {
        let mut input = aiops_remediation::SeverityInput::from_incident(
            ctx.incident,
            self.rules.short_window_max_ms,
        );
        input.affected = input.affected.max(ctx.open_incidents as u32);
        let a = self.rules.assess_input(&input);
        (a.severity, a.reasons)
    }
}

/// The `aiops-remediation` engine: runbooks, guards, journal, learning.
#[cfg(feature = "remediation")]
#[cfg_attr(docsrs, doc(cfg(feature = "remediation")))]
#[derive(Debug, Clone)]
pub struct GuardedRemediation {
    engine: Arc<aiops_remediation::RemediationEngine>,
    data_clock: Option<Arc<aiops_remediation::ManualClock>>,
}

#[cfg(feature = "remediation")]
impl GuardedRemediation {
    /// Wraps an engine built with [`aiops_remediation::RemediationEngine::builder`].
    pub fn new(engine: aiops_remediation::RemediationEngine) -> Self {
        GuardedRemediation {
            engine: Arc::new(engine),
            data_clock: None,
        }
    }

    /// For replays of recorded data: the engine's guards (cool-downs, rate
    /// limits, circuit breaker) run on data time, the time of the incident's
    /// latest signal, rather than the wall clock, so a replay of two weeks
    /// that takes a second behaves as the two weeks would have.
    pub fn replay(builder: aiops_remediation::EngineBuilder) -> Result<Self> {
        let clock = Arc::new(aiops_remediation::ManualClock::new(0));
        let engine = builder
            .clock(clock.clone())
            .build()
            .map_err(|e| Error::Remediation {
                incident: "-".to_owned(),
                message: e.to_string(),
            })?;
        Ok(GuardedRemediation {
            engine: Arc::new(engine),
            data_clock: Some(clock),
        })
    }

    fn tick(&self, incident: &aiops_core::Incident) {
        if let Some(c) = &self.data_clock {
            c.set(incident.end.as_millis());
        }
    }

    /// The safe default: dry run, journal in memory, default runbooks and guards.
    pub fn dry_run() -> Result<Self> {
        let engine = aiops_remediation::RemediationEngine::dry_run_in_memory().map_err(|e| {
            Error::Remediation {
                incident: "-".to_owned(),
                message: e.to_string(),
            }
        })?;
        Ok(Self::new(engine))
    }

    /// The wrapped engine (kill switch, journal replay, statistics).
    pub fn engine(&self) -> &Arc<aiops_remediation::RemediationEngine> {
        &self.engine
    }

    fn status(&self, s: aiops_remediation::ActionStatus) -> ActionStatus {
        use aiops_remediation::ActionStatus as R;
        match s {
            // In dry-run mode a planned action is the dry run's result.
            R::Planned if self.engine.mode() == aiops_remediation::Mode::DryRun => {
                ActionStatus::DryRun
            }
            R::Planned => ActionStatus::Planned,
            R::Executed => ActionStatus::Executed,
            R::Blocked => ActionStatus::Blocked,
            R::Failed => ActionStatus::Failed,
            R::Skipped => ActionStatus::Skipped,
        }
    }

    /// Runs one action built with `aiops-remediation`'s types through the
    /// engine's guards and journal.
    pub async fn execute(&self, action: aiops_remediation::Action) -> Result<ActionRecord> {
        let r = self
            .engine
            .execute_action(action)
            .await
            .map_err(|e| Error::Remediation {
                incident: "-".to_owned(),
                message: e.to_string(),
            })?;
        Ok(ActionRecord {
            kind: r.kind.as_str().to_owned(),
            status: self.status(r.status),
            reason: r.reason,
        })
    }
}

#[cfg(feature = "remediation")]
#[async_trait::async_trait]
impl RemediationEngine for GuardedRemediation {
    async fn remediate(&self, incident: &aiops_core::Incident) -> Result<Vec<ActionRecord>> {
        self.tick(incident);
        let assessment = aiops_remediation::Assessment {
            severity: incident.severity,
            reasons: incident.severity_reasons.clone(),
        };
        let r = self
            .engine
            .handle_assessed(incident, assessment)
            .await
            .map_err(|e| Error::Remediation {
                incident: incident.id.to_string(),
                message: e.to_string(),
            })?;
        let runbook = r
            .decision
            .runbook
            .clone()
            .unwrap_or_else(|| "no runbook".to_owned());
        Ok(r.actions
            .into_iter()
            .map(|a| ActionRecord {
                kind: a.kind.as_str().to_owned(),
                status: self.status(a.status),
                reason: format!("{runbook} step {}: {}", a.step, a.reason),
            })
            .collect())
    }

    async fn execute_proposed(
        &self,
        incident: &aiops_core::Incident,
        action: &ProposedAction,
    ) -> Result<ActionRecord> {
        self.tick(incident);
        let Some(kind) = aiops_remediation::ActionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == action.kind)
        else {
            return Err(Error::Remediation {
                incident: incident.id.to_string(),
                message: format!("unknown action kind `{}`", action.kind),
            });
        };
        let mut a = aiops_remediation::Action::new(
            Some(incident.id),
            kind,
            action.target.clone(),
            "proposed",
            action.kind.clone(),
        )
        .with_severity(incident.severity);
        if kind == aiops_remediation::ActionKind::IsolateSource {
            a = a.with_param("address", action.target.clone());
        }
        for (k, v) in &action.params {
            a = a.with_param(k.clone(), v.clone());
        }
        let mut record = self.execute(a).await?;
        record.reason = format!("{}: {}", action.reason, record.reason);
        Ok(record)
    }
}

/// Chooses between matching runbooks with an `aiops-rl` bandit, one bandit
/// per incident class, rewarding a runbook with 1 when it succeeded.
#[cfg(all(feature = "rl", feature = "remediation"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "rl", feature = "remediation"))))]
#[derive(Debug)]
pub struct BanditSelector {
    kind: aiops_rl::BanditKind,
    seed: u64,
    state: std::sync::Mutex<std::collections::HashMap<String, ClassBandit>>,
}

#[cfg(all(feature = "rl", feature = "remediation"))]
#[derive(Debug)]
struct ClassBandit {
    arms: Vec<String>,
    bandit: Box<dyn aiops_rl::Bandit>,
}

#[cfg(all(feature = "rl", feature = "remediation"))]
impl BanditSelector {
    /// A selector using bandits of `kind`, seeded with `seed` (each class
    /// derives its own seed from it, so runs are reproducible).
    pub fn new(kind: aiops_rl::BanditKind, seed: u64) -> Self {
        BanditSelector {
            kind,
            seed,
            state: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn class_seed(&self, class: &str) -> u64 {
        // FNV-1a of the class name, mixed with the seed: stable across runs.
        class
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325 ^ self.seed, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            })
    }
}

#[cfg(all(feature = "rl", feature = "remediation"))]
impl aiops_remediation::RunbookSelector for BanditSelector {
    fn select(
        &self,
        class: &str,
        candidates: &[&str],
        _stats: &aiops_remediation::LearningStats,
    ) -> usize {
        let Ok(mut state) = self.state.lock() else {
            return 0;
        };
        let fresh = state.get(class).is_none_or(|c| {
            c.arms
                .iter()
                .map(String::as_str)
                .ne(candidates.iter().copied())
        });
        if fresh {
            match aiops_rl::new_bandit(self.kind, candidates.len(), self.class_seed(class)) {
                Ok(bandit) => {
                    let arms = candidates.iter().map(|c| (*c).to_owned()).collect();
                    state.insert(class.to_owned(), ClassBandit { arms, bandit });
                }
                Err(e) => {
                    tracing::warn!(%class, error = %e, "bandit unavailable; first match used");
                    return 0;
                }
            }
        }
        state.get_mut(class).map_or(0, |c| {
            c.bandit.select().min(candidates.len().saturating_sub(1))
        })
    }

    fn observe(&self, class: &str, runbook: &str, success: bool, _ttr_ms: Option<i64>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(c) = state.get_mut(class)
            && let Some(arm) = c.arms.iter().position(|a| a == runbook)
            && let Err(e) = c.bandit.update(arm, if success { 1.0 } else { 0.0 })
        {
            tracing::warn!(%class, %runbook, error = %e, "bandit update failed");
        }
    }
}

/// Threats found in a log file by `aiops-secops`, each as an incident (id
/// still unassigned) with the response actions proposed for it.
#[cfg(feature = "secops")]
#[cfg_attr(docsrs, doc(cfg(feature = "secops")))]
pub fn log_threat_incidents(
    path: &std::path::Path,
    format: &str,
) -> crate::Result<
    Vec<(
        aiops_core::Incident,
        Vec<crate::ops::traits::ProposedAction>,
    )>,
> {
    use aiops_core::{Incident, IncidentId, Signal, SignalKind, Timestamp};
    use aiops_secops::ResponseAction;

    let (mined, report) = aiops_secops::analyze_file(path, format, None)?;
    // An empty log, or one written in another format, would read as "no threats".
    let stats = mined.log.stats;
    if stats.lines == 0 || stats.unmatched == stats.lines {
        return Err(crate::Error::Source {
            source_name: path.display().to_string(),
            message: if stats.lines == 0 {
                "no log lines".to_owned()
            } else {
                format!(
                    "none of the {} lines matches the `{format}` header format",
                    stats.lines
                )
            },
        });
    }
    let responses =
        aiops_secops::respond_all(&report, &mined, &aiops_secops::ResponsePolicy::default());
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut out = Vec::with_capacity(responses.len());
    for r in responses {
        let t = &r.threat;
        let start = t.start.or(t.end).unwrap_or(Timestamp::EPOCH);
        let resource = match &t.source {
            Some(addr) => format!("{stem}:{addr}"),
            None => stem.clone(),
        };
        let signal = Signal {
            kind: SignalKind::LogThreat,
            source: format!("secops:{stem}"),
            at: start,
            value: 1.0,
            detail: format!(
                "{} ({} matching lines, first at line {})",
                t.summary,
                t.count,
                t.lines.first().copied().unwrap_or(0)
            ),
        };
        let mut inc = Incident::open(IncidentId(0), resource, signal);
        if let Some(end) = t.end {
            inc.end = inc.end.max(end);
        }
        inc.severity = r.severity;
        inc.severity_reasons = vec![format!("{:?} threat: {}", t.kind, t.summary)];
        let evidence = r
            .evidence
            .iter()
            .filter(|e| e.matched)
            .map(|e| {
                format!(
                    "line {} sha256 {}",
                    e.line,
                    &e.sha256[..e.sha256.len().min(16)]
                )
            })
            .take(3)
            .collect::<Vec<_>>()
            .join(", ");
        let actions = r
            .actions
            .iter()
            .map(|a| match a {
                ResponseAction::IsolateAddress {
                    address,
                    duration_secs,
                } => crate::ops::traits::ProposedAction {
                    kind: "isolate_source".to_owned(),
                    target: address.clone(),
                    params: vec![("duration_secs".to_owned(), duration_secs.to_string())],
                    reason: format!(
                        "isolate {address} for {duration_secs} s (evidence: {evidence})"
                    ),
                },
                ResponseAction::Notify { team, message } => crate::ops::traits::ProposedAction {
                    kind: "notify".to_owned(),
                    target: team.clone(),
                    params: vec![("message".to_owned(), message.clone())],
                    reason: format!("notify {team}"),
                },
                ResponseAction::OpenIncident { title, severity } => {
                    crate::ops::traits::ProposedAction {
                        kind: "open_ticket".to_owned(),
                        target: title.clone(),
                        params: vec![("severity".to_owned(), severity.to_string())],
                        reason: format!("open incident `{title}`"),
                    }
                }
            })
            .collect();
        out.push((inc, actions));
    }
    Ok(out)
}

/// Sizes a scaling group from a forecast of its load: `aiops-forecast`'s
/// automatic model forecasts `horizon` steps with a 95 % interval, and
/// `aiops-iac` turns the forecast, the load one node serves and the target
/// utilisation into min/desired/max nodes, step-scaling rules and a plan for
/// the group, with the reasoning recorded.
#[cfg(all(feature = "forecast", feature = "iac"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "forecast", feature = "iac"))))]
pub fn capacity_from_forecast(
    load: &aiops_core::TimeSeries,
    horizon: usize,
    per_node_capacity: f64,
    target_utilisation: f64,
) -> crate::Result<aiops_iac::CapacityPlan> {
    let name = load.key().to_string();
    let f = aiops_forecast::forecast_auto(load, horizon, 0.95).map_err(|e| Error::Forecast {
        resource: name.clone(),
        message: e.to_string(),
    })?;
    let forecast = aiops_iac::LoadForecast::new(
        &name,
        f.timestamps,
        f.forecast.mean,
        f.forecast.lower,
        f.forecast.upper,
    )?;
    let params = aiops_iac::CapacityParams::new(per_node_capacity, target_utilisation);
    Ok(aiops_iac::plan_capacity(
        &forecast,
        &params,
        &aiops_iac::ScalingGroup::default(),
        &aiops_iac::State::new(),
    )?)
}

/// Evaluates manifests with `aiops-policy`'s native policy set.
#[cfg(feature = "policy")]
#[cfg_attr(docsrs, doc(cfg(feature = "policy")))]
pub fn compliance_check<P: AsRef<std::path::Path>>(
    paths: &[P],
) -> crate::Result<crate::ops::report::ComplianceSummary> {
    let docs = aiops_policy::load_paths(paths)?;
    let report = aiops_policy::PolicySet::native().evaluate(&docs)?;
    Ok(crate::ops::report::ComplianceSummary {
        paths: paths
            .iter()
            .map(|p| p.as_ref().display().to_string())
            .collect(),
        documents: docs.len(),
        score: report.score,
        by_severity: crate::ops::report::SeverityCounts {
            info: report.counts.info,
            warning: report.counts.warning,
            critical: report.counts.critical,
        },
        findings: report
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{}: {} ({}): {}",
                    f.resource, f.violation.policy_id, f.violation.severity, f.violation.message
                )
            })
            .collect(),
    })
}

/// A team skills report from `aiops-skills` whose gaps are weighted by the
/// incidents of an orchestrator run. Without a team file, the crate's
/// example team is used.
#[cfg(feature = "skills")]
#[cfg_attr(docsrs, doc(cfg(feature = "skills")))]
pub fn team_skills_report(
    report: &crate::ops::report::Report,
    team: Option<&std::path::Path>,
) -> crate::Result<aiops_skills::TeamSkillsReport> {
    let taxonomy = aiops_skills::Taxonomy::default_devops()?;
    let team = match team {
        Some(p) => aiops_skills::Team::from_yaml_file(p, &taxonomy, aiops_core::Timestamp::now())?,
        None => aiops_skills::Team::example(&taxonomy)?,
    };
    Ok(aiops_skills::report_for_incidents(
        &taxonomy,
        &team,
        &report.core_incidents,
    )?)
}

/// A small placement problem taken from a forecast: the next `jobs` steps of
/// `load`'s forecast mean are jobs, to be spread over `servers` servers so
/// their loads are as even as possible.
///
/// The problem is handed to `aiops-quantum-sim`'s QAOA (one layer, seeded,
/// simulated exactly on a state vector) and to a classical solver (exact
/// search for small problems), and both answers come back in one
/// [`BalanceReport`](aiops_quantum_sim::BalanceReport). With two servers the
/// problem is number partitioning on `jobs` qubits; with more, a one-hot QUBO
/// on `jobs x servers` qubits, which QAOA with the plain X mixer often leaves
/// infeasible (the report says so and carries a repaired assignment).
///
/// # Errors
/// [`Error::Forecast`] when `load` cannot be forecast, [`Error::Quantum`]
/// for an invalid problem (fewer than 2 servers, no jobs, a negative load).
#[cfg(all(feature = "quantum-sim", feature = "forecast"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "quantum-sim", feature = "forecast"))))]
pub fn placement_from_forecast(
    load: &aiops_core::TimeSeries,
    jobs: usize,
    servers: usize,
) -> crate::Result<aiops_quantum_sim::BalanceReport> {
    let name = load.key().to_string();
    let f = aiops_forecast::forecast_auto(load, jobs, 0.95).map_err(|e| Error::Forecast {
        resource: name,
        message: e.to_string(),
    })?;
    // A forecast can dip below zero on a trend; a job's load cannot.
    let loads: Vec<f64> = f.forecast.mean.iter().map(|m| m.max(0.0)).collect();
    let options = aiops_quantum_sim::BalanceOptions {
        p: 1,
        qaoa: aiops_quantum_sim::QaoaOptions {
            restarts: 2,
            max_evals: 200,
            ..aiops_quantum_sim::QaoaOptions::default()
        },
        ..aiops_quantum_sim::BalanceOptions::default()
    };
    Ok(aiops_quantum_sim::balance_jobs(&loads, servers, &options)?)
}

/// One canary judgement on recorded metrics: for each series, the points in
/// `[at - window_ms, at)` are the baseline and the points in
/// `[at, at + window_ms)` the canary, as if a release had shipped at `at`.
/// Each series is a metric named after its key; `config` says which ones
/// are critical and which direction is bad (unlisted metrics are judged
/// with direction `either`, Kayenta's default). Missing points (NaN) are
/// removed and counted by the judge.
///
/// A before/after comparison on one series is weaker evidence than a real
/// canary, which runs beside its baseline over the same period: anything
/// else that changed at `at` is judged too.
///
/// # Errors
/// [`Error::Config`] for a window that is not positive or two series with
/// the same name; [`Error::Gitops`] for an invalid judge configuration.
#[cfg(feature = "gitops")]
#[cfg_attr(docsrs, doc(cfg(feature = "gitops")))]
pub fn judge_before_after(
    series: &[aiops_core::TimeSeries],
    at: aiops_core::Timestamp,
    window_ms: i64,
    config: aiops_gitops::JudgeConfig,
) -> crate::Result<aiops_gitops::Judgement> {
    if window_ms <= 0 {
        return Err(crate::Error::Config {
            field: "window_ms",
            message: format!("the judgement window must be positive, got {window_ms} ms"),
        });
    }
    let start = at.add_millis(-window_ms);
    let end = at.add_millis(window_ms);
    let mut baseline = aiops_gitops::MetricSamples::new();
    let mut canary = aiops_gitops::MetricSamples::new();
    for s in series {
        let name = s.key().to_string();
        if baseline.contains_key(&name) {
            return Err(crate::Error::Config {
                field: "series",
                message: format!("two series are named `{name}`"),
            });
        }
        let (mut b, mut c) = (Vec::new(), Vec::new());
        for (t, v) in s.timestamps().iter().zip(s.values()) {
            if *t >= start && *t < at {
                b.push(*v);
            } else if *t >= at && *t < end {
                c.push(*v);
            }
        }
        baseline.insert(name.clone(), b);
        canary.insert(name, c);
    }
    let judge = aiops_gitops::CanaryJudge::new(config)?;
    Ok(judge.judge(&baseline, &canary)?)
}
