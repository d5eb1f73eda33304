//! Upstream CLIs as oracles for parity tests: `flux` (fluxcd/flux2), `clusterctl` (cluster-api) and
//! `crossplane` (crossplane/cli, also the harness's XRD-to-CRD converter), and the `kustomize` the drift-diff
//! tests build with, built
//! from the Go module proxy into the user cache dir by the embedded `provision-oracle.sh`, for tests only
//! (never shipped; the fleetdeck binary never runs them).
//!
//! `tfctl` (tofu-controller) is not here: the Go module proxy does not serve `github.com/flux-iac/tofu-controller`
//! (`403 Forbidden` for its version list and for v0.16.0-rc.5, checked 2026-12-02).
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::script;

const PROVISION_ORACLE_SH: &str = include_str!("provision-oracle.sh");

/// One upstream Go binary (a CLI, or a Flux controller of [`super::flux_controllers`]) and how to build it.
#[derive(Debug, Clone, Copy)]
pub struct Oracle {
    /// The binary's name: `flux`, `clusterctl`.
    pub name: &'static str,
    /// The Go module holding its main package.
    pub module: &'static str,
    /// The release built.
    pub version: &'static str,
    /// The main package.
    pub package: &'static str,
    /// Further `module@version` requirements of the wrapper module (what the module's local `replace`
    /// directives point at, taken from the proxy instead).
    pub requires: &'static [&'static str],
    /// Further replace directives of the wrapper module, each `OLD_PATH => NEW_PATH VERSION`, written after
    /// the module's own (and winning over one of the module's for the same path): dependency versions the
    /// proxy refuses, pointed at ones it serves. Empty for the CLIs.
    pub replaces: &'static [&'static str],
    /// A folder of generated files the module zip lacks (gets a stand-in), if any.
    pub standin_dir: Option<&'static str>,
    /// `-X` flags stamping the version as the project's release build does.
    pub version_ldflags: &'static str,
}

/// `flux` v2.9.5: the CLI of the Flux release whose controllers' CRDs the harness installs.
pub const FLUX: Oracle = Oracle {
    name: "flux",
    module: "github.com/fluxcd/flux2/v2",
    version: "v2.9.5",
    package: "github.com/fluxcd/flux2/v2/cmd/flux",
    requires: &[],
    replaces: &[],
    standin_dir: Some("cmd/flux/manifests"),
    version_ldflags: "-X main.VERSION=2.9.5",
};

/// `clusterctl` v1.14.2: the CLI of the Cluster API release whose CRDs the harness installs.
pub const CLUSTERCTL: Oracle = Oracle {
    name: "clusterctl",
    module: "sigs.k8s.io/cluster-api",
    version: "v1.14.2",
    package: "sigs.k8s.io/cluster-api/cmd/clusterctl",
    requires: &["sigs.k8s.io/cluster-api/api@v1.14.2"],
    replaces: &[],
    standin_dir: None,
    version_ldflags: "-X sigs.k8s.io/cluster-api/version.gitVersion=v1.14.2 \
                      -X sigs.k8s.io/cluster-api/version.gitMajor=1 -X sigs.k8s.io/cluster-api/version.gitMinor=14",
};

/// `kustomize` v5.8.1: the kustomize binary the drift-diff tests give `fleetdeck diff --kustomize` (what an
/// operator would have on `PATH`; fleetdeck itself runs whatever kustomize or kubectl it finds).
pub const KUSTOMIZE: Oracle = Oracle {
    name: "kustomize",
    module: "sigs.k8s.io/kustomize/kustomize/v5",
    version: "v5.8.1",
    package: "sigs.k8s.io/kustomize/kustomize/v5",
    requires: &[],
    replaces: &[],
    standin_dir: None,
    version_ldflags: "-X sigs.k8s.io/kustomize/api/provenance.version=v5.8.1",
};

/// `crossplane` v2.5.0 (crossplane/cli): `crossplane resource trace`, the oracle of fleetdeck's Crossplane trees,
/// and `crossplane xrd convert`, which writes the composite and claim CRDs an XRD defines exactly as
/// Crossplane's XRD controller does (crossplane-runtime `pkg/xcrd`): the harness installs XRDs through it, as no
/// Crossplane controller runs here. The CLI left crossplane/crossplane in v2.3.0 (module
/// `github.com/crossplane/cli/v2`); the proxy serves v2.5.0 by exact version only (no version list, and 403 for
/// v2.3.0, checked 2026-12-04).
pub const CROSSPLANE: Oracle = Oracle {
    name: "crossplane",
    module: "github.com/crossplane/cli/v2",
    version: "v2.5.0",
    package: "github.com/crossplane/cli/v2/cmd/crossplane",
    requires: &[],
    replaces: &[],
    standin_dir: None,
    version_ldflags: "-X github.com/crossplane/crossplane-runtime/v2/pkg/version.version=v2.5.0",
};

/// Every oracle `fleetdeck envtest provision --oracles` builds.
pub const ALL: [Oracle; 4] = [FLUX, CLUSTERCTL, KUSTOMIZE, CROSSPLANE];

/// Where an oracle's binary lives: `<user cache dir>/envtest/oracles/<name>-<version>`.
///
/// Errors when the platform has no home directory.
pub fn path(o: &Oracle) -> Result<PathBuf> {
    Ok(super::cache::root()?.join("oracles").join(format!("{}-{}", o.name, o.version)))
}

/// The oracle's binary, built first when missing (once per machine; a few minutes on 2 cores), under a file
/// lock so parallel tests build it once. `progress` receives each build step.
///
/// Errors name the module when Go is missing, the proxy does not serve it or the build fails.
pub fn ensure(o: &Oracle, progress: &mut dyn FnMut(&str)) -> Result<PathBuf> {
    let bin = path(o)?;
    if bin.is_file() {
        return Ok(bin);
    }
    let dir = bin.parent().context("oracle path has no parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let _lock = super::cache::lock(&dir.join(format!("{}.lock", o.name)), o.name, progress)?;
    if bin.is_file() {
        return Ok(bin);
    }
    let script = dir.join("provision-oracle.sh");
    let mut args: Vec<&std::ffi::OsStr> = vec![bin.as_os_str()];
    let named = [o.module, o.version, o.package];
    args.extend(named.iter().chain(o.requires).map(std::ffi::OsStr::new));
    let replaces = o.replaces.join("\n");
    let mut env = vec![("VERSION_LDFLAGS", o.version_ldflags), ("EXTRA_REPLACES", replaces.as_str())];
    if let Some(d) = o.standin_dir {
        env.push(("STANDIN_DIR", d));
    }
    let (status, stderr) = script::run(&script, PROVISION_ORACLE_SH, &args, &env, progress)?;
    if !status.success() || !bin.is_file() {
        bail!("building {} {} from {} failed ({status}):\n{}", o.name, o.version, o.module, stderr.trim_end());
    }
    Ok(bin)
}
