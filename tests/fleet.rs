//! The live fleet model against real API servers: connection states, Forbidden and CrdMissing kinds,
//! reconnects without stale or duplicated objects, a silent 410 relist, garbage statuses, hung exec
//! plugins, lineage, and `fleetdeck contexts`.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::kubeconfig::LoadedKubeconfig;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::status::HealthState;
use fleetdeck::model::store::{ConnState, FleetStore, InitialList, KindEvent, KindState, Origin, StoreEvent};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

/// A store fed by a running fleet, plus a log of the kind events seen (for the 410 check).
struct Observed {
    store: Arc<Mutex<FleetStore>>,
    log: Arc<Mutex<Vec<(String, String)>>>,
    _fleet: Fleet,
}

impl Observed {
    async fn start(kubeconfig: &std::path::Path, opts: FleetOptions) -> anyhow::Result<Observed> {
        let kc = fleetdeck::fleet::kubeconfig::load(Some(kubeconfig))?;
        Self::start_with(kc, opts).await
    }

    async fn start_with(kc: LoadedKubeconfig, opts: FleetOptions) -> anyhow::Result<Observed> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<fleetdeck::model::store::StoreMsg>(4096);
        let store = Arc::new(Mutex::new(FleetStore::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (s, l) = (store.clone(), log.clone());
        tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                if let StoreEvent::Kind(k, ev) = &msg.event {
                    let what = match ev {
                        KindEvent::Init => "Init".to_string(),
                        KindEvent::Error(e) => format!("Error {e}"),
                        KindEvent::Forbidden(_) => "Forbidden".into(),
                        KindEvent::CrdMissing => "CrdMissing".into(),
                        _ => String::new(),
                    };
                    if !what.is_empty() {
                        l.lock().expect("log").push((format!("{}/{k}", msg.context), what));
                    }
                }
                s.lock().expect("store").apply(msg, Timestamp::now());
            }
        });
        let fleet = Fleet::start(&kc, &[], opts, tx).await?;
        Ok(Observed { store, log, _fleet: fleet })
    }

    async fn until(&self, what: &str, timeout: Duration, ok: impl Fn(&FleetStore) -> bool) -> anyhow::Result<()> {
        let t = Instant::now();
        loop {
            if ok(&self.store.lock().expect("store")) {
                return Ok(());
            }
            if t.elapsed() > timeout {
                let s = self.store.lock().expect("store");
                let states: Vec<String> =
                    s.contexts().map(|(n, c)| format!("{n}: {:?} {}", c.state, c.reason)).collect();
                anyhow::bail!("{what}: not within {timeout:?}; contexts {states:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn fast() -> FleetOptions {
    FleetOptions {
        probe_every: Duration::from_millis(500),
        rediscover_every: Duration::from_secs(1),
        max_backoff: Duration::from_secs(1),
        ..FleetOptions::default()
    }
}

fn kind(group: &str, k: &str) -> KindId {
    KindId::find(group, k).expect("catalogue kind")
}

fn ks_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
        "kustomizations",
    )
}

fn kustomization(name: &str) -> DynamicObject {
    serde_json::from_value(json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"interval": "10m", "path": "./", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "x"}}}))
    .expect("object")
}

fn kind_state(s: &FleetStore, ctx: &str, k: KindId) -> Option<KindState> {
    s.context(ctx).and_then(|c| c.kinds.get(&k)).and_then(|k| k.state)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_goes_unreachable_then_ready_and_a_410_relist_is_silent() -> anyhow::Result<()> {
    killed_server_and_relist(fast()).await
}

/// The same faults with the initial state listed instead of streamed (the path of servers without WatchList).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_and_a_410_relist_on_the_list_path() -> anyhow::Result<()> {
    killed_server_and_relist(FleetOptions { streaming_lists: false, ..fast() }).await
}

