//! Flux (and the Flux-style requests tofu-controller honours): reconcile, suspend, resume.
//!
//! Facts from REFERENCE.md section B, as `flux reconcile|suspend|resume` send them:
//! - reconcile: merge-patch `metadata.annotations."reconcile.fluxcd.io/requestedAt"` with the current time in
//!   RFC 3339 with nanoseconds; a HelmRelease's `--force` / `--reset` add `reconcile.fluxcd.io/forceAt` /
//!   `resetAt` with the same value. Done when `status.lastHandledReconcileAt` equals it and Ready is evaluated.
//!   A suspended object is refused (`flux reconcile` says "resource is suspended").
//! - suspend / resume: merge-patch `{"spec":{"suspend":true}}` / `{"spec":{"suspend":null}}`.
use kube::api::DynamicObject;
use serde_json::{Value, json};

use super::follow::Judge;

/// The reconcile request annotation.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// HelmRelease: force a one-off install or upgrade (must equal `requestedAt`).
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
/// HelmRelease: reset the remediation failure counters (must equal `requestedAt`).
pub const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";

/// Now, as Go's `time.RFC3339Nano` prints it (trailing zeros of the fraction dropped), e.g.
/// `2026-11-21T03:04:05.123456789Z`.
pub fn now_rfc3339_nano() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}

/// Now, to the second (condition `lastTransitionTime`).
pub fn now_rfc3339() -> String {
    let now = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(now.as_second())
        .map(|t| t.to_string())
        .unwrap_or_else(|_| now.to_string())
}

/// The merge patch of a reconcile request at `at`.
pub fn reconcile_patch(at: &str, force: bool, reset: bool) -> Value {
    let mut annotations = serde_json::Map::new();
    annotations.insert(REQUESTED_AT.into(), json!(at));
    if force {
        annotations.insert(FORCE_AT.into(), json!(at));
    }
    if reset {
        annotations.insert(RESET_AT.into(), json!(at));
    }
    json!({ "metadata": { "annotations": annotations } })
}

/// The merge patch of suspend (`true`) or resume (`null`, so the field goes away).
pub fn suspend_patch(suspend: bool) -> Value {
    json!({ "spec": { "suspend": if suspend { json!(true) } else { Value::Null } } })
}

/// Whether `spec.suspend` is true.
pub fn is_suspended(obj: &DynamicObject) -> bool {
    obj.data.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)
}

/// Reconcile's precondition: not suspended.
pub fn check_reconcile(obj: &DynamicObject) -> Result<(), String> {
    if is_suspended(obj) {
        return Err(format!(
            "{} is suspended: resume it first (reconciling a suspended object does nothing, as `flux reconcile` says)",
            obj.metadata.name.as_deref().unwrap_or("the object")
        ));
    }
    Ok(())
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The condition of `type_` in `status.conditions`, if the list is readable and has it.
pub fn condition<'a>(obj: &'a DynamicObject, type_: &str) -> Option<&'a Value> {
    obj.data.pointer("/status/conditions")?.as_array()?.iter().find(|c| text(c, "/type") == type_)
}

/// Judges Ready once the controller has seen the current generation: True -> done with `done`'s words,
/// False -> failed with reason and message, otherwise wait. A Terraform plan waiting for approval is done.
pub fn judge_ready(obj: &DynamicObject, done: impl Fn(&DynamicObject) -> String) -> Judge {
    let generation = obj.metadata.generation.unwrap_or(0);
    let observed = obj.data.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(-1);
    if generation > 0 && observed < generation {
        return Judge::Wait(Some(format!("waiting for the controller to observe generation {generation}")));
    }
    if condition(obj, "Reconciling").is_some_and(|c| text(c, "/status") == "True") {
        return Judge::Wait(Some("reconciling".into()));
    }
    let pending = text(&obj.data, "/status/plan/pending");
    if !pending.is_empty() {
        return Judge::Done(format!("plan {pending} is waiting for approval"));
    }
    match condition(obj, "Ready") {
        Some(c) if text(c, "/status") == "True" => Judge::Done(done(obj)),
        Some(c) if text(c, "/status") == "False" => {
            Judge::Failed(format!("Ready=False {}: {}", text(c, "/reason"), text(c, "/message")))
        }
        Some(c) => Judge::Wait(Some(format!("Ready={} {}", text(c, "/status"), text(c, "/message")))),
        None => Judge::Wait(Some("waiting for a Ready condition".into())),
    }
}

