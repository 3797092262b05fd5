//! The Numenta Anomaly Benchmark (NAB v1.1) scoring algorithm, in Rust.
//!
//! This is a port of NAB's `sweeper.py`, `optimizer.py` and the normalisation
//! in `runner.py`:
//!
//! * Each data file has labelled anomaly windows. The first
//!   `min(floor(0.15 n), 750)` rows of a file (the probationary period) are
//!   not scored.
//! * A row with an anomaly score `>= threshold` is a detection. Inside a
//!   window it is worth `tp_weight * σ(p) / σ(-1)` where
//!   `σ(y) = 2 / (1 + e^(5y)) - 1` and `p = -(right - i + 1) / width` is the
//!   position relative to the window's end; only the earliest (highest valued)
//!   detection of a window counts. Outside windows a detection costs
//!   `fp_weight * σ(|i - prev_right| / (prev_width - 1))` after a window
//!   (`-1` once more than three window widths past it) and `-fp_weight`
//!   before any window.
//! * A window with no detection costs `-fn_weight`.
//! * One threshold per detector and profile is chosen by sweeping every
//!   distinct score over the whole corpus ([`optimize_threshold`]).
//! * Scores are normalised as `100 (S - S_null) / (S_perfect - S_null)`,
//!   with `S_null = -fn_weight * windows` and `S_perfect = tp_weight * windows`.
//!
//! [`Corpus::load`] reads the corpus layout of the NAB repository
//! (`data/`, `labels/combined_windows.json`, `config/`), and
//! [`read_result_scores`] / [`write_result_file`] read and write NAB result
//! files (`timestamp,value,anomaly_score,label`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use aiops_core::Timestamp;

use crate::error::{Error, Result};

/// NAB's scaled sigmoid: `2 / (1 + e^(5y)) - 1`, and `-1` for `y > 3`.
pub fn scaled_sigmoid(y: f64) -> f64 {
    if y > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * y).exp()) - 1.0
    }
}

/// The length of the probationary period of a file of `n` rows:
/// `min(floor(0.15 n), 750)`.
pub fn probationary_length(n: usize) -> usize {
    ((0.15 * n as f64).floor() as usize).min(750)
}

/// The weights of one NAB application profile (`config/profiles.json`).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Profile {
    /// Profile name (`standard`, `reward_low_FP_rate`, `reward_low_FN_rate`).
    pub name: String,
    /// Weight of a true positive (an detected window).
    pub tp_weight: f64,
    /// Weight of a false positive.
    pub fp_weight: f64,
    /// Weight of a missed window.
    pub fn_weight: f64,
}

impl Profile {
    /// The standard profile (tp 1, fp 0.11, fn 1).
    pub fn standard() -> Self {
        Profile {
            name: "standard".into(),
            tp_weight: 1.0,
            fp_weight: 0.11,
            fn_weight: 1.0,
        }
    }

    /// The profile rewarding a low false-positive rate (tp 1, fp 0.22, fn 1).
    pub fn reward_low_fp_rate() -> Self {
        Profile {
            name: "reward_low_FP_rate".into(),
            tp_weight: 1.0,
            fp_weight: 0.22,
            fn_weight: 1.0,
        }
    }

    /// The profile rewarding a low false-negative rate (tp 1, fp 0.11, fn 2).
    pub fn reward_low_fn_rate() -> Self {
        Profile {
            name: "reward_low_FN_rate".into(),
            tp_weight: 1.0,
            fp_weight: 0.11,
            fn_weight: 2.0,
        }
    }

    /// The three NAB profiles in the order standard, low FP, low FN.
    pub fn all() -> Vec<Profile> {
        vec![
            Profile::standard(),
            Profile::reward_low_fp_rate(),
            Profile::reward_low_fn_rate(),
        ]
    }
}

