//! Crossplane's pause, the one lever Crossplane honours on claims, composites and managed resources: the
//! annotation `crossplane.io/paused: "true"` (crossplane-runtime `pkg/meta/meta.go` `IsPaused`; only the
//! exact string counts). Resuming removes it. A paused object's `Synced` condition turns False with reason
//! `ReconcilePaused` once its controller has seen the annotation; resuming is seen when that reason goes.
//! There is no reconcile request in Crossplane (no `requestedAt` annotation), so fleetdeck offers none.
use kube::api::DynamicObject;
use serde_json::{Value, json};

use super::follow::Judge;
use crate::model::conditions::raw_field;
use crate::model::status::CROSSPLANE_PAUSED;

/// The merge patch that pauses (`"true"`) or resumes (the annotation removed) an object.
pub fn paused_patch(pause: bool) -> Value {
    json!({ "metadata": { "annotations": { CROSSPLANE_PAUSED: if pause { json!("true") } else { Value::Null } } } })
}

/// Whether the controller has seen the pause (`Synced` reason `ReconcilePaused`) or the resume (any other
/// `Synced` reason).
pub fn pause_observed(obj: &DynamicObject, pause: bool) -> Judge {
    let reason = raw_field(&obj.data, "Synced", "reason");
    match (pause, reason) {
        (true, Some("ReconcilePaused")) => Judge::Done("paused; Synced=False (ReconcilePaused)".into()),
        (true, _) => Judge::Wait(Some("waiting for Crossplane to report Synced=False (ReconcilePaused)".into())),
        (false, Some("ReconcilePaused")) => Judge::Wait(Some("waiting for Crossplane to reconcile it again".into())),
        (false, Some(r)) => Judge::Done(format!("resumed; Synced reason {r}")),
        (false, None) => Judge::Wait(Some("waiting for a Synced condition".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(reason: Option<&str>) -> DynamicObject {
        let conditions: Vec<Value> =
            reason.map(|r| json!({"type": "Synced", "status": "False", "reason": r})).into_iter().collect();
        serde_json::from_value(json!({"metadata": {"name": "x"}, "status": {"conditions": conditions}})).unwrap()
    }

    #[test]
    fn pausing_is_an_annotation_and_done_when_crossplane_says_so() {
        assert_eq!(paused_patch(true), json!({"metadata": {"annotations": {"crossplane.io/paused": "true"}}}));
        assert_eq!(paused_patch(false), json!({"metadata": {"annotations": {"crossplane.io/paused": null}}}));
        assert!(matches!(pause_observed(&obj(Some("ReconcileSuccess")), true), Judge::Wait(_)));
        assert!(matches!(pause_observed(&obj(Some("ReconcilePaused")), true), Judge::Done(_)));
        assert!(matches!(pause_observed(&obj(Some("ReconcilePaused")), false), Judge::Wait(_)));
        assert_eq!(
            pause_observed(&obj(Some("ReconcileError")), false),
            Judge::Done("resumed; Synced reason ReconcileError".into())
        );
        assert!(matches!(pause_observed(&obj(None), false), Judge::Wait(_)));
    }
}
