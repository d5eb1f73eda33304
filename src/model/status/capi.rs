//! Cluster API health, for both status shapes a fleet serves.
//!
//! v1beta2 objects carry `metav1.Condition`s and no Ready/Stalled on the big kinds: health comes from the summary
//! condition `clusterctl describe cluster` shows for the row (cluster-api `internal/util/tree/tree.go`
//! `newRowDescriptor`: Available for Cluster, MachineDeployment and control planes, Ready for Machines and the
//! rest) and from Paused/Deleting/RollingOut/ScalingUp. v1beta1 objects (and v1beta1-contract providers such as
//! CAPA) carry a Ready condition with a severity, `status.ready`, and `failureReason`/`failureMessage`.
//!
//! The shape is decided per object, not per apiVersion, because real fleets mix them:
//! - `status.v1beta2.conditions` present: a v1beta2-era object read as v1beta1; use those v1beta2 conditions;
//! - `status.deprecated` or `status.initialization` present, or a condition carrying observedGeneration: v1beta2;
//! - a condition carrying `severity`: v1beta1;
//! - a v1beta2-only condition type (Available, Paused, Deleting, ...): v1beta2;
//! - otherwise v1beta1 (healthy v1beta1 conditions are all True and carry no severity).

use kube::api::DynamicObject;
use serde_json::Value;

use super::{Health, HealthState, has_status, not_reconciled};
use crate::model::conditions::{
    Condition, ConditionStatus, Malformed, Polarity, Severity, conditions_at, find, get_bool, get_i64, get_str, lookup,
    polarity,
};

const CAPI_GROUPS: &[&str] = &[
    "cluster.x-k8s.io",
    "controlplane.cluster.x-k8s.io",
    "bootstrap.cluster.x-k8s.io",
    "infrastructure.cluster.x-k8s.io",
    "addons.cluster.x-k8s.io",
    "ipam.cluster.x-k8s.io",
    "runtime.cluster.x-k8s.io",
];

/// The annotation that pauses one object (cluster-api `api/core/v1beta2/common_types.go` `PausedAnnotation`).
const PAUSED_ANNOTATION: &str = "cluster.x-k8s.io/paused";

/// v1beta2 negative-polarity conditions that mean "work under way" rather than "broken".
const PROGRESS: &[&str] = &["RollingOut", "ScalingUp", "ScalingDown", "Updating", "Remediating"];

/// Condition types that exist only in v1beta2 status.
const V1BETA2_ONLY: &[&str] = &["Available", "Paused", "Deleting", "RollingOut", "ScalingUp", "UpToDate"];

pub(super) fn is_capi_group(group: &str) -> bool {
    CAPI_GROUPS.contains(&group)
}

enum Shape {
    V1Beta2,
    V1Beta1,
}

/// Cluster API health, in order (after deletion):
/// 1. Paused: `spec.paused: true` (Cluster, MachineDeployment), the `cluster.x-k8s.io/paused` annotation, or a
///    v1beta2 `Paused` condition True; reason/message/since from the Paused condition when there is one;
/// 2. `status.failureReason`/`failureMessage` (also under `status.deprecated.v1beta1`) -> Failed: a terminal
///    error by the v1beta1 contract;
/// 3. the shape's rules: [`v1beta2`] or [`v1beta1`].
pub(super) fn health(group: &str, kind: &str, obj: &DynamicObject) -> Result<Health, Malformed> {
    let data = &obj.data;
    has_status(obj)?;
    get_i64(data, &["status", "observedGeneration"])?;
    let (shape, conditions) = shape(data)?;
    let paused_condition = find(&conditions, "Paused").filter(|c| c.is_true());
    let annotated = obj.metadata.annotations.as_ref().is_some_and(|a| a.contains_key(PAUSED_ANNOTATION));
    let spec_paused = get_bool(data, &["spec", "paused"])? == Some(true);
    if let Some(c) = paused_condition {
        return Ok(Health::from_condition(HealthState::Paused, c));
    }
    if spec_paused || annotated {
        let why = if spec_paused { "spec.paused is true" } else { "annotation cluster.x-k8s.io/paused is set" };
        return Ok(Health::new(HealthState::Paused, "Paused", why));
    }
    for base in [&["status"][..], &["status", "deprecated", "v1beta1"][..]] {
        let reason = get_str(data, &[base, &["failureReason"]].concat())?.unwrap_or_default();
        let message = get_str(data, &[base, &["failureMessage"]].concat())?.unwrap_or_default();
        if !reason.is_empty() || !message.is_empty() {
            return Ok(Health::new(HealthState::Failed, reason, message));
        }
    }
    match shape {
        Shape::V1Beta2 => v1beta2(group, kind, data, &conditions),
        Shape::V1Beta1 => v1beta1(kind, data, &conditions),
    }
}

