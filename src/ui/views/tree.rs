//! The live reconciliation tree of one object (CAPI Cluster, Kustomization, HelmRelease, Terraform) in the
//! cockpit: one line per node, collapsible, conditions on demand, coloured by health; built by the pure tree
//! builders of `model::*_tree` and rebuilt only when a kind it reads changed ([`TreeCache`]).
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::rc::Rc;

use ratatui::widgets::{Block, Borders, Paragraph};

use crate::config::{Role, Theme};
use crate::model::capi_tree::{self, CapiTreeOptions, ShowConditions};
use crate::model::inventory::EntryState;
use crate::model::kinds::{KindId, TreeKind};
use crate::model::lineage::workload_context;
use crate::model::object_ref::ObjectRef;
use crate::model::status::HealthState;
use crate::model::store::FleetStore;
use crate::model::tree::{TreeCache, TreeNode};
use crate::model::{flux_tree, tf_tree, xp_tree};
use crate::ui::inventory::InventoryView;
use crate::ui::state::State;
use crate::ui::tree_lines::{TreeLine, flatten};

/// Maps a Kustomization's `spec.kubeConfig.secretRef` to a context of the fleet: a CAPI
/// `<cluster>-kubeconfig` Secret in `namespace` of `context` means that cluster's workload context.
fn resolve_remote(store: &FleetStore, context: &str) -> impl Fn(&str, &str) -> Option<String> {
    move |secret: &str, namespace: &str| {
        let cluster = crate::fleet::lineage::cluster_of_secret(secret)?;
        workload_context(store, context, namespace, cluster)
    }
}

/// The key of `root`'s tree in the [`TreeCache`].
pub fn cache_key(root: &ObjectRef, conditions: bool) -> String {
    format!("{}|{}|{}|{}|{conditions}", root.context, root.kind, root.namespace, root.name)
}

/// Builds the tree of `root` (cached in `cache` by the store revisions it read).
pub fn build<'c>(
    cache: &'c mut TreeCache,
    store: &FleetStore,
    root: &ObjectRef,
    conditions: bool,
) -> Option<&'c TreeNode> {
    let key = cache_key(root, conditions);
    let (ctx, ns, name) = (root.context.as_str(), root.namespace.as_str(), root.name.as_str());
    cache.get_or_build(store, &key, |view| match root.kind.tree()? {
        TreeKind::Cluster => {
            let opts = CapiTreeOptions {
                show_conditions: if conditions { ShowConditions::all_non_zero() } else { ShowConditions::none() },
                health_checks: true,
                ..CapiTreeOptions::default()
            };
            capi_tree::cluster_tree_with(view, ctx, ns, name, &opts)
        }
        TreeKind::Kustomization => flux_tree::kustomization_tree_with(view, ctx, ns, name, &resolve_remote(store, ctx)),
        TreeKind::HelmRelease => flux_tree::helmrelease_tree_with(view, ctx, ns, name, &resolve_remote(store, ctx)),
        TreeKind::Terraform => tf_tree::terraform_tree_with(view, ctx, ns, name),
        TreeKind::Trace => xp_tree::trace_tree_with(view, ctx, root.kind, ns, name),
    })
}

/// The lines of the tree rooted at `root`, honouring collapsed nodes and the conditions toggle: rebuilt
/// only when a kind the tree reads changed, flattened again only when the build, the collapsed nodes or
/// the toggle changed (both cached in the state).
pub fn lines(store: &FleetStore, root: &ObjectRef, state: &State) -> Rc<Vec<TreeLine>> {
    let key = state.nav.view.key();
    let conditions = state.nav.show_conditions;
    let collapsed = state.nav.collapsed.get(&key);
    let mut trees = state.tree_cache.borrow_mut();
    build(&mut trees, store, root, conditions);
    let builds = trees.builds();
    let inventory = state.inventory.as_ref().filter(|v| v.tree == key);
    let generation = inventory.map_or(0, |v| v.generation);
    if let Some(((k, c, b, set, g), lines)) = state.tree_lines.borrow().as_ref()
        && (k, *c, *b, set.as_ref(), *g) == (&key, conditions, builds, collapsed, generation)
    {
        return lines.clone();
    }
    let lines_key = (key.clone(), conditions, builds, collapsed.cloned(), generation);
    let tree = trees.get(&cache_key(root, conditions));
    let overlay = inventory.map(|v| &v.overlay);
    let capi = root.kind == KindId::CLUSTER;
    let lines = Rc::new(tree.map(|t| flatten(t, capi, collapsed, overlay)).unwrap_or_default());
    *state.tree_lines.borrow_mut() = Some((lines_key, lines.clone()));
    lines
}

/// Draws the tree; returns the object under the cursor.
pub fn draw(
    f: &mut Frame,
    area: Rect,
    state: &State,
    store: &FleetStore,
    root: &ObjectRef,
    theme: &Theme,
) -> Option<ObjectRef> {
    let all = lines(store, root, state);
    let height = area.height.saturating_sub(2) as usize;
    let cur = state.scroll(all.len(), height);
    let text: Vec<Line> = all
        .iter()
        .enumerate()
        .skip(cur.offset)
        .take(height)
        .map(|(i, l)| {
            let line =
                Line::from(l.spans.iter().map(|(t, r)| Span::styled(t.clone(), theme.style(*r))).collect::<Vec<_>>());
            if i == cur.selected { line.style(theme.style(Role::Selected)) } else { line }
        })
        .collect();
    let cond = if state.nav.show_conditions { " · conditions" } else { "" };
    let inventory = state.inventory.as_ref().filter(|v| v.tree == state.nav.view.key()).map(inventory_summary);
    let inventory = inventory.unwrap_or_default();
    let title = format!(" {} {} in {}{cond}{inventory} ", root.kind.spec().kind, root.namespaced_name(), root.context);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)));
    let empty = text.is_empty();
    f.render_widget(Paragraph::new(text).block(block), area);
    if empty {
        let r = Rect { x: area.x + 2, y: area.y + 1, width: area.width.saturating_sub(4), height: 1 };
        f.render_widget(Line::styled("not in the fleet (yet): waiting for the watch", theme.style(Role::Muted)), r);
    }
    all.get(cur.selected).and_then(|l| l.obj.clone())
}

/// The title's word on the unwatched inventory entries: ` · reading N inventory objects` before the first
/// answer, then ` · inventory: N ready, N not ready, N not found, N unreadable` (zero counts left out).
fn inventory_summary(v: &InventoryView) -> String {
    if v.probes.is_empty() {
        return String::new();
    }
    if v.read.is_none() {
        return format!(" · reading {} inventory objects", v.probes.len());
    }
    let (mut ready, mut not_ready, mut gone, mut unreadable) = (0, 0, 0, 0);
    for s in v.overlay.states.values() {
        match s {
            EntryState::Found(h) if h.state == HealthState::Ready => ready += 1,
            EntryState::Found(_) => not_ready += 1,
            EntryState::NotFound => gone += 1,
            EntryState::Unreadable(_) => unreadable += 1,
        }
    }
    let parts: Vec<String> =
        [(ready, "ready"), (not_ready, "not ready"), (gone, "not found"), (unreadable, "unreadable")]
            .into_iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
    format!(" · inventory: {}", parts.join(", "))
}
