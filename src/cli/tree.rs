//! `fleetdeck tree cluster|kustomization|helmrelease|terraform NS/NAME` and
//! `fleetdeck tree claim|composite TYPE/[NS/]NAME`: a reconciliation tree, headless.
//!
//! Text output is `clusterctl describe cluster`'s table for CAPI, `flux tree`'s `Kind/ns/name` tree for
//! Flux and Terraform, and `crossplane resource trace`'s table for Crossplane claims and composites (`-o wide`
//! adds trace's RESOURCE column); `-o json` prints the tree's nodes (schema in the README). Remote
//! Kustomizations are followed into the workload cluster when it is part of the fleet (a kubeconfig or
//! derived context).
//!
//! A Flux tree's inventory entries of kinds fleetdeck does not watch (Deployment, ConfigMap, Secret, ...) are
//! read once each (`fleet::inventory`; Secrets as metadata only) and shown with their kstatus health, or
//! `not found` when gone; `--no-inventory` skips that.
//!
//! Watches only the kinds the tree reads: the Cluster API family for `cluster`, Terraform and Flux for
//! `terraform`, every kind for `kustomization` and `helmrelease` (an inventory may name any kind).
use std::time::Duration;

use anyhow::Result;
use clap::{ArgAction, Args, ValueEnum};
use k8s_openapi::jiff::Timestamp;

use fleetdeck::fleet::{self, FleetOptions};
use fleetdeck::model::capi_tree::{self, CapiTreeOptions, ShowConditions};
use fleetdeck::model::kinds::{Dynamic, Family, KindSet};
use fleetdeck::model::lineage::workload_context;
use fleetdeck::model::store::FleetStore;
use fleetdeck::model::tree::{CapiMode, CapiNames, StoreView};
use fleetdeck::model::{flux_tree, inventory, tf_tree, trace_text, tree_text, xp_tree};
use fleetdeck::ops::clients::Clients;

use fleetdeck::model::object_ref::{parse_namespaced, parse_typed};

use super::{GlobalArgs, UsageError};

/// What to draw the tree of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TreeKind {
    /// A Cluster API Cluster (`clusterctl describe cluster`).
    Cluster,
    /// A Flux Kustomization (`flux tree kustomization`).
    Kustomization,
    /// A Flux HelmRelease and the objects in its inventory.
    #[value(name = "helmrelease")]
    HelmRelease,
    /// A tofu-controller Terraform object.
    Terraform,
    /// A Crossplane claim, traced as `crossplane resource trace` does: `TYPE/NAMESPACE/NAME`, TYPE being
    /// the claim kind, its plural, or either with `.group` (`postgresqlinstances.database.example.org`).
    Claim,
    /// A Crossplane composite resource (XR), traced as `crossplane resource trace` does: `TYPE/NAME`
    /// (cluster-scoped XRs) or `TYPE/NAMESPACE/NAME` (namespaced XRs).
    Composite,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TreeOutput {
    /// The upstream tools' text.
    Text,
    /// The tree as JSON (README: "Tree JSON").
    Json,
    /// Crossplane trees: `crossplane resource trace -o wide` (the RESOURCE column, messages whole); other
    /// trees print their text.
    Wide,
}

/// `fleetdeck tree` arguments.
#[derive(Debug, Args)]
pub struct TreeArgs {
    /// The kind of the root object.
    #[arg(value_enum)]
    pub kind: TreeKind,
    /// `NAMESPACE/NAME` of the root object (`TYPE/[NAMESPACE/]NAME` for `claim` and `composite`).
    pub object: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = TreeOutput::Text)]
    pub output: TreeOutput,
    /// CAPI: objects whose conditions to list, as clusterctl v1.14 takes it: a comma-separated list of
    /// `Kind`, `Kind/name` or `all` (case-insensitive, first match wins, no whitespace); a trailing `+` keeps
    /// only Available, Ready and abnormal conditions (the NonZero filter).
    #[arg(long, value_name = "KIND[/NAME][+],...|all[+]")]
    pub show_conditions: Option<String>,
    /// CAPI: the clusterctl release line whose row names, and so sibling order, to print: `v1.14`
    /// (`Kind ns/name, <version>`) or `v1.13` (`Kind/name`, `ControlPlane - Kind/name`).
    #[arg(long, value_name = "v1.14|v1.13", default_value = "v1.14", value_parser = parse_names)]
    pub names: CapiNames,
    /// CAPI: group similar Machines into one row (`--grouping=false` to list each).
    #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
    pub grouping: bool,
    /// CAPI: show infrastructure and bootstrap objects even when they echo their Machine's state.
    #[arg(long)]
    pub echo: bool,
    /// CAPI: show MachineSets under their MachineDeployments.
    #[arg(long)]
    pub show_machinesets: bool,
    /// CAPI (fleetdeck's, not clusterctl's): add the Cluster's MachineHealthChecks (healthy / expected,
    /// remediations allowed, remediation blocked) and mark the Machines failing a health check with its message.
    #[arg(long)]
    pub show_health_checks: bool,
    /// CAPI: read v1beta1 conditions (READY, SEVERITY columns) instead of v1beta2.
    #[arg(long)]
    pub v1beta1: bool,
    /// Flux: do not read the inventory's objects of kinds fleetdeck does not watch (they stay `not watched`);
    /// by default each is read once and shown with its health, `not found` when it is gone (drift).
    #[arg(long)]
    pub no_inventory: bool,
}

fn parse_names(text: &str) -> Result<CapiNames, String> {
    CapiNames::parse(text).ok_or_else(|| format!("{text:?}: expected v1.14 or v1.13"))
}

