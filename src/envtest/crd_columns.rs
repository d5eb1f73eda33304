//! Printer columns (`additionalPrinterColumns`) of the kinds in `crds.rs`'s catalogue, one table per
//! served version, so `kubectl get` against the test and demo API servers shows what it shows on a real
//! management cluster.
//!
//! Names, types, JSONPaths and priorities follow the upstream CRDs (each project's `config/crd/bases`, made
//! from its `+kubebuilder:printcolumn` markers): cluster-api v1.14 (core, kubeadm, CAPD), CAPA v2.10, Flux
//! v2.9, tofu-controller v0.16.5 and Weave GitOps' cluster-controller. The order is the upstream order.
//! Descriptions are upstream's, with a stray leading space and a few typos fixed. Priority 0 columns show
//! in `kubectl get`, higher ones only with `-o wide`.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceColumnDefinition;

/// A printer column (`additionalPrinterColumns` entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Header shown by `kubectl get`.
    pub name: &'static str,
    /// `string`, `integer`, `number`, `boolean` or `date`.
    pub type_: &'static str,
    /// JSONPath into the object, evaluated by the API server for the Table output.
    pub json_path: &'static str,
    /// 0 shows in `kubectl get`; higher values only with `-o wide`.
    pub priority: i32,
    /// Free text; empty means none.
    pub description: &'static str,
}

impl Column {
    const fn new(name: &'static str, type_: &'static str, json_path: &'static str, description: &'static str) -> Self {
        Self { name, type_, json_path, priority: 0, description }
    }

    /// A `string` column with priority 0.
    pub const fn string(name: &'static str, json_path: &'static str, description: &'static str) -> Self {
        Self::new(name, "string", json_path, description)
    }

    /// An `integer` column with priority 0.
    pub const fn integer(name: &'static str, json_path: &'static str, description: &'static str) -> Self {
        Self::new(name, "integer", json_path, description)
    }

    /// A `boolean` column with priority 0.
    pub const fn boolean(name: &'static str, json_path: &'static str, description: &'static str) -> Self {
        Self::new(name, "boolean", json_path, description)
    }

    /// A `date` column with priority 0 (`kubectl` shows it as an age).
    pub const fn date(name: &'static str, json_path: &'static str, description: &'static str) -> Self {
        Self::new(name, "date", json_path, description)
    }

    /// The same column with another priority.
    pub const fn priority(self, priority: i32) -> Self {
        Self { priority, ..self }
    }
}

impl Column {
    /// The column as the CRD's `additionalPrinterColumns` entry.
    pub(super) fn to_definition(self) -> CustomResourceColumnDefinition {
        CustomResourceColumnDefinition {
            name: self.name.to_owned(),
            type_: self.type_.to_owned(),
            json_path: self.json_path.to_owned(),
            priority: (self.priority != 0).then_some(self.priority),
            description: (!self.description.is_empty()).then(|| self.description.to_owned()),
            format: None,
        }
    }
}

const AGE: &str = ".metadata.creationTimestamp";
const CLUSTER_NAME_LABEL: &str = r".metadata.labels['cluster\.x-k8s\.io/cluster-name']";
const CAPA_CLUSTER_NAME_LABEL: &str = r".metadata.labels.cluster\.x-k8s\.io/cluster-name";
const OWNER_MACHINE: &str = r#".metadata.ownerReferences[?(@.kind=="Machine")].name"#;
const READY_STATUS: &str = r#".status.conditions[?(@.type=="Ready")].status"#;
const READY_MESSAGE: &str = r#".status.conditions[?(@.type=="Ready")].message"#;
const AVAILABLE_STATUS: &str = r#".status.conditions[?(@.type=="Available")].status"#;

