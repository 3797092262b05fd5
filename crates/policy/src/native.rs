//! Native checks in Rust: the Kubernetes workload rules of kube-score and
//! Polaris, and a few Terraform plan rules in the manner of Checkov.
//!
//! Every check has an id, a severity and a documented condition (see
//! [`NativeCheck::description`] and the table in the crate README). Pod-level
//! checks see the pod spec of `Pod`, `Deployment`, `StatefulSet`, `DaemonSet`,
//! `ReplicaSet`, `ReplicationController`, `Job` (`spec.template.spec`) and
//! `CronJob` (`spec.jobTemplate.spec.template.spec`); container checks cover
//! init, regular and ephemeral containers.

use std::sync::Arc;

use aiops_core::Severity;
use serde_json::{Map, Value, json};

use crate::document::Document;
use crate::error::Result;
use crate::fix::{PatchOp, escape_pointer_token};
use crate::inventory::Inventory;
use crate::model::{Policy, PolicySet, Violation};

/// What a fix writes for a missing required label.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelDefault {
    /// This fixed value.
    Value(String),
    /// The resource's `metadata.name`.
    ResourceName,
}

/// A label every Kubernetes object must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredLabel {
    /// Label key.
    pub key: String,
    /// Value written by the auto-fix; `None` means the label cannot be fixed.
    pub default: Option<LabelDefault>,
}

/// Configuration of the native checks.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeConfig {
    /// Labels required on every Kubernetes object (`required-labels`).
    pub required_labels: Vec<RequiredLabel>,
    /// CPU request written by the fix when neither request nor limit is set.
    pub default_cpu_request: String,
    /// Memory request written by the fix when neither request nor limit is set.
    pub default_memory_request: String,
    /// CPU limit written by the fix (raised to the request when that is higher).
    pub default_cpu_limit: String,
    /// Memory limit written by the fix (raised to the request when that is higher).
    pub default_memory_limit: String,
    /// UIDs below this are "low" (`low-user-id`); kube-score uses 10000.
    pub min_user_id: i64,
}

impl Default for NativeConfig {
    fn default() -> Self {
        NativeConfig {
            required_labels: vec![RequiredLabel {
                key: "app.kubernetes.io/name".to_owned(),
                default: Some(LabelDefault::ResourceName),
            }],
            default_cpu_request: "100m".to_owned(),
            default_memory_request: "128Mi".to_owned(),
            default_cpu_limit: "500m".to_owned(),
            default_memory_limit: "256Mi".to_owned(),
            min_user_id: 10000,
        }
    }
}

/// The rule a [`NativeCheck`] implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// `privileged-container`.
    Privileged,
    /// `privilege-escalation`.
    PrivilegeEscalation,
    /// `run-as-root`.
    RunAsRoot,
    /// `run-as-non-root`.
    RunAsNonRoot,
    /// `low-user-id`.
    LowUserId,
    /// `host-network`.
    HostNetwork,
    /// `host-pid`.
    HostPid,
    /// `host-ipc`.
    HostIpc,
    /// `dangerous-capabilities`.
    DangerousCapabilities,
    /// `capabilities-added`.
    CapabilitiesAdded,
    /// `capabilities-drop-all`.
    CapabilitiesDropAll,
    /// `readonly-root-filesystem`.
    ReadOnlyRootFilesystem,
    /// `cpu-requests`.
    CpuRequests,
    /// `memory-requests`.
    MemoryRequests,
    /// `cpu-limits`.
    CpuLimits,
    /// `memory-limits`.
    MemoryLimits,
    /// `image-tag`.
    ImageTag,
    /// `image-pull-policy`.
    ImagePullPolicy,
    /// `readiness-probe`.
    ReadinessProbe,
    /// `liveness-probe`.
    LivenessProbe,
    /// `single-replica-service`.
    SingleReplicaService,
    /// `service-nodeport`.
    ServiceNodePort,
    /// `pod-disruption-budget`.
    PodDisruptionBudget,
    /// `network-policy`.
    NetworkPolicy,
    /// `required-labels`.
    RequiredLabels,
    /// `tf-open-ingress`.
    TfOpenIngress,
    /// `tf-s3-public-acl`.
    TfS3PublicAcl,
    /// `tf-storage-unencrypted`.
    TfStorageUnencrypted,
    /// `pod-spec-shape`.
    PodSpecShape,
}

const DANGEROUS_CAPS: &[&str] = &[
    "ALL",
    "SYS_ADMIN",
    "NET_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "DAC_READ_SEARCH",
    "BPF",
    "PERFMON",
    "SYS_BOOT",
];

impl Rule {
    /// Every rule, in report order.
    pub const ALL: [Rule; 29] = [
        Rule::Privileged,
        Rule::PrivilegeEscalation,
        Rule::RunAsRoot,
        Rule::RunAsNonRoot,
        Rule::LowUserId,
        Rule::HostNetwork,
        Rule::HostPid,
        Rule::HostIpc,
        Rule::DangerousCapabilities,
        Rule::CapabilitiesAdded,
        Rule::CapabilitiesDropAll,
        Rule::ReadOnlyRootFilesystem,
        Rule::CpuRequests,
        Rule::MemoryRequests,
        Rule::CpuLimits,
        Rule::MemoryLimits,
        Rule::ImageTag,
        Rule::ImagePullPolicy,
        Rule::ReadinessProbe,
        Rule::LivenessProbe,
        Rule::SingleReplicaService,
        Rule::ServiceNodePort,
        Rule::PodDisruptionBudget,
        Rule::NetworkPolicy,
        Rule::RequiredLabels,
        Rule::TfOpenIngress,
        Rule::TfS3PublicAcl,
        Rule::TfStorageUnencrypted,
        Rule::PodSpecShape,
    ];

