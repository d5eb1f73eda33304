//! The real Flux controllers (source-controller v1.9.5, kustomize-controller v1.9.5, helm-controller v1.6.4,
//! built from the Go module proxy by `fleetdeck::envtest::flux_controllers`) run as processes against a real
//! API server with Flux's upstream CRDs (`fleetdeck::envtest::flux_run`), and the statuses they write for
//! objects that cannot become ready: a GitRepository on a closed port, a Kustomization whose GitRepository does
//! not exist, a HelmRelease whose HelmRepository does not exist. One API server for the whole binary (one
//! test), one namespace per case.
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fleetdeck::envtest::flux_run::{FluxControllers, FluxOptions};
use fleetdeck::envtest::{Envtest, crds_to_install, flux_controllers, kubeconfig, pki, upstream_crds};
use k8s_openapi::api::core::v1::{Event, Namespace};
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

fn binaries() -> [PathBuf; 3] {
    flux_controllers::ensure_all(&mut |line| eprintln!("{line}")).unwrap_or_else(|e| panic!("{e:#}"))
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Waits (60 s at most) until the object's `Ready` condition is `False` with `reason` and `message` for its
/// current generation, printing each `Ready` it passes through; returns its `status`. Fails naming `what` and
/// showing the last status.
async fn settles(api: &Api<DynamicObject>, name: &str, what: &str, (reason, message): (&str, &str)) -> Value {
    let timeout = Duration::from_secs(60);
    let t = Instant::now();
    let mut last = Value::Null;
    let mut seen = String::new();
    loop {
        if let Ok(o) = api.get(name).await {
            let obj = serde_json::to_value(&o).expect("json");
            let status = obj.get("status").cloned().unwrap_or(Value::Null);
            let ready = status["conditions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready"))
                .cloned()
                .unwrap_or(Value::Null);
            let step = format!("Ready={} {} {}", ready["status"], ready["reason"], ready["message"]);
            if step != seen {
                println!("{what} after {:?}: {step}", t.elapsed());
                seen = step;
            }
            if ready["status"] == "False"
                && ready["reason"] == reason
                && ready["message"] == message
                && ready["observedGeneration"] == obj["metadata"]["generation"]
            {
                return status;
            }
            last = status;
        }
        assert!(
            t.elapsed() < timeout,
            "{what}: no Ready=False {reason} {message:?} within {timeout:?}; last status:\n{last:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn namespace(client: &kube::Client, name: &str) -> anyhow::Result<()> {
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}}))?;
    Api::<Namespace>::all(client.clone()).create(&PostParams::default(), &ns).await?;
    Ok(())
}

async fn create(client: &kube::Client, ar: &ApiResource, ns: &str, obj: Value) -> anyhow::Result<()> {
    let o: DynamicObject = serde_json::from_value(obj)?;
    Api::<DynamicObject>::namespaced_with(client.clone(), ns, ar).create(&PostParams::default(), &o).await?;
    Ok(())
}

