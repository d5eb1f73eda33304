//! Bootstrapping a new cluster's GitOps, two ways (the wizard explains both, writes the chosen one):
//!
//! - **Flux in the cluster** ([`BootstrapMode::Flux`]): the files `flux bootstrap` commits (REFERENCE.md
//!   section B): `<path>/flux-system/gotk-sync.yaml` (GitRepository + Kustomization `flux-system`),
//!   `kustomization.yaml` listing the files, and `gotk-components.yaml` copied from a components file the
//!   user supplies (`flux install --export`; nothing is downloaded). The cluster then needs the components
//!   applied once and the `flux-system` deploy-key Secret; from there it syncs `<path>` itself.
//!   `<path>` defaults to `clusters/<cluster>`.
//! - **Synced from the management cluster** ([`BootstrapMode::Management`]): no Flux in the workload
//!   cluster. The management cluster's Flux applies `clusters/<cluster>` into it through a Kustomization
//!   with `spec.kubeConfig.secretRef: <cluster>-kubeconfig` (the Secret Cluster API writes), next to a
//!   GitopsCluster registering the cluster with Weave GitOps. Both go to
//!   `<capi path>/<namespace>/<cluster>-sync.yaml`, which the management cluster already syncs.
use serde_json::{Value, json};

use super::repo::FileChange;
use super::yaml;

/// How the new cluster gets its GitOps sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BootstrapMode {
    /// Flux runs in the workload cluster and syncs its own path.
    Flux,
    /// The management cluster's Flux applies into the workload cluster through its kubeconfig Secret.
    Management,
}

impl BootstrapMode {
    /// One paragraph for people choosing between the two.
    pub fn explain(self) -> &'static str {
        match self {
            BootstrapMode::Flux => {
                "Flux in the cluster: writes the flux-system files `flux bootstrap` commits (gotk-sync.yaml, \
                 kustomization.yaml, and gotk-components.yaml from a components file you supply). The cluster \
                 runs its own Flux controllers and syncs clusters/<cluster> from this repository; it keeps \
                 working if the management cluster is down, but each cluster needs a deploy key."
            }
            BootstrapMode::Management => {
                "Synced from the management cluster: writes a Kustomization in the management cluster that \
                 applies clusters/<cluster> into the new cluster through its <cluster>-kubeconfig Secret, and \
                 a GitopsCluster. No Flux runs in the new cluster and no deploy key is needed there; syncing \
                 stops while the management cluster is down."
            }
        }
    }
}

/// What to bootstrap.
#[derive(Debug, Clone)]
pub struct BootstrapRequest {
    /// The cluster's name.
    pub cluster: String,
    /// The Cluster's namespace in the management cluster (where `<cluster>-kubeconfig` lives).
    pub namespace: String,
    /// Which way.
    pub mode: BootstrapMode,
    /// The repository URL the cluster's GitRepository fetches (Flux mode).
    pub url: String,
    /// The branch it follows (Flux mode).
    pub branch: String,
    /// The folder the cluster syncs; default `clusters/<cluster>`.
    pub path: Option<String>,
    /// Text of `gotk-components.yaml` (Flux mode; without it, `kustomization.yaml` lists only gotk-sync).
    pub components: Option<String>,
    /// The management cluster's folder of cluster manifests (Management mode).
    pub capi_path: String,
    /// Whether a GitopsCluster for this cluster is already in the repository (then none is written).
    pub has_gitops_cluster: bool,
}

impl BootstrapRequest {
    /// The folder the cluster syncs, without `./`.
    pub fn sync_path(&self) -> String {
        super::template::normalize_path(self.path.as_deref().unwrap_or(&format!("clusters/{}", self.cluster)))
    }
}

/// The branch name of a bootstrap.
pub fn branch(cluster: &str) -> String {
    format!("fleetdeck/bootstrap-{cluster}")
}

/// The commit message of a bootstrap.
pub fn message(req: &BootstrapRequest) -> String {
    match req.mode {
        BootstrapMode::Flux => format!("Bootstrap Flux on cluster {}", req.cluster),
        BootstrapMode::Management => format!("Sync cluster {} from the management cluster", req.cluster),
    }
}

fn gotk_sync(req: &BootstrapRequest) -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": { "name": "flux-system", "namespace": "flux-system" },
            "spec": {
                "interval": "1m0s",
                "ref": { "branch": req.branch },
                "secretRef": { "name": "flux-system" },
                "url": req.url,
            },
        }),
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": { "name": "flux-system", "namespace": "flux-system" },
            "spec": {
                "interval": "10m0s",
                "path": format!("./{}", req.sync_path()),
                "prune": true,
                "sourceRef": { "kind": "GitRepository", "name": "flux-system" },
            },
        }),
    ]
}

/// The objects of the management-side sync (Management mode): the remote Kustomization, then the
/// GitopsCluster unless one exists.
pub fn management_objects(req: &BootstrapRequest) -> Vec<Value> {
    let mut out = vec![json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": { "name": req.cluster, "namespace": req.namespace },
        "spec": {
            "interval": "10m0s",
            "path": format!("./{}", req.sync_path()),
            "prune": true,
            "sourceRef": { "kind": "GitRepository", "name": "flux-system", "namespace": "flux-system" },
            "kubeConfig": { "secretRef": { "name": format!("{}-kubeconfig", req.cluster) } },
        },
    })];
    if !req.has_gitops_cluster {
        out.push(json!({
            "apiVersion": "gitops.weave.works/v1alpha1",
            "kind": "GitopsCluster",
            "metadata": { "name": req.cluster, "namespace": req.namespace },
            "spec": { "capiClusterRef": { "name": req.cluster } },
        }));
    }
    out
}

/// The files of a bootstrap, with the objects of each (empty for `kustomization.yaml` and the verbatim
/// components file, which are not API objects one could dry-run).
///
/// # Errors
/// Only YAML serialization failures.
pub fn files(req: &BootstrapRequest) -> anyhow::Result<Vec<(FileChange, Vec<Value>)>> {
    match req.mode {
        BootstrapMode::Flux => {
            let dir = format!("{}/flux-system", req.sync_path());
            let sync = gotk_sync(req);
            let mut resources = Vec::new();
            let mut out = Vec::new();
            if let Some(components) = &req.components {
                resources.push("gotk-components.yaml");
                out.push((
                    FileChange { path: format!("{dir}/gotk-components.yaml"), content: Some(components.clone()) },
                    Vec::new(),
                ));
            }
            resources.push("gotk-sync.yaml");
            out.push((
                FileChange { path: format!("{dir}/gotk-sync.yaml"), content: Some(yaml::emit_docs(&sync)?) },
                sync,
            ));
            let kustomization = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": resources,
            });
            out.push((
                FileChange {
                    path: format!("{dir}/kustomization.yaml"),
                    content: Some(yaml::emit_docs(&[kustomization])?),
                },
                Vec::new(),
            ));
            Ok(out)
        }
        BootstrapMode::Management => {
            let objects = management_objects(req);
            let path = format!("{}/{}/{}-sync.yaml", req.capi_path.trim_end_matches('/'), req.namespace, req.cluster);
            Ok(vec![(FileChange { path, content: Some(yaml::emit_docs(&objects)?) }, objects)])
        }
    }
}
