//! Which kinds a server serves, for reads of arbitrary objects (a Flux inventory's entries, a drift diff's
//! manifests): each distinct group/version/kind looked up once through discovery
//! (`kube::discovery::pinned_kind`, one request per group/version), concurrently, and the `Api` to reach an
//! object of it.
use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{self, Scope};

/// `(group, version, kind)`.
pub type Gvk = (String, String, String);

/// A kind as the server serves it (its resource, and whether it is namespaced), or why it is not (the
/// discovery error, described).
pub type Served = Result<(ApiResource, bool), String>;

/// Lookups in flight at once.
const CONCURRENCY: usize = 16;

/// The key of `g` in [`served`]'s answer.
pub fn key(g: &GroupVersionKind) -> Gvk {
    (g.group.clone(), g.version.clone(), g.kind.clone())
}

/// Each distinct kind of `gvks`, looked up once.
pub async fn served(client: &kube::Client, gvks: impl IntoIterator<Item = GroupVersionKind>) -> HashMap<Gvk, Served> {
    let mut seen = HashSet::new();
    let distinct: Vec<GroupVersionKind> = gvks.into_iter().filter(|g| seen.insert(key(g))).collect();
    let lookups: Vec<_> = distinct
        .into_iter()
        .map(|g| async move {
            let found = discovery::pinned_kind(client, &g)
                .await
                .map(|(ar, caps)| (ar, caps.scope == Scope::Namespaced))
                .map_err(|e| super::describe(&e));
            (key(&g), found)
        })
        .collect();
    futures::stream::iter(lookups).buffer_unordered(CONCURRENCY).collect().await
}

/// The resource `name` (a kind, or a plural) of `group` at its most stable served version, not the group's
/// preferred one: a provider may serve only `v1beta1` in a group whose other kinds prefer `v1beta2`.
pub fn most_stable(group: &discovery::ApiGroup, name: &str) -> Option<(ApiResource, discovery::ApiCapabilities)> {
    group.resources_by_stability().into_iter().find(|(ar, _)| ar.kind == name || ar.plural == name)
}

/// The API of a served kind: in `namespace` when it is namespaced, else cluster-wide.
pub fn api(client: &kube::Client, ar: &ApiResource, namespaced: bool, namespace: &str) -> Api<DynamicObject> {
    if namespaced { Api::namespaced_with(client.clone(), namespace, ar) } else { Api::all_with(client.clone(), ar) }
}
