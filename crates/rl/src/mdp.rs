//! Finite MDPs with explicit transition tables, value iteration, and the
//! FrozenLake and CliffWalking fixtures (as defined by Gymnasium).

use rand::Rng;

use crate::env::{Environment, Space, Step};
use crate::error::{self, Error, Result};

/// One possible outcome of taking an action in a state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// Probability of this outcome.
    pub probability: f64,
    /// The next state.
    pub next_state: usize,
    /// The reward.
    pub reward: f64,
    /// The next state is terminal.
    pub terminal: bool,
}

/// A finite MDP given by its full transition table; it is also an
/// [`Environment`] that samples outcomes from the table.
#[derive(Debug, Clone)]
pub struct FiniteMdp {
    n_states: usize,
    n_actions: usize,
    start: usize,
    table: Vec<Vec<Outcome>>,
    state: usize,
    done: bool,
}

impl FiniteMdp {
    /// An MDP from `table[state * n_actions + action]`, the list of outcomes.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when the table has the wrong size, a
    /// probability is outside [0, 1], a row does not sum to 1, a reward is
    /// not finite, or a state index is out of range.
    pub fn new(
        n_states: usize,
        n_actions: usize,
        start: usize,
        table: Vec<Vec<Outcome>>,
    ) -> Result<Self> {
        if n_states == 0 || n_actions == 0 || table.len() != n_states * n_actions {
            return Err(Error::InvalidParameter {
                name: "table",
                value: table.len() as f64,
                expected: "n_states * n_actions rows with n_states, n_actions >= 1",
            });
        }
        if start >= n_states {
            return Err(Error::InvalidState {
                state: start,
                n_states,
            });
        }
        for row in &table {
            let mut total = 0.0;
            for o in row {
                error::in_unit_closed("probability", o.probability)?;
                if o.next_state >= n_states {
                    return Err(Error::InvalidState {
                        state: o.next_state,
                        n_states,
                    });
                }
                if !o.reward.is_finite() {
                    return Err(Error::InvalidParameter {
                        name: "reward",
                        value: o.reward,
                        expected: "a finite number",
                    });
                }
                total += o.probability;
            }
            if (total - 1.0).abs() > 1e-9 {
                return Err(Error::InvalidParameter {
                    name: "probability",
                    value: total,
                    expected: "outcome probabilities of each state-action summing to 1",
                });
            }
        }
        Ok(FiniteMdp {
            n_states,
            n_actions,
            start,
            table,
            state: start,
            done: false,
        })
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Number of actions.
    pub fn n_actions(&self) -> usize {
        self.n_actions
    }

    /// The start state.
    pub fn start(&self) -> usize {
        self.start
    }

    /// Outcomes of `action` in `state` (empty if out of range).
    pub fn outcomes(&self, state: usize, action: usize) -> &[Outcome] {
        if state < self.n_states && action < self.n_actions {
            &self.table[state * self.n_actions + action]
        } else {
            &[]
        }
    }
}

impl Environment for FiniteMdp {
    type Observation = usize;

    fn observation_space(&self) -> Space {
        Space::Discrete(self.n_states)
    }

    fn action_space(&self) -> Space {
        Space::Discrete(self.n_actions)
    }

    fn reset<R: Rng + ?Sized>(&mut self, _rng: &mut R) -> usize {
        self.state = self.start;
        self.done = false;
        self.state
    }

    fn step<R: Rng + ?Sized>(&mut self, action: usize, rng: &mut R) -> Result<Step<usize>> {
        if self.done {
            return Err(Error::EpisodeOver);
        }
        if action >= self.n_actions {
            return Err(Error::InvalidAction {
                action,
                n_actions: self.n_actions,
            });
        }
        let outcomes = &self.table[self.state * self.n_actions + action];
        let u = rng.random::<f64>();
        let mut acc = 0.0;
        let mut chosen = outcomes.last().copied();
        for o in outcomes {
            acc += o.probability;
            if u < acc {
                chosen = Some(*o);
                break;
            }
        }
        let o = chosen.ok_or(Error::InvalidParameter {
            name: "table",
            value: 0.0,
            expected: "at least one outcome per state-action",
        })?;
        self.state = o.next_state;
        self.done = o.terminal;
        Ok(Step {
            observation: o.next_state,
            reward: o.reward,
            terminated: o.terminal,
            truncated: false,
        })
    }
}

/// The result of [`value_iteration`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValueIteration {
    /// Optimal state values.
    pub values: Vec<f64>,
    /// A greedy optimal action per state (ties to the lowest index).
    pub policy: Vec<usize>,
    /// Sweeps performed.
    pub sweeps: usize,
}

