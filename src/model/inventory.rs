//! The health of a Flux inventory's unwatched entries, as a tree shows it (issue 15, item 1), pure.
//!
//! A Kustomization's or HelmRelease's tree marks the entries of kinds fleetdeck does not watch
//! (ConfigMap, Deployment, Service, Secret, ...) [`Missing::NotWatched`]. [`probes`] lists which of them to
//! read, where, and at which version (the inventory's own `v`); `fleet::inventory` reads them; an
//! [`Overlay`] holds what was found by node id and [`Overlay::apply`] lays it over the tree: found (with its
//! health by kstatus's rules), [`Missing::NotFound`] (drift: applied, and gone), or [`Missing::Unreadable`].
use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::flux_tree::{ObjMetadata, parse_inventory_id};
use super::status::Health;
use super::store::FleetStore;
use super::tree::{Label, Missing, StoreView, TreeNode, at, object_id};

/// What became of one inventory entry when it was read.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryState {
    /// The object exists; its health by kstatus's rules (a Secret: Ready, "exists").
    Found(Health),
    /// The object is gone: it was applied, and is not there now (drift).
    NotFound,
    /// It could not be read: why, for people (`not served: ...`, `forbidden: ...`, the API error).
    Unreadable(String),
}

/// One unwatched inventory entry to read: the context it lives in (the one its parent applies to), its
/// identity, the API version the inventory recorded (`status.inventory.entries[].v`), and the id of its
/// node in the tree ([`object_id`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Probe {
    /// Context to read it in.
    pub context: String,
    /// Its identity, as its inventory id encodes it.
    pub entry: ObjMetadata,
    /// The API version the inventory recorded (`v1`, `apps/v1` is recorded as `v1` with group `apps`).
    pub version: String,
    /// The id of its node in the tree.
    pub node: String,
}

/// The unwatched entries of every Kustomization and HelmRelease in `tree` (the nodes marked
/// [`Missing::NotWatched`]), each once, in tree order. The versions come from the parents' inventories in
/// `store`; an entry without one is left out (nothing to read it at).
pub fn probes(store: &FleetStore, tree: &TreeNode) -> Vec<Probe> {
    let mut unwatched = HashSet::new();
    collect_unwatched(tree, &mut unwatched);
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let view = StoreView::new(store);
    walk_parents(tree, &view, &mut |ctx, entries| {
        for e in entries {
            let (Some(id), Some(version)) = (e.get("id").and_then(Value::as_str), e.get("v").and_then(Value::as_str))
            else {
                continue;
            };
            let Ok(entry) = parse_inventory_id(id) else { continue };
            let node = object_id(ctx, &entry.group, &entry.kind, &entry.namespace, &entry.name);
            if unwatched.contains(node.as_str()) && seen.insert(node.clone()) {
                out.push(Probe { context: ctx.to_string(), entry, version: version.to_string(), node });
            }
        }
    });
    out
}

fn collect_unwatched<'t>(n: &'t TreeNode, out: &mut HashSet<&'t str>) {
    if n.missing == Some(Missing::NotWatched) {
        out.insert(n.id.as_str());
    }
    for c in &n.children {
        collect_unwatched(c, out);
    }
}

/// Calls `f(context the inventory lives in, its entries)` for each Kustomization and HelmRelease node of
/// `tree` found in the store.
fn walk_parents(n: &TreeNode, view: &StoreView<'_>, f: &mut dyn FnMut(&str, &[Value])) {
    if let (Label::Object(l), Some(_)) = (&n.label, &n.health) {
        let flux = matches!(
            (l.group.as_ref(), l.kind.as_ref()),
            ("kustomize.toolkit.fluxcd.io", "Kustomization") | ("helm.toolkit.fluxcd.io", "HelmRelease")
        );
        let target = match &n.remote {
            Some(r) => r.context.as_deref().filter(|_| r.found),
            None => Some(l.context.as_str()),
        };
        if flux
            && let Some(target) = target
            && let super::tree::Lookup::Found(o) = view.lookup(&l.context, &l.group, &l.kind, &l.namespace, &l.name)
            && let Some(entries) = at(&o.obj().data, "/status/inventory/entries").and_then(Value::as_array)
        {
            f(target, entries);
        }
    }
    for c in &n.children {
        walk_parents(c, view, f);
    }
}

/// What was read of a tree's unwatched entries, by node id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overlay {
    /// Each read entry's state, by the id of its node.
    pub states: HashMap<String, EntryState>,
}

impl Overlay {
    /// The state read for `node`, when the node is an unwatched entry that was read.
    pub fn state_of(&self, node: &TreeNode) -> Option<&EntryState> {
        if node.missing != Some(Missing::NotWatched) {
            return None;
        }
        self.states.get(&node.id)
    }

    /// Lays what was read over `tree`: a found entry gets its health and loses its `not watched` mark, a
    /// gone one is [`Missing::NotFound`], an unreadable one [`Missing::Unreadable`]. Entries not read keep
    /// their mark.
    pub fn apply(&self, tree: &mut TreeNode) {
        match self.state_of(tree).cloned() {
            Some(EntryState::Found(h)) => {
                tree.health = Some(Box::new(h));
                tree.missing = None;
            }
            Some(EntryState::NotFound) => tree.missing = Some(Missing::NotFound),
            Some(EntryState::Unreadable(why)) => tree.missing = Some(Missing::Unreadable { error: why }),
            None => {}
        }
        for c in &mut tree.children {
            self.apply(c);
        }
    }
}