/// Reads `config/profiles.json` (profiles in the order standard, low FP, low FN
/// when present, then any others by name).
pub fn load_profiles(path: impl AsRef<Path>) -> Result<Vec<Profile>> {
    let path = path.as_ref();
    let value = read_json(path)?;
    let obj = value
        .as_object()
        .ok_or_else(|| Error::nab(path, "expected a JSON object of profiles"))?;
    let mut out = Vec::new();
    for (name, body) in obj {
        let cm = body
            .get("CostMatrix")
            .ok_or_else(|| Error::nab(path, format!("profile {name:?}: no CostMatrix")))?;
        let w = |key: &str| -> Result<f64> {
            cm.get(key)
                .and_then(serde_json::Value::as_f64)
                .ok_or_else(|| {
                    Error::nab(
                        path,
                        format!("profile {name:?}: {key} missing or not a number"),
                    )
                })
        };
        out.push(Profile {
            name: name.clone(),
            tp_weight: w("tpWeight")?,
            fp_weight: w("fpWeight")?,
            fn_weight: w("fnWeight")?,
        });
    }
    let rank = |n: &str| match n {
        "standard" => 0,
        "reward_low_FP_rate" => 1,
        "reward_low_FN_rate" => 2,
        _ => 3,
    };
    out.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Reads the threshold of `detector` for each profile from `config/thresholds.json`.
pub fn load_thresholds(path: impl AsRef<Path>, detector: &str) -> Result<BTreeMap<String, f64>> {
    let path = path.as_ref();
    let value = read_json(path)?;
    let det = value
        .get(detector)
        .and_then(serde_json::Value::as_object)
        .ok_or_else(|| Error::nab(path, format!("no thresholds for detector {detector:?}")))?;
    let mut out = BTreeMap::new();
    for (profile, body) in det {
        let t = body
            .get("threshold")
            .and_then(serde_json::Value::as_f64)
            .ok_or_else(|| Error::nab(path, format!("{detector}/{profile}: threshold missing")))?;
        out.insert(profile.clone(), t);
    }
    Ok(out)
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::nab(path, format!("invalid JSON: {e}")))
}

/// One data file of the corpus with its labelled windows.
#[derive(Debug, Clone)]
pub struct CorpusFile {
    /// Path relative to `data/`, e.g. `realKnownCause/nyc_taxi.csv`.
    pub relative: String,
    /// Timestamps in file order (a few NAB files repeat or step back at a
    /// daylight-saving change; rows are kept as in the file).
    pub timestamps: Vec<Timestamp>,
    /// Values (NaN = missing).
    pub values: Vec<f64>,
    /// Labelled windows as inclusive row-index ranges `(left, right)`.
    pub windows: Vec<(usize, usize)>,
}

impl CorpusFile {
    /// Category directory (`realKnownCause`).
    pub fn category(&self) -> &str {
        self.relative.split('/').next().unwrap_or("")
    }

    /// File name without directory and extension (`nyc_taxi`).
    pub fn stem(&self) -> &str {
        let base = self.relative.rsplit('/').next().unwrap_or(&self.relative);
        base.strip_suffix(".csv").unwrap_or(base)
    }

    /// Whether row `i` lies inside a labelled window (NAB's `label` column).
    pub fn label(&self, i: usize) -> bool {
        self.windows.iter().any(|&(l, r)| l <= i && i <= r)
    }
}

/// The NAB corpus: every data file listed in `labels/combined_windows.json`,
/// in the (sorted) order of that file.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Root directory of the corpus.
    pub root: PathBuf,
    /// Data files in sorted order of their relative path.
    pub files: Vec<CorpusFile>,
}

impl Corpus {
    /// Loads the corpus at `root` (the NAB repository layout).
    pub fn load(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().to_owned();
        let labels_path = root.join("labels").join("combined_windows.json");
        let value = read_json(&labels_path)?;
        let obj = value
            .as_object()
            .ok_or_else(|| Error::nab(&labels_path, "expected an object of files"))?;
        let mut files = Vec::with_capacity(obj.len());
        for (relative, wins) in obj {
            let data_path = root.join("data").join(relative);
            let (timestamps, values) = read_data_file(&data_path)?;
            let list = wins.as_array().ok_or_else(|| {
                Error::nab(&labels_path, format!("{relative}: windows are not a list"))
            })?;
            let mut windows = Vec::with_capacity(list.len());
            for w in list {
                let pair = w.as_array().filter(|a| a.len() == 2).ok_or_else(|| {
                    Error::nab(
                        &labels_path,
                        format!("{relative}: a window is not [start, end]"),
                    )
                })?;
                let mut ends = [Timestamp::EPOCH; 2];
                for (k, e) in pair.iter().enumerate() {
                    let text = e.as_str().ok_or_else(|| {
                        Error::nab(
                            &labels_path,
                            format!("{relative}: window bound is not a string"),
                        )
                    })?;
                    ends[k] = Timestamp::parse(text).map_err(|e| {
                        Error::nab(
                            &labels_path,
                            format!("{relative}: window bound {text:?}: {e}"),
                        )
                    })?;
                }
                // NAB takes the first row equal to each bound (rows in file
                // order; a few NAB files are not sorted).
                let ts = &timestamps;
                let find = |b: Timestamp| ts.iter().position(|t| *t == b);
                let (Some(left), Some(right)) = (find(ends[0]), find(ends[1])) else {
                    return Err(Error::nab(
                        &labels_path,
                        format!(
                            "{relative}: window bound [{}, {}] is not a row timestamp",
                            ends[0], ends[1]
                        ),
                    ));
                };
                if left > right {
                    return Err(Error::nab(
                        &labels_path,
                        format!(
                            "{relative}: window [{}, {}] ends before it starts",
                            ends[0], ends[1]
                        ),
                    ));
                }
                windows.push((left, right));
            }
            files.push(CorpusFile {
                relative: relative.clone(),
                timestamps,
                values,
                windows,
            });
        }
        files.sort_by(|a, b| a.relative.cmp(&b.relative));
        Ok(Corpus { root, files })
    }

