//! The cluster side of the drift diff (`fleetdeck diff kustomization`, the cockpit's `D`): reading the live
//! Kustomization and its `spec.postBuild.substituteFrom` variables, then judging each built object by a
//! server-side apply **dry-run** (`dryRun=All`, `force=true`, field manager `kustomize-controller`, as
//! fluxcd/pkg `ssa` `ResourceManager.Diff` does for `flux diff kustomization`) against a GET of the live
//! object ([`crate::model::drift::judge`]). With `spec.prune`, objects of `status.inventory` that the build no
//! longer has are reported `deleted`, unless their live object is gone already or is annotated
//! `kustomize.toolkit.fluxcd.io/prune: disabled`.
//!
//! Nothing is written: every request is a GET or a dry-run, so read-only mode allows it (RBAC still needs
//! `patch` on the objects for the dry-run; a refusal is that object's `failed` verdict). Secret values read
//! for substitution or comparison stay in memory and are masked before any text is made.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use base64::Engine;
use futures::StreamExt;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde::Serialize;
use serde_json::Value;

use super::clients::Clients;
use crate::fleet::lineage::{cluster_of_secret, derived_name};
use crate::fleet::served::{Gvk, Served, api, key, served};
use crate::fleet::watch::api_resource;
use crate::gitops::kustomize_build::{BuildError, BuildSpec, Kustomize, Source, build, post_build};
use crate::gitops::repo::Repo;
use crate::gitops::revision::{commit_of_revision, short};
use crate::model::drift::{DriftCounts, DriftEntry, Verdict, judge};
use crate::model::flux_tree::{ObjMetadata, parse_inventory_id};
use crate::model::kinds::KindId;

/// The field manager kustomize-controller applies with (kustomize-controller `main.go`).
pub const FIELD_MANAGER: &str = "kustomize-controller";
/// Requests in flight at once.
pub const CONCURRENCY: usize = 16;
/// Annotation that keeps kustomize-controller from applying an object, with value `disabled`.
pub const RECONCILE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/reconcile";
/// Annotation that keeps kustomize-controller from applying an object, with value `ignore`.
pub const SSA_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/ssa";
/// Annotation that keeps kustomize-controller from pruning an object, with value `disabled`.
pub const PRUNE_ANNOTATION: &str = "kustomize.toolkit.fluxcd.io/prune";

/// Why the Kustomization or its variables could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The Kustomization is not there.
    #[error("Kustomization {namespace}/{name} not found")]
    NotFound { namespace: String, name: String },
    /// A request failed.
    #[error("{0}")]
    Request(String),
    /// No commit to read the manifests at, or the clone lacks it.
    #[error("{0}")]
    Revision(String),
    /// The manifests could not be built.
    #[error("building the manifests: {0}")]
    Build(#[from] BuildError),
}

/// Where the manifests of a diff come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffSource {
    /// A local folder standing for `spec.path` (`--path`).
    Path(PathBuf),
    /// A local clone of the source repository, read at `revision` (default: the Kustomization's
    /// `status.lastAppliedRevision`, else `spec.sourceRef`'s `status.artifact.revision`).
    Repo {
        /// Any folder inside the clone.
        path: PathBuf,
        /// The remote's name (config.yaml `git.remote`).
        remote: String,
        /// A revision to use instead of the applied one (`main@sha1:<hex>` or a hex id).
        revision: Option<String>,
    },
}

/// What to diff.
#[derive(Debug, Clone)]
pub struct DiffRequest {
    /// The Kustomization.
    pub namespace: String,
    pub name: String,
    /// The manifests' source.
    pub source: DiffSource,
    /// `--kustomize BIN`, else `kustomize` / `kubectl` on `PATH` ([`Kustomize::find`]).
    pub kustomize: Option<PathBuf>,
}

