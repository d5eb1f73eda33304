//! The live fleet: every context connected in the background, watches feeding one [`FleetStore`] through a
//! bounded channel.
//!
//! [`Fleet::start`] spawns one task per context ([`connection`]); each discovers the catalogue kinds its
//! server serves ([`watch::discover`]), runs a kube-runtime watcher per kind ([`watch::watch_kind`]), keeps
//! probing, and reconnects with backoff. Management clusters add derived contexts from their CAPI kubeconfig
//! Secrets: a connection that finds CAPI Clusters served reports it to the [`supervisor`], which runs
//! [`lineage`] on it and a task per workload target lineage reports. Nothing here touches the store: the
//! owner of the receiving end applies the messages ([`FleetStore::apply`]), so the UI task never waits on
//! the network.
//!
//! [`FleetStore`]: crate::model::store::FleetStore
//! [`FleetStore::apply`]: crate::model::store::FleetStore::apply
pub mod connection;
pub mod decode;
pub mod demand;
pub mod dynamic;
pub mod events;
pub mod exec;
pub mod inventory;
pub mod kubeconfig;
pub mod lineage;
pub mod profiles;
pub mod reached;
pub mod served;
pub mod supervisor;
pub mod transport;
pub mod wanted;
pub mod watch;
pub mod watch_stream;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::model::store::{Origin, StoreEvent, StoreMsg};
use connection::Target;
use kubeconfig::LoadedKubeconfig;
use supervisor::Supervisor;

/// Capacity of the channel from the watch tasks to the store's owner.
pub const CHANNEL_CAPACITY: usize = 4096;

