//! `legacy-aws`: a Cluster API cluster on AWS created from v1beta1 manifests, back when v1beta1 was Cluster
//! API's current API, as a Cluster API v1.14 management cluster stores and serves it today. Its third
//! control-plane Machine cannot get an EC2 instance (InsufficientInstanceCapacity): the KubeadmControlPlane
//! and the Cluster report Ready / ControlPlaneReady False with severity Warning in their v1beta1 conditions,
//! ControlPlaneMachinesReady False in their v1beta2 ones.
//!
//! Cluster API v1.14 stores every core and kubeadm object in v1beta2, whatever version it was written in: its
//! conversion webhook turns v1beta1 into v1beta2 (references `{apiGroup, kind, name}`, the v1beta1
//! conditions with their severities under `status.deprecated.v1beta1`, what `status.v1beta2` held moved up,
//! `status.initialization`, failure domains as a list, `{name, value}` argument lists, ...). No webhook runs
//! beside the demo's API servers: with the upstream CRDs' conversion strategy `None`, the API server would
//! only rewrite the `apiVersion` of a v1beta1 object and prune it against the v1beta2 schema (the references
//! would lose their `apiVersion`, and clusterctl could not decode the failure domains map). So the objects
//! are written here as their v1beta1 manifests and the controllers of the time wrote them, then turned into
//! what the webhook stores by [`super::capi_convert::stored_form`]. Read with `--v1beta1` (clusterctl's
//! `--v1beta2=false`) the cluster still shows its severities. CAPA's own objects (AWSCluster, AWSMachine)
//! keep the shape of CAPA's v1beta2 API, which implements the v1beta1 contract (`status.ready`, v1beta1
//! conditions with severity) and which CAPA's CRDs store as written.

use serde_json::{Value, json};

use super::capi_aws::{NAMESPACE, aws_cluster};
use super::capi_convert::stored_form;
use super::capi_machine::{CLUSTER_NAME, CONTROL_PLANE, INFRA};
use super::capi_status::nest;
use super::ids;
use super::meta::{Clock, Conditions, DAY, HOUR, MIN, V1Beta1Conditions, labels, object, owned_by};

const CAPI_V1BETA1: &str = "cluster.x-k8s.io/v1beta1";
const KCP_V1BETA1: &str = "controlplane.cluster.x-k8s.io/v1beta1";
const BOOTSTRAP_V1BETA1: &str = "bootstrap.cluster.x-k8s.io/v1beta1";

/// The message AWS gives when a zone has no capacity left for an instance type (CAPA wraps it).
const NO_CAPACITY: &str = "failed to create AWSMachine instance: failed to run instance: operation error EC2: RunInstances, https response error StatusCode: 500, RequestID: 4c6f1a0e-9b2d-4f3e-8a51-2d7c9e0b6a13, api error InsufficientInstanceCapacity: We currently do not have sufficient m5.xlarge capacity in the Availability Zone you requested (eu-central-1c). Our system will be working on provisioning additional capacity. You can currently get m5.xlarge capacity by not specifying an Availability Zone in your request or choosing eu-central-1a, eu-central-1b.";

/// A full v1beta1 ObjectReference in `legacy-aws`'s namespace.
/// How long the control plane's MachineHealthCheck waits for a Machine's Node (`nodeStartupTimeoutSeconds`).
const NODE_STARTUP_TIMEOUT: i64 = 10 * MIN;
/// What the MachineHealthCheck writes on a Machine whose Node did not start in time (cluster-api
/// `machinehealthcheck_targets.go`).
const NODE_STARTUP: &str = "Node failed to report startup in 10m0s";
/// Since when the third control-plane Machine has had no EC2 instance.
const FAILED_SINCE: i64 = 25 * MIN;

/// The failed Machine's v1beta2 Ready message: its InfrastructureReady, then the failed health check (the
/// Ready summary's order; NodeHealthy Unknown is an info the summary drops).
fn failed_ready_message() -> String {
    format!(
        "{}\n* HealthCheckSucceeded:\n  * Health check failed:\n      * {NODE_STARTUP}",
        nest("InfrastructureReady", NO_CAPACITY)
    )
}

fn reference(api_version: &str, kind: &str, name: &str) -> Value {
    json!({ "apiVersion": api_version, "kind": kind, "name": name, "namespace": NAMESPACE })
}

