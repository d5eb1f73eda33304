//! Health fidelity (issue 14): the real source-, kustomize- and helm-controller driven into their typical
//! failures, and fleetdeck's health, reason and message for each compared with what the real `flux get` (the
//! flux CLI oracle, `envtest::oracles::FLUX`) prints for the same live object, in the store the Fleet and
//! Flux views draw from, in `fleetdeck tree -o json` and in `fleetdeck contexts -o json`.
//!
//! With `FLEETDECK_RECORD_FIXTURES=1` the run also writes each object and `flux get`'s row to
//! `tests/fixtures/flux-real/<case>.json`, which the status model's unit tests read (`model::status::tests`).
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::flux_world::*;
use fleetdeck::envtest::oracles;
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object::StoredObject;
use fleetdeck::model::store::FleetStore;
use kube::api::{DynamicObject, PostParams};
use kube::core::ApiResource;
use serde_json::{Value, json};

/// One failure: the object (`flux-system/<name>`), how fleetdeck and `flux get` name its kind, and the
/// fixture it is recorded as.
struct Case {
    fixture: &'static str,
    kind: KindId,
    name: &'static str,
    /// `flux get` arguments before the name.
    flux_get: &'static [&'static str],
    /// `fleetdeck tree` kind, for the kinds that have a tree.
    tree: Option<&'static str>,
    ar: fn() -> ApiResource,
}

const CASES: &[Case] = &[
    Case {
        fixture: "kustomization-build-error",
        kind: KindId::KUSTOMIZATION,
        name: "build-error",
        flux_get: &["get", "kustomizations"],
        tree: Some("kustomization"),
        ar: kustomizations,
    },
    Case {
        fixture: "kustomization-missing-path",
        kind: KindId::KUSTOMIZATION,
        name: "missing-path",
        flux_get: &["get", "kustomizations"],
        tree: Some("kustomization"),
        ar: kustomizations,
    },
    Case {
        fixture: "kustomization-dependency-not-ready",
        kind: KindId::KUSTOMIZATION,
        name: "waits",
        flux_get: &["get", "kustomizations"],
        tree: Some("kustomization"),
        ar: kustomizations,
    },
    Case {
        fixture: "gitrepository-missing-branch",
        kind: KindId::GIT_REPOSITORY,
        name: "no-branch",
        flux_get: &["get", "sources", "git"],
        tree: None,
        ar: gitrepositories,
    },
    Case {
        fixture: "helmrepository-unreachable",
        kind: HELM_REPOSITORY,
        name: "unreachable",
        flux_get: &["get", "sources", "helm"],
        tree: None,
        ar: helmrepositories,
    },
    Case {
        fixture: "helmrelease-template-fails",
        kind: KindId::HELM_RELEASE,
        name: "broken",
        flux_get: &["get", "helmreleases"],
        tree: Some("helmrelease"),
        ar: helmreleases,
    },
];

/// `flux get`'s READY and MESSAGE of its one row. flux prints a tablewriter table whose cells are padded
/// with spaces and separated by a tab (`pkg/printers`); a message with line breaks continues on rows whose
/// other cells are empty.
fn flux_row(text: &str) -> (String, String) {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines.next().unwrap_or_default().split('\t').map(|c| c.trim().to_owned()).collect();
    let col = |name: &str| header.iter().position(|c| c == name).unwrap_or_else(|| panic!("no {name} in {text}"));
    let (ready, message) = (col("READY"), col("MESSAGE"));
    let mut rows = lines.map(|l| l.split('\t').map(|c| c.trim().to_owned()).collect::<Vec<_>>());
    let first = rows.next().unwrap_or_else(|| panic!("no row in {text}"));
    let mut msg = first.get(message).cloned().unwrap_or_default();
    for more in rows {
        msg.push('\n');
        msg.push_str(more.get(message).map_or("", String::as_str));
    }
    (first[ready].clone(), msg)
}

fn stored<'a>(store: &'a FleetStore, kind: KindId, name: &str) -> Option<&'a Arc<StoredObject>> {
    store.get("mgmt", kind, "flux-system", name)
}

