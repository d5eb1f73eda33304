//! The cockpit's drift diff (`D` on a Flux Kustomization): what is shown while `ops::diff::run` works off the
//! UI task, then its report, one object selected at a time, with the selected object's diff scrollable.
//! Data and pure transitions only; `views/diff.rs` draws it and `effects.rs` runs it.
use std::cell::Cell;

use super::msg::{DiffDone, Effect};
use crate::config::Action;
use crate::model::drift::Verdict;
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::ops::diff::DiffReport;

/// The diff shown over the current view.
#[derive(Debug, Clone)]
pub struct DiffView {
    /// The Kustomization.
    pub target: ObjectRef,
    /// Which run this view waits for (a re-run replaces the answer only when it is the newest).
    pub run: u64,
    /// `None` while running; then the report, or why there is none.
    pub result: Option<Result<DiffReport, String>>,
    /// The selected entry of the report.
    pub selected: usize,
    /// Lines the selected entry's diff is scrolled by.
    pub scroll: usize,
    /// Rows the diff pane shows (the renderer writes it, for paging).
    pub page: Cell<usize>,
}

impl DiffView {
    /// Entries of the report (none while running or after an error).
    pub fn len(&self) -> usize {
        self.result.as_ref().and_then(|r| r.as_ref().ok()).map_or(0, |r| r.entries.len())
    }

    /// Whether the report has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Opens the diff of `target`, a Kustomization (anything else is refused with a message), and returns the
/// effect that runs it. A diff already open for it runs again.
pub fn open(view: &mut Option<DiffView>, target: ObjectRef, message: &mut Option<String>) -> Vec<Effect> {
    if target.kind != KindId::KUSTOMIZATION {
        *message = Some(format!("diff works on Flux Kustomizations, not {}", target.kind.spec().kind));
        return Vec::new();
    }
    let run = view.as_ref().map_or(1, |v| v.run + 1);
    *view = Some(DiffView { target: target.clone(), run, result: None, selected: 0, scroll: 0, page: Cell::new(10) });
    vec![Effect::Diff { target, run }]
}

/// Applies a finished run to the view it belongs to (dropped when the view closed or a newer run started).
/// Selects the first entry with a diff to show (drifted), else the first created, deleted or failed one, so
/// that the first thing shown is what differs.
pub fn apply(view: &mut Option<DiffView>, done: DiffDone) {
    let Some(v) = view.as_mut().filter(|v| v.target == done.target && v.run == done.run) else {
        return;
    };
    let first = |pick: &dyn Fn(&Verdict) -> bool| {
        done.result.as_ref().ok().and_then(|r| r.entries.iter().position(|e| pick(&e.verdict)))
    };
    v.selected = first(&|v| matches!(v, Verdict::Drifted { .. }))
        .or_else(|| first(&|v| v.is_drift() || matches!(v, Verdict::Failed { .. })))
        .unwrap_or(0);
    v.scroll = 0;
    v.result = Some(done.result);
}

/// A key's action while the diff is shown: up / down select an entry, page keys scroll its diff, top /
/// bottom select the first / last entry, back closes, `diff` or refresh runs it again. Returns the effects
/// and whether the key was used.
pub fn key(view: &mut Option<DiffView>, action: Action, message: &mut Option<String>) -> (bool, Vec<Effect>) {
    let Some(v) = view.as_mut() else { return (false, Vec::new()) };
    let last = v.len().saturating_sub(1);
    let page = v.page.get().max(1);
    match action {
        Action::Back => *view = None,
        Action::Up => {
            v.selected = v.selected.saturating_sub(1);
            v.scroll = 0;
        }
        Action::Down => {
            v.selected = (v.selected + 1).min(last);
            v.scroll = 0;
        }
        Action::Top => (v.selected, v.scroll) = (0, 0),
        Action::Bottom => (v.selected, v.scroll) = (last, 0),
        Action::PageDown | Action::Expand => v.scroll += page,
        Action::PageUp | Action::Collapse => v.scroll = v.scroll.saturating_sub(page),
        Action::Diff | Action::Refresh => {
            let target = v.target.clone();
            return (true, open(view, target, message));
        }
        _ => return (false, Vec::new()),
    }
    (true, Vec::new())
}
