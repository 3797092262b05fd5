//! Time series, their keys and single observations.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};
use crate::time::Timestamp;

/// Label set of a series, ordered by name so keys compare and hash stably.
///
/// Names follow the Prometheus rule `[a-zA-Z_][a-zA-Z0-9_]*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Labels(BTreeMap<String, String>);

impl Labels {
    /// An empty label set.
    pub fn new() -> Self {
        Labels(BTreeMap::new())
    }

    /// Adds or replaces a label, checking the name.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<()> {
        let name = name.into();
        if !valid_label_name(&name) {
            return Err(Error::InvalidLabelName(name));
        }
        self.0.insert(name, value.into());
        Ok(())
    }

    /// Builder form of [`Labels::insert`].
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Result<Self> {
        self.insert(name, value)?;
        Ok(self)
    }

    /// The value of a label.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// Iterates over `(name, value)` in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no labels.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    match bytes.next() {
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        _ => return false,
    }
    bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Identity of a series: a metric (or resource) name plus labels.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SeriesKey {
    name: String,
    labels: Labels,
}

impl SeriesKey {
    /// A key with a name and no labels.
    pub fn new(name: impl Into<String>) -> Self {
        SeriesKey {
            name: name.into(),
            labels: Labels::new(),
        }
    }

    /// A key with a name and labels.
    pub fn with_labels(name: impl Into<String>, labels: Labels) -> Self {
        SeriesKey {
            name: name.into(),
            labels,
        }
    }

    /// The metric or resource name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The labels.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }
}

impl fmt::Display for SeriesKey {
    /// Prometheus-like: `name{a="1",b="2"}`, or just `name` without labels.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.labels.is_empty() {
            f.write_str("{")?;
            for (i, (k, v)) in self.labels.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{k}={v:?}")?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}

/// One value of one series at one time. A NaN value is a missing point.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Observation {
    /// The series it belongs to.
    pub key: SeriesKey,
    /// When it was observed.
    pub timestamp: Timestamp,
    /// The value; NaN when the point is missing.
    pub value: f64,
}

impl Observation {
    /// True when the value is missing (NaN).
    pub fn is_missing(&self) -> bool {
        self.value.is_nan()
    }
}

/// A validated time series: strictly increasing timestamps and one value per
/// timestamp. NaN values are missing points (kept, counted, never dropped);
/// infinite values are rejected.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TimeSeries {
    key: SeriesKey,
    timestamps: Vec<Timestamp>,
    values: Vec<f64>,
}

impl TimeSeries {
    /// Builds a series, checking lengths, order and finiteness.
    pub fn new(key: SeriesKey, timestamps: Vec<Timestamp>, values: Vec<f64>) -> Result<Self> {
        if timestamps.len() != values.len() {
            return Err(Error::LengthMismatch {
                series: key.to_string(),
                timestamps: timestamps.len(),
                values: values.len(),
            });
        }
        for (i, w) in timestamps.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(Error::Unsorted {
                    series: key.to_string(),
                    index: i + 1,
                    previous: w[0].to_string(),
                    current: w[1].to_string(),
                });
            }
        }
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| v.is_infinite()) {
            return Err(Error::NonFinite {
                series: key.to_string(),
                index,
                value,
            });
        }
        Ok(TimeSeries {
            key,
            timestamps,
            values,
        })
    }

    /// The series' key.
    pub fn key(&self) -> &SeriesKey {
        &self.key
    }

    /// Timestamps, strictly increasing.
    pub fn timestamps(&self) -> &[Timestamp] {
        &self.timestamps
    }

    /// Values; NaN marks a missing point.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Number of points, missing ones included.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when the series has no points.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of missing (NaN) points.
    pub fn missing_count(&self) -> usize {
        self.values.iter().filter(|v| v.is_nan()).count()
    }

    /// The most common spacing between consecutive timestamps, in
    /// milliseconds (`None` with fewer than two points).
    pub fn typical_step_millis(&self) -> Option<i64> {
        let mut steps: Vec<i64> = self
            .timestamps
            .windows(2)
            .map(|w| w[1].millis_since(w[0]))
            .collect();
        if steps.is_empty() {
            return None;
        }
        steps.sort_unstable();
        let (mut best, mut best_n, mut run_v, mut run_n) = (steps[0], 0usize, steps[0], 0usize);
        for &s in &steps {
            if s == run_v {
                run_n += 1;
            } else {
                run_v = s;
                run_n = 1;
            }
            if run_n > best_n {
                best = run_v;
                best_n = run_n;
            }
        }
        Some(best)
    }

    /// Number of gaps: consecutive timestamps more than 1.5 typical steps apart.
    pub fn gap_count(&self) -> usize {
        let Some(step) = self.typical_step_millis() else {
            return 0;
        };
        self.timestamps
            .windows(2)
            .filter(|w| w[1].millis_since(w[0]) * 2 > step * 3)
            .count()
    }

    /// Iterates over the points as observations.
    pub fn observations(&self) -> impl Iterator<Item = Observation> + '_ {
        self.timestamps
            .iter()
            .zip(&self.values)
            .map(|(&timestamp, &value)| Observation {
                key: self.key.clone(),
                timestamp,
                value,
            })
    }

    /// Consumes the series into its parts.
    pub fn into_parts(self) -> (SeriesKey, Vec<Timestamp>, Vec<f64>) {
        (self.key, self.timestamps, self.values)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for TimeSeries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            key: SeriesKey,
            timestamps: Vec<Timestamp>,
            values: Vec<Option<f64>>,
        }
        let raw = Raw::deserialize(d)?;
        let values = raw
            .values
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect();
        TimeSeries::new(raw.key, raw.timestamps, values).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(v: &[i64]) -> Vec<Timestamp> {
        v.iter().map(|&s| Timestamp::from_secs(s)).collect()
    }

    #[test]
    fn validates_shape() {
        let k = SeriesKey::new("m");
        assert!(matches!(
            TimeSeries::new(k.clone(), ts(&[1, 2]), vec![1.0]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            TimeSeries::new(k.clone(), ts(&[1, 1]), vec![1.0, 2.0]),
            Err(Error::Unsorted { index: 1, .. })
        ));
        assert!(matches!(
            TimeSeries::new(k.clone(), ts(&[1, 2]), vec![1.0, f64::INFINITY]),
            Err(Error::NonFinite { index: 1, .. })
        ));
        let s = TimeSeries::new(k, ts(&[0, 60, 120, 300]), vec![1.0, f64::NAN, 2.0, 3.0]);
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.missing_count(), 1);
        assert_eq!(s.typical_step_millis(), Some(60_000));
        assert_eq!(s.gap_count(), 1);
    }

    #[test]
    fn labels_check_names_and_display() {
        let l = Labels::new()
            .with("host", "a")
            .and_then(|l| l.with("dc", "x"));
        let l = l.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            SeriesKey::with_labels("cpu", l).to_string(),
            r#"cpu{dc="x",host="a"}"#
        );
        assert!(Labels::new().with("1x", "v").is_err());
        assert!(Labels::new().with("", "v").is_err());
    }
}
