//! Core Kubernetes objects the demo fleet needs around its Flux and Cluster API objects: the Nodes of the
//! workload clusters (matching their Machines), and the ConfigMaps, Services and Deployments that
//! Kustomizations and HelmReleases list in their inventories.
//!
//! No controller-manager runs on the demo API servers, so Deployments get the status a Deployment controller
//! would have written (through the status subresource, like every other status here).

use serde_json::{Value, json};

use super::capi_machine::{NodeFacts, node_info};
use super::ids;
use super::meta::{Clock, annotations, labels, object};

/// A Node as kubelet registers and reports it; Ready=False with the kubelet message for a sick node.
pub(super) fn node(clock: &Clock, n: &NodeFacts) -> Value {
    let mut node = object("v1", "Node", None, &n.name);
    labels(
        &mut node,
        &[
            ("beta.kubernetes.io/arch", "amd64"),
            ("beta.kubernetes.io/os", "linux"),
            ("kubernetes.io/arch", "amd64"),
            ("kubernetes.io/hostname", &n.name),
            ("kubernetes.io/os", "linux"),
        ],
    );
    // Cluster API annotates the Nodes of the Machines it manages (lineage back to the management cluster).
    annotations(
        &mut node,
        &[
            ("cluster.x-k8s.io/cluster-name", &n.cluster),
            ("cluster.x-k8s.io/cluster-namespace", &n.namespace),
            ("cluster.x-k8s.io/machine", &n.name),
            ("cluster.x-k8s.io/owner-kind", n.owner.0),
            ("cluster.x-k8s.io/owner-name", &n.owner.1),
            ("node.alpha.kubernetes.io/ttl", "0"),
            ("volumes.kubernetes.io/controller-managed-attach-detach", "true"),
        ],
    );
    let mut spec = json!({
        "providerID": n.provider_id,
        "podCIDR": format!("192.168.{}.0/24", ids::number(&n.name, 250)),
        "podCIDRs": [format!("192.168.{}.0/24", ids::number(&n.name, 250))],
    });
    if n.control_plane {
        labels(&mut node, &[("node-role.kubernetes.io/control-plane", "")]);
        spec["taints"] = json!([{ "key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule" }]);
    }
    node["spec"] = spec;
    let heartbeat = clock.ago(17);
    let healthy = |type_: &str, reason: &str, message: &str| {
        json!({
            "type": type_, "status": "False", "reason": reason, "message": message,
            "lastHeartbeatTime": heartbeat, "lastTransitionTime": clock.ago(n.age),
        })
    };
    let ready = match n.not_ready {
        Some((message, since)) => json!({
            "type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": message,
            "lastHeartbeatTime": heartbeat, "lastTransitionTime": clock.ago(since),
        }),
        None => json!({
            "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status",
            "lastHeartbeatTime": heartbeat, "lastTransitionTime": clock.ago(n.age - 40),
        }),
    };
    let capacity = json!({
        "cpu": "4", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
        "memory": "16365324Ki", "pods": "110",
    });
    node["status"] = json!({
        "capacity": capacity,
        "allocatable": capacity,
        "conditions": [
            healthy("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            healthy("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            healthy("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ready,
        ],
        "addresses": [
            { "type": "InternalIP", "address": n.address },
            { "type": "Hostname", "address": n.name },
        ],
        "daemonEndpoints": { "kubeletEndpoint": { "Port": 10250 } },
        "nodeInfo": node_info(&n.name, &n.version),
    });
    node
}

/// A ConfigMap with string data.
pub(super) fn config_map(ns: &str, name: &str, data: &[(&str, &str)]) -> Value {
    let mut cm = object("v1", "ConfigMap", Some(ns), name);
    cm["data"] = data.iter().map(|(k, v)| ((*k).to_owned(), json!(v))).collect::<serde_json::Map<_, _>>().into();
    cm
}

/// A ClusterIP Service selecting `app.kubernetes.io/name=<app>` on a named port.
pub(super) fn service(ns: &str, name: &str, app: &str, ports: &[(&str, u16)]) -> Value {
    let mut svc = object("v1", "Service", Some(ns), name);
    let ports: Vec<Value> = ports
        .iter()
        .map(|(port_name, port)| json!({ "name": port_name, "port": port, "protocol": "TCP", "targetPort": port_name }))
        .collect();
    svc["spec"] = json!({
        "type": "ClusterIP",
        "selector": { "app.kubernetes.io/name": app },
        "ports": ports,
    });
    svc
}

/// A Deployment of `replicas` pods of `image` (label `app.kubernetes.io/name=<name>`) with all replicas
/// available since `ready_since` seconds ago.
pub(super) fn deployment(
    clock: &Clock,
    ns: &str,
    name: &str,
    image: &str,
    ports: &[(&str, u16)],
    replicas: u32,
    ready_since: i64,
) -> Value {
    let app = name;
    let mut deploy = object("apps/v1", "Deployment", Some(ns), name);
    let container_ports: Vec<Value> = ports
        .iter()
        .map(|(port_name, port)| json!({ "name": port_name, "containerPort": port, "protocol": "TCP" }))
        .collect();
    deploy["spec"] = json!({
        "replicas": replicas,
        "selector": { "matchLabels": { "app.kubernetes.io/name": app } },
        "template": {
            "metadata": { "labels": { "app.kubernetes.io/name": app } },
            "spec": { "containers": [{
                "name": app,
                "image": image,
                "ports": container_ports,
                "resources": { "requests": { "cpu": "100m", "memory": "64Mi" } },
            }] },
        },
    });
    let replica_set = format!("{name}-{}", ids::hex(&format!("{ns}/{name}/rs"), 10));
    deploy["status"] = json!({
        "observedGeneration": 1,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {
                "type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
                "lastUpdateTime": clock.ago(ready_since), "lastTransitionTime": clock.ago(ready_since),
            },
            {
                "type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                "message": format!("ReplicaSet \"{replica_set}\" has successfully progressed."),
                "lastUpdateTime": clock.ago(ready_since), "lastTransitionTime": clock.ago(ready_since + 60),
            },
        ],
    });
    deploy
}

/// A core/v1 `Warning` Event about `involved` as a controller's recorder leaves it: `count` occurrences
/// between `first_ago` and `last_ago` seconds ago, reported by `component`.
pub(super) fn warning_event(
    clock: &Clock,
    involved: &Value,
    reason: &str,
    message: &str,
    count: u32,
    (first_ago, last_ago): (i64, i64),
    component: &str,
) -> Value {
    let name = involved["metadata"]["name"].as_str().unwrap_or_default();
    let ns = involved["metadata"]["namespace"].as_str().unwrap_or("default");
    let mut e = super::meta::object(
        "v1",
        "Event",
        Some(ns),
        &format!("{name}.{}", super::ids::hex(&format!("event/{ns}/{name}/{reason}"), 16)),
    );
    e["involvedObject"] = json!({
        "apiVersion": involved["apiVersion"],
        "kind": involved["kind"],
        "namespace": ns,
        "name": name,
    });
    e["type"] = json!("Warning");
    e["reason"] = json!(reason);
    e["message"] = json!(message);
    e["count"] = json!(count);
    e["firstTimestamp"] = json!(clock.ago(first_ago));
    e["lastTimestamp"] = json!(clock.ago(last_ago));
    e["source"] = json!({"component": component});
    e["reportingComponent"] = json!(component);
    e
}
