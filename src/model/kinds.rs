//! The catalogue of kinds fleetdeck watches in every cluster: Cluster API, Flux, tofu-controller, Weave
//! GitOps, Crossplane's own kinds and the few core kinds the summaries need; and the kinds found at run time
//! ([`KindId::dynamic`]): Crossplane's composite (XR), claim and managed-resource (MR) kinds, which each
//! cluster defines for itself.
//!
//! Versions are listed in order of preference; discovery picks the first one a cluster serves (CAPI v1beta2,
//! else v1beta1). Facts from REFERENCE.md (sections A-D), REFERENCE-2.md section 1, and the upstream CRDs.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};

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
    /// Crossplane (`apiextensions.crossplane.io`, `pkg.crossplane.io`), and the composite, claim and managed
    /// resource kinds found at run time ([`KindId::dynamic`]), whatever their group.
    Crossplane,
    /// SIG-Multicluster's Cluster Inventory API (`multicluster.x-k8s.io` ClusterProfile, KEP-4322): the
    /// clusters a hub publishes.
    Inventory,
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

/// A kind: an index into [`CATALOGUE`], or past its end one of the kinds found at run time
/// ([`KindId::dynamic`]). Cheap to copy and hash; stable within one process (a dynamic kind keeps its id
/// once given, in every context).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KindId(pub u16);

/// What a kind found at run time is to Crossplane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Dynamic {
    /// A managed resource (MR) kind, or any kind a composite references that no XRD defines.
    Managed,
    /// A composite resource (XR) kind: an XRD's `spec.names` (the generated CRD's category `composite`).
    Composite,
    /// A claim kind: a v1 / LegacyCluster XRD's `spec.claimNames` (category `claim`).
    Claim,
}

/// A kind something found at run time asks to watch: `(group, version, kind, role)`; the version is `""`
/// when the asker names only a group (then the kind's most stable served version is watched).
pub type Wanted = (String, String, String, Dynamic);

/// How many kinds can be found at run time in one process. Past it, [`KindId::dynamic`] gives `None` (and the
/// kind is not watched): the referenced kinds of a fleet are a provider catalogue at most (provider-aws
/// has ~900 MR kinds).
pub const DYNAMIC_CAPACITY: usize = 8192;

struct DynamicKind {
    spec: KindSpec,
    role: AtomicU8,
}

/// The kinds found at run time, by `KindId.0 - CATALOGUE.len()`: written once each, read without a lock.
static DYNAMIC: [OnceLock<&'static DynamicKind>; DYNAMIC_CAPACITY] = [const { OnceLock::new() }; DYNAMIC_CAPACITY];
/// (group, kind) -> id of the kinds found at run time; taken only to find or add one.
static DYNAMIC_INDEX: Mutex<Option<DynamicIndex>> = Mutex::new(None);
type DynamicIndex = HashMap<(Box<str>, Box<str>), KindId>;

fn dynamic_kind(id: KindId) -> Option<&'static DynamicKind> {
    let i = (id.0 as usize).checked_sub(CATALOGUE.len())?;
    DYNAMIC.get(i)?.get().copied()
}

fn role_code(role: Dynamic) -> u8 {
    match role {
        Dynamic::Managed => 0,
        Dynamic::Composite => 1,
        Dynamic::Claim => 2,
    }
}