/// The v1beta2 conditions of a Cluster API object whichever version it was read at: `status.v1beta2.conditions`
/// when present (read as v1beta1), else `status.conditions`.
///
/// # Errors
/// [`Malformed`] naming the field when the list has the wrong type.
pub fn v1beta2_conditions(data: &Value) -> Result<Vec<Condition>, Malformed> {
    if lookup(data, &["status", "v1beta2", "conditions"])?.is_some() {
        conditions_at(data, "/status/v1beta2/conditions")
    } else {
        conditions_at(data, "/status/conditions")
    }
}

/// A v1beta2 status counter (`readyReplicas`, `availableReplicas`, `upToDateReplicas`):
/// `status.v1beta2.<field>` when the object was read as v1beta1 (where the v1beta2 counters live), else
/// `status.<field>`.
pub fn v1beta2_counter(data: &Value, field: &str) -> Option<i64> {
    let nested = data.pointer("/status/v1beta2").and_then(|s| s.get(field));
    nested.or_else(|| data.pointer("/status")?.get(field))?.as_i64()
}

fn shape(data: &Value) -> Result<(Shape, Vec<Condition>), Malformed> {
    if lookup(data, &["status", "v1beta2", "conditions"])?.is_some() {
        return Ok((Shape::V1Beta2, v1beta2_conditions(data)?));
    }
    let top = conditions_at(data, "/status/conditions")?;
    let marked = lookup(data, &["status", "deprecated"])?.is_some()
        || lookup(data, &["status", "initialization"])?.is_some()
        || top.iter().any(|c| c.observed_generation.is_some());
    let shape = if marked {
        Shape::V1Beta2
    } else if top.iter().any(|c| c.severity.is_some()) {
        Shape::V1Beta1
    } else if top.iter().any(|c| V1BETA2_ONLY.contains(&c.type_.as_str())) {
        Shape::V1Beta2
    } else {
        Shape::V1Beta1
    };
    Ok((shape, top))
}

/// The condition clusterctl shows on the object's row: Available for Cluster, KubeadmControlPlane,
/// MachineDeployment, MachinePool and any control plane that has one; Ready for Machine and everything else.
fn summary<'a>(group: &str, kind: &str, conditions: &'a [Condition]) -> Option<&'a Condition> {
    match kind {
        "Cluster" | "KubeadmControlPlane" | "MachineDeployment" | "MachinePool" => find(conditions, "Available"),
        _ if group == "controlplane.cluster.x-k8s.io" => {
            find(conditions, "Available").or_else(|| find(conditions, "Ready"))
        }
        _ => find(conditions, "Ready"),
    }
}

/// v1beta2 rules (cluster-api `docs/proposals/20240916-improve-status-in-CAPI-resources.md`):
/// - summary True -> Ready, unless RollingOut/ScalingUp/ScalingDown/Updating/Remediating is True -> Progressing
///   with that condition (the object works, but is changing: clusterctl would show it green);
/// - summary Unknown -> Progressing;
/// - summary False -> Progressing while the object is still coming up (see [`coming_up`]), else Failed;
/// - no summary -> [`fallback`].
fn v1beta2(group: &str, kind: &str, data: &Value, conditions: &[Condition]) -> Result<Health, Malformed> {
    let progress = conditions.iter().find(|c| c.is_true() && PROGRESS.contains(&c.type_.as_str()));
    let Some(summary) = summary(group, kind, conditions) else {
        return fallback(kind, data, conditions);
    };
    Ok(match summary.status {
        ConditionStatus::True => match progress {
            Some(p) => Health::from_condition(HealthState::Progressing, p),
            None => Health::from_condition(HealthState::Ready, summary),
        },
        ConditionStatus::Unknown => Health::from_condition(HealthState::Progressing, summary),
        ConditionStatus::False if coming_up(kind, data, conditions)? => {
            Health::from_condition(HealthState::Progressing, summary)
        }
        ConditionStatus::False => Health::from_condition(HealthState::Failed, summary),
    })
}

/// Whether an object whose summary is False is still being created or changed, not broken: phase Pending,
/// Provisioning, ScalingUp, Scaling or Updating (and Provisioned for a Machine: infrastructure is up, the Node
/// has not joined yet); or RollingOut/ScalingUp/Updating True; or a `status.initialization` flag still false.
fn coming_up(kind: &str, data: &Value, conditions: &[Condition]) -> Result<bool, Malformed> {
    let phase = get_str(data, &["status", "phase"])?.unwrap_or_default();
    if matches!(phase, "Pending" | "Provisioning" | "ScalingUp" | "Scaling" | "Updating")
        || (kind == "Machine" && phase == "Provisioned")
    {
        return Ok(true);
    }
    if conditions.iter().any(|c| c.is_true() && matches!(c.type_.as_str(), "RollingOut" | "ScalingUp" | "Updating")) {
        return Ok(true);
    }
    Ok(initialization(data)? == Some(false))
}