    /// Total number of labelled windows.
    pub fn window_count(&self) -> usize {
        self.files.iter().map(|f| f.windows.len()).sum()
    }

    /// Total number of rows.
    pub fn row_count(&self) -> usize {
        self.files.iter().map(|f| f.timestamps.len()).sum()
    }
}

/// Where a row sits for scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowTag {
    /// In the probationary period: not scored.
    Probationary,
    /// Outside every window: a detection is a false positive.
    Outside,
    /// Inside the window with this corpus-wide index.
    Window(u32),
}

/// A row prepared for scoring: its anomaly score, its unweighted sweep value
/// (the scaled sigmoid) and where it sits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepRow {
    /// The detector's anomaly score.
    pub score: f64,
    /// Unweighted value of a detection at this row (`σ` of its position).
    pub unweighted: f64,
    /// Where the row sits.
    pub tag: RowTag,
}

impl SweepRow {
    /// The value of a detection at this row under `profile`.
    pub fn weighted(&self, profile: &Profile) -> f64 {
        match self.tag {
            RowTag::Window(_) => self.unweighted * profile.tp_weight / scaled_sigmoid(-1.0),
            _ => self.unweighted * profile.fp_weight,
        }
    }
}

/// Port of NAB's `Sweeper.calcSweepScore`: tags every row of one file and
/// computes its unweighted value. `windows` are inclusive row ranges in
/// increasing order; window `k` of this file gets tag `first_window + k`.
pub fn sweep_rows(scores: &[f64], windows: &[(usize, usize)], first_window: u32) -> Vec<SweepRow> {
    let n = scores.len();
    let probation = probationary_length(n);
    let mut out = Vec::with_capacity(n);
    let mut next = 0usize;
    let mut cur: Option<(usize, usize, u32)> = None;
    let mut prev: Option<(usize, f64)> = None; // (right index, width)
    for (i, &score) in scores.iter().enumerate() {
        if cur.is_none() && next < windows.len() && windows[next].0 == i {
            let (l, r) = windows[next];
            cur = Some((l, r, first_window + next as u32));
            next += 1;
        }
        let (unweighted, tag) = match cur {
            Some((l, r, id)) => {
                let width = (r - l + 1) as f64;
                let pos = -((r as f64 - i as f64 + 1.0) / width);
                (scaled_sigmoid(pos), RowTag::Window(id))
            }
            None => match prev {
                None => (-1.0, RowTag::Outside),
                Some((pr, pw)) => {
                    let denom = pw - 1.0;
                    let pos = if denom > 0.0 {
                        (i as f64 - pr as f64).abs() / denom
                    } else {
                        f64::INFINITY
                    };
                    (scaled_sigmoid(pos), RowTag::Outside)
                }
            },
        };
        let tag = if i >= probation {
            tag
        } else {
            RowTag::Probationary
        };
        out.push(SweepRow {
            score,
            unweighted,
            tag,
        });
        if let Some((l, r, _)) = cur
            && i == r
        {
            prev = Some((r, (r - l + 1) as f64));
            cur = None;
        }
    }
    out
}

/// Counts of one scoring run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    /// Raw NAB score (sum of window values and false-positive costs).
    pub score: f64,
    /// Scored rows inside windows at or above the threshold.
    pub tp: usize,
    /// Scored rows outside windows at or above the threshold.
    pub fp: usize,
    /// Windows with at least one detection.
    pub detected_windows: usize,
    /// Windows that hold a scored row.
    pub windows: usize,
}

