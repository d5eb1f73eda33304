//! Finding manifests in the repository: every YAML file at a commit read into documents, and the file +
//! document of one object (group, kind, namespace, name) — for the teardown and for edits such as a
//! Terraform approval in git (`spec.approvePlan` set in the object's own file).
use serde_json::Value;

use super::repo::{Repo, RepoError};
use super::yaml;

/// A YAML file at a commit: its path, text and documents (or why it does not parse).
#[derive(Debug, Clone)]
pub struct YamlFile {
    /// Repository-relative path.
    pub path: String,
    /// The file's text.
    pub text: String,
    /// Its documents, or the parse error (kept: a broken file is reported, not fatal).
    pub docs: Result<Vec<Value>, String>,
}

/// One object found in the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    /// The file holding it.
    pub path: String,
    /// The document's index in the file (0-based, empty documents not counted).
    pub index: usize,
    /// The document.
    pub document: Value,
    /// The file's whole text.
    pub text: String,
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// Every `.yaml` / `.yml` file under `dir` (`""`: everywhere) at `rev`, read with one `git cat-file`.
///
/// # Errors
/// git failures.
pub fn yaml_files(repo: &Repo, rev: &str, dir: &str) -> Result<Vec<YamlFile>, RepoError> {
    let paths: Vec<String> = repo.list_files(rev, dir)?.into_iter().filter(|p| is_yaml(p)).collect();
    let texts = repo.read_files(rev, &paths)?;
    Ok(paths
        .into_iter()
        .zip(texts)
        .filter_map(|(path, text)| {
            let text = text?;
            let docs = yaml::parse_docs(&text, &path).map_err(|e| format!("{e:#}"));
            Some(YamlFile { path, text, docs })
        })
        .collect())
}

/// The file and document of object `(group, kind, namespace, name)` at `rev`. `group` is `""` for the core
/// API; a document without namespace matches `namespace` `""` or `"default"`.
///
/// # Errors
/// git failures. Unparseable YAML files are skipped.
pub fn find_object(
    repo: &Repo,
    rev: &str,
    group: &str,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<Option<Located>, RepoError> {
    for file in yaml_files(repo, rev, "")? {
        let Ok(docs) = &file.docs else { continue };
        for (index, doc) in docs.iter().enumerate() {
            let (g, k, ns, n) = yaml::object_key(doc);
            let ns_matches = ns == namespace || (ns.is_empty() && (namespace.is_empty() || namespace == "default"));
            if g == group && k == kind && n == name && ns_matches {
                return Ok(Some(Located {
                    path: file.path.clone(),
                    index,
                    document: doc.clone(),
                    text: file.text.clone(),
                }));
            }
        }
    }
    Ok(None)
}
