//! The demo fleet: a living local fleet on real API servers, so that a new user with no cluster sees what
//! fleetdeck does, and every test and benchmark has a realistic fleet to run against.
//!
//! Topology: one etcd; API servers `mgmt` (the Cluster API management cluster), `dev-eu` and `prod-us`
//! (workload clusters, also reachable through their `<cluster>-kubeconfig` Secrets in `mgmt`). The kubeconfig
//! adds `mgmt-restricted` (a token RBAC lets see Flux objects but not Cluster API ones or Secrets) and
//! `broken-unreachable` (a closed loopback port), so faults show from the first screen.
//!
//! [`seed`] holds the objects (pure data); [`apply`] writes them; [`controllers`] play Flux, tofu-controller
//! and Cluster API so that statuses move: reconcile requests, suspend, plan approval, replicas, pause,
//! provisioning phases and some churn.
pub mod apply;
pub mod charts;
pub mod controllers;
pub mod edge;
pub mod git_server;
pub mod repo;
pub mod seed;
pub mod state;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::envtest::kubeconfig::{self, TokenContext};
use crate::envtest::{self, Envtest};

/// The contexts of the demo kubeconfig that reach a server.
pub const SERVERS: [&str; 3] = ["mgmt", "dev-eu", "prod-us"];
/// The context whose token RBAC restricts.
pub const RESTRICTED: &str = "mgmt-restricted";
/// The context pointing at a closed port.
pub const UNREACHABLE: &str = "broken-unreachable";
/// What the demo reports its simulated controllers as (README and UI header use it).
pub const CONTROLLERS_LABEL: &str = "simulated controllers";

/// How to start the demo fleet.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Folder for the kubeconfig, certificates and logs (see [`state::demo_dir`]).
    pub dir: PathBuf,
    /// `--scale N`: additionally seed N clusters of 8 Machines (with infra and bootstrap objects), N x 10
    /// Flux objects and N Crossplane claims (each with its XR and 3 composed resources).
    pub scale: usize,
    /// Run the simulated controllers (tests of the seed alone turn them off).
    pub controllers: bool,
    /// `--contexts N`: N more contexts over two more API servers, with distinct users, a tenth of them dead
    /// (the benchmark fleet: see [`edge`]). 0: none.
    pub contexts: usize,
    /// Whose Flux runs the management cluster: fleetdeck's simulation, or the real controllers.
    pub flux: FluxMode,
    /// The fleetdeck binary the hub's access provider runs as its exec plugin (`fleetdeck demo credential`).
    /// With it, `mgmt` publishes a ClusterProfile per workload cluster and the kubeconfig configures the
    /// provider (see [`profile_providers`]); `None`: no profiles.
    pub credential_plugin: Option<PathBuf>,
}

/// `--flux`: who plays Flux in the management cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FluxMode {
    /// fleetdeck's simulated controllers (quick; nothing to build).
    #[default]
    Simulated,
    /// The real source-, kustomize- and helm-controller (built once from the Go module proxy), one set per
    /// cluster (`mgmt`, `dev-eu`, `prod-us`), fetching the fleet repository and charts from a git server on
    /// loopback ([`git_server`]).
    Real,
}

/// A running demo fleet; dropping it stops the controllers and every process.
pub struct DemoFleet {
    /// The API servers.
    pub env: Envtest,
    /// The demo kubeconfig: `mgmt`, `dev-eu`, `prod-us`, `mgmt-restricted`, `broken-unreachable`.
    pub kubeconfig: PathBuf,
    /// Objects seeded per context, and the seconds it took (the `--scale` benchmark figure).
    pub seeded: Vec<(String, apply::ApplyStats)>,
    /// The fleet's GitOps repository (a clone; its `origin` is a bare repository beside it).
    pub repository: PathBuf,
    controllers: Option<controllers::Handle>,
    /// The hung port of the `--contexts` fleet, held while the demo runs.
    hung: Option<edge::Hung>,
    /// `--flux real`: the real Flux controllers of `mgmt` and the loopback git and chart server.
    real_flux: Option<RealFlux>,
}

/// What `--flux real` runs beside the API servers.
pub struct RealFlux {
    /// The loopback git and chart server.
    pub server: git_server::GitServer,
    /// The real Flux controllers, one set per context of [`seed::real_flux::REAL_CONTEXTS`], in that order.
    pub controllers: Vec<crate::envtest::flux_run::FluxControllers>,
}

impl RealFlux {
    /// Pids of every controller process (three per context).
    pub fn pids(&self) -> Vec<u32> {
        self.controllers.iter().flat_map(|c| c.pids()).collect()
    }