/// Port of NAB's `Sweeper.scoreDataSet` over any set of rows: the raw score
/// with detections at `score >= threshold`.
pub fn score_at_threshold(rows: &[SweepRow], threshold: f64, profile: &Profile) -> Tally {
    let mut best: BTreeMap<u32, Option<f64>> = BTreeMap::new();
    let mut fp_sum = 0.0;
    let mut t = Tally::default();
    for row in rows {
        match row.tag {
            RowTag::Probationary => {}
            RowTag::Outside => {
                if row.score >= threshold {
                    fp_sum += row.weighted(profile);
                    t.fp += 1;
                }
            }
            RowTag::Window(id) => {
                let e = best.entry(id).or_insert(None);
                if row.score >= threshold {
                    t.tp += 1;
                    let w = row.weighted(profile);
                    *e = Some(e.map_or(w, |b| b.max(w)));
                }
            }
        }
    }
    t.windows = best.len();
    let mut total = fp_sum;
    for v in best.values() {
        match v {
            Some(w) => {
                total += w;
                t.detected_windows += 1;
            }
            None => total -= profile.fn_weight,
        }
    }
    t.score = total;
    t
}

/// Port of NAB's `Sweeper.calcScoreByThreshold` + `optimizeThreshold`:
/// sweeps every distinct score of `rows` from the highest down and returns
/// the threshold with the best raw score (the first, i.e. highest, threshold
/// among ties) and that score.
pub fn optimize_threshold(rows: &[SweepRow], profile: &Profile) -> (f64, f64) {
    let mut scorable: Vec<&SweepRow> = rows
        .iter()
        .filter(|r| r.tag != RowTag::Probationary)
        .collect();
    scorable.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut window_best: BTreeMap<u32, f64> = BTreeMap::new();
    for r in &scorable {
        if let RowTag::Window(id) = r.tag {
            window_best.insert(id, -profile.fn_weight);
        }
    }
    let mut total: f64 = -profile.fn_weight * window_best.len() as f64;
    let mut cur_threshold = 1.1;
    let mut best = (cur_threshold, total);
    for r in scorable {
        if r.score != cur_threshold {
            if total > best.1 {
                best = (cur_threshold, total);
            }
            cur_threshold = r.score;
        }
        let w = r.weighted(profile);
        match r.tag {
            RowTag::Outside => total += w,
            RowTag::Window(id) => {
                if let Some(b) = window_best.get_mut(&id)
                    && w > *b
                {
                    total += w - *b;
                    *b = w;
                }
            }
            RowTag::Probationary => {}
        }
    }
    if total > best.1 {
        best = (cur_threshold, total);
    }
    best
}

/// `100 (raw - null) / (perfect - null)` for a corpus of `windows` windows.
pub fn normalise(raw: f64, windows: usize, profile: &Profile) -> f64 {
    let null = -profile.fn_weight * windows as f64;
    let perfect = profile.tp_weight * windows as f64;
    100.0 * (raw - null) / (perfect - null)
}

/// The scores of one detector under one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileScore {
    /// The profile.
    pub profile: Profile,
    /// The threshold used (given or optimised).
    pub threshold: f64,
    /// Counts and raw score at that threshold.
    pub tally: Tally,
    /// The normalised NAB score.
    pub normalised: f64,
}

/// Scores a detector over `corpus`: `scores[k]` are the anomaly scores of
/// `corpus.files[k]`, row for row. With `thresholds` (one per profile, in the
/// order of `profiles`) they are used as given; otherwise each is optimised.
pub fn score_corpus(
    corpus: &Corpus,
    scores: &[Vec<f64>],
    profiles: &[Profile],
    thresholds: Option<&[f64]>,
) -> Result<Vec<ProfileScore>> {
    if scores.len() != corpus.files.len() {
        return Err(Error::nab(
            &corpus.root,
            format!(
                "{} score lists for {} data files",
                scores.len(),
                corpus.files.len()
            ),
        ));
    }
    let mut rows = Vec::with_capacity(corpus.row_count());
    let mut first = 0u32;
    for (f, s) in corpus.files.iter().zip(scores) {
        if s.len() != f.timestamps.len() {
            return Err(Error::nab(
                corpus.root.join("data").join(&f.relative),
                format!("{} scores for {} rows", s.len(), f.timestamps.len()),
            ));
        }
        if let Some((i, v)) = s.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(Error::nab(
                corpus.root.join("data").join(&f.relative),
                format!("anomaly score at row {i} is not finite ({v})"),
            ));
        }
        rows.extend(sweep_rows(s, &f.windows, first));
        first += f.windows.len() as u32;
    }
    let windows = corpus.window_count();
    let mut out = Vec::with_capacity(profiles.len());
    for (k, p) in profiles.iter().enumerate() {
        let threshold = match thresholds {
            Some(ts) => *ts
                .get(k)
                .ok_or_else(|| Error::nab(&corpus.root, "fewer thresholds than profiles"))?,
            None => optimize_threshold(&rows, p).0,
        };
        let tally = score_at_threshold(&rows, threshold, p);
        out.push(ProfileScore {
            profile: p.clone(),
            threshold,
            normalised: normalise(tally.score, windows, p),
            tally,
        });
    }
    Ok(out)
}

