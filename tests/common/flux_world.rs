//! The real GitOps loop's world for the tests of issue 14 (`tests/flux_real.rs`, `tests/flux_health.rs`): an
//! API server `mgmt` (and workload servers) with the upstream CRDs, the real Flux controllers on it, the
//! demo's loopback git and chart server holding the fleet repository, a user's clone, and helpers to watch it
//! with fleetdeck's own fleet and store.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use fleetdeck::demo::charts;
use fleetdeck::demo::git_server::{GitServer, Served};
use fleetdeck::envtest::Envtest;
use fleetdeck::envtest::flux_controllers;
use fleetdeck::envtest::flux_run::{FluxControllers, FluxOptions};
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::store::{FleetStore, StoreMsg};
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

pub fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// An API server `mgmt` with the upstream CRDs, the real Flux controllers on it, the loopback git and chart
/// server with the fleet repository, a user's clone of it, and a fleetdeck home. Dropped: every process
/// stops.
pub struct World {
    pub dir: tempfile::TempDir,
    pub env: Envtest,
    pub flux: FluxControllers,
    pub server: GitServer,
    pub clone: PathBuf,
    pub home: PathBuf,
}

/// The fleet repository's first commit: a folder for the management cluster's cluster manifests (the
/// create wizard's default `--capi-path`), holding only a README (kustomize-controller generates the
/// kustomization of a folder without one).
pub const CAPI_PATH: &str = "clusters/management/clusters";
/// The folder of the `default` namespace's clusters, where the profile wizard writes
/// `<cluster>/profiles.yaml`.
pub const PROFILES_PATH: &str = "clusters/default";

impl World {
    pub async fn start() -> anyhow::Result<World> {
        World::start_with(&[]).await
    }

    /// With more API servers (`workloads`), each reachable from `mgmt` through a Secret
    /// `default/<name>-kubeconfig` (key `value`), as Cluster API writes it.
    pub async fn start_with(workloads: &[&str]) -> anyhow::Result<World> {
        let dir = tempfile::tempdir()?;
        let mut builder = Envtest::builder().root_dir(&dir.path().join("env")).server("mgmt");
        for w in workloads {
            builder = builder.server(w);
        }
        let env = builder.start().await?;
        env.install_crds("mgmt").await?;
        let git_root = dir.path().join("git");
        std::fs::create_dir_all(git_root.join("fleet.git"))?;
        git(&git_root.join("fleet.git"), &["init", "-q", "--bare", "-b", "main"]);
        let chart_dir = dir.path().join("charts");
        charts::write_repository(&chart_dir, charts::CHARTS)?;
        let served = Served { git_root, charts: Some(chart_dir) };
        let server = GitServer::start("127.0.0.1:0".parse()?, served).await?;
        let clone = dir.path().join("clone");
        let (url, c) = (server.url("fleet.git"), clone.clone());
        tokio::task::spawn_blocking(move || {
            git(c.parent().expect("parent"), &["clone", "-q", &url, &c.display().to_string()]);
            std::fs::create_dir_all(c.join(CAPI_PATH)).expect("mkdir");
            std::fs::create_dir_all(c.join(PROFILES_PATH)).expect("mkdir");
            std::fs::write(c.join(PROFILES_PATH).join("README.md"), "The default namespace's clusters.\n")
                .expect("readme");
            std::fs::write(c.join(CAPI_PATH).join("README.md"), "Cluster manifests of the management cluster.\n")
                .expect("readme");
            git(&c, &["add", "-A"]);
            git(&c, &["commit", "-q", "-m", "The fleet"]);
            git(&c, &["push", "-q", "origin", "main"]);
        })
        .await?;
        let binaries = flux_controllers::ensure_all(&mut |_| {})?;
        let opts = FluxOptions::new(env.kubeconfig_path(), &dir.path().join("flux"), binaries);
        let started = Instant::now();
        let flux = tokio::task::spawn_blocking(move || FluxControllers::start(&opts)).await??;
        println!("the three controllers ready in {:.2} s", started.elapsed().as_secs_f64());
        let home = dir.path().join("home");
        let mgmt = env.client("mgmt").await?;
        for w in workloads {
            let ctx = env.token_context(&format!("{w}-admin@{w}"), w, env.admin_token())?;
            let value = fleetdeck::envtest::kubeconfig::render(std::slice::from_ref(&ctx), &ctx.name);
            let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
                "metadata": {"name": format!("{w}-kubeconfig"), "namespace": "default",
                             "labels": {"cluster.x-k8s.io/cluster-name": w}},
                "type": "cluster.x-k8s.io/secret", "stringData": {"value": value},
            }))?;
            Api::<k8s_openapi::api::core::v1::Secret>::namespaced(mgmt.clone(), "default")
                .create(&PostParams::default(), &secret)
                .await?;
        }
        Ok(World { dir, env, flux, server, clone, home })
    }

    /// What a failed wait on `namespace/name` of `ar` in `mgmt` shows: the object's `status` as the API
    /// server has it, and the last 30 lines of `controller`'s log.
    pub async fn explain(&self, ar: &ApiResource, namespace: &str, name: &str, controller: &str) -> String {
        let status = match self.api(namespace, ar).await {
            Ok(api) => match api.get(name).await {
                Ok(o) => o.data["status"].to_string(),
                Err(e) => format!("get failed: {e}"),
            },
            Err(e) => format!("no client: {e}"),
        };
        let tail = self.flux.log_tail(controller, 30);
        format!("{} {namespace}/{name} status: {status}\n{controller}'s last lines:\n{tail}", ar.kind)
    }

    pub async fn api(&self, namespace: &str, ar: &ApiResource) -> anyhow::Result<Api<DynamicObject>> {
        Ok(Api::namespaced_with(self.env.client("mgmt").await?, namespace, ar))
    }

    /// fleetdeck with this world's kubeconfig and home.
    pub fn fleetdeck_out(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
            .args(args)
            .env("KUBECONFIG", self.env.kubeconfig_path())
            .env("FLEETDECK_HOME", &self.home)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("fleetdeck runs")
    }

    /// fleetdeck with this world's kubeconfig and home; asserts the exit code, returns stdout.
    pub fn fleetdeck(&self, code: i32, args: &[&str]) -> String {
        let out = self.fleetdeck_out(args);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(code), "fleetdeck {}:\n{stdout}{stderr}", args.join(" "));
        stdout.into_owned()
    }

    /// The review, merged: the server's `main` fast-forwarded to `commit`.
    pub fn merge(&self, commit: &str) {
        let bare = self.dir.path().join("git/fleet.git");
        let main = git(&bare, &["rev-parse", "main"]);
        git(&bare, &["merge-base", "--is-ancestor", &main, commit]);
        git(&bare, &["update-ref", "refs/heads/main", commit, &main]);
    }

    /// GitRepository `flux-system/fleet` (this server's repository, branch main) and Kustomization
    /// `flux-system/clusters` (the cluster manifests, prune, no wait), as `flux create` writes them.
    pub async fn sync_objects(&self) -> anyhow::Result<()> {
        self.sync_objects_at("clusters", CAPI_PATH).await
    }

    /// As [`World::sync_objects`], the Kustomization `flux-system/<name>` building `path`.
    pub async fn sync_objects_at(&self, name: &str, path: &str) -> anyhow::Result<()> {
        let ns: k8s_openapi::api::core::v1::Namespace =
            serde_json::from_value(json!({"metadata": {"name": "flux-system"}}))?;
        Api::<k8s_openapi::api::core::v1::Namespace>::all(self.env.client("mgmt").await?)
            .create(&PostParams::default(), &ns)
            .await?;
        let repo = json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "fleet", "namespace": "flux-system"},
            "spec": {"url": self.server.url("fleet.git"), "ref": {"branch": "main"}, "interval": "1m"},
        });
        let ks = json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"path": format!("./{path}"), "prune": true, "wait": false, "interval": "1m",
                     "sourceRef": {"kind": "GitRepository", "name": "fleet"}},
        });
        self.api("flux-system", &gitrepositories())
            .await?
            .create(&PostParams::default(), &serde_json::from_value(repo)?)
            .await?;
        self.api("flux-system", &kustomizations())
            .await?
            .create(&PostParams::default(), &serde_json::from_value(ks)?)
            .await?;
        Ok(())
    }
}

