//! Severity assessment, runbooks, guarded executors, an audit journal, root-cause ranking and learning from outcomes
//!
//! (Under construction in this release.)
