//! A Flux Kustomization's manifests, built as kustomize-controller builds them (fluxcd/pkg `kustomize`
//! `generator.go`, kustomize-controller `internal/controller/kustomization_controller.go`), for the drift diff.
//!
//! 1. **Source.** A local folder (`--path`), or the repository's tree at a commit (the Kustomization's
//!    `status.lastAppliedRevision`), read with `git ls-tree` / `git cat-file` into a temporary folder: the
//!    user's working tree, index and HEAD are not touched.
//! 2. **Generated kustomization.** kustomize-controller merges the Kustomization's spec into the folder's
//!    `kustomization.yaml` (or generates one listing the folder's manifests when it has none). fleetdeck
//!    writes the same fields into a wrapper kustomization in a temporary folder instead, which leaves the
//!    source untouched: `resources` (the folder, or its `.yaml` / `.yml` manifests and sub-folders that hold a
//!    kustomization, as the generator scans), `namespace` (`spec.targetNamespace`), `namePrefix`,
//!    `nameSuffix`, `patches`, `images` and `components`.
//! 3. **kustomize build**, by the first of: `--kustomize BIN`, `kustomize` on `PATH` (`kustomize build`),
//!    `kubectl` on `PATH` (`kubectl kustomize`), with `--load-restrictor LoadRestrictionsNone` (the wrapper
//!    lives outside the source). Without any of them the build fails with [`BuildError::NoKustomize`].
//! 4. **Post-build** ([`post_build`]): `spec.postBuild` substitution with fluxcd/pkg `envsubst`'s rules (only
//!    `${var}` forms; `$var` is left alone; a variable without value or default becomes empty, as
//!    kustomize-controller does without its `StrictPostBuildSubstitutions` feature gate; objects annotated or
//!    labelled `kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone), `spec.commonMetadata`, and
//!    the labels `kustomize.toolkit.fluxcd.io/name` and `/namespace` on every object.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::envsubst::{self, EnvsubstError};
use super::repo::{Repo, RepoError};
use super::yaml;

/// The label kustomize-controller sets to the Kustomization's name.
pub const NAME_LABEL: &str = "kustomize.toolkit.fluxcd.io/name";
/// The label kustomize-controller sets to the Kustomization's namespace.
pub const NAMESPACE_LABEL: &str = "kustomize.toolkit.fluxcd.io/namespace";
/// Annotation or label value that turns substitution off for one object.
pub const SUBSTITUTE_KEY: &str = "kustomize.toolkit.fluxcd.io/substitute";

/// The names kustomize recognises for a kustomization file (sigs.k8s.io/kustomize `konfig`).
/// The names kustomize accepts for a kustomization file, in the order it looks for them.
pub const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What fleetdeck needs of a Kustomization's spec to build it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BuildSpec {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `spec.path`, without a leading `./` (`""`: the repository root).
    pub path: String,
    /// `spec.targetNamespace`.
    pub target_namespace: Option<String>,
    /// `spec.namePrefix`, `spec.nameSuffix`.
    pub name_prefix: Option<String>,
    pub name_suffix: Option<String>,
    /// `spec.patches` (kustomize's `patches` shape), `spec.images`, `spec.components` (paths relative to
    /// `spec.path`).
    pub patches: Vec<Value>,
    pub images: Vec<Value>,
    pub components: Vec<String>,
    /// `spec.commonMetadata.labels` / `.annotations`.
    pub common_labels: BTreeMap<String, String>,
    pub common_annotations: BTreeMap<String, String>,
    /// `spec.postBuild` is set (substitution runs, even with no variables; the variables are read by the
    /// caller: `ops::diff::variables`).
    pub post_build: bool,
}

