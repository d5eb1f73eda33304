//! `FleetStore`: everything fleetdeck knows about the fleet, owned by one task and changed only by
//! [`FleetStore::apply`]ing messages from the watch tasks (no locks).
//!
//! Like kube-runtime's reflector `Writer`, a kind's objects are buffered from `Init` to `InitDone` and then
//! swapped in whole, so a relist (after a 410 Gone or a reconnect) never shows a half-filled list, and
//! objects deleted while a watch was down disappear at the swap. Messages carry the generation of the
//! connection that produced them; a message older than the context's current generation is dropped, so a
//! stale stream cannot overwrite fresh state.
//!
//! Each object is stored pruned (`managedFields` and the last-applied annotation removed) and compact, with
//! its [`Health`](super::status::Health) and list columns computed once, on arrival (see [`StoredObject`]).
use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;

use super::kinds::KindId;
pub use super::object::{LAST_APPLIED, StoredObject, prune};

/// Whether a context's API server can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ConnState {
    /// Not answered yet.
    Connecting,
    /// Answers, with valid credentials.
    Ready,
    /// No answer (connection refused, timeout, TLS or DNS failure, exec plugin failure).
    Unreachable,
    /// The server rejected the credentials (401).
    Unauthorized,
}

/// What fleetdeck knows of one kind in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum KindState {
    /// Served; the initial list is in progress.
    Syncing,
    /// The initial list is complete; watch events keep it current.
    Synced,
    /// RBAC forbids listing it (403).
    Forbidden,
    /// The cluster does not serve it (no CRD).
    CrdMissing,
    /// Listing failed for another reason (kept with the reason; the watch retries).
    Error,
}

/// Where a context came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Origin {
    /// A context of the user's kubeconfig.
    Kubeconfig,
    /// A workload cluster reached through a Cluster API `<cluster>-kubeconfig` Secret in a management
    /// cluster: named `<management>/<namespace>/<cluster>`.
    #[serde(rename_all = "camelCase")]
    Derived {
        /// The management cluster's context.
        management: String,
        /// Namespace of the CAPI Cluster.
        namespace: String,
        /// Name of the CAPI Cluster.
        cluster: String,
        /// A kubeconfig context that points at the same server; the derived context then shares its data
        /// instead of opening a second connection.
        alias_of: Option<String>,
    },
    /// A cluster of a hub's inventory, reached through a `ClusterProfile`'s access provider and the exec
    /// plugin configured for it (KEP-5339): named `<hub>/<namespace>/<name>`.
    #[serde(rename_all = "camelCase")]
    Profile {
        /// The hub's context.
        hub: String,
        /// Namespace of the ClusterProfile.
        namespace: String,
        /// Name of the ClusterProfile.
        name: String,
        /// The access provider used (empty when none is usable).
        provider: String,
        /// A context that already connects to the profile's server; the profile's context then shares its
        /// data (only its reachability through the provider is probed) instead of opening a second
        /// connection, as a CAPI-derived alias does.
        alias_of: Option<String>,
    },
}

impl Origin {
    /// What the Fleet row and `fleetdeck contexts` note about where a derived context comes from: `via mgmt
    /// Secret, same server as dev-eu`, `via hub ClusterProfile, provider secretreader`; `None` for a
    /// kubeconfig context.
    pub fn note(&self) -> Option<String> {
        let via = match self {
            Origin::Kubeconfig => return None,
            Origin::Derived { management, .. } => format!("via {management} Secret"),
            Origin::Profile { hub, provider, .. } if !provider.is_empty() => {
                format!("via {hub} ClusterProfile, provider {provider}")
            }
            Origin::Profile { hub, .. } => format!("via {hub} ClusterProfile"),
        };
        Some(match self.alias_of() {
            Some(a) => format!("{via}, same server as {a}"),
            None => via,
        })
    }

    /// The context this derived context is an alias of (it reaches the same server, so it opens no watches
    /// of its own and shows that context's data): a CAPI-derived or a ClusterProfile's context.
    pub fn alias_of(&self) -> Option<&str> {
        match self {
            Origin::Kubeconfig => None,
            Origin::Derived { alias_of, .. } | Origin::Profile { alias_of, .. } => alias_of.as_deref(),
        }
    }
}

