//! Parsing Prometheus HTTP API responses into `aiops-core` series.
//!
//! The envelope is `{"status":"success"|"error","data":{...},"errorType":..,"error":..,"warnings":[..]}`.
//! A matrix result is parsed straight into timestamp and value vectors (no
//! intermediate JSON tree, sample values parsed from borrowed text), which is
//! what keeps a 1,000 x 1,000 result well under the 50 ms target.
//!
//! Sample values are strings in the API. `"NaN"` is a NaN sample; Prometheus
//! also writes its staleness marker (a NaN with a special bit pattern) as
//! `"NaN"` in raw-sample answers, so the two cannot be told apart here. Both
//! become missing points (NaN in [`TimeSeries`]) and are counted in
//! [`ConvertStats::nan_samples`]. `"+Inf"` and `"-Inf"` cannot be stored in a
//! [`TimeSeries`] (finite or missing only): they become missing points too,
//! counted in [`ConvertStats::infinite_samples`]. Nothing is dropped.

use std::fmt;

use aiops_core::{Labels, SeriesKey, TimeSeries, Timestamp};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, Result};

/// Counts of what the conversion turned into missing points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ConvertStats {
    /// Series in the result.
    pub series: usize,
    /// Samples in the result.
    pub samples: usize,
    /// `"NaN"` samples (NaN values and staleness markers): kept as missing points.
    pub nan_samples: usize,
    /// `"+Inf"`/`"-Inf"` samples: kept as missing points.
    pub infinite_samples: usize,
    /// Step-grid points with no sample (the series was absent or stale
    /// there), inserted as missing points by
    /// [`crate::RangeQuery::fill_gaps`]; 0 otherwise.
    pub absent_points: usize,
}

impl ConvertStats {
    /// Adds another result's counts.
    pub fn add(&mut self, other: &ConvertStats) {
        self.series += other.series;
        self.samples += other.samples;
        self.nan_samples += other.nan_samples;
        self.infinite_samples += other.infinite_samples;
        self.absent_points += other.absent_points;
    }

    /// Points that are missing in the converted series for any reason.
    pub fn missing(&self) -> usize {
        self.nan_samples + self.infinite_samples + self.absent_points
    }
}

/// One series of a matrix result, before validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawSeries {
    /// `__name__` (empty when the query dropped it, e.g. `rate(...)`).
    pub name: String,
    /// The other labels.
    pub labels: Labels,
    /// Sample times.
    pub timestamps: Vec<Timestamp>,
    /// Sample values; NaN for NaN, stale and infinite samples.
    pub values: Vec<f64>,
}

impl RawSeries {
    /// The series key: `__name__` (or `fallback_name` when it is absent) and the labels.
    pub fn key(&self, fallback_name: &str) -> SeriesKey {
        let name = if self.name.is_empty() {
            fallback_name
        } else {
            &self.name
        };
        SeriesKey::with_labels(name, self.labels.clone())
    }
}

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSample {
    /// `__name__` (empty when the query dropped it).
    pub name: String,
    /// The other labels.
    pub labels: Labels,
    /// Evaluation time.
    pub timestamp: Timestamp,
    /// The value (NaN for NaN and stale samples; infinities kept as such).
    pub value: f64,
}

/// The `data` of a successful query answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum QueryData {
    /// A range vector (`query_range`, or a range selector in `query`).
    Matrix(Vec<RawSeries>),
    /// An instant vector.
    Vector(Vec<VectorSample>),
    /// A scalar `(time, value)`.
    Scalar(Timestamp, f64),
    /// A string `(time, value)`.
    String(Timestamp, String),
}

impl QueryData {
    /// The API's name of the result type.
    pub fn result_type(&self) -> &'static str {
        match self {
            QueryData::Matrix(_) => "matrix",
            QueryData::Vector(_) => "vector",
            QueryData::Scalar(..) => "scalar",
            QueryData::String(..) => "string",
        }
    }
}

/// A parsed successful answer: data, warnings and conversion counts.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResponse {
    /// The result.
    pub data: QueryData,
    /// Warnings the server attached (`"warnings":[...]`).
    pub warnings: Vec<String>,
    /// NaN / infinite sample counts.
    pub stats: ConvertStats,
}

