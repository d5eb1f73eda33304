//! Weave GitOps Enterprise objects in the management cluster: the cluster templates people create clusters
//! from (a GitOpsTemplate for EKS, a CAPITemplate for CAPD development clusters), and the GitopsClusters that
//! register the CAPI clusters created from them.
//!
//! Templates use `renderType: envsubst` with `${VAR}` and `${VAR:=default}` placeholders (clusterctl's
//! processor); their manifests are upstream-shaped (the EKS one uses AWSManagedCluster, which the rendered
//! clusters would get). Profiles come from the `weave.works/profiles` HelmRepository `weaveworks-charts`.

use serde_json::{Value, json};

use super::capi_fleet::{PLATFORM, TEAM_DATA};
use super::meta::{Clock, Conditions, DAY, MIN, annotations, labels, object};

/// Namespace the templates live in (Weave GitOps' default).
const TEMPLATES_NAMESPACE: &str = "default";
const TEMPLATE_NAME: &str = "templates.weave.works/template-name";
const TEMPLATE_NAMESPACE: &str = "templates.weave.works/template-namespace";

fn param(name: &str, description: &str, default: Option<&str>, options: &[&str]) -> Value {
    let mut p = json!({ "name": name, "description": description, "required": default.is_none() });
    if let Some(d) = default {
        p["default"] = json!(d);
    }
    if !options.is_empty() {
        p["options"] = json!(options);
    }
    p
}

/// The GitopsCluster manifest a template renders next to the Cluster.
fn gitops_cluster_manifest(template: &str) -> Value {
    json!({
        "apiVersion": "gitops.weave.works/v1alpha1",
        "kind": "GitopsCluster",
        "metadata": {
            "name": "${CLUSTER_NAME}",
            "namespace": "${NAMESPACE}",
            "labels": { "weave.works/capi": "bootstrap", TEMPLATE_NAME: template, TEMPLATE_NAMESPACE: TEMPLATES_NAMESPACE },
        },
        "spec": { "capiClusterRef": { "name": "${CLUSTER_NAME}" } },
    })
}

fn charts() -> Value {
    json!({
        "helmRepositoryTemplate": { "path": "clusters/${NAMESPACE}/${CLUSTER_NAME}/profiles.yaml" },
        "items": [
            { "chart": "cert-manager", "version": "1.16.1", "targetNamespace": "cert-manager", "layer": "layer-0",
              "required": true, "values": { "content": "crds:\n  enabled: true\n" } },
            { "chart": "podinfo", "version": "6.8.0", "targetNamespace": "podinfo", "layer": "layer-1",
              "editable": true, "values": { "content": "replicaCount: 2\n" } },
        ],
    })
}

