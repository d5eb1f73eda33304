//! The fleet's supervisor: what follows from a management cluster. A connection whose server serves CAPI
//! Clusters reports it ([`connection::Management`]); the supervisor then runs [`lineage::run`] on it, and
//! for each workload target lineage reports ([`lineage::WorkloadEvent`]) registers the derived context and
//! runs its task, or stops and removes it when its Secret goes.
//!
//! A derived context whose server a context already connects to is an alias of it: it is registered with
//! `aliasOf`, and only its reachability through the Secret's credentials is probed
//! ([`connection::probe_alias`]); no second set of watches is opened. Everything started for a report ends
//! with the connected phase that reported it (reconnection, abort), and with the supervisor.
//!
//! A hub (a connection whose server serves ClusterProfiles) gets [`profiles::run`] likewise: each profile
//! with a usable access provider becomes a derived context `<hub>/<namespace>/<name>`, an alias when a
//! kubeconfig context already connects to its server (its reachability through the provider's exec plugin
//! is probed, its data is that context's) and otherwise with a connection of its own, which nothing aliases;
//! one without a usable provider is registered Unreachable with why.
//!
//! The supervisor is the one module that knows both tasks: connections report, lineage reports, neither
//! starts the other.
use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connection::{self, Management, Target};
use super::lineage::{self, WorkloadEvent};
use super::profiles::{self, ProfileEvent};
use super::{AbortOnDrop, FleetOptions, Registry};
use crate::model::store::{Origin, StoreEvent, StoreMsg};

/// Capacity of the channel from the connections to the supervisor (one report per connected phase of a
/// management cluster).
pub const MANAGEMENTS_CAPACITY: usize = 64;

/// Capacity of the channel from one lineage task to the supervisor (lineage waits while it is full).
const WORKLOADS_CAPACITY: usize = 16;

/// What the supervisor gives every task it starts.
#[derive(Clone)]
pub struct Supervisor {
    opts: FleetOptions,
    tx: mpsc::Sender<StoreMsg>,
    registry: Arc<Registry>,
    /// Where the connections it starts report management clusters (back to this supervisor).
    managements: mpsc::Sender<Management>,
}

impl Supervisor {
    /// A supervisor sending to `tx`, and the receiving end of its reports: hand [`Supervisor::managements`]
    /// to every connection task, and the receiver to [`Supervisor::run`].
    pub fn new(
        opts: FleetOptions,
        tx: mpsc::Sender<StoreMsg>,
        registry: Arc<Registry>,
    ) -> (Supervisor, mpsc::Receiver<Management>) {
        let (managements, reports) = mpsc::channel(MANAGEMENTS_CAPACITY);
        (Supervisor { opts, tx, registry, managements }, reports)
    }

    /// Where a connection task reports that it connected to a management cluster.
    pub fn managements(&self) -> mpsc::Sender<Management> {
        self.managements.clone()
    }

    /// Follows every management cluster reported on `reports` (when [`FleetOptions::lineage`] is on and
    /// the context comes from the kubeconfig: derived contexts do not look for further lineage). Runs until
    /// aborted; what it started ends with it.
    pub async fn run(self, mut reports: mpsc::Receiver<Management>) {
        let mut spawned = AbortOnDrop::default();
        while let Some(m) = reports.recv().await {
            if !self.registry.origin_is_kubeconfig(&m.name) || !(self.opts.lineage && m.capi || m.profiles) {
                continue;
            }
            let task = tokio::spawn(self.clone().follow(m));
            spawned.hold(&task);
        }
    }

