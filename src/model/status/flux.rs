//! Flux and tofu-controller health.
//!
//! Flux objects speak kstatus (Ready, Reconciling, Stalled; cli-utils `pkg/kstatus`), but a failed reconciliation
//! leaves `Ready=False` *and* `Reconciling=True` (reason `ProgressingWithRetry`), with `status.observedGeneration`
//! unchanged (kustomize-controller `internal/controller/kustomization_controller.go` `finalizeStatus`). Plain
//! kstatus would call that InProgress forever; an operator reads it as failing, and so does fleetdeck: a
//! Ready=False for the current generation is checked before Reconciling and the generation lag. Flux stamps each
//! condition with the generation it judged (fluxcd/pkg `runtime/conditions/setter.go` `Set`), which tells a
//! current failure from a stale one.

use kube::api::DynamicObject;

use super::{Health, HealthState, generation_lag, has_status, not_reconciled};
use crate::model::conditions::{Condition, Malformed, conditions_at, find, get_bool, get_str};

/// Flux API groups: source, kustomize, helm, notification and image automation controllers.
const FLUX_GROUPS: &[&str] = &[
    "source.toolkit.fluxcd.io",
    "kustomize.toolkit.fluxcd.io",
    "helm.toolkit.fluxcd.io",
    "notification.toolkit.fluxcd.io",
    "image.toolkit.fluxcd.io",
    "source.extensions.fluxcd.io",
];

/// tofu-controller's API group (Terraform kind).
pub(super) const TERRAFORM_GROUP: &str = "infra.contrib.fluxcd.io";

/// Ready=False reasons that mean "waiting", not "failed" (fluxcd/pkg `apis/meta/conditions.go`:
/// DependencyNotReady, Progressing, ProgressingWithRetry).
pub(super) const WAITING_REASONS: &[&str] = &["DependencyNotReady", "Progressing", "ProgressingWithRetry"];

pub(super) fn is_flux_group(group: &str) -> bool {
    FLUX_GROUPS.contains(&group)
}

/// Flux health, in order:
/// 1. `spec.suspend: true` -> Suspended (see [`suspended`]);
/// 2. no status: notification-controller Alert/Provider have none since v1beta3 -> Ready; others -> Unknown
///    (`NotReconciled`);
/// 3. then [`failing`] and [`settle`]: Stalled=True -> Failed; Ready=False for the current generation with a
///    failure reason -> Failed; generation lag (unless Ready was judged for the current generation) ->
///    Progressing; Reconciling=True -> Progressing; Ready True -> Ready, False (waiting reason or stale) /
///    Unknown -> Progressing; no Ready -> Unknown.
pub(super) fn health(group: &str, kind: &str, obj: &DynamicObject) -> Result<Health, Malformed> {
    if let Some(h) = suspended(obj)? {
        return Ok(h);
    }
    let conditions = conditions_at(&obj.data, "/status/conditions")?;
    let lag = generation_lag(kind, obj)?;
    if !has_status(obj)? {
        if group == "notification.toolkit.fluxcd.io" && matches!(kind, "Alert" | "Provider") {
            return Ok(Health::new(HealthState::Ready, "", ""));
        }
        return Ok(not_reconciled());
    }
    if let Some(h) = failing(obj, &conditions, lag.is_some()) {
        return Ok(h);
    }
    // `status.observedGeneration` moves only when a reconciliation succeeds (it stays -1 on an object that
    // never became ready), so a Ready judged for the current generation outranks it: a Kustomization
    // waiting on a dependency that never was ready reads DependencyNotReady, as `flux get` prints it, not a
    // generation lag.
    let lag = if find(&conditions, "Ready").is_some_and(|c| judged_now(obj, c)) { None } else { lag };
    Ok(settle(&conditions, lag))
}

/// The condition carries the generation it was judged for (Flux stamps every condition), and it is the
/// object's current one.
fn judged_now(obj: &DynamicObject, c: &Condition) -> bool {
    matches!((c.observed_generation, obj.metadata.generation), (Some(judged), Some(now)) if judged == now)
}

