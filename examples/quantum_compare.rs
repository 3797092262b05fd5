//! QAOA against classical solvers: solution quality and time on MaxCut
//! (seeded random 3-regular graphs) and on load-balancing QUBOs, printed as
//! one table (`aiops::quantum_sim::compare`: exact enumeration, simulated
//! annealing, QAOA with seeded Nelder-Mead restarts and 1,024 samples).
//!
//! ```text
//! cargo run --release --example quantum_compare --features quantum-sim [-- --p 2]
//! ```

#![allow(clippy::print_stdout, reason = "a harness prints its result table")]

use aiops::quantum_sim::{
    BalanceQubo, CompareOptions, Graph, Penalty, QaoaOptions, Qubo, compare, two_server_qubo,
};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let p = args
        .iter()
        .position(|a| a == "--p")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.parse::<usize>())
        .transpose()?
        .unwrap_or(2);
    let options = CompareOptions {
        p,
        qaoa: QaoaOptions {
            restarts: 4,
            max_evals: 300,
            ..QaoaOptions::default()
        },
        ..CompareOptions::default()
    };
    let mut problems: Vec<(String, Qubo)> = Vec::new();
    for n in [10usize, 14, 18] {
        let g = Graph::random_regular(n, 3, 11)?;
        problems.push((format!("maxcut 3-regular n={n}"), g.maxcut_qubo()));
    }
    let loads = [25.0, 7.0, 13.0, 9.0, 4.0, 6.0, 11.0, 3.0, 8.0, 14.0];
    problems.push((
        "balance 2 servers, 10 jobs".into(),
        two_server_qubo(&loads)?,
    ));
    let b = BalanceQubo::new(&loads[..5], 3, Penalty::Greedy)?;
    problems.push(("balance 3 servers, 5 jobs (one-hot)".into(), b.qubo));
    println!("QAOA p = {p}; energies are QUBO energies (MaxCut: minus the cut)");
    println!(
        "{:<36} {:>5} {:<10} {:>12} {:>10} {:>12} {:>10}",
        "problem", "vars", "method", "energy", "gap", "E[energy]", "seconds"
    );
    for (name, q) in &problems {
        let c = compare(q, &options)?;
        for r in &c.results {
            println!(
                "{:<36} {:>5} {:<10} {:>12.3} {:>10.3} {:>12} {:>10.4}",
                name,
                c.num_vars,
                r.method,
                r.solution.energy,
                r.gap.unwrap_or(f64::NAN),
                r.expected_energy
                    .map(|e| format!("{e:.3}"))
                    .unwrap_or_default(),
                r.seconds
            );
        }
    }
    Ok(())
}
