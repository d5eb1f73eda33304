//! One background task per context: build a client (exec plugins resolved by [`super::exec`]), probe
//! `/version` within the connect timeout, discover the served kinds, run their watches, keep probing, and
//! reconnect with backoff. A dead context only ever delays itself.
//!
//! Every (re)connection gets a new generation; the store drops messages of older generations. A connection
//! whose server serves CAPI Clusters tells the fleet's supervisor so once per connected phase
//! ([`Management`]); what follows from that (lineage, workload contexts) is the supervisor's to run.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use k8s_openapi::jiff::Timestamp;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{FleetOptions, Registry, describe, exec, transport, watch};
use crate::model::kinds::KindId;
use crate::model::store::{KindEvent, StoreEvent, StoreMsg};

/// How long a context connecting may hold its permit ([`FleetOptions::max_connecting`]) while its server
/// has not completed the TCP + TLS handshake: the bound is on handshakes in flight, not on servers that are
/// slow or hung.
pub const PERMIT_HOLD: Duration = Duration::from_millis(100);

/// How many times less often a connected context of a large fleet (one following a demand) is probed.
pub const LARGE_FLEET_PROBE_FACTOR: u32 = 6;

/// How a probe that got no answer in time begins its reason.
const NO_ANSWER: &str = "no answer within";

/// Why a connection attempt failed.
pub enum ConnectError {
    /// 401: the credentials were rejected.
    Unauthorized(String),
    /// Anything else: refused, timed out, TLS, exec plugin, malformed context.
    Unreachable(String),
}

/// A context to connect to: a kubeconfig and the context name inside it.
#[derive(Clone)]
pub struct Target {
    /// The name fleetdeck shows (for derived contexts `<mgmt>/<ns>/<cluster>`).
    pub name: Arc<str>,
    /// The kubeconfig holding it (for derived contexts, the one from the Secret, kept in memory only).
    pub kubeconfig: Arc<Kubeconfig>,
    /// The context's name inside `kubeconfig`.
    pub context: String,
}

/// A connected context whose server serves CAPI Clusters (a management cluster) or ClusterProfiles (a hub),
/// reported to the fleet's supervisor once per connected phase (each reconnection reports again, with its
/// new client).
pub struct Management {
    /// The context's name (as in [`Target::name`]).
    pub name: Arc<str>,
    /// Whether it serves CAPI Clusters (lineage follows its kubeconfig Secrets).
    pub capi: bool,
    /// Whether it serves ClusterProfiles (its inventory becomes derived contexts).
    pub profiles: bool,
    /// The connection's client, for reading the management cluster's Secrets.
    pub client: kube::Client,
    /// Never sent on: resolves (with an error) when the connected phase that reported this ends, by a
    /// reconnection, the end of the task or its abort. What was started for this report ends with it.
    pub connected: oneshot::Receiver<()>,
}

/// A client built for a [`Target`].
pub struct Built {
    /// The client (HTTP/2 where the server offers it; see [`transport`]).
    pub client: kube::Client,
    /// When the exec plugin's credential expires, if it said.
    pub expiry: Option<Timestamp>,
    /// Set once the client has completed a TCP + TLS handshake with the server ([`super::reached`]).
    pub reached: super::reached::Reached,
}

/// Builds a client for `target`, running its exec plugin if it has one.
pub async fn client_for(target: &Target, opts: &FleetOptions) -> Result<Built, ConnectError> {
    let mut kc = only(&target.kubeconfig, &target.context);
    let mut expiry = None;
    let user = kc
        .contexts
        .iter()
        .find(|c| c.name == target.context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone());
    let cluster = kc.clusters.first().and_then(|c| c.cluster.clone());
    if let Some(user) = user
        && let Some(entry) = kc.auth_infos.iter_mut().find(|a| a.name == user)
        && let Some(auth) = entry.auth_info.as_mut()
        && let Some(exec_cfg) = auth.exec.clone()
    {
        let (resolved, exp) = exec::resolve(auth, &exec_cfg, cluster.as_ref(), opts.exec_timeout)
            .await
            .map_err(|e| ConnectError::Unreachable(format!("{e:#}")))?;
        *auth = resolved;
        expiry = exp;
    }
    let options = KubeConfigOptions { context: Some(target.context.clone()), ..Default::default() };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &options)
        .await
        .map_err(|e| ConnectError::Unreachable(format!("context {}: {}", target.context, describe(&e))))?;
    config.connect_timeout = Some(opts.connect_timeout);
    let (client, reached) = transport::client_reached(config).map_err(|e| ConnectError::Unreachable(describe(&e)))?;
    Ok(Built { client, expiry, reached })
}

