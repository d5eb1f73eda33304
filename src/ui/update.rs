//! State transitions, Elm-style: a key (resolved through the keymap) or a message from an effect's task
//! changes the [`State`] and returns the [`Effect`]s to run; no IO. Tested with plain assertions.
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::list::{Target, indexes, selected_target};
use super::msg::{Effect, Msg};
use super::palette;
use super::rows::Rows;
use super::state::{Focus, Overlay, State, View};
use crate::config::{Action, Keymap, Mode};
use crate::model::object_ref::ObjectRef;
use crate::model::store::FleetStore;

/// What `update` reads besides the state: the store (an action's verb depends on the object as it is:
/// suspend or resume), the derived rows, and what the tree shown has under the cursor.
pub struct Input<'a> {
    /// The fleet.
    pub store: &'a FleetStore,
    /// The rows of the list views.
    pub rows: &'a Rows,
    /// Lines of the tree view, when a tree is shown.
    pub tree_lines: usize,
    /// The selected object: the one under the tree cursor in a tree, else the selected row's object in a
    /// list view (`app::input`); `None` on a context row or a virtual tree node.
    pub tree_selected: Option<ObjectRef>,
    /// The lineage target of the object shown (CAPI cluster <-> workload Flux tree), if any.
    pub lineage: Option<ObjectRef>,
    /// The tree node under the cursor: its id and whether it has children.
    pub tree_node: Option<(String, bool)>,
}

/// The keymap mode of the current state.
pub fn mode(state: &State) -> Mode {
    if state.nav.details && state.nav.focus == Focus::Details {
        return Mode::Detail;
    }
    match state.nav.view {
        View::Tree(_) => Mode::Tree,
        _ => Mode::List,
    }
}

/// Applies one key; returns the effects to run (the loop redraws after every key press).
pub fn key(state: &mut State, keymap: &Keymap, ev: &KeyEvent, input: &Input<'_>) -> Vec<Effect> {
    let mut fx = Vec::new();
    apply_key(state, keymap, ev, input, &mut fx);
    fx
}

/// Applies a message from an effect's task to its owner: action jobs and inspections to
/// [`super::actions::apply`], wizard results to [`super::wizard::flow::apply`], inventory reads to
/// [`super::inventory::apply`]. Returns the effects to run
/// (none today: a result never starts work by itself).
pub fn message(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(m) => super::actions::apply(state, m),
        Msg::Wizard(m) => super::wizard::flow::apply(state, m),
        Msg::Inventory(read) => super::inventory::apply(&mut state.inventory, read, state.now),
        Msg::Diff(done) => super::diff::apply(&mut state.diff, done),
        Msg::PinsNotSaved(why) => state.message = Some(format!("pins not saved: {why}")),
        Msg::Plan(read) => super::plans::apply(&mut state.plans, read),
    }
    Vec::new()
}

fn apply_key(state: &mut State, keymap: &Keymap, ev: &KeyEvent, input: &Input<'_>, fx: &mut Vec<Effect>) -> bool {
    if ev.kind != KeyEventKind::Press {
        return false;
    }
    if let Some(j) = state.jobs.list.last()
        && j.ok.is_some()
    {
        state.jobs.seen = j.id;
    }
    // Messages last until the next key.
    state.message = None;
    if state.gitops.wizard.is_some() {
        return wizard(fx, |tasks| super::wizard::keys::key(state, ev, tasks));
    }
    if state.nav.filter_editing {
        return edit_filter(state, ev);
    }
    if let Some(Overlay::Palette { .. }) = state.nav.overlay {
        return edit_palette(state, ev, input, fx);
    }
    if let Some(Overlay::Confirm(_)) = state.nav.overlay {
        return super::actions::confirm_key(state, ev, fx);
    }
    if state.diff.is_some() && state.nav.overlay.is_none() {
        let Some(a) = keymap.lookup(Mode::List, ev).or_else(|| keymap.lookup(Mode::Global, ev)) else {
            return false;
        };
        if a == Action::Quit {
            state.quit = true;
            return true;
        }
        if a == Action::Help {
            state.nav.overlay = Some(Overlay::Help);
            return true;
        }
        let (used, effects) = super::diff::key(&mut state.diff, a, &mut state.message);
        fx.extend(effects);
        return used;
    }
    if state.nav.overlay == Some(Overlay::Help) {
        // Any key closes help (quit still quits).
        if keymap.lookup(Mode::Global, ev) == Some(Action::Quit) {
            state.quit = true;
        }
        state.nav.overlay = None;
        return true;
    }
    match keymap.lookup(mode(state), ev) {
        Some(a) => action(state, a, input, fx),
        None => false,
    }
}

