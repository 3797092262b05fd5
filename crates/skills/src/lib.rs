//! Skill matrices, evidence-based assessment, Bayesian knowledge tracing, gap analysis and learning paths
//!
//! (Under construction in this release.)
