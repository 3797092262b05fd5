#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alertmanager;
pub mod api;
mod client;
mod error;
mod export;
mod http;
mod pushgateway;

pub use alertmanager::{
    AlertNotifier, AlertState, AlertStatus, AlertmanagerClient, GettableAlert, PostableAlert,
};
pub use api::{ConvertStats, QueryData, QueryResponse, RawSeries, VectorSample};
pub use client::{PROMETHEUS_MAX_POINTS, PrometheusClient, RangeQuery, RangeResult, RangeStream};
pub use error::{Error, Result};
pub use export::{
    IncidentMetrics, MetricsServer, OPENMETRICS_CONTENT_TYPE, ResultMetrics, ResultsSnapshot,
    SeriesMetrics,
};
pub use http::HttpConfig;
pub use pushgateway::{Grouping, PushMode, Pushgateway};
