//! fleetdeck's own CustomResourceDefinitions for the kinds it reads and writes: Cluster API core, its
//! kubeadm and AWS/Docker providers, Flux, tofu-controller and Weave GitOps. The envtest API servers get
//! these so tests and the demo fleet can create the same objects a real management cluster holds, and then
//! play the controllers by writing `status` through the status subresource. Where the upstream CRD is
//! cached ([`super::upstream_crds`]) it replaces the one of the same name; these remain for the kinds the Go
//! module proxy does not serve (tofu-controller, Weave GitOps, CAPD), on a machine without Go, with
//! `FLEETDECK_UPSTREAM_CRDS=0`, and for tests of what only an open schema stores.
//!
//! The CRDs are data written here, not copies of the upstream files. Each one is
//! `apiextensions.k8s.io/v1`, with the upstream names (kind, plural, short names, categories), the upstream
//! versions with their served / storage / deprecated flags, the upstream printer columns
//! (tables in `crd_columns.rs`), a status subresource on every version and the scale subresource where
//! upstream has one. The schema is open: `apiVersion`, `kind`, `metadata`, and `spec` / `status` as
//! objects with `x-kubernetes-preserve-unknown-fields: true`, so any field the upstream API has (and any it
//! does not) is stored as written.
//!
//! There is no conversion webhook: the conversion strategy is `None`, so the API server only rewrites
//! `apiVersion` between versions. A v1beta1 read of an object stored as v1beta2 shows the v1beta2 fields
//! (e.g. `status.initialization.provisioned` rather than `status.ready`); tests that need a v1beta1-shaped
//! object must write it in that shape.
//!
//! [`super::install_crds`] creates [`all`] of them on a server and waits until they are Established.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceConversion, CustomResourceDefinition, CustomResourceDefinitionNames, CustomResourceDefinitionSpec,
    CustomResourceDefinitionVersion, CustomResourceSubresourceScale, CustomResourceSubresourceStatus,
    CustomResourceSubresources, CustomResourceValidation, JSONSchemaProps,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::crd_columns::{self as cols, Column};

/// One kind of the catalogue: the facts its CRD is generated from.
///
/// Names follow the upstream CRD: `plural` is the resource name, the CRD is named `<plural>.<group>`,
/// `singular` is the lowercased kind and `listKind` is `<Kind>List`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrdSpec {
    /// API group, e.g. `cluster.x-k8s.io`.
    pub group: &'static str,
    /// Kind in upstream spelling, e.g. `MachineDeployment`.
    pub kind: &'static str,
    /// Resource name, e.g. `machinedeployments`.
    pub plural: &'static str,
    /// `kubectl` short names, e.g. `md`.
    pub short_names: &'static [&'static str],
    /// `kubectl get <category>` groups, e.g. `cluster-api`, `fluxcd`, `all`.
    pub categories: &'static [&'static str],
    /// Scope `Namespaced` (every kind here) or `Cluster`.
    pub namespaced: bool,
    /// Versions, storage version first; exactly one has `storage: true`.
    pub versions: &'static [VersionSpec],
    /// Labels on the CRD object: the Cluster API contract labels and clusterctl's provider label.
    pub labels: &'static [(&'static str, &'static str)],
    /// Scale subresource, the same on every version.
    pub scale: Option<Scale>,
}

/// One version of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VersionSpec {
    /// e.g. `v1beta2`.
    pub name: &'static str,
    /// Served over the API. Upstream keeps some old versions listed but unserved (CAPA's v1beta1).
    pub served: bool,
    /// The version objects are stored in etcd as.
    pub storage: bool,
    /// The API server adds a deprecation warning to every response for this version.
    pub deprecated: bool,
    /// Custom warning text; `None` gives the API server's default (`<group>/<version> <Kind> is deprecated`).
    pub deprecation_warning: Option<&'static str>,
    /// `additionalPrinterColumns`, in upstream order.
    pub columns: &'static [Column],
}

/// The scale subresource (`/scale`), used by `kubectl scale` and autoscalers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Desired replicas, e.g. `.spec.replicas`.
    pub spec_replicas_path: &'static str,
    /// Observed replicas, e.g. `.status.replicas`.
    pub status_replicas_path: &'static str,
    /// Serialized label selector in status, if the kind publishes one.
    pub label_selector_path: Option<&'static str>,
}

impl VersionSpec {
    /// A served version that is the storage version.
    pub const fn storage(name: &'static str, columns: &'static [Column]) -> Self {
        Self { name, served: true, storage: true, deprecated: false, deprecation_warning: None, columns }
    }

    /// A served version that is not the storage version.
    pub const fn served(name: &'static str, columns: &'static [Column]) -> Self {
        Self { storage: false, ..Self::storage(name, columns) }
    }

    /// A version upstream still lists but no longer serves.
    pub const fn unserved(name: &'static str, columns: &'static [Column]) -> Self {
        Self { served: false, ..Self::served(name, columns) }
    }

    /// Marks the version deprecated, with the API server's default warning.
    pub const fn deprecated(self) -> Self {
        Self { deprecated: true, ..self }
    }

