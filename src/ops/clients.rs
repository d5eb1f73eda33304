//! Clients for the contexts actions run against: kubeconfig contexts, and derived workload-cluster
//! contexts (`<mgmt>/<namespace>/<cluster>`, reached through the CAPI `<cluster>-kubeconfig` Secret like
//! [`crate::fleet::lineage`] does; the Secret's data only builds the client and is never kept elsewhere).
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::config::Kubeconfig;

use super::OpError;
use crate::fleet::FleetOptions;
use crate::fleet::connection::{self, ConnectError, Target};
use crate::model::kinds::KindId;

/// How long a built client is reused before credentials are resolved again (exec plugin tokens expire).
pub const REUSE_FOR: Duration = Duration::from_secs(300);

/// Builds and caches one client per context.
pub struct Clients {
    kubeconfig: Arc<Kubeconfig>,
    opts: FleetOptions,
    cache: tokio::sync::Mutex<HashMap<String, (kube::Client, Instant)>>,
}

impl Clients {
    /// Clients for the contexts of `kubeconfig`.
    pub fn new(kubeconfig: Arc<Kubeconfig>, opts: FleetOptions) -> Clients {
        Clients { kubeconfig, opts, cache: Default::default() }
    }

    /// A client for `context`: a kubeconfig context, or a derived `<mgmt>/<namespace>/<cluster>` one.
    ///
    /// # Errors
    /// [`OpError::Failed`] naming the context when it is unknown, its credentials cannot be resolved, or
    /// (derived) the management cluster's Secret cannot be read.
    pub async fn get(&self, context: &str) -> Result<kube::Client, OpError> {
        let mut cache = self.cache.lock().await;
        if let Some((c, at)) = cache.get(context)
            && at.elapsed() < REUSE_FOR
        {
            return Ok(c.clone());
        }
        let client = self.build(context).await?;
        cache.insert(context.to_string(), (client.clone(), Instant::now()));
        Ok(client)
    }

    /// A client for each of `contexts` (each once), or why there is none, by context: for reads spread over
    /// several clusters ([`crate::fleet::inventory::read_probes`]).
    pub async fn for_contexts(&self, contexts: Vec<String>) -> HashMap<String, Result<kube::Client, String>> {
        let mut out = HashMap::new();
        for c in contexts {
            if let std::collections::hash_map::Entry::Vacant(slot) = out.entry(c) {
                let client = self.get(slot.key()).await.map_err(|e| e.to_string());
                slot.insert(client);
            }
        }
        out
    }

    async fn build(&self, context: &str) -> Result<kube::Client, OpError> {
        let known = self.kubeconfig.contexts.iter().any(|c| c.name == context);
        let target = if known {
            Target { name: context.into(), kubeconfig: self.kubeconfig.clone(), context: context.to_string() }
        } else {
            let mut parts = context.splitn(3, '/');
            let (Some(mgmt), Some(ns), Some(cluster)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(OpError::Failed(format!("no context named {context:?} in the kubeconfig")));
            };
            self.derived(context, mgmt, ns, cluster).await?
        };
        connection::client_for(&target, &self.opts).await.map(|b| b.client).map_err(|e| match e {
            ConnectError::Unauthorized(w) | ConnectError::Unreachable(w) => {
                OpError::Failed(format!("context {context}: {w}"))
            }
        })
    }

    async fn derived(&self, context: &str, mgmt: &str, ns: &str, cluster: &str) -> Result<Target, OpError> {
        let mgmt_target = Target { name: mgmt.into(), kubeconfig: self.kubeconfig.clone(), context: mgmt.to_string() };
        if !self.kubeconfig.contexts.iter().any(|c| c.name == mgmt) {
            return Err(OpError::Failed(format!("no context named {context:?} (and no management context {mgmt:?})")));
        }
        let client = connection::client_for(&mgmt_target, &self.opts)
            .await
            .map_err(|_| OpError::Failed(format!("{context}: cannot reach the management context {mgmt}")))?
            .client;
        let secret_name = format!("{cluster}-kubeconfig");
        let secret = Api::<Secret>::namespaced(client, ns).get(&secret_name).await.map_err(|e| {
            OpError::Failed(format!(
                "{context}: reading Secret {ns}/{secret_name} in {mgmt}: {}",
                crate::fleet::describe(&e)
            ))
        })?;
        let kc = secret
            .data
            .as_ref()
            .and_then(|d| d.get("value"))
            .and_then(|v| std::str::from_utf8(&v.0).ok())
            .and_then(|t| Kubeconfig::from_yaml(t).ok())
            .ok_or_else(|| OpError::Failed(format!("{context}: Secret {ns}/{secret_name} holds no kubeconfig")))?;
        let inner = kc
            .current_context
            .clone()
            .or_else(|| kc.contexts.first().map(|c| c.name.clone()))
            .ok_or_else(|| OpError::Failed(format!("{context}: the kubeconfig in {secret_name} has no context")))?;
        Ok(Target { name: context.into(), kubeconfig: Arc::new(kc), context: inner })
    }
}

