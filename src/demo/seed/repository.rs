//! The demo fleet's GitOps repository, as files: what each seeded Kustomization applied, written back as the
//! manifests git would hold (`status`, server-set metadata and the `kustomize.toolkit.fluxcd.io/*` labels
//! left out), one folder per `spec.path` with a `kustomization.yaml` listing its files, as `flux bootstrap`
//! writes them, except the management cluster's cluster folder (`clusters/management/clusters`), which has
//! none, as Weave GitOps' management repositories have it. Two commits, the demo's `FLEET_COMMIT - 1` and `FLEET_COMMIT`: the second adds
//! `./cert-manager` (a folder that does not exist) to `infrastructure/prod-us`, which is why that
//! Kustomization's build fails at the newest revision (`BuildFailed`) and the last applied one is the first.
//!
//! [`use_commits`] then puts the real commit ids of the repository `demo/repo.rs` made into the seed, in
//! place of the ids the seed makes up, so that `fleetdeck diff` finds each Kustomization's applied revision in
//! the clone. Pure: no IO.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Seed;
use super::flux_fleet::FLEET_COMMIT;
use super::ids::revision;
use crate::fleet::lineage::cluster_of_secret;
use crate::gitops::kustomize_build::clean_path;
use crate::gitops::template::DEFAULT_CAPI_REPOSITORY_PATH;

/// One commit: its message and the whole tree (`path -> text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The commit message.
    pub message: String,
    /// Every file of the tree at this commit.
    pub files: BTreeMap<String, String>,
}

/// The Kustomization labels kustomize-controller adds (not in git).
const FLUX_LABELS: [&str; 2] = ["kustomize.toolkit.fluxcd.io/name", "kustomize.toolkit.fluxcd.io/namespace"];

/// `obj` as a manifest in git: `apiVersion`, `kind`, `metadata` (name, namespace, labels without Flux's,
/// annotations) and every other top-level field but `status`.
fn manifest(obj: &Value) -> Value {
    let mut out =
        json!({"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {"name": obj["metadata"]["name"]}});
    let meta = &obj["metadata"];
    if let Some(ns) = meta["namespace"].as_str() {
        out["metadata"]["namespace"] = json!(ns);
    }
    if let Some(labels) = meta["labels"].as_object() {
        let kept: serde_json::Map<String, Value> = labels
            .iter()
            .filter(|(k, _)| !FLUX_LABELS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !kept.is_empty() {
            out["metadata"]["labels"] = Value::Object(kept);
        }
    }
    if let Some(a) = meta["annotations"].as_object().filter(|a| !a.is_empty()) {
        out["metadata"]["annotations"] = Value::Object(a.clone());
    }
    for (k, v) in obj.as_object().into_iter().flatten() {
        if !matches!(k.as_str(), "apiVersion" | "kind" | "metadata" | "status") {
            out[k] = v.clone();
        }
    }
    out
}

/// The file name of a manifest: `<kind>-<namespace>-<name>.yaml`, lower case.
fn file_name(obj: &Value) -> String {
    let kind = obj["kind"].as_str().unwrap_or_default().to_lowercase();
    match obj["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{kind}-{ns}-{}.yaml", obj["metadata"]["name"].as_str().unwrap_or_default()),
        None => format!("{kind}-{}.yaml", obj["metadata"]["name"].as_str().unwrap_or_default()),
    }
}

/// The context a Kustomization of `context` applies to: its own, or the workload cluster its
/// `spec.kubeConfig` Secret `<cluster>-kubeconfig` names (the demo names contexts after clusters).
fn target(context: &str, ks: &Value) -> String {
    ks["spec"]["kubeConfig"]["secretRef"]["name"].as_str().and_then(cluster_of_secret).unwrap_or(context).to_owned()
}

/// The tree of the newest commit without the change the newest commit makes: every Kustomization's folder.
fn tree(seed: &Seed) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for (context, objects) in &seed.contexts {
        for ks in objects.iter().filter(|o| {
            o["kind"] == "Kustomization"
                && o["apiVersion"].as_str().is_some_and(|a| a.starts_with("kustomize.toolkit.fluxcd.io/"))
        }) {
            let (name, namespace) = (&ks["metadata"]["name"], &ks["metadata"]["namespace"]);
            let dir = clean_path(ks["spec"]["path"].as_str().unwrap_or_default());
            let Some(applied) = seed.contexts.get(&target(context, ks)) else { continue };
            let mut listed = Vec::new();
            for obj in applied.iter().filter(|o| {
                o["metadata"]["labels"][FLUX_LABELS[0]] == *name
                    && o["metadata"]["labels"][FLUX_LABELS[1]] == *namespace
            }) {
                let file = file_name(obj);
                let text = serde_saphyr::to_string(&manifest(obj)).unwrap_or_default();
                files.insert(if dir.is_empty() { file.clone() } else { format!("{dir}/{file}") }, text);
                listed.push(file);
            }
            if dir == DEFAULT_CAPI_REPOSITORY_PATH {
                // The management cluster's cluster folder has no kustomization.yaml, as in Weave GitOps'
                // management repositories: kustomize-controller generates one holding every manifest below
                // it, so the files the create wizard adds in `<namespace>/` subfolders (and the ones the
                // teardown deletes) are applied (and pruned) without editing a list.
                continue;
            }
            listed.sort();
            let resources: Vec<Value> = listed.into_iter().map(Value::String).collect();
            let kustomization = json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources});
            let path =
                if dir.is_empty() { "kustomization.yaml".to_owned() } else { format!("{dir}/kustomization.yaml") };
            files.insert(path, serde_saphyr::to_string(&kustomization).unwrap_or_default());
        }
    }
    files
}

/// The repository's two commits (see the module docs).
pub fn fleet_repository(seed: &Seed) -> [Commit; 2] {
    let mut first = tree(seed);
    first.insert(
        "README.md".into(),
        "# fleet\n\nThe demo fleet's GitOps repository (written by `fleetdeck demo`).\n".into(),
    );
    let mut second = first.clone();
    let broken = "infrastructure/prod-us/kustomization.yaml";
    if let Some(text) = second.get_mut(broken) {
        text.push_str("  - ./cert-manager\n");
    }
    [
        Commit { message: "Add the fleet".into(), files: first },
        Commit { message: "prod-us: install cert-manager".into(), files: second },
    ]
}

/// Replaces the made-up commit ids of `FLEET_COMMIT - 1` and `FLEET_COMMIT` (in revisions, artifact paths,
/// messages, histories) with `commits` (full hex ids, oldest first) everywhere in the seed.
pub fn use_commits(seed: &mut Seed, commits: &[String; 2]) {
    let fake = |n: u64| revision("main", n).rsplit(':').next().unwrap_or_default().to_owned();
    let pairs = [(fake(FLEET_COMMIT - 1), commits[0].clone()), (fake(FLEET_COMMIT), commits[1].clone())];
    fn walk(v: &mut Value, pairs: &[(String, String); 2]) {
        match v {
            Value::String(s) => {
                for (from, to) in pairs {
                    if s.contains(from.as_str()) {
                        *s = s.replace(from.as_str(), to);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, pairs)),
            Value::Object(m) => m.values_mut().for_each(|i| walk(i, pairs)),
            _ => {}
        }
    }
    for objects in seed.contexts.values_mut() {
        objects.iter_mut().for_each(|o| walk(o, &pairs));
    }
}
