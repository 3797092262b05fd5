//! The Prometheus HTTP API client: range and instant queries.

use std::collections::HashMap;
use std::time::Duration;

use aiops_core::{Observation, SeriesKey, TimeSeries, Timestamp};
use reqwest::{Method, Url};

use crate::api::{ConvertStats, QueryData, QueryResponse, RawSeries, VectorSample, parse_response};
use crate::error::{Error, Result};
use crate::http::{HttpConfig, Request, Transport, join, parse_base, shown_url, snippet};

/// Prometheus refuses a range query of more than 11,000 points per series.
pub const PROMETHEUS_MAX_POINTS: usize = 11_000;

/// A range query: PromQL, time range, resolution and conversion options.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    /// The PromQL expression.
    pub query: String,
    /// First evaluation time.
    pub start: Timestamp,
    /// Last evaluation time (inclusive).
    pub end: Timestamp,
    /// Resolution step in milliseconds (at least 1).
    pub step_ms: i64,
    /// Points per series per request; longer ranges are split into
    /// consecutive chunks (default 10,000, below Prometheus' 11,000 limit).
    pub max_points_per_request: usize,
    /// Insert a missing point (NaN) at every step of the range where a
    /// series has no sample (it was absent or stale there), counted in
    /// [`ConvertStats::absent_points`]. Default `true`: the orchestrator then
    /// sees and counts the gap instead of a silently shorter series.
    pub fill_gaps: bool,
    /// Server-side evaluation timeout sent as the `timeout` parameter.
    pub server_timeout: Option<Duration>,
    /// Most points the whole result may hold, over all chunks and series
    /// and with filled gaps (default 20 million, about 320 MB): beyond it
    /// the query fails with [`Error::TooManyPoints`] instead of exhausting
    /// memory. Each response body is also capped by
    /// [`HttpConfig::max_body_bytes`].
    pub max_total_points: usize,
}

impl RangeQuery {
    /// A query over `[start, end]` at `step_ms`, with the defaults above.
    pub fn new(query: impl Into<String>, start: Timestamp, end: Timestamp, step_ms: i64) -> Self {
        RangeQuery {
            query: query.into(),
            start,
            end,
            step_ms,
            max_points_per_request: 10_000,
            fill_gaps: true,
            server_timeout: None,
            max_total_points: 20_000_000,
        }
    }

    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        let bad = |what: &str, message: String| Error::Invalid {
            what: what.to_owned(),
            message,
        };
        if self.query.trim().is_empty() {
            return Err(bad("query", "is empty".to_owned()));
        }
        if self.step_ms < 1 {
            return Err(bad(
                "step_ms",
                format!("{} must be at least 1", self.step_ms),
            ));
        }
        if self.end < self.start {
            return Err(bad(
                "end",
                format!("{} is before start {}", self.end, self.start),
            ));
        }
        if self.max_points_per_request == 0 || self.max_points_per_request > PROMETHEUS_MAX_POINTS {
            return Err(bad(
                "max_points_per_request",
                format!(
                    "{} is not in 1..={PROMETHEUS_MAX_POINTS}",
                    self.max_points_per_request
                ),
            ));
        }
        Ok(())
    }

    /// The `[start, end]` sub-ranges requested, each at most
    /// `max_points_per_request` points per series.
    pub fn chunks(&self) -> Vec<(Timestamp, Timestamp)> {
        let span = (self.max_points_per_request as i64 - 1).saturating_mul(self.step_ms);
        let mut out = Vec::new();
        let mut s = self.start;
        loop {
            let e = s.add_millis(span).min(self.end);
            out.push((s, e));
            if e >= self.end {
                break;
            }
            s = e.add_millis(self.step_ms);
            if s > self.end {
                break;
            }
        }
        out
    }
}

/// The series of a range query and what the conversion counted.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeResult {
    /// One validated series per label set, in the order the server first returned them.
    pub series: Vec<TimeSeries>,
    /// NaN, infinite and absent point counts over all chunks.
    pub stats: ConvertStats,
    /// Server warnings.
    pub warnings: Vec<String>,
    /// Requests made (one per chunk).
    pub requests: usize,
}

/// An async client of the Prometheus HTTP API (`/api/v1/query_range`,
/// `/api/v1/query`). Cheap to clone; clones share the connection pool.
#[derive(Debug, Clone)]
pub struct PrometheusClient {
    base: Url,
    http: Transport,
}

