//! Where the harness gets `etcd` and `kube-apiserver`.
//!
//! 1. `$KUBEBUILDER_ASSETS` (controller-runtime's envtest convention): a folder holding both binaries.
//! 2. Otherwise `<user cache dir>/envtest/<version>/` for the release [`kube_version`] names
//!    (`FLEETDECK_KUBE_VERSION`, default [`DEFAULT_KUBE_VERSION`]), built once when missing:
//!    - any `v1.MINOR.PATCH` from the Go module proxy by the embedded `provision-go.sh`: a throwaway wrapper
//!      module requiring `k8s.io/kubernetes` with each staging module pinned to the matching `v0.MINOR.PATCH`,
//!      CGO off; etcd from `go.etcd.io/etcd/server/v3`'s `etcdmain` at the version that release requires;
//!    - [`DEBIAN_KUBE_VERSION`] (v1.20.2, opt-in: old clusters of a real fleet) from Debian packages by the
//!      embedded `provision-debian.sh` (the recipe in DESIGN.md: the Debian source package with the reflect2
//!      v1.0.2 fix; etcd from `etcd-server`).
//!
//! Builds are guarded by an exclusive file lock per version, so parallel test processes build once and the
//! others wait for it; a build happens in a temporary folder moved into place at the end, so a failed or
//! interrupted build leaves nothing half-written in the cache.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The kube-apiserver release the harness builds and runs unless `FLEETDECK_KUBE_VERSION` names another: the
/// newest `k8s.io/kubernetes` release the Go module proxy served when it was last raised (2026-12-02). Pinned
/// rather than resolved at run time so that a new upstream release never turns a cached machine's next test
/// run into a 10-minute build; raise it by hand.
pub const DEFAULT_KUBE_VERSION: &str = "v1.37.2";

/// The release built from Debian's source package instead of the Go module proxy (the opt-in fallback).
pub const DEBIAN_KUBE_VERSION: &str = "v1.20.2";

/// The environment variable choosing the release: `v1.MINOR.PATCH` (any release the Go module proxy serves)
/// or [`DEBIAN_KUBE_VERSION`].
pub const VERSION_ENV: &str = "FLEETDECK_KUBE_VERSION";

const PROVISION_GO_SH: &str = include_str!("provision-go.sh");
const PROVISION_DEBIAN_SH: &str = include_str!("provision-debian.sh");

/// The kube-apiserver release to provision and run: `$FLEETDECK_KUBE_VERSION` when set and not empty, else
/// [`DEFAULT_KUBE_VERSION`]. (Ignored when `KUBEBUILDER_ASSETS` is set: those binaries are whatever they are.)
pub fn kube_version() -> String {
    std::env::var(VERSION_ENV).ok().filter(|v| !v.trim().is_empty()).unwrap_or_else(|| DEFAULT_KUBE_VERSION.into())
}

/// Whether `version` is built from Debian packages rather than the Go module proxy.
fn is_debian(version: &str) -> bool {
    version == DEBIAN_KUBE_VERSION
}

/// A folder with runnable `etcd` and `kube-apiserver` binaries.
#[derive(Debug, Clone)]
pub struct Assets {
    /// The folder (what `KUBEBUILDER_ASSETS` names).
    pub dir: PathBuf,
}

impl Assets {
    /// Path of the `etcd` binary.
    pub fn etcd(&self) -> PathBuf {
        self.dir.join("etcd")
    }
    /// Path of the `kube-apiserver` binary.
    pub fn kube_apiserver(&self) -> PathBuf {
        self.dir.join("kube-apiserver")
    }
    fn complete(dir: &Path) -> bool {
        ["etcd", "kube-apiserver"].iter().all(|b| dir.join(b).is_file())
    }
}

/// The cache folder the binaries of [`kube_version`] live in: `<cache dir>/envtest/<version>`.
///
/// Errors when the platform has no home directory, or the version is not of the form `v1.MINOR.PATCH`.
pub fn cache_dir() -> Result<PathBuf> {
    let version = kube_version();
    let ok = version.strip_prefix("v1.").and_then(|rest| rest.split_once('.')).is_some_and(|(minor, patch)| {
        !minor.is_empty()
            && !patch.is_empty()
            && minor.bytes().all(|b| b.is_ascii_digit())
            && patch.bytes().all(|b| b.is_ascii_digit())
    });
    if !ok {
        bail!(
            "{VERSION_ENV}={version:?}: expected a Kubernetes release such as {DEFAULT_KUBE_VERSION} or {DEBIAN_KUBE_VERSION}"
        );
    }
    Ok(super::cache::root()?.join(version))
}

/// Finds the binaries without building anything: `Ok(None)` when they must be provisioned first.
///
/// Errors when `KUBEBUILDER_ASSETS` is set but lacks a binary (a set variable is never silently ignored).
pub fn find() -> Result<Option<Assets>> {
    if let Some(dir) = std::env::var_os("KUBEBUILDER_ASSETS").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if !Assets::complete(&dir) {
            bail!("KUBEBUILDER_ASSETS={} does not hold both etcd and kube-apiserver", dir.display());
        }
        return Ok(Some(Assets { dir }));
    }
    let dir = cache_dir()?;
    Ok(Assets::complete(&dir).then_some(Assets { dir }))
}

/// Finds the binaries, building them first when needed (once per machine and version: about 4-7 minutes
/// on 2 cores from the Go module proxy, measured 4 minutes with an empty Go cache; 5 from Debian packages).
///
/// `progress` receives one line per build step ("compiling kube-apiserver ..."), and a line when this
/// process waits for another one's build. Errors carry the failing step's output and name the way out
/// (`KUBEBUILDER_ASSETS`).
pub fn ensure(progress: &mut dyn FnMut(&str)) -> Result<Assets> {
    if let Some(a) = find()? {
        return Ok(a);
    }
    let dest = cache_dir()?;
    let parent = dest.parent().context("cache dir has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let version = kube_version();
    let _lock = super::cache::lock(&parent.join(format!("{version}.lock")), "the envtest binaries", progress)?;
    if Assets::complete(&dest) {
        return Ok(Assets { dir: dest });
    }
    let (script_name, script_text, how) = if is_debian(&version) {
        ("provision-debian.sh", PROVISION_DEBIAN_SH, "from Debian packages, about 5 minutes")
    } else {
        ("provision-go.sh", PROVISION_GO_SH, "from the Go module proxy, about 4-7 minutes")
    };
    progress(&format!("building etcd + kube-apiserver {version} into {} (once; {how})", dest.display()));
    let script = parent.join(script_name);
    let args = [dest.as_os_str(), std::ffi::OsStr::new(&version)];
    let (status, stderr) = super::script::run(&script, script_text, &args, &[], progress)?;
    if !status.success() {
        bail!(
            "building etcd + kube-apiserver {version} failed ({status}):\n{}\n(set KUBEBUILDER_ASSETS to a folder holding \
             etcd and kube-apiserver to use binaries built elsewhere)",
            stderr.trim_end()
        );
    }
    if !Assets::complete(&dest) {
        bail!("the provisioning script finished but {} lacks etcd or kube-apiserver", dest.display());
    }
    Ok(Assets { dir: dest })
}
