//! The real GitOps loop (issue 14): Flux's own source-, kustomize- and helm-controller (built from their Go
//! modules, `envtest::flux_controllers`) reconcile a real API server from the demo's loopback git server
//! (`demo::git_server`). fleetdeck's wizards write and push, the test merges (a fast-forward on the server,
//! standing in for the review), and fleetdeck's tracking, health model and actions are judged by the status
//! the real controllers write.
mod common;

use std::time::{Duration, Instant};

use common::flux_world::*;
use fleetdeck::model::kinds::KindId;
use fleetdeck::ui::wizard::track::{self, Track};
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::{Value, json};

const TEMPLATE: &str = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: ${CLUSTER_NAME}\n  \
namespace: ${NAMESPACE:=default}\nspec:\n  clusterNetwork:\n    pods:\n      cidrBlocks: [\"192.168.0.0/16\"]\n";

/// The objects of `path` at `commit` on the server, as the wizards' tracking reads them.
fn written_at(w: &World, commit: &str, path: &str) -> Vec<track::WrittenObject> {
    let text = git(&w.dir.path().join("git/fleet.git"), &["show", &format!("{commit}:{path}")]);
    track::written_objects([(path, Some(text.as_str()))])
}

/// Create (CLI) -> branch pushed over HTTP -> merged -> source-controller fetches the revision ->
/// kustomize-controller applies the Cluster -> fleetdeck's tracking says applied, from the real status;
/// delete -> merged -> pruned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_cluster_is_merged_applied_tracked_and_pruned() -> anyhow::Result<()> {
    let w = World::start().await?;
    w.sync_objects().await?;
    let (_fleet, mut rx, mut store) = watch(w.env.kubeconfig_path()).await?;
    until(&mut rx, &mut store, "the real Kustomization Ready", 60, |s| {
        health(s, KindId::KUSTOMIZATION, "flux-system", "clusters").is_some_and(|(st, _)| st == "Ready")
    })
    .await;
    let (_, reason) = health(&store, KindId::KUSTOMIZATION, "flux-system", "clusters").expect("listed");
    assert_eq!(reason, "ReconciliationSucceeded");

    let template = w.dir.path().join("cluster-template.yaml");
    std::fs::write(&template, TEMPLATE)?;
    let clone = w.clone.display().to_string();
    let out = w.fleetdeck(
        0,
        &[
            "cluster",
            "create",
            "--template",
            template.to_str().expect("utf-8"),
            "--param",
            "CLUSTER_NAME=e2e-one",
            "--repo",
            &clone,
            "--push",
            "-o",
            "json",
        ],
    );
    let created: Value = serde_json::from_str(&out)?;
    assert_eq!(created["pushed"], true, "{created}");
    let commit = created["commit"].as_str().expect("commit").to_owned();
    let t = Track {
        remote_url: w.server.url("fleet.git"),
        branch: created["branch"].as_str().expect("branch").to_owned(),
        base: "main".into(),
        commit: commit.clone(),
        paths: vec![format!("{CAPI_PATH}/default/e2e-one.yaml")],
        written: written_at(&w, &commit, &format!("{CAPI_PATH}/default/e2e-one.yaml")),
    };
    assert_eq!(t.written.len(), 1, "the Cluster: {:?}", t.written);
    assert!(!track::status(&store, &t).done, "not merged yet");

    w.merge(&commit);
    let merged = Instant::now();
    w.fleetdeck(0, &["reconcile", "gitrepository", "flux-system/fleet", "--context", "mgmt"]);
    until(&mut rx, &mut store, "the merged change tracked as applied", 60, |s| track::status(s, &t).done).await;
    println!("merge -> tracked as applied: {:.2} s", merged.elapsed().as_secs_f64());
    let cluster = w.api("default", &clusters()).await?.get("e2e-one").await?;
    let labels = cluster.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get("kustomize.toolkit.fluxcd.io/name").map(String::as_str), Some("clusters"));

    // Teardown: the delete wizard's commit, merged, is pruned by kustomize-controller.
    let out =
        w.fleetdeck(0, &["cluster", "delete", "default/e2e-one", "--repo", &clone, "--push", "--yes", "-o", "json"]);
    let deleted: Value = serde_json::from_str(&out)?;
    let commit = deleted["commit"].as_str().expect("commit").to_owned();
    w.merge(&commit);
    w.fleetdeck(0, &["reconcile", "gitrepository", "flux-system/fleet", "--context", "mgmt"]);
    let t = Track { commit, branch: deleted["branch"].as_str().expect("branch").to_owned(), written: Vec::new(), ..t };
    until(&mut rx, &mut store, "the teardown tracked as applied", 60, |s| track::status(s, &t).done).await;
    let api = w.api("default", &clusters()).await?;
    let gone = Instant::now();
    while api.get_opt("e2e-one").await?.is_some() {
        assert!(gone.elapsed() < Duration::from_secs(30), "the Cluster was not pruned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(w.flux);
    Ok(())
}

/// `reconcile` (requestedAt -> lastHandledReconcileAt), `suspend` and `resume`, judged by what the real
/// kustomize-controller writes; the journal records each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_suspend_resume_with_the_real_controller() -> anyhow::Result<()> {
    let w = World::start().await?;
    w.sync_objects().await?;
    let ks = w.api("flux-system", &kustomizations()).await?;
    let ready = |o: &DynamicObject| {
        o.data["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    };
    let t = Instant::now();
    while !ready(&ks.get("clusters").await?) {
        assert!(t.elapsed() < Duration::from_secs(60), "Kustomization not Ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = w.fleetdeck(0, &["reconcile", "kustomization", "flux-system/clusters", "--context", "mgmt"]);
    assert!(out.contains("applied revision main@sha1:"), "{out}");
    let o = ks.get("clusters").await?;
    let requested = o.metadata.annotations.as_ref().and_then(|a| a.get("reconcile.fluxcd.io/requestedAt")).cloned();
    assert_eq!(o.data["status"]["lastHandledReconcileAt"].as_str(), requested.as_deref());

    w.fleetdeck(0, &["suspend", "kustomization", "flux-system/clusters", "--context", "mgmt"]);
    assert_eq!(ks.get("clusters").await?.data["spec"]["suspend"], true);
    let refused = w.fleetdeck_out(&["reconcile", "kustomization", "flux-system/clusters", "--context", "mgmt"]);
    assert_ne!(refused.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("suspended"), "{refused:?}");
    w.fleetdeck(0, &["resume", "kustomization", "flux-system/clusters", "--context", "mgmt"]);
    let o = ks.get("clusters").await?;
    assert_eq!(o.data["spec"].get("suspend"), None, "resume removes the field");
    assert!(ready(&o), "resumed and Ready again: {}", o.data["status"]);
    let journal = fleetdeck::ops::journal::Journal::in_dir(&w.home.join("state"));
    let verbs: Vec<(String, String)> = journal.read()?.into_iter().map(|e| (e.verb, e.result)).collect();
    let ok = |v: &str| (v.to_owned(), "ok".to_owned());
    assert_eq!(verbs[..2], [ok("reconcile"), ok("suspend")]);
    assert_eq!(verbs[2].0, "reconcile", "the refusal is journaled too");
    assert_ne!(verbs[2].1, "ok");
    assert_eq!(verbs[3..], [ok("resume")]);
    Ok(())
}

/// The profile wizard's commit (CLI), merged: the real helm-controller installs the chart from the loopback
/// chart repository into the workload cluster through `spec.kubeConfig.secretRef`; fleetdeck tracks it;
/// `reconcile --force` and `--reset` are handled by the real controller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_is_installed_from_the_loopback_chart_repository() -> anyhow::Result<()> {
    let w = World::start_with(&["dev-eu"]).await?;
    w.sync_objects_at("default-clusters", PROFILES_PATH).await?;
    let repo = json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
        "metadata": {"name": "charts", "namespace": "flux-system", "annotations": {"weave.works/profiles": "true"}},
        "spec": {"url": w.server.url("charts"), "interval": "10m"},
    });
    w.api("flux-system", &helmrepositories())
        .await?
        .create(&PostParams::default(), &serde_json::from_value(repo)?)
        .await?;
    let (_fleet, mut rx, mut store) = watch(w.env.kubeconfig_path()).await?;
    let ready = reached(&mut rx, &mut store, 60, |s| {
        health(s, HELM_REPOSITORY, "flux-system", "charts").is_some_and(|(st, _)| st == "Ready")
    })
    .await;
    if !ready {
        let seen = health(&store, HELM_REPOSITORY, "flux-system", "charts");
        let why = w.explain(&helmrepositories(), "flux-system", "charts", "source-controller").await;
        panic!("the fleet's HelmRepository not Ready within 60 s; fleetdeck's health {seen:?}\n{why}");
    }

    let clone = w.clone.display().to_string();
    let out = w.fleetdeck(
        0,
        &[
            "profile",
            "add",
            "dev-eu",
            "podinfo@6.8.0",
            "--namespace",
            "default",
            "--context",
            "mgmt",
            "--repo",
            &clone,
            "--push",
            "-o",
            "json",
        ],
    );
    let added: Value = serde_json::from_str(&out)?;
    let commit = added["commit"].as_str().expect("commit").to_owned();
    let t = Track {
        remote_url: w.server.url("fleet.git"),
        branch: added["branch"].as_str().expect("branch").to_owned(),
        base: "main".into(),
        commit: commit.clone(),
        paths: vec![format!("{PROFILES_PATH}/dev-eu/profiles.yaml")],
        written: written_at(&w, &commit, &format!("{PROFILES_PATH}/dev-eu/profiles.yaml")),
    };
    assert!(!t.written.is_empty(), "the profile's HelmRelease");
    w.merge(&commit);
    w.fleetdeck(0, &["reconcile", "gitrepository", "flux-system/fleet", "--context", "mgmt"]);
    until(&mut rx, &mut store, "the profile's commit tracked as applied", 60, |s| track::status(s, &t).done).await;

    let hr = w.api("default", &helmreleases()).await?;
    let t0 = Instant::now();
    loop {
        let o = hr.get("dev-eu-podinfo").await?;
        if condition(&o, "Ready").is_some_and(|(st, _, _)| st == "True") {
            let (_, reason, _) = condition(&o, "Ready").expect("Ready");
            assert_eq!(reason, "InstallSucceeded", "{}", o.data["status"]);
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(90), "HelmRelease not Ready: {}", o.data["status"]);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!("merge -> HelmRelease installed in dev-eu: {:.2} s", t0.elapsed().as_secs_f64());
    // The chart's objects are in the workload cluster, not in mgmt.
    let dev = w.env.client("dev-eu").await?;
    let cm = Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(dev, "podinfo").get("podinfo-info").await?;
    assert_eq!(cm.data.unwrap_or_default().get("chart").map(String::as_str), Some("podinfo-6.8.0"));
    until(&mut rx, &mut store, "fleetdeck's health of the HelmRelease", 30, |s| {
        health(s, KindId::HELM_RELEASE, "default", "dev-eu-podinfo").is_some_and(|(st, _)| st == "Ready")
    })
    .await;

    // --force and --reset: the real helm-controller answers with lastHandledForceAt / lastHandledResetAt.
    for (flag, annotation, handled) in [
        ("--force", "reconcile.fluxcd.io/forceAt", "lastHandledForceAt"),
        ("--reset", "reconcile.fluxcd.io/resetAt", "lastHandledResetAt"),
    ] {
        w.fleetdeck(0, &["reconcile", "helmrelease", "default/dev-eu-podinfo", flag, "--context", "mgmt"]);
        let o = hr.get("dev-eu-podinfo").await?;
        let asked = o.metadata.annotations.as_ref().and_then(|a| a.get(annotation)).cloned().expect("annotated");
        let t0 = Instant::now();
        let mut o = o;
        while o.data["status"][handled].as_str() != Some(asked.as_str()) {
            assert!(t0.elapsed() < Duration::from_secs(30), "{flag} not handled: {}", o.data["status"]);
            tokio::time::sleep(Duration::from_millis(200)).await;
            o = hr.get("dev-eu-podinfo").await?;
        }
        assert_eq!(condition(&o, "Ready").map(|c| c.0).as_deref(), Some("True"), "{flag}: {}", o.data["status"]);
    }
    let journal = fleetdeck::ops::journal::Journal::in_dir(&w.home.join("state"));
    let results: Vec<String> = journal.read()?.into_iter().map(|e| format!("{} {}", e.verb, e.result)).collect();
    assert_eq!(results, ["reconcile ok", "reconcile --force ok", "reconcile --reset ok"]);
    Ok(())
}

/// The bootstrap wizard's Flux-mode files, merged, and applied once to a workload cluster as `flux
/// bootstrap` does by hand (the components, the deploy-key Secret, gotk-sync.yaml): the real Flux running
/// there reconciles its own `flux-system` Kustomization from the loopback repository, and fleetdeck says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bootstrapped_workload_cluster_runs_its_own_real_flux() -> anyhow::Result<()> {
    let w = World::start_with(&["dev-eu"]).await?;
    w.env.install_crds("dev-eu").await?;
    let components = w.dir.path().join("gotk-components.yaml");
    std::fs::write(&components, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n")?;
    let clone = w.clone.display().to_string();
    let out = w.fleetdeck(
        0,
        &[
            "cluster",
            "bootstrap",
            "dev-eu",
            "--mode",
            "flux",
            "--components",
            components.to_str().expect("utf-8"),
            "--namespace",
            "default",
            "--repo",
            &clone,
            "--push",
            "-o",
            "json",
        ],
    );
    let boot: Value = serde_json::from_str(&out)?;
    let commit = boot["commit"].as_str().expect("commit").to_owned();
    w.merge(&commit);

    // By hand, once: the components, the deploy-key Secret (loopback HTTP needs no key: empty), gotk-sync.yaml.
    let bare = w.dir.path().join("git/fleet.git");
    let dev = w.env.client("dev-eu").await?;
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(json!({"metadata": {"name": "flux-system"}}))?;
    Api::<k8s_openapi::api::core::v1::Namespace>::all(dev.clone()).create(&PostParams::default(), &ns).await?;
    let secret: k8s_openapi::api::core::v1::Secret =
        serde_json::from_value(json!({"metadata": {"name": "flux-system", "namespace": "flux-system"}}))?;
    Api::<k8s_openapi::api::core::v1::Secret>::namespaced(dev.clone(), "flux-system")
        .create(&PostParams::default(), &secret)
        .await?;
    let sync = git(&bare, &["show", "main:clusters/dev-eu/flux-system/gotk-sync.yaml"]);
    for doc in fleetdeck::gitops::yaml::parse_docs(&sync, "gotk-sync.yaml")? {
        let ar = match doc["kind"].as_str() {
            Some("GitRepository") => gitrepositories(),
            Some("Kustomization") => kustomizations(),
            other => panic!("gotk-sync.yaml holds a {other:?}"),
        };
        assert_eq!(doc["metadata"]["namespace"], "flux-system");
        Api::<DynamicObject>::namespaced_with(dev.clone(), "flux-system", &ar)
            .create(&PostParams::default(), &serde_json::from_value(doc)?)
            .await?;
    }

    // Flux in dev-eu: a second set of the real controllers, against that cluster alone.
    let binaries = fleetdeck::envtest::flux_controllers::ensure_all(&mut |_| {})?;
    let mut opts = fleetdeck::envtest::flux_run::FluxOptions::new(
        w.env.kubeconfig_path(),
        &w.dir.path().join("flux-dev-eu"),
        binaries,
    );
    opts.context = Some("dev-eu".into());
    let _dev_flux =
        tokio::task::spawn_blocking(move || fleetdeck::envtest::flux_run::FluxControllers::start(&opts)).await??;

    let (_fleet, mut rx, mut store) = watch(w.env.kubeconfig_path()).await?;
    let applied = format!("main@sha1:{commit}");
    until(&mut rx, &mut store, "dev-eu's own flux-system Kustomization applied the bootstrap commit", 60, |s| {
        s.objects("dev-eu", KindId::KUSTOMIZATION).any(|o| {
            o.obj().metadata.name.as_deref() == Some("flux-system")
                && o.obj().data["status"]["lastAppliedRevision"].as_str() == Some(applied.as_str())
        })
    })
    .await;
    let h = store
        .objects("dev-eu", KindId::KUSTOMIZATION)
        .find(|o| o.obj().metadata.name.as_deref() == Some("flux-system"))
        .map(|o| (format!("{:?}", o.health.state), o.health.reason.clone()));
    assert_eq!(h, Some(("Ready".to_owned(), "ReconciliationSucceeded".to_owned())));
    // It manages itself: its inventory holds the GitRepository and Kustomization it was bootstrapped with.
    let ks = Api::<DynamicObject>::namespaced_with(dev, "flux-system", &kustomizations()).get("flux-system").await?;
    let ids: Vec<&str> = ks.data["status"]["inventory"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str())
        .collect();
    for id in [
        "flux-system_flux-system_source.toolkit.fluxcd.io_GitRepository",
        "flux-system_flux-system_kustomize.toolkit.fluxcd.io_Kustomization",
    ] {
        assert!(ids.contains(&id), "{id} not in {ids:?}");
    }
    Ok(())
}

/// A folder whose `kustomization.yaml` lists its resources: a file added beside them is fetched and the
/// revision applied by the real kustomize-controller, but the object is not built. fleetdeck's tracking
/// says so (from the Kustomization's real inventory) instead of "applied"; listing the file fixes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_left_out_of_the_build_is_not_tracked_as_applied() -> anyhow::Result<()> {
    let w = World::start().await?;
    let clone = w.clone.clone();
    let cluster = |name: &str| TEMPLATE.replace("${CLUSTER_NAME}", name).replace("${NAMESPACE:=default}", "default");
    let (a, b) = (cluster("listed-a"), cluster("listed-b"));
    let base = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(clone.join("listed")).expect("mkdir");
        std::fs::write(clone.join("listed/a.yaml"), a).expect("write");
        std::fs::write(clone.join("listed/kustomization.yaml"), "resources:\n  - a.yaml\n").expect("write");
        git(&clone, &["add", "-A"]);
        git(&clone, &["commit", "-q", "-m", "listed: a"]);
        git(&clone, &["push", "-q", "origin", "main"]);
        // The change under review: b.yaml, not added to the list.
        git(&clone, &["checkout", "-q", "-b", "add-b"]);
        std::fs::write(clone.join("listed/b.yaml"), &b).expect("write");
        git(&clone, &["add", "-A"]);
        git(&clone, &["commit", "-q", "-m", "listed: b"]);
        git(&clone, &["push", "-q", "origin", "add-b"]);
        git(&clone, &["rev-parse", "HEAD"])
    })
    .await?;
    w.sync_objects_at("listed", "listed").await?;
    let (_fleet, mut rx, mut store) = watch(w.env.kubeconfig_path()).await?;
    let t = Track {
        remote_url: w.server.url("fleet.git"),
        branch: "add-b".into(),
        base: "main".into(),
        commit: base.clone(),
        paths: vec!["listed/b.yaml".into()],
        written: written_at(&w, &base, "listed/b.yaml"),
    };
    w.merge(&base);
    w.fleetdeck(0, &["reconcile", "gitrepository", "flux-system/fleet", "--context", "mgmt"]);
    let lacks = "inventory lacks Cluster default/listed-b: is the file in its kustomization.yaml's resources?";
    let started = Instant::now();
    while !track::status(&store, &t).lines.iter().any(|(_, l)| l.ends_with(lacks)) {
        if started.elapsed() > Duration::from_secs(60) {
            let ks = w.api("flux-system", &kustomizations()).await?.get("listed").await?;
            panic!("not within 60 s: {:?}\n{}", track::status(&store, &t), ks.data["status"]);
        }
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            store.apply(m, k8s_openapi::jiff::Timestamp::now());
        }
    }
    let s = track::status(&store, &t);
    assert!(!s.done, "{s:?}");
    assert!(s.summary.contains("inventory lacks objects it writes"), "{}", s.summary);
    let ks = w.api("flux-system", &kustomizations()).await?.get("listed").await?;
    assert_eq!(
        ks.data["status"]["lastAppliedRevision"],
        json!(format!("main@sha1:{base}")),
        "the revision was applied"
    );
    assert!(w.api("default", &clusters()).await?.get_opt("listed-b").await?.is_none(), "and listed-b was not");

    // Listed, merged: applied, and tracked as applied.
    let clone = w.clone.clone();
    let fixed = tokio::task::spawn_blocking(move || {
        std::fs::write(clone.join("listed/kustomization.yaml"), "resources:\n  - a.yaml\n  - b.yaml\n").expect("write");
        git(&clone, &["commit", "-q", "-am", "listed: b, listed"]);
        git(&clone, &["push", "-q", "origin", "add-b"]);
        git(&clone, &["rev-parse", "HEAD"])
    })
    .await?;
    w.merge(&fixed);
    w.fleetdeck(0, &["reconcile", "gitrepository", "flux-system/fleet", "--context", "mgmt"]);
    // The Kustomization too, as an operator would: under load, kustomize-controller may still be busy with
    // the previous revision when the new artifact arrives, and its interval is 1 m.
    w.fleetdeck(0, &["reconcile", "kustomization", "flux-system/listed", "--context", "mgmt"]);
    let t = Track { commit: fixed, ..t };
    until(&mut rx, &mut store, "the fixed commit tracked as applied", 90, |s| track::status(s, &t).done).await;
    assert!(w.api("default", &clusters()).await?.get_opt("listed-b").await?.is_some());
    Ok(())
}
