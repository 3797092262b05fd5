#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
pub mod ops;

pub use error::{Error, Result};
pub use ops::{IntelligentOps, IntelligentOpsBuilder, OpsConfig, Report};

/// Shared types: series, severity, incidents, alerts, events, CSV readers.
pub use aiops_core as core;

#[cfg(feature = "anomaly")]
#[cfg_attr(docsrs, doc(cfg(feature = "anomaly")))]
pub use aiops_anomaly as anomaly;
#[cfg(feature = "forecast")]
#[cfg_attr(docsrs, doc(cfg(feature = "forecast")))]
pub use aiops_forecast as forecast;
#[cfg(feature = "gitops")]
#[cfg_attr(docsrs, doc(cfg(feature = "gitops")))]
pub use aiops_gitops as gitops;
#[cfg(feature = "iac")]
#[cfg_attr(docsrs, doc(cfg(feature = "iac")))]
pub use aiops_iac as iac;
#[cfg(feature = "policy")]
#[cfg_attr(docsrs, doc(cfg(feature = "policy")))]
pub use aiops_policy as policy;
#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub use aiops_prometheus as prometheus;
#[cfg(feature = "quantum-sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "quantum-sim")))]
pub use aiops_quantum_sim as quantum_sim;
#[cfg(feature = "remediation")]
#[cfg_attr(docsrs, doc(cfg(feature = "remediation")))]
pub use aiops_remediation as remediation;
#[cfg(feature = "rl")]
#[cfg_attr(docsrs, doc(cfg(feature = "rl")))]
pub use aiops_rl as rl;
#[cfg(feature = "secops")]
#[cfg_attr(docsrs, doc(cfg(feature = "secops")))]
pub use aiops_secops as secops;
#[cfg(feature = "skills")]
#[cfg_attr(docsrs, doc(cfg(feature = "skills")))]
pub use aiops_skills as skills;

/// Names of the capability crates compiled into this build of the facade.
pub fn compiled_crates() -> Vec<&'static str> {
    let mut v = vec!["aiops-core"];
    if cfg!(feature = "anomaly") {
        v.push("aiops-anomaly");
    }
    if cfg!(feature = "forecast") {
        v.push("aiops-forecast");
    }
    if cfg!(feature = "remediation") {
        v.push("aiops-remediation");
    }
    if cfg!(feature = "policy") {
        v.push("aiops-policy");
    }
    if cfg!(feature = "secops") {
        v.push("aiops-secops");
    }
    if cfg!(feature = "rl") {
        v.push("aiops-rl");
    }
    if cfg!(feature = "iac") {
        v.push("aiops-iac");
    }
    if cfg!(feature = "skills") {
        v.push("aiops-skills");
    }
    if cfg!(feature = "quantum-sim") {
        v.push("aiops-quantum-sim");
    }
    if cfg!(feature = "gitops") {
        v.push("aiops-gitops");
    }
    if cfg!(feature = "prometheus") {
        v.push("aiops-prometheus");
    }
    v
}
