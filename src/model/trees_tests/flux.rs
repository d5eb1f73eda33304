//! `flux tree kustomization` trees and inventory ids.
use crate::model::flux_tree::{
    InventoryIdError, ObjMetadata, helmrelease_tree, kustomization_tree, parse_inventory_id,
};
use crate::model::kinds::KindId;
use crate::model::store::{FleetStore, KindEvent, KindState, StoreEvent};
use crate::model::tree::{Missing, TreeNode};
use crate::model::tree_text::render_flux;

use super::{msg, now, store};

/// mgmt and prod-us, with HelmReleases forbidden to fleetdeck in prod-us.
pub(super) fn fleet() -> FleetStore {
    let mut s = store(&[("mgmt", &["flux-mgmt.yaml"]), ("prod-us", &["flux-prod-us.yaml"])]);
    let hr = KindId::find("helm.toolkit.fluxcd.io", "HelmRelease").unwrap();
    let forbidden = KindEvent::Forbidden("helmreleases.helm.toolkit.fluxcd.io is forbidden".into());
    s.apply(msg("prod-us", StoreEvent::Kind(hr, forbidden)), now());
    s
}

/// Maps the kubeconfig Secret `flux-system/prod-us-kubeconfig` to the context `prod-us`.
pub(super) fn resolve(secret: &str, namespace: &str) -> Option<String> {
    (namespace == "flux-system" && secret == "prod-us-kubeconfig").then(|| "prod-us".to_string())
}

pub(super) fn find<'t>(node: &'t TreeNode, id_end: &str) -> Option<&'t TreeNode> {
    if node.id.ends_with(id_end) {
        return Some(node);
    }
    node.children.iter().find_map(|c| find(c, id_end))
}

fn meta(namespace: &str, name: &str, group: &str, kind: &str) -> ObjMetadata {
    ObjMetadata { namespace: namespace.into(), name: name.into(), group: group.into(), kind: kind.into() }
}

#[test]
fn inventory_ids_parse_like_cli_utils() {
    let rbac = "rbac.authorization.k8s.io";
    let ok = [
        // fluxcd/cli-utils `pkg/object/objmetadata_test.go` `TestParseObjMetadata`, every valid row.
        ("_test-name_apps_ReplicaSet", meta("", "test-name", "apps", "ReplicaSet")),
        ("test-namespace_test-name_apps_Deployment", meta("test-namespace", "test-name", "apps", "Deployment")),
        (
            "test-namespace_kubeadm__nodes-kubeadm-config_rbac.authorization.k8s.io_Role",
            meta("test-namespace", "kubeadm:nodes-kubeadm-config", rbac, "Role"),
        ),
        (
            "test-namespace_system____leader-locking-kube-scheduler_rbac.authorization.k8s.io_Role",
            meta("test-namespace", "system::leader-locking-kube-scheduler", rbac, "Role"),
        ),
        (
            "test-namespace___leader-locking-kube-scheduler_rbac.authorization.k8s.io_ClusterRole",
            meta("test-namespace", ":leader-locking-kube-scheduler", rbac, "ClusterRole"),
        ),
        (
            "test-namespace_leader-locking-kube-scheduler___rbac.authorization.k8s.io_RoleBinding",
            meta("test-namespace", "leader-locking-kube-scheduler:", rbac, "RoleBinding"),
        ),
        ("test-namespace_test_name_apps_Deployment", meta("test-namespace", "test_name", "apps", "Deployment")),
        (
            "test-namespace_test_name_with_underscores_apps_Deployment",
            meta("test-namespace", "test_name_with_underscores", "apps", "Deployment"),
        ),
        // More forms.
        ("default_podinfo__Service", meta("default", "podinfo", "", "Service")),
        ("_flux-system__Namespace", meta("", "flux-system", "", "Namespace")),
        ("apps_podinfo_apps_Deployment", meta("apps", "podinfo", "apps", "Deployment")),
        (
            "_system__controller__kube-controller-manager_rbac.authorization.k8s.io_ClusterRole",
            meta("", "system:controller:kube-controller-manager", "rbac.authorization.k8s.io", "ClusterRole"),
        ),
        (
            "kube-system_system__leader-locking_rbac.authorization.k8s.io_Role",
            meta("kube-system", "system:leader-locking", "rbac.authorization.k8s.io", "Role"),
        ),
        ("ns_a_____rbac.authorization.k8s.io_Role", meta("ns", "a::", "rbac.authorization.k8s.io", "Role")),
        ("ns_name_apps_", meta("ns", "name", "apps", "")),
        ("__group_Kind", meta("", "", "group", "Kind")),
        // cli-utils v1.2.1+ (Flux v2.9): a name may hold `_`; `__` decodes left to right.
        // The namespace ends at the first `_`: two after it leave one to the name.
        ("ns__a_apps_Deployment", meta("ns", "_a", "apps", "Deployment")),
        ("ns_a_b__Secret", meta("ns", "a_b", "", "Secret")),
        ("ns_a___b_rbac.authorization.k8s.io_Role", meta("ns", "a:_b", "rbac.authorization.k8s.io", "Role")),
        ("ns_a____rbac.authorization.k8s.io_Role", meta("ns", "a:_", "rbac.authorization.k8s.io", "Role")),
    ];
    for (id, want) in ok {
        assert_eq!(parse_inventory_id(id), Ok(want), "{id}");
    }
    // The message quotes what was left where a separator was missing (TestParseObjMetadata's error rows,
    // then more).
    let bad = [
        ("", ""),
        ("podinfo", "podinfo"),
        ("flux-system_bad-entry", "bad-entry"),
        ("a_b_c", "b"),
        ("_test-name_apps", "test-name"),
        ("test-namespacetest-nametest-grouptest-kind", "test-namespacetest-nametest-grouptest-kind"),
    ];
    let bad = bad.map(|(id, left)| (id, InventoryIdError::Unparsable(left.into())));
    for (id, want) in bad {
        assert_eq!(parse_inventory_id(id), Err(want), "{id}");
    }
    assert_eq!(parse_inventory_id("x").unwrap_err().to_string(), "unable to parse stored object metadata: x");
}

