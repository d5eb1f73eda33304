//! The tree `clusterctl describe cluster` draws, built from the store (pure).
//!
//! Discovery follows cluster-api `cmd/clusterctl/client/tree/discovery.go` `Discovery`, grouping, echo and
//! show-conditions `cmd/clusterctl/client/tree/tree.go` `ObjectTree.Add`, condition reading `util.go`; row
//! columns come from [`super::tree_text::capi_columns`]. Root: the Cluster, with `ClusterInfrastructure -`
//! its infrastructureRef and `ControlPlane -` its controlPlaneRef (a grouping parent of the Machines labelled
//! `cluster.x-k8s.io/control-plane`); virtual `Workers` only when a worker Machine or a MachinePool exists,
//! holding each MachineDeployment (only when a worker Machine exists) with the Machines of its MachineSets
//! (the MachineSets themselves, grouping instead of the MD, with `show_machine_sets`) and each MachinePool
//! with its BootstrapConfig, `MachinePoolInfrastructure` and Machines; Machines placed nowhere under virtual
//! `Other` in `Workers` (ungrouped; when `Workers` is not shown upstream attaches `Other` to nothing, so they
//! vanish, here too). Each visible Machine gets `MachineInfrastructure`/`BootstrapConfig` children, dropped
//! unless `echo` when their Ready is True or equals the Machine's (v1beta2 status+reason, v1beta1 also
//! severity; both missing count as equal). With `grouping`, Machines under a grouping parent whose Available,
//! Ready and UpToDate (v1beta1: Ready) agree collapse into a group row and lose their children. Children sort
//! by z-order (0 for all: templates are not shown) then row name.
//!
//! Referenced objects of any kind are looked up by the reference's group and kind. fleetdeck differs only
//! where the store cannot know: a kind it does not watch or has not synced gives a node marked [`Missing`]
//! (presumed present, state unknown); a missing `ClusterInfrastructure` (upstream: the command fails) gives
//! a `NotFound` node; other objects not found are skipped, as upstream skips them. Not supported:
//! `--show-templates`, `--show-resourcesets`. With [`CapiTreeOptions::health_checks`] (the cockpit; the CLI's
//! `--show-health-checks`), fleetdeck adds what clusterctl does not show: the Cluster's MachineHealthChecks and
//! the Machines failing one (`model::remediation`).
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use serde_json::Value;

use super::conditions::{Condition, ConditionStatus, Severity, conditions_at, find, is_abnormal, timestamp};
use super::kinds::{Family, KindId, KindSet};
use super::remediation::{HealthCheck, MachineHealth};
use super::store::{FleetStore, StoredObject};
use super::tree::{
    CapiColumns, CapiMode, CapiNames, ConditionRow, Group, Label, Lookup, Missing, ObjectLabel, StoreView, Topology,
    TreeNode, at,
};
use super::tree_text::{capi_columns, capi_row_name, group_row_name};

pub use super::show_conditions::{ConditionFilter, ShowConditions};

const CAPI: &str = "cluster.x-k8s.io";
const CLUSTER_NAME_LABEL: &str = "cluster.x-k8s.io/cluster-name";
const CONTROL_PLANE_LABEL: &str = "cluster.x-k8s.io/control-plane";
/// The reason cluster-api gives a converted condition that has none (`util/conditions` `NoReasonReported`).
const NO_REASON_REPORTED: &str = "NoReasonReported";
/// Condition types only v1beta2 status has (a v1beta1-shaped object never carries them).
const V1BETA2_ONLY: &[&str] = &["Available", "Paused", "Deleting", "RollingOut", "UpToDate"];

