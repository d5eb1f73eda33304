//! [`StoredObject`]: one object as the store keeps it, compact.
//!
//! A `serde_json::Value` tree costs about 7 times its JSON text (measured on the demo fleet at scale 260:
//! 16.4 KB per object in the store for 2.5 KB of JSON, every node, map and key a separate allocation). The
//! store therefore keeps each object as its compact JSON text, LZ4-compressed (`lz4_flex`'s block format:
//! at 1,000 contexts, 23,549 objects, 48.5 MB of JSON are kept in 25.4 MB, compressed in 67 ms and read
//! back in 27-33 ms in all; `benches/fleet_scale.rs` prints the figures), plus what the fleet-wide lists
//! and filters read on every change: name, namespace, labels, [`Health`] and the list [`Columns`]. The full
//! [`DynamicObject`] is parsed on first use ([`StoredObject::obj`]: a tree, the details pane) and kept
//! until the object changes, so only the objects someone looks at pay for the parsed form; until then it
//! costs a pointer (a `DynamicObject` held inline is about 450 bytes: at 1,000 contexts, 23,600 objects,
//! ~10 MB of heap for nothing).
use std::sync::OnceLock;

use kube::api::DynamicObject;

use super::columns::Columns;
use super::kinds::KindId;
use super::status::{Health, health_of};

/// The annotation `kubectl apply` writes; large and useless for fleetdeck, so dropped.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops what fleetdeck never shows: `managedFields` and the last-applied annotation.
pub fn prune(obj: &mut DynamicObject) {
    obj.metadata.managed_fields = None;
    if let Some(a) = obj.metadata.annotations.as_mut() {
        a.remove(LAST_APPLIED);
        if a.is_empty() {
            obj.metadata.annotations = None;
        }
    }
}

/// A stored object: pruned, as compact JSON, with what lists read precomputed. See the module docs.
#[derive(Debug)]
pub struct StoredObject {
    name: Box<str>,
    namespace: Box<str>,
    /// Labels sorted by key.
    labels: Box<[(Box<str>, Box<str>)]>,
    /// The pruned object as compact JSON (`serde_json::to_string` of the `DynamicObject`), LZ4-compressed
    /// with its length prepended (`lz4_flex::compress_prepend_size`).
    json: Box<[u8]>,
    parsed: OnceLock<Box<DynamicObject>>,
    /// Its health, computed when it arrived.
    pub health: Health,
    /// What the list views show of it, read when it arrived.
    pub columns: Columns,
}

