//! Health of core kinds, Weave GitOps objects, and everything else by generic kstatus.
//!
//! Generic kstatus (cli-utils `pkg/kstatus/status/generic.go` `checkGenericProperties`, `status.go`
//! `Compute`): generation lag -> InProgress; Reconciling=True -> InProgress; Stalled=True -> Failed; the
//! built-in rules for known kinds (`core.go` `legacyTypes`: Deployment, StatefulSet, DaemonSet, ReplicaSet,
//! Job, Pod, PersistentVolumeClaim, Service, CustomResourceDefinition, PodDisruptionBudget, and Secret,
//! ConfigMap and CronJob that are always ready); Ready True -> Current, False/Unknown -> InProgress; otherwise
//! Current. fleetdeck's words: InProgress = Progressing, Current = Ready. Reasons and messages are kstatus's.
//!
//! One difference: health is computed without a clock, so a Pod that cannot be scheduled is Failed
//! (`PodUnschedulable`) at once, where kstatus waits 15 s after the Pod's creation (`ScheduleWindow`).

use kube::api::DynamicObject;

use super::{Health, HealthState, generation_lag, has_status};
use crate::model::conditions::{Condition, Malformed, conditions_at, find, get_i64, get_str};

const WGE_GROUPS: &[&str] = &["gitops.weave.works", "templates.weave.works", "capi.weave.works"];

pub(super) fn is_wge_group(group: &str) -> bool {
    WGE_GROUPS.contains(&group)
}

/// Core and unknown kinds: Node and Namespace by their own rules, the kinds kstatus knows by its built-in rules, any
/// other kind by generic kstatus (Ready condition, else Ready: it exists).
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
    if let Some(h) = built_in(group, kind, obj, &conditions)? {
        return Ok(h);
    }
    Ok(match find(&conditions, "Ready") {
        Some(c) if c.is_true() => Health::from_condition(HealthState::Ready, c),
        Some(c) => Health::from_condition(HealthState::Progressing, c),
        None => Health::new(HealthState::Ready, "", ""),
    })
}