/// Options of [`cluster_tree`], the flags of `clusterctl describe cluster`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapiTreeOptions {
    /// `--show-conditions`: which objects list their conditions, all of them or (NonZero, v1beta2 only) only
    /// Available, Ready and those abnormal for their polarity or with a message (cluster-api
    /// `internal/util/tree/tree.go` `conditionIsZero`); otherwise all, in the object's order (v1beta1: all but
    /// Ready, by type).
    pub show_conditions: ShowConditions,
    /// `--grouping` (default true).
    pub grouping: bool,
    /// `--echo` (default false).
    pub echo: bool,
    /// `--show-machinesets` (default false).
    pub show_machine_sets: bool,
    /// Force a mode; `None` picks v1beta1 only for a Cluster without any v1beta2 status ([`auto_mode`]).
    pub mode: Option<CapiMode>,
    /// The release line whose row names (and so sibling order) the tree follows.
    pub names: CapiNames,
    /// fleetdeck's addition (clusterctl shows no MachineHealthChecks): the Cluster's MachineHealthChecks as
    /// the root's last children, each with a note from [`HealthCheck::summary`], and Machines failing a
    /// health check shown alone (never grouped) with [`MachineHealth::note`]. Off by default, so the text
    /// is clusterctl's.
    pub health_checks: bool,
}

impl Default for CapiTreeOptions {
    fn default() -> Self {
        CapiTreeOptions {
            show_conditions: ShowConditions::none(),
            grouping: true,
            echo: false,
            show_machine_sets: false,
            mode: None,
            names: CapiNames::default(),
            health_checks: false,
        }
    }
}

/// The kinds a Cluster API tree reads (`fleetdeck tree --kind cluster` watches only these): the Cluster API
/// family of the catalogue.
pub fn kinds() -> KindSet {
    KindSet::family(Family::ClusterApi)
}

/// The mode `clusterctl describe` would be useful in for this Cluster: v1beta1 when the object carries no
/// v1beta2 status at all (a CAPI older than v1.9), else v1beta2 (clusterctl's default since v1.11).
pub fn auto_mode(cluster: &DynamicObject) -> CapiMode {
    if at(&cluster.data, "/status/v1beta2/conditions").is_some() || v1beta2_shaped(cluster) {
        CapiMode::V1Beta2
    } else {
        CapiMode::V1Beta1
    }
}

/// The tree of Cluster `namespace/name` in `context`, or `None` when the store has no such Cluster.
pub fn cluster_tree(
    store: &FleetStore,
    context: &str,
    namespace: &str,
    name: &str,
    opts: &CapiTreeOptions,
) -> Option<TreeNode> {
    cluster_tree_with(&StoreView::new(store), context, namespace, name, opts)
}

/// [`cluster_tree`] through a [`StoreView`] (for [`super::tree::TreeCache`]).
pub fn cluster_tree_with(
    view: &StoreView<'_>,
    context: &str,
    namespace: &str,
    name: &str,
    opts: &CapiTreeOptions,
) -> Option<TreeNode> {
    let Lookup::Found(cluster) = view.lookup(context, CAPI, "Cluster", namespace, name) else {
        return None;
    };
    let mode = opts.mode.unwrap_or_else(|| auto_mode(cluster.obj()));
    let capi = Capi { view, ctx: context, ns: namespace, cluster: name, opts, mode };
    let mut root = capi.build(cluster);
    sort(&mut root, opts.names);
    if opts.health_checks {
        capi.add_health_checks(&mut root);
    }
    Some(root)
}

struct Capi<'v, 'a> {
    view: &'v StoreView<'a>,
    ctx: &'v str,
    ns: &'v str,
    cluster: &'v str,
    opts: &'v CapiTreeOptions,
    mode: CapiMode,
}

/// The status and reason (v1beta1: and severity) grouping and echo compare.
type Sig = Option<(ConditionStatus, Option<Severity>, String)>;

/// A node being built, with the object and Ready condition its children's echo check needs.
struct Item<'a> {
    node: TreeNode,
    obj: Option<&'a StoredObject>,
    ready: Option<Condition>,
}