fn alive(pid: u32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as libc::pid_t, 0) == 0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_controllers_write_their_statuses_and_die_with_their_owner() -> anyhow::Result<()> {
    let bins = tokio::task::spawn_blocking(binaries).await?;
    let env = Envtest::builder().server("flux").start().await?;
    env.install_crds("flux").await?;
    assert!(crds_to_install()?.1, "the upstream Flux CRDs are required: {:?}", upstream_crds::why_not());
    let client = env.client("flux").await?;
    for ns in ["git", "ks", "hr"] {
        namespace(&client, ns).await?;
    }

    let dir = tempfile::tempdir()?;
    let mut opts = FluxOptions::new(env.kubeconfig_path(), dir.path(), bins);
    opts.context = Some("flux".into());
    let t = Instant::now();
    let controllers = tokio::task::spawn_blocking(move || FluxControllers::start(&opts)).await??;
    println!("flux controllers: start to ready (all three /readyz, artifact server up) in {:?}", t.elapsed());
    let logs = controllers.logs();
    assert_eq!(logs.iter().map(|(n, _)| *n).collect::<Vec<_>>(), flux_controllers::ALL.map(|o| o.name));

    let git = resource("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories");
    let ks = resource("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations");
    let hr = resource("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases");
    let chart = resource("source.toolkit.fluxcd.io", "v1", "HelmChart", "helmcharts");

    // A GitRepository on a closed loopback port: source-controller's clone fails.
    create(
        &client,
        &git,
        "git",
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
               "metadata": {"name": "closed", "namespace": "git"},
               "spec": {"url": "http://127.0.0.1:1/x.git", "interval": "1m", "ref": {"branch": "main"}}}),
    )
    .await?;
    // A Kustomization whose GitRepository does not exist.
    create(
        &client,
        &ks,
        "ks",
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
               "metadata": {"name": "orphan", "namespace": "ks"},
               "spec": {"interval": "1m", "prune": true, "path": "./",
                        "sourceRef": {"kind": "GitRepository", "name": "missing"}}}),
    )
    .await?;
    // A HelmRelease whose chart comes from a HelmRepository that does not exist.
    create(
        &client,
        &hr,
        "hr",
        json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
               "metadata": {"name": "orphan", "namespace": "hr"},
               "spec": {"interval": "1m",
                        "chart": {"spec": {"chart": "podinfo", "version": "6.x",
                                           "sourceRef": {"kind": "HelmRepository", "name": "missing"}}}}}),
    )
    .await?;

    let api = |ar: &ApiResource, ns: &str| Api::<DynamicObject>::namespaced_with(client.clone(), ns, ar);
    let condition = |status: &Value, kind: &str| {
        let cs = status["conditions"].as_array().cloned().unwrap_or_default();
        cs.into_iter()
            .find(|c| c["type"] == kind)
            .map(|c| (c["status"].clone(), c["reason"].clone(), c["message"].clone()))
    };
    // Every status below leaves `status.observedGeneration` at the CRDs' default of -1: Flux sets it only on
    // success or when stalled (fluxcd/pkg/runtime `reconcile.AddPatchOptions`); the conditions carry 1.

    let clone_failed = "failed to checkout and determine revision: unable to clone 'http://127.0.0.1:1/x.git': \
                        Get \"http://127.0.0.1:1/x.git/info/refs?service=git-upload-pack\": dial tcp 127.0.0.1:1: \
                        connect: connection refused";
    let status =
        settles(&api(&git, "git"), "closed", "GitRepository git/closed", ("GitOperationFailed", clone_failed)).await;
    assert_eq!(status["observedGeneration"], -1, "{status:#}");
    assert_eq!(
        condition(&status, "FetchFailed"),
        Some((json!("True"), json!("GitOperationFailed"), json!(clone_failed))),
        "{status:#}"
    );
    assert_eq!(
        condition(&status, "Reconciling"),
        Some((json!("True"), json!("ProgressingWithRetry"), json!("building artifact"))),
        "{status:#}"
    );
    assert!(status.get("artifact").is_none(), "{status:#}");
    // Its Warning Event, in the object's namespace (nothing but the admin kubeconfig was needed for it).
    let events = Api::<Event>::namespaced(client.clone(), "git").list(&Default::default()).await?;
    let ev = events.items.iter().find(|e| e.involved_object.name.as_deref() == Some("closed"));
    let ev = serde_json::to_value(ev.expect("an Event about git/closed"))?;
    println!("Event: {ev}");
    assert_eq!(
        (&ev["type"], &ev["reason"], &ev["message"]),
        (&json!("Warning"), &json!("GitOperationFailed"), &json!(clone_failed))
    );
    assert_eq!(
        (&ev["source"]["component"], &ev["reportingComponent"]),
        (&json!("source-controller"), &json!("source-controller"))
    );
    let managers = |v: &Value| -> Vec<String> {
        let fields = v["metadata"]["managedFields"].as_array().cloned().unwrap_or_default();
        fields.iter().map(|f| f["manager"].as_str().unwrap_or_default().to_string()).collect()
    };
    assert_eq!(managers(&ev), ["source-controller"], "named as in a cluster, not after the cached binary: {ev}");
    let obj = serde_json::to_value(api(&git, "git").get("closed").await?)?;
    assert!(managers(&obj).contains(&"source-controller".to_string()), "{:?}", managers(&obj));

    let no_source = "GitRepository.source.toolkit.fluxcd.io \"missing\" not found";
    let status = settles(&api(&ks, "ks"), "orphan", "Kustomization ks/orphan", ("ArtifactFailed", no_source)).await;
    assert_eq!(status["observedGeneration"], -1, "{status:#}");
    assert_eq!(status["conditions"].as_array().map(Vec::len), Some(1), "only Ready: {status:#}");

    // helm-controller makes the HelmChart `<namespace>-<name>` in the HelmRepository's namespace; source-controller
    // fails it; helm-controller first says the chart is not reconciled yet, then (on its next look, after
    // --requeue-dependency) repeats the chart's own message.
    let no_repo = "failed to get source: HelmRepository.source.toolkit.fluxcd.io \"missing\" not found";
    let status =
        settles(&api(&chart, "hr"), "hr-orphan", "HelmChart hr/hr-orphan", ("SourceUnavailable", no_repo)).await;
    assert_eq!(status["observedGeneration"], -1, "{status:#}");
    assert_eq!(
        condition(&status, "FetchFailed"),
        Some((json!("True"), json!("SourceUnavailable"), json!(no_repo))),
        "{status:#}"
    );
    let made = serde_json::to_value(api(&chart, "hr").get("hr-orphan").await?)?;
    let made_by = managers(&made);
    assert!(
        made_by.contains(&"helm-controller".to_string()) && made_by.contains(&"source-controller".to_string()),
        "{made_by:?}"
    );
    let not_ready = format!("HelmChart 'hr/hr-orphan' is not ready: {no_repo}");
    let status = settles(&api(&hr, "hr"), "orphan", "HelmRelease hr/orphan", ("SourceNotReady", &not_ready)).await;
    assert_eq!(status["observedGeneration"], -1, "{status:#}");
    assert_eq!(status["helmChart"], "hr/hr-orphan", "{status:#}");
    assert_eq!(
        condition(&status, "Reconciling"),
        Some((json!("True"), json!("Progressing"), json!("Fulfilling prerequisites"))),
        "{status:#}"
    );

    let pids = controllers.pids();
    assert_eq!(pids.len(), 3);
    assert!(pids.iter().all(|p| alive(*p)), "{pids:?}");
    drop(controllers);
    let still: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(still.is_empty(), "still running after drop: {still:?}");
    Ok(())
}