/// Value iteration: Bellman optimality backups until the largest change in a
/// sweep is below `tolerance` (or `max_sweeps`). With `gamma = 1` it computes
/// optimal expected total reward, for example FrozenLake's best success
/// probability.
///
/// # Errors
/// [`Error::InvalidParameter`] for `gamma` outside [0, 1] or a non-positive
/// tolerance.
pub fn value_iteration(
    mdp: &FiniteMdp,
    gamma: f64,
    tolerance: f64,
    max_sweeps: usize,
) -> Result<ValueIteration> {
    error::in_unit_closed("gamma", gamma)?;
    error::positive("tolerance", tolerance)?;
    let mut values = vec![0.0; mdp.n_states];
    let q = |values: &[f64], s: usize, a: usize| -> f64 {
        mdp.outcomes(s, a)
            .iter()
            .map(|o| {
                let v = if o.terminal {
                    0.0
                } else {
                    values[o.next_state]
                };
                o.probability * (o.reward + gamma * v)
            })
            .sum()
    };
    let mut sweeps = 0;
    while sweeps < max_sweeps {
        sweeps += 1;
        let mut delta: f64 = 0.0;
        for s in 0..mdp.n_states {
            let best = (0..mdp.n_actions)
                .map(|a| q(&values, s, a))
                .fold(f64::NEG_INFINITY, f64::max);
            delta = delta.max((best - values[s]).abs());
            values[s] = best;
        }
        if delta < tolerance {
            break;
        }
    }
    let policy = (0..mdp.n_states)
        .map(|s| {
            let qs: Vec<f64> = (0..mdp.n_actions).map(|a| q(&values, s, a)).collect();
            crate::tabular::argmax(&qs)
        })
        .collect();
    Ok(ValueIteration {
        values,
        policy,
        sweeps,
    })
}

/// Action indices of the grid worlds, as in Gymnasium.
const LEFT: usize = 0;
const DOWN: usize = 1;
const RIGHT: usize = 2;
const UP: usize = 3;

fn move_on_grid(rows: usize, cols: usize, s: usize, a: usize) -> usize {
    let (r, c) = (s / cols, s % cols);
    let (r, c) = match a {
        LEFT => (r, c.saturating_sub(1)),
        DOWN => ((r + 1).min(rows - 1), c),
        RIGHT => (r, (c + 1).min(cols - 1)),
        UP => (r.saturating_sub(1), c),
        _ => (r, c),
    };
    r * cols + c
}

/// The Gymnasium FrozenLake 4x4 map.
pub const FROZEN_LAKE_4X4: [&str; 4] = ["SFFF", "FHFH", "FFFH", "HFFG"];