/// The part of `kc` that `context` uses: that context, its cluster and its user (a kubeconfig of a thousand
/// contexts is megabytes; each connection attempt copies only what it reads).
fn only(kc: &Kubeconfig, context: &str) -> Kubeconfig {
    let ctx = kc.contexts.iter().find(|c| c.name == context);
    let inner = ctx.and_then(|c| c.context.as_ref());
    let cluster = inner.map(|c| c.cluster.as_str());
    let user = inner.and_then(|c| c.user.as_deref());
    Kubeconfig {
        preferences: kc.preferences.clone(),
        clusters: kc.clusters.iter().filter(|c| Some(c.name.as_str()) == cluster).cloned().collect(),
        auth_infos: kc.auth_infos.iter().filter(|a| Some(a.name.as_str()) == user).cloned().collect(),
        contexts: ctx.cloned().into_iter().collect(),
        current_context: Some(context.to_string()),
        api_version: kc.api_version.clone(),
        kind: kc.kind.clone(),
        extensions: kc.extensions.clone(),
        other: kc.other.clone(),
    }
}

/// `/version` within the connect timeout: the server's `gitVersion`.
pub async fn probe(client: &kube::Client, timeout: Duration) -> Result<String, ConnectError> {
    match tokio::time::timeout(timeout, client.apiserver_version()).await {
        Ok(Ok(info)) => Ok(info.git_version),
        Ok(Err(kube::Error::Api(s))) if s.code == 401 => {
            Err(ConnectError::Unauthorized(format!("401 Unauthorized: {}", s.message)))
        }
        Ok(Err(e)) => Err(ConnectError::Unreachable(describe(&e))),
        Err(_) => Err(ConnectError::Unreachable(format!("{NO_ANSWER} {} s", timeout.as_secs_f32()))),
    }
}

/// How many connect timeouts a server that completed its handshake is given to answer the first `/version`
/// of a connection (3 s x 5 = 15 s by default).
pub const ANSWER_FACTOR: u32 = 5;

/// The first `/version` of a new client: a server that has not completed a TCP + TLS handshake within
/// `timeout` is unreachable ("no answer within 3 s": a hung or blackholed port); one that has is there and
/// busy (a start-up storm on its API server), and has [`ANSWER_FACTOR`] x `timeout` in all to answer, as
/// client-go keeps its TLS handshake timeout apart from the request's. With [`Reached::unobserved`] (a
/// proxy) this is [`probe`] with `timeout`.
///
/// [`Reached::unobserved`]: super::reached::Reached::unobserved
pub async fn first_probe(
    client: &kube::Client,
    reached: &super::reached::Reached,
    timeout: Duration,
) -> Result<String, ConnectError> {
    let answer = probe(client, timeout * ANSWER_FACTOR);
    tokio::pin!(answer);
    tokio::select! {
        r = &mut answer => return r,
        _ = tokio::time::sleep(timeout) => {}
    }
    if !reached.done() {
        return Err(ConnectError::Unreachable(format!("{NO_ANSWER} {} s", timeout.as_secs_f32())));
    }
    answer.await.map_err(|e| match e {
        ConnectError::Unreachable(why) if why.starts_with(NO_ANSWER) => {
            ConnectError::Unreachable(format!("{why} (the connection is up; /version was not answered)"))
        }
        e => e,
    })
}

/// Sends one message; false when the receiver is gone (the fleet is shutting down).
async fn send(tx: &mpsc::Sender<StoreMsg>, context: &Arc<str>, generation: u64, event: StoreEvent) -> bool {
    tx.send(StoreMsg { context: context.clone(), generation, event }).await.is_ok()
}

/// A running watch, or when one ended because RBAC forbids the kind, or since when a kind synced empty
/// is not watched ([`FleetOptions::empty_recheck`]).
enum Watch {
    Running(JoinHandle<watch::WatchEnd>),
    Forbidden(Instant),
    Parked(Instant),
}