/// Parses a query answer body. `url` names the source in errors; `status`
/// is the HTTP status (an error envelope becomes [`Error::Api`]).
pub fn parse_response(body: &[u8], url: &str, status: u16) -> Result<QueryResponse> {
    if let Some(r) = fast_matrix(body) {
        return Ok(r);
    }
    let env: Envelope<'_> = serde_json::from_slice(body).map_err(|e| Error::Json {
        url: url.to_owned(),
        message: e.to_string(),
    })?;
    match env.status.as_ref() {
        "success" => {
            let Some(data) = env.data else {
                return Err(Error::Json {
                    url: url.to_owned(),
                    message: "`status` is success but `data` is missing".to_owned(),
                });
            };
            let mut stats = data.stats;
            stats.series = match &data.data {
                QueryData::Matrix(m) => m.len(),
                QueryData::Vector(v) => v.len(),
                _ => 1,
            };
            Ok(QueryResponse {
                data: data.data,
                warnings: env.warnings,
                stats,
            })
        }
        "error" => Err(Error::Api {
            url: url.to_owned(),
            status,
            error_type: env.error_type.unwrap_or_else(|| "unknown".to_owned()),
            message: env.error.unwrap_or_default(),
        }),
        other => Err(Error::Json {
            url: url.to_owned(),
            message: format!("unknown `status` {other:?}"),
        }),
    }
}

/// Converts a matrix result into validated series, keyed by `__name__`
/// (or `fallback_name`) and labels.
pub fn matrix_to_series(matrix: Vec<RawSeries>, fallback_name: &str) -> Result<Vec<TimeSeries>> {
    matrix
        .into_iter()
        .map(|s| {
            let key = s.key(fallback_name);
            Ok(TimeSeries::new(key, s.timestamps, s.values)?)
        })
        .collect()
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    status: std::borrow::Cow<'a, str>,
    #[serde(default)]
    data: Option<DataWithStats>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
}

struct DataWithStats {
    data: QueryData,
    stats: ConvertStats,
}

impl<'de> Deserialize<'de> for DataWithStats {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = DataWithStats;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a `data` object with `resultType` and `result`")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut result_type: Option<String> = None;
        let mut parsed: Option<DataWithStats> = None;
        // `result` before `resultType` (not what Prometheus writes, but valid
        // JSON): kept as a tree and parsed once the type is known.
        let mut deferred: Option<serde_json::Value> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "resultType" => result_type = Some(map.next_value()?),
                "result" => match result_type.as_deref() {
                    Some(t) => parsed = Some(map.next_value_seed(ResultSeed(t))?),
                    None => deferred = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(t) = result_type else {
            return Err(de::Error::missing_field("resultType"));
        };
        if let Some(p) = parsed {
            return Ok(p);
        }
        match deferred {
            Some(v) => {
                // Re-read from text so the fast path (borrowed raw values) applies.
                let text = serde_json::to_string(&v).map_err(de::Error::custom)?;
                let mut d = serde_json::Deserializer::from_str(&text);
                ResultSeed(&t)
                    .deserialize(&mut d)
                    .map_err(de::Error::custom)
            }
            None => Err(de::Error::missing_field("result")),
        }
    }
}

struct ResultSeed<'t>(&'t str);

impl<'de> DeserializeSeed<'de> for ResultSeed<'_> {
    type Value = DataWithStats;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        let mut stats = ConvertStats::default();
        let data = match self.0 {
            "matrix" => QueryData::Matrix(d.deserialize_seq(MatrixVisitor { stats: &mut stats })?),
            "vector" => QueryData::Vector(d.deserialize_seq(VectorVisitor { stats: &mut stats })?),
            "scalar" => {
                let (t, v) = Pair::deserialize(d)?.into_parts(&mut stats);
                QueryData::Scalar(t, v)
            }
            "string" => {
                let (t, s): (f64, String) = Deserialize::deserialize(d)?;
                QueryData::String(secs_to_ts(t).map_err(de::Error::custom)?, s)
            }
            other => {
                return Err(de::Error::custom(format!("unknown resultType {other:?}")));
            }
        };
        Ok(DataWithStats { data, stats })
    }
}

