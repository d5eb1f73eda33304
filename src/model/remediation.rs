//! MachineHealthCheck remediation read from stored objects: what a MachineHealthCheck watches and whether it
//! may remediate (expected / current healthy, remediations allowed, its trigger, blocked at max unhealthy), and
//! what a Machine says about its own health check and remediation.
//!
//! Upstream (cluster-api v1.14, `api/core/v1beta2/machinehealthcheck_types.go`, `machine_types.go`,
//! `core/reconcilers/machinehealthcheck/`):
//! - MachineHealthCheck status `expectedMachines`, `currentHealthy`, `remediationsAllowed`, `targets[]` (Machine
//!   names), the same names in v1beta1; condition `RemediationAllowed`, False with reason `TooManyUnhealthy` and
//!   the message "Remediation is not allowed, the number of not started or unhealthy machines exceeds
//!   maxUnhealthy (total: 5, unhealthy: 3, maxUnhealthy: 40%)" when remediation short-circuits;
//! - the trigger: v1beta2 `spec.remediation.triggerIf.unhealthyLessThanOrEqualTo` (default `100%`) or
//!   `unhealthyInRange` (`[3-5]`); v1beta1 `spec.maxUnhealthy` / `spec.unhealthyRange`;
//! - on each Machine it checks, `HealthCheckSucceeded` (False with `UnhealthyNode`, `UnhealthyMachine`,
//!   `NodeStartupTimeout`, `NodeDeleted`, `HasRemediateAnnotation` and the message "Health check failed:" with
//!   one `  * ` bullet per failed check) and `OwnerRemediated` (False with `WaitingForRemediation`, then the
//!   owner's `RemediationDeferred`, `MachineDeleting`, `CannotBeRemediated`), or `ExternallyRemediated` with
//!   a remediation template;
//! - annotations `cluster.x-k8s.io/remediate-machine` (forces remediation) and
//!   `cluster.x-k8s.io/skip-remediation` (opts out).
//!
//! Missing counters or conditions read as unknown and are said so, never a panic.
use serde::Serialize;
use serde_json::Value;

use super::conditions::{self, Condition, ConditionStatus, conditions_at};
use super::kinds::KindId;
use super::object::StoredObject;
use super::status::v1beta2_conditions;
use super::store::FleetStore;

/// The annotation that opts a Machine out of remediation.
pub const SKIP_REMEDIATION: &str = "cluster.x-k8s.io/skip-remediation";

/// The annotation that asks for a Machine's remediation.
pub const REMEDIATE_MACHINE: &str = "cluster.x-k8s.io/remediate-machine";

/// The MachineHealthCheck trigger cluster-api uses when none is set (`defaultMaxUnhealthy`).
pub const DEFAULT_MAX_UNHEALTHY: &str = "100%";

/// A condition that is False, as a Machine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failing {
    pub reason: String,
    pub message: String,
}

impl Failing {
    /// The message's lines without the "Health check failed:" heading and bullet marks.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.message
            .lines()
            .map(|l| l.trim().trim_start_matches("* ").trim())
            .filter(|l| !l.is_empty() && *l != "Health check failed:")
    }

    /// [`Failing::lines`] joined by `; `.
    pub fn short_message(&self) -> String {
        self.lines().collect::<Vec<_>>().join("; ")
    }
}

/// What a Machine says about its health check and its remediation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineHealth {
    /// `HealthCheckSucceeded` is False: a MachineHealthCheck found it unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<Failing>,
    /// `HealthCheckSucceeded` is True.
    pub checked_healthy: bool,
    /// `OwnerRemediated` is False: its owner (MachineSet, KubeadmControlPlane) is to remediate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_remediated: Option<Failing>,
    /// `ExternallyRemediated` is False: an external remediation is asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub externally_remediated: Option<Failing>,
    /// The `cluster.x-k8s.io/skip-remediation` annotation is set.
    pub skip_remediation: bool,
    /// The `cluster.x-k8s.io/remediate-machine` annotation is set.
    pub remediate_requested: bool,
}