/// GitOpsTemplate `default/aws-eks-cluster`.
fn eks_template() -> Value {
    let mut t =
        object("templates.weave.works/v1alpha2", "GitOpsTemplate", Some(TEMPLATES_NAMESPACE), "aws-eks-cluster");
    labels(&mut t, &[("weave.works/template-type", "cluster")]);
    annotations(
        &mut t,
        &[("templates.weave.works/profiles-enabled", "true"), ("templates.weave.works/kustomizations-enabled", "true")],
    );
    let cluster = json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2",
        "kind": "Cluster",
        "metadata": { "name": "${CLUSTER_NAME}", "namespace": "${NAMESPACE}" },
        "spec": {
            "clusterNetwork": { "pods": { "cidrBlocks": ["192.168.0.0/16"] } },
            "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSManagedCluster", "name": "${CLUSTER_NAME}" },
            "controlPlaneRef": { "apiGroup": "controlplane.cluster.x-k8s.io", "kind": "AWSManagedControlPlane", "name": "${CLUSTER_NAME}-control-plane" },
        },
    });
    let managed_cluster = json!({
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
        "kind": "AWSManagedCluster",
        "metadata": { "name": "${CLUSTER_NAME}", "namespace": "${NAMESPACE}" },
        "spec": {},
    });
    let control_plane = json!({
        "apiVersion": "controlplane.cluster.x-k8s.io/v1beta2",
        "kind": "AWSManagedControlPlane",
        "metadata": { "name": "${CLUSTER_NAME}-control-plane", "namespace": "${NAMESPACE}" },
        "spec": {
            "region": "${AWS_REGION}",
            "sshKeyName": "${AWS_SSH_KEY_NAME:=default}",
            "version": "${KUBERNETES_VERSION}",
            "associateOIDCProvider": true,
            "addons": [{ "name": "vpc-cni", "version": "v1.19.2-eksbuild.1", "conflictResolution": "overwrite" }],
        },
    });
    let pool = json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2",
        "kind": "MachinePool",
        "metadata": { "name": "${CLUSTER_NAME}-pool-0", "namespace": "${NAMESPACE}" },
        "spec": {
            "clusterName": "${CLUSTER_NAME}",
            "replicas": "${NODE_COUNT}",
            "template": { "spec": {
                "clusterName": "${CLUSTER_NAME}",
                "bootstrap": { "dataSecretName": "" },
                "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSManagedMachinePool", "name": "${CLUSTER_NAME}-pool-0" },
            } },
        },
    });
    let managed_pool = json!({
        "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2",
        "kind": "AWSManagedMachinePool",
        "metadata": { "name": "${CLUSTER_NAME}-pool-0", "namespace": "${NAMESPACE}" },
        "spec": { "instanceType": "${INSTANCE_TYPE:=m5.large}", "scaling": { "minSize": 1, "maxSize": 10 } },
    });
    t["spec"] = json!({
        "description": "An Amazon EKS cluster with a managed node group, provisioned by Cluster API Provider AWS",
        "renderType": "envsubst",
        "params": [
            param("CLUSTER_NAME", "Name of the cluster (lowercase letters, digits and '-')", None, &[]),
            param("NAMESPACE", "Namespace of the cluster in the management cluster", Some(TEAM_DATA), &[]),
            param("AWS_REGION", "AWS region to create the cluster in", None, &["eu-west-1", "eu-central-1", "us-east-1", "us-west-2"]),
            param("KUBERNETES_VERSION", "EKS Kubernetes version", Some("v1.32"), &["v1.31", "v1.32", "v1.33"]),
            param("NODE_COUNT", "Number of worker nodes", Some("3"), &[]),
            param("INSTANCE_TYPE", "EC2 instance type of the nodes", Some("m5.large"), &["m5.large", "m5.xlarge", "m6i.large"]),
        ],
        "resourcetemplates": [
            {
                "path": "clusters/management/clusters/${NAMESPACE}/${CLUSTER_NAME}.yaml",
                "content": [cluster, managed_cluster, control_plane, pool, managed_pool],
            },
            {
                "path": "clusters/management/clusters/${NAMESPACE}/${CLUSTER_NAME}-gitopscluster.yaml",
                "content": [gitops_cluster_manifest("aws-eks-cluster")],
            },
        ],
        "charts": charts(),
    });
    t
}

/// CAPITemplate `default/capd-dev`.
fn capd_template() -> Value {
    let mut t = object("capi.weave.works/v1alpha2", "CAPITemplate", Some(TEMPLATES_NAMESPACE), "capd-dev");
    labels(&mut t, &[("weave.works/template-type", "cluster")]);
    annotations(&mut t, &[("templates.weave.works/profiles-enabled", "true")]);
    let meta = |name: &str| json!({ "name": name, "namespace": "${NAMESPACE}" });
    let content = json!([
        {
            "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
            "metadata": { "name": "${CLUSTER_NAME}", "namespace": "${NAMESPACE}", "labels": { "cni": "calico" } },
            "spec": {
                "clusterNetwork": { "pods": { "cidrBlocks": ["192.168.0.0/16"] }, "services": { "cidrBlocks": ["10.128.0.0/12"] } },
                "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerCluster", "name": "${CLUSTER_NAME}" },
                "controlPlaneRef": { "apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": "${CLUSTER_NAME}-control-plane" },
            },
        },
        { "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerCluster", "metadata": meta("${CLUSTER_NAME}"), "spec": {} },
        {
            "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerMachineTemplate",
            "metadata": meta("${CLUSTER_NAME}-control-plane"),
            "spec": { "template": { "spec": { "extraMounts": [{ "containerPath": "/var/run/docker.sock", "hostPath": "/var/run/docker.sock" }] } } },
        },
        {
            "apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
            "metadata": meta("${CLUSTER_NAME}-control-plane"),
            "spec": {
                "replicas": "${CONTROL_PLANE_MACHINE_COUNT:=1}",
                "version": "${KUBERNETES_VERSION}",
                "machineTemplate": { "spec": { "infrastructureRef": {
                    "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": "${CLUSTER_NAME}-control-plane",
                } } },
                "kubeadmConfigSpec": { "clusterConfiguration": { "apiServer": { "certSANs": ["localhost", "127.0.0.1"] } } },
            },
        },
        {
            "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerMachineTemplate",
            // As the CAPD templates write it: upstream's CRD wants at least one property in `spec.template.spec`.
            "metadata": meta("${CLUSTER_NAME}-md-0"), "spec": { "template": { "spec": { "joinConfiguration": { "nodeRegistration": {
                "kubeletExtraArgs": [{ "name": "eviction-hard", "value": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%" }],
            } } } } },
        },
        {
            "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta2", "kind": "KubeadmConfigTemplate",
            // As the CAPD templates write it: upstream's CRD wants at least one property in `spec.template.spec`.
            "metadata": meta("${CLUSTER_NAME}-md-0"), "spec": { "template": { "spec": { "joinConfiguration": { "nodeRegistration": {
                "kubeletExtraArgs": [{ "name": "eviction-hard", "value": "nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%" }],
            } } } } },
        },
        {
            "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
            "metadata": meta("${CLUSTER_NAME}-md-0"),
            "spec": {
                "clusterName": "${CLUSTER_NAME}",
                "replicas": "${WORKER_MACHINE_COUNT:=2}",
                // Required by upstream's CRD. On a real management cluster the defaulting webhook would fill
                // it in; none runs in the harness, so the template writes what that webhook writes.
                "selector": { "matchLabels": {
                    "cluster.x-k8s.io/cluster-name": "${CLUSTER_NAME}",
                    "cluster.x-k8s.io/deployment-name": "${CLUSTER_NAME}-md-0",
                } },
                "template": { "metadata": { "labels": {
                    "cluster.x-k8s.io/cluster-name": "${CLUSTER_NAME}",
                    "cluster.x-k8s.io/deployment-name": "${CLUSTER_NAME}-md-0",
                } }, "spec": {
                    "clusterName": "${CLUSTER_NAME}",
                    "version": "${KUBERNETES_VERSION}",
                    "bootstrap": { "configRef": { "apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfigTemplate", "name": "${CLUSTER_NAME}-md-0" } },
                    "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": "${CLUSTER_NAME}-md-0" },
                } },
            },
        },
        gitops_cluster_manifest("capd-dev"),
    ]);
    t["spec"] = json!({
        "description": "A CAPD (Docker) development cluster with a kubeadm control plane",
        "renderType": "envsubst",
        "params": [
            param("CLUSTER_NAME", "Name of the cluster", None, &[]),
            param("NAMESPACE", "Namespace of the cluster in the management cluster", Some(PLATFORM), &[]),
            param("KUBERNETES_VERSION", "Kubernetes version", Some("v1.33.4"), &["v1.32.8", "v1.33.4"]),
            param("CONTROL_PLANE_MACHINE_COUNT", "Number of control plane machines", Some("1"), &["1", "3"]),
            param("WORKER_MACHINE_COUNT", "Number of worker machines", Some("2"), &[]),
        ],
        "resourcetemplates": [{ "content": content }],
        "charts": charts(),
    });
    t
}

