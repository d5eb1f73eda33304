//! Simulated Flux controllers (source-, kustomize- and helm-controller) for the demo fleet.
//!
//! Semantics follow Flux v2 (REFERENCE.md section B): a reconcile request is the annotation
//! `reconcile.fluxcd.io/requestedAt`; when handled, `status.lastHandledReconcileAt` equals it. Suspended
//! objects are skipped entirely (nothing in their status moves), as the real controllers do; on resume the
//! spec change bumps `metadata.generation` and the next reconcile catches `observedGeneration` up.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::ApiResource;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use super::{api_of, applied, conditions, now, patch_status, resource, s, set_condition};
use crate::demo::seed;

/// The annotation asking for a reconcile (`flux reconcile` sets it to the current time).
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// HelmRelease: force a one-off upgrade (must equal `requestedAt`).
pub const FORCE_AT: &str = "reconcile.fluxcd.io/forceAt";
/// HelmRelease: reset the failure counters (must equal `requestedAt`).
pub const RESET_AT: &str = "reconcile.fluxcd.io/resetAt";
/// How often each cluster's `flux-system` GitRepository gets a new revision.
pub const NEW_REVISION_EVERY: Duration = Duration::from_secs(60);

/// The Flux kinds the demo serves: (group, version, kind, plural).
pub const KINDS: [(&str, &str, &str, &str); 7] = [
    ("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories"),
    ("source.toolkit.fluxcd.io", "v1", "OCIRepository", "ocirepositories"),
    ("source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories"),
    ("source.toolkit.fluxcd.io", "v1", "HelmChart", "helmcharts"),
    ("source.toolkit.fluxcd.io", "v1", "Bucket", "buckets"),
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"),
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases"),
];

fn kustomization_resource() -> ApiResource {
    resource("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations")
}

fn git_repository_resource() -> ApiResource {
    resource("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories")
}

/// Starts the Flux controllers for one context: one watch per kind (the new-revision churn is [`churn`]).
pub fn start(context: &str, client: kube::Client) -> Vec<JoinHandle<()>> {
    KINDS
        .iter()
        .map(|(g, v, k, p)| {
            let ar = resource(g, v, k, p);
            let client = client.clone();
            let context = context.to_string();
            tokio::spawn(async move {
                let mut events = std::pin::pin!(applied(client.clone(), &ar));
                while let Some(obj) = events.next().await {
                    if let Err(e) = reconcile(&client, &ar, &obj).await {
                        tracing::warn!(target: "demo", "{context}: {} {}: {e:#}", ar.kind, obj.metadata.name.as_deref().unwrap_or(""));
                    }
                }
            })
        })
        .collect()
}

/// Every [`NEW_REVISION_EVERY`], a new commit on the fleet repository's `main` (`demo/repo.rs::push_change`
/// in the demo folder `repo_dir`; a made-up revision without one), published to every cluster's
/// `flux-system` GitRepository ([`new_revision`]).
pub fn churn(clients: Vec<(String, kube::Client)>, repo_dir: Option<std::path::PathBuf>) -> JoinHandle<()> {
    // Revisions start past the seed's, and advance once a minute.
    let commit = Arc::new(AtomicU64::new(100));
    super::every(NEW_REVISION_EVERY, move || {
        let clients = clients.clone();
        let repo_dir = repo_dir.clone();
        let n = commit.fetch_add(1, Ordering::Relaxed);
        async move {
            let rev = match repo_dir {
                Some(dir) => {
                    let sha = tokio::task::spawn_blocking(move || crate::demo::repo::push_change(&dir, n)).await??;
                    format!("main@sha1:{sha}")
                }
                None => seed::revision("main", n),
            };
            for (context, client) in &clients {
                if let Err(e) = new_revision(client, &rev).await {
                    tracing::warn!(target: "demo", "{context}: new revision {rev}: {e:#}");
                }
            }
            Ok(())
        }
    })
}

/// Whether `obj` asks for work: an unhandled reconcile request, or a spec change not yet observed.
fn wants_reconcile(obj: &DynamicObject) -> bool {
    let requested = requested_at(obj);
    let handled = s(&obj.data, "/status/lastHandledReconcileAt");
    let generation = obj.metadata.generation.unwrap_or(0);
    let observed = obj.data.pointer("/status/observedGeneration").and_then(Value::as_i64).unwrap_or(-1);
    (!requested.is_empty() && requested != handled) || generation != observed
}

