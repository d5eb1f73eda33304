//! The cockpit's state: which view is shown, cursors, filter, overlays. Owned by the UI task; changed only
//! by `update` (keys and effect results); read by the renderer, which writes only what it computes (the
//! page height and scroll offsets, in `Cell`s) and the derived caches (filtered rows, built and
//! flattened trees) kept beside the data they derive from.
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use k8s_openapi::jiff::Timestamp;

use super::rows::FluxFilter;
use crate::config::Warning;
use crate::model::object_ref::ObjectRef;
use crate::model::tree::TreeCache;

/// The main views.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum View {
    /// Every context with its summary.
    Fleet,
    /// Every CAPI Cluster across management clusters.
    Clusters,
    /// Every Flux object fleet-wide.
    Flux,
    /// Every Terraform object (and provider-terraform Workspace).
    Terraform,
    /// Every Crossplane claim and composite resource.
    Crossplane,
    /// The live reconciliation tree of one object (CAPI Cluster, Kustomization, HelmRelease, Terraform).
    Tree(ObjectRef),
    /// What just went wrong, newest first: health transitions and Warning Events (`model::pulse`).
    Pulse,
}

impl View {
    /// The title shown in the header.
    pub fn title(&self) -> String {
        match self {
            View::Fleet => "Fleet".into(),
            View::Clusters => "Clusters".into(),
            View::Flux => "Flux".into(),
            View::Terraform => "Terraform".into(),
            View::Crossplane => "Crossplane".into(),
            View::Pulse => "Pulse".into(),
            View::Tree(o) => format!("Tree {}/{}/{}", o.context, o.namespace, o.name),
        }
    }
    /// A stable key for per-view cursors.
    pub fn key(&self) -> String {
        match self {
            View::Tree(o) => format!("tree:{}:{}:{}:{}", o.context, o.kind.0, o.namespace, o.name),
            other => other.title(),
        }
    }
}

/// A list cursor: the selected row (into the filtered rows or the tree's lines). It may point past the
/// end after the list shrank; readers clamp it ([`State::selected`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Selected row index.
    pub selected: usize,
}

/// What a frame shows of a list: the selection (clamped to the list) and the first row on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewport {
    /// Selected row index, `< len` (0 for an empty list).
    pub selected: usize,
    /// First visible row.
    pub offset: usize,
}

/// What is drawn over the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    /// The keys of the current view, from the active keymap.
    Help,
    /// `:` command palette: fuzzy over views, contexts, kinds and objects.
    Palette {
        /// What was typed.
        input: String,
        /// The highlighted match.
        selected: usize,
    },
    /// An action waiting for confirmation.
    Confirm(super::jobs::Confirm),
}

/// Which pane has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The list or tree.
    #[default]
    Main,
    /// The details pane.
    Details,
}

/// Navigation: the view and how the user moves in it (history, cursors, filters, panes, overlays, tree
/// toggles). Changed by `update`'s key handling.
#[derive(Debug)]
pub struct Nav {
    /// The view shown.
    pub view: View,
    /// Views to go back to with `esc`.
    pub history: Vec<View>,
    /// Cursors per view key.
    pub cursors: HashMap<String, Cursor>,
    /// The `/` filter: text rows must contain (case-insensitive).
    pub filter: String,
    /// Whether the filter is being typed.
    pub filter_editing: bool,
    /// The Flux view's state filter.
    pub flux_filter: FluxFilter,
    /// An overlay, if open.
    pub overlay: Option<Overlay>,
    /// Whether the details pane is shown.
    pub details: bool,
    /// Which pane has the focus.
    pub focus: Focus,
    /// Scroll of the details pane.
    pub details_scroll: u16,
    /// Tree nodes collapsed by the user (node ids), per tree view key.
    pub collapsed: HashMap<String, std::collections::HashSet<String>>,
    /// Show conditions in CAPI trees.
    pub show_conditions: bool,
}

impl Default for Nav {
    fn default() -> Nav {
        Nav {
            view: View::Fleet,
            history: Vec::new(),
            cursors: HashMap::new(),
            filter: String::new(),
            filter_editing: false,
            flux_filter: FluxFilter::All,
            overlay: None,
            details: false,
            focus: Focus::Main,
            details_scroll: 0,
            collapsed: HashMap::new(),
            show_conditions: false,
        }
    }
}

/// What the cockpit was started with: read-only mode and the rules behind it, the header's banner, and
/// the configuration's warnings. Set once at start.
#[derive(Debug, Default)]
pub struct Settings {
    /// Read-only mode (header badge; every mutation refused).
    pub readonly: bool,
    /// Read-only and production rules.
    pub rules: super::jobs::Rules,
    /// A label for the header, e.g. "demo fleet — simulated controllers".
    pub banner: Option<String>,
    /// Config warnings, shown until dismissed.
    pub warnings: Vec<Warning>,
}

