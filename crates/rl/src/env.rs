//! The environment and agent traits and the transition types they exchange.

use rand::Rng;

use crate::error::Result;

/// The shape of an observation or action space.
#[derive(Debug, Clone, PartialEq)]
pub enum Space {
    /// `n` discrete values `0..n`.
    Discrete(usize),
    /// A box of real vectors with per-dimension bounds (`low[i] <= x[i] <= high[i]`;
    /// unbounded dimensions use infinities).
    Box {
        /// Lower bounds, one per dimension.
        low: Vec<f64>,
        /// Upper bounds, one per dimension.
        high: Vec<f64>,
    },
}

impl Space {
    /// Number of discrete values, or the number of dimensions of a box.
    pub fn size(&self) -> usize {
        match self {
            Space::Discrete(n) => *n,
            Space::Box { low, .. } => low.len(),
        }
    }
}

/// What an environment returns from one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<O> {
    /// The observation after the step.
    pub observation: O,
    /// The reward for the step.
    pub reward: f64,
    /// The episode reached a terminal state (no bootstrapping from it).
    pub terminated: bool,
    /// The episode was cut short (a time limit or the end of a trace); the
    /// state is not terminal, so learning still bootstraps from it.
    pub truncated: bool,
}

impl<O> Step<O> {
    /// The episode ended, for either reason.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// An episodic environment with a discrete action set.
///
/// Randomness comes only from the generator passed in, so a seeded
/// generator makes an episode reproducible.
pub trait Environment {
    /// What the agent sees.
    type Observation: Clone;

    /// The observation space.
    fn observation_space(&self) -> Space;

    /// The action space (always [`Space::Discrete`] in this crate).
    fn action_space(&self) -> Space;

    /// Starts a new episode and returns the first observation.
    fn reset<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Self::Observation;

    /// Applies `action` and returns the outcome.
    ///
    /// # Errors
    /// [`Error::InvalidAction`](crate::Error::InvalidAction) for an action
    /// outside the action space, [`Error::EpisodeOver`](crate::Error::EpisodeOver)
    /// after the episode ended.
    fn step<R: Rng + ?Sized>(
        &mut self,
        action: usize,
        rng: &mut R,
    ) -> Result<Step<Self::Observation>>;
}

/// One transition handed to [`Agent::learn`].
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a, O> {
    /// The observation the action was taken in.
    pub observation: &'a O,
    /// The action taken.
    pub action: usize,
    /// The reward received.
    pub reward: f64,
    /// The observation after the action.
    pub next_observation: &'a O,
    /// The action the agent will take next (on-policy methods use it; `None`
    /// when the episode ended).
    pub next_action: Option<usize>,
    /// `next_observation` is terminal: its value is zero.
    pub terminated: bool,
}

/// A learning agent over observations of type `O` and discrete actions.
pub trait Agent<O> {
    /// Chooses an action while learning (with exploration).
    ///
    /// # Errors
    /// When the observation is outside what the agent was built for.
    fn act<R: Rng + ?Sized>(&mut self, observation: &O, rng: &mut R) -> Result<usize>;

    /// Chooses the greedy action (no exploration), ties to the lowest index.
    ///
    /// # Errors
    /// When the observation is outside what the agent was built for.
    fn greedy(&self, observation: &O) -> Result<usize>;

    /// Learns from one transition.
    ///
    /// # Errors
    /// On a non-finite reward or an observation or action outside the agent's
    /// spaces.
    fn learn(&mut self, transition: &Transition<'_, O>) -> Result<()>;

    /// Called at the end of each training episode (exploration decay).
    fn end_episode(&mut self) {}
}
