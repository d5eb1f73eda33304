//! The cockpit's watch on the pulse: when an object turns Failed while the operator looks at another view,
//! the status bar says so (until the next key) and, with `pulse_bell: true` in config.yaml, the terminal
//! bell rings ([`Effect::Bell`]). Pure: the loop calls [`follow`] after each frame.
use super::msg::Effect;
use super::state::{State, View};
use crate::model::pulse::PulseWhat;
use crate::model::store::FleetStore;

/// Compares the store's count of transitions to Failed with what was seen; on news, flashes the newest one
/// (unless the Pulse view is shown) and returns the bell when `bell` is on. Returns whether it flashed.
pub fn follow(state: &mut State, store: &FleetStore, bell: bool) -> (bool, Vec<Effect>) {
    let failures = store.pulse().failures();
    if failures <= state.pulse_seen {
        return (false, Vec::new());
    }
    let new = failures - state.pulse_seen;
    state.pulse_seen = failures;
    if state.nav.view == View::Pulse {
        return (false, Vec::new());
    }
    let lines = store.pulse().lines();
    let Some(newest) = lines.iter().find(|l| l.is_failure()) else { return (false, Vec::new()) };
    let o = &newest.object;
    let reason = match &newest.what {
        PulseWhat::Transition { reason, .. } if !reason.is_empty() => format!(": {reason}"),
        _ => String::new(),
    };
    let more = if new > 1 { format!(" (+{} more)", new - 1) } else { String::new() };
    state.message = Some(format!(
        "⚠ {} {} {}/{} turned Failed{reason}{more} · 5 pulse",
        o.context,
        o.kind.spec().kind,
        o.namespace,
        o.name
    ));
    (true, if bell { vec![Effect::Bell] } else { Vec::new() })
}