/// `status.initialization`: `Some(true)` when every flag is true, `Some(false)` when one is false.
fn initialization(data: &Value) -> Result<Option<bool>, Malformed> {
    let Some(init) = lookup(data, &["status", "initialization"])? else {
        return Ok(None);
    };
    let Value::Object(flags) = init else {
        return Err(Malformed::new("status.initialization", init, "an object"));
    };
    let mut all = true;
    for (name, value) in flags {
        match value {
            Value::Bool(b) => all &= *b,
            Value::Null => {}
            other => {
                return Err(Malformed::new(format!("status.initialization.{name}"), other, "a boolean"));
            }
        }
    }
    Ok(Some(all))
}

/// v1beta1 rules, per the v1beta1 severities (cluster-api `api/core/v1beta1/condition_types.go`) and
/// clusterctl's v1beta1 colours (True green, Error red, Warning yellow, Info white):
/// - Ready True -> Ready;
/// - Ready False/Unknown: severity Error -> Failed; Warning ("may resolve itself") or Info ("in progress") ->
///   Progressing; no severity -> Failed when False, Progressing when Unknown;
/// - no Ready -> [`fallback`] (`status.ready`, phase, ...).
fn v1beta1(kind: &str, data: &Value, conditions: &[Condition]) -> Result<Health, Malformed> {
    let Some(ready) = find(conditions, "Ready") else {
        return fallback(kind, data, conditions);
    };
    let state = match (ready.status, ready.severity) {
        (ConditionStatus::True, _) => HealthState::Ready,
        (_, Some(Severity::Error)) | (ConditionStatus::False, None) => HealthState::Failed,
        _ => HealthState::Progressing,
    };
    Ok(Health::from_condition(state, ready))
}

/// Without a summary condition, in order:
/// - `status.phase`: Provisioned/Running -> Ready; Pending/Provisioning/ScalingUp/ScalingDown/Scaling/Updating
///   -> Progressing; Failed -> Failed; Deleting/Deleted -> Deleting (phases per cluster-api
///   `api/core/v1beta2/*_phase_types.go`); Unknown or other -> go on;
/// - `status.initialization` (v1beta2 contract): all true -> Ready, one false -> Progressing;
/// - `status.ready` (v1beta1 contract, e.g. CAPA AWSCluster): true -> Ready, false -> Progressing;
/// - the conditions by polarity: RollingOut/ScalingUp/.../Remediating True -> Progressing; another abnormal
///   True or a positive False -> Failed; Unknown -> Progressing; all normal -> Ready (MachineSet, ClusterClass,
///   MachineHealthCheck, ClusterResourceSet have no summary);
/// - nothing to judge: templates, ClusterResourceSetBinding and MachineDrainRule exist without status, and a
///   non-empty status without any of the above is kstatus's "Current" -> Ready; no or empty status -> Unknown
///   (`NotReconciled`).
fn fallback(kind: &str, data: &Value, conditions: &[Condition]) -> Result<Health, Malformed> {
    let phase = get_str(data, &["status", "phase"])?.unwrap_or_default();
    let by_phase = match phase {
        "Provisioned" | "Running" => Some(HealthState::Ready),
        "Pending" | "Provisioning" | "ScalingUp" | "ScalingDown" | "Scaling" | "Updating" => {
            Some(HealthState::Progressing)
        }
        "Failed" => Some(HealthState::Failed),
        "Deleting" | "Deleted" => Some(HealthState::Deleting),
        _ => None,
    };
    if let Some(state) = by_phase {
        return Ok(Health::new(state, phase, format!("phase {phase}")));
    }
    if let Some(all) = initialization(data)? {
        return Ok(if all {
            Health::new(HealthState::Ready, "Initialized", "")
        } else {
            Health::new(HealthState::Progressing, "NotInitialized", "status.initialization is not complete")
        });
    }
    if let Some(ready) = get_bool(data, &["status", "ready"])? {
        return Ok(if ready {
            Health::new(HealthState::Ready, "Ready", "status.ready is true")
        } else {
            Health::new(HealthState::Progressing, "NotReady", "status.ready is false")
        });
    }
    if let Some(p) = conditions.iter().find(|c| c.is_true() && PROGRESS.contains(&c.type_.as_str())) {
        return Ok(Health::from_condition(HealthState::Progressing, p));
    }
    let broken = conditions.iter().find(|c| match polarity(&c.type_) {
        Polarity::Positive => c.is_false(),
        Polarity::Negative => c.is_true(),
    });
    if let Some(c) = broken {
        return Ok(Health::from_condition(HealthState::Failed, c));
    }
    if let Some(c) = conditions.iter().find(|c| c.status == ConditionStatus::Unknown) {
        return Ok(Health::from_condition(HealthState::Progressing, c));
    }
    if !conditions.is_empty() {
        return Ok(Health::new(HealthState::Ready, "", ""));
    }
    let exists_without_status =
        kind.ends_with("Template") || matches!(kind, "ClusterResourceSetBinding" | "MachineDrainRule");
    let status_is_empty = lookup(data, &["status"])?.is_none_or(|s| s.as_object().is_some_and(|m| m.is_empty()));
    Ok(if exists_without_status || !status_is_empty {
        Health::new(HealthState::Ready, "", "")
    } else {
        not_reconciled()
    })
}
