//! Closed-form QAOA checks: one layer on triangle-free 3-regular graphs.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on fixture errors")]

use aiops_quantum_sim::{Graph, Qaoa, QaoaOptions, SimConfig};

fn cube() -> Graph {
    // The 3-cube Q3: bipartite, so triangle-free; 8 nodes, 12 edges.
    let mut e = Vec::new();
    for v in 0..8usize {
        for b in 0..3 {
            let u = v ^ (1 << b);
            if v < u {
                e.push((v, u));
            }
        }
    }
    Graph::unweighted("cube", 8, &e).unwrap()
}

fn petersen() -> Graph {
    // Girth 5: triangle-free; 10 nodes, 15 edges.
    let mut e = Vec::new();
    for i in 0..5 {
        e.push((i, (i + 1) % 5));
        e.push((i, i + 5));
        e.push((i + 5, (i + 2) % 5 + 5));
    }
    Graph::unweighted("petersen", 10, &e).unwrap()
}

#[test]
fn p1_optimum_on_triangle_free_cubic_graphs() {
    let gamma = (1.0 / 2f64.sqrt()).atan();
    let beta = std::f64::consts::PI / 8.0;
    let per_edge = 0.5 + 1.0 / (3.0 * 3f64.sqrt());
    for g in [cube(), petersen()] {
        let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
        let e = q.expectation(&[gamma], &[beta]).unwrap();
        let m = g.edges().len() as f64;
        assert!((e / m - per_edge).abs() < 1e-9, "{}: {}", g.name(), e / m);
        // Sign convention: the other sign of gamma gives 1/2 - 1/(3 sqrt 3).
        let e_neg = q.expectation(&[-gamma], &[beta]).unwrap();
        assert!((e_neg / m - (1.0 - per_edge)).abs() < 1e-9);
        // Per-edge formula 1/2 + 1/2 sin(4 beta) sin(gamma) cos^2(gamma) at other angles.
        for (g1, b1) in [(0.3f64, 0.1f64), (1.1, -0.4), (2.0, 0.7)] {
            let want = 0.5 + 0.5 * (4.0 * b1).sin() * f64::sin(g1) * f64::cos(g1).powi(2);
            let got = q.expectation(&[g1], &[b1]).unwrap() / m;
            assert!((got - want).abs() < 1e-9, "{got} {want}");
        }
    }
}

#[test]
fn optimiser_reaches_the_p1_optimum_and_samples_a_maximum_cut() {
    let g = petersen();
    let q = Qaoa::maxcut(&g, &SimConfig::default()).unwrap();
    let r = q
        .optimize(
            1,
            &QaoaOptions {
                restarts: 3,
                max_evals: 200,
                ..QaoaOptions::default()
            },
        )
        .unwrap();
    let m = g.edges().len() as f64;
    let per_edge = 0.5 + 1.0 / (3.0 * 3f64.sqrt());
    assert!(
        (r.expected / m - per_edge).abs() < 1e-6,
        "{}",
        r.expected / m
    );
    // Petersen's maximum cut is 12.
    assert_eq!(r.best_value, 12.0);
    assert_eq!(g.cut_value(r.best_bitstring), 12.0);
    // More layers do at least as well.
    let r2 = q
        .optimize(
            2,
            &QaoaOptions {
                restarts: 2,
                max_evals: 300,
                ..QaoaOptions::default()
            },
        )
        .unwrap();
    assert!(r2.expected >= r.expected - 1e-6);
}

#[test]
fn disconnected_and_memory_errors() {
    let g = Graph::unweighted("two", 4, &[(0, 1), (2, 3)]).unwrap();
    assert!(Qaoa::maxcut(&g, &SimConfig::default()).is_err());
    let g = cube();
    let tiny = SimConfig {
        memory_limit_bytes: 1024,
    };
    assert!(matches!(
        Qaoa::maxcut(&g, &tiny),
        Err(aiops_quantum_sim::Error::MemoryLimit { .. })
    ));
}