/// The version of `kind` the server serves, the catalogue's preferred first (CAPI v1beta2, else v1beta1).
///
/// # Errors
/// [`OpError::Refused`] (`NotFound`) when the server serves none of them (the CRD is missing);
/// [`OpError::Failed`] when discovery fails.
pub async fn served_version(client: &kube::Client, kind: KindId) -> Result<String, OpError> {
    let spec = kind.spec();
    if spec.group.is_empty() {
        return Ok("v1".into());
    }
    let group = match kube::discovery::group(client, spec.group).await {
        Ok(g) => g,
        Err(kube::Error::Api(s)) if s.code == 404 => {
            return Err(OpError::refused(
                super::RefusalKind::NotFound,
                format!("the server does not serve {} (no CRD for {})", spec.kind, spec.group),
            ));
        }
        Err(e) => return Err(OpError::Failed(format!("discovering {}: {}", spec.group, crate::fleet::describe(&e)))),
    };
    if spec.versions.is_empty() {
        // A kind found at run time: its most stable served version.
        let found = crate::fleet::served::most_stable(&group, spec.kind);
        return found.map(|(ar, _)| ar.version).ok_or_else(|| {
            OpError::refused(
                super::RefusalKind::NotFound,
                format!("the server does not serve {} in {}", spec.kind, spec.group),
            )
        });
    }
    let served: Vec<String> = group.versions().map(str::to_string).collect();
    spec.versions.iter().find(|v| served.iter().any(|s| s == *v)).map(|v| v.to_string()).ok_or_else(|| {
        OpError::refused(
            super::RefusalKind::NotFound,
            format!("the server serves {} only as {}, which fleetdeck does not read", spec.group, served.join(", ")),
        )
    })
}

/// The Crossplane kind `text` names on `client`'s server (a claim, composite or managed resource kind: one
/// whose CRD has the category `claim`, `composite` or `crossplane`), as `crossplane resource trace` takes a
/// TYPE: the kind or its plural, alone or followed by `.group` (case-insensitive). Reads every API group's
/// preferred version once (a one-shot command's discovery); gives the kind its run-time id
/// ([`KindId::dynamic`]) and the version to address it with.
///
/// # Errors
/// [`OpError::Refused`] (`NotFound`) when no such kind is served, or it is not a Crossplane kind;
/// [`OpError::Failed`] when discovery fails.
pub async fn crossplane_kind(client: &kube::Client, text: &str) -> Result<(KindId, String), OpError> {
    use crate::model::kinds::Dynamic;
    let failed = |e: kube::Error| OpError::Failed(format!("discovery: {}", crate::fleet::describe(&e)));
    let groups = client.list_api_groups().await.map_err(failed)?;
    let gvs: Vec<String> =
        groups.groups.iter().filter_map(|g| g.preferred_version.as_ref().map(|v| v.group_version.clone())).collect();
    let lists = futures::future::join_all(gvs.iter().map(|gv| client.list_api_group_resources(gv))).await;
    for (gv, list) in gvs.iter().zip(lists) {
        let Ok(list) = list else { continue };
        let (group, version) = gv.split_once('/').unwrap_or(("", gv));
        for r in list.resources.iter().filter(|r| !r.name.contains('/')) {
            if !crate::model::object_ref::names_type(text, &r.kind, &r.name, group) {
                continue;
            }
            let categories = r.categories.clone().unwrap_or_default();
            let role = if categories.iter().any(|c| c == "claim") {
                Dynamic::Claim
            } else if categories.iter().any(|c| c == "composite") {
                Dynamic::Composite
            } else if categories.iter().any(|c| c == "crossplane") && !group.ends_with(".crossplane.io") {
                Dynamic::Managed
            } else {
                return Err(OpError::refused(
                    super::RefusalKind::Precondition,
                    format!("{} ({gv}) is not a Crossplane claim, composite or managed resource", r.kind),
                ));
            };
            let id = KindId::dynamic(group, &r.kind, &r.name, r.namespaced, role)
                .ok_or_else(|| OpError::Failed("too many kinds found at run time in this process".into()))?;
            return Ok((id, version.to_string()));
        }
    }
    Err(OpError::refused(super::RefusalKind::NotFound, format!("the server serves no kind named {text:?}")))
}
