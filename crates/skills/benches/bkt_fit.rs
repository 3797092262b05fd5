//! BKT fitting speed: constrained EM over simulated answers (issue target:
//! 1,000,000 answers in under 2 s). Data: students x 20 answers simulated from
//! fixed parameters with a fixed seed.

use std::hint::black_box;

use aiops_skills::{BktFitter, BktParams, bkt};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn fit(c: &mut Criterion) {
    let truth = BktParams {
        p_init: 0.3,
        p_learn: 0.15,
        p_guess: 0.2,
        p_slip: 0.1,
    };
    let mut group = c.benchmark_group("bkt_fit");
    group.sample_size(10);
    for answers in [100_000usize, 1_000_000] {
        let data = bkt::simulate(&truth, answers / 20, 20, 2026);
        let fitter = BktFitter::default();
        group.bench_with_input(BenchmarkId::new("em", answers), &data, |b, d| {
            b.iter(|| fitter.fit(black_box(d)).map(|f| f.params))
        });
    }
    group.finish();
}

criterion_group!(benches, fit);
criterion_main!(benches);