    /// Marks the version deprecated, with a custom warning.
    pub const fn deprecated_with(self, warning: &'static str) -> Self {
        Self { deprecated: true, deprecation_warning: Some(warning), ..self }
    }
}

const CAPI: &str = "cluster.x-k8s.io";
const CAPI_CONTROL_PLANE: &str = "controlplane.cluster.x-k8s.io";
const CAPI_BOOTSTRAP: &str = "bootstrap.cluster.x-k8s.io";
const CAPI_INFRASTRUCTURE: &str = "infrastructure.cluster.x-k8s.io";
const FLUX_SOURCE: &str = "source.toolkit.fluxcd.io";

const CLUSTER_API: &[&str] = &["cluster-api"];
const XP_APIEXTENSIONS: &str = "apiextensions.crossplane.io";
const XP_PKG: &str = "pkg.crossplane.io";
const XP: &[&str] = &["crossplane"];
const XP_PACKAGE: &[&str] = &["crossplane", "pkg"];
const XP_REVISION: &[&str] = &["crossplane", "pkgrev"];
const FLUX_SOURCES: &[&str] = &["all", "fluxcd", "fluxcd-sources"];
const FLUX_APPLIERS: &[&str] = &["all", "fluxcd", "fluxcd-appliers"];

/// Scale of MachineDeployment, MachineSet and KubeadmControlPlane.
const REPLICAS_AND_SELECTOR: Scale = Scale {
    spec_replicas_path: ".spec.replicas",
    status_replicas_path: ".status.replicas",
    label_selector_path: Some(".status.selector"),
};
/// MachinePool publishes no `status.selector`, so its scale has no label selector path (as upstream).
const REPLICAS_ONLY: Scale = Scale { label_selector_path: None, ..REPLICAS_AND_SELECTOR };

// Labels. `cluster.x-k8s.io/<contract>: <versions joined by _>` is the Cluster API contract label on
// provider CRDs (cluster-api docs, "provider contracts"; the kustomizations under config/crd of each
// provider); Cluster API resolves a v1beta2 `{apiGroup, kind, name}` reference through it, taking the last
// (highest) version. `cluster.x-k8s.io/provider` is what `clusterctl init` puts on every provider component.
const PROVIDER: &str = "cluster.x-k8s.io/provider";
const CONTRACT_V1BETA1: &str = "cluster.x-k8s.io/v1beta1";
const CONTRACT_V1BETA2: &str = "cluster.x-k8s.io/v1beta2";
const CORE_LABELS: &[(&str, &str)] = &[(PROVIDER, "cluster-api")];
const KUBEADM_CONTROL_PLANE_LABELS: &[(&str, &str)] =
    &[(PROVIDER, "control-plane-kubeadm"), (CONTRACT_V1BETA1, "v1beta1"), (CONTRACT_V1BETA2, "v1beta2")];
const KUBEADM_BOOTSTRAP_LABELS: &[(&str, &str)] =
    &[(PROVIDER, "bootstrap-kubeadm"), (CONTRACT_V1BETA1, "v1beta1"), (CONTRACT_V1BETA2, "v1beta2")];
const DOCKER_LABELS: &[(&str, &str)] =
    &[(PROVIDER, "infrastructure-docker"), (CONTRACT_V1BETA1, "v1beta1"), (CONTRACT_V1BETA2, "v1beta2")];
/// CAPA's own v1beta2 still implements the v1beta1 contract, and CAPA has no v1beta2-contract label.
const AWS_LABELS: &[(&str, &str)] = &[(PROVIDER, "infrastructure-aws"), (CONTRACT_V1BETA1, "v1beta1_v1beta2")];
/// AWSManagedCluster was born in CAPA's v1beta2: its contract label names that version only.
const AWS_MANAGED_CLUSTER_LABELS: &[(&str, &str)] = &[(PROVIDER, "infrastructure-aws"), (CONTRACT_V1BETA1, "v1beta2")];