/// The context task: runs until aborted or the receiver is dropped. Reports a connected phase that finds
/// CAPI Clusters served to `managements` (see [`Management`]).
pub async fn run(
    target: Target,
    opts: FleetOptions,
    tx: mpsc::Sender<StoreMsg>,
    registry: Arc<Registry>,
    managements: mpsc::Sender<Management>,
) {
    let name = target.name.clone();
    let mut generation = registry.next_generation();
    let mut backoff = Duration::from_secs(1);
    loop {
        generation = generation.max(registry.next_generation());
        if !send(&tx, &name, generation, StoreEvent::Connecting).await {
            return;
        }
        // At most `max_connecting` contexts build a client and probe at once (a start-up storm).
        let Ok(permit) = registry.connecting.acquire().await else { return };
        let Built { client, expiry, reached } = match client_for(&target, &opts).await {
            Ok(c) => c,
            Err(e) => {
                drop(permit);
                if !report(&tx, &name, generation, e).await {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(opts.max_backoff);
                continue;
            }
        };
        // The permit bounds handshakes in flight: it is given back once the handshake completes, or after
        // PERMIT_HOLD, and the probe goes on without it. Hung servers must not hold the queue of a start-up
        // storm (each would hold a slot for the whole timeout), nor busy ones that answer `/version` late.
        let probing = first_probe(&client, &reached, opts.connect_timeout);
        tokio::pin!(probing);
        let mut permit = Some(permit);
        let handshake_or_hold = async {
            tokio::select! {
                _ = reached.wait() => {}
                _ = tokio::time::sleep(PERMIT_HOLD) => {}
            }
        };
        let probed = tokio::select! {
            r = &mut probing => r,
            _ = handshake_or_hold => {
                permit = None;
                probing.await
            }
        };
        drop(permit);
        let server_version = match probed {
            Ok(v) => {
                if !send(&tx, &name, generation, StoreEvent::Ready { server_version: v.clone() }).await {
                    return;
                }
                v
            }
            Err(e) => {
                if !report(&tx, &name, generation, e).await {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(opts.max_backoff);
                continue;
            }
        };
        backoff = Duration::from_secs(1);
        let streaming = watch::StreamingLists::new(opts.streaming_lists, &server_version);
        let phase = connected(&target, &client, expiry, generation, &opts, &streaming, &tx, &registry, &managements);
        if phase.await.is_err() {
            return;
        }
    }
}

async fn report(tx: &mpsc::Sender<StoreMsg>, name: &Arc<str>, generation: u64, e: ConnectError) -> bool {
    let event = match e {
        ConnectError::Unauthorized(why) => StoreEvent::Unauthorized(why),
        ConnectError::Unreachable(why) => StoreEvent::Unreachable(why),
    };
    send(tx, name, generation, event).await
}

/// The connected phase: discovery, watches, probing, rediscovery. Returns `Ok` to reconnect (credential
/// about to expire, discovery failing), `Err` when the fleet is shutting down.
#[allow(clippy::too_many_arguments)]
async fn connected(
    target: &Target,
    client: &kube::Client,
    expiry: Option<Timestamp>,
    generation: u64,
    opts: &FleetOptions,
    streaming: &Arc<watch::StreamingLists>,
    tx: &mpsc::Sender<StoreMsg>,
    registry: &Arc<Registry>,
    managements: &mpsc::Sender<Management>,
) -> Result<(), ()> {
    let name = &target.name;
    let mut followed = Followed::default();
    // Woken by a watch that ended empty, so its task is reaped (and its memory freed) at once.
    let parked = Arc::new(tokio::sync::Notify::new());
    // Crossplane's kinds found at run time (XRs, claims, the MRs they reference): see `super::dynamic`.
    let wanted = super::wanted::Wanted::with_asked(&opts.watch_kinds);
    let mut dynamic = super::dynamic::Watches::new(wanted.clone());
    let dynamic_phase = super::dynamic::Phase { client, context: name, generation, streaming, tx };
    let follow = Follow {
        phase: &dynamic_phase,
        parked: &parked,
        recheck: opts.empty_recheck,
        timeout: opts.connect_timeout,
        syncing: registry.syncing.as_ref(),
    };
    // Held while connected: dropping it (on return, or when this task is aborted) ends what the supervisor
    // started for the `Management` report.
    let mut reported: Option<oneshot::Sender<()>> = None;
    // Ends the watch tasks when this task is aborted (Fleet::stop) as well as when it returns.
    let mut spawned = super::AbortOnDrop::default();
    let mut demand_rx = registry.demand.as_ref().map(super::demand::Demand::subscribe);
    let result = async {
        let mut last_discovery: Option<Instant> = None;
        let mut served = super::Served::new();
        let mut reachable = true;
        // Probes in a row that got no answer in time while connected (see the probe below).
        let mut slow_probes = 0u32;
        loop {
            let rediscover = last_discovery.is_none_or(|t| t.elapsed() >= opts.rediscover_every);
            if rediscover {
                served = match discover_or_report(target, client, registry, opts, generation, tx).await? {
                    Some(s) => s,
                    None => return Ok(()),
                };
                last_discovery = Some(Instant::now());
            }
            let plan = plan_for(name, opts, registry);
            follow_plan(&follow, &served, plan, rediscover, &wanted, &mut followed, &mut spawned).await?;
            if rediscover {
                let capi = served.contains_key(&KindId::CLUSTER);
                let profiles = served.contains_key(&KindId::CLUSTER_PROFILE);
                if (capi || profiles) && reported.is_none() {
                    let (held, connected) = oneshot::channel();
                    let report = Management { name: name.clone(), capi, profiles, client: client.clone(), connected };
                    // A closed supervisor means the fleet is stopping; nothing to follow then.
                    let _ = managements.send(report).await;
                    reported = Some(held);
                }
            }
            dynamic.reconcile(&dynamic_phase, &mut spawned, rediscover).await?;
            // Until the next probe, follow what the XRDs and composites ask to watch, and the demand.
            // On a fleet following a demand (hundreds of contexts), a connected context is probed 6 times less
            // often: its HTTP/2 PINGs (every 30 s) already watch the connection, and a thousand probes every
            // 5 s would keep an idle cockpit busy.
            let every =
                if registry.demand.is_some() { opts.probe_every * LARGE_FLEET_PROBE_FACTOR } else { opts.probe_every };
            let probe_at = tokio::time::Instant::now() + every;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(probe_at) => break,
                    _ = wanted.changed() => dynamic.reconcile(&dynamic_phase, &mut spawned, false).await?,
                    _ = parked.notified() => {
                        let plan = plan_for(name, opts, registry);
                        follow_plan(&follow, &served, plan, false, &wanted, &mut followed, &mut spawned).await?;
                        spawned.forget_finished();
                    }
                    _ = async {
                        match demand_rx.as_mut() {
                            Some(rx) => super::demand::Demand::changed(rx).await,
                            None => std::future::pending().await,
                        }
                    } => {
                        let plan = plan_for(name, opts, registry);
                        follow_plan(&follow, &served, plan, false, &wanted, &mut followed, &mut spawned).await?;
                        dynamic.reconcile(&dynamic_phase, &mut spawned, false).await?;
                    }
                }
            }
            match probe(client, opts.connect_timeout).await {
                Ok(v) => {
                    if !reachable && !send(tx, name, generation, StoreEvent::Ready { server_version: v }).await {
                        return Err(());
                    }
                    reachable = true;
                    slow_probes = 0;
                }
                // A connected server that answers late once is busy (a storm of watches opening on a large
                // fleet), not down: it is marked so on the second late answer in a row. Refusals and other
                // errors count at once.
                Err(ConnectError::Unreachable(why)) if reachable && slow_probes == 0 && why.starts_with(NO_ANSWER) => {
                    slow_probes += 1;
                }
                Err(e) => {
                    reachable = false;
                    if !report(tx, name, generation, e).await {
                        return Err(());
                    }
                }
            }
            if let Some(exp) = expiry
                && exp.duration_since(Timestamp::now()).as_secs() < 60
            {
                return Ok(());
            }
        }
    }
    .await;
    for (_, w) in followed.watches {
        if let Watch::Running(h) = w {
            h.abort();
        }
    }
    drop(reported);
    result
}

