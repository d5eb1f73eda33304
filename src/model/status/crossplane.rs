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
use crate::model::conditions::{Condition, ConditionStatus, Malformed, conditions_at, find};

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
        None => {
            // Synced is there (checked above) and not False.
            let s = synced.cloned().unwrap_or_else(|| blank("Synced"));
            let mut h = Health::from_condition(HealthState::Progressing, &s);
            h.message = "no Ready condition yet".into();
            h
        }
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

fn blank(type_: &str) -> Condition {
    Condition {
        type_: type_.into(),
        status: ConditionStatus::Unknown,
        reason: String::new(),
        message: String::new(),
        last_transition_time: None,
        severity: None,
        observed_generation: None,
    }
}
