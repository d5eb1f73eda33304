//! Crossplane health: claims, composite resources (XRs), managed resources (MRs), XRDs, Compositions and
//! packages, read the way Crossplane means its conditions (REFERENCE-2.md section 1; crossplane
//! `apis/core/v2/condition.go`, `apis/pkg/v1/conditions.go`, crossplane-runtime `pkg/meta/meta.go`).
//!
//! Claims, XRs and MRs speak two conditions:
//! - `Synced`: True/`ReconcileSuccess`, False/`ReconcileError` (an XR's message: "Unsynced resources: a, b"),
//!   False/`ReconcilePaused`;
//! - `Ready`: True/`Available`, False/`Creating` (an XR's message: "Unready resources: a"), `Deleting`,
//!   `Unavailable`.
//!
//! Packages (Provider, Function, Configuration) speak `Installed` and `Healthy`; their revisions since v2.0
//! `RevisionHealthy` and `RuntimeHealthy` (before: `Healthy`). XRDs speak `Established` and, with a claim,
//! `Offered`.

use kube::api::DynamicObject;

use super::{Health, HealthState, has_status, not_reconciled};
use crate::model::conditions::{Condition, Malformed, conditions_at, find};

/// The annotation that pauses a Crossplane object; only the exact value `"true"` counts (crossplane-runtime
/// `pkg/meta/meta.go` `IsPaused`).
pub const PAUSED: &str = "crossplane.io/paused";

/// Whether `obj` carries `crossplane.io/paused: "true"`.
pub fn is_paused(obj: &DynamicObject) -> bool {
    obj.metadata.annotations.as_ref().and_then(|a| a.get(PAUSED)).is_some_and(|v| v == "true")
}

/// Crossplane health of `obj`, a `kind` of `group`: packages and revisions by their package conditions,
/// XRDs by `Established` / `Offered`, Compositions (no status) as Ready, everything else (claims, XRs, MRs)
/// by `Synced` and `Ready` ([`synced_ready`]).
pub(super) fn health(group: &str, kind: &str, obj: &DynamicObject) -> Result<Health, Malformed> {
    match (group, kind) {
        ("pkg.crossplane.io", "Provider" | "Function" | "Configuration") => package(obj),
        ("pkg.crossplane.io", "ProviderRevision" | "FunctionRevision" | "ConfigurationRevision") => revision(obj),
        ("apiextensions.crossplane.io", "CompositeResourceDefinition") => xrd(obj),
        ("apiextensions.crossplane.io", "Composition" | "CompositionRevision") => {
            Ok(Health::new(HealthState::Ready, "", ""))
        }
        _ => synced_ready(obj),
    }
}

/// A claim, XR or MR, in order:
/// 1. `crossplane.io/paused: "true"`, or `Synced` False/`ReconcilePaused` -> Paused;
/// 2. no status, or neither condition -> Unknown (`NotReconciled`);
/// 3. `Synced` False -> Failed with its reason and message (ReconcileError: the provider's or the
///    composition's error);
/// 4. `Ready` True -> Ready; False `Unavailable` -> Failed; False `Deleting` -> Deleting; False (`Creating`)
///    or Unknown -> Progressing; absent (the controller has not judged it yet) -> Progressing, with
///    `Synced`'s words.
pub(super) fn synced_ready(obj: &DynamicObject) -> Result<Health, Malformed> {
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    let synced = find(&conditions, "Synced");
    if is_paused(obj) {
        let mut h = Health::new(HealthState::Paused, "ReconcilePaused", "crossplane.io/paused is \"true\"");
        if let Some(c) = synced.filter(|c| c.reason == "ReconcilePaused") {
            h = Health::from_condition(HealthState::Paused, c);
        }
        return Ok(h);
    }
    if let Some(c) = synced.filter(|c| c.is_false() && c.reason == "ReconcilePaused") {
        return Ok(Health::from_condition(HealthState::Paused, c));
    }
    let ready = find(&conditions, "Ready");
    if !has_status(obj)? || (synced.is_none() && ready.is_none()) {
        return Ok(not_reconciled());
    }
    if let Some(c) = synced.filter(|c| c.is_false()) {
        return Ok(Health::from_condition(HealthState::Failed, c));
    }
    Ok(match ready {
        Some(c) if c.is_true() => Health::from_condition(HealthState::Ready, c),
        Some(c) if c.is_false() && c.reason == "Unavailable" => Health::from_condition(HealthState::Failed, c),
        Some(c) if c.is_false() && c.reason == "Deleting" => Health::from_condition(HealthState::Deleting, c),
        Some(c) => Health::from_condition(HealthState::Progressing, c),
        // No Ready yet: Synced is there (both absent was `NotReconciled` above) and not False.
        None => match synced {
            Some(s) => Health {
                message: "no Ready condition yet".into(),
                ..Health::from_condition(HealthState::Progressing, s)
            },
            None => not_reconciled(),
        },
    })
}