impl KindId {
    /// The kind's facts: its catalogue entry, or what was given to [`KindId::dynamic`] (whose `versions` is
    /// empty: each cluster's discovery names the version to watch).
    ///
    /// # Panics
    /// On an id that neither the catalogue nor [`KindId::dynamic`] gave.
    pub fn spec(self) -> &'static KindSpec {
        match CATALOGUE.get(self.0 as usize) {
            Some(spec) => spec,
            None => &dynamic_kind(self).expect("a KindId given by the catalogue or KindId::dynamic").spec,
        }
    }
    /// Finds a kind by group and kind name: in the catalogue, else among the kinds found at run time.
    pub fn find(group: &str, kind: &str) -> Option<KindId> {
        if let Some(i) = CATALOGUE.iter().position(|k| k.group == group && k.kind == kind) {
            return Some(KindId(i as u16));
        }
        let index = DYNAMIC_INDEX.lock().unwrap_or_else(|e| e.into_inner());
        index.as_ref()?.get(&(Box::from(group), Box::from(kind))).copied()
    }
    /// Every kind of the catalogue (not the kinds found at run time).
    pub fn all() -> impl Iterator<Item = KindId> {
        (0..CATALOGUE.len()).map(|i| KindId(i as u16))
    }
    /// The id of a Crossplane kind found at run time (family [`Family::Crossplane`]), given once per `group` and
    /// `kind` for the life of the process: a catalogue kind's id when it is one, `None` when
    /// [`DYNAMIC_CAPACITY`] kinds were given already. `plural` and `namespaced` are those of the first call
    /// (a kind's resource name and scope do not differ between clusters in practice). `role` only ever
    /// rises from [`Dynamic::Managed`]: a kind one XRD defines stays a composite or claim kind when a
    /// composite also references it.
    pub fn dynamic(group: &str, kind: &str, plural: &str, namespaced: bool, role: Dynamic) -> Option<KindId> {
        KindId::dynamic_in(Family::Crossplane, group, kind, plural, namespaced, role)
    }
    /// [`KindId::dynamic`] for a kind of `family`: Cluster API providers fleetdeck has no name for (an
    /// infrastructure, control plane or bootstrap kind a Cluster or Machine references) are
    /// [`Family::ClusterApi`], read by Cluster API's health rules and found by the CAPI tree. The family is
    /// that of the first call, like the plural.
    pub fn dynamic_in(
        family: Family,
        group: &str,
        kind: &str,
        plural: &str,
        namespaced: bool,
        role: Dynamic,
    ) -> Option<KindId> {
        if let Some(i) = CATALOGUE.iter().position(|k| k.group == group && k.kind == kind) {
            return Some(KindId(i as u16));
        }
        let mut index = DYNAMIC_INDEX.lock().unwrap_or_else(|e| e.into_inner());
        let index = index.get_or_insert_with(HashMap::new);
        if let Some(id) = index.get(&(Box::from(group), Box::from(kind))).copied() {
            if role != Dynamic::Managed
                && let Some(d) = dynamic_kind(id)
            {
                let _ = d.role.compare_exchange(0, role_code(role), Ordering::Relaxed, Ordering::Relaxed);
            }
            return Some(id);
        }
        let slot = index.len();
        if slot >= DYNAMIC_CAPACITY {
            return None;
        }
        let leak = |s: &str| -> &'static str { Box::leak(Box::from(s)) };
        let entry: &'static DynamicKind = Box::leak(Box::new(DynamicKind {
            spec: KindSpec {
                family,
                group: leak(group),
                kind: leak(kind),
                plural: leak(plural),
                versions: &[],
                namespaced,
            },
            role: AtomicU8::new(role_code(role)),
        }));
        let id = KindId((CATALOGUE.len() + slot) as u16);
        // The slot is new (the index holds every given slot and is locked), so the set cannot fail.
        let _ = DYNAMIC[slot].set(entry);
        index.insert((Box::from(group), Box::from(kind)), id);
        Some(id)
    }
    /// What a kind found at run time is to Crossplane; `None` for catalogue kinds.
    pub fn dynamic_role(self) -> Option<Dynamic> {
        dynamic_kind(self).map(|d| match d.role.load(Ordering::Relaxed) {
            1 => Dynamic::Composite,
            2 => Dynamic::Claim,
            _ => Dynamic::Managed,
        })
    }
    /// Whether this kind was found at run time ([`KindId::dynamic`]) rather than catalogued.
    pub fn is_dynamic(self) -> bool {
        self.0 as usize >= CATALOGUE.len()
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
            _ if matches!(self.dynamic_role(), Some(Dynamic::Composite | Dynamic::Claim)) => Some(TreeKind::Trace),
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
    /// Cluster API `MachinePool`.
    pub const MACHINE_POOL: KindId = KindId::named(CAPI, "MachinePool");
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
    /// SIG-Multicluster `ClusterProfile` (a hub's inventory of clusters).
    pub const CLUSTER_PROFILE: KindId = KindId::named("multicluster.x-k8s.io", "ClusterProfile");
    /// Crossplane `CompositeResourceDefinition` (XRD).
    pub const XRD: KindId = KindId::named(XP_APIEXTENSIONS, "CompositeResourceDefinition");
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
    /// A Crossplane claim or composite resource, traced as `crossplane resource trace` does
    /// (`model::xp_tree`).
    Trace,
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
/// checks it). [`KindSet::ALL`] is every kind. Kinds found at run time are never in a set: which of them are
/// watched follows from the XRDs and composites (`fleet::dynamic`), not from a set.
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

    /// This set and `kind` (unchanged for a kind found at run time).
    pub fn with(self, kind: KindId) -> KindSet {
        if kind.is_dynamic() { self } else { KindSet(self.0 | 1u128 << kind.0) }
    }

    /// This set and `other`.
    pub fn union(self, other: KindSet) -> KindSet {
        KindSet(self.0 | other.0)
    }

    /// The kinds in both this set and `other`.
    pub fn intersection(self, other: KindSet) -> KindSet {
        KindSet(self.0 & other.0)
    }

    /// The kinds in this set and not in `other`.
    pub fn difference(self, other: KindSet) -> KindSet {
        KindSet(self.0 & !other.0)
    }

    /// Whether `kind` is in the set (never for a kind found at run time).
    pub fn contains(self, kind: KindId) -> bool {
        !kind.is_dynamic() && self.0 & (1u128 << kind.0) != 0
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
const XP_APIEXTENSIONS: &str = "apiextensions.crossplane.io";
const XP_PKG: &str = "pkg.crossplane.io";
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
    // The Cluster Inventory API (REFERENCE-2.md section 2; sigs.k8s.io/cluster-inventory-api v0.1.2).
    kind!(Inventory, "multicluster.x-k8s.io", "ClusterProfile", "clusterprofiles", &["v1alpha1"]),
    // Crossplane's own kinds, all cluster-scoped (REFERENCE-2.md section 1). XRDs: v1 is the storage version
    // and the only one Crossplane 1.x serves; v2 (Crossplane 2.x) reads the same objects.
    kind!(
        Crossplane,
        XP_APIEXTENSIONS,
        "CompositeResourceDefinition",
        "compositeresourcedefinitions",
        &["v1", "v2"],
        false
    ),
    kind!(Crossplane, XP_APIEXTENSIONS, "Composition", "compositions", &["v1"], false),
    kind!(Crossplane, XP_PKG, "Provider", "providers", &["v1"], false),
    kind!(Crossplane, XP_PKG, "ProviderRevision", "providerrevisions", &["v1"], false),
    kind!(Crossplane, XP_PKG, "Function", "functions", &["v1", "v1beta1"], false),
    kind!(Crossplane, XP_PKG, "FunctionRevision", "functionrevisions", &["v1", "v1beta1"], false),
    kind!(Crossplane, XP_PKG, "Configuration", "configurations", &["v1"], false),
    kind!(Crossplane, XP_PKG, "ConfigurationRevision", "configurationrevisions", &["v1"], false),
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

    #[test]
    fn kinds_found_at_run_time_keep_one_id_and_stay_out_of_sets() {
        let a = KindId::dynamic("rds.aws.upbound.io", "Instance", "instances", false, Dynamic::Managed).unwrap();
        let again = KindId::dynamic("rds.aws.upbound.io", "Instance", "other", true, Dynamic::Managed).unwrap();
        assert_eq!(a, again);
        assert!(a.is_dynamic() && !KindId::CLUSTER.is_dynamic());
        assert_eq!((a.spec().plural, a.spec().namespaced, a.spec().family), ("instances", false, Family::Crossplane));
        assert_eq!(a.to_string(), "instances.rds.aws.upbound.io");
        assert_eq!(KindId::find("rds.aws.upbound.io", "Instance"), Some(a));
        assert_eq!(a.dynamic_role(), Some(Dynamic::Managed));
        assert_eq!(a.tree(), None);
        // A catalogue kind is its catalogue id.
        assert_eq!(
            KindId::dynamic("cluster.x-k8s.io", "Cluster", "clusters", true, Dynamic::Managed),
            Some(KindId::CLUSTER)
        );
        assert_eq!(KindId::CLUSTER.dynamic_role(), None);
        // Referenced first, defined by an XRD later: the role rises, and never falls back.
        let xr = KindId::dynamic("example.org", "XNestedDb", "xnesteddbs", true, Dynamic::Managed).unwrap();
        assert_eq!(KindId::dynamic("example.org", "XNestedDb", "xnesteddbs", true, Dynamic::Composite), Some(xr));
        KindId::dynamic("example.org", "XNestedDb", "xnesteddbs", true, Dynamic::Managed);
        assert_eq!(xr.dynamic_role(), Some(Dynamic::Composite));
        assert_eq!(xr.tree(), Some(TreeKind::Trace));
        assert!(!KindSet::ALL.contains(a) && KindSet::NONE.with(a) == KindSet::NONE);
    }
}
