//! `clusterctl describe cluster` trees: golden outputs per fixture and option, and the rules they rest on.
use crate::model::capi_tree::{CapiTreeOptions, ShowConditions, cluster_tree};
use crate::model::store::FleetStore;
use crate::model::tree::{CapiMode, CapiNames, Label, Missing, TreeNode};
use crate::model::tree_text::render_capi;

use super::{now, store};

fn mgmt() -> FleetStore {
    store(&[("mgmt", &["capi-v1beta2.yaml", "capi-v1beta1.yaml", "capi-topology-pool.yaml", "capi-eks.yaml"])])
}

fn tree(s: &FleetStore, ns: &str, name: &str, opts: &CapiTreeOptions) -> TreeNode {
    cluster_tree(s, "mgmt", ns, name, opts).expect("cluster in store")
}

fn render(s: &FleetStore, ns: &str, name: &str, opts: &CapiTreeOptions) -> String {
    let t = tree(s, ns, name, opts);
    let v1beta1 = t.columns.as_ref().is_some_and(|c| c.mode == CapiMode::V1Beta1);
    render_capi(&t, now(), v1beta1, opts.names)
}

fn with_conditions(flag: &str) -> CapiTreeOptions {
    let show_conditions = ShowConditions::parse(flag).expect("a valid flag");
    CapiTreeOptions { show_conditions, ..CapiTreeOptions::default() }
}

fn find<'t>(node: &'t TreeNode, text: &str) -> Option<&'t TreeNode> {
    if crate::model::tree_text::capi_row_name(node, CapiNames::V1_13).contains(text) {
        return Some(node);
    }
    node.children.iter().find_map(|c| find(c, text))
}

#[test]
fn v1beta2_default() {
    snap!("tree_capi_v1beta2_default", render(&mgmt(), "fleet", "dev-eu", &CapiTreeOptions::default()));
}

#[test]
fn v1beta2_without_grouping() {
    let opts = CapiTreeOptions { grouping: false, ..CapiTreeOptions::default() };
    snap!("tree_capi_v1beta2_no_grouping", render(&mgmt(), "fleet", "dev-eu", &opts));
}

#[test]
fn v1beta2_echo() {
    let opts = CapiTreeOptions { echo: true, ..CapiTreeOptions::default() };
    snap!("tree_capi_v1beta2_echo", render(&mgmt(), "fleet", "dev-eu", &opts));
}

#[test]
fn v1beta2_show_machine_sets() {
    let opts = CapiTreeOptions { show_machine_sets: true, ..CapiTreeOptions::default() };
    snap!("tree_capi_v1beta2_machinesets", render(&mgmt(), "fleet", "dev-eu", &opts));
}

#[test]
fn v1beta2_show_conditions_of_a_kind() {
    snap!(
        "tree_capi_v1beta2_conditions_kind",
        render(&mgmt(), "fleet", "dev-eu", &with_conditions("KubeadmControlPlane"))
    );
}

#[test]
fn v1beta2_show_conditions_of_one_object() {
    let opts = with_conditions("Machine/dev-eu-md-0-7c9d8-x7vq4");
    snap!("tree_capi_v1beta2_conditions_kind_name", render(&mgmt(), "fleet", "dev-eu", &opts));
}

#[test]
fn v1beta2_show_all_conditions() {
    snap!("tree_capi_v1beta2_conditions_all", render(&mgmt(), "fleet", "dev-eu", &with_conditions("all")));
}

#[test]
fn v1beta2_show_non_zero_conditions() {
    let opts = with_conditions("all+");
    snap!("tree_capi_v1beta2_conditions_all_nonzero", render(&mgmt(), "fleet", "dev-eu", &opts));
    let t = tree(&mgmt(), "fleet", "dev-eu", &opts);
    let types: Vec<_> = t.conditions.iter().flatten().map(|c| c.type_.as_str()).collect();
    // Available always; WorkersAvailable (True, with a message), WorkerMachinesReady (False), ScalingUp (True,
    // negative polarity): kept; RollingOut/Paused/... False without message: dropped.
    assert_eq!(types, ["Available", "WorkersAvailable", "WorkerMachinesReady", "ScalingUp"]);
}

