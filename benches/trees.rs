//! Bench: building trees from the store (targets in brackets).
//!
//! 1. `clusterctl describe` tree of a Cluster with 1,000 worker Machines in 10 MachineDeployments (plus 3
//!    control-plane Machines), each Machine with its DockerMachine and KubeadmConfig [<= 5 ms], with
//!    default options (grouping on) and with grouping off and echo on (every Machine visible with its
//!    children);
//! 2. `flux tree` of a Kustomization with 5,000 inventory entries: kinds fleetdeck does not watch, objects in
//!    the store (sources, HelmReleases with their own inventories, child Kustomizations) and entries the
//!    store lacks [<= 5 ms].
//!
//! Objects are generated here, shaped like the fixtures in `tests/fixtures/trees/`. Run:
//! `cargo bench --bench trees -- --warm-up-time 1 --measurement-time 3`.
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use fleetdeck::model::capi_tree::{CapiTreeOptions, cluster_tree};
use fleetdeck::model::flux_tree::kustomization_tree;
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object::StoredObject;
use fleetdeck::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};
use fleetdeck::model::tree::TreeNode;
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use serde_json::{Value, json};

const CTX: &str = "mgmt";

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().expect("timestamp")
}

fn put(store: &mut FleetStore, obj: Value) {
    let obj: DynamicObject = serde_json::from_value(obj).expect("object");
    let types = obj.types.as_ref().expect("types");
    let group = types.api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = KindId::find(group, &types.kind).expect("watched kind");
    let event = StoreEvent::Kind(kind, KindEvent::Apply(StoredObject::shared(kind, obj)));
    store.apply(StoreMsg { context: CTX.into(), generation: 1, event }, now());
}

fn new_store() -> FleetStore {
    let mut s = FleetStore::new();
    let event = StoreEvent::Registered { server: "https://mgmt:6443".into(), origin: Origin::Kubeconfig };
    s.apply(StoreMsg { context: CTX.into(), generation: 1, event }, now());
    s
}

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": "2026-02-20T09:00:00Z", "observedGeneration": 1})
}

fn meta(name: &str, labels: Value, owner: Option<(&str, &str, &str)>) -> Value {
    let owners: Vec<Value> = owner
        .into_iter()
        .map(|(api, kind, n)| json!({"apiVersion": api, "kind": kind, "name": n, "uid": format!("uid-{n}"), "controller": true}))
        .collect();
    json!({"name": name, "namespace": "bench", "uid": format!("uid-{name}"), "labels": labels, "ownerReferences": owners})
}

/// A Machine with its DockerMachine and KubeadmConfig; every 40th is unhealthy with its own reason, so
/// grouping leaves singles whose children are echo-checked.
fn machine(s: &mut FleetStore, name: &str, owner: (&str, &str, &str), cp: bool, i: usize) {
    let mut labels = json!({"cluster.x-k8s.io/cluster-name": "big"});
    if cp {
        labels["cluster.x-k8s.io/control-plane"] = json!("");
    }
    let (ready, reason) = if i % 40 == 7 { ("False", format!("NotReady{}", i % 3)) } else { ("True", "Ready".into()) };
    let conditions = json!([
        cond("Available", ready, if ready == "True" { "Available" } else { "NotAvailable" }, ""),
        cond(
            "Ready",
            ready,
            &reason,
            if ready == "True" { "" } else { "* NodeHealthy: kubelet stopped posting node status" }
        ),
        cond("UpToDate", "True", "UpToDate", ""),
        cond("BootstrapConfigReady", "True", "Ready", ""),
        cond("InfrastructureReady", ready, &reason, ""),
        cond("NodeReady", ready, &reason, ""),
        cond("NodeHealthy", ready, &reason, ""),
        cond("Deleting", "False", "NotDeleting", ""),
        cond("Paused", "False", "NotPaused", ""),
    ]);
    put(
        s,
        json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine", "metadata": meta(name, labels.clone(), Some(owner)),
        "spec": {"clusterName": "big", "version": "v1.32.2",
                 "bootstrap": {"configRef": {"apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfig", "name": name}},
                 "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachine", "name": name}},
        "status": {"phase": "Running", "initialization": {"infrastructureProvisioned": true}, "conditions": conditions}}),
    );
    let machine_owner = Some(("cluster.x-k8s.io/v1beta2", "Machine", name));
    put(
        s,
        json!({"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerMachine",
        "metadata": meta(name, labels.clone(), machine_owner),
        "status": {"initialization": {"provisioned": true}, "conditions": [cond("Ready", ready, &reason, ""), cond("ContainerProvisioned", ready, &reason, "")]}}),
    );
    put(
        s,
        json!({"apiVersion": "bootstrap.cluster.x-k8s.io/v1beta2", "kind": "KubeadmConfig",
        "metadata": meta(name, labels, machine_owner),
        "status": {"initialization": {"dataSecretCreated": true}, "conditions": [cond("Ready", "True", "Ready", ""), cond("DataSecretAvailable", "True", "Available", "")]}}),
    );
}

