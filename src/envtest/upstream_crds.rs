//! The upstream projects' own CustomResourceDefinitions, taken at provision time from their Go modules'
//! `config/crd/bases` through the Go module proxy (`go mod download`), cached under the user cache dir and
//! never committed. [`super::install_crds`] installs them in place of fleetdeck's own CRD of the same name,
//! so the demo and the tests run against the real schemas, CEL validation rules included.
//!
//! Which module gives which CRD is [`SOURCES`]; the releases are the ones Flux v2.9.5's `go.mod` pins for the
//! toolkit controllers, Cluster API v1.14.2 (core, kubeadm bootstrap and control plane), CAPA v2.13.0 and
//! Crossplane v2.4.0 (XRDs, Compositions, packages and their revisions) and the Cluster Inventory API v0.1.2
//! (ClusterProfile).
//! Not served by the Go module proxy (checked 2026-12-02, `403 Forbidden`), so fleetdeck's own CRDs stay for
//! them: tofu-controller (`github.com/flux-iac/tofu-controller`: `Terraform`), Weave GitOps Enterprise
//! (`GitOpsTemplate`, `CAPITemplate`, `GitopsCluster`), and the Docker provider (CAPD lives in
//! `sigs.k8s.io/cluster-api/test`, which does not resolve).
//!
//! The CRD files in `config/crd/bases` are not what a provider deploys: its `config/crd/kustomization.yaml`
//! adds labels, among them Cluster API's contract labels (`cluster.x-k8s.io/v1beta2: v1beta2`) by which
//! Cluster API and clusterctl resolve a v1beta2 reference's `apiGroup` + `kind` to a version. [`ensure`] reads
//! those labels (`labels[].pairs` and `commonLabels`) from the kustomization beside each `bases` folder and
//! keeps them beside the file (`<file>.labels.json`); [`load`] puts them on the CRD.
//!
//! Upstream CRDs with several versions name a conversion webhook (a Service in the provider's namespace);
//! none runs here, so [`load`] sets the conversion strategy to `None`, as fleetdeck's own CRDs have it: the
//! API server then only rewrites `apiVersion` between versions.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceConversion, CustomResourceDefinition,
};

/// Whether the harness should use the upstream CRDs: yes unless `FLEETDECK_UPSTREAM_CRDS=0` asks for
/// fleetdeck's own (e.g. to check that the demo still runs where no Go is present), or the harness runs
/// kube-apiserver v1.20.2 (see [`why_not`]).
pub fn wanted() -> bool {
    why_not().is_none()
}

/// Why the harness uses fleetdeck's own CRDs instead of the upstream ones, if it does: `FLEETDECK_UPSTREAM_CRDS=0`,
/// or `FLEETDECK_KUBE_VERSION=v1.20.2`, whose API server refuses the upstream CRDs (cluster-api v1.14's
/// KubeadmControlPlane schema has `default: null` on string fields, which v1.20 rejects as not a string).
pub fn why_not() -> Option<String> {
    if std::env::var("FLEETDECK_UPSTREAM_CRDS").is_ok_and(|v| v == "0") {
        return Some("FLEETDECK_UPSTREAM_CRDS=0".into());
    }
    let version = super::assets::kube_version();
    (std::env::var_os("KUBEBUILDER_ASSETS").is_none() && version == super::assets::DEBIAN_KUBE_VERSION)
        .then(|| format!("kube-apiserver {version} refuses the upstream CRDs' schemas"))
}

/// One upstream Go module and the CRD files it carries (paths inside the module).
#[derive(Debug, Clone, Copy)]
pub struct Source {
    /// Module path, e.g. `sigs.k8s.io/cluster-api`.
    pub module: &'static str,
    /// Module version (a release tag).
    pub version: &'static str,
    /// CRD files, relative to the module root.
    pub files: &'static [&'static str],
}