/// Every kind fleetdeck's tests and demo create, with the facts of the upstream CRDs:
/// cluster-api v1.14 (core, kubeadm control plane and bootstrap, CAPD), CAPA v2.10, Flux v2.9
/// (source-, kustomize- and helm-controller), tofu-controller v0.16.5 and Weave GitOps Enterprise's
/// templates- and cluster-controller (each project's `config/crd/bases`).
///
/// Cluster API kinds store v1beta2 and still serve v1beta1 (deprecated). CAPA stores v1beta2 and lists
/// v1beta1 unserved. CAPD's DockerCluster and DockerMachine are deprecated in both versions (replaced by
/// DevCluster / DevMachine upstream). Flux serves only its GA versions; tofu-controller and the Weave
/// templates still serve their v1alpha1.
#[rustfmt::skip]
pub const CATALOGUE: &[CrdSpec] = &[
    // cluster.x-k8s.io
    CrdSpec {
        group: CAPI, kind: "Cluster", plural: "clusters", short_names: &["cl"], categories: CLUSTER_API,
        namespaced: true, labels: CORE_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::CLUSTER_V1BETA2),
            VersionSpec::served("v1beta1", cols::CLUSTER_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI, kind: "ClusterClass", plural: "clusterclasses", short_names: &["cc"], categories: CLUSTER_API,
        namespaced: true, labels: CORE_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::CLUSTER_CLASS_V1BETA2),
            VersionSpec::served("v1beta1", cols::CLUSTER_CLASS_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI, kind: "MachineDeployment", plural: "machinedeployments", short_names: &["md"],
        categories: CLUSTER_API, namespaced: true, labels: CORE_LABELS, scale: Some(REPLICAS_AND_SELECTOR),
        versions: &[
            VersionSpec::storage("v1beta2", cols::MACHINE_DEPLOYMENT_V1BETA2),
            VersionSpec::served("v1beta1", cols::MACHINE_DEPLOYMENT_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI, kind: "MachineSet", plural: "machinesets", short_names: &["ms"], categories: CLUSTER_API,
        namespaced: true, labels: CORE_LABELS, scale: Some(REPLICAS_AND_SELECTOR),
        versions: &[
            VersionSpec::storage("v1beta2", cols::MACHINE_SET_V1BETA2),
            VersionSpec::served("v1beta1", cols::MACHINE_SET_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI, kind: "Machine", plural: "machines", short_names: &["ma"], categories: CLUSTER_API,
        namespaced: true, labels: CORE_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::MACHINE_V1BETA2),
            VersionSpec::served("v1beta1", cols::MACHINE_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI, kind: "MachinePool", plural: "machinepools", short_names: &["mp"], categories: CLUSTER_API,
        namespaced: true, labels: CORE_LABELS, scale: Some(REPLICAS_ONLY),
        versions: &[
            VersionSpec::storage("v1beta2", cols::MACHINE_POOL_V1BETA2),
            VersionSpec::served("v1beta1", cols::MACHINE_POOL_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI, kind: "MachineHealthCheck", plural: "machinehealthchecks", short_names: &["mhc", "mhcs"],
        categories: CLUSTER_API, namespaced: true, labels: CORE_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::MACHINE_HEALTH_CHECK_V1BETA2),
            VersionSpec::served("v1beta1", cols::MACHINE_HEALTH_CHECK_V1BETA1).deprecated(),
        ],
    },
    // controlplane.cluster.x-k8s.io
    CrdSpec {
        group: CAPI_CONTROL_PLANE, kind: "KubeadmControlPlane", plural: "kubeadmcontrolplanes", short_names: &["kcp"],
        categories: CLUSTER_API, namespaced: true, labels: KUBEADM_CONTROL_PLANE_LABELS,
        scale: Some(REPLICAS_AND_SELECTOR),
        versions: &[
            VersionSpec::storage("v1beta2", cols::KUBEADM_CONTROL_PLANE_V1BETA2),
            VersionSpec::served("v1beta1", cols::KUBEADM_CONTROL_PLANE_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI_CONTROL_PLANE, kind: "AWSManagedControlPlane", plural: "awsmanagedcontrolplanes",
        short_names: &["awsmcp"], categories: CLUSTER_API, namespaced: true, labels: AWS_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::AWS_MANAGED_CONTROL_PLANE),
            VersionSpec::unserved("v1beta1", cols::AWS_MANAGED_CONTROL_PLANE),
        ],
    },
    // bootstrap.cluster.x-k8s.io
    CrdSpec {
        group: CAPI_BOOTSTRAP, kind: "KubeadmConfig", plural: "kubeadmconfigs", short_names: &[],
        categories: CLUSTER_API, namespaced: true, labels: KUBEADM_BOOTSTRAP_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::KUBEADM_CONFIG_V1BETA2),
            VersionSpec::served("v1beta1", cols::KUBEADM_CONFIG_V1BETA1).deprecated(),
        ],
    },
    // The template kinds below are what cluster templates render (the wizards dry-run them); their printer
    // columns are not modelled.
    CrdSpec {
        group: CAPI_BOOTSTRAP, kind: "KubeadmConfigTemplate", plural: "kubeadmconfigtemplates", short_names: &[],
        categories: CLUSTER_API, namespaced: true, labels: KUBEADM_BOOTSTRAP_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::NONE),
            VersionSpec::served("v1beta1", cols::NONE).deprecated(),
        ],
    },
    // infrastructure.cluster.x-k8s.io
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "AWSCluster", plural: "awsclusters", short_names: &["awsc"],
        categories: CLUSTER_API, namespaced: true, labels: AWS_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::AWS_CLUSTER_V1BETA2),
            VersionSpec::unserved("v1beta1", cols::AWS_CLUSTER_V1BETA1),
        ],
    },
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "AWSManagedCluster", plural: "awsmanagedclusters", short_names: &["awsmc"],
        categories: CLUSTER_API, namespaced: true, labels: AWS_MANAGED_CLUSTER_LABELS, scale: None,
        versions: &[VersionSpec::storage("v1beta2", cols::AWS_MANAGED_CLUSTER)],
    },
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "AWSMachine", plural: "awsmachines", short_names: &["awsm"],
        categories: CLUSTER_API, namespaced: true, labels: AWS_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::AWS_MACHINE),
            VersionSpec::unserved("v1beta1", cols::AWS_MACHINE),
        ],
    },
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "DockerCluster", plural: "dockerclusters", short_names: &[],
        categories: CLUSTER_API, namespaced: true, labels: DOCKER_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::DOCKER_CLUSTER).deprecated(),
            VersionSpec::served("v1beta1", cols::DOCKER_CLUSTER).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "DockerMachine", plural: "dockermachines", short_names: &[],
        categories: CLUSTER_API, namespaced: true, labels: DOCKER_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::DOCKER_MACHINE_V1BETA2).deprecated(),
            VersionSpec::served("v1beta1", cols::DOCKER_MACHINE_V1BETA1).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "DockerMachineTemplate", plural: "dockermachinetemplates", short_names: &[],
        categories: CLUSTER_API, namespaced: true, labels: DOCKER_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::NONE).deprecated(),
            VersionSpec::served("v1beta1", cols::NONE).deprecated(),
        ],
    },
    CrdSpec {
        group: CAPI_INFRASTRUCTURE, kind: "AWSManagedMachinePool", plural: "awsmanagedmachinepools",
        short_names: &["awsmmp"], categories: CLUSTER_API, namespaced: true, labels: AWS_LABELS, scale: None,
        versions: &[
            VersionSpec::storage("v1beta2", cols::NONE),
            VersionSpec::unserved("v1beta1", cols::NONE),
        ],
    },
    // Flux
    CrdSpec {
        group: FLUX_SOURCE, kind: "GitRepository", plural: "gitrepositories", short_names: &["gitrepo"],
        categories: FLUX_SOURCES, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::FLUX_REPOSITORY)],
    },
    CrdSpec {
        group: FLUX_SOURCE, kind: "OCIRepository", plural: "ocirepositories", short_names: &["ocirepo"],
        categories: FLUX_SOURCES, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::OCI_REPOSITORY)],
    },
    CrdSpec {
        group: FLUX_SOURCE, kind: "HelmRepository", plural: "helmrepositories", short_names: &["helmrepo"],
        categories: FLUX_SOURCES, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::FLUX_REPOSITORY)],
    },
    CrdSpec {
        group: FLUX_SOURCE, kind: "HelmChart", plural: "helmcharts", short_names: &["hc"],
        categories: FLUX_SOURCES, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::HELM_CHART)],
    },
    CrdSpec {
        group: FLUX_SOURCE, kind: "Bucket", plural: "buckets", short_names: &[],
        categories: FLUX_SOURCES, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::BUCKET)],
    },
    CrdSpec {
        group: "kustomize.toolkit.fluxcd.io", kind: "Kustomization", plural: "kustomizations", short_names: &["ks"],
        categories: FLUX_APPLIERS, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::FLUX_APPLIER)],
    },
    CrdSpec {
        group: "helm.toolkit.fluxcd.io", kind: "HelmRelease", plural: "helmreleases", short_names: &["hr"],
        categories: FLUX_APPLIERS, namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v2", cols::FLUX_APPLIER)],
    },
    // tofu-controller
    CrdSpec {
        group: "infra.contrib.fluxcd.io", kind: "Terraform", plural: "terraforms", short_names: &["tf"],
        categories: &[], namespaced: true, labels: &[], scale: None,
        versions: &[
            VersionSpec::storage("v1alpha2", cols::TERRAFORM),
            VersionSpec::served("v1alpha1", cols::TERRAFORM)
                .deprecated_with("v1alpha1 Terraform is deprecated, upgrade to v1alpha2"),
        ],
    },
    // Weave GitOps Enterprise
    CrdSpec {
        group: "templates.weave.works", kind: "GitOpsTemplate", plural: "gitopstemplates", short_names: &[],
        categories: &[], namespaced: true, labels: &[], scale: None,
        versions: &[
            VersionSpec::storage("v1alpha2", cols::NONE),
            VersionSpec::served("v1alpha1", cols::NONE),
        ],
    },
    CrdSpec {
        group: "capi.weave.works", kind: "CAPITemplate", plural: "capitemplates", short_names: &[],
        categories: &[], namespaced: true, labels: &[], scale: None,
        versions: &[
            VersionSpec::storage("v1alpha2", cols::NONE),
            VersionSpec::served("v1alpha1", cols::NONE),
        ],
    },
    CrdSpec {
        group: "gitops.weave.works", kind: "GitopsCluster", plural: "gitopsclusters", short_names: &[],
        categories: &[], namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1alpha1", cols::GITOPS_CLUSTER)],
    },
    // The Cluster Inventory API (sigs.k8s.io/cluster-inventory-api v0.1.2).
    CrdSpec {
        group: "multicluster.x-k8s.io", kind: "ClusterProfile", plural: "clusterprofiles", short_names: &[],
        categories: &[], namespaced: true, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1alpha1", cols::NONE)],
    },
    // Crossplane (cluster/crds of crossplane v2.4): all cluster-scoped.
    CrdSpec {
        group: XP_APIEXTENSIONS, kind: "CompositeResourceDefinition", plural: "compositeresourcedefinitions",
        short_names: &["xrd", "xrds"], categories: XP, namespaced: false, labels: &[], scale: None,
        versions: &[
            VersionSpec::storage("v1", cols::NONE).deprecated_with(
                "CompositeResourceDefinition v1 is deprecated and will be removed in a future release; consider migrating to v2"),
            VersionSpec::served("v2", cols::NONE),
        ],
    },
    CrdSpec {
        group: XP_APIEXTENSIONS, kind: "Composition", plural: "compositions", short_names: &["comp"],
        categories: XP, namespaced: false, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::NONE)],
    },
    CrdSpec {
        group: XP_PKG, kind: "Provider", plural: "providers", short_names: &[], categories: XP_PACKAGE,
        namespaced: false, labels: &[], scale: None, versions: &[VersionSpec::storage("v1", cols::NONE)],
    },
    CrdSpec {
        group: XP_PKG, kind: "ProviderRevision", plural: "providerrevisions", short_names: &[],
        categories: XP_REVISION, namespaced: false, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::NONE)],
    },
    CrdSpec {
        group: XP_PKG, kind: "Function", plural: "functions", short_names: &[], categories: XP_PACKAGE,
        namespaced: false, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::NONE), VersionSpec::served("v1beta1", cols::NONE)],
    },
    CrdSpec {
        group: XP_PKG, kind: "FunctionRevision", plural: "functionrevisions", short_names: &[],
        categories: XP_REVISION, namespaced: false, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::NONE), VersionSpec::served("v1beta1", cols::NONE)],
    },
    CrdSpec {
        group: XP_PKG, kind: "Configuration", plural: "configurations", short_names: &[], categories: XP_PACKAGE,
        namespaced: false, labels: &[], scale: None, versions: &[VersionSpec::storage("v1", cols::NONE)],
    },
    CrdSpec {
        group: XP_PKG, kind: "ConfigurationRevision", plural: "configurationrevisions", short_names: &[],
        categories: XP_REVISION, namespaced: false, labels: &[], scale: None,
        versions: &[VersionSpec::storage("v1", cols::NONE)],
    },
];

