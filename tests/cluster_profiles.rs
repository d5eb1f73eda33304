//! SIG-Multicluster ClusterProfiles (the Cluster Inventory API, KEP-4322) against a real kube-apiserver with
//! the upstream CRD (sigs.k8s.io/cluster-inventory-api v0.1.2): a hub's profiles are watched like any
//! catalogue kind and judged by `ControlPlaneHealthy`, and each profile becomes a derived context reached
//! through the exec plugin configured for its access provider (KEP-5339), on a second real API server.
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

/// Issue 18, item 3: a hub's ClusterProfiles become derived contexts `<hub>/<namespace>/<name>`, each reached
/// through the exec plugin configured for the access provider it offers (KEP-5339), with the cluster's exec
/// extension in `KUBERNETES_EXEC_INFO`. Profiles with no usable provider, a plugin that prints garbage and
/// one that hangs say why on their own row; a hub that may not list profiles derives nothing; a profile
/// deleted takes its context with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_become_contexts_reached_through_their_exec_plugin() -> anyhow::Result<()> {
    use base64::Engine as _;
    use fleetdeck::fleet::profiles::ProfileProvider;
    use fleetdeck::model::store::{ConnState, Origin};

    let env = Envtest::builder().server("hub").server("member").restricted_context("hub").start().await?;
    env.install_crds("hub").await?;
    env.install_crds("member").await?;
    let member_url = env.servers().iter().find(|s| s.name == "member").expect("member").url();
    // Something only the member has, to see its watches run through the plugin's credential.
    let member = env.client("member").await?;
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "apps"}}))?;
    Api::<Namespace>::all(member.clone()).create(&PostParams::default(), &ns).await?;
    let git = GroupVersionKind::gvk("source.toolkit.fluxcd.io", "v1", "GitRepository");
    let repos: Api<DynamicObject> =
        Api::namespaced_with(member, "apps", &ApiResource::from_gvk_with_plural(&git, "gitrepositories"));
    repos
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "only-on-member", "namespace": "apps"},
                "spec": {"url": "https://git.example/x", "interval": "1m"}}))?,
        )
        .await?;

    // The plugins: one reads the token of the cluster KUBERNETES_EXEC_INFO names (as KEP-5339's
    // secretreader does, from a file here), one prints garbage, one hangs.
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("member-1.token"), env.admin_token())?;
    let script = |name: &str, body: &str| -> anyhow::Result<String> {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(path.to_string_lossy().into_owned())
    };
    let token_plugin = script(
        "token-file",
        &format!(
            "cluster=$(printf '%s' \"$KUBERNETES_EXEC_INFO\" | sed -n 's/.*\"clusterName\":\"\\([^\"]*\\)\".*/\\1/p')\n\
             [ -n \"$cluster\" ] || {{ echo 'no clusterName in KUBERNETES_EXEC_INFO' >&2; exit 1; }}\n\
             printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"}}}}' \"$(cat {}/$cluster.token)\"",
            dir.path().display()
        ),
    )?;
    let garbage_plugin = script("garbage", "echo 'this is not an ExecCredential'")?;
    let hung_plugin = script("hang", "sleep 60")?;
    let provider = |name: &str, command: &str| -> anyhow::Result<ProfileProvider> {
        Ok(serde_json::from_value(json!({"name": name, "execConfig": {
            "apiVersion": "client.authentication.k8s.io/v1", "command": command, "provideClusterInfo": true}}))?)
    };
    let providers = vec![
        provider("token-file", &token_plugin)?,
        provider("garbage", &garbage_plugin)?,
        provider("hang", &hung_plugin)?,
    ];

    let hub = env.client("hub").await?;
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "fleet"}}))?;
    Api::<Namespace>::all(hub.clone()).create(&PostParams::default(), &ns).await?;
    let gvk = GroupVersionKind::gvk("multicluster.x-k8s.io", "v1alpha1", "ClusterProfile");
    let profiles: Api<DynamicObject> =
        Api::namespaced_with(hub, "fleet", &ApiResource::from_gvk_with_plural(&gvk, "clusterprofiles"));
    let ca = base64::engine::general_purpose::STANDARD.encode(std::fs::read(env.root().join("ca.crt"))?);
    let cluster = |cluster_name: &str| {
        json!({"server": member_url, "certificate-authority-data": ca,
            "extensions": [{"name": "client.authentication.k8s.io/exec", "extension": {"clusterName": cluster_name}}]})
    };
    for (name, provider_name) in
        [("member-1", "token-file"), ("no-provider", "cp-creds"), ("garbage", "garbage"), ("hung", "hang")]
    {
        create_with_status(
            &profiles,
            json!({"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ClusterProfile",
                "metadata": {"name": name, "namespace": "fleet", "labels": {"x-k8s.io/cluster-manager": "ocm"}},
                "spec": {"displayName": name, "clusterManager": {"name": "ocm"}}}),
            json!({"conditions": [{"type": "ControlPlaneHealthy", "status": "True", "reason": "Healthy",
                    "message": "", "lastTransitionTime": "2026-12-04T07:00:00Z"}],
                "version": {"kubernetes": "v1.34.1"},
                "properties": [{"name": "location", "value": "eu-west-1", "lastObservedTime": "2026-12-04T07:00:00Z"}],
                "accessProviders": [{"name": provider_name, "cluster": cluster(name)}]}),
        )
        .await?;
    }

    let kc = fleetdeck::fleet::kubeconfig::load(Some(env.kubeconfig_path()))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let opts = FleetOptions {
        lineage: false,
        profile_providers: providers,
        exec_timeout: Duration::from_secs(2),
        ..FleetOptions::default()
    };
    let only = ["hub".to_string(), "hub-restricted".to_string()];
    let _fleet = Fleet::start(&kc, &only, opts, tx).await?;
    let mut store = FleetStore::new();
    let state = |s: &FleetStore, n: &str| s.context(n).map(|c| (c.state, c.reason.clone()));
    common::until(&mut rx, &mut store, "the profiled member synced through its plugin", |s| {
        s.get("hub/fleet/member-1", KindId::GIT_REPOSITORY, "apps", "only-on-member").is_some()
    })
    .await;
    common::until(&mut rx, &mut store, "the unusable profiles marked", |s| {
        ["hub/fleet/no-provider", "hub/fleet/garbage", "hub/fleet/hung"]
            .iter()
            .all(|n| state(s, n).is_some_and(|(st, _)| st == ConnState::Unreachable))
    })
    .await;
    let member = store.context("hub/fleet/member-1").expect("derived");
    assert_eq!(member.state, ConnState::Ready);
    assert!(
        matches!(&member.origin, Origin::Profile { hub, namespace, name, provider, alias_of: None }
            if hub == "hub" && namespace == "fleet" && name == "member-1" && provider == "token-file"),
        "{:?}",
        member.origin
    );
    let (_, why) = state(&store, "hub/fleet/no-provider").expect("registered");
    assert!(why.contains("offers cp-creds") && why.contains("token-file, garbage, hang"), "{why}");
    let (_, why) = state(&store, "hub/fleet/garbage").expect("registered");
    assert!(why.contains("printed no ExecCredential"), "{why}");
    let (_, why) = state(&store, "hub/fleet/hung").expect("registered");
    assert!(why.contains("did not finish within 2s"), "{why}");
    // The Fleet row of the derived context says what its profile says.
    let rows = fleetdeck::model::summary::summarize_all(&store, Timestamp::now());
    let row = rows.iter().find(|r| r.name == "hub/fleet/member-1").expect("row");
    assert_eq!(row.profile.as_deref(), Some("ControlPlaneHealthy True (Healthy), v1.34.1, location=eu-west-1"));
    // The restricted context reaches the same hub but may not list profiles: nothing derives from it, and
    // its ClusterProfile kind says Forbidden.
    common::until(&mut rx, &mut store, "the restricted hub's profiles forbidden", |s| {
        s.context("hub-restricted")
            .and_then(|c| c.kinds.get(&KindId::CLUSTER_PROFILE))
            .is_some_and(|k| k.state == Some(fleetdeck::model::store::KindState::Forbidden))
    })
    .await;
    assert!(store.contexts().all(|(n, _)| !n.starts_with("hub-restricted/")));
    // A deleted profile takes its context with it.
    profiles.delete("member-1", &Default::default()).await?;
    common::until(&mut rx, &mut store, "the deleted profile's context removed", |s| {
        s.context("hub/fleet/member-1").is_none()
    })
    .await;
    assert!(store.context("hub/fleet/garbage").is_some(), "the other profiles stay");
    Ok(())
}
