#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod document;
mod error;
mod fix;
mod inventory;
mod model;
mod monitor;
mod native;
#[cfg(feature = "rego")]
mod rego;
#[cfg(feature = "rego")]
mod rego_compat;
#[cfg(feature = "rego")]
mod suite;

/// Re-exported from `aiops-core`: severities of violations, times of evaluations.
pub use aiops_core::{Severity, Timestamp};
pub use document::{
    Document, Origin, ResourceRef, Source, documents_from_plan, is_manifest_file,
    is_terraform_plan, load_file, load_path, load_paths, manifest_files, parse_documents,
};
pub use error::{Error, Result};
pub use fix::{
    DocumentFix, FileFix, PatchOp, apply_patch, escape_pointer_token, fix_document, fix_files,
    write_atomic,
};
pub use inventory::{Inventory, LabelSelector, gatekeeper_inventory};
pub use model::{
    Finding, Policy, PolicyResult, PolicySet, Report, ResourceResult, ScoreWeights, SeverityCounts,
    Violation,
};
pub use monitor::{ComplianceDelta, ComplianceMonitor, FindingKey};
pub use native::{
    LabelDefault, NativeCheck, NativeConfig, RequiredLabel, Rule, native_checks, native_policy_set,
};
#[cfg(feature = "rego")]
#[cfg_attr(docsrs, doc(cfg(feature = "rego")))]
pub use rego::{
    ADMISSION_TARGET, Constraint, ConstraintPolicy, ConstraintTemplate, Match, RegoViolation,
    admission_input, admission_review_request, gator_review, is_admission_review,
};
#[cfg(feature = "rego")]
#[cfg_attr(docsrs, doc(cfg(feature = "rego")))]
pub use suite::{CaseResult, SuiteResult, TestResult, find_suites, run_suite};