/// kstatus's rules for the built-in kinds it knows (cli-utils `core.go` `legacyTypes`), or `None` for any
/// other kind.
fn built_in(
    group: &str,
    kind: &str,
    obj: &DynamicObject,
    conditions: &[Condition],
) -> Result<Option<Health>, Malformed> {
    let apps = matches!(group, "apps" | "extensions");
    Ok(Some(match (group, kind) {
        (_, "Deployment") if apps => deployment(obj, conditions)?,
        ("apps", "StatefulSet") => stateful_set(obj)?,
        (_, "DaemonSet") if apps => daemon_set(kind, obj)?,
        (_, "ReplicaSet") if apps => replica_set(obj, conditions)?,
        ("batch", "Job") => job(obj, conditions)?,
        ("", "Pod") => pod(obj, conditions)?,
        ("", "PersistentVolumeClaim") => match get_str(&obj.data, &["status", "phase"])?.unwrap_or("unknown") {
            "Bound" => ready("PVC is Bound"),
            phase => progressing("NotBound", format!("PVC is not Bound. phase: {phase}")),
        },
        ("", "Service") => {
            let type_ = get_str(&obj.data, &["spec", "type"])?.unwrap_or("ClusterIP");
            let cluster_ip = get_str(&obj.data, &["spec", "clusterIP"])?.unwrap_or("");
            if type_ == "LoadBalancer" && cluster_ip.is_empty() {
                progressing("NoIPAssigned", "ClusterIP not set. Service type: LoadBalancer")
            } else {
                ready("Service is ready")
            }
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd(conditions),
        ("policy", "PodDisruptionBudget") => ready("AllowedDisruptions has been computed."),
        ("", "Secret" | "ConfigMap") | ("batch", "CronJob") => ready("Resource is always ready"),
        _ => return Ok(None),
    }))
}

fn ready(message: impl Into<String>) -> Health {
    Health::new(HealthState::Ready, "", message)
}

fn progressing(reason: &str, message: impl Into<String>) -> Health {
    Health::new(HealthState::Progressing, reason, message)
}

fn failed(reason: &str, message: impl Into<String>) -> Health {
    Health::new(HealthState::Failed, reason, message)
}

/// kstatus's StatefulSet rule (`stsConditions`): the controller sets no conditions, so the replica counts,
/// the partition of a rolling update and the revisions decide; `OnDelete` updates are always current.
fn stateful_set(obj: &DynamicObject) -> Result<Health, Malformed> {
    let data = &obj.data;
    if get_str(data, &["spec", "updateStrategy", "type"])? == Some("OnDelete") {
        return Ok(ready("StatefulSet is using the ondelete update strategy"));
    }
    let spec = int(data, &["spec", "replicas"], 1)?;
    let ready_n = int(data, &["status", "readyReplicas"], 0)?;
    let current = int(data, &["status", "currentReplicas"], 0)?;
    let updated = int(data, &["status", "updatedReplicas"], 0)?;
    let replicas = int(data, &["status", "replicas"], 0)?;
    let partition = int(data, &["spec", "updateStrategy", "rollingUpdate", "partition"], -1)?;
    if spec > replicas {
        return Ok(progressing("LessReplicas", format!("Replicas: {replicas}/{spec}")));
    }
    if spec > ready_n {
        return Ok(progressing("LessReady", format!("Ready: {ready_n}/{spec}")));
    }
    if replicas > spec {
        return Ok(progressing("ExtraPods", format!("Pending termination: {}", replicas - spec)));
    }
    if partition != -1 {
        if updated < spec - partition {
            return Ok(progressing("PartitionRollout", format!("updated: {updated}/{}", spec - partition)));
        }
        return Ok(ready(format!("Partition rollout complete. updated: {updated}")));
    }
    if spec > current {
        return Ok(progressing("LessCurrent", format!("current: {current}/{spec}")));
    }
    if get_str(data, &["status", "currentRevision"])? != get_str(data, &["status", "updateRevision"])? {
        return Ok(progressing("RevisionMismatch", "Waiting for updated revision to match current"));
    }
    Ok(ready(format!("All replicas scheduled as expected. Replicas: {replicas}")))
}

/// kstatus's DaemonSet rule (`daemonsetConditions`, after `checkGenerationSet`): both generations must be
/// set, then the desired number scheduled against current, updated, available and ready.
fn daemon_set(kind: &str, obj: &DynamicObject) -> Result<Health, Malformed> {
    let data = &obj.data;
    if obj.metadata.generation.is_none() {
        return Ok(progressing("NoGeneration", format!("{kind} metadata.generation not found")));
    }
    if get_i64(data, &["status", "observedGeneration"])?.is_none() {
        return Ok(progressing("NoObservedGeneration", format!("{kind} status.observedGeneration not found")));
    }
    let desired = int(data, &["status", "desiredNumberScheduled"], -1)?;
    let current = int(data, &["status", "currentNumberScheduled"], 0)?;
    let updated = int(data, &["status", "updatedNumberScheduled"], 0)?;
    let available = int(data, &["status", "numberAvailable"], 0)?;
    let ready_n = int(data, &["status", "numberReady"], 0)?;
    Ok(if desired == -1 {
        progressing("NoDesiredNumber", "Missing .status.desiredNumberScheduled")
    } else if desired > current {
        progressing("LessCurrent", format!("Current: {current}/{desired}"))
    } else if desired > updated {
        progressing("LessUpdated", format!("Updated: {updated}/{desired}"))
    } else if desired > available {
        progressing("LessAvailable", format!("Available: {available}/{desired}"))
    } else if desired > ready_n {
        progressing("LessReady", format!("Ready: {ready_n}/{desired}"))
    } else {
        ready(format!("All replicas scheduled as expected. Replicas: {desired}"))
    })
}

/// kstatus's ReplicaSet rule (`replicasetConditions`).
fn replica_set(obj: &DynamicObject, conditions: &[Condition]) -> Result<Health, Malformed> {
    if conditions.iter().any(|c| c.type_ == "ReplicaFailure" && c.is_true()) {
        return Ok(progressing("ReplicaFailure", "Replica Failure condition. Check Pods"));
    }
    let data = &obj.data;
    let spec = int(data, &["spec", "replicas"], 1)?;
    let replicas = int(data, &["status", "replicas"], 0)?;
    let ready_n = int(data, &["status", "readyReplicas"], 0)?;
    let available = int(data, &["status", "availableReplicas"], 0)?;
    let labelled = int(data, &["status", "fullyLabeledReplicas"], 0)?;
    Ok(if spec > labelled {
        progressing("LessLabelled", format!("Labelled: {labelled}/{spec}"))
    } else if spec > available {
        progressing("LessAvailable", format!("Available: {available}/{spec}"))
    } else if spec > ready_n {
        progressing("LessReady", format!("Ready: {ready_n}/{spec}"))
    } else if replicas > spec {
        progressing("ExtraPods", format!("Pending termination: {}", replicas - spec))
    } else {
        ready(format!("ReplicaSet is available. Replicas: {replicas}"))
    })
}

/// kstatus's Job rule (`jobConditions`): Complete -> current; Failed -> failed; a suspended Job is current;
/// not started yet -> in progress; else current while it runs.
fn job(obj: &DynamicObject, conditions: &[Condition]) -> Result<Health, Malformed> {
    let data = &obj.data;
    let parallelism = int(data, &["spec", "parallelism"], 1)?;
    let completions = int(data, &["spec", "completions"], parallelism)?;
    let succeeded = int(data, &["status", "succeeded"], 0)?;
    let active = int(data, &["status", "active"], 0)?;
    let failed_n = int(data, &["status", "failed"], 0)?;
    let suspended = crate::model::conditions::get_bool(data, &["spec", "suspend"])?.unwrap_or(false);
    for c in conditions {
        match c.type_.as_str() {
            "Complete" if c.is_true() => {
                return Ok(ready(format!("Job Completed. succeeded: {succeeded}/{completions}")));
            }
            "Failed" if c.is_true() => {
                return Ok(failed("JobFailed", format!("Job Failed. failed: {failed_n}/{completions}")));
            }
            "Suspended" if c.is_true() && suspended => return Ok(ready("Job is suspended")),
            _ => {}
        }
    }
    if get_str(data, &["status", "startTime"])?.unwrap_or("").is_empty() {
        return Ok(progressing("JobNotStarted", "Job not started"));
    }
    Ok(ready(format!("Job in progress. success:{succeeded}, active: {active}, failed: {failed_n}")))
}

/// kstatus's Pod rule (`podConditions`), by phase: Succeeded and Failed are completed (current); Running is
/// current once Ready, failed when a container is in CrashLoopBackOff, else in progress; Pending is failed
/// when the scheduler said Unschedulable (see the module docs on the clock), else in progress.
fn pod(obj: &DynamicObject, conditions: &[Condition]) -> Result<Health, Malformed> {
    let data = &obj.data;
    Ok(match get_str(data, &["status", "phase"])?.unwrap_or("") {
        "Succeeded" => ready("Pod has completed successfully"),
        "Failed" => ready("Pod has completed, but not successfully"),
        "Running" if find(conditions, "Ready").is_some_and(Condition::is_true) => ready("Pod is Ready"),
        "Running" => {
            let looping = crash_looping(data);
            if looping.is_empty() {
                progressing("PodRunningNotReady", "Pod is running but is not Ready")
            } else {
                failed("ContainerCrashLooping", format!("Containers in CrashLoop state: {}", looping.join(",")))
            }
        }
        "Pending" => match find(conditions, "PodScheduled") {
            Some(c) if c.is_false() && c.reason == "Unschedulable" => {
                failed("PodUnschedulable", "Pod could not be scheduled")
            }
            _ => progressing("PodPending", "Pod is in the Pending phase"),
        },
        "" => progressing("PodNotObserved", "Pod phase not available"),
        other => Health::new(HealthState::Unknown, "UnknownPhase", format!("unknown phase {other}")),
    })
}

/// The names of the containers waiting in `CrashLoopBackOff`, in order.
fn crash_looping(data: &serde_json::Value) -> Vec<String> {
    let statuses = data.pointer("/status/containerStatuses").and_then(serde_json::Value::as_array);
    statuses
        .into_iter()
        .flatten()
        .filter(|cs| {
            cs.pointer("/state/waiting/reason").and_then(serde_json::Value::as_str) == Some("CrashLoopBackOff")
        })
        .filter_map(|cs| cs.get("name").and_then(serde_json::Value::as_str).map(String::from))
        .collect()
}

/// kstatus's CustomResourceDefinition rule (`CRDConditions`): NamesAccepted False or Established False (but
/// while installing) -> failed; Established True -> current; else installing.
fn crd(conditions: &[Condition]) -> Health {
    for c in conditions {
        if c.type_ == "NamesAccepted" && c.is_false() {
            return failed(&c.reason, c.message.clone());
        }
        if c.type_ == "Established" {
            if c.is_false() && c.reason != "Installing" {
                return failed(&c.reason, c.message.clone());
            }
            if c.is_true() {
                return ready("CRD is established");
            }
        }
    }
    progressing("Installing", "Install in progress")
}

/// The integer at `path`, `default` when absent (kstatus's `GetIntField`).
fn int(data: &serde_json::Value, path: &[&str], default: i64) -> Result<i64, Malformed> {
    get_i64(data, path).map(|v| v.unwrap_or(default))
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
    let spec = int(data, &["spec", "replicas"], 1)?;
    let replicas = int(data, &["status", "replicas"], 0)?;
    let updated = int(data, &["status", "updatedReplicas"], 0)?;
    let ready = int(data, &["status", "readyReplicas"], 0)?;
    let avail = int(data, &["status", "availableReplicas"], 0)?;
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
