//! Streaming and batch anomaly detectors: Isolation Forest, robust and seasonal baselines, SH-ESD, a NAB-tuned ensemble
//!
//! (Under construction in this release.)
