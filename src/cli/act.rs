//! The operator actions, headless: `reconcile|suspend|resume KIND NS/NAME`, `approve|replan terraform NS/NAME`,
//! `pause|unpause cluster|machinedeployment NS/NAME`, `pause|unpause crossplane TYPE/[NS/]NAME`, `scale machinedeployment|kubeadmcontrolplane NS/NAME
//! --replicas N`, `kubeconfig cluster NS/NAME`.
//!
//! Progress goes to stderr (`► annotating ...`, `◎ waiting ...`), the result to stdout (`✔ ...`, or the
//! JSON of [`Outcome`] with `-o json`). Exit codes: 0 done; 1 failed; 2 bad usage or input; 3 refused
//! before anything was sent (read-only, RBAC, the object's state); 4 sent, but the controller did not
//! finish within `--timeout`.
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde::Serialize;

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet;
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object_ref::{ObjectRef, parse_namespaced, parse_typed};
use fleetdeck::ops::{self, Done, OpError, Request, Runner, Verb, clients::Clients, journal::Journal};

use super::{Exit, GlobalArgs, UsageError};

/// Kinds the Flux-style verbs accept (flux's names and short forms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReconcileKind {
    #[value(alias = "ks")]
    Kustomization,
    #[value(name = "helmrelease", alias = "hr")]
    HelmRelease,
    #[value(name = "gitrepository", alias = "source-git")]
    GitRepository,
    #[value(name = "ocirepository", alias = "source-oci")]
    OCIRepository,
    #[value(name = "helmrepository", alias = "source-helm")]
    HelmRepository,
    #[value(name = "helmchart", alias = "source-chart")]
    HelmChart,
    #[value(alias = "source-bucket")]
    Bucket,
    #[value(alias = "tf")]
    Terraform,
}

impl ReconcileKind {
    fn kind(self) -> KindId {
        let (group, kind) = match self {
            ReconcileKind::Kustomization => return KindId::KUSTOMIZATION,
            ReconcileKind::HelmRelease => return KindId::HELM_RELEASE,
            ReconcileKind::GitRepository => return KindId::GIT_REPOSITORY,
            ReconcileKind::Terraform => return KindId::TERRAFORM,
            ReconcileKind::OCIRepository => ("source.toolkit.fluxcd.io", "OCIRepository"),
            ReconcileKind::HelmRepository => ("source.toolkit.fluxcd.io", "HelmRepository"),
            ReconcileKind::HelmChart => ("source.toolkit.fluxcd.io", "HelmChart"),
            ReconcileKind::Bucket => ("source.toolkit.fluxcd.io", "Bucket"),
        };
        find(group, kind)
    }
}

/// Kinds `pause` / `unpause` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PauseKind {
    /// A Cluster (`spec.paused`: the cluster and everything in it).
    Cluster,
    /// A MachineDeployment's rollout (`spec.paused`).
    #[value(name = "machinedeployment", alias = "md")]
    MachineDeployment,
    /// A Crossplane claim, composite or managed resource (`crossplane.io/paused: "true"`), named
    /// `TYPE/[NAMESPACE/]NAME` with TYPE its kind or plural, alone or with `.group`.
    Crossplane,
}

/// Kinds `scale` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScaleKind {
    #[value(name = "machinedeployment", alias = "md")]
    MachineDeployment,
    #[value(name = "kubeadmcontrolplane", alias = "kcp")]
    KubeadmControlPlane,
}

/// Kinds `approve` / `replan` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TerraformKind {
    #[value(alias = "tf")]
    Terraform,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Progress and a result line.
    Text,
    /// The outcome as JSON on stdout (README: "Action JSON").
    Json,
}