impl MachineHealth {
    /// Reads a Machine (v1beta2 conditions, or v1beta1's of the same types).
    pub fn of(machine: &StoredObject) -> MachineHealth {
        let data = &machine.obj().data;
        let conds = v1beta2_conditions(data).unwrap_or_default();
        let failing = |t: &str| {
            conditions::find(&conds, t)
                .filter(|c| c.status == ConditionStatus::False)
                .map(|c| Failing { reason: c.reason.clone(), message: c.message.clone() })
        };
        let annotated = |a: &str| machine.obj().metadata.annotations.as_ref().is_some_and(|m| m.contains_key(a));
        MachineHealth {
            check: failing("HealthCheckSucceeded"),
            checked_healthy: conditions::find(&conds, "HealthCheckSucceeded").is_some_and(Condition::is_true),
            owner_remediated: failing("OwnerRemediated"),
            externally_remediated: failing("ExternallyRemediated"),
            skip_remediation: annotated(SKIP_REMEDIATION),
            remediate_requested: annotated(REMEDIATE_MACHINE),
        }
    }

    /// Whether a Machine's `HealthCheckSucceeded` is False, read straight from its condition list without
    /// parsing the list (for trees of thousands of Machines): [`MachineHealth::of`]`(..).failing()`, cheaper.
    pub fn check_failed(machine_data: &Value) -> bool {
        let list =
            machine_data.pointer("/status/v1beta2/conditions").or_else(|| machine_data.pointer("/status/conditions"));
        list.and_then(Value::as_array).is_some_and(|l| {
            l.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some("HealthCheckSucceeded")
                    && c.get("status").and_then(Value::as_str) == Some("False")
            })
        })
    }

    /// A MachineHealthCheck found the Machine unhealthy.
    pub fn failing(&self) -> bool {
        self.check.is_some()
    }

    /// Who is to remediate it, and how far: its owner's `OwnerRemediated` (`"owner"`), else an external
    /// remediation's `ExternallyRemediated` (`"external"`); `None` when neither is False.
    pub fn remediation(&self) -> Option<(&'static str, &Failing)> {
        match (&self.owner_remediated, &self.externally_remediated) {
            (Some(r), _) => Some(("owner", r)),
            (None, Some(r)) => Some(("external", r)),
            (None, None) => None,
        }
    }

    /// One line for the tree: `health check failed (UnhealthyNode): Condition Ready on Node ...; remediation:
    /// WaitingForRemediation`; `None` for a Machine whose health check did not fail.
    pub fn note(&self) -> Option<String> {
        let check = self.check.as_ref()?;
        let mut text = format!("health check failed ({})", check.reason);
        let message = check.short_message();
        if !message.is_empty() {
            text.push_str(&format!(": {message}"));
        }
        if let Some((_, r)) = self.remediation() {
            text.push_str(&format!("; remediation: {}", r.reason));
        }
        if self.skip_remediation {
            text.push_str("; skip-remediation set");
        }
        Some(text)
    }
}

/// Whether a MachineHealthCheck may remediate, from its `RemediationAllowed` condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum Remediation {
    /// `RemediationAllowed` is True.
    Allowed,
    /// `RemediationAllowed` is False (`TooManyUnhealthy`: max unhealthy reached, or outside the range).
    Blocked { reason: String, message: String },
    /// No `RemediationAllowed` condition (not reconciled yet) or it is Unknown.
    Unknown,
}

/// A MachineHealthCheck, read from its object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    pub name: String,
    /// `spec.clusterName`.
    pub cluster: String,
    /// `status.expectedMachines`: the Machines it watches.
    pub expected: Option<i64>,
    /// `status.currentHealthy`.
    pub current_healthy: Option<i64>,
    /// `status.remediationsAllowed`: how many more Machines it may remediate now.
    pub remediations_allowed: Option<i64>,
    /// When it remediates: `unhealthyLessThanOrEqualTo 40%`, `unhealthyInRange [3-5]` (v1beta1 `maxUnhealthy`,
    /// `unhealthyRange` under the same names), or the default `unhealthyLessThanOrEqualTo 100%`.
    pub trigger: String,
    pub remediation: Remediation,
    /// `status.targets`: the names of the Machines it watches.
    pub targets: Vec<String>,
}

