//! The shared shape of every tree fleetdeck draws — `clusterctl describe cluster` ([`super::capi_tree`]),
//! `flux tree kustomization` ([`super::flux_tree`]) and Terraform lineage ([`super::tf_tree`]) — plus the
//! [`StoreView`] the builders read the store through and the [`TreeCache`] that rebuilds a tree only when
//! something it read changed. Builders are pure (no IO, no clock); [`super::tree_text`] renders trees.
//!
//! # JSON (`-o json`)
//!
//! A [`TreeNode`] serializes to camelCase JSON; fields that are absent, empty or `false` are omitted:
//!
//! ```text
//! TreeNode {
//!   id:         string                 // stable key, see `object_id`; virtual nodes: "<parent id>><name>"
//!   label:      {type: "object", context, group, kind, namespace, name, metaName?}
//!             | {type: "virtual", name}       // "Workers", "Other", "3 Machines...", "Plan plan-main-1a2b3c4d5e"
//!   health?:    {state, reason, message, since, note}      // model::status::Health; since: RFC 3339 | null,
//!                                                          // note: string | null (malformed status)
//!   columns?:   {mode: "v1beta2"|"v1beta1", replicas?, available?, ready?, upToDate?, condition?: ConditionRow}
//!   conditions?: [ConditionRow]        // present when --show-conditions selected the node (already filtered)
//!   group?:     {kind, count, names: [string]}    // a clusterctl group row ("N Machines..."), names sorted
//!   deleted?:   true                   // metadata.deletionTimestamp is set ("!! DELETED !!")
//!   remote?:    {secretRef?: "ns/name", context?: string, found: bool}
//!   missing?:   {reason: "notFound"} | {reason: "notWatched"} | {reason: "noContext"}
//!             | {reason: "notSynced", state: "Syncing"|"Forbidden"|"CrdMissing"|"Error"|null}
//!             | {reason: "invalidId", error: string}
//!   source?:    {kind, namespace, name}      // Flux sourceRef / chartRef, Terraform sourceRef
//!   revision?:  string                 // lastAppliedRevision, HelmRelease chart version, artifact revision
//!   dependsOn?: ["ns/name"]
//!   topology?:  {class, classNamespace?, version}  // Cluster.spec.topology
//!   note?:      string                 // fleetdeck's remark: "cycle: this Kustomization is already expanded above"
//!   trace?:     {synced, ready, status, resource?}  // Crossplane trees: "True"|"False"|"Unknown"|"-", trace's
//!                                      // STATUS (whole message), composition-resource-name annotation
//!   children?:  [TreeNode]             // in display order
//! }
//! ConditionRow { type, status: "True"|"False"|"Unknown", severity?: "Error"|"Warning"|"Info", reason?,
//!                message?, lastTransitionTime?, abnormal? }
//! ```
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::conditions::{Condition, ConditionStatus, Severity, is_abnormal};
use super::kinds::KindId;
use super::status::Health;
use super::store::{FleetStore, KindState, StoredObject};

fn is_false(b: &bool) -> bool {
    !*b
}

/// One node of a tree. See the module docs for its JSON form. Rarely set parts are boxed: a Flux tree has
/// thousands of nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeNode {
    /// Stable key: [`object_id`] for objects, `<parent id>><name>` for virtual nodes.
    pub id: String,
    /// What the node is.
    pub label: Label,
    /// Health of the object (`None` for virtual nodes and objects fleetdeck cannot see).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<Box<Health>>,
    /// clusterctl's columns (CAPI trees only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub columns: Option<Box<CapiColumns>>,
    /// Condition rows, when `--show-conditions` selected this node (CAPI trees only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<ConditionRow>>,
    /// Set on a clusterctl group row ("3 Machines...").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Box<Group>>,
    /// `metadata.deletionTimestamp` is set.
    #[serde(skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// The object applies to another cluster (`spec.kubeConfig`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<Box<RemoteLink>>,
    /// Why the object could not be shown from the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Missing>,
    /// Where the object's content comes from (Flux `sourceRef`/`chartRef`, Terraform `sourceRef`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Box<ObjectRef>>,
    /// The revision applied (`lastAppliedRevision`, chart version, artifact revision).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// `spec.dependsOn`, as `namespace/name`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The managed topology of a Cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topology: Option<Box<Topology>>,
    /// CAPI trees: the version clusterctl v1.14 prints after the row name (`Machine ns/name, v1.33.4`); `Some("")`
    /// where it prints the separator with nothing after it (see [`CapiNames::V1_14`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// A remark of fleetdeck's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// `crossplane resource trace`'s columns (Crossplane trees only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Box<TraceRow>>,
    /// Children, in display order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeNode>,
}