// Shared by the CAPI v1beta2 kinds.
const PAUSED: Column =
    Column::string("Paused", r#".status.conditions[?(@.type=="Paused")].status"#, "Reconciliation paused").priority(10);
const CLUSTER_FROM_SPEC: Column = Column::string("Cluster", ".spec.clusterName", "Cluster");
const CLUSTER_FROM_LABEL: Column = Column::string("Cluster", CLUSTER_NAME_LABEL, "Cluster");

// Shared by the Flux, tofu-controller and Weave GitOps kinds (no descriptions upstream).
const FLUX_AGE: Column = Column::date("Age", AGE, "");
const FLUX_READY: Column = Column::string("Ready", READY_STATUS, "");
const FLUX_STATUS: Column = Column::string("Status", READY_MESSAGE, "");
const FLUX_URL: Column = Column::string("URL", ".spec.url", "");

#[rustfmt::skip]
pub(super) const CLUSTER_V1BETA2: &[Column] = &[
    Column::string("ClusterClass", ".spec.topology.classRef.name", "ClusterClass of this Cluster, empty if the Cluster is not using a ClusterClass"),
    Column::string("Available", AVAILABLE_STATUS, "Cluster pass all availability checks"),
    Column::integer("CP Desired", ".status.controlPlane.desiredReplicas", "The desired number of control plane machines"),
    Column::integer("CP Current", ".status.controlPlane.replicas", "The number of control plane machines").priority(10),
    Column::integer("CP Ready", ".status.controlPlane.readyReplicas", "The number of control plane machines with Ready condition true").priority(10),
    Column::integer("CP Available", ".status.controlPlane.availableReplicas", "The number of control plane machines with Available condition true"),
    Column::integer("CP Up-to-date", ".status.controlPlane.upToDateReplicas", "The number of control plane machines with UpToDate condition true"),
    Column::integer("W Desired", ".status.workers.desiredReplicas", "The desired number of worker machines"),
    Column::integer("W Current", ".status.workers.replicas", "The number of worker machines").priority(10),
    Column::integer("W Ready", ".status.workers.readyReplicas", "The number of worker machines with Ready condition true").priority(10),
    Column::integer("W Available", ".status.workers.availableReplicas", "The number of worker machines with Available condition true"),
    Column::integer("W Up-to-date", ".status.workers.upToDateReplicas", "The number of worker machines with UpToDate condition true"),
    PAUSED,
    Column::string("Phase", ".status.phase", "Cluster status such as Pending/Provisioning/Provisioned/Deleting/Failed"),
    Column::date("Age", AGE, "Time duration since creation of Cluster"),
    Column::string("Version", ".spec.topology.version", "Kubernetes version associated with this Cluster"),
];

#[rustfmt::skip]
pub(super) const CLUSTER_V1BETA1: &[Column] = &[
    Column::string("ClusterClass", ".spec.topology.class", "ClusterClass of this Cluster, empty if the Cluster is not using a ClusterClass"),
    Column::string("Phase", ".status.phase", "Cluster status such as Pending/Provisioning/Provisioned/Deleting/Failed"),
    Column::date("Age", AGE, "Time duration since creation of Cluster"),
    Column::string("Version", ".spec.topology.version", "Kubernetes version associated with this Cluster"),
];

#[rustfmt::skip]
pub(super) const CLUSTER_CLASS_V1BETA2: &[Column] = &[
    PAUSED,
    Column::string("Variables Ready", r#".status.conditions[?(@.type=="VariablesReady")].status"#, "Variables ready"),
    Column::date("Age", AGE, "Time duration since creation of ClusterClass"),
];

pub(super) const CLUSTER_CLASS_V1BETA1: &[Column] =
    &[Column::date("Age", AGE, "Time duration since creation of ClusterClass")];

#[rustfmt::skip]
pub(super) const MACHINE_DEPLOYMENT_V1BETA2: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::string("Available", AVAILABLE_STATUS, "Cluster pass all availability checks"),
    Column::integer("Desired", ".spec.replicas", "The desired number of machines"),
    Column::integer("Current", ".status.replicas", "The number of machines"),
    Column::integer("Ready", ".status.readyReplicas", "The number of machines with Ready condition true"),
    Column::integer("Available", ".status.availableReplicas", "The number of machines with Available condition true"),
    Column::integer("Up-to-date", ".status.upToDateReplicas", "The number of machines with UpToDate condition true"),
    PAUSED,
    Column::string("Phase", ".status.phase", "MachineDeployment status such as ScalingUp/ScalingDown/Running/Failed/Unknown"),
    Column::date("Age", AGE, "Time duration since creation of MachineDeployment"),
    Column::string("Version", ".spec.template.spec.version", "Kubernetes version associated with this MachineDeployment"),
];

#[rustfmt::skip]
pub(super) const MACHINE_DEPLOYMENT_V1BETA1: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("Desired", ".spec.replicas", "Total number of machines desired by this MachineDeployment").priority(10),
    Column::integer("Replicas", ".status.replicas", "Total number of non-terminated machines targeted by this MachineDeployment"),
    Column::integer("Ready", ".status.readyReplicas", "Total number of ready machines targeted by this MachineDeployment"),
    Column::integer("Updated", ".status.updatedReplicas", "Total number of non-terminated machines targeted by this deployment that have the desired template spec"),
    Column::integer("Unavailable", ".status.unavailableReplicas", "Total number of unavailable machines targeted by this MachineDeployment"),
    Column::string("Phase", ".status.phase", "MachineDeployment status such as ScalingUp/ScalingDown/Running/Failed/Unknown"),
    Column::date("Age", AGE, "Time duration since creation of MachineDeployment"),
    Column::string("Version", ".spec.template.spec.version", "Kubernetes version associated with this MachineDeployment"),
];

