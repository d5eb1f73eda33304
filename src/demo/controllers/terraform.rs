//! Simulated tofu-controller (Terraform `infra.contrib.fluxcd.io/v1alpha2`) for the demo fleet.
//!
//! Facts from REFERENCE.md section C: a pending plan is `status.plan.pending` with `Plan=True
//! TerraformPlannedWithChanges` and `Ready=Unknown` saying `Plan generated: set approvePlan: "<planId>" to
//! approve this plan.`; it is applied when `spec.approvePlan` equals (or is a prefix of) the pending id, or
//! is `auto`. tfctl's replan writes `Ready=False ReplanRequested` and clears `plan.pending`; the controller
//! then plans again from the source's current revision.
use anyhow::Result;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::flux::REQUESTED_AT;
use super::{api_of, applied, conditions, patch_status, resource, s, set_condition};
use crate::demo::seed;

/// The Terraform kind.
pub fn terraform_resource() -> ApiResource {
    resource("infra.contrib.fluxcd.io", "v1alpha2", "Terraform", "terraforms")
}

/// Starts the Terraform controller for one context.
pub fn start(context: &str, client: kube::Client) -> Vec<JoinHandle<()>> {
    let context = context.to_string();
    vec![tokio::spawn(async move {
        let ar = terraform_resource();
        let mut events = std::pin::pin!(applied(client.clone(), &ar));
        while let Some(tf) = events.next().await {
            if let Err(e) = reconcile(&client, &ar, &tf).await {
                let name = tf.metadata.name.as_deref().unwrap_or("");
                tracing::warn!(target: "demo", "{context}: Terraform {name}: {e:#}");
            }
        }
    })]
}

/// What the controller does with a Terraform object in its current state.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Nothing,
    /// Apply the pending plan.
    Apply(String),
    /// Make a new plan from this revision.
    Plan(String),
    /// Only record the handled reconcile request / observed generation.
    Observe,
}

fn step(tf: &DynamicObject) -> Step {
    if tf.data.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false) {
        return Step::Nothing;
    }
    let pending = s(&tf.data, "/status/plan/pending");
    let approve = s(&tf.data, "/spec/approvePlan");
    if !pending.is_empty() && (approve == "auto" || (!approve.is_empty() && pending.starts_with(approve))) {
        return Step::Apply(pending.to_string());
    }
    let replan = conditions(tf).iter().any(|c| s(c, "/type") == "Ready" && s(c, "/reason") == "ReplanRequested");
    if replan && pending.is_empty() {
        let rev = match s(&tf.data, "/status/lastAttemptedRevision") {
            "" => s(&tf.data, "/status/lastAppliedRevision"),
            r => r,
        };
        return Step::Plan(if rev.is_empty() { seed::revision("main", 1) } else { rev.to_string() });
    }
    let requested =
        tf.metadata.annotations.as_ref().and_then(|a| a.get(REQUESTED_AT)).map(String::as_str).unwrap_or("");
    let handled = s(&tf.data, "/status/lastHandledReconcileAt");
    let observed = tf.data.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(-1);
    if (!requested.is_empty() && requested != handled) || tf.metadata.generation.unwrap_or(0) != observed {
        return Step::Observe;
    }
    Step::Nothing
}

