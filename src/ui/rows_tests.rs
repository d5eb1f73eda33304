//! [`Rows::update`] against a from-scratch reference (every listed object's row, sorted the way the lists
//! were always sorted) over random sequences of store changes: applies, deletes, relists, Forbidden kinds,
//! contexts removed and re-registered, and two contexts on one server trading places as the one listed.
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use super::*;
use crate::model::store::{KindEvent, Origin, StoreEvent, StoreMsg};

const KINDS: [(&str, &str, &str); 5] = [
    ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
    ("helm.toolkit.fluxcd.io", "v2", "HelmRelease"),
    ("source.toolkit.fluxcd.io", "v1", "GitRepository"),
    ("cluster.x-k8s.io", "v1beta2", "Cluster"),
    ("infra.contrib.fluxcd.io", "v1alpha2", "Terraform"),
];

fn kind(i: usize) -> KindId {
    KindId::find(KINDS[i].0, KINDS[i].2).expect("catalogue kind")
}

fn object(k: usize, ns: &str, name: &str, ready: &str, rev: u32) -> std::sync::Arc<StoredObject> {
    let (group, version, kind_name) = KINDS[k];
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": format!("{group}/{version}"), "kind": kind_name,
        "metadata": {"name": name, "namespace": ns, "generation": 1},
        "spec": {"suspend": ready == "Suspended"},
        "status": {"observedGeneration": 1, "lastAppliedRevision": format!("main@sha1:{rev}"),
            "conditions": [{"type": "Ready", "status": if ready == "True" {"True"} else {"False"},
                "reason": "Because", "message": format!("m{rev}"), "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
    }))
    .expect("object");
    StoredObject::shared(kind(k), obj)
}

use crate::model::object::StoredObject;
use kube::api::DynamicObject;

/// What a list shows, comparable: (context, kind, namespace, name, health, revision-ish column).
type Shown = Vec<(String, KindId, String, String, HealthState, String)>;

fn shown(rows: &Rows) -> [Shown; 3] {
    let c = rows.clusters.iter().map(|r| key(&r.obj, r.health.state, &r.phase)).collect();
    let f = rows.flux.iter().map(|r| key(&r.obj, r.health.state, &r.revision)).collect();
    let t = rows.terraform.iter().map(|r| key(&r.obj, r.health.state, &r.revision)).collect();
    [c, f, t]
}

fn key(o: &ObjectRef, h: HealthState, col: &str) -> (String, KindId, String, String, HealthState, String) {
    (o.context.clone(), o.kind, o.namespace.clone(), o.name.clone(), h, col.to_string())
}

/// The reference: every object of every listed context, in store order, stable-sorted by rank and name.
fn reference(store: &FleetStore) -> [Shown; 3] {
    let mut out: [Shown; 3] = Default::default();
    let mut ranks: [Vec<u8>; 3] = Default::default();
    for ctx in listed_contexts(store) {
        let entry = store.context(ctx).expect("context");
        for (kind, k) in &entry.kinds {
            for o in k.objects.values() {
                let (list, rank, col) = match (&o.columns, o.health.state) {
                    (Columns::Cluster(c), s) => (0, s as u8, c.phase.clone()),
                    (Columns::Flux(c), s) => (1, s as u8, c.revision.clone()),
                    (Columns::Terraform(c), HealthState::PlanPending) => (2, 0, c.revision.clone()),
                    (Columns::Terraform(c), HealthState::Failed) => (2, 1, c.revision.clone()),
                    (Columns::Terraform(c), s) => (2, 2 + s as u8, c.revision.clone()),
                    (Columns::None | Columns::Crossplane(_), _) => continue,
                };
                out[list].push((ctx.to_string(), *kind, o.namespace().into(), o.name().into(), o.health.state, col));
                ranks[list].push(rank);
            }
        }
    }
    for (list, rank) in out.iter_mut().zip(ranks) {
        let mut both: Vec<_> = rank.into_iter().zip(list.drain(..)).collect();
        both.sort_by(|(ra, a), (rb, b)| ra.cmp(rb).then_with(|| (&a.0, &a.2, &a.3).cmp(&(&b.0, &b.2, &b.3))));
        list.extend(both.into_iter().map(|(_, x)| x));
    }
    out
}

