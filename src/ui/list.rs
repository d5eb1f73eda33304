//! The rows of the current list view after the `/` filter and the state filter, as indexes into [`Rows`]:
//! what the cursor moves over and what `enter` opens. Pure.
use super::rows::{ObjectRef, Rows};
use super::state::{State, View};
use crate::model::store::Origin;

/// What `enter` on a row leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A context: its Flux objects (the Flux view filtered to it).
    Context(String),
    /// An object: its tree.
    Object(ObjectRef),
}

fn matches(filter: &str, fields: &[&str]) -> bool {
    if filter.is_empty() {
        return true;
    }
    let f = filter.to_lowercase();
    fields.iter().any(|x| x.to_lowercase().contains(&f))
}

/// Indexes of the rows the current list view shows, in order, with what each opens.
pub fn visible(state: &State, rows: &Rows) -> Vec<(usize, Target)> {
    let f = state.filter.as_str();
    match &state.view {
        View::Fleet => rows
            .fleet
            .iter()
            .enumerate()
            .filter(|(_, r)| matches(f, &[&r.name, &r.reason, &format!("{:?}", r.state)]))
            .map(|(i, r)| {
                let ctx = match &r.origin {
                    Origin::Derived { alias_of: Some(a), .. } => a.clone(),
                    _ => r.name.clone(),
                };
                (i, Target::Context(ctx))
            })
            .collect(),
        View::Clusters => rows
            .clusters
            .iter()
            .enumerate()
            .filter(|(_, r)| matches(f, &[&r.obj.context, &r.obj.namespace, &r.obj.name, &r.phase, &r.health.message]))
            .map(|(i, r)| (i, Target::Object(r.obj.clone())))
            .collect(),
        View::Flux => rows
            .flux
            .iter()
            .enumerate()
            .filter(|(_, r)| state.flux_filter.admits(r.health.state))
            .filter(|(_, r)| {
                matches(f, &[&r.obj.context, &r.obj.namespace, &r.obj.name, r.obj.kind.spec().kind, &r.health.message])
            })
            .map(|(i, r)| (i, Target::Object(r.obj.clone())))
            .collect(),
        View::Terraform => rows
            .terraform
            .iter()
            .enumerate()
            .filter(|(_, r)| matches(f, &[&r.obj.context, &r.obj.namespace, &r.obj.name, &r.health.message]))
            .map(|(i, r)| (i, Target::Object(r.obj.clone())))
            .collect(),
        View::Tree(_) => Vec::new(),
    }
}
