//! Anomaly scores.

use crate::error::{Error, Result};

/// An anomaly score in [0, 1]; higher means more anomalous.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "f64", into = "f64"))]
pub struct AnomalyScore(f64);

impl AnomalyScore {
    /// The lowest score.
    pub const ZERO: AnomalyScore = AnomalyScore(0.0);
    /// The highest score.
    pub const ONE: AnomalyScore = AnomalyScore(1.0);

    /// A score, rejecting NaN and values outside [0, 1].
    pub fn new(value: f64) -> Result<Self> {
        if (0.0..=1.0).contains(&value) {
            Ok(AnomalyScore(value))
        } else {
            Err(Error::ScoreOutOfRange(value))
        }
    }

    /// A score clamped into [0, 1]; NaN becomes 0.
    pub fn saturating(value: f64) -> Self {
        if value.is_nan() {
            AnomalyScore(0.0)
        } else {
            AnomalyScore(value.clamp(0.0, 1.0))
        }
    }

    /// The score as a number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for AnomalyScore {
    type Error = Error;

    fn try_from(value: f64) -> Result<Self> {
        AnomalyScore::new(value)
    }
}

impl From<AnomalyScore> for f64 {
    fn from(s: AnomalyScore) -> f64 {
        s.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_is_enforced() {
        assert!(AnomalyScore::new(0.5).is_ok());
        assert!(AnomalyScore::new(1.5).is_err());
        assert!(AnomalyScore::new(f64::NAN).is_err());
        assert_eq!(AnomalyScore::saturating(f64::NAN).get(), 0.0);
        assert_eq!(AnomalyScore::saturating(7.0).get(), 1.0);
    }
}
