//! Development helper: scores ensemble configurations over NAB and prints the
//! three profile scores of each. Arguments: the corpus root, then
//! `key=v1,v2,...` overrides of [`EnsembleParams`] fields; every combination
//! is scored.
//! `cargo run --release -p aiops-anomaly --example nab_tune -- ../shared/data/nab refractory=200,400`

#![allow(clippy::print_stdout, reason = "an example prints its results")]
#![allow(clippy::unwrap_used, reason = "a development example")]

use aiops_anomaly::nab::{
    Corpus, Profile, run_streaming, score_at_threshold, score_corpus, sweep_rows,
};
use aiops_anomaly::{Ensemble, EnsembleParams};

fn set(p: &mut EnsembleParams, key: &str, v: f64) {
    match key {
        "slow_alpha" => p.slow.alpha = v,
        "slow_dev_alpha" => p.slow.dev_alpha = v,
        "slow_clip" => p.slow.clip = v,
        "seasonal_alpha" => p.seasonal.alpha = v,
        "seasonal_min" => p.seasonal.min_count = v as u32,
        "window" => p.window.window = v as usize,
        "seasonal_weight" => p.seasonal_weight = v,
        "short_alpha" => p.short_alpha = v,
        "long_alpha" => p.long_alpha = v,
        "warmup" => p.warmup = v as u32,
        "alert_level" => p.alert_level = v,
        "refractory" => p.refractory = v as u32,
        "novelty" => p.novelty = v,
        "peak_decay" => p.peak_decay = v,
        other => panic!("unknown key {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = args
        .first()
        .cloned()
        .unwrap_or_else(|| "../shared/data/nab".into());
    let corpus = Corpus::load(&root).unwrap();
    let mut grid: Vec<(EnsembleParams, String)> = vec![(EnsembleParams::default(), String::new())];
    for kv in args.iter().skip(1) {
        let (k, vs) = kv.split_once('=').unwrap();
        let mut next = Vec::new();
        for (p, label) in &grid {
            for v in vs.split(',') {
                let mut q = *p;
                set(&mut q, k, v.parse().unwrap());
                next.push((q, format!("{label} {k}={v}")));
            }
        }
        grid = next;
    }
    for (p, label) in grid {
        let t0 = std::time::Instant::now();
        let scores = run_streaming(&corpus, || Ensemble::new(p).unwrap());
        let dt = t0.elapsed();
        let r = score_corpus(&corpus, &scores, &Profile::all(), None).unwrap();
        println!(
            "{:6.2} {:6.2} {:6.2}  th {:.4}  det {}/{} fp {:4}  {:.1} Mpts/s |{label}",
            r[0].normalised,
            r[1].normalised,
            r[2].normalised,
            r[0].threshold,
            r[0].tally.detected_windows,
            r[0].tally.windows,
            r[0].tally.fp,
            corpus.row_count() as f64 / dt.as_secs_f64() / 1e6
        );
        if std::env::var("PER_FILE").is_ok() {
            for (f, sc) in corpus.files.iter().zip(&scores) {
                let rows = sweep_rows(sc, &f.windows, 0);
                let t = score_at_threshold(&rows, r[0].threshold, &r[0].profile);
                println!(
                    "   {:60} {:7.2} det {}/{} fp {}",
                    f.relative, t.score, t.detected_windows, t.windows, t.fp
                );
            }
        }
    }
}