/// A GitopsCluster registering CAPI Cluster `name` created from `template`; `ready` when its control plane is.
fn gitops_cluster(clock: &Clock, ns: &str, name: &str, template: &str, ready: bool) -> Value {
    let mut gc = object("gitops.weave.works/v1alpha1", "GitopsCluster", Some(ns), name);
    labels(
        &mut gc,
        &[("weave.works/capi", "bootstrap"), (TEMPLATE_NAME, template), (TEMPLATE_NAMESPACE, TEMPLATES_NAMESPACE)],
    );
    gc["spec"] = json!({ "capiClusterRef": { "name": name } });
    let conditions = if ready {
        Conditions::new(clock, 40 * DAY)
            .add("Ready", "True", "ControlPlaneReadyStatus", "")
            .add("ClusterProvisioned", "True", "ClusterProvisioned", "CAPI Cluster has been provisioned")
            .since(3 * MIN)
            .add("ClusterConnectivity", "True", "ClusterConnectionSucceeded", "cluster connectivity is ok")
    } else {
        Conditions::new(clock, 15 * MIN).add(
            "Ready",
            "False",
            "WaitingForControlPlaneReadyStatus",
            "Waiting for ControlPlaneReady status",
        )
    };
    gc["status"] = json!({ "observedGeneration": 1, "conditions": conditions.build() });
    gc
}

/// Labels Weave GitOps puts on what it rendered from a template, for the seeded Clusters that came from one.
pub(super) fn mark_rendered(objects: &mut [Value]) {
    for o in objects.iter_mut().filter(|o| o["kind"] == "Cluster") {
        let template = match o["metadata"]["name"].as_str() {
            Some("dev-eu" | "prod-us") => "capd-dev",
            Some("staging-eks") => "aws-eks-cluster",
            _ => continue,
        };
        labels(o, &[(TEMPLATE_NAME, template), (TEMPLATE_NAMESPACE, TEMPLATES_NAMESPACE)]);
    }
}

/// The Weave GitOps objects of the management cluster, in creation order.
pub(super) fn wge(clock: &Clock) -> Vec<Value> {
    vec![
        eks_template(),
        capd_template(),
        gitops_cluster(clock, PLATFORM, "dev-eu", "capd-dev", true),
        gitops_cluster(clock, PLATFORM, "prod-us", "capd-dev", true),
        gitops_cluster(clock, TEAM_DATA, "staging-eks", "aws-eks-cluster", false),
    ]
}
