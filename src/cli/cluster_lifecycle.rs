//! `fleetdeck cluster bootstrap NAME` and `fleetdeck cluster delete NS/NAME`: see
//! [`fleetdeck::gitops::bootstrap`] and [`fleetdeck::gitops::teardown`].
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use fleetdeck::gitops::bootstrap::{BootstrapMode, BootstrapRequest};
use fleetdeck::gitops::template::DEFAULT_CAPI_REPOSITORY_PATH;
use fleetdeck::gitops::{lifecycle, locate, teardown};
use fleetdeck::model::object_ref::parse_namespaced;

use super::gitops_common::{self as common, Opened, RepoArgs};
use super::{GlobalArgs, UsageError};

/// `--mode` of `cluster bootstrap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Flux runs in the cluster: flux-system files (gotk-sync.yaml, kustomization.yaml, gotk-components.yaml).
    Flux,
    /// The management cluster syncs it through its kubeconfig Secret: a remote Kustomization + GitopsCluster.
    Management,
}

/// `fleetdeck cluster bootstrap` arguments.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The cluster's name.
    pub name: String,
    /// How the cluster gets synced.
    #[arg(long, value_enum)]
    pub mode: ModeArg,
    /// gotk-components.yaml to commit (e.g. from `flux install --export`); Flux mode.
    #[arg(long, value_name = "FILE")]
    pub components: Option<PathBuf>,
    /// The Cluster's namespace in the management cluster (default: found in the repository).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// The folder the cluster syncs (default: clusters/<name>).
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// The repository URL the cluster's GitRepository fetches (default: the remote's URL); Flux mode.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Folder of the management cluster's cluster manifests.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_CAPI_REPOSITORY_PATH)]
    pub capi_path: String,
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// `fleetdeck cluster delete` arguments.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// `NAMESPACE/NAME` of the cluster.
    pub cluster: String,
    /// Do not ask to type the cluster's name.
    #[arg(long)]
    pub yes: bool,
    /// Folder of the management cluster's cluster manifests.
    #[arg(long, value_name = "PATH", default_value = DEFAULT_CAPI_REPOSITORY_PATH)]
    pub capi_path: String,
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// The namespace of Cluster `name` in the repository at the base, if there is exactly one.
fn namespace_in_repo(opened: &Opened, name: &str) -> Result<Option<String>> {
    let mut found = Vec::new();
    for f in locate::yaml_files(&opened.repo, &opened.base.commit, "")? {
        for d in f.docs.iter().flatten() {
            let (g, k, ns, n) = fleetdeck::gitops::yaml::object_key(d);
            if g == "cluster.x-k8s.io" && k == "Cluster" && n == name && !found.contains(&ns) {
                found.push(ns);
            }
        }
    }
    Ok(if found.len() == 1 { found.pop() } else { None })
}

pub fn bootstrap(args: &BootstrapArgs, global: &GlobalArgs) -> Result<()> {
    let opened = common::open(&args.repo, global)?;
    let mode = match args.mode {
        ModeArg::Flux => BootstrapMode::Flux,
        ModeArg::Management => BootstrapMode::Management,
    };
    let namespace = match &args.namespace {
        Some(ns) => ns.clone(),
        None => namespace_in_repo(&opened, &args.name)?.ok_or_else(|| {
            UsageError(format!(
                "no single Cluster {} in the repository: give its namespace with --namespace",
                args.name
            ))
        })?,
    };
    let components = match &args.components {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| UsageError(format!("reading {}: {e}", p.display())))?),
        None => None,
    };
    let url = match &args.url {
        Some(u) => u.clone(),
        None => opened.repo.remote_url()?,
    };
    let req = BootstrapRequest {
        cluster: args.name.clone(),
        namespace: namespace.clone(),
        mode,
        url,
        branch: opened.base.branch.clone(),
        path: args.path.clone(),
        components,
        capi_path: args.capi_path.clone(),
        has_gitops_cluster: false,
    };
    let (req, plan) = lifecycle::bootstrap_plan(&opened.repo, &opened.base, req).map_err(common::plan_error)?;
    let applied = opened
        .repo
        .apply(&opened.base, &plan.branch, &plan.message, &plan.changes(), opened.push)
        .map_err(common::usage_if_input)?;
    let mut notes = vec![mode.explain().replace("<cluster>", &args.name)];
    if mode == BootstrapMode::Flux && req.components.is_none() {
        notes.push(
            "no --components: install the Flux controllers yourself (flux install), then apply gotk-sync.yaml".into(),
        );
    }
    if mode == BootstrapMode::Flux {
        notes.push(format!("create the deploy-key Secret flux-system/flux-system in {} for {}", args.name, req.url));
    }
    let out = common::outcome("bootstrap", (&namespace, &args.name), &opened, &plan, &applied, notes)?;
    common::print(&out, args.repo.output)
}

pub fn delete(args: &DeleteArgs, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = parse_namespaced(&args.cluster).map_err(UsageError)?;
    let (namespace, name) = (namespace.as_str(), name.as_str());
    if !args.yes && !std::io::stdin().is_terminal() {
        return Err(UsageError(format!(
            "refusing to delete cluster {namespace}/{name} without confirmation: stdin is not a terminal; pass --yes"
        ))
        .into());
    }
    let opened = common::open(&args.repo, global)?;
    let planned = lifecycle::teardown_plan(&opened.repo, &opened.base, &args.capi_path, namespace, name)?;
    let Some((t, plan)) = planned else {
        anyhow::bail!(
            "no files of cluster {namespace}/{name} in the repository at {} ({})",
            opened.base.branch,
            opened.base.commit
        );
    };
    if !args.yes {
        eprintln!("Deleting cluster {namespace}/{name} removes, in one commit on {}:", teardown::branch(name));
        for f in &t.removed {
            eprintln!("  {}  ({})", f.path, f.objects.join(", "));
        }
        eprintln!("Once merged:");
        for c in &t.consequences {
            eprintln!("  {c}");
        }
        for l in &t.left_alone {
            eprintln!("  note: {l}");
        }
        eprint!("Type the cluster name ({name}) to confirm: ");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the confirmation")?;
        if line.trim() != name {
            anyhow::bail!("not confirmed ({:?} is not {name:?}): nothing was written", line.trim());
        }
    }
    let applied = opened
        .repo
        .apply(&opened.base, &plan.branch, &plan.message, &plan.changes(), opened.push)
        .map_err(common::usage_if_input)?;
    let mut out = common::outcome("delete", (namespace, name), &opened, &plan, &applied, t.left_alone.clone())?;
    out.consequences = t.consequences;
    common::print(&out, args.repo.output)
}
