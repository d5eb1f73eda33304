//! A tree as the lines the cockpit draws: one line per node (with its health, revision, remote and notes)
//! and per shown condition, honouring collapsed nodes. Pure: built from a `model::tree::TreeNode`; the
//! tree view caches the result beside the state ([`LinesCache`]) so a frame and the key handling flatten a
//! tree at most once between changes.
use std::borrow::Cow;
use std::collections::HashSet;
use std::rc::Rc;

use crate::config::Role;
use crate::model::inventory::{EntryState, Overlay};
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::model::tree::{CapiNames, Label, Missing, TreeNode};
use crate::ui::format::{first_line, health_role, short_revision};

/// One drawn line of a tree.
#[derive(Debug, Clone)]
pub struct TreeLine {
    /// The text, with its styles.
    pub spans: Vec<(String, Role)>,
    /// The object the line stands for, if fleetdeck watches its kind.
    pub obj: Option<ObjectRef>,
    /// The node id (for collapsing), `None` on condition rows.
    pub id: Option<String>,
    /// Whether the node has children.
    pub has_children: bool,
}

/// What a flattened tree depends on besides the tree's build: the view's key (root and kind), the
/// conditions toggle, the tree cache's build count (a rebuild bumps it), the collapsed node ids and the
/// inventory answer's generation (`ui::inventory::InventoryView::generation`).
pub type LinesKey = (String, bool, u64, Option<HashSet<String>>, u64);

/// The last flattened tree and what it was flattened from.
pub type LinesCache = std::cell::RefCell<Option<(LinesKey, Rc<Vec<TreeLine>>)>>;

fn node_text(n: &TreeNode, capi: bool) -> String {
    match &n.label {
        // `!! DELETED !! ` is a span of its own (see `flatten`).
        Label::Object(_) if capi => crate::model::tree_text::capi_name(n, CapiNames::default()),
        Label::Object(o) => o.flux_text(),
        Label::Virtual { name } => name.clone(),
    }
}

/// The lines of `tree`, depth first: CAPI names as clusterctl prints them when `capi`, the nodes whose ids
/// are in `collapsed` shown with `▸` and without their children, unwatched inventory entries with what
/// `inventory` read of them (health, `not found` in the error colour, or why they are unreadable).
pub fn flatten(
    tree: &TreeNode,
    capi: bool,
    collapsed: Option<&HashSet<String>>,
    inventory: Option<&Overlay>,
) -> Vec<TreeLine> {
    let mut out = Vec::new();
    walk(tree, "", true, true, &Walk { capi, collapsed, inventory }, &mut out);
    out
}

/// What flattening needs besides the node: whether it is a CAPI tree, the collapsed node ids and what was
/// read of the unwatched inventory entries.
struct Walk<'a> {
    capi: bool,
    collapsed: Option<&'a HashSet<String>>,
    inventory: Option<&'a Overlay>,
}

