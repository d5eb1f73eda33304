//! The envtest harness against real etcd + kube-apiserver processes: CRDs, both CAPI API versions, the status
//! subresource, RBAC, and clean shutdown.
use std::path::Path;
use std::time::Duration;

use fleetdeck::envtest::Envtest;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{CustomResource, ResourceExt};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A minimal typed view of a CAPI v1beta2 Cluster: enough to prove typed access works.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, Default)]
#[kube(group = "cluster.x-k8s.io", version = "v1beta2", kind = "Cluster", namespaced, schema = "disabled")]
#[kube(status = "ClusterStatus")]
struct ClusterSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paused: Option<bool>,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default)]
struct ClusterStatus {
    #[serde(default)]
    phase: Option<String>,
    #[serde(default)]
    conditions: Vec<serde_json::Value>,
}

fn cluster_resource(version: &str) -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("cluster.x-k8s.io", version, "Cluster"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_status_roundtrip_on_two_servers_and_both_versions() -> anyhow::Result<()> {
    let env = Envtest::builder().server("mgmt").server("workload").with_progress().start().await?;
    assert_eq!(env.servers().len(), 2);
    env.install_crds("mgmt").await?;
    env.install_crds("workload").await?;

    let client = env.client("mgmt").await?;
    let clusters: Api<Cluster> = Api::namespaced(client.clone(), "default");
    let created =
        clusters.create(&PostParams::default(), &Cluster::new("dev-eu", ClusterSpec { paused: Some(false) })).await?;
    assert!(created.status.is_none(), "status is not writable through the main resource");

    let status = json!({"status": {"phase": "Provisioned", "conditions": [{
        "type": "Available", "status": "True", "reason": "Available", "message": "",
        "lastTransitionTime": "2026-11-21T10:00:00Z", "observedGeneration": 1}]}});
    clusters.patch_status("dev-eu", &PatchParams::default(), &Patch::Merge(&status)).await?;

    // Typed accessor.
    let typed = clusters.get("dev-eu").await?;
    let st = typed.status.expect("status written through the subresource");
    assert_eq!(st.phase.as_deref(), Some("Provisioned"));
    assert_eq!(st.conditions[0]["type"], "Available");

    // Dynamic access, v1beta2 and the v1beta1 view of the same stored object.
    for version in ["v1beta2", "v1beta1"] {
        let ar = cluster_resource(version);
        let dynamic: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ar);
        let obj = dynamic.get("dev-eu").await?;
        assert_eq!(
            obj.types.as_ref().map(|t| t.api_version.as_str()),
            Some(format!("cluster.x-k8s.io/{version}").as_str())
        );
        assert_eq!(obj.data["status"]["phase"], "Provisioned", "{version} view");
        assert_eq!(obj.name_any(), "dev-eu");
    }

    // The workload server has its own storage (distinct etcd prefix): the Cluster is not there.
    let workload: Api<Cluster> = Api::namespaced(env.client("workload").await?, "default");
    assert!(workload.get_opt("dev-eu").await?.is_none());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restricted_context_is_forbidden_admin_is_not() -> anyhow::Result<()> {
    let env = Envtest::builder().server("mgmt").start().await?;
    env.install_crds("mgmt").await?;
    let ar = cluster_resource("v1beta2");
    let admin: Api<DynamicObject> = Api::all_with(env.client("mgmt").await?, &ar);
    assert!(admin.list(&Default::default()).await.is_ok());
    let restricted: Api<DynamicObject> = Api::all_with(env.client("mgmt-restricted").await?, &ar);
    match restricted.list(&Default::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 403, "{s:?}"),
        other => panic!("expected 403 Forbidden, got {other:?}"),
    }
    Ok(())
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry: read its state too.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.split_whitespace().nth(2).is_none_or(|s| s != "Z"),
        Err(_) => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_stops_every_process_and_removes_the_folder() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").server("b").server("c").start().await?;
    let pids = env.pids();
    assert_eq!(pids.len(), 4, "etcd + 3 API servers");
    assert!(pids.iter().all(|p| alive(*p)));
    let root = env.root().to_path_buf();
    drop(env);
    std::thread::sleep(Duration::from_millis(100));
    let left: Vec<_> = pids.iter().filter(|p| alive(**p)).collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
    assert!(!root.exists(), "{} not removed", root.display());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_can_be_restarted_on_its_port() -> anyhow::Result<()> {
    let mut env = Envtest::builder().server("mgmt").start().await?;
    let ns = Api::<k8s_openapi::api::core::v1::Namespace>::all(env.client("mgmt").await?);
    env.stop_server("mgmt")?;
    assert!(ns.list(&Default::default()).await.is_err(), "a stopped server does not answer");
    env.restart_server("mgmt").await?;
    assert!(ns.list(&Default::default()).await.is_ok(), "the same client reaches the restarted server");
    Ok(())
}

/// The harness installs the upstream CRDs (from the Go modules' `config/crd/bases`) with their kustomize
/// labels: the schema refuses what upstream refuses, and Cluster API can resolve a contract version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_crds_with_their_schema_and_contract_labels() -> anyhow::Result<()> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let env = Envtest::builder().server("mgmt").start().await?;
    let (crds, upstream) = fleetdeck::envtest::crds_to_install()?;
    assert!(upstream, "the upstream CRDs are provisioned (Envtest::start fetches them)");
    env.install_crds("mgmt").await?;
    let client = env.client("mgmt").await?;
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let kcp = api.get("kubeadmcontrolplanes.controlplane.cluster.x-k8s.io").await?;
    assert_eq!(kcp.labels().get("cluster.x-k8s.io/v1beta2").map(String::as_str), Some("v1beta2"));
    let ks = api.get("kustomizations.kustomize.toolkit.fluxcd.io").await?;
    let schema = serde_json::to_string(&ks.spec.versions)?;
    assert!(schema.contains("\"sourceRef\"") && schema.contains("\"required\""), "upstream schema, not an open one");
    assert_eq!(crds.len(), fleetdeck::envtest::crds::all().len(), "one CRD per kind of the catalogue");

    // A GitRepository URL of a scheme Flux does not take is refused by the upstream pattern.
    let gr = ApiResource::from_gvk(&GroupVersionKind::gvk("source.toolkit.fluxcd.io", "v1", "GitRepository"));
    let repos: Api<DynamicObject> = Api::namespaced_with(client, "default", &gr);
    let mut obj = DynamicObject::new("bad-url", &gr);
    obj.data = json!({"spec": {"interval": "1m", "url": "/srv/git/fleet.git"}});
    let err = repos.create(&PostParams::default(), &obj).await.expect_err("a path is not a Flux URL");
    assert!(err.to_string().contains("spec.url"), "{err}");
    Ok(())
}

