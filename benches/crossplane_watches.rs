//! Bench: watches with Crossplane installed (issue 17's target in brackets).
//!
//! One API server with the Crossplane CRDs, a v1 XRD with a claim and a v2 namespaced XRD, **1,000 MR CRDs**
//! installed (as provider-aws would), and 20 composites referencing 3 of those kinds. fleetdeck connects
//! (the cockpit's options: every catalogue kind) and the bench reports, once the context has settled:
//! - the watches fleetdeck keeps open, counted by the API server itself (`apiserver_longrunning_requests`
//!   with `verb="WATCH"` on `/metrics`, fleetdeck's user only) [<= the referenced kinds + the catalogue's
//!   served kinds];
//! - the time from start to the first full Fleet row (the context Ready with every served kind synced and
//!   the Crossplane kinds settled), against the same server before the 1,000 MR CRDs and composites are
//!   installed [unchanged].
//!
//! Run: `cargo bench --bench crossplane_watches` (a few minutes: the 1,000 CRDs are created and established
//! first). `FLEETDECK_BENCH_MR_CRDS=N` sets the number of MR CRDs.
use std::time::{Duration, Instant};

use anyhow::Result;
use fleetdeck::envtest::Envtest;
use fleetdeck::envtest::crossplane::install_xrd;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::store::{ConnState, FleetStore};
use fleetdeck::model::summary::summarize;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

