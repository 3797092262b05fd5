#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod apply;
mod capacity;
mod error;
mod graph;
mod plan;
mod resource;
mod risk;
mod terraform;
mod value;

pub use apply::{
    ApplyOptions, ApplyReport, Fault, InMemoryProvider, Provider, ProviderError, ResourceSpec,
    StepOutcome, StepStatus, StoredObject, apply,
};
pub use capacity::{
    CapacityParams, CapacityPlan, LoadForecast, ScalingGroup, Sizing, StepPolicy, StepRule,
    plan_capacity, size,
};
pub use error::{Error, Result};
pub use plan::{Action, Counts, Plan, ReplaceOrder, ResourceChange, Step, StepKind, plan};
pub use resource::{
    AddressParts, Attributes, Config, Lifecycle, Mode, Reference, Resource, ResourceState,
    STATE_FORMAT_VERSION, State, parse_address,
};
pub use risk::{Finding, FindingCategory, RiskPolicy, RiskReport, assess};
pub use terraform::{
    SUPPORTED_FORMAT_VERSIONS, TerraformPlanInfo, from_tf_json, read_terraform_plan,
    terraform_plan_from_value, to_tf_json,
};