pub fn run(args: &TreeArgs, global: &GlobalArgs) -> Result<()> {
    let show_conditions = match &args.show_conditions {
        Some(s) => ShowConditions::parse(s).map_err(UsageError)?,
        None => ShowConditions::none(),
    };
    let crossplane = matches!(args.kind, TreeKind::Claim | TreeKind::Composite);
    let (xp_type, namespace, name) = if crossplane {
        parse_typed(&args.object).map_err(UsageError)?
    } else {
        let (namespace, name) = parse_namespaced(&args.object).map_err(UsageError)?;
        (String::new(), namespace, name)
    };
    let (namespace, name) = (namespace.as_str(), name.as_str());
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = match global.context.first() {
        Some(c) => c.clone(),
        None => {
            kc.config.current_context.clone().ok_or_else(|| UsageError("no --context and no current-context".into()))?
        }
    };
    kc.context_names(std::slice::from_ref(&context)).map_err(|e| UsageError(format!("{e:#}")))?;
    // A Kustomization may apply to another cluster: connect to the whole fleet to follow it; the other
    // trees need their own context only.
    let only = if args.kind == TreeKind::Kustomization { Vec::new() } else { vec![context.clone()] };
    let connect = Duration::from_secs(global.connect_timeout);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    // Only the kinds the tree reads; a Flux tree's inventory may name any kind, so those watch them all.
    let kinds = match args.kind {
        TreeKind::Cluster => capi_tree::kinds(),
        TreeKind::Terraform => tf_tree::kinds(),
        TreeKind::Kustomization | TreeKind::HelmRelease => KindSet::ALL,
        // The XRDs; the XR, claim and composed kinds follow from them (`fleet::dynamic`).
        TreeKind::Claim | TreeKind::Composite => KindSet::family(Family::Crossplane),
    };
    let opts = FleetOptions { kinds, ..global.fleet_options() };
    let store = rt.block_on(super::snapshot::sync(&kc, &only, opts, connect + Duration::from_secs(12)))?;
    let state = store.context(&context).map(|c| (c.state, c.reason.clone()));
    if crossplane {
        let role = if args.kind == TreeKind::Claim { Dynamic::Claim } else { Dynamic::Composite };
        let kind = fleetdeck::model::crossplane::defined_kind(&store, &context, &xp_type, role).map_err(UsageError)?;
        let Some(root) = xp_tree::trace_tree(&store, &context, kind, namespace, name) else {
            let at = if namespace.is_empty() { name.to_string() } else { format!("{namespace}/{name}") };
            anyhow::bail!("{} {at} not found in context {context}", kind.spec().kind);
        };
        match args.output {
            TreeOutput::Json => println!("{}", serde_json::to_string_pretty(&root)?),
            TreeOutput::Text => print!("{}", trace_text::render_trace(&root, false)),
            TreeOutput::Wide => print!("{}", trace_text::render_trace(&root, true)),
        }
        return Ok(());
    }
    let Some(mut root) = build(&store, args, show_conditions, &context, namespace, name) else {
        let why = match state {
            Some((s, r)) if !r.is_empty() => format!(" (context {context} is {s:?}: {r})"),
            _ => String::new(),
        };
        anyhow::bail!("{:?} {namespace}/{name} not found in context {context}{why}", args.kind);
    };
    let flux = matches!(args.kind, TreeKind::Kustomization | TreeKind::HelmRelease);
    if flux && !args.no_inventory {
        let probes = inventory::probes(&store, &root);
        if !probes.is_empty() {
            let clients = Clients::new(kc.config.clone(), global.fleet_options());
            let read = async {
                let clients = clients.for_contexts(probes.iter().map(|p| p.context.clone()).collect()).await;
                fleet::inventory::read_probes(&clients, &probes).await
            };
            let limit = connect + Duration::from_secs(20);
            match rt.block_on(async { tokio::time::timeout(limit, read).await }) {
                Ok(overlay) => overlay.apply(&mut root),
                Err(_) => eprintln!(
                    "warning: the inventory's {} unwatched objects were not all read within {}s; they are shown \
                     as not watched",
                    probes.len(),
                    limit.as_secs()
                ),
            }
        }
    }
    match args.output {
        TreeOutput::Json => println!("{}", serde_json::to_string_pretty(&root)?),
        TreeOutput::Text if args.kind == TreeKind::Cluster => {
            print!("{}", tree_text::render_capi(&root, Timestamp::now(), args.v1beta1, args.names))
        }
        TreeOutput::Text | TreeOutput::Wide => print!("{}", tree_text::render_flux(&root)),
    }
    Ok(())
}

fn build(
    store: &FleetStore,
    args: &TreeArgs,
    show_conditions: ShowConditions,
    context: &str,
    ns: &str,
    name: &str,
) -> Option<fleetdeck::model::tree::TreeNode> {
    let resolve = |secret: &str, secret_ns: &str| {
        let cluster = fleet::lineage::cluster_of_secret(secret)?;
        workload_context(store, context, secret_ns, cluster)
    };
    match args.kind {
        TreeKind::Cluster => {
            let opts = CapiTreeOptions {
                show_conditions,
                names: args.names,
                grouping: args.grouping,
                echo: args.echo,
                show_machine_sets: args.show_machinesets,
                mode: args.v1beta1.then_some(CapiMode::V1Beta1),
                health_checks: args.show_health_checks,
            };
            capi_tree::cluster_tree(store, context, ns, name, &opts)
        }
        TreeKind::Kustomization => flux_tree::kustomization_tree(store, context, ns, name, &resolve),
        TreeKind::HelmRelease => flux_tree::helmrelease_tree(store, context, ns, name, &resolve),
        TreeKind::Terraform => tf_tree::terraform_tree_with(&StoreView::new(store), context, ns, name),
        TreeKind::Claim | TreeKind::Composite => None,
    }
}