    /// Every controller process: its context, name, pid and log.
    pub fn processes(&self) -> Vec<state::FluxProcess> {
        let mut out = Vec::new();
        for (context, c) in seed::real_flux::REAL_CONTEXTS.iter().zip(&self.controllers) {
            for ((name, log), pid) in c.logs().into_iter().zip(c.pids()) {
                let (context, name, log) = (context.to_string(), name.to_owned(), log.to_path_buf());
                out.push(state::FluxProcess { context, name, pid, log });
            }
        }
        out
    }
}

impl DemoFleet {
    /// Starts etcd and the three API servers, writes the kubeconfig, installs the CRDs, seeds every cluster
    /// and starts the simulated controllers. `progress` gets one line per step.
    ///
    /// Errors name the step and object that failed; nothing is left running on error.
    pub async fn start(opts: &DemoOptions, progress: &mut (dyn FnMut(&str) + Send)) -> Result<DemoFleet> {
        let servers: Vec<&str> =
            SERVERS.iter().chain(if opts.contexts > 0 { &edge::SERVERS[..] } else { &[] }).copied().collect();
        progress(&format!("starting etcd and the API servers {}", servers.join(", ")));
        let mut builder = Envtest::builder().root_dir(&opts.dir).restricted_context("mgmt").with_progress();
        for s in &servers {
            builder = builder.server(s);
        }
        let env = builder.users(edge::users(opts.contexts)).start().await?;
        let hung = if opts.contexts > 0 { Some(edge::Hung::start().await?) } else { None };
        let edge_contexts = match &hung {
            Some(h) => edge::contexts(&env, opts.contexts, h.port)?,
            None => Vec::new(),
        };
        let providers =
            opts.credential_plugin.as_deref().map(|bin| profile_providers(bin, &env.root().join("kubeconfig")));
        let kubeconfig = write_kubeconfig(&env, edge_contexts, providers.as_ref())?;

        progress("installing the Cluster API, Flux, tofu-controller and Weave GitOps CRDs");
        let installs = servers.iter().map(|s| env.install_crds(s));
        for r in futures::future::join_all(installs).await {
            r?;
        }

        let input = seed::SeedInput {
            now: k8s_openapi::jiff::Timestamp::now(),
            workload_kubeconfigs: ["dev-eu", "prod-us"]
                .into_iter()
                .map(|c| Ok((c.to_string(), workload_kubeconfig(&env, c)?)))
                .collect::<Result<_>>()?,
        };
        let mut seeded = Vec::new();
        progress("seeding Cluster API, Flux, Terraform and template objects");
        let mut fleet = seed::demo_fleet(&input);
        let server = match opts.flux {
            FluxMode::Simulated => None,
            FluxMode::Real => {
                let served = git_server::Served { git_root: opts.dir.clone(), charts: Some(opts.dir.join("charts")) };
                charts::write_repository(&opts.dir.join("charts"), charts::CHARTS)?;
                let server = git_server::GitServer::start(([127, 0, 0, 1], 0).into(), served).await?;
                progress(&format!("serving the fleet repository and charts at {}", server.url("")));
                seed::real_flux::point_at_loopback(&mut fleet, &server.url("fleet.git"), &server.url("charts"));
                Some(server)
            }
        };
        progress("writing the fleet's GitOps repository");
        let repository = repo::create(&opts.dir, &seed::repository::fleet_repository(&fleet))?;
        if let [previous, current] = repository.commits.as_slice() {
            seed::repository::use_commits(&mut fleet, &[previous.clone(), current.clone()]);
        }
        if let Some(server) = &server {
            repo::set_origin(&repository.clone, &server.url("fleet.git"))?;
            seed::real_flux::keep_bootstrap_only(&mut fleet);
        }
        if let Some(mgmt) = fleet.contexts.get_mut("mgmt") {
            mgmt.extend(restricted_rbac());
            if opts.credential_plugin.is_some() {
                mgmt.extend(cluster_profiles(&env, input.now).await?);
            }
        }
        for (context, crds) in &fleet.crds {
            let crds = crds.iter().map(|c| serde_json::from_value(c.clone())).collect::<Result<Vec<_>, _>>()?;
            crate::envtest::create_crds(&env.client(context).await?, crds).await?;
        }
        if opts.contexts > 0 {
            progress(&format!(
                "--contexts {}: contexts edge-0001 to {} over {} (a user each; every 10th refused or hung)",
                opts.contexts,
                edge::name(opts.contexts),
                edge::SERVERS.join(", ")
            ));
            for (i, server) in edge::SERVERS.iter().enumerate() {
                fleet.contexts.insert(server.to_string(), seed::edge(i + 1, &input));
            }
        }
        seeded.extend(seed_all(&env, fleet.contexts).await?);
        for (context, reference) in &fleet.to_delete {
            apply::Applier::new(env.client(context).await?).delete(reference).await?;
        }
        for (context, change) in &fleet.out_of_band {
            let mut applier = apply::Applier::new(env.client(context).await?);
            match change {
                seed::OutOfBand::Delete(reference) => applier.delete(reference).await?,
                seed::OutOfBand::Edit(reference, patch) => applier.merge_patch(reference, patch).await?,
            }
        }
        if opts.scale > 0 {
            progress(&format!(
                "seeding --scale {}: {} clusters of 8 Machines, {} Flux objects and {} Crossplane claims",
                opts.scale,
                opts.scale,
                opts.scale * 10,
                opts.scale
            ));
            let t = Instant::now();
            let stats = seed_all(&env, seed::scale(opts.scale, &input).contexts).await?;
            let n: usize = stats.iter().map(|(_, s)| s.objects).sum();
            progress(&format!("seeded {n} scale objects in {:.1} s", t.elapsed().as_secs_f64()));
            seeded.extend(stats.into_iter().map(|(c, s)| (format!("{c} (scale)"), s)));
        }
        let real_flux = match server {
            None => None,
            Some(server) => {
                progress("building the real Flux controllers unless built (once: 6-9 min from the Go module proxy)");
                let binaries = crate::envtest::flux_controllers::ensure_all(&mut |line| progress(line))?;
                let mut controllers = Vec::new();
                for context in seed::real_flux::REAL_CONTEXTS {
                    progress(&format!("starting the real source-, kustomize- and helm-controller against {context}"));
                    let dir = opts.dir.join("flux").join(context);
                    let mut flux_opts = crate::envtest::flux_run::FluxOptions::new(&kubeconfig, &dir, binaries.clone());
                    flux_opts.context = Some(context.into());
                    let started = tokio::task::spawn_blocking(move || {
                        crate::envtest::flux_run::FluxControllers::start(&flux_opts)
                    })
                    .await??;
                    controllers.push(started);
                }
                Some(RealFlux { server, controllers })
            }
        };
        let controllers = if opts.controllers {
            progress(&format!("starting the {CONTROLLERS_LABEL}"));
            let simulated_flux: &[&str] = match opts.flux {
                FluxMode::Simulated => &SERVERS,
                FluxMode::Real => &[],
            };
            Some(controllers::start(&env, Some(opts.dir.clone()), simulated_flux).await?)
        } else {
            None
        };
        Ok(DemoFleet { env, kubeconfig, seeded, controllers, repository: repository.clone, hung, real_flux })
    }