/// One v1beta1 Machine with its AWSMachine and KubeadmConfig; `failed` Machines have no EC2 instance.
fn legacy_machine(
    clock: &Clock,
    name: &str,
    owner: &Value,
    extra: &[(&str, &str)],
    age: i64,
    failed: bool,
) -> [Value; 3] {
    let zone = if failed {
        "eu-central-1c"
    } else if ids::number(name, 2) == 0 {
        "eu-central-1a"
    } else {
        "eu-central-1b"
    };
    let instance = format!("i-{}", ids::hex(&format!("{name}/instance"), 17));
    let ip = ids::ipv4("10.0", name);
    let node = format!("ip-{}.eu-central-1.compute.internal", ip.replace('.', "-"));
    let mut all: Vec<(&str, &str)> = vec![(CLUSTER_NAME, "legacy-aws")];
    all.extend_from_slice(extra);

    let mut machine = object(CAPI_V1BETA1, "Machine", Some(NAMESPACE), name);
    labels(&mut machine, &all);
    owned_by(&mut machine, owner, true);
    machine["spec"] = json!({
        "clusterName": "legacy-aws",
        "bootstrap": { "configRef": reference(BOOTSTRAP_V1BETA1, "KubeadmConfig", name), "dataSecretName": name },
        "infrastructureRef": reference(INFRA, "AWSMachine", name),
        "version": "v1.30.14",
        "failureDomain": zone,
    });
    // The control plane's MachineHealthCheck covers the control-plane Machines.
    let checked = extra.iter().any(|(k, _)| *k == CONTROL_PLANE);
    let since = if failed { FAILED_SINCE } else { age - 6 * MIN };
    let (old, new, status_extra) = if failed {
        let check_since = FAILED_SINCE - NODE_STARTUP_TIMEOUT;
        let old = V1Beta1Conditions::new(clock, since)
            .bad("Ready", "Warning", "InstanceProvisionFailed", NO_CAPACITY)
            .ok("BootstrapReady")
            .bad("InfrastructureReady", "Warning", "InstanceProvisionFailed", NO_CAPACITY)
            .bad("NodeHealthy", "Info", "WaitingForNodeRef", "")
            .since(check_since)
            .bad("HealthCheckSucceeded", "Warning", "NodeStartupTimeout", NODE_STARTUP);
        let waiting = "Waiting for AWSMachine to report spec.providerID";
        let new = Conditions::new(clock, since)
            .add("Available", "False", "NotReady", "")
            .since(check_since)
            .add("Ready", "False", "NotReady", &failed_ready_message())
            .since(since)
            .yes("UpToDate", "UpToDate")
            .yes("BootstrapConfigReady", "Ready")
            .add("InfrastructureReady", "False", "InstanceProvisionFailed", NO_CAPACITY)
            .add("NodeReady", "Unknown", "InspectionFailed", waiting)
            .add("NodeHealthy", "Unknown", "InspectionFailed", waiting)
            .since(check_since)
            .add(
                "HealthCheckSucceeded",
                "False",
                "NodeStartupTimeout",
                &format!("Health check failed:\n  * {NODE_STARTUP}"),
            )
            .since(since)
            .no("Deleting", "NotDeleting")
            .no("Paused", "NotPaused");
        (old, new, json!({ "phase": "Provisioning", "bootstrapReady": true, "infrastructureReady": false }))
    } else {
        let old = V1Beta1Conditions::new(clock, since)
            .ok("Ready")
            .ok("BootstrapReady")
            .ok("InfrastructureReady")
            .ok("NodeHealthy");
        let new = Conditions::new(clock, since)
            .yes("Available", "Available")
            .yes("Ready", "Ready")
            .yes("UpToDate", "UpToDate")
            .yes("BootstrapConfigReady", "Ready")
            .yes("InfrastructureReady", "Ready")
            .yes("NodeReady", "NodeReady")
            .yes("NodeHealthy", "NodeHealthy")
            .no("Deleting", "NotDeleting")
            .no("Paused", "NotPaused");
        let (old, new) = if checked {
            (old.ok("HealthCheckSucceeded"), new.yes("HealthCheckSucceeded", "HealthCheckSucceeded"))
        } else {
            (old, new)
        };
        machine["spec"]["providerID"] = json!(format!("aws:///{zone}/{instance}"));
        let status = json!({
            "phase": "Running", "bootstrapReady": true, "infrastructureReady": true,
            "nodeRef": { "apiVersion": "v1", "kind": "Node", "name": node },
            "addresses": [
                { "type": "InternalIP", "address": ip },
                { "type": "InternalDNS", "address": node },
            ],
        });
        (old, new, status)
    };
    let mut status = status_extra;
    status["observedGeneration"] = json!(1);
    status["lastUpdated"] = json!(clock.ago(since));
    status["conditions"] = old.build();
    status["v1beta2"] = json!({ "conditions": new.build() });
    machine["status"] = status;

    let mut aws = object(INFRA, "AWSMachine", Some(NAMESPACE), name);
    labels(&mut aws, &all);
    owned_by(&mut aws, &machine, true);
    aws["spec"] = json!({
        "instanceType": "m5.xlarge",
        "iamInstanceProfile": if extra.iter().any(|(k, _)| *k == CONTROL_PLANE) {
            "control-plane.cluster-api-provider-aws.sigs.k8s.io"
        } else {
            "nodes.cluster-api-provider-aws.sigs.k8s.io"
        },
        "sshKeyName": "default",
        "cloudInit": { "insecureSkipSecretsManager": false, "secureSecretsBackend": "secrets-manager" },
    });
    aws["status"] = if failed {
        json!({
            "ready": false,
            "conditions": V1Beta1Conditions::new(clock, since)
                .bad("Ready", "Warning", "InstanceProvisionFailed", NO_CAPACITY)
                .bad("InstanceReady", "Warning", "InstanceProvisionFailed", NO_CAPACITY)
                .ok("SecurityGroupsReady")
                .build(),
        })
    } else {
        aws["spec"]["providerID"] = json!(format!("aws:///{zone}/{instance}"));
        aws["spec"]["instanceID"] = json!(instance);
        json!({
            "ready": true,
            "instanceState": "running",
            "addresses": [{ "type": "InternalIP", "address": ip }, { "type": "InternalDNS", "address": node }],
            "conditions": V1Beta1Conditions::new(clock, since).ok("Ready").ok("InstanceReady").ok("SecurityGroupsReady").build(),
        })
    };

    let mut config = object(BOOTSTRAP_V1BETA1, "KubeadmConfig", Some(NAMESPACE), name);
    labels(&mut config, &all);
    owned_by(&mut config, &machine, true);
    config["spec"] = json!({ "joinConfiguration": { "nodeRegistration": {
        "name": "{{ ds.meta_data.local_hostname }}", "kubeletExtraArgs": { "cloud-provider": "external" },
    } } });
    let config_since = age - MIN;
    config["status"] = json!({
        "ready": true,
        "dataSecretName": name,
        "observedGeneration": 1,
        "conditions": V1Beta1Conditions::new(clock, config_since).ok("Ready").ok("CertificatesAvailable").ok("DataSecretAvailable").build(),
        "v1beta2": { "conditions": Conditions::new(clock, config_since)
            .yes("Ready", "Ready")
            .yes("DataSecretAvailable", "Available")
            .yes("CertificatesAvailable", "Available")
            .no("Paused", "NotPaused")
            .build() },
    });
    [machine, aws, config]
}