fn capi_store() -> FleetStore {
    let mut s = new_store();
    let labels = json!({"cluster.x-k8s.io/cluster-name": "big"});
    put(
        &mut s,
        json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": meta("big", json!({}), None),
        "spec": {"infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerCluster", "name": "big"},
                 "controlPlaneRef": {"apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": "big-cp"}},
        "status": {"initialization": {"infrastructureProvisioned": true},
                   "controlPlane": {"desiredReplicas": 3, "replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "upToDateReplicas": 3},
                   "workers": {"desiredReplicas": 1000, "replicas": 1000, "readyReplicas": 975, "availableReplicas": 975, "upToDateReplicas": 1000},
                   "conditions": [cond("Available", "True", "Available", ""), cond("Paused", "False", "NotPaused", "")]}}),
    );
    put(
        &mut s,
        json!({"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "DockerCluster", "metadata": meta("big", labels.clone(), None),
        "status": {"initialization": {"provisioned": true}, "conditions": [cond("Ready", "True", "Ready", "")]}}),
    );
    put(
        &mut s,
        json!({"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane", "metadata": meta("big-cp", labels.clone(), None),
        "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "upToDateReplicas": 3,
        "conditions": [cond("Available", "True", "Available", "")]}}),
    );
    for i in 0..3 {
        machine(
            &mut s,
            &format!("big-cp-{i}"),
            ("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane", "big-cp"),
            true,
            i,
        );
    }
    for d in 0..10 {
        let md = format!("big-md-{d}");
        let ms = format!("{md}-5c7f9");
        put(
            &mut s,
            json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment", "metadata": meta(&md, labels.clone(), None),
            "spec": {"replicas": 100}, "status": {"replicas": 100, "readyReplicas": 97, "availableReplicas": 97, "upToDateReplicas": 100,
            "conditions": [cond("Available", "True", "Available", "")]}}),
        );
        put(
            &mut s,
            json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineSet",
            "metadata": meta(&ms, labels.clone(), Some(("cluster.x-k8s.io/v1beta2", "MachineDeployment", &md))),
            "spec": {"replicas": 100}, "status": {"replicas": 100}}),
        );
        for m in 0..100 {
            machine(
                &mut s,
                &format!("{ms}-{m:05}"),
                ("cluster.x-k8s.io/v1beta2", "MachineSet", &ms),
                false,
                d * 100 + m,
            );
        }
    }
    s
}

fn flux_store() -> FleetStore {
    let mut s = new_store();
    let ready = json!([{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": "Applied revision: main@sha1:6b1c8a3f",
                        "lastTransitionTime": "2026-03-01T11:58:00Z", "observedGeneration": 1}]);
    let mut entries = Vec::with_capacity(5000);
    for i in 0..5000 {
        let id = match i % 10 {
            0 => format!("apps-{}_podinfo-{i}_apps_Deployment", i % 50),
            1 => format!("apps-{}_podinfo-{i}__Service", i % 50),
            2 => format!("apps-{}_podinfo-{i}__ConfigMap", i % 50),
            3 => format!("_system__aggregate-{i}_rbac.authorization.k8s.io_ClusterRole"),
            4 => format!("_tenant-{i}__Namespace"),
            5 | 6 => format!("flux-system_repo-{i}_source.toolkit.fluxcd.io_GitRepository"),
            7 => format!("flux-system_release-{i}_helm.toolkit.fluxcd.io_HelmRelease"),
            8 if i % 100 == 8 => format!("flux-system_child-{i}_kustomize.toolkit.fluxcd.io_Kustomization"),
            _ => format!("flux-system_gone-{i}_source.toolkit.fluxcd.io_OCIRepository"),
        };
        entries.push(json!({"id": id, "v": "v1"}));
        match i % 10 {
            5 | 6 => put(
                &mut s,
                json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": format!("repo-{i}"), "namespace": "flux-system", "generation": 1},
                "spec": {"url": "https://example.invalid/repo", "interval": "5m"},
                "status": {"observedGeneration": 1, "conditions": ready.clone()}}),
            ),
            7 => put(
                &mut s,
                json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                "metadata": {"name": format!("release-{i}"), "namespace": "flux-system", "generation": 1},
                "spec": {"chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}}},
                "status": {"observedGeneration": 1, "conditions": ready.clone(),
                           "history": [{"chartName": "podinfo", "chartVersion": "6.7.1", "status": "deployed", "version": 1}],
                           "inventory": {"entries": [{"id": format!("apps_release-{i}_apps_Deployment"), "v": "v1"},
                                                     {"id": format!("apps_release-{i}__Service"), "v": "v1"}]}}}),
            ),
            8 if i % 100 == 8 => put(
                &mut s,
                json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": format!("child-{i}"), "namespace": "flux-system", "generation": 1},
                "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "path": "./x", "interval": "10m"},
                "status": {"observedGeneration": 1, "conditions": ready.clone(), "lastAppliedRevision": "main@sha1:6b1c8a3f",
                           "inventory": {"entries": [{"id": format!("tenant_cm-{i}__ConfigMap"), "v": "v1"}]}}}),
            ),
            _ => {}
        }
    }
    // One OCIRepository so the kind is synced and the `gone-*` entries are honestly "not found".
    put(
        &mut s,
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
        "metadata": {"name": "present", "namespace": "flux-system", "generation": 1},
        "spec": {"url": "oci://example.invalid/x"}, "status": {"observedGeneration": 1, "conditions": ready.clone()}}),
    );
    put(
        &mut s,
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": "big", "namespace": "flux-system", "generation": 1},
        "spec": {"sourceRef": {"kind": "GitRepository", "name": "flux-system"}, "path": "./clusters/big", "interval": "10m"},
        "status": {"observedGeneration": 1, "conditions": ready, "lastAppliedRevision": "main@sha1:6b1c8a3f",
                   "inventory": {"entries": entries}}}),
    );
    s
}

