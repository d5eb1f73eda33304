//! The watch plan of a large fleet (issue 18, `fleet::demand`) against a real API server: above
//! `full_watch_limit` contexts, each watches only its summary kinds until the demand asks for more (one
//! context, or a family in the contexts a fleet-wide view lists); kinds no longer asked for are dropped from the store; a context's
//! Warning Events are watched only while it is asked for.
mod common;

use std::collections::HashSet;

use fleetdeck::envtest::Envtest;
use fleetdeck::envtest::kubeconfig::{TokenContext, render};
use fleetdeck::fleet::demand::{Demand, Wants};
use fleetdeck::fleet::kubeconfig::LoadedKubeconfig;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::{Family, KindId, KindSet};
use fleetdeck::model::store::{FleetStore, KindState, StoreEvent, StoreMsg};
use k8s_openapi::jiff::Timestamp;

/// Applies messages until `done` holds (30 s at most), noting which contexts listed their Warning Events.
async fn until(
    rx: &mut tokio::sync::mpsc::Receiver<StoreMsg>,
    store: &mut FleetStore,
    events: &mut HashSet<String>,
    what: &str,
    done: impl Fn(&FleetStore) -> bool,
) {
    let t = std::time::Instant::now();
    while !done(store) {
        assert!(t.elapsed() < std::time::Duration::from_secs(30), "{what}: not within 30 s");
        if let Ok(Some(m)) = tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await {
            if matches!(m.event, StoreEvent::WarningsListed) {
                events.insert(m.context.to_string());
            }
            store.apply(m, Timestamp::now());
        }
    }
}

fn synced(s: &FleetStore, ctx: &str, kind: KindId) -> bool {
    s.context(ctx).and_then(|c| c.kinds.get(&kind)).is_some_and(|k| k.state == Some(KindState::Synced))
}

fn watched(s: &FleetStore, ctx: &str) -> KindSet {
    s.context(ctx).map_or(KindSet::NONE, |c| {
        c.kinds
            .iter()
            .filter(|(_, k)| k.state != Some(KindState::CrdMissing))
            .fold(KindSet::NONE, |set, (k, _)| set.with(*k))
    })
}

