//! The trace of a Crossplane claim or composite resource, built from the store (pure), as
//! `crossplane resource trace` (CLI v2.3+; `crossplane beta trace` before) walks it:
//!
//! ```text
//! NAME                                     SYNCED   READY   STATUS
//! PostgreSQLInstance/orders-db (team-a)    True     False   Waiting: ...resource claim is waiting for composite resource to become Ready
//! └─ XPostgreSQLInstance/orders-db-x7k2p   True     False   Creating: Unready resources: instance
//!    ├─ Instance/orders-db-x7k2p-abcde     False    -       ReconcileError: ...cannot create DB instance: InvalidParameterValue
//!    └─ Role/orders-db-x7k2p-fghij         True     True    Available
//! ```
//!
//! A node's children are the objects it references ([`super::crossplane::references`]: a claim's XR, an XR's
//! composed resources, nested XRs in turn), sorted as trace sorts them (by `apiVersion + kind + name`,
//! crossplane `cmd/crank/common/resource/xrm/loader.go` `sortRefs`). An object the store does not have keeps
//! its place with trace's `Error: ...` status in the words controller-runtime would have used (`<plural>.<group>
//! "<name>" not found`, `no matches for kind ...`) and a [`Missing`] saying why; an object met twice on one
//! path is shown once more with a note and not expanded (trace has no such guard).
use std::collections::HashSet;

use super::conditions::raw_field;
use super::crossplane::{Reference, references};
use super::kinds::KindId;
use super::object::StoredObject;
use super::store::{FleetStore, KindState};
use super::tree::{Label, Lookup, Missing, ObjectLabel, StoreView, TraceRow, TreeNode};

/// The annotation naming the composition step that made a composed resource (trace's `wide` RESOURCE).
pub const COMPOSITION_RESOURCE_NAME: &str = "crossplane.io/composition-resource-name";

/// The trace of `kind` `namespace/name` in `context`: the object, what it references, recursively. `None`
/// when the store does not have it.
pub fn trace_tree(store: &FleetStore, context: &str, kind: KindId, namespace: &str, name: &str) -> Option<TreeNode> {
    trace_tree_with(&StoreView::new(store), context, kind, namespace, name)
}

/// [`trace_tree`] through a [`StoreView`] (for [`super::tree::TreeCache`]).
pub fn trace_tree_with(
    view: &StoreView<'_>,
    context: &str,
    kind: KindId,
    namespace: &str,
    name: &str,
) -> Option<TreeNode> {
    let Lookup::Found(root) = view.lookup_kind(context, Some(kind), namespace, name) else {
        return None;
    };
    let spec = kind.spec();
    let label = ObjectLabel::with_kind(context, Some(kind), spec.group, spec.kind, root.namespace(), root.name());
    let mut on_path = HashSet::new();
    Some(Tracer { view, context }.found(label, root, &mut on_path))
}

struct Tracer<'v, 'a> {
    view: &'v StoreView<'a>,
    context: &'v str,
}

impl Tracer<'_, '_> {
    fn found(&self, label: ObjectLabel, obj: &StoredObject, on_path: &mut HashSet<String>) -> TreeNode {
        let mut node = TreeNode::object(label, Some(obj));
        node.trace = Some(Box::new(row(obj)));
        if !on_path.insert(node.id.clone()) {
            node.note = Some("cycle: already traced above".into());
            return node;
        }
        let mut refs = references(obj.obj());
        refs.retain(|r| !r.group().is_empty());
        refs.sort_by_cached_key(|r| format!("{}{}{}", r.api_version, r.kind, r.name));
        node.children = refs.iter().map(|r| self.child(r, on_path)).collect();
        on_path.remove(&node.id);
        node
    }