/// Every upstream CRD the harness installs, by module. Kinds of fleetdeck's catalogue not listed here keep
/// fleetdeck's own CRD (see the module docs for why).
pub const SOURCES: &[Source] = &[
    Source {
        module: "sigs.k8s.io/cluster-api",
        version: "v1.14.2",
        files: &[
            "core/config/crd/bases/cluster.x-k8s.io_clusters.yaml",
            "core/config/crd/bases/cluster.x-k8s.io_clusterclasses.yaml",
            "core/config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml",
            "core/config/crd/bases/cluster.x-k8s.io_machinesets.yaml",
            "core/config/crd/bases/cluster.x-k8s.io_machines.yaml",
            "core/config/crd/bases/cluster.x-k8s.io_machinepools.yaml",
            "core/config/crd/bases/cluster.x-k8s.io_machinehealthchecks.yaml",
            "controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml",
            "bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigs.yaml",
            "bootstrap/kubeadm/config/crd/bases/bootstrap.cluster.x-k8s.io_kubeadmconfigtemplates.yaml",
        ],
    },
    Source {
        module: "sigs.k8s.io/cluster-api-provider-aws/v2",
        version: "v2.13.0",
        files: &[
            "config/crd/bases/infrastructure.cluster.x-k8s.io_awsclusters.yaml",
            "config/crd/bases/infrastructure.cluster.x-k8s.io_awsmanagedclusters.yaml",
            "config/crd/bases/infrastructure.cluster.x-k8s.io_awsmachines.yaml",
            "config/crd/bases/infrastructure.cluster.x-k8s.io_awsmanagedmachinepools.yaml",
            "config/crd/bases/controlplane.cluster.x-k8s.io_awsmanagedcontrolplanes.yaml",
        ],
    },
    Source {
        module: "github.com/fluxcd/source-controller",
        version: "v1.9.5",
        files: &[
            "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml",
            "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml",
            "config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml",
            "config/crd/bases/source.toolkit.fluxcd.io_helmcharts.yaml",
            "config/crd/bases/source.toolkit.fluxcd.io_buckets.yaml",
        ],
    },
    Source {
        module: "github.com/fluxcd/kustomize-controller",
        version: "v1.9.5",
        files: &["config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml"],
    },
    Source {
        module: "github.com/fluxcd/helm-controller",
        version: "v1.6.4",
        files: &["config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml"],
    },
    // SIG-Multicluster's Cluster Inventory API (ClusterProfile, KEP-4322); its version list is refused (403),
    // v0.1.2 is served by exact version (2026-12-04).
    Source {
        module: "sigs.k8s.io/cluster-inventory-api",
        version: "v0.1.2",
        files: &["config/crd/bases/multicluster.x-k8s.io_clusterprofiles.yaml"],
    },
    // The Crossplane release whose API (apis/v2 v2.3.4, as the CLI v2.5.0 oracle pins) the harness serves.
    // v2.5.0 is not served by the proxy (403, 2026-12-04).
    Source {
        module: "github.com/crossplane/crossplane/v2",
        version: "v2.4.0",
        files: &[
            "cluster/crds/apiextensions.crossplane.io_compositeresourcedefinitions.yaml",
            "cluster/crds/apiextensions.crossplane.io_compositions.yaml",
            "cluster/crds/pkg.crossplane.io_providers.yaml",
            "cluster/crds/pkg.crossplane.io_providerrevisions.yaml",
            "cluster/crds/pkg.crossplane.io_functions.yaml",
            "cluster/crds/pkg.crossplane.io_functionrevisions.yaml",
            "cluster/crds/pkg.crossplane.io_configurations.yaml",
            "cluster/crds/pkg.crossplane.io_configurationrevisions.yaml",
        ],
    },
];

/// The folder the CRD files are cached in: `<user cache dir>/envtest/upstream-crds`, one subfolder per
/// `module@version` (slashes as `!`).
///
/// Errors when the platform has no home directory.
pub fn cache_dir() -> Result<PathBuf> {
    Ok(super::cache::root()?.join("upstream-crds"))
}