/// What a context watches now: the catalogue kinds, those of them not kept watched while empty
/// ([`FleetOptions::empty_recheck`]), and whether its Events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Plan {
    kinds: crate::model::kinds::KindSet,
    parkable: crate::model::kinds::KindSet,
    events: bool,
}

/// What [`follow_plan`] needs besides the plan: the connection, the `Notify` a watch that ended empty wakes,
/// the recheck period and timeout of a parked kind, and the slots of summary watches' initial states
/// ([`super::Registry::syncing`]).
struct Follow<'a> {
    phase: &'a super::dynamic::Phase<'a>,
    parked: &'a Arc<tokio::sync::Notify>,
    recheck: Duration,
    timeout: Duration,
    syncing: Option<&'a Arc<tokio::sync::Semaphore>>,
}

/// What a connected context runs for its [`Plan`]: a watch per catalogue kind, and the `Warning` Events watch.
#[derive(Default)]
struct Followed {
    watches: BTreeMap<KindId, Watch>,
    events: Option<JoinHandle<()>>,
}

/// All of [`FleetOptions::kinds`] and the Events, or, on a fleet following a demand ([`super::demand`]),
/// the summary kinds and what the demand asks of this context. Events only when
/// [`FleetOptions::warning_events`] is on.
fn plan_for(name: &str, opts: &FleetOptions, registry: &Registry) -> Plan {
    let plan = match &registry.demand {
        None => Plan { kinds: opts.kinds, parkable: crate::model::kinds::KindSet::NONE, events: true },
        Some(d) => {
            let asked = d.kinds_for(name);
            let summary = crate::model::summary::kinds();
            let kinds = summary.union(asked.kinds).intersection(opts.kinds);
            Plan { kinds, parkable: summary.difference(asked.kinds), events: asked.events }
        }
    };
    Plan { events: plan.events && opts.warning_events, ..plan }
}