/// The whole UI state, in parts: navigation ([`Nav`]), action jobs ([`super::jobs::Jobs`]), the GitOps
/// wizards ([`super::wizard::Gitops`]) and the start-up settings ([`Settings`]); then the status line,
/// the clock, and what the renderer computes and caches.
#[derive(Debug)]
pub struct State {
    /// Where the user is and how they move.
    pub nav: Nav,
    /// Action jobs, marks and inspections.
    pub jobs: super::jobs::Jobs,
    /// The GitOps wizard shown, if any, and the pushed changes being tracked.
    pub gitops: super::wizard::Gitops,
    /// Read-only mode, rules, banner, warnings.
    pub settings: Settings,
    /// The open Flux tree's unwatched inventory entries: what is being read, and the last answer.
    pub inventory: Option<super::inventory::InventoryView>,
    /// The Terraform view's pending plans: asked for, and their counts once read.
    pub plans: super::plans::PlanReads,
    /// The drift diff shown over the view (`D` on a Kustomization), if any.
    pub diff: Option<super::diff::DiffView>,
    /// Transitions to Failed already told about (see `ui/pulse.rs`).
    pub pulse_seen: u64,
    /// The pinned objects (`*`), shown at the top of the Fleet view; saved to `pins.json` on each change.
    pub pins: crate::model::pins::Pins,
    /// Why `pins.json` could not be read at start: pinning is refused so the file is not overwritten.
    pub pins_error: Option<String>,
    /// A message for the status bar (refusals, hints); cleared by the next key.
    pub message: Option<String>,
    /// The clock used for ages (fixed in snapshots).
    pub now: Timestamp,
    /// Set to leave the loop.
    pub quit: bool,
    /// Rows per page of the current list (the renderer writes it).
    pub page: Cell<usize>,
    /// First row shown per view key (the renderer writes it, scrolling as little as possible).
    pub offsets: RefCell<HashMap<String, usize>>,
    /// Trees built, by view, reused until a kind they read changes.
    pub tree_cache: RefCell<TreeCache>,
    /// The tree shown, flattened into lines, reused until its build, collapsed nodes or toggles change.
    pub tree_lines: super::tree_lines::LinesCache,
    /// The filtered rows of the current list, by (rows revision, sizes, view, filter, state filter).
    pub visible_cache: RefCell<Option<(VisibleKey, std::rc::Rc<Vec<usize>>)>>,
    /// The details pane's YAML (Secret data redacted) of the object shown, by the stored version it was written
    /// from, so a frame does not serialise the object again (`views/details.rs`).
    pub details_yaml: YamlCache,
}

/// What the details pane's cached YAML was written from: the object, its `resourceVersion` and the address of
/// the stored version (a new version of the object is a new allocation).
pub type YamlKey = (crate::model::object_ref::ObjectRef, Option<String>, usize);

/// The last YAML the details pane wrote, as indented lines, and what it was written from.
pub type YamlCache = RefCell<Option<(YamlKey, std::rc::Rc<Vec<String>>)>>;

/// What the cached list of visible rows depends on.
pub type VisibleKey = (u64, usize, String, String, FluxFilter);

impl std::fmt::Debug for TreeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TreeCache({} builds)", self.builds())
    }
}

impl State {
    /// The initial state: the fleet view.
    pub fn new(now: Timestamp) -> State {
        State {
            nav: Nav::default(),
            jobs: Default::default(),
            gitops: Default::default(),
            settings: Settings::default(),
            inventory: None,
            plans: Default::default(),
            diff: None,
            pulse_seen: 0,
            pins: Default::default(),
            pins_error: None,
            message: None,
            now,
            quit: false,
            page: Cell::new(20),
            offsets: RefCell::default(),
            tree_cache: RefCell::new(TreeCache::new()),
            tree_lines: RefCell::default(),
            visible_cache: RefCell::new(None),
            details_yaml: RefCell::default(),
        }
    }

    /// The cursor of the current view.
    pub fn cursor(&self) -> Cursor {
        self.nav.cursors.get(&self.nav.view.key()).copied().unwrap_or_default()
    }

    /// The cursor of the current view, for changing.
    pub fn cursor_mut(&mut self) -> &mut Cursor {
        self.nav.cursors.entry(self.nav.view.key()).or_default()
    }

    /// The current view's selected row in a list of `len` rows (clamped: the list may have shrunk).
    pub fn selected(&self, len: usize) -> usize {
        self.cursor().selected.min(len.saturating_sub(1))
    }

    /// What a screen of `height` rows shows of the current view's list of `len` rows: the selection, and
    /// the first row, moved as little as possible to keep the selection on screen. Records `height` as the
    /// page size and the offset for the next frame (the renderer's only writes, through `Cell`s).
    pub fn scroll(&self, len: usize, height: usize) -> Viewport {
        let height = height.max(1);
        self.page.set(height);
        let selected = self.selected(len);
        let key = self.nav.view.key();
        let mut offsets = self.offsets.borrow_mut();
        let mut offset = offsets.get(&key).copied().unwrap_or(0);
        if selected < offset {
            offset = selected;
        } else if selected >= offset + height {
            offset = selected + 1 - height;
        }
        offsets.insert(key, offset);
        Viewport { selected, offset }
    }

    /// Shows `view`, remembering the current one for `esc`.
    pub fn go(&mut self, view: View) {
        if view != self.nav.view {
            let old = std::mem::replace(&mut self.nav.view, view);
            self.nav.history.push(old);
            self.nav.filter.clear();
        }
    }
}
