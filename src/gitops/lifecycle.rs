//! The plans of the cluster lifecycle changes, built against the repository at its base branch: a
//! bootstrap, a teardown, a profile added. The one home of these use cases: the CLI (`cli/cluster_lifecycle.rs`,
//! `cli/profile.rs`) and the cockpit's wizards (`ui/wizard/tasks.rs`) call these and differ only in how they
//! ask for the inputs and show the plan.
use serde_json::Value;

use super::bootstrap::{self, BootstrapRequest};
use super::locate;
use super::plan::Plan;
use super::profiles::{self, ProfileChoice};
use super::repo::{Base, FileChange, Repo, RepoError};
use super::teardown::{self, Teardown};

/// Why a plan could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// Reading the repository failed.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// The inputs or the repository's files cannot make this change (the message says which and where).
    #[error("{0}")]
    Content(String),
}

/// The plan of a bootstrap ([`bootstrap::files`] on branch [`bootstrap::branch`]): whether the repository
/// already has the cluster's GitopsCluster is read from it (so none is written twice) and set on `req`,
/// which is returned with the plan.
///
/// # Errors
/// [`PlanError::Repo`] reading the repository; [`PlanError::Content`] when the files cannot be generated.
pub fn bootstrap_plan(
    repo: &Repo,
    base: &Base,
    mut req: BootstrapRequest,
) -> Result<(BootstrapRequest, Plan), PlanError> {
    let (ns, name) = (req.namespace.clone(), req.cluster.clone());
    req.has_gitops_cluster =
        locate::find_object(repo, &base.commit, "gitops.weave.works", "GitopsCluster", &ns, &name)?.is_some();
    let files = bootstrap::files(&req).map_err(|e| PlanError::Content(format!("{e:#}")))?;
    let changes: Vec<FileChange> = files.into_iter().map(|(c, _)| c).collect();
    let plan = Plan::new(repo, base, &bootstrap::branch(&name), &bootstrap::message(&req), &changes)?;
    Ok((req, plan))
}

/// The teardown of cluster `namespace/name` ([`teardown::plan`] over every file at the base, the Cluster
/// API manifests under `capi_path`) and its plan on branch [`teardown::branch`]; `None` when the
/// repository has no file of the cluster.
///
/// # Errors
/// [`RepoError`] reading the repository.
pub fn teardown_plan(
    repo: &Repo,
    base: &Base,
    capi_path: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<(Teardown, Plan)>, RepoError> {
    let files = locate::yaml_files(repo, &base.commit, "")?;
    let others: Vec<String> = repo
        .list_files(&base.commit, "")?
        .into_iter()
        .filter(|p| !p.ends_with(".yaml") && !p.ends_with(".yml"))
        .collect();
    let Some(t) = teardown::plan(&files, &others, capi_path, namespace, name) else { return Ok(None) };
    let plan = Plan::new(repo, base, &teardown::branch(name), &teardown::message(namespace, name), &t.changes())?;
    Ok(Some((t, plan)))
}

/// Whether the profiles file of `namespace/cluster` at the base already names its HelmRepository (then
/// no fleet repository is needed for [`profile_plan`]).
///
/// # Errors
/// [`PlanError::Repo`] reading the repository; [`PlanError::Content`] when the file does not parse.
pub fn profile_file_has_repository(
    repo: &Repo,
    base: &Base,
    namespace: &str,
    cluster: &str,
) -> Result<bool, PlanError> {
    let path = profiles::profiles_path(namespace, cluster);
    let Some(text) = repo.read_files(&base.commit, std::slice::from_ref(&path))?.into_iter().next().flatten() else {
        return Ok(false);
    };
    let docs = super::yaml::parse_docs(&text, &path).map_err(|e| PlanError::Content(format!("{e:#}")))?;
    Ok(docs.iter().any(|d| d["kind"] == "HelmRepository"))
}

/// The plan adding `choice` to the profiles file of `namespace/cluster` ([`profiles::add_to_file`]: the
/// file's HelmRepository, else a copy of `fleet_repository`) on branch [`profiles::branch`].
///
/// # Errors
/// [`PlanError::Repo`] reading the repository; [`PlanError::Content`] for a file that does not parse, a
/// profile that cannot be added, or no HelmRepository at all.
pub fn profile_plan(
    repo: &Repo,
    base: &Base,
    namespace: &str,
    cluster: &str,
    fleet_repository: Option<&Value>,
    choice: &ProfileChoice,
) -> Result<Plan, PlanError> {
    let path = profiles::profiles_path(namespace, cluster);
    let existing = repo.read_files(&base.commit, std::slice::from_ref(&path))?.into_iter().next().flatten();
    let text = profiles::add_to_file(namespace, cluster, existing.as_deref(), fleet_repository, choice)
        .map_err(PlanError::Content)?;
    let change = FileChange { path, content: Some(text) };
    let (branch, message) =
        (profiles::branch(cluster, &choice.chart), profiles::message(namespace, cluster, &choice.chart));
    Ok(Plan::new(repo, base, &branch, &message, &[change])?)
}
