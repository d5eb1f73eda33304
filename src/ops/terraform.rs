//! tofu-controller (Terraform `infra.contrib.fluxcd.io/v1alpha2`): approve, replan.
//!
//! Facts from REFERENCE.md section C, as `tfctl approve|replan` do it:
//! - a pending plan is `status.plan.pending` (id `plan-<branch>-<first 10 hex>`); approval is
//!   `spec.approvePlan` equal to (or a prefix of) it; fleetdeck always writes the full id;
//! - the GitOps way (the default, what `tfctl approve` does) sets `spec.approvePlan` in the object's YAML in
//!   the GitOps repository and commits; `--live` merge-patches the live object (Flux reverts it if git
//!   differs, so it is for repositories that leave `approvePlan` out);
//! - replan: there is no annotation; tfctl patches the status subresource (Ready=False reason
//!   `ReplanRequested`, `plan.pending`, `lastPlannedRevision` and `lastAttemptedRevision` cleared) and then
//!   sets `reconcile.fluxcd.io/requestedAt`.
use kube::api::DynamicObject;
use serde_json::{Value, json};

use super::flux::{condition, now_rfc3339_nano};
use super::follow::Judge;

/// The Ready reason tfctl writes to request a new plan.
pub const REPLAN_REQUESTED: &str = "ReplanRequested";

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The pending plan id, or the refusal message when there is none (nothing is written then).
pub fn pending_plan(obj: &DynamicObject) -> Result<String, String> {
    let name = obj.metadata.name.as_deref().unwrap_or("the Terraform object");
    match text(&obj.data, "/status/plan/pending") {
        "" => Err(format!("Terraform {name} has no pending plan to approve (status.plan.pending is empty)")),
        id => Ok(id.to_string()),
    }
}

/// The merge patch approving `plan` on the live object.
pub fn approve_patch(plan: &str) -> Value {
    json!({ "spec": { "approvePlan": plan } })
}

/// Whether `plan` has been applied: `status.plan.lastApplied` is it and Ready is True.
pub fn applied(obj: &DynamicObject, plan: &str) -> Judge {
    let ready = condition(obj, "Ready");
    let ready_status = ready.map(|c| text(c, "/status")).unwrap_or("");
    if text(&obj.data, "/status/plan/lastApplied") == plan && ready_status == "True" {
        return Judge::Done(format!("applied plan {plan}: {}", ready.map(|c| text(c, "/message")).unwrap_or("")));
    }
    if let Some(c) = condition(obj, "Apply").filter(|c| text(c, "/status") == "False") {
        return Judge::Failed(format!("apply failed: {}: {}", text(c, "/reason"), text(c, "/message")));
    }
    Judge::Wait(Some(format!("waiting for tofu-controller to apply {plan}")))
}

/// The status merge patch tfctl's replan sends: the conditions with Ready replaced by
/// `False/ReplanRequested`, and the plan fields cleared. `now` is the transition time (RFC 3339).
pub fn replan_status_patch(obj: &DynamicObject, now: &str) -> Value {
    let mut conditions: Vec<Value> =
        obj.data.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    conditions.retain(|c| text(c, "/type") != "Ready");
    conditions.push(json!({
        "type": "Ready", "status": "False", "reason": REPLAN_REQUESTED, "message": "Replan requested",
        "lastTransitionTime": now,
    }));
    json!({ "status": {
        "conditions": conditions,
        "plan": { "pending": "" },
        "lastPlannedRevision": "",
        "lastAttemptedRevision": "",
    } })
}

/// Whether the replan requested at `at` has produced a plan (or found nothing to change).
pub fn replanned(obj: &DynamicObject, at: &str) -> Judge {
    if text(&obj.data, "/status/lastHandledReconcileAt") != at {
        return Judge::Wait(Some("waiting for tofu-controller to handle the request".into()));
    }
    let pending = text(&obj.data, "/status/plan/pending");
    if !pending.is_empty() {
        return Judge::Done(format!("new plan {pending} is waiting for approval"));
    }
    match condition(obj, "Ready") {
        Some(c) if text(c, "/reason") == REPLAN_REQUESTED => Judge::Wait(Some("planning".into())),
        Some(c) if text(c, "/status") == "True" => Judge::Done(format!("planned: {}", text(c, "/message"))),
        Some(c) if text(c, "/status") == "False" => {
            Judge::Failed(format!("plan failed: {}: {}", text(c, "/reason"), text(c, "/message")))
        }
        _ => Judge::Wait(Some("planning".into())),
    }
}