    /// (id, severity, documented condition).
    pub fn meta(self) -> (&'static str, Severity, &'static str) {
        use Severity::{Critical, Info, Warning};
        match self {
            Rule::Privileged => (
                "privileged-container",
                Critical,
                "a container sets securityContext.privileged: true",
            ),
            Rule::PrivilegeEscalation => (
                "privilege-escalation",
                Warning,
                "a container does not set securityContext.allowPrivilegeEscalation: false",
            ),
            Rule::RunAsRoot => (
                "run-as-root",
                Critical,
                "a container's effective runAsUser (container, else pod securityContext) is 0",
            ),
            Rule::RunAsNonRoot => (
                "run-as-non-root",
                Warning,
                "a container has neither an effective runAsNonRoot: true nor an effective runAsUser, so it may run as the image's root user",
            ),
            Rule::LowUserId => (
                "low-user-id",
                Warning,
                "a container's effective runAsUser is between 1 and min_user_id - 1 (default 9999), which may collide with host users",
            ),
            Rule::HostNetwork => ("host-network", Critical, "the pod sets hostNetwork: true"),
            Rule::HostPid => ("host-pid", Critical, "the pod sets hostPID: true"),
            Rule::HostIpc => ("host-ipc", Critical, "the pod sets hostIPC: true"),
            Rule::DangerousCapabilities => (
                "dangerous-capabilities",
                Critical,
                "a container adds ALL, SYS_ADMIN, NET_ADMIN, SYS_PTRACE, SYS_MODULE, SYS_RAWIO, DAC_READ_SEARCH, BPF, PERFMON or SYS_BOOT",
            ),
            Rule::CapabilitiesAdded => (
                "capabilities-added",
                Warning,
                "a container adds a capability other than NET_BIND_SERVICE (dangerous ones are reported by dangerous-capabilities)",
            ),
            Rule::CapabilitiesDropAll => (
                "capabilities-drop-all",
                Warning,
                "a container's securityContext.capabilities.drop does not contain ALL (fix: add ALL to drop)",
            ),
            Rule::ReadOnlyRootFilesystem => (
                "readonly-root-filesystem",
                Warning,
                "a container does not set securityContext.readOnlyRootFilesystem: true",
            ),
            Rule::CpuRequests => (
                "cpu-requests",
                Warning,
                "a container has no resources.requests.cpu (fix: the CPU limit if set, else the default request)",
            ),
            Rule::MemoryRequests => (
                "memory-requests",
                Warning,
                "a container has no resources.requests.memory (fix: the memory limit if set, else the default request)",
            ),
            Rule::CpuLimits => (
                "cpu-limits",
                Info,
                "a container has no resources.limits.cpu (fix: the default limit, raised to the request)",
            ),
            Rule::MemoryLimits => (
                "memory-limits",
                Warning,
                "a container has no resources.limits.memory (fix: the default limit, raised to the request)",
            ),
            Rule::ImageTag => (
                "image-tag",
                Warning,
                "a container image has neither a digest nor a tag, or its tag is `latest`",
            ),
            Rule::ImagePullPolicy => (
                "image-pull-policy",
                Info,
                "a container leaves imagePullPolicy unset, or pulls a `latest`/untagged image without Always (fix: set Kubernetes' own default explicitly, Always for latest/untagged images, else IfNotPresent)",
            ),
            Rule::ReadinessProbe => (
                "readiness-probe",
                Warning,
                "a long-running workload's container (not init, not ephemeral; Jobs and CronJobs excluded) has no readinessProbe",
            ),
            Rule::LivenessProbe => (
                "liveness-probe",
                Warning,
                "a long-running workload's container (not init, not ephemeral; Jobs and CronJobs excluded) has no livenessProbe",
            ),
            Rule::SingleReplicaService => (
                "single-replica-service",
                Warning,
                "a Deployment or StatefulSet with spec.replicas <= 1 (1 when unset) has pods selected by a Service in its namespace",
            ),
            Rule::ServiceNodePort => (
                "service-nodeport",
                Warning,
                "a Service has spec.type: NodePort",
            ),
            Rule::PodDisruptionBudget => (
                "pod-disruption-budget",
                Warning,
                "a Deployment or StatefulSet with spec.replicas >= 2 has no PodDisruptionBudget in its namespace whose selector matches its pod labels",
            ),
            Rule::NetworkPolicy => (
                "network-policy",
                Warning,
                "a workload's pods are selected by no NetworkPolicy in their namespace",
            ),
            Rule::RequiredLabels => (
                "required-labels",
                Info,
                "a Kubernetes object lacks a required metadata.labels key (default app.kubernetes.io/name; fix: the configured default, e.g. metadata.name)",
            ),
            Rule::TfOpenIngress => (
                "tf-open-ingress",
                Critical,
                "an AWS security group (or rule) allows ingress from 0.0.0.0/0 or ::/0 to all ports/protocols or to port 22 or 3389",
            ),
            Rule::TfS3PublicAcl => (
                "tf-s3-public-acl",
                Critical,
                "an aws_s3_bucket or aws_s3_bucket_acl sets acl public-read, public-read-write or authenticated-read",
            ),
            Rule::TfStorageUnencrypted => (
                "tf-storage-unencrypted",
                Warning,
                "an aws_ebs_volume has no encrypted: true, or an aws_db_instance/aws_rds_cluster has no storage_encrypted: true",
            ),
            Rule::PodSpecShape => (
                "pod-spec-shape",
                Critical,
                "a workload's pod spec is missing or not a mapping, has no non-empty `containers` list, or a container list holds something other than mappings: the API server would reject it, and the other checks cannot see its containers (it weighs in the score only where it fails)",
            ),
        }
    }
}

/// One native check.
#[derive(Debug, Clone)]
pub struct NativeCheck {
    rule: Rule,
    id: &'static str,
    severity: Severity,
    description: &'static str,
    config: Arc<NativeConfig>,
}