/// Brings the catalogue watches in line with `plan` and `served`: starts the planned served kinds not
/// running (ended watches are restarted, forbidden ones after [`watch::FORBIDDEN_RETRY`]), stops the kinds no
/// longer planned (`KindEvent::Unwatched`) and, after a discovery (`discovered`), reports the planned kinds
/// not served (`KindEvent::CrdMissing`); then starts or stops the Events watch as `plan.events` says. `Err`
/// when the fleet is shutting down.
async fn follow_plan(
    follow: &Follow<'_>,
    served: &super::Served,
    plan: Plan,
    discovered: bool,
    wanted: &Arc<super::wanted::Wanted>,
    followed: &mut Followed,
    spawned: &mut super::AbortOnDrop,
) -> Result<(), ()> {
    let phase = follow.phase;
    let (name, generation, tx) = (phase.context, phase.generation, phase.tx);
    let watches = &mut followed.watches;
    for kind in watches.keys().copied().filter(|k| !plan.kinds.contains(*k)).collect::<Vec<_>>() {
        // A forbidden kind no longer planned goes too: the store must not keep saying Forbidden for it.
        if let Some(Watch::Running(h)) = watches.remove(&kind) {
            h.abort();
        }
        wanted.forget(kind);
        if !send(tx, name, generation, StoreEvent::Kind(kind, KindEvent::Unwatched)).await {
            return Err(());
        }
    }
    for kind in plan.kinds.iter() {
        match served.get(&kind) {
            Some(version) => {
                if let Some(Watch::Running(h)) = watches.get_mut(&kind)
                    && h.is_finished()
                {
                    let end = h.await.unwrap_or(watch::WatchEnd::Closed);
                    watches.remove(&kind);
                    match end {
                        watch::WatchEnd::Forbidden => _ = watches.insert(kind, Watch::Forbidden(Instant::now())),
                        watch::WatchEnd::Empty => _ = watches.insert(kind, Watch::Parked(Instant::now())),
                        _ => {}
                    }
                }
                match watches.get(&kind) {
                    Some(Watch::Running(_)) => continue,
                    Some(Watch::Forbidden(at)) if at.elapsed() < watch::FORBIDDEN_RETRY => continue,
                    Some(Watch::Parked(at)) if plan.parkable.contains(kind) => {
                        // Empty at its last check: listed again once the recheck is due, watched if it holds one.
                        if at.elapsed() < follow.recheck {
                            continue;
                        }
                        if !Box::pin(holds_objects(phase.client, kind, version, follow.timeout)).await {
                            watches.insert(kind, Watch::Parked(Instant::now()));
                            continue;
                        }
                    }
                    _ => {}
                }
                let event = StoreEvent::Kind(kind, KindEvent::Served { version: version.clone() });
                if !send(tx, name, generation, event).await {
                    return Err(());
                }
                let observer = super::wanted::Observer::of(kind, wanted);
                // A summary kind the demand does not ask for may be parked when empty, and waits for a slot
                // for its initial state; what the operator asks for does neither.
                let summary_only = plan.parkable.contains(kind);
                let park = summary_only.then(|| follow.parked.clone());
                let gate = follow.syncing.filter(|_| summary_only).cloned();
                let handle = tokio::spawn(watch::watch_kind(
                    phase.client.clone(),
                    name.clone(),
                    generation,
                    kind,
                    version.clone(),
                    phase.streaming.clone(),
                    tx.clone(),
                    observer,
                    watch::SummaryOnly { park, gate },
                ));
                spawned.hold(&handle);
                watches.insert(kind, Watch::Running(handle));
            }
            None if discovered => {
                if let Some(Watch::Running(h)) = watches.remove(&kind) {
                    h.abort();
                }
                // What its objects asked for goes with them (nothing, for kinds without an observer).
                wanted.forget(kind);
                if !send(tx, name, generation, StoreEvent::Kind(kind, KindEvent::CrdMissing)).await {
                    return Err(());
                }
            }
            None => {}
        }
    }
    follow_events(phase, plan.events, &mut followed.events, spawned);
    Ok(())
}