/// An object reference: v1beta2 `{apiGroup, kind, name}` or v1beta1 `{apiVersion, kind, name, namespace}`.
struct Ref {
    group: String,
    kind: String,
    name: String,
}

impl<'a> Capi<'_, 'a> {
    fn build(&self, cluster: &'a Arc<StoredObject>) -> TreeNode {
        let mut root = self.item(cluster, CAPI, "Cluster", None, false);
        root.node.topology = topology(&cluster.obj().data).map(Box::new);
        let data = &cluster.obj().data;
        if let Some(r) = reference(data, "/spec/infrastructureRef") {
            root.node.children.push(self.resolve(&r, "ClusterInfrastructure", false).0.node);
        }
        let control_plane = reference(data, "/spec/controlPlaneRef")
            .map(|r| self.resolve(&r, "ControlPlane", true))
            .and_then(|(item, not_found)| (!not_found).then_some(item));
        let machines = self.in_cluster("Machine");
        let cp_machines: Vec<_> =
            machines.iter().copied().filter(|m| label(m, CONTROL_PLANE_LABEL).is_some()).collect();
        let mut by_controller: HashMap<(String, String), Vec<&'a StoredObject>> = HashMap::new();
        for m in &machines {
            if let Some(key) = controller(m) {
                by_controller.entry(key).or_default().push(m);
            }
        }
        let mut placed: HashSet<&str> = HashSet::new();
        if let Some(mut cp) = control_plane {
            self.place_machines(&mut cp, &cp_machines, self.opts.grouping, &mut placed);
            root.node.children.push(cp.node);
        }
        let pools = self.in_cluster("MachinePool");
        let mut workers = TreeNode::virtual_node(&root.node.id, "Workers");
        if machines.len() != cp_machines.len() {
            let sets = self.in_cluster("MachineSet");
            for md in self.in_cluster("MachineDeployment") {
                let mut md_item = self.item(md, CAPI, "MachineDeployment", None, false);
                let mut md_machines = Vec::new();
                for ms in sets
                    .iter()
                    .filter(|ms| controller(ms).is_some_and(|(k, n)| k == "MachineDeployment" && n == name(md)))
                {
                    let key = ("MachineSet".to_string(), name(ms).to_string());
                    let owned = by_controller.get(&key).map(Vec::as_slice).unwrap_or(&[]);
                    if self.opts.show_machine_sets {
                        let mut ms_item = self.item(ms, CAPI, "MachineSet", None, false);
                        self.place_machines(&mut ms_item, owned, self.opts.grouping, &mut placed);
                        md_item.node.children.push(ms_item.node);
                    } else {
                        md_machines.extend_from_slice(owned);
                    }
                }
                let grouping = self.opts.grouping && !self.opts.show_machine_sets;
                self.place_machines(&mut md_item, &md_machines, grouping, &mut placed);
                workers.children.push(md_item.node);
            }
        }
        for mp in &pools {
            let mut mp_item = self.item(mp, CAPI, "MachinePool", None, false);
            self.echo_child(&mut mp_item, "/spec/template/spec/bootstrap/configRef", "BootstrapConfig");
            let infra = "/spec/template/spec/infrastructureRef";
            self.echo_child(&mut mp_item, infra, "MachinePoolInfrastructure");
            let key = ("MachinePool".to_string(), name(mp).to_string());
            let owned = by_controller.get(&key).map(Vec::as_slice).unwrap_or(&[]);
            self.place_machines(&mut mp_item, owned, self.opts.grouping, &mut placed);
            workers.children.push(mp_item.node);
        }
        let orphans: Vec<_> = machines.iter().copied().filter(|m| !placed.contains(name(m))).collect();
        if !orphans.is_empty() {
            let mut other = Item { node: TreeNode::virtual_node(&workers.id, "Other"), obj: None, ready: None };
            self.place_machines(&mut other, &orphans, false, &mut placed);
            workers.children.push(other.node);
        }
        if machines.len() != cp_machines.len() || !pools.is_empty() {
            root.node.children.push(workers);
        }
        root.node
    }

    /// Appends the Cluster's MachineHealthChecks (`spec.clusterName`, in its namespace) to `root`, by name.
    fn add_health_checks(&self, root: &mut TreeNode) {
        let mut checks: Vec<&StoredObject> = self
            .view
            .list(self.ctx, KindId::MACHINE_HEALTH_CHECK)
            .filter(|o| o.namespace() == self.ns)
            .filter(|o| o.obj().data.pointer("/spec/clusterName").and_then(Value::as_str) == Some(self.cluster))
            .map(Arc::as_ref)
            .collect();
        checks.sort_by(|a, b| name(a).cmp(name(b)));
        for o in checks {
            let mut item = self.item(o, CAPI, "MachineHealthCheck", None, false);
            item.node.note = Some(HealthCheck::read(name(o), &o.obj().data).summary());
            root.children.push(item.node);
        }
    }

    /// The objects of `kind` (group `cluster.x-k8s.io`) in the Cluster's namespace labelled with its name.
    fn in_cluster(&self, kind: &str) -> Vec<&'a StoredObject> {
        let Some(id) = KindId::find(CAPI, kind) else {
            return Vec::new();
        };
        self.view
            .list(self.ctx, id)
            .filter(|o| o.namespace() == self.ns)
            .filter(|o| label(o, CLUSTER_NAME_LABEL) == Some(self.cluster))
            .map(Arc::as_ref)
            .collect()
    }

    /// Adds Machines under `parent`, grouped when `grouping`; visible ones get their echo-filtered
    /// InfraMachine and BootstrapConfig. Grouping reads each Machine's [`Quick`] key and builds a full node
    /// only for Machines left alone and for the first member of each group.
    fn place_machines(
        &self,
        parent: &mut Item<'a>,
        machines: &[&'a StoredObject],
        grouping: bool,
        placed: &mut HashSet<&'a str>,
    ) {
        placed.extend(machines.iter().map(|m| name(m)));
        let mut singles = Vec::new();
        if grouping {
            let mut buckets: Vec<(Quick, Vec<&'a StoredObject>)> = Vec::new();
            let mut index: HashMap<Vec<Sig>, usize> = HashMap::new();
            for m in machines {
                let alone = self.opts.health_checks && MachineHealth::check_failed(&m.obj().data);
                let Some(quick) = self.quick(m).filter(|_| !alone) else {
                    singles.push(*m);
                    continue;
                };
                match index.get(&quick.key) {
                    Some(&i) => {
                        let bucket = &mut buckets[i];
                        bucket.0.since = bucket.0.since.into_iter().chain(quick.since).min();
                        bucket.1.push(m);
                    }
                    None => {
                        index.insert(quick.key.clone(), buckets.len());
                        buckets.push((quick, vec![m]));
                    }
                }
            }
            for (quick, members) in buckets {
                if members.len() >= 2 {
                    parent.node.children.push(self.group(&parent.node.id, &quick, &members));
                } else {
                    singles.extend(members);
                }
            }
        } else {
            singles.extend_from_slice(machines);
        }
        for m in singles {
            let mut machine = self.item(m, CAPI, "Machine", None, false);
            if self.opts.health_checks {
                machine.node.note = MachineHealth::of(m).note();
            }
            self.echo_child(&mut machine, "/spec/infrastructureRef", "MachineInfrastructure");
            self.echo_child(&mut machine, "/spec/bootstrap/configRef", "BootstrapConfig");
            parent.node.children.push(machine.node);
        }
    }

    /// Adds the object `pointer` of the parent's object refers to, unless it is an echo of the parent.
    fn echo_child(&self, parent: &mut Item<'a>, pointer: &str, meta: &str) {
        let Some(r) = parent.obj.and_then(|o| reference(&o.obj().data, pointer)) else {
            return;
        };
        let (child, not_found) = self.resolve(&r, meta, false);
        if not_found {
            return;
        }
        if !self.opts.echo {
            let ready_true = child.ready.as_ref().is_some_and(Condition::is_true);
            if ready_true || self.sig(parent.ready.as_ref()) == self.sig(child.ready.as_ref()) {
                return;
            }
        }
        parent.node.children.push(child.node);
    }

    /// The node of a referenced object, or a placeholder marked [`Missing`]; `true` when it is `NotFound`.
    fn resolve(&self, r: &Ref, meta: &str, cp_contract: bool) -> (Item<'a>, bool) {
        let missing = match self.view.lookup(self.ctx, &r.group, &r.kind, self.ns, &r.name) {
            Lookup::Found(o) => return (self.item(o, &r.group, &r.kind, Some(meta), cp_contract), false),
            Lookup::Missing(m) => m,
        };
        let label = ObjectLabel {
            meta_name: Some(meta.to_string()),
            ..ObjectLabel::new(self.ctx, &r.group, &r.kind, self.ns, &r.name)
        };
        let mut item = Item { node: TreeNode::object(label, None), obj: None, ready: None };
        let not_found = missing == Missing::NotFound;
        item.node.missing = Some(missing);
        (item, not_found)
    }

    fn sig(&self, c: Option<&Condition>) -> Sig {
        let severity = |c: &Condition| match self.mode {
            CapiMode::V1Beta2 => None,
            CapiMode::V1Beta1 => c.severity,
        };
        c.map(|c| (c.status, severity(c), c.reason.clone()))
    }

    /// The node of a stored object with its columns, grouping key and (when selected) condition rows.
    fn item(&self, o: &'a StoredObject, group: &str, kind: &str, meta: Option<&str>, cp_contract: bool) -> Item<'a> {
        let obj = o.obj();
        let namespace = obj.metadata.namespace.as_deref().unwrap_or_default();
        let label = ObjectLabel {
            meta_name: meta.map(str::to_string),
            ..ObjectLabel::new(self.ctx, group, kind, namespace, name(o))
        };
        let typed =
            group == CAPI && matches!(kind, "Cluster" | "MachineDeployment" | "MachineSet" | "Machine" | "MachinePool");
        let mut node = TreeNode::object(label, Some(o));
        node.version = row_version(&obj.data, kind, typed, cp_contract);
        let conds = self.conditions(obj, typed);
        let ready = find(&conds, "Ready");
        let abc = match self.mode {
            CapiMode::V1Beta2 => [find(&conds, "Available"), ready, find(&conds, "UpToDate").filter(|_| typed)],
            CapiMode::V1Beta1 => [None, ready, None],
        };
        node.columns = Some(Box::new(capi_columns(obj, self.mode, kind, typed, cp_contract, abc)));
        if let Some(filter) = self.opts.show_conditions.filter(kind, name(o)) {
            node.conditions = Some(self.condition_rows(&conds, filter));
        }
        Item { node, obj: Some(o), ready: ready.cloned() }
    }

    /// The rows of a selected object: v1beta2 all conditions in order, or with the NonZero filter only
    /// Available, Ready and those abnormal for their polarity or with a message (upstream
    /// `conditionIsZero`); v1beta1 all but Ready, sorted by type (`GetOtherV1Beta1Conditions`).
    fn condition_rows(&self, conds: &[Condition], filter: ConditionFilter) -> Vec<ConditionRow> {
        if self.mode == CapiMode::V1Beta1 {
            let mut others: Vec<_> = conds.iter().filter(|c| c.type_ != "Ready").collect();
            others.sort_by(|a, b| a.type_.cmp(&b.type_));
            return others.into_iter().map(ConditionRow::from).collect();
        }
        let zero = |c: &&Condition| {
            filter == ConditionFilter::NonZero
                && !matches!(c.type_.as_str(), "Available" | "Ready")
                && !is_abnormal(c)
                && c.message.is_empty()
        };
        conds.iter().filter(|c| !zero(c)).map(ConditionRow::from).collect()
    }

    /// The grouping key of a Machine (always typed): Available, Ready, UpToDate (v1beta1: Ready) read
    /// straight from the condition list [`Capi::item`] would parse, so that Machines that end up in a group
    /// are never fully parsed. `None` (the Machine is then shown alone, its row telling what is wrong) when
    /// the list holds a non-object or a wanted condition a non-string field, which [`conditions_at`] rejects.
    fn quick(&self, o: &StoredObject) -> Option<Quick> {
        let types: &[&str] = match self.mode {
            CapiMode::V1Beta2 => &["Available", "Ready", "UpToDate"],
            CapiMode::V1Beta1 => &["Ready"],
        };
        let list = conditions_pointer(o.obj(), self.mode, true).and_then(|p| at(&o.obj().data, p));
        let list = list.and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        if !list.iter().all(Value::is_object) {
            return None;
        }
        let mut quick = Quick { key: Vec::with_capacity(types.len()), trues: [false; 3], since: None };
        for (i, type_) in types.iter().enumerate() {
            let Some(c) = list.iter().find(|c| c.get("type").and_then(Value::as_str) == Some(type_)) else {
                quick.key.push(None);
                continue;
            };
            let text = |k: &str| match c.get(k) {
                None | Some(Value::Null) => Some(""),
                Some(v) => v.as_str(),
            };
            let (status, reason, severity) = (text("status")?, text("reason")?, text("severity")?);
            let status = ConditionStatus::parse(status);
            let severity = match (self.mode, severity) {
                (CapiMode::V1Beta1, "Error") => Some(Severity::Error),
                (CapiMode::V1Beta1, "Warning") => Some(Severity::Warning),
                (CapiMode::V1Beta1, "Info") => Some(Severity::Info),
                _ => None,
            };
            quick.key.push(Some((status, severity, reason.to_string())));
            quick.trues[if self.mode == CapiMode::V1Beta2 { i } else { 1 }] = status == ConditionStatus::True;
            if *type_ == "Ready" {
                quick.since = timestamp(c.get("lastTransitionTime"));
            }
        }
        Some(quick)
    }

    /// A group row for >= 2 Machines of one key: cluster-api `cmd/clusterctl/client/tree/tree.go`
    /// `createGroupNode`/`updateGroupNode` (Ready without message, the oldest transition time; counters).
    fn group(&self, parent_id: &str, quick: &Quick, members: &[&'a StoredObject]) -> TreeNode {
        let first = self.item(members[0], CAPI, "Machine", None, false);
        let mut names: Vec<String> = members.iter().map(|o| name(o).to_string()).collect();
        names.sort();
        let id = format!("{parent_id}>MachineGroup{:?}", quick.key);
        let mut node = TreeNode::new(id, Label::Virtual { name: group_row_name("Machine", members.len()) });
        let condition = first.ready.as_ref().map(|r| Condition {
            message: String::new(),
            last_transition_time: quick.since,
            ..r.clone()
        });
        let mut columns = CapiColumns::new(self.mode, condition.as_ref().map(ConditionRow::from));
        if self.mode == CapiMode::V1Beta2 {
            let count = |i: usize| Some(if quick.trues[i] { members.len() } else { 0 }.to_string());
            (columns.available, columns.ready, columns.up_to_date) = (count(0), count(1), count(2));
        }
        node.columns = Some(Box::new(columns));
        node.health = first.node.health;
        node.group = Some(Box::new(Group { kind: "Machine".into(), count: members.len(), names }));
        node
    }

    /// The conditions clusterctl reads for `obj` in this mode (see [`conditions_pointer`]). In v1beta2 mode a
    /// provider object's conditions are converted to metav1 conditions, which gives a condition without a
    /// reason the reason `NoReasonReported` (cluster-api `util/conditions/getter.go`
    /// `validateAndFixConvertedCondition`): what a v1beta1-contract provider's True conditions show.
    fn conditions(&self, obj: &DynamicObject, typed: bool) -> Vec<Condition> {
        let pointer = conditions_pointer(obj, self.mode, typed);
        let mut list: Vec<Condition> =
            pointer.map(|p| conditions_at(&obj.data, p).unwrap_or_default()).unwrap_or_default();
        if self.mode == CapiMode::V1Beta2 && !typed {
            for c in list.iter_mut().filter(|c| c.reason.is_empty()) {
                c.reason = NO_REASON_REPORTED.to_string();
            }
        }
        list
    }
}

/// A Machine's grouping key, the counters its group shows, and its Ready's lastTransitionTime.
struct Quick {
    key: Vec<Sig>,
    trues: [bool; 3],
    since: Option<Timestamp>,
}

/// Whether the object's status is in the v1beta2 shape (metav1 conditions in `status.conditions`), by the
/// signs `model::status` reads too: served as `*/v1beta1` or with `status.v1beta2`: no; `status.deprecated`,
/// `status.initialization` or a condition with observedGeneration: yes; a severity: no; a v1beta2-only
/// condition type: yes; else only a `cluster.x-k8s.io/v1beta2` apiVersion says yes (providers such as CAPA
/// serve "v1beta2" with the v1beta1 contract).
fn v1beta2_shaped(obj: &DynamicObject) -> bool {
    let api_version = obj.types.as_ref().map_or("", |t| t.api_version.as_str());
    let status = obj.data.get("status");
    let has = |k: &str| status.and_then(|s| s.get(k)).is_some();
    if has("v1beta2") || api_version.ends_with("/v1beta1") {
        return false;
    }
    if has("deprecated") || has("initialization") {
        return true;
    }
    let conds = status.and_then(|s| s.get("conditions")).and_then(Value::as_array);
    let any = |f: &dyn Fn(&Value) -> bool| conds.is_some_and(|cs| cs.iter().any(f));
    if any(&|c| c.get("observedGeneration").is_some()) {
        return true;
    }
    if any(&|c| c.get("severity").is_some()) {
        return false;
    }
    any(&|c| c.get("type").and_then(Value::as_str).is_some_and(|t| V1BETA2_ONLY.contains(&t)))
        || api_version == "cluster.x-k8s.io/v1beta2"
}

/// Where the conditions clusterctl reads are. v1beta2 mode: `status.v1beta2.conditions` when present, else
/// `status.conditions` (cluster-api `util/conditions` `UnstructuredGetAll`), except that a typed core object
/// in the v1beta1 shape without `status.v1beta2` has none. v1beta1 mode: `status.deprecated.v1beta1.conditions`
/// of a v1beta2-shaped object, `status.conditions` of a v1beta1-shaped one.
fn conditions_pointer(obj: &DynamicObject, mode: CapiMode, typed: bool) -> Option<&'static str> {
    let (nested, shaped) = match mode {
        CapiMode::V1Beta2 => ("/status/v1beta2/conditions", !typed || v1beta2_shaped(obj)),
        CapiMode::V1Beta1 => ("/status/deprecated/v1beta1/conditions", !v1beta2_shaped(obj)),
    };
    if at(&obj.data, nested).is_some() { Some(nested) } else { shaped.then_some("/status/conditions") }
}

fn name(o: &StoredObject) -> &str {
    o.name()
}

fn label<'o>(o: &'o StoredObject, key: &str) -> Option<&'o str> {
    o.label(key)
}

