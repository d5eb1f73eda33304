//! The Cluster API side of the management cluster: which clusters the demo fleet has and in which state,
//! the ClusterClass the topology cluster uses, and the `<cluster>-kubeconfig` Secrets of the two workload
//! clusters that have a reachable API server.
//!
//! Namespace `platform` holds the kubeadm clusters: `dev-eu` (healthy), `prod-us` (a worker whose Node is not
//! Ready for 8 minutes, which its MachineHealthCheck found unhealthy: waiting for remediation), `sandbox`
//! (paused), `old-test` (being deleted) and `edge-eu` (topology from ClusterClass `quick-start`, upgrading from
//! v1.33.4 to v1.34.1: control plane done, its MachineDeployment rolling out across two MachineSets). Namespace
//! `team-data` holds the AWS ones (see `capi_aws.rs`).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::capi_facts::{KubeadmCluster, Lifecycle, Pool};
use super::capi_kubeadm;
use super::capi_machine::{BOOTSTRAP, CAPI, CLUSTER_NAME, CONTROLPLANE, INFRA, NodeFacts};
use super::meta::{Clock, Conditions, DAY, MIN, labels, object, owned_by};
use super::{capi_aws, capi_legacy};

/// Namespace of the kubeadm clusters, their kubeconfig Secrets and GitopsClusters.
pub(super) const PLATFORM: &str = "platform";
/// Namespace of the AWS clusters.
pub(super) const TEAM_DATA: &str = "team-data";

/// The kubelet message of `prod-us`'s sick worker: the container runtime stopped answering the pod lifecycle
/// event generator, so kubelet reports Ready=False.
pub(super) const PLEG_MESSAGE: &str = "PLEG is not healthy: pleg was last seen active 3m12.481s ago; threshold is 3m0s";

/// The version `edge-eu`'s topology asks for, and the one it is upgrading from: its control plane is there,
/// its MachineDeployment mid-rollout (one Machine of two replaced).
pub(super) const EDGE_EU_VERSION: &str = "v1.34.1";
pub(super) const EDGE_EU_FROM: &str = "v1.33.4";

/// What the Cluster API part of the seed produced.
pub(super) struct CapiFleet {
    /// mgmt objects in creation order.
    pub objects: Vec<Value>,
    /// Nodes of each workload cluster, by Cluster name.
    pub nodes: BTreeMap<String, Vec<NodeFacts>>,
    /// Objects the applier deletes after creation (children first).
    pub deleted: Vec<Value>,
}

fn pool(name: &str, replicas: usize) -> Pool {
    Pool { name: name.to_owned(), replicas, unhealthy: None, rolling_from: None }
}

fn kubeadm(name: &str, version: &str, control_plane: usize, pools: Vec<Pool>, age: i64) -> KubeadmCluster {
    KubeadmCluster {
        namespace: PLATFORM.to_owned(),
        name: name.to_owned(),
        version: version.to_owned(),
        control_plane,
        pools,
        age,
        lifecycle: Lifecycle::Running,
        class: None,
        health_check: false,
    }
}

/// The kubeadm clusters of namespace `platform`, in the order they are seeded.
pub(super) fn kubeadm_clusters() -> Vec<KubeadmCluster> {
    let prod_workers = vec![pool("md-0", 3), Pool { unhealthy: Some((1, PLEG_MESSAGE, 8 * MIN)), ..pool("md-1", 2) }];
    vec![
        kubeadm("dev-eu", "v1.33.4", 3, vec![pool("md-0", 3)], 96 * DAY),
        KubeadmCluster { health_check: true, ..kubeadm("prod-us", "v1.32.8", 3, prod_workers, 180 * DAY) },
        KubeadmCluster {
            lifecycle: Lifecycle::Paused,
            ..kubeadm("sandbox", "v1.33.4", 1, vec![pool("md-0", 1)], 30 * DAY)
        },
        KubeadmCluster {
            lifecycle: Lifecycle::Deleting,
            ..kubeadm("old-test", "v1.31.12", 1, vec![pool("md-0", 1)], 240 * DAY)
        },
        KubeadmCluster {
            class: Some("quick-start".to_owned()),
            ..kubeadm(
                "edge-eu",
                EDGE_EU_VERSION,
                1,
                vec![Pool { rolling_from: Some((EDGE_EU_FROM, 1)), ..pool("md-0", 2) }],
                7 * DAY,
            )
        },
    ]
}

/// The `<cluster>-kubeconfig` Secret Cluster API writes for a cluster: type `cluster.x-k8s.io/secret`,
/// data key `value`, owned by the Cluster.
pub(super) fn kubeconfig_secret(cluster: &Value, kubeconfig: &str) -> Value {
    let name = cluster["metadata"]["name"].as_str().unwrap_or_default();
    let ns = cluster["metadata"]["namespace"].as_str();
    let mut secret = object("v1", "Secret", ns, &format!("{name}-kubeconfig"));
    labels(&mut secret, &[(CLUSTER_NAME, name)]);
    owned_by(&mut secret, cluster, true);
    secret["type"] = json!("cluster.x-k8s.io/secret");
    secret["data"] = json!({ "value": STANDARD.encode(kubeconfig) });
    secret
}

