//! Tests of the tree builders, the renderers and the cache, against the YAML fixtures in
//! `tests/fixtures/trees/` with a fixed clock ([`NOW`]). Golden outputs are insta snapshots in
//! `src/model/snapshots/` (named `tree_*`).
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use serde_json::Value;

use crate::model::kinds::KindId;
use crate::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};

/// Asserts a snapshot stored as `src/model/snapshots/<name>.snap`.
macro_rules! snap {
    ($name:expr, $value:expr) => {
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

mod cache;
mod capi;
mod capi_names;
mod flux;
mod inventory;
mod text;
mod tf;

/// The clock of every test: the fixtures' times are relative to it.
pub(super) const NOW: &str = "2026-03-01T12:00:00Z";

pub(super) fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// The objects of a fixture file, in order.
pub(super) fn fixture(file: &str) -> Vec<DynamicObject> {
    let path = format!("{}/tests/fixtures/trees/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|d| serde_json::from_value(d).unwrap_or_else(|e| panic!("{path}: {e}")))
        .collect()
}

/// The catalogue kind of an object, from its apiVersion and kind (`None`: fleetdeck does not watch it).
pub(super) fn kind_of(obj: &DynamicObject) -> Option<KindId> {
    let types = obj.types.as_ref()?;
    let group = types.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    KindId::find(group, &types.kind)
}

pub(super) fn msg(context: &str, event: StoreEvent) -> StoreMsg {
    StoreMsg { context: context.into(), generation: 1, event }
}

/// A store with each context registered and the objects of its fixture files applied (objects of kinds
/// fleetdeck does not watch are left out, as the watches would).
pub(super) fn store(contexts: &[(&str, &[&str])]) -> FleetStore {
    let mut s = FleetStore::new();
    for (context, files) in contexts {
        let server = format!("https://{context}.example:6443");
        s.apply(msg(context, StoreEvent::Registered { server, origin: Origin::Kubeconfig }), now());
        for file in *files {
            for obj in fixture(file) {
                apply(&mut s, context, obj);
            }
        }
    }
    s
}

pub(super) fn apply(s: &mut FleetStore, context: &str, obj: DynamicObject) {
    if let Some(kind) = kind_of(&obj) {
        s.apply(
            msg(
                context,
                StoreEvent::Kind(kind, KindEvent::Apply(crate::model::object::StoredObject::shared(kind, obj))),
            ),
            now(),
        );
    }
}
