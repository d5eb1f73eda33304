//! One core/v1 Events watch per connected context, for the fleet pulse ([`crate::model::pulse`]): field
//! selector `type=Warning`, all namespaces, no cache of its own (a kube-runtime `watcher`, not a reflector:
//! each Event is compacted into a [`WarningEvent`] and sent to the store, which keeps a bounded, folded
//! view). Events about kinds fleetdeck does not show are dropped here. Started by `connection.rs` when
//! [`super::FleetOptions::warning_events`] is on; ends with the connected phase.
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Event;
use kube::Api;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;

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
/// backoff (a 403 keeps retrying quietly: the pulse then has no Events from that context). Returns when the
/// store's channel closes.
pub async fn watch_warnings(client: kube::Client, context: Arc<str>, generation: u64, tx: mpsc::Sender<StoreMsg>) {
    let api: Api<Event> = Api::all(client);
    let config = watcher::Config::default().fields(SELECTOR);
    let mut events = std::pin::pin!(watcher(api, config).default_backoff());
    let listed = |tx: &mpsc::Sender<StoreMsg>| {
        let msg = StoreMsg { context: context.clone(), generation, event: StoreEvent::WarningsListed };
        let tx = tx.clone();
        async move { tx.send(msg).await.is_ok() }
    };
    let mut forbidden_said = false;
    while let Some(ev) = events.next().await {
        let e = match ev {
            Ok(watcher::Event::Apply(e) | watcher::Event::InitApply(e)) => e,
            Ok(watcher::Event::InitDone) => {
                if !listed(&tx).await {
                    return;
                }
                continue;
            }
            Ok(_) => continue,
            Err(err) => {
                tracing::debug!(target: "fleet", "{context}: Warning Events watch: {err}");
                // RBAC forbids listing Events: there is nothing to wait for (the watch keeps retrying).
                let forbidden = matches!(&err, watcher::Error::InitialListFailed(kube::Error::Api(s)) if s.code == 403);
                if forbidden && !forbidden_said {
                    forbidden_said = true;
                    if !listed(&tx).await {
                        return;
                    }
                }
                continue;
            }
        };
        let Some(w) = compact(&context, &e) else { continue };
        let msg = StoreMsg { context: context.clone(), generation, event: StoreEvent::Warning(w) };
        if tx.send(msg).await.is_err() {
            return;
        }
    }
}