/// Timeouts and periods of the connection tasks.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// How long a server may take to answer `/version` (and to accept a TCP connection). Default 3 s.
    pub connect_timeout: Duration,
    /// How long an exec credential plugin may run. Default 10 s.
    pub exec_timeout: Duration,
    /// How often a connected context is probed. Default 5 s (6 times that on a fleet following a demand:
    /// [`connection::LARGE_FLEET_PROBE_FACTOR`]).
    pub probe_every: Duration,
    /// How often served kinds are rediscovered (CRDs that appear or vanish). Default 10 s.
    pub rediscover_every: Duration,
    /// Longest wait between reconnection attempts. Default 30 s.
    pub max_backoff: Duration,
    /// Follow CAPI kubeconfig Secrets to workload clusters. Default on.
    pub lineage: bool,
    /// Let contexts with the same cluster and user entries (server, CA, TLS settings, credentials, exec
    /// plugin, impersonation) share one connection: they see the same objects. Default on.
    pub share_connections: bool,
    /// Stream each kind's initial state where the server supports it (WatchList), else list it; off: always
    /// list (the fallback path, for comparison). Default on. See [`watch::StreamingLists`].
    pub streaming_lists: bool,
    /// The catalogue kinds to discover and watch; the others are neither asked for nor shown. Default: all.
    /// Headless commands watch only what their answer reads (e.g. `contexts`:
    /// [`crate::model::summary::kinds`]), which is most of their time and memory on a big fleet.
    pub kinds: crate::model::kinds::KindSet,
    /// Watch each connected context's `Warning` Events for the pulse ([`events`]). Default off (the cockpit
    /// and `fleetdeck pulse` turn it on).
    pub warning_events: bool,
    /// Kinds the operator asked to watch wherever they are served, though nothing references them (a managed
    /// resource kind no composite uses, a provider's kind): `plural.group` or `Kind.group`, e.g.
    /// `buckets.s3.aws.upbound.io` (`--watch-kind`). Found through discovery like the referenced kinds
    /// ([`dynamic`]); one the server does not serve is reported unserved. Default none.
    pub watch_kinds: Vec<String>,
    /// What the consumer asks each context to watch beyond its summary kinds, on a fleet of more than
    /// [`FleetOptions::full_watch_limit`] contexts (the cockpit publishes it; see [`demand`]). `None` (the
    /// headless commands): every context watches all of [`FleetOptions::kinds`].
    pub demand: Option<demand::Demand>,
    /// Up to this many kubeconfig contexts, every context watches all of [`FleetOptions::kinds`] even with a
    /// [`FleetOptions::demand`]; above it, the plan of [`demand`] applies. Default 100.
    pub full_watch_limit: usize,
    /// How many contexts may be connecting at once (building a client with its exec plugin, until the TCP +
    /// TLS handshake of the `/version` probe completes, for at most [`connection::PERMIT_HOLD`]): a bound on the
    /// TLS handshakes and plugin processes of a start-up storm. Default 256 (measured at 1,000 contexts with
    /// [`FleetOptions::max_syncing`] 512: the last hung context starts its timeout 0.5-0.7 s in, against
    /// 0.8-1.7 s with 128; exec plugins have their own bound, [`exec::MAX_CONCURRENT`]).
    pub max_connecting: usize,
    /// On a fleet following a demand ([`demand`]), how many summary watches may be receiving their initial
    /// state at once; the others wait their turn before their first request (in the order their contexts
    /// connected). What the demand asks for (a context the operator opens) never waits. A bound on the work
    /// queued in the runtime during a start-up storm: without it the ~10,000 first lists of a thousand
    /// contexts kept every task seconds behind (probes' timers fired up to 2 s late, TLS handshakes took up
    /// to 6 s). Default 512 (about 43 contexts' 12 summary kinds; measured at 1,000 contexts in
    /// `benches/fleet_scale.rs`: 256, 512 and 1,024 all bring the handshakes under 1 s, 2,048 does not).
    pub max_syncing: usize,
    /// On a fleet following a demand ([`demand`]), a summary kind the demand does not ask of a context and
    /// that holds no object once synced is not kept watched (its watch ends; the store keeps it synced and
    /// empty): the context lists it again (one object, metadata only) every `empty_recheck` and watches it
    /// once it holds one. A kind the demand asks for is watched at once. Default 5 min: on the demo's 1,000
    /// contexts, 5 of 12 summary kinds are empty (4,530 watches, ~20 MB of heap), and the re-lists cost the
    /// API servers 15 requests/s; what is lost is a kind's first object showing up to this late.
    pub empty_recheck: Duration,
    /// The credential providers for hubs' ClusterProfiles (KEP-5339; `cluster_profile_providers` in
    /// `config.yaml`): each profile of a connected hub becomes a derived context reached through the first of
    /// these it offers ([`profiles`]). [`Fleet::start`] appends those the kubeconfig configures
    /// ([`profiles::KUBECONFIG_EXTENSION`]) under names not given here. Default none (profiles then say
    /// that no provider is configured).
    pub profile_providers: Vec<profiles::ProfileProvider>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            connect_timeout: Duration::from_secs(3),
            exec_timeout: exec::DEFAULT_TIMEOUT,
            probe_every: Duration::from_secs(5),
            rediscover_every: Duration::from_secs(10),
            max_backoff: Duration::from_secs(30),
            lineage: true,
            share_connections: true,
            streaming_lists: true,
            kinds: crate::model::kinds::KindSet::ALL,
            warning_events: false,
            watch_kinds: Vec::new(),
            demand: None,
            full_watch_limit: 100,
            max_connecting: 256,
            max_syncing: 512,
            empty_recheck: Duration::from_secs(300),
            profile_providers: Vec::new(),
        }
    }
}

/// Catalogue kinds a server serves, with the version watched.
pub type Served = std::collections::BTreeMap<crate::model::kinds::KindId, String>;