/// How a watch fetches its initial state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InitialList {
    /// A watch with `sendInitialEvents=true` and `resourceVersionMatch=NotOlderThan`: the objects arrive one
    /// event at a time, ending with a bookmark annotated `k8s.io/initial-events-end` (KEP-3157 WatchList,
    /// beta and on by default in kube-apiserver 1.32 and from 1.34; off by default in 1.33).
    Streaming,
    /// A list (`resourceVersion=0`, from the watch cache, one response), then a watch.
    List,
}

/// One kind in one context.
#[derive(Debug, Default)]
pub struct KindEntry {
    /// Sync state; `None` until the first message about the kind.
    pub state: Option<KindState>,
    /// Why (for Forbidden / Error / CrdMissing).
    pub reason: String,
    /// When the state last changed.
    pub since: Option<Timestamp>,
    /// The API version being watched.
    pub version: String,
    /// How the last (re)list was fetched; `None` before the first.
    pub initial_list: Option<InitialList>,
    /// Objects by (namespace, name); namespace is `""` for cluster-scoped kinds.
    pub objects: BTreeMap<(String, String), Arc<StoredObject>>,
    /// Changes on every change of `objects` or `state`, so derived views recompute only what changed. Unique
    /// across the store: no two kind entries, even one created after another was removed, share a value.
    pub revision: u64,
    buffer: Option<BTreeMap<(String, String), Arc<StoredObject>>>,
}

/// One context (kubeconfig or derived).
#[derive(Debug)]
pub struct ContextEntry {
    /// Where it came from.
    pub origin: Origin,
    /// The API server URL.
    pub server: String,
    /// Connection state.
    pub state: ConnState,
    /// The reason text for the state (error message, or empty).
    pub reason: String,
    /// When the state last changed.
    pub since: Timestamp,
    /// `gitVersion` of the API server once connected.
    pub server_version: Option<String>,
    /// Per-kind state and objects.
    pub kinds: BTreeMap<KindId, KindEntry>,
    /// When the last watch event arrived (freshness).
    pub last_event: Option<Timestamp>,
    /// Kinds a Crossplane composite references that the server does not serve, `(group, kind)` -> why
    /// (the discovery error): so a trace row can say so. Replaced whole by [`StoreEvent::Unserved`].
    pub unserved: BTreeMap<(String, String), String>,
    /// Changes whenever a kind entry is added or removed, or `unserved` changes (unique across the store,
    /// like [`KindEntry::revision`]): a tree that looked for a kind not watched yet is stale then.
    pub kinds_revision: u64,
    /// The store revision ([`FleetStore::revision`]) of this context's last visible change: what is derived
    /// from the entry at this revision is current (but for what depends on the time, e.g. freshness).
    pub revision: u64,
    generation: u64,
}

/// A message from a connection or watch task.
#[derive(Debug)]
pub struct StoreMsg {
    /// The context it is about.
    pub context: Arc<str>,
    /// The generation of the connection that sent it (see the module docs).
    pub generation: u64,
    /// What happened.
    pub event: StoreEvent,
}

/// What happened, per context or per kind.
#[derive(Debug)]
pub enum StoreEvent {
    /// A context exists (sent first, by whoever creates the connection task).
    Registered { server: String, origin: Origin },
    /// The connection task is (re)connecting.
    Connecting,
    /// The server answered `/version`.
    Ready { server_version: String },
    /// No answer; the text says why.
    Unreachable(String),
    /// 401; the text says why.
    Unauthorized(String),
    /// The context is gone (e.g. a derived context whose Secret was deleted).
    Removed,
    /// The context reaches the same server with the same credentials as the named context, whose connection
    /// and data it shares: it opens no connection of its own, and reads (state, kinds, objects) resolve to
    /// that context's entry. Sent once, after `Registered`.
    SharesWith(Arc<str>),
    /// About one kind.
    Kind(KindId, KindEvent),
    /// A `Warning` Event about an object of a catalogue kind (the Events watch of `fleet/events.rs`), for
    /// the pulse.
    Warning(super::pulse::WarningEvent),
    /// The Events watch delivered its initial list (every Warning Event the server held then was sent).
    WarningsListed,
    /// The kinds Crossplane composites reference that the server does not serve, `(group, kind)` -> why:
    /// replaces the context's [`ContextEntry::unserved`].
    Unserved(BTreeMap<(String, String), String>),
}