/// What a node stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Label {
    /// A Kubernetes object (found in the store or not).
    Object(ObjectLabel),
    /// A node that is no object: "Workers", "Other", a group row, a Terraform plan or output.
    Virtual {
        /// The text shown.
        name: String,
    },
}

/// A Kubernetes object's identity, with clusterctl's meta name (`ClusterInfrastructure`, `ControlPlane`,
/// `MachineInfrastructure`, `BootstrapConfig`, `MachinePoolInfrastructure`) or fleetdeck's (`dependsOn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectLabel {
    /// The kubeconfig (or derived) context the object lives in; `""` when unknown (unresolved remote).
    pub context: String,
    /// API group, `""` for core (borrowed from the catalogue for watched kinds: trees have thousands).
    pub group: Cow<'static, str>,
    /// Kind.
    pub kind: Cow<'static, str>,
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Prefix clusterctl shows before `Kind/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_name: Option<String>,
}

/// Kinds that fill inventories but that fleetdeck does not watch: their labels borrow these strings.
const COMMON_KINDS: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "ConfigMap"),
    ("", "Service"),
    ("", "ServiceAccount"),
    ("", "Secret"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
];

impl ObjectLabel {
    /// A label without meta name.
    pub fn new(context: &str, group: &str, kind: &str, namespace: &str, name: &str) -> ObjectLabel {
        ObjectLabel::with_kind(context, KindId::find(group, kind), group, kind, namespace, name)
    }

    /// [`ObjectLabel::new`] with the kind already found in the catalogue (`None`: not watched).
    pub fn with_kind(
        context: &str,
        id: Option<KindId>,
        group: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> ObjectLabel {
        let known = id.map(|id| (id.spec().group, id.spec().kind));
        let (group, kind) = match known.or_else(|| COMMON_KINDS.iter().copied().find(|k| *k == (group, kind))) {
            Some((g, k)) => (Cow::Borrowed(g), Cow::Borrowed(k)),
            None => (Cow::Owned(group.to_string()), Cow::Owned(kind.to_string())),
        };
        ObjectLabel {
            context: context.into(),
            group,
            kind,
            namespace: namespace.into(),
            name: name.into(),
            meta_name: None,
        }
    }

    /// `Kind/namespace/name`, or `Kind/name` when cluster-scoped: fluxcd/pkg `ssa/utils` `FmtObjMetadata`.
    pub fn flux_text(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Which clusterctl release line's row names a CAPI tree prints (cluster-api `internal/util/tree/tree.go`
/// `getRowName`; the format changed in v1.14.0, cluster-api b4d30f7f). Sibling order follows the printed name,
/// so it depends on this too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize)]
pub enum CapiNames {
    /// v1.14 and later: `Kind namespace/name` (just `name` when cluster-scoped, as `klog.KObj` prints it), then
    /// `, <version>` for a Cluster with a topology (`spec.topology.version`), a ControlPlane-contract object
    /// with `spec.version`, and always for MachineDeployment, MachineSet, MachinePool
    /// (`spec.template.spec.version`) and Machine (`spec.version`), even when empty; no meta names.
    #[default]
    #[serde(rename = "v1.14")]
    V1_14,
    /// v1.12-v1.13: `Kind/name`, and `MetaName - Kind/name` for the objects a Cluster or Machine references
    /// (`ClusterInfrastructure - `, `ControlPlane - `, `MachineInfrastructure - `, `BootstrapConfig - `,
    /// `MachinePoolInfrastructure - `).
    #[serde(rename = "v1.13")]
    V1_13,
}

impl CapiNames {
    /// Parses `v1.14` / `v1.13` (also without the `v`); `None` for anything else.
    pub fn parse(text: &str) -> Option<CapiNames> {
        match text.trim().trim_start_matches('v') {
            "1.14" => Some(CapiNames::V1_14),
            "1.13" => Some(CapiNames::V1_13),
            _ => None,
        }
    }
}

/// Which status shape a CAPI tree reads, as `clusterctl describe cluster` (v1.11+) does by default
/// (v1beta2 conditions) or with the deprecated `--v1beta2=false` (v1beta1 conditions with severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum CapiMode {
    /// Available/Ready/UpToDate conditions and replica counters.
    #[serde(rename = "v1beta2")]
    V1Beta2,
    /// The Ready condition with its severity.
    #[serde(rename = "v1beta1")]
    V1Beta1,
}

/// The columns `clusterctl describe cluster` prints for a row (cluster-api `internal/util/tree/tree.go`
/// `newRowDescriptor` for v1beta2, `addObjectRowV1Beta1` for v1beta1). Counters are strings as clusterctl
/// prints them: `"3/3"` replicas (current/desired), `"2"` for available/ready/up-to-date; `None` = blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapiColumns {
    /// Which columns these are.
    pub mode: CapiMode,
    /// REPLICAS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<String>,
    /// AVAILABLE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<String>,
    /// READY (the counter; v1beta1 mode's READY column is `condition.status`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<String>,
    /// UP TO DATE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub up_to_date: Option<String>,
    /// The condition of the row: Available (Cluster, MachineDeployment, control planes) or Ready (the rest);
    /// Ready with severity in v1beta1 mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<ConditionRow>,
}

impl CapiColumns {
    /// Columns with only a condition (v1beta1 rows, unstructured objects).
    pub fn new(mode: CapiMode, condition: Option<ConditionRow>) -> CapiColumns {
        CapiColumns { mode, replicas: None, available: None, ready: None, up_to_date: None, condition }
    }
}

/// One condition as a row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConditionRow {
    /// Condition type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Status.
    pub status: ConditionStatus,
    /// v1beta1 severity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Reason.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Message, unwrapped (renderers wrap it).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// lastTransitionTime (a group's Ready carries the oldest of its members').
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Timestamp>,
    /// Off its normal status for its polarity ([`is_abnormal`]).
    #[serde(skip_serializing_if = "is_false")]
    pub abnormal: bool,
}

impl From<&Condition> for ConditionRow {
    fn from(c: &Condition) -> Self {
        ConditionRow {
            type_: c.type_.clone(),
            status: c.status,
            severity: c.severity,
            reason: c.reason.clone(),
            message: c.message.clone(),
            last_transition_time: c.last_transition_time,
            abnormal: is_abnormal(c),
        }
    }
}

/// A clusterctl group row: siblings of one kind whose Available, Ready and UpToDate (v1beta1: Ready's
/// status, severity and reason) agree (cluster-api `cmd/clusterctl/client/tree/tree.go` `Add`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Kind of the members.
    pub kind: String,
    /// Number of members.
    pub count: usize,
    /// Member names, sorted (clusterctl's message shows the first two: `See a, b, ...`).
    pub names: Vec<String>,
}

/// A link to the cluster an object applies to, from `spec.kubeConfig.secretRef`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteLink {
    /// `namespace/name` of the kubeconfig Secret (`None` for `spec.kubeConfig.configMapRef`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<String>,
    /// The fleet context the Secret resolves to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Whether that context is in the store (so the tree follows into it).
    pub found: bool,
}

/// Why a node's object is not shown from the store. Only `NotFound` claims the object does not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum Missing {
    /// Its kind is synced in that context and the object is not there.
    NotFound,
    /// fleetdeck does not watch its kind (not in [`super::kinds::CATALOGUE`], or a Secret).
    NotWatched,
    /// Its kind is watched but not synced there (syncing, forbidden, CRD missing, error): unknown.
    NotSynced {
        /// The kind's state, `None` before the first message about it.
        state: Option<KindState>,
    },
    /// The context is not in the fleet (a remote cluster fleetdeck cannot reach).
    NoContext,
    /// An unwatched inventory entry that was read and could not be (kind not served, forbidden, no answer).
    Unreadable {
        /// Why, for people.
        error: String,
    },
    /// A Flux inventory id that does not parse.
    InvalidId {
        /// The parse error.
        error: String,
    },
}

/// A row of `crossplane resource trace` (crossplane `cmd/crank/beta/trace/internal/printer/default.go`
/// `getResourceStatus`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceRow {
    /// The `Synced` condition's status, `-` when absent.
    pub synced: String,
    /// The `Ready` condition's status, `-` when absent.
    pub ready: String,
    /// STATUS, whole (the text renderer cuts long messages as trace does): `Deleting`; `Error: <why>`; Ready's
    /// reason when both are True; else `<reason>: <message>` of Synced when it is not True, else of Ready.
    pub status: String,
    /// The `crossplane.io/composition-resource-name` annotation (trace's `wide` RESOURCE column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// A reference to an object: `Kind/namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// A Cluster's managed topology (`spec.topology`): ClusterClass and Kubernetes version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Topology {
    /// `classRef.name` (v1beta2) or `class` (v1beta1).
    pub class: String,
    /// `classRef.namespace` / `classNamespace`, when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_namespace: Option<String>,
    /// `version`.
    pub version: String,
}