/// Reads a NAB data file `timestamp,value` in file order. Timestamps are not
/// required to increase: NAB repeats a few at daylight-saving changes and
/// one file steps back an hour, and NAB scores rows in file order. An empty
/// or `NaN` value is a missing point (NaN).
pub fn read_data_file(path: impl AsRef<Path>) -> Result<(Vec<Timestamp>, Vec<f64>)> {
    let path = path.as_ref();
    let mut rdr = csv::Reader::from_path(path).map_err(|e| Error::nab(path, e.to_string()))?;
    let headers = rdr
        .headers()
        .map_err(|e| Error::nab(path, e.to_string()))?
        .clone();
    if headers.len() != 2 || headers.get(0).map(str::trim) != Some("timestamp") {
        return Err(Error::nab(
            path,
            "line 1: expected the header `timestamp,value`",
        ));
    }
    let mut ts = Vec::new();
    let mut vs = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::nab(path, format!("line {line}: {e}")))?;
        let t_text = rec.get(0).unwrap_or("");
        let t =
            Timestamp::parse(t_text).map_err(|e| Error::nab(path, format!("line {line}: {e}")))?;
        let v_text = rec.get(1).unwrap_or("").trim();
        let v = if v_text.is_empty() || v_text.eq_ignore_ascii_case("nan") {
            f64::NAN
        } else {
            match v_text.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => {
                    return Err(Error::nab(
                        path,
                        format!("line {line}: value {v_text:?} is not a finite number"),
                    ));
                }
            }
        };
        ts.push(t);
        vs.push(v);
    }
    Ok((ts, vs))
}

/// Reads the `anomaly_score` column of a NAB result file, checking that its
/// timestamps match `timestamps` row for row.
pub fn read_result_scores(path: impl AsRef<Path>, timestamps: &[Timestamp]) -> Result<Vec<f64>> {
    let path = path.as_ref();
    let mut rdr = csv::Reader::from_path(path).map_err(|e| Error::nab(path, e.to_string()))?;
    let headers = rdr
        .headers()
        .map_err(|e| Error::nab(path, e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| Error::nab(path, format!("no `{name}` column")))
    };
    let ts_col = col("timestamp")?;
    let score_col = col("anomaly_score")?;
    let mut out = Vec::with_capacity(timestamps.len());
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| Error::nab(path, format!("line {line}: {e}")))?;
        let ts_text = rec.get(ts_col).unwrap_or("");
        let ts =
            Timestamp::parse(ts_text).map_err(|e| Error::nab(path, format!("line {line}: {e}")))?;
        if timestamps.get(i) != Some(&ts) {
            return Err(Error::nab(
                path,
                format!("line {line}: timestamp {ts} does not match data row {i}"),
            ));
        }
        let text = rec.get(score_col).unwrap_or("").trim();
        let v: f64 = text.parse().map_err(|_| {
            Error::nab(
                path,
                format!("line {line}: anomaly_score {text:?} is not a number"),
            )
        })?;
        out.push(v);
    }
    if out.len() != timestamps.len() {
        return Err(Error::nab(
            path,
            format!(
                "{} rows but the data file has {}",
                out.len(),
                timestamps.len()
            ),
        ));
    }
    Ok(out)
}