/// What every action takes.
#[derive(Debug, Args)]
pub struct Common {
    /// `NAMESPACE/NAME` of the object.
    pub object: String,
    /// Seconds to follow the controller after the change.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub timeout: u64,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// `reconcile|suspend|resume KIND NS/NAME`.
#[derive(Debug, Args)]
pub struct FluxArgs {
    /// The kind (flux's names: kustomization/ks, helmrelease/hr, gitrepository, ..., terraform/tf).
    #[arg(value_enum)]
    pub kind: ReconcileKind,
    #[command(flatten)]
    pub common: Common,
    /// HelmRelease: force a one-off install or upgrade (`reconcile.fluxcd.io/forceAt`).
    #[arg(long)]
    pub force: bool,
    /// HelmRelease: reset the remediation failure counters (`reconcile.fluxcd.io/resetAt`).
    #[arg(long)]
    pub reset: bool,
}

/// `approve|replan terraform NS/NAME`.
#[derive(Debug, Args)]
pub struct TerraformArgs {
    #[arg(value_enum)]
    pub kind: TerraformKind,
    #[command(flatten)]
    pub common: Common,
    /// approve: patch the live object instead of committing to the GitOps repository.
    #[arg(long)]
    pub live: bool,
    /// approve: the local clone of the GitOps repository holding the object's manifest (default: config
    /// `git.repository`).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// approve: branch to start from (default: config `git.base_branch`, else the remote's default branch).
    #[arg(long, value_name = "BRANCH")]
    pub base: Option<String>,
    /// approve: push the branch after committing (never forced).
    #[arg(long)]
    pub push: bool,
}

/// `pause|unpause cluster|machinedeployment NS/NAME`.
#[derive(Debug, Args)]
pub struct PauseArgs {
    #[arg(value_enum)]
    pub kind: PauseKind,
    #[command(flatten)]
    pub common: Common,
}

/// `scale machinedeployment|kubeadmcontrolplane NS/NAME --replicas N`.
#[derive(Debug, Args)]
pub struct ScaleArgs {
    #[arg(value_enum)]
    pub kind: ScaleKind,
    #[command(flatten)]
    pub common: Common,
    /// Desired replicas.
    #[arg(long)]
    pub replicas: i64,
}

/// `rollout restart machinedeployment|kubeadmcontrolplane NS/NAME`.
#[derive(Debug, Args)]
pub struct ScaleKindArgs {
    #[arg(value_enum)]
    pub kind: ScaleKind,
    #[command(flatten)]
    pub common: Common,
}

/// `plan terraform NS/NAME`: the readable plan tofu-controller stored.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[arg(value_enum)]
    pub kind: TerraformKind,
    /// `NAMESPACE/NAME` of the Terraform object.
    pub object: String,
}

/// `kubeconfig cluster NS/NAME [--file F]`.
#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    /// Only `cluster`: a CAPI Cluster in the management context (`--context`).
    #[arg(value_parser = ["cluster"])]
    pub kind: String,
    /// `NAMESPACE/NAME` of the Cluster.
    pub object: String,
    /// Where to write it (mode 0600); default `./<cluster>.kubeconfig`.
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// The JSON printed by `-o json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome<'a> {
    /// The request.
    #[serde(flatten)]
    pub request: &'a Request,
    /// `ok`, `refused`, `failed` or `timeout`.
    pub result: &'a str,
    /// What happened.
    pub message: String,
    /// The value written, if any (requestedAt time, approved plan id, replicas).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
}

fn find(group: &str, kind: &str) -> KindId {
    KindId::find(group, kind).unwrap_or_else(|| panic!("{group}/{kind} is in the catalogue"))
}

fn split(object: &str) -> Result<(String, String)> {
    Ok(parse_namespaced(object).map_err(UsageError)?)
}

/// `reconcile`, `suspend`, `resume`.
pub fn flux(verb: &str, args: &FluxArgs, global: &GlobalArgs) -> Result<()> {
    if (args.force || args.reset) && (verb != "reconcile" || args.kind != ReconcileKind::HelmRelease) {
        return Err(UsageError("--force and --reset apply to `reconcile helmrelease` only".into()).into());
    }
    let verb = match verb {
        "reconcile" => Verb::Reconcile { force: args.force, reset: args.reset },
        "suspend" => Verb::Suspend,
        _ => Verb::Resume,
    };
    act(global, args.kind.kind(), verb, &args.common)
}

/// `approve --live` (patches the Terraform object) and `replan`. `approve` without `--live` is the GitOps
/// approval, `approve.rs`, which `cli/mod.rs` calls directly.
pub fn terraform(verb: &str, args: &TerraformArgs, global: &GlobalArgs) -> Result<()> {
    let kind = find("infra.contrib.fluxcd.io", "Terraform");
    if verb == "replan" {
        if args.live || args.repo.is_some() || args.push {
            return Err(UsageError("--live, --repo and --push apply to `approve` only".into()).into());
        }
        return act(global, kind, Verb::Replan, &args.common);
    }
    act(global, kind, Verb::Approve, &args.common)
}