/// Ready=False written for the object's current generation: the controller has judged it. The condition's
/// own `observedGeneration` says so: `status.observedGeneration` stays -1 until a first success.
fn failed_now(o: &DynamicObject) -> bool {
    let conditions = o.data["status"]["conditions"].as_array();
    let ready = conditions.into_iter().flatten().find(|c| c["type"] == "Ready");
    ready.is_some_and(|c| c["status"] == "False" && c["observedGeneration"].as_i64() == o.metadata.generation)
}

/// fleetdeck's state for `flux get`'s READY: True is Ready; False is Failed, except for the reasons Flux
/// uses for waiting (fluxcd/pkg `apis/meta`: DependencyNotReady, Progressing, ProgressingWithRetry), which
/// fleetdeck shows as Progressing: the object waits on another, whose own row is the failure.
fn state_for(ready: &str, reason: &str) -> &'static str {
    match ready {
        "True" => "Ready",
        "False" if ["DependencyNotReady", "Progressing", "ProgressingWithRetry"].contains(&reason) => "Progressing",
        "False" => "Failed",
        _ => "Progressing",
    }
}

fn record(dir: &Path, case: &Case, obj: &DynamicObject, argv: &[String], ready: &str, message: &str) {
    let mut value = serde_json::to_value(obj).expect("object serialises");
    value["metadata"].as_object_mut().expect("metadata").remove("managedFields");
    let fixture = json!({
        "recordedBy": "tests/flux_health.rs, FLEETDECK_RECORD_FIXTURES=1",
        "controllers": "source-controller v1.9.5, kustomize-controller v1.9.5, helm-controller v1.6.4",
        "fluxGet": {"command": format!("flux {}", argv.join(" ")), "ready": ready, "message": message},
        "object": value,
    });
    let path = dir.join(format!("{}.json", case.fixture));
    std::fs::write(&path, serde_json::to_string_pretty(&fixture).expect("json") + "\n").expect("fixture written");
    println!("recorded {}", path.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_read_as_flux_get_reads_them() -> anyhow::Result<()> {
    let flux = oracles::ensure(&oracles::FLUX, &mut |l| eprintln!("flux: {l}"))?;
    let w = World::start().await?;

    // The repository: a kustomization.yaml naming a file that is not there, and a folder that builds.
    let clone = w.clone.clone();
    tokio::task::spawn_blocking(move || {
        let broken = clone.join("health/build-error");
        std::fs::create_dir_all(&broken).expect("mkdir");
        std::fs::write(
            broken.join("kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - missing.yaml\n",
        )
        .expect("write");
        std::fs::create_dir_all(clone.join("health/ok")).expect("mkdir");
        std::fs::write(
            clone.join("health/ok/configmap.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: health-ok\n  namespace: default\n",
        )
        .expect("write");
        git(&clone, &["add", "-A"]);
        git(&clone, &["commit", "-q", "-m", "health cases"]);
        git(&clone, &["push", "-q", "origin", "main"]);
    })
    .await?;

    // A port nothing listens on, for the unreachable Helm repository.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    w.sync_objects_at("build-error", "health/build-error").await?;
    let ks = |name: &str, path: &str, extra: Value| {
        let mut spec = json!({"path": path, "prune": true, "wait": false, "interval": "1m",
                              "sourceRef": {"kind": "GitRepository", "name": "fleet"}});
        spec.as_object_mut().expect("spec").extend(extra.as_object().expect("extra").clone());
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
               "metadata": {"name": name, "namespace": "flux-system"}, "spec": spec})
    };
    let objects = [
        (kustomizations(), ks("missing-path", "./health/nope", json!({}))),
        (kustomizations(), ks("waits", "./health/ok", json!({"dependsOn": [{"name": "build-error"}]}))),
        (
            gitrepositories(),
            json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
                "metadata": {"name": "no-branch", "namespace": "flux-system"},
                "spec": {"url": w.server.url("fleet.git"), "ref": {"branch": "does-not-exist"}, "interval": "1m"},
            }),
        ),
        (
            helmrepositories(),
            json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                "metadata": {"name": "unreachable", "namespace": "flux-system"},
                "spec": {"url": format!("http://127.0.0.1:{closed}/charts"), "interval": "1m"},
            }),
        ),
        (
            helmrepositories(),
            json!({
                "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
                "metadata": {"name": "charts", "namespace": "flux-system"},
                "spec": {"url": w.server.url("charts"), "interval": "10m"},
            }),
        ),
        (
            helmreleases(),
            json!({
                "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
                "metadata": {"name": "broken", "namespace": "flux-system"},
                "spec": {"interval": "10m", "targetNamespace": "default", "install": {"disableWait": true},
                         "chart": {"spec": {"chart": "broken-template", "version": "0.1.0",
                                            "sourceRef": {"kind": "HelmRepository", "name": "charts"}}}},
            }),
        ),
    ];
    for (ar, obj) in objects {
        w.api("flux-system", &ar).await?.create(&PostParams::default(), &serde_json::from_value(obj)?).await?;
    }

    let (_fleet, mut rx, mut store) = watch(w.env.kubeconfig_path()).await?;
    let t = std::time::Instant::now();
    while !CASES.iter().all(|c| stored(&store, c.kind, c.name).is_some_and(|o| failed_now(o.obj()))) {
        if t.elapsed() > std::time::Duration::from_secs(90) {
            let states: Vec<String> = CASES
                .iter()
                .map(|c| {
                    let o = stored(&store, c.kind, c.name);
                    let status = o.map(|o| o.obj().data["status"].to_string());
                    format!("{}: {status:?}", c.name)
                })
                .collect();
            panic!("not every case failed within 90 s:\n{}", states.join("\n"));
        }
        if let Ok(Some(m)) = tokio::time::timeout(std::time::Duration::from_millis(100), rx.recv()).await {
            store.apply(m, k8s_openapi::jiff::Timestamp::now());
        }
    }
    println!("every case failed {:.1} s after the objects were created", t.elapsed().as_secs_f64());

    let record_dir = std::env::var_os("FLEETDECK_RECORD_FIXTURES")
        .map(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flux-real"));
    if let Some(dir) = &record_dir {
        std::fs::create_dir_all(dir)?;
    }
    let kubeconfig = w.env.kubeconfig_path().display().to_string();
    let mut mismatches = Vec::new();
    for case in CASES {
        let mut argv: Vec<String> = case.flux_get.iter().map(|s| s.to_string()).collect();
        argv.extend([case.name.into(), "-n".into(), "flux-system".into()]);
        let api = w.api("flux-system", &(case.ar)()).await?;
        // flux get and fleetdeck tree read the same resourceVersion: a controller that rewrites its message
        // on every retry (a build error names its temporary directory) makes the loop read again.
        let (t, mut tries) = (std::time::Instant::now(), 0);
        let (live, text, tree) = loop {
            tries += 1;
            let before = api.get(case.name).await?;
            let out =
                Command::new(&flux).args(&argv).args(["--context", "mgmt", "--kubeconfig", &kubeconfig]).output()?;
            assert!(out.status.success(), "flux {argv:?}: {}", String::from_utf8_lossy(&out.stderr));
            let tree: Option<Value> = match case.tree {
                Some(kind) => Some(serde_json::from_str(&w.fleetdeck(
                    0,
                    &["--context", "mgmt", "tree", kind, &format!("flux-system/{}", case.name), "-o", "json"],
                ))?),
                None => None,
            };
            let after = api.get(case.name).await?;
            if before.metadata.resource_version == after.metadata.resource_version {
                break (after, String::from_utf8_lossy(&out.stdout).into_owned(), tree);
            }
        };
        println!("{}: read in {:.1} s, {tries} tries", case.name, t.elapsed().as_secs_f64());
        let (ready, message) = flux_row(&text);
        assert_eq!(ready, "False", "{}: flux get says\n{text}", case.name);
        let (_, reason, _) = condition(&live, "Ready").expect("Ready");
        let theirs = (state_for(&ready, &reason).to_owned(), reason, message.clone());

        // The store, once it holds that version: what the Fleet and Flux views draw.
        let rv = live.metadata.resource_version.clone();
        until(&mut rx, &mut store, &format!("{} at resourceVersion {rv:?} in the store", case.name), 30, |s| {
            stored(s, case.kind, case.name).is_some_and(|o| o.obj().metadata.resource_version == rv)
        })
        .await;
        let h = &stored(&store, case.kind, case.name).expect("stored").health;
        let ours = (format!("{:?}", h.state), h.reason.clone(), h.message.clone());
        if ours != theirs {
            mismatches.push(format!("{} (store): fleetdeck {ours:?}, flux get {theirs:?}", case.name));
        }

        // The tree's root.
        if let Some(tree) = tree {
            let root = tree.get("root").unwrap_or(&tree);
            let s = |k: &str| root["health"][k].as_str().unwrap_or_default().to_owned();
            let t = (s("state"), s("reason"), s("message"));
            if t != theirs {
                mismatches.push(format!("{} (tree): fleetdeck {t:?}, flux get {theirs:?}", case.name));
            }
        }
        if let Some(dir) = &record_dir {
            record(dir, case, &live, &argv, &ready, &message);
        }
    }
    assert!(mismatches.is_empty(), "fleetdeck and flux get differ:\n{}", mismatches.join("\n"));

    // The Fleet view's counts: the five failures, the one waiting, and the three sources that are fine (the
    // fleet's GitRepository, the chart repository, and the HelmChart helm-controller made, which may still
    // be on its way to Ready: read again until it is, for at most 30 s).
    let t = std::time::Instant::now();
    loop {
        let contexts: Value = serde_json::from_str(&w.fleetdeck(0, &["contexts", "-o", "json"]))?;
        let list = contexts["contexts"].as_array().cloned().unwrap_or_default();
        let mgmt = list.iter().find(|c| c["name"] == "mgmt").expect("mgmt");
        let counts = &mgmt["flux"];
        let got = [&counts["total"], &counts["failing"], &counts["progressing"], &counts["ready"]].map(|v| v.as_i64());
        if got == [Some(9), Some(5), Some(1), Some(3)] {
            break;
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(30), "mgmt's Flux counts: {counts}");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }

    // The Flux view: each case's row with its state and the start of flux's message (the column is cut at
    // the pane's width); the details pane of the selected row (the worst, first) with the whole message.
    // helm-controller retries the install now and then (Ready Unknown while it runs), so a snapshot taken
    // during a retry is read again, for at most 30 s.
    let check = |snap: &str| -> Result<(), String> {
        for case in CASES {
            let entry = stored(&store, case.kind, case.name).expect("stored");
            let state = format!("{:?}", entry.health.state);
            let start: String = entry.health.message.chars().take(12).collect();
            let row = format!("flux-system   {:<15}{state}", case.name);
            if !snap.lines().any(|l| l.contains(&row) && l.contains(&start)) {
                return Err(format!("no row {row:?} … {start:?}"));
            }
        }
        let details: Vec<&str> =
            snap.lines().filter_map(|l| l.split_once("││").map(|(_, r)| r.trim_end_matches('│'))).collect();
        let details = details.join(" ").split_whitespace().collect::<Vec<_>>().join(" ");
        let broken = &stored(&store, KindId::HELM_RELEASE, "broken").expect("stored").health;
        let message = broken.message.split_whitespace().collect::<Vec<_>>().join(" ");
        if !details.starts_with("HelmRelease flux-system/broken in mgmt health: Failed (InstallFailed)") {
            return Err("the details pane is not the failed HelmRelease's".into());
        }
        if !details.contains(&message) {
            return Err("the details pane lacks the whole message".into());
        }
        Ok(())
    };
    let t = std::time::Instant::now();
    loop {
        let snap = w.fleetdeck(0, &["--context", "mgmt", "snapshot", "--view", "flux", "--width", "200", "--details"]);
        match check(&snap) {
            Ok(()) => break,
            Err(why) if t.elapsed() > std::time::Duration::from_secs(30) => panic!("{why}:\n{snap}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
        }
    }
    Ok(())
}
