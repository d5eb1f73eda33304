//! Health of core kinds, Weave GitOps objects, and everything else by generic kstatus.
//!
//! Generic kstatus (cli-utils `pkg/kstatus/status/generic.go` `checkGenericProperties`, `status.go`
//! `computeStatus`): generation lag -> InProgress; Reconciling=True -> InProgress; Stalled=True -> Failed; the
//! built-in rules for known kinds (`core.go`); Ready True -> Current, False/Unknown -> InProgress; otherwise
//! Current. fleetdeck's words: InProgress = Progressing, Current = Ready.

use kube::api::DynamicObject;

use super::{Health, HealthState, generation_lag, has_status};
use crate::model::conditions::{Condition, Malformed, conditions_at, find, get_i64, get_str};

const WGE_GROUPS: &[&str] = &["gitops.weave.works", "templates.weave.works", "capi.weave.works"];

pub(super) fn is_wge_group(group: &str) -> bool {
    WGE_GROUPS.contains(&group)
}

/// Core and unknown kinds: Node and Namespace by their own rules, Deployment by kstatus's built-in rule, any
/// other kind by generic kstatus (a Secret, ConfigMap or Service, with no status, just exists -> Ready).
pub(super) fn health(group: &str, kind: &str, obj: &DynamicObject) -> Result<Health, Malformed> {
    has_status(obj)?;
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    match (group, kind) {
        ("", "Node") => return Ok(node(&conditions)),
        ("", "Namespace") => return namespace(obj),
        _ => {}
    }
    if let Some(h) = generation_lag(kind, obj)? {
        return Ok(h);
    }
    if let Some(c) = find(&conditions, "Reconciling").filter(|c| c.is_true()) {
        return Ok(Health::from_condition(HealthState::Progressing, c));
    }
    if let Some(c) = find(&conditions, "Stalled").filter(|c| c.is_true()) {
        return Ok(Health::from_condition(HealthState::Failed, c));
    }
    if matches!(group, "apps" | "extensions") && kind == "Deployment" {
        return deployment(obj, &conditions);
    }
    Ok(match find(&conditions, "Ready") {
        Some(c) if c.is_true() => Health::from_condition(HealthState::Ready, c),
        Some(c) => Health::from_condition(HealthState::Progressing, c),
        None => Health::new(HealthState::Ready, "", ""),
    })
}

/// Node: Ready True -> Ready; False, or Unknown (`NodeStatusUnknown`: the kubelet stopped posting status) ->
/// Failed with the kubelet's reason and message; no Ready yet -> Unknown.
fn node(conditions: &[Condition]) -> Health {
    match find(conditions, "Ready") {
        Some(c) if c.is_true() => Health::from_condition(HealthState::Ready, c),
        Some(c) => Health::from_condition(HealthState::Failed, c),
        None => Health::new(HealthState::Unknown, "NoReadyCondition", "the kubelet has not reported Ready yet"),
    }
}

/// Namespace: `status.phase: Terminating` -> Deleting (with the NamespaceDeletion* condition that says what
/// blocks it, if any); otherwise Ready.
fn namespace(obj: &DynamicObject) -> Result<Health, Malformed> {
    if get_str(&obj.data, &["status", "phase"])? != Some("Terminating") {
        return Ok(Health::new(HealthState::Ready, "", ""));
    }
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    Ok(match conditions.iter().find(|c| c.is_true() && !c.message.is_empty()) {
        Some(c) => Health::from_condition(HealthState::Deleting, c),
        None => Health::new(HealthState::Deleting, "Terminating", "namespace is terminating"),
    })
}

/// kstatus's Deployment rule (cli-utils `pkg/kstatus/status/core.go` `deploymentConditions`): Progressing with
/// reason ProgressDeadlineExceeded -> Failed; then spec.replicas (default 1) against status replicas, updated,
/// available and ready counts -> Progressing (LessReplicas, LessUpdated, ExtraPods, LessAvailable, LessReady);
/// no NewReplicaSetAvailable (only with a progress deadline) or Available not True -> Progressing; else Ready.
fn deployment(obj: &DynamicObject, conditions: &[Condition]) -> Result<Health, Malformed> {
    let data = &obj.data;
    let int = |path: &[&str], default: i64| get_i64(data, path).map(|v| v.unwrap_or(default));
    let deadline = get_i64(data, &["spec", "progressDeadlineSeconds"])?;
    let mut progressing = deadline.is_none_or(|d| d == i64::from(i32::MAX));
    let mut available = false;
    for c in conditions {
        match c.type_.as_str() {
            "Progressing" if c.reason == "ProgressDeadlineExceeded" => {
                let mut h = Health::from_condition(HealthState::Failed, c);
                if h.message.is_empty() {
                    h.message = "Progress deadline exceeded".into();
                }
                return Ok(h);
            }
            "Progressing" if c.is_true() && c.reason == "NewReplicaSetAvailable" => progressing = true,
            "Available" if c.is_true() => available = true,
            _ => {}
        }
    }
    let spec = int(&["spec", "replicas"], 1)?;
    let replicas = int(&["status", "replicas"], 0)?;
    let updated = int(&["status", "updatedReplicas"], 0)?;
    let ready = int(&["status", "readyReplicas"], 0)?;
    let avail = int(&["status", "availableReplicas"], 0)?;
    let wait = |reason: &str, message: String| Ok(Health::new(HealthState::Progressing, reason, message));
    if spec > replicas {
        return wait("LessReplicas", format!("Replicas: {replicas}/{spec}"));
    }
    if spec > updated {
        return wait("LessUpdated", format!("Updated: {updated}/{spec}"));
    }
    if replicas > spec {
        return wait("ExtraPods", format!("Pending termination: {}", replicas.saturating_sub(spec)));
    }
    if updated > avail {
        return wait("LessAvailable", format!("Available: {avail}/{updated}"));
    }
    if spec > ready {
        return wait("LessReady", format!("Ready: {ready}/{spec}"));
    }
    if !progressing {
        return wait("ReplicaSetNotAvailable", "ReplicaSet not Available".into());
    }
    if !available {
        return wait("DeploymentNotAvailable", "Deployment not Available".into());
    }
    Ok(Health::new(HealthState::Ready, "", format!("Deployment is available. Replicas: {replicas}")))
}

/// Weave GitOps objects (GitopsCluster, GitOpsTemplate, CAPITemplate, ClusterBootstrapConfig): Ready True ->
/// Ready; False with a `Waiting...` reason (GitopsCluster waits for its CAPI Cluster or kubeconfig Secret) or
/// Unknown -> Progressing; other False -> Failed; no Ready condition (templates have no status) -> Ready.
pub(super) fn wge(obj: &DynamicObject) -> Result<Health, Malformed> {
    has_status(obj)?;
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    Ok(match find(&conditions, "Ready") {
        Some(c) if c.is_true() => Health::from_condition(HealthState::Ready, c),
        Some(c) if c.is_false() && !c.reason.starts_with("Waiting") => Health::from_condition(HealthState::Failed, c),
        Some(c) => Health::from_condition(HealthState::Progressing, c),
        None => Health::new(HealthState::Ready, "", ""),
    })
}