    fn child(&self, r: &Reference, on_path: &mut HashSet<String>) -> TreeNode {
        let (group, version) = (r.group(), r.version());
        let id = KindId::find(group, &r.kind);
        let label = ObjectLabel::with_kind(self.context, id, group, &r.kind, &r.namespace, &r.name);
        let (missing, error) = match id {
            Some(id) => match self.view.lookup_kind(self.context, Some(id), &r.namespace, &r.name) {
                Lookup::Found(o) => {
                    let label = ObjectLabel { namespace: o.namespace().to_string(), ..label };
                    return self.found(label, o, on_path);
                }
                Lookup::Missing(m) => {
                    let error = match &m {
                        Missing::NotFound => format!("{} \"{}\" not found", id, r.name),
                        Missing::NotSynced { state: Some(KindState::CrdMissing) } => no_matches(r),
                        other => super::tree_text::missing_text(other),
                    };
                    (m, error)
                }
            },
            None => match self.view.unserved(self.context, group, &r.kind) {
                Some(why) => (Missing::Unreadable { error: why.to_string() }, no_matches(r)),
                // Not watched yet: the connection resolves and watches referenced kinds as they appear.
                None => (Missing::NotSynced { state: None }, format!("{}.{group}/{version} not watched yet", r.kind)),
            },
        };
        let mut node = TreeNode::object(label, None);
        node.missing = Some(missing);
        node.trace = Some(Box::new(TraceRow {
            synced: "-".into(),
            ready: "-".into(),
            status: format!("Error: {error}"),
            resource: None,
        }));
        node
    }
}

/// controller-runtime's words for a kind the server does not serve (`meta.NoKindMatchError`).
fn no_matches(r: &Reference) -> String {
    format!("no matches for kind \"{}\" in version \"{}\"", r.kind, r.api_version)
}

/// Trace's columns for `obj` (crossplane `cmd/crank/beta/trace/internal/printer/default.go`
/// `getResourceStatus`): deletion first; both conditions True -> Ready's reason; else the reason and message
/// of Synced when it is not True and says something, else of Ready.
pub fn row(obj: &StoredObject) -> TraceRow {
    let o = obj.obj();
    let condition = |type_: &str| -> (String, String, String) {
        let f = |field: &str| raw_field(&o.data, type_, field).unwrap_or_default().to_string();
        (f("status"), f("reason"), f("message"))
    };
    let (ready, ready_reason, ready_message) = condition("Ready");
    let (synced, synced_reason, synced_message) = condition("Synced");
    let (status, message) = if o.metadata.deletion_timestamp.is_some() {
        ("Deleting".to_string(), String::new())
    } else if ready == "True" && synced == "True" {
        (ready_reason, String::new())
    } else if synced != "True" && !(synced_reason.is_empty() && synced_message.is_empty()) {
        (synced_reason, synced_message)
    } else {
        (ready_reason, ready_message)
    };
    let dash = |s: String| if s.is_empty() { "-".to_string() } else { s };
    TraceRow {
        synced: dash(synced),
        ready: dash(ready),
        status: if message.is_empty() { status } else { format!("{status}: {message}") },
        resource: o.metadata.annotations.as_ref().and_then(|a| a.get(COMPOSITION_RESOURCE_NAME)).cloned(),
    }
}

/// What keeps a claim or XR from being Ready, found below it: the first object of its trace (depth first,
/// in trace order) that is not Synced, or that the store cannot show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `Kind/name`, as trace names it (` (namespace)` added for namespaced objects).
    pub object: String,
    /// Trace's STATUS for it (`ReconcileError: ...`, `Error: no matches for kind ...`).
    pub status: String,
}

/// The [`Cause`] under `kind` `namespace/name` in `context`, if one of the objects it references (directly
/// or through nested XRs) fails; `None` when all are Synced, or the object is not in the store.
pub fn cause(store: &FleetStore, context: &str, kind: KindId, namespace: &str, name: &str) -> Option<Cause> {
    let tree = trace_tree(store, context, kind, namespace, name)?;
    let n = first_failing(&tree)?;
    let Label::Object(l) = &n.label else { return None };
    let object = match l.namespace.as_str() {
        "" => format!("{}/{}", l.kind, l.name),
        ns => format!("{}/{} ({ns})", l.kind, l.name),
    };
    Some(Cause { object, status: n.trace.as_ref().map(|t| t.status.clone()).unwrap_or_default() })
}

/// Every node of a trace, depth first (root first).
pub fn walk(node: &TreeNode) -> Vec<&TreeNode> {
    let mut out = vec![node];
    for c in &node.children {
        out.extend(walk(c));
    }
    out
}

/// The first node under `root` (depth first, root excluded) whose object is not Synced and Ready, with its
/// label: what an operator looks at first when a claim is not Ready.
pub fn first_failing(root: &TreeNode) -> Option<&TreeNode> {
    walk(root).into_iter().skip(1).find(|n| {
        matches!(n.label, Label::Object(_))
            && n.trace.as_deref().is_some_and(|t| t.synced == "False" || t.status.starts_with("Error"))
    })
}
