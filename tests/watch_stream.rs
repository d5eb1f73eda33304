//! `fleet::watch_stream` against a real API server, over the fleet's HTTP/2 transport: the initial state
//! streamed (WatchList) and listed, objects larger than an HTTP/2 data frame (their lines span frames),
//! changes and deletes after the initial state, and a forbidden watch's error.
use std::time::Duration;

use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::watch_stream::watch;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::watcher::{self, Event};

async fn fleet_client(env: &Envtest, context: &str) -> anyhow::Result<kube::Client> {
    let kc = kube::config::Kubeconfig::read_from(env.kubeconfig_path())?;
    let opts = kube::config::KubeConfigOptions { context: Some(context.into()), ..Default::default() };
    Ok(fleetdeck::fleet::transport::client(kube::Config::from_custom_kubeconfig(kc, &opts).await?)?)
}

fn config_map(name: &str, value: &str) -> anyhow::Result<ConfigMap> {
    Ok(serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "data": {"value": value},
    }))?)
}

fn value(cm: &ConfigMap) -> usize {
    cm.data.as_ref().and_then(|d| d.get("value")).map_or(0, String::len)
}

/// The next item within 20 s.
async fn next<S>(s: &mut S) -> watcher::Result<Event<ConfigMap>>
where
    S: futures::Stream<Item = watcher::Result<Event<ConfigMap>>> + Unpin,
{
    tokio::time::timeout(Duration::from_secs(20), s.next())
        .await
        .expect("an event within 20 s")
        .expect("the stream does not end")
}

/// Init, then the one object of the namespace (`big`, `size` bytes of value), then InitDone.
async fn initial_state<S>(s: &mut S, size: usize)
where
    S: futures::Stream<Item = watcher::Result<Event<ConfigMap>>> + Unpin,
{
    assert!(matches!(next(s).await, Ok(Event::Init)));
    match next(s).await {
        Ok(Event::InitApply(cm)) => {
            assert_eq!(cm.metadata.name.as_deref(), Some("big"));
            assert_eq!(value(&cm), size, "the whole object, across HTTP/2 data frames");
        }
        other => panic!("expected the object, got {other:?}"),
    }
    assert!(matches!(next(s).await, Ok(Event::InitDone)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watches_stream_and_list_objects_larger_than_a_frame_and_follow_changes() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").restricted_context("a").start().await?;
    let client = fleet_client(&env, "a").await?;
    let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": "ws"}}))?;
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "ws");
    // 300 KB: about 19 HTTP/2 data frames of 16 KB.
    let big = "x".repeat(300_000);
    cms.create(&PostParams::default(), &config_map("big", &big)?).await?;
    // Both ways start from resourceVersion 0 ("any"), served by the API server's watch cache, which may
    // trail the write above for a moment: wait until the cache has the object.
    let t = std::time::Instant::now();
    let cached = kube::api::ListParams::default().match_any();
    while cms.list(&cached).await?.items.is_empty() {
        assert!(t.elapsed() < Duration::from_secs(20), "the watch cache never showed the ConfigMap");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut streamed = Box::pin(watch(cms.clone(), watcher::Config::default().streaming_lists()));
    initial_state(&mut streamed, big.len()).await;
    let mut config = watcher::Config::default().any_semantic();
    config.page_size = None;
    let mut listed = Box::pin(watch(cms.clone(), config));
    initial_state(&mut listed, big.len()).await;

    // After the initial state: a change, a new object, a delete, in order, on both.
    let bigger = "y".repeat(400_000);
    let patch = serde_json::json!({"data": {"value": bigger}});
    cms.patch("big", &PatchParams::default(), &Patch::Merge(&patch)).await?;
    cms.create(&PostParams::default(), &config_map("small", "s")?).await?;
    cms.delete("big", &DeleteParams::default()).await?;
    for s in [&mut streamed, &mut listed] {
        match next(s).await {
            Ok(Event::Apply(cm)) => assert_eq!(value(&cm), bigger.len()),
            other => panic!("expected the change, got {other:?}"),
        }
        match next(s).await {
            Ok(Event::Apply(cm)) => assert_eq!(cm.metadata.name.as_deref(), Some("small")),
            other => panic!("expected the new object, got {other:?}"),
        }
        match next(s).await {
            Ok(Event::Delete(cm)) => assert_eq!(cm.metadata.name.as_deref(), Some("big")),
            other => panic!("expected the delete, got {other:?}"),
        }
    }

    // The restricted user may not list Secrets: the first item is the 403, as kube-runtime reports it.
    let restricted = fleet_client(&env, "a-restricted").await?;
    let mut forbidden = Box::pin(watch(Api::<Secret>::all(restricted), watcher::Config::default().streaming_lists()));
    match tokio::time::timeout(Duration::from_secs(20), forbidden.next()).await?.expect("an item") {
        Err(watcher::Error::WatchStartFailed(kube::Error::Api(s))) => assert_eq!(s.code, 403, "{s:?}"),
        other => panic!("expected a 403, got {other:?}"),
    }
    Ok(())
}
