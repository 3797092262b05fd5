//! Tabular temporal-difference control: Q-learning, SARSA and expected SARSA
//! with epsilon-greedy exploration and decay.

use rand::Rng;

use crate::env::{Agent, Transition};
use crate::error::{self, Error, Result};

/// Epsilon-greedy exploration with multiplicative decay per episode:
/// `epsilon <- max(end, epsilon * decay)` after every episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsilonSchedule {
    /// Exploration rate of the first episode, in [0, 1].
    pub start: f64,
    /// Floor of the exploration rate, in [0, 1] and not above `start`.
    pub end: f64,
    /// Multiplicative decay per episode, in [0, 1] (1 keeps epsilon fixed).
    pub decay: f64,
}

impl Default for EpsilonSchedule {
    fn default() -> Self {
        EpsilonSchedule {
            start: 0.1,
            end: 0.1,
            decay: 1.0,
        }
    }
}

impl EpsilonSchedule {
    /// A fixed exploration rate.
    pub fn constant(epsilon: f64) -> Self {
        EpsilonSchedule {
            start: epsilon,
            end: epsilon,
            decay: 1.0,
        }
    }

    /// Validates the schedule.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when a field is outside [0, 1] or
    /// `end > start`.
    pub fn check(&self) -> Result<()> {
        error::in_unit_closed("epsilon.start", self.start)?;
        error::in_unit_closed("epsilon.end", self.end)?;
        error::in_unit_closed("epsilon.decay", self.decay)?;
        if self.end > self.start {
            return Err(Error::InvalidParameter {
                name: "epsilon.end",
                value: self.end,
                expected: "a number not above epsilon.start",
            });
        }
        Ok(())
    }

    pub(crate) fn next(&self, current: f64) -> f64 {
        (current * self.decay).max(self.end)
    }
}

/// Which temporal-difference target the tabular agent uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TdMethod {
    /// Off-policy: `r + gamma * max_a Q(s', a)`.
    #[default]
    QLearning,
    /// On-policy: `r + gamma * Q(s', a')` with the action actually taken next.
    Sarsa,
    /// `r + gamma * sum_a pi(a | s') Q(s', a)` under the epsilon-greedy policy.
    ExpectedSarsa,
}

/// How the step size evolves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum LearningRate {
    /// `alpha` throughout.
    #[default]
    Constant,
    /// `max(alpha_min, alpha / n^omega)` where `n` counts updates of the
    /// state-action pair; `omega` in (0.5, 1] satisfies the Robbins-Monro
    /// conditions, so Q converges in stochastic environments.
    Visits {
        /// Decay exponent in (0.5, 1].
        omega: f64,
        /// Floor of the step size, in [0, alpha].
        alpha_min: f64,
    },
}

/// Hyperparameters of [`TabularAgent`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TabularParams {
    /// The TD target.
    pub method: TdMethod,
    /// Step size, in (0, 1].
    pub alpha: f64,
    /// How the step size decays.
    pub learning_rate: LearningRate,
    /// Discount factor, in [0, 1].
    pub gamma: f64,
    /// Exploration.
    pub epsilon: EpsilonSchedule,
    /// Initial value of every Q entry (optimistic values encourage exploration).
    pub initial_q: f64,
}

impl Default for TabularParams {
    fn default() -> Self {
        TabularParams {
            method: TdMethod::QLearning,
            alpha: 0.1,
            learning_rate: LearningRate::Constant,
            gamma: 0.99,
            epsilon: EpsilonSchedule::default(),
            initial_q: 0.0,
        }
    }
}