impl BuildSpec {
    /// Reads a Kustomization (`kustomize.toolkit.fluxcd.io/v1`) as JSON. Missing fields are empty.
    pub fn from_kustomization(ks: &Value) -> BuildSpec {
        let s = |v: &Value| v.as_str().map(str::to_owned);
        let map = |v: &Value| -> BTreeMap<String, String> {
            v.as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let spec = &ks["spec"];
        let path = spec["path"].as_str().unwrap_or_default();
        BuildSpec {
            name: s(&ks["metadata"]["name"]).unwrap_or_default(),
            namespace: s(&ks["metadata"]["namespace"]).unwrap_or_default(),
            path: clean_path(path),
            target_namespace: s(&spec["targetNamespace"]).filter(|t| !t.is_empty()),
            name_prefix: s(&spec["namePrefix"]).filter(|t| !t.is_empty()),
            name_suffix: s(&spec["nameSuffix"]).filter(|t| !t.is_empty()),
            patches: list(&spec["patches"]),
            images: list(&spec["images"]),
            components: list(&spec["components"]).iter().filter_map(|c| c.as_str().map(str::to_owned)).collect(),
            common_labels: map(&spec["commonMetadata"]["labels"]),
            common_annotations: map(&spec["commonMetadata"]["annotations"]),
            post_build: spec["postBuild"].is_object(),
        }
    }
}

/// `./apps/prod/` -> `apps/prod`; `./` and `""` -> `""` (a Kustomization's `spec.path` as a
/// repository-relative folder).
pub fn clean_path(p: &str) -> String {
    p.split('/').filter(|s| !s.is_empty() && *s != ".").collect::<Vec<_>>().join("/")
}

/// Where the manifests come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A local folder holding what `spec.path` points to (`--path`, as `flux diff kustomization --path`).
    Dir(&'a Path),
    /// The repository's tree at a commit; `spec.path` is resolved inside it.
    Commit {
        /// The local clone.
        repo: &'a Repo,
        /// A commit the clone has.
        commit: &'a str,
    },
}

/// Why the manifests could not be built. Each names the input that failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Neither the given binary, nor `kustomize`, nor `kubectl` can be run.
    #[error(
        "no kustomize: neither `kustomize` nor `kubectl` is on PATH (install kustomize v5 or kubectl, or give --kustomize PATH)"
    )]
    NoKustomize,
    /// `--kustomize` names a file that is not there.
    #[error("--kustomize {0}: no such file")]
    KustomizeMissing(PathBuf),
    /// `spec.path` is not a folder at that source.
    #[error("{path:?} is not a folder in {place}")]
    NoPath { path: String, place: String },
    /// A YAML file in a folder without kustomization file holds something other than Kubernetes objects.
    #[error("{0} is not a Kubernetes manifest (no apiVersion or kind); kustomize-controller fails on it too")]
    NotAManifest(PathBuf),
    /// kustomize exited with an error.
    #[error("{program} failed on {path:?}: {stderr}")]
    Kustomize { program: String, path: String, stderr: String },
    /// kustomize's output is not YAML (not expected).
    #[error("kustomize's output: {0:#}")]
    Output(anyhow::Error),
    /// A substitution could not be made.
    #[error("post-build substitution in {object}: {error}")]
    Substitute { object: String, error: EnvsubstError },
    /// Reading the repository.
    #[error(transparent)]
    Repo(#[from] RepoError),
    /// Writing the temporary folders.
    #[error("{what}: {error}")]
    Io { what: String, error: std::io::Error },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BuildError {
    let what = what.into();
    move |error| BuildError::Io { what, error }
}

/// The kustomize program fleetdeck runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kustomize {
    /// The binary.
    pub program: PathBuf,
    /// Its build subcommand: `build` (kustomize) or `kustomize` (kubectl).
    pub subcommand: &'static str,
}

impl Kustomize {
    /// `explicit` (run as `kustomize build`), else `kustomize` on `PATH`, else `kubectl kustomize`.
    ///
    /// # Errors
    /// [`BuildError::KustomizeMissing`] when `explicit` is not a file; [`BuildError::NoKustomize`] when
    /// `PATH` has neither.
    pub fn find(explicit: Option<&Path>) -> Result<Kustomize, BuildError> {
        if let Some(p) = explicit {
            return if p.is_file() {
                Ok(Kustomize { program: p.to_owned(), subcommand: "build" })
            } else {
                Err(BuildError::KustomizeMissing(p.to_owned()))
            };
        }
        let on_path = |name: &str| {
            std::env::var_os("PATH")
                .and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
        };
        if let Some(p) = on_path("kustomize") {
            return Ok(Kustomize { program: p, subcommand: "build" });
        }
        if let Some(p) = on_path("kubectl") {
            return Ok(Kustomize { program: p, subcommand: "kustomize" });
        }
        Err(BuildError::NoKustomize)
    }