/// Runs a wizard step that hands back tasks, and queues them as effects.
fn wizard(fx: &mut Vec<Effect>, step: impl FnOnce(&mut Vec<super::wizard::Task>) -> bool) -> bool {
    let mut tasks = Vec::new();
    let changed = step(&mut tasks);
    fx.extend(tasks.into_iter().map(|t| Effect::Wizard(Box::new(t))));
    changed
}

fn edit_filter(state: &mut State, ev: &KeyEvent) -> bool {
    match ev.code {
        KeyCode::Esc => {
            state.nav.filter.clear();
            state.nav.filter_editing = false;
        }
        KeyCode::Enter => state.nav.filter_editing = false,
        KeyCode::Backspace => {
            state.nav.filter.pop();
        }
        KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => state.nav.filter.push(c),
        _ => return false,
    }
    *state.cursor_mut() = Default::default();
    true
}

fn edit_palette(state: &mut State, ev: &KeyEvent, input: &Input<'_>, fx: &mut Vec<Effect>) -> bool {
    let Some(Overlay::Palette { input: text, selected }) = state.nav.overlay.as_mut() else {
        return false;
    };
    match ev.code {
        KeyCode::Esc => state.nav.overlay = None,
        KeyCode::Backspace => {
            text.pop();
            *selected = 0;
        }
        KeyCode::Up => *selected = selected.saturating_sub(1),
        KeyCode::Down => *selected += 1,
        KeyCode::Enter => {
            let choices = palette::matches(text, input.rows);
            let pick = choices.get((*selected).min(choices.len().saturating_sub(1))).cloned();
            state.nav.overlay = None;
            if let Some(p) = pick {
                wizard(fx, |tasks| {
                    palette::apply(state, &p, tasks);
                    true
                });
            }
        }
        KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => {
            text.push(c);
            *selected = 0;
        }
        _ => return false,
    }
    true
}

fn len(state: &State, input: &Input<'_>) -> usize {
    match state.nav.view {
        View::Tree(_) => input.tree_lines,
        _ => indexes(state, input.rows).len(),
    }
}

/// Applies one action; effects it starts are pushed on `fx`. Returns whether the state changed.
pub fn action(state: &mut State, a: Action, input: &Input<'_>, fx: &mut Vec<Effect>) -> bool {
    let n = len(state, input);
    let page = state.page.get().max(1);
    if state.nav.details && state.nav.focus == Focus::Details {
        match a {
            Action::Up => state.nav.details_scroll = state.nav.details_scroll.saturating_sub(1),
            Action::Down => state.nav.details_scroll = state.nav.details_scroll.saturating_add(1),
            Action::PageUp => state.nav.details_scroll = state.nav.details_scroll.saturating_sub(page as u16),
            Action::PageDown => state.nav.details_scroll = state.nav.details_scroll.saturating_add(page as u16),
            Action::Top => state.nav.details_scroll = 0,
            _ => return global(state, a, input, fx),
        }
        return true;
    }
    let c = state.cursor_mut();
    let last = n.saturating_sub(1);
    // The list may have shrunk since the selection was made: move from where the selection is shown.
    c.selected = c.selected.min(last);
    match a {
        Action::Up => c.selected = c.selected.saturating_sub(1),
        Action::Down => c.selected = (c.selected + 1).min(last),
        Action::Top => c.selected = 0,
        Action::Bottom => c.selected = last,
        Action::PageUp => c.selected = c.selected.saturating_sub(page),
        Action::PageDown => c.selected = (c.selected + page).min(last),
        _ => return global(state, a, input, fx),
    }
    true
}