fn source_dir(root: &Path, s: &Source) -> PathBuf {
    root.join(format!("{}@{}", s.module.replace('/', "!"), s.version))
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn labels_file(crd_file: &Path) -> PathBuf {
    let mut name = crd_file.as_os_str().to_owned();
    name.push(".labels.json");
    PathBuf::from(name)
}

/// The labels a `kustomization.yaml` adds to every resource: its `commonLabels` and each `labels[].pairs`
/// (kustomize's two spellings), as a JSON object. A missing file gives none.
///
/// Errors when the file exists but is not YAML.
fn kustomize_labels(kustomization: &Path) -> Result<serde_json::Map<String, serde_json::Value>> {
    let mut out = serde_json::Map::new();
    let Ok(text) = std::fs::read_to_string(kustomization) else {
        return Ok(out);
    };
    let doc: serde_json::Value =
        serde_saphyr::from_str(&text).with_context(|| format!("{}: not YAML", kustomization.display()))?;
    let pairs = doc.get("labels").and_then(|l| l.as_array()).into_iter().flatten().filter_map(|l| l.get("pairs"));
    for map in doc.get("commonLabels").into_iter().chain(pairs).filter_map(|m| m.as_object()) {
        for (k, v) in map {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(out)
}

/// The cached CRD files when every source is present, without fetching anything; `Ok(None)` otherwise.
pub fn find() -> Result<Option<Vec<PathBuf>>> {
    let root = cache_dir()?;
    let mut out = Vec::new();
    for s in SOURCES {
        let dir = source_dir(&root, s);
        for f in s.files {
            let p = dir.join(file_name(f));
            if !p.is_file() || !labels_file(&p).is_file() {
                return Ok(None);
            }
            out.push(p);
        }
    }
    Ok(Some(out))
}

/// Fetches every source module missing from the cache with `go mod download -json MODULE@VERSION` (the Go
/// module cache is shared with the user's Go) and copies its CRD files into [`cache_dir`]; returns every
/// cached file. Each module's folder is written under a temporary name and renamed, so nothing half-copied
/// is ever found. Guarded by a file lock, like the API server build.
///
/// Errors name the module when `go` is missing, the proxy does not serve it, or a file is not in it.
pub fn ensure(progress: &mut dyn FnMut(&str)) -> Result<Vec<PathBuf>> {
    if let Some(files) = find()? {
        return Ok(files);
    }
    let root = cache_dir()?;
    std::fs::create_dir_all(&root).with_context(|| format!("creating {}", root.display()))?;
    let _lock = super::cache::lock(&root.join(".lock"), "the upstream CRDs", progress)?;
    for s in SOURCES {
        let dir = source_dir(&root, s);
        if s.files.iter().all(|f| dir.join(file_name(f)).is_file() && labels_file(&dir.join(file_name(f))).is_file()) {
            continue;
        }
        progress(&format!("fetching the CRDs of {}@{} from the Go module proxy", s.module, s.version));
        let module_dir = go_mod_download(s.module, s.version)?;
        let tmp = root.join(format!(".tmp-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        for f in s.files {
            let from = module_dir.join(f);
            let to = tmp.join(file_name(f));
            if let Err(e) = std::fs::copy(&from, &to) {
                let _ = std::fs::remove_dir_all(&tmp);
                bail!("{}@{} has no {f} ({e})", s.module, s.version);
            }
            // `<x>/config/crd/bases/<file>` -> `<x>/config/crd/kustomization.yaml`.
            let kustomization = from.parent().and_then(Path::parent).map(|d| d.join("kustomization.yaml"));
            let labels = match kustomization {
                Some(k) => kustomize_labels(&k)?,
                None => serde_json::Map::new(),
            };
            std::fs::write(labels_file(&to), serde_json::Value::Object(labels).to_string())
                .with_context(|| format!("writing the labels of {f}"))?;
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&tmp, &dir).with_context(|| format!("moving the CRDs into {}", dir.display()))?;
    }
    find()?.context("upstream CRDs still incomplete after fetching them")
}

/// `go mod download -json module@version`'s `Dir`: the module's files in the Go module cache.
fn go_mod_download(module: &str, version: &str) -> Result<PathBuf> {
    let out = Command::new("go")
        .args(["mod", "download", "-json", &format!("{module}@{version}")])
        .env("GOFLAGS", "-mod=mod")
        .stdin(Stdio::null())
        .output()
        .context("running `go mod download` (is Go installed? the upstream CRDs come from the Go module proxy)")?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    if let Some(err) = json.get("Error").and_then(|e| e.as_str()) {
        bail!("the Go module proxy does not serve {module}@{version}: {err}");
    }
    if !out.status.success() {
        bail!("go mod download {module}@{version} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let dir = json.get("Dir").and_then(|d| d.as_str()).filter(|d| !d.is_empty());
    dir.map(PathBuf::from).with_context(|| format!("go mod download {module}@{version} named no folder"))
}

/// Reads the cached CRD files (one CRD per file, YAML) with the labels their kustomization adds, and every
/// conversion webhook replaced by strategy `None` (no webhook can run here).
///
/// Errors name the file that does not parse as a CustomResourceDefinition.
pub fn load(files: &[PathBuf]) -> Result<Vec<CustomResourceDefinition>> {
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let text = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        let mut crd: CustomResourceDefinition = serde_saphyr::from_str(&text)
            .with_context(|| format!("{}: not a CustomResourceDefinition", f.display()))?;
        crd.spec.conversion = Some(CustomResourceConversion { strategy: "None".into(), webhook: None });
        let labels_path = labels_file(f);
        let labels: std::collections::BTreeMap<String, String> = std::fs::read(&labels_path)
            .ok()
            .map(|b| serde_json::from_slice(&b))
            .transpose()
            .with_context(|| format!("{}: not a JSON object of strings", labels_path.display()))?
            .unwrap_or_default();
        if !labels.is_empty() {
            crd.metadata.labels.get_or_insert_default().extend(labels);
        }
        crd.metadata.creation_timestamp = None;
        crd.status = None;
        out.push(crd);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_names_yaml_files_of_distinct_names() {
        let mut seen = std::collections::HashSet::new();
        for s in SOURCES {
            assert!(s.version.starts_with('v'), "{}", s.module);
            for f in s.files {
                assert!(f.ends_with(".yaml"), "{f}");
                assert!(seen.insert((s.module, file_name(f))), "{f} listed twice");
            }
        }
    }

    #[test]
    fn kustomization_labels_in_both_spellings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let k = dir.path().join("kustomization.yaml");
        std::fs::write(
            &k,
            "commonLabels:\n  cluster.x-k8s.io/v1beta1: v1beta1_v1beta2\nlabels:\n- pairs:\n    cluster.x-k8s.io/v1beta2: v1beta2\nresources:\n- bases/x.yaml\n",
        )
        .expect("write");
        let got = kustomize_labels(&k).expect("labels");
        assert_eq!(
            serde_json::Value::Object(got).to_string(),
            r#"{"cluster.x-k8s.io/v1beta1":"v1beta1_v1beta2","cluster.x-k8s.io/v1beta2":"v1beta2"}"#
        );
        assert!(kustomize_labels(&dir.path().join("missing.yaml")).expect("none").is_empty());
        std::fs::write(&k, "labels: [unclosed").expect("write");
        assert!(kustomize_labels(&k).is_err());
    }

    #[test]
    fn cache_folders_never_contain_a_slash() {
        let root = Path::new("/c");
        for s in SOURCES {
            let d = source_dir(root, s);
            assert_eq!(d.parent(), Some(root), "{}", d.display());
        }
    }
}