/// The initial state is streamed from a server with WatchList and listed from one without (kube-apiserver
/// with `--feature-gates=WatchList=false`, as 1.33 ships): both complete, each says how it was fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_lists_where_served_and_lists_where_not() -> anyhow::Result<()> {
    let env = Envtest::builder()
        .server("streams")
        .server_with_args("lists", &["--feature-gates=WatchList=false"])
        .start()
        .await?;
    for server in ["streams", "lists"] {
        env.install_crds(server).await?;
        let api: Api<DynamicObject> = Api::namespaced_with(env.client(server).await?, "default", &ks_resource());
        for i in 0..30 {
            api.create(&PostParams::default(), &kustomization(&format!("{server}-{i}"))).await?;
        }
    }
    let obs = Observed::start(env.kubeconfig_path(), fast()).await?;
    let ks = kind("kustomize.toolkit.fluxcd.io", "Kustomization");
    obs.until("both synced", Duration::from_secs(20), |s| {
        ["streams", "lists"]
            .iter()
            .all(|c| kind_state(s, c, ks) == Some(KindState::Synced) && s.objects(c, ks).count() == 30)
    })
    .await?;
    let s = obs.store.lock().expect("store");
    let how = |ctx: &str| s.context(ctx).and_then(|c| c.kinds.get(&ks)).and_then(|k| k.initial_list);
    assert_eq!(how("streams"), Some(InitialList::Streaming));
    assert_eq!(how("lists"), Some(InitialList::List), "refused once, then listed");
    let summaries = fleetdeck::model::summary::summarize_all(&s, Timestamp::now());
    let summary = |ctx: &str| summaries.iter().find(|c| c.name == ctx).and_then(|c| c.initial_list);
    assert_eq!((summary("streams"), summary("lists")), (Some("streaming"), Some("list")));
    let names: Vec<String> = s.objects("streams", ks).map(|o| o.name().to_string()).collect();
    assert!(names.iter().all(|n| n.starts_with("streams-")), "{names:?}");
    Ok(())
}

