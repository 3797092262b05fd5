//! BKT fitting recovers the parameters of simulated data (issue target:
//! within 0.05 on 2,000 students x 20 answers per skill, fixed seeds).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on unexpected errors")]

use aiops_skills::{AnswerLog, BktFitter, BktParams, bkt};

fn check(truth: BktParams, seed: u64) {
    let data = bkt::simulate(&truth, 2_000, 20, seed);
    assert_eq!(data.total_answers(), 40_000);
    let fit = BktFitter::default().fit(&data).unwrap();
    let p = fit.params;
    let errs = [
        (p.p_init - truth.p_init).abs(),
        (p.p_learn - truth.p_learn).abs(),
        (p.p_guess - truth.p_guess).abs(),
        (p.p_slip - truth.p_slip).abs(),
    ];
    assert!(
        errs.iter().all(|e| *e < 0.05),
        "seed {seed}: truth {truth:?} fitted {p:?} errors {errs:?}"
    );
    assert!(fit.converged, "{fit:?}");
    // The fit is at least as likely as the truth (EM found the MLE region).
    assert!(fit.log_likelihood >= truth.log_likelihood(&data) - 1e-6);
}

#[test]
fn recovers_typical_parameters() {
    check(BktParams::new(0.3, 0.15, 0.2, 0.1).unwrap(), 1);
}

#[test]
fn recovers_hard_skill() {
    // Few know it at first, slow learning, more guessing.
    check(BktParams::new(0.1, 0.08, 0.25, 0.05).unwrap(), 2);
}

#[test]
fn recovers_easy_skill() {
    check(BktParams::new(0.6, 0.3, 0.15, 0.15).unwrap(), 3);
}

#[test]
fn recovers_across_seeds() {
    let truth = BktParams::new(0.4, 0.2, 0.1, 0.2).unwrap();
    for seed in 10..13 {
        check(truth, seed);
    }
}

#[test]
fn fits_every_skill_of_a_csv() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/answers.csv"
    ))
    .unwrap();
    let log = AnswerLog::from_csv_str("answers.csv", &text).unwrap();
    let fits = BktFitter::default().fit_log(&log).unwrap();
    assert_eq!(
        fits.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["kubernetes", "python"]
    );
    for f in fits.values() {
        f.params.check().unwrap();
        assert!(f.params.p_guess <= 0.3 && f.params.p_slip <= 0.3);
    }
}

#[test]
fn online_state_tracks_a_learner() {
    let p = BktParams::new(0.2, 0.2, 0.2, 0.1).unwrap();
    let mut s = aiops_skills::BktState::new(p);
    let mut last = s.p_known();
    for _ in 0..5 {
        let now = s.observe(true);
        assert!(now > last);
        last = now;
    }
    assert!(last > 0.95);
    assert!(s.observe(false) < last);
}
