//! Every manifest the wizards render passes server-side dry-run (`dryRun=All`, as a server-side apply) against a real
//! kube-apiserver with the project's CRDs and the demo management cluster's objects: both demo templates
//! (read from the cluster), a ClusterClass topology, a repository template file, Flux and management
//! bootstraps, and profiles. Then the real binary creates a cluster from a template in the cluster and
//! adds a profile from the fleet's profile HelmRepository, pushing both to a bare remote.
mod common;

use common::git;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use fleetdeck::envtest::Envtest;
use fleetdeck::gitops::bootstrap::{self, BootstrapMode, BootstrapRequest};
use fleetdeck::gitops::catalog;
use fleetdeck::gitops::create::{self, CreateRequest};
use fleetdeck::gitops::profiles::ProfileChoice;
use fleetdeck::gitops::template::{DEFAULT_CAPI_REPOSITORY_PATH, Template, TemplateSource};
use fleetdeck::gitops::yaml;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{self, Scope};
use serde_json::Value;

/// Sends `obj` with `dryRun=All`; the error text when the API server rejects it.
async fn dry_run(client: &kube::Client, obj: &Value) -> Result<(), String> {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let kind = obj["kind"].as_str().unwrap_or_default();
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let (ar, caps) = discovery::pinned_kind(client, &GroupVersionKind::gvk(group, version, kind))
        .await
        .map_err(|e| format!("{kind} ({api_version}) not served: {e}"))?;
    let api: Api<DynamicObject> = if caps.scope == Scope::Namespaced {
        Api::namespaced_with(client.clone(), obj["metadata"]["namespace"].as_str().unwrap_or("default"), &ar)
    } else {
        Api::all_with(client.clone(), &ar)
    };
    // Server-side apply, as `kubectl apply --dry-run=server` does: objects that exist (flux-system's
    // GitRepository in the management cluster) are checked as updates.
    let name = obj["metadata"]["name"].as_str().unwrap_or_default();
    let pp = PatchParams::apply("fleetdeck-test").dry_run().force();
    api.patch(name, &pp, &Patch::Apply(obj)).await.map(|_| ()).map_err(|e| format!("{}: {e}", yaml::describe(obj)))
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

const REPO_TEMPLATE: &str = "apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: ${CLUSTER_NAME}
  namespace: ${NAMESPACE:=platform}
spec:
  infrastructureRef: {apiGroup: infrastructure.cluster.x-k8s.io, kind: DockerCluster, name: ${CLUSTER_NAME}}
---
apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata:
  name: ${CLUSTER_NAME}-md-0
  namespace: ${NAMESPACE:=platform}
spec:
  template:
    spec:
      preKubeadmCommands: [\"echo $${HOSTNAME}\"]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rendered_manifest_passes_server_side_dry_run() -> anyhow::Result<()> {
    let env = Envtest::builder().server("mgmt").start().await?;
    env.install_crds("mgmt").await?;
    let client = env.client("mgmt").await?;
    let input = fleetdeck::demo::seed::SeedInput {
        now: k8s_openapi::jiff::Timestamp::now(),
        workload_kubeconfigs: BTreeMap::new(),
    };
    let mut seed = fleetdeck::demo::seed::demo_fleet(&input);
    let mgmt_objects = seed.contexts.remove("mgmt").expect("mgmt seed");
    // The demo's own CRDs first (its Crossplane's XR, claim and MR kinds), as `demo up` installs them.
    let crds = seed.crds.remove("mgmt").unwrap_or_default();
    fleetdeck::envtest::create_crds(&client, crds.into_iter().map(serde_json::from_value).collect::<Result<_, _>>()?)
        .await?;
    fleetdeck::demo::apply::Applier::new(client.clone()).apply(mgmt_objects).await?;

    // Templates and the profile HelmRepository, as the wizard reads them from the management cluster.
    let (templates, problems) =
        catalog::templates_in_cluster(&client, "mgmt", Duration::from_secs(10)).await.map_err(anyhow::Error::msg)?;
    assert!(problems.is_empty(), "{problems:?}");
    let ids: Vec<String> = templates.iter().map(|t| format!("{} {}", t.kind, t.id())).collect();
    assert_eq!(
        ids,
        [
            "GitOpsTemplate default/aws-eks-cluster",
            "CAPITemplate default/capd-dev",
            "ClusterClass platform/quick-start"
        ]
    );
    let restricted = env.client("mgmt-restricted").await?;
    let err =
        catalog::templates_in_cluster(&restricted, "mgmt-restricted", Duration::from_secs(10)).await.expect_err("403");
    assert!(err.contains("mgmt-restricted") && err.contains("403"), "{err}");
    let repos =
        catalog::profile_repositories(&client, "mgmt", Duration::from_secs(10)).await.map_err(anyhow::Error::msg)?;
    assert_eq!(repos.iter().map(yaml::describe).collect::<Vec<_>>(), ["HelmRepository/flux-system/weaveworks-charts"]);

    let repo_template = catalog::templates_in_text(
        "templates/docker.yaml",
        REPO_TEMPLATE,
        TemplateSource::Repository { path: "templates/docker.yaml".into() },
    )?
    .remove(0);
    let by_id = |id: &str| templates.iter().find(|t| t.id() == id).expect("template").clone();
    let runs: Vec<(Template, BTreeMap<String, String>)> = vec![
        (by_id("default/aws-eks-cluster"), values(&[("CLUSTER_NAME", "dry-eks"), ("AWS_REGION", "eu-west-1")])),
        (by_id("default/capd-dev"), values(&[("CLUSTER_NAME", "dry-capd"), ("WORKER_MACHINE_COUNT", "4")])),
        (by_id("platform/quick-start"), values(&[("CLUSTER_NAME", "dry-topo"), ("KUBERNETES_VERSION", "v1.33.4")])),
        (repo_template, values(&[("CLUSTER_NAME", "dry-repo")])),
    ];
    let mut objects: Vec<(String, Value)> = Vec::new();
    for (t, v) in &runs {
        let podinfo = ProfileChoice {
            chart: "podinfo".into(),
            version: "6.8.0".into(),
            target_namespace: None,
            layer: Some("layer-1".into()),
            values: "replicaCount: 2\n".into(),
        };
        let req = CreateRequest {
            template: t,
            values: v.clone(),
            capi_path: DEFAULT_CAPI_REPOSITORY_PATH.into(),
            profile_repository: repos.first().cloned(),
            extra_profiles: vec![podinfo],
        };
        let created = create::render(&req).map_err(|e| anyhow::anyhow!("{}: {e}", t.id()))?;
        for (path, objs) in created.objects() {
            // What is checked is the written text, read back.
            let text =
                created.files.iter().find(|(c, _)| c.path == path).and_then(|(c, _)| c.content.clone()).expect("text");
            assert_eq!(yaml::parse_docs(&text, &path)?, objs, "{path} round-trips");
            objects.extend(objs.into_iter().map(|o| (path.clone(), o)));
        }
    }
    let capd =
        objects.iter().find(|(_, o)| o["kind"] == "MachineDeployment" && o["metadata"]["name"] == "dry-capd-md-0");
    assert_eq!(capd.expect("md").1["spec"]["replicas"], serde_json::json!(4));
    let kct = objects.iter().find(|(_, o)| o["metadata"]["name"] == "dry-repo-md-0").expect("kct");
    assert_eq!(kct.1["spec"]["template"]["spec"]["preKubeadmCommands"][0], "echo ${HOSTNAME}", "$$ escapes");

    for mode in [BootstrapMode::Flux, BootstrapMode::Management] {
        let req = BootstrapRequest {
            cluster: "dry-capd".into(),
            namespace: "platform".into(),
            mode,
            url: "ssh://git@github.example/acme/fleet-infra".into(),
            branch: "main".into(),
            path: None,
            components: None,
            capi_path: DEFAULT_CAPI_REPOSITORY_PATH.into(),
            has_gitops_cluster: false,
        };
        for (change, objs) in bootstrap::files(&req)? {
            // gotk-sync objects go to flux-system, which exists in mgmt; in a new cluster it comes with the
            // components.
            objects.extend(objs.into_iter().map(|o| (change.path.clone(), o)));
        }
    }
    assert!(objects.len() >= 30, "{} objects", objects.len());
    let mut failures = Vec::new();
    for (path, obj) in &objects {
        if let Err(e) = dry_run(&client, obj).await {
            failures.push(format!("{path}: {e}"));
        }
    }
    assert!(failures.is_empty(), "server-side dry-run rejected:\n{}", failures.join("\n"));

    // The real binary: a template from the cluster, a profile from the fleet's HelmRepository.
    let dir = tempfile::tempdir()?;
    let (remote, work) = (dir.path().join("remote.git"), dir.path().join("work"));
    git(dir.path(), &["init", "-q", "--bare", "remote.git"]);
    git(dir.path(), &["clone", "-q", "remote.git", "work"]);
    for args in [
        &["config", "user.email", "t@example.invalid"][..],
        &["config", "user.name", "t"],
        &["checkout", "-q", "-b", "main"],
        &["commit", "-q", "--allow-empty", "-m", "init"],
        &["push", "-q", "origin", "main"],
    ] {
        git(&work, args);
    }
    let bin = env!("CARGO_BIN_EXE_fleetdeck");
    let run = |args: &[&str]| {
        Command::new(bin)
            .args(args)
            .env("KUBECONFIG", env.kubeconfig_path())
            .env("FLEETDECK_HOME", dir.path().join("home"))
            .output()
            .expect("fleetdeck")
    };
    let w = work.to_str().expect("utf-8");
    let out = run(&[
        "cluster",
        "create",
        "--template",
        "default/capd-dev",
        "--param",
        "CLUSTER_NAME=cli-dev",
        "--repo",
        w,
        "--push",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout)?;
    let files: Vec<&str> = json["files"].as_array().expect("files").iter().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(
        files,
        ["clusters/management/clusters/platform/cli-dev.yaml", "clusters/platform/cli-dev/profiles.yaml"]
    );
    assert_eq!(git(&remote, &["rev-parse", "fleetdeck/create-cli-dev"]), json["commit"].as_str().expect("commit"));

    let out = run(&[
        "profile",
        "add",
        "cli-dev",
        "podinfo@6.8.0",
        "--namespace",
        "platform",
        "--layer",
        "layer-1",
        "--repo",
        w,
        "--push",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json["branch"], "fleetdeck/profile-cli-dev-podinfo");
    let text = git(&remote, &["show", "fleetdeck/profile-cli-dev-podinfo:clusters/platform/cli-dev/profiles.yaml"]);
    let docs = yaml::parse_docs(&text, "profiles.yaml")?;
    assert_eq!(
        docs[0]["spec"]["url"], "https://weaveworks.github.io/weave-gitops-profile-examples/",
        "copied from the fleet"
    );
    for d in &docs {
        dry_run(&client, d).await.map_err(anyhow::Error::msg)?;
    }
    Ok(())
}
