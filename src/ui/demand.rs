//! What the cockpit asks a large fleet to watch beyond each context's summary kinds (the plan is
//! [`crate::fleet::demand`]'s). Pure: [`wants`] reads the state and rows; [`follow`] (called by the loop
//! after each frame) returns an [`Effect::Demand`] when the answer changed, and `effects.rs` publishes it.
//!
//! Asked for, all the catalogue's kinds and the `Warning` Events of:
//! - the context under the cursor (the Fleet view's row, another list's object, an open tree's root), and
//!   those looked at in the last [`RECENT`] (at most [`RECENT_MAX`]), so going back is instant;
//! - the first [`FAILING_MAX`] failing contexts (worst first, as the Fleet view sorts them), where the
//!   operator goes next;
//! - the contexts of pinned objects (their kinds only).
//!
//! And, while a fleet-wide view is on screen, the family it lists beyond the summaries, in the contexts whose
//! objects it lists (one per server, [`Rows::listed`]): Cluster API where the Fleet row counts CAPI Clusters
//! (the Clusters view), Crossplane's packages where claims or XRs are listed (the Crossplane view), the
//! Warning Events of every listed context (the Pulse view). Not every context: on a fleet of a thousand,
//! twenty more watches each at once would be a storm of their own.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::list::{Target, selected_target};
use super::msg::Effect;
use super::rows::Rows;
use super::state::{State, View};
use crate::fleet::demand::Wants;
use crate::model::kinds::{Family, KindSet};
use crate::model::store::ConnState;

/// How long a context stays fully watched after the cursor left it.
pub const RECENT: Duration = Duration::from_secs(120);
/// At most this many recently looked-at contexts stay fully watched.
pub const RECENT_MAX: usize = 8;
/// At most this many failing contexts are fully watched.
pub const FAILING_MAX: usize = 16;

/// What the cockpit asked for, and the contexts looked at recently.
#[derive(Debug, Clone, Default)]
pub struct Asked {
    /// Contexts the cursor was on, most recent first, with when it left them (or last saw them).
    pub recent: Vec<(Arc<str>, Timestamp)>,
    /// The last [`Wants`] published.
    pub published: Option<Wants>,
}

/// The context the operator is looking at: the selected row's, or the open tree's.
fn looked_at(state: &State, rows: &Rows) -> Option<Arc<str>> {
    match &state.nav.view {
        View::Tree(root) => Some(root.context.as_str().into()),
        _ => match selected_target(state, rows)? {
            Target::Context(c) => Some(c.as_str().into()),
            Target::Object(o) => Some(o.context.into()),
        },
    }
}

/// What to ask for now (see the module docs); updates `asked.recent` with the context looked at.
pub fn wants(asked: &mut Asked, state: &State, rows: &Rows) -> Wants {
    let now = state.now;
    if let Some(ctx) = looked_at(state, rows) {
        asked.recent.retain(|(c, _)| *c != ctx);
        asked.recent.insert(0, (ctx, now));
    }
    asked.recent.retain(|(_, at)| now.duration_since(*at).as_secs_f64() <= RECENT.as_secs_f64());
    asked.recent.truncate(RECENT_MAX);
    let mut w = Wants::default();
    let mut ask = |ctx: &str, kinds: KindSet| {
        let entry = w.contexts.entry(ctx.into()).or_insert(KindSet::NONE);
        *entry = entry.union(kinds);
    };
    // Contexts the lists show, as a set: a fleet of a thousand distinct servers lists a thousand.
    let listed: HashSet<&str> = rows.listed.iter().map(|c| c.as_ref()).collect();
    match state.nav.view {
        View::Clusters => {
            let capi = KindSet::family(Family::ClusterApi);
            let with_clusters = rows.fleet.iter().filter(|s| s.capi_clusters.total > 0);
            for s in with_clusters.filter(|s| listed.contains(s.name.as_str())) {
                ask(&s.name, capi);
            }
        }
        View::Crossplane => {
            let packages = KindSet::family(Family::Crossplane);
            let with_rows: HashSet<&str> = rows.crossplane.iter().map(|r| r.obj.context.as_str()).collect();
            for ctx in listed.iter().filter(|c| with_rows.contains(**c)) {
                ask(ctx, packages);
            }
        }
        View::Pulse => listed.iter().for_each(|c| ask(c, KindSet::NONE)),
        _ => {}
    }
    for (ctx, _) in &asked.recent {
        ask(ctx, KindSet::ALL);
    }
    let failing = rows.fleet.iter().filter(|s| s.state == ConnState::Ready && s.rank() <= 1);
    for s in failing.take(FAILING_MAX) {
        ask(&s.name, KindSet::ALL);
    }
    for (ctx, pin) in state.pins.iter() {
        if let Some(o) = pin.object(ctx) {
            ask(ctx, KindSet::NONE.with(o.kind));
        }
    }
    w
}

