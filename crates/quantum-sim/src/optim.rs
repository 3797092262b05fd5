//! Nelder-Mead simplex minimisation (derivative-free), used for QAOA angles.

/// Options of [`nelder_mead`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NmOptions {
    /// Maximum function evaluations.
    pub(crate) max_evals: usize,
    /// Stop when the spread of simplex values falls below this.
    pub(crate) ftol: f64,
    /// Initial step along each coordinate.
    pub(crate) step: f64,
}

/// Minimise `f` from `x0`. Returns `(x, f(x), evaluations)`. Standard
/// coefficients (reflection 1, expansion 2, contraction 1/2, shrink 1/2).
/// Non-finite values are treated as `+inf`.
pub(crate) fn nelder_mead<F: FnMut(&[f64]) -> f64>(
    mut f: F,
    x0: &[f64],
    opts: NmOptions,
) -> (Vec<f64>, f64, usize) {
    let d = x0.len();
    let mut evals = 0usize;
    let mut eval = |x: &[f64], evals: &mut usize| {
        *evals += 1;
        let v = f(x);
        if v.is_finite() { v } else { f64::INFINITY }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(d + 1);
    let v0 = eval(x0, &mut evals);
    simplex.push((x0.to_vec(), v0));
    for i in 0..d {
        let mut x = x0.to_vec();
        x[i] += opts.step;
        let v = eval(&x, &mut evals);
        simplex.push((x, v));
    }
    while evals < opts.max_evals {
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let best = simplex[0].1;
        let worst = simplex[d].1;
        if (worst - best).abs() <= opts.ftol * (1.0 + best.abs()) {
            break;
        }
        let centroid: Vec<f64> = (0..d)
            .map(|k| simplex[..d].iter().map(|p| p.0[k]).sum::<f64>() / d as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            centroid
                .iter()
                .zip(&simplex[d].0)
                .map(|(c, w)| c + t * (c - w))
                .collect()
        };
        let xr = along(1.0);
        let fr = eval(&xr, &mut evals);
        if fr < simplex[0].1 {
            let xe = along(2.0);
            let fe = eval(&xe, &mut evals);
            simplex[d] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[d - 1].1 {
            simplex[d] = (xr, fr);
        } else {
            let (xc, fc) = if fr < worst {
                let x = along(0.5);
                let v = eval(&x, &mut evals);
                (x, v)
            } else {
                let x = along(-0.5);
                let v = eval(&x, &mut evals);
                (x, v)
            };
            if fc < fr.min(worst) {
                simplex[d] = (xc, fc);
            } else {
                let x_best = simplex[0].0.clone();
                for p in simplex.iter_mut().skip(1) {
                    for (xi, bi) in p.0.iter_mut().zip(&x_best) {
                        *xi = bi + 0.5 * (*xi - bi);
                    }
                    p.1 = eval(&p.0, &mut evals);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, v) = simplex.swap_remove(0);
    (x, v, evals)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimises_rosenbrock() {
        let f = |x: &[f64]| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
        let (x, v, _) = nelder_mead(
            f,
            &[-1.2, 1.0],
            NmOptions {
                max_evals: 5000,
                ftol: 1e-14,
                step: 0.5,
            },
        );
        assert!(v < 1e-8, "{v}");
        assert!((x[0] - 1.0).abs() < 1e-3 && (x[1] - 1.0).abs() < 1e-3);
    }
}