fn requested_at(obj: &DynamicObject) -> &str {
    obj.metadata.annotations.as_ref().and_then(|a| a.get(REQUESTED_AT)).map(String::as_str).unwrap_or("")
}

fn suspended(obj: &DynamicObject) -> bool {
    obj.data.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false)
}

async fn reconcile(client: &kube::Client, ar: &ApiResource, obj: &DynamicObject) -> Result<()> {
    if suspended(obj) || !wants_reconcile(obj) {
        return Ok(());
    }
    let generation = obj.metadata.generation.unwrap_or(0);
    let requested = requested_at(obj).to_string();
    let mut status = json!({ "observedGeneration": generation });
    if !requested.is_empty() {
        status["lastHandledReconcileAt"] = json!(requested);
    }
    let mut conds = conditions(obj);
    super::remove_condition(&mut conds, "Reconciling");
    for c in conds.iter_mut().filter(|c| s(c, "/type") == "Ready") {
        c["observedGeneration"] = json!(generation);
    }
    match ar.kind.as_str() {
        "Kustomization" => {
            if let Some(rev) = source_revision(client, obj).await {
                apply_revision(obj, &rev, &mut status, &mut conds);
            }
        }
        "HelmRelease" => {
            let annotations = obj.metadata.annotations.clone().unwrap_or_default();
            for (key, field) in [(FORCE_AT, "lastHandledForceAt"), (RESET_AT, "lastHandledResetAt")] {
                if annotations.get(key).is_some_and(|v| *v == requested) {
                    status[field] = json!(requested);
                }
            }
        }
        _ => {}
    }
    let ready = conds.iter().find(|c| s(c, "/type") == "Ready").cloned();
    status["conditions"] = json!(conds);
    patch_status(&api_of(client, ar, obj), obj.metadata.name.as_deref().unwrap_or(""), status).await?;
    if let Some(r) = ready {
        let failed = s(&r, "/status") == "False";
        let (reason, message) = if failed {
            (s(&r, "/reason").to_string(), s(&r, "/message").to_string())
        } else {
            ("ReconciliationSucceeded".to_string(), format!("Reconciliation finished, next run in {}", interval(obj)))
        };
        super::record_event(client, ar, obj, failed, &reason, &message, component(&ar.kind)).await;
    }
    Ok(())
}

fn interval(obj: &DynamicObject) -> &str {
    match s(&obj.data, "/spec/interval") {
        "" => "10m0s",
        i => i,
    }
}

/// The Flux controller that owns `kind` (the event source).
fn component(kind: &str) -> &'static str {
    match kind {
        "Kustomization" => "kustomize-controller",
        "HelmRelease" => "helm-controller",
        _ => "source-controller",
    }
}

/// The artifact revision of a Kustomization's source (`spec.sourceRef`), if it has one.
async fn source_revision(client: &kube::Client, ks: &DynamicObject) -> Option<String> {
    let kind = s(&ks.data, "/spec/sourceRef/kind");
    let (_, _, _, plural) = KINDS.iter().find(|(_, _, k, _)| *k == kind)?;
    let ar = resource("source.toolkit.fluxcd.io", "v1", kind, plural);
    let ns = match s(&ks.data, "/spec/sourceRef/namespace") {
        "" => ks.metadata.namespace.clone().unwrap_or_default(),
        ns => ns.to_string(),
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &ar);
    let src = api.get_opt(s(&ks.data, "/spec/sourceRef/name")).await.ok()??;
    Some(s(&src.data, "/status/artifact/revision").to_string()).filter(|r| !r.is_empty())
}

/// A Kustomization applies `rev`: healthy ones report it applied (and add it to `history`); failing ones
/// only record the attempt, as kustomize-controller does.
fn apply_revision(ks: &DynamicObject, rev: &str, status: &mut Value, conds: &mut Vec<Value>) {
    status["lastAttemptedRevision"] = json!(rev);
    let ready_false = conds.iter().any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "False");
    if ready_false {
        return;
    }
    let generation = ks.metadata.generation.unwrap_or(0);
    status["lastAppliedRevision"] = json!(rev);
    set_condition(conds, "Ready", "True", "ReconciliationSucceeded", &format!("Applied revision: {rev}"), generation);
    let mut history: Vec<Value> =
        ks.data.pointer("/status/history").and_then(Value::as_array).cloned().unwrap_or_default();
    let now = now();
    match history.first_mut() {
        Some(h) if s(h, "/metadata/revision") == rev => {
            h["lastReconciled"] = json!(now);
            h["totalReconciliations"] = json!(h["totalReconciliations"].as_i64().unwrap_or(0) + 1);
        }
        _ => {
            history.insert(0, json!({
                "digest": format!("sha256:{}", seed::revision("digest", rev.len() as u64 + history.len() as u64).rsplit(':').next().unwrap_or("")),
                "firstReconciled": now, "lastReconciled": now, "lastReconciledDuration": "1.2s",
                "lastReconciledStatus": "ReconciliationSucceeded", "totalReconciliations": 1,
                "metadata": {"revision": rev}}));
            history.truncate(5);
        }
    }
    status["history"] = json!(history);
}