#[test]
fn v1beta1_default() {
    let s = mgmt();
    let t = tree(&s, "legacy", "legacy-aws", &CapiTreeOptions::default());
    assert_eq!(t.columns.as_ref().map(|c| c.mode), Some(CapiMode::V1Beta1), "auto: no v1beta2 status at all");
    snap!("tree_capi_v1beta1_default", render(&s, "legacy", "legacy-aws", &CapiTreeOptions::default()));
}

#[test]
fn v1beta1_show_all_conditions() {
    snap!("tree_capi_v1beta1_conditions_all", render(&mgmt(), "legacy", "legacy-aws", &with_conditions("all")));
}

#[test]
fn topology_cluster_with_machine_pool() {
    let s = mgmt();
    let t = tree(&s, "edge", "edge-1", &CapiTreeOptions::default());
    let topology = t.topology.as_ref().expect("topology");
    assert_eq!((topology.class.as_str(), topology.version.as_str()), ("quick-start", "v1.32.2"));
    snap!("tree_capi_topology_pool", render(&s, "edge", "edge-1", &CapiTreeOptions::default()));
}

#[test]
fn eks_cluster() {
    let s = mgmt();
    snap!("tree_capi_eks", render(&s, "eks", "eks-prod", &with_conditions("AWSManagedControlPlane")));
    let t = tree(&s, "eks", "eks-prod", &CapiTreeOptions::default());
    snap!("tree_capi_eks_json", serde_json::to_string_pretty(&t).unwrap());
}

#[test]
fn groups_keep_counters_and_list_members() {
    let t = tree(&mgmt(), "fleet", "dev-eu", &CapiTreeOptions::default());
    let cp = find(&t, "ControlPlane - KubeadmControlPlane").unwrap();
    let group = cp.children[0].group.as_ref().expect("the three Ready Machines group");
    assert_eq!(group.count, 3);
    assert_eq!(group.names[0], "dev-eu-control-plane-4xk8p");
    let cols = cp.children[0].columns.as_ref().unwrap();
    assert_eq!(
        (cols.available.as_deref(), cols.ready.as_deref(), cols.up_to_date.as_deref()),
        (Some("3"), Some("3"), Some("3"))
    );
    let since = cols.condition.as_ref().unwrap().last_transition_time.unwrap();
    assert_eq!(since.to_string(), "2026-02-20T08:55:31Z", "a group's Ready carries its oldest member's time");
    assert!(cp.children[0].children.is_empty(), "grouped Machines lose their children");
}

#[test]
fn echo_keeps_only_infrastructure_that_differs_from_its_machine() {
    let t = tree(&mgmt(), "fleet", "dev-eu", &CapiTreeOptions::default());
    let x7 = find(&t, "Machine/dev-eu-md-0-7c9d8-x7vq4").unwrap();
    let kids: Vec<_> =
        x7.children.iter().map(|n| crate::model::tree_text::capi_row_name(n, CapiNames::V1_13)).collect();
    assert_eq!(kids, ["MachineInfrastructure - DockerMachine/dev-eu-md-0-7c9d8-x7vq4"]);
    let lb = find(&t, "Machine/dev-eu-md-0-7c9d8-lb2xk").unwrap();
    assert!(lb.children.is_empty(), "Ready True children are echoes");
    let deleted = find(&t, "Machine/dev-eu-md-1-5f6b7-q8wzn").unwrap();
    assert!(deleted.deleted);
}

