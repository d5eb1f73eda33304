//! Health of the Cluster Inventory API's `ClusterProfile` (sigs.k8s.io/cluster-inventory-api
//! `apis/v1alpha1/clusterprofile_types.go`; REFERENCE-2.md section 2): `ControlPlaneHealthy`, the only
//! predefined condition type, decides it: True -> Ready, False -> Failed, Unknown -> Unknown; without it the
//! cluster manager has not reported (Unknown, `NotReconciled`).
use kube::api::DynamicObject;

use super::{Health, HealthState, not_reconciled};
use crate::model::conditions::{ConditionStatus, Malformed, conditions_at, find};

/// The condition a cluster manager sets on each profile.
pub const CONTROL_PLANE_HEALTHY: &str = "ControlPlaneHealthy";

/// A ClusterProfile's health (see the module docs).
pub(super) fn cluster_profile(obj: &DynamicObject) -> Result<Health, Malformed> {
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    let Some(c) = find(&conditions, CONTROL_PLANE_HEALTHY) else { return Ok(not_reconciled()) };
    let state = match c.status {
        ConditionStatus::True => HealthState::Ready,
        ConditionStatus::False => HealthState::Failed,
        ConditionStatus::Unknown => HealthState::Unknown,
    };
    Ok(Health::from_condition(state, c))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::model::status::{HealthState, health};

    #[test]
    fn control_plane_healthy_decides() {
        let profile = |conditions: serde_json::Value| {
            let o = serde_json::from_value(
                json!({"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ClusterProfile",
                "metadata": {"name": "c", "namespace": "fleet"}, "spec": {"clusterManager": {"name": "ocm"}},
                "status": {"conditions": conditions}}),
            )
            .expect("object");
            health("multicluster.x-k8s.io", "ClusterProfile", &o)
        };
        let c = |s: &str| {
            json!([{"type": "ControlPlaneHealthy", "status": s, "reason": "Probe", "message": "m",
            "lastTransitionTime": "2026-12-04T07:00:00Z"}])
        };
        assert_eq!(profile(c("True")).state, HealthState::Ready);
        assert_eq!(profile(c("False")).state, HealthState::Failed);
        assert_eq!(profile(c("Unknown")).state, HealthState::Unknown);
        assert_eq!(profile(json!([])).reason, "NotReconciled");
        let bad = profile(json!("nope"));
        assert!(bad.state == HealthState::Unknown && bad.note.is_some());
    }
}
