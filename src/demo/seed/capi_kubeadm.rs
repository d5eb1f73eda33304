//! A whole v1beta2 Cluster API cluster on kubeadm + Docker (CAPD): Cluster, DockerCluster,
//! KubeadmControlPlane and its Machines, MachineDeployments with their MachineSet and Machines, and optionally
//! a MachineHealthCheck over the workers. Plain clusters use the quick-start names (`<cluster>-control-plane`,
//! `<cluster>-md-0`); clusters with a `class` get the generated names and `topology.cluster.x-k8s.io/*` labels
//! the topology controller writes.
//!
//! Status comes from `capi_status.rs`, which summarises the Machines as the Cluster API controllers do.

use serde_json::{Value, json};

use super::capi_facts::{KubeadmCluster, Lifecycle};
use super::capi_machine::{
    CAPI, CLUSTER_NAME, CONTROLPLANE, DEPLOYMENT_NAME, Health, INFRA, MachineFacts, NodeFacts, machine_objects,
};
use super::capi_status::{
    OldSet, PoolPlan, SetOf, cluster_status, health_check, kcp_status, paused_condition, set_status,
};
use super::ids;
use super::meta::{Clock, Conditions, MIN, V1Beta1Conditions, annotations, labels, object, owned_by};

/// Label the topology controller puts on the objects it generates.
const TOPOLOGY_OWNED: &str = "topology.cluster.x-k8s.io/owned";

/// The objects of one cluster, in creation order, with the Nodes its Machines run and what to delete.
pub(super) struct Built {
    pub objects: Vec<Value>,
    pub nodes: Vec<NodeFacts>,
    /// Objects the applier deletes after creating them (children first), leaving them Terminating.
    pub deleted: Vec<Value>,
}