/// Writes a NAB result file `timestamp,value,anomaly_score,label` for `file`
/// (same rows, same order as its data file). Timestamps are written in NAB's
/// `YYYY-MM-DD HH:MM:SS` form; a missing value is written empty.
pub fn write_result_file(path: impl AsRef<Path>, file: &CorpusFile, scores: &[f64]) -> Result<()> {
    let path = path.as_ref();
    if scores.len() != file.timestamps.len() {
        return Err(Error::nab(
            path,
            format!("{} scores for {} rows", scores.len(), file.timestamps.len()),
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let f = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = std::io::BufWriter::new(f);
    let mut inside = vec![false; scores.len()];
    for &(l, r) in &file.windows {
        for v in &mut inside[l..=r] {
            *v = true;
        }
    }
    let io = |e| Error::io(path, e);
    writeln!(w, "timestamp,value,anomaly_score,label").map_err(io)?;
    for (i, ((t, v), s)) in file
        .timestamps
        .iter()
        .zip(&file.values)
        .zip(scores)
        .enumerate()
    {
        let text = t.to_rfc3339();
        let ts = text.trim_end_matches('Z').replacen('T', " ", 1);
        if v.is_nan() {
            writeln!(w, "{ts},,{s},{}", u8::from(inside[i])).map_err(io)?;
        } else {
            writeln!(w, "{ts},{v},{s},{}", u8::from(inside[i])).map_err(io)?;
        }
    }
    w.flush().map_err(io)?;
    Ok(())
}

/// Runs a fresh streaming detector from `make` over every file of `corpus`
/// in timestamp order and returns the anomaly scores, one list per file. A
/// missing point is given score 0 (NAB result files need a number).
pub fn run_streaming<D, F>(corpus: &Corpus, mut make: F) -> Vec<Vec<f64>>
where
    D: crate::streaming::StreamingDetector,
    F: FnMut() -> D,
{
    corpus
        .files
        .iter()
        .map(|f| {
            let mut d = make();
            f.timestamps
                .iter()
                .zip(&f.values)
                .map(|(t, x)| d.update(*t, *x).map_or(0.0, aiops_core::AnomalyScore::get))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_matches_nab() {
        assert!((scaled_sigmoid(-1.0) - 0.986_614_298_151_430_3).abs() < 1e-12);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert_eq!(scaled_sigmoid(3.5), -1.0);
        assert_eq!(probationary_length(4032), 604);
        assert_eq!(probationary_length(22695), 750);
    }

    fn rows(scores: &[f64], windows: &[(usize, usize)]) -> Vec<SweepRow> {
        sweep_rows(scores, windows, 0)
    }

    #[test]
    fn earliest_detection_in_a_window_counts_once() {
        // 100 rows: probation 15; one window [50, 59].
        let mut s = vec![0.0; 100];
        s[50] = 1.0;
        s[55] = 1.0;
        let p = Profile::standard();
        let t = score_at_threshold(&rows(&s, &[(50, 59)]), 0.5, &p);
        assert_eq!(t.detected_windows, 1);
        assert!((t.score - 1.0).abs() < 1e-12, "{}", t.score);
        assert_eq!(normalise(t.score, 1, &p), 100.0);
        // A later-only detection is worth less.
        let mut late = vec![0.0; 100];
        late[59] = 1.0;
        let tl = score_at_threshold(&rows(&late, &[(50, 59)]), 0.5, &p);
        assert!(tl.score < 0.5 && tl.score > 0.0, "{}", tl.score);
    }

    #[test]
    fn missed_windows_and_false_positives_cost() {
        let mut s = vec![0.0; 100];
        s[20] = 1.0; // before any window: -fp
        s[99] = 1.0; // long after the window: -fp
        let p = Profile::reward_low_fn_rate();
        let t = score_at_threshold(&rows(&s, &[(50, 59)]), 0.5, &p);
        assert!((t.score - (-2.0 - 2.0 * 0.11)).abs() < 1e-12, "{}", t.score);
        assert!((normalise(t.score, 1, &p) - 100.0 * (-0.22) / 3.0).abs() < 1e-9);
        // Probationary detections are ignored.
        let mut q = vec![0.0; 100];
        q[3] = 1.0;
        let tq = score_at_threshold(&rows(&q, &[(50, 59)]), 0.5, &p);
        assert_eq!(tq.fp, 0);
    }

    #[test]
    fn sweep_agrees_with_direct_scoring() {
        let s: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64 / 100.0).collect();
        let r = rows(&s, &[(100, 120), (200, 230)]);
        for p in Profile::all() {
            let (th, best) = optimize_threshold(&r, &p);
            let direct = score_at_threshold(&r, th, &p).score;
            assert!((best - direct).abs() < 1e-9, "{best} vs {direct}");
            for cand in [0.1, 0.5, 0.9, 0.99, 1.0] {
                assert!(score_at_threshold(&r, cand, &p).score <= best + 1e-9);
            }
        }
    }
}