#[rustfmt::skip]
pub(super) const MACHINE_SET_V1BETA2: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("Desired", ".spec.replicas", "The desired number of machines"),
    Column::integer("Current", ".status.replicas", "The number of machines"),
    Column::integer("Ready", ".status.readyReplicas", "The number of machines with Ready condition true"),
    Column::integer("Available", ".status.availableReplicas", "The number of machines with Available condition true"),
    Column::integer("Up-to-date", ".status.upToDateReplicas", "The number of machines with UpToDate condition true"),
    PAUSED,
    Column::date("Age", AGE, "Time duration since creation of MachineSet"),
    Column::string("Version", ".spec.template.spec.version", "Kubernetes version associated with this MachineSet"),
];

#[rustfmt::skip]
pub(super) const MACHINE_SET_V1BETA1: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("Desired", ".spec.replicas", "Total number of machines desired by this machineset").priority(10),
    Column::integer("Replicas", ".status.replicas", "Total number of non-terminated machines targeted by this machineset"),
    Column::integer("Ready", ".status.readyReplicas", "Total number of ready machines targeted by this machineset."),
    Column::integer("Available", ".status.availableReplicas", "Total number of available machines (ready for at least minReadySeconds)"),
    Column::date("Age", AGE, "Time duration since creation of MachineSet"),
    Column::string("Version", ".spec.template.spec.version", "Kubernetes version associated with this MachineSet"),
];