/// A request time for the approval commit's message (same format as `requestedAt`).
pub fn approval_time() -> String {
    now_rfc3339_nano()
}

/// Approves `plan` of Terraform `namespace/name` the GitOps way (what `tfctl approve` does): finds the
/// object's manifest in `repo` at `base`, sets `spec.approvePlan: <plan>` in it (text edit, see
/// [`set_approve_plan`]) and commits it on branch `fleetdeck/approve-<name>-<plan>` with the message
/// `Approve plan <plan> for Terraform <namespace>/<name>`; pushes when `push`. Idempotent like every
/// [`crate::gitops::Repo::apply`]; the user's working tree, index and branch are never touched.
///
/// # Errors
/// [`super::OpError::Refused`] when no manifest of the object is in the repository or it cannot be edited safely;
/// [`super::OpError::Failed`] for git errors (a rejected push keeps the local branch and says why).
pub fn approve_in_repo(
    repo: &crate::gitops::Repo,
    base: &crate::gitops::Base,
    namespace: &str,
    name: &str,
    plan: &str,
    push: bool,
) -> Result<crate::gitops::Applied, super::OpError> {
    use super::{OpError, RefusalKind};
    let failed = |e: crate::gitops::RepoError| OpError::Failed(e.to_string());
    let found = crate::gitops::locate::find_object(repo, &base.commit, GROUP, "Terraform", namespace, name)
        .map_err(failed)?
        .ok_or_else(|| {
            OpError::refused(
                RefusalKind::NotFound,
                format!(
                    "no manifest of Terraform {namespace}/{name} in {} at {} ({}); approve with --live instead",
                    repo.root.display(),
                    base.branch,
                    crate::gitops::revision::short(&base.commit)
                ),
            )
        })?;
    let text = set_approve_plan(&found.text, namespace, name, plan)
        .map_err(|m| OpError::refused(RefusalKind::Precondition, format!("{}: {m}", found.path)))?;
    let branch = format!("fleetdeck/approve-{name}-{plan}");
    let message = format!("Approve plan {plan} for Terraform {namespace}/{name}");
    let change = crate::gitops::FileChange { path: found.path.clone(), content: Some(text) };
    repo.apply(base, &branch, &message, &[change], push).map_err(failed)
}

/// The human-readable plan tofu-controller stored for `obj` (`spec.storeReadablePlan: human`): ConfigMap
/// `tfplan-<workspace>-<name>`, key `tfplan`. `Ok(None)` with the reason when there is none to show: not
/// stored, or stored as JSON in a Secret (Secret values are never shown).
///
/// # Errors
/// The API error text when the ConfigMap cannot be read.
pub async fn readable_plan(client: &kube::Client, obj: &DynamicObject) -> Result<Result<String, String>, String> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let ns = obj.metadata.namespace.clone().unwrap_or_default();
    let name = obj.metadata.name.clone().unwrap_or_default();
    let workspace = match text(&obj.data, "/spec/workspace") {
        "" => "default",
        w => w,
    };
    let cm_name = format!("tfplan-{workspace}-{name}");
    match text(&obj.data, "/spec/storeReadablePlan") {
        "human" => {}
        "json" => {
            return Ok(Err(format!("the plan is stored as JSON in Secret {cm_name}; Secret values are not shown")));
        }
        _ => return Ok(Err("no readable plan stored (spec.storeReadablePlan: human stores one)".into())),
    }
    let api: kube::Api<ConfigMap> = kube::Api::namespaced(client.clone(), &ns);
    match api.get_opt(&cm_name).await {
        Ok(Some(cm)) => Ok(cm
            .data
            .and_then(|d| d.get("tfplan").cloned())
            .ok_or_else(|| format!("ConfigMap {cm_name} has no tfplan key"))),
        Ok(None) => Ok(Err(format!("no plan stored yet (ConfigMap {ns}/{cm_name} not found)"))),
        Err(e) => Err(format!("reading ConfigMap {ns}/{cm_name}: {}", crate::fleet::describe(&e))),
    }
}

/// The tofu-controller API group.
pub const GROUP: &str = "infra.contrib.fluxcd.io";

