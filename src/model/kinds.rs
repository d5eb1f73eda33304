//! The catalogue of kinds fleetdeck watches in every cluster: Cluster API, Flux, tofu-controller, Weave
//! GitOps and the few core kinds the summaries need.
//!
//! Versions are listed newest first; discovery picks the first one a cluster serves (CAPI v1beta2, else
//! v1beta1). Facts from REFERENCE.md (sections A-D) and the upstream CRDs.

/// Which project a kind belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Family {
    /// Cluster API and its providers (`*.cluster.x-k8s.io`).
    ClusterApi,
    /// Flux (`*.toolkit.fluxcd.io`).
    Flux,
    /// tofu-controller (`infra.contrib.fluxcd.io`).
    Terraform,
    /// Weave GitOps Enterprise templates and GitopsClusters.
    Weave,
    /// Core Kubernetes kinds.
    Core,
}

/// One watched kind.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct KindSpec {
    /// The project it belongs to.
    pub family: Family,
    /// API group (`""` for core).
    pub group: &'static str,
    /// Kind, upstream spelling.
    pub kind: &'static str,
    /// Resource name (plural).
    pub plural: &'static str,
    /// Versions fleetdeck reads, preferred first.
    pub versions: &'static [&'static str],
    /// Namespaced (else cluster-scoped).
    pub namespaced: bool,
}

/// An index into [`CATALOGUE`]: cheap to copy and hash, stable within one build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub u16);

impl KindId {
    /// The catalogue entry.
    pub fn spec(self) -> &'static KindSpec {
        &CATALOGUE[self.0 as usize]
    }
    /// Finds a kind by group and kind name.
    pub fn find(group: &str, kind: &str) -> Option<KindId> {
        CATALOGUE.iter().position(|k| k.group == group && k.kind == kind).map(|i| KindId(i as u16))
    }
    /// Every kind of the catalogue.
    pub fn all() -> impl Iterator<Item = KindId> {
        (0..CATALOGUE.len()).map(|i| KindId(i as u16))
    }
    /// The catalogue kind `group`/`kind`, found at compile time (a build error when it is not in the
    /// catalogue): for the named constants below.
    pub const fn named(group: &str, kind: &str) -> KindId {
        let mut i = 0;
        while i < CATALOGUE.len() {
            if str_eq(CATALOGUE[i].group, group) && str_eq(CATALOGUE[i].kind, kind) {
                return KindId(i as u16);
            }
            i += 1;
        }
        panic!("kind not in the catalogue")
    }
    /// Which tree fleetdeck draws for an object of this kind (`enter` in the cockpit, `fleetdeck tree`),
    /// if any.
    pub fn tree(self) -> Option<TreeKind> {
        match self {
            KindId::CLUSTER => Some(TreeKind::Cluster),
            KindId::KUSTOMIZATION => Some(TreeKind::Kustomization),
            KindId::HELM_RELEASE => Some(TreeKind::HelmRelease),
            KindId::TERRAFORM => Some(TreeKind::Terraform),
            _ => None,
        }
    }
    /// Whether fleetdeck draws a tree for this kind ([`KindId::tree`]).
    pub fn has_tree(self) -> bool {
        self.tree().is_some()
    }
    /// How many replicas one scale step adds or removes: 2 for a KubeadmControlPlane (an etcd quorum
    /// stays odd), else 1.
    pub fn scale_step(self) -> i64 {
        if self == KindId::KUBEADM_CONTROL_PLANE { 2 } else { 1 }
    }
}

