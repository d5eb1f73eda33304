//! Lineage: a management cluster's CAPI `<cluster>-kubeconfig` Secrets become workload targets named
//! `<management>/<namespace>/<cluster>`, so workload clusters with no kubeconfig context of their own join
//! the fleet as CAPI creates them.
//!
//! This task only finds them: it reports each target found and each one whose Secret went
//! ([`WorkloadEvent`]) to the fleet's supervisor ([`super::supervisor`]), which registers the derived
//! context, decides whether it is an alias of a context already connected, and runs or stops its task. The
//! Secret's data is used to build the client only: it is never stored in the model, shown or logged.
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use kube::config::Kubeconfig;
use tokio::sync::mpsc;

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

/// A workload cluster found through a CAPI kubeconfig Secret of a management cluster. Holds the Secret's
/// credentials: kept in memory only, never shown or logged (hence no `Debug`).
pub struct WorkloadTarget {
    /// The derived context name, `<management>/<namespace>/<cluster>` ([`derived_name`]).
    pub name: String,
    /// The namespace of the Secret (and of the CAPI Cluster).
    pub namespace: String,
    /// The CAPI Cluster's name (the Secret's name without `-kubeconfig`).
    pub cluster: String,
    /// The kubeconfig under the Secret's `value` key.
    pub kubeconfig: Arc<Kubeconfig>,
    /// The context to use inside `kubeconfig`: its current context, else its first.
    pub context: String,
}

/// What lineage reports to the supervisor about one management cluster's workload targets.
pub enum WorkloadEvent {
    /// A Secret not reported before holds a readable kubeconfig (reported once, until it goes).
    Found(WorkloadTarget),
    /// The Secret of a target reported before is gone (by derived context name): its context goes too.
    Gone(String),
}

/// Lists the kubeconfig Secrets of `management` every [`RESCAN_EVERY`] and reports the workload targets
/// found and gone to `report`. Ends quietly when Secrets are forbidden, and when `report` is closed.
pub async fn run(management: Arc<str>, client: kube::Client, report: mpsc::Sender<WorkloadEvent>) {
    let api: Api<Secret> = Api::all(client);
    let mut reported: BTreeSet<String> = BTreeSet::new();
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
            if reported.contains(&derived) {
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
            let target = WorkloadTarget {
                name: derived.clone(),
                namespace: ns,
                cluster: cluster.to_string(),
                kubeconfig: Arc::new(kc),
                context,
            };
            if report.send(WorkloadEvent::Found(target)).await.is_err() {
                return;
            }
            reported.insert(derived);
        }
        // Secrets that vanished: their derived contexts go too.
        let gone: Vec<String> = reported.iter().filter(|k| !seen.contains(k)).cloned().collect();
        for g in gone {
            reported.remove(&g);
            if report.send(WorkloadEvent::Gone(g)).await.is_err() {
                return;
            }
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