impl CrdSpec {
    /// The CRD's name, `<plural>.<group>`, e.g. `machinedeployments.cluster.x-k8s.io`.
    pub fn crd_name(&self) -> String {
        format!("{}.{}", self.plural, self.group)
    }

    /// The storage version (the first one, by the catalogue's convention).
    pub fn storage_version(&self) -> Option<&'static VersionSpec> {
        self.versions.iter().find(|v| v.storage)
    }

    /// `<group>/<storage version>`, e.g. `cluster.x-k8s.io/v1beta2`.
    pub fn api_version(&self) -> Option<String> {
        self.storage_version().map(|v| format!("{}/{}", self.group, v.name))
    }

    /// The `apiextensions.k8s.io/v1` CustomResourceDefinition, ready to create: open structural schema,
    /// status subresource (and scale, when set) on every version, conversion strategy `None`.
    pub fn to_crd(&self) -> CustomResourceDefinition {
        let labels: BTreeMap<String, String> =
            self.labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let scope = if self.namespaced { "Namespaced" } else { "Cluster" };
        CustomResourceDefinition {
            metadata: ObjectMeta {
                name: Some(self.crd_name()),
                labels: (!labels.is_empty()).then_some(labels),
                ..ObjectMeta::default()
            },
            spec: CustomResourceDefinitionSpec {
                group: self.group.to_owned(),
                names: CustomResourceDefinitionNames {
                    kind: self.kind.to_owned(),
                    list_kind: Some(format!("{}List", self.kind)),
                    plural: self.plural.to_owned(),
                    singular: Some(self.kind.to_ascii_lowercase()),
                    short_names: non_empty(self.short_names),
                    categories: non_empty(self.categories),
                },
                scope: scope.to_owned(),
                versions: self.versions.iter().map(|v| self.version(v)).collect(),
                conversion: Some(CustomResourceConversion { strategy: "None".to_owned(), webhook: None }),
                preserve_unknown_fields: None,
            },
            status: None,
        }
    }

    fn version(&self, v: &VersionSpec) -> CustomResourceDefinitionVersion {
        let scale = self.scale.map(|s| CustomResourceSubresourceScale {
            spec_replicas_path: s.spec_replicas_path.to_owned(),
            status_replicas_path: s.status_replicas_path.to_owned(),
            label_selector_path: s.label_selector_path.map(str::to_owned),
        });
        CustomResourceDefinitionVersion {
            name: v.name.to_owned(),
            served: v.served,
            storage: v.storage,
            deprecated: v.deprecated.then_some(true),
            deprecation_warning: v.deprecation_warning.map(str::to_owned),
            schema: Some(CustomResourceValidation { open_api_v3_schema: Some(open_schema()) }),
            subresources: Some(CustomResourceSubresources {
                status: Some(CustomResourceSubresourceStatus(serde_json::json!({}))),
                scale,
            }),
            additional_printer_columns: (!v.columns.is_empty())
                .then(|| v.columns.iter().copied().map(Column::to_definition).collect()),
            selectable_fields: None,
        }
    }
}