/// `Value::pointer` for the literal paths the builders use (`/status/conditions`, `/status/history/0/x`; no
/// `~` escapes), without its two allocations per segment: the builders walk thousands of objects.
pub(crate) fn at<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    pointer.split('/').skip(1).try_fold(value, |v, segment| match v {
        Value::Object(map) => map.get(segment),
        Value::Array(list) => list.get(segment.parse::<usize>().ok()?),
        _ => None,
    })
}

/// The stable id of an object node: `<context>/<group>/<kind>/<namespace>/<name>` (empty parts kept).
pub fn object_id(context: &str, group: &str, kind: &str, namespace: &str, name: &str) -> String {
    [context, group, kind, namespace, name].join("/")
}

impl TreeNode {
    /// A node with only an id and a label.
    pub fn new(id: String, label: Label) -> TreeNode {
        TreeNode {
            id,
            label,
            health: None,
            columns: None,
            conditions: None,
            group: None,
            deleted: false,
            remote: None,
            missing: None,
            source: None,
            revision: None,
            depends_on: Vec::new(),
            topology: None,
            version: None,
            note: None,
            trace: None,
            children: Vec::new(),
        }
    }

    /// A virtual node under `parent_id`.
    pub fn virtual_node(parent_id: &str, name: impl Into<String>) -> TreeNode {
        let name = name.into();
        TreeNode::new(format!("{parent_id}>{name}"), Label::Virtual { name })
    }

