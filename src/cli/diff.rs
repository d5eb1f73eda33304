//! `fleetdeck diff kustomization NS/NAME`: drift from git, object by object, with `flux diff kustomization`'s
//! semantics and exit codes (0 no drift, 1 drift, 2 an error or an object that could not be judged). The
//! manifests come from `--path DIR`, or from the GitOps repository (`--repo`, else config.yaml's
//! `git.repository`) at the Kustomization's applied revision; see `ops/diff.rs` and
//! `gitops/kustomize_build.rs`.
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet;
use fleetdeck::model::drift::Verdict;
use fleetdeck::model::object_ref::parse_namespaced;
use fleetdeck::ops::clients::Clients;
use fleetdeck::ops::diff::{DiffError, DiffReport, DiffRequest, DiffSource, run};

use super::act::context_of;
use super::{Exit, GlobalArgs, UsageError};

/// What can be diffed.
#[derive(Debug, Subcommand)]
pub enum DiffCmd {
    /// A Flux Kustomization: what applying its manifests from git would change (as `flux diff kustomization`).
    Kustomization(DiffArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffOutput {
    /// One line per object, unified diffs under drifted ones, a summary.
    Text,
    /// The report as one JSON object (README: "Drift diff").
    Json,
}

/// `diff kustomization` options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The Kustomization, `NAMESPACE/NAME`.
    #[arg(value_name = "NAMESPACE/NAME")]
    pub object: String,
    /// A local folder holding what `spec.path` points to (instead of the repository at the applied revision).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["repo", "revision"])]
    pub path: Option<PathBuf>,
    /// Local clone of the GitOps repository (default: `git.repository` in config.yaml). Only read.
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Revision to read instead of `status.lastAppliedRevision` (`main@sha1:<hex>` or a commit id).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// The kustomize binary (default: `kustomize` on PATH, else `kubectl kustomize`).
    #[arg(long, value_name = "BIN")]
    pub kustomize: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = DiffOutput::Text)]
    pub output: DiffOutput,
}

pub fn run_cmd(cmd: &DiffCmd, global: &GlobalArgs) -> Result<()> {
    let DiffCmd::Kustomization(args) = cmd;
    let (namespace, name) = parse_namespaced(&args.object).map_err(UsageError)?;
    let paths = Paths::discover()?;
    let git = config::load(&paths, &super::config::load_options(global))?.config.git;
    let source = match &args.path {
        Some(dir) => DiffSource::Path(dir.clone()),
        None => DiffSource::Repo {
            path: args.repo.clone().or_else(|| git.repository.clone()).ok_or_else(|| {
                UsageError(
                    "no repository: give --repo PATH or --path DIR (or set git.repository in config.yaml)".into(),
                )
            })?,
            remote: git.remote.clone(),
            revision: args.revision.clone(),
        },
    };
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = context_of(global, &kc)?;
    let req = DiffRequest { namespace, name, source, kustomize: args.kustomize.clone() };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let report = rt.block_on(async {
        let clients = Clients::new(kc.config.clone(), global.fleet_options());
        run(&clients, &context, &req).await.map_err(|e| match e {
            DiffError::NotFound { .. } | DiffError::Revision(_) | DiffError::Build(_) => Exit(2, e.to_string()).into(),
            other => anyhow::Error::from(other),
        })
    })?;
    match args.output {
        DiffOutput::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        DiffOutput::Text => print!("{}", text(&report)),
    }
    let c = report.counts;
    if c.failed > 0 {
        return Err(Exit(2, format!("{} object(s) could not be judged", c.failed)).into());
    }
    if c.drift() > 0 {
        return Err(Exit(1, format!("drift: {}", c.summary())).into());
    }
    Ok(())
}

/// The text report: `► Kind/ns/name <verdict>` per object (flux's words), the masked diff under drifted
/// ones, then `<source>: <counts>`.
fn text(report: &DiffReport) -> String {
    let mut out = String::new();
    for e in &report.entries {
        let id = e.id();
        match &e.verdict {
            Verdict::Skipped { reason } => out.push_str(&format!("► {id} skipped ({reason})\n")),
            Verdict::Failed { error } => out.push_str(&format!("✗ {id} failed: {error}\n")),
            v => out.push_str(&format!("► {id} {}\n", v.word())),
        }
        if let Verdict::Drifted { diff } = &e.verdict {
            for line in diff.lines() {
                out.push_str("    ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.push_str(&format!(
        "Kustomization {} against {} ({}): {}\n",
        report.kustomization,
        report.source,
        report.built_with,
        report.counts.summary()
    ));
    out
}