/// A finished diff (`-o json` prints it; README "Drift from git").
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffReport {
    /// `namespace/name` of the Kustomization.
    pub kustomization: String,
    /// The context its objects were judged in (the Kustomization's own, or the workload cluster its
    /// `spec.kubeConfig` names).
    pub applied_in: String,
    /// The folder or `<clone> at <commit>` the manifests were built from.
    pub source: String,
    /// The revision read (`""` with `--path`).
    pub revision: String,
    /// How it was built (`kustomize build`, `kubectl kustomize`).
    pub built_with: String,
    /// Verdict counts.
    pub counts: DriftCounts,
    /// Each object: build order, then deletions.
    pub entries: Vec<DriftEntry>,
    /// Milliseconds: building (git read, kustomize, post-build) and judging (reads and dry-runs).
    pub build_ms: u64,
    pub judge_ms: u64,
}

/// The context a Kustomization in `context` applies to: `context` itself, or with `spec.kubeConfig` naming a
/// Cluster API kubeconfig Secret `<cluster>-kubeconfig`, the derived workload context
/// `<context>/<namespace>/<cluster>` ([`Clients::get`] reaches it through that Secret).
///
/// # Errors
/// [`DiffError::Request`] for a `spec.kubeConfig` fleetdeck cannot map (a `configMapRef`, or a Secret not
/// named `<cluster>-kubeconfig`, or EKS's interactive `<cluster>-user-kubeconfig`, as `fleet::lineage` skips it).
pub fn apply_context(context: &str, ks: &Value) -> Result<String, DiffError> {
    let kc = &ks["spec"]["kubeConfig"];
    if kc.is_null() {
        return Ok(context.to_owned());
    }
    let ns = ks["metadata"]["namespace"].as_str().unwrap_or_default();
    match kc["secretRef"]["name"].as_str().and_then(cluster_of_secret) {
        Some(cluster) => Ok(derived_name(context, ns, cluster)),
        _ => Err(DiffError::Request(format!(
            "the Kustomization applies to another cluster through spec.kubeConfig ({}), which is not a Cluster API \
             kubeconfig Secret (<cluster>-kubeconfig): fleetdeck cannot diff against that cluster",
            kc
        ))),
    }
}

/// Reads the Kustomization in `context`, builds its manifests from `req.source` (off the async threads), and
/// judges each object ([`diff`]) in the cluster it applies to ([`apply_context`]).
///
/// # Errors
/// The Kustomization missing or unreadable, no revision or a revision the clone lacks, the build failing
/// (kustomize missing, its error), a `substituteFrom` source missing, no client for a context. Per-object
/// failures are verdicts, not errors.
pub async fn run(clients: &Clients, context: &str, req: &DiffRequest) -> Result<DiffReport, DiffError> {
    let client = &clients.get(context).await.map_err(|e| DiffError::Request(e.to_string()))?;
    let ks = read_kustomization(client, &req.namespace, &req.name).await?;
    let target_context = apply_context(context, &ks)?;
    let target = &clients.get(&target_context).await.map_err(|e| DiffError::Request(e.to_string()))?;
    let spec = BuildSpec::from_kustomization(&ks);
    let vars = if spec.post_build { variables(client, &ks).await? } else { BTreeMap::new() };
    let kustomize = Kustomize::find(req.kustomize.as_deref())?;
    let revision = match &req.source {
        DiffSource::Path(_) => String::new(),
        DiffSource::Repo { revision: Some(r), .. } => r.clone(),
        DiffSource::Repo { revision: None, .. } => applied_revision(client, &ks).await?,
    };
    let started = Instant::now();
    let source = req.source.clone();
    let built_with = kustomize.describe();
    let (objects, place) = tokio::task::spawn_blocking({
        let revision = revision.clone();
        move || build_from(&spec, &source, &revision, &kustomize, &vars)
    })
    .await
    .map_err(|e| DiffError::Request(format!("the build task failed: {e}")))??;
    let build_ms = started.elapsed().as_millis() as u64;
    let started = Instant::now();
    let label = if revision.is_empty() { "git".to_owned() } else { format!("git {revision}") };
    let entries = diff(target, &ks, &objects, &label).await;
    Ok(DiffReport {
        kustomization: format!("{}/{}", req.namespace, req.name),
        applied_in: target_context,
        source: place,
        revision,
        built_with,
        counts: DriftCounts::of(&entries),
        entries,
        build_ms,
        judge_ms: started.elapsed().as_millis() as u64,
    })
}