/// tofu-controller Terraform health: Flux's rules, with a pending plan in between (tofu-controller
/// `api/v1alpha2/terraform_types.go`):
/// 1. `spec.suspend: true` -> Suspended; no status -> Unknown;
/// 2. Stalled=True (RetryLimitReached) or Ready=False -> Failed with Ready's reason (TFExecApplyFailed,
///    DriftDetected, LockHeld, ...);
/// 3. `status.plan.pending` set and not approved -> PlanPending, reason `TerraformPlannedWithChanges`, message
///    Ready's `Plan generated: set approvePlan: "<id>" to approve this plan.` Approved means `spec.approvePlan`
///    is `auto`, or equals or is a prefix of the pending id; with `spec.planOnly` a plan is never applied, so it
///    always waits for a human;
/// 4. then generation lag / Reconciling / Ready as for Flux (an approved plan being applied is Progressing).
pub(super) fn terraform(kind: &str, obj: &DynamicObject) -> Result<Health, Malformed> {
    if let Some(h) = suspended(obj)? {
        return Ok(h);
    }
    let data = &obj.data;
    let conditions = conditions_at(data, "/status/conditions")?;
    let lag = generation_lag(kind, obj)?;
    let pending = get_str(data, &["status", "plan", "pending"])?.unwrap_or_default();
    let approve = get_str(data, &["spec", "approvePlan"])?.unwrap_or_default();
    let plan_only = get_bool(data, &["spec", "planOnly"])?.unwrap_or(false);
    if !has_status(obj)? {
        return Ok(not_reconciled());
    }
    if let Some(h) = failing(obj, &conditions, lag.is_some()) {
        return Ok(h);
    }
    let approved = (approve == "auto" && !plan_only) || (!approve.is_empty() && pending.starts_with(approve));
    if !pending.is_empty() && (plan_only || !approved) {
        let ready = find(&conditions, "Ready").filter(|c| c.reason == "TerraformPlannedWithChanges");
        let mut h = Health::new(
            HealthState::PlanPending,
            "TerraformPlannedWithChanges",
            format!("Plan generated: set approvePlan: \"{pending}\" to approve this plan."),
        );
        if let Some(ready) = ready {
            h.message.clone_from(&ready.message);
        }
        h.since = ready.or_else(|| find(&conditions, "Plan")).and_then(|c| c.last_transition_time);
        return Ok(h);
    }
    Ok(settle(&conditions, lag))
}

/// `spec.suspend: true` -> Suspended, reason `Suspended`, message `suspended`, or `suspended; last reconcile:
/// <Ready message>` when a Ready condition has one (the controller leaves status as it was when suspended);
/// since = that Ready's lastTransitionTime. Suspension is a spec fact, so an unreadable status only adds a `note`.
fn suspended(obj: &DynamicObject) -> Result<Option<Health>, Malformed> {
    if get_bool(&obj.data, &["spec", "suspend"])? != Some(true) {
        return Ok(None);
    }
    let mut h = Health::new(HealthState::Suspended, "Suspended", "suspended");
    match conditions_at(&obj.data, "/status/conditions") {
        Ok(conditions) => {
            if let Some(ready) = find(&conditions, "Ready").filter(|c| !c.message.is_empty()) {
                h.message = format!("suspended; last reconcile: {}", ready.message);
                h.since = ready.last_transition_time;
            }
        }
        Err(err) => h.note = Some(err.to_string()),
    }
    Ok(Some(h))
}

/// Stalled=True -> Failed (kstatus); Ready=False judged for the current generation, with a reason that is not
/// one of [`WAITING_REASONS`] -> Failed (Flux's own reading: `flux get` prints it as failing).
///
/// "Current" means the Ready condition's observedGeneration equals `metadata.generation`; when the condition
/// carries none (tofu-controller uses `apimeta.SetStatusCondition`), when status.observedGeneration is not behind.
fn failing(obj: &DynamicObject, conditions: &[Condition], lagging: bool) -> Option<Health> {
    if let Some(stalled) = find(conditions, "Stalled").filter(|c| c.is_true()) {
        return Some(Health::from_condition(HealthState::Failed, stalled));
    }
    let ready = find(conditions, "Ready").filter(|c| c.is_false())?;
    let current = match (ready.observed_generation, obj.metadata.generation) {
        (Some(judged), Some(generation)) => judged == generation,
        _ => !lagging,
    };
    (current && !WAITING_REASONS.contains(&ready.reason.as_str()))
        .then(|| Health::from_condition(HealthState::Failed, ready))
}

/// The rest of kstatus once nothing is failing: generation lag -> Progressing; Reconciling=True -> Progressing;
/// Ready True -> Ready, False / Unknown -> Progressing; no conditions -> Unknown (`NotReconciled`); conditions
/// but no Ready -> Unknown (`NoReadyCondition`).
fn settle(conditions: &[Condition], lag: Option<Health>) -> Health {
    if let Some(h) = lag {
        return h;
    }
    if let Some(reconciling) = find(conditions, "Reconciling").filter(|c| c.is_true()) {
        return Health::from_condition(HealthState::Progressing, reconciling);
    }
    match find(conditions, "Ready") {
        Some(ready) if ready.is_true() => Health::from_condition(HealthState::Ready, ready),
        Some(ready) => Health::from_condition(HealthState::Progressing, ready),
        None if conditions.is_empty() => not_reconciled(),
        None => Health::new(HealthState::Unknown, "NoReadyCondition", "the controller has not set a Ready condition"),
    }
}
