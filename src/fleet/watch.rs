//! Discovery of the catalogue kinds a cluster serves, and one kube-runtime `watcher` per (context, kind)
//! turned into [`StoreMsg`]s.
//!
//! Watches use `default_backoff()`; a 410 Gone is handled inside the watcher by a relist (Init..InitDone),
//! which the store swaps in silently. A 403 ends the watch with `Forbidden` (no retry storm: the context task
//! retries forbidden kinds only every [`FORBIDDEN_RETRY`]); a 404 ends it with `CrdMissing`.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;

use crate::model::kinds::KindId;
use crate::model::store::{KindEvent, StoreEvent, StoreMsg};

/// How long a kind RBAC forbids is left alone before fleetdeck asks again.
pub const FORBIDDEN_RETRY: Duration = Duration::from_secs(300);

/// Which catalogue kinds `client`'s server serves, with the version to watch (the first of the kind's
/// preferred versions that is served).
///
/// Errors when the API group list cannot be read (the server is then treated as unreachable).
pub async fn discover(client: &kube::Client) -> Result<BTreeMap<KindId, String>> {
    let groups = client.list_api_groups().await?;
    let mut served_gv: HashMap<String, Vec<String>> = HashMap::new();
    for g in &groups.groups {
        served_gv.insert(g.name.clone(), g.versions.iter().map(|v| v.version.clone()).collect());
    }
    served_gv.insert(String::new(), vec!["v1".into()]);
    // Candidate (kind, group-version) pairs in preference order; the group-versions are read concurrently.
    let mut candidates: Vec<(KindId, String, String)> = Vec::new();
    for id in KindId::all() {
        let spec = id.spec();
        let Some(versions) = served_gv.get(spec.group) else { continue };
        for v in spec.versions.iter().filter(|v| versions.iter().any(|s| s == *v)) {
            let gv = if spec.group.is_empty() { v.to_string() } else { format!("{}/{v}", spec.group) };
            candidates.push((id, v.to_string(), gv));
        }
    }
    let mut gvs: Vec<String> = candidates.iter().map(|(_, _, gv)| gv.clone()).collect();
    gvs.sort();
    gvs.dedup();
    let lists = futures::future::join_all(gvs.iter().map(|gv| async move {
        let list = if gv.contains('/') {
            client.list_api_group_resources(gv).await
        } else {
            client.list_core_api_resources(gv).await
        };
        (gv.clone(), list.map(|l| l.resources.into_iter().map(|r| r.name).collect::<Vec<_>>()).unwrap_or_default())
    }))
    .await;
    let resources: HashMap<String, Vec<String>> = lists.into_iter().collect();
    let mut out = BTreeMap::new();
    for (id, version, gv) in candidates {
        if out.contains_key(&id) {
            continue;
        }
        if resources.get(&gv).is_some_and(|r| r.iter().any(|n| n == id.spec().plural)) {
            out.insert(id, version);
        }
    }
    Ok(out)
}

/// The `ApiResource` for a catalogue kind at `version`.
pub fn api_resource(kind: KindId, version: &str) -> ApiResource {
    let s = kind.spec();
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(s.group, version, s.kind), s.plural)
}

/// HTTP status of an API error inside a watcher error, if any.
fn status_code(e: &watcher::Error) -> Option<u16> {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s.code),
        watcher::Error::WatchError(s) => Some(s.code),
        _ => None,
    }
}

/// Why a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEnd {
    /// 403: RBAC forbids the kind.
    Forbidden,
    /// 404: the kind is no longer served.
    Gone,
    /// The receiver was dropped, or the stream ended.
    Closed,
}

/// Watches `kind` at `version` across all namespaces and sends what happens to `tx`, tagged with
/// `context` and `generation`. Returns when the kind is forbidden or gone, or the receiver is dropped.
pub async fn watch_kind(
    client: kube::Client,
    context: Arc<str>,
    generation: u64,
    kind: KindId,
    version: String,
    tx: mpsc::Sender<StoreMsg>,
) -> WatchEnd {
    let send = |ev: KindEvent| {
        let msg = StoreMsg { context: context.clone(), generation, event: StoreEvent::Kind(kind, ev) };
        let tx = tx.clone();
        async move { tx.send(msg).await.is_ok() }
    };
    let api: Api<DynamicObject> = Api::all_with(client, &api_resource(kind, &version));
    // `any_semantic`: lists with resourceVersion=0, served from the API server's watch cache instead of a
    // quorum read of etcd (what client-go informers do), in a single response. No page size: kube-core
    // drops `resourceVersion=0` from a list that has a `limit` (`ListParams::populate_qp`), which turned
    // every initial list into paged quorum reads of etcd (measured: the demo's mgmt API server spent 4.4-6 s
    // of CPU on the initial sync at scale 260 instead of ~1.3 s).
    let mut config = watcher::Config::default().any_semantic();
    config.page_size = None;
    let mut stream = std::pin::pin!(watcher(api, config).default_backoff());
    while let Some(ev) = stream.next().await {
        let ev = match ev {
            Ok(watcher::Event::Init) => KindEvent::Init,
            Ok(watcher::Event::InitApply(o)) => KindEvent::InitApply(Box::new(o)),
            Ok(watcher::Event::InitDone) => KindEvent::InitDone,
            Ok(watcher::Event::Apply(o)) => KindEvent::Apply(Box::new(o)),
            Ok(watcher::Event::Delete(o)) => KindEvent::Delete(Box::new(o)),
            Err(e) => match status_code(&e) {
                Some(403) => {
                    send(KindEvent::Forbidden(format!("{kind} is forbidden: {}", crate::fleet::describe(&e)))).await;
                    return WatchEnd::Forbidden;
                }
                Some(404) => {
                    send(KindEvent::CrdMissing).await;
                    return WatchEnd::Gone;
                }
                // 410 Gone is resolved by the watcher's relist; nothing to show.
                Some(410) => continue,
                _ => KindEvent::Error(crate::fleet::describe(&e)),
            },
        };
        if !send(ev).await {
            return WatchEnd::Closed;
        }
    }
    WatchEnd::Closed
}
