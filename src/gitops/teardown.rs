//! Tearing a cluster down in git: one commit removing its files (Weave GitOps' delete flow, REFERENCE.md
//! section D), listing exactly what goes and what Flux and Cluster API then delete.
//!
//! Removed: `<capi path>/<namespace>/<cluster>.yaml`, everything under `clusters/<namespace>/<cluster>/`
//! (profiles) and `clusters/<cluster>/` (the cluster's own sync path), and every other YAML file whose
//! documents are all objects of the cluster (in its namespace, named `<cluster>` or `<cluster>-...`, e.g.
//! `<cluster>-gitopscluster.yaml`, `<cluster>-sync.yaml`). A file that mixes the cluster's objects with
//! others is not touched and is reported, so nothing unrelated is lost.
use serde::Serialize;
use serde_json::Value;

use super::locate::YamlFile;
use super::repo::FileChange;
use super::yaml;

/// A file the teardown removes, with the objects it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemovedFile {
    /// Repository-relative path.
    pub path: String,
    /// `Kind/namespace/name` of each document.
    pub objects: Vec<String>,
}

/// The teardown of one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Teardown {
    /// Files removed.
    pub removed: Vec<RemovedFile>,
    /// What happens once the commit is merged, one line each.
    pub consequences: Vec<String>,
    /// Files that mention the cluster but also hold other objects: left alone.
    pub left_alone: Vec<String>,
}

impl Teardown {
    /// The deletions to commit.
    pub fn changes(&self) -> Vec<FileChange> {
        self.removed.iter().map(|f| FileChange { path: f.path.clone(), content: None }).collect()
    }
}

/// The branch name of a teardown.
pub fn branch(cluster: &str) -> String {
    format!("fleetdeck/delete-{cluster}")
}

/// The commit message of a teardown.
pub fn message(namespace: &str, cluster: &str) -> String {
    format!("Delete cluster {namespace}/{cluster}")
}

fn belongs(doc: &Value, namespace: &str, cluster: &str) -> bool {
    let (_, _, ns, name) = yaml::object_key(doc);
    ns == namespace && (name == cluster || name.starts_with(&format!("{cluster}-")))
}

/// Plans the teardown of `namespace/cluster` over `files` (every YAML file at the base) plus `other_paths`
/// (non-YAML files at the base, removed when under the cluster's folders). `None` when the repository has
/// no file of the cluster.
pub fn plan(
    files: &[YamlFile],
    other_paths: &[String],
    capi_path: &str,
    namespace: &str,
    cluster: &str,
) -> Option<Teardown> {
    let main = format!("{}/{namespace}/{cluster}.yaml", capi_path.trim_end_matches('/'));
    let dirs = [format!("clusters/{namespace}/{cluster}/"), format!("clusters/{cluster}/")];
    let in_dirs = |p: &str| dirs.iter().any(|d| p.starts_with(d.as_str()));
    let mut removed = Vec::new();
    let mut left_alone = Vec::new();
    let mut objects: Vec<Value> = Vec::new();
    for f in files {
        let docs = f.docs.as_ref().ok();
        let describe = |docs: &[Value]| docs.iter().map(yaml::describe).collect::<Vec<_>>();
        let all_ours = docs.is_some_and(|d| !d.is_empty() && d.iter().all(|doc| belongs(doc, namespace, cluster)));
        if f.path == main || in_dirs(&f.path) || all_ours {
            let d = docs.cloned().unwrap_or_default();
            removed.push(RemovedFile { path: f.path.clone(), objects: describe(&d) });
            if !in_dirs(&f.path) || f.path.starts_with(&dirs[0]) {
                objects.extend(d);
            }
        } else if let Some(d) = docs
            && d.iter().any(|doc| belongs(doc, namespace, cluster))
        {
            let ours: Vec<String> =
                d.iter().filter(|doc| belongs(doc, namespace, cluster)).map(yaml::describe).collect();
            left_alone.push(format!(
                "{} also holds other objects; remove {} by hand if they should go",
                f.path,
                ours.join(", ")
            ));
        }
    }
    for p in other_paths.iter().filter(|p| in_dirs(p)) {
        removed.push(RemovedFile { path: p.clone(), objects: Vec::new() });
    }
    if removed.is_empty() {
        return None;
    }
    removed.sort_by(|a, b| a.path.cmp(&b.path));
    let consequences = consequences(&objects, namespace, cluster, removed.iter().any(|f| f.path.starts_with(&dirs[1])));
    Some(Teardown { removed, consequences, left_alone })
}

