//! The fleet pulse: what just went wrong, newest first, across every context. Two sources, both bounded:
//!
//! - **health transitions** the store saw since launch (an object whose health state changed between two
//!   watch events, or across a relist): object, from -> to, when, reason and message. The newest
//!   [`TRANSITIONS_KEPT`] are kept.
//! - **`Warning` Events** (core/v1) whose involved object is a kind fleetdeck shows, from one Events watch
//!   per context (`type=Warning` field selector; `fleet/events.rs`). Folded as `kubectl get events` shows
//!   them: one line per (object, reason, message) with the counts added up and the first and last times
//!   kept (an Event the server already aggregated brings its own `count` / `series.count`). The newest
//!   [`EVENTS_KEPT`] folded lines per context are kept, so memory stays flat under a flood.
//!
//! Pure: the store feeds it, the views and `fleetdeck pulse` read [`Pulse::lines`].
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::kinds::KindId;
use super::object_ref::ObjectRef;
use super::status::HealthState;

/// Health transitions kept (the newest).
pub const TRANSITIONS_KEPT: usize = 1_000;
/// Folded Warning Event lines kept per context (the newest by last time).
pub const EVENTS_KEPT: usize = 100;

/// A health state change of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// When the store saw it.
    pub at: Timestamp,
    /// The object.
    pub object: ObjectRef,
    /// The state before and after.
    pub from: HealthState,
    pub to: HealthState,
    /// The new health's reason and message.
    pub reason: String,
    pub message: String,
}

/// One `Warning` Event as the Events watch reads it (`fleet/events.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningEvent {
    /// The involved object (a kind of the catalogue).
    pub object: ObjectRef,
    /// `reason`, `message`.
    pub reason: String,
    pub message: String,
    /// How many times it happened (`series.count`, else `count`, else 1).
    pub count: u32,
    /// First and last time (`firstTimestamp` / `eventTime`, `series.lastObservedTime` / `lastTimestamp`).
    pub first: Timestamp,
    pub last: Timestamp,
    /// Who reported it (`reportingController`, else `source.component`).
    pub source: String,
    /// The Event's own `namespace/name`, so that an update of the same Event replaces its count instead of
    /// adding to it.
    pub event: String,
}

/// A folded Warning line: every Event of one (object, reason, message), and the line it shows as (shared
/// with the views, rebuilt only when an Event of it arrives).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Folded {
    /// Count per Event object (a hash of its `namespace/name`), summed for display. Usually one entry.
    counts: Vec<(u64, u32)>,
    line: Arc<PulseLine>,
}

/// A 64-bit hash (std's SipHash with fixed keys) standing for a string that the line already holds.
fn hash_of(parts: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// What one pulse line says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PulseWhat {
    /// A health transition.
    Transition { from: HealthState, to: HealthState, reason: String },
    /// Warning Events, folded.
    #[serde(rename_all = "camelCase")]
    Warning { reason: String, count: u32, first: Timestamp, source: String },
}

/// One line of the pulse, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PulseLine {
    /// When it happened (a Warning's last time).
    pub at: Timestamp,
    /// The object.
    pub object: ObjectRef,
    /// What happened.
    #[serde(flatten)]
    pub what: PulseWhat,
    /// The message.
    pub message: String,
}

impl PulseLine {
    /// Whether this line reports a failure (a transition to Failed).
    pub fn is_failure(&self) -> bool {
        matches!(self.what, PulseWhat::Transition { to: HealthState::Failed, .. })
    }
}

/// Transitions and folded Warning Events. See the module docs.
#[derive(Debug, Default)]
pub struct Pulse {
    transitions: VecDeque<Arc<PulseLine>>,
    /// Per context, the folded lines by a hash of (object, reason, message): the strings live once, in the
    /// line.
    events: BTreeMap<String, HashMap<u64, Folded>>,
    failures: u64,
    revision: u64,
    listed: std::collections::BTreeSet<String>,
}

impl Pulse {
    /// Records a transition (the oldest goes past [`TRANSITIONS_KEPT`]).
    pub fn transition(&mut self, t: Transition) {
        self.revision += 1;
        if t.to == HealthState::Failed {
            self.failures += 1;
        }
        if self.transitions.len() == TRANSITIONS_KEPT {
            self.transitions.pop_front();
        }
        self.transitions.push_back(Arc::new(PulseLine {
            at: t.at,
            object: t.object,
            what: PulseWhat::Transition { from: t.from, to: t.to, reason: t.reason },
            message: t.message,
        }));
    }

    /// Folds a Warning Event of `context` in (the least recent line of the context goes past
    /// [`EVENTS_KEPT`]).
    pub fn warning(&mut self, context: &str, e: WarningEvent) {
        self.revision += 1;
        let lines = self.events.entry(context.to_owned()).or_default();
        let o = &e.object;
        let key = hash_of(&[o.kind.spec().group, o.kind.spec().kind, &o.namespace, &o.name, &e.reason, &e.message]);
        let f = lines.entry(key).or_insert_with(|| Folded {
            counts: Vec::new(),
            line: Arc::new(PulseLine {
                at: e.last,
                object: e.object,
                what: PulseWhat::Warning { reason: e.reason, count: 0, first: e.first, source: e.source.clone() },
                message: e.message,
            }),
        });
        let event = hash_of(&[&e.event]);
        match f.counts.iter_mut().find(|(h, _)| *h == event) {
            Some((_, c)) => *c = e.count.max(1),
            None => f.counts.push((event, e.count.max(1))),
        }
        let total = f.counts.iter().map(|(_, c)| c).sum();
        let line = Arc::make_mut(&mut f.line);
        if e.last >= line.at {
            line.at = e.last;
            if let PulseWhat::Warning { source, .. } = &mut line.what {
                *source = e.source;
            }
        }
        if let PulseWhat::Warning { count, first, .. } = &mut line.what {
            *count = total;
            *first = (*first).min(e.first);
        }
        if lines.len() > EVENTS_KEPT
            && let Some(oldest) = lines.iter().min_by_key(|(_, f)| f.line.at).map(|(k, _)| *k)
        {
            lines.remove(&oldest);
        }
    }

