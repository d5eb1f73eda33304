//! One v1beta2 Cluster API Machine of a kubeadm + Docker (CAPD) cluster, with what hangs off it: its
//! DockerMachine and KubeadmConfig (named like the Machine, owned by it, as Cluster API >= 1.7 creates them)
//! and the facts of the Node it runs, so the workload cluster's seed can hold the matching Node.
//!
//! Condition types, reasons and message shapes follow cluster-api v1.14 (`api/core/v1beta2/machine_types.go`,
//! `internal/controllers/machine/machine_controller_status.go`): a Node whose Ready condition is False makes
//! NodeReady / NodeHealthy False with `* Node.Ready: <kubelet message>`, which the Ready summary nests under
//! `* NodeHealthy:`.

use serde_json::{Value, json};

use super::ids;
use super::meta::{Clock, Conditions, MIN, V1Beta1Conditions, labels, object, owned_by};

/// `cluster.x-k8s.io/v1beta2`: Cluster, Machine, MachineSet, MachineDeployment, MachineHealthCheck.
pub(super) const CAPI: &str = "cluster.x-k8s.io/v1beta2";
/// `controlplane.cluster.x-k8s.io/v1beta2`: KubeadmControlPlane.
pub(super) const CONTROLPLANE: &str = "controlplane.cluster.x-k8s.io/v1beta2";
/// `bootstrap.cluster.x-k8s.io/v1beta2`: KubeadmConfig.
pub(super) const BOOTSTRAP: &str = "bootstrap.cluster.x-k8s.io/v1beta2";
/// `infrastructure.cluster.x-k8s.io/v1beta2`: DockerCluster / DockerMachine, and CAPA's kinds.
pub(super) const INFRA: &str = "infrastructure.cluster.x-k8s.io/v1beta2";

/// Label on every Cluster API object of a cluster.
pub(super) const CLUSTER_NAME: &str = "cluster.x-k8s.io/cluster-name";
/// Label of the Machines (and MachineSets) of a MachineDeployment.
pub(super) const DEPLOYMENT_NAME: &str = "cluster.x-k8s.io/deployment-name";
/// Label whose presence marks control-plane Machines.
pub(super) const CONTROL_PLANE: &str = "cluster.x-k8s.io/control-plane";

/// How long the demo's MachineHealthChecks let a Node be not Ready (`unhealthyNodeConditions` timeoutSeconds).
pub(super) const NODE_NOT_READY_TIMEOUT: i64 = 5 * MIN;

/// What a MachineHealthCheck writes on a Machine whose Node was not Ready for longer than
/// [`NODE_NOT_READY_TIMEOUT`] (cluster-api `machinehealthcheck_targets.go`; kubelet's reason `KubeletNotReady`).
pub(super) const UNHEALTHY_NODE: &str =
    "Condition Ready on Node is reporting status False with reason KubeletNotReady for more than 5m0s";

/// The kindest/node image family CAPD runs, and what its Nodes report.
const CONTAINER_RUNTIME: &str = "containerd://2.1.3";
const OS_IMAGE: &str = "Debian GNU/Linux 12 (bookworm)";
const KERNEL: &str = "6.1.0-37-amd64";

