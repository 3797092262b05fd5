#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod drain;
mod error;
mod eval;
mod format;
mod improve;
mod mask;
mod miner;
mod response;
mod template;
mod threat;

pub use drain::{Change, Cluster, Drain, DrainParams, DrainState};
pub use error::{Error, Result};
pub use eval::{
    GroundTruth, grouping_accuracy, parsing_accuracy, read_ground_truth, write_structured_csv,
};
pub use format::{
    DEFAULT_ASSUMED_YEAR, LineFlags, LogFormat, LogRecord, MAX_LINE_BYTES, ParseStats, ParsedLog,
    TimestampSpec,
};
pub use mask::{MaskRule, MaskScratch, Masker, WILDCARD};
pub use miner::{LogMiner, MinedLog, mine, mine_file, mine_files};
pub use response::{
    EvidenceLine, Response, ResponseAction, ResponsePolicy, evidence, respond, respond_all,
    sha256_hex,
};
pub use template::{Template, TemplateId, Token};
pub use threat::{
    AnomalyParams, Ban, BanEvent, DetectorConfig, JailParams, ScanDetector, ScanParams, SigmaRule,
    SshJail, SshdLine, TemplateAnomalyDetector, Threat, ThreatKind, ThreatReport, analyze_file,
    classify_sshd, detect_threats, load_rules_dir,
};
