//! `fleetdeck cluster create|bootstrap|delete`: the cluster wizards headless. Each writes one commit on a
//! branch of its own in the GitOps repository (never in the user's working tree) and pushes it with
//! `--push`; see [`fleetdeck::gitops`].
//!
//! Templates for `create` are looked up in every kubeconfig context that serves the template kinds
//! (`--context` to pick) and in the repository's `templates/` folder; `--template FILE` reads a local file.
use std::path::Path;

use anyhow::Result;
use clap::{Args, Subcommand};

use fleetdeck::gitops::catalog;
use fleetdeck::gitops::create::{self, CreateRequest};
use fleetdeck::gitops::policy::Policy;
use fleetdeck::gitops::template::{DEFAULT_CAPI_REPOSITORY_PATH, RenderError, Template, TemplateSource};
use fleetdeck::gitops::{Plan, Repo};

use super::gitops_common::{self as common, RepoArgs};
use super::{GlobalArgs, UsageError};

/// `fleetdeck cluster` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClusterCmd {
    /// Render a cluster template and commit it on branch fleetdeck/create-<name>.
    Create(CreateArgs),
    /// Commit the GitOps bootstrap of a cluster (Flux in the cluster, or synced from the management cluster).
    Bootstrap(super::cluster_lifecycle::BootstrapArgs),
    /// Commit the removal of a cluster's files (Flux prunes, Cluster API deletes).
    Delete(super::cluster_lifecycle::DeleteArgs),
}

/// `fleetdeck cluster create` arguments.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The template: NAMESPACE/NAME of a GitOpsTemplate, CAPITemplate or ClusterClass (in a cluster, or in
    /// the repository's templates/ folder), or a local template FILE.
    #[arg(long, value_name = "NS/NAME|FILE")]
    pub template: String,
    /// A parameter value (repeatable).
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// Folder of the management cluster's cluster manifests (WGE's capiRepositoryPath).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_CAPI_REPOSITORY_PATH)]
    pub capi_path: String,
    /// Print the plan (files and diffs against the base) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub repo: RepoArgs,
}

pub fn run(cmd: &ClusterCmd, global: &GlobalArgs) -> Result<()> {
    match cmd {
        ClusterCmd::Create(args) => create(args, global),
        ClusterCmd::Bootstrap(args) => super::cluster_lifecycle::bootstrap(args, global),
        ClusterCmd::Delete(args) => super::cluster_lifecycle::delete(args, global),
    }
}

/// The template named by `--template`, and the profile HelmRepositories of the context it came from (or
/// of every reachable context).
async fn find_template(
    spec: &str,
    repo: &Repo,
    base: &str,
    global: &GlobalArgs,
) -> Result<(Template, Vec<serde_json::Value>, Vec<String>)> {
    let timeout = common::request_timeout(global);
    let mut problems = Vec::new();
    let mut found: Vec<Template> = Vec::new();
    let local = Path::new(spec);
    let from_file = local.is_file();
    if from_file {
        let all = catalog::templates_in_file(local).map_err(|e| UsageError(format!("{e:#}")))?;
        match all.len() {
            1 => found = all,
            _ => {
                let ids: Vec<String> = all.iter().map(Template::id).collect();
                return Err(UsageError(format!(
                    "{spec} holds several templates ({}); name one as NS/NAME",
                    ids.join(", ")
                ))
                .into());
            }
        }
    }
    // Without a usable kubeconfig, repository and file templates still work.
    let clients = common::clients(global).await.unwrap_or_else(|e| {
        problems.push(format!("{e:#}"));
        Vec::new()
    });
    if !from_file {
        for (context, client) in &clients {
            match client {
                Err(e) => problems.push(e.clone()),
                Ok(c) => match catalog::templates_in_cluster(c, context, timeout).await {
                    Ok((ts, p)) => {
                        problems.extend(p);
                        found.extend(ts.into_iter().filter(|t| t.id() == spec));
                    }
                    Err(e) => problems.push(e),
                },
            }
        }
        let (ts, p) = catalog::templates_in_repo(repo, base)?;
        problems.extend(p);
        found.extend(ts.into_iter().filter(|t| t.id() == spec));
    }
    let Some(first) = found.first().cloned() else {
        let why = if problems.is_empty() { String::new() } else { format!(" ({})", problems.join("; ")) };
        return Err(UsageError(format!(
            "template {spec} not found in any context nor in {}/ of the repository{why}",
            catalog::TEMPLATES_DIR
        ))
        .into());
    };
    let differing: Vec<String> = found
        .iter()
        .filter(|t| **t != Template { source: t.source.clone(), ..first.clone() })
        .map(source_name)
        .collect();
    if !differing.is_empty() {
        let all: Vec<String> = found.iter().map(source_name).collect();
        return Err(UsageError(format!(
            "template {spec} differs between {}; pick one with --context (or --template FILE)",
            all.join(", ")
        ))
        .into());
    }
    let mut repos = Vec::new();
    let from_context = match &first.source {
        TemplateSource::Cluster { context } => Some(context.clone()),
        _ => None,
    };
    for (context, client) in &clients {
        if from_context.as_ref().is_some_and(|c| c != context) || !repos.is_empty() {
            continue;
        }
        if let Ok(c) = client
            && let Ok(r) = catalog::profile_repositories(c, context, timeout).await
        {
            repos = r;
        }
    }
    Ok((first, repos, problems))
}

