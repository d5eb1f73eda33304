//! The lineage of a tofu-controller Terraform object, built from the store (pure): where its code comes
//! from, what it produces and what it waits for.
//!
//! ```text
//! GitRepository/flux-system/infra                      <- spec.sourceRef (GitRepository | OCIRepository | Bucket)
//! └── Terraform/flux-system/vpc                        <- revision: status.lastAppliedRevision
//!     ├── Secret/flux-system/vpc-outputs  (not watched)  <- spec.writeOutputsToSecret.name
//!     │   ├── output subnet_ids                        <- writeOutputsToSecret.outputs, else status.availableOutputs
//!     │   └── output vpc_id
//!     ├── Plan plan-main-1a2b3c4d5e (pending approval) <- status.plan.pending
//!     └── dependsOn: Terraform/flux-system/network     <- spec.dependsOn[]
//! ```
//!
//! Shapes per tofu-controller `api/v1alpha2/terraform_types.go` (REFERENCE.md section C). Output values are
//! never read: the outputs Secret is not in the store (fleetdeck watches no Secrets), so its node is marked
//! [`Missing::NotWatched`] and only output *names* are shown. A plan is approved when `spec.approvePlan` is
//! `auto` or equals, or is a prefix of, the pending id; with `spec.planOnly` it is never applied.
use serde_json::Value;

use super::flux_tree::{depends_on, source_ref};
use super::kinds::{Family, KindSet};
use super::status::{Health, HealthState};
use super::store::{FleetStore, StoredObject};
use super::tree::{Label, Lookup, Missing, ObjectLabel, StoreView, TreeNode, at};

const TF_GROUP: &str = "infra.contrib.fluxcd.io";
const SOURCE_GROUP: &str = "source.toolkit.fluxcd.io";

/// The kinds a Terraform tree reads (`fleetdeck tree --kind terraform` watches only these): Terraform and
/// the Flux kinds (its source and the objects its `dependsOn` names).
pub fn kinds() -> KindSet {
    KindSet::family(Family::Terraform).union(KindSet::family(Family::Flux))
}

/// The lineage tree of Terraform `namespace/name` in `context`: the source as root (when `spec.sourceRef`
/// is set), the Terraform under it, and under that its outputs Secret, pending plan and `dependsOn`.
/// `None` when the store does not have the Terraform.
pub fn terraform_tree(store: &FleetStore, context: &str, namespace: &str, name: &str) -> Option<TreeNode> {
    terraform_tree_with(&StoreView::new(store), context, namespace, name)
}

/// [`terraform_tree`] through a [`StoreView`] (for [`super::tree::TreeCache`]).
pub fn terraform_tree_with(view: &StoreView<'_>, context: &str, namespace: &str, name: &str) -> Option<TreeNode> {
    let Lookup::Found(tf) = view.lookup(context, TF_GROUP, "Terraform", namespace, name) else {
        return None;
    };
    let data = &tf.obj().data;
    let mut node = TreeNode::object(ObjectLabel::new(context, TF_GROUP, "Terraform", namespace, name), Some(tf));
    node.source = source_ref(at(data, "/spec/sourceRef"), namespace).map(Box::new);
    node.revision = text(data, "/status/lastAppliedRevision");
    node.depends_on = depends_on(data, namespace);
    if let Some(outputs) = outputs(&node.id, context, namespace, data) {
        node.children.push(outputs);
    }
    if let Some(plan) = plan(&node.id, tf) {
        node.children.push(plan);
    }
    for dep in &node.depends_on {
        let (dep_ns, dep_name) = dep.split_once('/').unwrap_or((namespace, dep));
        let (mut child, _) = lookup_node(view, context, TF_GROUP, "Terraform", dep_ns, dep_name);
        if let Label::Object(l) = &mut child.label {
            l.meta_name = Some("dependsOn".into());
        }
        child.id = format!("{}>dependsOn:{}", node.id, child.id);
        node.children.push(child);
    }
    let Some(source) = node.source.clone() else {
        return Some(node);
    };
    let (mut root, found) = lookup_node(view, context, SOURCE_GROUP, &source.kind, &source.namespace, &source.name);
    root.revision = found.and_then(|o| text(&o.obj().data, "/status/artifact/revision"));
    root.children.push(node);
    Some(root)
}

/// An object node from the store (with the object), or marked [`Missing`].
fn lookup_node<'a>(
    view: &StoreView<'a>,
    ctx: &str,
    group: &str,
    kind: &str,
    ns: &str,
    name: &str,
) -> (TreeNode, Option<&'a StoredObject>) {
    match view.lookup(ctx, group, kind, ns, name) {
        Lookup::Found(o) => (TreeNode::object(ObjectLabel::new(ctx, group, kind, ns, name), Some(o)), Some(o)),
        Lookup::Missing(m) => {
            let mut node = TreeNode::object(ObjectLabel::new(ctx, group, kind, ns, name), None);
            node.missing = Some(m);
            (node, None)
        }
    }
}

/// The outputs: the `writeOutputsToSecret` Secret with the output names it receives, or (nothing written)
/// a virtual node listing `status.availableOutputs`.
fn outputs(parent_id: &str, ctx: &str, ns: &str, data: &Value) -> Option<TreeNode> {
    let names = |pointer: &str| -> Vec<String> {
        at(data, pointer)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let available = names("/status/availableOutputs");
    let node = match text(data, "/spec/writeOutputsToSecret/name") {
        Some(secret) => {
            let mut node = TreeNode::object(ObjectLabel::new(ctx, "", "Secret", ns, &secret), None);
            node.missing = Some(Missing::NotWatched);
            let chosen = names("/spec/writeOutputsToSecret/outputs");
            let names = if chosen.is_empty() { available } else { chosen };
            node.children = names.iter().map(|n| TreeNode::virtual_node(&node.id, format!("output {n}"))).collect();
            node
        }
        None if !available.is_empty() => {
            let mut node = TreeNode::virtual_node(parent_id, "outputs (not written to a Secret)");
            node.children = available.iter().map(|n| TreeNode::virtual_node(&node.id, format!("output {n}"))).collect();
            node
        }
        None => return None,
    };
    Some(node)
}

/// The pending plan, `Plan <id> (<state>)`: pending approval, approved (being applied), or plan only.
fn plan(parent_id: &str, tf: &StoredObject) -> Option<TreeNode> {
    let data = &tf.obj().data;
    let pending = text(data, "/status/plan/pending").filter(|p| !p.is_empty())?;
    let approve = text(data, "/spec/approvePlan").unwrap_or_default();
    let plan_only = at(data, "/spec/planOnly").and_then(Value::as_bool) == Some(true);
    let approved = approve == "auto" || (!approve.is_empty() && pending.starts_with(&approve));
    let destroy = at(data, "/status/plan/isDestroyPlan").and_then(Value::as_bool) == Some(true);
    let state = match (plan_only, approved) {
        (true, _) => "plan only",
        (false, true) => "approved",
        (false, false) => "pending approval",
    };
    let kind = if destroy { "Destroy plan" } else { "Plan" };
    let mut node = TreeNode::virtual_node(parent_id, format!("{kind} {pending} ({state})"));
    if !approved || plan_only {
        let mut health = Health::new(
            HealthState::PlanPending,
            "TerraformPlannedWithChanges",
            format!("Plan generated: set approvePlan: \"{pending}\" to approve this plan."),
        );
        health.since = tf.health.since;
        node.health = Some(Box::new(health));
    }
    Some(node)
}

fn text(data: &Value, pointer: &str) -> Option<String> {
    at(data, pointer)?.as_str().map(str::to_string)
}
