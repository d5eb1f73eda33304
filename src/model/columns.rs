//! [`Columns`]: what the fleet-wide list views (Clusters, Flux, Terraform, Crossplane) show of an object beyond its
//! name and health, read once when the object arrives, so that building the lists never parses an object
//! (the store keeps objects as JSON text, see [`super::object`]).
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use serde_json::Value;

use super::kinds::{Dynamic, Family, KindId};

/// The list columns of one object, by the list it appears in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Columns {
    /// A kind no list shows.
    #[default]
    None,
    /// A CAPI `Cluster` (Clusters view).
    Cluster(Box<ClusterColumns>),
    /// A Flux object (Flux view).
    Flux(FluxColumns),
    /// A tofu-controller `Terraform`, or a provider-terraform `Workspace` (Terraform view).
    Terraform(Box<TerraformColumns>),
    /// A Crossplane claim or composite resource (Crossplane view).
    Crossplane(Box<CrossplaneColumns>),
}

/// Columns of a Crossplane claim or XR (the printer columns of the CRDs Crossplane generates, crossplane-runtime
/// `pkg/xcrd/crd.go`), or of a package (INSTALLED and HEALTHY in `synced` / `ready`, the package image in
/// `composition`, as `kubectl get providers` shows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossplaneColumns {
    /// The `Synced` condition's status (`True`, `False`, `Unknown`), `-` when absent.
    pub synced: String,
    /// The `Ready` condition's status, `-` when absent.
    pub ready: String,
    /// `spec.crossplane.compositionRef.name` (Namespaced / Cluster XRs) or `spec.compositionRef.name`
    /// (claims, LegacyCluster XRs); empty when unset.
    pub composition: String,
    /// How many resources it references (`spec.resourceRef` of a claim counts 1).
    pub resources: usize,
    /// `crossplane.io/paused: "true"`.
    pub paused: bool,
}

/// Columns of a CAPI Cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterColumns {
    /// `status.phase`.
    pub phase: String,
    /// Control plane `ready/desired` (v1beta2 `status.controlPlane`, else `-`).
    pub control_plane: String,
    /// Workers `ready/desired` (v1beta2 `status.workers`, else `-`).
    pub workers: String,
    /// `spec.topology.version`, else `-`.
    pub version: String,
    /// `spec.paused`.
    pub paused: bool,
    /// `spec.topology.classRef.name` (v1beta2) or `spec.topology.class` (v1beta1), if a topology cluster.
    pub class: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: Option<Timestamp>,
}

/// Columns of a Flux object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FluxColumns {
    /// The first non-empty of `status.lastAppliedRevision`, `status.artifact.revision`,
    /// `status.history[0].chartVersion`, `status.lastAttemptedRevision`.
    pub revision: String,
    /// `spec.suspend`.
    pub suspended: bool,
}

/// Columns of a Terraform object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformColumns {
    /// `status.plan.pending`, if a plan waits.
    pub pending_plan: Option<String>,
    /// `status.availableOutputs` (names only; values are never read).
    pub outputs: Vec<String>,
    /// `status.lastAppliedRevision`.
    pub revision: String,
    /// `status.lastPlanAt`: when tofu-controller last planned.
    pub last_plan_at: Option<Timestamp>,
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn counter(v: &Value, p: &str) -> Option<i64> {
    v.pointer(p).and_then(Value::as_i64)
}

fn ready_of(v: &Value, base: &str) -> String {
    match (counter(v, &format!("{base}/readyReplicas")), counter(v, &format!("{base}/desiredReplicas"))) {
        (r, Some(d)) => format!("{}/{d}", r.unwrap_or(0)),
        _ => "-".into(),
    }
}

/// Crossplane's packages (Provider, Function, Configuration), listed in the Crossplane view with their
/// `Installed` / `Healthy` conditions in the SYNCED / READY columns.
fn is_package(kind: KindId) -> bool {
    let spec = kind.spec();
    spec.group == "pkg.crossplane.io" && matches!(spec.kind, "Provider" | "Function" | "Configuration")
}

/// provider-terraform's `Workspace`: `tf.upbound.io` (cluster-scoped) or `tf.m.upbound.io` (namespaced,
/// Crossplane v2), listed with the Terraform objects.
fn is_workspace(kind: KindId) -> bool {
    let spec = kind.spec();
    kind.is_dynamic() && spec.kind == "Workspace" && matches!(spec.group, "tf.upbound.io" | "tf.m.upbound.io")
}

