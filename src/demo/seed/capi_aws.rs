//! The demo fleet's EKS cluster (Cluster API Provider AWS, CAPA v2.13) and the AWS network objects both AWS
//! clusters share: `staging-eks` is a v1beta2 Cluster whose EKS control plane (AWSManagedControlPlane) is
//! still being created, with a MachinePool of managed nodes waiting for it: phase Provisioning. (`legacy-aws`,
//! the v1beta1 one, is in `capi_legacy.rs`.)
//!
//! CAPA's own kinds use its v1beta2 API, which still implements the v1beta1 contract (`status.ready`,
//! v1beta1 conditions). `staging-eks`'s infrastructure cluster is an AWSManagedCluster (see
//! [`EKS_INFRA_KIND`]); its MachinePool refers to an AWSManagedMachinePool (an EKS managed node group) that
//! waits for the control plane too.

use serde_json::{Value, json};

use super::capi_machine::{CLUSTER_NAME, INFRA};
use super::capi_status::nest;
use super::ids;
use super::meta::{Clock, Conditions, MIN, V1Beta1Conditions, labels, object, owned_by};

/// Kind of `staging-eks`'s infrastructure cluster: EKS clusters use `AWSManagedCluster` (CAPA).
pub(super) const EKS_INFRA_KIND: &str = "AWSManagedCluster";

/// Namespace of the AWS clusters.
pub(super) const NAMESPACE: &str = "team-data";

fn vpc_network(cluster: &str, region: &str) -> Value {
    let subnet = |zone: &str, public: bool, cidr: &str| {
        json!({
            "id": format!("subnet-{}", ids::hex(&format!("{cluster}/{zone}/{public}"), 17)),
            "availabilityZone": zone, "cidrBlock": cidr, "isPublic": public,
        })
    };
    json!({
        "vpc": { "id": format!("vpc-{}", ids::hex(&format!("{cluster}/vpc"), 17)), "cidrBlock": "10.0.0.0/16" },
        "subnets": [
            subnet(&format!("{region}a"), false, "10.0.0.0/19"),
            subnet(&format!("{region}b"), false, "10.0.32.0/19"),
            subnet(&format!("{region}a"), true, "10.0.128.0/20"),
            subnet(&format!("{region}b"), true, "10.0.144.0/20"),
        ],
    })
}