/// Watch and discovery events for one kind, mirroring kube-runtime's `watcher::Event`.
#[derive(Debug)]
pub enum KindEvent {
    /// Discovery found the kind served at this version; a watch starts.
    Served { version: String },
    /// How the next (re)list is fetched (sent before its [`KindEvent::Init`]).
    Listing(InitialList),
    /// A (re)list begins.
    Init,
    /// An object of the (re)list, already compact (the watch task builds the [`StoredObject`], so parsing,
    /// pruning, health and columns never run on the store owner's task, and a queued message holds the
    /// compact form: about 1/7 of the parsed object).
    InitApply(Arc<StoredObject>),
    /// The (re)list is complete: swap it in.
    InitDone,
    /// fleetdeck stopped watching the kind (a Crossplane kind no XRD defines and no composite references
    /// any more): its entry and objects go.
    Unwatched,
    /// An object was added or changed (compact, as for [`KindEvent::InitApply`]).
    Apply(Arc<StoredObject>),
    /// An object was deleted (its last state, compact).
    Delete(Arc<StoredObject>),
    /// 403 on list/watch.
    Forbidden(String),
    /// Not served (no CRD, or the CRD was deleted).
    CrdMissing,
    /// Listing failed otherwise; the watch retries with backoff.
    Error(String),
}

/// The whole fleet. See the module docs.
#[derive(Debug, Default)]
pub struct FleetStore {
    contexts: BTreeMap<Arc<str>, ContextEntry>,
    /// Contexts that share another context's connection and data (see [`StoreEvent::SharesWith`]).
    shared: BTreeMap<Arc<str>, Arc<str>>,
    revision: u64,
    kind_revisions: u64,
    /// Health transitions seen and Warning Events, bounded (see [`super::pulse`]).
    pulse: super::pulse::Pulse,
}

fn stored_key(o: &StoredObject) -> (String, String) {
    (o.namespace().to_string(), o.name().to_string())
}

impl FleetStore {
    /// An empty store.
    pub fn new() -> FleetStore {
        FleetStore::default()
    }