/// `pause`, `unpause`.
pub fn pause(pause: bool, args: &PauseArgs, global: &GlobalArgs) -> Result<()> {
    let verb = if pause { Verb::Pause } else { Verb::Unpause };
    match args.kind {
        PauseKind::Cluster => act(global, KindId::CLUSTER, verb, &args.common),
        PauseKind::MachineDeployment => act(global, KindId::MACHINE_DEPLOYMENT, verb, &args.common),
        PauseKind::Crossplane => act_typed(global, verb, &args.common),
    }
}

/// `scale`.
pub fn scale(args: &ScaleArgs, global: &GlobalArgs) -> Result<()> {
    let kind = match args.kind {
        ScaleKind::MachineDeployment => KindId::MACHINE_DEPLOYMENT,
        ScaleKind::KubeadmControlPlane => KindId::KUBEADM_CONTROL_PLANE,
    };
    act(global, kind, Verb::Scale { replicas: args.replicas }, &args.common)
}

/// `rollout restart machinedeployment|kubeadmcontrolplane NS/NAME`: `spec.rollout.after: <now>`, as
/// `clusterctl alpha rollout restart`.
pub fn restart(args: &ScaleKindArgs, global: &GlobalArgs) -> Result<()> {
    let kind = match args.kind {
        ScaleKind::MachineDeployment => KindId::MACHINE_DEPLOYMENT,
        ScaleKind::KubeadmControlPlane => KindId::KUBEADM_CONTROL_PLANE,
    };
    act(global, kind, Verb::Restart, &args.common)
}

/// The context acted on: the first `--context`, else the kubeconfig's current context.
pub fn context_of(global: &GlobalArgs, kc: &fleet::kubeconfig::LoadedKubeconfig) -> Result<String> {
    if global.context.len() > 1 {
        return Err(UsageError("actions take one --context".into()).into());
    }
    match global.context.first() {
        Some(c) => Ok(c.clone()),
        None => kc
            .config
            .current_context
            .clone()
            .ok_or_else(|| UsageError("no --context and no current-context".into()).into()),
    }
}

fn act(global: &GlobalArgs, kind: KindId, verb: Verb, common: &Common) -> Result<()> {
    let (namespace, name) = split(&common.object)?;
    act_on(global, Kind::Known(kind), namespace, name, verb, common)
}

/// [`act`] on a Crossplane object named `TYPE/[NAMESPACE/]NAME`, its kind found through discovery.
fn act_typed(global: &GlobalArgs, verb: Verb, common: &Common) -> Result<()> {
    let (type_, namespace, name) = parse_typed(&common.object).map_err(UsageError)?;
    act_on(global, Kind::Crossplane(type_), namespace, name, verb, common)
}

/// The kind an action addresses: catalogued, or a Crossplane TYPE found on the server.
enum Kind {
    Known(KindId),
    Crossplane(String),
}

fn act_on(global: &GlobalArgs, kind: Kind, namespace: String, name: String, verb: Verb, common: &Common) -> Result<()> {
    let paths = Paths::discover()?;
    let loaded = config::load(&paths, &super::config::load_options(global))?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = context_of(global, &kc)?;
    let journal = Journal::in_dir(&paths.state_dir);
    let readonly = ops::readonly_reason(&loaded.config, global.readonly, &context);
    let opts = global.fleet_options();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let clients = Clients::new(kc.config.clone(), opts);
    let (kind, version) = match kind {
        Kind::Known(k) => (k, None),
        Kind::Crossplane(t) => {
            let found = rt.block_on(async { ops::clients::crossplane_kind(&clients.get(&context).await?, &t).await });
            let (k, v) = found.map_err(|e| UsageError(format!("{t}: {e}")))?;
            (k, Some(v))
        }
    };
    let namespace = if kind.spec().namespaced { namespace } else { String::new() };
    let req = Request { target: ObjectRef { context: context.clone(), kind, namespace, name }, verb };
    let result = rt.block_on(async {
        let client = clients.get(&context).await?;
        let runner = Runner { client, readonly, version, timeout: Duration::from_secs(common.timeout) };
        let quiet = common.output == Output::Json && !std::io::stderr().is_terminal();
        let mut progress = |line: &str| {
            if !quiet {
                eprintln!("{line}");
            }
        };
        ops::run(&runner, &req, &mut progress).await
    });
    warn_if_unrecorded(journal.record(&req, &result, ""));
    report(&req, result, common.output)
}