/// What the connection tasks share: which server URL belongs to which context (so the supervisor can tell
/// an alias), which contexts came from the kubeconfig, the generation counter, the bound on contexts
/// connecting at once, and whether the fleet follows a demand.
#[derive(Debug)]
pub struct Registry {
    /// Permits for connecting ([`FleetOptions::max_connecting`]).
    pub connecting: tokio::sync::Semaphore,
    /// The demand the contexts follow, when the fleet is larger than [`FleetOptions::full_watch_limit`].
    pub demand: Option<demand::Demand>,
    /// Slots for summary watches receiving their initial state ([`FleetOptions::max_syncing`]), when the
    /// fleet follows a demand.
    pub syncing: Option<Arc<tokio::sync::Semaphore>>,
    servers: Mutex<HashMap<String, String>>,
    /// Discovery results by server URL, shared by contexts that reach the same server (users, aliases).
    discovery: Mutex<HashMap<String, (std::time::Instant, Served)>>,
    kubeconfig_contexts: Mutex<HashSet<String>>,
    generation: AtomicU64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new(&FleetOptions::default(), 0)
    }
}

impl Registry {
    /// A registry for a fleet of `contexts` kubeconfig contexts started with `opts`.
    pub fn new(opts: &FleetOptions, contexts: usize) -> Registry {
        let demand = opts.demand.clone().filter(|_| contexts > opts.full_watch_limit);
        Registry {
            connecting: tokio::sync::Semaphore::new(opts.max_connecting.max(1)),
            syncing: demand.as_ref().map(|_| Arc::new(tokio::sync::Semaphore::new(opts.max_syncing.max(1)))),
            demand,
            servers: Mutex::default(),
            discovery: Mutex::default(),
            kubeconfig_contexts: Mutex::default(),
            generation: AtomicU64::default(),
        }
    }

    /// A fresh, strictly increasing generation.
    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::Relaxed) + 1
    }
    /// Records that `context` connects to `server`.
    pub fn add_server(&self, server: &str, context: &str) {
        if let Ok(mut m) = self.servers.lock() {
            m.entry(normalize(server)).or_insert_with(|| context.to_string());
        }
    }
    /// Forgets the servers `context` connected to (it was removed).
    pub fn remove_context(&self, context: &str) {
        if let Ok(mut m) = self.servers.lock() {
            m.retain(|_, c| c != context);
        }
    }
    /// The context already connecting to `server`, if any.
    pub fn context_for_server(&self, server: &str) -> Option<String> {
        self.servers.lock().ok()?.get(&normalize(server)).cloned()
    }
    /// A discovery result for `server` younger than `max_age`, if one is cached.
    pub fn cached_discovery(&self, server: &str, max_age: Duration) -> Option<Served> {
        let m = self.discovery.lock().ok()?;
        m.get(&normalize(server)).filter(|(at, _)| at.elapsed() < max_age).map(|(_, d)| d.clone())
    }
    /// Caches a discovery result for `server`.
    pub fn store_discovery(
        &self,
        server: &str,
        served: &std::collections::BTreeMap<crate::model::kinds::KindId, String>,
    ) {
        if let Ok(mut m) = self.discovery.lock() {
            m.insert(normalize(server), (std::time::Instant::now(), served.clone()));
        }
    }
    /// Whether `name` is a kubeconfig context (derived contexts do not look for further lineage).
    pub fn origin_is_kubeconfig(&self, name: &str) -> bool {
        self.kubeconfig_contexts.lock().is_ok_and(|s| s.contains(name))
    }
}

/// What decides what `context` sees: its cluster entry (server, CA, TLS and proxy settings) and its user
/// entry (credentials, exec plugin, impersonation), as JSON; `None` when the context or its cluster is
/// missing. Contexts with equal identities see the same objects. Holds credentials: kept in memory only,
/// never shown or logged.
fn identity(kc: &Index<'_>, context: &str) -> Option<String> {
    let ctx = kc.contexts.get(context)?.context.as_ref()?;
    let cluster = kc.clusters.get(ctx.cluster.as_str())?.cluster.as_ref()?;
    let user = ctx.user.as_deref().and_then(|u| kc.users.get(u)).and_then(|a| a.auth_info.as_ref());
    serde_json::to_string(&(cluster, user)).ok()
}

