//! How one line of a watch response becomes an event ([`FromWatch`]), and a lean reader for the
//! `DynamicObject`s every catalogue watch receives.
//!
//! kube's `DynamicObject` reads an object through two `#[serde(flatten)]` fields, so serde first buffers the
//! whole object as `Content` and reads it a second time, and its `ObjectMeta` reads `managedFields` into
//! typed entries that [`crate::model::object::prune`] drops at once. On a thousand contexts' start-up storm
//! reading watch lines was 18 % of the workers' CPU samples with kube's reader and is 12 % with this one
//! (`perf` on `benches/fleet_scale.rs`, one run each). The lean reader reads each top-level key once and
//! skips `managedFields` and the `kubectl.kubernetes.io/last-applied-configuration` annotation without
//! building them; what it returns equals kube's reading of the same object after `prune`.
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::api::{DynamicObject, TypeMeta};
use kube::core::WatchEvent;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use crate::model::object::LAST_APPLIED;

/// A type a watch can return: how one line of the response (a JSON `WatchEvent`) is read.
pub trait FromWatch: Sized {
    /// Reads one line. Errors: the line is not a `WatchEvent` of `Self` (the caller then tries `Status`).
    fn watch_event(line: &[u8]) -> serde_json::Result<WatchEvent<Self>>;
}

impl FromWatch for DynamicObject {
    fn watch_event(line: &[u8]) -> serde_json::Result<WatchEvent<Self>> {
        Ok(match serde_json::from_slice::<WatchEvent<Lean>>(line)? {
            WatchEvent::Added(o) => WatchEvent::Added(o.0),
            WatchEvent::Modified(o) => WatchEvent::Modified(o.0),
            WatchEvent::Deleted(o) => WatchEvent::Deleted(o.0),
            WatchEvent::Bookmark(b) => WatchEvent::Bookmark(b),
            WatchEvent::Error(s) => WatchEvent::Error(s),
        })
    }
}

/// Typed kinds, read by their own `Deserialize` (k8s-openapi's, which reads each key once).
macro_rules! typed {
    ($($t:ty),*) => {$(
        impl FromWatch for $t {
            fn watch_event(line: &[u8]) -> serde_json::Result<WatchEvent<Self>> {
                serde_json::from_slice(line)
            }
        }
    )*};
}

typed!(k8s_openapi::api::core::v1::Event, k8s_openapi::api::core::v1::ConfigMap, k8s_openapi::api::core::v1::Secret);

/// A `DynamicObject` read without `managedFields` and the last-applied annotation (see the module docs).
pub struct Lean(pub DynamicObject);

impl<'de> Deserialize<'de> for Lean {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(LeanVisitor)
    }
}

struct LeanVisitor;

impl<'de> Visitor<'de> for LeanVisitor {
    type Value = Lean;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Kubernetes object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Lean, A::Error> {
        let (mut api_version, mut kind, mut metadata) = (None, None, None);
        let mut data = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "apiVersion" => api_version = Some(map.next_value::<String>()?),
                "kind" => kind = Some(map.next_value::<String>()?),
                "metadata" => metadata = Some(map.next_value::<LeanMeta>()?.into()),
                _ => {
                    let value = map.next_value::<serde_json::Value>()?;
                    data.insert(key, value);
                }
            }
        }
        // As kube's flattened `Option<TypeMeta>`: both fields, or none (one alone is dropped, as kube drops it).
        let types = match (api_version, kind) {
            (Some(api_version), Some(kind)) => Some(TypeMeta { api_version, kind }),
            _ => None,
        };
        Ok(Lean(DynamicObject { types, metadata: metadata.unwrap_or_default(), data: serde_json::Value::Object(data) }))
    }
}

/// `ObjectMeta` without `managedFields` (skipped unread, as any unknown key) and with annotations read by
/// [`Annotations`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanMeta {
    annotations: Option<Annotations>,
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    self_link: Option<String>,
    uid: Option<String>,
}

