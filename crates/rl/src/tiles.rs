//! Tile coding and semi-gradient SARSA with linear function approximation.

use rand::Rng;

use crate::env::{Agent, Transition};
use crate::error::{self, Error, Result};
use crate::tabular::{EpsilonSchedule, argmax, argmax_random, check_bounds, check_features};

/// Grid tile coding (Sutton and Barto, section 9.5.4): `n_tilings` grids of
/// `tiles[d]` tiles per dimension over `[low, high]`, each offset by the
/// asymmetric displacement `(1, 3, 5, ...)` times `tile width / n_tilings`.
/// Every input activates exactly one tile per tiling.
#[derive(Debug, Clone, PartialEq)]
pub struct TileCoder {
    low: Vec<f64>,
    width: Vec<f64>,
    tiles: Vec<usize>,
    n_tilings: usize,
    per_tiling: usize,
}

impl TileCoder {
    /// A tile coder with `tiles[d]` tiles over `[low[d], high[d]]` per tiling.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for mismatched lengths, zero tiles or
    /// tilings, or `low >= high`.
    pub fn new(low: Vec<f64>, high: Vec<f64>, tiles: Vec<usize>, n_tilings: usize) -> Result<Self> {
        check_bounds(&low, &high, &tiles)?;
        if n_tilings == 0 {
            return Err(Error::InvalidParameter {
                name: "n_tilings",
                value: 0.0,
                expected: "at least 1",
            });
        }
        let width = (0..low.len())
            .map(|d| (high[d] - low[d]) / tiles[d] as f64)
            .collect();
        // One extra tile per dimension absorbs the offset.
        let per_tiling = tiles.iter().map(|t| t + 1).product();
        Ok(TileCoder {
            low,
            width,
            tiles,
            n_tilings,
            per_tiling,
        })
    }

    /// Number of tilings (active features per input).
    pub fn n_tilings(&self) -> usize {
        self.n_tilings
    }

    /// Number of input dimensions.
    pub fn dims(&self) -> usize {
        self.tiles.len()
    }

    /// Total number of binary features.
    pub fn n_features(&self) -> usize {
        self.n_tilings * self.per_tiling
    }

    /// Writes the index of the active tile of each tiling into `out`
    /// (`out.len() == n_tilings`). Inputs outside the bounds are clamped.
    ///
    /// # Errors
    /// [`Error::InvalidObservation`] for a wrong length or a non-finite input.
    pub fn active_tiles_into(&self, x: &[f64], out: &mut [usize]) -> Result<()> {
        check_features(x, self.tiles.len())?;
        let n = self.n_tilings as f64;
        for (t, slot) in out.iter_mut().enumerate().take(self.n_tilings) {
            let mut idx = 0;
            for (d, &xd) in x.iter().enumerate() {
                let offset = (2 * d + 1) as f64 * t as f64 / n * self.width[d];
                let pos = ((xd - self.low[d]) + offset) / self.width[d];
                let k = (pos.floor().max(0.0) as usize).min(self.tiles[d]);
                idx = idx * (self.tiles[d] + 1) + k;
            }
            *slot = t * self.per_tiling + idx;
        }
        Ok(())
    }

    /// The active tiles of `x`, allocating.
    ///
    /// # Errors
    /// As [`TileCoder::active_tiles_into`].
    pub fn active_tiles(&self, x: &[f64]) -> Result<Vec<usize>> {
        let mut out = vec![0; self.n_tilings];
        self.active_tiles_into(x, &mut out)?;
        Ok(out)
    }
}

/// Hyperparameters of [`SemiGradientSarsa`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearParams {
    /// Step size in (0, 1]; each weight moves by `alpha / n_tilings` of the TD error.
    pub alpha: f64,
    /// Discount factor, in [0, 1].
    pub gamma: f64,
    /// Exploration.
    pub epsilon: EpsilonSchedule,
    /// Initial value of every Q estimate (spread over the tilings).
    pub initial_q: f64,
}

impl Default for LinearParams {
    fn default() -> Self {
        LinearParams {
            alpha: 0.5,
            gamma: 1.0,
            epsilon: EpsilonSchedule::constant(0.0),
            initial_q: 0.0,
        }
    }
}

impl LinearParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a learning rate outside (0, 1], a
    /// discount or epsilon outside [0, 1] or a non-finite initial value.
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
        Ok(())
    }
}

