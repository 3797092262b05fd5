//! Batch detectors: fit on rows, then score rows.

use ndarray::ArrayView2;

use crate::error::Result;

/// A batch detector: `fit` learns from rows (samples) and returns a fitted
/// model that scores rows.
pub trait BatchDetector {
    /// The fitted model.
    type Fitted: ScoreRows;

    /// Fits on the rows of `x`.
    fn fit(&self, x: ArrayView2<'_, f64>) -> Result<Self::Fitted>;
}

/// A fitted model scoring rows in [0, 1], higher = more anomalous.
pub trait ScoreRows {
    /// Scores each row of `x` into `out` (one slot per row).
    fn score_into(&self, x: ArrayView2<'_, f64>, out: &mut [f64]) -> Result<()>;

    /// Scores each row of `x`.
    fn score(&self, x: ArrayView2<'_, f64>) -> Result<Vec<f64>> {
        let mut out = vec![0.0; x.nrows()];
        self.score_into(x, &mut out)?;
        Ok(out)
    }
}
