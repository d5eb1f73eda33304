//! `fleetdeck profile add CLUSTER CHART[@VERSION]`: a Helm chart from the fleet's profile HelmRepository
//! added to `clusters/<ns>/<cluster>/profiles.yaml` on branch `fleetdeck/profile-<cluster>-<chart>`; see
//! [`fleetdeck::gitops::profiles`].
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use fleetdeck::gitops::profiles::ProfileChoice;
use fleetdeck::gitops::{catalog, lifecycle, locate, yaml};

use super::gitops_common::{self as common, RepoArgs};
use super::{GlobalArgs, UsageError};

/// `fleetdeck profile` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Add (or update) a Helm chart profile of a cluster.
    Add(AddArgs),
}

/// `fleetdeck profile add` arguments.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The cluster's name.
    pub cluster: String,
    /// The chart, optionally with a version or semver range (default `*`, the latest).
    #[arg(value_name = "CHART[@VERSION]")]
    pub chart: String,
    /// Helm values (a YAML file).
    #[arg(long, value_name = "FILE")]
    pub values: Option<PathBuf>,
    /// The Cluster's namespace in the management cluster (default: found in the repository).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Namespace to install into in the workload cluster (default: the chart's name).
    #[arg(long, value_name = "NS")]
    pub target_namespace: Option<String>,
    /// Layer: the release waits for the releases of the previous layer.
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
    /// The profile HelmRepository as NAMESPACE/NAME when the fleet has several.
    #[arg(long, value_name = "NS/NAME")]
    pub helm_repository: Option<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
}

pub fn run(cmd: &ProfileCmd, global: &GlobalArgs) -> Result<()> {
    match cmd {
        ProfileCmd::Add(args) => add(args, global),
    }
}

/// The profile HelmRepository from the fleet: `--helm-repository`, else the only one offered.
fn fleet_repository(args: &AddArgs, global: &GlobalArgs) -> Result<serde_json::Value> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let timeout = common::request_timeout(global);
    let (found, problems) = rt.block_on(async {
        let mut found = Vec::new();
        let mut problems = Vec::new();
        for (context, client) in common::clients(global).await? {
            match client {
                Ok(c) => match catalog::profile_repositories(&c, &context, timeout).await {
                    Ok(r) => found.extend(r),
                    Err(e) => problems.push(e),
                },
                Err(e) => problems.push(e),
            }
        }
        Ok::<_, anyhow::Error>((found, problems))
    })?;
    let mut candidates: Vec<serde_json::Value> = match &args.helm_repository {
        Some(want) => {
            found.into_iter().filter(|r| yaml::describe(r).ends_with(&format!("HelmRepository/{want}"))).collect()
        }
        None => found,
    };
    candidates.dedup_by(|a, b| yaml::describe(a) == yaml::describe(b));
    match candidates.len() {
        1 => Ok(candidates.remove(0)),
        0 => Err(UsageError(format!(
            "no profile HelmRepository found in the fleet{}{}",
            args.helm_repository.as_ref().map(|h| format!(" named {h}")).unwrap_or_default(),
            if problems.is_empty() { String::new() } else { format!(" ({})", problems.join("; ")) }
        ))
        .into()),
        _ => {
            let names: Vec<String> = candidates.iter().map(yaml::describe).collect();
            Err(UsageError(format!(
                "several profile HelmRepositories ({}); pick one with --helm-repository NS/NAME",
                names.join(", ")
            ))
            .into())
        }
    }
}

fn add(args: &AddArgs, global: &GlobalArgs) -> Result<()> {
    let (chart, version) = match args.chart.split_once('@') {
        Some((c, v)) if !c.is_empty() && !v.is_empty() => (c.to_owned(), v.to_owned()),
        Some(_) => return Err(UsageError(format!("{:?}: expected CHART or CHART@VERSION", args.chart)).into()),
        None => (args.chart.clone(), "*".to_owned()),
    };
    let values = match &args.values {
        Some(p) => std::fs::read_to_string(p).map_err(|e| UsageError(format!("reading {}: {e}", p.display())))?,
        None => String::new(),
    };
    let opened = common::open(&args.repo, global)?;
    let namespace = match &args.namespace {
        Some(ns) => ns.clone(),
        None => {
            let mut found = Vec::new();
            for f in locate::yaml_files(&opened.repo, &opened.base.commit, "")? {
                for d in f.docs.iter().flatten() {
                    let (g, k, ns, n) = yaml::object_key(d);
                    if g == "cluster.x-k8s.io" && k == "Cluster" && n == args.cluster && !found.contains(&ns) {
                        found.push(ns);
                    }
                }
            }
            if found.len() != 1 {
                return Err(UsageError(format!(
                    "no single Cluster {} in the repository: give its namespace with --namespace",
                    args.cluster
                ))
                .into());
            }
            found.remove(0)
        }
    };
    // The fleet's HelmRepository is read (from the cluster) only when the profiles file has none.
    let has_repository = lifecycle::profile_file_has_repository(&opened.repo, &opened.base, &namespace, &args.cluster)
        .map_err(common::plan_error)?;
    let repository = if has_repository { None } else { Some(fleet_repository(args, global)?) };
    let choice = ProfileChoice {
        chart: chart.clone(),
        version,
        target_namespace: args.target_namespace.clone(),
        layer: args.layer.clone(),
        values,
    };
    let plan =
        lifecycle::profile_plan(&opened.repo, &opened.base, &namespace, &args.cluster, repository.as_ref(), &choice)
            .map_err(common::plan_error)?;
    let applied = opened
        .repo
        .apply(&opened.base, &plan.branch, &plan.message, &plan.changes(), opened.push)
        .map_err(common::usage_if_input)?;
    let out = common::outcome("profile", (&namespace, &args.cluster), &opened, &plan, &applied, Vec::new())?;
    common::print(&out, args.repo.output)
}