    /// `kustomize build` or `kubectl kustomize`, for messages.
    pub fn describe(&self) -> String {
        let name = self
            .program
            .file_name()
            .map_or_else(|| self.program.display().to_string(), |n| n.to_string_lossy().into_owned());
        format!("{name} {}", self.subcommand)
    }
}

/// Builds the Kustomization's manifests from `source` (steps 1–3 of the module docs; then call
/// [`post_build`]). Returns kustomize's output as one YAML text per object, in its order (substitution works
/// on the text, as kustomize-controller's does, so that a quoted `"${PORT}"` stays a string and an unquoted
/// `${REPLICAS}` becomes a number).
///
/// # Errors
/// See [`BuildError`]: the path missing at the source, kustomize missing or failing (its stderr), IO.
pub fn build(spec: &BuildSpec, source: Source<'_>, kustomize: &Kustomize) -> Result<Vec<String>, BuildError> {
    let scratch =
        tempfile::Builder::new().prefix("fleetdeck-build-").tempdir().map_err(io("creating a temporary folder"))?;
    let root = match source {
        Source::Dir(dir) => dir.to_owned(),
        Source::Commit { repo, commit } => {
            let tree = scratch.path().join("source");
            export_tree(repo, commit, &tree)?;
            tree.join(&spec.path)
        }
    };
    if !root.is_dir() {
        let (path, source) = match source {
            Source::Dir(d) => (d.display().to_string(), "the local file system".to_owned()),
            Source::Commit { repo, commit } => (
                if spec.path.is_empty() { "./".into() } else { spec.path.clone() },
                format!("{} at {}", repo.root().display(), super::revision::short(commit)),
            ),
        };
        return Err(BuildError::NoPath { path, place: source });
    }
    let root = root.canonicalize().map_err(io(format!("reading {}", root.display())))?;
    let wrapper_dir = scratch.path().join("wrapper");
    std::fs::create_dir_all(&wrapper_dir).map_err(io("creating the wrapper folder"))?;
    let wrapper_dir = wrapper_dir.canonicalize().map_err(io("reading the wrapper folder"))?;
    let wrapper = wrapper(spec, &root, &resources(&root)?, &wrapper_dir);
    let text = yaml::emit_docs(&[wrapper]).map_err(BuildError::Output)?;
    std::fs::write(wrapper_dir.join("kustomization.yaml"), text).map_err(io("writing the wrapper kustomization"))?;

    let out = Command::new(&kustomize.program)
        .arg(kustomize.subcommand)
        .args(["--load-restrictor", "LoadRestrictionsNone"])
        .arg(&wrapper_dir)
        .output()
        .map_err(io(format!("running {}", kustomize.program.display())))?;
    if !out.status.success() {
        return Err(BuildError::Kustomize {
            program: kustomize.describe(),
            path: if spec.path.is_empty() { "./".into() } else { spec.path.clone() },
            stderr: String::from_utf8_lossy(&out.stderr)
                .trim()
                .replace(&format!("{}/", scratch.path().join("source").display()), "")
                .replace(&wrapper_dir.display().to_string(), "<generated>"),
        });
    }
    Ok(split_docs(&String::from_utf8_lossy(&out.stdout)))
}

/// A multi-document YAML text split at its `---` lines; blank documents dropped.
fn split_docs(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            docs.push(String::new());
        } else if let Some(d) = docs.last_mut() {
            d.push_str(line);
            d.push('\n');
        }
    }
    docs.retain(|d| !d.trim().is_empty());
    docs
}

/// Writes every file of the repository at `commit` under `dest`.
fn export_tree(repo: &Repo, commit: &str, dest: &Path) -> Result<(), BuildError> {
    let files = repo.list_files(commit, "")?;
    let contents = repo.read_files(commit, &files)?;
    for (path, content) in files.iter().zip(contents) {
        let Some(content) = content else { continue };
        let target = dest.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
        }
        std::fs::write(&target, content).map_err(io(format!("writing {}", target.display())))?;
    }
    Ok(())
}

