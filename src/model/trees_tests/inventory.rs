//! The health of a Flux tree's unwatched inventory entries: which entries are read (where, at which
//! version), and how what was read is laid over the tree.
use crate::model::flux_tree::kustomization_tree;
use crate::model::inventory::{EntryState, Overlay, probes};
use crate::model::status::{Health, HealthState};
use crate::model::tree::Missing;
use crate::model::tree_text::render_flux;

use super::flux::{find, fleet, resolve};

#[test]
fn probes_are_the_unwatched_entries_where_their_parent_applies_them() {
    let s = fleet();
    let t = kustomization_tree(&s, "mgmt", "flux-system", "flux-system", &resolve).expect("root");
    let got: Vec<(String, String, String)> =
        probes(&s, &t).into_iter().map(|p| (p.context, p.node, p.version)).collect();
    let want = |ctx: &str, id: &str, v: &str| (ctx.to_string(), format!("{ctx}/{id}"), v.to_string());
    assert_eq!(
        got,
        [
            want("mgmt", "/Namespace//cert-manager", "v1"),
            want("mgmt", "/Namespace//flux-system", "v1"),
            want("mgmt", "/Namespace//apps", "v1"),
            want("mgmt", "/Service/apps/podinfo", "v1"),
            want("mgmt", "apps/Deployment/apps/podinfo", "v1"),
            want("mgmt", "autoscaling/HorizontalPodAutoscaler/apps/podinfo", "v2"),
            want("mgmt", "rbac.authorization.k8s.io/ClusterRole//system:controller:kube-controller-manager", "v1"),
            want("mgmt", "apps/Deployment/cert-manager/cert-manager", "v1"),
            want("mgmt", "/Service/cert-manager/cert-manager-webhook", "v1"),
            want("mgmt", "apiextensions.k8s.io/CustomResourceDefinition//prometheuses.monitoring.coreos.com", "v1"),
            want("mgmt", "/Service/monitoring/kube-prometheus-stack-grafana", "v1"),
            want("mgmt", "apps/Deployment/monitoring/kube-prometheus-stack-operator", "v1"),
            want("mgmt", "monitoring.coreos.com/Prometheus/monitoring/kube-prometheus-stack-prometheus", "v1"),
            // The remote Kustomization's entries live in prod-us, where it applies them.
            want("prod-us", "/Namespace//podinfo", "v1"),
            want("prod-us", "/ConfigMap/podinfo/podinfo-config", "v1"),
            want("prod-us", "apps/Deployment/podinfo/podinfo", "v1"),
        ],
        "every `not watched` node once, in tree order; none of the edge cluster's (not in the fleet)"
    );
}

#[test]
fn an_overlay_shows_health_drift_and_unreadable_entries() {
    let s = fleet();
    let mut t = kustomization_tree(&s, "mgmt", "flux-system", "apps", &resolve).expect("root");
    let stuck = Health::new(HealthState::Failed, "ProgressDeadlineExceeded", "ReplicaSet \"podinfo-1\" has timed out");
    let mut overlay = Overlay::default();
    for (id, state) in [
        ("mgmt//Namespace//apps", EntryState::Found(Health::new(HealthState::Ready, "", ""))),
        ("mgmt//Service/apps/podinfo", EntryState::NotFound),
        ("mgmt/apps/Deployment/apps/podinfo", EntryState::Found(stuck.clone())),
        // Not a node of this tree: ignored.
        ("mgmt//ConfigMap/apps/elsewhere", EntryState::NotFound),
    ] {
        overlay.states.insert(id.to_string(), state);
    }
    let hpa = "mgmt/autoscaling/HorizontalPodAutoscaler/apps/podinfo";
    overlay.states.insert(hpa.into(), EntryState::Unreadable("forbidden: no list".into()));
    overlay.apply(&mut t);
    assert_eq!(
        render_flux(&t),
        "Kustomization/flux-system/apps\n\
         ├── Namespace/apps\n\
         ├── Service/apps/podinfo  (not found)\n\
         ├── Deployment/apps/podinfo  (Failed: ProgressDeadlineExceeded)\n\
         └── HorizontalPodAutoscaler/apps/podinfo  (unreadable: forbidden: no list)\n"
    );
    let node = |id: &str| find(&t, id).unwrap_or_else(|| panic!("{id}"));
    assert_eq!(node("mgmt/apps/Deployment/apps/podinfo").health.as_deref(), Some(&stuck));
    assert_eq!(node("mgmt//Service/apps/podinfo").missing, Some(Missing::NotFound));

    // Laid over a node that is watched, the overlay changes nothing: the store is the truth there.
    let mut root = kustomization_tree(&s, "mgmt", "flux-system", "apps", &resolve).expect("root");
    let ks = root.id.clone();
    let before = root.clone();
    Overlay { states: [(ks, EntryState::NotFound)].into_iter().collect() }.apply(&mut root);
    assert_eq!(root, before);
}