    /// An object node, with health and deletion from `found` when the store has it.
    pub fn object(label: ObjectLabel, found: Option<&StoredObject>) -> TreeNode {
        let id = object_id(&label.context, &label.group, &label.kind, &label.namespace, &label.name);
        let mut node = TreeNode::new(id, Label::Object(label));
        if let Some(o) = found {
            node.health = Some(Box::new(o.health.clone()));
            node.deleted = o.obj().metadata.deletion_timestamp.is_some();
        }
        node
    }
}

/// What a tree read from the store: a kind in a context (its [`super::store::KindEntry::revision`]), or
/// whether a context exists and which kinds it has ([`super::store::ContextEntry::kinds_revision`]).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Dep {
    Kind(String, KindId),
    Context(String),
}

/// The result of looking an object up through a [`StoreView`].
#[derive(Debug)]
pub enum Lookup<'a> {
    /// In the store.
    Found(&'a Arc<StoredObject>),
    /// Not shown from the store, and why.
    Missing(Missing),
}

/// Read access to a [`FleetStore`] that remembers which (context, kind) pairs and contexts were read, so a
/// [`TreeCache`] knows when a tree is stale. Interior mutability only records reads.
pub struct StoreView<'a> {
    store: &'a FleetStore,
    /// A handful of entries per tree: a Vec searched without allocating beats a map.
    reads: RefCell<Vec<(Dep, Option<u64>)>>,
    /// The (namespace, name) key of the last lookup, reused so that lookups do not allocate.
    key: RefCell<(String, String)>,
}

impl<'a> StoreView<'a> {
    /// A view of `store` with nothing read yet.
    pub fn new(store: &'a FleetStore) -> Self {
        StoreView { store, reads: RefCell::new(Vec::new()), key: RefCell::new((String::new(), String::new())) }
    }

    fn note(&self, context: &str, kind: Option<KindId>) {
        let mut reads = self.reads.borrow_mut();
        let known = reads.iter().any(|(dep, _)| match (dep, kind) {
            (Dep::Kind(c, k), Some(kind)) => *k == kind && c == context,
            (Dep::Context(c), None) => c == context,
            _ => false,
        });
        if !known {
            let dep = match kind {
                Some(kind) => Dep::Kind(context.to_string(), kind),
                None => Dep::Context(context.to_string()),
            };
            let value = current(self.store, &dep);
            reads.push((dep, value));
        }
    }

    /// Whether `context` is in the store.
    pub fn has_context(&self, context: &str) -> bool {
        self.note(context, None);
        self.store.context(context).is_some()
    }