/// `legacy-aws`, as stored: Cluster, AWSCluster, KubeadmControlPlane (3 Machines, one without an instance),
/// MachineDeployment + MachineSet with 2 workers, written in v1beta1 and converted.
pub(super) fn legacy_aws(clock: &Clock) -> Vec<Value> {
    let name = "legacy-aws";
    let kcp_name = "legacy-aws-control-plane";
    let age = 410 * DAY;
    let endpoint = format!("{name}-apiserver-{}.eu-central-1.elb.amazonaws.com", ids::number(name, 1_000_000_000));
    let control_plane_message = NO_CAPACITY;
    let mut cluster = object(CAPI_V1BETA1, "Cluster", Some(NAMESPACE), name);
    cluster["spec"] = json!({
        "clusterNetwork": { "pods": { "cidrBlocks": ["192.168.0.0/16"] } },
        "controlPlaneEndpoint": { "host": endpoint, "port": 6443 },
        "infrastructureRef": reference(INFRA, "AWSCluster", name),
        "controlPlaneRef": reference(KCP_V1BETA1, "KubeadmControlPlane", kcp_name),
    });
    let recent = 25 * MIN;
    let cp_machine = format!("{kcp_name}-{}", ids::suffix(&format!("{NAMESPACE}/{kcp_name}/2")));
    let machines_not_ready = nest(&format!("Machine {cp_machine}"), &failed_ready_message());
    cluster["status"] = json!({
        "observedGeneration": 1,
        "phase": "Provisioned",
        "infrastructureReady": true,
        "controlPlaneReady": true,
        "failureDomains": { "eu-central-1a": { "controlPlane": true }, "eu-central-1b": { "controlPlane": true }, "eu-central-1c": { "controlPlane": true } },
        "conditions": V1Beta1Conditions::new(clock, recent)
            .bad("Ready", "Warning", "InstanceProvisionFailed", control_plane_message)
            .since(age - HOUR)
            .ok("ControlPlaneInitialized")
            .since(recent)
            .bad("ControlPlaneReady", "Warning", "InstanceProvisionFailed", control_plane_message)
            .since(age - HOUR)
            .ok("InfrastructureReady")
            .build(),
        "v1beta2": {
            "conditions": Conditions::new(clock, age - HOUR)
                .yes("Available", "Available")
                .yes("InfrastructureReady", "Ready")
                .yes("ControlPlaneInitialized", "Initialized")
                .yes("ControlPlaneAvailable", "Available")
                .yes("WorkersAvailable", "Available")
                .since(recent)
                .add("ControlPlaneMachinesReady", "False", "NotReady", &machines_not_ready)
                .since(age - HOUR)
                .yes("WorkerMachinesReady", "Ready")
                .yes("ControlPlaneMachinesUpToDate", "UpToDate")
                .yes("WorkerMachinesUpToDate", "UpToDate")
                .yes("RemoteConnectionProbe", "ProbeSucceeded")
                .no("RollingOut", "NotRollingOut")
                .no("ScalingUp", "NotScalingUp")
                .no("ScalingDown", "NotScalingDown")
                .add("Remediating", "False", "NotRemediating", &format!("Machine {cp_machine} is not healthy (not to be remediated)"))
                .no("Deleting", "NotDeleting")
                .no("Paused", "NotPaused")
                .build(),
            "controlPlane": { "desiredReplicas": 3, "replicas": 3, "upToDateReplicas": 3, "readyReplicas": 2, "availableReplicas": 2 },
            "workers": { "desiredReplicas": 2, "replicas": 2, "upToDateReplicas": 2, "readyReplicas": 2, "availableReplicas": 2 },
        },
    });
    let infra = aws_cluster(clock, &cluster, name, "eu-central-1", age, Some(&endpoint));

    let mut kcp = object(KCP_V1BETA1, "KubeadmControlPlane", Some(NAMESPACE), kcp_name);
    labels(&mut kcp, &[(CLUSTER_NAME, name)]);
    owned_by(&mut kcp, &cluster, true);
    kcp["spec"] = json!({
        "replicas": 3,
        "version": "v1.30.14",
        "machineTemplate": { "infrastructureRef": reference(INFRA, "AWSMachineTemplate", kcp_name) },
        "kubeadmConfigSpec": {
            "clusterConfiguration": {
                "apiServer": { "extraArgs": { "cloud-provider": "external" } },
                "controllerManager": { "extraArgs": { "cloud-provider": "external" } },
            },
            "initConfiguration": { "nodeRegistration": { "name": "{{ ds.meta_data.local_hostname }}", "kubeletExtraArgs": { "cloud-provider": "external" } } },
            "joinConfiguration": { "nodeRegistration": { "name": "{{ ds.meta_data.local_hostname }}", "kubeletExtraArgs": { "cloud-provider": "external" } } },
        },
        "rolloutStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1 } },
    });
    kcp["status"] = json!({
        "observedGeneration": 1,
        "ready": true, "initialized": true,
        "replicas": 3, "readyReplicas": 2, "updatedReplicas": 3, "unavailableReplicas": 1,
        "version": "v1.30.14",
        "selector": format!("{CLUSTER_NAME}={name},{CONTROL_PLANE}"),
        "conditions": V1Beta1Conditions::new(clock, recent)
            .bad("Ready", "Warning", "InstanceProvisionFailed", control_plane_message)
            .since(age - HOUR)
            .ok("Available").ok("CertificatesAvailable").ok("ControlPlaneComponentsHealthy").ok("EtcdClusterHealthy")
            .ok("MachinesCreated")
            .since(recent)
            .bad("MachinesReady", "Warning", "InstanceProvisionFailed", control_plane_message)
            .ok("Resized")
            .build(),
        "v1beta2": {
            "conditions": Conditions::new(clock, age - HOUR)
                .yes("Available", "Available")
                .yes("CertificatesAvailable", "Available")
                .yes("ControlPlaneComponentsHealthy", "Healthy")
                .yes("EtcdClusterHealthy", "Healthy")
                .yes("Initialized", "Initialized")
                .since(recent)
                .add("MachinesReady", "False", "NotReady", &machines_not_ready)
                .since(age - HOUR)
                .yes("MachinesUpToDate", "UpToDate")
                .no("RollingOut", "NotRollingOut")
                .no("ScalingUp", "NotScalingUp")
                .no("ScalingDown", "NotScalingDown")
                .add("Remediating", "False", "NotRemediating", &format!("Machine {cp_machine} is not healthy (not to be remediated by KubeadmControlPlane)"))
                .no("Deleting", "NotDeleting")
                .no("Paused", "NotPaused")
                .build(),
            "readyReplicas": 2, "availableReplicas": 2, "upToDateReplicas": 3,
        },
    });

    let mut objects = vec![cluster.clone(), infra, kcp.clone()];
    for i in 0..3 {
        let m = format!("{kcp_name}-{}", ids::suffix(&format!("{NAMESPACE}/{kcp_name}/{i}")));
        let cp_labels = [(CONTROL_PLANE, ""), ("cluster.x-k8s.io/control-plane-name", kcp_name)];
        objects.extend(legacy_machine(clock, &m, &kcp, &cp_labels, age - i as i64 * 90 * DAY, i == 2));
    }
    objects.extend(legacy_workers(clock, &cluster, age));
    objects.push(control_plane_health_check(clock, &cluster, kcp_name, &cp_machine));
    objects.into_iter().map(stored_form).collect()
}