#[test]
fn unwatched_kinds_are_placeholders_not_absences() {
    let t = tree(&mgmt(), "edge", "edge-1", &CapiTreeOptions::default());
    let pool_infra = find(&t, "MachinePoolInfrastructure - DockerMachinePool").unwrap();
    assert_eq!(pool_infra.missing, Some(Missing::NotWatched));
    assert!(pool_infra.health.is_none());
    // The control-plane Machine's DockerMachine/KubeadmConfig are absent while their kinds are synced:
    // skipped, as upstream skips objects it cannot get.
    let cp_machine = find(&t, "Machine/edge-1-v8kzp-7hq2d").unwrap();
    assert!(cp_machine.children.is_empty());
}

#[test]
fn a_cluster_not_in_the_store_has_no_tree() {
    assert!(cluster_tree(&mgmt(), "mgmt", "fleet", "nope", &CapiTreeOptions::default()).is_none());
    assert!(cluster_tree(&mgmt(), "other", "fleet", "dev-eu", &CapiTreeOptions::default()).is_none());
}

/// cluster-api `cmd/clusterctl/client/tree/tree_test.go` `Test_Add_setsShowObjectConditionsAnnotation`: a
/// Machine `my-machine` added with `all`, `all+` and `""`, in both modes, shows all its conditions, the NonZero
/// ones (v1beta1 rows have no NonZero filter: all again) or none. (The filter's own table is
/// `model::show_conditions`'s tests.)
#[test]
fn the_filter_reaches_the_added_object_in_both_modes() {
    use serde_json::json;
    let cond = |t: &str, s: &str, m: &str| json!({"type": t, "status": s, "reason": format!("{t}{s}"), "message": m, "lastTransitionTime": "2026-03-01T11:00:00Z", "observedGeneration": 1});
    let v1 = |t: &str, s: &str| json!({"type": t, "status": s, "lastTransitionTime": "2026-03-01T11:00:00Z"});
    let cluster = json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
        "metadata": {"name": "c", "namespace": "ns"}, "spec": {}, "status": {"conditions": [cond("Available", "True", "")]}});
    let machine = json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
        "metadata": {"name": "my-machine", "namespace": "ns", "labels": {"cluster.x-k8s.io/cluster-name": "c"}},
        "spec": {"clusterName": "c", "bootstrap": {}},
        "status": {"conditions": [cond("Available", "True", ""), cond("Ready", "True", ""), cond("UpToDate", "True", ""),
                                  cond("Paused", "False", ""), cond("NodeHealthy", "True", "kubelet slow"),
                                  cond("Deleting", "True", ""), cond("BootstrapConfigReady", "True", "")],
                   "deprecated": {"v1beta1": {"conditions": [v1("Ready", "True"), v1("InfrastructureReady", "True"),
                                                             v1("BootstrapReady", "True")]}}}});
    let mut s = store(&[("mgmt", &[])]);
    for obj in [cluster, machine] {
        super::apply(&mut s, "mgmt", serde_json::from_value(obj).unwrap());
    }
    let all_v1beta2 = ["Available", "Ready", "UpToDate", "Paused", "NodeHealthy", "Deleting", "BootstrapConfigReady"];
    let v1beta1 = ["BootstrapReady", "InfrastructureReady"];
    let cases: [(&str, CapiMode, Option<&[&str]>); 6] = [
        ("all", CapiMode::V1Beta2, Some(&all_v1beta2)),
        ("all+", CapiMode::V1Beta2, Some(&["Available", "Ready", "NodeHealthy", "Deleting"])),
        ("", CapiMode::V1Beta2, None),
        ("all", CapiMode::V1Beta1, Some(&v1beta1)),
        ("all+", CapiMode::V1Beta1, Some(&v1beta1)),
        ("", CapiMode::V1Beta1, None),
    ];
    for (flag, mode, want) in cases {
        let opts = CapiTreeOptions { mode: Some(mode), ..with_conditions(flag) };
        let t = tree(&s, "ns", "c", &opts);
        let machine = find(&t, "Machine/my-machine").expect("under Workers > Other");
        let types = machine.conditions.as_ref().map(|c| c.iter().map(|c| c.type_.as_str()).collect::<Vec<_>>());
        assert_eq!(types.as_deref(), want, "{flag:?} {mode:?}");
        assert_eq!(t.conditions.is_some(), want.is_some(), "{flag:?} {mode:?}: the root too");
    }
}

