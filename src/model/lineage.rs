//! Lineage across clusters: a management cluster's CAPI Cluster <-> the workload cluster's `flux-system`
//! Kustomization, through the derived context `<management>/<namespace>/<cluster>` (or the kubeconfig
//! context it aliases). Pure lookups over the store.
use super::kinds::KindId;
use super::object_ref::ObjectRef;
use super::store::{FleetStore, Origin};

/// The context holding a CAPI cluster's workload objects: the derived context, or the kubeconfig context it
/// aliases.
pub fn workload_context(store: &FleetStore, management: &str, namespace: &str, cluster: &str) -> Option<String> {
    let name = format!("{management}/{namespace}/{cluster}");
    match &store.context(&name)?.origin {
        Origin::Derived { alias_of: Some(a), .. } => Some(a.clone()),
        _ => Some(name),
    }
}

/// From a CAPI Cluster to its workload cluster's `flux-system/flux-system` Kustomization, and from a
/// Kustomization back to the CAPI Cluster whose workload cluster it runs in.
pub fn linked(store: &FleetStore, key: &ObjectRef) -> Option<ObjectRef> {
    let ctx = &key.context;
    if key.kind == KindId::CLUSTER {
        let w = workload_context(store, ctx, &key.namespace, &key.name)?;
        return Some(ObjectRef::new(w, KindId::KUSTOMIZATION, "flux-system", "flux-system"));
    }
    // Back: find the derived context that is (or aliases) `ctx`.
    store.contexts().find_map(|(n, c)| match &c.origin {
        Origin::Derived { management, namespace, cluster: cl, alias_of }
            if n == ctx || alias_of.as_deref() == Some(ctx) =>
        {
            Some(ObjectRef::new(management.clone(), KindId::CLUSTER, namespace.clone(), cl.clone()))
        }
        _ => None,
    })
}