/// The (kind, name) of the controller owner in group `cluster.x-k8s.io` (cluster-api `util.IsControlledBy`
/// compares group, kind and name).
fn controller(o: &StoredObject) -> Option<(String, String)> {
    let owners = o.obj().metadata.owner_references.as_ref()?;
    let c = owners.iter().find(|r| r.controller == Some(true))?;
    let group = c.api_version.split_once('/').map_or("", |(g, _)| g);
    (group == CAPI).then(|| (c.kind.clone(), c.name.clone()))
}

/// Reads a reference in either API version's form; `None` when absent or without kind/name.
fn reference(data: &Value, pointer: &str) -> Option<Ref> {
    let r = at(data, pointer)?;
    let text = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let group = match r.get("apiGroup").and_then(Value::as_str) {
        Some(g) => g.to_string(),
        None => text("apiVersion").split_once('/').map_or("", |(g, _)| g).to_string(),
    };
    let (kind, name) = (text("kind"), text("name"));
    (!kind.is_empty() && !name.is_empty()).then_some(Ref { group, kind, name })
}

fn topology(data: &Value) -> Option<Topology> {
    let t = at(data, "/spec/topology")?;
    let text = |p: &str| at(t, p).and_then(Value::as_str).map(str::to_string);
    let class = text("/classRef/name").or_else(|| text("/class"))?;
    Some(Topology {
        class,
        class_namespace: text("/classRef/namespace").or_else(|| text("/classNamespace")),
        version: text("/version").unwrap_or_default(),
    })
}

