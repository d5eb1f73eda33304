//! Bench: a Flux tree's unwatched inventory, read with its health (issue 15, item 1; targets: the health of
//! every entry of a 500-object inventory <= 1 s after the tree opens, API server on loopback; the memory for
//! them released when the tree closes).
//!
//! One envtest API server holds 250 ConfigMaps and 250 Deployments in 10 namespaces, and a Kustomization
//! whose inventory lists them all. Each of 5 rounds does what the cockpit does when the tree opens: build the
//! tree from the store, list the probes, build a fresh client (`ops::clients::Clients`, as a new reading task
//! does: TLS, no cached discovery), read every entry (`fleet::inventory::read_probes`) and lay the answer over
//! the tree. It prints the time from "tree open" to "every entry has its health", split into client,
//! discovery + reads, and overlay, and the live bytes the answer holds (counting allocator) and the live
//! bytes left, against the round's start, once the tree, the answer and the client are dropped (the tree
//! closing).
//!
//! Run: `cargo bench --bench inventory`.
use std::sync::atomic::Ordering;
use std::time::Instant;

#[allow(dead_code)] // `mb`: this bench prints KiB
#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE};

#[global_allocator]
static GLOBAL: Counting = Counting;

use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::FleetOptions;
use fleetdeck::fleet::inventory::read_probes;
use fleetdeck::model::flux_tree::kustomization_tree;
use fleetdeck::model::inventory::{EntryState, probes};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object::StoredObject;
use fleetdeck::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};
use fleetdeck::ops::clients::Clients;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, PostParams};
use serde_json::json;

const CONTEXT: &str = "a";

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let env = Envtest::builder().server(CONTEXT).start().await?;
        let client = env.client(CONTEXT).await?;
        let pp = PostParams::default();
        let mut entries = Vec::new();
        for n in 0..10 {
            let ns = format!("team-{n}");
            let o: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
            Api::<Namespace>::all(client.clone()).create(&pp, &o).await?;
            for i in 0..25 {
                let name = format!("app-{i}");
                let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": name}, "data": {"a": "1"}}))?;
                Api::<ConfigMap>::namespaced(client.clone(), &ns).create(&pp, &cm).await?;
                let d: Deployment = serde_json::from_value(json!({"metadata": {"name": name}, "spec": {
                    "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}))?;
                Api::<Deployment>::namespaced(client.clone(), &ns).create(&pp, &d).await?;
                entries.push(json!({"id": format!("{ns}_{name}__ConfigMap"), "v": "v1"}));
                entries.push(json!({"id": format!("{ns}_{name}_apps_Deployment"), "v": "v1"}));
            }
        }
        // The Kustomization as the watch would bring it to the store.
        let ks: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "flux-system"},
            "spec": {"interval": "10m", "path": "./apps", "prune": true,
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"inventory": {"entries": entries}, "conditions": [{"type": "Ready", "status": "True",
                "reason": "ReconciliationSucceeded", "message": "Applied revision: main@sha1:0",
                "lastTransitionTime": "2026-12-01T00:00:00Z"}]},
        }))?;
        let mut store = FleetStore::new();
        let now = Timestamp::now();
        let msg = |event| StoreMsg { context: CONTEXT.into(), generation: 1, event };
        store
            .apply(msg(StoreEvent::Registered { server: "https://127.0.0.1".into(), origin: Origin::Kubeconfig }), now);
        store.apply(msg(StoreEvent::Ready { server_version: "v1.34.0".into() }), now);
        let kind = KindId::KUSTOMIZATION;
        store.apply(msg(StoreEvent::Kind(kind, KindEvent::Apply(StoredObject::shared(kind, ks)))), now);
        let kubeconfig = kube::config::Kubeconfig::read_from(env.kubeconfig_path())?;
        let no_remote = |_: &str, _: &str| None;

        let mut totals = Vec::new();
        for round in 0..5 {
            let baseline = LIVE.load(Ordering::Relaxed);
            let mut tree = kustomization_tree(&store, CONTEXT, "flux-system", "apps", &no_remote)
                .ok_or_else(|| anyhow::anyhow!("no tree"))?;
            let t = Instant::now();
            let probes = probes(&store, &tree);
            let clients = Clients::new(kubeconfig.clone().into(), FleetOptions::default());
            let clients = clients.for_contexts(vec![CONTEXT.to_string()]).await;
            let t_client = t.elapsed();
            let overlay = read_probes(&clients, &probes).await;
            let t_read = t.elapsed();
            overlay.apply(&mut tree);
            let total = t.elapsed();
            let found = overlay.states.values().filter(|s| matches!(s, EntryState::Found(_))).count();
            anyhow::ensure!(found == entries.len(), "round {round}: {found} of {} found", entries.len());
            // What the answer holds: the bytes of a copy of it.
            let before = LIVE.load(Ordering::Relaxed);
            let copy = overlay.clone();
            let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
            drop(copy);
            // The tree closes: everything the reading made goes (the client's connection tasks end shortly
            // after the client is dropped).
            drop((clients, probes, overlay, tree));
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let left = LIVE.load(Ordering::Relaxed) as i64 - baseline as i64;
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
            println!(
                "round {round}: {} entries with their health {:.0} ms after the tree opened (client {:.0} ms, \
                 discovery + reads {:.0} ms, overlay {:.1} ms); the answer holds {:.0} KiB; {:+.0} KiB live \
                 after the tree closed",
                entries.len(),
                ms(total),
                ms(t_client),
                ms(t_read - t_client),
                ms(total - t_read),
                held as f64 / 1024.0,
                left as f64 / 1024.0,
            );
            totals.push(ms(total));
        }
        totals.sort_by(f64::total_cmp);
        println!(
            "inventory of {} objects, tree open -> every entry's health: min {:.0} ms, median {:.0} ms, max {:.0} ms \
             (target <= 1000 ms)",
            entries.len(),
            totals[0],
            totals[totals.len() / 2],
            totals[totals.len() - 1]
        );
        Ok(())
    })
}