async fn reconcile(client: &kube::Client, ar: &ApiResource, tf: &DynamicObject) -> Result<()> {
    let step = step(tf);
    if step == Step::Nothing {
        return Ok(());
    }
    let name = tf.metadata.name.clone().unwrap_or_default();
    let generation = tf.metadata.generation.unwrap_or(0);
    let mut status = json!({"observedGeneration": generation});
    if let Some(r) = tf.metadata.annotations.as_ref().and_then(|a| a.get(REQUESTED_AT)) {
        status["lastHandledReconcileAt"] = json!(r);
    }
    let mut conds = conditions(tf);
    match step {
        Step::Apply(plan) => {
            let rev = s(&tf.data, "/status/lastPlannedRevision").to_string();
            let outputs = write_outputs(client, tf).await?;
            set_condition(
                &mut conds,
                "Apply",
                "True",
                "TerraformAppliedSucceed",
                &format!("Applied successfully: {rev}"),
                generation,
            );
            if outputs.is_empty() {
                set_condition(
                    &mut conds,
                    "Ready",
                    "True",
                    "TerraformAppliedSucceed",
                    &format!("Applied successfully: {rev}"),
                    generation,
                );
            } else {
                set_condition(
                    &mut conds,
                    "Output",
                    "True",
                    "TerraformOutputsWritten",
                    &format!("Outputs written: {rev}"),
                    generation,
                );
                set_condition(
                    &mut conds,
                    "Ready",
                    "True",
                    "TerraformOutputsWritten",
                    &format!("Outputs written: {rev}"),
                    generation,
                );
                status["availableOutputs"] = json!(outputs);
            }
            status["plan"] =
                json!({"pending": "", "lastApplied": plan, "isDestroyPlan": false, "isDriftDetectionPlan": false});
            status["lastAppliedRevision"] = json!(rev);
            status["lastAttemptedRevision"] = json!(rev);
        }
        Step::Plan(rev) => {
            let id = seed::plan_id(&rev);
            set_condition(&mut conds, "Plan", "True", "TerraformPlannedWithChanges", "Plan generated", generation);
            set_condition(
                &mut conds,
                "Ready",
                "Unknown",
                "TerraformPlannedWithChanges",
                &format!("Plan generated: set approvePlan: \"{id}\" to approve this plan."),
                generation,
            );
            status["plan"] = json!({"pending": id, "isDestroyPlan": false, "isDriftDetectionPlan": false});
            status["lastPlannedRevision"] = json!(rev);
            status["lastAttemptedRevision"] = json!(rev);
        }
        Step::Observe | Step::Nothing => {}
    }
    status["conditions"] = json!(conds);
    patch_status(&api_of(client, ar, tf), &name, status).await
}

/// Writes the `spec.writeOutputsToSecret` Secret (fake values; the names are what fleetdeck shows) and
/// returns the output names.
async fn write_outputs(client: &kube::Client, tf: &DynamicObject) -> Result<Vec<String>> {
    let secret = s(&tf.data, "/spec/writeOutputsToSecret/name");
    if secret.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = tf
        .data
        .pointer("/spec/writeOutputsToSecret/outputs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default();
    if names.is_empty() {
        names = vec!["vpc_id".into(), "subnet_ids".into()];
    }
    let ns = tf.metadata.namespace.clone().unwrap_or_default();
    let data: serde_json::Map<String, Value> =
        names.iter().map(|n| (n.clone(), json!(base64_of(&format!("demo-{n}"))))).collect();
    let api: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let body = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret, "namespace": ns,
        "labels": {"infra.contrib.fluxcd.io/terraform": tf.metadata.name.clone().unwrap_or_default()}},
        "type": "Opaque", "data": data});
    api.patch(secret, &PatchParams::apply("fleetdeck-demo").force(), &Patch::Apply(body)).await?;
    Ok(names)
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tf(spec: Value, status: Value) -> DynamicObject {
        serde_json::from_value(json!({"apiVersion": "infra.contrib.fluxcd.io/v1alpha2", "kind": "Terraform",
            "metadata": {"name": "vpc", "namespace": "flux-system", "generation": 1},
            "spec": spec, "status": status}))
        .expect("object")
    }

    #[test]
    fn approval_matches_the_pending_id_or_a_prefix() {
        let pending = json!({"observedGeneration": 1, "plan": {"pending": "plan-main-0123456789"}});
        assert_eq!(step(&tf(json!({"approvePlan": ""}), pending.clone())), Step::Nothing);
        assert_eq!(
            step(&tf(json!({"approvePlan": "plan-main-0123456789"}), pending.clone())),
            Step::Apply("plan-main-0123456789".into())
        );
        assert_eq!(
            step(&tf(json!({"approvePlan": "plan-main-01"}), pending.clone())),
            Step::Apply("plan-main-0123456789".into())
        );
        assert_eq!(step(&tf(json!({"approvePlan": "plan-main-99"}), pending.clone())), Step::Nothing);
        assert_eq!(step(&tf(json!({"approvePlan": "auto"}), pending)), Step::Apply("plan-main-0123456789".into()));
    }

    #[test]
    fn replan_request_makes_a_new_plan_and_suspend_stops_everything() {
        let replan = json!({"observedGeneration": 1, "lastAttemptedRevision": "main@sha1:0123456789abcdef",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ReplanRequested"}]});
        assert_eq!(step(&tf(json!({}), replan.clone())), Step::Plan("main@sha1:0123456789abcdef".into()));
        assert_eq!(step(&tf(json!({"suspend": true}), replan)), Step::Nothing);
    }
}
