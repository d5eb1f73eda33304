//! clusterctl's row names and the sibling order that follows from them, per release line: the NAME column of
//! discovered trees shaped like cluster-api's `discovery_test.go` cases (a control plane with one Machine, a
//! MachineDeployment whose MachineSet owns two Machines, or a MachinePool with two), and the version rules of
//! v1.14's `getRowName` one by one.
use serde_json::{Value, json};

use crate::model::capi_tree::{CapiTreeOptions, cluster_tree};
use crate::model::store::FleetStore;
use crate::model::tree::{CapiNames, Label, TreeNode};
use crate::model::tree_text::{capi_row_name, render_capi};

use super::{apply, now, store};

const CAPI: &str = "cluster.x-k8s.io/v1beta2";

fn r(group: &str, kind: &str, name: &str) -> Value {
    json!({"apiGroup": format!("{group}.cluster.x-k8s.io"), "kind": kind, "name": name})
}

fn owner(api_version: &str, kind: &str, name: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": name, "uid": format!("uid-{name}"), "controller": true}])
}

/// A Machine `name` in `ns1` of `cluster1` with its infrastructure (and, unless in a pool, bootstrap) refs.
fn machine(name: &str, owners: Value, control_plane: bool, bootstrap: bool) -> Value {
    let mut labels = json!({"cluster.x-k8s.io/cluster-name": "cluster1"});
    if control_plane {
        labels["cluster.x-k8s.io/control-plane"] = json!("");
    }
    let bootstrap =
        if bootstrap { json!({"configRef": r("bootstrap", "GenericBootstrapConfig", name)}) } else { json!({}) };
    json!({"apiVersion": CAPI, "kind": "Machine",
        "metadata": {"name": name, "namespace": "ns1", "labels": labels, "ownerReferences": owners},
        "spec": {"clusterName": "cluster1", "infrastructureRef": r("infrastructure", "GenericInfrastructureMachine", name),
                 "bootstrap": bootstrap}})
}

/// `cluster1` with a GenericControlPlane `cp` (Machine `cp1`) and either MachineDeployment `md1` (MachineSet
/// `ms1`, Machines `m1`, `m2`) or MachinePool `mp1` (Machines `mp1m1`, `mp1m2`). The `Generic*` provider kinds
/// are not watched: they are placeholders, named as the objects would be.
fn discovery(pool: bool) -> FleetStore {
    let labels = json!({"cluster.x-k8s.io/cluster-name": "cluster1"});
    let mut objects = vec![
        json!({"apiVersion": CAPI, "kind": "Cluster", "metadata": {"name": "cluster1", "namespace": "ns1"},
            "spec": {"infrastructureRef": r("infrastructure", "GenericInfrastructureCluster", "cluster1"),
                     "controlPlaneRef": r("controlplane", "GenericControlPlane", "cp")}}),
        machine("cp1", owner("controlplane.cluster.x-k8s.io/v1beta2", "GenericControlPlane", "cp"), true, true),
    ];
    if pool {
        objects.push(json!({"apiVersion": CAPI, "kind": "MachinePool",
            "metadata": {"name": "mp1", "namespace": "ns1", "labels": labels},
            "spec": {"clusterName": "cluster1", "template": {"spec": {"clusterName": "cluster1",
                "infrastructureRef": r("infrastructure", "GenericInfrastructureMachineTemplate", "mp1"),
                "bootstrap": {"configRef": r("bootstrap", "GenericBootstrapConfigTemplate", "mp1")}}}}}));
        for m in ["mp1m1", "mp1m2"] {
            objects.push(machine(m, owner(CAPI, "MachinePool", "mp1"), false, false));
        }
    } else {
        objects.push(json!({"apiVersion": CAPI, "kind": "MachineDeployment",
            "metadata": {"name": "md1", "namespace": "ns1", "labels": labels},
            "spec": {"clusterName": "cluster1", "template": {"spec": {"clusterName": "cluster1"}}}}));
        objects.push(json!({"apiVersion": CAPI, "kind": "MachineSet",
            "metadata": {"name": "ms1", "namespace": "ns1", "labels": labels,
                         "ownerReferences": owner(CAPI, "MachineDeployment", "md1")},
            "spec": {"clusterName": "cluster1", "template": {"spec": {"clusterName": "cluster1"}}}}));
        for m in ["m1", "m2"] {
            objects.push(machine(m, owner(CAPI, "MachineSet", "ms1"), false, true));
        }
    }
    let mut s = store(&[("mgmt", &[])]);
    for o in objects {
        apply(&mut s, "mgmt", serde_json::from_value(o).expect("object"));
    }
    s
}

