//! The health of the open Flux tree's unwatched inventory entries (issue 15, item 1), cockpit side: what
//! was asked ([`InventoryView`]), when to ask again ([`follow`]), and what came back ([`apply`]). Pure: the
//! reads run in `effects.rs` as one task that reads every [`REFRESH`] until the tree closes; the loop calls
//! [`follow`] after each frame and runs what it returns.
//!
//! Reading (GETs, [`crate::fleet::inventory`]) rather than watching: an inventory names objects of any
//! kind in any namespace, and watching those kinds cluster-wide would hold every ConfigMap and Pod of the
//! cluster for a tree that shows a few; the 500-entry read takes ~0.3 s on loopback (`benches/inventory.rs`).
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::msg::{Effect, InventoryRead};
use crate::model::inventory::{Overlay, Probe};
use crate::model::store::FleetStore;
use crate::model::tree::TreeNode;

/// How often an open tree's entries are read again.
pub const REFRESH: Duration = Duration::from_secs(10);

/// The open tree's inventory reads: which entries were asked for, and the last answer.
#[derive(Debug, Clone, Default)]
pub struct InventoryView {
    /// The view key of the tree they belong to.
    pub tree: String,
    /// The entries being read (the reading task's list).
    pub probes: Arc<Vec<Probe>>,
    /// The last answer, by node id.
    pub overlay: Overlay,
    /// When the last answer came, and how long its reads took.
    pub read: Option<(Timestamp, Duration)>,
    /// Bumped with each answer (the flattened lines depend on it).
    pub generation: u64,
    /// The tree build the probes were computed from.
    checked: u64,
}

/// Keeps the reads in step with the tree on screen: `tree` is the view key and the built tree of an open
/// Flux tree (`None` when no Flux tree is shown), `builds` the tree cache's build count. Starts reading
/// when a tree opens or its unwatched entries change, and stops when it closes (forgetting what was read).
pub fn follow(
    current: &mut Option<InventoryView>,
    tree: Option<(&str, &TreeNode)>,
    builds: u64,
    store: &FleetStore,
) -> Vec<Effect> {
    let Some((key, root)) = tree else {
        return match current.take() {
            Some(_) => vec![Effect::StopInventory],
            None => Vec::new(),
        };
    };
    if let Some(v) = current.as_ref()
        && v.tree == key
        && v.checked == builds
    {
        return Vec::new();
    }
    let probes = crate::model::inventory::probes(store, root);
    match current {
        Some(v) if v.tree == key && *v.probes == probes => {
            v.checked = builds;
            Vec::new()
        }
        _ => {
            // A changed inventory keeps the last answer until the next one: its entries still stand.
            let old = current.take().filter(|v| v.tree == key);
            let generation = old.as_ref().map_or(0, |v| v.generation + 1);
            let probes = Arc::new(probes);
            *current = Some(InventoryView {
                tree: key.to_string(),
                probes: probes.clone(),
                overlay: old.map(|v| v.overlay).unwrap_or_default(),
                read: None,
                generation,
                checked: builds,
            });
            if probes.is_empty() {
                vec![Effect::StopInventory]
            } else {
                vec![Effect::ReadInventory { tree: key.to_string(), probes }]
            }
        }
    }
}

/// Takes an answer: kept when it belongs to the tree and entries being read, dropped otherwise (a tree
/// closed, or its entries changed, while the read ran).
pub fn apply(current: &mut Option<InventoryView>, read: InventoryRead, now: Timestamp) {
    if let Some(v) = current
        && v.tree == read.tree
        && Arc::ptr_eq(&v.probes, &read.probes)
    {
        v.overlay = read.overlay;
        v.read = Some((now, read.took));
        v.generation += 1;
    }
}