fn secs_to_ts(secs: f64) -> std::result::Result<Timestamp, String> {
    if secs.is_finite() && secs.abs() < 9.0e12 {
        Ok(Timestamp::from_millis((secs * 1000.0).round() as i64))
    } else {
        Err(format!("timestamp {secs} is out of range"))
    }
}

/// Parses a sample value string: numbers, `NaN`, `+Inf`, `-Inf`.
pub(crate) fn parse_value(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => s.parse::<f64>().ok(),
    }
}

/// A `[time, "value"]` pair.
struct Pair {
    t: Timestamp,
    v: f64,
}

impl Pair {
    fn into_parts(self, stats: &mut ConvertStats) -> (Timestamp, f64) {
        stats.samples += 1;
        if self.v.is_nan() {
            stats.nan_samples += 1;
        }
        (self.t, self.v)
    }
}

/// A sample value string parsed without allocating.
struct Value(f64);

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a sample value string (number, NaN, +Inf, -Inf)")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Value, E> {
                parse_value(s)
                    .map(Value)
                    .ok_or_else(|| E::custom(format!("invalid sample value {s:?}")))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for Pair {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pair;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a [unix_seconds, \"value\"] pair")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Pair, A::Error> {
                let t: f64 = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let v: Value = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(Pair {
                    t: secs_to_ts(t).map_err(de::Error::custom)?,
                    v: v.0,
                })
            }
        }
        d.deserialize_seq(V)
    }
}

/// The `metric` object: `__name__` and labels.
struct Metric {
    name: String,
    labels: Labels,
}

impl<'de> Deserialize<'de> for Metric {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metric;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a label object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Metric, A::Error> {
                let mut name = String::new();
                let mut labels = Labels::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    if k == "__name__" {
                        name = v;
                    } else {
                        labels.insert(k, v).map_err(de::Error::custom)?;
                    }
                }
                Ok(Metric { name, labels })
            }
        }
        d.deserialize_map(V)
    }
}

struct MatrixVisitor<'s> {
    stats: &'s mut ConvertStats,
}

impl<'de> Visitor<'de> for MatrixVisitor<'_> {
    type Value = Vec<RawSeries>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a matrix: [{\"metric\":{..},\"values\":[..]}, ..]")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(s) = seq.next_element_seed(SeriesSeed {
            stats: &mut *self.stats,
        })? {
            out.push(s);
        }
        Ok(out)
    }
}

struct SeriesSeed<'s> {
    stats: &'s mut ConvertStats,
}

impl<'de> DeserializeSeed<'de> for SeriesSeed<'_> {
    type Value = RawSeries;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for SeriesSeed<'_> {
    type Value = RawSeries;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a series object with `metric` and `values`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<RawSeries, A::Error> {
        let mut out = RawSeries::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "metric" => {
                    let m: Metric = map.next_value()?;
                    out.name = m.name;
                    out.labels = m.labels;
                }
                "values" => {
                    let raw: &'de serde_json::value::RawValue = map.next_value()?;
                    let text = raw.get();
                    // Rough capacity from the text length (about 30 bytes per sample).
                    let end = scan_values(text, &mut out, self.stats, text.len() / 30)
                        .map_err(de::Error::custom)?;
                    if text[end..].bytes().any(|c| !c.is_ascii_whitespace()) {
                        return Err(de::Error::custom("values: trailing data after the array"));
                    }
                }
                "histograms" => {
                    return Err(de::Error::custom(
                        "native histogram samples are not supported; query a float series \
                         (for example histogram_quantile(...) or rate(..._count[5m]))",
                    ));
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

struct VectorVisitor<'s> {
    stats: &'s mut ConvertStats,
}

impl<'de> Visitor<'de> for VectorVisitor<'_> {
    type Value = Vec<VectorSample>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a vector: [{\"metric\":{..},\"value\":[t, \"v\"]}, ..]")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        #[derive(Deserialize)]
        struct Item {
            metric: Metric,
            value: Option<Pair>,
            #[serde(default)]
            histogram: Option<IgnoredAny>,
        }
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            if item.histogram.is_some() {
                return Err(de::Error::custom(
                    "native histogram samples are not supported",
                ));
            }
            let Some(p) = item.value else {
                return Err(de::Error::missing_field("value"));
            };
            let (timestamp, value) = p.into_parts(self.stats);
            if value.is_infinite() {
                self.stats.infinite_samples += 1;
            }
            out.push(VectorSample {
                name: item.metric.name,
                labels: item.metric.labels,
                timestamp,
                value,
            });
        }
        Ok(out)
    }
}