/// A kubeconfig's entries by name (a thousand contexts are not searched a thousand times).
struct Index<'a> {
    contexts: HashMap<&'a str, &'a kube::config::NamedContext>,
    clusters: HashMap<&'a str, &'a kube::config::NamedCluster>,
    users: HashMap<&'a str, &'a kube::config::NamedAuthInfo>,
}

impl<'a> Index<'a> {
    fn new(kc: &'a kube::config::Kubeconfig) -> Index<'a> {
        Index {
            contexts: kc.contexts.iter().map(|c| (c.name.as_str(), c)).collect(),
            clusters: kc.clusters.iter().map(|c| (c.name.as_str(), c)).collect(),
            users: kc.auth_infos.iter().map(|a| (a.name.as_str(), a)).collect(),
        }
    }

    /// The server URL of `context`.
    fn server_of(&self, context: &str) -> Option<String> {
        let ctx = self.contexts.get(context)?.context.as_ref()?;
        self.clusters.get(ctx.cluster.as_str())?.cluster.as_ref()?.server.clone()
    }
}

fn normalize(server: &str) -> String {
    server.trim_end_matches('/').to_ascii_lowercase()
}

/// Aborts the tasks it holds when dropped, so that a task spawned by a task ends with it (a dropped
/// `JoinHandle` only detaches).
#[derive(Debug, Default)]
pub struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

impl AbortOnDrop {
    /// Holds `handle`'s task, forgetting tasks that have already finished.
    pub fn hold<T>(&mut self, handle: &tokio::task::JoinHandle<T>) {
        self.forget_finished();
        self.0.push(handle.abort_handle());
    }

    /// Lets go of the tasks that have finished: an `AbortHandle` keeps its task's memory (the future's
    /// whole size) allocated.
    pub fn forget_finished(&mut self) {
        self.0.retain(|h| !h.is_finished());
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.iter().for_each(tokio::task::AbortHandle::abort);
    }
}

/// The running connection tasks and the supervisor; dropping it stops them all (with the watch tasks they
/// spawned, and the lineage and derived contexts' tasks the supervisor started).
pub struct Fleet {
    tasks: JoinSet<()>,
    /// The contexts started, in kubeconfig order.
    pub contexts: Vec<String>,
}

impl Fleet {
    /// Starts one task per context of `kc` (all, or those in `only`), sending to `tx`; a context whose cluster
    /// and user entries equal an earlier one's shares that context's connection instead (a `SharesWith`
    /// message; see [`FleetOptions::share_connections`]). Each context is registered (a `Registered` message)
    /// before this returns, so a consumer knows the whole list at once. Derived contexts follow later, from
    /// the [`supervisor`].
    ///
    /// Errors when `only` names a context the kubeconfig lacks.
    pub async fn start(
        kc: &LoadedKubeconfig,
        only: &[String],
        opts: FleetOptions,
        tx: mpsc::Sender<StoreMsg>,
    ) -> anyhow::Result<Fleet> {
        let names = kc.context_names(only)?;
        let mut opts = opts;
        let (providers, skipped) = profiles::kubeconfig_providers(&kc.config);
        for why in skipped {
            tracing::warn!("kubeconfig: an access provider is skipped: {why}");
        }
        for p in providers {
            if !opts.profile_providers.iter().any(|q| q.name == p.name) {
                opts.profile_providers.push(p);
            }
        }
        let registry = Arc::new(Registry::new(&opts, names.len()));
        let shared = kc.config.clone();
        let index = Index::new(&kc.config);
        for n in &names {
            if let Ok(mut s) = registry.kubeconfig_contexts.lock() {
                s.insert(n.clone());
            }
            if let Some(server) = index.server_of(n) {
                registry.add_server(&server, n);
            }
        }
        let mut tasks = JoinSet::new();
        let (supervisor, managements) = Supervisor::new(opts.clone(), tx.clone(), registry.clone());
        // Identity (see `identity`) -> the first context that has it; held only while starting.
        let mut first_with: HashMap<String, Arc<str>> = HashMap::new();
        for n in &names {
            let generation = registry.next_generation();
            let server = index.server_of(n).unwrap_or_default();
            let msg = StoreMsg {
                context: n.as_str().into(),
                generation,
                event: StoreEvent::Registered { server, origin: Origin::Kubeconfig },
            };
            tx.send(msg).await.map_err(|_| anyhow::anyhow!("the fleet store is gone"))?;
            if let Some(id) = identity(&index, n).filter(|_| opts.share_connections) {
                if let Some(first) = first_with.get(&id) {
                    let msg = StoreMsg {
                        context: n.as_str().into(),
                        generation,
                        event: StoreEvent::SharesWith(first.clone()),
                    };
                    tx.send(msg).await.map_err(|_| anyhow::anyhow!("the fleet store is gone"))?;
                    continue;
                }
                first_with.insert(id, n.as_str().into());
            }
            let target = Target { name: n.as_str().into(), kubeconfig: shared.clone(), context: n.clone() };
            tasks.spawn(connection::run(target, opts.clone(), tx.clone(), registry.clone(), supervisor.managements()));
        }
        tasks.spawn(supervisor.run(managements));
        Ok(Fleet { tasks, contexts: names })
    }