    /// Notes that `context`'s Events watch delivered its initial list.
    pub fn listed(&mut self, context: &str) {
        self.listed.insert(context.to_owned());
    }

    /// Whether `context`'s Events watch delivered its initial list.
    pub fn is_listed(&self, context: &str) -> bool {
        self.listed.contains(context)
    }

    /// Forgets a context's Events (the context was removed).
    pub fn forget(&mut self, context: &str) {
        self.listed.remove(context);
        self.revision += u64::from(self.events.remove(context).is_some());
    }

    /// Bumped on every change (views recompute their lines only then).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// How many transitions to Failed were ever recorded (a counter: the cockpit flashes when it grows).
    pub fn failures(&self) -> u64 {
        self.failures
    }

    /// Folded Warning lines held, over every context.
    pub fn warning_lines(&self) -> usize {
        self.events.values().map(HashMap::len).sum()
    }

    /// Every line, newest first (ties: transitions before Warnings, then by object). Shared, not copied:
    /// cheap enough to call on every change (10,000 lines: about a millisecond).
    pub fn lines(&self) -> Vec<Arc<PulseLine>> {
        let mut out: Vec<Arc<PulseLine>> = self.transitions.iter().cloned().collect();
        for lines in self.events.values() {
            out.extend(lines.values().map(|f| f.line.clone()));
        }
        let rank = |l: &Arc<PulseLine>| matches!(l.what, PulseWhat::Warning { .. });
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| rank(a).cmp(&rank(b))).then_with(|| a.object.cmp(&b.object)));
        out
    }
}

/// The catalogue kind of an involved object (`apiVersion`, `kind`), if fleetdeck shows it.
pub fn shown_kind(api_version: &str, kind: &str) -> Option<KindId> {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    KindId::find(group, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn obj(name: &str) -> ObjectRef {
        ObjectRef::new("prod-us", KindId::KUSTOMIZATION, "flux-system", name)
    }

    fn warning(name: &str, reason: &str, event: &str, count: u32, first: i64, last: i64) -> WarningEvent {
        WarningEvent {
            object: obj(name),
            reason: reason.into(),
            message: format!("{reason} happened"),
            count,
            first: at(first),
            last: at(last),
            source: "kustomize-controller".into(),
            event: event.into(),
        }
    }

    #[test]
    fn lines_are_newest_first_and_events_fold_as_kubectl_shows_them() {
        let mut p = Pulse::default();
        p.transition(Transition {
            at: at(50),
            object: obj("apps"),
            from: HealthState::Ready,
            to: HealthState::Failed,
            reason: "BuildFailed".into(),
            message: "kustomize build failed".into(),
        });
        p.warning("prod-us", warning("apps", "BuildFailed", "apps.1", 3, 10, 40));
        // The same Event updated (count 3 -> 5): replaces its count.
        p.warning("prod-us", warning("apps", "BuildFailed", "apps.1", 5, 10, 60));
        // Another Event object with the same reason and message: folded in, counts added.
        p.warning("prod-us", warning("apps", "BuildFailed", "apps.2", 2, 5, 55));
        p.warning("prod-us", warning("infra", "HealthCheckFailed", "infra.1", 1, 20, 20));
        let lines = p.lines();
        let summary: Vec<String> = lines
            .iter()
            .map(|l| match &l.what {
                PulseWhat::Transition { from, to, .. } => {
                    format!("{} {}: {from:?} -> {to:?}", l.at.as_second() - 1_800_000_000, l.object.name)
                }
                PulseWhat::Warning { reason, count, first, .. } => {
                    format!(
                        "{} {}: {reason} x{count} since {}",
                        l.at.as_second() - 1_800_000_000,
                        l.object.name,
                        first.as_second() - 1_800_000_000
                    )
                }
            })
            .collect();
        assert_eq!(
            summary,
            ["60 apps: BuildFailed x7 since 5", "50 apps: Ready -> Failed", "20 infra: HealthCheckFailed x1 since 20"]
        );
        assert_eq!(p.failures(), 1);
        assert!(lines[1].is_failure() && !lines[0].is_failure());
    }

    #[test]
    fn memory_is_bounded_under_a_flood() {
        let mut p = Pulse::default();
        for i in 0..5_000 {
            p.warning("c", warning(&format!("o{i}"), "BackOff", &format!("e{i}"), 1, i, i));
        }
        assert_eq!(p.warning_lines(), EVENTS_KEPT);
        let newest = p.lines();
        assert_eq!(newest[0].object.name, "o4999");
        assert_eq!(newest.last().unwrap().object.name, format!("o{}", 5_000 - EVENTS_KEPT));
        for i in 0..(TRANSITIONS_KEPT + 10) {
            p.transition(Transition {
                at: at(i as i64),
                object: obj("x"),
                from: HealthState::Ready,
                to: HealthState::Progressing,
                reason: String::new(),
                message: String::new(),
            });
        }
        assert_eq!(p.lines().len(), EVENTS_KEPT + TRANSITIONS_KEPT);
    }

    #[test]
    fn only_shown_kinds_are_kept() {
        assert_eq!(shown_kind("kustomize.toolkit.fluxcd.io/v1", "Kustomization"), Some(KindId::KUSTOMIZATION));
        assert_eq!(shown_kind("apps/v1", "Deployment"), None);
    }
}