fn consequences(objects: &[Value], namespace: &str, cluster: &str, own_sync: bool) -> Vec<String> {
    let mut out = Vec::new();
    for o in objects {
        let what = yaml::describe(o);
        let (group, kind, _, _) = yaml::object_key(o);
        let pruned = o["metadata"]["annotations"]["kustomize.toolkit.fluxcd.io/prune"] != "disabled";
        let line = match (group.as_str(), kind.as_str()) {
            ("cluster.x-k8s.io", "Cluster") => format!(
                "Flux prunes {what}; Cluster API then deletes everything it owns: control plane, MachineDeployments, \
                 MachinePools, Machines, infrastructure objects (and their cloud resources) and the Secret \
                 {namespace}/{cluster}-kubeconfig"
            ),
            ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                format!("Flux prunes {what}; helm-controller uninstalls its release from the workload cluster")
            }
            ("kustomize.toolkit.fluxcd.io", "Kustomization") => {
                format!("Flux prunes {what}; with prune: true it deletes what it applied")
            }
            _ if !pruned && group.ends_with("cluster.x-k8s.io") => {
                format!("{what} has prune disabled: Flux leaves it; Cluster API deletes it with the Cluster")
            }
            _ if !pruned => format!("{what} has prune disabled: Flux leaves it in the cluster"),
            _ => format!("Flux prunes {what}"),
        };
        out.push(line);
    }
    if own_sync {
        out.push(format!("clusters/{cluster}/ goes too: the workload cluster's own sync path (its flux-system files)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(path: &str, docs: Vec<Value>) -> YamlFile {
        YamlFile { path: path.into(), text: String::new(), docs: Ok(docs) }
    }

    fn obj(kind: &str, ns: &str, name: &str) -> Value {
        json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": kind, "metadata": {"namespace": ns, "name": name}})
    }

    #[test]
    fn removes_exactly_the_clusters_files() {
        let cap = "clusters/management/clusters";
        let files = vec![
            file(
                "clusters/management/clusters/team/dev.yaml",
                vec![obj("Cluster", "team", "dev"), obj("MachinePool", "team", "dev-pool-0")],
            ),
            file("clusters/management/clusters/team/dev-gitopscluster.yaml", vec![obj("GitopsCluster", "team", "dev")]),
            file("clusters/management/clusters/team/devops.yaml", vec![obj("Cluster", "team", "devops")]),
            file(
                "clusters/management/clusters/team/mixed.yaml",
                vec![obj("Cluster", "team", "other"), obj("ConfigMap", "team", "dev-extra")],
            ),
            file("clusters/management/clusters/other/dev.yaml", vec![obj("Cluster", "other", "dev")]),
            file(
                "clusters/team/dev/profiles.yaml",
                vec![
                    json!({"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"namespace": "team", "name": "dev-podinfo"}}),
                ],
            ),
            file("clusters/dev/flux-system/gotk-sync.yaml", vec![]),
        ];
        let other = vec!["clusters/dev/README.md".to_owned(), "README.md".to_owned()];
        let t = plan(&files, &other, cap, "team", "dev").unwrap();
        let paths: Vec<&str> = t.removed.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "clusters/dev/README.md",
                "clusters/dev/flux-system/gotk-sync.yaml",
                "clusters/management/clusters/team/dev-gitopscluster.yaml",
                "clusters/management/clusters/team/dev.yaml",
                "clusters/team/dev/profiles.yaml",
            ]
        );
        assert_eq!(t.left_alone.len(), 1, "{:?}", t.left_alone);
        assert!(t.left_alone[0].contains("mixed.yaml") && t.left_alone[0].contains("ConfigMap/team/dev-extra"));
        assert!(
            t.consequences.iter().any(|c| c.contains("Cluster API then deletes") && c.contains("team/dev-kubeconfig"))
        );
        assert!(t.consequences.iter().any(|c| c.contains("uninstalls")));
        assert!(plan(&files, &other, cap, "team", "nope").is_none());
    }
}
