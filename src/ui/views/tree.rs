//! The live reconciliation tree of one object (CAPI Cluster, Kustomization, HelmRelease, Terraform) in the
//! cockpit: one line per node, collapsible, conditions on demand, coloured by health; built by the pure tree
//! builders of `model::*_tree` and rebuilt only when a kind it reads changed ([`TreeCache`]).
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::config::{Role, Theme};
use crate::model::capi_tree::{self, CapiTreeOptions, ShowConditions};
use crate::model::kinds::{KindId, TreeKind};
use crate::model::lineage::workload_context;
use crate::model::object_ref::ObjectRef;
use crate::model::store::FleetStore;
use crate::model::tree::{CapiNames, Label, TreeCache, TreeNode};
use crate::model::{flux_tree, tf_tree};
use crate::ui::format::first_line;
use crate::ui::state::State;
use crate::ui::views::tables::health_role;

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

/// Maps a Kustomization's `spec.kubeConfig.secretRef` to a context of the fleet: a CAPI
/// `<cluster>-kubeconfig` Secret in `namespace` of `context` means that cluster's workload context.
fn resolve_remote(store: &FleetStore, context: &str) -> impl Fn(&str, &str) -> Option<String> {
    move |secret: &str, namespace: &str| {
        let cluster = crate::fleet::lineage::cluster_of_secret(secret)?;
        workload_context(store, context, namespace, cluster)
    }
}

/// Builds the tree of `root` (cached in `cache` by the store revisions it read).
pub fn build<'c>(
    cache: &'c mut TreeCache,
    store: &FleetStore,
    root: &ObjectRef,
    conditions: bool,
) -> Option<&'c TreeNode> {
    let key = format!("{}|{}|{}|{}|{conditions}", root.context, root.kind, root.namespace, root.name);
    let (ctx, ns, name) = (root.context.as_str(), root.namespace.as_str(), root.name.as_str());
    cache.get_or_build(store, &key, |view| match root.kind.tree()? {
        TreeKind::Cluster => {
            let opts = CapiTreeOptions {
                show_conditions: if conditions { ShowConditions::all_non_zero() } else { ShowConditions::none() },
                ..CapiTreeOptions::default()
            };
            capi_tree::cluster_tree_with(view, ctx, ns, name, &opts)
        }
        TreeKind::Kustomization => flux_tree::kustomization_tree_with(view, ctx, ns, name, &resolve_remote(store, ctx)),
        TreeKind::HelmRelease => flux_tree::helmrelease_tree_with(view, ctx, ns, name, &resolve_remote(store, ctx)),
        TreeKind::Terraform => tf_tree::terraform_tree_with(view, ctx, ns, name),
    })
}

fn node_text(n: &TreeNode, capi: bool) -> String {
    match &n.label {
        // `!! DELETED !! ` is a span of its own (see `flatten`).
        Label::Object(_) if capi => crate::model::tree_text::capi_name(n, CapiNames::default()),
        Label::Object(o) => o.flux_text(),
        Label::Virtual { name } => name.clone(),
    }
}

/// What flattening needs besides the node: whether it is a CAPI tree, the state (collapsed nodes) and the
/// view key collapsed nodes are kept under.
struct Walk<'a> {
    capi: bool,
    state: &'a State,
    key: &'a str,
}

fn flatten(n: &TreeNode, prefix: &str, last: bool, root: bool, w: &Walk<'_>, out: &mut Vec<TreeLine>) {
    let (capi, state, key) = (w.capi, w.state, w.key);
    let collapsed = state.collapsed.get(key).is_some_and(|s| s.contains(&n.id));
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
    if let Some(h) = &n.health {
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
        spans.push((format!("  @ {}", crate::ui::views::tables::short_revision(r)), Role::Muted));
    }
    if let Some(r) = &n.remote {
        let text = match (&r.context, r.found) {
            (Some(c), true) => format!("  [remote: {c}]"),
            (Some(c), false) => format!("  [remote: {c}, not in fleet]"),
            (None, _) => "  [remote: no context]".to_string(),
        };
        spans.push((text, Role::Progressing));
    }
    if let Some(m) = &n.missing {
        spans.push((format!("  ({})", crate::model::tree_text::missing_text(m)), Role::Warning));
    }
    if let Some(note) = &n.note {
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
        flatten(c, &child_prefix, i + 1 == count, false, w, out);
    }
}

/// The lines of the tree rooted at `root`, honouring collapsed nodes and the conditions toggle.
pub fn lines(store: &FleetStore, root: &ObjectRef, state: &mut State) -> Vec<TreeLine> {
    let key = state.view.key();
    let conditions = state.show_conditions;
    let mut cache = std::mem::take(&mut state.tree_cache);
    let mut out = Vec::new();
    if let Some(tree) = build(&mut cache, store, root, conditions) {
        let walk = Walk { capi: root.kind == KindId::CLUSTER, state, key: &key };
        flatten(tree, "", true, true, &walk, &mut out);
    }
    state.tree_cache = cache;
    out
}

/// Draws the tree; returns the object under the cursor.
pub fn draw(
    f: &mut Frame,
    area: Rect,
    state: &mut State,
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
    let cond = if state.show_conditions { " · conditions" } else { "" };
    let title = format!(" {} {}/{} in {}{cond} ", root.kind.spec().kind, root.namespace, root.name, root.context);
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