#[test]
fn kustomization_tree_follows_inventories_across_the_fleet() {
    let s = fleet();
    let t = kustomization_tree(&s, "mgmt", "flux-system", "flux-system", &resolve).expect("root");
    snap!("tree_flux_mgmt", render_flux(&t));

    // Honest absences: only a synced kind can say "not found".
    let missing = |id_end: &str| find(&t, id_end).unwrap_or_else(|| panic!("{id_end}")).missing.clone();
    assert_eq!(missing("mgmt/apps/Deployment/cert-manager/cert-manager"), Some(Missing::NotWatched));
    assert_eq!(missing("mgmt/helm.toolkit.fluxcd.io/HelmRelease/flux-system/weave-gitops"), Some(Missing::NotFound));
    assert_eq!(
        missing("prod-us/helm.toolkit.fluxcd.io/HelmRelease/podinfo/podinfo"),
        Some(Missing::NotSynced { state: Some(KindState::Forbidden) })
    );
    assert_eq!(missing("/apps/DaemonSet/edge/edge-agent"), Some(Missing::NoContext));
    assert!(matches!(missing(">flux-system_bad-entry"), Some(Missing::InvalidId { .. })));

    let remote = find(&t, "mgmt/kustomize.toolkit.fluxcd.io/Kustomization/flux-system/prod-us-apps").unwrap();
    let link = remote.remote.as_ref().unwrap();
    assert_eq!((link.context.as_deref(), link.found), (Some("prod-us"), true));
    let followed = find(remote, "prod-us/kustomize.toolkit.fluxcd.io/Kustomization/flux-system/apps").unwrap();
    assert_eq!(followed.revision.as_deref(), Some("v2.4.0@sha256:c0ffee1234567890abcdef"));
    assert_eq!(followed.children.len(), 3, "a Kustomization in the remote context is expanded there");

    let apps = find(&t, "mgmt/kustomize.toolkit.fluxcd.io/Kustomization/flux-system/apps").unwrap();
    assert_eq!(apps.depends_on, ["flux-system/infra"]);
    assert_eq!(apps.source.as_ref().map(|s| s.name.as_str()), Some("flux-system"));
}

#[test]
fn kustomization_tree_as_json() {
    let s = fleet();
    let t = kustomization_tree(&s, "mgmt", "flux-system", "prod-us-apps", &resolve).expect("root");
    snap!("tree_flux_prod_us_apps_json", serde_json::to_string_pretty(&t).unwrap());
}

#[test]
fn helmrelease_tree_lists_the_release_inventory() {
    let s = fleet();
    let t = helmrelease_tree(&s, "mgmt", "flux-system", "kube-prometheus-stack", &resolve).expect("root");
    assert_eq!(t.revision.as_deref(), Some("66.3.1"));
    assert_eq!(t.source.as_ref().map(|s| s.kind.as_str()), Some("HelmRepository"));
    snap!("tree_flux_helmrelease", render_flux(&t));
}

#[test]
fn cycles_stop() {
    let s = fleet();
    let t = kustomization_tree(&s, "mgmt", "flux-system", "infra", &resolve).expect("root");
    // infra lists flux-system, which lists infra: flux-system is expanded once, infra inside it is not.
    let again = find(&t, "Kustomization/flux-system/flux-system").unwrap();
    let inner = find(again, "Kustomization/flux-system/infra").unwrap();
    assert!(inner.children.is_empty());
    assert!(inner.note.as_deref().unwrap().starts_with("cycle"));
}

#[test]
fn unknown_roots_have_no_tree() {
    let s = fleet();
    assert!(kustomization_tree(&s, "mgmt", "flux-system", "nope", &resolve).is_none());
    assert!(helmrelease_tree(&s, "prod-us", "podinfo", "podinfo", &resolve).is_none());
}
