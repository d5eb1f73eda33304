//! Cluster API providers fleetdeck has no name for, found at run time: a Cluster and its Machines reference
//! a vSphere infrastructure provider (CRDs carrying the Cluster API contract label, as every provider ships
//! them); fleetdeck watches those kinds because they are referenced (`fleet::dynamic`, the same mechanism as
//! Crossplane's managed resources), reads them by Cluster API's health rules, and the CAPI tree shows them
//! with their health instead of `not watched`. The real kube-apiserver, the upstream Cluster API CRDs.
mod common;

use std::path::Path;

use common::{create_with_status, run};
use fleetdeck::envtest::Envtest;
use fleetdeck::model::kinds::{Family, KindId};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const INFRA: &str = "infrastructure.cluster.x-k8s.io";

fn provider_crd(kind: &str, plural: &str) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{INFRA}"),
            "labels": {"cluster.x-k8s.io/provider": "infrastructure-vsphere", "cluster.x-k8s.io/v1beta2": "v1beta1"}},
        "spec": {"group": INFRA, "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "listKind": format!("{kind}List"), "singular": kind.to_lowercase(),
                      "categories": ["cluster-api"]},
            "versions": [{"name": "v1beta1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .expect("crd")
}

fn api(client: &kube::Client, group: &str, version: &str, kind: &str, plural: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(client.clone(), "platform", &ar)
}

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": "2026-12-04T07:00:00Z", "severity": if status == "True" { "" } else { "Error" }})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_without_a_name_in_the_catalogue_is_watched_when_referenced() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for (k, p) in
        [("VSphereCluster", "vsphereclusters"), ("VSphereMachine", "vspheremachines"), ("VSphereVM", "vspherevms")]
    {
        crds.create(&PostParams::default(), &provider_crd(k, p)).await?;
    }
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "platform"}}))?;
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    let vsphere = api(&client, INFRA, "v1beta1", "VSphereCluster", "vsphereclusters");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while vsphere.list(&Default::default()).await.is_err() {
        assert!(std::time::Instant::now() < deadline, "VSphereCluster not served within 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The Cluster (v1beta2: a group-only reference) and its infrastructure, failing as CAPV reports it.
    create_with_status(
        &api(&client, "cluster.x-k8s.io", "v1beta2", "Cluster", "clusters"),
        json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": {"name": "vs", "namespace": "platform"},
            "spec": {"infrastructureRef": {"apiGroup": INFRA, "kind": "VSphereCluster", "name": "vs"}}}),
        json!({"conditions": [{"type": "Available", "status": "False", "reason": "NotAvailable", "message": "* InfrastructureReady: VCenterUnreachable",
            "lastTransitionTime": "2026-12-04T07:00:00Z", "observedGeneration": 1}]}),
    )
    .await?;
    create_with_status(
        &vsphere,
        json!({"apiVersion": format!("{INFRA}/v1beta1"), "kind": "VSphereCluster", "metadata": {"name": "vs", "namespace": "platform"},
            "spec": {"server": "vc01.example.com"}}),
        json!({"ready": false, "conditions": [cond("Ready", "False", "VCenterUnreachable",
            "unable to connect to vCenter vc01.example.com: dial tcp 10.0.0.5:443: i/o timeout")]}),
    )
    .await?;
    // Wait until the API server's watch cache serves it (watches start there, as informers do).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while vsphere.list(&kube::api::ListParams::default().match_any()).await?.items.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the watch cache does not serve the VSphereCluster");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let home = tempfile::tempdir()?;
    let (code, out, err) = run(
        Path::new(env!("CARGO_BIN_EXE_fleetdeck")),
        &["--context", "a", "tree", "cluster", "platform/vs", "-o", "json"],
        env.kubeconfig_path(),
        home.path(),
    );
    assert_eq!(code, 0, "{err}");
    let tree: Value = serde_json::from_str(&out)?;
    let infra = tree["children"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["label"]["kind"] == "VSphereCluster")
        .unwrap_or_else(|| panic!("no VSphereCluster row: {out}"));
    assert!(infra.get("missing").is_none(), "shown from the store, not `not watched`: {infra}");
    assert_eq!(infra["health"]["state"], "Failed", "{infra}");
    assert_eq!(infra["health"]["reason"], "VCenterUnreachable", "{infra}");
    assert_eq!(infra["label"]["metaName"], "ClusterInfrastructure");
    // Text: clusterctl's table, the row with its reason.
    let (code, out, err) = run(
        Path::new(env!("CARGO_BIN_EXE_fleetdeck")),
        &["--context", "a", "tree", "cluster", "platform/vs", "--v1beta1"],
        env.kubeconfig_path(),
        home.path(),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().any(|l| l.contains("VSphereCluster platform/vs") && l.contains("VCenterUnreachable")), "{out}");
    // In this process, as the fleet would: the kind is Cluster API's, not Crossplane's; the unreferenced
    // VSphereVM kind has no id.
    let vs = KindId::dynamic_in(
        Family::ClusterApi,
        INFRA,
        "VSphereCluster",
        "vsphereclusters",
        true,
        fleetdeck::model::kinds::Dynamic::Managed,
    )
    .expect("id");
    assert_eq!(vs.spec().family, Family::ClusterApi);
    assert!(KindId::find(INFRA, "VSphereVM").is_none());
    Ok(())
}
