//! BKT parameter recovery harness: simulates 2,000 students x 20 answers per
//! skill from known parameters (fixed seeds), fits them by constrained EM and
//! prints truth, estimate and absolute error, plus the fit time.
//!
//! Run: `cargo run --release -p aiops-skills --example bkt_recovery [-- --write-csv DIR]`
//!
//! With `--write-csv DIR` it also writes each case as `DIR/case_<seed>.csv` and a
//! 1,000,000-answer file `DIR/big.csv` (`student,skill,correct`, time order per
//! student), times reading + fitting `big.csv` through [`AnswerLog`], and so
//! gives `benches/peer_pybkt.py` the same data.

#![allow(clippy::print_stdout, reason = "a harness prints its table")]
#![allow(clippy::unwrap_used, reason = "a harness fails loudly")]

use std::time::Instant;

use std::io::Write;

use aiops_skills::{AnswerLog, AnswerSequences, BktFitter, BktParams, bkt};

fn write_csv(path: &std::path::Path, skill: &str, data: &AnswerSequences) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "student,skill,correct").unwrap();
    for (i, seq) in data.iter().enumerate() {
        for &o in seq {
            writeln!(out, "s{i},{skill},{o}").unwrap();
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .iter()
        .position(|a| a == "--write-csv")
        .and_then(|i| args.get(i + 1))
        .map(std::path::PathBuf::from);
    let cases = [
        ((0.3, 0.15, 0.2, 0.1), 1),
        ((0.1, 0.08, 0.25, 0.05), 2),
        ((0.6, 0.3, 0.15, 0.15), 3),
        ((0.4, 0.2, 0.1, 0.2), 10),
        ((0.4, 0.2, 0.1, 0.2), 11),
        ((0.4, 0.2, 0.1, 0.2), 12),
    ];
    println!(
        "{:<6} {:<26} {:<26} {:>9} {:>6} {:>9}",
        "seed", "truth (L0 T G S)", "fitted (L0 T G S)", "max |err|", "iters", "ms"
    );
    for ((l0, t, g, s), seed) in cases {
        let truth = BktParams::new(l0, t, g, s).unwrap();
        let data = bkt::simulate(&truth, 2_000, 20, seed);
        if let Some(d) = &dir {
            std::fs::create_dir_all(d).unwrap();
            write_csv(&d.join(format!("case_{seed}.csv")), "k", &data);
        }
        let start = Instant::now();
        let fit = BktFitter::default().fit(&data).unwrap();
        let ms = start.elapsed().as_secs_f64() * 1e3;
        let p = fit.params;
        let err = [
            (p.p_init - l0).abs(),
            (p.p_learn - t).abs(),
            (p.p_guess - g).abs(),
            (p.p_slip - s).abs(),
        ]
        .into_iter()
        .fold(0.0, f64::max);
        println!(
            "{:<6} {:<26} {:<26} {:>9.4} {:>6} {:>9.1}",
            seed,
            format!("{l0:.3} {t:.3} {g:.3} {s:.3}"),
            format!(
                "{:.3} {:.3} {:.3} {:.3}",
                p.p_init, p.p_learn, p.p_guess, p.p_slip
            ),
            err,
            fit.iterations,
            ms
        );
    }
    if let Some(d) = &dir {
        let truth = BktParams::new(0.3, 0.15, 0.2, 0.1).unwrap();
        let big = bkt::simulate(&truth, 50_000, 20, 2026);
        let path = d.join("big.csv");
        write_csv(&path, "big", &big);
        let start = Instant::now();
        let log = AnswerLog::from_csv_file(&path).unwrap();
        let read = start.elapsed().as_secs_f64();
        let fits = BktFitter::default().fit_log(&log).unwrap();
        let total = start.elapsed().as_secs_f64();
        let f = fits["big"];
        println!(
            "big.csv: {} answers, read {:.3} s, read + fit {:.3} s, fitted {:.3} {:.3} {:.3} {:.3} ({} iterations)",
            f.answers,
            read,
            total,
            f.params.p_init,
            f.params.p_learn,
            f.params.p_guess,
            f.params.p_slip,
            f.iterations
        );
    }
}