/// Scans a `values` array (`[[1796325325.174,"0.5"],...]`) straight into
/// the series' vectors: the hot loop of a range query. Timestamps with at
/// most three decimals (what Prometheus writes) are read as exact integer
/// milliseconds; other number forms go through `f64`.
fn scan_values(
    s: &str,
    out: &mut RawSeries,
    stats: &mut ConvertStats,
    capacity: usize,
) -> std::result::Result<usize, String> {
    let b = s.as_bytes();
    let mut i = 0usize;
    let ws = |i: &mut usize| {
        while *i < b.len() && matches!(b[*i], b' ' | b'\n' | b'\r' | b'\t') {
            *i += 1;
        }
    };
    let expect = |i: &mut usize, c: u8| -> std::result::Result<(), String> {
        ws(i);
        if b.get(*i) == Some(&c) {
            *i += 1;
            Ok(())
        } else {
            Err(format!(
                "values: expected `{}` at byte {} of the array, found {:?}",
                char::from(c),
                *i,
                b.get(*i).map(|&x| char::from(x))
            ))
        }
    };
    expect(&mut i, b'[')?;
    ws(&mut i);
    if b.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    out.timestamps.reserve(capacity);
    out.values.reserve(capacity);
    loop {
        // The compact layout Prometheus writes, `[1796325325.174,"0.5"]`, in
        // one pass; anything else goes through the general steps below.
        if let Some((t, vstart, vend)) = compact_pair(b, i) {
            let text = s
                .get(vstart..vend)
                .ok_or("values: sample value is not valid text")?;
            let v = parse_value(text).ok_or_else(|| format!("invalid sample value {text:?}"))?;
            push_sample(out, stats, t, v);
            i = vend + 2;
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(b']') => break,
                _ => {}
            }
            ws(&mut i);
            match b.get(i) {
                Some(b',') => {
                    i += 1;
                    continue;
                }
                Some(b']') => break,
                other => {
                    return Err(format!(
                        "values: expected `,` or `]` at byte {i}, found {:?}",
                        other.map(|&x| char::from(x))
                    ));
                }
            }
        }
        expect(&mut i, b'[')?;
        ws(&mut i);
        let start = i;
        while i < b.len() && !matches!(b[i], b',' | b' ' | b'\n' | b'\r' | b'\t' | b']') {
            i += 1;
        }
        let t = parse_ts(&b[start..i])?;
        expect(&mut i, b',')?;
        expect(&mut i, b'"')?;
        let vstart = i;
        // An escape (`\"`) cannot be part of a number: the text up to the
        // first quote then fails to parse below, which is the right error.
        i += b[i..]
            .iter()
            .position(|&c| c == b'"')
            .ok_or("values: unterminated sample value")?;
        // Both ends are ASCII quotes, so this slice is on char boundaries.
        let text = s
            .get(vstart..i)
            .ok_or("values: sample value is not valid text")?;
        let v = parse_value(text).ok_or_else(|| format!("invalid sample value {text:?}"))?;
        i += 1;
        expect(&mut i, b']')?;
        push_sample(out, stats, t, v);
        ws(&mut i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b']') => break,
            other => {
                return Err(format!(
                    "values: expected `,` or `]` at byte {i}, found {:?}",
                    other.map(|&x| char::from(x))
                ));
            }
        }
    }
    Ok(i + 1)
}