/// One API server with the catalogue's CRDs, and a kubeconfig (`file` under the server's root, current context
/// the first user) of one token context per user: distinct users, so one connection each.
async fn one_server_with_users(users: &[String], file: &str) -> anyhow::Result<(Envtest, LoadedKubeconfig)> {
    let env = Envtest::builder().server("one").users(users.to_vec()).start().await?;
    env.install_crds("one").await?;
    let contexts: Vec<TokenContext> = users
        .iter()
        .map(|u| env.token_context(u, "one", env.user_token(u).expect("token")))
        .collect::<anyhow::Result<_>>()?;
    let path = env.root().join(file);
    std::fs::write(&path, render(&contexts, &users[0]))?;
    let kc = fleetdeck::fleet::kubeconfig::load(Some(&path))?;
    Ok((env, kc))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_watch_their_summary_and_what_the_demand_asks() -> anyhow::Result<()> {
    let users = ["plan-a", "plan-b"].map(String::from);
    // Two contexts of the same server with distinct users: two connections.
    let (_env, kc) = one_server_with_users(&users, "plan-kubeconfig").await?;
    let demand = Demand::new();
    let opts = FleetOptions {
        lineage: false,
        warning_events: true,
        demand: Some(demand.clone()),
        full_watch_limit: 1,
        ..FleetOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let mut events = HashSet::new();
    let summary = fleetdeck::model::summary::kinds();

    until(&mut rx, &mut store, &mut events, "both summaries synced", |s| {
        users.iter().all(|u| synced(s, u, KindId::KUSTOMIZATION) && synced(s, u, KindId::NODE))
    })
    .await;
    for u in &users {
        let w = watched(&store, u);
        assert!(
            w.iter().all(|k| summary.contains(k)),
            "{u} watches only summary kinds: {:?}",
            w.iter().collect::<Vec<_>>()
        );
        assert!(!w.contains(KindId::MACHINE));
    }
    assert!(events.is_empty(), "no Events watched before anyone asks: {events:?}");

    // One context looked at: all its kinds, and its Events; the other unchanged.
    let mut w = Wants::default();
    w.contexts.insert("plan-a".into(), KindSet::ALL);
    demand.publish(w);
    until(&mut rx, &mut store, &mut events, "plan-a fully watched", |s| {
        synced(s, "plan-a", KindId::MACHINE) && synced(s, "plan-a", KindId::MACHINE_DEPLOYMENT)
    })
    .await;
    let t = std::time::Instant::now();
    while !events.contains("plan-a") {
        assert!(t.elapsed() < std::time::Duration::from_secs(30), "plan-a's Events not listed");
        if let Ok(Some(m)) = tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await {
            if matches!(m.event, StoreEvent::WarningsListed) {
                events.insert(m.context.to_string());
            }
            store.apply(m, Timestamp::now());
        }
    }
    assert!(!watched(&store, "plan-b").contains(KindId::MACHINE), "plan-b was not asked for");
    assert!(!events.contains("plan-b"));

    // A fleet-wide view's family in the contexts it lists (the Clusters view, both listed): plan-b gets
    // Machines too, and plan-a keeps only Cluster API beyond its summary.
    let mut w = Wants::default();
    for u in &users {
        w.contexts.insert(u.as_str().into(), KindSet::family(Family::ClusterApi));
    }
    demand.publish(w);
    until(&mut rx, &mut store, &mut events, "Machines in both listed contexts", |s| {
        synced(s, "plan-b", KindId::MACHINE) && synced(s, "plan-a", KindId::MACHINE)
    })
    .await;
    let capi_and_summary = summary.union(KindSet::family(Family::ClusterApi));
    until(&mut rx, &mut store, &mut events, "plan-a's other kinds dropped", |s| {
        watched(s, "plan-a").iter().all(|k| capi_and_summary.contains(k))
    })
    .await;

    // Nothing asked: back to the summaries; the dropped kinds leave the store.
    demand.publish(Wants::default());
    until(&mut rx, &mut store, &mut events, "back to the summary kinds", |s| {
        users.iter().all(|u| watched(s, u).iter().all(|k| summary.contains(k)))
    })
    .await;
    assert!(users.iter().all(|u| synced(&store, u, KindId::KUSTOMIZATION)), "the summary kinds stay synced");
    Ok(())
}

/// Watches of `resource` open on the server (`apiserver_longrunning_requests`, verb WATCH, from /metrics).
async fn open_watches(client: &kube::Client, resource: &str) -> anyhow::Result<u64> {
    let text = client.request_text(http::Request::get("/metrics").body(Vec::new())?).await?;
    let label = format!("resource=\"{resource}\"");
    Ok(text
        .lines()
        .filter(|l| l.starts_with("apiserver_longrunning_requests{") && l.contains(&label))
        .filter(|l| l.contains("verb=\"WATCH\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

/// Waits (30 s at most) until `resource` has `want` watches open on the server, applying messages meanwhile.
async fn until_watches(
    client: &kube::Client,
    rx: &mut tokio::sync::mpsc::Receiver<StoreMsg>,
    store: &mut FleetStore,
    resource: &str,
    want: u64,
) -> anyhow::Result<()> {
    let t = std::time::Instant::now();
    loop {
        let open = open_watches(client, resource).await?;
        if open == want {
            return Ok(());
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(30), "{resource}: {open} watches open, not {want}");
        if let Ok(Some(m)) = tokio::time::timeout(std::time::Duration::from_millis(200), rx.recv()).await {
            store.apply(m, Timestamp::now());
        }
    }
}

/// A summary kind that synced empty is not kept watched on a large fleet (`FleetOptions::empty_recheck`): it
/// stays synced in the store, is listed again every recheck, and is watched again once it holds an object; a
/// kind the demand asks for is watched at once, empty or not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_summary_kinds_are_rechecked_instead_of_watched() -> anyhow::Result<()> {
    let (env, kc) = one_server_with_users(&["park-a".to_string()], "park-kubeconfig").await?;
    let admin = env.client("one").await?;
    let demand = Demand::new();
    let opts = FleetOptions {
        lineage: false,
        demand: Some(demand.clone()),
        full_watch_limit: 0,
        probe_every: std::time::Duration::from_millis(200),
        empty_recheck: std::time::Duration::from_secs(1),
        ..FleetOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let mut events = HashSet::new();
    until(&mut rx, &mut store, &mut events, "Buckets synced", |s| {
        synced(s, "park-a", KindId::named("source.toolkit.fluxcd.io", "Bucket"))
    })
    .await;
    until_watches(&admin, &mut rx, &mut store, "buckets", 0).await?;
    assert!(
        synced(&store, "park-a", KindId::named("source.toolkit.fluxcd.io", "Bucket")),
        "still synced, and empty, in the store"
    );
    assert_eq!(store.objects("park-a", KindId::named("source.toolkit.fluxcd.io", "Bucket")).count(), 0);

    let gvk = kube::core::GroupVersionKind::gvk("source.toolkit.fluxcd.io", "v1", "Bucket");
    let buckets: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        admin.clone(),
        "default",
        &kube::core::ApiResource::from_gvk_with_plural(&gvk, "buckets"),
    );
    let bucket = serde_json::json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "Bucket",
        "metadata": {"name": "first", "namespace": "default"},
        "spec": {"bucketName": "b", "endpoint": "minio.example:9000", "interval": "5m"}});
    buckets.create(&kube::api::PostParams::default(), &serde_json::from_value(bucket)?).await?;
    until(&mut rx, &mut store, &mut events, "the first Bucket seen", |s| {
        s.get("park-a", KindId::named("source.toolkit.fluxcd.io", "Bucket"), "default", "first").is_some()
    })
    .await;
    until_watches(&admin, &mut rx, &mut store, "buckets", 1).await?;

    // Asked for (the operator looks at the context): an empty summary kind is watched at once.
    until_watches(&admin, &mut rx, &mut store, "ocirepositories", 0).await?;
    let mut w = Wants::default();
    w.contexts.insert("park-a".into(), KindSet::ALL);
    demand.publish(w);
    until_watches(&admin, &mut rx, &mut store, "ocirepositories", 1).await?;
    Ok(())
}

/// On a large fleet the summary watches wait for a slot for their initial state
/// (`FleetOptions::max_syncing`); each gives it back at its `InitDone` or when it ends (an empty kind parks,
/// a missing one ends): with a single slot, three contexts still sync every summary kind they serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_sync_slot_still_syncs_every_summary_kind() -> anyhow::Result<()> {
    let users = ["slot-a", "slot-b", "slot-c"].map(String::from);
    let (_env, kc) = one_server_with_users(&users, "slot-kubeconfig").await?;
    let opts = FleetOptions {
        lineage: false,
        demand: Some(Demand::new()),
        full_watch_limit: 0,
        max_syncing: 1,
        ..FleetOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let mut events = HashSet::new();
    let summary = fleetdeck::model::summary::kinds();
    let all_synced = |s: &FleetStore, u: &str| {
        s.context(u).is_some_and(|c| {
            summary.iter().all(|k| {
                c.kinds.get(&k).is_some_and(|st| matches!(st.state, Some(KindState::Synced | KindState::CrdMissing)))
            })
        })
    };
    until(&mut rx, &mut store, &mut events, "every summary kind of the three contexts synced", |s| {
        users.iter().all(|u| all_synced(s, u))
    })
    .await;
    for u in &users {
        assert!(
            synced(&store, u, KindId::KUSTOMIZATION) && synced(&store, u, KindId::NODE),
            "{u}: served kinds synced"
        );
    }
    Ok(())
}