/// CAPA's network conditions, all True, as an AWSCluster reports them once its VPC exists.
pub(super) fn network_ready(c: V1Beta1Conditions<'_>) -> V1Beta1Conditions<'_> {
    c.ok("ClusterSecurityGroupsReady")
        .ok("InternetGatewayReady")
        .ok("NatGatewaysReady")
        .ok("RouteTablesReady")
        .ok("SubnetsReady")
        .ok("VpcReady")
}

pub(super) fn aws_cluster(
    clock: &Clock,
    cluster: &Value,
    name: &str,
    region: &str,
    age: i64,
    endpoint: Option<&str>,
) -> Value {
    let mut infra = object(INFRA, "AWSCluster", Some(NAMESPACE), name);
    labels(&mut infra, &[(CLUSTER_NAME, name)]);
    owned_by(&mut infra, cluster, true);
    infra["spec"] = json!({
        "region": region,
        "sshKeyName": "default",
        "network": vpc_network(name, region),
        "controlPlaneLoadBalancer": { "scheme": "internet-facing", "loadBalancerType": "nlb" },
        "bastion": { "enabled": false },
    });
    if let Some(host) = endpoint {
        infra["spec"]["controlPlaneEndpoint"] = json!({ "host": host, "port": 6443 });
    }
    let zones: Value = ["a", "b"]
        .iter()
        .map(|z| (format!("{region}{z}"), json!({ "controlPlane": true })))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let conditions = V1Beta1Conditions::new(clock, age - 20 * MIN).ok("Ready");
    infra["status"] = json!({
        "ready": true,
        "failureDomains": zones,
        "networkStatus": { "securityGroups": {
            "controlplane": { "id": format!("sg-{}", ids::hex(&format!("{name}/sg-cp"), 17)), "name": format!("{name}-controlplane") },
            "node": { "id": format!("sg-{}", ids::hex(&format!("{name}/sg-node"), 17)), "name": format!("{name}-node") },
        } },
        "conditions": network_ready(conditions).build(),
    });
    infra
}

/// `staging-eks`: Cluster, its AWSManagedCluster, the AWSManagedControlPlane (with the VPC) being created and a
/// MachinePool.
pub(super) fn staging_eks(clock: &Clock) -> Vec<Value> {
    let name = "staging-eks";
    let cp_name = "staging-eks-control-plane";
    let age = 18 * MIN;
    let region = "eu-west-1";
    let mut cluster = object("cluster.x-k8s.io/v1beta2", "Cluster", Some(NAMESPACE), name);
    cluster["spec"] = json!({
        "clusterNetwork": { "pods": { "cidrBlocks": ["192.168.0.0/16"] } },
        "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": EKS_INFRA_KIND, "name": name },
        "controlPlaneRef": { "apiGroup": "controlplane.cluster.x-k8s.io", "kind": "AWSManagedControlPlane", "name": cp_name },
    });
    let not_initialized = "AWSManagedControlPlane status.initialized is false";
    let probe = "Remote connection not established yet";
    let since = age - 2 * MIN;
    let conditions = Conditions::new(clock, since)
        .add(
            "Available",
            "False",
            "NotAvailable",
            &format!("{}\n{}", nest("ControlPlaneAvailable", not_initialized), nest("RemoteConnectionProbe", probe)),
        )
        .since(age - 16 * MIN)
        .yes("InfrastructureReady", "Ready")
        .since(since)
        .add("ControlPlaneInitialized", "False", "NotInitialized", "Control plane not yet initialized")
        .add("ControlPlaneAvailable", "False", "NotAvailable", not_initialized)
        .yes("WorkersAvailable", "NoWorkers")
        .yes("ControlPlaneMachinesReady", "NoReplicas")
        .yes("WorkerMachinesReady", "NoReplicas")
        .yes("ControlPlaneMachinesUpToDate", "NoReplicas")
        .yes("WorkerMachinesUpToDate", "NoReplicas")
        .add("RemoteConnectionProbe", "False", "ProbeFailed", probe)
        .no("RollingOut", "NotRollingOut")
        .no("ScalingUp", "NotScalingUp")
        .no("ScalingDown", "NotScalingDown")
        .no("Remediating", "NotRemediating")
        .no("Deleting", "NotDeleting")
        .no("Paused", "NotPaused")
        .build();
    let old = V1Beta1Conditions::new(clock, since)
        .bad("Ready", "Info", "WaitingForControlPlane", "")
        .bad("ControlPlaneInitialized", "Info", "WaitingForControlPlaneProviderInitialized", "")
        .bad("ControlPlaneReady", "Info", "WaitingForControlPlane", "")
        .since(age - 16 * MIN)
        .ok("InfrastructureReady")
        .build();
    cluster["status"] = json!({
        "observedGeneration": 1,
        "phase": "Provisioning",
        "initialization": { "infrastructureProvisioned": true, "controlPlaneInitialized": false },
        "controlPlane": {},
        "workers": {},
        "conditions": conditions,
        "deprecated": { "v1beta1": { "conditions": old } },
    });

    let mut infra = aws_cluster(clock, &cluster, name, region, age, None);
    infra["kind"] = json!(EKS_INFRA_KIND);
    // An AWSManagedCluster has no network of its own (its schema holds only `spec.controlPlaneEndpoint`, which
    // CAPA copies from the control plane once EKS gives one, and `status.ready`, `failureDomains`,
    // `conditions`): the VPC is the AWSManagedControlPlane's.
    infra["spec"] = json!({});
    let network_status = infra["status"].as_object_mut().and_then(|s| s.remove("networkStatus"));

    let mut cp = object("controlplane.cluster.x-k8s.io/v1beta2", "AWSManagedControlPlane", Some(NAMESPACE), cp_name);
    labels(&mut cp, &[(CLUSTER_NAME, name)]);
    owned_by(&mut cp, &cluster, true);
    let eks_name = format!("{NAMESPACE}_{cp_name}");
    cp["spec"] = json!({
        "eksClusterName": eks_name,
        "region": region,
        "version": "v1.32",
        "roleName": format!("{name}-eks-control-plane"),
        "sshKeyName": "default",
        "network": vpc_network(name, region),
        "endpointAccess": { "public": true, "private": true },
        "associateOIDCProvider": true,
        "addons": [
            { "name": "vpc-cni", "version": "v1.19.2-eksbuild.1", "conflictResolution": "overwrite" },
            { "name": "coredns", "version": "v1.11.4-eksbuild.2", "conflictResolution": "overwrite" },
            { "name": "kube-proxy", "version": "v1.32.0-eksbuild.2", "conflictResolution": "overwrite" },
        ],
        "logging": { "apiServer": true, "audit": true, "authenticator": true, "controllerManager": false, "scheduler": false },
    });
    let creating = format!("EKS control plane {eks_name} is being created");
    let cp_conditions = V1Beta1Conditions::new(clock, 12 * MIN)
        .bad("Ready", "Info", "EKSControlPlaneCreating", &creating)
        .ok("EKSControlPlaneCreating")
        .bad("EKSControlPlaneReady", "Info", "EKSControlPlaneCreating", &creating)
        .since(14 * MIN)
        .ok("IAMControlPlaneRolesReady");
    cp["status"] = json!({
        "ready": false,
        "initialized": false,
        "externalManagedControlPlane": true,
        "observedGeneration": 1,
        "networkStatus": network_status,
        "conditions": network_ready(cp_conditions).build(),
    });

    let pool = "staging-eks-pool-0";
    let mut mp = object("cluster.x-k8s.io/v1beta2", "MachinePool", Some(NAMESPACE), pool);
    labels(&mut mp, &[(CLUSTER_NAME, name)]);
    owned_by(&mut mp, &cluster, false);
    mp["spec"] = json!({
        "clusterName": name,
        "replicas": 3,
        "template": { "spec": {
            "clusterName": name,
            "version": "v1.32.0",
            "bootstrap": { "dataSecretName": "" },
            "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSManagedMachinePool", "name": pool },
        } },
    });
    let mp_conditions = Conditions::new(clock, 10 * MIN)
        .add("Available", "False", "NotAvailable", "Infrastructure not ready")
        .yes("BootstrapConfigReady", "DataSecretProvided")
        .add("InfrastructureReady", "False", "WaitingForEKSControlPlane", "")
        .no("ScalingUp", "NotScalingUp")
        .no("ScalingDown", "NotScalingDown")
        .no("Deleting", "NotDeleting")
        .no("Paused", "NotPaused")
        .build();
    mp["status"] = json!({
        "observedGeneration": 1,
        "phase": "Provisioning",
        "initialization": { "bootstrapDataSecretCreated": true, "infrastructureProvisioned": false },
        "replicas": 0, "readyReplicas": 0, "availableReplicas": 0, "upToDateReplicas": 0,
        "conditions": mp_conditions,
        "deprecated": { "v1beta1": { "conditions": V1Beta1Conditions::new(clock, 10 * MIN)
            .bad("Ready", "Info", "WaitingForEKSControlPlane", "")
            .ok("BootstrapReady")
            .bad("InfrastructureReady", "Info", "WaitingForEKSControlPlane", "")
            .build() } },
    });
    let mut pool_infra = object(INFRA, "AWSManagedMachinePool", Some(NAMESPACE), pool);
    labels(&mut pool_infra, &[(CLUSTER_NAME, name)]);
    owned_by(&mut pool_infra, &mp, false);
    pool_infra["spec"] = json!({
        "eksNodegroupName": format!("{NAMESPACE}_{pool}"),
        "scaling": { "minSize": 3, "maxSize": 6 },
        "instanceType": "m6i.large",
        "amiType": "AL2023_x86_64_STANDARD",
        "capacityType": "onDemand",
    });
    pool_infra["status"] = json!({
        "ready": false,
        "replicas": 0,
        "conditions": V1Beta1Conditions::new(clock, 10 * MIN)
            .bad("Ready", "Info", "WaitingForEKSControlPlane", "")
            .bad("EKSNodegroupReady", "Info", "WaitingForEKSControlPlane", "")
            .build(),
    });
    vec![cluster, infra, cp, mp, pool_infra]
}