pub fn gitrepositories() -> ApiResource {
    ar("source.toolkit.fluxcd.io", "v1", "GitRepository", "gitrepositories")
}

pub fn kustomizations() -> ApiResource {
    ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations")
}

pub fn clusters() -> ApiResource {
    ar("cluster.x-k8s.io", "v1beta2", "Cluster", "clusters")
}

/// fleetdeck's fleet on `kubeconfig` (context `mgmt`) into a store.
pub async fn watch(kubeconfig: &Path) -> anyhow::Result<(Fleet, tokio::sync::mpsc::Receiver<StoreMsg>, FleetStore)> {
    let kc = fleetdeck::fleet::kubeconfig::load(Some(kubeconfig))?;
    let (tx, rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let opts = FleetOptions { lineage: false, ..FleetOptions::default() };
    let fleet = Fleet::start(&kc, &[], opts, tx).await?;
    Ok((fleet, rx, FleetStore::new()))
}

/// Applies what the fleet sends until `done` holds; fails naming `what` after `secs`.
pub async fn until(
    rx: &mut tokio::sync::mpsc::Receiver<StoreMsg>,
    store: &mut FleetStore,
    what: &str,
    secs: u64,
    done: impl Fn(&FleetStore) -> bool,
) {
    assert!(reached(rx, store, secs, done).await, "{what}: not within {secs} s");
}

/// Applies what the fleet sends until `done` holds (`true`) or `secs` have passed (`false`).
pub async fn reached(
    rx: &mut tokio::sync::mpsc::Receiver<StoreMsg>,
    store: &mut FleetStore,
    secs: u64,
    done: impl Fn(&FleetStore) -> bool,
) -> bool {
    let t = Instant::now();
    while !done(store) {
        if t.elapsed() >= Duration::from_secs(secs) {
            return false;
        }
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            store.apply(m, k8s_openapi::jiff::Timestamp::now());
        }
    }
    true
}

/// The health fleetdeck gives `namespace/name` of `kind` in context `mgmt`: (state, reason).
pub fn health(store: &FleetStore, kind: KindId, namespace: &str, name: &str) -> Option<(String, String)> {
    store
        .objects("mgmt", kind)
        .find(|o| {
            o.obj().metadata.namespace.as_deref() == Some(namespace) && o.obj().metadata.name.as_deref() == Some(name)
        })
        .map(|o| (format!("{:?}", o.health.state), o.health.reason.clone()))
}

pub const HELM_REPOSITORY: KindId = KindId::named("source.toolkit.fluxcd.io", "HelmRepository");

pub fn helmreleases() -> ApiResource {
    ar("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases")
}

pub fn helmrepositories() -> ApiResource {
    ar("source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories")
}

/// `o`'s condition `type`: (status, reason, message).
pub fn condition(o: &DynamicObject, type_: &str) -> Option<(String, String, String)> {
    let c = o.data["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == type_)?;
    let s = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
    Some((s("status"), s("reason"), s("message")))
}