/// How a Machine is doing.
#[derive(Clone, Debug)]
pub(super) enum Health {
    /// Running, Node Ready.
    Healthy,
    /// Running, but its Node reports Ready=False with this kubelet message since `since` seconds ago.
    NodeNotReady { message: &'static str, since: i64 },
    /// Being deleted (the applier deletes it; a finalizer keeps it), draining its Node since `since`.
    Draining { since: i64 },
}

/// Everything that makes one Machine.
#[derive(Clone, Debug)]
pub(super) struct MachineFacts {
    pub namespace: String,
    pub cluster: String,
    pub name: String,
    pub version: String,
    pub control_plane: bool,
    /// The first control-plane Machine runs `kubeadm init`, the others `kubeadm join`.
    pub first: bool,
    /// Labels besides cluster-name and control-plane (deployment-name, set-name, control-plane-name...).
    pub labels: Vec<(String, String)>,
    /// Seconds since the Machine was created.
    pub age: i64,
    pub health: Health,
    pub paused: bool,
    /// A MachineHealthCheck covers it (adds HealthCheckSucceeded).
    pub health_checked: bool,
    /// Not up to date with its owner's template: the `UpToDate` message (`* Version v1.33.4, v1.34.1 required`).
    pub stale: Option<String>,
}

/// The Node a Machine runs, for the workload cluster's seed.
#[derive(Clone, Debug)]
pub(super) struct NodeFacts {
    pub name: String,
    pub cluster: String,
    pub namespace: String,
    /// `(kind, name)` of the Machine's owner (KubeadmControlPlane or MachineSet).
    pub owner: (&'static str, String),
    pub control_plane: bool,
    pub address: String,
    pub provider_id: String,
    pub version: String,
    pub age: i64,
    /// `Some((kubelet message, since))` when Ready is False.
    pub not_ready: Option<(&'static str, i64)>,
}

impl MachineFacts {
    /// The Machine's address on the CAPD Docker network.
    pub(super) fn address(&self) -> String {
        ids::ipv4("172.18", &format!("{}/{}", self.namespace, self.name))
    }

    /// The Node it runs (named like the Machine, as with CAPD).
    pub(super) fn node(&self) -> NodeFacts {
        let label = |key: &str| self.labels.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
        let owner = if self.control_plane {
            ("KubeadmControlPlane", label("cluster.x-k8s.io/control-plane-name"))
        } else {
            ("MachineSet", label("cluster.x-k8s.io/set-name"))
        };
        NodeFacts {
            name: self.name.clone(),
            cluster: self.cluster.clone(),
            namespace: self.namespace.clone(),
            owner,
            control_plane: self.control_plane,
            address: self.address(),
            provider_id: format!("docker:////{}", self.name),
            version: self.version.clone(),
            age: self.age - 2 * MIN,
            not_ready: match self.health {
                Health::NodeNotReady { message, since } => Some((message, since)),
                _ => None,
            },
        }
    }

    /// The Machine's Ready condition message when it is not Ready, as owners aggregate it: the summary of
    /// NodeHealthy then HealthCheckSucceeded (cluster-api `setReadyCondition` order), each message indented as
    /// `util/conditions` `indentIfMultiline` does.
    pub(super) fn not_ready_message(&self) -> Option<String> {
        match self.health {
            Health::Healthy => None,
            Health::NodeNotReady { message, .. } => {
                let mut m = format!("* NodeHealthy:\n  * Node.Ready: {message}");
                if self.health_check_failed().is_some() {
                    m.push_str(&format!(
                        "\n* HealthCheckSucceeded:\n  * Health check failed:\n      * {UNHEALTHY_NODE}"
                    ));
                }
                Some(m)
            }
            Health::Draining { .. } => Some("* Deleting: Machine deletion in progress, stage: DrainingNode".to_owned()),
        }
    }

    /// Seconds since the MachineHealthCheck found it unhealthy: a checked Machine whose Node has not been Ready
    /// for longer than the check's [`NODE_NOT_READY_TIMEOUT`].
    pub(super) fn health_check_failed(&self) -> Option<i64> {
        match self.health {
            Health::NodeNotReady { since, .. } if self.health_checked && since > NODE_NOT_READY_TIMEOUT => {
                Some(since - NODE_NOT_READY_TIMEOUT)
            }
            _ => None,
        }
    }

    /// Its `UpToDate` condition: False/NotUpToDate with [`MachineFacts::stale`]'s message, else True.
    fn up_to_date<'c>(&self, c: Conditions<'c>) -> Conditions<'c> {
        match &self.stale {
            Some(m) => c.add("UpToDate", "False", "NotUpToDate", m),
            None => c.yes("UpToDate", "UpToDate"),
        }
    }

    fn paused_condition<'c>(&self, c: Conditions<'c>) -> Conditions<'c> {
        if self.paused {
            c.add("Paused", "True", "Paused", &format!("Cluster {} is paused", self.cluster))
        } else {
            c.no("Paused", "NotPaused")
        }
    }
}

/// `nodeInfo` as kubelet reports it on CAPD's kindest/node image (also copied into Machine status).
pub(super) fn node_info(name: &str, version: &str) -> Value {
    let uuid = |seed: &str| {
        let h = ids::hex(seed, 32);
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    };
    json!({
        "architecture": "amd64",
        "bootID": uuid(&format!("boot/{name}")),
        "containerRuntimeVersion": CONTAINER_RUNTIME,
        "kernelVersion": KERNEL,
        "kubeProxyVersion": version,
        "kubeletVersion": version,
        "machineID": ids::hex(&format!("machine-id/{name}"), 32),
        "operatingSystem": "linux",
        "osImage": OS_IMAGE,
        "systemUUID": uuid(&format!("system/{name}")),
    })
}

fn addresses(f: &MachineFacts) -> Value {
    let ip = f.address();
    json!([
        { "type": "Hostname", "address": f.name },
        { "type": "InternalIP", "address": ip },
        { "type": "ExternalIP", "address": ip },
    ])
}