fn source_name(t: &Template) -> String {
    match &t.source {
        TemplateSource::Cluster { context } => format!("context {context}"),
        TemplateSource::Repository { path } => format!("repository file {path}"),
        TemplateSource::File { path } => format!("file {path}"),
    }
}

fn create(args: &CreateArgs, global: &GlobalArgs) -> Result<()> {
    let values = common::parse_pairs("--param", &args.params)?;
    let opened = common::open(&args.repo, global)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (template, repos, _problems) =
        rt.block_on(find_template(&args.template, &opened.repo, &opened.base.commit, global))?;
    let mut notes = Vec::new();
    if repos.len() > 1 {
        let names: Vec<String> = repos.iter().map(fleetdeck::gitops::yaml::describe).collect();
        notes.push(format!("several profile HelmRepositories ({}); using the first", names.join(", ")));
    }
    let req = CreateRequest {
        template: &template,
        values,
        capi_path: args.capi_path.clone(),
        profile_repository: repos.first().cloned(),
        extra_profiles: Vec::new(),
    };
    let created = create::render(&req).map_err(|e| match e {
        RenderError::Params(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| format!("  {}: {}", e.param, e.message)).collect();
            anyhow::Error::from(UsageError(format!("template {} parameters:\n{}", template.id(), lines.join("\n"))))
        }
        other => UsageError(other.to_string()).into(),
    })?;
    notes.extend(created.notes.clone());
    let config_dir = fleetdeck::config::Paths::discover().ok().map(|p| p.config_dir);
    let policy = Policy::for_write(&opened.repo, &opened.base.commit, config_dir.as_deref())
        .map_err(|e| UsageError(format!("{e:#}")))?;
    let violations = create::check_policy(&policy, &created);
    if !violations.is_empty() {
        return Err(common::policy_error(&violations));
    }
    let plan = Plan::new(&opened.repo, &opened.base, &created.branch, &created.message, &created.changes())?;
    if args.dry_run {
        for f in &plan.files {
            print!("{}", f.diff);
        }
        for w in &plan.warnings {
            eprintln!("warning: {w}");
        }
        return Ok(());
    }
    notes.extend(plan.warnings.iter().map(|w| format!("warning: {w}")));
    let applied = common::write(&opened, &plan, &mut notes)?;
    let (ns, name) = (&created.rendered.cluster_namespace, &created.rendered.cluster_name);
    let out = common::outcome("create", (ns, name), &opened, &plan, &applied, notes)?;
    common::print(&out, args.repo.output)
}
