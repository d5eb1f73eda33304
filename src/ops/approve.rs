//! Approving a Terraform plan the GitOps way (`tfctl approve`'s purpose, done through review): the pending
//! plan id is read from the live object, written as `spec.approvePlan` into the object's manifest in the
//! GitOps repository and committed on a branch of its own, pushed when asked. The one home of this use
//! case: `fleetdeck approve terraform` (without `--live`) and the cockpit's approve key (when config.yaml
//! names a repository) both call [`approve_in_git`].
use std::path::PathBuf;

use kube::api::{Api, DynamicObject};

use super::{Done, OpError, RefusalKind, Request};
use crate::config::GitDefaults;

/// Where the approval is committed: config.yaml's `git` section, with the CLI's overrides.
#[derive(Debug, Clone)]
pub struct InGit {
    /// config.yaml's `git` section (repository, remote, base branch, author, push).
    pub git: GitDefaults,
    /// `--repo`: the clone to use instead of `git.repository`.
    pub repo: Option<PathBuf>,
    /// `--base`: the base branch instead of `git.base_branch`.
    pub base: Option<String>,
    /// `--push`: push even when `git.push` is off.
    pub push: bool,
}

/// Approves the pending plan of Terraform `req.target` in git: refuses in a read-only context, reads the
/// object (at `version`, discovered when `None`) for its pending plan, opens the repository
/// ([`crate::gitops::configured::open_configured`], off the async workers) and commits the approval
/// ([`super::terraform::approve_in_repo`]). Returns what was done, with the plan id as the value written.
///
/// # Errors
/// [`OpError::Refused`] (nothing changed): read-only, the object is gone, no pending plan, no repository
/// configured, no manifest of the object in the repository; [`OpError::Failed`] for API and git failures.
pub async fn approve_in_git(
    client: &kube::Client,
    req: &Request,
    readonly: Option<String>,
    version: Option<String>,
    place: &InGit,
) -> Result<Done, OpError> {
    if let Some(why) = readonly {
        return Err(OpError::refused(RefusalKind::ReadOnly, format!("{why}: approve not committed")));
    }
    let t = &req.target;
    let version = match version {
        Some(v) => v,
        None => super::clients::served_version(client, t.kind).await?,
    };
    let ar = crate::fleet::watch::api_resource(t.kind, &version);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &t.namespace, &ar);
    let obj = match api.get_opt(&t.name).await {
        Ok(Some(o)) => o,
        Ok(None) => return Err(OpError::refused(RefusalKind::NotFound, format!("{t} not found"))),
        Err(e) => return Err(OpError::Failed(format!("reading {t}: {}", crate::fleet::describe(&e)))),
    };
    let plan = super::terraform::pending_plan(&obj).map_err(|m| OpError::refused(RefusalKind::Precondition, m))?;
    let path = place.repo.clone().or_else(|| place.git.repository.clone()).ok_or_else(|| {
        OpError::refused(
            RefusalKind::Precondition,
            "no GitOps repository: give --repo PATH or set git.repository in config.yaml",
        )
    })?;
    let (place, namespace, name) = (place.clone(), t.namespace.clone(), t.name.clone());
    let job = move || -> Result<Done, OpError> {
        let failed = |e: crate::gitops::RepoError| OpError::Failed(e.to_string());
        let (repo, base) =
            crate::gitops::configured::open_configured(&path, &place.git, place.base.as_deref()).map_err(failed)?;
        let push = place.push || place.git.push;
        let applied = super::terraform::approve_in_repo(&repo, &base, &namespace, &name, &plan, push)?;
        Ok(Done { message: said(&applied, &base.branch, &plan, push), written: Some(plan) })
    };
    tokio::task::spawn_blocking(job).await.map_err(|e| OpError::Failed(format!("approval task: {e}")))?
}

/// The line saying what the approval did.
fn said(applied: &crate::gitops::Applied, base: &str, plan: &str, push: bool) -> String {
    if applied.already_in_base {
        return format!("{base} already approves {plan}: nothing to commit");
    }
    let commit = crate::gitops::revision::short(&applied.commit);
    let state = match (applied.unchanged, applied.pushed, push) {
        (_, true, _) => "pushed",
        (true, false, true) => "already pushed",
        (false, false, false) => "committed locally; push it with --push (or git.push in config.yaml)",
        _ => "already committed",
    };
    format!(
        "plan {plan} approved on branch {} (commit {commit}, {state}); merge it and Flux applies it",
        applied.branch
    )
}
