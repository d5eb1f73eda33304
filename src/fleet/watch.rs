//! Discovery of the catalogue kinds a cluster serves, and one watcher per (context, kind)
//! ([`super::watch_stream::watch`]: kube-runtime's `watcher` with `default_backoff()`, without its per-watch
//! read buffer) turned into [`StoreMsg`]s.
//!
//! A 410 Gone is handled inside the watcher by a relist (Init..InitDone), which the store swaps in
//! silently.
//!
//! Each object is compacted into a [`StoredObject`] (pruned, health and columns read, kept as JSON text) on
//! the watch task as it arrives, so the store's owner only inserts it.
//!
//! The initial state is streamed where the server can (kube-runtime `watcher::Config::streaming_lists()`:
//! a watch with `sendInitialEvents=true`, KEP-3157 WatchList), so no whole list response is ever held in
//! memory, and listed otherwise. [`StreamingLists`] remembers per connection whether the server refused it:
//! a server without WatchList (before 1.27; 1.27-1.31 and 1.33 unless the feature gate is on) answers the
//! streaming watch with 400 or 422, and every watch of that connection then lists instead. A listed kind is
//! held whole while its response is decoded: that is the fallback's memory peak (benches/initial_sync.rs
//! measures both paths; gating lists one or two at a time per connection was tried and not kept).
//!
//! A 403 ends the watch with `Forbidden` (no retry storm: the context task retries forbidden kinds only
//! every [`FORBIDDEN_RETRY`]); a 404 ends it with `CrdMissing`.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher;
use tokio::sync::mpsc;

use super::wanted::{Observer, Seen};
use crate::model::kinds::{KindId, KindSet};
use crate::model::object::StoredObject;
use crate::model::store::{InitialList, KindEvent, StoreEvent, StoreMsg};

/// Whether a connection's watches stream their initial state, shared by the watches of one connection:
/// they try when [`StreamingLists::new`] allowed it, and the first refusal turns it off for all of them.
#[derive(Debug)]
pub struct StreamingLists(std::sync::atomic::AtomicBool);

impl StreamingLists {
    /// `wanted` (fleetdeck's option) and a server version that may have WatchList (`v1.27` or newer: older
    /// servers ignore `sendInitialEvents` and would never end the initial state).
    pub fn new(wanted: bool, server_version: &str) -> Arc<StreamingLists> {
        Arc::new(StreamingLists(std::sync::atomic::AtomicBool::new(wanted && may_stream(server_version))))
    }