    /// Pids of etcd, the API servers and the real Flux controllers.
    pub fn pids(&self) -> Vec<u32> {
        let mut pids = self.env.pids();
        pids.extend(self.real_flux.iter().flat_map(RealFlux::pids));
        pids
    }

    /// `--flux real`'s server and controllers (`None` with the simulated Flux).
    pub fn real_flux(&self) -> Option<&RealFlux> {
        self.real_flux.as_ref()
    }

    /// Stops the controllers, then every process.
    pub fn stop(&mut self) {
        if let Some(c) = self.controllers.take() {
            c.stop();
        }
        self.hung = None;
        self.real_flux = None;
        self.env.stop();
    }
}

impl Drop for DemoFleet {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn seed_all(
    env: &Envtest,
    contexts: std::collections::BTreeMap<String, Vec<Value>>,
) -> Result<Vec<(String, apply::ApplyStats)>> {
    let jobs = contexts.into_iter().map(|(context, objects)| async move {
        let mut applier = apply::Applier::new(env.client(&context).await?);
        let stats = applier.apply(objects).await.with_context(|| format!("seeding context {context}"))?;
        Ok::<_, anyhow::Error>((context, stats))
    });
    futures::future::join_all(jobs).await.into_iter().collect()
}

/// The workload clusters `mgmt` publishes ClusterProfiles for, with the region each reports.
pub const PROFILED: [(&str, &str); 2] = [("dev-eu", "eu-west-1"), ("prod-us", "us-east-1")];

/// The demo's access provider (KEP-5339 consumer shape, `{"providers": [...]}`): `fleetdeck demo credential
/// <kubeconfig>` run by `bin`, with the cluster's exec extension (`{"context": NAME}`) in
/// `KUBERNETES_EXEC_INFO`. It prints that context's token from the demo kubeconfig.
pub fn profile_providers(bin: &Path, kubeconfig: &Path) -> Value {
    json!({"providers": [{"name": seed::cluster_inventory::PROVIDER, "execConfig": {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": bin.display().to_string(),
        "args": ["demo", "credential", kubeconfig.display().to_string()],
        "provideClusterInfo": true,
        "interactiveMode": "Never",
    }}]})
}

/// `mgmt`'s ClusterProfiles for [`PROFILED`], reaching each workload server, with the version it reports.
async fn cluster_profiles(env: &Envtest, now: k8s_openapi::jiff::Timestamp) -> Result<Vec<Value>> {
    let mut found = Vec::new();
    for (name, location) in PROFILED {
        let ctx = env.token_context(name, name, env.admin_token())?;
        let version = env.client(name).await?.apiserver_version().await?.git_version;
        found.push((name, location, ctx, version));
    }
    let clusters: Vec<_> = found
        .iter()
        .map(|(name, location, ctx, version)| seed::cluster_inventory::ProfiledCluster {
            name,
            server: &ctx.server,
            ca_pem: &ctx.ca_pem,
            location,
            version,
        })
        .collect();
    Ok(seed::cluster_inventory::cluster_profiles(now, &clusters))
}

/// Writes the demo kubeconfig (over the harness's own), with the `--contexts` fleet's `edge` contexts last,
/// and the access provider for `mgmt`'s ClusterProfiles (`providers`) in its `preferences`, and returns its
/// path.
fn write_kubeconfig(env: &Envtest, edge: Vec<TokenContext>, providers: Option<&Value>) -> Result<PathBuf> {
    // One admin context per server, the `--contexts` fleet's servers included (the seeding reaches them so).
    let mut ctxs: Vec<TokenContext> =
        env.servers().iter().map(|s| env.token_context(&s.name, &s.name, env.admin_token())).collect::<Result<_>>()?;
    ctxs.push(env.token_context(RESTRICTED, "mgmt", env.restricted_token())?);
    // Port 1 is privileged and closed on loopback: connections are refused at once, every time.
    let mut broken = env.token_context(UNREACHABLE, "mgmt", env.admin_token())?;
    broken.server = "https://127.0.0.1:1".into();
    ctxs.push(broken);
    ctxs.extend(edge);
    let path = env.root().join("kubeconfig");
    let extensions: Vec<(&str, &Value)> =
        providers.into_iter().map(|p| (crate::fleet::profiles::KUBECONFIG_EXTENSION, p)).collect();
    let text = kubeconfig::render_with_extensions(&ctxs, "mgmt", &extensions);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The kubeconfig CAPI would store in `<cluster>-kubeconfig`: context `<cluster>-admin@<cluster>`.
fn workload_kubeconfig(env: &Envtest, cluster: &str) -> Result<String> {
    let ctx = env.token_context(&format!("{cluster}-admin@{cluster}"), cluster, env.admin_token())?;
    Ok(kubeconfig::render(std::slice::from_ref(&ctx), &ctx.name))
}

/// RBAC for the restricted user in `mgmt`: it may read Flux and tofu-controller objects, Namespaces, Nodes
/// and Events, and nothing else (no Cluster API objects, no Secrets), so `mgmt-restricted` shows Forbidden
/// for some kinds and data for others.
fn restricted_rbac() -> Vec<Value> {
    let read = json!(["get", "list", "watch"]);
    vec![
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "fleetdeck-demo-flux-viewer"},
            "rules": [
                {"apiGroups": ["source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io",
                               "infra.contrib.fluxcd.io"], "resources": ["*"], "verbs": read},
                {"apiGroups": [""], "resources": ["namespaces", "nodes", "events"], "verbs": read}]}),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "fleetdeck-demo-flux-viewer"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "fleetdeck-demo-flux-viewer"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "restricted"}]}),
    ]
}

/// `export KUBECONFIG=<path>` quoted for a POSIX shell.
pub fn export_line(kubeconfig: &Path) -> String {
    let p = kubeconfig.display().to_string();
    if p.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c)) {
        format!("export KUBECONFIG={p}")
    } else {
        format!("export KUBECONFIG='{}'", p.replace('\'', "'\\''"))
    }
}

/// Version of the Kubernetes API the demo's servers run, for messages: `v1.MINOR.PATCH`, or
/// `KUBEBUILDER_ASSETS` when the binaries come from there.
pub fn kube_version() -> String {
    if std::env::var_os("KUBEBUILDER_ASSETS").is_some_and(|d| !d.is_empty()) {
        "from KUBEBUILDER_ASSETS".into()
    } else {
        envtest::assets::kube_version()
    }
}