/// The NAME column of the table (cut where the header's REPLICAS starts), trailing spaces trimmed.
fn names(s: &FleetStore, opts: &CapiTreeOptions) -> Vec<String> {
    let t = cluster_tree(s, "mgmt", "ns1", "cluster1", opts).expect("cluster1");
    let text = render_capi(&t, now(), false, opts.names);
    let cut = text.find("REPLICAS").expect("v1beta2 header");
    text.lines().skip(1).map(|l| l.chars().take(cut).collect::<String>().trim_end().to_string()).collect()
}

fn opts(names: CapiNames, grouping: bool, echo: bool) -> CapiTreeOptions {
    CapiTreeOptions { names, grouping, echo, ..CapiTreeOptions::default() }
}

#[test]
fn default_discovery() {
    let s = discovery(false);
    assert_eq!(
        names(&s, &opts(CapiNames::V1_14, true, false)),
        [
            "Cluster ns1/cluster1",
            "├─GenericControlPlane ns1/cp",
            "│ └─Machine ns1/cp1,",
            "├─GenericInfrastructureCluster ns1/cluster1",
            "└─Workers",
            "  └─MachineDeployment ns1/md1,",
            "    └─2 Machines...",
        ]
    );
    assert_eq!(
        names(&s, &opts(CapiNames::V1_13, true, false)),
        [
            "Cluster/cluster1",
            "├─ClusterInfrastructure - GenericInfrastructureCluster/cluster1",
            "├─ControlPlane - GenericControlPlane/cp",
            "│ └─Machine/cp1",
            "└─Workers",
            "  └─MachineDeployment/md1",
            "    └─2 Machines...",
        ]
    );
}

#[test]
fn grouping_disabled() {
    let s = discovery(false);
    assert_eq!(
        names(&s, &opts(CapiNames::V1_14, false, false)),
        [
            "Cluster ns1/cluster1",
            "├─GenericControlPlane ns1/cp",
            "│ └─Machine ns1/cp1,",
            "├─GenericInfrastructureCluster ns1/cluster1",
            "└─Workers",
            "  └─MachineDeployment ns1/md1,",
            "    ├─Machine ns1/m1,",
            "    └─Machine ns1/m2,",
        ]
    );
}

#[test]
fn echo_with_grouping_disabled() {
    let s = discovery(false);
    assert_eq!(
        names(&s, &opts(CapiNames::V1_14, false, true)),
        [
            "Cluster ns1/cluster1",
            "├─GenericControlPlane ns1/cp",
            "│ └─Machine ns1/cp1,",
            "│   ├─GenericBootstrapConfig ns1/cp1",
            "│   └─GenericInfrastructureMachine ns1/cp1",
            "├─GenericInfrastructureCluster ns1/cluster1",
            "└─Workers",
            "  └─MachineDeployment ns1/md1,",
            "    ├─Machine ns1/m1,",
            "    │ ├─GenericBootstrapConfig ns1/m1",
            "    │ └─GenericInfrastructureMachine ns1/m1",
            "    └─Machine ns1/m2,",
            "      ├─GenericBootstrapConfig ns1/m2",
            "      └─GenericInfrastructureMachine ns1/m2",
        ]
    );
    // v1.13 sorted by `MetaName - Kind/name`: the bootstrap before the infrastructure, as in v1.14 by chance.
    let v1_13 = names(&s, &opts(CapiNames::V1_13, false, true));
    assert_eq!(
        v1_13[4..6],
        [
            "│   ├─BootstrapConfig - GenericBootstrapConfig/cp1",
            "│   └─MachineInfrastructure - GenericInfrastructureMachine/cp1"
        ]
    );
}