/// The wrapper's `resources`: `root` itself when it holds a kustomization file; otherwise, as
/// kustomize-controller's generator scans, every `.yaml` / `.yml` file below it (each must hold Kubernetes
/// objects only), and every sub-folder holding a kustomization file (not descended into). Sorted, absolute.
fn resources(root: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let has_kustomization = |d: &Path| KUSTOMIZATION_FILES.iter().any(|f| d.join(f).is_file());
    if has_kustomization(root) {
        return Ok(vec![root.to_owned()]);
    }
    let mut found = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(io(format!("reading {}", dir.display())))?;
        for entry in entries {
            let path = entry.map_err(io(format!("reading {}", dir.display())))?.path();
            if path.is_dir() {
                if has_kustomization(&path) {
                    found.push(path);
                } else {
                    stack.push(path);
                }
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                check_manifest(&path)?;
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Refuses a YAML file with a document that is not a Kubernetes object, as kustomize-controller's generator
/// does (a Helm `values.yaml` in a Kustomization's path fails its reconciliation too).
fn check_manifest(path: &Path) -> Result<(), BuildError> {
    let text = std::fs::read_to_string(path).map_err(io(format!("reading {}", path.display())))?;
    let docs = yaml::parse_docs(&text, &path.display().to_string()).map_err(BuildError::Output)?;
    if docs.iter().all(|d| d["apiVersion"].is_string() && d["kind"].is_string()) {
        Ok(())
    } else {
        Err(BuildError::NotAManifest(path.to_owned()))
    }
}

/// `to` relative to the folder `from` (both absolute and canonical): kustomize refuses absolute folder
/// resources ("new root cannot be absolute").
fn relative(from: &Path, to: &Path) -> String {
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(b[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".into() } else { parts.join("/") }
}

/// The wrapper kustomization (in `wrapper_dir`): `resources`, then the spec's fields kustomize-controller's
/// generator writes.
fn wrapper(spec: &BuildSpec, root: &Path, resources: &[PathBuf], wrapper_dir: &Path) -> Value {
    let mut k = json!({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": resources.iter().map(|p| relative(wrapper_dir, p)).collect::<Vec<_>>(),
    });
    if let Some(ns) = &spec.target_namespace {
        k["namespace"] = json!(ns);
    }
    if let Some(p) = &spec.name_prefix {
        k["namePrefix"] = json!(p);
    }
    if let Some(s) = &spec.name_suffix {
        k["nameSuffix"] = json!(s);
    }
    if !spec.patches.is_empty() {
        k["patches"] = json!(spec.patches);
    }
    if !spec.images.is_empty() {
        k["images"] = json!(spec.images);
    }
    if !spec.components.is_empty() {
        let components: Vec<String> = spec.components.iter().map(|c| relative(wrapper_dir, &root.join(c))).collect();
        k["components"] = json!(components);
    }
    k
}

/// Step 4 of the module docs, on the built documents: substitution with `vars` (the inline `substitute`
/// merged with what `substituteFrom` gave, the later winning as in kustomize-controller) on each document's
/// text, `commonMetadata`, and the Kustomization's name / namespace labels.
///
/// # Errors
/// [`BuildError::Substitute`] naming the object, for malformed `${...}` expressions;
/// [`BuildError::Output`] for a document that is not YAML (before or after substitution).
pub fn post_build(
    docs: Vec<String>,
    spec: &BuildSpec,
    vars: &BTreeMap<String, String>,
) -> Result<Vec<Value>, BuildError> {
    let parse = |text: &str| -> Result<Value, BuildError> {
        let mut docs = yaml::parse_docs(text, "a built object").map_err(BuildError::Output)?;
        Ok(if docs.len() == 1 { docs.remove(0) } else { Value::Null })
    };
    docs.into_iter()
        .map(|text| {
            let mut obj = parse(&text)?;
            if spec.post_build && !substitution_disabled(&obj) && text.contains("${") {
                let substituted = substitute(&text, vars)
                    .map_err(|error| BuildError::Substitute { object: yaml::describe(&obj), error })?;
                obj = parse(&substituted)?;
            }
            let meta = &mut obj["metadata"];
            for (k, v) in spec
                .common_labels
                .iter()
                .chain([(&NAME_LABEL.to_owned(), &spec.name), (&NAMESPACE_LABEL.to_owned(), &spec.namespace)])
            {
                meta["labels"][k] = json!(v);
            }
            for (k, v) in &spec.common_annotations {
                meta["annotations"][k] = json!(v);
            }
            Ok(obj)
        })
        .collect()
}

fn substitution_disabled(obj: &Value) -> bool {
    let meta = &obj["metadata"];
    meta["annotations"][SUBSTITUTE_KEY] == "disabled" || meta["labels"][SUBSTITUTE_KEY] == "disabled"
}

/// fluxcd/pkg `envsubst` on a text: only `${...}` forms (a bare `$` is kept as it is, `$$` is a `$`), unset
/// variables without default become `""`.
fn substitute(text: &str, vars: &BTreeMap<String, String>) -> Result<String, EnvsubstError> {
    let escaped = escape_bare_dollars(text);
    let lookup = |n: &str| vars.get(n).cloned();
    match envsubst::substitute(&escaped, &lookup) {
        Err(EnvsubstError::Missing(names)) => {
            let lookup = |n: &str| vars.get(n).cloned().or_else(|| names.iter().any(|m| m == n).then(String::new));
            envsubst::substitute(&escaped, &lookup)
        }
        other => other,
    }
}

/// Doubles every `$` not followed by `{`, so that fleetdeck's envsubst (which also knows `$VAR`) leaves it.
fn escape_bare_dollars(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        match (c, chars.peek()) {
            // `$$` is already an escape: keep it as it is.
            ('$', Some('$')) => out.push(chars.next().unwrap_or('$')),
            ('$', Some('{')) => {}
            ('$', _) => out.push('$'),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_build_substitutes_only_braced_variables_and_labels_every_object() {
        let spec = BuildSpec {
            name: "web".into(),
            namespace: "flux-system".into(),
            post_build: true,
            common_labels: [("team".to_owned(), "a".to_owned())].into(),
            ..Default::default()
        };
        let vars = [("GREETING".to_owned(), "hello".to_owned()), ("N".to_owned(), "3".to_owned())].into();
        let built = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  t: ${GREETING} ${UNSET} ${D:=dflt}\n  sh: echo $HOME $$ ${N}\n  port: \"${N}\"\nspec:\n  replicas: ${N}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  t: ${GREETING}\n";
        let out = post_build(split_docs(built), &spec, &vars).unwrap();
        assert_eq!(out[0]["data"], json!({"t": "hello  dflt", "sh": "echo $HOME $ 3", "port": "3"}));
        assert_eq!(out[0]["spec"]["replicas"], 3, "an unquoted placeholder takes the value's YAML type");
        assert_eq!(out[1]["data"]["t"], "${GREETING}", "substitution disabled on this object");
        for o in &out {
            assert_eq!(
                o["metadata"]["labels"],
                json!({"team": "a", NAME_LABEL: "web", NAMESPACE_LABEL: "flux-system"})
            );
        }
        let bad = vec!["apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  t: ${OPEN\n".to_owned()];
        let err = post_build(bad, &spec, &vars).unwrap_err().to_string();
        assert!(err.starts_with("post-build substitution in ConfigMap/c: unclosed"), "{err}");
    }

    #[test]
    fn the_wrapper_carries_the_spec_with_relative_paths() {
        let ks = json!({"metadata": {"name": "web", "namespace": "flux-system"}, "spec": {"path": "./apps/web/",
            "targetNamespace": "apps", "namePrefix": "p-", "images": [{"name": "nginx", "newTag": "1.27"}],
            "components": ["../components/x"], "postBuild": {"substitute": {"A": "1"}}}});
        let spec = BuildSpec::from_kustomization(&ks);
        assert_eq!(spec.path, "apps/web");
        assert!(spec.post_build);
        let root = Path::new("/src/repo/apps/web");
        let w = wrapper(&spec, root, &[root.join("a.yaml"), root.join("sub")], Path::new("/tmp/x/wrapper"));
        assert_eq!(
            w,
            json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                "resources": ["../../../src/repo/apps/web/a.yaml", "../../../src/repo/apps/web/sub"],
                "namespace": "apps", "namePrefix": "p-", "images": [{"name": "nginx", "newTag": "1.27"}],
                "components": ["../../../src/repo/apps/web/../components/x"]})
        );
    }
}