#[test]
fn ids_are_stable_and_unique() {
    let t = tree(&mgmt(), "fleet", "dev-eu", &CapiTreeOptions { grouping: false, echo: true, ..Default::default() });
    let mut ids = Vec::new();
    fn walk<'a>(n: &'a TreeNode, ids: &mut Vec<&'a str>) {
        ids.push(&n.id);
        n.children.iter().for_each(|c| walk(c, ids));
    }
    walk(&t, &mut ids);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len());
    assert_eq!(t.id, "mgmt/cluster.x-k8s.io/Cluster/fleet/dev-eu");
    assert!(matches!(&t.children.last().unwrap().label, Label::Virtual { name } if name == "Workers"));
}

/// CAPI v1.9/v1.10 serve v1beta1 with the v1beta2 conditions and counters nested under `status.v1beta2`:
/// the default (v1beta2) mode reads them there, the v1beta1 mode reads `status.conditions`.
#[test]
fn v1beta1_served_objects_with_nested_v1beta2_status() {
    use serde_json::json;
    let cond = |t: &str, s: &str, r: &str| json!({"type": t, "status": s, "reason": r, "lastTransitionTime": "2026-03-01T11:00:00Z"});
    let cluster = json!({"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
        "metadata": {"name": "mid", "namespace": "ns"},
        "spec": {"infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "DockerCluster", "name": "mid"}},
        "status": {"conditions": [cond("Ready", "True", "")],
                   "v1beta2": {"conditions": [cond("Available", "False", "NotAvailable")],
                               "controlPlane": {"desiredReplicas": 1, "replicas": 1, "availableReplicas": 0}}}});
    let machine = json!({"apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine",
        "metadata": {"name": "mid-m", "namespace": "ns", "labels": {"cluster.x-k8s.io/cluster-name": "mid"}},
        "spec": {"clusterName": "mid", "bootstrap": {}},
        "status": {"conditions": [cond("Ready", "True", "")],
                   "v1beta2": {"conditions": [cond("Ready", "False", "NotReady"), cond("Available", "False", "NotReady")]}}});
    let mut s = store(&[("mgmt", &[])]);
    for obj in [cluster, machine] {
        super::apply(&mut s, "mgmt", serde_json::from_value(obj).unwrap());
    }
    let t = tree(&s, "ns", "mid", &CapiTreeOptions::default());
    let cols = t.columns.as_ref().unwrap();
    assert_eq!(cols.mode, CapiMode::V1Beta2, "auto: v1beta2 conditions are present");
    assert_eq!((cols.replicas.as_deref(), cols.available.as_deref()), (Some("1/1"), Some("0")));
    assert_eq!(cols.condition.as_ref().map(|c| c.reason.as_str()), Some("NotAvailable"));
    let other = find(&t, "Machine/mid-m").expect("an unowned Machine goes under Other");
    let row = other.columns.as_ref().and_then(|c| c.condition.as_ref()).unwrap();
    assert_eq!(row.reason, "NotReady");
    let missing = find(&t, "ClusterInfrastructure").unwrap();
    assert_eq!(missing.missing, Some(Missing::NotSynced { state: None }), "DockerCluster never listed here");

    let v1 = tree(&s, "ns", "mid", &CapiTreeOptions { mode: Some(CapiMode::V1Beta1), ..Default::default() });
    let ready = v1.columns.as_ref().and_then(|c| c.condition.as_ref()).unwrap();
    assert_eq!((ready.type_.as_str(), ready.status.as_str()), ("Ready", "True"));
}