fn walk(n: &TreeNode, prefix: &str, last: bool, root: bool, w: &Walk<'_>, out: &mut Vec<TreeLine>) {
    let capi = w.capi;
    let collapsed = w.collapsed.is_some_and(|s| s.contains(&n.id));
    let branch = if root {
        String::new()
    } else if last {
        format!("{prefix}└─ ")
    } else {
        format!("{prefix}├─ ")
    };
    let marker = if collapsed && !n.children.is_empty() { "▸ " } else { "" };
    let mut spans = vec![(format!("{branch}{marker}"), Role::Border), (node_text(n, capi), Role::Accent)];
    if n.deleted {
        spans.insert(1, ("!! DELETED !! ".into(), Role::Deleting));
    }
    if let Some(g) = &n.group {
        spans.push((format!("  ({} objects)", g.count), Role::Muted));
    }
    // CAPI notes: a MachineHealthCheck's summary follows its name (in the error colour when the check is Failed:
    // blocked); a Machine failing its check gets the mark `[health check failed]` there, in the error colour,
    // and the check's message at the end of the line, after its own health message.
    let capi_note = n.note.as_ref().filter(|_| capi);
    let machine = matches!(&n.label, Label::Object(o) if o.kind == "Machine");
    match capi_note {
        Some(_) if machine => spans.push(("  [health check failed]".into(), Role::Error)),
        Some(note) => {
            let failed = n.health.as_ref().is_some_and(|h| h.state == crate::model::status::HealthState::Failed);
            spans.push((format!("  [{note}]"), if failed { Role::Error } else { Role::Muted }));
        }
        None => {}
    }
    let (health, missing) = match w.inventory.and_then(|o| o.state_of(n)) {
        Some(EntryState::Found(h)) => (Some(h), None),
        Some(EntryState::NotFound) => (None, Some(Cow::Owned(Missing::NotFound))),
        Some(EntryState::Unreadable(why)) => (None, Some(Cow::Owned(Missing::Unreadable { error: why.clone() }))),
        None => (n.health.as_deref(), n.missing.as_ref().map(Cow::Borrowed)),
    };
    if let (Some(h), Some(t)) = (health, n.trace.as_deref()) {
        // A Crossplane trace: the state, then trace's STATUS (long messages keep their end, as trace cuts them).
        spans.push((format!("  {:?}", h.state), health_role(h.state)));
        let role = if t.synced == "False" { Role::Error } else { Role::Base };
        spans.push((format!("  {}", crate::model::trace_text::cut(&first_line(&t.status))), role));
    } else if let Some(h) = health {
        spans.push((format!("  {:?}", h.state), health_role(h.state)));
        if !h.reason.is_empty() {
            spans.push((format!("  {}", h.reason), Role::Muted));
        }
        let msg = first_line(&h.message);
        if !msg.is_empty() {
            spans.push((format!("  {msg}"), Role::Base));
        }
    }
    if let Some(r) = &n.revision {
        spans.push((format!("  @ {}", short_revision(r)), Role::Muted));
    }
    if let Some(r) = &n.remote {
        let text = match (&r.context, r.found) {
            (Some(c), true) => format!("  [remote: {c}]"),
            (Some(c), false) => format!("  [remote: {c}, not in fleet]"),
            (None, _) => "  [remote: no context]".to_string(),
        };
        spans.push((text, Role::Progressing));
    }
    match (missing, n.trace.as_deref()) {
        // A Crossplane trace's row for an object not shown: trace's own words (`Error: ... not found`, `no
        // matches for kind ...`), in the error colour.
        (Some(_), Some(t)) => spans.push((format!("  {}", first_line(&t.status)), Role::Error)),
        (Some(m), None) => {
            // `not found` claims the object is gone (drift): the error colour.
            let role = if *m == Missing::NotFound { Role::Error } else { Role::Warning };
            spans.push((format!("  ({})", crate::model::tree_text::missing_text(&m)), role));
        }
        (None, _) => {}
    }
    if let Some(note) = n.note.as_ref().filter(|_| capi_note.is_none() || machine) {
        spans.push((format!("  ({note})"), Role::Muted));
    }
    let obj = match &n.label {
        Label::Object(o) => KindId::find(&o.group, &o.kind).map(|kind| ObjectRef {
            context: o.context.clone(),
            kind,
            namespace: o.namespace.clone(),
            name: o.name.clone(),
        }),
        Label::Virtual { .. } => None,
    };
    out.push(TreeLine { spans, obj: obj.clone(), id: Some(n.id.clone()), has_children: !n.children.is_empty() });
    let child_prefix = if root {
        String::new()
    } else if last {
        format!("{prefix}   ")
    } else {
        format!("{prefix}│  ")
    };
    for c in n.conditions.iter().flatten() {
        let role = if c.abnormal { Role::Error } else { Role::Ok };
        out.push(TreeLine {
            spans: vec![
                (format!("{child_prefix}    · "), Role::Border),
                (format!("{} {:?}", c.type_, c.status), role),
                (format!("  {}", c.reason), Role::Muted),
                (format!("  {}", first_line(&c.message)), Role::Base),
            ],
            obj: obj.clone(),
            id: None,
            has_children: false,
        });
    }
    if collapsed {
        return;
    }
    let count = n.children.len();
    for (i, c) in n.children.iter().enumerate() {
        walk(c, &child_prefix, i + 1 == count, false, w, out);
    }
}