/// FrozenLake on a map of `S` (start), `F` (frozen), `H` (hole), `G` (goal).
/// Actions are left, down, right, up; when `slippery`, the agent moves in
/// the intended direction or either perpendicular one with probability 1/3
/// each. Reaching `G` gives reward 1 and ends the episode; a hole ends it
/// with reward 0.
///
/// # Errors
/// [`Error::InvalidParameter`] for an empty or ragged map, an unknown
/// character, or not exactly one start.
pub fn frozen_lake(map: &[&str], slippery: Slippery) -> Result<FiniteMdp> {
    let rows = map.len();
    let cols = map.first().map_or(0, |r| r.len());
    if rows == 0 || cols == 0 || map.iter().any(|r| r.len() != cols) {
        return Err(Error::InvalidParameter {
            name: "map",
            value: rows as f64,
            expected: "a non-empty rectangular map",
        });
    }
    let cells: Vec<u8> = map.iter().flat_map(|r| r.bytes()).collect();
    if let Some(&bad) = cells.iter().find(|c| !b"SFHG".contains(c)) {
        return Err(Error::InvalidParameter {
            name: "map",
            value: f64::from(bad),
            expected: "only the characters S, F, H and G",
        });
    }
    let starts: Vec<usize> = (0..cells.len()).filter(|&i| cells[i] == b'S').collect();
    let [start] = starts[..] else {
        return Err(Error::InvalidParameter {
            name: "map",
            value: starts.len() as f64,
            expected: "exactly one start cell S",
        });
    };
    let n = rows * cols;
    let mut table = Vec::with_capacity(n * 4);
    for s in 0..n {
        for a in 0..4 {
            let absorbing = matches!(cells[s], b'H' | b'G');
            if absorbing {
                table.push(vec![Outcome {
                    probability: 1.0,
                    next_state: s,
                    reward: 0.0,
                    terminal: true,
                }]);
                continue;
            }
            let dirs: Vec<usize> = match slippery {
                Slippery::Yes => vec![(a + 3) % 4, a, (a + 1) % 4],
                Slippery::No => vec![a],
            };
            let p = 1.0 / dirs.len() as f64;
            let mut row: Vec<Outcome> = Vec::new();
            for d in dirs {
                let next = move_on_grid(rows, cols, s, d);
                let terminal = matches!(cells[next], b'H' | b'G');
                let reward = if cells[next] == b'G' { 1.0 } else { 0.0 };
                if let Some(o) = row.iter_mut().find(|o| o.next_state == next) {
                    o.probability += p;
                } else {
                    row.push(Outcome {
                        probability: p,
                        next_state: next,
                        reward,
                        terminal,
                    });
                }
            }
            table.push(row);
        }
    }
    FiniteMdp::new(n, 4, start, table)
}

/// Whether FrozenLake's ice is slippery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slippery {
    /// Moves go sideways with probability 2/3.
    Yes,
    /// Moves are deterministic.
    No,
}

/// CliffWalking (Sutton and Barto, example 6.6): a 4x12 grid, start at the
/// bottom-left, goal at the bottom-right, the cells between them a cliff.
/// Every step costs -1; stepping into the cliff costs -100 and sends the
/// agent back to the start. The optimal return is -13.
pub fn cliff_walking() -> FiniteMdp {
    let (rows, cols) = (4, 12);
    let start = 3 * cols;
    let goal = 3 * cols + cols - 1;
    let n = rows * cols;
    let mut table = Vec::with_capacity(n * 4);
    for s in 0..n {
        for a in 0..4 {
            let next = move_on_grid(rows, cols, s, a);
            let cliff = next / cols == 3 && !next.is_multiple_of(cols) && next % cols < cols - 1;
            let o = if s == goal {
                Outcome {
                    probability: 1.0,
                    next_state: s,
                    reward: 0.0,
                    terminal: true,
                }
            } else if cliff {
                Outcome {
                    probability: 1.0,
                    next_state: start,
                    reward: -100.0,
                    terminal: false,
                }
            } else {
                Outcome {
                    probability: 1.0,
                    next_state: next,
                    reward: -1.0,
                    terminal: next == goal,
                }
            };
            table.push(vec![o]);
        }
    }
    // The table is well formed by construction; `new` only re-checks it.
    FiniteMdp {
        n_states: n,
        n_actions: 4,
        start,
        table,
        state: start,
        done: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cliff_optimum_is_minus_13() {
        let mdp = cliff_walking();
        let vi = value_iteration(&mdp, 1.0, 1e-12, 10_000).unwrap();
        assert_eq!(vi.values[mdp.start()], -13.0);
    }

    #[test]
    fn frozen_lake_deterministic_optimum_is_one() {
        let mdp = frozen_lake(&FROZEN_LAKE_4X4, Slippery::No).unwrap();
        let vi = value_iteration(&mdp, 1.0, 1e-12, 10_000).unwrap();
        assert_eq!(vi.values[0], 1.0);
    }

    #[test]
    fn frozen_lake_rejects_bad_maps() {
        assert!(frozen_lake(&[], Slippery::Yes).is_err());
        assert!(frozen_lake(&["SF", "F"], Slippery::Yes).is_err());
        assert!(frozen_lake(&["SX", "FG"], Slippery::Yes).is_err());
        assert!(frozen_lake(&["FF", "FG"], Slippery::Yes).is_err());
    }

    #[test]
    fn finite_mdp_checks_rows() {
        let bad = vec![vec![Outcome {
            probability: 0.5,
            next_state: 0,
            reward: 0.0,
            terminal: true,
        }]];
        assert!(FiniteMdp::new(1, 1, 0, bad).is_err());
    }
}
