//! Correctness of the TD agents on the standard fixtures.

#![allow(clippy::unwrap_used, reason = "test helpers outside #[test] functions")]

use aiops_rl::{
    Agent, EpsilonSchedule, FROZEN_LAKE_4X4, LearningRate, LinearParams, MountainCar,
    SemiGradientSarsa, Slippery, TabularAgent, TabularParams, TdMethod, TileCoder, TrainConfig,
    cliff_walking, evaluate, frozen_lake, train, value_iteration,
};

fn cliff_agent(method: TdMethod) -> TabularAgent {
    let mdp = cliff_walking();
    TabularAgent::new(
        mdp.n_states(),
        mdp.n_actions(),
        TabularParams {
            method,
            alpha: 0.5,
            gamma: 1.0,
            epsilon: EpsilonSchedule {
                start: 0.1,
                end: 0.0,
                decay: 0.99,
            },
            ..TabularParams::default()
        },
    )
    .unwrap()
}

#[test]
fn q_learning_reaches_minus_13_on_cliff_walking() {
    let mut env = cliff_walking();
    let optimum = value_iteration(&env, 1.0, 1e-12, 10_000).unwrap().values[env.start()];
    assert_eq!(optimum, -13.0);
    let mut agent = cliff_agent(TdMethod::QLearning);
    let cfg = TrainConfig {
        episodes: 500,
        max_steps: 1_000,
        seed: 11,
    };
    train(&mut env, &mut agent, &cfg).unwrap();
    let eval = evaluate(&mut env, &agent, &TrainConfig { episodes: 1, ..cfg }).unwrap();
    assert_eq!(eval.mean_return(), optimum);
}

#[test]
fn sarsa_and_expected_sarsa_learn_cliff_walking() {
    for method in [TdMethod::Sarsa, TdMethod::ExpectedSarsa] {
        let mut env = cliff_walking();
        let mut agent = cliff_agent(method);
        let cfg = TrainConfig {
            episodes: 800,
            max_steps: 1_000,
            seed: 5,
        };
        let stats = train(&mut env, &mut agent, &cfg).unwrap();
        // Learning improves the return (early episodes fall off the cliff).
        assert!(stats.mean_return_last(50) > stats.episodes[0].total_return);
        let eval = evaluate(&mut env, &agent, &TrainConfig { episodes: 1, ..cfg }).unwrap();
        // With epsilon decayed to 0 both reach the optimum or the safe path
        // (-13 to -17).
        let r = eval.mean_return();
        assert!((-17.0..=-13.0).contains(&r), "{method:?}: {r}");
    }
}

#[test]
fn frozen_lake_success_rate_within_0_02_of_optimum() {
    let mut env = frozen_lake(&FROZEN_LAKE_4X4, Slippery::Yes).unwrap();
    // Undiscounted value iteration: the best achievable success probability.
    let vi = value_iteration(&env, 1.0, 1e-12, 100_000).unwrap();
    let optimum = vi.values[env.start()];
    assert!((optimum - 0.8235).abs() < 1e-3, "{optimum}");
    // Visit-count step sizes (Robbins-Monro) so Q converges despite the
    // slippery noise; gamma just below 1 so policies that never end (pushing
    // against a wall forever) are not valued like the goal.
    let mut agent = TabularAgent::new(
        env.n_states(),
        env.n_actions(),
        TabularParams {
            method: TdMethod::QLearning,
            alpha: 1.0,
            learning_rate: LearningRate::Visits {
                omega: 0.6,
                alpha_min: 0.0,
            },
            gamma: 0.9999,
            epsilon: EpsilonSchedule::constant(0.5),
            initial_q: 0.0,
        },
    )
    .unwrap();
    train(
        &mut env,
        &mut agent,
        &TrainConfig {
            episodes: 100_000,
            max_steps: 1_000,
            seed: 1,
        },
    )
    .unwrap();
    let eval = evaluate(
        &mut env,
        &agent,
        &TrainConfig {
            episodes: 10_000,
            max_steps: 10_000,
            seed: 99,
        },
    )
    .unwrap();
    let rate = eval.success_rate();
    assert!(
        (rate - optimum).abs() <= 0.02,
        "success rate {rate} vs optimum {optimum}; policy {:?} vs {:?}",
        agent.greedy_policy(),
        vi.policy
    );
}

#[test]
fn semi_gradient_sarsa_solves_mountain_car() {
    let mut env = MountainCar::new();
    let (p, v) = (MountainCar::POSITION, MountainCar::VELOCITY);
    let coder = TileCoder::new(vec![p.0, v.0], vec![p.1, v.1], vec![8, 8], 8).unwrap();
    let mut agent = SemiGradientSarsa::new(
        coder,
        3,
        LinearParams {
            alpha: 0.5,
            gamma: 1.0,
            epsilon: EpsilonSchedule::constant(0.0),
            initial_q: 0.0,
        },
    )
    .unwrap();
    let cfg = TrainConfig {
        episodes: 300,
        max_steps: 5_000,
        seed: 1,
    };
    let stats = train(&mut env, &mut agent, &cfg).unwrap();
    let first = stats.episodes[0].steps;
    let late = stats.mean_return_last(50);
    // Sutton and Barto, figure 10.1: from ~thousands of steps to ~150-200.
    assert!(first > 400, "{first}");
    assert!(
        late > -250.0,
        "mean return over the last 50 episodes {late}"
    );
    let eval = evaluate(
        &mut env,
        &agent,
        &TrainConfig {
            episodes: 20,
            ..cfg
        },
    )
    .unwrap();
    assert!(eval.episodes.iter().all(|e| e.terminated));
    assert!(eval.mean_return() > -250.0);
    assert!(Agent::<[f64; 2]>::greedy(&agent, &[-0.5, 0.0]).unwrap() < 3);
}
