//! Samplers for the distributions Thompson sampling needs (kept here rather
//! than pulling in `rand_distr`).

use rand::Rng;

/// A standard normal draw (Box-Muller, one of the pair).
pub(crate) fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // u1 in (0, 1] so the log is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) draw (Marsaglia and Tsang 2000; shape < 1 by the
/// `U^(1/shape)` boost).
pub(crate) fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    if shape < 1.0 {
        let u = 1.0 - rng.random::<f64>();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = 1.0 - rng.random::<f64>();
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// A Beta(a, b) draw from two gamma draws.
pub(crate) fn beta<R: Rng + ?Sized>(rng: &mut R, a: f64, b: f64) -> f64 {
    let x = gamma(rng, a);
    let y = gamma(rng, b);
    if x + y > 0.0 { x / (x + y) } else { 0.5 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn moments(xs: &[f64]) -> (f64, f64) {
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
        (m, v)
    }

    #[test]
    fn normal_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let xs: Vec<f64> = (0..200_000).map(|_| standard_normal(&mut rng)).collect();
        let (m, v) = moments(&xs);
        assert!(m.abs() < 0.01, "{m}");
        assert!((v - 1.0).abs() < 0.02, "{v}");
    }

    #[test]
    fn gamma_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for shape in [0.3, 1.0, 2.5, 40.0] {
            let xs: Vec<f64> = (0..200_000).map(|_| gamma(&mut rng, shape)).collect();
            let (m, v) = moments(&xs);
            assert!(
                (m - shape).abs() < 0.02 * shape.max(1.0),
                "{shape}: mean {m}"
            );
            assert!(
                (v - shape).abs() < 0.05 * shape.max(1.0),
                "{shape}: var {v}"
            );
        }
    }

    #[test]
    fn beta_moments() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let (a, b) = (2.0, 5.0);
        let xs: Vec<f64> = (0..200_000).map(|_| beta(&mut rng, a, b)).collect();
        let (m, v) = moments(&xs);
        let em = a / (a + b);
        let ev = a * b / ((a + b).powi(2) * (a + b + 1.0));
        assert!((m - em).abs() < 0.003, "{m} vs {em}");
        assert!((v - ev).abs() < 0.002, "{v} vs {ev}");
    }
}