fn condition_status(v: &Value, type_: &str) -> String {
    super::conditions::raw_field(v, type_, "status").filter(|s| !s.is_empty()).unwrap_or("-").to_string()
}

fn is_capi_cluster(kind: KindId) -> bool {
    let spec = kind.spec();
    spec.group == "cluster.x-k8s.io" && spec.kind == "Cluster"
}

impl Columns {
    /// Whether a list shows objects of `kind` (whether [`Columns::read`] gives anything but `None`).
    pub fn listed(kind: KindId) -> bool {
        is_capi_cluster(kind)
            || matches!(kind.spec().family, Family::Flux | Family::Terraform)
            || matches!(kind.dynamic_role(), Some(Dynamic::Composite | Dynamic::Claim))
            || is_package(kind)
            || is_workspace(kind)
    }

    /// Reads the columns of `obj`, an object of `kind`. Total: missing or mistyped fields read as empty.
    pub fn read(kind: KindId, obj: &DynamicObject) -> Columns {
        let d = &obj.data;
        let spec = kind.spec();
        if is_capi_cluster(kind) {
            let class = match s(d, "/spec/topology/classRef/name") {
                "" => Some(s(d, "/spec/topology/class")).filter(|c| !c.is_empty()).map(String::from),
                c => Some(c.to_string()),
            };
            return Columns::Cluster(Box::new(ClusterColumns {
                phase: s(d, "/status/phase").to_string(),
                control_plane: ready_of(d, "/status/controlPlane"),
                workers: ready_of(d, "/status/workers"),
                version: match s(d, "/spec/topology/version") {
                    "" => "-".into(),
                    v => v.to_string(),
                },
                paused: d.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false),
                class,
                created: obj.metadata.creation_timestamp.as_ref().map(|t| t.0),
            }));
        }
        if matches!(kind.dynamic_role(), Some(Dynamic::Composite | Dynamic::Claim)) {
            let composition = match s(d, "/spec/crossplane/compositionRef/name") {
                "" => s(d, "/spec/compositionRef/name"),
                c => c,
            };
            return Columns::Crossplane(Box::new(CrossplaneColumns {
                synced: condition_status(d, "Synced"),
                ready: condition_status(d, "Ready"),
                composition: composition.to_string(),
                resources: super::crossplane::references(obj).len(),
                paused: super::status::crossplane_paused(obj),
            }));
        }
        if is_package(kind) {
            // The package image in COMPOSITION's place (`xpkg.upbound.io/upbound/provider-aws-rds:v1.21.0`).
            return Columns::Crossplane(Box::new(CrossplaneColumns {
                synced: condition_status(d, "Installed"),
                ready: condition_status(d, "Healthy"),
                composition: s(d, "/spec/package").to_string(),
                resources: 0,
                paused: super::status::crossplane_paused(obj),
            }));
        }
        if is_workspace(kind) {
            // Only the names: `status.atProvider.outputs` holds the non-sensitive outputs; values are never read.
            let mut outputs: Vec<String> = d
                .pointer("/status/atProvider/outputs")
                .and_then(Value::as_object)
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default();
            outputs.sort();
            return Columns::Terraform(Box::new(TerraformColumns {
                pending_plan: None,
                outputs,
                revision: String::new(),
                last_plan_at: None,
            }));
        }
        match spec.family {
            Family::Flux => {
                let revision = [
                    "/status/lastAppliedRevision",
                    "/status/artifact/revision",
                    "/status/history/0/chartVersion",
                    "/status/lastAttemptedRevision",
                ]
                .iter()
                .map(|p| s(d, p))
                .find(|r| !r.is_empty())
                .unwrap_or("")
                .to_string();
                let suspended = d.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false);
                Columns::Flux(FluxColumns { revision, suspended })
            }
            Family::Terraform => Columns::Terraform(Box::new(TerraformColumns {
                pending_plan: Some(s(d, "/status/plan/pending").to_string()).filter(|p| !p.is_empty()),
                outputs: d
                    .pointer("/status/availableOutputs")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                    .unwrap_or_default(),
                revision: s(d, "/status/lastAppliedRevision").to_string(),
                last_plan_at: s(d, "/status/lastPlanAt").parse().ok(),
            })),
            _ => Columns::None,
        }
    }
}