/// A Machine a MachineHealthCheck found unhealthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnhealthyMachine {
    pub name: String,
    pub health: MachineHealth,
}

/// A MachineHealthCheck with what its target Machines in the store say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheckReport {
    #[serde(flatten)]
    pub check: HealthCheck,
    /// Targets whose `HealthCheckSucceeded` is False, by name.
    pub unhealthy: Vec<UnhealthyMachine>,
    /// Targets not in the store (not synced, or gone since the check's last status).
    pub targets_not_found: Vec<String>,
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    v.pointer(pointer).and_then(Value::as_i64)
}

/// An int-or-string field as text (`40%`, `3`).
fn int_or_string(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl HealthCheck {
    /// Reads a MachineHealthCheck object's data (v1beta2, or v1beta1's `maxUnhealthy` / `unhealthyRange`).
    pub fn read(name: &str, data: &Value) -> HealthCheck {
        let text = |p: &str| data.pointer(p).and_then(Value::as_str).map(str::to_string);
        let trigger = if let Some(r) = text("/spec/remediation/triggerIf/unhealthyInRange") {
            format!("unhealthyInRange {r}")
        } else if let Some(r) = text("/spec/unhealthyRange") {
            format!("unhealthyRange {r}")
        } else if let Some(m) = int_or_string(data, "/spec/remediation/triggerIf/unhealthyLessThanOrEqualTo") {
            format!("unhealthyLessThanOrEqualTo {m}")
        } else if let Some(m) = int_or_string(data, "/spec/maxUnhealthy") {
            format!("maxUnhealthy {m}")
        } else {
            format!("unhealthyLessThanOrEqualTo {DEFAULT_MAX_UNHEALTHY}")
        };
        let conds = v1beta2_conditions(data)
            .ok()
            .filter(|c| conditions::find(c, "RemediationAllowed").is_some())
            .or_else(|| conditions_at(data, "/status/deprecated/v1beta1/conditions").ok())
            .unwrap_or_default();
        let remediation = match conditions::find(&conds, "RemediationAllowed") {
            Some(c) if c.status == ConditionStatus::True => Remediation::Allowed,
            Some(c) if c.status == ConditionStatus::False => {
                Remediation::Blocked { reason: c.reason.clone(), message: c.message.clone() }
            }
            _ => Remediation::Unknown,
        };
        let targets = data
            .pointer("/status/targets")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        HealthCheck {
            name: name.to_string(),
            cluster: text("/spec/clusterName").unwrap_or_default(),
            expected: int(data, "/status/expectedMachines"),
            current_healthy: int(data, "/status/currentHealthy"),
            remediations_allowed: int(data, "/status/remediationsAllowed"),
            trigger,
            remediation,
            targets,
        }
    }

    /// Remediation is blocked (`RemediationAllowed` False).
    pub fn blocked(&self) -> bool {
        matches!(self.remediation, Remediation::Blocked { .. })
    }

    /// One line: `healthy 2/3, 1 remediation allowed`, `healthy 2/5, remediation blocked: too many unhealthy
    /// (unhealthyLessThanOrEqualTo 40%)`; `?` for a counter not reported.
    pub fn summary(&self) -> String {
        let n = |v: Option<i64>| v.map_or("?".to_string(), |v| v.to_string());
        let healthy = format!("healthy {}/{}", n(self.current_healthy), n(self.expected));
        match &self.remediation {
            Remediation::Blocked { reason, .. } if reason == "TooManyUnhealthy" => {
                format!("{healthy}, remediation blocked: too many unhealthy ({})", self.trigger)
            }
            Remediation::Blocked { reason, .. } => format!("{healthy}, remediation blocked: {reason}"),
            Remediation::Allowed | Remediation::Unknown => {
                let allowed = self.remediations_allowed;
                let s = if allowed == Some(1) { "" } else { "s" };
                format!("{healthy}, {} remediation{s} allowed", n(allowed))
            }
        }
    }
}

/// MachineHealthCheck `namespace/name` in `context` with its unhealthy targets from the store; `None` when it
/// is not in the store.
pub fn health_check(store: &FleetStore, context: &str, namespace: &str, name: &str) -> Option<HealthCheckReport> {
    let mhc = store.get(context, KindId::MACHINE_HEALTH_CHECK, namespace, name)?;
    let check = HealthCheck::read(name, &mhc.obj().data);
    let mut unhealthy = Vec::new();
    let mut targets_not_found = Vec::new();
    for t in &check.targets {
        match store.get(context, KindId::MACHINE, namespace, t) {
            Some(m) => {
                let health = MachineHealth::of(m);
                if health.failing() {
                    unhealthy.push(UnhealthyMachine { name: t.clone(), health });
                }
            }
            None => targets_not_found.push(t.clone()),
        }
    }
    unhealthy.sort_by(|a, b| a.name.cmp(&b.name));
    Some(HealthCheckReport { check, unhealthy, targets_not_found })
}

/// What a Cluster's MachineHealthChecks add up to, for the Clusters view's MHC column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterChecks {
    /// Healthy Machines over all its checks (`status.currentHealthy`).
    pub healthy: i64,
    /// Machines its checks watch (`status.expectedMachines`).
    pub expected: i64,
    /// One of its checks is blocked (`RemediationAllowed` False).
    pub blocked: bool,
}