impl PrometheusClient {
    /// A client for the Prometheus at `url` (`http://host:9090`, a path
    /// prefix is kept) with default HTTP settings.
    pub fn new(url: &str) -> Result<Self> {
        Self::with_config(url, HttpConfig::default())
    }

    /// A client with explicit HTTP settings.
    pub fn with_config(url: &str, config: HttpConfig) -> Result<Self> {
        Ok(PrometheusClient {
            base: parse_base(url)?,
            http: Transport::new(config)?,
        })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        self.base.as_str()
    }

    /// The HTTP settings.
    pub fn http_config(&self) -> &HttpConfig {
        self.http.config()
    }

    /// Runs a range query (split into chunks when long) and converts the
    /// matrix into series keyed by `__name__` and labels; a series without
    /// `__name__` (e.g. `rate(...)`) is named after the query.
    pub async fn query_range(&self, q: &RangeQuery) -> Result<RangeResult> {
        q.check()?;
        let mut order: Vec<RawSeries> = Vec::new();
        let mut index: HashMap<(String, aiops_core::Labels), usize> = HashMap::new();
        let mut stats = ConvertStats::default();
        let mut warnings = Vec::new();
        let chunks = q.chunks();
        let too_many = |points: usize| Error::TooManyPoints {
            query: q.query.clone(),
            points,
            limit: q.max_total_points,
        };
        for &(s, e) in &chunks {
            let mut params = vec![
                ("query", q.query.clone()),
                ("start", secs(s)),
                ("end", secs(e)),
                ("step", secs(Timestamp::from_millis(q.step_ms))),
            ];
            if let Some(t) = q.server_timeout {
                params.push(("timeout", format!("{}ms", t.as_millis())));
            }
            let resp = self.get("api/v1/query_range", &params).await?;
            stats.add(&resp.stats);
            if stats.samples > q.max_total_points {
                return Err(too_many(stats.samples));
            }
            warnings.extend(resp.warnings);
            let matrix = match resp.data {
                QueryData::Matrix(m) => m,
                other => {
                    return Err(Error::ResultType {
                        query: q.query.clone(),
                        expected: "matrix",
                        found: other.result_type().to_owned(),
                    });
                }
            };
            for raw in matrix {
                let k = (raw.name.clone(), raw.labels.clone());
                match index.get(&k) {
                    Some(&i) => {
                        let dst = &mut order[i];
                        dst.timestamps.extend(raw.timestamps);
                        dst.values.extend(raw.values);
                    }
                    None => {
                        index.insert(k, order.len());
                        order.push(raw);
                    }
                }
            }
        }
        stats.series = order.len();
        if q.fill_gaps {
            let grid =
                usize::try_from(q.end.millis_since(q.start) / q.step_ms + 1).unwrap_or(usize::MAX);
            let needed = order
                .iter()
                .map(|s| s.timestamps.len().max(grid))
                .fold(0usize, usize::saturating_add);
            if needed > q.max_total_points {
                return Err(too_many(needed));
            }
        }
        let mut series = Vec::with_capacity(order.len());
        for mut raw in order {
            if q.fill_gaps {
                stats.absent_points += fill_grid(&mut raw, q.start, q.end, q.step_ms);
            }
            let key = raw.key(&q.query);
            series.push(TimeSeries::new(key, raw.timestamps, raw.values)?);
        }
        Ok(RangeResult {
            series,
            stats,
            warnings,
            requests: chunks.len(),
        })
    }

    /// Runs an instant query that must return a vector (e.g. `up`).
    pub async fn query_vector(
        &self,
        query: &str,
        time: Option<Timestamp>,
    ) -> Result<Vec<VectorSample>> {
        match self.query(query, time).await?.data {
            QueryData::Vector(v) => Ok(v),
            other => Err(Error::ResultType {
                query: query.to_owned(),
                expected: "vector",
                found: other.result_type().to_owned(),
            }),
        }
    }

    /// Runs an instant query that must return a matrix (a range selector
    /// such as `up[5m]`: raw samples) and converts it into series.
    pub async fn query_matrix(
        &self,
        query: &str,
        time: Option<Timestamp>,
    ) -> Result<(Vec<TimeSeries>, ConvertStats)> {
        let resp = self.query(query, time).await?;
        match resp.data {
            QueryData::Matrix(m) => Ok((crate::api::matrix_to_series(m, query)?, resp.stats)),
            other => Err(Error::ResultType {
                query: query.to_owned(),
                expected: "matrix",
                found: other.result_type().to_owned(),
            }),
        }
    }