impl NativeCheck {
    /// The check for `rule` with a configuration.
    pub fn new(rule: Rule, config: Arc<NativeConfig>) -> Self {
        let (id, severity, description) = rule.meta();
        NativeCheck {
            rule,
            id,
            severity,
            description,
            config,
        }
    }
    /// The rule.
    pub fn rule(&self) -> Rule {
        self.rule
    }
}

/// Every native check with a configuration, in [`Rule::ALL`] order.
pub fn native_checks(config: &NativeConfig) -> Vec<NativeCheck> {
    let config = Arc::new(config.clone());
    Rule::ALL
        .iter()
        .map(|r| NativeCheck::new(*r, Arc::clone(&config)))
        .collect()
}

/// A policy set holding every native check.
pub fn native_policy_set(config: &NativeConfig) -> PolicySet {
    let mut set = PolicySet::new();
    for c in native_checks(config) {
        set.push(Box::new(c));
    }
    set
}

/// The pod spec of a workload.
struct PodView<'v> {
    spec: &'v Map<String, Value>,
    ptr: &'static str,
    labels: Option<&'v Map<String, Value>>,
}

fn pod_pointers(kind: &str) -> Option<(&'static str, &'static str, bool)> {
    Some(match kind {
        "Pod" => ("/spec", "/metadata/labels", false),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" => (
            "/spec/template/spec",
            "/spec/template/metadata/labels",
            false,
        ),
        "Job" => (
            "/spec/template/spec",
            "/spec/template/metadata/labels",
            true,
        ),
        "CronJob" => (
            "/spec/jobTemplate/spec/template/spec",
            "/spec/jobTemplate/spec/template/metadata/labels",
            true,
        ),
        _ => return None,
    })
}

fn pod_view(doc: &Document) -> Option<PodView<'_>> {
    if !doc.is_kubernetes() {
        return None;
    }
    let (ptr, labels_ptr, _) = pod_pointers(doc.kind())?;
    let spec = doc.value().pointer(ptr)?.as_object()?;
    Some(PodView {
        spec,
        ptr,
        labels: doc.value().pointer(labels_ptr).and_then(Value::as_object),
    })
}

const CONTAINER_LISTS: [&str; 3] = ["initContainers", "containers", "ephemeralContainers"];

/// The JSON type of a value, for messages.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// (list name, index, container) for every container of a pod spec.
fn containers(
    spec: &Map<String, Value>,
) -> impl Iterator<Item = (&'static str, usize, &Map<String, Value>)> {
    CONTAINER_LISTS.iter().flat_map(move |list| {
        spec.get(*list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(move |(i, c)| c.as_object().map(|c| (*list, i, c)))
    })
}

fn cname(c: &Map<String, Value>) -> &str {
    c.get("name").and_then(Value::as_str).unwrap_or("?")
}

fn sc_field<'v>(c: &'v Map<String, Value>, field: &str) -> Option<&'v Value> {
    c.get("securityContext").and_then(|s| s.get(field))
}

/// The container's value, else the pod's (runAsUser, runAsNonRoot, ...).
fn effective<'v>(
    pod: &'v Map<String, Value>,
    c: &'v Map<String, Value>,
    field: &str,
) -> Option<&'v Value> {
    sc_field(c, field).or_else(|| pod.get("securityContext").and_then(|s| s.get(field)))
}

fn is_true(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool) == Some(true)
}

fn caps<'v>(c: &'v Map<String, Value>, which: &str) -> impl Iterator<Item = (usize, &'v str)> {
    sc_field(c, "capabilities")
        .and_then(|k| k.get(which))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().map(|s| (i, s)))
}

fn norm_cap(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix("CAP_").unwrap_or(s)
}

#[derive(Debug, PartialEq, Eq)]
enum ImageRef<'a> {
    Digest,
    Tag(&'a str),
    Untagged,
}

fn image_ref(image: &str) -> ImageRef<'_> {
    if image.contains('@') {
        return ImageRef::Digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) if !tag.is_empty() => ImageRef::Tag(tag),
        _ => ImageRef::Untagged,
    }
}

fn mutable_image(image: &str) -> bool {
    matches!(
        image_ref(image),
        ImageRef::Untagged | ImageRef::Tag("latest")
    )
}

