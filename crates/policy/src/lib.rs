//! Compliance as code: native Kubernetes checks, Gatekeeper Rego templates, scores and safe auto-fix patches
//!
//! (Under construction in this release.)