fn non_empty(items: &[&str]) -> Option<Vec<String>> {
    (!items.is_empty()).then(|| items.iter().map(|s| (*s).to_owned()).collect())
}

/// `{apiVersion: string, kind: string, metadata: object, spec: open object, status: open object}`: structural,
/// as apiextensions/v1 requires, and open below `spec` and `status`.
fn open_schema() -> JSONSchemaProps {
    let typed = |type_: &str| JSONSchemaProps { type_: Some(type_.to_owned()), ..JSONSchemaProps::default() };
    let open_object = || JSONSchemaProps { x_kubernetes_preserve_unknown_fields: Some(true), ..typed("object") };
    let properties = BTreeMap::from([
        ("apiVersion".to_owned(), typed("string")),
        ("kind".to_owned(), typed("string")),
        ("metadata".to_owned(), typed("object")),
        ("spec".to_owned(), open_object()),
        ("status".to_owned(), open_object()),
    ]);
    JSONSchemaProps { properties: Some(properties), ..typed("object") }
}

/// The catalogue entry for a group and kind, e.g. `find("cluster.x-k8s.io", "Cluster")`.
pub fn find(group: &str, kind: &str) -> Option<&'static CrdSpec> {
    CATALOGUE.iter().find(|c| c.group == group && c.kind == kind)
}

