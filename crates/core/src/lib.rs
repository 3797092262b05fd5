#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod event;
mod incident;
mod io;
mod num;
mod score;
mod series;
mod severity;
mod time;

pub use error::{AiopsError, Error, Result};
pub use event::{Event, EventKind};
pub use incident::{Alert, Incident, IncidentId, IncidentStatus, Signal, SignalKind};
pub use io::{
    CsvOptions, OrderPolicy, SkippedRow, read_nab_csv, read_nab_csv_reader,
    read_nab_csv_reader_with, read_nab_csv_str, read_nab_csv_with, read_wide_csv,
    read_wide_csv_reader, read_wide_csv_reader_with, read_wide_csv_str,
};
pub use num::{Fixed, Num};
pub use score::AnomalyScore;
pub use series::{Labels, Observation, SeriesKey, TimeSeries};
pub use severity::{ParseSeverityError, Severity};
pub use time::Timestamp;
