//! Mountain car (Moore 1990; Sutton and Barto, example 10.1), the standard
//! fixture for function approximation: continuous position and velocity,
//! three actions (push left, none, push right), reward -1 per step until the
//! car reaches position 0.5.

use rand::Rng;

use crate::env::{Environment, Space, Step};
use crate::error::{Error, Result};

const POSITION: (f64, f64) = (-1.2, 0.6);
const VELOCITY: (f64, f64) = (-0.07, 0.07);
const GOAL: f64 = 0.5;

/// The mountain-car environment with Gymnasium's dynamics.
#[derive(Debug, Clone, Default)]
pub struct MountainCar {
    state: [f64; 2],
    done: bool,
}

impl MountainCar {
    /// Bounds of the position.
    pub const POSITION: (f64, f64) = POSITION;
    /// Bounds of the velocity.
    pub const VELOCITY: (f64, f64) = VELOCITY;

    /// A new environment (call [`Environment::reset`] before stepping).
    pub fn new() -> Self {
        MountainCar {
            state: [-0.5, 0.0],
            done: true,
        }
    }
}

impl Environment for MountainCar {
    type Observation = [f64; 2];

    fn observation_space(&self) -> Space {
        Space::Box {
            low: vec![POSITION.0, VELOCITY.0],
            high: vec![POSITION.1, VELOCITY.1],
        }
    }

    fn action_space(&self) -> Space {
        Space::Discrete(3)
    }

    fn reset<R: Rng + ?Sized>(&mut self, rng: &mut R) -> [f64; 2] {
        self.state = [rng.random_range(-0.6..-0.4), 0.0];
        self.done = false;
        self.state
    }

    fn step<R: Rng + ?Sized>(&mut self, action: usize, _rng: &mut R) -> Result<Step<[f64; 2]>> {
        if self.done {
            return Err(Error::EpisodeOver);
        }
        if action > 2 {
            return Err(Error::InvalidAction {
                action,
                n_actions: 3,
            });
        }
        let [mut p, mut v] = self.state;
        v += (action as f64 - 1.0) * 0.001 - 0.0025 * (3.0 * p).cos();
        v = v.clamp(VELOCITY.0, VELOCITY.1);
        p = (p + v).clamp(POSITION.0, POSITION.1);
        if p <= POSITION.0 && v < 0.0 {
            v = 0.0;
        }
        self.state = [p, v];
        self.done = p >= GOAL;
        Ok(Step {
            observation: self.state,
            reward: -1.0,
            terminated: self.done,
            truncated: false,
        })
    }
}