/// Records one sample: NaN is counted as NaN (a stale marker or a NaN
/// value), an infinity is counted and kept as a missing (NaN) point.
fn push_sample(out: &mut RawSeries, stats: &mut ConvertStats, t: Timestamp, mut v: f64) {
    stats.samples += 1;
    if v.is_nan() {
        stats.nan_samples += 1;
    } else if v.is_infinite() {
        stats.infinite_samples += 1;
        v = f64::NAN;
    }
    out.timestamps.push(t);
    out.values.push(v);
}

/// One `[<secs>[.<1-3 digits>],"<value>"]` pair starting at `b[i]` with no
/// whitespace: the timestamp (exact milliseconds) and the byte range of the
/// value text, whose closing quote is at the range's end and is followed by
/// `]`. `None` for any other form (the caller's general steps then read, or
/// reject, the pair).
fn compact_pair(b: &[u8], i: usize) -> Option<(Timestamp, usize, usize)> {
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut k = i + 1;
    let mut secs: i64 = 0;
    let int_start = k;
    while let Some(&c) = b.get(k).filter(|c| c.is_ascii_digit()) {
        if k - int_start == 12 {
            return None;
        }
        secs = secs * 10 + i64::from(c - b'0');
        k += 1;
    }
    if k == int_start {
        return None;
    }
    let mut ms: i64 = 0;
    if b.get(k) == Some(&b'.') {
        k += 1;
        let frac_start = k;
        while let Some(&c) = b.get(k).filter(|c| c.is_ascii_digit()) {
            if k - frac_start == 3 {
                return None;
            }
            ms = ms * 10 + i64::from(c - b'0');
            k += 1;
        }
        match k - frac_start {
            0 => return None,
            1 => ms *= 100,
            2 => ms *= 10,
            _ => {}
        }
    }
    if b.get(k..k + 2) != Some(b",\"") {
        return None;
    }
    let vstart = k + 2;
    let vend = vstart + find_quote(b.get(vstart..)?)?;
    (b.get(vend + 1) == Some(&b']'))
        .then(|| (Timestamp::from_millis(secs * 1000 + ms), vstart, vend))
}

