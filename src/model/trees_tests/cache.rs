//! The tree cache rebuilds only when something a tree read changed.
use crate::model::capi_tree::{CapiTreeOptions, cluster_tree_with};
use crate::model::flux_tree::kustomization_tree_with;
use crate::model::store::{Origin, StoreEvent};
use crate::model::tree::{StoreView, TreeCache};

use super::{apply, fixture, msg, now, store};

#[test]
fn unrelated_changes_do_not_rebuild_related_ones_do() {
    let mut s = store(&[("mgmt", &["capi-v1beta2.yaml", "flux-mgmt.yaml"]), ("prod-us", &["flux-prod-us.yaml"])]);
    let mut cache = TreeCache::new();
    let opts = CapiTreeOptions::default();
    let build = |view: &StoreView<'_>| cluster_tree_with(view, "mgmt", "fleet", "dev-eu", &opts);
    let first = cache.get_or_build(&s, "capi/mgmt/fleet/dev-eu", build).cloned().expect("tree");
    assert_eq!(cache.builds(), 1);
    assert!(cache.get_or_build(&s, "capi/mgmt/fleet/dev-eu", build).is_some());
    assert_eq!(cache.builds(), 1, "nothing changed");

    // A Kustomization in mgmt and an OCIRepository in prod-us: kinds the CAPI tree never read.
    for obj in fixture("flux-mgmt.yaml").into_iter().filter(|o| o.metadata.name.as_deref() == Some("apps")) {
        apply(&mut s, "mgmt", obj);
    }
    for obj in fixture("flux-prod-us.yaml") {
        apply(&mut s, "prod-us", obj);
    }
    assert!(cache.get_or_build(&s, "capi/mgmt/fleet/dev-eu", build).is_some());
    assert_eq!(cache.builds(), 1, "unrelated kinds changed");

    // A Machine of the cluster changes: rebuilt, and the change shows.
    let mut machine = fixture("capi-v1beta2.yaml")
        .into_iter()
        .find(|o| {
            o.metadata.name.as_deref() == Some("dev-eu-md-0-7c9d8-x7vq4") && o.types.as_ref().unwrap().kind == "Machine"
        })
        .unwrap();
    machine.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    apply(&mut s, "mgmt", machine);
    let rebuilt = cache.get_or_build(&s, "capi/mgmt/fleet/dev-eu", build).cloned().expect("tree");
    assert_eq!(cache.builds(), 2);
    assert_ne!(rebuilt, first);

    cache.invalidate("capi/mgmt/fleet/dev-eu");
    assert!(cache.get_or_build(&s, "capi/mgmt/fleet/dev-eu", build).is_some());
    assert_eq!(cache.builds(), 3);
}

#[test]
fn a_context_appearing_rebuilds_trees_that_looked_for_it() {
    let mut s = store(&[("mgmt", &["flux-mgmt.yaml"])]);
    let mut cache = TreeCache::new();
    let resolve = |secret: &str, _: &str| (secret == "prod-us-kubeconfig").then(|| "prod-us".to_string());
    let build = |view: &StoreView<'_>| kustomization_tree_with(view, "mgmt", "flux-system", "prod-us-apps", &resolve);
    let before = cache.get_or_build(&s, "ks", build).cloned().expect("tree");
    assert!(!before.remote.as_ref().unwrap().found);
    let registered =
        StoreEvent::Registered { server: "https://prod-us.example:6443".into(), origin: Origin::Kubeconfig };
    s.apply(msg("prod-us", registered), now());
    let after = cache.get_or_build(&s, "ks", build).cloned().expect("tree");
    assert_eq!(cache.builds(), 2);
    assert!(after.remote.as_ref().unwrap().found);
}