/// Builds the cluster.
pub(super) fn build(clock: &Clock, c: &KubeadmCluster) -> Built {
    let ns = c.namespace.as_str();
    let topology = c.class.is_some();
    let paused = c.lifecycle == Lifecycle::Paused;
    let deleting = c.lifecycle == Lifecycle::Deleting;
    // The topology controller appends a random suffix to the names of what it generates.
    let random = |what: &str| ids::suffix(&format!("{ns}/{}/{what}", c.name));
    let infra_name = if topology { format!("{}-{}", c.name, random("infra")) } else { c.name.clone() };
    let kcp_name = if topology { format!("{}-{}", c.name, random("kcp")) } else { format!("{}-control-plane", c.name) };

    let machine = |name: String, age: i64, extra: Vec<(String, String)>| MachineFacts {
        namespace: c.namespace.clone(),
        cluster: c.name.clone(),
        name,
        version: c.version.clone(),
        control_plane: false,
        first: false,
        labels: extra,
        age,
        health: Health::Healthy,
        paused,
        health_checked: false,
        stale: None,
    };
    let cp_machines: Vec<MachineFacts> = (0..c.control_plane)
        .map(|i| {
            let name = format!("{kcp_name}-{}", ids::suffix(&format!("{ns}/{kcp_name}/{i}")));
            let extra = vec![("cluster.x-k8s.io/control-plane-name".to_owned(), kcp_name.clone())];
            MachineFacts {
                control_plane: true,
                first: i == 0,
                ..machine(name, c.age - 2 * MIN - i as i64 * 3 * MIN, extra)
            }
        })
        .collect();
    let pools: Vec<PoolPlan> = c
        .pools
        .iter()
        .map(|p| {
            let md = if topology {
                format!("{}-{}-{}", c.name, p.name, random(&p.name))
            } else {
                format!("{}-{}", c.name, p.name)
            };
            let ms = format!("{md}-{}", ids::suffix(&format!("{ns}/{md}/ms")));
            let hash = ids::number(&ms, 4_000_000_000).to_string();
            let current = p.replicas - p.rolling_from.map_or(0, |(_, old)| old);
            let machines = set_machines(ns, &md, &ms, &hash, current)
                .map(|(i, name, extra)| {
                    let health = match p.unhealthy {
                        _ if deleting => Health::Draining { since: 9 * MIN },
                        Some((idx, message, since)) if idx == i => Health::NodeNotReady { message, since },
                        _ => Health::Healthy,
                    };
                    // Mid-rollout, the current MachineSet's Machines are minutes old.
                    let age = if p.rolling_from.is_some() { 6 * MIN } else { c.age - 12 * MIN } - i as i64 * MIN;
                    MachineFacts { health, health_checked: c.health_check, ..machine(name, age, extra) }
                })
                .collect();
            let old = p.rolling_from.map(|(version, count)| {
                let ms = format!("{md}-{}", ids::suffix(&format!("{ns}/{md}/ms-old")));
                let hash = ids::number(&ms, 4_000_000_000).to_string();
                let machines = set_machines(ns, &md, &ms, &hash, count)
                    .map(|(i, name, extra)| MachineFacts {
                        version: version.to_owned(),
                        health_checked: c.health_check,
                        stale: Some(format!("* Version {version}, {} required", c.version)),
                        ..machine(name, c.age - 12 * MIN - i as i64 * MIN, extra)
                    })
                    .collect();
                OldSet { ms, hash, version: version.to_owned(), machines }
            });
            PoolPlan { md, ms, hash, replicas: p.replicas, topology_name: p.name.clone(), machines, old }
        })
        .collect();

    let mut objects = Vec::new();
    let mut deleted = Vec::new();
    let endpoint = ids::ipv4("172.18", &format!("{ns}/{}/lb", c.name));
    let mut cluster = object(CAPI, "Cluster", Some(ns), &c.name);
    cluster["spec"] = cluster_spec(c, &infra_name, &kcp_name, &endpoint);
    cluster["status"] = cluster_status(clock, c, &cp_machines, &pools);
    if deleting {
        cluster["metadata"]["finalizers"] = json!(["cluster.cluster.x-k8s.io"]);
    }

    let owned_labels = |obj: &mut Value| {
        labels(obj, &[(CLUSTER_NAME, &c.name)]);
        if topology {
            labels(obj, &[(TOPOLOGY_OWNED, "")]);
        }
    };
    let mut infra = object(INFRA, "DockerCluster", Some(ns), &infra_name);
    owned_labels(&mut infra);
    owned_by(&mut infra, &cluster, true);
    infra["spec"] = json!({ "controlPlaneEndpoint": { "host": endpoint, "port": 6443 }, "loadBalancer": {} });
    let since = c.age - 2 * MIN;
    infra["status"] = json!({
        "observedGeneration": 1,
        "initialization": { "provisioned": true },
        "conditions": paused_condition(
            Conditions::new(clock, since).yes("Ready", "Ready").yes("LoadBalancerAvailable", "Available"),
            paused, &c.name).build(),
        "deprecated": { "v1beta1": { "conditions":
            V1Beta1Conditions::new(clock, since).ok("Ready").ok("LoadBalancerAvailable").build() } },
    });

    let mut kcp = object(CONTROLPLANE, "KubeadmControlPlane", Some(ns), &kcp_name);
    owned_labels(&mut kcp);
    owned_by(&mut kcp, &cluster, true);
    kcp["spec"] = kcp_spec(c, &kcp_name);
    kcp["status"] = kcp_status(clock, c);

    objects.push(cluster.clone());
    objects.push(infra);
    objects.push(kcp.clone());
    let mut nodes = Vec::new();
    for m in &cp_machines {
        objects.extend(machine_objects(clock, m, &kcp));
        nodes.push(m.node());
    }
    for p in &pools {
        let mut md = object(CAPI, "MachineDeployment", Some(ns), &p.md);
        owned_labels(&mut md);
        labels(&mut md, &[(DEPLOYMENT_NAME, &p.md)]);
        if topology {
            labels(&mut md, &[("topology.cluster.x-k8s.io/deployment-name", &p.topology_name)]);
        }
        owned_by(&mut md, &cluster, false);
        // The MachineDeployment controller's revision: on each MachineSet, and the newest on the deployment.
        let revision = if p.old.is_some() { "2" } else { "1" };
        annotations(&mut md, &[(crate::model::rollout::REVISION, revision)]);
        md["spec"] = set_spec(c, p, SetOf::Deployment);
        md["status"] = set_status(clock, c, p, SetOf::Deployment);
        let mut ms = object(CAPI, "MachineSet", Some(ns), &p.ms);
        owned_labels(&mut ms);
        labels(&mut ms, &[(DEPLOYMENT_NAME, &p.md), ("machine-template-hash", &p.hash)]);
        owned_by(&mut ms, &md, true);
        annotations(&mut ms, &[(crate::model::rollout::REVISION, revision)]);
        ms["spec"] = set_spec(c, p, SetOf::Current);
        ms["status"] = set_status(clock, c, p, SetOf::Current);

        if deleting {
            md["metadata"]["finalizers"] = json!(["machinedeployment.cluster.x-k8s.io"]);
            ms["metadata"]["finalizers"] = json!(["machineset.cluster.x-k8s.io"]);
        }
        objects.push(md.clone());
        objects.push(ms.clone());
        for m in &p.machines {
            let built = machine_objects(clock, m, &ms);
            if deleting {
                deleted.push(built[0].clone());
            }
            objects.extend(built);
            nodes.push(m.node());
        }
        // Mid-rollout: the MachineSet being replaced, after its owner, with the Machines it still has.
        if let Some(o) = &p.old {
            let mut old_ms = object(CAPI, "MachineSet", Some(ns), &o.ms);
            owned_labels(&mut old_ms);
            labels(&mut old_ms, &[(DEPLOYMENT_NAME, &p.md), ("machine-template-hash", &o.hash)]);
            owned_by(&mut old_ms, &md, true);
            annotations(&mut old_ms, &[(crate::model::rollout::REVISION, "1")]);
            old_ms["spec"] = set_spec(c, p, SetOf::Old);
            old_ms["status"] = set_status(clock, c, p, SetOf::Old);
            objects.push(old_ms.clone());
            for m in &o.machines {
                objects.extend(machine_objects(clock, m, &old_ms));
                nodes.push(m.node());
            }
        }
        if deleting {
            deleted.push(ms);
            deleted.push(md);
        }
    }
    if c.health_check {
        objects.push(health_check(clock, c, &cluster, &pools));
    }
    if deleting {
        deleted.push(cluster);
    }
    Built { objects, nodes, deleted }
}

