//! Bench: Crossplane (issue 17's targets in brackets).
//!
//! 1. The trace tree of an XR with 1,000 composed resources (RDS Instances, IAM Roles, provider-terraform
//!    Workspaces; every 50th failing) built from the store, and its text as `crossplane resource trace`
//!    prints it [<= 5 ms];
//! 2. the Crossplane view's causes: 1,000 claims, each with an XR of 3 composed resources, one claim in 10
//!    not Ready, rebuilt as a store change asks (`model::xp_tree::cause` per row that is not Ready).
//!
//! Run: `cargo bench --bench crossplane -- --warm-up-time 1 --measurement-time 3`.
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fleetdeck::model::kinds::{Dynamic, KindId};
use fleetdeck::model::object::StoredObject;
use fleetdeck::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};
use fleetdeck::model::{trace_text, xp_tree};
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use serde_json::{Value, json};

const CTX: &str = "mgmt";

fn now() -> Timestamp {
    "2026-12-01T12:00:00Z".parse().expect("timestamp")
}

fn put(store: &mut FleetStore, kind: KindId, obj: Value) {
    let obj: DynamicObject = serde_json::from_value(obj).expect("object");
    let event = StoreEvent::Kind(kind, KindEvent::Apply(StoredObject::shared(kind, obj)));
    store.apply(StoreMsg { context: CTX.into(), generation: 1, event }, now());
}

fn new_store() -> FleetStore {
    let mut s = FleetStore::new();
    let event = StoreEvent::Registered { server: "https://mgmt:6443".into(), origin: Origin::Kubeconfig };
    s.apply(StoreMsg { context: CTX.into(), generation: 1, event }, now());
    s
}

fn conditions(failing: bool) -> Value {
    let t = "2026-12-01T11:00:00Z";
    if failing {
        json!([{"type": "Synced", "status": "False", "reason": "ReconcileError", "lastTransitionTime": t,
                "message": "create failed: api error InvalidParameterCombination: Cannot find version 16.1 for postgres"},
               {"type": "Ready", "status": "False", "reason": "Creating", "message": "", "lastTransitionTime": t}])
    } else {
        json!([{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "message": "", "lastTransitionTime": t},
               {"type": "Ready", "status": "True", "reason": "Available", "message": "", "lastTransitionTime": t}])
    }
}

const MANAGED: [(&str, &str, &str); 3] = [
    ("rds.aws.upbound.io", "Instance", "instances"),
    ("iam.aws.upbound.io", "Role", "roles"),
    ("tf.upbound.io", "Workspace", "workspaces"),
];

fn managed_kinds() -> Vec<KindId> {
    MANAGED.iter().map(|(g, k, p)| KindId::dynamic(g, k, p, false, Dynamic::Managed).expect("id")).collect()
}

/// One XR with `n` composed resources, every 50th failing.
fn big_xr(n: usize) -> (FleetStore, KindId) {
    let mut s = new_store();
    let xr = KindId::dynamic(
        "database.example.org",
        "XPostgreSQLInstance",
        "xpostgresqlinstances",
        false,
        Dynamic::Composite,
    )
    .expect("id");
    let kinds = managed_kinds();
    let mut refs = Vec::new();
    for i in 0..n {
        let (g, k, _) = MANAGED[i % 3];
        let name = format!("big-{i:04}");
        refs.push(json!({"apiVersion": format!("{g}/v1beta1"), "kind": k, "name": name}));
        put(
            &mut s,
            kinds[i % 3],
            json!({"apiVersion": format!("{g}/v1beta1"), "kind": k,
            "metadata": {"name": name, "annotations": {"crossplane.io/composition-resource-name": format!("step-{i}")}},
            "status": {"conditions": conditions(i % 50 == 7)}}),
        );
    }
    put(
        &mut s,
        xr,
        json!({"apiVersion": "database.example.org/v1alpha1", "kind": "XPostgreSQLInstance",
        "metadata": {"name": "big"}, "spec": {"resourceRefs": refs},
        "status": {"conditions": [{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"},
                                  {"type": "Ready", "status": "False", "reason": "Creating", "message": "Unready resources: step-7"}]}}),
    );
    (s, xr)
}

/// `n` claims, each with an XR of three composed resources; one in 10 fails on its RDS Instance.
fn many_claims(n: usize) -> (FleetStore, KindId) {
    let mut s = new_store();
    let claim =
        KindId::dynamic("database.example.org", "PostgreSQLInstance", "postgresqlinstances", true, Dynamic::Claim)
            .expect("id");
    let xr = KindId::dynamic(
        "database.example.org",
        "XPostgreSQLInstance",
        "xpostgresqlinstances",
        false,
        Dynamic::Composite,
    )
    .expect("id");
    let kinds = managed_kinds();
    for c in 0..n {
        let failing = c % 10 == 3;
        let xr_name = format!("db-{c:04}-x");
        let mut refs = Vec::new();
        for (i, (g, k, _)) in MANAGED.iter().enumerate() {
            let name = format!("{xr_name}-{i}");
            refs.push(json!({"apiVersion": format!("{g}/v1beta1"), "kind": k, "name": name}));
            put(
                &mut s,
                kinds[i],
                json!({"apiVersion": format!("{g}/v1beta1"), "kind": k, "metadata": {"name": name},
                "status": {"conditions": conditions(failing && i == 0)}}),
            );
        }
        let ready = if failing {
            json!({"type": "Ready", "status": "False", "reason": "Creating"})
        } else {
            json!({"type": "Ready", "status": "True", "reason": "Available"})
        };
        put(
            &mut s,
            xr,
            json!({"apiVersion": "database.example.org/v1alpha1", "kind": "XPostgreSQLInstance",
            "metadata": {"name": xr_name}, "spec": {"resourceRefs": refs},
            "status": {"conditions": [{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}, ready]}}),
        );
        put(
            &mut s,
            claim,
            json!({"apiVersion": "database.example.org/v1alpha1", "kind": "PostgreSQLInstance",
            "metadata": {"name": format!("db-{c:04}"), "namespace": "team-a"},
            "spec": {"resourceRef": {"apiVersion": "database.example.org/v1alpha1", "kind": "XPostgreSQLInstance", "name": xr_name}},
            "status": {"conditions": [{"type": "Synced", "status": "True", "reason": "ReconcileSuccess"}, ready]}}),
        );
    }
    (s, claim)
}

fn bench(c: &mut Criterion) {
    let (store, xr) = big_xr(1000);
    let tree = xp_tree::trace_tree(&store, CTX, xr, "", "big").expect("tree");
    assert_eq!(tree.children.len(), 1000);
    eprintln!(
        "trace of 1,000 composed resources: {} lines of text",
        trace_text::render_trace(&tree, false).lines().count()
    );
    c.bench_function("trace_tree_1000_composed", |b| {
        b.iter(|| black_box(xp_tree::trace_tree(&store, CTX, xr, "", "big")));
    });
    c.bench_function("trace_tree_1000_composed_and_text", |b| {
        b.iter(|| {
            let t = xp_tree::trace_tree(&store, CTX, xr, "", "big").expect("tree");
            black_box(trace_text::render_trace(&t, false))
        });
    });
    let (store, claim) = many_claims(1000);
    let names: Vec<String> = (0..1000).filter(|c| c % 10 == 3).map(|c| format!("db-{c:04}")).collect();
    c.bench_function("crossplane_causes_100_of_1000_claims", |b| {
        b.iter(|| {
            let found = names.iter().filter_map(|n| xp_tree::cause(&store, CTX, claim, "team-a", n)).count();
            assert_eq!(found, 100);
            black_box(found)
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