#[rustfmt::skip]
pub(super) const MACHINE_V1BETA2: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::string("Node Name", ".status.nodeRef.name", "Node name associated with this machine"),
    Column::string("Provider ID", ".spec.providerID", "Provider ID").priority(10),
    Column::string("Failure domain", ".status.failureDomain", "The failure domain where the Machine has been scheduled"),
    Column::string("Ready", READY_STATUS, "Machine pass all readiness checks"),
    Column::string("Available", AVAILABLE_STATUS, "Machine is Ready for at least MinReadySeconds"),
    Column::string("Up-to-date", r#".status.conditions[?(@.type=="UpToDate")].status"#, "Machine spec matches the spec of the Machine's owner resource, e.g. MachineDeployment"),
    Column::string("Internal-IP", r#".status.addresses[?(@.type=="InternalIP")].address"#, "Internal IP of the machine").priority(10),
    Column::string("External-IP", r#".status.addresses[?(@.type=="ExternalIP")].address"#, "External IP of the machine").priority(10),
    Column::string("OS-Image", ".status.nodeInfo.osImage", "OS Image reported by the node").priority(10),
    PAUSED,
    Column::string("Phase", ".status.phase", "Machine status such as Terminating/Pending/Running/Failed etc"),
    Column::date("Age", AGE, "Time duration since creation of Machine"),
    Column::string("Version", ".spec.version", "Kubernetes version associated with this Machine"),
];

#[rustfmt::skip]
pub(super) const MACHINE_V1BETA1: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::string("NodeName", ".status.nodeRef.name", "Node name associated with this machine"),
    Column::string("ProviderID", ".spec.providerID", "Provider ID"),
    Column::string("Phase", ".status.phase", "Machine status such as Terminating/Pending/Running/Failed etc"),
    Column::date("Age", AGE, "Time duration since creation of Machine"),
    Column::string("Version", ".spec.version", "Kubernetes version associated with this Machine"),
];

#[rustfmt::skip]
pub(super) const MACHINE_POOL_V1BETA2: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("Desired", ".spec.replicas", "The desired number of machines"),
    Column::integer("Current", ".status.replicas", "The number of machines"),
    Column::integer("Ready", ".status.readyReplicas", "The number of machines with Ready condition true"),
    Column::integer("Available", ".status.availableReplicas", "The number of machines with Available condition true"),
    Column::integer("Up-to-date", ".status.upToDateReplicas", "The number of machines with UpToDate condition true"),
    PAUSED,
    Column::string("Phase", ".status.phase", "MachinePool status such as Terminating/Pending/Provisioning/Running/Failed etc"),
    Column::date("Age", AGE, "Time duration since creation of MachinePool"),
    Column::string("Version", ".spec.template.spec.version", "Kubernetes version associated with this MachinePool"),
];

#[rustfmt::skip]
pub(super) const MACHINE_POOL_V1BETA1: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("Desired", ".spec.replicas", "Total number of machines desired by this MachinePool").priority(10),
    Column::string("Replicas", ".status.replicas", "MachinePool replicas count"),
    Column::string("Phase", ".status.phase", "MachinePool status such as Terminating/Pending/Provisioning/Running/Failed etc"),
    Column::date("Age", AGE, "Time duration since creation of MachinePool"),
    Column::string("Version", ".spec.template.spec.version", "Kubernetes version associated with this MachinePool"),
];

#[rustfmt::skip]
pub(super) const MACHINE_HEALTH_CHECK_V1BETA2: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("Replicas", ".status.expectedMachines", "Number of machines currently monitored"),
    Column::integer("Healthy", ".status.currentHealthy", "Current observed healthy machines"),
    PAUSED,
    Column::date("Age", AGE, "Time duration since creation of MachineHealthCheck"),
];

#[rustfmt::skip]
pub(super) const MACHINE_HEALTH_CHECK_V1BETA1: &[Column] = &[
    CLUSTER_FROM_SPEC,
    Column::integer("ExpectedMachines", ".status.expectedMachines", "Number of machines currently monitored"),
    Column::string("MaxUnhealthy", ".spec.maxUnhealthy", "Maximum number of unhealthy machines allowed"),
    Column::integer("CurrentHealthy", ".status.currentHealthy", "Current observed healthy machines"),
    Column::date("Age", AGE, "Time duration since creation of MachineHealthCheck"),
];

/// Two columns are named `Available` (the condition and the counter), as upstream.
#[rustfmt::skip]
pub(super) const KUBEADM_CONTROL_PLANE_V1BETA2: &[Column] = &[
    CLUSTER_FROM_LABEL,
    Column::string("Available", AVAILABLE_STATUS, "Cluster pass all availability checks"),
    Column::integer("Desired", ".spec.replicas", "The desired number of machines"),
    Column::integer("Current", ".status.replicas", "The number of machines"),
    Column::integer("Ready", ".status.readyReplicas", "The number of machines with Ready condition true"),
    Column::integer("Available", ".status.availableReplicas", "The number of machines with Available condition true"),
    Column::integer("Up-to-date", ".status.upToDateReplicas", "The number of machines with UpToDate condition true"),
    PAUSED,
    Column::boolean("Initialized", ".status.initialization.controlPlaneInitialized", "This denotes whether or not the control plane can accept requests"),
    Column::date("Age", AGE, "Time duration since creation of KubeadmControlPlane"),
    Column::string("Version", ".spec.version", "Kubernetes version associated with this control plane"),
];

