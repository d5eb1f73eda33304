//! Each object's health, computed the way its controller means it.
//!
//! [`health`] turns one object into a [`Health`]: a [`HealthState`] for colours and worst-first sorting, plus the
//! reason, message and time of the condition that decided it. It is pure (no IO, no clock) and total: any JSON,
//! however broken, gives a `Health`, never a panic.
//!
//! The rules follow the controllers' own semantics, one family per file:
//! - `flux.rs`: Flux (`*.toolkit.fluxcd.io`) and tofu-controller Terraform (`infra.contrib.fluxcd.io`), kstatus
//!   conditions read the way `flux get` shows them;
//! - `capi.rs`: Cluster API, v1beta2 and v1beta1 status shapes, read the way `clusterctl describe cluster` does;
//! - `crossplane.rs`: Crossplane's own kinds (`*.crossplane.io`) and the claims, composites and managed
//!   resources found at run time, by `Synced` / `Ready` and the package conditions;
//! - `inventory.rs`: the Cluster Inventory API's ClusterProfile, by `ControlPlaneHealthy`;
//! - `core.rs`: core kinds (Node, Namespace, and kstatus's built-in rules for Deployment, StatefulSet, DaemonSet,
//!   ReplicaSet, Job, Pod, PVC, Service, CRD, PDB, ...), Weave GitOps objects, and generic kstatus for the rest.
//!
//! Common to all: `metadata.deletionTimestamp` wins (Deleting); a status that cannot be read (wrong JSON types)
//! gives [`HealthState::Unknown`] with a `note` naming the bad field.

mod capi;
mod core;
mod crossplane;
mod inventory;

pub use crossplane::{PAUSED as CROSSPLANE_PAUSED, is_paused as crossplane_paused};

pub use capi::{v1beta2_conditions, v1beta2_counter};
mod flux;
#[cfg(test)]
mod tests;

use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;

use crate::model::conditions::{Condition, Malformed, conditions_at, find, get_i64, lookup};
use crate::model::kinds::{Family, KindId};

/// Health of one object, as fleetdeck shows it.
///
/// Declared worst first, so the derived `Ord` sorts a fleet worst-first:
/// - `Failed`: the controller reports a failure that needs a human (Flux Ready=False, CAPI summary False on a
///   running object, Stalled=True, a failed Node);
/// - `Unknown`: fleetdeck cannot vouch for it: never reconciled, or a status it cannot read (see `note`);
/// - `PlanPending`: a Terraform plan waits for someone to approve it;
/// - `Progressing`: the controller is working on it and expects to finish by itself;
/// - `Deleting`: on its way out;
/// - `Paused` / `Suspended`: someone stopped its reconciliation on purpose (CAPI pause / Flux suspend);
/// - `Ready`: as desired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub enum HealthState {
    Failed,
    Unknown,
    PlanPending,
    Progressing,
    Deleting,
    Paused,
    Suspended,
    Ready,
}

/// The health of one object: state plus the words of the condition that decided it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    pub state: HealthState,
    /// CamelCase reason of the deciding condition, or a fleetdeck reason such as `LatestGenerationNotObserved`
    /// (kstatus's word), `NotReconciled`, `MalformedStatus`; may be empty (a ConfigMap just exists).
    pub reason: String,
    /// Message of the deciding condition, unchanged (may span lines, e.g. CAPI `* Control plane: ...` lists).
    pub message: String,
    /// lastTransitionTime of the deciding condition (the deletionTimestamp for Deleting without a condition).
    pub since: Option<Timestamp>,
    /// Set when the status was malformed and could not be read, e.g. `status.conditions is a string, expected a
    /// list`. The state is then `Unknown`, or a state that metadata/spec alone decide (Deleting, Suspended).
    pub note: Option<String>,
}

impl Health {
    /// A health with no transition time and no note.
    pub fn new(state: HealthState, reason: impl Into<String>, message: impl Into<String>) -> Self {
        Self { state, reason: reason.into(), message: message.into(), since: None, note: None }
    }

    /// `state`, with reason, message and since taken from `condition`.
    pub(crate) fn from_condition(state: HealthState, condition: &Condition) -> Self {
        Self {
            state,
            reason: condition.reason.clone(),
            message: condition.message.clone(),
            since: condition.last_transition_time,
            note: None,
        }
    }

    fn malformed(err: &Malformed) -> Self {
        Self { note: Some(err.to_string()), ..Self::new(HealthState::Unknown, "MalformedStatus", "") }
    }
}