/// Every CRD of [`CATALOGUE`], in catalogue order.
pub fn all() -> Vec<CustomResourceDefinition> {
    CATALOGUE.iter().map(CrdSpec::to_crd).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn get(group: &str, kind: &str) -> &'static CrdSpec {
        find(group, kind).unwrap_or_else(|| panic!("{kind}.{group} is not in the catalogue"))
    }

    fn version(spec: &CrdSpec, name: &str) -> &'static VersionSpec {
        spec.versions.iter().find(|v| v.name == name).unwrap_or_else(|| panic!("{} has no {name}", spec.kind))
    }

    #[test]
    fn catalogue_has_every_kind_once() {
        let expected = [
            (CAPI, "Cluster"),
            (CAPI, "ClusterClass"),
            (CAPI, "MachineDeployment"),
            (CAPI, "MachineSet"),
            (CAPI, "Machine"),
            (CAPI, "MachinePool"),
            (CAPI, "MachineHealthCheck"),
            (CAPI_CONTROL_PLANE, "KubeadmControlPlane"),
            (CAPI_CONTROL_PLANE, "AWSManagedControlPlane"),
            (CAPI_BOOTSTRAP, "KubeadmConfig"),
            (CAPI_BOOTSTRAP, "KubeadmConfigTemplate"),
            (CAPI_INFRASTRUCTURE, "AWSCluster"),
            (CAPI_INFRASTRUCTURE, "AWSManagedCluster"),
            (CAPI_INFRASTRUCTURE, "AWSMachine"),
            (CAPI_INFRASTRUCTURE, "DockerCluster"),
            (CAPI_INFRASTRUCTURE, "DockerMachine"),
            (CAPI_INFRASTRUCTURE, "DockerMachineTemplate"),
            (CAPI_INFRASTRUCTURE, "AWSManagedMachinePool"),
            (FLUX_SOURCE, "GitRepository"),
            (FLUX_SOURCE, "OCIRepository"),
            (FLUX_SOURCE, "HelmRepository"),
            (FLUX_SOURCE, "HelmChart"),
            (FLUX_SOURCE, "Bucket"),
            ("kustomize.toolkit.fluxcd.io", "Kustomization"),
            ("helm.toolkit.fluxcd.io", "HelmRelease"),
            ("infra.contrib.fluxcd.io", "Terraform"),
            ("templates.weave.works", "GitOpsTemplate"),
            ("capi.weave.works", "CAPITemplate"),
            ("gitops.weave.works", "GitopsCluster"),
            ("multicluster.x-k8s.io", "ClusterProfile"),
            (XP_APIEXTENSIONS, "CompositeResourceDefinition"),
            (XP_APIEXTENSIONS, "Composition"),
            (XP_PKG, "Provider"),
            (XP_PKG, "ProviderRevision"),
            (XP_PKG, "Function"),
            (XP_PKG, "FunctionRevision"),
            (XP_PKG, "Configuration"),
            (XP_PKG, "ConfigurationRevision"),
        ];
        let expected: BTreeSet<_> = expected.into_iter().collect();
        let actual: BTreeSet<_> = CATALOGUE.iter().map(|c| (c.group, c.kind)).collect();
        assert_eq!(actual, expected);
        assert_eq!(CATALOGUE.len(), expected.len(), "a kind is listed twice");
        assert_eq!(all().len(), expected.len());
    }

    #[test]
    fn every_crd_has_exactly_one_storage_version_and_it_is_first_and_served() {
        for spec in CATALOGUE {
            let storage: Vec<_> = spec.versions.iter().filter(|v| v.storage).map(|v| v.name).collect();
            assert_eq!(storage.len(), 1, "{}: storage versions {storage:?}", spec.kind);
            assert!(spec.versions[0].storage && spec.versions[0].served, "{}", spec.kind);
            let names: BTreeSet<_> = spec.versions.iter().map(|v| v.name).collect();
            assert_eq!(names.len(), spec.versions.len(), "{}: duplicate version", spec.kind);
            let crd = spec.to_crd();
            assert_eq!(crd.spec.versions.iter().filter(|v| v.storage).count(), 1);
        }
    }

    #[test]
    fn names_follow_upstream_conventions() {
        for spec in CATALOGUE {
            let crd = spec.to_crd();
            assert_eq!(spec.crd_name(), format!("{}.{}", spec.plural, spec.group));
            assert_eq!(crd.metadata.name.as_deref(), Some(spec.crd_name().as_str()));
            assert_eq!(spec.plural, spec.plural.to_ascii_lowercase());
            let names = &crd.spec.names;
            assert_eq!(names.list_kind.as_deref(), Some(format!("{}List", spec.kind).as_str()));
            assert_eq!(names.singular.as_deref(), Some(spec.kind.to_ascii_lowercase().as_str()));
            let scope = if spec.group.ends_with(".crossplane.io") { "Cluster" } else { "Namespaced" };
            assert_eq!(crd.spec.scope, scope, "{}", spec.kind);
        }
        assert_eq!(get(CAPI, "MachineDeployment").crd_name(), "machinedeployments.cluster.x-k8s.io");
        assert_eq!(get(CAPI, "ClusterClass").to_crd().spec.names.singular.as_deref(), Some("clusterclass"));
    }

    #[test]
    fn short_names_and_plurals_are_unique() {
        let mut seen = BTreeSet::new();
        for spec in CATALOGUE {
            for name in spec.short_names {
                assert!(seen.insert(*name), "short name {name} used twice");
            }
        }
        let crd_names: BTreeSet<_> = CATALOGUE.iter().map(CrdSpec::crd_name).collect();
        assert_eq!(crd_names.len(), CATALOGUE.len());
    }

    #[test]
    fn cluster_api_v1beta2_kinds_still_serve_v1beta1() {
        let kubeadm = [
            (CAPI_CONTROL_PLANE, "KubeadmControlPlane"),
            (CAPI_BOOTSTRAP, "KubeadmConfig"),
            (CAPI_BOOTSTRAP, "KubeadmConfigTemplate"),
        ];
        let docker = [
            (CAPI_INFRASTRUCTURE, "DockerCluster"),
            (CAPI_INFRASTRUCTURE, "DockerMachine"),
            (CAPI_INFRASTRUCTURE, "DockerMachineTemplate"),
        ];
        let core = CATALOGUE.iter().filter(|c| c.group == CAPI).map(|c| (c.group, c.kind));
        let kinds: Vec<_> = core.chain(kubeadm).chain(docker).collect();
        assert_eq!(kinds.len(), 13);
        for (group, kind) in kinds {
            let spec = get(group, kind);
            assert_eq!(spec.api_version(), Some(format!("{group}/v1beta2")), "{kind}");
            let v1beta1 = version(spec, "v1beta1");
            assert!(v1beta1.served && !v1beta1.storage && v1beta1.deprecated, "{kind}");
        }
        // CAPA lists v1beta1 but no longer serves it (CAPA v2.10 config/crd/bases).
        let aws = get(CAPI_INFRASTRUCTURE, "AWSCluster");
        assert_eq!(aws.api_version().as_deref(), Some("infrastructure.cluster.x-k8s.io/v1beta2"));
        assert!(!version(aws, "v1beta1").served);
    }

    #[test]
    fn provider_kinds_carry_contract_labels_naming_their_versions() {
        let providers: Vec<_> =
            CATALOGUE.iter().filter(|c| c.group != CAPI && c.group.ends_with(".cluster.x-k8s.io")).collect();
        assert_eq!(providers.len(), 11);
        for spec in providers {
            let labels = spec.to_crd().metadata.labels.unwrap_or_default();
            let v1beta1 = labels.get(CONTRACT_V1BETA1).unwrap_or_else(|| panic!("{}: no v1beta1 contract", spec.kind));
            for contract in [CONTRACT_V1BETA1, CONTRACT_V1BETA2] {
                for v in labels.get(contract).into_iter().flat_map(|l| l.split('_')) {
                    version(spec, v);
                }
            }
            let aws = spec.kind.starts_with("AWS");
            let expected = match spec.kind {
                "AWSManagedCluster" => "v1beta2",
                _ if aws => "v1beta1_v1beta2",
                _ => "v1beta1",
            };
            assert_eq!(v1beta1, expected, "{}", spec.kind);
            let v1beta2 = labels.get(CONTRACT_V1BETA2).map(String::as_str);
            assert_eq!(v1beta2, if aws { None } else { Some("v1beta2") }, "{}", spec.kind);
            assert!(labels.contains_key(PROVIDER), "{}", spec.kind);
        }
        let core = get(CAPI, "Cluster").to_crd().metadata.labels.unwrap_or_default();
        assert!(!core.contains_key(CONTRACT_V1BETA1));
    }

    #[test]
    fn generated_json_has_status_subresource_and_open_spec_and_status() {
        let json = serde_json::to_value(get(CAPI, "Cluster").to_crd()).unwrap();
        assert_eq!(json["apiVersion"], "apiextensions.k8s.io/v1");
        assert_eq!(json["kind"], "CustomResourceDefinition");
        assert_eq!(json["spec"]["conversion"]["strategy"], "None");
        let versions = json["spec"]["versions"].as_array().unwrap();
        assert_eq!(versions.len(), 2);
        for v in versions {
            assert_eq!(v["subresources"]["status"], serde_json::json!({}));
            assert!(v["subresources"].get("scale").is_none());
            let schema = &v["schema"]["openAPIV3Schema"];
            assert_eq!(schema["type"], "object");
            for field in ["spec", "status"] {
                assert_eq!(schema["properties"][field]["type"], "object");
                assert_eq!(schema["properties"][field]["x-kubernetes-preserve-unknown-fields"], true);
            }
            assert_eq!(schema["properties"]["metadata"]["type"], "object");
            assert_eq!(schema["properties"]["apiVersion"]["type"], "string");
        }
        let columns = versions[0]["additionalPrinterColumns"].as_array().unwrap();
        let names: Vec<_> = columns.iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert_eq!(&names[..3], ["ClusterClass", "Available", "CP Desired"]);
        assert_eq!(columns[1]["jsonPath"], r#".status.conditions[?(@.type=="Available")].status"#);
        assert_eq!(columns[3]["priority"], 10);
        assert!(columns[0].get("priority").is_none());
        assert_eq!(versions[1]["deprecated"], true);
        assert!(versions[0].get("deprecated").is_none());
    }

    #[test]
    fn replica_kinds_have_scale_on_every_version() {
        for kind in ["MachineDeployment", "MachineSet", "MachinePool", "KubeadmControlPlane"] {
            let spec = CATALOGUE.iter().find(|c| c.kind == kind).unwrap();
            let json = serde_json::to_value(spec.to_crd()).unwrap();
            for v in json["spec"]["versions"].as_array().unwrap() {
                let scale = &v["subresources"]["scale"];
                assert_eq!(scale["specReplicasPath"], ".spec.replicas", "{kind}");
                assert_eq!(scale["statusReplicasPath"], ".status.replicas", "{kind}");
                let selector = if kind == "MachinePool" { None } else { Some(".status.selector") };
                assert_eq!(scale["labelSelectorPath"].as_str(), selector, "{kind}");
            }
        }
        let with_scale = CATALOGUE.iter().filter(|c| c.scale.is_some()).count();
        assert_eq!(with_scale, 4);
    }

    #[test]
    fn printer_columns_are_valid_for_the_api_server() {
        let types = ["string", "integer", "number", "boolean", "date"];
        for spec in CATALOGUE {
            for v in spec.versions {
                for c in v.columns {
                    assert!(types.contains(&c.type_), "{} {}: type {}", spec.kind, c.name, c.type_);
                    assert!(c.json_path.starts_with('.'), "{} {}: {}", spec.kind, c.name, c.json_path);
                    assert!(!c.name.is_empty() && c.priority >= 0, "{} {}", spec.kind, c.name);
                }
            }
        }
        let flux = get(FLUX_SOURCE, "GitRepository").versions[0].columns;
        let names: Vec<_> = flux.iter().map(|c| c.name).collect();
        assert_eq!(names, ["URL", "Age", "Ready", "Status"]);
        let tf = get("infra.contrib.fluxcd.io", "Terraform").versions[0].columns;
        assert_eq!(tf.iter().map(|c| c.name).collect::<Vec<_>>(), ["Ready", "Status", "Age"]);
    }

    #[test]
    fn categories_and_short_names_match_upstream() {
        let crd = get(FLUX_SOURCE, "GitRepository").to_crd();
        assert_eq!(crd.spec.names.categories.unwrap(), ["all", "fluxcd", "fluxcd-sources"]);
        assert_eq!(crd.spec.names.short_names.unwrap(), ["gitrepo"]);
        let ks = get("kustomize.toolkit.fluxcd.io", "Kustomization").to_crd();
        assert_eq!(ks.spec.names.categories.unwrap(), ["all", "fluxcd", "fluxcd-appliers"]);
        let kcp = get(CAPI_CONTROL_PLANE, "KubeadmControlPlane").to_crd();
        assert_eq!(kcp.spec.names.categories.unwrap(), ["cluster-api"]);
        let template = get("templates.weave.works", "GitOpsTemplate").to_crd();
        assert!(template.spec.names.categories.is_none() && template.spec.names.short_names.is_none());
    }
}