impl ClusterChecks {
    /// `4/5`, or `blocked 2/3` when a check is blocked.
    pub fn text(&self) -> String {
        let n = format!("{}/{}", self.healthy, self.expected);
        if self.blocked { format!("blocked {n}") } else { n }
    }
}

/// Every Cluster's MachineHealthChecks in `context`, summed, by (namespace, `spec.clusterName`).
pub fn checks_by_cluster(
    store: &FleetStore,
    context: &str,
) -> std::collections::HashMap<(String, String), ClusterChecks> {
    let mut out: std::collections::HashMap<(String, String), ClusterChecks> = std::collections::HashMap::new();
    for o in store.objects(context, KindId::MACHINE_HEALTH_CHECK) {
        let c = HealthCheck::read(o.name(), &o.obj().data);
        let sum = out.entry((o.namespace().to_string(), c.cluster.clone())).or_default();
        sum.healthy += c.current_healthy.unwrap_or(0);
        sum.expected += c.expected.unwrap_or(0);
        sum.blocked |= c.blocked();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(kind: &str, v: Value) -> StoredObject {
        let mut v = v;
        v["apiVersion"] = json!("cluster.x-k8s.io/v1beta2");
        v["kind"] = json!(kind);
        let obj: kube::api::DynamicObject = serde_json::from_value(v).expect("object");
        StoredObject::new(KindId::find("cluster.x-k8s.io", kind).expect("catalogued"), obj)
    }

    #[test]
    fn a_blocked_check_says_so_with_its_trigger() {
        let data = json!({
            "spec": {"clusterName": "c", "remediation": {"triggerIf": {"unhealthyLessThanOrEqualTo": "40%"}}},
            "status": {
                "expectedMachines": 5, "currentHealthy": 2, "remediationsAllowed": 0, "targets": ["a", "b"],
                "conditions": [{"type": "RemediationAllowed", "status": "False", "reason": "TooManyUnhealthy",
                    "message": "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 5, unhealthy: 3, maxUnhealthy: 40%)"}]
            }
        });
        let c = HealthCheck::read("w", &data);
        assert!(c.blocked());
        assert_eq!(c.cluster, "c");
        assert_eq!(c.targets, ["a", "b"]);
        assert_eq!(
            c.summary(),
            "healthy 2/5, remediation blocked: too many unhealthy (unhealthyLessThanOrEqualTo 40%)"
        );
    }

    #[test]
    fn triggers_read_from_v1beta2_and_v1beta1_or_default() {
        let t = |spec: Value| HealthCheck::read("x", &json!({ "spec": spec })).trigger;
        assert_eq!(t(json!({"remediation": {"triggerIf": {"unhealthyInRange": "[3-5]"}}})), "unhealthyInRange [3-5]");
        assert_eq!(
            t(json!({"remediation": {"triggerIf": {"unhealthyLessThanOrEqualTo": 2}}})),
            "unhealthyLessThanOrEqualTo 2"
        );
        assert_eq!(t(json!({"maxUnhealthy": "33%"})), "maxUnhealthy 33%");
        assert_eq!(t(json!({"unhealthyRange": "[1-2]"})), "unhealthyRange [1-2]");
        assert_eq!(t(json!({})), "unhealthyLessThanOrEqualTo 100%");
    }

    #[test]
    fn missing_or_garbage_status_reads_as_unknown() {
        let c = HealthCheck::read("x", &json!({"status": {"expectedMachines": "three", "conditions": "no"}}));
        assert_eq!(c.remediation, Remediation::Unknown);
        assert_eq!(c.summary(), "healthy ?/?, ? remediations allowed");
        let c = HealthCheck::read(
            "x",
            &json!({"status": {"expectedMachines": 3, "currentHealthy": 3, "remediationsAllowed": 1,
            "conditions": [{"type": "RemediationAllowed", "status": "True", "reason": "RemediationAllowed"}]}}),
        );
        assert_eq!(c.summary(), "healthy 3/3, 1 remediation allowed");
    }

    #[test]
    fn a_v1beta1_check_reads_its_deprecated_conditions() {
        let data = json!({"spec": {"maxUnhealthy": "40%"}, "status": {"conditions": [],
            "deprecated": {"v1beta1": {"conditions": [{"type": "RemediationAllowed", "status": "False",
                "severity": "Warning", "reason": "TooManyUnhealthy", "message": "m"}]}}}});
        assert!(HealthCheck::read("x", &data).blocked());
    }

    #[test]
    fn a_machine_failing_its_check_gets_a_note_with_the_checks_message() {
        let m = stored(
            "Machine",
            json!({
                "metadata": {"name": "m1", "namespace": "ns", "annotations": {SKIP_REMEDIATION: ""}},
                "status": {"conditions": [
                    {"type": "HealthCheckSucceeded", "status": "False", "reason": "UnhealthyNode",
                     "message": "Health check failed:\n  * Condition Ready on Node is reporting status False with reason KubeletNotReady for more than 5m0s"},
                    {"type": "OwnerRemediated", "status": "False", "reason": "WaitingForRemediation", "message": "Waiting for remediation"},
                ]}
            }),
        );
        let h = MachineHealth::of(&m);
        assert!(h.failing() && h.skip_remediation && !h.checked_healthy);
        assert!(MachineHealth::check_failed(&m.obj().data));
        assert_eq!(
            h.note().as_deref(),
            Some(
                "health check failed (UnhealthyNode): Condition Ready on Node is reporting status False with reason \
                 KubeletNotReady for more than 5m0s; remediation: WaitingForRemediation; skip-remediation set"
            )
        );
        let ok = stored(
            "Machine",
            json!({"metadata": {"name": "m2", "namespace": "ns"},
            "status": {"conditions": [{"type": "HealthCheckSucceeded", "status": "True", "reason": "HealthCheckSucceeded"}]}}),
        );
        let h = MachineHealth::of(&ok);
        assert!(!h.failing() && h.checked_healthy && h.note().is_none());
        assert!(!MachineHealth::check_failed(&ok.obj().data));
    }
}