#[rustfmt::skip]
pub(super) const KUBEADM_CONTROL_PLANE_V1BETA1: &[Column] = &[
    CLUSTER_FROM_LABEL,
    Column::boolean("Initialized", ".status.initialized", "This denotes whether or not the control plane has the uploaded kubeadm-config configmap"),
    Column::boolean("API Server Available", ".status.ready", "KubeadmControlPlane API Server is ready to receive requests"),
    Column::integer("Desired", ".spec.replicas", "Total number of machines desired by this control plane").priority(10),
    Column::integer("Replicas", ".status.replicas", "Total number of non-terminated machines targeted by this control plane"),
    Column::integer("Ready", ".status.readyReplicas", "Total number of fully running and ready control plane machines"),
    Column::integer("Updated", ".status.updatedReplicas", "Total number of non-terminated machines targeted by this control plane that have the desired template spec"),
    Column::integer("Unavailable", ".status.unavailableReplicas", "Total number of unavailable machines targeted by this control plane"),
    Column::date("Age", AGE, "Time duration since creation of KubeadmControlPlane"),
    Column::string("Version", ".spec.version", "Kubernetes version associated with this control plane"),
];

#[rustfmt::skip]
pub(super) const KUBEADM_CONFIG_V1BETA2: &[Column] = &[
    CLUSTER_FROM_LABEL,
    PAUSED,
    Column::string("Data secret created", ".status.initialization.dataSecretCreated", "Bootstrap secret is created"),
    Column::date("Age", AGE, "Time duration since creation of KubeadmConfig"),
];

pub(super) const KUBEADM_CONFIG_V1BETA1: &[Column] =
    &[CLUSTER_FROM_LABEL, Column::date("Age", AGE, "Time duration since creation of KubeadmConfig")];

/// CAPA serves the same columns in v1beta1 and v1beta2.
#[rustfmt::skip]
pub(super) const AWS_MANAGED_CONTROL_PLANE: &[Column] = &[
    Column::string("Cluster", CAPA_CLUSTER_NAME_LABEL, "Cluster to which this AWSManagedControlPlane belongs"),
    Column::string("Ready", ".status.ready", "Control plane infrastructure is ready for worker nodes"),
    Column::string("VPC", ".spec.network.vpc.id", "AWS VPC the control plane is using"),
    Column::string("Endpoint", ".spec.controlPlaneEndpoint.host", "API Endpoint").priority(1),
    Column::string("Bastion IP", ".status.bastion.publicIp", "Bastion IP address for breakglass access"),
];

#[rustfmt::skip]
pub(super) const AWS_CLUSTER_V1BETA2: &[Column] = &[
    Column::string("Cluster", CAPA_CLUSTER_NAME_LABEL, "Cluster to which this AWSCluster belongs"),
    Column::string("Ready", ".status.ready", "Cluster infrastructure is ready for EC2 instances"),
    Column::string("VPC", ".spec.network.vpc.id", "AWS VPC the cluster is using"),
    Column::string("Endpoint", ".spec.controlPlaneEndpoint", "API Endpoint").priority(1),
    Column::string("Bastion IP", ".status.bastion.publicIp", "Bastion IPv4 address for breakglass access"),
    Column::string("Bastion IPv6", ".status.bastion.ipv6Address", "Bastion IPv6 address for breakglass access"),
];

#[rustfmt::skip]
pub(super) const AWS_CLUSTER_V1BETA1: &[Column] = &[
    Column::string("Cluster", CAPA_CLUSTER_NAME_LABEL, "Cluster to which this AWSCluster belongs"),
    Column::string("Ready", ".status.ready", "Cluster infrastructure is ready for EC2 instances"),
    Column::string("VPC", ".spec.network.vpc.id", "AWS VPC the cluster is using"),
    Column::string("Endpoint", ".spec.controlPlaneEndpoint", "API Endpoint").priority(1),
    Column::string("Bastion IP", ".status.bastion.publicIp", "Bastion IP address for breakglass access"),
];

