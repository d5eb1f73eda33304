//! Pinned objects: what an operator keeps an eye on, shown at the top of the Fleet view with live health and
//! in `fleetdeck contexts -o json` under `pinned`.
//!
//! Pins are kept per kubeconfig context name (a derived context `<mgmt>/<ns>/<cluster>` is a name too), in pin
//! order, as JSON in the state directory (`pins.json`, written by the cockpit, read by both):
//! `{"contexts": {"prod-us": [{"group": "helm.toolkit.fluxcd.io", "kind": "HelmRelease", "namespace":
//! "podinfo", "name": "podinfo"}]}}`. A pin of a kind fleetdeck no longer watches is kept (and shown as such),
//! never dropped.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kinds::{KindId, KindSet};
use super::object_ref::ObjectRef;
use super::status::HealthState;
use super::store::{ConnState, FleetStore, KindState};

/// One pinned object of a context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// API group, empty for the core group.
    #[serde(default)]
    pub group: String,
    pub kind: String,
    /// Empty for cluster-scoped objects.
    #[serde(default)]
    pub namespace: String,
    pub name: String,
}

impl Pin {
    /// The object in `context`, when fleetdeck's catalogue knows the kind.
    pub fn object(&self, context: &str) -> Option<ObjectRef> {
        let kind = KindId::find(&self.group, &self.kind)?;
        Some(ObjectRef::new(context, kind, &self.namespace, &self.name))
    }
}

/// Every pin, by context name, each list in pin order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pins {
    #[serde(default)]
    pub contexts: BTreeMap<String, Vec<Pin>>,
}

impl Pins {
    /// Reads `pins.json` text.
    ///
    /// # Errors
    /// The JSON error with its line and column when the text is not a pins file.
    pub fn parse(text: &str) -> Result<Pins, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The file's text: pretty JSON, ending with a newline.
    pub fn to_text(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// Pins `o`, or unpins it when it was pinned; true when it is pinned afterwards.
    pub fn toggle(&mut self, o: &ObjectRef) -> bool {
        let spec = o.kind.spec();
        let pin = Pin {
            group: spec.group.into(),
            kind: spec.kind.into(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
        };
        let list = self.contexts.entry(o.context.clone()).or_default();
        if let Some(i) = list.iter().position(|p| *p == pin) {
            list.remove(i);
            if list.is_empty() {
                self.contexts.remove(&o.context);
            }
            false
        } else {
            list.push(pin);
            true
        }
    }

    /// Whether `o` is pinned.
    pub fn contains(&self, o: &ObjectRef) -> bool {
        let spec = o.kind.spec();
        self.contexts.get(&o.context).is_some_and(|l| {
            l.iter()
                .any(|p| p.group == spec.group && p.kind == spec.kind && p.namespace == o.namespace && p.name == o.name)
        })
    }

    /// `(context, pin)` in context order, then pin order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Pin)> {
        self.contexts.iter().flat_map(|(c, l)| l.iter().map(move |p| (c.as_str(), p)))
    }

    /// The catalogue kinds of the pins (for the headless commands, which watch only the kinds they show).
    pub fn kinds(&self) -> KindSet {
        self.iter().filter_map(|(c, p)| p.object(c)).fold(KindSet::NONE, |k, o| k.with(o.kind))
    }

    /// How many objects are pinned.
    pub fn len(&self) -> usize {
        self.contexts.values().map(Vec::len).sum()
    }

    /// Whether nothing is pinned.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A pin with what the store knows of it now.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PinStatus {
    pub context: String,
    #[serde(flatten)]
    pub pin: Pin,
    /// The object's health state (`Ready`, `Failed`, ...), else why there is none: `not found` (its kind is
    /// synced and it is not there), `syncing`, `kind not watched`, `context unreachable`, `no such context`.
    pub state: String,
    /// For a health state, whether it is a failure (drawn red).
    pub failing: bool,
    pub reason: String,
    /// The health message on one line (a multi-line bullet list joined, bullets dropped).
    pub message: String,
}

/// Every pin with its live status in `store`, in [`Pins::iter`] order.
pub fn statuses(pins: &Pins, store: &FleetStore) -> Vec<PinStatus> {
    pins.iter()
        .map(|(context, pin)| {
            let mut st = PinStatus {
                context: context.to_string(),
                pin: pin.clone(),
                state: String::new(),
                failing: false,
                reason: String::new(),
                message: String::new(),
            };
            let Some(entry) = store.context(context) else {
                st.state = "no such context".into();
                return st;
            };
            let Some(o) = pin.object(context) else {
                st.state = "kind not watched".into();
                return st;
            };
            if let Some(obj) = store.get(context, o.kind, &o.namespace, &o.name) {
                let h = &obj.health;
                st.state = format!("{:?}", h.state);
                st.failing = h.state == HealthState::Failed;
                st.reason = h.reason.clone();
                // CAPI messages are bullet lists over several lines: one line, bullets dropped.
                st.message = h
                    .message
                    .lines()
                    .map(|l| l.trim().trim_start_matches("* ").trim())
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
            } else if entry.state == ConnState::Unreachable || entry.state == ConnState::Unauthorized {
                st.state = "context unreachable".into();
                st.failing = true;
                st.message = entry.reason.clone();
            } else if entry.kinds.get(&o.kind).and_then(|k| k.state) == Some(KindState::Synced) {
                st.state = "not found".into();
                st.failing = true;
            } else {
                st.state = "syncing".into();
            }
            st
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggle_round_trips_through_the_file_and_keeps_unknown_kinds() {
        let hr = ObjectRef::new("prod-us", KindId::HELM_RELEASE, "podinfo", "podinfo");
        let node = ObjectRef::new("dev-eu", KindId::NODE, "", "worker-1");
        let mut pins = Pins::default();
        assert!(pins.toggle(&hr));
        assert!(pins.toggle(&node));
        assert!(pins.contains(&hr) && pins.contains(&node));
        assert!(pins.kinds().contains(KindId::HELM_RELEASE) && pins.kinds().contains(KindId::NODE));
        assert!(!pins.kinds().contains(KindId::CLUSTER));
        let text = pins.to_text();
        let mut back = Pins::parse(&text).expect("parses");
        assert_eq!(back, pins);
        assert_eq!(
            back.iter().map(|(c, p)| (c, p.kind.as_str())).collect::<Vec<_>>(),
            [("dev-eu", "Node"), ("prod-us", "HelmRelease")]
        );
        assert!(!back.toggle(&hr), "a second toggle unpins");
        assert!(!back.contains(&hr));
        assert_eq!(back.len(), 1);
        let unknown = Pins::parse(
            r#"{"contexts": {"a": [{"group": "example.com", "kind": "Widget", "namespace": "n", "name": "w"}]}}"#,
        )
        .expect("parses");
        let (ctx, pin) = unknown.iter().next().expect("kept");
        assert_eq!((ctx, pin.object(ctx)), ("a", None));
        assert!(Pins::parse("{\"contexts\": [").unwrap_err().contains("line 1"));
    }
}
