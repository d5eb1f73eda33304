//! The rows of the current list view after the `/` filter and the state filter, as indexes into [`Rows`]:
//! what the cursor moves over and what `enter` opens. Pure.
use super::rows::Rows;
use super::state::{State, View};
use crate::model::object_ref::ObjectRef;
use crate::model::pulse::PulseWhat;

/// What `enter` on a row leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A context: its Flux objects (the Flux view filtered to it).
    Context(String),
    /// An object: its tree.
    Object(ObjectRef),
}

/// Whether any of `fields` contains `filter` (already lowercased), ignoring case; an empty filter matches.
fn matches(filter: &str, fields: &[&str]) -> bool {
    filter.is_empty() || fields.iter().any(|x| x.to_lowercase().contains(filter))
}

/// What the current list shows, cached: the filtered row indexes are recomputed only when the rows, the
/// view or a filter changed, so a frame (and a key) costs the rows on screen, not the rows in the fleet.
pub fn indexes(state: &State, rows: &Rows) -> std::rc::Rc<Vec<usize>> {
    let key = (
        rows.revision,
        rows.fleet.len() + rows.clusters.len() + rows.flux.len() + rows.terraform.len() + rows.pulse.len(),
        state.nav.view.key(),
        state.nav.filter.clone(),
        state.nav.flux_filter,
    );
    let mut cache = state.visible_cache.borrow_mut();
    if let Some((k, v)) = cache.as_ref()
        && *k == key
    {
        return v.clone();
    }
    let v = std::rc::Rc::new(admitted(state, rows));
    *cache = Some((key, v.clone()));
    v
}

/// What `enter` on row `i` of the current view opens.
pub fn target(view: &View, rows: &Rows, i: usize) -> Option<Target> {
    match view {
        View::Fleet => rows.fleet.get(i).map(|r| {
            let source = r.origin.alias_of().or(r.shares_connection_of.as_deref());
            Target::Context(source.unwrap_or(&r.name).to_owned())
        }),
        View::Clusters => rows.clusters.get(i).map(|r| Target::Object(r.obj.clone())),
        View::Flux => rows.flux.get(i).map(|r| Target::Object(r.obj.clone())),
        View::Terraform => rows.terraform.get(i).map(|r| Target::Object(r.obj.clone())),
        View::Crossplane => rows.crossplane.get(i).map(|r| Target::Object(r.obj.clone())),
        View::Pulse => rows.pulse.get(i).map(|l| Target::Object(l.object.clone())),
        View::Tree(_) => None,
    }
}

/// The target of the selected row of the current list.
pub fn selected_target(state: &State, rows: &Rows) -> Option<Target> {
    let visible = indexes(state, rows);
    visible.get(state.selected(visible.len())).and_then(|i| target(&state.nav.view, rows, *i))
}

/// Indexes of the rows the current list view shows, in order, with what each opens (uncached).
pub fn visible(state: &State, rows: &Rows) -> Vec<(usize, Target)> {
    admitted(state, rows).into_iter().filter_map(|i| Some((i, target(&state.nav.view, rows, i)?))).collect()
}

/// Indexes of the rows that pass the `/` filter and the state filter, in order. Builds nothing per row: with
/// no filter a list of 10,000 rows costs one pass over their health.
fn admitted(state: &State, rows: &Rows) -> Vec<usize> {
    let f = state.nav.filter.to_lowercase();
    let keep = |fields: &[&str]| matches(&f, fields);
    match &state.nav.view {
        View::Fleet => (0..rows.fleet.len())
            .filter(|&i| {
                let r = &rows.fleet[i];
                f.is_empty() || keep(&[&r.name, &r.reason, &format!("{:?}", r.state)])
            })
            .collect(),
        View::Clusters => (0..rows.clusters.len())
            .filter(|&i| {
                let r = &rows.clusters[i];
                keep(&[&r.obj.context, &r.obj.namespace, &r.obj.name, &r.phase, &r.health.message])
            })
            .collect(),
        View::Flux => (0..rows.flux.len())
            .filter(|&i| {
                let r = &rows.flux[i];
                state.nav.flux_filter.admits(r.health.state)
                    && keep(&[&r.obj.context, &r.obj.namespace, &r.obj.name, r.obj.kind.spec().kind, &r.health.message])
            })
            .collect(),
        View::Terraform => (0..rows.terraform.len())
            .filter(|&i| {
                let r = &rows.terraform[i];
                keep(&[&r.obj.context, &r.obj.namespace, &r.obj.name, &r.health.message])
            })
            .collect(),
        View::Crossplane => (0..rows.crossplane.len())
            .filter(|&i| {
                let r = &rows.crossplane[i];
                state.nav.flux_filter.admits(rows.crossplane_state(r))
                    && keep(&[
                        &r.obj.context,
                        &r.obj.namespace,
                        &r.obj.name,
                        r.obj.kind.spec().kind,
                        &r.composition,
                        &r.health.message,
                    ])
            })
            .collect(),
        View::Pulse => (0..rows.pulse.len())
            .filter(|&i| {
                let l = &rows.pulse[i];
                let reason = match &l.what {
                    PulseWhat::Transition { reason, .. } | PulseWhat::Warning { reason, .. } => reason.as_str(),
                };
                let o = &l.object;
                keep(&[&o.context, o.kind.spec().kind, &o.namespace, &o.name, reason, &l.message])
            })
            .collect(),
        View::Tree(_) => Vec::new(),
    }
}
