//! Cluster API rollouts read from the store: a MachineDeployment's MachineSets by revision and the rollout in
//! progress, a KubeadmControlPlane's Machines not up to date and its version moving, and a topology Cluster's
//! version against its control plane and MachineDeployments (an upgrade in flight).
//!
//! Upstream (cluster-api v1.14): the revision is the annotation `machinedeployment.clusters.x-k8s.io/revision`
//! on each MachineSet, with a copy of the newest value on the MachineDeployment
//! (`api/core/v1beta2/machinedeployment_types.go`); replica counters are the v1beta2 ones (`replicas`,
//! `readyReplicas`, `availableReplicas`, `upToDateReplicas`), at the top of `status` in v1beta2 and under
//! `status.v1beta2` in v1beta1 (where the top-level `updatedReplicas` is the older name of up to date); the
//! `RollingOut` condition (negative polarity: True while rolling out, with the message "Rolling out N not
//! up-to-date replicas" and its bullets) and a Machine's `UpToDate` condition
//! (`core/reconcilers/machinedeployment/`, `controlplane/kubeadm/reconcilers/kubeadmcontrolplane/status.go`).
//!
//! Missing or unknown revision annotations and counters are notes naming the object, never a panic.
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::conditions::{self, ConditionStatus};
use super::kinds::KindId;
use super::object::StoredObject;
use super::status::{v1beta2_conditions, v1beta2_counter};
use super::store::FleetStore;

/// The annotation holding a MachineSet's (and its MachineDeployment's newest) revision.
pub const REVISION: &str = "machinedeployment.clusters.x-k8s.io/revision";

/// The label naming a MachineSet's or Machine's MachineDeployment.
pub const DEPLOYMENT_NAME: &str = "cluster.x-k8s.io/deployment-name";

/// The label naming a control plane Machine's KubeadmControlPlane.
pub const CONTROL_PLANE_NAME: &str = "cluster.x-k8s.io/control-plane-name";

/// Replica counters, v1beta2 meaning, whichever API version stored them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replicas {
    /// `spec.replicas`.
    pub desired: i64,
    pub current: i64,
    pub ready: i64,
    pub available: i64,
    pub up_to_date: i64,
}

/// The `RollingOut` condition, when the controller wrote one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingOut {
    pub rolling_out: bool,
    pub reason: String,
    pub message: String,
    pub since: Option<Timestamp>,
}

/// One MachineSet of a MachineDeployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    /// The revision annotation, when it is a number.
    pub revision: Option<u64>,
    pub machine_set: String,
    /// The Kubernetes version of its Machine template (`spec.template.spec.version`).
    pub version: String,
    pub replicas: Replicas,
    pub created: Option<Timestamp>,
    /// Its revision is the MachineDeployment's (the newest).
    pub current: bool,
}

/// A MachineDeployment's rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MdRollout {
    pub replicas: Replicas,
    /// The MachineDeployment's revision annotation (its newest MachineSet's).
    pub revision: Option<u64>,
    /// `spec.rollout.strategy.type` (v1beta2) or `spec.strategy.type` (v1beta1): RollingUpdate, OnDelete.
    pub strategy: String,
    pub paused: bool,
    pub rolling_out: Option<RollingOut>,
    /// Newest revision first; MachineSets without a revision last.
    pub revisions: Vec<Revision>,
    pub notes: Vec<String>,
}

/// A control plane Machine that is not up to date.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleMachine {
    pub name: String,
    pub version: String,
    /// The `UpToDate` condition's message (`* Version v1.31.0, v1.32.0 required`, ...).
    pub message: String,
}

/// A KubeadmControlPlane's rollout.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KcpRollout {
    pub replicas: Replicas,
    /// `spec.version`: where it is going.
    pub version: String,
    /// `status.version`: the lowest version its Machines run.
    pub status_version: String,
    pub rolling_out: Option<RollingOut>,
    pub stale: Vec<StaleMachine>,
}

