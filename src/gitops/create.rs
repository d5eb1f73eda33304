//! The create wizard's core, step by step and without IO: a template and parameters rendered into the
//! files to commit — the cluster manifests and, when the template has charts and a profile HelmRepository
//! is known, `profiles.yaml` with the required charts (plus any chosen) — under branch
//! `fleetdeck/create-<cluster>` with message `Add cluster <cluster>`.
//!
//! A form calls [`Template::params`] and [`Template::validate`] as the user types, then [`render`], then
//! [`check_policy`], then builds a [`super::plan::Plan`] for the preview and writes it with
//! [`super::repo::Repo::apply`].
use std::collections::BTreeMap;

use serde_json::Value;

use super::policy::{Policy, Subject, Violation};
use super::profiles::{self, ProfileChoice};
use super::repo::FileChange;
use super::template::{ChartItem, RenderError, Rendered, Template};
use super::{envsubst, yaml};

/// What to create.
#[derive(Debug, Clone)]
pub struct CreateRequest<'a> {
    /// The template.
    pub template: &'a Template,
    /// Parameter values as given (defaults are filled in).
    pub values: BTreeMap<String, String>,
    /// The management cluster's folder of cluster manifests (WGE's `capiRepositoryPath`).
    pub capi_path: String,
    /// The profile HelmRepository (as read from the cluster), if one is known.
    pub profile_repository: Option<Value>,
    /// Charts beyond the template's required ones.
    pub extra_profiles: Vec<ProfileChoice>,
}

/// The files of a create, and what went into them.
#[derive(Debug, Clone)]
pub struct Created {
    /// The rendered template (cluster name and namespace, values used).
    pub rendered: Rendered,
    /// Every file with its objects, in write order.
    pub files: Vec<(FileChange, Vec<Value>)>,
    /// The branch, `fleetdeck/create-<cluster>`.
    pub branch: String,
    /// The commit message, `Add cluster <cluster>`.
    pub message: String,
    /// Things the user should know (e.g. charts skipped for want of a profile HelmRepository).
    pub notes: Vec<String>,
}

impl Created {
    /// The file changes, for a plan or [`super::repo::Repo::apply`].
    pub fn changes(&self) -> Vec<FileChange> {
        self.files.iter().map(|(c, _)| c.clone()).collect()
    }

    /// `(path, objects)` of every file, for a policy check or a dry-run.
    pub fn objects(&self) -> Vec<(String, Vec<Value>)> {
        self.files.iter().map(|(c, o)| (c.path.clone(), o.clone())).collect()
    }
}

/// A template chart as a profile choice.
pub fn choice_of(item: &ChartItem) -> ProfileChoice {
    ProfileChoice {
        chart: item.chart.clone(),
        version: item.version.clone(),
        target_namespace: item.target_namespace.clone(),
        layer: item.layer.clone(),
        values: item.values.clone(),
    }
}

/// Renders a create.
///
/// # Errors
/// [`RenderError`]: invalid parameters (per field), an unsupported renderType, a malformed template or
/// chart values.
pub fn render(req: &CreateRequest<'_>) -> Result<Created, RenderError> {
    let t = req.template;
    let rendered = t.render(&req.values, &req.capi_path)?;
    let mut files = Vec::new();
    for f in &rendered.files {
        let text = yaml::emit_docs(&f.objects)
            .map_err(|e| RenderError::Other { template: t.id(), message: format!("{e:#}") })?;
        files.push((FileChange { path: f.path.clone(), content: Some(text) }, f.objects.clone()));
    }
    let mut notes = Vec::new();
    let mut choices: Vec<ProfileChoice> = t.charts.iter().filter(|c| c.required).map(choice_of).collect();
    for extra in &req.extra_profiles {
        choices.retain(|c| c.chart != extra.chart);
        choices.push(extra.clone());
    }
    if !choices.is_empty() {
        match &req.profile_repository {
            Some(repo) => {
                let (ns, name) = (&rendered.cluster_namespace, &rendered.cluster_name);
                let docs = profiles::profiles_documents(ns, name, repo, &[], &choices)
                    .map_err(|message| RenderError::Other { template: t.id(), message })?;
                let lookup = |v: &str| rendered.values.get(v).cloned();
                let path = match &t.profiles_path {
                    Some(p) => envsubst::substitute(p, &lookup)
                        .map_err(|error| RenderError::Envsubst { template: t.id(), error })?,
                    None => profiles::profiles_path(ns, name),
                };
                let text = yaml::emit_docs(&docs)
                    .map_err(|e| RenderError::Other { template: t.id(), message: format!("{e:#}") })?;
                files.push((FileChange { path: super::template::normalize_path(&path), content: Some(text) }, docs));
            }
            None => notes.push(format!(
                "no profile HelmRepository found (annotated {}): charts {} not written",
                profiles::PROFILES_ANNOTATION,
                choices.iter().map(|c| c.chart.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
    let name = rendered.cluster_name.clone();
    Ok(Created { rendered, files, branch: branch(&name), message: message(&name), notes })
}

/// The branch of a create.
pub fn branch(cluster: &str) -> String {
    format!("fleetdeck/create-{cluster}")
}

/// The commit message of a create.
pub fn message(cluster: &str) -> String {
    format!("Add cluster {cluster}")
}

/// Checks a rendered create against `policy`.
pub fn check_policy(policy: &Policy, created: &Created) -> Vec<Violation> {
    let files = created.objects();
    policy.check(&Subject {
        cluster_name: &created.rendered.cluster_name,
        params: &created.rendered.values,
        files: &files,
    })
}