impl TabularParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a learning rate outside (0, 1], a
    /// discount or epsilon outside [0, 1], a non-finite initial value or an
    /// invalid decay.
    pub fn check(&self) -> Result<()> {
        error::in_unit_open_closed("alpha", self.alpha)?;
        error::in_unit_closed("gamma", self.gamma)?;
        self.epsilon.check()?;
        if !self.initial_q.is_finite() {
            return Err(Error::InvalidParameter {
                name: "initial_q",
                value: self.initial_q,
                expected: "a finite number",
            });
        }
        if let LearningRate::Visits { omega, alpha_min } = self.learning_rate {
            if !(omega > 0.5 && omega <= 1.0) {
                return Err(Error::InvalidParameter {
                    name: "learning_rate.omega",
                    value: omega,
                    expected: "a number in (0.5, 1]",
                });
            }
            if !(0.0..=self.alpha).contains(&alpha_min) {
                return Err(Error::InvalidParameter {
                    name: "learning_rate.alpha_min",
                    value: alpha_min,
                    expected: "a number in [0, alpha]",
                });
            }
        }
        Ok(())
    }
}

/// Index of the largest value, ties to the lowest index.
pub(crate) fn argmax(values: &[f64]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate().skip(1) {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Index of the largest value, ties broken uniformly at random.
pub(crate) fn argmax_random<R: Rng + ?Sized>(values: &[f64], rng: &mut R) -> usize {
    let best = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ties = values.iter().filter(|&&v| v == best).count();
    if ties <= 1 {
        return argmax(values);
    }
    let mut k = rng.random_range(0..ties);
    for (i, &v) in values.iter().enumerate() {
        if v == best {
            if k == 0 {
                return i;
            }
            k -= 1;
        }
    }
    argmax(values)
}

/// A tabular TD-control agent over `n_states` discrete states.
#[derive(Debug, Clone)]
pub struct TabularAgent {
    params: TabularParams,
    n_states: usize,
    n_actions: usize,
    q: Vec<f64>,
    visits: Vec<u32>,
    epsilon: f64,
}

impl TabularAgent {
    /// A new agent with every Q value at `params.initial_q`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters or empty spaces.
    pub fn new(n_states: usize, n_actions: usize, params: TabularParams) -> Result<Self> {
        params.check()?;
        if n_states == 0 || n_actions == 0 {
            return Err(Error::InvalidParameter {
                name: if n_states == 0 {
                    "n_states"
                } else {
                    "n_actions"
                },
                value: 0.0,
                expected: "at least 1",
            });
        }
        Ok(TabularAgent {
            params,
            n_states,
            n_actions,
            q: vec![params.initial_q; n_states * n_actions],
            visits: vec![0; n_states * n_actions],
            epsilon: params.epsilon.start,
        })
    }

    /// The parameters.
    pub fn params(&self) -> &TabularParams {
        &self.params
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Number of actions.
    pub fn n_actions(&self) -> usize {
        self.n_actions
    }

    /// The current exploration rate.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The Q table, row-major (`q[state * n_actions + action]`).
    pub fn q_table(&self) -> &[f64] {
        &self.q
    }

    /// The Q values of one state.
    ///
    /// # Errors
    /// [`Error::InvalidState`] for a state outside the table.
    pub fn q_values(&self, state: usize) -> Result<&[f64]> {
        self.check_state(state)?;
        Ok(&self.q[state * self.n_actions..(state + 1) * self.n_actions])
    }

    /// The greedy action of every state.
    pub fn greedy_policy(&self) -> Vec<usize> {
        self.q.chunks(self.n_actions).map(argmax).collect()
    }

    /// `max_a Q(s, a)` for every state.
    pub fn state_values(&self) -> Vec<f64> {
        self.q
            .chunks(self.n_actions)
            .map(|row| row.iter().copied().fold(f64::NEG_INFINITY, f64::max))
            .collect()
    }

    fn check_state(&self, state: usize) -> Result<()> {
        if state < self.n_states {
            Ok(())
        } else {
            Err(Error::InvalidState {
                state,
                n_states: self.n_states,
            })
        }
    }

    fn check_action(&self, action: usize) -> Result<()> {
        if action < self.n_actions {
            Ok(())
        } else {
            Err(Error::InvalidAction {
                action,
                n_actions: self.n_actions,
            })
        }
    }

    fn row(&self, state: usize) -> &[f64] {
        &self.q[state * self.n_actions..(state + 1) * self.n_actions]
    }

    /// Epsilon-greedy action in `state`.
    ///
    /// # Errors
    /// [`Error::InvalidState`] for a state outside the table.
    pub fn act_state<R: Rng + ?Sized>(&self, state: usize, rng: &mut R) -> Result<usize> {
        self.check_state(state)?;
        if self.epsilon > 0.0 && rng.random::<f64>() < self.epsilon {
            Ok(rng.random_range(0..self.n_actions))
        } else {
            Ok(argmax_random(self.row(state), rng))
        }
    }

    /// One TD update on states and actions given as indices.
    ///
    /// # Errors
    /// Invalid states, actions or a non-finite reward.
    pub fn update(
        &mut self,
        state: usize,
        action: usize,
        reward: f64,
        next_state: usize,
        next_action: Option<usize>,
        terminated: bool,
    ) -> Result<()> {
        self.check_state(state)?;
        self.check_state(next_state)?;
        self.check_action(action)?;
        if let Some(a) = next_action {
            self.check_action(a)?;
        }
        if !reward.is_finite() {
            return Err(Error::InvalidReward {
                arm: action,
                reward,
                expected: "a finite number",
            });
        }
        let next_value = if terminated {
            0.0
        } else {
            let row = self.row(next_state);
            match (self.params.method, next_action) {
                (TdMethod::Sarsa, Some(a)) => row[a],
                (TdMethod::ExpectedSarsa, _) => {
                    let best = argmax(row);
                    let n = self.n_actions as f64;
                    let explore = self.epsilon / n;
                    row.iter()
                        .enumerate()
                        .map(|(a, &q)| {
                            let p = if a == best {
                                1.0 - self.epsilon + explore
                            } else {
                                explore
                            };
                            p * q
                        })
                        .sum()
                }
                // Q-learning, and SARSA at a truncation (no next action): bootstrap from the max.
                _ => row.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            }
        };
        let i = state * self.n_actions + action;
        self.visits[i] = self.visits[i].saturating_add(1);
        let alpha = match self.params.learning_rate {
            LearningRate::Constant => self.params.alpha,
            LearningRate::Visits { omega, alpha_min } => {
                (self.params.alpha / f64::from(self.visits[i]).powf(omega)).max(alpha_min)
            }
        };
        let target = reward + self.params.gamma * next_value;
        self.q[i] += alpha * (target - self.q[i]);
        Ok(())
    }
}

impl Agent<usize> for TabularAgent {
    fn act<R: Rng + ?Sized>(&mut self, observation: &usize, rng: &mut R) -> Result<usize> {
        self.act_state(*observation, rng)
    }

    fn greedy(&self, observation: &usize) -> Result<usize> {
        self.check_state(*observation)?;
        Ok(argmax(self.row(*observation)))
    }

    fn learn(&mut self, t: &Transition<'_, usize>) -> Result<()> {
        self.update(
            *t.observation,
            t.action,
            t.reward,
            *t.next_observation,
            t.next_action,
            t.terminated,
        )
    }

    fn end_episode(&mut self) {
        self.epsilon = self.params.epsilon.next(self.epsilon);
    }
}

/// Maps a real feature vector to a state index by cutting each dimension
/// into equal-width bins between `low` and `high` (values outside fall in
/// the edge bins).
#[derive(Debug, Clone, PartialEq)]
pub struct Discretizer {
    low: Vec<f64>,
    high: Vec<f64>,
    bins: Vec<usize>,
}

impl Discretizer {
    /// A discretizer with `bins[i]` bins over `[low[i], high[i]]`.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for mismatched lengths, zero bins or
    /// `low >= high`.
    pub fn new(low: Vec<f64>, high: Vec<f64>, bins: Vec<usize>) -> Result<Self> {
        check_bounds(&low, &high, &bins)?;
        Ok(Discretizer { low, high, bins })
    }

    /// Number of states (the product of the bin counts).
    pub fn n_states(&self) -> usize {
        self.bins.iter().product()
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.bins.len()
    }

    /// The state index of `x`.
    ///
    /// # Errors
    /// [`Error::InvalidObservation`] for a wrong length or a NaN feature.
    pub fn index(&self, x: &[f64]) -> Result<usize> {
        check_features(x, self.bins.len())?;
        let mut idx = 0;
        for (d, &xd) in x.iter().enumerate() {
            let n = self.bins[d];
            let frac = (xd - self.low[d]) / (self.high[d] - self.low[d]);
            let b = ((frac * n as f64).floor().max(0.0) as usize).min(n - 1);
            idx = idx * n + b;
        }
        Ok(idx)
    }
}

pub(crate) fn check_bounds(low: &[f64], high: &[f64], counts: &[usize]) -> Result<()> {
    if low.is_empty() || low.len() != high.len() || low.len() != counts.len() {
        return Err(Error::InvalidParameter {
            name: "bounds",
            value: low.len() as f64,
            expected: "low, high and bin counts of the same non-zero length",
        });
    }
    for d in 0..low.len() {
        if counts[d] == 0 {
            return Err(Error::InvalidParameter {
                name: "bins",
                value: 0.0,
                expected: "at least 1 bin per dimension",
            });
        }
        if !(low[d].is_finite() && high[d].is_finite() && low[d] < high[d]) {
            return Err(Error::InvalidParameter {
                name: "low",
                value: low[d],
                expected: "finite bounds with low < high",
            });
        }
    }
    Ok(())
}

pub(crate) fn check_features(x: &[f64], expected: usize) -> Result<()> {
    if x.len() != expected {
        return Err(Error::InvalidObservation {
            index: x.len(),
            value: f64::NAN,
            expected,
        });
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::InvalidObservation {
            index,
            value,
            expected,
        });
    }
    Ok(())
}

/// A [`TabularAgent`] over continuous observations, through a [`Discretizer`].
#[derive(Debug, Clone)]
pub struct DiscretizedAgent {
    discretizer: Discretizer,
    agent: TabularAgent,
}

impl DiscretizedAgent {
    /// A tabular agent with one state per discretizer cell.
    ///
    /// # Errors
    /// As [`TabularAgent::new`].
    pub fn new(discretizer: Discretizer, n_actions: usize, params: TabularParams) -> Result<Self> {
        let agent = TabularAgent::new(discretizer.n_states(), n_actions, params)?;
        Ok(DiscretizedAgent { discretizer, agent })
    }

    /// The underlying tabular agent.
    pub fn tabular(&self) -> &TabularAgent {
        &self.agent
    }

    /// The discretizer.
    pub fn discretizer(&self) -> &Discretizer {
        &self.discretizer
    }
}

impl<O: AsRef<[f64]>> Agent<O> for DiscretizedAgent {
    fn act<R: Rng + ?Sized>(&mut self, observation: &O, rng: &mut R) -> Result<usize> {
        let s = self.discretizer.index(observation.as_ref())?;
        self.agent.act_state(s, rng)
    }

    fn greedy(&self, observation: &O) -> Result<usize> {
        let s = self.discretizer.index(observation.as_ref())?;
        self.agent.greedy(&s)
    }

    fn learn(&mut self, t: &Transition<'_, O>) -> Result<()> {
        let s = self.discretizer.index(t.observation.as_ref())?;
        let s2 = self.discretizer.index(t.next_observation.as_ref())?;
        self.agent
            .update(s, t.action, t.reward, s2, t.next_action, t.terminated)
    }

    fn end_episode(&mut self) {
        Agent::<usize>::end_episode(&mut self.agent);
    }
}