    /// Applies one message at time `now`. Returns whether anything visible changed (the UI redraws only
    /// then). Messages for unknown contexts (other than `Registered`) and stale generations are dropped.
    pub fn apply(&mut self, msg: StoreMsg, now: Timestamp) -> bool {
        let StoreMsg { context, generation, event } = msg;
        if let StoreEvent::Registered { server, origin } = event {
            let entry = self.contexts.entry(context).or_insert_with(|| ContextEntry {
                origin: origin.clone(),
                server: server.clone(),
                state: ConnState::Connecting,
                reason: String::new(),
                since: now,
                server_version: None,
                kinds: BTreeMap::new(),
                last_event: None,
                unserved: BTreeMap::new(),
                kinds_revision: 0,
                revision: 0,
                generation,
            });
            entry.origin = origin;
            entry.server = server;
            entry.generation = entry.generation.max(generation);
            self.revision += 1;
            entry.revision = self.revision;
            return true;
        }
        if matches!(event, StoreEvent::Removed) {
            self.pulse.forget(&context);
            let removed = self.contexts.remove(&context).is_some() | self.shared.remove(&context).is_some();
            self.revision += u64::from(removed);
            return removed;
        }
        if let StoreEvent::SharesWith(with) = event {
            if with == context {
                return false;
            }
            self.contexts.remove(&context);
            self.shared.insert(context, with);
            self.revision += 1;
            return true;
        }
        let Some(entry) = self.contexts.get_mut(&context) else {
            return false;
        };
        if generation < entry.generation {
            return false;
        }
        entry.generation = generation;
        let changed = match event {
            // A retry of a context that is down keeps it shown as down (with its reason) until it answers:
            // flipping to Connecting on every backoff attempt would redraw an idle screen for nothing.
            StoreEvent::Connecting if matches!(entry.state, ConnState::Unreachable | ConnState::Unauthorized) => false,
            StoreEvent::Connecting => set_state(entry, ConnState::Connecting, String::new(), now),
            StoreEvent::Ready { server_version } => {
                let changed = entry.server_version.as_deref() != Some(&server_version);
                entry.server_version = Some(server_version);
                set_state(entry, ConnState::Ready, String::new(), now) || changed
            }
            StoreEvent::Unreachable(why) => set_state(entry, ConnState::Unreachable, why, now),
            StoreEvent::Unauthorized(why) => set_state(entry, ConnState::Unauthorized, why, now),
            StoreEvent::Warning(w) => {
                self.pulse.warning(&context, w);
                true
            }
            StoreEvent::WarningsListed => {
                self.pulse.listed(&context);
                false
            }
            StoreEvent::Unserved(unserved) => {
                let changed = entry.unserved != unserved;
                if changed {
                    entry.unserved = unserved;
                    self.kind_revisions += 1;
                    entry.kinds_revision = self.kind_revisions;
                }
                changed
            }
            StoreEvent::Kind(kind, KindEvent::Unwatched) => {
                let removed = entry.kinds.remove(&kind).is_some();
                if removed {
                    self.kind_revisions += 1;
                    entry.kinds_revision = self.kind_revisions;
                }
                removed
            }
            StoreEvent::Kind(kind, ev) => {
                let is_object_event = matches!(
                    ev,
                    KindEvent::Apply(_) | KindEvent::Delete(_) | KindEvent::InitApply(_) | KindEvent::InitDone
                );
                if is_object_event {
                    entry.last_event = Some(now);
                }
                if !entry.kinds.contains_key(&kind) {
                    self.kind_revisions += 1;
                    entry.kinds_revision = self.kind_revisions;
                }
                let k = entry.kinds.entry(kind).or_default();
                let before = k.revision;
                let transitions = transitions(&context, kind, k, &ev, now);
                let changed = apply_kind(k, ev, now);
                for t in transitions {
                    self.pulse.transition(t);
                }
                if k.revision != before {
                    // Unique across the store, so a kind entry created after another was removed never
                    // repeats a revision a cache may hold.
                    self.kind_revisions += 1;
                    k.revision = self.kind_revisions;
                }
                changed
            }
            StoreEvent::Registered { .. } | StoreEvent::Removed | StoreEvent::SharesWith(_) => false,
        };
        if changed {
            self.revision += 1;
            if let Some(e) = self.contexts.get_mut(&context) {
                e.revision = self.revision;
            }
        }
        changed
    }

    /// Health transitions seen since the store began, and the Warning Events of every context.
    pub fn pulse(&self) -> &super::pulse::Pulse {
        &self.pulse
    }

    /// Bumped on every visible change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Every context, by name: those with their own connection first, then those sharing one (see
    /// [`StoreEvent::SharesWith`]; they yield the entry of the context they share with).
    pub fn contexts(&self) -> impl Iterator<Item = (&str, &ContextEntry)> {
        let own = self.contexts.iter().map(|(k, v)| (k.as_ref(), v));
        own.chain(self.shared.iter().filter_map(|(k, with)| Some((k.as_ref(), self.contexts.get(with)?))))
    }

    /// One context (for a context sharing another's connection, that context's entry).
    pub fn context(&self, name: &str) -> Option<&ContextEntry> {
        match self.shared.get(name) {
            Some(with) => self.contexts.get(with),
            None => self.contexts.get(name),
        }
    }

    /// The context whose connection `name` shares, if it shares one.
    pub fn shares_with(&self, name: &str) -> Option<&str> {
        self.shared.get(name).map(AsRef::as_ref)
    }

    /// The objects of `kind` in `context` (empty when unknown).
    pub fn objects(&self, context: &str, kind: KindId) -> impl Iterator<Item = &Arc<StoredObject>> {
        self.context(context).and_then(|c| c.kinds.get(&kind)).into_iter().flat_map(|k| k.objects.values())
    }

    /// One object of `kind` in `context` (`namespace` is `""` for cluster-scoped kinds).
    pub fn get(&self, context: &str, kind: KindId, namespace: &str, name: &str) -> Option<&Arc<StoredObject>> {
        self.context(context)?.kinds.get(&kind)?.objects.get(&(namespace.to_string(), name.to_string()))
    }