impl From<LeanMeta> for ObjectMeta {
    fn from(m: LeanMeta) -> ObjectMeta {
        ObjectMeta {
            // As `prune`: no annotation left is no annotations.
            annotations: m.annotations.map(|a| a.0).filter(|a| !a.is_empty()),
            creation_timestamp: m.creation_timestamp,
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            deletion_timestamp: m.deletion_timestamp,
            finalizers: m.finalizers,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            managed_fields: None,
            name: m.name,
            namespace: m.namespace,
            owner_references: m.owner_references,
            resource_version: m.resource_version,
            self_link: m.self_link,
            uid: m.uid,
        }
    }
}

/// Annotations without the last-applied configuration (a copy of the whole object, skipped unread).
struct Annotations(BTreeMap<String, String>);

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Annotations;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("annotations")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Annotations, A::Error> {
                let mut out = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == LAST_APPLIED {
                        map.next_value::<IgnoredAny>()?;
                    } else {
                        out.insert(key, map.next_value::<String>()?);
                    }
                }
                Ok(Annotations(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// kube's own reading of `line`'s object, pruned as the store prunes it.
    fn kube_pruned(value: &serde_json::Value) -> DynamicObject {
        let mut o: DynamicObject = serde_json::from_value(value.clone()).expect("kube reads it");
        crate::model::object::prune(&mut o);
        o
    }

    fn lean(value: &serde_json::Value) -> DynamicObject {
        let line = serde_json::to_vec(&json!({"type": "ADDED", "object": value})).expect("json");
        match DynamicObject::watch_event(&line).expect("lean reads it") {
            WatchEvent::Added(o) => o,
            other => panic!("not an ADDED event: {other:?}"),
        }
    }

    #[test]
    fn reads_what_kube_reads_after_pruning() {
        let full = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": {
                "name": "apps", "namespace": "flux-system", "uid": "u-1", "resourceVersion": "42",
                "generation": 3, "creationTimestamp": "2026-12-01T10:00:00Z",
                "labels": {"app": "x"}, "finalizers": ["finalizers.fluxcd.io"],
                "annotations": {LAST_APPLIED: "{\"kind\":\"Kustomization\"}", "reconcile.fluxcd.io/requestedAt": "now"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u-0"}],
                "managedFields": [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                    "fieldsV1": {"f:spec": {"f:path": {}}}}]
            },
            "spec": {"path": "./apps", "suspend": false},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}]}
        });
        assert_eq!(lean(&full), kube_pruned(&full));
        let lean_full = lean(&full);
        assert!(lean_full.metadata.managed_fields.is_none());
        assert_eq!(lean_full.metadata.annotations.as_ref().map(BTreeMap::len), Some(1));
    }

    #[test]
    fn only_the_last_applied_annotation_leaves_none_and_odd_shapes_read_as_kube_reads_them() {
        let only_last_applied = json!({"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": "n", "annotations": {LAST_APPLIED: "{}"}}});
        assert_eq!(lean(&only_last_applied), kube_pruned(&only_last_applied));
        assert!(lean(&only_last_applied).metadata.annotations.is_none());
        let no_kind = json!({"apiVersion": "v1", "metadata": {"name": "n"}, "data": {"k": "v"}});
        assert_eq!(lean(&no_kind), kube_pruned(&no_kind));
        let no_metadata = json!({"kind": "Thing", "spec": {}});
        assert_eq!(lean(&no_metadata), kube_pruned(&no_metadata));
    }

    #[test]
    fn a_bookmark_and_an_error_pass_through() {
        let bookmark = json!({"type": "BOOKMARK", "object": {"kind": "Kustomization", "apiVersion": "v1",
            "metadata": {"resourceVersion": "7", "annotations": {"k8s.io/initial-events-end": "true"}}}});
        let read = DynamicObject::watch_event(&serde_json::to_vec(&bookmark).expect("json"));
        assert!(matches!(read, Ok(WatchEvent::Bookmark(b)) if b.metadata.resource_version == "7"));
        let error = json!({"type": "ERROR", "object": {"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "code": 410, "reason": "Expired", "message": "too old"}});
        let read = DynamicObject::watch_event(&serde_json::to_vec(&error).expect("json"));
        assert!(matches!(read, Ok(WatchEvent::Error(s)) if s.code == 410));
        assert!(DynamicObject::watch_event(b"{\"type\":\"ADDED\",\"object\":[1]}").is_err());
    }
}