/// Whether `kind` holds an object on the server (a list of one, metadata only). An error or no answer
/// within `timeout` counts as yes: the watch then started reports what is wrong.
async fn holds_objects(client: &kube::Client, kind: KindId, version: &str, timeout: Duration) -> bool {
    let api: kube::Api<kube::api::DynamicObject> =
        kube::Api::all_with(client.clone(), &watch::api_resource(kind, version));
    let one = kube::api::ListParams::default().limit(1);
    match tokio::time::timeout(timeout, api.list_metadata(&one)).await {
        Ok(Ok(l)) => !l.items.is_empty(),
        _ => true,
    }
}

/// Starts or stops the `Warning` Events watch ([`super::events`]) so that it runs iff `on`.
fn follow_events(
    phase: &super::dynamic::Phase<'_>,
    on: bool,
    events: &mut Option<JoinHandle<()>>,
    spawned: &mut super::AbortOnDrop,
) {
    match (on, events.as_ref()) {
        (true, None) => {
            let watch = super::events::watch_warnings(
                phase.client.clone(),
                phase.context.clone(),
                phase.generation,
                phase.streaming.clone(),
                phase.tx.clone(),
            );
            let handle = tokio::spawn(watch);
            spawned.hold(&handle);
            *events = Some(handle);
        }
        (false, Some(h)) => {
            h.abort();
            *events = None;
        }
        _ => {}
    }
}

async fn discover_or_report(
    target: &Target,
    client: &kube::Client,
    registry: &Registry,
    opts: &FleetOptions,
    generation: u64,
    tx: &mpsc::Sender<StoreMsg>,
) -> Result<Option<BTreeMap<KindId, String>>, ()> {
    let server = server_of(target).unwrap_or_default();
    if let Some(served) = registry.cached_discovery(&server, opts.rediscover_every / 2) {
        return Ok(Some(served));
    }
    match watch::discover(client, opts.kinds).await.context("discovery") {
        Ok(s) => {
            registry.store_discovery(&server, &s);
            Ok(Some(s))
        }
        Err(e) => {
            let msg = StoreEvent::Unreachable(format!("{e:#}"));
            if send(tx, &target.name, generation, msg).await { Ok(None) } else { Err(()) }
        }
    }
}

/// The task of an alias (a context that reaches a server another context already watches): only probes
/// whether `target` is reachable with its own credentials, every `every`, and sends `Ready`, `Unreachable`
/// or `Unauthorized`; never discovers or watches. Runs until aborted or the receiver is dropped.
pub async fn probe_alias(
    target: Target,
    every: Duration,
    opts: FleetOptions,
    tx: mpsc::Sender<StoreMsg>,
    registry: Arc<Registry>,
) {
    let generation = registry.next_generation();
    loop {
        let event = match client_for(&target, &opts).await {
            Ok(Built { client, reached, .. }) => match first_probe(&client, &reached, opts.connect_timeout).await {
                Ok(v) => StoreEvent::Ready { server_version: v },
                Err(ConnectError::Unauthorized(w)) => StoreEvent::Unauthorized(w),
                Err(ConnectError::Unreachable(w)) => StoreEvent::Unreachable(w),
            },
            Err(ConnectError::Unauthorized(w)) => StoreEvent::Unauthorized(w),
            Err(ConnectError::Unreachable(w)) => StoreEvent::Unreachable(w),
        };
        if !send(&tx, &target.name, generation, event).await {
            return;
        }
        tokio::time::sleep(every).await;
    }
}

/// The server URL of a target's context.
pub fn server_of(t: &Target) -> Option<String> {
    let ctx = t.kubeconfig.contexts.iter().find(|c| c.name == t.context)?.context.as_ref()?;
    t.kubeconfig.clusters.iter().find(|c| c.name == ctx.cluster)?.cluster.as_ref()?.server.clone()
}

#[cfg(test)]
#[path = "connection_tests.rs"]
mod tests;
