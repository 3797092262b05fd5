//! The training loop, greedy evaluation and episode statistics.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::env::{Agent, Environment, Transition};
use crate::error::{Error, Result};

/// How long to train or evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainConfig {
    /// Number of episodes.
    pub episodes: usize,
    /// Step limit per episode; an episode reaching it is truncated.
    pub max_steps: usize,
    /// Seed of the generator shared by the environment and the agent.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            episodes: 500,
            max_steps: 10_000,
            seed: 0,
        }
    }
}

impl TrainConfig {
    fn check(&self) -> Result<()> {
        if self.episodes == 0 {
            return Err(Error::InvalidParameter {
                name: "episodes",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if self.max_steps == 0 {
            return Err(Error::InvalidParameter {
                name: "max_steps",
                value: 0.0,
                expected: "at least 1",
            });
        }
        Ok(())
    }
}

/// What happened in one episode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeStats {
    /// Steps taken.
    pub steps: usize,
    /// Sum of rewards (undiscounted).
    pub total_return: f64,
    /// The episode ended in a terminal state (rather than a step limit).
    pub terminated: bool,
    /// The last reward of the episode (FrozenLake: 1 on success).
    pub final_reward: f64,
}

/// Statistics over a run of episodes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingStats {
    /// One entry per episode, in order.
    pub episodes: Vec<EpisodeStats>,
}

impl TrainingStats {
    /// Mean undiscounted return over all episodes (NaN when empty).
    pub fn mean_return(&self) -> f64 {
        mean(self.episodes.iter().map(|e| e.total_return))
    }

    /// Mean return over the last `n` episodes.
    pub fn mean_return_last(&self, n: usize) -> f64 {
        let k = self.episodes.len().saturating_sub(n);
        mean(self.episodes[k..].iter().map(|e| e.total_return))
    }

    /// Mean episode length.
    pub fn mean_steps(&self) -> f64 {
        mean(self.episodes.iter().map(|e| e.steps as f64))
    }

    /// Total steps over all episodes.
    pub fn total_steps(&self) -> usize {
        self.episodes.iter().map(|e| e.steps).sum()
    }

    /// Fraction of episodes whose return is positive (goal-reaching tasks
    /// with a reward of 1 at the goal and 0 elsewhere).
    pub fn success_rate(&self) -> f64 {
        mean(
            self.episodes
                .iter()
                .map(|e| if e.total_return > 0.0 { 1.0 } else { 0.0 }),
        )
    }
}

fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Trains `agent` on `env` for `config.episodes` episodes.
///
/// One loop serves on- and off-policy methods: the next action is chosen
/// before learning and passed in the [`Transition`], so SARSA learns from the
/// action it will actually take and Q-learning ignores it.
///
/// # Errors
/// An invalid configuration, or any error from the environment or agent.
pub fn train<E, A>(env: &mut E, agent: &mut A, config: &TrainConfig) -> Result<TrainingStats>
where
    E: Environment,
    A: Agent<E::Observation>,
{
    config.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut stats = TrainingStats {
        episodes: Vec::with_capacity(config.episodes),
    };
    for episode in 0..config.episodes {
        let mut obs = env.reset(&mut rng);
        let mut action = agent.act(&obs, &mut rng)?;
        let mut ep = EpisodeStats {
            steps: 0,
            total_return: 0.0,
            terminated: false,
            final_reward: 0.0,
        };
        loop {
            let step = env.step(action, &mut rng)?;
            ep.steps += 1;
            ep.total_return += step.reward;
            ep.final_reward = step.reward;
            let truncated = step.truncated || ep.steps >= config.max_steps;
            let next_action = if step.terminated || truncated {
                None
            } else {
                Some(agent.act(&step.observation, &mut rng)?)
            };
            agent.learn(&Transition {
                observation: &obs,
                action,
                reward: step.reward,
                next_observation: &step.observation,
                next_action,
                terminated: step.terminated,
            })?;
            if step.terminated {
                ep.terminated = true;
                break;
            }
            match next_action {
                Some(a) => {
                    action = a;
                    obs = step.observation;
                }
                None => break,
            }
        }
        agent.end_episode();
        tracing::trace!(
            episode,
            steps = ep.steps,
            ret = ep.total_return,
            "episode done"
        );
        stats.episodes.push(ep);
    }
    Ok(stats)
}

/// Runs the agent's greedy policy for `config.episodes` episodes without
/// learning.
///
/// # Errors
/// An invalid configuration, or any error from the environment or agent.
pub fn evaluate<E, A>(env: &mut E, agent: &A, config: &TrainConfig) -> Result<TrainingStats>
where
    E: Environment,
    A: Agent<E::Observation>,
{
    config.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut stats = TrainingStats {
        episodes: Vec::with_capacity(config.episodes),
    };
    for _ in 0..config.episodes {
        let mut obs = env.reset(&mut rng);
        let mut ep = EpisodeStats {
            steps: 0,
            total_return: 0.0,
            terminated: false,
            final_reward: 0.0,
        };
        loop {
            let action = agent.greedy(&obs)?;
            let step = env.step(action, &mut rng)?;
            ep.steps += 1;
            ep.total_return += step.reward;
            ep.final_reward = step.reward;
            if step.terminated {
                ep.terminated = true;
                break;
            }
            if step.truncated || ep.steps >= config.max_steps {
                break;
            }
            obs = step.observation;
        }
        stats.episodes.push(ep);
    }
    Ok(stats)
}
