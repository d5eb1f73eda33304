//! What the GitOps commands (`cluster create|bootstrap|delete`, `profile add`) share: the repository
//! options, connecting to the kubeconfig's contexts, and the result they print (text, or `-o json` as
//! documented in the README, "GitOps wizards").
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet::connection::{ConnectError, Target, client_for};
use fleetdeck::fleet::kubeconfig;
use fleetdeck::gitops::configured::open_configured;
use fleetdeck::gitops::lifecycle::PlanError;
use fleetdeck::gitops::policy::Violation;
use fleetdeck::gitops::review::review_hint;
use fleetdeck::gitops::{Applied, Base, FileAction, Plan, Repo, RepoError};

use super::{GlobalArgs, UsageError};

/// Output formats of the GitOps commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GitopsOutput {
    /// Lines for people.
    Text,
    /// One JSON object (README: "GitOps wizards").
    Json,
}

/// Where to commit.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// Local clone of the GitOps repository (default: `git.repository` in config.yaml). Its working tree,
    /// index and checked-out branch are never touched.
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Branch to start from (default: `git.base_branch` in config.yaml, else the remote's default branch).
    #[arg(long, value_name = "BRANCH")]
    pub base: Option<String>,
    /// Push the branch to the remote after committing (never forced).
    #[arg(long)]
    pub push: bool,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = GitopsOutput::Text)]
    pub output: GitopsOutput,
}

/// The repository, its fetched base and the git settings.
pub struct Opened {
    pub repo: Repo,
    pub base: Base,
    pub push: bool,
}

/// Loads config.yaml's `git` settings, opens the repository and fetches the base branch.
pub fn open(args: &RepoArgs, global: &GlobalArgs) -> Result<Opened> {
    let paths = Paths::discover()?;
    let git = config::load(&paths, &super::config::load_options(global))?.config.git;
    let path =
        args.repo.clone().or_else(|| git.repository.clone()).ok_or_else(|| {
            UsageError("no repository: give --repo PATH (or set git.repository in config.yaml)".into())
        })?;
    let (repo, base) = open_configured(&path, &git, args.base.as_deref()).map_err(usage_if_input)?;
    Ok(Opened { repo, base, push: args.push || git.push })
}

/// A plan that could not be built: the inputs or the repository's files (exit 2), or git (as
/// [`usage_if_input`]).
pub fn plan_error(e: PlanError) -> anyhow::Error {
    match e {
        PlanError::Repo(r) => usage_if_input(r),
        PlanError::Content(m) => UsageError(m).into(),
    }
}

/// Repository errors that are the user's input (a bad base, an existing branch) exit 2; the rest 1.
pub fn usage_if_input(e: RepoError) -> anyhow::Error {
    match e {
        RepoError::NoBase { .. } | RepoError::BadPath(_) | RepoError::NotARepository { .. } => {
            UsageError(e.to_string()).into()
        }
        other => other.into(),
    }
}

/// One client per context (`--context`, else every context of the kubeconfig), connected concurrently;
/// a context that cannot be reached is an `Err` line naming it.
pub async fn clients(global: &GlobalArgs) -> Result<Vec<(String, Result<kube::Client, String>)>> {
    let kc = kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let names = kc.context_names(&global.context).map_err(|e| UsageError(format!("{e:#}")))?;
    let config = kc.config.clone();
    let opts = global.fleet_options();
    let jobs = names.into_iter().map(|name| {
        let target = Target { name: name.clone().into(), kubeconfig: config.clone(), context: name.clone() };
        let opts = opts.clone();
        async move {
            let client = client_for(&target, &opts).await.map(|b| b.client).map_err(|e| match e {
                ConnectError::Unauthorized(m) | ConnectError::Unreachable(m) => format!("context {name}: {m}"),
            });
            (name, client)
        }
    });
    Ok(futures::future::join_all(jobs).await)
}

/// `KEY=VALUE` pairs of a repeatable flag (`--param`, `--set`) as a map; the flag's name is in the error.
pub fn parse_pairs(flag: &str, raw: &[String]) -> Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for kv in raw {
        let (k, v) = kv
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| UsageError(format!("{flag} {kv:?}: expected KEY=VALUE")))?;
        out.insert(k.to_owned(), v.to_owned());
    }
    Ok(out)
}

/// How long one list request may take.
pub fn request_timeout(global: &GlobalArgs) -> Duration {
    Duration::from_secs(global.connect_timeout + 5)
}