fn msg(ctx: &str, event: StoreEvent) -> StoreMsg {
    StoreMsg { context: ctx.into(), generation: 1, event }
}

fn register(store: &mut FleetStore, ctx: &str, now: Timestamp) {
    let server = if ctx == "c" { "https://two" } else { "https://one" };
    store.apply(msg(ctx, StoreEvent::Registered { server: server.into(), origin: Origin::Kubeconfig }), now);
}

#[test]
fn incremental_rows_match_a_full_derive_over_random_changes() {
    let now: Timestamp = "2026-01-01T01:00:00Z".parse().expect("time");
    for seed in 0..20u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut store = FleetStore::new();
        for ctx in ["a", "b", "c"] {
            register(&mut store, ctx, now);
        }
        let mut rows = Rows::default();
        for step in 0..300 {
            let ctx = ["a", "b", "c"][rng.random_range(0..3)];
            let k = rng.random_range(0..KINDS.len());
            let ns = ["flux-system", "apps"][rng.random_range(0..2)];
            let name = format!("o{}", rng.random_range(0..12));
            let ready = ["True", "False", "Suspended"][rng.random_range(0..3)];
            let rev = rng.random_range(0..1000);
            let ev = |e| msg(ctx, StoreEvent::Kind(kind(k), e));
            match rng.random_range(0..100) {
                0..60 => store.apply(ev(KindEvent::Apply(object(k, ns, &name, ready, rev))), now),
                60..75 => store.apply(ev(KindEvent::Delete(object(k, ns, &name, ready, rev))), now),
                75..85 => {
                    store.apply(ev(KindEvent::Init), now);
                    for i in 0..rng.random_range(0..6) {
                        let o = object(k, ns, &format!("o{}", i * 2), ready, rev);
                        store.apply(ev(KindEvent::InitApply(o)), now);
                    }
                    store.apply(ev(KindEvent::InitDone), now)
                }
                85..90 => store.apply(ev(KindEvent::Forbidden("no".into())), now),
                90..94 => store.apply(ev(KindEvent::Error("flaky".into())), now),
                94..97 => store.apply(msg(ctx, StoreEvent::Removed), now),
                _ => {
                    register(&mut store, ctx, now);
                    false
                }
            };
            if rng.random_range(0..3) == 0 || step == 299 {
                rows.update(&store, now);
                assert_eq!(shown(&rows), reference(&store), "seed {seed}, step {step}");
                assert_eq!(shown(&rows), shown(&Rows::derive(&store, now)), "seed {seed}, step {step}");
            }
        }
    }
}

#[test]
fn unchanged_objects_keep_their_rows() {
    let now: Timestamp = "2026-01-01T01:00:00Z".parse().expect("time");
    let mut store = FleetStore::new();
    register(&mut store, "c", now);
    for i in 0..50 {
        let o = object(0, "apps", &format!("o{i:02}"), "True", 1);
        store.apply(msg("c", StoreEvent::Kind(kind(0), KindEvent::Apply(o))), now);
    }
    let mut rows = Rows::derive(&store, now);
    let before: Vec<Arc<FluxRow>> = rows.flux.clone();
    store.apply(msg("c", StoreEvent::Kind(kind(0), KindEvent::Apply(object(0, "apps", "o07", "False", 2)))), now);
    rows.update(&store, now);
    assert_eq!(rows.flux[0].obj.name, "o07", "the failing one sorts first");
    assert_eq!(rows.flux[0].health.state, HealthState::Failed);
    let kept = rows.flux.iter().filter(|r| before.iter().any(|b| Arc::ptr_eq(b, r))).count();
    assert_eq!(kept, 49, "only the changed object's row is rebuilt");
}
