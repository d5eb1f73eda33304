//! Bench: the drift diff of a 200-object Kustomization (issue 15, item 2; target: <= 3 s end to end, most
//! of it in the dry-run requests).
//!
//! One envtest API server holds 100 ConfigMaps, 50 Services and 50 Deployments in 5 namespaces, applied by
//! "kustomize-controller" (server-side apply); 10 ConfigMaps are then edited by hand and 5 deleted. A git
//! repository holds the 200 manifests as plain files (kustomize-controller's generated kustomization path),
//! and the Kustomization names that commit as its `lastAppliedRevision`. Each of 5 rounds runs what
//! `fleetdeck diff kustomization` runs (`ops::diff::run`: read the Kustomization, git read + kustomize build +
//! post-build, then GET + dry-run of every object, 16 at a time) on a fresh client, and prints the total,
//! the build and the judging (reads and dry-runs) times.
//!
//! Run: `cargo bench --bench drift` (builds the kustomize oracle first, once per machine).
use std::process::Command;
use std::time::Instant;

use fleetdeck::envtest::{Envtest, oracles};
use fleetdeck::fleet::FleetOptions;
use fleetdeck::ops::clients::Clients;
use fleetdeck::ops::diff::{DiffRequest, DiffSource, run};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const CONTEXT: &str = "a";

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn objects() -> Vec<Value> {
    let labels =
        json!({"kustomize.toolkit.fluxcd.io/name": "big", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"});
    let mut out = Vec::new();
    for n in 0..5 {
        let ns = format!("team-{n}");
        for i in 0..20 {
            out.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": format!("cfg-{i}"), "namespace": ns, "labels": labels},
                "data": {"a": "1", "b": format!("value-{i}")}}));
        }
        for i in 0..10 {
            let app = format!("app-{i}");
            out.push(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": app, "namespace": ns, "labels": labels},
                "spec": {"selector": {"app": app}, "ports": [{"name": "http", "port": 80}]}}));
            out.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": app, "namespace": ns, "labels": labels},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": app}},
                    "template": {"metadata": {"labels": {"app": app}},
                        "spec": {"containers": [{"name": "app", "image": "ghcr.io/stefanprodan/podinfo:6.7.1"}]}}}}));
        }
    }
    out
}

fn main() -> anyhow::Result<()> {
    let kustomize = oracles::ensure(&oracles::KUSTOMIZE, &mut |l| eprintln!("kustomize: {l}"))?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let env = Envtest::builder().server(CONTEXT).start().await?;
        env.install_crds(CONTEXT).await?;
        let client = env.client(CONTEXT).await?;
        let pp = PostParams::default();
        let objs = objects();
        for ns in (0..5).map(|n| format!("team-{n}")).chain(["flux-system".to_owned()]) {
            let o: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
            Api::<Namespace>::all(client.clone()).create(&pp, &o).await?;
        }
        let ssa = PatchParams::apply("kustomize-controller").force();
        let mut inventory = Vec::new();
        for o in &objs {
            let api_version = o["apiVersion"].as_str().unwrap_or_default();
            let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let kind = o["kind"].as_str().unwrap_or_default();
            let (ns, name) = (o["metadata"]["namespace"].as_str().unwrap_or_default(), o["metadata"]["name"].as_str().unwrap_or_default());
            let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, kind));
            Api::<DynamicObject>::namespaced_with(client.clone(), ns, &ar).patch(name, &ssa, &Patch::Apply(o)).await?;
            inventory.push(json!({"id": format!("{ns}_{name}_{g}_{kind}"), "v": v}));
        }
        let cms = Api::<ConfigMap>::namespaced(client.clone(), "team-0");
        for i in 0..10 {
            cms.patch(&format!("cfg-{i}"), &PatchParams::default(), &Patch::Merge(json!({"data": {"a": "edited"}}))).await?;
        }
        for i in 10..15 {
            cms.delete(&format!("cfg-{i}"), &Default::default()).await?;
        }

        let tmp = tempfile::tempdir()?;
        let repo = tmp.path().join("fleet");
        std::fs::create_dir_all(repo.join("apps"))?;
        git(&repo, &["init", "-q", "-b", "main"]);
        for o in &objs {
            let mut m = o.clone();
            m["metadata"].as_object_mut().unwrap().remove("labels");
            let file = format!("{}-{}-{}.yaml", o["metadata"]["namespace"].as_str().unwrap(), o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap());
            std::fs::write(repo.join("apps").join(file), serde_json::to_string(&m)?)?;
        }
        git(&repo, &["add", "-A"]);
        git(&repo, &["-c", "user.email=b@example.com", "-c", "user.name=b", "commit", "-q", "-m", "apps"]);
        let commit = git(&repo, &["rev-parse", "HEAD"]);

        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"));
        let ks_api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "flux-system", &ar);
        let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "big", "namespace": "flux-system"},
            "spec": {"interval": "10m", "path": "./apps", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "fleet"}}});
        ks_api.create(&pp, &serde_json::from_value(ks)?).await?;
        let status = json!({"status": {"lastAppliedRevision": format!("main@sha1:{commit}"), "inventory": {"entries": inventory}}});
        ks_api.patch_status("big", &PatchParams::default(), &Patch::Merge(status)).await?;

        let kubeconfig = std::sync::Arc::new(kube::config::Kubeconfig::read_from(env.kubeconfig_path())?);
        let req = DiffRequest {
            namespace: "flux-system".into(),
            name: "big".into(),
            source: DiffSource::Repo { path: repo.clone(), remote: "origin".into(), revision: None },
            kustomize: Some(kustomize.clone()),
        };
        println!("drift diff, 200 objects (100 ConfigMaps, 50 Services, 50 Deployments), API server on loopback:");
        for round in 1..=5 {
            let t = Instant::now();
            let clients = Clients::new(kubeconfig.clone(), FleetOptions::default());
            let report = run(&clients, CONTEXT, &req).await?;
            let total = t.elapsed();
            let c = report.counts;
            assert_eq!((c.unchanged, c.drifted, c.created), (185, 10, 5), "{}", c.summary());
            println!(
                "  round {round}: {:>5} ms end to end = build {:>4} ms (git read, kustomize, post-build) + judge {:>4} ms (200 GETs + 200 dry-runs, 16 at a time) + {:>3} ms client and Kustomization read",
                total.as_millis(),
                report.build_ms,
                report.judge_ms,
                total.as_millis().saturating_sub(u128::from(report.build_ms + report.judge_ms)),
            );
        }
        anyhow::Ok(())
    })
}