/// Revision `rev` of `main` for every `flux-system` GitRepository of the cluster; the Kustomizations that
/// sync it (and are not suspended) apply it.
async fn new_revision(client: &kube::Client, rev: &str) -> Result<()> {
    let repos: Api<DynamicObject> = Api::all_with(client.clone(), &git_repository_resource());
    for repo in repos.list(&ListParams::default()).await?.items {
        if repo.metadata.name.as_deref() != Some("flux-system") || suspended(&repo) {
            continue;
        }
        let mut artifact = repo.data.pointer("/status/artifact").cloned().unwrap_or_else(|| json!({}));
        artifact["revision"] = json!(rev);
        artifact["lastUpdateTime"] = json!(now());
        let mut conds = conditions(&repo);
        let generation = repo.metadata.generation.unwrap_or(0);
        set_condition(
            &mut conds,
            "Ready",
            "True",
            "Succeeded",
            &format!("stored artifact for revision '{rev}'"),
            generation,
        );
        set_condition(
            &mut conds,
            "ArtifactInStorage",
            "True",
            "Succeeded",
            &format!("stored artifact for revision '{rev}'"),
            generation,
        );
        let api = api_of(client, &git_repository_resource(), &repo);
        patch_status(&api, "flux-system", json!({"artifact": artifact, "conditions": conds})).await?;
    }
    let ks_api: Api<DynamicObject> = Api::all_with(client.clone(), &kustomization_resource());
    for ks in ks_api.list(&ListParams::default()).await?.items {
        if suspended(&ks)
            || s(&ks.data, "/spec/sourceRef/kind") != "GitRepository"
            || s(&ks.data, "/spec/sourceRef/name") != "flux-system"
        {
            continue;
        }
        let mut status = json!({});
        let mut conds = conditions(&ks);
        apply_revision(&ks, rev, &mut status, &mut conds);
        let failing = conds.iter().any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "False");
        status["conditions"] = json!(conds);
        let ar = kustomization_resource();
        let api = api_of(client, &ar, &ks);
        patch_status(&api, ks.metadata.name.as_deref().unwrap_or(""), status).await?;
        let (reason, message) = if failing {
            ("BuildFailed".to_string(), format!("kustomize build failed for revision {rev}"))
        } else {
            ("ReconciliationSucceeded".to_string(), format!("Reconciliation finished, applied revision {rev}"))
        };
        super::record_event(client, &ar, &ks, failing, &reason, &message, "kustomize-controller").await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).expect("object")
    }

    #[test]
    fn reconcile_is_wanted_for_new_requests_and_unobserved_generations() {
        let base = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "a", "generation": 2, "annotations": {REQUESTED_AT: "t1"}},
            "status": {"observedGeneration": 2, "lastHandledReconcileAt": "t1"}});
        assert!(!wants_reconcile(&obj(base.clone())));
        let mut v = base.clone();
        v["metadata"]["annotations"][REQUESTED_AT] = json!("t2");
        assert!(wants_reconcile(&obj(v)));
        let mut v = base;
        v["metadata"]["generation"] = json!(3);
        assert!(wants_reconcile(&obj(v)));
    }

    #[test]
    fn failing_kustomizations_record_the_attempt_only() {
        let ks = obj(json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "generation": 1}}));
        let mut status = json!({});
        let mut conds = vec![json!({"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "x"})];
        apply_revision(&ks, "main@sha1:abc", &mut status, &mut conds);
        assert_eq!(status, json!({"lastAttemptedRevision": "main@sha1:abc"}));
        assert_eq!(conds[0]["reason"], "BuildFailed");

        let mut status = json!({});
        let mut conds = vec![json!({"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"})];
        apply_revision(&ks, "main@sha1:abc", &mut status, &mut conds);
        assert_eq!(status["lastAppliedRevision"], "main@sha1:abc");
        assert_eq!(conds[0]["message"], "Applied revision: main@sha1:abc");
        assert_eq!(status["history"][0]["metadata"]["revision"], "main@sha1:abc");
    }
}