/// CAPA serves the same columns in v1beta1 and v1beta2.
#[rustfmt::skip]
pub(super) const AWS_MACHINE: &[Column] = &[
    Column::string("Cluster", CAPA_CLUSTER_NAME_LABEL, "Cluster to which this AWSMachine belongs"),
    Column::string("State", ".status.instanceState", "EC2 instance state"),
    Column::string("Ready", ".status.ready", "Machine ready status"),
    Column::string("InstanceID", ".spec.providerID", "EC2 instance ID"),
    Column::string("Machine", OWNER_MACHINE, "Machine object which owns this AWSMachine"),
];

/// CAPA AWSManagedCluster (the EKS infrastructure cluster), v1beta2 only.
#[rustfmt::skip]
pub(super) const AWS_MANAGED_CLUSTER: &[Column] = &[
    Column::string("Cluster", CAPA_CLUSTER_NAME_LABEL, "Cluster to which this AWSManagedCluster belongs"),
    Column::string("Ready", ".status.ready", "Control plane infrastructure is ready for worker nodes"),
    Column::string("Endpoint", ".spec.controlPlaneEndpoint.host", "API Endpoint"),
];

/// CAPD serves the same columns in v1beta1 and v1beta2.
pub(super) const DOCKER_CLUSTER: &[Column] =
    &[CLUSTER_FROM_LABEL, Column::date("Age", AGE, "Time duration since creation of DockerCluster")];

#[rustfmt::skip]
pub(super) const DOCKER_MACHINE_V1BETA2: &[Column] = &[
    CLUSTER_FROM_LABEL,
    Column::string("Machine", OWNER_MACHINE, "Machine object which owns this DockerMachine"),
    Column::string("ProviderID", ".spec.providerID", "Provider ID"),
    Column::string("Ready", ".status.initialization.provisioned", "Machine ready status"),
    Column::date("Age", AGE, "Time duration since creation of DockerMachine"),
];

#[rustfmt::skip]
pub(super) const DOCKER_MACHINE_V1BETA1: &[Column] = &[
    CLUSTER_FROM_LABEL,
    Column::string("Machine", OWNER_MACHINE, "Machine object which owns this DockerMachine"),
    Column::string("ProviderID", ".spec.providerID", "Provider ID"),
    Column::string("Ready", ".status.ready", "Machine ready status"),
    Column::date("Age", AGE, "Time duration since creation of DockerMachine"),
];

/// GitRepository and HelmRepository.
pub(super) const FLUX_REPOSITORY: &[Column] = &[FLUX_URL, FLUX_AGE, FLUX_READY, FLUX_STATUS];

/// OCIRepository puts Age last, as upstream.
pub(super) const OCI_REPOSITORY: &[Column] = &[FLUX_URL, FLUX_READY, FLUX_STATUS, FLUX_AGE];

pub(super) const BUCKET: &[Column] =
    &[Column::string("Endpoint", ".spec.endpoint", ""), FLUX_AGE, FLUX_READY, FLUX_STATUS];

pub(super) const HELM_CHART: &[Column] = &[
    Column::string("Chart", ".spec.chart", ""),
    Column::string("Version", ".spec.version", ""),
    Column::string("Source Kind", ".spec.sourceRef.kind", ""),
    Column::string("Source Name", ".spec.sourceRef.name", ""),
    FLUX_AGE,
    FLUX_READY,
    FLUX_STATUS,
];

/// Kustomization and HelmRelease.
pub(super) const FLUX_APPLIER: &[Column] = &[FLUX_AGE, FLUX_READY, FLUX_STATUS];

/// Terraform, both versions.
pub(super) const TERRAFORM: &[Column] = &[FLUX_READY, FLUX_STATUS, FLUX_AGE];

pub(super) const GITOPS_CLUSTER: &[Column] = &[
    FLUX_AGE,
    FLUX_READY,
    FLUX_STATUS,
    Column::string("ClusterConnectivity", r#".status.conditions[?(@.type=="ClusterConnectivity")].status"#, ""),
];

/// GitOpsTemplate and CAPITemplate define no printer columns: `kubectl` shows Name and Age.
pub(super) const NONE: &[Column] = &[];
