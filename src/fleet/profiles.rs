//! Cluster inventories: a hub's SIG-Multicluster `ClusterProfile`s (`multicluster.x-k8s.io/v1alpha1`,
//! KEP-4322) become derived contexts `<hub>/<namespace>/<name>`, reached through the access provider the
//! profile names and the exec plugin fleetdeck's configuration gives for it (KEP-5339).
//!
//! The flow is the consumer side of `sigs.k8s.io/cluster-inventory-api` `pkg/access` (v0.1.2):
//! - the profile's `status.accessProviders[]` (and the deprecated `status.credentialProviders[]`, read too;
//!   `accessProviders` wins a name clash) each name a provider and hold a kubeconfig `Cluster` (server,
//!   `certificate-authority-data`, `proxy-url`, `tls-server-name`, `extensions`);
//! - the first provider of fleetdeck's configuration ([`ProfileProvider`], in its order) that the profile
//!   lists is used: its `execConfig` becomes the user of an in-memory kubeconfig, with `interactiveMode:
//!   Never`; with `provideClusterInfo: true`, kube passes the cluster, and its extension
//!   `client.authentication.k8s.io/exec`, to the plugin in `KUBERNETES_EXEC_INFO`;
//! - the plugin prints an `ExecCredential`, run like every exec plugin ([`super::exec`]: a timeout, a bound on
//!   plugins at once, its errors in the context's reason).
//!
//! This task only finds them: it watches the hub's profiles and reports each usable one found, each one
//! with no usable provider (and why), and each one gone ([`ProfileEvent`]) to the supervisor, which registers
//! and runs the derived contexts. Credentials come from the plugin at connection time; nothing here holds
//! a secret.
use std::collections::BTreeMap;
use std::sync::Arc;

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::config::{
    AuthInfo, Cluster, Context, ExecConfig, ExecInteractiveMode, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext,
};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

/// One credential provider fleetdeck can use, as in KEP-5339's consumer file
/// (`{"providers": [{"name": ..., "execConfig": {...}}]}`, `cluster-inventory-api` `pkg/access/config.go`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileProvider {
    /// The provider's name, as profiles list it in `status.accessProviders[].name`.
    pub name: String,
    /// The exec plugin to run, as in a kubeconfig's `users[].user.exec`.
    pub exec_config: ExecConfig,
}

/// The kubeconfig `preferences.extensions` entry that may configure providers too, in KEP-5339's consumer
/// shape (`{"providers": [{"name": ..., "execConfig": {...}}]}`): a kubeconfig that names exec plugins for its
/// users may name them for a hub's profiles as well (the demo's kubeconfig does). kubectl keeps extensions
/// it does not know.
pub const KUBECONFIG_EXTENSION: &str = "fleetdeck/cluster-profile-providers";

/// The providers the kubeconfig's [`KUBECONFIG_EXTENSION`] configures, and one line per entry skipped
/// (`providers[I]` and why: not the consumer shape, or not a provider).
pub fn kubeconfig_providers(kc: &Kubeconfig) -> (Vec<ProfileProvider>, Vec<String>) {
    let extensions = kc.preferences.as_ref().and_then(|p| p.extensions.as_deref()).unwrap_or_default();
    let (mut found, mut skipped) = (Vec::new(), Vec::new());
    for e in extensions.iter().filter(|e| e.name == KUBECONFIG_EXTENSION) {
        let Some(list) = e.extension.get("providers").and_then(Value::as_array) else {
            skipped.push(format!("{KUBECONFIG_EXTENSION}: no \"providers\" list"));
            continue;
        };
        for (i, p) in list.iter().enumerate() {
            match serde_json::from_value(p.clone()) {
                Ok(p) => found.push(p),
                Err(err) => skipped.push(format!("{KUBECONFIG_EXTENSION} providers[{i}]: {err}")),
            }
        }
    }
    (found, skipped)
}

/// A profiled cluster to connect to. The kubeconfig holds no secret (the plugin makes the credential).
pub struct ProfileTarget {
    /// `<hub>/<namespace>/<name>`.
    pub name: String,
    /// The profile's namespace.
    pub namespace: String,
    /// The profile's name.
    pub profile: String,
    /// The provider used.
    pub provider: String,
    /// One context, `profile`, with the provider's cluster and the exec user.
    pub kubeconfig: Arc<Kubeconfig>,
}

/// What the profiles task reports to the supervisor about one hub.
pub enum ProfileEvent {
    /// A profile with a usable provider (reported again when its provider's cluster or the choice changed).
    Found(ProfileTarget),
    /// A profile fleetdeck cannot connect to: `(name, namespace, profile, why)`.
    Unusable(String, String, String, String),
    /// A profile reported before is gone (by derived context name).
    Gone(String),
}

/// The derived context name of a profile.
pub fn derived_name(hub: &str, namespace: &str, name: &str) -> String {
    format!("{hub}/{namespace}/{name}")
}