const XRD: &str = r#"
apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata: {name: xpostgresqlinstances.database.example.org}
spec:
  group: database.example.org
  names: {kind: XPostgreSQLInstance, plural: xpostgresqlinstances}
  claimNames: {kind: PostgreSQLInstance, plural: postgresqlinstances}
  versions:
  - name: v1alpha1
    served: true
    referenceable: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {parameters: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
"#;

fn mr_crd(i: usize) -> CustomResourceDefinition {
    let group = format!("svc{:03}.aws.upbound.io", i / 10);
    let kind = format!("Resource{i:04}");
    let plural = format!("resource{i:04}s");
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": "Cluster",
            "names": {"kind": kind, "plural": plural, "listKind": format!("{kind}List"), "singular": kind.to_lowercase(),
                      "categories": ["crossplane", "managed", "aws"]},
            "versions": [{"name": "v1beta1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .expect("crd")
}

fn api(
    client: &kube::Client,
    group: &str,
    version: &str,
    kind: &str,
    plural: &str,
    ns: Option<&str>,
) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    }
}

/// Open WATCH requests the API server counts (every user).
async fn open_watches(client: &kube::Client) -> Result<u64> {
    let req = http::Request::get("/metrics").body(Vec::new())?;
    let text = client.request_text(req).await?;
    Ok(text
        .lines()
        .filter(|l| l.starts_with("apiserver_longrunning_requests{") && l.contains("verb=\"WATCH\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64)
}

/// Connects to the context, waits until its row is complete; returns the time it took, the store, and the
/// running fleet (so its watches stay open).
async fn connect(env: &Envtest) -> Result<(Duration, FleetStore, Fleet)> {
    let kc = fleetdeck::fleet::kubeconfig::load(Some(env.kubeconfig_path()))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let opts = FleetOptions { lineage: false, ..FleetOptions::default() };
    let t = Instant::now();
    let fleet = Fleet::start(&kc, &["a".to_string()], opts, tx).await?;
    let mut store = FleetStore::new();
    loop {
        let done = store
            .context("a")
            .is_some_and(|c| c.state == ConnState::Ready && summarize("a", c, Timestamp::now()).settled())
            && fleetdeck::model::crossplane::settled(&store);
        if done {
            return Ok((t.elapsed(), store, fleet));
        }
        anyhow::ensure!(t.elapsed() < Duration::from_secs(120), "not settled within 120 s");
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
            store.apply(m, Timestamp::now());
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let n: usize = std::env::var("FLEETDECK_BENCH_MR_CRDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    install_xrd(&client, XRD).await?;

    // Baseline: Crossplane's own CRDs and the XRD, no MR CRD, no composite.
    let mut base = Vec::new();
    for _ in 0..3 {
        let (took, _store, fleet) = connect(&env).await?;
        base.push(took.as_secs_f64() * 1e3);
        drop(fleet);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    eprintln!("creating {n} MR CRDs...");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let t = Instant::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(50) {
        let jobs = chunk.iter().map(|i| {
            let crds = crds.clone();
            async move { crds.create(&PostParams::default(), &mr_crd(*i)).await }
        });
        for r in futures::future::join_all(jobs).await {
            r?;
        }
    }
    // Established, and served: the last one listable.
    let last = mr_crd(n - 1);
    let (g, k, p) = (last.spec.group.clone(), last.spec.names.kind.clone(), last.spec.names.plural.clone());
    while api(&client, &g, "v1beta1", &k, &p, None).list(&Default::default()).await.is_err() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{n} MR CRDs served after {:.1} s", t.elapsed().as_secs_f64());
    // 20 composites (claims and their XRs), each referencing 3 of the MR kinds (the same 3: kinds 0, 1, 2).
    let ns: k8s_openapi::api::core::v1::Namespace = serde_json::from_value(json!({"metadata": {"name": "team-a"}}))?;
    Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    for c in 0..20 {
        let refs: Vec<_> = (0..3)
            .map(|i| {
                let crd = mr_crd(i);
                json!({"apiVersion": format!("{}/v1beta1", crd.spec.group), "kind": crd.spec.names.kind, "name": format!("db-{c}-{i}")})
            })
            .collect();
        let xr: DynamicObject = serde_json::from_value(json!({"apiVersion": "database.example.org/v1alpha1",
            "kind": "XPostgreSQLInstance", "metadata": {"name": format!("db-{c}-x")}, "spec": {"resourceRefs": refs}}))?;
        api(&client, "database.example.org", "v1alpha1", "XPostgreSQLInstance", "xpostgresqlinstances", None)
            .create(&PostParams::default(), &xr)
            .await?;
        let claim: DynamicObject = serde_json::from_value(json!({"apiVersion": "database.example.org/v1alpha1",
            "kind": "PostgreSQLInstance", "metadata": {"name": format!("db-{c}"), "namespace": "team-a"},
            "spec": {"resourceRef": {"apiVersion": "database.example.org/v1alpha1", "kind": "XPostgreSQLInstance", "name": format!("db-{c}-x")}}}))?;
        api(&client, "database.example.org", "v1alpha1", "PostgreSQLInstance", "postgresqlinstances", Some("team-a"))
            .create(&PostParams::default(), &claim)
            .await?;
    }

    let before = open_watches(&client).await?;
    let mut with = Vec::new();
    let mut watches = 0;
    let mut kinds = (0, 0);
    for _ in 0..3 {
        let (took, store, fleet) = connect(&env).await?;
        with.push(took.as_secs_f64() * 1e3);
        tokio::time::sleep(Duration::from_millis(300)).await;
        watches = open_watches(&client).await? - before;
        let ctx = store.context("a").expect("context");
        let served =
            ctx.kinds.values().filter(|e| e.state != Some(fleetdeck::model::store::KindState::CrdMissing)).count();
        kinds = (served, ctx.kinds.keys().filter(|k| k.is_dynamic()).count());
        drop(fleet);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    base.sort_by(f64::total_cmp);
    with.sort_by(f64::total_cmp);
    println!("crossplane_watches: {n} MR CRDs installed, 20 composites referencing 3 MR kinds");
    println!("  watches fleetdeck opened (API server's count): {watches}");
    println!("  kinds watched: {} served kinds, of which {} found at run time (2 XR/claim + 3 MR)", kinds.0, kinds.1);
    println!("  target: <= referenced kinds (3) + XR/claim kinds (2) + catalogue kinds served (the rest)");
    println!(
        "  first full Fleet row: median {:.0} ms with them, {:.0} ms before (runs: {:?} / {:?})",
        with[1],
        base[1],
        with.iter().map(|v| v.round()).collect::<Vec<_>>(),
        base.iter().map(|v| v.round()).collect::<Vec<_>>()
    );
    Ok(())
}