/// Sets `spec.approvePlan: <plan>` in the YAML document of Terraform `namespace/name` inside `file_text`,
/// editing the text in place so comments, key order and the other documents stay as they were.
///
/// The document is found by parsing each `---`-separated document (kind `Terraform`, the name, and the
/// namespace when the document sets one). The result is parsed again and must equal the original with only
/// `spec.approvePlan` changed.
///
/// # Errors
/// A message when no document matches, the document has no `spec:` block, or the edit would change more
/// than `spec.approvePlan`.
pub fn set_approve_plan(file_text: &str, namespace: &str, name: &str, plan: &str) -> Result<String, String> {
    let docs = split_documents(file_text);
    let index = docs
        .iter()
        .position(|(start, end)| is_terraform(&file_text[*start..*end], namespace, name))
        .ok_or_else(|| format!("no Terraform {namespace}/{name} document"))?;
    let (start, end) = docs[index];
    let doc = &file_text[start..end];
    let edited = edit_spec_field(doc, "approvePlan", plan)?;
    let before: Value = serde_saphyr::from_str(doc).map_err(|e| e.to_string())?;
    let mut after: Value = serde_saphyr::from_str(&edited).map_err(|e| format!("the edit broke the YAML: {e}"))?;
    if text(&after, "/spec/approvePlan") != plan {
        return Err("the edit did not set spec.approvePlan".into());
    }
    let mut expected = before.clone();
    for v in [&mut expected, &mut after] {
        if let Some(spec) = v.pointer_mut("/spec").and_then(Value::as_object_mut) {
            spec.remove("approvePlan");
        }
    }
    if expected != after {
        return Err("the edit would change more than spec.approvePlan".into());
    }
    Ok(format!("{}{}{}", &file_text[..start], edited, &file_text[end..]))
}

/// Whether `doc` (one YAML document) is Terraform `namespace/name`.
pub fn is_terraform(doc: &str, namespace: &str, name: &str) -> bool {
    let Ok(v) = serde_saphyr::from_str::<Value>(doc) else { return false };
    let ns = text(&v, "/metadata/namespace");
    text(&v, "/kind") == "Terraform"
        && text(&v, "/apiVersion").starts_with("infra.contrib.fluxcd.io/")
        && text(&v, "/metadata/name") == name
        && (ns.is_empty() || ns == namespace)
}

/// Byte ranges of the documents of a YAML stream (separator lines `---` excluded).
fn split_documents(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" || line.starts_with("--- ") {
            out.push((start, pos));
            start = pos + line.len();
        }
        pos += line.len();
    }
    out.push((start, text.len()));
    out.into_iter().filter(|(s, e)| !text[*s..*e].trim().is_empty()).collect()
}