/// The revision the Kustomization last applied, else its source's artifact revision (a GitRepository's
/// `status.artifact.revision`).
async fn applied_revision(client: &kube::Client, ks: &Value) -> Result<String, DiffError> {
    if let Some(r) = ks["status"]["lastAppliedRevision"].as_str().filter(|r| !r.is_empty()) {
        return Ok(r.to_owned());
    }
    let ns = ks["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = format!("{ns}/{}", ks["metadata"]["name"].as_str().unwrap_or_default());
    let source = &ks["spec"]["sourceRef"];
    let none = || {
        DiffError::Revision(format!(
            "Kustomization {name} has applied no revision yet and its source has no artifact: give --revision or --path"
        ))
    };
    if source["kind"] != "GitRepository" {
        return Err(none());
    }
    let ar = api_resource(KindId::GIT_REPOSITORY, "v1");
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), source["namespace"].as_str().unwrap_or(ns), &ar);
    let repo = api
        .get_opt(source["name"].as_str().unwrap_or_default())
        .await
        .map_err(|e| DiffError::Request(format!("reading the source of {name}: {}", crate::fleet::describe(&e))))?;
    repo.and_then(|r| r.data["status"]["artifact"]["revision"].as_str().map(str::to_owned)).ok_or_else(none)
}

/// Step 1–4 of [`crate::gitops::kustomize_build`]: the objects, and where they were built from.
fn build_from(
    spec: &BuildSpec,
    source: &DiffSource,
    revision: &str,
    kustomize: &Kustomize,
    vars: &BTreeMap<String, String>,
) -> Result<(Vec<Value>, String), DiffError> {
    let (objects, place) = match source {
        DiffSource::Path(dir) => (build(spec, Source::Dir(dir), kustomize)?, dir.display().to_string()),
        DiffSource::Repo { path, remote, .. } => {
            let repo = Repo::open(path, remote).map_err(|e| DiffError::Revision(e.to_string()))?;
            let commit = commit_of_revision(revision).ok_or_else(|| {
                DiffError::Revision(format!(
                    "revision {revision:?} does not name a git commit (an OCI or Helm source?): give --path"
                ))
            })?;
            let has = |repo: &Repo| repo.has_commit(commit).map_err(|e| DiffError::Revision(e.to_string()));
            if !has(&repo)? {
                // The Kustomization applied a commit pushed since the clone last fetched: fetch (remote-tracking
                // refs only), as source-controller would have.
                let fetched = repo.fetch_all();
                if !has(&repo)? {
                    let why = fetched.err().map(|e| format!(" (git fetch {remote} failed: {e})")).unwrap_or_default();
                    return Err(DiffError::Revision(format!(
                        "the clone at {} does not have commit {commit} (revision {revision}), not even after \
                         fetching {remote}{why}",
                        repo.root().display()
                    )));
                }
            }
            let place = format!("{} at {}", repo.root().display(), short(commit));
            (build(spec, Source::Commit { repo: &repo, commit }, kustomize)?, place)
        }
    };
    Ok((post_build(objects, spec, vars)?, place))
}

/// The Kustomization `namespace/name` (`kustomize.toolkit.fluxcd.io/v1`) as JSON.
///
/// # Errors
/// [`DiffError::NotFound`], or the request's failure.
pub async fn read_kustomization(client: &kube::Client, namespace: &str, name: &str) -> Result<Value, DiffError> {
    let ar = api_resource(KindId::KUSTOMIZATION, "v1");
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
    match api.get_opt(name).await {
        Ok(Some(o)) => serde_json::to_value(o).map_err(|e| DiffError::Request(e.to_string())),
        Ok(None) => Err(DiffError::NotFound { namespace: namespace.into(), name: name.into() }),
        Err(e) => {
            Err(DiffError::Request(format!("reading Kustomization {namespace}/{name}: {}", crate::fleet::describe(&e))))
        }
    }
}

