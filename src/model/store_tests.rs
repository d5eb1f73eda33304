//! Tests of [`FleetStore::apply`]: relists, generations, Forbidden / CrdMissing, shared connections.
use super::*;
use serde_json::json;

fn obj(name: &str, rv: &str) -> Arc<StoredObject> {
    let obj = serde_json::from_value(json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system", "resourceVersion": rv,
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {LAST_APPLIED: "{...}", "keep": "me"}},
        "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}]}}))
    .expect("object");
    StoredObject::shared(ks(), obj)
}

fn msg(generation: u64, event: StoreEvent) -> StoreMsg {
    StoreMsg { context: "dev-eu".into(), generation, event }
}

fn ks() -> KindId {
    KindId::find("kustomize.toolkit.fluxcd.io", "Kustomization").expect("kind")
}

fn registered() -> FleetStore {
    let mut s = FleetStore::new();
    s.apply(
        msg(1, StoreEvent::Registered { server: "https://x".into(), origin: Origin::Kubeconfig }),
        Timestamp::UNIX_EPOCH,
    );
    s
}

#[test]
fn relist_buffers_then_swaps_and_drops_what_vanished() {
    let now = Timestamp::UNIX_EPOCH;
    let mut s = registered();
    let k = |e| msg(1, StoreEvent::Kind(ks(), e));
    s.apply(k(KindEvent::Init), now);
    s.apply(k(KindEvent::InitApply(obj("a", "1"))), now);
    s.apply(k(KindEvent::InitApply(obj("b", "1"))), now);
    assert_eq!(s.len(), 0, "nothing visible before InitDone");
    assert!(s.apply(k(KindEvent::InitDone), now));
    assert_eq!(s.len(), 2);
    // Relist (e.g. after 410 Gone) in which b is gone: old list stays until the swap.
    s.apply(k(KindEvent::Init), now);
    s.apply(k(KindEvent::InitApply(obj("a", "2"))), now);
    assert_eq!(s.len(), 2);
    s.apply(k(KindEvent::InitDone), now);
    assert_eq!(s.len(), 1);
    let a = s.get("dev-eu", ks(), "flux-system", "a").expect("a");
    assert_eq!(a.obj().metadata.resource_version.as_deref(), Some("2"));
    assert!(a.obj().metadata.managed_fields.is_none(), "managedFields pruned");
    let ann = a.obj().metadata.annotations.as_ref().expect("annotations");
    assert!(!ann.contains_key(LAST_APPLIED) && ann.contains_key("keep"));
    assert_eq!(s.context("dev-eu").expect("ctx").kinds[&ks()].state, Some(KindState::Synced));
}

#[test]
fn stale_generations_are_dropped() {
    let now = Timestamp::UNIX_EPOCH;
    let mut s = registered();
    s.apply(msg(2, StoreEvent::Ready { server_version: "v1.20.2".into() }), now);
    assert!(!s.apply(msg(1, StoreEvent::Unreachable("old stream".into())), now));
    assert_eq!(s.context("dev-eu").expect("ctx").state, ConnState::Ready);
    assert!(!s.apply(msg(1, StoreEvent::Kind(ks(), KindEvent::Apply(obj("z", "9")))), now));
    assert_eq!(s.len(), 0);
}

#[test]
fn forbidden_and_crd_missing_clear_objects_and_say_why() {
    let now = Timestamp::UNIX_EPOCH;
    let mut s = registered();
    s.apply(msg(1, StoreEvent::Kind(ks(), KindEvent::Apply(obj("a", "1")))), now);
    assert_eq!(s.len(), 1);
    s.apply(msg(1, StoreEvent::Kind(ks(), KindEvent::Forbidden("kustomizations is forbidden".into()))), now);
    let k = &s.context("dev-eu").expect("ctx").kinds[&ks()];
    assert_eq!((k.state, k.objects.len()), (Some(KindState::Forbidden), 0));
    assert_eq!(k.reason, "kustomizations is forbidden");
    s.apply(msg(1, StoreEvent::Kind(ks(), KindEvent::CrdMissing)), now);
    assert_eq!(s.context("dev-eu").expect("ctx").kinds[&ks()].state, Some(KindState::CrdMissing));
}

#[test]
fn a_context_sharing_a_connection_reads_the_other_contexts_data() {
    let now = Timestamp::UNIX_EPOCH;
    let mut s = registered();
    s.apply(msg(1, StoreEvent::Kind(ks(), KindEvent::Apply(obj("a", "1")))), now);
    let twin = |event| StoreMsg { context: "twin".into(), generation: 1, event };
    s.apply(twin(StoreEvent::Registered { server: "https://x".into(), origin: Origin::Kubeconfig }), now);
    assert!(s.apply(twin(StoreEvent::SharesWith("dev-eu".into())), now));
    assert_eq!(s.shares_with("twin"), Some("dev-eu"));
    assert!(s.get("twin", ks(), "flux-system", "a").is_some());
    assert_eq!(s.contexts().map(|(n, _)| n).collect::<Vec<_>>(), ["dev-eu", "twin"]);
    assert_eq!(s.len(), 1, "objects are held once");
    s.apply(msg(1, StoreEvent::Unreachable("down".into())), now);
    assert_eq!(s.context("twin").expect("twin").state, ConnState::Unreachable);
    assert!(s.apply(twin(StoreEvent::Removed), now));
    assert!(s.context("twin").is_none());
}

#[test]
fn messages_for_unknown_contexts_are_ignored() {
    let mut s = FleetStore::new();
    assert!(!s.apply(msg(1, StoreEvent::Ready { server_version: "v1".into() }), Timestamp::UNIX_EPOCH));
    assert_eq!(s.contexts().count(), 0);
}

#[test]
fn retries_of_a_dead_context_change_nothing_visible() {
    let mut s = registered();
    let t = Timestamp::UNIX_EPOCH;
    assert!(s.apply(msg(2, StoreEvent::Unreachable("connection refused".into())), t));
    let rev = s.revision();
    assert!(!s.apply(msg(3, StoreEvent::Connecting), t), "a retry is not a change");
    assert!(!s.apply(msg(3, StoreEvent::Unreachable("connection refused".into())), t));
    assert_eq!(s.revision(), rev);
    let c = s.context("dev-eu").expect("context");
    assert_eq!((c.state, c.reason.as_str()), (ConnState::Unreachable, "connection refused"));
    assert!(s.apply(msg(4, StoreEvent::Ready { server_version: "v1.33.0".into() }), t), "coming back is");
}
