//! Lineage: a management cluster's CAPI `<cluster>-kubeconfig` Secrets become derived contexts named
//! `<management>/<namespace>/<cluster>`, so workload clusters with no kubeconfig context of their own join
//! the fleet as CAPI creates them.
//!
//! When a kubeconfig context already points at the same server, the derived context is an alias of it: it
//! is listed (with `aliasOf`) and its reachability through the Secret's credentials is probed, but no
//! second set of watches is opened. The Secret's data is used to build the client only: it is never stored
//! in the model, shown or logged.
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::config::Kubeconfig;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::connection::{self, Target};
use super::{FleetOptions, Registry};
use crate::model::store::{Origin, StoreEvent, StoreMsg};

/// How often the Secrets are listed again.
pub const RESCAN_EVERY: Duration = Duration::from_secs(30);

/// The CAPI cluster a Secret is the kubeconfig of: `<cluster>-kubeconfig` (the `-user-kubeconfig` variant of
/// EKS needs an interactive exec plugin, so it is skipped).
pub fn cluster_of_secret(name: &str) -> Option<&str> {
    if name.ends_with("-user-kubeconfig") {
        return None;
    }
    name.strip_suffix("-kubeconfig").filter(|c| !c.is_empty())
}

/// The derived context name.
pub fn derived_name(management: &str, namespace: &str, cluster: &str) -> String {
    format!("{management}/{namespace}/{cluster}")
}

/// Lists the kubeconfig Secrets of `management` every [`RESCAN_EVERY`] and runs a context (or an alias
/// probe) per workload cluster. Ends quietly when Secrets are forbidden.
pub async fn run(
    management: Arc<str>,
    client: kube::Client,
    opts: FleetOptions,
    tx: mpsc::Sender<StoreMsg>,
    registry: Arc<Registry>,
) {
    let api: Api<Secret> = Api::all(client);
    let mut running: BTreeMap<String, JoinHandle<()>> = BTreeMap::new();
    // Ends the derived contexts' tasks when this task is aborted.
    let mut spawned = super::AbortOnDrop::default();
    loop {
        let list = match api.list(&ListParams::default().labels("cluster.x-k8s.io/cluster-name")).await {
            Ok(l) => l,
            Err(kube::Error::Api(s)) if s.code == 403 => {
                tracing::info!("{management}: Secrets are forbidden; no derived workload-cluster contexts");
                return;
            }
            Err(e) => {
                tracing::debug!("{management}: listing kubeconfig Secrets: {}", super::describe(&e));
                tokio::time::sleep(RESCAN_EVERY).await;
                continue;
            }
        };
        let mut seen = Vec::new();
        for secret in list.items {
            let (Some(ns), Some(name)) = (secret.metadata.namespace.clone(), secret.metadata.name.clone()) else {
                continue;
            };
            let Some(cluster) = cluster_of_secret(&name) else {
                continue;
            };
            let derived = derived_name(&management, &ns, cluster);
            seen.push(derived.clone());
            if running.contains_key(&derived) {
                continue;
            }
            let Some(kc) = secret
                .data
                .as_ref()
                .and_then(|d| d.get("value"))
                .and_then(|v| std::str::from_utf8(&v.0).ok())
                .and_then(|text| Kubeconfig::from_yaml(text).ok())
            else {
                tracing::warn!("{management}: Secret {ns}/{name} holds no readable kubeconfig under `value`");
                continue;
            };
            let Some(context) = kc.current_context.clone().or_else(|| kc.contexts.first().map(|c| c.name.clone()))
            else {
                continue;
            };
            let target = Target { name: derived.clone().into(), kubeconfig: Arc::new(kc), context };
            let server = connection::server_of(&target).unwrap_or_default();
            let alias_of = registry.context_for_server(&server);
            let origin = Origin::Derived {
                management: management.to_string(),
                namespace: ns.clone(),
                cluster: cluster.to_string(),
                alias_of: alias_of.clone(),
            };
            let generation = registry.next_generation();
            let registered = StoreMsg {
                context: target.name.clone(),
                generation,
                event: StoreEvent::Registered { server: server.clone(), origin },
            };
            if tx.send(registered).await.is_err() {
                return;
            }
            let task = if alias_of.is_some() {
                tokio::spawn(connection::probe_alias(target, RESCAN_EVERY, opts.clone(), tx.clone(), registry.clone()))
            } else {
                registry.add_server(&server, &derived);
                connection::spawn(target, opts.clone(), tx.clone(), registry.clone())
            };
            spawned.hold(&task);
            running.insert(derived, task);
        }
        // Secrets that vanished: their derived contexts go too.
        let gone: Vec<String> = running.keys().filter(|k| !seen.contains(k)).cloned().collect();
        for g in gone {
            if let Some(t) = running.remove(&g) {
                t.abort();
            }
            let generation = registry.next_generation();
            let _ = tx.send(StoreMsg { context: g.into(), generation, event: StoreEvent::Removed }).await;
        }
        tokio::time::sleep(RESCAN_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert_eq!(cluster_of_secret("dev-eu-kubeconfig"), Some("dev-eu"));
        assert_eq!(cluster_of_secret("eks-user-kubeconfig"), None);
        assert_eq!(cluster_of_secret("-kubeconfig"), None);
        assert_eq!(cluster_of_secret("dev-eu-ca"), None);
        assert_eq!(derived_name("mgmt", "capi", "dev-eu"), "mgmt/capi/dev-eu");
    }
}
