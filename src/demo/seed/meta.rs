//! Building blocks shared by every seed file: the clock that turns "so long ago" into timestamps, bare
//! objects with metadata, owner references taken from the owner object itself, Flux inventory entries and
//! the two condition shapes (Kubernetes `metav1.Condition` and Cluster API's v1beta1 condition with severity).

use k8s_openapi::jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

/// Seconds in a minute, an hour and a day, for readable ages.
pub(super) const MIN: i64 = 60;
pub(super) const HOUR: i64 = 60 * MIN;
pub(super) const DAY: i64 = 24 * HOUR;

/// "Now" truncated to whole seconds (Kubernetes `metav1.Time` has second precision), and times before it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Clock {
    now: Timestamp,
}

impl Clock {
    /// A clock reading `now`, truncated to the second.
    pub(super) fn new(now: Timestamp) -> Self {
        let now = Timestamp::from_second(now.as_second()).unwrap_or(now);
        Self { now }
    }

    /// RFC 3339 (`2025-06-01T12:00:00Z`) for `secs` seconds before now.
    pub(super) fn ago(&self, secs: i64) -> String {
        self.now.checked_sub(SignedDuration::from_secs(secs)).unwrap_or(self.now).to_string()
    }
}

/// An object with `apiVersion`, `kind` and `metadata{name, namespace?, labels, annotations}`.
pub(super) fn object(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> Value {
    let mut metadata = json!({ "name": name, "labels": {}, "annotations": {} });
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({ "apiVersion": api_version, "kind": kind, "metadata": metadata })
}

/// A core/v1 Namespace.
pub(super) fn namespace(name: &str) -> Value {
    let mut ns = object("v1", "Namespace", None, name);
    ns["metadata"]["labels"]["kubernetes.io/metadata.name"] = json!(name);
    ns
}

/// Sets labels on `obj` (adding to those it has).
pub(super) fn labels(obj: &mut Value, pairs: &[(&str, &str)]) {
    for (k, v) in pairs {
        obj["metadata"]["labels"][*k] = json!(v);
    }
}

/// Sets annotations on `obj` (adding to those it has).
pub(super) fn annotations(obj: &mut Value, pairs: &[(&str, &str)]) {
    for (k, v) in pairs {
        obj["metadata"]["annotations"][*k] = json!(v);
    }
}

/// The object's `metadata.name` (empty when missing).
pub(super) fn name_of(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

/// Adds an ownerReference to `owner` on `obj`, without `uid`: the applier fills it in from the created owner,
/// which therefore comes earlier in the seed list.
pub(super) fn owned_by(obj: &mut Value, owner: &Value, controller: bool) {
    let reference = json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "controller": controller,
        "blockOwnerDeletion": true,
    });
    match obj["metadata"]["ownerReferences"].as_array_mut() {
        Some(refs) => refs.push(reference),
        None => obj["metadata"]["ownerReferences"] = json!([reference]),
    }
}

/// The group of an `apiVersion` (`""` for core `v1`).
pub(super) fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// The version of an `apiVersion`.
pub(super) fn version_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or(api_version, |(_, v)| v)
}

/// A Flux inventory entry `{id, v}` for `obj`: id `<namespace>_<name>_<group>_<Kind>` (empty namespace for
/// cluster-scoped objects, empty group for core), per kustomize-controller api/v1 and fluxcd/pkg/ssa.
pub(super) fn inventory_entry(obj: &Value) -> Value {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let id = format!(
        "{}_{}_{}_{}",
        obj["metadata"]["namespace"].as_str().unwrap_or_default(),
        name_of(obj).replace(':', "__"),
        group_of(api_version),
        obj["kind"].as_str().unwrap_or_default(),
    );
    json!({ "id": id, "v": version_of(api_version) })
}

/// Kubernetes `metav1.Condition`s (Cluster API v1beta2, Flux, tofu-controller, Weave GitOps), built in order.
///
/// Every condition carries `observedGeneration: 1`: the demo objects are created once and never edited by
/// the seed, so generation 1 is what the controllers have observed.
pub(super) struct Conditions<'c> {
    clock: &'c Clock,
    since: i64,
    list: Vec<Value>,
}

impl<'c> Conditions<'c> {
    /// An empty list whose conditions last transitioned `since` seconds ago (until [`Conditions::since`]).
    pub(super) fn new(clock: &'c Clock, since: i64) -> Self {
        Self { clock, since, list: Vec::new() }
    }

    /// Later conditions transitioned `since` seconds ago.
    pub(super) fn since(mut self, since: i64) -> Self {
        self.since = since;
        self
    }

    /// Adds a condition; `status` is `True`, `False` or `Unknown`.
    pub(super) fn add(mut self, type_: &str, status: &str, reason: &str, message: &str) -> Self {
        self.list.push(json!({
            "type": type_,
            "status": status,
            "observedGeneration": 1,
            "lastTransitionTime": self.clock.ago(self.since),
            "reason": reason,
            "message": message,
        }));
        self
    }

    /// Adds a `True` condition with an empty message.
    pub(super) fn yes(self, type_: &str, reason: &str) -> Self {
        self.add(type_, "True", reason, "")
    }

    /// Adds a `False` condition with an empty message (the normal state of negative-polarity conditions).
    pub(super) fn no(self, type_: &str, reason: &str) -> Self {
        self.add(type_, "False", reason, "")
    }

    /// The conditions as a JSON array.
    pub(super) fn build(self) -> Value {
        Value::Array(self.list)
    }
}

/// Cluster API v1beta1 conditions (`type, status, severity, reason, message, lastTransitionTime`): `True`
/// conditions carry no severity nor reason, as upstream's `conditions.MarkTrue` writes them.
pub(super) struct V1Beta1Conditions<'c> {
    clock: &'c Clock,
    since: i64,
    list: Vec<Value>,
}

impl<'c> V1Beta1Conditions<'c> {
    /// An empty list whose conditions last transitioned `since` seconds ago.
    pub(super) fn new(clock: &'c Clock, since: i64) -> Self {
        Self { clock, since, list: Vec::new() }
    }

    /// Later conditions transitioned `since` seconds ago.
    pub(super) fn since(mut self, since: i64) -> Self {
        self.since = since;
        self
    }

    /// Adds a `True` condition.
    pub(super) fn ok(mut self, type_: &str) -> Self {
        self.list.push(json!({
            "type": type_,
            "status": "True",
            "lastTransitionTime": self.clock.ago(self.since),
        }));
        self
    }

    /// Adds a `False` condition with `severity` (`Error`, `Warning` or `Info`); an empty `message` is left
    /// out, as upstream's CRD requires a non-empty one when present.
    pub(super) fn bad(mut self, type_: &str, severity: &str, reason: &str, message: &str) -> Self {
        let mut c = json!({
            "type": type_,
            "status": "False",
            "severity": severity,
            "reason": reason,
            "lastTransitionTime": self.clock.ago(self.since),
        });
        if !message.is_empty() {
            c["message"] = json!(message);
        }
        self.list.push(c);
        self
    }

    /// The conditions as a JSON array.
    pub(super) fn build(self) -> Value {
        Value::Array(self.list)
    }
}