impl Replicas {
    /// Up to date of desired, as a fraction in 0..=1 (1 when nothing is desired).
    pub fn progress(&self) -> f64 {
        if self.desired <= 0 { 1.0 } else { (self.up_to_date as f64 / self.desired as f64).clamp(0.0, 1.0) }
    }
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

/// Reads the counters of a MachineDeployment, MachineSet or KubeadmControlPlane.
pub fn replicas(data: &Value) -> Replicas {
    Replicas {
        desired: int(data, "/spec/replicas").unwrap_or(0),
        current: int(data, "/status/replicas").unwrap_or(0),
        ready: v1beta2_counter(data, "readyReplicas").unwrap_or(0),
        available: v1beta2_counter(data, "availableReplicas").unwrap_or(0),
        up_to_date: v1beta2_counter(data, "upToDateReplicas")
            .or_else(|| int(data, "/status/updatedReplicas"))
            .unwrap_or(0),
    }
}

fn rolling_out(data: &Value) -> Option<RollingOut> {
    let cs = v1beta2_conditions(data).ok()?;
    let c = conditions::find(&cs, "RollingOut")?;
    Some(RollingOut {
        rolling_out: c.status == ConditionStatus::True,
        reason: c.reason.clone(),
        message: c.message.clone(),
        since: c.last_transition_time,
    })
}

/// The revision annotation of `o`, or why there is none.
fn revision_of(o: &StoredObject) -> Result<u64, String> {
    let raw = o
        .obj()
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(REVISION))
        .ok_or_else(|| format!("no revision annotation ({REVISION})"))?;
    raw.parse().map_err(|_| format!("unknown revision annotation {raw:?}"))
}

fn owned_by(o: &StoredObject, kind: &str, name: &str) -> bool {
    o.obj().metadata.owner_references.as_ref().is_some_and(|refs| refs.iter().any(|r| r.kind == kind && r.name == name))
}

/// The rollout of MachineDeployment `namespace/name` in `context`, from the MachineSets in the store (owned by
/// it, or labelled with its name); `None` when the MachineDeployment is not in the store.
pub fn machine_deployment(store: &FleetStore, context: &str, namespace: &str, name: &str) -> Option<MdRollout> {
    let md = store.get(context, KindId::MACHINE_DEPLOYMENT, namespace, name)?;
    let data = &md.obj().data;
    let mut notes = Vec::new();
    let md_revision = revision_of(md);
    let revision = md_revision.as_ref().ok().copied();
    let mut revisions: Vec<Revision> = store
        .objects(context, KindId::MACHINE_SET)
        .filter(|ms| {
            ms.namespace() == namespace
                && (ms.label(DEPLOYMENT_NAME) == Some(name) || owned_by(ms, "MachineDeployment", name))
        })
        .map(|ms| {
            let r = revision_of(ms).map_err(|e| notes.push(format!("MachineSet {}: {e}", ms.name()))).ok();
            let d = &ms.obj().data;
            Revision {
                revision: r,
                machine_set: ms.name().to_string(),
                version: d.pointer("/spec/template/spec/version").and_then(Value::as_str).unwrap_or_default().into(),
                replicas: replicas(d),
                created: ms.obj().metadata.creation_timestamp.as_ref().map(|t| t.0),
                current: r.is_some() && r == revision,
            }
        })
        .collect();
    revisions.sort_by(|a, b| b.revision.cmp(&a.revision).then_with(|| a.machine_set.cmp(&b.machine_set)));
    if let Err(e) = md_revision
        && !revisions.is_empty()
    {
        notes.push(format!("MachineDeployment {name}: {e}"));
    }
    let strategy = data
        .pointer("/spec/rollout/strategy/type")
        .or_else(|| data.pointer("/spec/strategy/type"))
        .and_then(Value::as_str)
        .unwrap_or("RollingUpdate")
        .to_string();
    Some(MdRollout {
        replicas: replicas(data),
        revision,
        strategy,
        paused: data.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false),
        rolling_out: rolling_out(data),
        revisions,
        notes,
    })
}