/// Says on stderr that the journal could not be written (the action stands).
pub fn warn_if_unrecorded(warning: Option<String>) {
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
}

/// Prints the result (text or JSON) and maps it to the exit code.
pub fn report(req: &Request, result: Result<Done, OpError>, output: Output) -> Result<()> {
    let (word, message, written) = match &result {
        Ok(d) => ("ok", d.message.clone(), d.written.clone()),
        Err(e) => (e.result_word(), e.to_string(), None),
    };
    if output == Output::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Outcome { request: req, result: word, message: message.clone(), written })?
        );
    }
    match result {
        Ok(_) => {
            if output == Output::Text {
                println!("✔ {} {}/{}: {message}", req.target.kind.spec().kind, req.target.namespace, req.target.name);
            }
            Ok(())
        }
        Err(e @ OpError::Refused { .. }) => Err(Exit(3, e.to_string()).into()),
        Err(e @ OpError::TimedOut(_)) => Err(Exit(4, e.to_string()).into()),
        Err(e @ OpError::Failed(_)) => Err(Exit(1, e.to_string()).into()),
    }
}

/// `kubeconfig cluster NS/NAME`: writes the workload cluster's kubeconfig (mode 0600) and says how to use it.
pub fn kubeconfig(args: &KubeconfigArgs, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = split(&args.object)?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = context_of(global, &kc)?;
    let file =
        args.file.clone().unwrap_or_else(|| ops::capi::default_kubeconfig_path(std::path::Path::new("."), &name));
    let opts = global.fleet_options();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let contexts = rt.block_on(async {
        let client = Clients::new(kc.config.clone(), opts).get(&context).await?;
        ops::capi::write_kubeconfig(&client, &namespace, &name, &file, args.force).await
    });
    match contexts {
        Ok(contexts) => {
            println!("✔ wrote the kubeconfig of Cluster {namespace}/{name} to {} (mode 0600)", file.display());
            println!("  contexts: {}", contexts.join(", "));
            println!("  use it:   export KUBECONFIG={}:$KUBECONFIG", file.display());
            Ok(())
        }
        Err(e @ OpError::Refused { .. }) => Err(Exit(3, e.to_string()).into()),
        Err(e) => Err(Exit(1, e.to_string()).into()),
    }
}

/// `plan terraform NS/NAME`: prints the human-readable plan (`spec.storeReadablePlan: human`), like `tfctl show
/// plan`; exit 3 with the reason when none is stored (or only as JSON in a Secret, which is never shown).
pub fn show_plan(args: &PlanArgs, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = split(&args.object)?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = context_of(global, &kc)?;
    let kind = find(ops::terraform::GROUP, "Terraform");
    let opts = global.fleet_options();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result: Result<Result<String, String>, OpError> = rt.block_on(async {
        let client = Clients::new(kc.config.clone(), opts).get(&context).await?;
        let version = ops::clients::served_version(&client, kind).await?;
        let ar = fleet::watch::api_resource(kind, &version);
        let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(client.clone(), &namespace, &ar);
        let obj = match api.get_opt(&name).await {
            Ok(Some(o)) => o,
            Ok(None) => {
                return Err(OpError::refused(
                    ops::RefusalKind::NotFound,
                    format!("Terraform {namespace}/{name} not found in {context}"),
                ));
            }
            Err(e) => return Err(OpError::Failed(fleet::describe(&e))),
        };
        let pending = ops::terraform::pending_plan(&obj).ok();
        let plan = ops::terraform::readable_plan(&client, &obj).await.map_err(OpError::Failed)?;
        Ok(plan.map(|p| {
            let s = fleetdeck::model::plan_summary::summarize(&p);
            let mut head = match pending {
                Some(id) => format!("# pending plan {id} of Terraform {namespace}/{name} in {context}\n"),
                None => String::new(),
            };
            head.push_str(&format!(
                "# summary: {}{}\n",
                s.counts_text(),
                if s.drift { ", drift detected" } else { "" }
            ));
            for (c, address) in &s.resources {
                head.push_str(&format!("# {:>3} {address}\n", c.symbol()));
            }
            format!("{head}{p}")
        }))
    });
    match result {
        Ok(Ok(text)) => {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(())
        }
        Ok(Err(why)) => Err(Exit(3, why).into()),
        Err(e @ OpError::Refused { .. }) => Err(Exit(3, e.to_string()).into()),
        Err(e) => Err(Exit(1, e.to_string()).into()),
    }
}