/// Index of the first `"` in `b`, eight bytes at a time.
fn find_quote(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const QUOTES: u64 = 0x2222_2222_2222_2222;
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ QUOTES;
        // A zero byte of `x` is a quote; the lowest flagged byte is exact.
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(base + (found.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"')
        .map(|p| base + p)
}

/// Unix seconds text to a timestamp: exact for `123` and `123.4`..`123.456`.
fn parse_ts(tok: &[u8]) -> std::result::Result<Timestamp, String> {
    let (int, frac, dot) = match tok.iter().position(|&c| c == b'.') {
        Some(p) => (&tok[..p], &tok[p + 1..], true),
        None => (tok, &tok[..0], false),
    };
    if !int.is_empty()
        && int.len() <= 12
        && frac.len() <= 3
        && (frac.is_empty() != dot)
        && int.iter().chain(frac).all(u8::is_ascii_digit)
    {
        let mut s: i64 = 0;
        for &c in int {
            s = s * 10 + i64::from(c - b'0');
        }
        let mut ms: i64 = 0;
        for k in 0..3 {
            ms = ms * 10 + frac.get(k).map_or(0, |&c| i64::from(c - b'0'));
        }
        return Ok(Timestamp::from_millis(s * 1000 + ms));
    }
    let text = std::str::from_utf8(tok).map_err(|e| e.to_string())?;
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("invalid timestamp {text:?}"))?;
    secs_to_ts(secs)
}

/// The fast path for the exact layout Prometheus writes for a matrix
/// without warnings: `{"status":"success","data":{"resultType":"matrix",
/// "result":[{"metric":{..},"values":[..]},..]}}`, in one pass over the
/// bytes. Anything else (another layout, warnings, a malformed sample)
/// returns `None` and the general parser, which reports errors precisely,
/// reads the body instead.
fn fast_matrix(body: &[u8]) -> Option<QueryResponse> {
    const HEAD: &[u8] = br#"{"status":"success","data":{"resultType":"matrix","result":["#;
    if !body.starts_with(HEAD) {
        return None;
    }
    // One UTF-8 check for the whole body; slices below are taken at ASCII
    // delimiters, so they stay valid `str`s without further checks.
    let text = std::str::from_utf8(body).ok()?;
    let b = text.as_bytes();
    let mut i = HEAD.len();
    if !b.starts_with(HEAD) {
        return None;
    }
    let mut stats = ConvertStats::default();
    let mut out = Vec::new();
    if b.get(i) == Some(&b']') {
        i += 1;
    } else {
        loop {
            const METRIC: &[u8] = br#"{"metric":"#;
            if !b[i..].starts_with(METRIC) {
                return None;
            }
            i += METRIC.len();
            let end = object_end(&b[i..])? + i;
            let m: Metric = serde_json::from_slice(&b[i..end]).ok()?;
            i = end;
            const VALUES: &[u8] = br#","values":"#;
            if !b[i..].starts_with(VALUES) {
                return None;
            }
            i += VALUES.len();
            let mut series = RawSeries {
                name: m.name,
                labels: m.labels,
                ..RawSeries::default()
            };
            // Series of one answer usually have the same length: the
            // previous one's is the capacity hint.
            let hint = out.last().map_or(0, |s: &RawSeries| s.values.len());
            i += scan_values(text.get(i..)?, &mut series, &mut stats, hint).ok()?;
            out.push(series);
            match b.get(i..i + 2)? {
                b"}," => i += 2,
                b"}]" => {
                    i += 2;
                    break;
                }
                _ => return None,
            }
        }
    }
    if b[i..]
        .iter()
        .filter(|c| !c.is_ascii_whitespace())
        .ne(b"}}".iter())
    {
        return None;
    }
    stats.series = out.len();
    Some(QueryResponse {
        data: QueryData::Matrix(out),
        warnings: Vec::new(),
        stats,
    })
}

/// The length up to and including the `}` that closes the object `b` starts with.
fn object_end(b: &[u8]) -> Option<usize> {
    if b.first() != Some(&b'{') {
        return None;
    }
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (k, &c) in b.iter().enumerate() {
        if in_str {
            if esc {
                esc = false;
            } else if c == b'\\' {
                esc = true;
            } else if c == b'"' {
                in_str = false;
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_quote_finds_the_first_quote_at_every_offset() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'7'; len];
                if at < len {
                    b[at] = b'"';
                    // A later quote must not win.
                    b.push(b'"');
                }
                let want = b.iter().position(|&c| c == b'"');
                assert_eq!(find_quote(&b), want, "len {len} at {at}");
            }
        }
    }

    #[test]
    fn compact_pairs_agree_with_the_general_timestamp_reader() {
        for (text, ms, value) in [
            (r#"[1796325325.174,"0.5"]"#, Some(1_796_325_325_174), "0.5"),
            (r#"[1796325325.1,"1e-3"]"#, Some(1_796_325_325_100), "1e-3"),
            (r#"[1796325325.17,"NaN"]"#, Some(1_796_325_325_170), "NaN"),
            (r#"[1796325325,"-Inf"]"#, Some(1_796_325_325_000), "-Inf"),
            (
                r#"[0,"12345678901234567890"]"#,
                Some(0),
                "12345678901234567890",
            ),
        ] {
            let b = text.as_bytes();
            let (t, vs, ve) = compact_pair(b, 0).unwrap();
            assert_eq!(Some(t.as_millis()), ms);
            assert_eq!(&text[vs..ve], value);
            let end = text.find(',').unwrap();
            assert_eq!(parse_ts(&b[1..end]).unwrap(), t);
        }
        // Other forms are left to the general steps.
        for text in [
            r#"[ 1796325325.174,"0.5"]"#,
            r#"[1796325325.1745,"0.5"]"#,
            r#"[1796325325.,"0.5"]"#,
            r#"[1796325325.174, "0.5"]"#,
            r#"[1796325325.174,"0.5" ]"#,
            r#"[-5,"0.5"]"#,
            r#"[1234567890123,"0.5"]"#,
            r#"[1796325325.174,"0.5"#,
            r#"[1796325325.174,0.5]"#,
        ] {
            assert!(compact_pair(text.as_bytes(), 0).is_none(), "{text}");
        }
    }
}
