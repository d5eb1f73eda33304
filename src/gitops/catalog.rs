//! Where templates and profile repositories come from: the fleet's management clusters (GitOpsTemplate,
//! CAPITemplate and ClusterClass objects; HelmRepositories annotated `weave.works/profiles`), the GitOps
//! repository's `templates/` folder at the base branch, or a file named on the command line.
//!
//! A cluster that does not serve a kind (no CRD: 404) simply has none of it; other failures (403, timeouts)
//! are returned as problems next to what was found, so one dead context does not hide the others.
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

use super::locate;
use super::repo::{Repo, RepoError};
use super::template::{Template, TemplateSource};
use super::topology;
use super::yaml;

/// The folder of template files in the repository.
pub const TEMPLATES_DIR: &str = "templates";

/// The template kinds read from clusters: `(group, version, kind, plural)`.
pub const TEMPLATE_KINDS: [(&str, &str, &str, &str); 3] = [
    ("templates.weave.works", "v1alpha2", "GitOpsTemplate", "gitopstemplates"),
    ("capi.weave.works", "v1alpha2", "CAPITemplate", "capitemplates"),
    ("cluster.x-k8s.io", "v1beta2", "ClusterClass", "clusterclasses"),
];

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Lists every object of a kind in all namespaces; `Ok(None)` when the server does not serve it.
async fn list_all(client: &kube::Client, ar: &ApiResource, timeout: Duration) -> Result<Option<Vec<Value>>, String> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), ar);
    match tokio::time::timeout(timeout, api.list(&ListParams::default())).await {
        Err(_) => Err(format!("listing {} took longer than {} s", ar.plural, timeout.as_secs())),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(None),
        Ok(Err(kube::Error::Api(s))) => Err(format!("listing {}: {} {}", ar.plural, s.code, s.message)),
        Ok(Err(e)) => Err(format!("listing {}: {e}", ar.plural)),
        Ok(Ok(list)) => Ok(Some(
            list.items
                .into_iter()
                .map(|o| {
                    let mut v = serde_json::to_value(&o).unwrap_or(Value::Null);
                    if let Some(t) = &o.types {
                        v["apiVersion"] = Value::String(t.api_version.clone());
                        v["kind"] = Value::String(t.kind.clone());
                    }
                    v
                })
                .collect(),
        )),
    }
}

/// The templates in one cluster (read through kubeconfig context `context`): GitOpsTemplates,
/// CAPITemplates and ClusterClasses, in that order, each sorted by namespace/name. Templates that cannot be
/// read are skipped with a problem line.
///
/// # Errors
/// A problem listing a kind the server serves (403, timeout): one line naming the context.
pub async fn templates_in_cluster(
    client: &kube::Client,
    context: &str,
    timeout: Duration,
) -> Result<(Vec<Template>, Vec<String>), String> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (group, version, kind, plural) in TEMPLATE_KINDS {
        let ar = resource(group, version, kind, plural);
        let Some(mut items) = list_all(client, &ar, timeout).await.map_err(|e| format!("context {context}: {e}"))?
        else {
            continue;
        };
        items.sort_by_key(|o| (o["metadata"]["namespace"].to_string(), o["metadata"]["name"].to_string()));
        for item in items {
            let source = TemplateSource::Cluster { context: context.to_owned() };
            let t = if kind == "ClusterClass" {
                topology::from_cluster_class(&item, context)
            } else {
                Template::from_object(&item, source)
            };
            match t {
                Ok(t) => out.push(t),
                Err(e) => problems.push(format!("context {context}: {kind} {}: {e}", yaml::describe(&item))),
            }
        }
    }
    Ok((out, problems))
}

/// HelmRepositories of one cluster that offer profiles: those annotated `weave.works/profiles`, or every
/// HelmRepository when none is annotated.
///
/// # Errors
/// A problem listing them (403, timeout).
pub async fn profile_repositories(
    client: &kube::Client,
    context: &str,
    timeout: Duration,
) -> Result<Vec<Value>, String> {
    let ar = resource("source.toolkit.fluxcd.io", "v1", "HelmRepository", "helmrepositories");
    let all = list_all(client, &ar, timeout).await.map_err(|e| format!("context {context}: {e}"))?.unwrap_or_default();
    let annotated: Vec<Value> = all
        .iter()
        .filter(|r| r["metadata"]["annotations"][super::profiles::PROFILES_ANNOTATION].is_string())
        .cloned()
        .collect();
    Ok(if annotated.is_empty() { all } else { annotated })
}

/// Templates in a template file's text: its GitOpsTemplate / CAPITemplate documents, or, when it has none,
/// the file itself as a plain template named after the file.
///
/// # Errors
/// Malformed YAML in a file that holds template objects, or a template object of the wrong shape.
pub fn templates_in_text(path: &str, text: &str, source: TemplateSource) -> Result<Vec<Template>> {
    let docs = yaml::parse_docs(text, path).unwrap_or_default();
    let objects: Vec<&Value> =
        docs.iter().filter(|d| matches!(d["kind"].as_str(), Some("GitOpsTemplate" | "CAPITemplate"))).collect();
    if objects.is_empty() {
        let stem = Path::new(path).file_stem().map_or_else(|| path.to_owned(), |s| s.to_string_lossy().into_owned());
        return Ok(vec![Template::from_plain_file(&stem, text, source)]);
    }
    objects
        .into_iter()
        .map(|o| Template::from_object(o, source.clone()).map_err(|e| anyhow::anyhow!("{path}: {e}")))
        .collect()
}

/// Templates in the repository's `templates/` folder at `rev`; files that cannot be read are problems.
///
/// # Errors
/// git failures.
pub fn templates_in_repo(repo: &Repo, rev: &str) -> Result<(Vec<Template>, Vec<String>), RepoError> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for f in locate::yaml_files(repo, rev, TEMPLATES_DIR)? {
        match templates_in_text(&f.path, &f.text, TemplateSource::Repository { path: f.path.clone() }) {
            Ok(ts) => out.extend(ts),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    Ok((out, problems))
}

/// Templates in a local file (`--template FILE`).
///
/// # Errors
/// The file cannot be read, or holds malformed template objects.
pub fn templates_in_file(path: &Path) -> Result<Vec<Template>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading template file {}", path.display()))?;
    let shown = path.display().to_string();
    templates_in_text(&shown, &text, TemplateSource::File { path: shown.clone() })
}
