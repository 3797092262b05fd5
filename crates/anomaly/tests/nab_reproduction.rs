//! The Rust NAB scorer reproduces the published scores of the Numenta HTM
//! detector (70.10 / 63.12 / 74.32) and of the null detector (0) from the
//! published result files and thresholds, and the default ensemble meets the
//! NAB target (standard >= 60).

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    reason = "test helpers report skips and fail loudly"
)]

use std::path::PathBuf;

use aiops_anomaly::Ensemble;
use aiops_anomaly::nab::{
    Corpus, Profile, load_profiles, load_thresholds, optimize_threshold, read_result_scores,
    run_streaming, score_corpus,
};

fn nab_root() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nab");
    if root.join("labels/combined_windows.json").is_file() && root.join("results/numenta").is_dir()
    {
        Some(root)
    } else {
        println!("skipping: NAB corpus not found at {}", root.display());
        None
    }
}

fn published(corpus: &Corpus, detector: &str) -> Vec<Vec<f64>> {
    corpus
        .files
        .iter()
        .map(|f| {
            let path = corpus
                .root
                .join("results")
                .join(detector)
                .join(f.category())
                .join(format!("{detector}_{}.csv", f.stem()));
            read_result_scores(&path, &f.timestamps).unwrap()
        })
        .collect()
}

#[test]
fn reproduces_numenta_and_null() {
    let Some(root) = nab_root() else { return };
    let corpus = Corpus::load(&root).unwrap();
    assert_eq!(corpus.files.len(), 58);
    assert_eq!(corpus.window_count(), 116);
    assert_eq!(corpus.row_count(), 365_558);
    let profiles = load_profiles(root.join("config/profiles.json")).unwrap();
    assert_eq!(profiles, Profile::all());
    for (detector, expected) in [
        ("numenta", [70.10, 63.12, 74.32]),
        ("null", [0.0, 0.0, 0.0]),
    ] {
        let th = load_thresholds(root.join("config/thresholds.json"), detector).unwrap();
        let ths: Vec<f64> = profiles.iter().map(|p| th[&p.name]).collect();
        let scores = published(&corpus, detector);
        let got = score_corpus(&corpus, &scores, &profiles, Some(&ths)).unwrap();
        for (g, e) in got.iter().zip(expected) {
            println!(
                "{detector} {}: {:.4} (raw {:.4})",
                g.profile.name, g.normalised, g.tally.score
            );
            assert!(
                (g.normalised - e).abs() < 0.01,
                "{detector} {}: {} vs {e}",
                g.profile.name,
                g.normalised
            );
        }
    }
}

#[test]
fn sweep_finds_numenta_threshold() {
    let Some(root) = nab_root() else { return };
    let corpus = Corpus::load(&root).unwrap();
    let scores = published(&corpus, "numenta");
    let got = score_corpus(&corpus, &scores, &Profile::all(), None).unwrap();
    // Optimising can only match or beat the published thresholds.
    for (g, e) in got.iter().zip([70.10, 63.12, 74.32]) {
        println!(
            "numenta optimised {}: {:.4} at {}",
            g.profile.name, g.normalised, g.threshold
        );
        assert!(g.normalised >= e - 0.01);
    }
    let _ = optimize_threshold;
}

#[test]
fn default_ensemble_meets_the_nab_target() {
    // The issue target: NAB standard profile >= 60 with the threshold
    // optimised over the corpus (measured 64.83 / 55.79 / 72.53).
    let Some(root) = nab_root() else { return };
    let corpus = Corpus::load(&root).unwrap();
    let scores = run_streaming(&corpus, Ensemble::default);
    let got = score_corpus(&corpus, &scores, &Profile::all(), None).unwrap();
    for g in &got {
        println!(
            "ensemble {}: {:.2} at {}",
            g.profile.name, g.normalised, g.threshold
        );
    }
    assert!(got[0].normalised >= 60.0, "{}", got[0].normalised);
}