#[test]
fn machine_pool_with_echo() {
    let s = discovery(true);
    assert_eq!(
        names(&s, &opts(CapiNames::V1_14, false, true)),
        [
            "Cluster ns1/cluster1",
            "├─GenericControlPlane ns1/cp",
            "│ └─Machine ns1/cp1,",
            "│   ├─GenericBootstrapConfig ns1/cp1",
            "│   └─GenericInfrastructureMachine ns1/cp1",
            "├─GenericInfrastructureCluster ns1/cluster1",
            "└─Workers",
            "  └─MachinePool ns1/mp1,",
            "    ├─GenericBootstrapConfigTemplate ns1/mp1",
            "    ├─GenericInfrastructureMachineTemplate ns1/mp1",
            "    ├─Machine ns1/mp1m1,",
            "    │ └─GenericInfrastructureMachine ns1/mp1m1",
            "    └─Machine ns1/mp1m2,",
            "      └─GenericInfrastructureMachine ns1/mp1m2",
        ]
    );
    // v1.13 sorted by `MetaName - Kind/name`: the bootstrap, the Machines, then the pool's infrastructure.
    assert_eq!(
        names(&s, &opts(CapiNames::V1_13, false, true)),
        [
            "Cluster/cluster1",
            "├─ClusterInfrastructure - GenericInfrastructureCluster/cluster1",
            "├─ControlPlane - GenericControlPlane/cp",
            "│ └─Machine/cp1",
            "│   ├─BootstrapConfig - GenericBootstrapConfig/cp1",
            "│   └─MachineInfrastructure - GenericInfrastructureMachine/cp1",
            "└─Workers",
            "  └─MachinePool/mp1",
            "    ├─BootstrapConfig - GenericBootstrapConfigTemplate/mp1",
            "    ├─Machine/mp1m1",
            "    │ └─MachineInfrastructure - GenericInfrastructureMachine/mp1m1",
            "    ├─Machine/mp1m2",
            "    │ └─MachineInfrastructure - GenericInfrastructureMachine/mp1m2",
            "    └─MachinePoolInfrastructure - GenericInfrastructureMachineTemplate/mp1",
        ]
    );
}

/// A Cluster's row name for `spec`, alone in the store.
fn cluster_row(spec: Value, names: CapiNames) -> String {
    let mut s = store(&[("mgmt", &[])]);
    let cluster =
        json!({"apiVersion": CAPI, "kind": "Cluster", "metadata": {"name": "c", "namespace": "ns"}, "spec": spec});
    apply(&mut s, "mgmt", serde_json::from_value(cluster).expect("cluster"));
    let t = cluster_tree(&s, "mgmt", "ns", "c", &CapiTreeOptions::default()).expect("c");
    capi_row_name(&t, names)
}

/// `, <spec.topology.version>` when `Topology.IsDefined()`: the topology differs from the zero struct.
#[test]
fn a_cluster_shows_its_version_when_its_topology_is_defined() {
    let cases = [
        (json!({}), "Cluster ns/c"),
        (json!({"topology": null}), "Cluster ns/c"),
        (json!({"topology": {}}), "Cluster ns/c"),
        (
            json!({"topology": {"version": "", "classRef": {"name": ""}, "controlPlane": {"metadata": {}}}}),
            "Cluster ns/c",
        ),
        (json!({"topology": {"variables": null, "workers": {}}}), "Cluster ns/c"),
        (json!({"topology": {"classRef": {"name": "quick-start"}, "version": "v1.33.1"}}), "Cluster ns/c, v1.33.1"),
        (json!({"topology": {"classRef": {"name": "quick-start"}}}), "Cluster ns/c, "),
        (json!({"topology": {"class": "quick-start", "version": "v1.30.2"}}), "Cluster ns/c, v1.30.2"),
        (json!({"topology": {"variables": []}}), "Cluster ns/c, "),
        (json!({"topology": {"controlPlane": {"replicas": 0}}}), "Cluster ns/c, "),
        (json!({"topology": {"controlPlane": {"metadata": {"labels": {}}}}}), "Cluster ns/c, "),
        (json!({"topology": {"controlPlane": {"healthCheck": {"enabled": false}}}}), "Cluster ns/c, "),
    ];
    for (spec, want) in cases {
        assert_eq!(cluster_row(spec.clone(), CapiNames::V1_14), want, "{spec}");
        assert_eq!(cluster_row(spec.clone(), CapiNames::V1_13), "Cluster/c", "{spec}");
    }
}