async fn killed_server_and_relist(opts: FleetOptions) -> anyhow::Result<()> {
    let mut env = Envtest::builder().server("a").server("b").start().await?;
    env.install_crds("a").await?;
    env.install_crds("b").await?;
    let ks_a: Api<DynamicObject> = Api::namespaced_with(env.client("a").await?, "default", &ks_resource());
    for n in ["one", "two", "three"] {
        ks_a.create(&PostParams::default(), &kustomization(n)).await?;
    }
    let obs = Observed::start(env.kubeconfig_path(), opts).await?;
    let ks = kind("kustomize.toolkit.fluxcd.io", "Kustomization");
    obs.until("a synced", Duration::from_secs(15), |s| {
        kind_state(s, "a", ks) == Some(KindState::Synced) && s.objects("a", ks).count() == 3
    })
    .await?;

    env.stop_server("a")?;
    obs.until("a Unreachable", Duration::from_secs(5), |s| {
        s.context("a").is_some_and(|c| c.state == ConnState::Unreachable)
    })
    .await?;
    assert_eq!(obs.store.lock().expect("store").context("b").map(|c| c.state), Some(ConnState::Ready), "b unaffected");

    // While a is down, b writes: etcd's revision moves past a's watch cache, so a's restarted watch cache
    // starts later than the watcher's resourceVersion -> 410 Gone -> relist.
    let ks_b: Api<DynamicObject> = Api::namespaced_with(env.client("b").await?, "default", &ks_resource());
    for i in 0..20 {
        ks_b.create(&PostParams::default(), &kustomization(&format!("b-{i}"))).await?;
    }
    let before = obs.log.lock().expect("log").len();
    env.restart_server("a").await?;
    // Deleted while down: must vanish after the relist, with no stale copy.
    ks_a.delete("two", &Default::default()).await?;
    ks_a.create(&PostParams::default(), &kustomization("four")).await?;
    obs.until("a Ready, relisted", Duration::from_secs(20), |s| {
        let names: Vec<String> = s.objects("a", ks).map(|o| o.name().to_string()).collect();
        s.context("a").is_some_and(|c| c.state == ConnState::Ready) && names == ["four", "one", "three"]
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = obs.store.lock().expect("store");
    assert_eq!(kind_state(&s, "a", ks), Some(KindState::Synced), "no error left on the kind");
    assert_eq!(s.objects("a", ks).count(), 3, "no duplicates");
    let log = obs.log.lock().expect("log");
    let after_restart: Vec<&(String, String)> =
        log[before..].iter().filter(|(k, _)| k.starts_with("a/kustomizations")).collect();
    assert!(after_restart.iter().any(|(_, e)| e == "Init"), "the watch relisted: {after_restart:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crd_missing_then_live_garbage_status_and_a_hung_exec_plugin() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").start().await?;
    // Garbage can only be stored under a loose schema (an old or hand-written CRD): fleetdeck's own CRDs keep
    // `status` open, the upstream ones would refuse it.
    env.install_own_crds("a").await?;
    let client = env.client("a").await?;
    let ks_api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "default", &ks_resource());
    ks_api.create(&PostParams::default(), &kustomization("garbage")).await?;
    ks_api
        .patch_status(
            "garbage",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"conditions": "not a list", "observedGeneration": "x"}})),
        )
        .await?;

    // A second context whose exec plugin hangs: it must time out alone.
    let mut kc = fleetdeck::fleet::kubeconfig::load(Some(env.kubeconfig_path()))?;
    let mut hung = kc.config.auth_infos[0].clone();
    hung.name = "hung".into();
    let auth = hung.auth_info.as_mut().expect("auth");
    auth.token = None;
    auth.exec = Some(serde_json::from_value(
        json!({"apiVersion": "client.authentication.k8s.io/v1", "command": "sleep", "args": ["600"]}),
    )?);
    let config = std::sync::Arc::make_mut(&mut kc.config);
    config.auth_infos.push(hung);
    let mut ctx = config.contexts[0].clone();
    ctx.name = "hung-plugin".into();
    ctx.context.as_mut().expect("context").user = Some("hung".into());
    config.contexts.push(ctx);

    let opts = FleetOptions { exec_timeout: Duration::from_secs(1), ..fast() };
    let t = Instant::now();
    let obs = Observed::start_with(kc, opts).await?;
    let ks = kind("kustomize.toolkit.fluxcd.io", "Kustomization");
    obs.until("a synced", Duration::from_secs(10), |s| kind_state(s, "a", ks) == Some(KindState::Synced)).await?;
    assert!(t.elapsed() < Duration::from_secs(5), "the hung plugin did not delay a: {:?}", t.elapsed());
    obs.until("hung plugin unreachable", Duration::from_secs(5), |s| {
        s.context("hung-plugin")
            .is_some_and(|c| c.state == ConnState::Unreachable && c.reason.contains("did not finish"))
    })
    .await?;

    {
        let s = obs.store.lock().expect("store");
        let g = s.get("a", ks, "default", "garbage").expect("garbage object stored");
        assert_eq!(g.health.state, HealthState::Unknown);
        assert!(g.health.note.as_deref().is_some_and(|n| n.contains("conditions")), "{:?}", g.health);
    }

    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.delete("kustomizations.kustomize.toolkit.fluxcd.io", &Default::default()).await?;
    obs.until("CrdMissing", Duration::from_secs(10), |s| kind_state(s, "a", ks) == Some(KindState::CrdMissing)).await?;
    assert_eq!(obs.store.lock().expect("store").objects("a", ks).count(), 0);
    fleetdeck::envtest::install_own_crds(&client).await?;
    ks_api.create(&PostParams::default(), &kustomization("back")).await?;
    obs.until("live again", Duration::from_secs(10), |s| {
        kind_state(s, "a", ks) == Some(KindState::Synced) && s.get("a", ks, "default", "back").is_some()
    })
    .await?;
    Ok(())
}