/// The control plane's MachineHealthCheck (v1beta1 manifest), blocked: `maxUnhealthy: 33%` of 3 Machines
/// rounds down to 0, so the one control-plane Machine without an instance is found unhealthy
/// (NodeStartupTimeout) and never remediated (RemediationAllowed False, TooManyUnhealthy, with cluster-api's
/// message).
fn control_plane_health_check(clock: &Clock, cluster: &Value, kcp_name: &str, failed: &str) -> Value {
    let name = format!("{kcp_name}-unhealthy");
    let mut mhc = object(CAPI_V1BETA1, "MachineHealthCheck", Some(NAMESPACE), &name);
    labels(&mut mhc, &[(CLUSTER_NAME, "legacy-aws")]);
    owned_by(&mut mhc, cluster, false);
    mhc["spec"] = json!({
        "clusterName": "legacy-aws",
        "selector": { "matchLabels": { CLUSTER_NAME: "legacy-aws", CONTROL_PLANE: "" } },
        "maxUnhealthy": "33%",
        "nodeStartupTimeout": "10m",
        "unhealthyConditions": [
            { "type": "Ready", "status": "Unknown", "timeout": "300s" },
            { "type": "Ready", "status": "False", "timeout": "300s" },
        ],
    });
    let mut targets: Vec<String> =
        (0..3).map(|i| format!("{kcp_name}-{}", ids::suffix(&format!("{NAMESPACE}/{kcp_name}/{i}")))).collect();
    targets.sort();
    let since = FAILED_SINCE - NODE_STARTUP_TIMEOUT;
    let message = "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 3, unhealthy: 1, maxUnhealthy: 33%)";
    debug_assert!(targets.iter().any(|t| t == failed));
    mhc["status"] = json!({
        "observedGeneration": 1,
        "expectedMachines": 3,
        "currentHealthy": 2,
        "remediationsAllowed": 0,
        "targets": targets,
        "conditions": V1Beta1Conditions::new(clock, since)
            .bad("RemediationAllowed", "Warning", "TooManyUnhealthy", message)
            .build(),
        "v1beta2": { "conditions": Conditions::new(clock, since)
            .add("RemediationAllowed", "False", "TooManyUnhealthy", message)
            .no("Paused", "NotPaused")
            .build() },
    });
    mhc
}

