//! The kinds a connection watches because of what it found: Crossplane's composite (XR) and claim kinds,
//! which the cluster's XRDs define, and the managed-resource (MR) kinds that some claim or XR references.
//!
//! A cluster with provider-aws installed serves ~900 MR kinds; opening a watch per CRD would cost ~900
//! streams per context. fleetdeck watches only the kinds something points at:
//! - the XRD watch (a catalogue kind) and the watch of each XR and claim kind carry an [`Observer`]: as each
//!   object arrives, [`Wanted`] records the kinds it asks for ([`super::wanted`]);
//! - the connection task ([`super::connection`]) wakes when the wanted set changed ([`Wanted::changed`]) and on
//!   each rediscovery, and [`Watches::reconcile`] resolves each new kind through discovery (its plural and
//!   scope: one request per group-version, [`super::served`]), gives it a [`KindId`] ([`KindId::dynamic`]),
//!   starts its watch, and stops the watches of kinds nothing asks for any more (the store drops them:
//!   [`KindEvent::Unwatched`]). Kinds the server does not serve are reported as
//!   [`StoreEvent::Unserved`], so a trace row can say so; they are asked again at each rediscovery.
//!
//! Everything here lives for one connected phase; a reconnection starts from the XRDs again.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use kube::core::GroupVersionKind;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::wanted::{Observer, Wanted};
use super::watch::{self, StreamingLists, WatchEnd};
use crate::model::kinds::{Dynamic, Family, KindId};
use crate::model::store::{KindEvent, StoreEvent, StoreMsg};

/// A kind as discovery answered: its plural and whether it is namespaced, or why it is not served.
/// (plural, namespaced, version, kind): the version is the one asked for, or the kind's most stable served
/// one for a reference that names only a group (a Cluster API v1beta2 `apiGroup` reference, a kind the
/// operator asked for); the kind is the server's spelling (the operator may have named the plural).
type Resolved = Result<(String, bool, String, String), String>;

/// A dynamic kind's watch.
enum State {
    Running {
        handle: JoinHandle<WatchEnd>,
        version: String,
        role: Dynamic,
    },
    /// RBAC forbade it at this instant; asked again after [`watch::FORBIDDEN_RETRY`].
    Forbidden(Instant),
}

/// Where [`Watches::reconcile`] sends and what it starts watches with: one connected phase's client,
/// identity and channel.
pub struct Phase<'a> {
    /// The phase's client.
    pub client: &'a kube::Client,
    /// The context's name.
    pub context: &'a Arc<str>,
    /// The phase's generation.
    pub generation: u64,
    /// Whether the connection streams initial lists.
    pub streaming: &'a Arc<StreamingLists>,
    /// The store's channel.
    pub tx: &'a mpsc::Sender<StoreMsg>,
}

/// The dynamic kinds' watches of one connected phase. Dropping it does not stop them: the connection's
/// `AbortOnDrop` holds every task it spawns.
pub struct Watches {
    wanted: Arc<Wanted>,
    watches: HashMap<KindId, ((String, String), State)>,
    /// Discovery answers of this phase, `(group, version, kind)` -> (plural, namespaced) or why not served.
    resolved: HashMap<(String, String, String), Resolved>,
    unserved: BTreeMap<(String, String), String>,
}

impl Watches {
    /// No dynamic watch yet, reading `wanted`.
    pub fn new(wanted: Arc<Wanted>) -> Watches {
        Watches { wanted, watches: HashMap::new(), resolved: HashMap::new(), unserved: BTreeMap::new() }
    }