/// Parses a Kubernetes quantity (`100m`, `1.5`, `128Mi`, `1G`, `2e3`) into base units.
pub(crate) fn parse_quantity(q: &Value) -> Option<f64> {
    if let Some(n) = q.as_f64() {
        return Some(n);
    }
    let s = q.as_str()?.trim();
    let suffixes: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
    ];
    for (suf, mult) in suffixes {
        if let Some(num) = s.strip_suffix(suf) {
            return num
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(|v| v * mult);
        }
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Ops setting `path` to `value`, creating missing parent objects.
pub(crate) fn set_ops(doc: &Value, path: &str, value: Value) -> Option<Vec<PatchOp>> {
    let tokens: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let mut cur = doc;
    for (i, tok) in tokens.iter().enumerate() {
        let key = tok.replace("~1", "/").replace("~0", "~");
        let next = match cur {
            Value::Object(m) => m.get(&key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => return None,
        };
        match next {
            Some(n) => cur = n,
            None => {
                if !cur.is_object() {
                    return None;
                }
                // Build the missing remainder as nested objects.
                let mut v = value;
                for t in tokens[i + 1..].iter().rev() {
                    let k = t.replace("~1", "/").replace("~0", "~");
                    v = json!({ k: v });
                }
                let p = format!("/{}", tokens[..=i].join("/"));
                return Some(vec![PatchOp::Add { path: p, value: v }]);
            }
        }
    }
    Some(vec![PatchOp::Replace {
        path: path.to_owned(),
        value,
    }])
}

impl NativeCheck {
    /// [`Rule::PodSpecShape`]: what makes the other checks blind to a
    /// workload's containers.
    fn check_pod_shape(&self, doc: &Document, out: &mut Vec<Violation>) {
        if !doc.is_kubernetes() {
            return;
        }
        let Some((ptr, _, _)) = pod_pointers(doc.kind()) else {
            return;
        };
        let Some(spec) = doc.value().pointer(ptr) else {
            out.push(self.v(ptr.to_owned(), "the pod spec is missing".to_owned()));
            return;
        };
        let Some(spec) = spec.as_object() else {
            out.push(self.v(ptr.to_owned(), "the pod spec is not a mapping".to_owned()));
            return;
        };
        for list in CONTAINER_LISTS {
            let at = format!("{ptr}/{list}");
            match spec.get(list) {
                None if list == "containers" => {
                    out.push(self.v(at, "the pod spec has no `containers`".to_owned()));
                }
                None | Some(Value::Null) if list != "containers" => {}
                Some(Value::Array(items)) => {
                    if items.is_empty() && list == "containers" {
                        out.push(self.v(at.clone(), "`containers` is empty".to_owned()));
                    }
                    for (i, c) in items.iter().enumerate() {
                        if !c.is_object() {
                            out.push(self.v(
                                format!("{at}/{i}"),
                                format!("`{list}` item {i} is not a mapping"),
                            ));
                        }
                    }
                }
                Some(other) => out.push(self.v(
                    at,
                    format!("`{list}` is not a list (found {})", json_type(other)),
                )),
                None => {}
            }
        }
    }

    fn v(&self, path: String, message: String) -> Violation {
        Violation {
            policy_id: self.id.to_owned(),
            severity: self.severity,
            message,
            path,
        }
    }

    #[allow(
        clippy::collapsible_match,
        reason = "one arm per rule reads as the rule table; guards would fall through to the catch-all arm"
    )]
    fn check_containers(&self, pod: &PodView<'_>, out: &mut Vec<Violation>) {
        let cfg = &self.config;
        for (list, i, c) in containers(pod.spec) {
            let base = format!("{}/{list}/{i}", pod.ptr);
            let name = cname(c);
            let sc = |f: &str| format!("{base}/securityContext/{f}");
            match self.rule {
                Rule::Privileged => {
                    if is_true(sc_field(c, "privileged")) {
                        out.push(self.v(
                            sc("privileged"),
                            format!("container `{name}` is privileged"),
                        ));
                    }
                }
                Rule::PrivilegeEscalation => {
                    if sc_field(c, "allowPrivilegeEscalation").and_then(Value::as_bool)
                        != Some(false)
                    {
                        out.push(self.v(
                            sc("allowPrivilegeEscalation"),
                            format!(
                                "container `{name}` does not set allowPrivilegeEscalation: false"
                            ),
                        ));
                    }
                }
                Rule::RunAsRoot => {
                    if effective(pod.spec, c, "runAsUser").and_then(Value::as_i64) == Some(0) {
                        out.push(self.v(
                            sc("runAsUser"),
                            format!("container `{name}` runs as root (runAsUser 0)"),
                        ));
                    }
                }
                Rule::RunAsNonRoot => {
                    if !is_true(effective(pod.spec, c, "runAsNonRoot"))
                        && effective(pod.spec, c, "runAsUser")
                            .and_then(Value::as_i64)
                            .is_none()
                    {
                        out.push(self.v(
                            sc("runAsNonRoot"),
                            format!(
                                "container `{name}` sets neither runAsNonRoot: true nor runAsUser"
                            ),
                        ));
                    }
                }
                Rule::LowUserId => {
                    if let Some(uid) = effective(pod.spec, c, "runAsUser").and_then(Value::as_i64)
                        && uid > 0
                        && uid < cfg.min_user_id
                    {
                        out.push(self.v(
                            sc("runAsUser"),
                            format!(
                                "container `{name}` runs as UID {uid}, below {}",
                                cfg.min_user_id
                            ),
                        ));
                    }
                }
                Rule::DangerousCapabilities => {
                    for (j, cap) in caps(c, "add") {
                        if DANGEROUS_CAPS.contains(&norm_cap(cap)) {
                            out.push(self.v(
                                format!("{base}/securityContext/capabilities/add/{j}"),
                                format!("container `{name}` adds dangerous capability {cap}"),
                            ));
                        }
                    }
                }
                Rule::CapabilitiesAdded => {
                    for (j, cap) in caps(c, "add") {
                        let n = norm_cap(cap);
                        if n != "NET_BIND_SERVICE" && !DANGEROUS_CAPS.contains(&n) {
                            out.push(self.v(
                                format!("{base}/securityContext/capabilities/add/{j}"),
                                format!("container `{name}` adds capability {cap}"),
                            ));
                        }
                    }
                }
                Rule::CapabilitiesDropAll => {
                    if !caps(c, "drop").any(|(_, d)| norm_cap(d) == "ALL") {
                        out.push(self.v(
                            format!("{base}/securityContext/capabilities/drop"),
                            format!("container `{name}` does not drop ALL capabilities"),
                        ));
                    }
                }
                Rule::ReadOnlyRootFilesystem => {
                    if !is_true(sc_field(c, "readOnlyRootFilesystem")) {
                        out.push(self.v(
                            sc("readOnlyRootFilesystem"),
                            format!("container `{name}` has a writable root filesystem"),
                        ));
                    }
                }
                Rule::CpuRequests | Rule::MemoryRequests | Rule::CpuLimits | Rule::MemoryLimits => {
                    if list == "ephemeralContainers" {
                        continue; // ephemeral containers may not set resources
                    }
                    let (section, res) = match self.rule {
                        Rule::CpuRequests => ("requests", "cpu"),
                        Rule::MemoryRequests => ("requests", "memory"),
                        Rule::CpuLimits => ("limits", "cpu"),
                        _ => ("limits", "memory"),
                    };
                    let present = c
                        .get("resources")
                        .and_then(|r| r.get(section))
                        .and_then(|s| s.get(res))
                        .is_some_and(|v| !v.is_null());
                    if !present {
                        out.push(self.v(
                            format!("{base}/resources/{section}/{res}"),
                            format!(
                                "container `{name}` has no {res} {}",
                                &section[..section.len() - 1]
                            ),
                        ));
                    }
                }
                Rule::ImageTag => {
                    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                    if mutable_image(image) {
                        out.push(self.v(
                            format!("{base}/image"),
                            format!("container `{name}` image {image:?} is untagged or `latest`"),
                        ));
                    }
                }
                Rule::ImagePullPolicy => {
                    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                    match c.get("imagePullPolicy").and_then(Value::as_str) {
                        None => out.push(self.v(
                            format!("{base}/imagePullPolicy"),
                            format!("container `{name}` does not set imagePullPolicy"),
                        )),
                        Some(p) if p != "Always" && mutable_image(image) => out.push(self.v(
                            format!("{base}/imagePullPolicy"),
                            format!(
                                "container `{name}` pulls mutable image {image:?} with policy {p}"
                            ),
                        )),
                        Some(_) => {}
                    }
                }
                Rule::ReadinessProbe | Rule::LivenessProbe => {
                    if list != "containers" {
                        continue;
                    }
                    let field = if self.rule == Rule::ReadinessProbe {
                        "readinessProbe"
                    } else {
                        "livenessProbe"
                    };
                    if c.get(field).is_none_or(Value::is_null) {
                        out.push(self.v(
                            format!("{base}/{field}"),
                            format!("container `{name}` has no {field}"),
                        ));
                    }
                }
                _ => {}
            }
        }
    }

    fn replicas(doc: &Document) -> i64 {
        doc.value()
            .pointer("/spec/replicas")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    }

    fn evaluate_native(&self, doc: &Document, inv: &Inventory<'_>, out: &mut Vec<Violation>) {
        let value = doc.value();
        match self.rule {
            Rule::PodSpecShape => self.check_pod_shape(doc, out),
            Rule::HostNetwork | Rule::HostPid | Rule::HostIpc => {
                let Some(pod) = pod_view(doc) else { return };
                let field = match self.rule {
                    Rule::HostNetwork => "hostNetwork",
                    Rule::HostPid => "hostPID",
                    _ => "hostIPC",
                };
                if is_true(pod.spec.get(field)) {
                    out.push(self.v(
                        format!("{}/{field}", pod.ptr),
                        format!("pod sets {field}: true"),
                    ));
                }
            }
            Rule::SingleReplicaService => {
                let Some(pod) = pod_view(doc) else { return };
                let replicas = Self::replicas(doc);
                if replicas <= 1
                    && let Some(svc) = inv
                        .services_selecting(doc.namespace_or_default(), pod.labels)
                        .next()
                {
                    out.push(self.v(
                        "/spec/replicas".to_owned(),
                        format!(
                            "{replicas} replica behind Service `{}`: one pod restart is an outage",
                            svc.name()
                        ),
                    ));
                }
            }
            Rule::PodDisruptionBudget => {
                let Some(pod) = pod_view(doc) else { return };
                if Self::replicas(doc) >= 2
                    && !inv.has_pdb_for(doc.namespace_or_default(), pod.labels)
                {
                    out.push(self.v(
                        "/spec/template/metadata/labels".to_owned(),
                        "no PodDisruptionBudget selects these pods".to_owned(),
                    ));
                }
            }
            Rule::NetworkPolicy => {
                let Some(pod) = pod_view(doc) else { return };
                if !inv.has_network_policy_for(doc.namespace_or_default(), pod.labels) {
                    let lp = pod_pointers(doc.kind()).map_or("/metadata/labels", |p| p.1);
                    out.push(self.v(
                        lp.to_owned(),
                        "no NetworkPolicy selects these pods".to_owned(),
                    ));
                }
            }
            Rule::ServiceNodePort => {
                if value.pointer("/spec/type").and_then(Value::as_str) == Some("NodePort") {
                    out.push(self.v(
                        "/spec/type".to_owned(),
                        "Service is of type NodePort".to_owned(),
                    ));
                }
            }
            Rule::RequiredLabels => {
                let labels = value.pointer("/metadata/labels").and_then(Value::as_object);
                for l in &self.config.required_labels {
                    if labels
                        .and_then(|m| m.get(&l.key))
                        .and_then(Value::as_str)
                        .is_none_or(str::is_empty)
                    {
                        out.push(self.v(
                            format!("/metadata/labels/{}", escape_pointer_token(&l.key)),
                            format!("missing required label `{}`", l.key),
                        ));
                    }
                }
            }
            Rule::TfOpenIngress => tf_open_ingress(self, doc, out),
            Rule::TfS3PublicAcl => {
                if let Some(acl) = value.get("acl").and_then(Value::as_str)
                    && matches!(
                        acl,
                        "public-read" | "public-read-write" | "authenticated-read"
                    )
                {
                    out.push(self.v("/acl".to_owned(), format!("bucket ACL is {acl}")));
                }
            }
            Rule::TfStorageUnencrypted => {
                let field = if doc.kind() == "aws_ebs_volume" {
                    "encrypted"
                } else {
                    "storage_encrypted"
                };
                if !is_true(value.get(field)) {
                    out.push(self.v(
                        format!("/{field}"),
                        format!("{} is not encrypted at rest", doc.kind()),
                    ));
                }
            }
            _ => {
                if let Some(pod) = pod_view(doc) {
                    self.check_containers(&pod, out);
                }
            }
        }
    }

    fn fix_native(&self, value: &Value, v: &Violation) -> Option<Vec<PatchOp>> {
        let cfg = &self.config;
        let container_of = |suffix: &str| -> Option<(&str, &Map<String, Value>)> {
            let base = v.path.strip_suffix(suffix)?;
            Some((base, value.pointer(base)?.as_object()?))
        };
        match self.rule {
            Rule::CapabilitiesDropAll => {
                let drop = value.pointer(&v.path);
                match drop {
                    Some(Value::Array(_)) => Some(vec![PatchOp::Add {
                        path: format!("{}/-", v.path),
                        value: json!("ALL"),
                    }]),
                    Some(_) => None,
                    None => set_ops(value, &v.path, json!(["ALL"])),
                }
            }
            Rule::CpuRequests | Rule::MemoryRequests => {
                let (res, default) = if self.rule == Rule::CpuRequests {
                    ("cpu", &cfg.default_cpu_request)
                } else {
                    ("memory", &cfg.default_memory_request)
                };
                let (base, c) = container_of(&format!("/resources/requests/{res}"))?;
                let _ = base;
                // Kubernetes itself defaults a missing request to the limit.
                let q = c
                    .get("resources")
                    .and_then(|r| r.get("limits"))
                    .and_then(|l| l.get(res))
                    .filter(|q| parse_quantity(q).is_some())
                    .cloned()
                    .unwrap_or_else(|| json!(default));
                set_ops(value, &v.path, q)
            }
            Rule::CpuLimits | Rule::MemoryLimits => {
                let (res, default) = if self.rule == Rule::CpuLimits {
                    ("cpu", &cfg.default_cpu_limit)
                } else {
                    ("memory", &cfg.default_memory_limit)
                };
                let (_, c) = container_of(&format!("/resources/limits/{res}"))?;
                let default_v = json!(default);
                let request = c
                    .get("resources")
                    .and_then(|r| r.get("requests"))
                    .and_then(|l| l.get(res));
                // A limit below the request would make the pod invalid.
                let q = match request {
                    Some(r) => {
                        let rq = parse_quantity(r)?;
                        if rq > parse_quantity(&default_v)? {
                            r.clone()
                        } else {
                            default_v
                        }
                    }
                    None => default_v,
                };
                set_ops(value, &v.path, q)
            }
            Rule::ImagePullPolicy => {
                let (_, c) = container_of("/imagePullPolicy")?;
                let image = c.get("image").and_then(Value::as_str).unwrap_or("");
                let policy = if mutable_image(image) {
                    "Always"
                } else {
                    "IfNotPresent"
                };
                set_ops(value, &v.path, json!(policy))
            }
            Rule::RequiredLabels => {
                let key = v.path.strip_prefix("/metadata/labels/")?;
                let key = key.replace("~1", "/").replace("~0", "~");
                let label = cfg.required_labels.iter().find(|l| l.key == key)?;
                let val = match label.default.as_ref()? {
                    LabelDefault::Value(s) => s.clone(),
                    LabelDefault::ResourceName => {
                        value.pointer("/metadata/name")?.as_str()?.to_owned()
                    }
                };
                set_ops(value, &v.path, json!(val))
            }
            _ => None,
        }
    }
}