/// The health of `obj`, whose API group is `group` (`""` for core) and kind `kind`.
///
/// In order: `metadata.deletionTimestamp` -> Deleting (cli-utils `pkg/kstatus/status/generic.go`
/// `checkGenericProperties`), then the family's rules: Flux and Terraform groups, Cluster API groups
/// (`*.cluster.x-k8s.io`), Weave GitOps groups (`*.weave.works`), everything else by core/kstatus rules. See the
/// family functions for each rule and its upstream source. Never panics; unreadable status -> Unknown + `note`.
pub fn health(group: &str, kind: &str, obj: &DynamicObject) -> Health {
    if let Some(ts) = &obj.metadata.deletion_timestamp {
        return deleting(obj, ts.0);
    }
    let result = if flux::is_flux_group(group) {
        flux::health(group, kind, obj)
    } else if group == flux::TERRAFORM_GROUP {
        flux::terraform(kind, obj)
    } else if capi::is_capi_group(group) {
        capi::health(group, kind, obj)
    } else if core::is_wge_group(group) {
        core::wge(obj)
    } else if group.ends_with(".crossplane.io") {
        crossplane::health(group, kind, obj)
    } else if group == "multicluster.x-k8s.io" && kind == "ClusterProfile" {
        inventory::cluster_profile(obj)
    } else {
        core::health(group, kind, obj)
    };
    result.unwrap_or_else(|err| Health::malformed(&err))
}

/// The health of `obj`, an object of `kind`: [`health`], except that a Crossplane kind found at run time (a
/// claim, composite or managed resource, whatever its group) is read by Crossplane's `Synced` / `Ready`
/// rules (deletion first, as everywhere). A Cluster API provider kind found at run time goes by its group,
/// as catalogue kinds do.
pub fn health_of(kind: KindId, obj: &DynamicObject) -> Health {
    let spec = kind.spec();
    if !(kind.is_dynamic() && spec.family == Family::Crossplane) {
        return health(spec.group, spec.kind, obj);
    }
    if let Some(ts) = &obj.metadata.deletion_timestamp {
        return deleting(obj, ts.0);
    }
    crossplane::synced_ready(obj).unwrap_or_else(|err| Health::malformed(&err))
}

/// Deleting, with the message of a `Deleting` condition (CAPI v1beta2, in `status.conditions` or, read as
/// v1beta1, `status.v1beta2.conditions`) when there is one: it says what the deletion waits for.
fn deleting(obj: &DynamicObject, deletion_timestamp: Timestamp) -> Health {
    let mut health = Health::new(HealthState::Deleting, "Deleting", "");
    health.since = Some(deletion_timestamp);
    for pointer in ["/status/conditions", "/status/v1beta2/conditions"] {
        match conditions_at(&obj.data, pointer) {
            Ok(conditions) => {
                if let Some(c) = find(&conditions, "Deleting").filter(|c| c.is_true() || !c.message.is_empty()) {
                    health.message.clone_from(&c.message);
                    health.since = c.last_transition_time.or(health.since);
                    return health;
                }
            }
            Err(err) => health.note = Some(err.to_string()),
        }
    }
    health
}

/// Whether `status` is present (an object); errors when it is something else.
pub(crate) fn has_status(obj: &DynamicObject) -> Result<bool, Malformed> {
    match lookup(&obj.data, &["status"])? {
        None => Ok(false),
        Some(v) if v.is_object() => Ok(true),
        Some(v) => Err(Malformed::new("status", v, "an object")),
    }
}

/// kstatus's first rule after deletion (cli-utils `pkg/kstatus/status/generic.go` `checkGeneration`):
/// `metadata.generation != status.observedGeneration`, when both exist -> Progressing, reason
/// `LatestGenerationNotObserved`, message `<Kind> generation is 3, but latest observed generation is 2`.
pub(crate) fn generation_lag(kind: &str, obj: &DynamicObject) -> Result<Option<Health>, Malformed> {
    let observed = get_i64(&obj.data, &["status", "observedGeneration"])?;
    Ok(match (obj.metadata.generation, observed) {
        (Some(generation), Some(observed)) if generation != observed => Some(Health::new(
            HealthState::Progressing,
            "LatestGenerationNotObserved",
            format!("{kind} generation is {generation}, but latest observed generation is {observed}"),
        )),
        _ => None,
    })
}

/// Health of an object that has no status yet: its controller has not reconciled it (or is not running).
pub(crate) fn not_reconciled() -> Health {
    Health::new(HealthState::Unknown, "NotReconciled", "no status yet: the controller has not reconciled this object")
}
