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

/// Fold A of the 2-fold split by category; fold B is the rest.
const FOLD_A: [&str; 4] = [
    "artificialNoAnomaly",
    "artificialWithAnomaly",
    "realAWSCloudwatch",
    "realTweets",
];

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
        "periodic_cap" => p.periodic_cap = v,
        "periodic_boost" => p.periodic_boost = v,
        "periodic_buffer" => p.periodic.buffer = v as usize,
        "periodic_max_period" => p.periodic.max_period = v as usize,
        "periodic_max_slots" => p.periodic.max_slots = v as usize,
        "periodic_strength" => p.periodic.min_strength = v,
        "periodic_alpha" => p.periodic.alpha = v,
        "shift_alpha" => p.shift_alpha = v,
        "shift_weight" => p.shift_weight = v,
        "knn_weight" => p.knn_weight = v,
        "knn_uncapped" => p.knn_uncapped = v != 0.0,
        "knn_dim" => p.knn.dim = v as usize,
        "knn_lags" => p.knn.lags = v as usize,
        "knn_k" => p.knn.k = v as usize,
        "knn_alpha" => p.knn.alpha = v,
        "spatial" => p.spatial_tolerance = v,
        "spatial_warmup" => p.spatial_warmup = v as u32,
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
    if let Ok(spec) = std::env::var("PERIODS") {
        // PERIODS=buffer,max_period,min_strength: the period found per file.
        let v: Vec<f64> = spec.split(',').map(|x| x.parse().unwrap()).collect();
        for f in &corpus.files {
            let n = (v[0] as usize).min(f.values.len());
            let p = aiops_anomaly::detect_period(&f.values[..n], v[1] as usize, v[2]);
            println!("   {:60} {p:?}", f.relative);
        }
    }
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
        if std::env::var("FOLDS").is_ok() {
            // 2-fold split by NAB category: each fold's threshold is optimised
            // on that fold, then applied to the other fold.
            let (mut fa, mut fb) = (Vec::new(), Vec::new());
            let (mut sa, mut sb) = (Vec::new(), Vec::new());
            for (f, sc) in corpus.files.iter().zip(&scores) {
                if FOLD_A.contains(&f.category()) {
                    fa.push(f.clone());
                    sa.push(sc.clone());
                } else {
                    fb.push(f.clone());
                    sb.push(sc.clone());
                }
            }
            let ca = Corpus {
                root: corpus.root.clone(),
                files: fa,
            };
            let cb = Corpus {
                root: corpus.root.clone(),
                files: fb,
            };
            let ra = score_corpus(&ca, &sa, &Profile::all(), None).unwrap();
            let rb = score_corpus(&cb, &sb, &Profile::all(), None).unwrap();
            let tha: Vec<f64> = ra.iter().map(|r| r.threshold).collect();
            let thb: Vec<f64> = rb.iter().map(|r| r.threshold).collect();
            let b_at_a = score_corpus(&cb, &sb, &Profile::all(), Some(&tha)).unwrap();
            let a_at_b = score_corpus(&ca, &sa, &Profile::all(), Some(&thb)).unwrap();
            println!(
                "   fold A {:6.2} (B's threshold {:6.2})  fold B {:6.2} (A's threshold {:6.2})",
                ra[0].normalised, a_at_b[0].normalised, rb[0].normalised, b_at_a[0].normalised
            );
        }
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
