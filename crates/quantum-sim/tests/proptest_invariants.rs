//! Property tests: norms survive gate sequences, fusion changes nothing,
//! QUBO energies of decoded assignments equal the recomputed objective.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on fixture errors")]

use aiops_quantum_sim::{
    Assignment, BalanceQubo, Circuit, Decoded, Gate, Matrix2, Penalty, SimConfig, StateVector,
    two_server_qubo,
};
use proptest::prelude::*;

fn gate(n: usize) -> impl Strategy<Value = Gate> {
    let q = 0..n;
    let pair = (0..n, 0..n - 1).prop_map(|(a, b)| (a, if b >= a { b + 1 } else { b }));
    let angle = -6.3f64..6.3;
    prop_oneof![
        (q.clone(), 0..8usize, angle.clone()).prop_map(|(qubit, k, t)| Gate::Single {
            qubit,
            matrix: match k {
                0 => Matrix2::h(),
                1 => Matrix2::x(),
                2 => Matrix2::y(),
                3 => Matrix2::s(),
                4 => Matrix2::t(),
                5 => Matrix2::rx(t),
                6 => Matrix2::ry(t),
                _ => Matrix2::rz(t),
            },
        }),
        (q, angle.clone(), angle.clone(), angle.clone()).prop_map(|(qubit, a, b, c)| {
            Gate::Single {
                qubit,
                matrix: Matrix2::u(a, b, c),
            }
        }),
        pair.clone().prop_map(|(control, target)| Gate::Controlled {
            control,
            target,
            matrix: Matrix2::x()
        }),
        (pair.clone(), angle.clone()).prop_map(|((control, target), t)| Gate::Controlled {
            control,
            target,
            matrix: Matrix2::u(t, 0.3, -t)
        }),
        pair.clone().prop_map(|(a, b)| Gate::Cz(a, b)),
        pair.clone().prop_map(|(a, b)| Gate::Swap(a, b)),
        (pair, angle).prop_map(|((a, b), t)| Gate::Rzz(a, b, t)),
    ]
}

proptest! {
    #[test]
    fn norm_is_preserved_and_fusion_is_exact(
        (n, gates) in (2usize..7).prop_flat_map(|n| (Just(n), prop::collection::vec(gate(n), 0..40)))
    ) {
        let mut c = Circuit::new(n);
        for g in gates {
            c.push(g).unwrap();
        }
        let cfg = SimConfig::default();
        let mut a = StateVector::zero(n, &cfg).unwrap();
        let mut b = a.clone();
        c.run_unfused(&mut a).unwrap();
        c.run(&mut b).unwrap();
        prop_assert!((a.norm_sqr() - 1.0).abs() < 1e-10);
        for (x, y) in a.amplitudes().iter().zip(b.amplitudes()) {
            prop_assert!((x - y).norm() < 1e-10);
        }
    }

    #[test]
    fn decoded_balance_energy_equals_objective(
        (k, jobs) in (2usize..4).prop_flat_map(|k| (Just(k), prop::collection::vec((0.0f64..50.0, 0..k), 1..6)))
    ) {
        let loads: Vec<f64> = jobs.iter().map(|j| j.0).collect();
        let servers: Vec<usize> = jobs.iter().map(|j| j.1).collect();
        let b = BalanceQubo::new(&loads, k, Penalty::Greedy).unwrap();
        let bits = b.encode(&servers);
        let energy = b.qubo.energy(&bits).unwrap();
        let Decoded::Feasible(a) = b.decode(&bits).unwrap() else {
            panic!("encoded assignment decoded as infeasible");
        };
        prop_assert_eq!(&a.server_of_job, &servers);
        let recomputed = Assignment::new(&loads, k, servers).unwrap().squared_deviation;
        prop_assert!((energy - recomputed).abs() <= 1e-7 * (1.0 + recomputed.abs()));
        prop_assert!((a.squared_deviation - recomputed).abs() <= 1e-9 * (1.0 + recomputed));
    }

    #[test]
    fn two_server_energy_is_squared_load_difference(
        jobs in prop::collection::vec((0.0f64..100.0, any::<bool>()), 1..10)
    ) {
        let loads: Vec<f64> = jobs.iter().map(|j| j.0).collect();
        let bits: Vec<bool> = jobs.iter().map(|j| j.1).collect();
        let q = two_server_qubo(&loads).unwrap();
        let a = Assignment::new(&loads, 2, bits.iter().map(|&b| usize::from(b)).collect()).unwrap();
        let diff = a.server_loads[1] - a.server_loads[0];
        let e = q.energy(&bits).unwrap();
        prop_assert!((e - diff * diff).abs() <= 1e-7 * (1.0 + diff * diff));
    }
}
