//! Command-line surface: one file per subcommand, each thin (parse, call the library, print).
//!
//! Exit codes (DESIGN.md): 0 success, 1 the operation failed, 2 bad usage or input. Every failure prints
//! one clear line (or a short block) on stderr.
mod act;
mod approve;
mod claim;
mod cluster;
mod cluster_lifecycle;
mod cockpit;
mod config;
mod contexts;
mod demo;
mod diff;
mod envtest;
mod get;
mod gitops_common;
mod health_check;
mod profile;
mod pulse;
mod rollout;
mod snapshot;
mod table;
mod tree;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use fleetdeck::fleet::FleetOptions;

/// fleetdeck: every cluster of every kubeconfig context, live — Cluster API, Flux and Terraform.
#[derive(Debug, Parser)]
#[command(name = "fleetdeck", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The cockpit's GitOps repository for its wizards (a local clone; default: `git.repository` in
    /// config.yaml). Subcommands take their own `--repo`.
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options every subcommand understands.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Kubeconfig file to use instead of $KUBECONFIG / ~/.kube/config.
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Only this context (repeatable); default: every context of the kubeconfig.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Vec<String>,
    /// Seconds a cluster may take to answer before it is marked Unreachable.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 3)]
    pub connect_timeout: u64,
    /// A config.yaml to use instead of the one in the config directory (a bad file is an error).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Theme by name (a shipped one, or <config dir>/themes/NAME.yaml).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// A theme file to use (a bad file is an error).
    #[arg(long, global = true, value_name = "FILE")]
    pub theme_file: Option<PathBuf>,
    /// Keymap by name (a shipped one, or <config dir>/keymaps/NAME.yaml).
    #[arg(long, global = true, value_name = "NAME")]
    pub keymap: Option<String>,
    /// A keymap file to use (a bad file is an error).
    #[arg(long, global = true, value_name = "FILE")]
    pub keymap_file: Option<PathBuf>,
    /// Refuse every mutation (actions, approvals); the cockpit says so in its header.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Also watch this kind wherever it is served, though no composite references it (repeatable):
    /// `plural.group` or `Kind.group`, e.g. `buckets.s3.aws.upbound.io` (a Crossplane managed resource kind).
    #[arg(long, global = true, value_name = "PLURAL.GROUP")]
    pub watch_kind: Vec<String>,
}

impl GlobalArgs {
    /// The fleet options every subcommand connects with: `--connect-timeout`, and the initial state streamed
    /// where servers support it unless `FLEETDECK_STREAMING_LISTS=0` asks for lists (to compare the two paths,
    /// or to step around a server whose WatchList misbehaves).
    pub fn fleet_options(&self) -> FleetOptions {
        FleetOptions {
            connect_timeout: Duration::from_secs(self.connect_timeout),
            streaming_lists: std::env::var("FLEETDECK_STREAMING_LISTS").map_or(true, |v| v != "0"),
            watch_kinds: self.watch_kind.clone(),
            profile_providers: self.profile_providers(),
            ..FleetOptions::default()
        }
    }

    /// The ClusterProfile credential providers of `config.yaml` (`cluster_profile_providers`). A malformed
    /// entry is named on stderr and skipped; an unreadable configuration gives none (the commands that read
    /// the configuration report it themselves).
    /// Read once per process (the cockpit asks for fleet options more than once).
    fn profile_providers(&self) -> Vec<fleetdeck::fleet::profiles::ProfileProvider> {
        static PROVIDERS: std::sync::OnceLock<Vec<fleetdeck::fleet::profiles::ProfileProvider>> =
            std::sync::OnceLock::new();
        PROVIDERS
            .get_or_init(|| {
                let Ok(paths) = fleetdeck::config::Paths::discover() else { return Vec::new() };
                let Ok(loaded) = fleetdeck::config::load(&paths, &config::load_options(self)) else {
                    return Vec::new();
                };
                let entries = loaded.config.cluster_profile_providers;
                entries
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, v)| match serde_json::from_value(v) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            eprintln!("fleetdeck: config.yaml cluster_profile_providers[{i}] is skipped: {e}");
                            None
                        }
                    })
                    .collect()
            })
            .clone()
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print a reconciliation tree: `clusterctl describe cluster` for CAPI, `flux tree` for Flux and Terraform.
    Tree(tree::TreeArgs),
    /// Drift from git: what applying a Kustomization's manifests would change, object by object.
    Diff {
        #[command(subcommand)]
        cmd: diff::DiffCmd,
    },
    /// What just went wrong across every context, newest first: Warning Events and health transitions.
    Pulse(pulse::PulseArgs),
    /// A HelmRelease's Helm releases, failures, last attempt and values; a Kustomization's reconciliations; a
    /// MachineHealthCheck's remediation (healthy / expected, blocked or not, its unhealthy Machines).
    Get(get::GetArgs),
    /// A Cluster API rollout: `status` (rolling out, how far) or `history` (MachineSets by revision).
    Rollout {
        #[command(subcommand)]
        cmd: rollout::RolloutCmd,
    },
    /// Render one frame of the cockpit as text, after the initial sync.
    Snapshot(snapshot::SnapshotArgs),
    /// Summarise every context: state, version, nodes, CAPI clusters, Flux and Terraform health.
    Contexts(contexts::ContextsArgs),
    /// Flux / Terraform: request a reconciliation and follow it until Ready is evaluated.
    Reconcile(act::FluxArgs),
    /// Flux / Terraform: suspend reconciliation (`spec.suspend: true`).
    Suspend(act::FluxArgs),
    /// Flux / Terraform: resume reconciliation and follow it.
    Resume(act::FluxArgs),
    /// Terraform: approve the pending plan (in the GitOps repository; `--live` patches the object).
    Approve(act::TerraformArgs),
    /// Terraform: discard the pending plan and plan again (as `tfctl replan`).
    Replan(act::TerraformArgs),
    /// Terraform: print the readable plan tofu-controller stored (as `tfctl show plan`).
    Plan(act::PlanArgs),
    /// Cluster API: pause a Cluster, or a MachineDeployment's rollout.
    Pause(act::PauseArgs),
    /// Cluster API: unpause a Cluster, or resume a MachineDeployment's rollout.
    Unpause(act::PauseArgs),
    /// Cluster API: scale a MachineDeployment or KubeadmControlPlane.
    Scale(act::ScaleArgs),
    /// Cluster API: write a workload cluster's kubeconfig to a file (mode 0600).
    Kubeconfig(act::KubeconfigArgs),
    /// Show where fleetdeck keeps its files, and check the configuration, themes and keymaps.
    Config {
        #[command(subcommand)]
        cmd: config::ConfigCmd,
    },
    /// A living local fleet on real API servers: Cluster API, Flux and Terraform objects moved by
    /// simulated controllers.
    Demo(demo::DemoArgs),
    /// Cluster wizards in git: create from a template, bootstrap, delete (one reviewed commit each).
    Cluster {
        #[command(subcommand)]
        cmd: cluster::ClusterCmd,
    },
    /// Crossplane claims in git: create one from an XRD's schema (one reviewed commit).
    Claim {
        #[command(subcommand)]
        cmd: claim::ClaimCmd,
    },
    /// Helm chart profiles of a cluster, in git.
    Profile {
        #[command(subcommand)]
        cmd: profile::ProfileCmd,
    },
    /// The real etcd + kube-apiserver binaries used by the tests and the demo fleet.
    Envtest {
        #[command(subcommand)]
        cmd: envtest::EnvtestCmd,
    },
}