/// The rollout of KubeadmControlPlane `namespace/name` in `context`, with its Machines (labelled with its
/// name) whose `UpToDate` condition is False; `None` when it is not in the store.
pub fn kubeadm_control_plane(store: &FleetStore, context: &str, namespace: &str, name: &str) -> Option<KcpRollout> {
    let kcp = store.get(context, KindId::KUBEADM_CONTROL_PLANE, namespace, name)?;
    let data = &kcp.obj().data;
    let mut stale: Vec<StaleMachine> = store
        .objects(context, KindId::MACHINE)
        .filter(|m| m.namespace() == namespace && m.label(CONTROL_PLANE_NAME) == Some(name))
        .filter_map(|m| {
            let d = &m.obj().data;
            let cs = v1beta2_conditions(d).ok()?;
            let c = conditions::find(&cs, "UpToDate")?;
            (c.status == ConditionStatus::False).then(|| StaleMachine {
                name: m.name().to_string(),
                version: d.pointer("/spec/version").and_then(Value::as_str).unwrap_or_default().into(),
                message: c.message.clone(),
            })
        })
        .collect();
    stale.sort_by(|a, b| a.name.cmp(&b.name));
    let text = |p: &str| data.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    Some(KcpRollout {
        replicas: replicas(data),
        version: text("/spec/version"),
        status_version: text("/status/version"),
        rolling_out: rolling_out(data),
        stale,
    })
}

/// One MachineDeployment of a topology Cluster and the version its Machine template asks for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopologyWorker {
    pub name: String,
    /// `spec.template.spec.version`.
    pub version: String,
    /// Its counters: a MachineDeployment whose template is at the version is still rolling its Machines out
    /// while `upToDate < desired`.
    pub replicas: Replicas,
}

impl TopologyWorker {
    /// Its template is at `version` and every desired Machine is up to date.
    pub fn at(&self, version: &str) -> bool {
        self.version == version && self.replicas.up_to_date >= self.replicas.desired
    }
}

/// A Cluster with a managed topology (ClusterClass): the version it asks for against where its control plane
/// and MachineDeployments are. The topology controller upgrades the control plane first, then the workers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopologyRollout {
    /// `spec.topology.version`.
    pub version: String,
    /// The control plane's `spec.version` and `status.version`, when its KubeadmControlPlane is in the store.
    pub control_plane: Option<(String, String)>,
    /// The Cluster's MachineDeployments (label `cluster.x-k8s.io/cluster-name`), by name.
    pub workers: Vec<TopologyWorker>,
    /// Something is not yet at `version`: the control plane's spec or Machines, a MachineDeployment's
    /// template, or its Machines (up to date fewer than desired).
    pub upgrading: bool,
}

/// The topology rollout of Cluster `namespace/name` in `context`; `None` when it is not in the store or has no
/// `spec.topology`.
pub fn topology(store: &FleetStore, context: &str, namespace: &str, name: &str) -> Option<TopologyRollout> {
    let cluster = store.get(context, KindId::CLUSTER, namespace, name)?;
    let data = &cluster.obj().data;
    let version = data.pointer("/spec/topology/version").and_then(Value::as_str)?.to_string();
    let text = |d: &Value, p: &str| d.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let control_plane = data
        .pointer("/spec/controlPlaneRef/name")
        .and_then(Value::as_str)
        .and_then(|cp| store.get(context, KindId::KUBEADM_CONTROL_PLANE, namespace, cp))
        .map(|kcp| (text(&kcp.obj().data, "/spec/version"), text(&kcp.obj().data, "/status/version")));
    let mut workers: Vec<TopologyWorker> = store
        .objects(context, KindId::MACHINE_DEPLOYMENT)
        .filter(|md| md.namespace() == namespace && md.label("cluster.x-k8s.io/cluster-name") == Some(name))
        .map(|md| TopologyWorker {
            name: md.name().to_string(),
            version: text(&md.obj().data, "/spec/template/spec/version"),
            replicas: replicas(&md.obj().data),
        })
        .collect();
    workers.sort_by(|a, b| a.name.cmp(&b.name));
    let upgrading = control_plane.as_ref().is_some_and(|(spec, status)| *spec != version || *status != version)
        || workers.iter().any(|w| !w.at(&version));
    Some(TopologyRollout { version, control_plane, workers, upgrading })
}

/// A text progress bar of `width` cells: `[=====     ]`.
pub fn bar(progress: f64, width: usize) -> String {
    let full = ((progress.clamp(0.0, 1.0) * width as f64).round() as usize).min(width);
    format!("[{}{}]", "=".repeat(full), " ".repeat(width - full))
}