#[test]
fn contexts_over_the_demo_fleet_shows_faults_forbidden_and_lineage() {
    let home = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_fleetdeck");
    let run = |args: &[&str]| {
        std::process::Command::new(bin).args(args).env("FLEETDECK_HOME", home.path()).output().expect("runs")
    };
    let up = run(&["demo", "up"]);
    assert!(up.status.success(), "demo up: {}", String::from_utf8_lossy(&up.stderr));
    let kubeconfig = home.path().join("state/demo/kubeconfig");
    let kc = kubeconfig.to_str().expect("utf-8 path");
    let t = Instant::now();
    let out = run(&["--kubeconfig", kc, "contexts", "-o", "json"]);
    let took = t.elapsed();
    let table = run(&["--kubeconfig", kc, "contexts"]);
    let down = run(&["demo", "down"]);
    assert!(out.status.success(), "contexts: {}", String::from_utf8_lossy(&out.stderr));
    assert!(down.status.success());
    assert!(
        took < Duration::from_secs(8),
        "contexts took {took:?}: its deadline is connect timeout 3 s + 1 s, plus start-up"
    );

    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rows = v["contexts"].as_array().expect("contexts array");
    let row = |n: &str| rows.iter().find(|r| r["name"] == n).unwrap_or_else(|| panic!("context {n} in {v}"));
    assert_eq!(row("mgmt")["state"], "Ready");
    // What the provisioned binary says of itself (`Kubernetes v1.37.2`), whichever release the harness runs.
    let assets = fleetdeck::envtest::assets::find().expect("assets").expect("provisioned by demo up");
    let said = std::process::Command::new(assets.kube_apiserver())
        .arg("--version")
        .output()
        .expect("kube-apiserver --version");
    let said = String::from_utf8_lossy(&said.stdout).trim().trim_start_matches("Kubernetes ").to_string();
    assert!(said.starts_with("v1."), "kube-apiserver --version said {said:?}");
    assert_eq!(row("mgmt")["version"], said.as_str());
    // `contexts` watches only the kinds the summary reads: mgmt serves every catalogue kind, yet each kind
    // it knows of is one of those (served or missing), and the others (Machines, ...) were never asked for.
    let summary_kinds = fleetdeck::model::summary::kinds().iter().count() as u64;
    let known =
        |r: &serde_json::Value| r["kindsServed"].as_u64().unwrap_or(0) + r["kindsMissing"].as_u64().unwrap_or(0);
    // Plus what mgmt's Crossplane adds at run time: its XRDs' XR and claim kinds (3) and the MR kinds its
    // composites reference (5), not the 8 MR CRDs installed that nothing references.
    assert_eq!(known(row("mgmt")), summary_kinds + 8, "{}", row("mgmt"));
    assert!(summary_kinds < fleetdeck::model::kinds::KindSet::ALL.iter().count() as u64);
    assert!(row("mgmt")["capiClusters"]["total"].as_u64() >= Some(6), "{}", row("mgmt"));
    assert_eq!(row("broken-unreachable")["state"], "Unreachable");
    assert!(
        row("broken-unreachable")["reason"].as_str().is_some_and(|r| r.contains("refused")),
        "{}",
        row("broken-unreachable")
    );
    let restricted = row("mgmt-restricted");
    assert_eq!(restricted["state"], "Ready");
    let forbidden: Vec<&str> = restricted["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["state"] == "Forbidden")
        .filter_map(|p| p["kind"].as_str())
        .collect();
    assert!(forbidden.contains(&"clusters.cluster.x-k8s.io"), "{forbidden:?}");
    assert!(!forbidden.iter().any(|k| k.contains("fluxcd")), "Flux stays visible: {forbidden:?}");
    assert!(restricted["flux"]["total"].as_u64() > Some(0), "Flux objects shown to the restricted user");
    assert_eq!(row("dev-eu")["state"], "Ready");
    assert!(row("dev-eu")["nodes"]["total"].as_u64() > Some(0));

    let derived: Vec<&serde_json::Value> =
        rows.iter().filter(|r| r["name"].as_str().is_some_and(|n| n.starts_with("mgmt/"))).collect();
    let dev = derived.iter().find(|r| r["name"] == "mgmt/platform/dev-eu").expect("derived dev-eu");
    assert_eq!(dev["origin"]["type"], "derived");
    assert_eq!(dev["origin"]["aliasOf"], "dev-eu");
    assert_eq!(dev["state"], "Ready", "reachable through its kubeconfig Secret: {dev}");
    // mgmt's ClusterProfiles (issue 18): a context each, reached through the demo's access provider, whose
    // exec plugin (`fleetdeck demo credential`, configured in the kubeconfig's preferences) ran for real; an
    // alias of the kubeconfig context on the same server, so no second set of watches.
    for (name, location) in [("dev-eu", "eu-west-1"), ("prod-us", "us-east-1")] {
        let p = row(&format!("mgmt/fleet-system/{name}"));
        assert_eq!(p["origin"]["type"], "profile", "{p}");
        assert_eq!(p["origin"]["provider"], "fleetdeck-demo", "{p}");
        assert_eq!(p["origin"]["aliasOf"], name, "{p}");
        assert_eq!(p["state"], "Ready", "probed through the exec plugin: {p}");
        assert_eq!(p["nodes"]["total"], row(name)["nodes"]["total"], "the same cluster as context {name}: {p}");
        let said = p["profile"].as_str().unwrap_or_default();
        assert!(said.contains("ControlPlaneHealthy True (Healthy)") && said.contains(location), "{p}");
    }
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.starts_with("CONTEXT") && text.contains("broken-unreachable") && text.contains("Forbidden: "),
        "{text}"
    );
}