/// The kinds fleetdeck reasons about by name (everything else is read through the catalogue's facts).
impl KindId {
    /// Cluster API `Cluster`.
    pub const CLUSTER: KindId = KindId::named(CAPI, "Cluster");
    /// Cluster API `MachineDeployment`.
    pub const MACHINE_DEPLOYMENT: KindId = KindId::named(CAPI, "MachineDeployment");
    /// Cluster API `MachineSet`.
    pub const MACHINE_SET: KindId = KindId::named(CAPI, "MachineSet");
    /// Cluster API `Machine`.
    pub const MACHINE: KindId = KindId::named(CAPI, "Machine");
    /// Cluster API `MachineHealthCheck`.
    pub const MACHINE_HEALTH_CHECK: KindId = KindId::named(CAPI, "MachineHealthCheck");
    /// Cluster API `KubeadmControlPlane`.
    pub const KUBEADM_CONTROL_PLANE: KindId = KindId::named(CAPI_CP, "KubeadmControlPlane");
    /// Flux `Kustomization`.
    pub const KUSTOMIZATION: KindId = KindId::named("kustomize.toolkit.fluxcd.io", "Kustomization");
    /// Flux `HelmRelease`.
    pub const HELM_RELEASE: KindId = KindId::named("helm.toolkit.fluxcd.io", "HelmRelease");
    /// Flux `GitRepository`.
    pub const GIT_REPOSITORY: KindId = KindId::named("source.toolkit.fluxcd.io", "GitRepository");
    /// tofu-controller `Terraform`.
    pub const TERRAFORM: KindId = KindId::named("infra.contrib.fluxcd.io", "Terraform");
    /// Core `Node`.
    pub const NODE: KindId = KindId::named("", "Node");
}

/// The trees fleetdeck draws: `clusterctl describe cluster`, `flux tree kustomization|helmrelease`, and
/// tofu-controller's Terraform tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreeKind {
    /// A Cluster API Cluster (`model::capi_tree`).
    Cluster,
    /// A Flux Kustomization (`model::flux_tree`).
    Kustomization,
    /// A Flux HelmRelease (`model::flux_tree`).
    HelmRelease,
    /// A tofu-controller Terraform (`model::tf_tree`).
    Terraform,
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A set of catalogue kinds, as a bitset over [`KindId`] (the catalogue has at most 128 kinds; a test
/// checks it). [`KindSet::ALL`] is every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSet(u128);

impl KindSet {
    /// No kind.
    pub const NONE: KindSet = KindSet(0);
    /// Every kind of the catalogue.
    pub const ALL: KindSet = KindSet(if CATALOGUE.len() >= 128 { u128::MAX } else { (1u128 << CATALOGUE.len()) - 1 });

    /// Every kind of `family`.
    pub fn family(family: Family) -> KindSet {
        KindId::all().filter(|k| k.spec().family == family).fold(KindSet::NONE, KindSet::with)
    }

    /// This set and `kind`.
    pub fn with(self, kind: KindId) -> KindSet {
        KindSet(self.0 | 1u128 << kind.0)
    }

    /// This set and `other`.
    pub fn union(self, other: KindSet) -> KindSet {
        KindSet(self.0 | other.0)
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: KindId) -> bool {
        self.0 & (1u128 << kind.0) != 0
    }

    /// The kinds of the set, in catalogue order.
    pub fn iter(self) -> impl Iterator<Item = KindId> {
        KindId::all().filter(move |k| self.contains(*k))
    }
}

impl Default for KindSet {
    /// Every kind ([`KindSet::ALL`]).
    fn default() -> Self {
        KindSet::ALL
    }
}

impl std::fmt::Display for KindId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.spec();
        if s.group.is_empty() { write!(f, "{}", s.kind) } else { write!(f, "{}.{}", s.plural, s.group) }
    }
}

const CAPI: &str = "cluster.x-k8s.io";
const CAPI_CP: &str = "controlplane.cluster.x-k8s.io";
const CAPI_BOOTSTRAP: &str = "bootstrap.cluster.x-k8s.io";
const CAPI_INFRA: &str = "infrastructure.cluster.x-k8s.io";
const V1BETA: &[&str] = &["v1beta2", "v1beta1"];
const CAPA: &[&str] = &["v1beta2"];

macro_rules! kind {
    ($family:ident, $group:expr, $kind:literal, $plural:literal, $versions:expr) => {
        kind!($family, $group, $kind, $plural, $versions, true)
    };
    ($family:ident, $group:expr, $kind:literal, $plural:literal, $versions:expr, $namespaced:expr) => {
        KindSpec {
            family: Family::$family,
            group: $group,
            kind: $kind,
            plural: $plural,
            versions: $versions,
            namespaced: $namespaced,
        }
    };
}