/// Sets `spec.<key>: <value>` in one block-style YAML document: replaces the value on an existing
/// `<key>:` line directly under `spec:`, else inserts the line first under `spec:` with the block's indent.
fn edit_spec_field(doc: &str, key: &str, value: &str) -> Result<String, String> {
    let lines: Vec<&str> = doc.split_inclusive('\n').collect();
    let spec = lines
        .iter()
        .position(|l| l.trim_end() == "spec:" || l.starts_with("spec: #"))
        .ok_or("the document has no block-style `spec:` to edit")?;
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let significant = |l: &str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let child_indent =
        lines[spec + 1..].iter().find(|l| significant(l)).map(|l| indent_of(l)).filter(|i| *i > 0).unwrap_or(2);
    // The spec block: the lines after `spec:` until the first significant line indented less.
    let block_end = lines[spec + 1..]
        .iter()
        .position(|l| significant(l) && indent_of(l) < child_indent)
        .map_or(lines.len(), |p| spec + 1 + p);
    let existing = (spec + 1..block_end)
        .find(|&i| indent_of(lines[i]) == child_indent && lines[i].trim_start().starts_with(&format!("{key}:")));
    let quoted = serde_json::to_string(value).map_err(|e| e.to_string())?;
    let new_line = format!("{}{key}: {quoted}\n", " ".repeat(child_indent));
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match existing {
        Some(i) => out[i] = new_line,
        None => {
            if !out[spec].ends_with('\n') {
                out[spec].push('\n');
            }
            out.insert(spec + 1, new_line);
        }
    }
    Ok(out.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tf(spec: Value, status: Value) -> DynamicObject {
        serde_json::from_value(json!({"apiVersion": "infra.contrib.fluxcd.io/v1alpha2", "kind": "Terraform",
            "metadata": {"name": "rds", "namespace": "flux-system", "generation": 2},
            "spec": spec, "status": status}))
        .expect("object")
    }

    #[test]
    fn approval_needs_a_pending_plan() {
        assert_eq!(
            pending_plan(&tf(json!({}), json!({"plan": {"pending": "plan-main-abc"}}))),
            Ok("plan-main-abc".into())
        );
        assert!(
            pending_plan(&tf(json!({}), json!({"plan": {"pending": ""}}))).unwrap_err().contains("no pending plan")
        );
        assert!(pending_plan(&tf(json!({}), json!({"plan": 7}))).is_err());
        assert_eq!(approve_patch("plan-main-abc"), json!({"spec": {"approvePlan": "plan-main-abc"}}));
    }

    #[test]
    fn replan_patch_replaces_ready_only() {
        let o = tf(
            json!({}),
            json!({"conditions": [
                {"type": "Plan", "status": "True", "reason": "TerraformPlannedWithChanges"},
                {"type": "Ready", "status": "Unknown", "reason": "TerraformPlannedWithChanges"}],
                "plan": {"pending": "plan-main-abc"}}),
        );
        let p = replan_status_patch(&o, "2026-11-21T00:00:00Z");
        let conds = p["status"]["conditions"].as_array().expect("list");
        assert_eq!(conds.len(), 2);
        assert_eq!(conds[0]["type"], "Plan");
        assert_eq!(conds[1]["reason"], REPLAN_REQUESTED);
        assert_eq!(p["status"]["plan"]["pending"], "");
        assert_eq!(p["status"]["lastPlannedRevision"], "");
    }

    #[test]
    fn replan_and_apply_judges() {
        let waiting = tf(
            json!({}),
            json!({"lastHandledReconcileAt": "t1", "conditions": [
            {"type": "Ready", "status": "False", "reason": REPLAN_REQUESTED}]}),
        );
        assert!(matches!(replanned(&waiting, "t1"), Judge::Wait(_)));
        let planned = tf(json!({}), json!({"lastHandledReconcileAt": "t1", "plan": {"pending": "plan-main-def"}}));
        assert_eq!(replanned(&planned, "t1"), Judge::Done("new plan plan-main-def is waiting for approval".into()));
        let done = tf(
            json!({}),
            json!({"plan": {"lastApplied": "plan-main-abc"}, "conditions": [
            {"type": "Ready", "status": "True", "message": "Outputs written"}]}),
        );
        assert!(matches!(applied(&done, "plan-main-abc"), Judge::Done(_)));
        assert!(matches!(applied(&done, "plan-main-xyz"), Judge::Wait(_)));
    }

    const FILE: &str = "# RDS for orders\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: infra.contrib.fluxcd.io/v1alpha2\nkind: Terraform\nmetadata:\n  name: rds\n  namespace: flux-system\nspec:\n  interval: 1m # often\n  path: ./rds\n  sourceRef:\n    kind: GitRepository\n    name: infra\nstatus: {}\n";

    #[test]
    fn approve_plan_is_inserted_keeping_comments() {
        let out = set_approve_plan(FILE, "flux-system", "rds", "plan-main-abc").expect("edit");
        assert!(out.starts_with("# RDS for orders\n"));
        assert!(out.contains("spec:\n  approvePlan: \"plan-main-abc\"\n  interval: 1m # often\n"), "{out}");
        let again = set_approve_plan(&out, "flux-system", "rds", "plan-main-def").expect("edit");
        assert!(again.contains("  approvePlan: \"plan-main-def\"\n") && !again.contains("plan-main-abc"), "{again}");
        assert_eq!(again.matches("approvePlan").count(), 1);
    }

    #[test]
    fn approve_plan_refuses_what_it_cannot_find() {
        assert!(set_approve_plan(FILE, "flux-system", "other", "p").unwrap_err().contains("no Terraform"));
        let flow = "apiVersion: infra.contrib.fluxcd.io/v1alpha2\nkind: Terraform\nmetadata: {name: rds}\nspec: {path: ./rds}\n";
        assert!(set_approve_plan(flow, "flux-system", "rds", "p").unwrap_err().contains("spec"));
    }
}