#[test]
fn a_malformed_kubeconfig_is_named_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken-kubeconfig.yaml");
    std::fs::write(&bad, "apiVersion: v1\nclusters:\n  - name: [unclosed\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
        .args(["--kubeconfig", bad.to_str().expect("path"), "contexts"])
        .env("FLEETDECK_HOME", dir.path())
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("broken-kubeconfig.yaml"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&bad).expect("read"),
        "apiVersion: v1\nclusters:\n  - name: [unclosed\n",
        "file untouched"
    );
}

/// Contexts with the same server and the same user share one connection and its objects; a context on the
/// same server with another user (here one RBAC forbids everything) keeps its own, with its own view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_contexts_share_a_connection_and_other_users_do_not() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").restricted_context("a").start().await?;
    env.install_crds("a").await?;
    let ks_api: Api<DynamicObject> = Api::namespaced_with(env.client("a").await?, "default", &ks_resource());
    ks_api.create(&PostParams::default(), &kustomization("shared")).await?;
    let contexts = [
        env.token_context("a", "a", env.admin_token())?,
        env.token_context("twin", "a", env.admin_token())?,
        env.token_context("other-user", "a", env.restricted_token())?,
    ];
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, fleetdeck::envtest::kubeconfig::render(&contexts, "a"))?;
    let obs = Observed::start(&path, fast()).await?;
    let ks = kind("kustomize.toolkit.fluxcd.io", "Kustomization");
    obs.until("a and twin settled, other-user Forbidden", Duration::from_secs(20), |s| {
        let rows = fleetdeck::model::summary::summarize_all(s, Timestamp::now());
        rows.iter().filter(|r| r.name != "other-user" && r.settled()).count() == 2
            && kind_state(s, "other-user", ks) == Some(KindState::Forbidden)
    })
    .await?;
    ks_api.create(&PostParams::default(), &kustomization("later")).await?;
    obs.until("the twin sees the new object", Duration::from_secs(10), |s| s.objects("twin", ks).count() == 2).await?;
    let s = obs.store.lock().expect("store");
    assert_eq!(s.shares_with("twin"), Some("a"));
    assert_eq!(s.shares_with("other-user"), None, "another user keeps its own connection");
    assert_eq!(s.len(), 2, "the shared objects are held once (the other user may list none)");
    assert_eq!(kind_state(&s, "other-user", ks), Some(KindState::Forbidden), "its own RBAC view");
    assert_eq!(kind_state(&s, "twin", ks), Some(KindState::Synced));
    let rows = fleetdeck::model::summary::summarize_all(&s, Timestamp::now());
    let twin = rows.iter().find(|r| r.name == "twin").expect("twin row");
    assert_eq!((twin.state, twin.flux.total, twin.shares_connection_of.as_deref()), (ConnState::Ready, 2, Some("a")));
    Ok(())
}