/// Every kind fleetdeck watches. Secrets are not here: kubeconfig Secrets are read on demand for lineage
/// and their data is never stored.
pub const CATALOGUE: &[KindSpec] = &[
    kind!(ClusterApi, CAPI, "Cluster", "clusters", V1BETA),
    kind!(ClusterApi, CAPI, "ClusterClass", "clusterclasses", V1BETA),
    kind!(ClusterApi, CAPI, "MachineDeployment", "machinedeployments", V1BETA),
    kind!(ClusterApi, CAPI, "MachineSet", "machinesets", V1BETA),
    kind!(ClusterApi, CAPI, "Machine", "machines", V1BETA),
    kind!(ClusterApi, CAPI, "MachinePool", "machinepools", V1BETA),
    kind!(ClusterApi, CAPI, "MachineHealthCheck", "machinehealthchecks", V1BETA),
    kind!(ClusterApi, CAPI_CP, "KubeadmControlPlane", "kubeadmcontrolplanes", V1BETA),
    kind!(ClusterApi, CAPI_CP, "AWSManagedControlPlane", "awsmanagedcontrolplanes", CAPA),
    kind!(ClusterApi, CAPI_BOOTSTRAP, "KubeadmConfig", "kubeadmconfigs", V1BETA),
    kind!(ClusterApi, CAPI_INFRA, "AWSCluster", "awsclusters", CAPA),
    kind!(ClusterApi, CAPI_INFRA, "AWSManagedCluster", "awsmanagedclusters", CAPA),
    kind!(ClusterApi, CAPI_INFRA, "AWSMachine", "awsmachines", CAPA),
    kind!(ClusterApi, CAPI_INFRA, "AWSManagedMachinePool", "awsmanagedmachinepools", CAPA),
    kind!(ClusterApi, CAPI_INFRA, "DockerCluster", "dockerclusters", V1BETA),
    kind!(ClusterApi, CAPI_INFRA, "DockerMachine", "dockermachines", V1BETA),
    kind!(Flux, "source.toolkit.fluxcd.io", "GitRepository", "gitrepositories", &["v1"]),
    kind!(Flux, "source.toolkit.fluxcd.io", "OCIRepository", "ocirepositories", &["v1", "v1beta2"]),
    kind!(Flux, "source.toolkit.fluxcd.io", "HelmRepository", "helmrepositories", &["v1"]),
    kind!(Flux, "source.toolkit.fluxcd.io", "HelmChart", "helmcharts", &["v1"]),
    kind!(Flux, "source.toolkit.fluxcd.io", "Bucket", "buckets", &["v1"]),
    kind!(Flux, "kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", &["v1"]),
    kind!(Flux, "helm.toolkit.fluxcd.io", "HelmRelease", "helmreleases", &["v2"]),
    kind!(Terraform, "infra.contrib.fluxcd.io", "Terraform", "terraforms", &["v1alpha2"]),
    kind!(Weave, "templates.weave.works", "GitOpsTemplate", "gitopstemplates", &["v1alpha2"]),
    kind!(Weave, "capi.weave.works", "CAPITemplate", "capitemplates", &["v1alpha2"]),
    kind!(Weave, "gitops.weave.works", "GitopsCluster", "gitopsclusters", &["v1alpha1"]),
    kind!(Core, "", "Node", "nodes", &["v1"], false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_find_their_kinds() {
        let id = KindId::find("cluster.x-k8s.io", "Machine").expect("Machine");
        assert_eq!(id.spec().plural, "machines");
        assert_eq!(id.to_string(), "machines.cluster.x-k8s.io");
        assert_eq!(KindId::find("", "Node").map(|k| k.to_string()).as_deref(), Some("Node"));
        assert_eq!(KindId::all().count(), CATALOGUE.len());
        assert!(KindId::find("cluster.x-k8s.io", "Nope").is_none());
    }

    #[test]
    fn kind_sets_hold_what_was_put_in() {
        assert!(CATALOGUE.len() <= 128, "KindSet is a u128 bitset");
        assert_eq!(KindSet::ALL.iter().count(), CATALOGUE.len());
        assert_eq!(KindSet::NONE.iter().count(), 0);
        let node = KindId::find("", "Node").expect("Node");
        let flux = KindSet::family(Family::Flux);
        assert_eq!(flux.iter().count(), 7);
        assert!(flux.iter().all(|k| k.spec().family == Family::Flux));
        assert!(!flux.contains(node));
        let both = flux.with(node);
        assert!(both.contains(node) && both.iter().count() == 8);
        assert_eq!(flux.union(KindSet::family(Family::Core)), both);
        assert_eq!(KindSet::default(), KindSet::ALL);
    }
}
