//! The kinds a connection watches because of what it found: Crossplane's composite (XR) and claim kinds,
//! which the cluster's XRDs define, and the managed-resource (MR) kinds that some claim or XR references.
//!
//! A cluster with provider-aws installed serves ~900 MR kinds; opening a watch per CRD would cost ~900
//! streams per context. fleetdeck watches only the kinds something points at:
//! - the XRD watch (a catalogue kind) and the watch of each XR and claim kind carry an [`Observer`]: as each
//!   object arrives (before it is compacted), [`Wanted`] records the kinds it asks for
//!   ([`crate::model::crossplane::wanted_by_definition`] / [`crate::model::crossplane::wanted_by_references`]),
//!   mirroring the watch's relists so deleted objects stop asking;
//! - the connection task ([`super::connection`]) wakes when the wanted set changed ([`Wanted::changed`]) and on
//!   each rediscovery, and [`Watches::reconcile`] resolves each new kind through discovery (its plural and
//!   scope: one request per group-version, [`super::served`]), gives it a [`KindId`] ([`KindId::dynamic`]),
//!   starts its watch, and stops the watches of kinds nothing asks for any more (the store drops them:
//!   [`KindEvent::Unwatched`]). Kinds the server does not serve are reported as
//!   [`StoreEvent::Unserved`], so a trace row can say so; they are asked again at each rediscovery.
//!
//! Everything here lives for one connected phase; a reconnection starts from the XRDs again.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use kube::api::DynamicObject;
use kube::core::GroupVersionKind;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use super::watch::{self, StreamingLists, WatchEnd};
use crate::model::crossplane::{self, Wanted as Want};
use crate::model::kinds::{Dynamic, KindId};
use crate::model::store::{KindEvent, StoreEvent, StoreMsg};

/// Reads the kinds one object asks to watch.
pub type Reader = fn(&DynamicObject) -> Vec<Want>;