    /// Brings the watches in line with [`Wanted::snapshot`]: resolves new kinds (and, when `retry`, those
    /// found unserved before), starts their watches, restarts ended ones, stops the unwanted, and reports
    /// the unserved. `spawned` holds the new tasks. `Err` when the store's channel is closed.
    pub async fn reconcile(
        &mut self,
        phase: &Phase<'_>,
        spawned: &mut super::AbortOnDrop,
        retry: bool,
    ) -> Result<(), ()> {
        let send = |event: StoreEvent| async move {
            let msg = StoreMsg { context: phase.context.clone(), generation: phase.generation, event };
            phase.tx.send(msg).await.map_err(|_| ())
        };
        let wanted = self.wanted.snapshot();
        // Stop what nothing asks for.
        let gone: Vec<KindId> =
            self.watches.iter().filter(|(_, (gk, _))| !wanted.contains_key(gk)).map(|(id, _)| *id).collect();
        for id in gone {
            if let Some((_, State::Running { handle, .. })) = self.watches.remove(&id) {
                handle.abort();
            }
            self.wanted.forget(id);
            send(StoreEvent::Kind(id, KindEvent::Unwatched)).await?;
        }
        // Resolve what is new (or was unserved, on a retry).
        if retry {
            self.resolved.retain(|_, r| r.is_ok());
        }
        let new: Vec<(&String, &String, &String)> = wanted
            .iter()
            .filter(|((g, k), (v, _))| !self.resolved.contains_key(&(g.clone(), v.clone(), k.clone())))
            .map(|((g, k), (v, _))| (g, v, k))
            .collect();
        let ask: Vec<GroupVersionKind> =
            new.iter().filter(|(_, v, _)| !v.is_empty()).map(|(g, v, k)| GroupVersionKind::gvk(g, v, k)).collect();
        if !ask.is_empty() {
            for (gvk, served) in super::served::served(phase.client, ask).await {
                let version = gvk.1.clone();
                self.resolved.insert(gvk, served.map(|(ar, namespaced)| (ar.plural, namespaced, version, ar.kind)));
            }
        }
        // Group-only references: the server's recommended version of the kind (one request per group).
        for (g, _, k) in new.iter().filter(|(_, v, _)| v.is_empty()) {
            let found = match kube::discovery::group(phase.client, g).await {
                // A kind asked for by the operator may be named by its plural (`buckets.s3...`).
                Ok(group) => super::served::most_stable(&group, k)
                    .map(|(ar, caps)| {
                        (ar.plural, caps.scope == kube::discovery::Scope::Namespaced, ar.version, ar.kind)
                    })
                    .ok_or_else(|| format!("the server serves no {k} in {g}")),
                Err(e) => Err(format!("discovering {g}: {}", super::describe(&e))),
            };
            self.resolved.insert(((*g).clone(), String::new(), (*k).clone()), found);
        }
        let mut unserved = BTreeMap::new();
        for ((group, kind), (version, role)) in &wanted {
            let plural_scope = self.resolved.get(&(group.clone(), version.clone(), kind.clone()));
            let (plural, namespaced, version, server_kind) = match plural_scope {
                Some(Ok(p)) => p.clone(),
                Some(Err(why)) => {
                    unserved.insert((group.clone(), kind.clone()), why.clone());
                    continue;
                }
                None => continue,
            };
            let family = if group.ends_with("cluster.x-k8s.io") { Family::ClusterApi } else { Family::Crossplane };
            let Some(id) = KindId::dynamic_in(family, group, &server_kind, &plural, namespaced, *role) else {
                let why =
                    format!("not watched: more than {} kinds found at run time", crate::model::kinds::DYNAMIC_CAPACITY);
                unserved.insert((group.clone(), kind.clone()), why);
                continue;
            };
            let role = id.dynamic_role().unwrap_or(*role);
            match self.watches.get_mut(&id) {
                Some((_, State::Running { handle, version: v, role: r })) if !handle.is_finished() => {
                    if *v == version && *r == role {
                        continue;
                    }
                    handle.abort();
                }
                Some((_, State::Running { handle, .. })) => {
                    let end = handle.await.unwrap_or(WatchEnd::Closed);
                    self.wanted.forget(id);
                    if end == WatchEnd::Forbidden {
                        self.watches.insert(id, ((group.clone(), kind.clone()), State::Forbidden(Instant::now())));
                        continue;
                    }
                    if end == WatchEnd::Gone {
                        // Resolved again on the next retry; reported missing by the watch meanwhile.
                        self.resolved.retain(|(g, _, k), _| !(g == group && k == kind));
                        self.watches.remove(&id);
                        continue;
                    }
                }
                Some((_, State::Forbidden(at))) if at.elapsed() < watch::FORBIDDEN_RETRY => continue,
                _ => {}
            }
            send(StoreEvent::Kind(id, KindEvent::Served { version: version.clone() })).await?;
            let observer = Observer::of(id, &self.wanted);
            let handle = tokio::spawn(watch::watch_kind(
                phase.client.clone(),
                phase.context.clone(),
                phase.generation,
                id,
                version.clone(),
                phase.streaming.clone(),
                phase.tx.clone(),
                observer,
                watch::SummaryOnly::default(),
            ));
            spawned.hold(&handle);
            let state = State::Running { handle, version: version.clone(), role };
            self.watches.insert(id, ((group.clone(), kind.clone()), state));
        }
        if unserved != self.unserved {
            self.unserved = unserved.clone();
            send(StoreEvent::Unserved(unserved)).await?;
        }
        Ok(())
    }
}