/// A policy violation blocks the write: exit 2 with one line per violation.
pub fn policy_error(violations: &[Violation]) -> anyhow::Error {
    let lines: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
    UsageError(format!("policy blocks the write (nothing was written):\n{}", lines.join("\n"))).into()
}

/// A file in the result.
#[derive(Debug, Serialize)]
pub struct FileRow {
    pub path: String,
    pub action: FileAction,
}

/// What every GitOps command prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// `create`, `bootstrap`, `profile`, `delete` or `claim`.
    pub operation: &'static str,
    /// The cluster's name (`claim`: the claim's or XR's).
    pub cluster: String,
    pub namespace: String,
    pub branch: String,
    pub base: String,
    pub base_commit: String,
    pub commit: String,
    pub pushed: bool,
    pub unchanged: bool,
    pub already_in_base: bool,
    pub remote: String,
    pub remote_url: String,
    pub review: String,
    pub files: Vec<FileRow>,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consequences: Vec<String>,
}

/// Commits `plan` on its branch (and pushes when asked), saying in `notes` when the user's working tree has
/// uncommitted changes (left as they are: the commit goes through a separate worktree).
///
/// # Errors
/// As [`usage_if_input`].
pub fn write(opened: &Opened, plan: &Plan, notes: &mut Vec<String>) -> Result<Applied> {
    if opened.repo.is_dirty().unwrap_or(false) {
        notes.push("your working tree has uncommitted changes: left exactly as they are (fleetdeck commits through a separate worktree)".into());
    }
    opened.repo.apply(&opened.base, &plan.branch, &plan.message, &plan.changes(), opened.push).map_err(usage_if_input)
}

/// Builds the outcome of an applied plan.
pub fn outcome(
    op: &'static str,
    cluster: (&str, &str),
    opened: &Opened,
    plan: &Plan,
    applied: &Applied,
    notes: Vec<String>,
) -> Result<Outcome> {
    let remote_url = opened.repo.remote_url().context("reading the remote's URL")?;
    let on_remote =
        applied.pushed || (!applied.already_in_base && remote_has(opened, &applied.branch, &applied.commit));
    let review = if applied.already_in_base {
        format!("nothing to review: {} already has these files", opened.base.branch)
    } else {
        review_hint(&remote_url, &opened.base.branch, &applied.branch, on_remote)
    };
    Ok(Outcome {
        operation: op,
        cluster: cluster.1.to_owned(),
        namespace: cluster.0.to_owned(),
        branch: applied.branch.clone(),
        base: opened.base.branch.clone(),
        base_commit: opened.base.commit.clone(),
        commit: applied.commit.clone(),
        pushed: applied.pushed,
        unchanged: applied.unchanged,
        already_in_base: applied.already_in_base,
        remote: opened.repo.remote.clone(),
        remote_url,
        review,
        files: plan.files.iter().map(|f| FileRow { path: f.path.clone(), action: f.action }).collect(),
        notes,
        consequences: Vec::new(),
    })
}

fn remote_has(opened: &Opened, branch: &str, commit: &str) -> bool {
    fleetdeck::gitops::git::text(&opened.repo.root, ["ls-remote", &opened.repo.remote, &format!("refs/heads/{branch}")])
        .is_ok_and(|out| out.lines().any(|l| l.starts_with(commit)))
}

/// Prints the outcome as text or JSON.
pub fn print(o: &Outcome, output: GitopsOutput) -> Result<()> {
    if output == GitopsOutput::Json {
        println!("{}", serde_json::to_string_pretty(o)?);
        return Ok(());
    }
    let state = match (o.already_in_base, o.unchanged, o.pushed) {
        (true, _, _) => "nothing to commit".to_owned(),
        (false, true, true) => "branch already had this change (no new commit); pushed".to_owned(),
        (false, true, false) => "branch already had this change (no new commit)".to_owned(),
        (false, false, true) => "committed and pushed".to_owned(),
        (false, false, false) => "committed".to_owned(),
    };
    println!("{} {}/{}: {state}", o.operation, o.namespace, o.cluster);
    println!("  branch  {} (from {} at {})", o.branch, o.base, fleetdeck::gitops::revision::short(&o.base_commit));
    println!("  commit  {}", o.commit);
    for f in &o.files {
        let action = serde_json::to_value(f.action)?.as_str().unwrap_or_default().to_owned();
        println!("  {action:<9} {}", f.path);
    }
    for c in &o.consequences {
        println!("  then: {c}");
    }
    for n in &o.notes {
        println!("  note: {n}");
    }
    println!("  review  {}", o.review);
    Ok(())
}