/// The Machine, its DockerMachine and its KubeadmConfig, in creation order; `owner` is the KCP or MachineSet.
pub(super) fn machine_objects(clock: &Clock, f: &MachineFacts, owner: &Value) -> [Value; 3] {
    let mut all_labels: Vec<(&str, &str)> = vec![(CLUSTER_NAME, &f.cluster)];
    if f.control_plane {
        all_labels.push((CONTROL_PLANE, ""));
    }
    all_labels.extend(f.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())));

    let mut machine = object(CAPI, "Machine", Some(&f.namespace), &f.name);
    labels(&mut machine, &all_labels);
    owned_by(&mut machine, owner, true);
    machine["spec"] = machine_spec(f);
    machine["status"] = machine_status(clock, f);
    if matches!(f.health, Health::Draining { .. }) {
        machine["metadata"]["finalizers"] = json!(["machine.cluster.x-k8s.io"]);
    }

    let mut docker = object(INFRA, "DockerMachine", Some(&f.namespace), &f.name);
    labels(&mut docker, &all_labels);
    owned_by(&mut docker, &machine, true);
    docker["spec"] = json!({
        "providerID": format!("docker:////{}", f.name),
        "customImage": format!("kindest/node:{}", f.version),
        "bootstrapped": true,
    });
    let ready_since = f.age - 3 * MIN;
    let docker_conditions = f
        .paused_condition(
            Conditions::new(clock, ready_since)
                .yes("Ready", "Ready")
                .yes("ContainerProvisioned", "Provisioned")
                .yes("BootstrapExecSucceeded", "Succeeded"),
        )
        .build();
    docker["status"] = json!({
        "observedGeneration": 1,
        "initialization": { "provisioned": true },
        "addresses": addresses(f),
        "conditions": docker_conditions,
        "deprecated": { "v1beta1": { "conditions": V1Beta1Conditions::new(clock, ready_since)
            .ok("Ready").ok("BootstrapExecSucceeded").ok("ContainerProvisioned").build() } },
    });

    let mut config = object(BOOTSTRAP, "KubeadmConfig", Some(&f.namespace), &f.name);
    labels(&mut config, &all_labels);
    owned_by(&mut config, &machine, true);
    config["spec"] = kubeadm_config_spec(f);
    let config_since = f.age - MIN;
    let config_conditions = f
        .paused_condition(
            Conditions::new(clock, config_since)
                .yes("Ready", "Ready")
                .yes("DataSecretAvailable", "Available")
                .yes("CertificatesAvailable", "Available"),
        )
        .build();
    config["status"] = json!({
        "observedGeneration": 1,
        "initialization": { "dataSecretCreated": true },
        "dataSecretName": f.name,
        "conditions": config_conditions,
        "deprecated": { "v1beta1": { "conditions": V1Beta1Conditions::new(clock, config_since)
            .ok("Ready").ok("CertificatesAvailable").ok("DataSecretAvailable").build() } },
    });
    [machine, docker, config]
}

fn machine_spec(f: &MachineFacts) -> Value {
    let mut spec = json!({
        "clusterName": f.cluster,
        "bootstrap": {
            "configRef": { "apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfig", "name": f.name },
            "dataSecretName": f.name,
        },
        "infrastructureRef": {
            "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachine", "name": f.name,
        },
        "version": f.version,
        "providerID": format!("docker:////{}", f.name),
        "deletion": { "nodeDrainTimeoutSeconds": 600, "nodeDeletionTimeoutSeconds": 10 },
    });
    if f.control_plane {
        let gates = KCP_MACHINE_CONDITIONS.iter().map(|(t, _)| json!({ "conditionType": t })).collect::<Vec<_>>();
        spec["readinessGates"] = json!(gates);
    }
    spec
}

/// Conditions KubeadmControlPlane adds to its Machines (and lists as their readiness gates), with the
/// reason each has when healthy.
const KCP_MACHINE_CONDITIONS: &[(&str, &str)] = &[
    ("APIServerPodHealthy", "Running"),
    ("ControllerManagerPodHealthy", "Running"),
    ("SchedulerPodHealthy", "Running"),
    ("EtcdPodHealthy", "Running"),
    ("EtcdMemberHealthy", "Healthy"),
];

