//! The watch plan of a large fleet: every context watches its **summary** kinds (what the Fleet view's row
//! reads, [`crate::model::summary::kinds`]), and the rest of the catalogue only where a consumer asks for it
//! (the context the operator looks at, the failing ones, the kinds a fleet-wide view on screen lists).
//!
//! On a fleet of at most [`super::FleetOptions::full_watch_limit`] contexts, or without a [`Demand`] (the
//! headless commands, which choose their kinds up front), every context watches all of
//! [`super::FleetOptions::kinds`], as before. Above it, a context costs the API servers and this process
//! about a third of the watches (11 of the catalogue's 36 kinds) until someone looks at it.
//!
//! The consumer publishes [`Wants`] through [`Demand::publish`]; each connection task follows its own part
//! ([`Demand::kinds_for`]) and wakes on a change ([`Demand::changed`]) to open or stop watches (a stopped kind
//! is reported `KindEvent::Unwatched`, so the store drops its objects instead of showing stale ones).
use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::watch;

use crate::model::kinds::KindSet;

/// What a consumer asks the fleet to watch beyond each context's summary kinds, per context. There is no
/// "every context" form on purpose: on a fleet of a thousand, one more kind everywhere is a thousand watches
/// opened at once, so a fleet-wide view asks for the contexts it lists. The default asks for nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wants {
    /// Kinds per context name (the context looked at, the failing ones, the pinned objects' contexts, the
    /// contexts a fleet-wide view lists). A context named here also watches its `Warning` Events (when
    /// [`super::FleetOptions::warning_events`] is on), even with no kinds.
    pub contexts: BTreeMap<Arc<str>, KindSet>,
}

/// What one context is asked to watch: `kinds` beyond its summary, and whether its Events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextWants {
    /// Kinds beyond the summary kinds.
    pub kinds: KindSet,
    /// Whether it watches its `Warning` Events.
    pub events: bool,
}

/// The published [`Wants`], shared by the consumer (which publishes) and every connection task (which
/// follows). Cheap to clone.
#[derive(Debug, Clone)]
pub struct Demand {
    tx: Arc<watch::Sender<Wants>>,
}

impl Default for Demand {
    fn default() -> Self {
        Demand { tx: Arc::new(watch::Sender::new(Wants::default())) }
    }
}

impl Demand {
    /// A demand asking for nothing beyond the summaries.
    pub fn new() -> Demand {
        Demand::default()
    }

    /// Publishes `wants`; the connection tasks are woken only when it differs from what was published.
    pub fn publish(&self, wants: Wants) {
        self.tx.send_if_modified(|w| {
            if *w == wants {
                return false;
            }
            *w = wants;
            true
        });
    }

    /// What `context` is asked for now.
    pub fn kinds_for(&self, context: &str) -> ContextWants {
        let own = self.tx.borrow().contexts.get(context).copied();
        ContextWants { kinds: own.unwrap_or(KindSet::NONE), events: own.is_some() }
    }

    /// A receiver that [`Demand::changed`] waits on; each connection task holds one.
    pub fn subscribe(&self) -> watch::Receiver<Wants> {
        self.tx.subscribe()
    }

    /// Waits until something new is published after `rx` last looked (forever when the demand is gone).
    pub async fn changed(rx: &mut watch::Receiver<Wants>) {
        if rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        rx.borrow_and_update();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_gets_its_own_kinds_and_events_only_when_named() {
        let d = Demand::new();
        assert_eq!(d.kinds_for("a"), ContextWants { kinds: KindSet::NONE, events: false }, "the default asks nothing");
        let mut w = Wants::default();
        w.contexts.insert("a".into(), KindSet::ALL);
        w.contexts.insert("b".into(), KindSet::NONE);
        d.publish(w);
        assert_eq!(d.kinds_for("a"), ContextWants { kinds: KindSet::ALL, events: true });
        assert_eq!(d.kinds_for("b"), ContextWants { kinds: KindSet::NONE, events: true }, "named: its Events");
        assert_eq!(d.kinds_for("c"), ContextWants { kinds: KindSet::NONE, events: false });
    }

    #[tokio::test]
    async fn subscribers_wake_only_on_a_real_change() {
        let d = Demand::new();
        let mut rx = d.subscribe();
        d.publish(Wants::default());
        assert!(!rx.has_changed().expect("sender alive"));
        let mut w = Wants::default();
        w.contexts.insert("x".into(), KindSet::NONE);
        d.publish(w.clone());
        assert!(rx.has_changed().expect("sender alive"));
        Demand::changed(&mut rx).await;
        assert!(!rx.has_changed().expect("sender alive"));
        d.publish(w);
        assert!(!rx.has_changed().expect("sender alive"), "the same wants again wake nobody");
        assert!(d.kinds_for("x").events);
    }
}