    /// Runs lineage (a management cluster, with [`FleetOptions::lineage`]) and the profiles task (a hub) on
    /// `m`, and the derived contexts they report, until both tasks end or the connected phase that reported
    /// `m` does; then those tasks and the derived contexts' tasks end.
    async fn follow(self, m: Management) {
        let Management { name: management, capi, profiles, client, mut connected } = m;
        // Ends the lineage and profiles tasks and the derived contexts' tasks when this task returns or is
        // aborted.
        let mut spawned = AbortOnDrop::default();
        let (workloads, mut found) = mpsc::channel(WORKLOADS_CAPACITY);
        if capi && self.opts.lineage {
            spawned.hold(&tokio::spawn(lineage::run(management.clone(), client.clone(), workloads)));
        }
        let (inventory, mut profiled) = mpsc::channel(WORKLOADS_CAPACITY);
        if profiles {
            let providers = self.opts.profile_providers.clone();
            spawned.hold(&tokio::spawn(profiles::run(management.clone(), client, providers, inventory)));
        }
        let mut running: BTreeMap<String, JoinHandle<()>> = BTreeMap::new();
        let (mut lineage_open, mut profiles_open) = (true, true);
        while lineage_open || profiles_open {
            // Biased: once the phase is over, nothing more it reported is started.
            let applied = tokio::select! {
                biased;
                _ = &mut connected => return,
                event = found.recv(), if lineage_open => match event {
                    Some(e) => self.apply(&management, e, &mut running, &mut spawned).await,
                    None => { lineage_open = false; true }
                },
                event = profiled.recv(), if profiles_open => match event {
                    Some(e) => self.apply_profile(&management, e, &mut running, &mut spawned).await,
                    None => { profiles_open = false; true }
                },
            };
            if !applied {
                return;
            }
        }
    }

    /// Registers and starts a found profiled cluster (an alias, probed through its provider, when a kubeconfig
    /// context already connects to its server; else with a connection of its own), registers an unusable one
    /// with why, or removes a gone one. False when the store's receiver is gone.
    async fn apply_profile(
        &self,
        hub: &str,
        event: ProfileEvent,
        running: &mut BTreeMap<String, JoinHandle<()>>,
        spawned: &mut AbortOnDrop,
    ) -> bool {
        let (name, origin, server, target, why) = match event {
            ProfileEvent::Gone(name) => return self.apply(hub, WorkloadEvent::Gone(name), running, spawned).await,
            ProfileEvent::Found(t) => {
                let target =
                    Target { name: t.name.as_str().into(), kubeconfig: t.kubeconfig, context: "profile".into() };
                let server = connection::server_of(&target).unwrap_or_default();
                // Only a kubeconfig context is aliased: one whose credentials the user gave. Profiles of one
                // server each keep their own provider's connection (one may be broken, another not).
                let alias_of =
                    self.registry.context_for_server(&server).filter(|c| self.registry.origin_is_kubeconfig(c));
                let origin = Origin::Profile {
                    hub: hub.to_string(),
                    namespace: t.namespace,
                    name: t.profile,
                    provider: t.provider,
                    alias_of,
                };
                (t.name, origin, server, Some(target), None)
            }
            ProfileEvent::Unusable(name, namespace, profile, why) => {
                let origin = Origin::Profile {
                    hub: hub.to_string(),
                    namespace,
                    name: profile,
                    provider: String::new(),
                    alias_of: None,
                };
                (name, origin, String::new(), None, Some(why))
            }
        };
        if let Some(old) = running.remove(&name) {
            old.abort();
        }
        let alias = origin.alias_of().is_some();
        let generation = self.registry.next_generation();
        let registered =
            StoreMsg { context: name.as_str().into(), generation, event: StoreEvent::Registered { server, origin } };
        if self.tx.send(registered).await.is_err() {
            return false;
        }
        match (target, why) {
            (Some(target), _) => {
                let (opts, tx, registry) = (self.opts.clone(), self.tx.clone(), self.registry.clone());
                let task = if alias {
                    tokio::spawn(connection::probe_alias(target, lineage::RESCAN_EVERY, opts, tx, registry))
                } else {
                    tokio::spawn(connection::run(target, opts, tx, registry, self.managements()))
                };
                spawned.hold(&task);
                running.insert(name, task);
                true
            }
            (None, why) => {
                let event = StoreEvent::Unreachable(why.unwrap_or_default());
                let msg = StoreMsg { context: name.as_str().into(), generation, event };
                self.tx.send(msg).await.is_ok()
            }
        }
    }