/// A package: `Healthy` False -> Failed; `Installed` False -> Progressing (`UnpackingPackage`) or, for an
/// inactive revision, Failed; both True -> Ready; otherwise Progressing, or Unknown without either.
fn package(obj: &DynamicObject) -> Result<Health, Malformed> {
    if is_paused(obj) {
        return Ok(Health::new(HealthState::Paused, "ReconcilePaused", "crossplane.io/paused is \"true\""));
    }
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    let installed = find(&conditions, "Installed");
    let healthy = find(&conditions, "Healthy");
    Ok(match (installed, healthy) {
        (None, None) => not_reconciled(),
        (_, Some(h)) if h.is_false() => Health::from_condition(HealthState::Failed, h),
        (Some(i), _) if i.is_false() && i.reason == "UnpackingPackage" => {
            Health::from_condition(HealthState::Progressing, i)
        }
        (Some(i), _) if i.is_false() => Health::from_condition(HealthState::Failed, i),
        (Some(i), Some(h)) if i.is_true() && h.is_true() => Health::from_condition(HealthState::Ready, h),
        (Some(i), None) => Health::from_condition(HealthState::Progressing, i),
        (_, Some(h)) => Health::from_condition(HealthState::Progressing, h),
    })
}

/// A package revision: any of `RevisionHealthy`, `RuntimeHealthy` (v2.0+) or `Healthy` (before) False ->
/// Failed; all present True -> Ready; otherwise Progressing, or Unknown without any.
fn revision(obj: &DynamicObject) -> Result<Health, Malformed> {
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    let present: Vec<&Condition> =
        ["RevisionHealthy", "RuntimeHealthy", "Healthy"].iter().filter_map(|t| find(&conditions, t)).collect();
    if present.is_empty() {
        return Ok(not_reconciled());
    }
    if let Some(c) = present.iter().find(|c| c.is_false()) {
        return Ok(Health::from_condition(HealthState::Failed, c));
    }
    if let Some(c) = present.iter().find(|c| !c.is_true()) {
        return Ok(Health::from_condition(HealthState::Progressing, c));
    }
    Ok(Health::from_condition(HealthState::Ready, present[0]))
}

