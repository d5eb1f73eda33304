//! Bench: what one open watch costs in live heap, on one connection to a real API server (issue 18's
//! steady-RSS target: a thousand contexts keep ~11,000 watches open).
//!
//! Opens `FLEETDECK_BENCH_WATCHES` (default 100: the four ways run one after another on one HTTP/2 connection, and the API server limits its concurrent streams) watches of an empty kind (ConfigMaps of a namespace that
//! holds none) on one context and reports the live heap (counting allocator over mimalloc) per watch once
//! every watch has delivered its initial state, for each way of watching:
//! - `watcher`: kube-runtime's `watcher` with streaming lists, as `fleet::watch` did before;
//! - `watch_stream`: `fleet::watch_stream::watch`, the same with no per-watch read buffer;
//! - `fleet`: `fleet::watch::watch_kind`, what fleetdeck runs (`watch_stream` and the store messages);
//! - `idle stream`: a bare watch request whose response is held and never read (the HTTP/2 stream and
//!   hyper's body: the floor under any watch client).
//!
//! Run: `cargo bench --bench watch_cost`.
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::watch::{StreamingLists, watch_kind};
use fleetdeck::model::kinds::KindId;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use kube::runtime::watcher;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, mb};

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> f64 {
    LIVE.load(Ordering::Relaxed) as f64
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Opens `n` watches of an empty namespace's ConfigMaps with `open`, waits until each delivered its
/// initial state, prints the live heap per watch and the time to that point, and stops them.
async fn empty_watches<S>(way: &str, n: usize, client: &kube::Client, open: fn(Api<ConfigMap>) -> S)
where
    S: futures::Stream<Item = watcher::Result<watcher::Event<ConfigMap>>> + Send + 'static,
{
    let base = live();
    let t0 = std::time::Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(n);
    let mut tasks = Vec::new();
    for _ in 0..n {
        let s = open(Api::namespaced(client.clone(), "nothing-here"));
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut s = std::pin::pin!(s);
            while let Some(ev) = s.next().await {
                if let Ok(watcher::Event::InitDone) = ev {
                    let _ = tx.send(()).await;
                }
            }
        }));
    }
    for _ in 0..n {
        rx.recv().await;
    }
    let took = t0.elapsed();
    settle().await;
    let per = (live() - base) / n as f64;
    println!("RESULT way={way} watches={n} per_watch_kb={:.1} synced_ms={}", per / 1024.0, took.as_millis());
    for t in tasks {
        t.abort();
    }
    settle().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let n: usize = std::env::var("FLEETDECK_BENCH_WATCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    // The fleet's transport (HTTP/2, one connection per context), as `fleet::connection` builds it.
    let kc = kube::config::Kubeconfig::read_from(env.kubeconfig_path())?;
    let opts = kube::config::KubeConfigOptions { context: Some("a".into()), ..Default::default() };
    let client = fleetdeck::fleet::transport::client(kube::Config::from_custom_kubeconfig(kc, &opts).await?)?;
    // One request first, so the connection itself is open before the baseline.
    let _ = client.apiserver_version().await?;
    let mut tasks = Vec::new();
    settle().await;

    // kube-runtime's watcher, then the same through fleet::watch_stream.
    empty_watches("watcher", n, &client, |api| watcher(api, watcher::Config::default().streaming_lists())).await;
    {
        let api: Api<kube::api::DynamicObject> =
            Api::all_with(client.clone(), &kube::api::ApiResource::erase::<ConfigMap>(&()));
        let st = fleetdeck::fleet::watch_stream::watch(api.clone(), watcher::Config::default());
        println!(
            "RESULT watch_stream_bytes={} api_bytes={} config_bytes={} store_msg={} kind_event={}",
            std::mem::size_of_val(&st),
            std::mem::size_of_val(&api),
            std::mem::size_of::<watcher::Config>(),
            std::mem::size_of::<fleetdeck::model::store::StoreMsg>(),
            std::mem::size_of::<fleetdeck::model::store::KindEvent>()
        );
    }
    empty_watches("watch_stream", n, &client, |api| {
        fleetdeck::fleet::watch_stream::watch(api, watcher::Config::default().streaming_lists())
    })
    .await;

    // fleetdeck's watch_kind (ConfigMaps are not a fleetdeck kind: Nodes of an empty server stand in).
    let base = live();
    let (stx, mut srx) = tokio::sync::mpsc::channel(4096);
    let streaming = StreamingLists::new(true, "v1.37.2");
    let kind = KindId::NODE;
    for _ in 0..n {
        let (client, streaming, stx) = (client.clone(), streaming.clone(), stx.clone());
        let fut = watch_kind(client, Arc::from("a"), 1, kind, "v1".into(), streaming, stx, None, Default::default());
        if tasks.is_empty() {
            println!("RESULT watch_kind_future_bytes={}", std::mem::size_of_val(&fut));
        }
        tasks.push(tokio::spawn(async move {
            fut.await;
        }));
    }
    let mut done = 0;
    while done < n {
        let Some(m) = srx.recv().await else { break };
        if matches!(m.event, fleetdeck::model::store::StoreEvent::Kind(_, fleetdeck::model::store::KindEvent::InitDone))
        {
            done += 1;
        }
    }
    settle().await;
    let per = (live() - base) / n as f64;
    println!("RESULT way=fleet watches={n} per_watch_kb={:.1}", per / 1024.0);
    for t in tasks.drain(..) {
        t.abort();
    }
    settle().await;

    // A held, unread watch response.
    let base = live();
    let mut held = Vec::new();
    for _ in 0..n {
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "nothing-here");
        let req = api.resource_url();
        let uri = format!("{req}?watch=true&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=290");
        let req = http::Request::get(uri).body(Vec::<u8>::new())?;
        held.push(client.send(req.map(kube::client::Body::from)).await?);
    }
    settle().await;
    let per = (live() - base) / n as f64;
    println!("RESULT way=idle_stream watches={n} per_watch_kb={:.1}", per / 1024.0);
    drop(held);
    println!("RESULT heap_live_mb={:.1}", mb(LIVE.load(Ordering::Relaxed)));
    Ok(())
}
