//! Running the wizard's [`Task`]s off the UI task: cluster reads as async tasks, git (blocking: the system
//! `git`) inside `spawn_blocking`. Each result goes back to the loop as a [`Msg::Wizard`].
//!
//! Which contexts are asked for templates: those whose store shows a template kind (GitOpsTemplate,
//! CAPITemplate, ClusterClass) as served, i.e. the management clusters; aliases of kubeconfig contexts are
//! skipped so a cluster is not asked twice.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::{Setup, Task, WizardMsg, Written};
use crate::config::GitDefaults;
use crate::gitops::policy::Policy;
use crate::gitops::{Base, Plan, Repo, bootstrap, catalog, lifecycle, review, teardown};
use crate::model::kinds::KindId;
use crate::model::store::{FleetStore, KindState};
use crate::ops::clients::Clients;
use crate::ui::msg::Msg;

/// How long one list request of the loading step may take.
pub const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// The contexts that serve a template kind, per the store (see the module docs).
pub fn template_contexts(store: &FleetStore) -> Vec<String> {
    let kinds: Vec<KindId> = catalog::TEMPLATE_KINDS.iter().filter_map(|(g, _, k, _)| KindId::find(g, k)).collect();
    store
        .contexts()
        .filter(|(_, c)| c.origin.alias_of().is_none())
        .filter(|(_, c)| {
            kinds.iter().any(|k| {
                c.kinds
                    .get(k)
                    .and_then(|e| e.state)
                    .is_some_and(|s| matches!(s, KindState::Synced | KindState::Syncing))
            })
        })
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Starts `task`; its result is sent on `tx`.
pub fn spawn(task: Task, contexts: Vec<String>, clients: Arc<Clients>, tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let msg = match task {
            Task::Open { id, git } => WizardMsg::Opened(id, open(git, contexts, clients).await.map(Box::new)),
            Task::Plan { id, repo, base, branch, message, changes } => {
                let r = blocking(move || {
                    crate::gitops::Plan::new(&repo, &base, &branch, &message, &changes).map_err(|e| e.to_string())
                })
                .await;
                WizardMsg::Planned(id, r)
            }
            Task::Write { id, repo, plan, push } => {
                WizardMsg::Written(id, blocking(move || write(&repo, &plan, push)).await)
            }
            Task::OpenBase { id, git } => WizardMsg::Opened(
                id,
                blocking(move || {
                    let (repo, base, remote_url) = open_base(&git)?;
                    Ok(Box::new(Setup::bare(repo, base, remote_url)))
                })
                .await,
            ),
            Task::OpenClaim { id, git } => WizardMsg::Opened(
                id,
                blocking(move || {
                    let (repo, base, remote_url) = open_base(&git)?;
                    let config_dir = crate::config::Paths::discover().ok().map(|p| p.config_dir);
                    let policy =
                        Policy::for_write(&repo, &base.commit, config_dir.as_deref()).map_err(|e| format!("{e:#}"))?;
                    Ok(Box::new(Setup { policy, ..Setup::bare(repo, base, remote_url) }))
                })
                .await,
            ),
            Task::PlanBootstrap { id, repo, base, url, namespace, name, mode, components } => {
                let r =
                    blocking(move || plan_bootstrap(&repo, &base, url, &namespace, &name, mode, components.as_deref()))
                        .await;
                WizardMsg::Planned(id, r)
            }
            Task::OpenProfile { id, git, context } => {
                WizardMsg::Opened(id, open_profile(git, context, clients).await.map(Box::new))
            }
            Task::PlanProfile { id, repo, base, namespace, cluster, repository, choice } => {
                let r = blocking(move || {
                    lifecycle::profile_plan(&repo, &base, &namespace, &cluster, repository.as_ref(), &choice)
                        .map_err(|e| e.to_string())
                })
                .await;
                WizardMsg::Planned(id, r)
            }
            Task::OpenTeardown { id, git, namespace, name } => WizardMsg::OpenedTeardown(
                id,
                blocking(move || open_teardown(&git, &namespace, &name)).await.map(Box::new),
            ),
            Task::Push { id, repo, branch, commit } => {
                WizardMsg::Pushed(id, blocking(move || repo.push(&branch, &commit).map_err(|e| e.to_string())).await)
            }
        };
        let _ = tx.send(Msg::Wizard(msg));
    });
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    tokio::task::spawn_blocking(f).await.map_err(|e| format!("the git task failed: {e}"))?
}

/// Opens the configured repository (author from config.yaml) and fetches the base branch.
fn open_base(git: &GitDefaults) -> Result<(Repo, Base, String), String> {
    let path = git.repository.clone().ok_or("no repository configured (git.repository in config.yaml)")?;
    let (repo, base) = crate::gitops::configured::open_configured(&path, git, None).map_err(|e| e.to_string())?;
    let remote_url = repo.remote_url().map_err(|e| e.to_string())?;
    Ok((repo, base, remote_url))
}

/// The repository side of loading: open, fetch the base, templates in `templates/`, the policy.
fn open_repo(git: &GitDefaults) -> Result<Setup, String> {
    let (repo, base, remote_url) = open_base(git)?;
    let (templates, problems) = catalog::templates_in_repo(&repo, &base.commit).map_err(|e| e.to_string())?;
    let config_dir = crate::config::Paths::discover().ok().map(|p| p.config_dir);
    let policy = Policy::for_write(&repo, &base.commit, config_dir.as_deref()).map_err(|e| format!("{e:#}"))?;
    Ok(Setup { repo, base, remote_url, templates, profile_repositories: Vec::new(), policy, problems })
}