/// The variables of `spec.postBuild`: each `substituteFrom` ConfigMap's or Secret's data in order (Secret
/// values base64-decoded), then the inline `substitute` over them, as kustomize-controller merges them. A
/// missing source marked `optional: true` is skipped.
///
/// # Errors
/// A missing source that is not optional, or a failed read, naming the source.
pub async fn variables(client: &kube::Client, ks: &Value) -> Result<BTreeMap<String, String>, DiffError> {
    let namespace = ks["metadata"]["namespace"].as_str().unwrap_or_default();
    let mut vars = BTreeMap::new();
    for from in ks["spec"]["postBuild"]["substituteFrom"].as_array().into_iter().flatten() {
        let kind = from["kind"].as_str().unwrap_or_default();
        let name = from["name"].as_str().unwrap_or_default();
        let optional = from["optional"].as_bool().unwrap_or(false);
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("", "v1", kind));
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
        let obj = api.get_opt(name).await.map_err(|e| {
            DiffError::Request(format!(
                "reading substituteFrom {kind}/{namespace}/{name}: {}",
                crate::fleet::describe(&e)
            ))
        })?;
        let Some(obj) = obj else {
            if optional {
                continue;
            }
            return Err(DiffError::Request(format!("substituteFrom {kind}/{namespace}/{name} not found")));
        };
        for (k, v) in obj.data["data"].as_object().into_iter().flatten() {
            let text = v.as_str().unwrap_or_default();
            let value = if kind == "Secret" {
                let bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default();
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                text.to_owned()
            };
            vars.insert(k.clone(), value);
        }
    }
    let inline = ks["spec"]["postBuild"]["substitute"].as_object();
    for (k, v) in inline.into_iter().flatten() {
        vars.insert(k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned));
    }
    Ok(vars)
}

/// Judges every built object (in build order), then the inventory entries that would be pruned. Never fails
/// as a whole: an object that cannot be judged carries its own `failed` verdict. `git_label` heads the
/// `+++` side of each diff.
pub async fn diff(client: &kube::Client, ks: &Value, objects: &[Value], git_label: &str) -> Vec<DriftEntry> {
    let inventory: Vec<(ObjMetadata, String)> = ks["status"]["inventory"]["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let id = parse_inventory_id(e["id"].as_str()?).ok()?;
            Some((id, e["v"].as_str().unwrap_or_default().to_owned()))
        })
        .collect();
    let built: HashSet<ObjMetadata> = objects.iter().map(identity).collect();
    let prune = ks["spec"]["prune"].as_bool().unwrap_or(false);
    let gone: Vec<&(ObjMetadata, String)> =
        if prune { inventory.iter().filter(|(id, _)| !built.contains(id)).collect() } else { Vec::new() };

    let gvks =
        objects.iter().map(gvk_of).chain(gone.iter().map(|(id, v)| GroupVersionKind::gvk(&id.group, v, &id.kind)));
    let kinds: HashMap<Gvk, Served> = served(client, gvks)
        .await
        .into_iter()
        .map(|((g, v, k), s)| {
            let s = s.map_err(|e| format!("{g}/{v} {k} is not served: {e}"));
            ((g, v, k), s)
        })
        .collect();

    let judged: Vec<_> = objects
        .iter()
        .map(|obj| {
            let kind = kinds.get(&key(&gvk_of(obj))).cloned();
            judge_one(client, obj, kind, git_label)
        })
        .collect();
    let mut entries: Vec<DriftEntry> = futures::stream::iter(judged).buffered(CONCURRENCY).collect().await;
    let pruned: Vec<_> = gone
        .into_iter()
        .map(|(id, v)| {
            let kind = kinds.get(&(id.group.clone(), v.clone(), id.kind.clone())).cloned();
            would_prune(client, id, v, kind)
        })
        .collect();
    let pruned: Vec<Option<DriftEntry>> = futures::stream::iter(pruned).buffered(CONCURRENCY).collect().await;
    entries.extend(pruned.into_iter().flatten());
    entries
}