    /// Runs an instant query (`/api/v1/query`) and returns any result type.
    pub async fn query(&self, query: &str, time: Option<Timestamp>) -> Result<QueryResponse> {
        if query.trim().is_empty() {
            return Err(Error::Invalid {
                what: "query".to_owned(),
                message: "is empty".to_owned(),
            });
        }
        let mut params = vec![("query", query.to_owned())];
        if let Some(t) = time {
            params.push(("time", secs(t)));
        }
        self.get("api/v1/query", &params).await
    }

    async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<QueryResponse> {
        let mut url = join(&self.base, path)?;
        url.query_pairs_mut()
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        let shown = shown_url(&url);
        let answer = self
            .http
            .send(&Request {
                method: Method::GET,
                url,
                body: None,
            })
            .await?;
        match parse_response(&answer.body, &shown, answer.status) {
            Ok(r) if (200..300).contains(&answer.status) => Ok(r),
            Ok(_) | Err(Error::Json { .. }) if !(200..300).contains(&answer.status) => {
                Err(Error::Http {
                    url: shown,
                    status: answer.status,
                    attempts: answer.attempts,
                    body: snippet(&answer.body),
                })
            }
            other => other,
        }
    }
}

/// Unix seconds with millisecond precision, as the API takes them.
fn secs(t: Timestamp) -> String {
    let ms = t.as_millis();
    let (s, frac) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    if frac == 0 {
        s.to_string()
    } else {
        format!("{s}.{frac:03}")
    }
}

/// Inserts NaN at every grid point of `[start, end]` (by `step_ms`) where
/// the series has no sample; samples off the grid are kept. Returns the
/// number of points inserted.
pub(crate) fn fill_grid(
    raw: &mut RawSeries,
    start: Timestamp,
    end: Timestamp,
    step_ms: i64,
) -> usize {
    let n_grid = usize::try_from(end.millis_since(start) / step_ms + 1).unwrap_or(0);
    if raw.timestamps.len() >= n_grid
        && raw.timestamps.first() == Some(&start)
        && raw
            .timestamps
            .windows(2)
            .all(|w| w[1].millis_since(w[0]) == step_ms)
    {
        return 0;
    }
    let mut ts = Vec::with_capacity(n_grid.max(raw.timestamps.len()));
    let mut vs = Vec::with_capacity(ts.capacity());
    let mut inserted = 0;
    let mut i = 0;
    let mut g = start;
    while g <= end {
        while i < raw.timestamps.len() && raw.timestamps[i] < g {
            ts.push(raw.timestamps[i]);
            vs.push(raw.values[i]);
            i += 1;
        }
        if i < raw.timestamps.len() && raw.timestamps[i] == g {
            ts.push(g);
            vs.push(raw.values[i]);
            i += 1;
        } else {
            ts.push(g);
            vs.push(f64::NAN);
            inserted += 1;
        }
        g = g.add_millis(step_ms);
    }
    ts.extend_from_slice(&raw.timestamps[i..]);
    vs.extend_from_slice(&raw.values[i..]);
    raw.timestamps = ts;
    raw.values = vs;
    inserted
}

/// Streams a PromQL query: first a history range, then, on each
/// [`RangeStream::poll`], the new points since the last evaluation time.
///
/// Evaluation times are aligned to multiples of the step, so every poll
/// continues the same grid. Each poll ends `lag` behind the wall clock so
/// the last point is evaluated once the scrapes it needs have landed.
/// Within a batch observations are sorted by time (then by series), and a
/// series never goes back in time across batches.
#[derive(Debug)]
pub struct RangeStream {
    client: PrometheusClient,
    query: String,
    step_ms: i64,
    lag_ms: i64,
    history_ms: i64,
    fill_gaps: bool,
    next_start: Option<Timestamp>,
    last_seen: HashMap<SeriesKey, Timestamp>,
    stats: ConvertStats,
    polls: usize,
}

impl RangeStream {
    /// A stream of `query` at `step_ms`, starting with `history_ms` of history.
    /// The lag defaults to one step.
    pub fn new(
        client: PrometheusClient,
        query: impl Into<String>,
        step_ms: i64,
        history_ms: i64,
    ) -> Result<Self> {
        let query = query.into();
        if step_ms < 1 {
            return Err(Error::Invalid {
                what: "step_ms".to_owned(),
                message: format!("{step_ms} must be at least 1"),
            });
        }
        if history_ms < 0 {
            return Err(Error::Invalid {
                what: "history_ms".to_owned(),
                message: format!("{history_ms} must not be negative"),
            });
        }
        Ok(RangeStream {
            client,
            query,
            step_ms,
            lag_ms: step_ms,
            history_ms,
            fill_gaps: true,
            next_start: None,
            last_seen: HashMap::new(),
            stats: ConvertStats::default(),
            polls: 0,
        })
    }