impl StoredObject {
    /// Prunes `obj` (see [`prune`]), computes its health and columns as a `kind`, and keeps it compact.
    pub fn new(kind: KindId, mut obj: DynamicObject) -> StoredObject {
        prune(&mut obj);
        let health = health_of(kind, &obj);
        let columns = Columns::read(kind, &obj);
        let labels = obj
            .metadata
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| (Box::from(k.as_str()), Box::from(v.as_str())))
            .collect::<Vec<_>>()
            .into_boxed_slice();
        // Serializing a DynamicObject cannot fail (string keys, no non-finite floats survive parsing).
        let json = lz4_flex::compress_prepend_size(serde_json::to_string(&obj).unwrap_or_default().as_bytes());
        StoredObject {
            name: obj.metadata.name.as_deref().unwrap_or_default().into(),
            namespace: obj.metadata.namespace.as_deref().unwrap_or_default().into(),
            labels,
            json: json.into_boxed_slice(),
            parsed: OnceLock::new(),
            health,
            columns,
        }
    }

    /// [`StoredObject::new`], shared: the form the store keeps and [`super::store::KindEvent`]s carry.
    pub fn shared(kind: KindId, obj: DynamicObject) -> std::sync::Arc<StoredObject> {
        std::sync::Arc::new(StoredObject::new(kind, obj))
    }

    /// `metadata.name` (`""` when absent).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `metadata.namespace` (`""` for cluster-scoped objects).
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The value of label `key`, without parsing the object.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok().map(|i| self.labels[i].1.as_ref())
    }

    /// The whole (pruned) object, parsed on first use and kept while this version of the object is stored.
    pub fn obj(&self) -> &DynamicObject {
        self.parsed.get_or_init(|| {
            Box::new(serde_json::from_str(&self.json()).unwrap_or_else(|_| {
                // Unreachable in practice: the text was written by serde_json from a DynamicObject.
                let mut o = DynamicObject {
                    types: None,
                    metadata: Default::default(),
                    data: serde_json::Value::Object(Default::default()),
                };
                o.metadata.name = Some(self.name.to_string());
                o.metadata.namespace = Some(self.namespace.to_string()).filter(|n| !n.is_empty());
                o
            }))
        })
    }

    /// Whether [`StoredObject::obj`] has been parsed (for tests and memory accounting).
    pub fn is_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }

    /// The pruned object as compact JSON text (what [`StoredObject::obj`] parses), decompressed anew on each
    /// call (about 0.6 µs per KB).
    pub fn json(&self) -> String {
        // Unreachable in practice: the bytes were compressed here from a string.
        let text = lz4_flex::decompress_size_prepended(&self.json).unwrap_or_default();
        String::from_utf8(text).unwrap_or_default()
    }

    /// Length of the compact JSON text, in bytes (the length stored before the compressed bytes).
    pub fn json_len(&self) -> usize {
        lz4_flex::block::uncompressed_size(&self.json).map_or(0, |(n, _)| n)
    }

    /// Bytes the JSON text takes in the store, compressed.
    pub fn stored_len(&self) -> usize {
        self.json.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ks() -> KindId {
        KindId::find("kustomize.toolkit.fluxcd.io", "Kustomization").expect("kind")
    }

    #[test]
    fn keeps_the_pruned_object_and_parses_it_only_when_asked() {
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system", "managedFields": [{"manager": "kubectl"}],
                "labels": {"b": "2", "a": "1"}, "annotations": {LAST_APPLIED: "{...}"}},
            "spec": {"suspend": true, "path": "./apps"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}]}
        }))
        .expect("object");
        let o = StoredObject::new(ks(), obj);
        assert_eq!((o.name(), o.namespace()), ("apps", "flux-system"));
        assert_eq!((o.label("a"), o.label("b"), o.label("c")), (Some("1"), Some("2"), None));
        assert!(!o.is_parsed(), "nothing parsed on arrival");
        assert_eq!(o.health.state, crate::model::status::HealthState::Suspended);
        let parsed = o.obj();
        assert!(o.is_parsed());
        assert_eq!(parsed.data["spec"]["path"], "./apps");
        assert_eq!(parsed.types.as_ref().map(|t| t.kind.as_str()), Some("Kustomization"));
        assert!(parsed.metadata.managed_fields.is_none() && parsed.metadata.annotations.is_none());
        let text = o.json();
        assert!(!text.contains("managedFields") && !text.contains(LAST_APPLIED));
        assert_eq!(o.json_len(), text.len());
        assert_eq!(serde_json::from_str::<DynamicObject>(&text).expect("json").data["spec"]["path"], "./apps");
    }

    /// A typical Flux object (conditions, an inventory: ~2 KB of JSON) is kept in under 60 % of its JSON.
    #[test]
    fn keeps_a_typical_object_compressed() {
        let entries: Vec<_> =
            (0..16).map(|i| json!({"id": format!("apps_podinfo-{i}_apps_Deployment"), "v": "v1"})).collect();
        let obj: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system", "uid": "6f1c2a4e-5d3b-4c1a-9e8f-0a1b2c3d4e5f",
                "resourceVersion": "48213", "generation": 3, "creationTimestamp": "2026-12-01T10:00:00Z"},
            "spec": {"interval": "10m", "path": "./apps", "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"observedGeneration": 3, "lastAppliedRevision": "main@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "observedGeneration": 3,
                     "lastTransitionTime": "2026-12-01T10:01:00Z",
                     "message": "Applied revision: main@sha1:0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"},
                    {"type": "Healthy", "status": "True", "reason": "Succeeded", "observedGeneration": 3,
                     "lastTransitionTime": "2026-12-01T10:01:00Z", "message": "Health check passed in 2.01s"}],
                "inventory": {"entries": entries}}
        }))
        .expect("object");
        let o = StoredObject::new(ks(), obj);
        assert!(o.json_len() > 1500, "{} B of JSON", o.json_len());
        assert!(o.stored_len() * 10 < o.json_len() * 6, "{} B kept for {} B of JSON", o.stored_len(), o.json_len());
        assert_eq!(o.obj().data["status"]["inventory"]["entries"][11]["id"], "apps_podinfo-11_apps_Deployment");
    }

    /// The parsed form costs a pointer until it is asked for: a stored object's own size stays far below a
    /// `DynamicObject`'s.
    #[test]
    fn the_unparsed_form_costs_a_pointer() {
        let (stored, dynamic) = (std::mem::size_of::<StoredObject>(), std::mem::size_of::<DynamicObject>());
        assert!(stored < dynamic, "StoredObject {stored} B, DynamicObject {dynamic} B");
    }
}