/// Episodic semi-gradient SARSA (Sutton and Barto, section 10.1) with a
/// linear action-value function over tile-coded features:
/// `q(s, a) = sum of w[a][i]` over the active tiles `i` of `s`.
#[derive(Debug, Clone)]
pub struct SemiGradientSarsa {
    coder: TileCoder,
    params: LinearParams,
    n_actions: usize,
    weights: Vec<f64>,
    epsilon: f64,
    scratch: Vec<usize>,
    scratch_next: Vec<usize>,
}

impl SemiGradientSarsa {
    /// A new agent over `coder`'s features and `n_actions` actions.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for invalid parameters or no actions.
    pub fn new(coder: TileCoder, n_actions: usize, params: LinearParams) -> Result<Self> {
        params.check()?;
        if n_actions == 0 {
            return Err(Error::InvalidParameter {
                name: "n_actions",
                value: 0.0,
                expected: "at least 1",
            });
        }
        let w0 = params.initial_q / coder.n_tilings() as f64;
        let n = coder.n_tilings();
        Ok(SemiGradientSarsa {
            weights: vec![w0; coder.n_features() * n_actions],
            coder,
            params,
            n_actions,
            epsilon: params.epsilon.start,
            scratch: vec![0; n],
            scratch_next: vec![0; n],
        })
    }

    /// The current exploration rate.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// The weights, action-major (`w[action * n_features + feature]`).
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    fn q_from_tiles(&self, tiles: &[usize], action: usize) -> f64 {
        let base = action * self.coder.n_features();
        tiles.iter().map(|&i| self.weights[base + i]).sum()
    }

    fn q_all(&self, tiles: &[usize]) -> Vec<f64> {
        (0..self.n_actions)
            .map(|a| self.q_from_tiles(tiles, a))
            .collect()
    }

    /// The action values of observation `x`.
    ///
    /// # Errors
    /// [`Error::InvalidObservation`] for a wrong length or a non-finite input.
    pub fn q_values(&self, x: &[f64]) -> Result<Vec<f64>> {
        let tiles = self.coder.active_tiles(x)?;
        Ok(self.q_all(&tiles))
    }
}

impl<O: AsRef<[f64]>> Agent<O> for SemiGradientSarsa {
    fn act<R: Rng + ?Sized>(&mut self, observation: &O, rng: &mut R) -> Result<usize> {
        let mut tiles = std::mem::take(&mut self.scratch);
        let r = self
            .coder
            .active_tiles_into(observation.as_ref(), &mut tiles);
        let out = r.map(|()| {
            if self.epsilon > 0.0 && rng.random::<f64>() < self.epsilon {
                rng.random_range(0..self.n_actions)
            } else {
                argmax_random(&self.q_all(&tiles), rng)
            }
        });
        self.scratch = tiles;
        out
    }

    fn greedy(&self, observation: &O) -> Result<usize> {
        Ok(argmax(&self.q_values(observation.as_ref())?))
    }

    fn learn(&mut self, t: &Transition<'_, O>) -> Result<()> {
        if t.action >= self.n_actions {
            return Err(Error::InvalidAction {
                action: t.action,
                n_actions: self.n_actions,
            });
        }
        if !t.reward.is_finite() {
            return Err(Error::InvalidReward {
                arm: t.action,
                reward: t.reward,
                expected: "a finite number",
            });
        }
        let mut tiles = std::mem::take(&mut self.scratch);
        let mut next = std::mem::take(&mut self.scratch_next);
        let result = (|| {
            self.coder
                .active_tiles_into(t.observation.as_ref(), &mut tiles)?;
            let next_value = if t.terminated {
                0.0
            } else {
                self.coder
                    .active_tiles_into(t.next_observation.as_ref(), &mut next)?;
                match t.next_action {
                    Some(a) if a < self.n_actions => self.q_from_tiles(&next, a),
                    Some(a) => {
                        return Err(Error::InvalidAction {
                            action: a,
                            n_actions: self.n_actions,
                        });
                    }
                    None => self
                        .q_all(&next)
                        .into_iter()
                        .fold(f64::NEG_INFINITY, f64::max),
                }
            };
            let delta =
                t.reward + self.params.gamma * next_value - self.q_from_tiles(&tiles, t.action);
            let step = self.params.alpha / self.coder.n_tilings() as f64 * delta;
            let base = t.action * self.coder.n_features();
            for &i in tiles.iter() {
                self.weights[base + i] += step;
            }
            Ok(())
        })();
        self.scratch = tiles;
        self.scratch_next = next;
        result
    }

    fn end_episode(&mut self) {
        self.epsilon = self.params.epsilon.next(self.epsilon);
    }
}