/// Issue 12: a derived workload context on a server a kubeconfig context already connects to is an alias of
/// it (one set of watches), and turns Unreachable with the connection it shares within one probe period, not
/// a 30 s alias probe later.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_turns_unreachable_within_one_probe_period_of_its_shared_connection() -> anyhow::Result<()> {
    use k8s_openapi::api::core::v1::{Namespace, Secret};
    let mut env = Envtest::builder().server("mgmt").server("dev").start().await?;
    env.install_crds("mgmt").await?;
    // CAPI's kubeconfig Secret of cluster platform/dev in mgmt: the envtest kubeconfig, current context dev.
    let kubeconfig = std::fs::read_to_string(env.kubeconfig_path())?;
    let mut kc: serde_json::Value = serde_saphyr::from_str(&kubeconfig)?;
    kc["current-context"] = json!("dev");
    let mgmt = env.client("mgmt").await?;
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "platform"}}))?;
    Api::<Namespace>::all(mgmt.clone()).create(&PostParams::default(), &ns).await?;
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "dev-kubeconfig", "namespace": "platform",
            "labels": {"cluster.x-k8s.io/cluster-name": "dev"}},
        "type": "cluster.x-k8s.io/secret",
        "stringData": {"value": serde_json::to_string(&kc)?}
    }))?;
    Api::<Secret>::namespaced(mgmt, "platform").create(&PostParams::default(), &secret).await?;

    let opts = fast();
    let obs = Observed::start(env.kubeconfig_path(), opts.clone()).await?;
    let alias = "mgmt/platform/dev";
    let row = |s: &FleetStore| {
        fleetdeck::model::summary::summarize_all(s, Timestamp::now()).into_iter().find(|r| r.name == alias)
    };
    obs.until("the derived context, Ready as an alias", Duration::from_secs(30), |s| {
        row(s).is_some_and(|r| r.state == ConnState::Ready)
            && matches!(s.context(alias).map(|c| &c.origin), Some(Origin::Derived { alias_of: Some(_), .. }))
    })
    .await?;
    let source = match s_origin(&obs, alias) {
        Some(Origin::Derived { alias_of: Some(a), .. }) => a,
        other => anyhow::bail!("{alias} is not an alias: {other:?}"),
    };
    assert_eq!(
        source, "dev",
        "an alias of the context on the dev server (the only one: dev has no restricted context)"
    );

    env.stop_server("dev")?;
    obs.until("the shared connection Unreachable", Duration::from_secs(10), |s| {
        s.context(&source).is_some_and(|c| c.state == ConnState::Unreachable)
    })
    .await?;
    obs.until("the alias Unreachable", opts.probe_every, |s| {
        row(s).is_some_and(|r| r.state == ConnState::Unreachable && r.reason.starts_with(&format!("via {source}: ")))
    })
    .await?;
    Ok(())
}

fn s_origin(obs: &Observed, context: &str) -> Option<Origin> {
    obs.store.lock().expect("store").context(context).map(|c| c.origin.clone())
}

/// This process's established TCP connections to `127.0.0.1:<port>` (its socket fds matched against
/// `/proc/net/tcp` and `tcp6` by inode).
fn connections_to(port: u16) -> usize {
    let inodes: std::collections::HashSet<String> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|l| l.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_string))
        .collect();
    let mut n = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table).unwrap_or_default().lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let remote_port = f.get(2).and_then(|r| r.rsplit(':').next()).and_then(|p| u16::from_str_radix(p, 16).ok());
            if remote_port == Some(port) && f.get(3) == Some(&"01") && f.get(9).is_some_and(|i| inodes.contains(*i)) {
                n += 1;
            }
        }
    }
    n
}

/// A context's probe, discovery, every kind's watch and its Warning Events watch travel as HTTP/2 streams of
/// one connection (kube's stock client would open one HTTP/1.1 connection per watch); a context with another
/// user on the same server has its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contexts_watches_share_one_http2_connection() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").restricted_context("a").start().await?;
    env.install_crds("a").await?;
    let port = env.servers().iter().find(|s| s.name == "a").expect("server a").port;
    let t = Instant::now();
    while connections_to(port) > 0 {
        anyhow::ensure!(t.elapsed() < Duration::from_secs(10), "the harness's own connections stayed open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let contexts = [
        env.token_context("a", "a", env.admin_token())?,
        env.token_context("other-user", "a", env.restricted_token())?,
    ];
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, fleetdeck::envtest::kubeconfig::render(&contexts, "a"))?;
    let obs = Observed::start(&path, FleetOptions { warning_events: true, ..fast() }).await?;
    let watching = |s: &FleetStore| {
        s.context("a").map_or(0, |c| c.kinds.values().filter(|k| k.state == Some(KindState::Synced)).count())
    };
    let ks = kind("kustomize.toolkit.fluxcd.io", "Kustomization");
    obs.until("a's kinds synced and its Events listed, other-user Forbidden", Duration::from_secs(20), |s| {
        let rows = fleetdeck::model::summary::summarize_all(s, Timestamp::now());
        watching(s) >= 10
            && rows.iter().any(|r| r.name == "a" && r.settled())
            && s.pulse().is_listed("a")
            && kind_state(s, "other-user", ks) == Some(KindState::Forbidden)
    })
    .await?;
    let synced = watching(&obs.store.lock().expect("store"));
    assert_eq!(connections_to(port), 2, "one connection per user for {synced} watches of a, plus its events");
    Ok(())
}