/// Orders every node's children by row name (z-order is 0 for every node this tree has), as
/// `orderChildrenObjects` does.
fn sort(node: &mut TreeNode, names: CapiNames) {
    node.children.sort_by_cached_key(|n| capi_row_name(n, names));
    node.children.iter_mut().for_each(|n| sort(n, names));
}

/// The version clusterctl v1.14 prints after a row name (cluster-api `internal/util/tree/tree.go`
/// `getRowName`): a typed Cluster's `spec.topology.version` when its topology is defined ([`non_zero`]), a
/// MachineDeployment's, MachineSet's or MachinePool's `spec.template.spec.version` and a Machine's
/// `spec.version` always (empty when unset), a ControlPlane-contract object's `spec.version` when it is a
/// string (contract `ControlPlane().Version().Get`; `""` counts).
fn row_version(data: &Value, kind: &str, typed: bool, cp_contract: bool) -> Option<String> {
    let text = |p: &str| at(data, p).and_then(Value::as_str).map(str::to_string);
    match (typed, kind) {
        (true, "Cluster") => at(data, "/spec/topology")
            .filter(|t| non_zero(t, ""))
            .map(|_| text("/spec/topology/version").unwrap_or_default()),
        (true, "MachineDeployment" | "MachineSet" | "MachinePool") => {
            Some(text("/spec/template/spec/version").unwrap_or_default())
        }
        (true, "Machine") => Some(text("/spec/version").unwrap_or_default()),
        _ if cp_contract => text("/spec/version"),
        _ => None,
    }
}

/// Whether the JSON of a Go struct field (named `key`) decodes to a non-zero value, as `reflect.DeepEqual`
/// against the zero struct sees it: what v1beta2 `Topology.IsDefined` (cluster-api
/// `api/core/v1beta2/cluster_types.go`, `!reflect.DeepEqual(r, &Topology{})`) asks of `spec.topology`. A
/// non-empty string, or any string behind a pointer (`unhealthyLessThanOrEqualTo`); any number or boolean (the
/// topology's are pointers: `replicas: 0` is set); any list, even empty (a non-nil slice); a `labels` /
/// `annotations` map, even empty (a non-nil Go map); an object (a struct) with a non-zero field. `null` is zero.
fn non_zero(value: &Value, key: &str) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty() || key == "unhealthyLessThanOrEqualTo",
        Value::Bool(_) | Value::Number(_) | Value::Array(_) => true,
        Value::Object(_) if matches!(key, "labels" | "annotations") => true,
        Value::Object(fields) => fields.iter().any(|(k, v)| non_zero(v, k)),
    }
}