/// The `count` Machines of MachineSet `ms` (of `md`, template hash `hash`): each one's index, name and the
/// labels the MachineSet controller gives it.
fn set_machines<'a>(
    ns: &'a str,
    md: &'a str,
    ms: &'a str,
    hash: &'a str,
    count: usize,
) -> impl Iterator<Item = (usize, String, Vec<(String, String)>)> + 'a {
    (0..count).map(move |i| {
        let name = format!("{ms}-{}", ids::suffix(&format!("{ns}/{ms}/{i}")));
        let labels = vec![
            (DEPLOYMENT_NAME.to_owned(), md.to_owned()),
            ("cluster.x-k8s.io/set-name".to_owned(), ms.to_owned()),
            ("machine-template-hash".to_owned(), hash.to_owned()),
        ];
        (i, name, labels)
    })
}

fn cluster_spec(c: &KubeadmCluster, infra: &str, kcp: &str, endpoint: &str) -> Value {
    let mut spec = json!({
        "clusterNetwork": {
            "pods": { "cidrBlocks": ["192.168.0.0/16"] },
            "services": { "cidrBlocks": ["10.128.0.0/12"] },
            "serviceDomain": "cluster.local",
        },
        "controlPlaneEndpoint": { "host": endpoint, "port": 6443 },
        "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerCluster", "name": infra },
        "controlPlaneRef": { "apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": kcp },
    });
    if c.lifecycle == Lifecycle::Paused {
        spec["paused"] = json!(true);
    }
    if let Some(class) = &c.class {
        let workers: Vec<Value> = c
            .pools
            .iter()
            .map(|p| json!({ "class": "default-worker", "name": p.name, "replicas": p.replicas }))
            .collect();
        spec["topology"] = json!({
            "classRef": { "name": class },
            "version": c.version,
            "controlPlane": { "replicas": c.control_plane },
            "workers": { "machineDeployments": workers },
            "variables": [
                { "name": "imageRepository", "value": "" },
                { "name": "etcdImageTag", "value": "" },
                { "name": "podSecurityStandard", "value": { "enabled": true, "enforce": "baseline" } },
            ],
        });
    }
    spec
}

fn kcp_spec(c: &KubeadmCluster, kcp: &str) -> Value {
    json!({
        "replicas": c.control_plane,
        "version": c.version,
        "machineTemplate": { "spec": {
            "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": kcp },
        } },
        "kubeadmConfigSpec": {
            "clusterConfiguration": {
                "apiServer": { "certSANs": ["localhost", "127.0.0.1", "0.0.0.0", "host.docker.internal"] },
            },
            "initConfiguration": { "nodeRegistration": kubelet_args() },
            "joinConfiguration": { "nodeRegistration": kubelet_args() },
        },
        "rollout": { "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1 } } },
    })
}

/// A `nodeRegistration` as the CAPD quick-start templates write it (upstream's CRD requires at least one
/// property there).
fn kubelet_args() -> Value {
    json!({ "kubeletExtraArgs": [
        { "name": "eviction-hard", "value": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%" },
    ] })
}

/// Spec of the MachineDeployment or one of its MachineSets (a MachineSet asks for the Machines it has; the
/// old one's template keeps the old version).
fn set_spec(c: &KubeadmCluster, p: &PoolPlan, which: SetOf) -> Value {
    let mut selector = json!({ CLUSTER_NAME: c.name, DEPLOYMENT_NAME: p.md });
    let (replicas, version) = match (which, &p.old) {
        (SetOf::Deployment, _) => (p.replicas, c.version.as_str()),
        (SetOf::Current, _) => (p.machines.len(), c.version.as_str()),
        (SetOf::Old, Some(o)) => (o.machines.len(), o.version.as_str()),
        (SetOf::Old, None) => (0, c.version.as_str()),
    };
    match (which, &p.old) {
        (SetOf::Current, _) => selector["machine-template-hash"] = json!(p.hash),
        (SetOf::Old, Some(o)) => selector["machine-template-hash"] = json!(o.hash),
        _ => {}
    }
    let machine_set = which != SetOf::Deployment;
    let mut spec = json!({
        "clusterName": c.name,
        "replicas": replicas,
        "selector": { "matchLabels": selector },
        "template": {
            "metadata": { "labels": selector },
            "spec": {
                "clusterName": c.name,
                "version": version,
                "bootstrap": { "configRef": {
                    "apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfigTemplate", "name": p.md,
                } },
                "infrastructureRef": {
                    "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": p.md,
                },
            },
        },
    });
    if !machine_set {
        spec["rollout"] =
            json!({ "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } } });
    }
    spec
}
