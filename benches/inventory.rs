//! Bench: reading a Flux inventory that fleetdeck does not watch (issue 15, item 1; target: the health of
//! every entry of a 500-object inventory <= 1 s after the tree opens, API server on loopback).
//!
//! One envtest API server holds 250 ConfigMaps and 250 Deployments in 10 namespaces; `fleet::inventory::read`
//! reads all 500 entries (discovery included), 5 rounds, each with a fresh client (no cached discovery).
//!
//! Run: `cargo bench --bench inventory`.
use std::time::Instant;

use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::inventory::{EntryState, read};
use fleetdeck::model::flux_tree::ObjMetadata;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, PostParams};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let env = Envtest::builder().server("a").start().await?;
        let client = env.client("a").await?;
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
                let e = |group: &str, kind: &str| ObjMetadata {
                    namespace: ns.clone(),
                    name: name.clone(),
                    group: group.into(),
                    kind: kind.into(),
                };
                entries.push((e("", "ConfigMap"), "v1".to_string()));
                entries.push((e("apps", "Deployment"), "v1".to_string()));
            }
        }
        let mut times = Vec::new();
        for round in 0..5 {
            let client = env.client("a").await?;
            let t = Instant::now();
            let got = read(&client, &entries).await;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let found = got.iter().filter(|g| matches!(g.state, EntryState::Found(_))).count();
            anyhow::ensure!(found == entries.len(), "round {round}: {found} of {} found", entries.len());
            println!("round {round}: {} entries read with their health in {ms:.0} ms", entries.len());
            times.push(ms);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "inventory of {} objects: min {:.0} ms, median {:.0} ms, max {:.0} ms (target <= 1000 ms)",
            entries.len(),
            times[0],
            times[times.len() / 2],
            times[times.len() - 1]
        );
        Ok(())
    })
}
