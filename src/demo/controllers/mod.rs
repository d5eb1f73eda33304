//! Simulated controllers: the demo's stand-ins for kustomize-, helm- and source-controller,
//! tofu-controller and Cluster API. They watch the demo's API servers and write `status` the way the real
//! controllers do, so that actions taken against the demo fleet have visible effects:
//!
//! - [`flux`]: `reconcile.fluxcd.io/requestedAt` -> `status.lastHandledReconcileAt` (refused while
//!   `spec.suspend`); a spec change (e.g. resume) -> `observedGeneration` catches up; a new Git revision of
//!   each cluster's `flux-system` GitRepository every minute, picked up by the Kustomizations syncing it.
//! - [`terraform`]: `spec.approvePlan` matching `status.plan.pending` -> apply (Apply / Output conditions,
//!   outputs Secret); tfctl's replan (`Ready=False ReplanRequested`) -> a new pending plan.
//! - [`capi`]: `spec.paused` -> the `Paused` condition; MachineDeployment `spec.replicas` -> Machines (with
//!   InfraMachine, KubeadmConfig and the workload cluster's Node) created or deleted; provisioning clusters
//!   move through their phases over about 90 s; one Machine flaps.
//! - [`crossplane`]: `crossplane.io/paused: "true"` -> `Synced=False ReconcilePaused`; its removal -> the
//!   object's `Synced` as before.
//!
//! Each controller is a set of tokio tasks fed by kube-runtime watchers; [`Handle`] aborts them all.
pub mod capi;
pub mod crossplane;
pub mod flux;
pub mod terraform;

use std::time::Duration;

use anyhow::{Context, Result};
use futures::{Stream, StreamExt};
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::envtest::Envtest;

/// The running controllers; [`Handle::stop`] (or drop) aborts them.
pub struct Handle {
    tasks: Vec<JoinHandle<()>>,
}

impl Handle {
    /// Aborts every controller task.
    pub fn stop(mut self) {
        self.abort_all();
    }
    fn abort_all(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.abort_all();
    }
}

/// Starts every controller against every server of `env` (`mgmt`, `dev-eu`, `prod-us`); the simulated Flux
/// only in the contexts `simulated_flux` names (`demo --flux real` leaves `mgmt`'s to the real controllers),
/// and the churn of new revisions only when every context's Flux is simulated.
pub async fn start(env: &Envtest, repo_dir: Option<std::path::PathBuf>, simulated_flux: &[&str]) -> Result<Handle> {
    let mut tasks = Vec::new();
    let mut clients = Vec::new();
    for s in super::SERVERS {
        clients.push((s.to_string(), env.client(s).await?));
    }
    for (context, client) in &clients {
        if simulated_flux.contains(&context.as_str()) {
            tasks.extend(flux::start(context, client.clone()));
        }
        tasks.extend(terraform::start(context, client.clone()));
    }
    // No churn beside a real Flux: its new commit on `main` every minute would make every review branch the
    // operator pushes a non-fast-forward one, and the real controllers' revisions are what they are.
    if simulated_flux.len() == super::SERVERS.len() {
        tasks.push(flux::churn(clients.clone(), repo_dir));
    }
    let mgmt = clients.iter().find(|(c, _)| c == "mgmt").map(|(_, c)| c.clone()).context("no mgmt server")?;
    tasks.extend(crossplane::start(mgmt.clone()));
    tasks.extend(capi::start(mgmt, clients.clone()));
    Ok(Handle { tasks })
}

/// An [`ApiResource`] for `group/version` `kind` with the given plural (all the demo's kinds are known).
pub fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Objects of one kind, all namespaces, as a watch stream of applied (created/changed) objects, retried with
/// kube-runtime's default backoff. Deletions are not reported.
pub fn applied(client: kube::Client, ar: &ApiResource) -> impl Stream<Item = DynamicObject> + Send + use<> {
    let api: Api<DynamicObject> = Api::all_with(client, ar);
    watcher(api, watcher::Config::default()).default_backoff().filter_map(|e| async move {
        match e {
            Ok(watcher::Event::Apply(o)) | Ok(watcher::Event::InitApply(o)) => Some(o),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!(target: "demo", "watch error (retrying): {e}");
                None
            }
        }
    })
}

/// Writes `status` (a JSON merge patch of the status object) through the status subresource.
pub async fn patch_status(api: &Api<DynamicObject>, name: &str, status: Value) -> Result<()> {
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(json!({ "status": status })))
        .await
        .with_context(|| format!("patching the status of {name}"))?;
    Ok(())
}

/// Records a core/v1 Event about `obj` (as controllers do through their event recorder), so the cockpit's
/// details pane has events to show. Failures are logged, never fatal.
pub async fn record_event(
    client: &kube::Client,
    ar: &ApiResource,
    obj: &DynamicObject,
    warning: bool,
    reason: &str,
    message: &str,
    component: &str,
) {
    use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
    let ns = obj.metadata.namespace.clone().unwrap_or_else(|| "default".into());
    let name = obj.metadata.name.clone().unwrap_or_default();
    let now = k8s_openapi::jiff::Timestamp::now();
    let event = Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(ns.clone()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            api_version: Some(ar.api_version.clone()),
            kind: Some(ar.kind.clone()),
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            uid: obj.metadata.uid.clone(),
            ..Default::default()
        },
        type_: Some(if warning { "Warning" } else { "Normal" }.into()),
        reason: Some(reason.into()),
        message: Some(message.into()),
        count: Some(1),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        source: Some(EventSource { component: Some(component.into()), ..Default::default() }),
        reporting_component: Some(component.into()),
        ..Default::default()
    };
    if let Err(e) = Api::<Event>::namespaced(client.clone(), &ns).create(&Default::default(), &event).await {
        tracing::debug!(target: "demo", "event for {} {name}: {e}", ar.kind);
    }
}

/// The namespaced API of `obj`'s kind.
pub fn api_of(client: &kube::Client, ar: &ApiResource, obj: &DynamicObject) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), obj.metadata.namespace.as_deref().unwrap_or("default"), ar)
}

/// Now, RFC 3339 with seconds (as Kubernetes writes condition times).
pub fn now() -> String {
    k8s_openapi::jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads a string at a JSON pointer, `""` when absent.
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// Sets condition `type_` in a `metav1.Condition` list, keeping `lastTransitionTime` when the status does
/// not change (as `meta.SetStatusCondition` does).
pub fn set_condition(
    conditions: &mut Vec<Value>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    generation: i64,
) {
    let now = now();
    if let Some(c) = conditions.iter_mut().find(|c| s(c, "/type") == type_) {
        if s(c, "/status") != status {
            c["lastTransitionTime"] = json!(now);
        }
        c["status"] = json!(status);
        c["reason"] = json!(reason);
        c["message"] = json!(message);
        c["observedGeneration"] = json!(generation);
    } else {
        conditions.push(json!({"type": type_, "status": status, "reason": reason, "message": message,
            "lastTransitionTime": now, "observedGeneration": generation}));
    }
}

/// Removes condition `type_` from a condition list.
pub fn remove_condition(conditions: &mut Vec<Value>, type_: &str) {
    conditions.retain(|c| s(c, "/type") != type_);
}

/// The `status.conditions` of `obj` (empty when absent or malformed).
pub fn conditions(obj: &DynamicObject) -> Vec<Value> {
    obj.data.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Runs `f` every `period`, forever (until aborted).
pub fn every<F, Fut>(period: Duration, mut f: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = f().await {
                tracing::warn!(target: "demo", "{e:#}");
            }
        }
    })
}
