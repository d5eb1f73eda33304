//! One core/v1 Events watch per connected context, for the fleet pulse ([`crate::model::pulse`]): field
//! selector `type=Warning`, all namespaces, no cache of its own (a kube-runtime `watcher`, not a reflector:
//! each Event is compacted into a [`WarningEvent`] and sent to the store, which keeps a bounded, folded
//! view). Events about kinds fleetdeck does not show are dropped here. Started by `connection.rs` when
//! [`super::FleetOptions::warning_events`] is on; ends with the connected phase.
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::runtime::watcher;
use tokio::sync::mpsc;

use super::watch::{StreamingLists, status_code};
use crate::model::object_ref::ObjectRef;
use crate::model::pulse::{WarningEvent, shown_kind};
use crate::model::store::{StoreEvent, StoreMsg};

/// The field selector of the watch.
pub const SELECTOR: &str = "type=Warning";

/// A Warning Event as the pulse keeps it, or `None` when its involved object is not a kind fleetdeck shows.
/// Times fall back as `kubectl get events` reads them: first `firstTimestamp`, `eventTime`,
/// `metadata.creationTimestamp`; last `series.lastObservedTime`, `lastTimestamp`, `eventTime`, first.
pub fn compact(context: &str, e: &Event) -> Option<WarningEvent> {
    let o = &e.involved_object;
    let kind = shown_kind(o.api_version.as_deref().unwrap_or_default(), o.kind.as_deref()?)?;
    let object = ObjectRef::new(context, kind, o.namespace.as_deref().unwrap_or_default(), o.name.as_deref()?);
    let created = e.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let first = e.first_timestamp.as_ref().map(|t| t.0).or(e.event_time.as_ref().map(|t| t.0)).or(created)?;
    let series = e.series.as_ref();
    let last = series
        .and_then(|s| s.last_observed_time.as_ref().map(|t| t.0))
        .or(e.last_timestamp.as_ref().map(|t| t.0))
        .or(e.event_time.as_ref().map(|t| t.0))
        .unwrap_or(first);
    let count = series.and_then(|s| s.count).or(e.count).unwrap_or(1).max(1) as u32;
    let source = e
        .reporting_component
        .clone()
        .filter(|c| !c.is_empty())
        .or_else(|| e.source.as_ref().and_then(|s| s.component.clone()))
        .unwrap_or_default();
    Some(WarningEvent {
        object,
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        count,
        first: first.min(last),
        last: last.max(first),
        source,
        event: format!(
            "{}/{}",
            e.metadata.namespace.as_deref().unwrap_or_default(),
            e.metadata.name.as_deref().unwrap_or_default()
        ),
    })
}

/// Watches `type=Warning` Events of every namespace through `client` and sends each shown one as
/// [`StoreEvent::Warning`] for `context` (connection `generation`), retrying with kube-runtime's default
/// backoff (a 403 keeps retrying quietly: the pulse then has no Events from that context). The initial
/// Events are streamed where the server can (`sendInitialEvents`, as the kind watches do, see
/// [`super::watch::StreamingLists`]), so no whole list of Events is held at once; else listed from the watch
/// cache. Returns when the store's channel closes.
pub async fn watch_warnings(
    client: kube::Client,
    context: Arc<str>,
    generation: u64,
    streaming: Arc<StreamingLists>,
    tx: mpsc::Sender<StoreMsg>,
) {
    let api: Api<Event> = Api::all(client);
    loop {
        let stream = streaming.enabled();
        if !run(&api, stream, &context, generation, &tx).await {
            return;
        }
        // The server refused to stream the initial Events: list them, on every watch of the connection.
        streaming.refused();
    }
}

/// One watch; `false` when the channel closed, `true` when the server refused the streamed initial list.
async fn run(api: &Api<Event>, stream: bool, context: &Arc<str>, generation: u64, tx: &mpsc::Sender<StoreMsg>) -> bool {
    let config = if stream {
        watcher::Config::default().fields(SELECTOR).streaming_lists()
    } else {
        let mut c = watcher::Config::default().fields(SELECTOR).any_semantic();
        c.page_size = None;
        c
    };
    let mut events = std::pin::pin!(super::watch_stream::watch(api.clone(), config));
    let send = |event: StoreEvent| {
        let msg = StoreMsg { context: context.clone(), generation, event };
        let tx = tx.clone();
        async move { tx.send(msg).await.is_ok() }
    };
    let (mut started, mut forbidden_said) = (false, false);
    while let Some(ev) = events.next().await {
        let e = match ev {
            Ok(watcher::Event::Apply(e) | watcher::Event::InitApply(e)) => e,
            Ok(watcher::Event::Init) => {
                started = true;
                continue;
            }
            Ok(watcher::Event::InitDone) => {
                if !send(StoreEvent::WarningsListed).await {
                    return false;
                }
                continue;
            }
            Ok(_) => continue,
            Err(err) => {
                tracing::debug!(target: "fleet", "{context}: Warning Events watch: {err}");
                match status_code(&err) {
                    Some(400 | 422) if stream && !started => return true,
                    // RBAC forbids listing Events: there is nothing to wait for (the watch keeps retrying).
                    Some(403) if !forbidden_said => {
                        forbidden_said = true;
                        if !send(StoreEvent::WarningsListed).await {
                            return false;
                        }
                    }
                    _ => {}
                }
                continue;
            }
        };
        let Some(w) = compact(context, &e) else { continue };
        if !send(StoreEvent::Warning(w)).await {
            return false;
        }
    }
    false
}
