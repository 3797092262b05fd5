//! The crate's error type.

/// Errors raised by the agents, environments and the autoscaling simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A hyperparameter or configuration value is outside its valid range.
    #[error("invalid parameter `{name}` = {}: expected {expected}", aiops_core::Num(*.value))]
    InvalidParameter {
        /// Name of the parameter (for example `alpha` or `epsilon`).
        name: &'static str,
        /// The rejected value.
        value: f64,
        /// The valid range, in words (for example `(0, 1]`).
        expected: &'static str,
    },
    /// An action index is not in the action space.
    #[error("action {action} is outside the action space of {n_actions} actions")]
    InvalidAction {
        /// The rejected action.
        action: usize,
        /// Number of actions.
        n_actions: usize,
    },
    /// A state index is not in the state space.
    #[error("state {state} is outside the state space of {n_states} states")]
    InvalidState {
        /// The rejected state.
        state: usize,
        /// Number of states.
        n_states: usize,
    },
    /// A reward is NaN or infinite, or outside the range a bandit accepts.
    #[error("arm {arm}: reward {reward} is invalid: expected {expected}")]
    InvalidReward {
        /// The arm (or action) that produced it.
        arm: usize,
        /// The rejected reward.
        reward: f64,
        /// The valid range, in words.
        expected: &'static str,
    },
    /// `step` was called on an environment whose episode has ended.
    #[error("the episode has ended; call reset before step")]
    EpisodeOver,
    /// A trace is too short to simulate.
    #[error("trace `{series}` has {points} point(s); at least {needed} are needed")]
    TraceTooShort {
        /// Name of the series.
        series: String,
        /// Number of points it has.
        points: usize,
        /// Number of points needed.
        needed: usize,
    },
    /// A trace point is missing (NaN) or negative.
    #[error("trace `{series}`: point {index} at {timestamp} has invalid rate {}: {reason}", aiops_core::Num(*.value))]
    InvalidRate {
        /// Name of the series.
        series: String,
        /// 0-based index of the point.
        index: usize,
        /// Its timestamp (RFC 3339).
        timestamp: String,
        /// The offending value (NaN when missing).
        value: f64,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Consecutive trace points are further apart than 1.5 typical steps.
    #[error(
        "trace `{series}`: gap of {gap_seconds} s between {previous} and {next} (index {index}); \
         the typical step is {step_seconds} s"
    )]
    TraceGap {
        /// Name of the series.
        series: String,
        /// 0-based index of the point after the gap.
        index: usize,
        /// Timestamp before the gap.
        previous: String,
        /// Timestamp after the gap.
        next: String,
        /// Length of the gap in seconds.
        gap_seconds: f64,
        /// The typical step in seconds.
        step_seconds: f64,
    },
    /// The replica start-up delay is not shorter than the trace.
    #[error(
        "trace `{series}`: start-up delay of {startup_seconds} s is not shorter than the trace ({trace_seconds} s)"
    )]
    StartupLongerThanTrace {
        /// Name of the series.
        series: String,
        /// The configured start-up delay.
        startup_seconds: f64,
        /// The trace's duration.
        trace_seconds: f64,
    },
    /// The minimum and maximum replica counts are inconsistent.
    #[error("replica bounds min = {min}, max = {max}: expected 1 <= min <= max")]
    InvalidReplicaBounds {
        /// Minimum replicas.
        min: u32,
        /// Maximum replicas.
        max: u32,
    },
    /// An observation given to an agent has the wrong number of features or a
    /// non-finite one.
    #[error(
        "observation feature {index} = {} is invalid (expected {expected} finite features)",
        aiops_core::Num(*.value)
    )]
    InvalidObservation {
        /// Index of the offending feature.
        index: usize,
        /// Its value.
        value: f64,
        /// The number of features the agent was built for.
        expected: usize,
    },
    /// No training trace was given.
    #[error("no training trace given")]
    NoTrainingData,
    /// Reading a trace failed (the message names the file and line).
    #[error(transparent)]
    Core(#[from] aiops_core::Error),
}

impl aiops_core::AiopsError for Error {}

/// Result alias with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn invalid(name: &'static str, value: f64, expected: &'static str) -> Error {
    Error::InvalidParameter {
        name,
        value,
        expected,
    }
}

/// `value` in (0, 1] (learning rates).
pub(crate) fn in_unit_open_closed(name: &'static str, value: f64) -> Result<f64> {
    if value > 0.0 && value <= 1.0 {
        Ok(value)
    } else {
        Err(invalid(name, value, "a number in (0, 1]"))
    }
}

/// `value` in [0, 1] (probabilities, discount factors).
pub(crate) fn in_unit_closed(name: &'static str, value: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(name, value, "a number in [0, 1]"))
    }
}

/// `value` finite and > 0.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(name, value, "a finite number > 0"))
    }
}

/// `value` finite and >= 0.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(invalid(name, value, "a finite number >= 0"))
    }
}