/// The provider names a profile offers, with their clusters: `accessProviders` first, then
/// `credentialProviders` for names not already given.
fn offered(profile: &Value) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for field in ["accessProviders", "credentialProviders"] {
        for p in profile.pointer(&format!("/status/{field}")).and_then(Value::as_array).into_iter().flatten() {
            let Some(name) = p.get("name").and_then(Value::as_str) else { continue };
            if !out.iter().any(|(n, _)| n == name) {
                out.push((name.to_string(), p.get("cluster").cloned().unwrap_or(Value::Null)));
            }
        }
    }
    out
}

/// The kubeconfig to reach `profile` through the first of `providers` it offers, with that provider's name.
///
/// # Errors
/// Why there is none, for the derived context's reason: no provider offered, none configured, no match
/// (naming both lists), or a cluster entry that is not a kubeconfig `Cluster` / has no server.
pub fn access(profile: &Value, providers: &[ProfileProvider]) -> Result<(Kubeconfig, String), String> {
    let offered = offered(profile);
    if offered.is_empty() {
        return Err("the ClusterProfile lists no access providers (status.accessProviders)".into());
    }
    let names = |v: Vec<&str>| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let Some(provider) = providers.iter().find(|p| offered.iter().any(|(n, _)| *n == p.name)) else {
        return Err(format!(
            "no access provider fleetdeck has a plugin for: the ClusterProfile offers {}; config.yaml \
             cluster_profile_providers (and the kubeconfig's {KUBECONFIG_EXTENSION}) name {}",
            names(offered.iter().map(|(n, _)| n.as_str()).collect()),
            names(providers.iter().map(|p| p.name.as_str()).collect())
        ));
    };
    let cluster_json = offered.iter().find(|(n, _)| *n == provider.name).map(|(_, c)| c.clone()).unwrap_or_default();
    let cluster: Cluster = serde_json::from_value(cluster_json)
        .map_err(|e| format!("access provider {}: its cluster is not a kubeconfig Cluster: {e}", provider.name))?;
    if cluster.server.as_deref().is_none_or(str::is_empty) {
        return Err(format!("access provider {}: its cluster has no server", provider.name));
    }
    let mut exec = provider.exec_config.clone();
    exec.interactive_mode = Some(ExecInteractiveMode::Never);
    let kc = Kubeconfig {
        clusters: vec![NamedCluster { name: "profile".into(), cluster: Some(cluster), ..NamedCluster::default() }],
        auth_infos: vec![NamedAuthInfo {
            name: "profile".into(),
            auth_info: Some(AuthInfo { exec: Some(exec), ..AuthInfo::default() }),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: "profile".into(),
            context: Some(Context { cluster: "profile".into(), user: Some("profile".into()), ..Context::default() }),
            ..NamedContext::default()
        }],
        current_context: Some("profile".into()),
        ..Kubeconfig::default()
    };
    Ok((kc, provider.name.clone()))
}