async fn open(git: GitDefaults, contexts: Vec<String>, clients: Arc<Clients>) -> Result<Setup, String> {
    let repo_side = tokio::task::spawn_blocking(move || open_repo(&git));
    let cluster_side = futures::future::join_all(contexts.into_iter().map(|ctx| {
        let clients = clients.clone();
        async move {
            let client = match clients.get(&ctx).await {
                Ok(c) => c,
                Err(e) => return (ctx, Err(e.to_string()), Vec::new()),
            };
            let templates = catalog::templates_in_cluster(&client, &ctx, LIST_TIMEOUT).await;
            let repos = catalog::profile_repositories(&client, &ctx, LIST_TIMEOUT).await.unwrap_or_default();
            (ctx, templates, repos)
        }
    }))
    .await;
    let mut setup = repo_side.await.map_err(|e| format!("the git task failed: {e}"))??;
    let mut templates = Vec::new();
    let mut problems = Vec::new();
    for (ctx, found, repos) in cluster_side {
        match found {
            Ok((ts, p)) => {
                templates.extend(ts);
                problems.extend(p);
            }
            Err(e) => problems.push(e),
        }
        setup.profile_repositories.extend(repos.into_iter().map(|r| (ctx.clone(), r)));
    }
    templates.append(&mut setup.templates);
    problems.append(&mut setup.problems);
    setup.templates = templates;
    setup.problems = problems;
    Ok(setup)
}

/// Commits the plan (and pushes when asked); says whether the remote has the branch afterwards.
fn write(repo: &Repo, plan: &crate::gitops::Plan, push: bool) -> Result<Written, String> {
    let mut notes = Vec::new();
    if repo.is_dirty().unwrap_or(false) {
        notes.push("your working tree has uncommitted changes: left exactly as they are".to_owned());
    }
    let applied =
        repo.apply(&plan.base, &plan.branch, &plan.message, &plan.changes(), push).map_err(|e| e.to_string())?;
    let on_remote =
        applied.pushed || (!applied.already_in_base && review::remote_has(repo, &applied.branch, &applied.commit));
    Ok(Written { applied, on_remote, notes })
}

/// Opens the repository and plans the teardown of `namespace/name` at the base branch (WGE's default
/// cluster path).
fn open_teardown(git: &GitDefaults, namespace: &str, name: &str) -> Result<(Setup, teardown::Teardown, Plan), String> {
    let (repo, base, remote_url) = open_base(git)?;
    let capi_path = crate::gitops::template::DEFAULT_CAPI_REPOSITORY_PATH;
    let (t, plan) = lifecycle::teardown_plan(&repo, &base, capi_path, namespace, name)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            format!("no files of cluster {namespace}/{name} in {} at {}: nothing to remove", base.branch, base.commit)
        })?;
    Ok((Setup::bare(repo, base, remote_url), t, plan))
}

/// The plan of a bootstrap ([`lifecycle::bootstrap_plan`]), with the components file read (if named).
fn plan_bootstrap(
    repo: &Repo,
    base: &Base,
    url: String,
    namespace: &str,
    name: &str,
    mode: bootstrap::BootstrapMode,
    components: Option<&str>,
) -> Result<Plan, String> {
    let components = match components {
        Some(p) => Some(std::fs::read_to_string(p).map_err(|e| format!("reading the components file {p}: {e}"))?),
        None => None,
    };
    let req = bootstrap::BootstrapRequest {
        cluster: name.to_owned(),
        namespace: namespace.to_owned(),
        mode,
        url,
        branch: base.branch.clone(),
        path: None,
        components,
        capi_path: crate::gitops::template::DEFAULT_CAPI_REPOSITORY_PATH.to_owned(),
        has_gitops_cluster: false,
    };
    lifecycle::bootstrap_plan(repo, base, req).map(|(_, plan)| plan).map_err(|e| e.to_string())
}

/// The profile wizard's loading: the repository and base, and from `context` its templates (whose charts
/// are offered) and profile HelmRepositories.
async fn open_profile(git: GitDefaults, context: String, clients: Arc<Clients>) -> Result<Setup, String> {
    let repo_side = tokio::task::spawn_blocking(move || open_base(&git));
    let mut problems = Vec::new();
    let mut templates = Vec::new();
    let mut repos = Vec::new();
    match clients.get(&context).await {
        Ok(client) => {
            match catalog::templates_in_cluster(&client, &context, LIST_TIMEOUT).await {
                Ok((ts, p)) => {
                    templates = ts;
                    problems.extend(p);
                }
                Err(e) => problems.push(e),
            }
            match catalog::profile_repositories(&client, &context, LIST_TIMEOUT).await {
                Ok(r) => repos = r,
                Err(e) => problems.push(e),
            }
        }
        Err(e) => problems.push(e.to_string()),
    }
    let (repo, base, remote_url) = repo_side.await.map_err(|e| format!("the git task failed: {e}"))??;
    Ok(Setup {
        templates,
        profile_repositories: repos.into_iter().map(|r| (context.clone(), r)).collect(),
        problems,
        ..Setup::bare(repo, base, remote_url)
    })
}