    /// Stops every task.
    pub fn stop(&mut self) {
        self.tasks.abort_all();
    }
}

/// An error and its causes on one line, for people: `client error (Connect): tcp connect error: Connection
/// refused (os error 111)`. Never includes credentials (kube's errors do not carry them).
pub fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    // An API server's answer: its reason, code and message (kube's own text repeats the whole Status
    // struct, `ApiError: ... (Status { status: Some(Failure), ... })`).
    let status = |s: &kube::core::Status| match (s.reason.is_empty(), s.message.is_empty()) {
        (false, false) => format!("{} ({}): {}", s.reason, s.code, s.message),
        (true, false) => format!("{}: {}", s.code, s.message),
        _ => format!("{} ({})", if s.reason.is_empty() { "error" } else { &s.reason }, s.code),
    };
    if let Some(kube::Error::Api(s)) = e.downcast_ref::<kube::Error>() {
        return status(s);
    }
    // A watcher's error around one: what it was doing, then the answer read as above.
    use kube::runtime::watcher::Error as W;
    match e.downcast_ref::<W>() {
        Some(W::InitialListFailed(inner)) => return format!("listing: {}", describe(inner)),
        Some(W::WatchStartFailed(inner)) => return format!("starting the watch: {}", describe(inner)),
        Some(W::WatchFailed(inner)) => return format!("watching: {}", describe(inner)),
        Some(W::WatchError(s)) => return format!("watching: {}", status(s)),
        _ => {}
    }
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    let text = parts.join(": ");
    // kube wraps every connection failure as a hyper service error; the cause alone says it better.
    match text.strip_prefix("ServiceError: client error (Connect): ") {
        Some(cause) => cause.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    /// A 403 on a watch reads as the API server's reason, code and message, not kube's Debug of the Status.
    #[test]
    fn a_watch_refused_reads_as_the_servers_answer() {
        let mut status = kube::core::Status::failure(
            "kustomizations.kustomize.toolkit.fluxcd.io is forbidden: User \"restricted\" cannot watch resource",
            "Forbidden",
        );
        status.code = 403;
        let e = kube::runtime::watcher::Error::WatchStartFailed(kube::Error::Api(status.boxed()));
        assert_eq!(
            describe(&e),
            "starting the watch: Forbidden (403): kustomizations.kustomize.toolkit.fluxcd.io is forbidden: User \
             \"restricted\" cannot watch resource"
        );
    }
}