    /// Why `context`'s server does not serve `group`/`kind` (a kind a Crossplane composite references), if
    /// it said so ([`super::store::ContextEntry::unserved`]).
    pub fn unserved(&self, context: &str, group: &str, kind: &str) -> Option<&'a str> {
        self.note(context, None);
        let ctx = self.store.context(context)?;
        ctx.unserved.get(&(group.to_string(), kind.to_string())).map(String::as_str)
    }

    /// Every object of `kind` in `context`, ordered by (namespace, name).
    pub fn list(&self, context: &str, kind: KindId) -> impl Iterator<Item = &'a Arc<StoredObject>> {
        self.note(context, Some(kind));
        self.store.objects(context, kind)
    }

    /// Looks an object up by group and kind. Only claims [`Missing::NotFound`] when the kind is Synced in
    /// that context; a kind outside the catalogue is [`Missing::NotWatched`]; a context not in the store is
    /// [`Missing::NoContext`]; any other kind state is [`Missing::NotSynced`] (an Error state keeps the last
    /// good list, so an object found there is still shown).
    pub fn lookup(&self, context: &str, group: &str, kind: &str, namespace: &str, name: &str) -> Lookup<'a> {
        self.lookup_kind(context, KindId::find(group, kind), namespace, name)
    }

    /// [`StoreView::lookup`] with the kind already found in the catalogue (`None`: not watched).
    pub fn lookup_kind(&self, context: &str, kind: Option<KindId>, namespace: &str, name: &str) -> Lookup<'a> {
        let Some(id) = kind else {
            return Lookup::Missing(Missing::NotWatched);
        };
        self.note(context, Some(id));
        let Some(ctx) = self.store.context(context) else {
            self.note(context, None);
            return Lookup::Missing(Missing::NoContext);
        };
        let namespace = if id.spec().namespaced { namespace } else { "" };
        let entry = ctx.kinds.get(&id);
        let mut key = self.key.borrow_mut();
        key.0.clear();
        key.0.push_str(namespace);
        key.1.clear();
        key.1.push_str(name);
        if let Some(found) = entry.and_then(|e| e.objects.get(&*key)) {
            return Lookup::Found(found);
        }
        let state = entry.and_then(|e| e.state);
        Lookup::Missing(if state == Some(KindState::Synced) { Missing::NotFound } else { Missing::NotSynced { state } })
    }

    fn into_deps(self) -> Vec<(Dep, Option<u64>)> {
        self.reads.into_inner()
    }
}

fn current(store: &FleetStore, dep: &Dep) -> Option<u64> {
    match dep {
        Dep::Context(c) => store.context(c).map(|c| c.kinds_revision),
        Dep::Kind(c, k) => store.context(c)?.kinds.get(k).map(|e| e.revision),
    }
}

struct Cached {
    tree: Option<TreeNode>,
    deps: Vec<(Dep, Option<u64>)>,
}

/// Remembers built trees with the store revisions they read, and rebuilds one only when a (context, kind)
/// it read changed revision (or a context it looked for appeared or vanished).
///
/// The key must name everything else the build depends on (root object, options, remote resolution); call
/// [`TreeCache::invalidate`] or [`TreeCache::clear`] when such an outside input changes. Limitation: a
/// context removed and registered again starts its kind revisions from 0 and could repeat an old revision;
/// callers that re-register contexts should [`TreeCache::clear`].
#[derive(Default)]
pub struct TreeCache {
    entries: HashMap<String, Cached>,
    builds: u64,
}

impl TreeCache {
    /// An empty cache.
    pub fn new() -> Self {
        TreeCache::default()
    }

    /// The tree under `key`, rebuilt with `build` when missing or stale.
    pub fn get_or_build(
        &mut self,
        store: &FleetStore,
        key: &str,
        build: impl FnOnce(&StoreView<'_>) -> Option<TreeNode>,
    ) -> Option<&TreeNode> {
        let fresh = self.entries.get(key).is_some_and(|c| c.deps.iter().all(|(dep, rev)| current(store, dep) == *rev));
        if !fresh {
            let view = StoreView::new(store);
            let tree = build(&view);
            self.builds += 1;
            let deps = view.into_deps();
            self.entries.insert(key.to_string(), Cached { tree, deps });
        }
        self.entries.get(key).and_then(|c| c.tree.as_ref())
    }

    /// The tree under `key` as last built (fresh only right after [`TreeCache::get_or_build`]).
    pub fn get(&self, key: &str) -> Option<&TreeNode> {
        self.entries.get(key).and_then(|c| c.tree.as_ref())
    }

    /// Forgets the tree under `key`.
    pub fn invalidate(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Forgets every tree.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// How many builds ran since the cache was made (a cache hit builds nothing).
    pub fn builds(&self) -> u64 {
        self.builds
    }
}

#[cfg(test)]
#[path = "trees_tests/mod.rs"]
mod trees_tests;