/// What a watch tells [`Wanted`] about its objects, mirroring kube-runtime's watcher events.
#[derive(Debug)]
pub enum Seen<'a> {
    /// A (re)list begins.
    Init,
    /// An object of the (re)list, or added or changed.
    Apply(&'a DynamicObject),
    /// An object was deleted.
    Delete(&'a DynamicObject),
    /// The (re)list is complete.
    InitDone,
}

type ObjectKey = (String, String);

#[derive(Default)]
struct Source {
    live: BTreeMap<ObjectKey, Vec<Want>>,
    relist: Option<BTreeMap<ObjectKey, Vec<Want>>>,
}

/// The kinds the objects of one connected phase ask to watch, by the watch (kind) that saw each object.
/// Shared by the watch tasks (writers) and the connection task (reader).
#[derive(Default)]
pub struct Wanted {
    sources: Mutex<BTreeMap<KindId, Source>>,
    changed: Notify,
}

fn key(o: &DynamicObject) -> ObjectKey {
    (o.metadata.namespace.clone().unwrap_or_default(), o.metadata.name.clone().unwrap_or_default())
}

impl Wanted {
    /// An empty set, shared.
    pub fn new() -> Arc<Wanted> {
        Arc::new(Wanted::default())
    }

    /// Records what the watch of `source` saw; wakes [`Wanted::changed`] when the kinds an object asks for
    /// changed (or a relist completed).
    pub fn observe(&self, source: KindId, read: Reader, seen: Seen<'_>) {
        let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        let s = sources.entry(source).or_default();
        let changed = match seen {
            Seen::Init => {
                s.relist = Some(BTreeMap::new());
                false
            }
            Seen::Apply(o) => {
                let wants = read(o);
                match s.relist.as_mut() {
                    Some(relist) => {
                        relist.insert(key(o), wants);
                        false
                    }
                    None => s.live.insert(key(o), wants.clone()).is_none_or(|old| old != wants),
                }
            }
            Seen::Delete(o) => s.live.remove(&key(o)).is_some_and(|old| !old.is_empty()),
            Seen::InitDone => {
                s.live = s.relist.take().unwrap_or_default();
                true
            }
        };
        drop(sources);
        if changed {
            self.changed.notify_one();
        }
    }

    /// Forgets what the watch of `source` saw (it stopped).
    pub fn forget(&self, source: KindId) {
        let removed = self.sources.lock().unwrap_or_else(|e| e.into_inner()).remove(&source).is_some();
        if removed {
            self.changed.notify_one();
        }
    }

    /// Every kind asked for, `(group, kind) -> (version, role)`: a kind an XRD defines keeps the XRD's
    /// version and role; otherwise the first reference's version (in kind and object order) wins.
    pub fn snapshot(&self) -> BTreeMap<(String, String), (String, Dynamic)> {
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: BTreeMap<(String, String), (String, Dynamic)> = BTreeMap::new();
        for (group, version, kind, role) in sources.values().flat_map(|s| s.live.values()).flatten() {
            let slot = out.entry((group.clone(), kind.clone())).or_insert_with(|| (version.clone(), *role));
            if *role > slot.1 {
                *slot = (version.clone(), *role);
            }
        }
        out
    }

    /// Resolves when the set may have changed since the last call (at once if it changed meanwhile).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// A watch's link to [`Wanted`]: which objects it reports and how to read what they ask for.
#[derive(Clone)]
pub struct Observer {
    /// The phase's wanted set.
    pub wanted: Arc<Wanted>,
    /// What an object asks for.
    pub read: Reader,
}

impl Observer {
    /// The observer of an XRD watch (its objects ask for their XR and claim kinds).
    pub fn definitions(wanted: &Arc<Wanted>) -> Observer {
        Observer { wanted: wanted.clone(), read: crossplane::wanted_by_definition }
    }

    /// The observer of an XR or claim watch (its objects ask for the kinds they reference).
    pub fn references(wanted: &Arc<Wanted>) -> Observer {
        Observer { wanted: wanted.clone(), read: crossplane::wanted_by_references }
    }

    /// Reports what the watch of `kind` saw.
    pub fn seen(&self, kind: KindId, seen: Seen<'_>) {
        self.wanted.observe(kind, self.read, seen);
    }
}

/// A kind as discovery answered: its plural and whether it is namespaced, or why it is not served.
type Resolved = Result<(String, bool), String>;

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

    /// How many dynamic kinds are watched now.
    pub fn len(&self) -> usize {
        self.watches.values().filter(|(_, s)| matches!(s, State::Running { .. })).count()
    }

    /// Whether no dynamic kind is watched.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let ask: Vec<GroupVersionKind> = wanted
            .iter()
            .filter(|((g, k), (v, _))| !self.resolved.contains_key(&(g.clone(), v.clone(), k.clone())))
            .map(|((g, k), (v, _))| GroupVersionKind::gvk(g, v, k))
            .collect();
        if !ask.is_empty() {
            for (gvk, served) in super::served::served(phase.client, ask).await {
                self.resolved.insert(gvk, served.map(|(ar, namespaced)| (ar.plural, namespaced)));
            }
        }
        let mut unserved = BTreeMap::new();
        for ((group, kind), (version, role)) in &wanted {
            let plural_scope = self.resolved.get(&(group.clone(), version.clone(), kind.clone()));
            let (plural, namespaced) = match plural_scope {
                Some(Ok(p)) => p.clone(),
                Some(Err(why)) => {
                    unserved.insert((group.clone(), kind.clone()), why.clone());
                    continue;
                }
                None => continue,
            };
            let Some(id) = KindId::dynamic(group, kind, &plural, namespaced, *role) else {
                let why =
                    format!("not watched: more than {} kinds found at run time", crate::model::kinds::DYNAMIC_CAPACITY);
                unserved.insert((group.clone(), kind.clone()), why);
                continue;
            };
            let role = id.dynamic_role().unwrap_or(*role);
            match self.watches.get_mut(&id) {
                Some((_, State::Running { handle, version: v, role: r })) if !handle.is_finished() => {
                    if v == version && *r == role {
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
                        self.resolved.remove(&(group.clone(), version.clone(), kind.clone()));
                        self.watches.remove(&id);
                        continue;
                    }
                }
                Some((_, State::Forbidden(at))) if at.elapsed() < watch::FORBIDDEN_RETRY => continue,
                _ => {}
            }
            send(StoreEvent::Kind(id, KindEvent::Served { version: version.clone() })).await?;
            let observer =
                matches!(role, Dynamic::Composite | Dynamic::Claim).then(|| Observer::references(&self.wanted));
            let handle = tokio::spawn(watch::watch_kind(
                phase.client.clone(),
                phase.context.clone(),
                phase.generation,
                id,
                version.clone(),
                phase.streaming.clone(),
                phase.tx.clone(),
                observer,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn xr(name: &str, refs: &[(&str, &str)]) -> DynamicObject {
        let refs: Vec<_> =
            refs.iter().map(|(av, k)| json!({"apiVersion": av, "kind": k, "name": format!("{name}-x")})).collect();
        serde_json::from_value(json!({"apiVersion": "example.org/v1", "kind": "XDb", "metadata": {"name": name},
            "spec": {"resourceRefs": refs}}))
        .expect("object")
    }

    #[test]
    fn the_wanted_set_follows_objects_and_relists() {
        let wanted = Wanted::new();
        let source = KindId::dynamic("example.org", "XDbForTest", "xdbfortests", false, Dynamic::Composite).unwrap();
        let obs = Observer::references(&wanted);
        let a = xr("a", &[("rds.aws.upbound.io/v1beta1", "Instance")]);
        let b = xr("b", &[("s3.aws.upbound.io/v1beta1", "Bucket"), ("rds.aws.upbound.io/v1beta1", "Instance")]);
        obs.seen(source, Seen::Init);
        obs.seen(source, Seen::Apply(&a));
        assert!(wanted.snapshot().is_empty(), "nothing counts before the list is complete");
        obs.seen(source, Seen::InitDone);
        assert_eq!(wanted.snapshot().len(), 1);
        obs.seen(source, Seen::Apply(&b));
        let kinds: Vec<_> = wanted.snapshot().into_keys().map(|(_, k)| k).collect();
        assert_eq!(kinds, ["Instance", "Bucket"], "by group: rds.aws... before s3.aws...");
        obs.seen(source, Seen::Delete(&b));
        assert_eq!(wanted.snapshot().len(), 1);
        // A relist without `a`: it stops asking.
        obs.seen(source, Seen::Init);
        obs.seen(source, Seen::InitDone);
        assert!(wanted.snapshot().is_empty());
        obs.seen(source, Seen::Apply(&a));
        wanted.forget(source);
        assert!(wanted.snapshot().is_empty());
    }

    #[test]
    fn a_kind_an_xrd_defines_keeps_its_role_and_version() {
        let wanted = Wanted::new();
        let xrd: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xnets.example.org"},
            "spec": {"group": "example.org", "names": {"kind": "XNet", "plural": "xnets"},
                "versions": [{"name": "v2", "served": true, "referenceable": true}]}}))
        .expect("xrd");
        let parent = xr("p", &[("example.org/v1", "XNet")]);
        Observer::definitions(&wanted).seen(KindId::XRD, Seen::Apply(&xrd));
        let source = KindId::dynamic("example.org", "XDbForTest2", "xdbfortest2s", false, Dynamic::Composite).unwrap();
        Observer::references(&wanted).seen(source, Seen::Apply(&parent));
        let snap = wanted.snapshot();
        assert_eq!(snap.get(&("example.org".into(), "XNet".into())), Some(&("v2".to_string(), Dynamic::Composite)));
    }
}