fn machine_status(clock: &Clock, f: &MachineFacts) -> Value {
    let running_since = f.age - 4 * MIN;
    let mut c = Conditions::new(clock, running_since);
    let mut old = V1Beta1Conditions::new(clock, running_since);
    match &f.health {
        Health::Healthy => {
            c = c.yes("Available", "Available").yes("Ready", "Ready");
            c = f.up_to_date(c);
            old = old.ok("Ready");
        }
        Health::NodeNotReady { since, .. } => {
            let ready_message = f.not_ready_message().unwrap_or_default();
            c = c
                .since(*since)
                .add("Available", "False", "NotReady", "")
                .add("Ready", "False", "NotReady", &ready_message)
                .since(running_since);
            c = f.up_to_date(c);
            old = old.since(*since).bad("Ready", "Warning", "NodeConditionsFailed", "Node condition Ready is False. ");
        }
        Health::Draining { since } => {
            c = c
                .since(*since)
                .add("Available", "False", "NotReady", "")
                .add("Ready", "False", "NotReady", "* Deleting: Machine deletion in progress, stage: DrainingNode")
                .since(running_since);
            c = f.up_to_date(c);
            old = old.since(*since).bad("Ready", "Info", "Draining", "");
        }
    }
    c = c.since(running_since).yes("BootstrapConfigReady", "Ready").yes("InfrastructureReady", "Ready");
    old = old.since(running_since).ok("BootstrapReady").ok("InfrastructureReady");
    match &f.health {
        Health::NodeNotReady { message, since } => {
            let node_message = format!("* Node.Ready: {message}");
            c = c.since(*since).add("NodeReady", "False", "NodeNotReady", &node_message).add(
                "NodeHealthy",
                "False",
                "NodeNotHealthy",
                &node_message,
            );
            old = old.since(*since).bad(
                "NodeHealthy",
                "Warning",
                "NodeConditionsFailed",
                "Node condition Ready is False. ",
            );
        }
        _ => {
            c = c.yes("NodeReady", "NodeReady").yes("NodeHealthy", "NodeHealthy");
            old = old.ok("NodeHealthy");
        }
    }
    c = c.since(running_since);
    if f.control_plane {
        for (t, reason) in KCP_MACHINE_CONDITIONS {
            c = c.yes(t, reason);
            old = old.ok(t);
        }
    }
    match f.health_check_failed() {
        Some(since) => {
            let message = format!("Health check failed:\n  * {UNHEALTHY_NODE}");
            c = c
                .since(since)
                .add("HealthCheckSucceeded", "False", "UnhealthyNode", &message)
                .add("OwnerRemediated", "False", "WaitingForRemediation", "Waiting for remediation")
                .since(running_since);
            old = old
                .since(since)
                .bad("HealthCheckSucceeded", "Warning", "UnhealthyNode", UNHEALTHY_NODE)
                .bad("OwnerRemediated", "Warning", "WaitingForRemediation", "")
                .since(running_since);
        }
        None if f.health_checked => {
            c = c.yes("HealthCheckSucceeded", "HealthCheckSucceeded");
            old = old.ok("HealthCheckSucceeded");
        }
        None => {}
    }
    c = c.no("Updating", "NotUpdating");
    let mut status = json!({
        "observedGeneration": 1,
        "phase": "Running",
        "nodeRef": { "name": f.name },
        "initialization": { "bootstrapDataSecretCreated": true, "infrastructureProvisioned": true },
        "addresses": addresses(f),
        "nodeInfo": node_info(&f.name, &f.version),
        "lastUpdated": clock.ago(running_since),
    });
    if let Health::Draining { since } = f.health {
        let message = format!(
            "Drain not completed yet (started at {}):\n* Pod default/web-{}-{}: deletionTimestamp set, but still not removed from the Node",
            clock.ago(since),
            ids::hex(&f.name, 10),
            ids::suffix(&f.name),
        );
        c = c.since(since).add("Deleting", "True", "DrainingNode", &message);
        status["phase"] = json!("Deleting");
        status["deletion"] = json!({ "nodeDrainStartTime": clock.ago(since) });
    } else {
        c = c.no("Deleting", "NotDeleting");
    }
    c = f.paused_condition(c.since(running_since));
    if f.control_plane {
        status["certificatesExpiryDate"] = json!(clock.ago(f.age - 365 * super::meta::DAY));
    }
    status["conditions"] = c.build();
    status["deprecated"] = json!({ "v1beta1": { "conditions": old.build() } });
    status
}

fn kubeadm_config_spec(f: &MachineFacts) -> Value {
    let registration = json!({
        "kubeletExtraArgs": [
            { "name": "eviction-hard", "value": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%" },
        ],
    });
    if f.first {
        json!({
            "clusterConfiguration": {
                "apiServer": { "certSANs": ["localhost", "127.0.0.1", "0.0.0.0", "host.docker.internal"] },
                "controllerManager": { "extraArgs": [{ "name": "enable-hostpath-provisioner", "value": "true" }] },
            },
            "initConfiguration": { "nodeRegistration": registration },
        })
    } else if f.control_plane {
        json!({ "joinConfiguration": { "controlPlane": {}, "nodeRegistration": registration } })
    } else {
        json!({ "joinConfiguration": { "nodeRegistration": registration } })
    }
}