/// What a successful reconcile reports, per kind (the words `flux reconcile` prints).
pub fn success_words(obj: &DynamicObject) -> String {
    let kind = obj.types.as_ref().map(|t| t.kind.as_str()).unwrap_or("");
    let d = &obj.data;
    let revision = match kind {
        "Kustomization" | "Terraform" => text(d, "/status/lastAppliedRevision"),
        "HelmRelease" => text(d, "/status/history/0/chartVersion"),
        _ => text(d, "/status/artifact/revision"),
    };
    match (kind, revision.is_empty()) {
        (_, true) => {
            let msg = condition(obj, "Ready").map(|c| text(c, "/message")).unwrap_or("");
            if msg.is_empty() { "reconciled, Ready".into() } else { format!("reconciled: {msg}") }
        }
        ("HelmRelease", false) => format!("applied revision {revision}"),
        ("Kustomization" | "Terraform", false) => format!("applied revision {revision}"),
        (_, false) => format!("fetched revision {revision}"),
    }
}

/// Whether the reconcile requested at `at` is done (see the module docs).
pub fn reconciled(obj: &DynamicObject, at: &str) -> Judge {
    if text(&obj.data, "/status/lastHandledReconcileAt") != at {
        return Judge::Wait(Some("waiting for the controller to handle the request".into()));
    }
    judge_ready(obj, success_words)
}

/// Whether a resumed object has been reconciled at `generation` (the one the resume patch produced).
pub fn resumed(obj: &DynamicObject, generation: i64) -> Judge {
    let observed = obj.data.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(-1);
    if observed < generation {
        return Judge::Wait(Some(format!("waiting for the controller to observe generation {generation}")));
    }
    match judge_ready(obj, success_words) {
        Judge::Done(m) => Judge::Done(format!("resumed; {m}")),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).expect("object")
    }

    fn ks(status: Value, generation: i64, suspend: bool) -> DynamicObject {
        obj(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": { "name": "apps", "namespace": "flux-system", "generation": generation },
            "spec": { "suspend": suspend }, "status": status,
        }))
    }

    #[test]
    fn patches_are_upstreams() {
        let p = reconcile_patch("2026-11-21T03:04:05.1Z", true, false);
        assert_eq!(
            p,
            json!({"metadata": {"annotations": {
                "reconcile.fluxcd.io/requestedAt": "2026-11-21T03:04:05.1Z",
                "reconcile.fluxcd.io/forceAt": "2026-11-21T03:04:05.1Z"}}})
        );
        assert_eq!(suspend_patch(true), json!({"spec": {"suspend": true}}));
        assert_eq!(suspend_patch(false), json!({"spec": {"suspend": null}}));
        let now = now_rfc3339_nano();
        assert!(now.ends_with('Z') && now.contains('T'), "{now}");
    }

    #[test]
    fn suspended_objects_are_not_reconciled() {
        assert!(check_reconcile(&ks(json!({}), 1, true)).unwrap_err().contains("suspended"));
        assert!(check_reconcile(&ks(json!({}), 1, false)).is_ok());
    }

    #[test]
    fn reconcile_waits_for_the_handled_request_and_ready() {
        let ready = json!([{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": "ok"}]);
        let not_yet =
            ks(json!({"observedGeneration": 1, "lastHandledReconcileAt": "t0", "conditions": ready}), 1, false);
        assert!(matches!(reconciled(&not_yet, "t1"), Judge::Wait(_)));
        let done = ks(
            json!({"observedGeneration": 1, "lastHandledReconcileAt": "t1", "conditions": ready,
                   "lastAppliedRevision": "main@sha1:abc"}),
            1,
            false,
        );
        assert_eq!(reconciled(&done, "t1"), Judge::Done("applied revision main@sha1:abc".into()));
        let lagging =
            ks(json!({"observedGeneration": 1, "lastHandledReconcileAt": "t1", "conditions": ready}), 2, false);
        assert!(matches!(reconciled(&lagging, "t1"), Judge::Wait(_)));
        let failed = ks(
            json!({"observedGeneration": 1, "lastHandledReconcileAt": "t1", "conditions": [
                {"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "kustomize build failed"}]}),
            1,
            false,
        );
        assert_eq!(reconciled(&failed, "t1"), Judge::Failed("Ready=False BuildFailed: kustomize build failed".into()));
        let garbage = ks(json!({"lastHandledReconcileAt": "t1", "conditions": "nope"}), 0, false);
        assert!(matches!(reconciled(&garbage, "t1"), Judge::Wait(_)));
    }
}
