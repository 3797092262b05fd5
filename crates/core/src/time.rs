//! Timestamps: milliseconds since the Unix epoch, UTC.

use std::fmt;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use crate::error::{Error, Result};

/// A point in time, in whole milliseconds since 1970-01-01T00:00:00Z.
///
/// Plain data (`Copy`, ordered, hashable) so it can sit in hot loops and in
/// checkpointed detector state. [`Timestamp::parse`] accepts the forms found in
/// operations data; [`Display`](fmt::Display) prints RFC 3339 in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct Timestamp(i64);

impl Timestamp {
    /// The epoch itself.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// A timestamp from milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// A timestamp from whole seconds since the epoch (saturating).
    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s.saturating_mul(1000))
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Seconds since the epoch, with the fractional part.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// This timestamp moved by `ms` milliseconds (saturating).
    pub const fn add_millis(self, ms: i64) -> Self {
        Timestamp(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self` (negative if `earlier` is later).
    pub const fn millis_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The current wall-clock time.
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp_millis())
    }

    /// Parses RFC 3339 (`2014-01-01T00:05:00Z`, any offset), the NAB form
    /// `2014-01-01 00:05:00` or `2014-01-01 00:05:00.000000` (taken as UTC),
    /// or a number of Unix seconds (`1388534700`, `1388534700.5`).
    ///
    /// # Errors
    /// [`Error::InvalidTimestamp`] for text of none of these forms,
    /// [`Error::TimestampOutOfRange`] for a number of seconds beyond +-8e12.
    pub fn parse(text: &str) -> Result<Self> {
        let s = text.trim();
        let err = || Error::InvalidTimestamp {
            value: text.to_owned(),
        };
        if s.is_empty() {
            return Err(err());
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(Timestamp(dt.timestamp_millis()));
        }
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
                return Ok(Timestamp(naive.and_utc().timestamp_millis()));
            }
        }
        if s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
            && let Ok(secs) = s.parse::<f64>()
        {
            // Unix seconds; reject values chrono cannot represent.
            if secs.is_finite() && secs.abs() < 8.0e12 {
                return Ok(Timestamp((secs * 1000.0).round() as i64));
            }
            return Err(Error::TimestampOutOfRange {
                value: text.to_owned(),
            });
        }
        Err(err())
    }

    /// RFC 3339 text in UTC with millisecond precision when needed
    /// (`2014-01-01T00:05:00Z`).
    pub fn to_rfc3339(self) -> String {
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            None => format!("{}ms", self.0),
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Timestamp::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_seconds_say_so() {
        assert!(matches!(
            Timestamp::parse("99999999999999"),
            Err(Error::TimestampOutOfRange { .. })
        ));
        assert!(matches!(
            Timestamp::parse("2014-13-01"),
            Err(Error::InvalidTimestamp { .. })
        ));
    }

    #[test]
    fn parses_the_common_forms() -> Result<()> {
        let a = Timestamp::parse("2014-01-01 00:05:00")?;
        assert_eq!(a, Timestamp::parse("2014-01-01T00:05:00Z")?);
        assert_eq!(a, Timestamp::parse("2014-01-01 00:05:00.000000")?);
        assert_eq!(a, Timestamp::parse("2014-01-01T01:05:00+01:00")?);
        assert_eq!(a, Timestamp::parse("1388534700")?);
        assert_eq!(a.to_rfc3339(), "2014-01-01T00:05:00Z");
        assert_eq!(
            Timestamp::from_millis(1_500).to_rfc3339(),
            "1970-01-01T00:00:01.500Z"
        );
        Ok(())
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "yesterday", "2014-13-01 00:00:00", "1e400", "--1"] {
            assert!(Timestamp::parse(bad).is_err(), "{bad}");
        }
    }
}