    /// How far behind `now` each poll ends (milliseconds, default one step).
    pub fn with_lag(mut self, lag_ms: i64) -> Self {
        self.lag_ms = lag_ms.max(0);
        self
    }

    /// See [`RangeQuery::fill_gaps`] (default `true`).
    pub fn with_fill_gaps(mut self, fill: bool) -> Self {
        self.fill_gaps = fill;
        self
    }

    /// The query.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Counts over every poll so far.
    pub fn stats(&self) -> &ConvertStats {
        &self.stats
    }

    /// Polls made so far (the history counts as the first).
    pub fn polls(&self) -> usize {
        self.polls
    }

    /// The next observations up to `now - lag`: the history range on the
    /// first call, the points since the previous call afterwards (empty
    /// when no new step has passed).
    pub async fn poll(&mut self, now: Timestamp) -> Result<Vec<Observation>> {
        let step = self.step_ms;
        let end = Timestamp::from_millis(
            now.add_millis(-self.lag_ms).as_millis().div_euclid(step) * step,
        );
        let start = match self.next_start {
            Some(s) => s,
            None => Timestamp::from_millis(
                end.add_millis(-self.history_ms)
                    .as_millis()
                    .div_euclid(step)
                    * step,
            ),
        };
        self.polls += 1;
        if end < start {
            return Ok(Vec::new());
        }
        let mut q = RangeQuery::new(self.query.clone(), start, end, step);
        q.fill_gaps = self.fill_gaps;
        let result = self.client.query_range(&q).await?;
        self.stats.add(&result.stats);
        self.next_start = Some(end.add_millis(step));
        let mut out = Vec::new();
        for s in result.series {
            let last = self.last_seen.get(s.key()).copied();
            let mut newest = last;
            for o in s.observations() {
                if last.is_some_and(|l| o.timestamp <= l) {
                    continue;
                }
                newest = Some(o.timestamp);
                out.push(o);
            }
            if let Some(t) = newest {
                self.last_seen.insert(s.key().clone(), t);
            }
        }
        out.sort_by(|a, b| {
            a.timestamp
                .cmp(&b.timestamp)
                .then_with(|| a.key.cmp(&b.key))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_range_without_overlap() {
        let mut q = RangeQuery::new(
            "up",
            Timestamp::from_secs(0),
            Timestamp::from_secs(100),
            1000,
        );
        q.max_points_per_request = 30;
        let c = q.chunks();
        assert_eq!(c.len(), 4);
        assert_eq!(c[0], (Timestamp::from_secs(0), Timestamp::from_secs(29)));
        assert_eq!(c[1].0, Timestamp::from_secs(30));
        assert_eq!(c[3], (Timestamp::from_secs(90), Timestamp::from_secs(100)));
        let points: i64 = c.iter().map(|(s, e)| e.millis_since(*s) / 1000 + 1).sum();
        assert_eq!(points, 101);
        q.max_points_per_request = 11_001;
        assert!(q.check().is_err());
        q.max_points_per_request = 10;
        q.step_ms = 0;
        assert!(q.check().is_err());
    }

    #[test]
    fn grid_filling_counts_inserted_points() {
        let mut raw = RawSeries {
            timestamps: vec![Timestamp::from_secs(1), Timestamp::from_secs(4)],
            values: vec![1.0, 4.0],
            ..RawSeries::default()
        };
        let n = fill_grid(
            &mut raw,
            Timestamp::from_secs(0),
            Timestamp::from_secs(5),
            1000,
        );
        assert_eq!(n, 4);
        assert_eq!(raw.timestamps.len(), 6);
        assert_eq!(raw.values[1], 1.0);
        assert_eq!(raw.values[4], 4.0);
        assert!(raw.values[0].is_nan() && raw.values[5].is_nan());
    }

    #[test]
    fn seconds_are_formatted_exactly() {
        assert_eq!(
            secs(Timestamp::from_millis(1_700_000_000_123)),
            "1700000000.123"
        );
        assert_eq!(secs(Timestamp::from_millis(5_000)), "5");
        assert_eq!(secs(Timestamp::from_millis(50)), "0.050");
    }
}