/// An XRD: `Synced` False -> Failed; `Established` (and `Offered`, when it offers a claim) True -> Ready;
/// otherwise Progressing, or Unknown without `Established`.
fn xrd(obj: &DynamicObject) -> Result<Health, Malformed> {
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    if let Some(c) = find(&conditions, "Synced").filter(|c| c.is_false()) {
        return Ok(Health::from_condition(HealthState::Failed, c));
    }
    let Some(established) = find(&conditions, "Established") else {
        return Ok(not_reconciled());
    };
    if !established.is_true() {
        return Ok(Health::from_condition(HealthState::Progressing, established));
    }
    let claims = obj.data.pointer("/spec/claimNames/kind").and_then(|k| k.as_str()).is_some_and(|k| !k.is_empty());
    if claims && let Some(offered) = find(&conditions, "Offered").filter(|c| !c.is_true()) {
        return Ok(Health::from_condition(HealthState::Progressing, offered));
    }
    Ok(Health::from_condition(HealthState::Ready, established))
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::model::kinds::{Dynamic, KindId};
    use crate::model::status::{HealthState, health, health_of};

    fn obj(v: Value) -> kube::api::DynamicObject {
        serde_json::from_value(v).expect("object")
    }

    fn c(t: &str, s: &str, r: &str) -> Value {
        json!({"type": t, "status": s, "reason": r, "message": "m", "lastTransitionTime": "2026-12-04T07:00:00Z"})
    }

    #[test]
    fn managed_resources_claims_and_composites() {
        let mr = KindId::dynamic("rds.aws.upbound.io", "Instance", "instances", false, Dynamic::Managed).expect("id");
        let of = |status: Value, annotations: Value| {
            health_of(
                mr,
                &obj(json!({"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance",
                "metadata": {"name": "x", "annotations": annotations}, "status": status})),
            )
        };
        let cases = [
            (
                json!({"conditions": [c("Synced", "False", "ReconcileError"), c("Ready", "False", "Creating")]}),
                json!({}),
                HealthState::Failed,
                "ReconcileError",
            ),
            (
                json!({"conditions": [c("Synced", "True", "ReconcileSuccess"), c("Ready", "True", "Available")]}),
                json!({}),
                HealthState::Ready,
                "Available",
            ),
            (
                json!({"conditions": [c("Synced", "True", "ReconcileSuccess"), c("Ready", "False", "Creating")]}),
                json!({}),
                HealthState::Progressing,
                "Creating",
            ),
            (
                json!({"conditions": [c("Synced", "True", "ReconcileSuccess"), c("Ready", "False", "Unavailable")]}),
                json!({}),
                HealthState::Failed,
                "Unavailable",
            ),
            (
                json!({"conditions": [c("Synced", "False", "ReconcilePaused")]}),
                json!({}),
                HealthState::Paused,
                "ReconcilePaused",
            ),
            // Only the exact string "true" pauses.
            (
                json!({"conditions": [c("Synced", "True", "ReconcileSuccess"), c("Ready", "True", "Available")]}),
                json!({"crossplane.io/paused": "true"}),
                HealthState::Paused,
                "ReconcilePaused",
            ),
            (
                json!({"conditions": [c("Synced", "True", "ReconcileSuccess"), c("Ready", "True", "Available")]}),
                json!({"crossplane.io/paused": "True"}),
                HealthState::Ready,
                "Available",
            ),
            (json!({}), json!({}), HealthState::Unknown, "NotReconciled"),
        ];
        for (status, annotations, state, reason) in cases {
            let h = of(status.clone(), annotations.clone());
            assert_eq!((h.state, h.reason.as_str()), (state, reason), "{status} {annotations}");
        }
    }

    #[test]
    fn malformed_conditions_are_unknown_with_a_note_never_a_panic() {
        let mr = KindId::dynamic("s3.aws.upbound.io", "Bucket", "buckets", false, Dynamic::Managed).expect("id");
        for garbage in [json!("nope"), json!([1, 2]), json!([{"type": 3}]), json!({"a": "b"})] {
            let o = obj(json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
                "status": {"conditions": garbage.clone()}}));
            let h = health_of(mr, &o);
            assert!(h.state == HealthState::Unknown, "{garbage}: {h:?}");
        }
        let o = obj(json!({"apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "metadata": {"name": "b"},
            "status": {"conditions": "nope"}}));
        assert!(health_of(mr, &o).note.is_some_and(|n| n.contains("status.conditions")));
    }

    #[test]
    fn packages_revisions_and_xrds() {
        let pkg = |conditions: Value| {
            health(
                "pkg.crossplane.io",
                "Provider",
                &obj(json!({"apiVersion": "pkg.crossplane.io/v1", "kind": "Provider",
                "metadata": {"name": "p"}, "status": {"conditions": conditions}})),
            )
        };
        assert_eq!(
            pkg(json!([
                c("Installed", "True", "ActivePackageRevision"),
                c("Healthy", "True", "HealthyPackageRevision")
            ]))
            .state,
            HealthState::Ready
        );
        assert_eq!(
            pkg(json!([
                c("Installed", "True", "ActivePackageRevision"),
                c("Healthy", "False", "UnhealthyPackageRevision")
            ]))
            .state,
            HealthState::Failed
        );
        assert_eq!(pkg(json!([c("Installed", "False", "UnpackingPackage")])).state, HealthState::Progressing);
        let rev = |conditions: Value| {
            health(
                "pkg.crossplane.io",
                "ProviderRevision",
                &obj(json!({"apiVersion": "pkg.crossplane.io/v1", "kind": "ProviderRevision",
                "metadata": {"name": "r"}, "status": {"conditions": conditions}})),
            )
        };
        assert_eq!(
            rev(json!([
                c("RevisionHealthy", "True", "HealthyPackageRevision"),
                c("RuntimeHealthy", "False", "UnhealthyPackageRevision")
            ]))
            .state,
            HealthState::Failed
        );
        assert_eq!(rev(json!([c("Healthy", "True", "HealthyPackageRevision")])).state, HealthState::Ready);
        let xrd = |conditions: Value, claim: bool| {
            let mut spec = json!({"group": "g"});
            if claim {
                spec["claimNames"] = json!({"kind": "C", "plural": "cs"});
            }
            health(
                "apiextensions.crossplane.io",
                "CompositeResourceDefinition",
                &obj(json!({
                "apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
                "metadata": {"name": "x"}, "spec": spec, "status": {"conditions": conditions}})),
            )
        };
        assert_eq!(
            xrd(json!([c("Established", "True", "WatchingCompositeResource")]), false).state,
            HealthState::Ready
        );
        assert_eq!(
            xrd(json!([c("Established", "True", "WatchingCompositeResource")]), true).state,
            HealthState::Ready,
            "no Offered yet is not a failure"
        );
        assert_eq!(
            xrd(
                json!([
                    c("Established", "True", "WatchingCompositeResource"),
                    c("Offered", "False", "TerminatingClaim")
                ]),
                true
            )
            .state,
            HealthState::Progressing
        );
    }
}