/// CPU time of this thread, so the report is not skewed by other processes on a busy machine.
fn cpu_now() -> std::time::Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime only writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Average CPU time of one build (and drop), over `n` runs.
fn cpu_per_run<T>(n: u32, mut f: impl FnMut() -> T) -> f64 {
    let start = cpu_now();
    for _ in 0..n {
        black_box(f());
    }
    (cpu_now() - start).as_secs_f64() * 1000.0 / f64::from(n)
}

fn count(node: &TreeNode) -> usize {
    1 + node.children.iter().map(count).sum::<usize>()
}

fn bench(c: &mut Criterion) {
    // The store keeps objects as JSON and parses one on first use (model/object.rs): the first build after
    // objects changed pays for parsing them; the timed builds below read parsed objects.
    let cold = |store: &FleetStore, build: &dyn Fn(&FleetStore)| {
        let start = cpu_now();
        build(store);
        (cpu_now() - start).as_secs_f64() * 1000.0
    };
    let s = capi_store();
    let defaults = CapiTreeOptions::default();
    let first = cold(&s, &|s| drop(cluster_tree(s, CTX, "bench", "big", &CapiTreeOptions::default())));
    eprintln!("capi: first build on a fresh store (parses the objects it reads): {first:.2} ms CPU");
    let tree = cluster_tree(&s, CTX, "bench", "big", &defaults).expect("tree");
    let cpu = cpu_per_run(200, || cluster_tree(&s, CTX, "bench", "big", &defaults));
    eprintln!("capi: {} nodes (grouped), {cpu:.2} ms CPU per build", count(&tree));
    c.bench_function("capi_tree_1000_machines", |b| {
        b.iter(|| cluster_tree(black_box(&s), CTX, "bench", "big", &defaults))
    });
    let flat = CapiTreeOptions { grouping: false, echo: true, ..CapiTreeOptions::default() };
    let tree = cluster_tree(&s, CTX, "bench", "big", &flat).expect("tree");
    let cpu = cpu_per_run(50, || cluster_tree(&s, CTX, "bench", "big", &flat));
    eprintln!("capi: {} nodes (no grouping, echo), {cpu:.2} ms CPU per build", count(&tree));
    c.bench_function("capi_tree_1000_machines_ungrouped_echo", |b| {
        b.iter(|| cluster_tree(black_box(&s), CTX, "bench", "big", &flat))
    });

    let s = flux_store();
    let resolve = |_: &str, _: &str| None;
    let first = cold(&s, &|s| drop(kustomization_tree(s, CTX, "flux-system", "big", &|_: &str, _: &str| None)));
    eprintln!("flux: first build on a fresh store (parses the objects it reads): {first:.2} ms CPU");
    let tree = kustomization_tree(&s, CTX, "flux-system", "big", &resolve).expect("tree");
    let cpu = cpu_per_run(200, || kustomization_tree(&s, CTX, "flux-system", "big", &resolve));
    eprintln!("flux: {} nodes, {cpu:.2} ms CPU per build", count(&tree));
    c.bench_function("flux_tree_5000_entries", |b| {
        b.iter(|| kustomization_tree(black_box(&s), CTX, "flux-system", "big", &resolve))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