/// Watches the ClusterProfiles of `hub` and reports them to `report` (see the module docs). Ends quietly
/// when profiles are forbidden (the hub's own ClusterProfile watch shows Forbidden) and when `report` is
/// closed.
pub async fn run(
    hub: Arc<str>,
    client: kube::Client,
    providers: Vec<ProfileProvider>,
    report: mpsc::Sender<ProfileEvent>,
) {
    let gvk = GroupVersionKind::gvk("multicluster.x-k8s.io", "v1alpha1", "ClusterProfile");
    let api: Api<DynamicObject> = Api::all_with(client, &ApiResource::from_gvk_with_plural(&gvk, "clusterprofiles"));
    // Derived name -> what was reported (the provider and cluster, or the reason), to report changes only.
    let mut reported: BTreeMap<String, String> = BTreeMap::new();
    let mut listing: Option<Vec<String>> = None;
    let mut events = std::pin::pin!(super::watch_stream::watch(api, watcher::Config::default().any_semantic()));
    while let Some(ev) = events.next().await {
        let (object, init) = match ev {
            Ok(watcher::Event::Init) => {
                listing = Some(Vec::new());
                continue;
            }
            Ok(watcher::Event::InitDone) => {
                let seen = listing.take().unwrap_or_default();
                let gone: Vec<String> = reported.keys().filter(|k| !seen.contains(k)).cloned().collect();
                for g in gone {
                    reported.remove(&g);
                    if report.send(ProfileEvent::Gone(g)).await.is_err() {
                        return;
                    }
                }
                continue;
            }
            Ok(watcher::Event::Delete(o)) => {
                let name =
                    derived_name(&hub, &o.metadata.namespace.unwrap_or_default(), &o.metadata.name.unwrap_or_default());
                if reported.remove(&name).is_some() && report.send(ProfileEvent::Gone(name)).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(watcher::Event::Apply(o)) => (o, false),
            Ok(watcher::Event::InitApply(o)) => (o, true),
            Err(
                watcher::Error::InitialListFailed(kube::Error::Api(s))
                | watcher::Error::WatchFailed(kube::Error::Api(s)),
            ) if s.code == 403 => {
                tracing::info!("{hub}: ClusterProfiles are forbidden; no derived contexts from its inventory");
                return;
            }
            Err(e) => {
                // The stream backs off (kube-runtime's default backoff) and resumes by itself.
                tracing::debug!("{hub}: watching ClusterProfiles: {e}");
                continue;
            }
        };
        let namespace = object.metadata.namespace.clone().unwrap_or_default();
        let profile = object.metadata.name.clone().unwrap_or_default();
        let name = derived_name(&hub, &namespace, &profile);
        if init && let Some(l) = listing.as_mut() {
            l.push(name.clone());
        }
        let value = serde_json::to_value(&object).unwrap_or_default();
        let event = match access(&value, &providers) {
            Ok((kc, provider)) => {
                let fingerprint = format!("{provider} {}", serde_json::to_string(&kc.clusters).unwrap_or_default());
                if reported.get(&name) == Some(&fingerprint) {
                    continue;
                }
                reported.insert(name.clone(), fingerprint);
                ProfileEvent::Found(ProfileTarget { name, namespace, profile, provider, kubeconfig: Arc::new(kc) })
            }
            Err(why) => {
                if reported.get(&name) == Some(&why) {
                    continue;
                }
                reported.insert(name.clone(), why.clone());
                ProfileEvent::Unusable(name, namespace, profile, why)
            }
        };
        if report.send(event).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn provider(name: &str) -> ProfileProvider {
        serde_json::from_value(json!({"name": name, "execConfig": {"apiVersion": "client.authentication.k8s.io/v1",
            "command": "/bin/plugin", "args": ["--x"], "env": null, "provideClusterInfo": true}}))
        .expect("provider")
    }

    fn profile(access: Value, credential: Value) -> Value {
        json!({"status": {"accessProviders": access, "credentialProviders": credential}})
    }

    #[test]
    fn the_first_configured_provider_the_profile_offers_is_used() {
        let p = profile(
            json!([{"name": "b", "cluster": {"server": "https://b", "extensions": [{"name": "client.authentication.k8s.io/exec",
                "extension": {"clusterName": "eu-1"}}]}}]),
            json!([{"name": "a", "cluster": {"server": "https://a"}}, {"name": "b", "cluster": {"server": "https://old"}}]),
        );
        let (kc, used) = access(&p, &[provider("a"), provider("b")]).expect("usable");
        assert_eq!(used, "a", "the consumer's order decides");
        assert_eq!(kc.clusters[0].cluster.as_ref().and_then(|c| c.server.as_deref()), Some("https://a"));
        let (kc, used) = access(&p, &[provider("b")]).expect("usable");
        assert_eq!(used, "b");
        let cluster = kc.clusters[0].cluster.as_ref().expect("cluster");
        assert_eq!(cluster.server.as_deref(), Some("https://b"), "accessProviders wins a name clash");
        assert_eq!(cluster.extensions.as_ref().map(Vec::len), Some(1), "the exec extension reaches the plugin");
        let exec = kc.auth_infos[0].auth_info.as_ref().and_then(|a| a.exec.as_ref()).expect("exec");
        assert_eq!(exec.interactive_mode, Some(ExecInteractiveMode::Never));
        assert!(exec.provide_cluster_info);
    }

    #[test]
    fn a_kubeconfig_may_configure_providers_and_bad_entries_are_named() {
        let yaml = format!(
            "apiVersion: v1\nkind: Config\npreferences:\n  extensions:\n  - name: {KUBECONFIG_EXTENSION}\n    \
             extension: {{\"providers\": [{{\"name\": \"demo\", \"execConfig\": {{\"apiVersion\": \
             \"client.authentication.k8s.io/v1\", \"command\": \"/bin/p\", \"args\": null, \"env\": null}}}}, \
             {{\"name\": \"bad\"}}]}}\n  - name: other\n    extension: {{}}\n\
             clusters: []\ncontexts: []\nusers: []\n"
        );
        let kc = Kubeconfig::from_yaml(&yaml).expect("kubeconfig");
        let (found, skipped) = kubeconfig_providers(&kc);
        assert_eq!(found.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["demo"]);
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].contains("providers[1]") && skipped[0].contains("execConfig"), "{skipped:?}");
        assert_eq!(kubeconfig_providers(&Kubeconfig::default()).0.len(), 0);
    }

    #[test]
    fn unusable_profiles_say_why() {
        let none = access(&json!({"status": {}}), &[provider("a")]).expect_err("refused");
        assert!(none.contains("lists no access providers"), "{none}");
        let p = profile(json!([{"name": "cp-creds", "cluster": {"server": "https://x"}}]), Value::Null);
        let why = access(&p, &[provider("secretreader")]).expect_err("refused");
        assert!(why.contains("offers cp-creds") && why.contains("name secretreader"), "{why}");
        let why = access(&p, &[]).expect_err("refused");
        assert!(why.contains("name none"), "{why}");
        let p = profile(json!([{"name": "a", "cluster": {"server": ""}}]), Value::Null);
        assert!(access(&p, &[provider("a")]).expect_err("refused").contains("no server"));
        let p = profile(json!([{"name": "a", "cluster": {"server": 7}}]), Value::Null);
        assert!(access(&p, &[provider("a")]).expect_err("refused").contains("not a kubeconfig Cluster"));
    }
}