/// A controller that exits before it is ready (here: its API server is a closed port, so its manager cannot
/// start) is one line naming it and its log.
#[test]
fn a_controller_without_its_api_server_fails_in_one_line() {
    let bins = binaries();
    let dir = tempfile::tempdir().expect("tempdir");
    let kc = dir.path().join("kubeconfig");
    let ctx = kubeconfig::TokenContext {
        name: "closed".into(),
        server: "https://127.0.0.1:1".into(),
        ca_pem: pki::Pki::generate().expect("a CA").ca_pem,
        token: "t".into(),
    };
    std::fs::write(&kc, kubeconfig::render(&[ctx], "closed")).expect("write");
    let opts = FluxOptions::new(&kc, &dir.path().join("run"), bins);
    let err = format!("{:#}", FluxControllers::start(&opts).expect_err("no API server"));
    let first = err.lines().next().unwrap_or_default();
    assert!(!err.contains('\n'), "one line: {err}");
    let named = flux_controllers::ALL.iter().find(|o| first.starts_with(&format!("{} exited (", o.name)));
    let o = named.unwrap_or_else(|| panic!("names a controller: {err}"));
    let log = dir.path().join("run").join(format!("{}.log", o.name));
    assert!(err.contains(&format!("before it was ready (log: {}): ", log.display())), "{err}");
    assert!(err.contains("connection refused"), "{err}");
}