/// All Cluster API objects of the management cluster.
///
/// `kubeconfigs` maps Cluster names to kubeconfig YAML; `dev-eu` and `prod-us` get a kubeconfig Secret when
/// their entry exists.
pub(super) fn capi_fleet(clock: &Clock, kubeconfigs: &BTreeMap<String, String>) -> CapiFleet {
    let mut objects = vec![cluster_class(clock)];
    let mut nodes = BTreeMap::new();
    let mut deleted = Vec::new();
    for c in kubeadm_clusters() {
        let built = capi_kubeadm::build(clock, &c);
        let cluster = built.objects.first().cloned();
        objects.extend(built.objects);
        if let (Some(cluster), Some(kubeconfig)) = (cluster, kubeconfigs.get(&c.name)) {
            objects.push(kubeconfig_secret(&cluster, kubeconfig));
        }
        nodes.insert(c.name.clone(), built.nodes);
        deleted.extend(built.deleted);
    }
    objects.extend(capi_aws::staging_eks(clock));
    objects.extend(capi_legacy::legacy_aws(clock));
    CapiFleet { objects, nodes, deleted }
}

/// ClusterClass `platform/quick-start`, the CAPD quick-start class (templates are not seeded: the envtest
/// CRD catalogue has no *Template kinds).
fn cluster_class(clock: &Clock) -> Value {
    let mut class = object(CAPI, "ClusterClass", Some(PLATFORM), "quick-start");
    let variables = json!([
        { "name": "imageRepository", "required": true, "schema": { "openAPIV3Schema": {
            "type": "string", "default": "", "example": "registry.k8s.io",
            "description": "imageRepository sets the container registry to pull images from. If empty, nothing will be set and the kubeadm default will be used.",
        } } },
        { "name": "etcdImageTag", "required": true, "schema": { "openAPIV3Schema": {
            "type": "string", "default": "", "example": "3.5.3-0",
            "description": "etcdImageTag sets the tag for the etcd image.",
        } } },
        { "name": "podSecurityStandard", "required": false, "schema": { "openAPIV3Schema": {
            "type": "object",
            "properties": {
                "enabled": { "type": "boolean", "default": true },
                "enforce": { "type": "string", "default": "baseline" },
            },
        } } },
    ]);
    class["spec"] = json!({
        "infrastructure": { "templateRef": { "apiVersion": INFRA, "kind": "DockerClusterTemplate", "name": "quick-start-cluster" } },
        "controlPlane": {
            "templateRef": { "apiVersion": CONTROLPLANE, "kind": "KubeadmControlPlaneTemplate", "name": "quick-start-control-plane" },
            "machineInfrastructure": { "templateRef": { "apiVersion": INFRA, "kind": "DockerMachineTemplate", "name": "quick-start-control-plane" } },
        },
        "workers": { "machineDeployments": [{
            "class": "default-worker",
            "bootstrap": { "templateRef": { "apiVersion": BOOTSTRAP, "kind": "KubeadmConfigTemplate", "name": "quick-start-default-worker-bootstraptemplate" } },
            "infrastructure": { "templateRef": { "apiVersion": INFRA, "kind": "DockerMachineTemplate", "name": "quick-start-default-worker-machinetemplate" } },
        }] },
        "variables": variables,
        "patches": [{
            "name": "imageRepository",
            "description": "Sets the imageRepository used for the KubeadmControlPlane.",
            "enabledIf": "{{ ne .imageRepository \"\" }}",
            "definitions": [{
                "selector": { "apiVersion": CONTROLPLANE, "kind": "KubeadmControlPlaneTemplate", "matchResources": { "controlPlane": true } },
                "jsonPatches": [{
                    "op": "add",
                    "path": "/spec/template/spec/kubeadmConfigSpec/clusterConfiguration/imageRepository",
                    "valueFrom": { "variable": "imageRepository" },
                }],
            }],
        }],
    });
    let status_variables: Vec<Value> = variables
        .as_array()
        .map(|vars| {
            vars.iter()
                .map(|v| {
                    json!({
                        "name": v["name"],
                        "definitions": [{ "from": "inline", "required": v["required"], "schema": v["schema"] }],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    class["status"] = json!({
        "observedGeneration": 1,
        "variables": status_variables,
        "conditions": Conditions::new(clock, 60 * DAY)
            .yes("VariablesReady", "VariablesReady")
            .yes("RefVersionsUpToDate", "RefVersionsUpToDate")
            .no("Paused", "NotPaused")
            .build(),
    });
    class
}