/// Group, kind, namespace and name of a manifest.
fn identity(obj: &Value) -> ObjMetadata {
    let (group, kind, namespace, name) = crate::gitops::yaml::object_key(obj);
    ObjMetadata { namespace, name, group, kind }
}

fn gvk_of(obj: &Value) -> GroupVersionKind {
    let api_version = obj["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    GroupVersionKind::gvk(group, version, obj["kind"].as_str().unwrap_or_default())
}

fn entry(obj: &Value, verdict: Verdict) -> DriftEntry {
    DriftEntry {
        api_version: obj["apiVersion"].as_str().unwrap_or_default().to_owned(),
        object: identity(obj),
        verdict,
    }
}

async fn judge_one(client: &kube::Client, obj: &Value, kind: Option<Served>, git_label: &str) -> DriftEntry {
    let annotations = &obj["metadata"]["annotations"];
    if annotations[RECONCILE_ANNOTATION] == "disabled" {
        return entry(obj, Verdict::Skipped { reason: format!("{RECONCILE_ANNOTATION}: disabled") });
    }
    if annotations[SSA_ANNOTATION].as_str().is_some_and(|v| v.eq_ignore_ascii_case("ignore")) {
        return entry(obj, Verdict::Skipped { reason: format!("{SSA_ANNOTATION}: ignore") });
    }
    let (ar, namespaced) = match kind {
        Some(Ok(k)) => k,
        Some(Err(why)) => return entry(obj, Verdict::Failed { error: why }),
        None => return entry(obj, Verdict::Failed { error: "not served".into() }),
    };
    let id = identity(obj);
    if namespaced && id.namespace.is_empty() {
        return entry(
            obj,
            Verdict::Failed {
                error: "namespaced object without a namespace (set one, or spec.targetNamespace)".into(),
            },
        );
    }
    let api = api(client, &ar, namespaced, &id.namespace);
    let live = match api.get_opt(&id.name).await {
        Ok(o) => o.map(|o| serde_json::to_value(o).unwrap_or_default()),
        Err(e) => return entry(obj, Verdict::Failed { error: format!("reading it: {}", crate::fleet::describe(&e)) }),
    };
    let params =
        PatchParams { dry_run: true, force: true, field_manager: Some(FIELD_MANAGER.into()), ..Default::default() };
    match api.patch(&id.name, &params, &Patch::Apply(obj)).await {
        Ok(dry) => {
            let dry = serde_json::to_value(dry).unwrap_or_default();
            entry(obj, judge(live.as_ref(), &dry, git_label))
        }
        // A new object in a namespace the same build creates: the dry-run cannot see that namespace yet.
        Err(kube::Error::Api(s)) if live.is_none() && s.code == 404 => entry(obj, Verdict::Created),
        Err(e) => entry(obj, Verdict::Failed { error: format!("dry-run refused: {}", crate::fleet::describe(&e)) }),
    }
}

async fn would_prune(
    client: &kube::Client,
    id: &ObjMetadata,
    version: &str,
    kind: Option<Served>,
) -> Option<DriftEntry> {
    let api_version = if id.group.is_empty() { version.to_owned() } else { format!("{}/{version}", id.group) };
    let make = |verdict| DriftEntry { api_version: api_version.clone(), object: id.clone(), verdict };
    let (ar, namespaced) = match kind {
        Some(Ok(k)) => k,
        Some(Err(why)) => return Some(make(Verdict::Failed { error: why })),
        None => return Some(make(Verdict::Failed { error: "not served".into() })),
    };
    match api(client, &ar, namespaced, &id.namespace).get_opt(&id.name).await {
        Ok(None) => None,
        Ok(Some(live))
            if live.metadata.annotations.as_ref().and_then(|a| a.get(PRUNE_ANNOTATION)).map(String::as_str)
                == Some("disabled") =>
        {
            Some(make(Verdict::Skipped { reason: format!("{PRUNE_ANNOTATION}: disabled") }))
        }
        Ok(Some(_)) => Some(make(Verdict::Deleted)),
        Err(e) => Some(make(Verdict::Failed { error: format!("reading it: {}", crate::fleet::describe(&e)) })),
    }
}