fn tf_open_ingress(check: &NativeCheck, doc: &Document, out: &mut Vec<Violation>) {
    let value = doc.value();
    let open = |v: &Value, fields: &[&str]| {
        fields.iter().any(|f| match v.get(*f) {
            Some(Value::Array(a)) => a
                .iter()
                .any(|c| matches!(c.as_str(), Some("0.0.0.0/0" | "::/0"))),
            Some(Value::String(s)) => s == "0.0.0.0/0" || s == "::/0",
            _ => false,
        })
    };
    let exposed = |rule: &Value, proto_field: &str| {
        let proto = rule.get(proto_field).map(|p| match p {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if matches!(proto.as_deref(), Some("-1" | "all")) {
            return Some("all ports".to_owned());
        }
        let from = rule.get("from_port").and_then(Value::as_i64)?;
        let to = rule.get("to_port").and_then(Value::as_i64).unwrap_or(from);
        [22, 3389]
            .into_iter()
            .find(|p| (from..=to).contains(p))
            .map(|p| format!("port {p}"))
    };
    let cidrs = ["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"];
    match doc.kind() {
        "aws_security_group" => {
            for (i, rule) in value
                .get("ingress")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if open(rule, &cidrs)
                    && let Some(what) = exposed(rule, "protocol")
                {
                    out.push(check.v(
                        format!("/ingress/{i}"),
                        format!("ingress open to the internet on {what}"),
                    ));
                }
            }
        }
        "aws_security_group_rule" => {
            if value.get("type").and_then(Value::as_str) == Some("ingress")
                && open(value, &cidrs)
                && let Some(what) = exposed(value, "protocol")
            {
                out.push(check.v(
                    String::new(),
                    format!("ingress open to the internet on {what}"),
                ));
            }
        }
        "aws_vpc_security_group_ingress_rule" => {
            if open(value, &cidrs)
                && let Some(what) = exposed(value, "ip_protocol")
            {
                out.push(check.v(
                    String::new(),
                    format!("ingress open to the internet on {what}"),
                ));
            }
        }
        _ => {}
    }
}

impl Policy for NativeCheck {
    fn id(&self) -> &str {
        self.id
    }
    fn severity(&self) -> Severity {
        self.severity
    }
    fn description(&self) -> &str {
        self.description
    }
    fn applies_to(&self, doc: &Document) -> bool {
        match self.rule {
            Rule::TfOpenIngress => {
                matches!(
                    doc.kind(),
                    "aws_security_group"
                        | "aws_security_group_rule"
                        | "aws_vpc_security_group_ingress_rule"
                ) && !doc.is_kubernetes()
            }
            Rule::TfS3PublicAcl => {
                !doc.is_kubernetes() && matches!(doc.kind(), "aws_s3_bucket" | "aws_s3_bucket_acl")
            }
            Rule::TfStorageUnencrypted => {
                !doc.is_kubernetes()
                    && matches!(
                        doc.kind(),
                        "aws_ebs_volume" | "aws_db_instance" | "aws_rds_cluster"
                    )
            }
            Rule::RequiredLabels => doc.is_kubernetes(),
            // A gate, not a credit: it applies (and weighs in the score) only
            // where the shape is broken, so adding it left every well-formed
            // set's score unchanged.
            Rule::PodSpecShape => {
                let mut found = Vec::new();
                self.check_pod_shape(doc, &mut found);
                !found.is_empty()
            }
            Rule::ServiceNodePort => doc.is_kubernetes() && doc.kind() == "Service",
            Rule::SingleReplicaService | Rule::PodDisruptionBudget => {
                doc.is_kubernetes() && matches!(doc.kind(), "Deployment" | "StatefulSet")
            }
            Rule::ReadinessProbe | Rule::LivenessProbe => {
                doc.is_kubernetes() && pod_pointers(doc.kind()).is_some_and(|p| !p.2)
            }
            _ => doc.is_kubernetes() && pod_pointers(doc.kind()).is_some(),
        }
    }
    fn evaluate(
        &self,
        doc: &Document,
        inventory: &Inventory<'_>,
        out: &mut Vec<Violation>,
    ) -> Result<()> {
        self.evaluate_native(doc, inventory, out);
        Ok(())
    }
    fn fix(&self, value: &Value, violation: &Violation) -> Option<Vec<PatchOp>> {
        if self.severity >= Severity::Critical {
            return None;
        }
        self.fix_native(value, violation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Source, parse_documents};
    use crate::fix::apply_patch;

    fn eval(yaml: &str) -> Vec<(String, String)> {
        let docs = parse_documents("t.yaml", yaml).unwrap();
        let report = PolicySet::native().evaluate(&docs).unwrap();
        report
            .findings
            .iter()
            .map(|f| (f.violation.policy_id.clone(), f.violation.path.clone()))
            .collect()
    }

    fn has(f: &[(String, String)], id: &str) -> bool {
        f.iter().any(|(i, _)| i == id)
    }

    #[test]
    fn malformed_pod_specs_are_critical_findings() {
        let shape = |yaml: &str| -> Vec<String> {
            eval(yaml)
                .into_iter()
                .filter(|(id, _)| id == "pod-spec-shape")
                .map(|(_, p)| p)
                .collect()
        };
        assert_eq!(
            shape("kind: Pod\nmetadata: {name: p}\nspec: {containers: 5}\n"),
            ["/spec/containers"]
        );
        assert_eq!(
            shape("kind: Pod\nmetadata: {name: p}\nspec: {containers: [], initContainers: [3]}\n"),
            ["/spec/initContainers/0", "/spec/containers"]
        );
        assert_eq!(
            shape("kind: Deployment\nmetadata: {name: d}\nspec: {template: {spec: []}}\n"),
            ["/spec/template/spec"]
        );
        assert_eq!(
            shape("kind: CronJob\nmetadata: {name: c}\nspec: {}\n"),
            ["/spec/jobTemplate/spec/template/spec"]
        );
        // A well-formed workload and a non-workload have none.
        assert!(shape(HARDENED).is_empty());
        assert!(shape("kind: Service\nmetadata: {name: s}\nspec: {type: ClusterIP}\n").is_empty());
    }

    const HARDENED: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app.kubernetes.io/name: api}}
spec:
  replicas: 3
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
      - name: api
        image: registry.example.com/shop/api:1.4.2
        imagePullPolicy: IfNotPresent
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
        resources:
          requests: {cpu: 250m, memory: 256Mi}
          limits: {cpu: "1", memory: 512Mi}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        livenessProbe: {httpGet: {path: /live, port: 8080}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: api, namespace: shop, labels: {app.kubernetes.io/name: api}}
spec: {minAvailable: 2, selector: {matchLabels: {app: api}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop, labels: {app.kubernetes.io/name: default-deny}}
spec: {podSelector: {}, policyTypes: [Ingress]}
"#;

    #[test]
    fn hardened_deployment_passes_everything() {
        let f = eval(HARDENED);
        assert!(f.is_empty(), "{f:?}");
        let docs = parse_documents("t.yaml", HARDENED).unwrap();
        let r = PolicySet::native().evaluate(&docs).unwrap();
        assert_eq!(r.score, 100.0);
        assert!(
            r.policies
                .iter()
                .find(|p| p.id == "privileged-container")
                .unwrap()
                .checked
                == 1
        );
    }

    #[test]
    fn each_rule_fires_on_its_condition() {
        let f = eval(
            r#"
apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  hostNetwork: true
  hostPID: true
  hostIPC: true
  securityContext: {runAsUser: 0}
  initContainers:
  - name: init
    image: busybox
  containers:
  - name: app
    image: nginx:latest
    imagePullPolicy: IfNotPresent
    securityContext:
      privileged: true
      allowPrivilegeEscalation: true
      capabilities: {add: [SYS_ADMIN, CHOWN]}
"#,
        );
        for id in [
            "privileged-container",
            "privilege-escalation",
            "run-as-root",
            "host-network",
            "host-pid",
            "host-ipc",
            "dangerous-capabilities",
            "capabilities-added",
            "capabilities-drop-all",
            "readonly-root-filesystem",
            "cpu-requests",
            "memory-requests",
            "cpu-limits",
            "memory-limits",
            "image-tag",
            "image-pull-policy",
            "readiness-probe",
            "liveness-probe",
            "network-policy",
            "required-labels",
        ] {
            assert!(has(&f, id), "{id} missing from {f:?}");
        }
        assert!(!has(&f, "run-as-non-root"), "runAsUser is set (to 0)");
        assert!(f.contains(&(
            "privileged-container".into(),
            "/spec/containers/0/securityContext/privileged".into()
        )));
        assert!(f.contains(&("image-tag".into(), "/spec/initContainers/0/image".into())));
        assert!(f.contains(&(
            "dangerous-capabilities".into(),
            "/spec/containers/0/securityContext/capabilities/add/0".into()
        )));
        assert!(f.contains(&(
            "capabilities-added".into(),
            "/spec/containers/0/securityContext/capabilities/add/1".into()
        )));
        // Probes are not asked of init containers.
        assert_eq!(f.iter().filter(|(i, _)| i == "readiness-probe").count(), 1);
    }

    #[test]
    fn templates_of_every_workload_kind_are_checked() {
        for (kind, spec) in [
            (
                "Deployment",
                "spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}",
            ),
            (
                "StatefulSet",
                "spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}",
            ),
            (
                "DaemonSet",
                "spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}",
            ),
            (
                "Job",
                "spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}",
            ),
            (
                "CronJob",
                "spec: {jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x, securityContext: {privileged: true}}]}}}}}",
            ),
        ] {
            let f = eval(&format!("kind: {kind}\nmetadata: {{name: w}}\n{spec}\n"));
            assert!(has(&f, "privileged-container"), "{kind}: {f:?}");
            let batch = kind == "Job" || kind == "CronJob";
            assert_eq!(has(&f, "liveness-probe"), !batch, "{kind}");
        }
        assert!(!has(
            &eval("kind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"),
            "privileged-container"
        ));
    }

    #[test]
    fn cross_resource_rules() {
        let base = r#"
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: "x:1"}]}
---
kind: Service
metadata: {name: web, namespace: prod}
spec: {type: NodePort, selector: {app: web}}
"#;
        let f = eval(base);
        assert!(
            has(&f, "single-replica-service")
                && has(&f, "service-nodeport")
                && has(&f, "network-policy")
        );
        assert!(
            !has(&f, "pod-disruption-budget"),
            "1 replica: a PDB would block drains"
        );
        let scaled = base.replace("spec:\n  template", "spec:\n  replicas: 3\n  template");
        let f = eval(&scaled);
        assert!(!has(&f, "single-replica-service") && has(&f, "pod-disruption-budget"));
        // Service in another namespace does not count.
        let f = eval(&base.replace(
            "name: web, namespace: prod}\nspec: {type",
            "name: web, namespace: dev}\nspec: {type",
        ));
        assert!(!has(&f, "single-replica-service"), "{f:?}");
    }

    #[test]
    fn terraform_rules() {
        let plan = r#"{"resource_changes":[
 {"address":"aws_security_group.ssh","type":"aws_security_group","change":{"actions":["create"],"after":{"ingress":[
   {"from_port":443,"to_port":443,"protocol":"tcp","cidr_blocks":["0.0.0.0/0"]},
   {"from_port":0,"to_port":65535,"protocol":"tcp","cidr_blocks":["0.0.0.0/0"]}]}}},
 {"address":"aws_security_group_rule.ok","type":"aws_security_group_rule","change":{"actions":["create"],"after":{"type":"ingress","from_port":22,"to_port":22,"protocol":"tcp","cidr_blocks":["10.0.0.0/8"]}}},
 {"address":"aws_s3_bucket.b","type":"aws_s3_bucket","change":{"actions":["create"],"after":{"acl":"public-read"}}},
 {"address":"aws_ebs_volume.v","type":"aws_ebs_volume","change":{"actions":["create"],"after":{"encrypted":false}}},
 {"address":"aws_db_instance.d","type":"aws_db_instance","change":{"actions":["update"],"after":{"storage_encrypted":true}}}]}"#;
        let f = eval(plan);
        assert_eq!(
            f,
            vec![
                ("tf-open-ingress".to_owned(), "/ingress/1".to_owned()),
                ("tf-s3-public-acl".to_owned(), "/acl".to_owned()),
                ("tf-storage-unencrypted".to_owned(), "/encrypted".to_owned()),
            ]
        );
    }

    #[test]
    fn fixes_resolve_their_findings_and_skip_critical() {
        let text = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        securityContext: {privileged: true, capabilities: {drop: [NET_RAW]}}
        resources: {requests: {memory: 1Gi}, limits: {cpu: "2"}}
"#;
        let docs = parse_documents("t.yaml", text).unwrap();
        let set = PolicySet::native();
        let report = set.evaluate(&docs).unwrap();
        let fix = crate::fix::fix_document(&set, &docs[0], &report)
            .unwrap()
            .unwrap();
        let mut fixed = docs[0].value().clone();
        apply_patch(&mut fixed, &fix.patch).unwrap();
        assert_eq!(fixed, fix.document);
        let c = &fixed["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(
            c["securityContext"]["capabilities"]["drop"],
            json!(["NET_RAW", "ALL"])
        );
        assert_eq!(
            c["resources"]["requests"]["cpu"], "2",
            "request defaults to the limit"
        );
        assert_eq!(
            c["resources"]["limits"]["memory"], "1Gi",
            "limit raised to the request"
        );
        assert_eq!(c["imagePullPolicy"], "Always");
        assert_eq!(
            c["securityContext"]["privileged"], true,
            "critical is never fixed"
        );
        assert_eq!(fixed["metadata"]["labels"]["app.kubernetes.io/name"], "web");
        let again = set
            .evaluate(&[Document::from_value(fixed, Source::new("t")).unwrap()])
            .unwrap();
        let ids: Vec<_> = again
            .findings
            .iter()
            .map(|f| f.violation.policy_id.as_str())
            .collect();
        for gone in [
            "capabilities-drop-all",
            "cpu-requests",
            "memory-limits",
            "image-pull-policy",
            "required-labels",
        ] {
            assert!(!ids.contains(&gone), "{gone} still in {ids:?}");
        }
        assert!(ids.contains(&"privileged-container"));
        assert!(again.score > report.score);
    }

    #[test]
    fn quantities_and_images() {
        assert_eq!(
            parse_quantity(&json!("128Mi")),
            Some(128.0 * 1024.0 * 1024.0)
        );
        assert_eq!(parse_quantity(&json!("250m")), Some(0.25));
        assert_eq!(parse_quantity(&json!(2)), Some(2.0));
        assert_eq!(parse_quantity(&json!("lots")), None);
        assert_eq!(image_ref("registry:5000/app"), ImageRef::Untagged);
        assert_eq!(image_ref("registry:5000/app:1.2"), ImageRef::Tag("1.2"));
        assert_eq!(image_ref("app@sha256:abc"), ImageRef::Digest);
    }
}