    /// Number of objects stored, over the whole fleet.
    pub fn len(&self) -> usize {
        self.contexts.values().flat_map(|c| c.kinds.values()).map(|k| k.objects.len()).sum()
    }

    /// Whether the store holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn set_state(entry: &mut ContextEntry, state: ConnState, reason: String, now: Timestamp) -> bool {
    if entry.state == state && entry.reason == reason {
        return false;
    }
    if entry.state != state {
        entry.since = now;
    }
    entry.state = state;
    entry.reason = reason;
    true
}

fn set_kind_state(k: &mut KindEntry, state: KindState, reason: String, now: Timestamp) -> bool {
    if k.state == Some(state) && k.reason == reason {
        return false;
    }
    if k.state != Some(state) {
        k.since = Some(now);
    }
    k.state = Some(state);
    k.reason = reason;
    k.revision += 1;
    true
}

/// The health transitions `ev` makes in a kind that was synced: a changed object whose state differs from
/// what the store held, or (a relist swapped in) each object whose state differs from the old list's.
/// Objects first seen are not transitions.
fn transitions(
    context: &str,
    kind: KindId,
    k: &KindEntry,
    ev: &KindEvent,
    now: Timestamp,
) -> Vec<super::pulse::Transition> {
    if k.state != Some(KindState::Synced) {
        return Vec::new();
    }
    let changed = |old: &StoredObject, new: &StoredObject| {
        (old.health.state != new.health.state).then(|| super::pulse::Transition {
            at: now,
            object: super::object_ref::ObjectRef::new(context, kind, new.namespace(), new.name()),
            from: old.health.state,
            to: new.health.state,
            reason: new.health.reason.clone(),
            message: new.health.message.clone(),
        })
    };
    match ev {
        KindEvent::Apply(new) => {
            k.objects.get(&stored_key(new)).and_then(|old| changed(old, new)).into_iter().collect()
        }
        KindEvent::InitDone => {
            k.buffer.iter().flatten().filter_map(|(key, new)| changed(k.objects.get(key)?, new)).collect()
        }
        _ => Vec::new(),
    }
}

fn apply_kind(k: &mut KindEntry, ev: KindEvent, now: Timestamp) -> bool {
    match ev {
        KindEvent::Served { version } => {
            k.version = version;
            if matches!(k.state, Some(KindState::Synced)) {
                return false;
            }
            set_kind_state(k, KindState::Syncing, String::new(), now)
        }
        KindEvent::Listing(how) => {
            k.initial_list = Some(how);
            false
        }
        KindEvent::Init => {
            k.buffer = Some(BTreeMap::new());
            if k.state == Some(KindState::Synced) {
                // A relist (410 Gone, reconnect): keep showing the old list until the new one is complete.
                return false;
            }
            set_kind_state(k, KindState::Syncing, String::new(), now)
        }
        KindEvent::InitApply(o) => {
            let key = stored_key(&o);
            k.buffer.get_or_insert_with(BTreeMap::new).insert(key, o);
            false
        }
        KindEvent::InitDone => {
            k.objects = k.buffer.take().unwrap_or_default();
            k.revision += 1;
            set_kind_state(k, KindState::Synced, String::new(), now);
            true
        }
        KindEvent::Apply(o) => {
            k.objects.insert(stored_key(&o), o);
            k.revision += 1;
            if k.state != Some(KindState::Synced) && k.buffer.is_none() {
                set_kind_state(k, KindState::Synced, String::new(), now);
            }
            true
        }
        KindEvent::Delete(obj) => {
            let removed = k.objects.remove(&stored_key(&obj)).is_some();
            k.revision += u64::from(removed);
            removed
        }
        KindEvent::Forbidden(why) => {
            k.buffer = None;
            k.objects.clear();
            set_kind_state(k, KindState::Forbidden, why, now)
        }
        KindEvent::CrdMissing => {
            k.buffer = None;
            k.objects.clear();
            set_kind_state(k, KindState::CrdMissing, "the cluster does not serve this kind".into(), now)
        }
        KindEvent::Error(why) => {
            // Keep the last good list: a transient error should not blank the screen.
            set_kind_state(k, KindState::Error, why, now)
        }
        // Handled by `FleetStore::apply` (the entry goes).
        KindEvent::Unwatched => false,
    }
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