/// A kube-apiserver release the Go module proxy does not serve: one clear line naming the module and the
/// KUBEBUILDER_ASSETS way out, and nothing left in the (temporary) cache.
#[test]
fn provisioning_an_unserved_release_fails_clearly_and_leaves_nothing() {
    let cache = tempfile::tempdir().expect("tempdir");
    let run = |path: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
            .args(["envtest", "provision"])
            .env("XDG_CACHE_HOME", cache.path())
            .env("FLEETDECK_KUBE_VERSION", "v1.99.0")
            .env("PATH", path)
            .env_remove("KUBEBUILDER_ASSETS")
            .output()
            .expect("runs")
    };
    let out = run(&std::env::var("PATH").unwrap_or_default());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("the Go module proxy does not serve k8s.io/kubernetes@v1.99.0"), "{err}");
    assert!(err.contains("KUBEBUILDER_ASSETS"), "{err}");
    let left: Vec<_> = std::fs::read_dir(cache.path().join("fleetdeck/envtest"))
        .expect("cache dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock") && !n.ends_with(".sh"))
        .collect();
    assert!(left.is_empty(), "nothing half-written: {left:?}");

    // No Go at all (a PATH holding only what the script needs besides Go): the same, naming Go.
    let bin = tempfile::tempdir().expect("tempdir");
    for tool in ["bash", "mktemp", "dirname", "mkdir", "rm", "chmod", "cat", "sed", "grep", "tail", "basename"] {
        let found = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(tool)).find(|p| p.exists());
        std::os::unix::fs::symlink(found.unwrap_or_else(|| panic!("{tool} on this machine")), bin.path().join(tool))
            .expect("symlink");
    }
    let out = run(bin.path().to_str().expect("utf-8"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no 'go' command on PATH"), "{err}");
    assert!(err.contains("KUBEBUILDER_ASSETS"), "{err}");

    // A version that is no release is refused before anything runs.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
        .args(["envtest", "provision"])
        .env("XDG_CACHE_HOME", cache.path())
        .env("FLEETDECK_KUBE_VERSION", "latest")
        .env_remove("KUBEBUILDER_ASSETS")
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("FLEETDECK_KUBE_VERSION=\"latest\""), "{err}");
}