fn find<'t>(node: &'t TreeNode, kind: &str, name: &str) -> &'t TreeNode {
    fn walk<'t>(node: &'t TreeNode, kind: &str, name: &str) -> Option<&'t TreeNode> {
        let here = matches!(&node.label, Label::Object(l) if l.kind == kind && l.name == name);
        if here { Some(node) } else { node.children.iter().find_map(|c| walk(c, kind, name)) }
    }
    walk(node, kind, name).unwrap_or_else(|| panic!("{kind} {name}"))
}

/// A ControlPlane-contract object's `, <spec.version>` only when it is a string (empty included); the typed
/// MachineDeployment, MachineSet and Machine always; the ClusterInfrastructure never; `!! DELETED !! ` first.
#[test]
fn versions_of_the_other_objects() {
    let names_of = |cp_version: Value| {
        let mut s = discovery(false);
        let cluster = json!({"apiVersion": CAPI, "kind": "Cluster",
            "metadata": {"name": "cluster1", "namespace": "ns1"},
            "spec": {"infrastructureRef": r("infrastructure", "DockerCluster", "cluster1"),
                     "controlPlaneRef": r("controlplane", "KubeadmControlPlane", "cp")}});
        let mut kcp = json!({"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
            "metadata": {"name": "cp", "namespace": "ns1"}, "spec": {"replicas": 1}});
        if !cp_version.is_null() {
            kcp["spec"]["version"] = cp_version;
        }
        let docker = json!({"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerCluster",
            "metadata": {"name": "cluster1", "namespace": "ns1"}, "spec": {"version": "v9"}});
        let mut deleted = machine("m2", owner(CAPI, "MachineSet", "ms1"), false, true);
        deleted["metadata"]["deletionTimestamp"] = json!("2026-03-01T11:00:00Z");
        deleted["metadata"]["finalizers"] = json!(["machine.cluster.x-k8s.io"]);
        deleted["spec"]["version"] = json!("v1.33.0");
        for o in [cluster, kcp, docker, deleted] {
            apply(&mut s, "mgmt", serde_json::from_value(o).expect("object"));
        }
        let opts = CapiTreeOptions { grouping: false, show_machine_sets: true, ..CapiTreeOptions::default() };
        let t = cluster_tree(&s, "mgmt", "ns1", "cluster1", &opts).expect("cluster1");
        let objects = [
            ("KubeadmControlPlane", "cp"),
            ("DockerCluster", "cluster1"),
            ("MachineDeployment", "md1"),
            ("MachineSet", "ms1"),
            ("Machine", "m1"),
            ("Machine", "m2"),
        ];
        objects.map(|(kind, name)| capi_row_name(find(&t, kind, name), CapiNames::V1_14))
    };
    assert_eq!(
        names_of(json!("v1.33.1")),
        [
            "KubeadmControlPlane ns1/cp, v1.33.1",
            "DockerCluster ns1/cluster1",
            "MachineDeployment ns1/md1, ",
            "MachineSet ns1/ms1, ",
            "Machine ns1/m1, ",
            "!! DELETED !! Machine ns1/m2, v1.33.0",
        ]
    );
    assert_eq!(names_of(json!(""))[0], "KubeadmControlPlane ns1/cp, ");
    assert_eq!(names_of(Value::Null)[0], "KubeadmControlPlane ns1/cp");
    assert_eq!(names_of(json!(133))[0], "KubeadmControlPlane ns1/cp");
}