/// The effect publishing [`wants`] when it differs from what was last published.
pub fn follow(asked: &mut Asked, state: &State, rows: &Rows) -> Option<Effect> {
    let w = wants(asked, state, rows);
    if asked.published.as_ref() == Some(&w) {
        return None;
    }
    asked.published = Some(w.clone());
    Some(Effect::Demand(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{FleetStore, Origin, StoreEvent, StoreMsg};

    /// Contexts `a`, `b`, `c` (a and b on one server, c on another), all Ready.
    fn rows() -> Rows {
        let mut store = FleetStore::new();
        let now = Timestamp::UNIX_EPOCH;
        for (ctx, server) in [("a", "https://one"), ("b", "https://one"), ("c", "https://two")] {
            let msg = |event| StoreMsg { context: ctx.into(), generation: 1, event };
            store.apply(msg(StoreEvent::Registered { server: server.into(), origin: Origin::Kubeconfig }), now);
            store.apply(msg(StoreEvent::Ready { server_version: "v1.37.2".into() }), now);
        }
        Rows::derive(&store, now)
    }

    #[test]
    fn the_context_looked_at_and_the_recent_ones_are_fully_watched() {
        let rows = rows();
        let mut state = State::new(Timestamp::UNIX_EPOCH);
        let mut asked = Asked::default();
        let w = wants(&mut asked, &state, &rows);
        let first = rows.fleet[0].name.clone();
        assert_eq!(w.contexts.keys().map(|c| c.to_string()).collect::<Vec<_>>(), std::slice::from_ref(&first));
        assert_eq!(w.contexts[first.as_str()], KindSet::ALL);
        // Down one row: both stay, the newer first.
        state.cursor_mut().selected = 1;
        let w = wants(&mut asked, &state, &rows);
        assert_eq!(w.contexts.len(), 2);
        assert_eq!(asked.recent[0].0.as_ref(), rows.fleet[1].name);
        // Two minutes later the first is let go.
        state.now = Timestamp::UNIX_EPOCH + RECENT + Duration::from_secs(1);
        let w = wants(&mut asked, &state, &rows);
        assert_eq!(w.contexts.keys().map(|c| c.to_string()).collect::<Vec<_>>(), [rows.fleet[1].name.clone()]);
        // Unchanged wants are published once.
        assert!(follow(&mut asked, &state, &rows).is_some());
        assert!(follow(&mut asked, &state, &rows).is_none());
    }

    #[test]
    fn the_pulse_asks_for_the_events_of_one_context_per_server() {
        let rows = rows();
        let mut state = State::new(Timestamp::UNIX_EPOCH);
        state.nav.view = View::Pulse;
        let w = wants(&mut Asked::default(), &state, &rows);
        let listed: Vec<String> = rows.listed.iter().map(|c| c.to_string()).collect();
        assert_eq!(listed.len(), 2, "a and b share a server: {listed:?}");
        for c in &listed {
            assert!(w.contexts.contains_key(c.as_str()), "{c} watches its Events: {w:?}");
        }
    }
}
