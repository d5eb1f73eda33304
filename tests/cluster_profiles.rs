//! SIG-Multicluster ClusterProfiles (the Cluster Inventory API, KEP-4322) against a real kube-apiserver with
//! the upstream CRD (sigs.k8s.io/cluster-inventory-api v0.1.2): a hub's profiles are watched like any
//! catalogue kind and judged by `ControlPlaneHealthy`. (Issue 18, item 3, first step: connecting to the
//! profiled clusters through their access providers is not built yet.)
mod common;

use std::time::{Duration, Instant};

use common::create_with_status;
use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::status::HealthState;
use fleetdeck::model::store::FleetStore;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hubs_cluster_profiles_are_watched_with_their_health() -> anyhow::Result<()> {
    let env = Envtest::builder().server("hub").start().await?;
    env.install_crds("hub").await?;
    let client = env.client("hub").await?;
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "fleet",
        "labels": {"multicluster.x-k8s.io/clusterset": "prod"}}}))?;
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    let gvk = GroupVersionKind::gvk("multicluster.x-k8s.io", "v1alpha1", "ClusterProfile");
    let profiles: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "fleet", &ApiResource::from_gvk_with_plural(&gvk, "clusterprofiles"));
    for (name, status, reason) in [("eu-1", "True", "Healthy"), ("us-2", "False", "APIServerUnreachable")] {
        create_with_status(
            &profiles,
            json!({"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ClusterProfile",
                "metadata": {"name": name, "namespace": "fleet", "labels": {"x-k8s.io/cluster-manager": "ocm"}},
                "spec": {"displayName": name, "clusterManager": {"name": "ocm"}}}),
            json!({"conditions": [{"type": "ControlPlaneHealthy", "status": status, "reason": reason,
                    "message": "", "lastTransitionTime": "2026-12-04T07:00:00Z"}],
                "version": {"kubernetes": "v1.34.1"},
                "properties": [{"name": "location", "value": "eu-west-1", "lastObservedTime": "2026-12-04T07:00:00Z"}],
                "accessProviders": [{"name": "secretreader", "cluster": {"server": format!("https://{name}.example.invalid")}}]}),
        )
        .await?;
    }
    let kc = fleetdeck::fleet::kubeconfig::load(Some(env.kubeconfig_path()))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let fleet =
        Fleet::start(&kc, &["hub".to_string()], FleetOptions { lineage: false, ..FleetOptions::default() }, tx).await?;
    let mut store = FleetStore::new();
    let t = Instant::now();
    while store.objects("hub", KindId::CLUSTER_PROFILE).count() < 2 {
        assert!(t.elapsed() < Duration::from_secs(30), "profiles not synced within 30 s");
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            store.apply(m, Timestamp::now());
        }
    }
    drop(fleet);
    let health = |name: &str| {
        store.get("hub", KindId::CLUSTER_PROFILE, "fleet", name).map(|o| (o.health.state, o.health.reason.clone()))
    };
    assert_eq!(health("eu-1"), Some((HealthState::Ready, "Healthy".to_string())));
    assert_eq!(health("us-2"), Some((HealthState::Failed, "APIServerUnreachable".to_string())));
    // The upstream schema keeps what a hub publishes (access providers, properties, version).
    let us = store.get("hub", KindId::CLUSTER_PROFILE, "fleet", "us-2").expect("stored").obj().data.clone();
    assert_eq!(us["status"]["accessProviders"][0]["name"], "secretreader");
    assert_eq!(us["status"]["version"]["kubernetes"], "v1.34.1");
    Ok(())
}
