//! Simulated Crossplane for the demo fleet: the one behaviour an operator can trigger from fleetdeck, pause.
//! Crossplane's reconcilers (crossplane-runtime `pkg/reconciler/managed`, crossplane's claim and composite
//! reconcilers) see `crossplane.io/paused: "true"` and set `Synced=False` with reason `ReconcilePaused` and
//! message "Reconciliation is paused via the pause annotation"; once the annotation is gone they reconcile
//! again: here `Synced=True` (`ReconcileSuccess`), or the RDS Instance's error again for the one that fails.
use anyhow::Result;
use futures::StreamExt;
use kube::api::DynamicObject;
use kube::core::ApiResource;
use tokio::task::JoinHandle;

use super::{api_of, applied, conditions, patch_status, resource, s, set_condition};
use crate::demo::seed::crossplane::RDS_ERROR;
use crate::model::status::crossplane_paused;

/// The paused message Crossplane writes (crossplane-runtime `pkg/reconciler/managed/reconciler.go`).
pub const PAUSED_MESSAGE: &str = "Reconciliation is paused via the pause annotation";

/// The demo's claim, composite and managed kinds.
fn kinds() -> Vec<(ApiResource, bool)> {
    [
        ("database.example.org", "v1alpha1", "PostgreSQLInstance", "postgresqlinstances", true),
        ("database.example.org", "v1alpha1", "XPostgreSQLInstance", "xpostgresqlinstances", false),
        ("storage.example.org", "v1", "XBucketStack", "xbucketstacks", true),
        ("rds.aws.upbound.io", "v1beta1", "Instance", "instances", false),
        ("iam.aws.upbound.io", "v1beta1", "Role", "roles", false),
        ("tf.upbound.io", "v1beta1", "Workspace", "workspaces", false),
        ("s3.aws.m.upbound.io", "v1beta1", "Bucket", "buckets", true),
        ("iam.aws.m.upbound.io", "v1beta1", "Role", "roles", true),
    ]
    .into_iter()
    .map(|(g, v, k, p, namespaced)| (resource(g, v, k, p), namespaced))
    .collect()
}

/// Starts one watch per demo Crossplane kind in `mgmt`.
pub fn start(client: kube::Client) -> Vec<JoinHandle<()>> {
    kinds()
        .into_iter()
        .map(|(ar, namespaced)| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut events = std::pin::pin!(applied(client.clone(), &ar));
                while let Some(o) = events.next().await {
                    if let Err(e) = reconcile(&client, &ar, namespaced, &o).await {
                        let name = o.metadata.name.as_deref().unwrap_or("");
                        tracing::warn!(target: "demo", "mgmt: {} {name}: {e:#}", ar.kind);
                    }
                }
            })
        })
        .collect()
}

/// The `Synced` condition the object should have: paused, or what reconciling it gives.
fn synced_for(o: &DynamicObject) -> (&'static str, &'static str, &'static str) {
    if crossplane_paused(o) {
        ("False", "ReconcilePaused", PAUSED_MESSAGE)
    } else if o.metadata.name.as_deref() == Some("orders-db-x7k2p-rds") {
        ("False", "ReconcileError", RDS_ERROR)
    } else {
        ("True", "ReconcileSuccess", "")
    }
}

async fn reconcile(client: &kube::Client, ar: &ApiResource, namespaced: bool, o: &DynamicObject) -> Result<()> {
    if o.metadata.deletion_timestamp.is_some() {
        return Ok(());
    }
    let mut list = conditions(o);
    let current = list.iter().find(|c| s(c, "/type") == "Synced");
    let (status, reason, message) = synced_for(o);
    let same = current.is_some_and(|c| s(c, "/status") == status && s(c, "/reason") == reason);
    // Only a change of pause is this controller's business: the seeded statuses stand otherwise.
    let pause_changed =
        current.is_some_and(|c| (s(c, "/reason") == "ReconcilePaused") != (reason == "ReconcilePaused"));
    if same || !pause_changed {
        return Ok(());
    }
    set_condition(&mut list, "Synced", status, reason, message, o.metadata.generation.unwrap_or(0));
    let name = o.metadata.name.as_deref().unwrap_or("");
    let api = if namespaced { api_of(client, ar, o) } else { kube::Api::all_with(client.clone(), ar) };
    patch_status(&api, name, serde_json::json!({ "conditions": list })).await
}