    /// Whether watches of this connection stream now.
    pub fn enabled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The server refused to stream: every watch of the connection lists from now on.
    pub(crate) fn refused(&self) {
        self.0.store(false, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Whether `git_version` (`v1.37.2`, `v1.33.4-eks-1234`) is at least v1.27, the first with WatchList.
fn may_stream(git_version: &str) -> bool {
    let mut parts = git_version.trim_start_matches('v').split(['.', '-', '+']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (1, 27)
}

/// How long a kind RBAC forbids is left alone before fleetdeck asks again.
pub const FORBIDDEN_RETRY: Duration = Duration::from_secs(300);

/// Which of the catalogue kinds in `kinds` `client`'s server serves, with the version to watch (the first
/// of the kind's preferred versions that is served). Only the group-versions of `kinds` are read.
///
/// Errors when the API group list, or a group-version's resource list (but for a 404: gone meanwhile), cannot
/// be read: a kind must never read as a missing CRD because a request failed (the context is then treated as
/// unreachable, and reconnects).
pub async fn discover(client: &kube::Client, kinds: KindSet) -> Result<BTreeMap<KindId, String>> {
    let groups = client.list_api_groups().await?;
    let mut served_gv: HashMap<String, Vec<String>> = HashMap::new();
    for g in &groups.groups {
        served_gv.insert(g.name.clone(), g.versions.iter().map(|v| v.version.clone()).collect());
    }
    served_gv.insert(String::new(), vec!["v1".into()]);
    // Candidate (kind, group-version) pairs in preference order; the group-versions are read concurrently.
    let mut candidates: Vec<(KindId, String, String)> = Vec::new();
    for id in kinds.iter() {
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
        let read = || async {
            if gv.contains('/') {
                client.list_api_group_resources(gv).await
            } else {
                client.list_core_api_resources(gv).await
            }
        };
        // One more try after a transport error (a reset stream, a dropped connection): kube's retry layer
        // covers 429 / 503 / 504 only.
        let list = match read().await {
            Err(kube::Error::HyperError(_) | kube::Error::Service(_)) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                read().await
            }
            other => other,
        };
        let names = match list {
            Ok(l) => Ok(l.resources.into_iter().map(|r| r.name).collect::<Vec<_>>()),
            // Gone between the two reads (a CRD deleted): not served.
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(Vec::new()),
            // Anything else is not an answer: the kinds must not read as missing CRDs.
            Err(e) => Err(anyhow::anyhow!("discovering {gv}: {}", super::describe(&e))),
        };
        (gv.clone(), names)
    }))
    .await;
    let mut resources: HashMap<String, Vec<String>> = HashMap::new();
    for (gv, names) in lists {
        resources.insert(gv, names?);
    }
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
pub(crate) fn status_code(e: &watcher::Error) -> Option<u16> {
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
    /// Synced with no object, and asked to stop then (`park_if_empty`).
    Empty,
}

/// How long a summary watch may hold its slot ([`SummaryOnly::gate`]) without its initial state complete.
pub const SYNC_HOLD: Duration = Duration::from_secs(10);

/// What a watch of a summary kind that the demand does not ask for does differently (both `None` for any
/// other watch).
#[derive(Default)]
pub struct SummaryOnly {
    /// Return ([`WatchEnd::Empty`], after the `InitDone`, waking this `Notify`) when the initial state held
    /// no object.
    pub park: Option<Arc<tokio::sync::Notify>>,
    /// Wait for a slot of this semaphore before the watch's first request (and again if the server refuses
    /// to stream the initial state and the watch lists instead), and hold it until the `InitDone`, the end of
    /// the watch, or [`SYNC_HOLD`] ([`super::FleetOptions::max_syncing`]).
    pub gate: Option<Arc<tokio::sync::Semaphore>>,
}

/// Watches `kind` at `version` across all namespaces and sends what happens to `tx`, tagged with
/// `context` and `generation`; the initial state streamed while `streaming` allows it (see the module docs).
/// `observer`, when given, sees each object before it is compacted (the XRD, XR and claim watches: the kinds
/// their objects ask for, [`super::wanted`]). Returns when the kind is forbidden or gone, or the receiver
/// is dropped; with `summary.park`, also when the initial state held no object ([`SummaryOnly`]).
#[allow(clippy::too_many_arguments)]
pub async fn watch_kind(
    client: kube::Client,
    context: Arc<str>,
    generation: u64,
    kind: KindId,
    version: String,
    streaming: Arc<StreamingLists>,
    tx: mpsc::Sender<StoreMsg>,
    observer: Option<Observer>,
    summary: SummaryOnly,
) -> WatchEnd {
    let SummaryOnly { park, gate } = summary;
    // A slot in the channel first, the message after: a pending `Sender::send` holds the whole message
    // twice (its own and the future's copy, 888 bytes), and every watch task's future is sized for it.
    let send = |ev: KindEvent| {
        let (tx, context) = (&tx, &context);
        async move {
            let Ok(slot) = tx.reserve().await else { return false };
            slot.send(StoreMsg { context: context.clone(), generation, event: StoreEvent::Kind(kind, ev) });
            true
        }
    };
    let api: Api<DynamicObject> = Api::all_with(client, &api_resource(kind, &version));
    loop {
        let stream = streaming.enabled();
        match watch_with(&api, kind, stream, &send, observer.as_ref(), park.is_some(), gate.as_ref()).await {
            // The server does not stream initial state: list, on this and every other watch of the connection.
            Run::Refused => {
                tracing::info!(target: "fleet", "{context}: {kind}: no streaming lists (WatchList); listing");
                streaming.refused();
            }
            Run::Ended(WatchEnd::Empty) => {
                if let Some(n) = &park {
                    n.notify_one();
                }
                return WatchEnd::Empty;
            }
            Run::Ended(end) => return end,
        }
    }
}

enum Run {
    Refused,
    Ended(WatchEnd),
}

async fn watch_with<F, Fut>(
    api: &Api<DynamicObject>,
    kind: KindId,
    stream: bool,
    send: &F,
    observer: Option<&Observer>,
    park_if_empty: bool,
    gate: Option<&Arc<tokio::sync::Semaphore>>,
) -> Run
where
    F: Fn(KindEvent) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    // Lists: `any_semantic`, resourceVersion=0, served from the API server's watch cache instead of a quorum
    // read of etcd (what client-go informers do), in a single response. No page size: kube-core drops
    // `resourceVersion=0` from a list that has a `limit` (`ListParams::populate_qp`), which turned every
    // initial list into paged quorum reads of etcd (measured: the demo's mgmt API server spent 4.4-6 s of CPU
    // on the initial sync at scale 260 instead of ~1.3 s). Streams: kube-runtime watches from
    // resourceVersion "0" with `resourceVersionMatch=NotOlderThan`, also from the watch cache.
    let config = if stream {
        watcher::Config::default().streaming_lists()
    } else {
        let mut c = watcher::Config::default().any_semantic();
        c.page_size = None;
        c
    };
    let how = if stream { InitialList::Streaming } else { InitialList::List };
    let mut stream_started = false;
    // Whether the initial state being received held an object.
    let mut any = false;
    let mut events = std::pin::pin!(super::watch_stream::watch(api.clone(), config));
    // The stream makes its first request when first polled: the slot is taken before, and given back at
    // the `InitDone`, when this returns, or after SYNC_HOLD (a server slow to send its initial state, or one
    // that never marks its end, must not keep it).
    let mut slot = match gate {
        Some(g) => g.acquire().await.ok().map(|p| (p, tokio::time::Instant::now() + SYNC_HOLD)),
        None => None,
    };
    // `let ... else`, not `while let`: the scrutinee of a `while let` (the 488-byte item) lives through the
    // whole body, so every await below would carry its space.
    loop {
        let Some(ev) = (match &slot {
            // `next` is cancel-safe: the stream keeps its request in flight.
            Some((_, until)) => match tokio::time::timeout_at(*until, events.next()).await {
                Ok(item) => item,
                Err(_) => {
                    slot = None;
                    continue;
                }
            },
            None => events.next().await,
        }) else {
            break;
        };
        // Decided without an await, so that only the small `Next` is held across the sends below (a
        // thousand contexts keep ~11,000 of these futures: `benches/watch_cost.rs`).
        let next = decide(ev, kind, observer, stream && !stream_started);
        if matches!(next, Next::Send(KindEvent::InitDone)) {
            drop(slot.take());
        }
        let ev = match next {
            Next::Send(KindEvent::Init) => {
                if !send(KindEvent::Listing(how)).await {
                    return Run::Ended(WatchEnd::Closed);
                }
                stream_started = true;
                any = false;
                KindEvent::Init
            }
            Next::Send(KindEvent::InitDone) if park_if_empty && !any => {
                let sent = send(KindEvent::InitDone).await;
                return Run::Ended(if sent { WatchEnd::Empty } else { WatchEnd::Closed });
            }
            Next::Send(ev) => {
                any |= matches!(ev, KindEvent::InitApply(_));
                ev
            }
            Next::Skip => continue,
            Next::Refused => return Run::Refused,
            Next::End(ev, end) => {
                send(ev).await;
                return Run::Ended(end);
            }
        };
        if !send(ev).await {
            return Run::Ended(WatchEnd::Closed);
        }
    }
    Run::Ended(WatchEnd::Closed)
}

/// What [`watch_with`] does with one item of the watch.
enum Next {
    Send(KindEvent),
    Skip,
    /// The server refused to stream the initial state.
    Refused,
    /// Send, then end the watch.
    End(KindEvent, WatchEnd),
}

/// The item `ev` of a watch of `kind` as a [`Next`]; `observer` sees each object first. `refusable`: a 400
/// or 422 now means the server does not stream initial state.
fn decide(
    ev: watcher::Result<watcher::Event<DynamicObject>>,
    kind: KindId,
    observer: Option<&Observer>,
    refusable: bool,
) -> Next {
    if let (Some(obs), Ok(ev)) = (observer, &ev) {
        match ev {
            watcher::Event::Init => obs.seen(kind, Seen::Init),
            watcher::Event::InitApply(o) | watcher::Event::Apply(o) => obs.seen(kind, Seen::Apply(o)),
            watcher::Event::Delete(o) => obs.seen(kind, Seen::Delete(o)),
            watcher::Event::InitDone => obs.seen(kind, Seen::InitDone),
        }
    }
    Next::Send(match ev {
        Ok(watcher::Event::Init) => KindEvent::Init,
        // Compacted here, as each object arrives: the parsed form lives only until the next line.
        Ok(watcher::Event::InitApply(o)) => KindEvent::InitApply(StoredObject::shared(kind, o)),
        Ok(watcher::Event::InitDone) => KindEvent::InitDone,
        Ok(watcher::Event::Apply(o)) => KindEvent::Apply(StoredObject::shared(kind, o)),
        Ok(watcher::Event::Delete(o)) => KindEvent::Delete(StoredObject::shared(kind, o)),
        Err(e) => match status_code(&e) {
            Some(400 | 422) if refusable => return Next::Refused,
            Some(403) => {
                let why = format!("{kind} is forbidden: {}", crate::fleet::describe(&e));
                return Next::End(KindEvent::Forbidden(why), WatchEnd::Forbidden);
            }
            Some(404) => return Next::End(KindEvent::CrdMissing, WatchEnd::Gone),
            // 410 Gone is resolved by the watcher's relist; nothing to show.
            Some(410) => return Next::Skip,
            _ => KindEvent::Error(crate::fleet::describe(&e)),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_from_v1_27_may_stream() {
        for (v, want) in [
            ("v1.37.2", true),
            ("v1.27.0", true),
            ("v1.33.4-eks-1234", true),
            ("v1.31.1+k3s1", true),
            ("v1.26.15", false),
            ("v1.20.2", false),
            ("", false),
            ("garbage", false),
        ] {
            assert_eq!(may_stream(v), want, "{v}");
        }
        assert!(!StreamingLists::new(false, "v1.37.2").enabled());
        let s = StreamingLists::new(true, "v1.37.2");
        assert!(s.enabled());
        s.refused();
        assert!(!s.enabled());
    }
}
