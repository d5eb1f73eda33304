//! The demo fleet on real API servers: seeded objects (every field kept by the schemas), simulated controllers
//! reacting within 5 s, and the `demo up | status | down` lifecycle of the real binary.
use std::process::Command;
use std::time::{Duration, Instant};

use fleetdeck::demo::seed::{self, SeedInput};
use fleetdeck::demo::{DemoFleet, DemoOptions};
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::discovery::{Discovery, Scope};
use serde_json::{Value, json};

const REACT: Duration = Duration::from_secs(5);

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn kustomizations() -> ApiResource {
    ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations")
}

/// Polls `get` until `ok` holds, for at most [`REACT`]; returns the last object.
async fn within<F>(api: &Api<DynamicObject>, name: &str, what: &str, ok: F) -> anyhow::Result<DynamicObject>
where
    F: Fn(&DynamicObject) -> bool,
{
    let t = Instant::now();
    loop {
        let o = api.get(name).await?;
        if ok(&o) {
            return Ok(o);
        }
        if t.elapsed() > REACT {
            anyhow::bail!("{what}: not within {REACT:?}; status now {}", o.data["status"]);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn at<'a>(o: &'a DynamicObject, p: &str) -> &'a Value {
    o.data.pointer(p).unwrap_or(&Value::Null)
}

fn merge(v: Value) -> Patch<Value> {
    Patch::Merge(v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_fleet_and_simulated_controllers() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().to_path_buf(),
        scale: 0,
        controllers: true,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Simulated,
        credential_plugin: None,
    };
    let fleet = DemoFleet::start(&opts, &mut |_| {}).await?;
    let mgmt = fleet.env.client("mgmt").await?;
    let dev = fleet.env.client("dev-eu").await?;
    let pp = PatchParams::default();

    // Seed: the clusters of every typical state, with machines.
    let clusters: Api<DynamicObject> =
        Api::all_with(mgmt.clone(), &ar("cluster.x-k8s.io", "v1beta2", "Cluster", "clusters"));
    let all = clusters.list(&ListParams::default()).await?.items;
    let names: Vec<_> = all.iter().filter_map(|c| c.metadata.name.clone()).collect();
    for want in ["dev-eu", "prod-us", "staging-eks", "sandbox", "old-test"] {
        assert!(names.iter().any(|n| n == want), "cluster {want} seeded: {names:?}");
    }
    let old = all.iter().find(|c| c.metadata.name.as_deref() == Some("old-test")).expect("old-test");
    assert!(old.metadata.deletion_timestamp.is_some(), "old-test is deleting");

    // requestedAt -> lastHandledReconcileAt, on a workload cluster's Kustomization.
    let ks: Api<DynamicObject> = Api::namespaced_with(dev.clone(), "flux-system", &kustomizations());
    let token = format!("test-{}", std::process::id());
    ks.patch(
        "flux-system",
        &pp,
        &merge(json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": token}}})),
    )
    .await?;
    within(&ks, "flux-system", "requestedAt handled", |o| at(o, "/status/lastHandledReconcileAt") == token.as_str())
        .await?;

    // suspend: a request is not handled while suspended; resume catches up.
    let suspended = ks
        .patch(
            "flux-system",
            &pp,
            &merge(json!({"spec": {"suspend": true},
        "metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "while-suspended"}}})),
        )
        .await?;
    // The controller takes the cluster's Kustomization events one at a time, in the watch's order: once a
    // request made after the suspend (on another Kustomization) is handled, the suspended one was seen.
    let later = format!("after-suspend-{}", std::process::id());
    ks.patch(
        "infrastructure",
        &pp,
        &merge(json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": later}}})),
    )
    .await?;
    within(&ks, "infrastructure", "a later request handled", |o| {
        at(o, "/status/lastHandledReconcileAt") == later.as_str()
    })
    .await?;
    let o = ks.get("flux-system").await?;
    assert_ne!(at(&o, "/status/lastHandledReconcileAt"), "while-suspended", "suspended objects are not reconciled");
    // Nothing of it moved at all (its status neither), as with the real controller.
    assert_eq!(o.metadata.resource_version, suspended.metadata.resource_version, "a suspended object is left alone");
    let resumed = ks.patch("flux-system", &pp, &merge(json!({"spec": {"suspend": null}}))).await?;
    let generation = resumed.metadata.generation.expect("generation");
    within(&ks, "flux-system", "resume reconciles", |o| {
        at(o, "/status/lastHandledReconcileAt") == "while-suspended"
            && at(o, "/status/observedGeneration") == generation
    })
    .await?;

    // approvePlan on the Terraform with a pending plan -> applied, outputs written.
    let tf_ar = ar("infra.contrib.fluxcd.io", "v1alpha2", "Terraform", "terraforms");
    let tfs: Api<DynamicObject> = Api::all_with(mgmt.clone(), &tf_ar);
    let pending = tfs
        .list(&ListParams::default())
        .await?
        .items
        .into_iter()
        .find(|t| at(t, "/status/plan/pending").as_str().is_some_and(|p| p.starts_with("plan-")))
        .expect("a Terraform with a pending plan");
    let plan = at(&pending, "/status/plan/pending").as_str().unwrap_or_default().to_string();
    let ready_msg = pending.data["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
        .and_then(|c| c["message"].as_str())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ready_msg, format!("Plan generated: set approvePlan: \"{plan}\" to approve this plan."));
    let ns = pending.metadata.namespace.clone().expect("ns");
    let name = pending.metadata.name.clone().expect("name");
    let tf_api: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), &ns, &tf_ar);
    tf_api.patch(&name, &pp, &merge(json!({"spec": {"approvePlan": plan}}))).await?;
    within(&tf_api, &name, "plan applied", |o| {
        at(o, "/status/plan/pending") == "" && at(o, "/status/plan/lastApplied") == plan.as_str()
    })
    .await?;

    // replicas: scaling dev-eu's MachineDeployment creates Machines with the right labels and owners.
    let md_ar = ar("cluster.x-k8s.io", "v1beta2", "MachineDeployment", "machinedeployments");
    let mds: Api<DynamicObject> = Api::all_with(mgmt.clone(), &md_ar);
    let md = mds
        .list(&ListParams::default().labels("cluster.x-k8s.io/cluster-name=dev-eu"))
        .await?
        .items
        .into_iter()
        .next()
        .expect("dev-eu has a MachineDeployment");
    let (md_ns, md_name) = (md.metadata.namespace.clone().expect("ns"), md.metadata.name.clone().expect("name"));
    let replicas = at(&md, "/spec/replicas").as_i64().expect("replicas");
    let md_api: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), &md_ns, &md_ar);
    md_api.patch(&md_name, &pp, &merge(json!({"spec": {"replicas": replicas + 2}}))).await?;
    let machines: Api<DynamicObject> =
        Api::namespaced_with(mgmt.clone(), &md_ns, &ar("cluster.x-k8s.io", "v1beta2", "Machine", "machines"));
    let sel = ListParams::default().labels(&format!("cluster.x-k8s.io/deployment-name={md_name}"));
    let t = Instant::now();
    loop {
        let ms = machines.list(&sel).await?.items;
        if ms.len() as i64 == replicas + 2 {
            for m in &ms {
                let owner = m.metadata.owner_references.as_ref().and_then(|o| o.first()).expect("owner");
                assert_eq!(owner.kind, "MachineSet");
                assert!(!owner.uid.is_empty());
                assert_eq!(
                    m.metadata.labels.as_ref().and_then(|l| l.get("cluster.x-k8s.io/cluster-name")).map(String::as_str),
                    Some("dev-eu")
                );
            }
            break;
        }
        assert!(t.elapsed() < REACT, "scale up to {}: {} Machines after {REACT:?}", replicas + 2, ms.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    within(&md_api, &md_name, "MachineDeployment counters", |o| at(o, "/status/replicas") == replicas + 2).await?;
    md_api.patch(&md_name, &pp, &merge(json!({"spec": {"replicas": replicas}}))).await?;
    let t = Instant::now();
    while machines.list(&sel).await?.items.len() as i64 != replicas {
        assert!(t.elapsed() < REACT, "scale back down within {REACT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // spec.paused -> the Paused condition.
    let capi_clusters: Api<DynamicObject> =
        Api::namespaced_with(mgmt.clone(), &md_ns, &ar("cluster.x-k8s.io", "v1beta2", "Cluster", "clusters"));
    capi_clusters.patch("dev-eu", &pp, &merge(json!({"spec": {"paused": true}}))).await?;
    let paused = |o: &DynamicObject, want: &str| {
        o.data["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["type"] == "Paused" && c["status"] == want))
    };
    within(&capi_clusters, "dev-eu", "Paused=True", |o| paused(o, "True")).await?;
    capi_clusters.patch("dev-eu", &pp, &merge(json!({"spec": {"paused": null}}))).await?;
    within(&capi_clusters, "dev-eu", "Paused=False", |o| paused(o, "False")).await?;
    Ok(())
}

/// JSON pointers of every leaf (and empty object or list) under `v`, with `at` as their prefix.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            m.iter().for_each(|(k, c)| leaves(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out))
        }
        Value::Array(a) if !a.is_empty() => a.iter().enumerate().for_each(|(i, c)| leaves(c, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

/// The API servers keep every field the seed writes into a custom resource: no upstream CRD schema (Cluster
/// API, CAPA, Flux) nor fleetdeck's own prunes one. A pruned field is lost silently: the demo would show less
/// than its seed says, and a seed written in another shape than the schema's (v1beta1 fields under
/// v1beta2) would go unnoticed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_servers_keep_every_seeded_field() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().to_path_buf(),
        scale: 0,
        controllers: false,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Simulated,
        credential_plugin: None,
    };
    let fleet = DemoFleet::start(&opts, &mut |_| {}).await?;
    // The same objects as the fleet's seed, but for timestamps (and the kubeconfig Secrets, not custom resources).
    let input = SeedInput {
        now: k8s_openapi::jiff::Timestamp::now(),
        workload_kubeconfigs: ["dev-eu", "prod-us"].map(|c| (c.to_string(), String::new())).into_iter().collect(),
    };
    let mut lost = Vec::new();
    let mut checked = 0;
    for (context, objects) in seed::demo_fleet(&input).contexts {
        let client = fleet.env.client(&context).await?;
        let discovery = Discovery::new(client.clone()).run().await?;
        for o in objects {
            let api_version = o["apiVersion"].as_str().unwrap_or_default();
            let Some((group, version)) = api_version.split_once('/').filter(|(g, _)| g.contains('.')) else {
                continue;
            };
            let kind = o["kind"].as_str().unwrap_or_default();
            let (ar, caps) = discovery
                .resolve_gvk(&GroupVersionKind::gvk(group, version, kind))
                .ok_or_else(|| anyhow::anyhow!("{context}: {api_version} {kind} is not served"))?;
            let name = o["metadata"]["name"].as_str().unwrap_or_default();
            let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
            let api: Api<DynamicObject> = match caps.scope {
                Scope::Namespaced => Api::namespaced_with(client.clone(), ns, &ar),
                Scope::Cluster => Api::all_with(client.clone(), &ar),
            };
            let served = serde_json::to_value(api.get(name).await?)?;
            let mut paths = Vec::new();
            for part in ["spec", "status"] {
                if let Some(v) = o.get(part) {
                    leaves(v, format!("/{part}"), &mut paths);
                }
            }
            lost.extend(
                paths
                    .into_iter()
                    .filter(|p| served.pointer(p).is_none())
                    .map(|p| format!("{context} {kind} {ns}/{name}: {p}")),
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} custom resources checked");
    assert!(lost.is_empty(), "fields the API servers pruned:\n{}", lost.join("\n"));
    Ok(())
}

fn port_open(url: &str) -> bool {
    let port = url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()).expect("port in url");
    std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
}

#[test]
fn demo_up_status_down_with_the_real_binary() {
    let home = tempfile::tempdir().expect("tempdir");
    let bin = env!("CARGO_BIN_EXE_fleetdeck");
    let run = |args: &[&str]| {
        let out = Command::new(bin).args(args).env("FLEETDECK_HOME", home.path()).output().expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["demo", "up"]);
    assert_eq!(code, Some(0), "demo up: {err}");
    let kubeconfig = out
        .lines()
        .find_map(|l| l.strip_prefix("export KUBECONFIG="))
        .expect("demo up prints export KUBECONFIG=")
        .to_string();
    assert!(std::path::Path::new(&kubeconfig).is_file());

    // kubectl sees the seeded clusters with their phases, and the workload Flux objects.
    let kubectl = |args: &[&str]| {
        let out = Command::new("kubectl").args(args).env("KUBECONFIG", &kubeconfig).output().expect("kubectl runs");
        assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let clusters = kubectl(&["--context", "mgmt", "get", "clusters.cluster.x-k8s.io", "-A"]);
    assert!(
        clusters.contains("prod-us") && clusters.contains("Provisioned") && clusters.contains("Provisioning"),
        "{clusters}"
    );
    let ks = kubectl(&["--context", "dev-eu", "get", "kustomizations.kustomize.toolkit.fluxcd.io", "-A"]);
    assert!(ks.contains("flux-system"), "{ks}");

    // A second up reuses the running fleet.
    let (code, out2, _) = run(&["demo", "up"]);
    assert_eq!(code, Some(0));
    assert!(out2.contains(&format!("export KUBECONFIG={kubeconfig}")));

    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(home.path().join("state/demo/state.json")).expect("state file"))
            .expect("state json");
    let (code, status, _) = run(&["demo", "status"]);
    assert_eq!(code, Some(0));
    assert!(status.contains("ready"), "{status}");

    let (code, _, err) = run(&["demo", "down"]);
    assert_eq!(code, Some(0), "demo down: {err}");
    let pids: Vec<u64> = state["child_pids"].as_array().expect("pids").iter().filter_map(Value::as_u64).collect();
    assert_eq!(pids.len(), 4);
    for pid in pids.iter().chain(state["pid"].as_u64().iter()) {
        assert!(!fleetdeck::demo::state::pid_alive(*pid as u32), "process {pid} left behind");
    }
    for (_, url) in state["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .filter_map(|s| s.as_array().map(|a| (a[0].clone(), a[1].as_str().unwrap_or("").to_string())))
    {
        assert!(!port_open(&url), "{url} still open");
    }
    assert!(!home.path().join("state/demo").exists());
    let (code, _, _) = run(&["demo", "status"]);
    assert_eq!(code, Some(1), "status says nothing runs");
}

/// `--flux real`: the real controllers build mgmt's Flux objects from the fleet repository on the loopback
/// server (only the bootstrap pair was seeded), reconcile the remote Kustomization into dev-eu, and install
/// the HelmRelease from the loopback chart repository; dev-eu and prod-us run their own; stopping the demo
/// leaves no controller running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_flux_reconciles_the_management_cluster_from_loopback() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().to_path_buf(),
        scale: 0,
        controllers: true,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Real,
        credential_plugin: None,
    };
    let t = std::time::Instant::now();
    let mut fleet = DemoFleet::start(&opts, &mut |_| {}).await?;
    println!("demo --flux real up in {:.1} s", t.elapsed().as_secs_f64());
    let real = fleet.real_flux().expect("real Flux runs");
    let flux_pids = real.pids();
    assert_eq!(flux_pids.len(), 9, "three controllers in each of mgmt, dev-eu and prod-us");
    let origin = fleetdeck::demo::repo::origin_url(&fleet.repository)?;
    assert_eq!(origin, real.server.url("fleet.git"), "the wizards push to the loopback server");
    let mgmt = fleet.env.client("mgmt").await?;
    let ready = |o: &DynamicObject| {
        at(o, "/status/conditions")
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    };
    let wanted = [
        ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations", "flux-system", "infrastructure"),
        ("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations", "platform", "dev-eu-addons"),
        ("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", "ingress-nginx", "ingress-nginx"),
    ];
    for (group, version, kind, plural, ns, name) in wanted {
        let api: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), ns, &ar(group, version, kind, plural));
        let t = std::time::Instant::now();
        loop {
            // Made by the real kustomize-controller from git: the seed left only flux-system/flux-system.
            if let Some(o) = api.get_opt(name).await?
                && ready(&o)
            {
                let managers: Vec<String> =
                    o.metadata.managed_fields.iter().flatten().filter_map(|f| f.manager.clone()).collect();
                assert!(managers.iter().any(|m| m == "kustomize-controller"), "{kind} {ns}/{name}: {managers:?}");
                break;
            }
            if t.elapsed() > std::time::Duration::from_secs(150) {
                let status = api.get_opt(name).await?.map(|o| o.data["status"].clone());
                panic!("{kind} {ns}/{name} not Ready within 150 s: {status:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
    // The remote Kustomization reconciled into dev-eu: its real inventory lists what it applied there
    // (unchanged objects keep their owners: kustomize-controller skips what its dry-run finds equal).
    let addons: Api<DynamicObject> = Api::namespaced_with(
        mgmt.clone(),
        "platform",
        &ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"),
    );
    let ids: Vec<String> = at(&addons.get("dev-eu-addons").await?, "/status/inventory/entries")
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str().map(str::to_owned))
        .collect();
    assert!(ids.iter().any(|i| i == "_monitoring__Namespace"), "{ids:?}");

    // dev-eu and prod-us run their own real Flux, bootstrapped with their flux-system pair alone: their
    // Kustomizations come from git, and prod-us's newest revision fails to build, as in the simulation.
    let ks = ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations");
    let cases =
        [("dev-eu", "apps", "True", "ReconciliationSucceeded"), ("prod-us", "infrastructure", "False", "BuildFailed")];
    for (context, name, status, reason) in cases {
        let api: Api<DynamicObject> = Api::namespaced_with(fleet.env.client(context).await?, "flux-system", &ks);
        let t = std::time::Instant::now();
        loop {
            let o = api.get_opt(name).await?;
            let ready = o
                .as_ref()
                .and_then(|o| at(o, "/status/conditions").as_array()?.iter().find(|c| c["type"] == "Ready").cloned());
            if let (Some(o), Some(c)) = (&o, &ready)
                && c["status"] == status
                && c["reason"] == reason
            {
                let managers: Vec<String> =
                    o.metadata.managed_fields.iter().flatten().filter_map(|f| f.manager.clone()).collect();
                assert!(managers.iter().any(|m| m == "kustomize-controller"), "{context} {name}: {managers:?}");
                break;
            }
            assert!(t.elapsed() < std::time::Duration::from_secs(150), "{context} {name}: {ready:?}");
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }

    fleet.stop();
    for pid in flux_pids {
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid as i32, 0) } == 0;
        assert!(!alive, "controller {pid} still runs after stop");
    }
    Ok(())
}