fn global(state: &mut State, a: Action, input: &Input<'_>, fx: &mut Vec<Effect>) -> bool {
    match a {
        Action::Quit => state.quit = true,
        Action::Help => state.nav.overlay = Some(Overlay::Help),
        Action::Palette => state.nav.overlay = Some(Overlay::Palette { input: String::new(), selected: 0 }),
        Action::Filter => state.nav.filter_editing = true,
        Action::Back => {
            if state.nav.details {
                state.nav.details = false;
                state.nav.focus = Focus::Main;
            } else if !state.nav.filter.is_empty() {
                state.nav.filter.clear();
            } else if let Some(v) = state.nav.history.pop() {
                state.nav.view = v;
            } else {
                return false;
            }
        }
        Action::Open => return open(state, input),
        Action::Details => {
            state.nav.details = !state.nav.details;
            state.nav.details_scroll = 0;
            if !state.nav.details {
                state.nav.focus = Focus::Main;
            }
        }
        Action::NextPane | Action::PrevPane => {
            if !state.nav.details {
                return false;
            }
            state.nav.focus = if state.nav.focus == Focus::Main { Focus::Details } else { Focus::Main };
        }
        Action::ViewFleet => state.go(View::Fleet),
        Action::ViewClusters => state.go(View::Clusters),
        Action::ViewFlux => state.go(View::Flux),
        Action::ViewTerraform => state.go(View::Terraform),
        Action::ViewCrossplane => state.go(View::Crossplane),
        Action::ViewPulse => state.go(View::Pulse),
        Action::CycleFilter => {
            if !matches!(state.nav.view, View::Flux | View::Crossplane) {
                return false;
            }
            state.nav.flux_filter = state.nav.flux_filter.next();
            *state.cursor_mut() = Default::default();
        }
        Action::ShowConditions => state.nav.show_conditions = !state.nav.show_conditions,
        Action::Lineage => match input.lineage.clone() {
            Some(target) => state.go(View::Tree(target)),
            None => {
                state.message = Some("no linked cluster for this object".into());
            }
        },
        Action::Refresh => {
            state.message = None;
            state.jobs.inspections.clear();
        }
        Action::Reconcile
        | Action::Suspend
        | Action::Approve
        | Action::Replan
        | Action::Pause
        | Action::ScaleUp
        | Action::Restart
        | Action::ScaleDown
        | Action::Kubeconfig => {
            let targets = super::actions::targets(state, input.tree_selected.as_ref());
            return super::actions::request(state, a, input.store, targets, fx);
        }
        // In the Crossplane view, `n` creates a claim (or XR) of the selected object's kind.
        Action::NewCluster if state.nav.view == View::Crossplane => {
            let selected = input.tree_selected.as_ref();
            return wizard(fx, |tasks| super::wizard::claim::open(state, input.store, selected, tasks));
        }
        Action::NewCluster => return wizard(fx, |tasks| super::wizard::flow::open(state, tasks)),
        Action::BootstrapCluster => {
            let selected = input.tree_selected.as_ref();
            return wizard(fx, |tasks| super::wizard::bootstrap::open(state, selected, tasks));
        }
        Action::AddProfile => {
            let selected = input.tree_selected.as_ref();
            return wizard(fx, |tasks| super::wizard::profile::open(state, selected, tasks));
        }
        Action::DeleteCluster => {
            let selected = input.tree_selected.as_ref();
            return wizard(fx, |tasks| super::wizard::teardown::open(state, selected, tasks));
        }
        Action::Diff => {
            let Some(target) = input.tree_selected.clone() else {
                state.message = Some("select a Flux Kustomization to diff it against git".into());
                return true;
            };
            fx.extend(super::diff::open(&mut state.diff, target, &mut state.message));
        }
        Action::Pin => {
            let Some(o) = input.tree_selected.clone() else {
                state.message = Some("select an object to pin it".into());
                return true;
            };
            if let Some(why) = &state.pins_error {
                state.message = Some(format!("pinning is off: {why} (fix or remove the file)"));
                return true;
            }
            let pinned = state.pins.toggle(&o);
            let name = if o.namespace.is_empty() { o.name.clone() } else { format!("{}/{}", o.namespace, o.name) };
            let what = format!("{} {name} in {}", o.kind.spec().kind, o.context);
            state.message = Some(if pinned { format!("pinned {what}: 1 Fleet") } else { format!("unpinned {what}") });
            fx.push(Effect::SavePins(state.pins.clone()));
        }
        Action::Mark => {
            let Some(o) = input.tree_selected.as_ref() else { return false };
            let key = o.clone();
            if !state.jobs.marks.remove(&key) {
                state.jobs.marks.insert(key);
            }
            let last = len(state, input).saturating_sub(1);
            let c = state.cursor_mut();
            c.selected = (c.selected + 1).min(last);
        }
        Action::Expand | Action::Collapse => {
            let Some((id, has_children)) = input.tree_node.clone() else { return false };
            if !has_children {
                return false;
            }
            let set = state.nav.collapsed.entry(state.nav.view.key()).or_default();
            if a == Action::Collapse {
                set.insert(id);
            } else {
                set.remove(&id);
            }
        }
        _ => return false,
    }
    true
}

fn open(state: &mut State, input: &Input<'_>) -> bool {
    if let View::Tree(_) = state.nav.view {
        return match input.tree_selected.clone() {
            Some(o) if o.kind.has_tree() => {
                state.go(View::Tree(o));
                true
            }
            _ => {
                state.nav.details = true;
                true
            }
        };
    }
    let Some(target) = selected_target(state, input.rows) else {
        return false;
    };
    match target {
        Target::Context(ctx) => {
            state.go(View::Flux);
            state.nav.filter = ctx;
        }
        Target::Object(o) => {
            if o.kind.has_tree() {
                state.go(View::Tree(o));
            } else {
                state.nav.details = true;
            }
        }
    }
    true
}