fn legacy_workers(clock: &Clock, cluster: &Value, age: i64) -> Vec<Value> {
    let md_name = "legacy-aws-md-0";
    let ms_name = format!("{md_name}-{}", ids::suffix(&format!("{NAMESPACE}/{md_name}/ms")));
    let hash = ids::number(&ms_name, 4_000_000_000).to_string();
    let since = age - 2 * HOUR;
    let set = |kind: &str, name: &str, selector: Value| {
        let mut o = object(CAPI_V1BETA1, kind, Some(NAMESPACE), name);
        labels(&mut o, &[(CLUSTER_NAME, "legacy-aws"), ("cluster.x-k8s.io/deployment-name", md_name)]);
        o["spec"] = json!({
            "clusterName": "legacy-aws",
            "replicas": 2,
            "selector": { "matchLabels": selector },
            "template": {
                "metadata": { "labels": selector },
                "spec": {
                    "clusterName": "legacy-aws",
                    "version": "v1.30.14",
                    "bootstrap": { "configRef": reference(BOOTSTRAP_V1BETA1, "KubeadmConfigTemplate", md_name) },
                    "infrastructureRef": reference(INFRA, "AWSMachineTemplate", md_name),
                },
            },
        });
        let selector_text = selector
            .as_object()
            .map(|m| {
                m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(",")
            })
            .unwrap_or_default();
        o["status"] = json!({
            "observedGeneration": 1,
            "selector": selector_text,
            "replicas": 2, "readyReplicas": 2, "availableReplicas": 2,
            "conditions": V1Beta1Conditions::new(clock, since).ok("Ready").ok("MachinesCreated").ok("MachinesReady").build(),
            "v1beta2": {
                "conditions": Conditions::new(clock, since)
                    .yes("MachinesReady", "Ready")
                    .yes("MachinesUpToDate", "UpToDate")
                    .no("ScalingUp", "NotScalingUp")
                    .no("ScalingDown", "NotScalingDown")
                    .no("Remediating", "NotRemediating")
                    .no("Deleting", "NotDeleting")
                    .no("Paused", "NotPaused")
                    .build(),
                "readyReplicas": 2, "availableReplicas": 2, "upToDateReplicas": 2,
            },
        });
        o
    };
    let mut md = set(
        "MachineDeployment",
        md_name,
        json!({ CLUSTER_NAME: "legacy-aws", "cluster.x-k8s.io/deployment-name": md_name }),
    );
    owned_by(&mut md, cluster, false);
    md["spec"]["strategy"] =
        json!({ "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } });
    md["status"]["phase"] = json!("Running");
    md["status"]["updatedReplicas"] = json!(2);
    md["status"]["unavailableReplicas"] = json!(0);
    md["status"]["conditions"] =
        V1Beta1Conditions::new(clock, since).ok("Ready").ok("Available").ok("MachineSetReady").build();
    if let Some(c) = md["status"]["v1beta2"]["conditions"].as_array_mut() {
        c.insert(0, Conditions::new(clock, since).yes("Available", "Available").build()[0].clone());
    }
    let mut ms = set(
        "MachineSet",
        &ms_name,
        json!({ CLUSTER_NAME: "legacy-aws", "cluster.x-k8s.io/deployment-name": md_name, "machine-template-hash": hash }),
    );
    labels(&mut ms, &[("machine-template-hash", &hash)]);
    owned_by(&mut ms, &md, true);
    ms["status"]["fullyLabeledReplicas"] = json!(2);
    let mut objects = vec![md, ms.clone()];
    for i in 0..2 {
        let m = format!("{ms_name}-{}", ids::suffix(&format!("{NAMESPACE}/{ms_name}/{i}")));
        let extra = [
            ("cluster.x-k8s.io/deployment-name", md_name),
            ("cluster.x-k8s.io/set-name", ms_name.as_str()),
            ("machine-template-hash", hash.as_str()),
        ];
        objects.extend(legacy_machine(clock, &m, &ms, &extra, age - 3 * HOUR, false));
    }
    objects
}