/// An error with its own exit code (actions: 3 refused, 4 timed out; see `act.rs`).
#[derive(Debug, thiserror::Error)]
#[error("{1}")]
pub struct Exit(pub u8, pub String);

/// An error that maps to an exit code: usage and input errors exit 2, the rest 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub fn main() -> ExitCode {
    fleetdeck::ui::app::mark_start();
    let cli = Cli::parse();
    let _log = fleetdeck::config::Paths::discover().ok().and_then(|p| fleetdeck::logging::init(&p.state_dir).ok());
    let result = match &cli.command {
        Some(_) if cli.repo.is_some() => Err(UsageError(
            "--repo before the subcommand is the cockpit's; give it after the subcommand (e.g. fleetdeck cluster create --repo PATH)"
                .into(),
        )
        .into()),
        Some(Command::Cluster { cmd }) => cluster::run(cmd, &cli.global),
        Some(Command::Profile { cmd }) => profile::run(cmd, &cli.global),
        Some(Command::Claim { cmd }) => claim::run(cmd, &cli.global),
        Some(Command::Config { cmd }) => config::run(cmd, &cli.global),
        Some(Command::Contexts(args)) => contexts::run(args, &cli.global),
        Some(Command::Demo(args)) => demo::run(args, &cli.global),
        Some(Command::Envtest { cmd }) => envtest::run(cmd),
        Some(Command::Snapshot(args)) => snapshot::run(args, &cli.global),
        Some(Command::Tree(args)) => tree::run(args, &cli.global),
        Some(Command::Diff { cmd }) => diff::run_cmd(cmd, &cli.global),
        Some(Command::Pulse(args)) => pulse::run(args, &cli.global),
        Some(Command::Get(args)) => get::run(args, &cli.global),
        Some(Command::Rollout { cmd }) => rollout::run(cmd, &cli.global),
        Some(Command::Reconcile(args)) => act::flux("reconcile", args, &cli.global),
        Some(Command::Suspend(args)) => act::flux("suspend", args, &cli.global),
        Some(Command::Resume(args)) => act::flux("resume", args, &cli.global),
        Some(Command::Approve(args)) if args.live => act::terraform("approve", args, &cli.global),
        Some(Command::Approve(args)) => approve::in_git(args, &cli.global),
        Some(Command::Replan(args)) => act::terraform("replan", args, &cli.global),
        Some(Command::Plan(args)) => act::show_plan(args, &cli.global),
        Some(Command::Pause(args)) => act::pause(true, args, &cli.global),
        Some(Command::Unpause(args)) => act::pause(false, args, &cli.global),
        Some(Command::Scale(args)) => act::scale(args, &cli.global),
        Some(Command::Kubeconfig(args)) => act::kubeconfig(args, &cli.global),
        None => cockpit::run(&cli.global, cli.repo.as_deref(), None, None),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("fleetdeck: {e:#}");
            if let Some(Exit(code, _)) = e.downcast_ref::<Exit>() {
                return ExitCode::from(*code);
            }
            let usage = e.chain().any(|c| c.is::<UsageError>() || c.is::<fleetdeck::config::ConfigError>());
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}