    /// Registers and starts a found workload target, or stops and removes a gone one. False when the
    /// store's receiver is gone.
    async fn apply(
        &self,
        management: &str,
        event: WorkloadEvent,
        running: &mut BTreeMap<String, JoinHandle<()>>,
        spawned: &mut AbortOnDrop,
    ) -> bool {
        match event {
            WorkloadEvent::Found(w) => {
                let target = Target { name: w.name.as_str().into(), kubeconfig: w.kubeconfig, context: w.context };
                let server = connection::server_of(&target).unwrap_or_default();
                // Found again (its management cluster reconnected, its Secret re-created): not an alias of itself.
                let alias_of = self.registry.context_for_server(&server).filter(|c| *c != w.name);
                let origin = Origin::Derived {
                    management: management.to_string(),
                    namespace: w.namespace,
                    cluster: w.cluster,
                    alias_of: alias_of.clone(),
                };
                let generation = self.registry.next_generation();
                let registered = StoreMsg {
                    context: target.name.clone(),
                    generation,
                    event: StoreEvent::Registered { server: server.clone(), origin },
                };
                if self.tx.send(registered).await.is_err() {
                    return false;
                }
                let (opts, tx, registry) = (self.opts.clone(), self.tx.clone(), self.registry.clone());
                let task = if alias_of.is_some() {
                    tokio::spawn(connection::probe_alias(target, lineage::RESCAN_EVERY, opts, tx, registry))
                } else {
                    self.registry.add_server(&server, &w.name);
                    tokio::spawn(connection::run(target, opts, tx, registry, self.managements()))
                };
                spawned.hold(&task);
                if let Some(old) = running.insert(w.name, task) {
                    old.abort();
                }
                true
            }
            WorkloadEvent::Gone(name) => {
                if let Some(t) = running.remove(&name) {
                    t.abort();
                }
                // A later target on the same server connects again instead of aliasing a removed context.
                self.registry.remove_context(&name);
                let generation = self.registry.next_generation();
                let _ = self.tx.send(StoreMsg { context: name.into(), generation, event: StoreEvent::Removed }).await;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::model::store::StoreEvent;

    fn workload(name: &str, server: &str) -> lineage::WorkloadTarget {
        let yaml = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n\
             contexts:\n- name: c-admin\n  context:\n    cluster: c\n    user: u\ncurrent-context: c-admin\n\
             users:\n- name: u\n  user:\n    token: t\n"
        );
        lineage::WorkloadTarget {
            name: name.into(),
            namespace: "capi".into(),
            cluster: name.rsplit('/').next().unwrap_or_default().into(),
            kubeconfig: Arc::new(kube::config::Kubeconfig::from_yaml(&yaml).expect("kubeconfig")),
            context: "c-admin".into(),
        }
    }

    /// The first message about `context` that `pick` accepts, skipping the others.
    async fn next<T>(rx: &mut mpsc::Receiver<StoreMsg>, context: &str, pick: impl Fn(StoreEvent) -> Option<T>) -> T {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await.expect("in time").expect("open");
            if &*msg.context == context
                && let Some(t) = pick(msg.event)
            {
                return t;
            }
        }
    }

    /// A profile whose server a kubeconfig context already connects to is registered as its alias; one on
    /// another server gets a connection of its own, which nothing aliases (its credentials are the plugin's).
    #[tokio::test]
    async fn a_profile_on_a_connected_server_is_an_alias() {
        let (tx, mut rx) = mpsc::channel(64);
        let registry = Arc::new(Registry::default());
        registry.add_server("https://dev-eu.example:6443", "dev-eu");
        if let Ok(mut names) = registry.kubeconfig_contexts.lock() {
            names.insert("dev-eu".into());
        }
        registry.add_server("https://prod-us.example:6443", "mgmt/capi/prod-us");
        let opts = FleetOptions { connect_timeout: Duration::from_millis(200), ..FleetOptions::default() };
        let (supervisor, _reports) = Supervisor::new(opts, tx, registry.clone());
        let (mut running, mut spawned) = (BTreeMap::new(), AbortOnDrop::default());
        let provider: profiles::ProfileProvider = serde_json::from_value(serde_json::json!({"name": "p",
            "execConfig": {"apiVersion": "client.authentication.k8s.io/v1", "command": "/bin/false", "args": null,
                "env": null}}))
        .expect("provider");
        let found = |name: &str, server: &str| {
            let profile =
                serde_json::json!({"status": {"accessProviders": [{"name": "p", "cluster": {"server": server}}]}});
            let (kc, provider) = profiles::access(&profile, std::slice::from_ref(&provider)).expect("usable");
            ProfileEvent::Found(profiles::ProfileTarget {
                name: format!("hub/fleet/{name}"),
                namespace: "fleet".into(),
                profile: name.into(),
                provider,
                kubeconfig: Arc::new(kc),
            })
        };
        let alias_of = |e: StoreEvent| match e {
            StoreEvent::Registered { origin: o @ Origin::Profile { .. }, .. } => Some(o.alias_of().map(str::to_owned)),
            _ => None,
        };
        let event = found("dev-eu", "https://dev-eu.example:6443/");
        assert!(supervisor.apply_profile("hub", event, &mut running, &mut spawned).await);
        assert_eq!(next(&mut rx, "hub/fleet/dev-eu", alias_of).await, Some("dev-eu".into()));
        // A CAPI-derived context's server: not a kubeconfig context, so not aliased.
        let event = found("prod-us", "https://prod-us.example:6443");
        assert!(supervisor.apply_profile("hub", event, &mut running, &mut spawned).await);
        assert_eq!(next(&mut rx, "hub/fleet/prod-us", alias_of).await, None);
        let event = found("edge", "https://127.0.0.1:1");
        assert!(supervisor.apply_profile("hub", event, &mut running, &mut spawned).await);
        assert_eq!(next(&mut rx, "hub/fleet/edge", alias_of).await, None);
        assert_eq!(registry.context_for_server("https://127.0.0.1:1"), None, "nothing aliases a profile's context");
    }

    /// A found target is registered as a derived context (an alias when a context already connects to its
    /// server, else with a connection of its own, which later targets on that server alias), and a gone one
    /// is removed.
    #[tokio::test]
    async fn found_targets_are_registered_and_gone_ones_removed() {
        let (tx, mut rx) = mpsc::channel(64);
        let registry = Arc::new(Registry::default());
        registry.add_server("https://dev-eu.example:6443", "dev-eu");
        let opts = FleetOptions { connect_timeout: Duration::from_millis(200), ..FleetOptions::default() };
        let (supervisor, _reports) = Supervisor::new(opts, tx, registry.clone());
        let mut running = BTreeMap::new();
        let mut spawned = AbortOnDrop::default();
        let registered = |e: StoreEvent| match e {
            StoreEvent::Registered { origin: Origin::Derived { namespace, cluster, alias_of, .. }, .. } => {
                Some((namespace, cluster, alias_of))
            }
            _ => None,
        };

        let alias = WorkloadEvent::Found(workload("mgmt/capi/dev-eu", "https://dev-eu.example:6443/"));
        assert!(supervisor.apply("mgmt", alias, &mut running, &mut spawned).await);
        let got = next(&mut rx, "mgmt/capi/dev-eu", registered).await;
        assert_eq!(got, ("capi".into(), "dev-eu".into(), Some("dev-eu".into())));

        let own = WorkloadEvent::Found(workload("mgmt/capi/prod", "https://127.0.0.1:1"));
        assert!(supervisor.apply("mgmt", own, &mut running, &mut spawned).await);
        assert_eq!(next(&mut rx, "mgmt/capi/prod", registered).await, ("capi".into(), "prod".into(), None));
        assert_eq!(registry.context_for_server("https://127.0.0.1:1").as_deref(), Some("mgmt/capi/prod"));
        let connecting = |e: StoreEvent| matches!(e, StoreEvent::Connecting).then_some(());
        next(&mut rx, "mgmt/capi/prod", connecting).await;

        assert!(
            supervisor.apply("mgmt", WorkloadEvent::Gone("mgmt/capi/prod".into()), &mut running, &mut spawned).await
        );
        let removed = |e: StoreEvent| matches!(e, StoreEvent::Removed).then_some(());
        next(&mut rx, "mgmt/capi/prod", removed).await;
        assert_eq!(running.keys().collect::<Vec<_>>(), ["mgmt/capi/dev-eu"]);
        assert_eq!(registry.context_for_server("https://127.0.0.1:1"), None, "the removed context's server is free");

        // Found again (a re-created Secret): a connection of its own again, not an alias of itself.
        for _ in 0..2 {
            let again = WorkloadEvent::Found(workload("mgmt/capi/prod", "https://127.0.0.1:1"));
            assert!(supervisor.apply("mgmt", again, &mut running, &mut spawned).await);
            assert_eq!(next(&mut rx, "mgmt/capi/prod", registered).await, ("capi".into(), "prod".into(), None));
        }
    }
}
