//! The real Flux controllers of the Flux v2.9.5 release as test-time binaries: source-controller v1.9.5,
//! kustomize-controller v1.9.5 and helm-controller v1.6.4 (the versions flux2 v2.9.5's `go.mod` pins for their
//! `api` modules, the same releases [`super::upstream_crds`] takes the CRDs from and the `flux` oracle
//! speaks to). Built from the Go module proxy by the oracles' `provision-oracle.sh` (a wrapper module that
//! requires the controller and builds its root `main` package) into the same cache folder as the oracles
//! (`<user cache dir>/envtest/oracles/<name>-<version>`), for tests and the demo only: the fleetdeck binary
//! never runs them. [`super::flux_run`] runs them against an envtest API server.
//!
//! Newer releases are out of reach here (checked 2026-12-04): source- and kustomize-controller v1.10.x say
//! `go 1.27.0` in their `go.mod` (the machine's Go is 1.26 with `GOTOOLCHAIN=local`), and the proxy refuses
//! helm-controller's version list and every version after v1.6.4 (`403 Forbidden`).
//!
//! Flux's release images build each controller with `go build -trimpath -a -o <name> main.go` and no `-X`
//! flags (each module's `Dockerfile`; their `Makefile`s stamp nothing either), so no version is stamped here.
//! notification-controller is not built (nothing runs it yet).
use std::path::PathBuf;

use anyhow::Result;

use super::oracles::{self, Oracle};

/// source-controller v1.9.5 (module root `main` package).
///
/// Its `go.mod` requires `github.com/fluxcd/pkg/artifact` v0.18.3 and (for its tests, which `go mod tidy`
/// loads) `github.com/fluxcd/pkg/helmtestserver` v0.40.2, whose zips the Go module proxy refuses (`403
/// Forbidden`, "This module version is not available", checked 2026-12-04). The build replaces them with
/// artifact v0.18.1 and helmtestserver v0.40.1, which it serves: artifact v0.18.1 differs from v0.18.2 only in
/// `go.mod` (fluxcd/pkg git history), and v0.18.3's `go.mod` only in dependency bumps, so the code built is
/// very likely the same; helmtestserver is never linked into the binary.
pub const SOURCE_CONTROLLER: Oracle = Oracle {
    name: "source-controller",
    module: "github.com/fluxcd/source-controller",
    version: "v1.9.5",
    package: "github.com/fluxcd/source-controller",
    requires: &[],
    replaces: &[
        "github.com/fluxcd/pkg/artifact => github.com/fluxcd/pkg/artifact v0.18.1",
        "github.com/fluxcd/pkg/helmtestserver => github.com/fluxcd/pkg/helmtestserver v0.40.1",
    ],
    standin_dir: None,
    version_ldflags: "",
};

/// kustomize-controller v1.9.5 (module root `main` package). Its `go.mod` pins kustomize's `api` and `kyaml`
/// v0.21.1 in a `replace ( ... )` block, which the build repeats.
pub const KUSTOMIZE_CONTROLLER: Oracle = Oracle {
    name: "kustomize-controller",
    module: "github.com/fluxcd/kustomize-controller",
    version: "v1.9.5",
    package: "github.com/fluxcd/kustomize-controller",
    requires: &[],
    replaces: &[],
    standin_dir: None,
    version_ldflags: "",
};

/// helm-controller v1.6.4 (module root `main` package). The proxy serves it by exact version only (its version
/// list is `403 Forbidden`, 2026-12-04). Like kustomize-controller it pins kustomize `api` / `kyaml` v0.21.1 in
/// a `replace ( ... )` block.
pub const HELM_CONTROLLER: Oracle = Oracle {
    name: "helm-controller",
    module: "github.com/fluxcd/helm-controller",
    version: "v1.6.4",
    package: "github.com/fluxcd/helm-controller",
    requires: &[],
    replaces: &[],
    standin_dir: None,
    version_ldflags: "",
};

/// The controllers `fleetdeck envtest provision --flux-controllers` builds, in the order [`ensure_all`]
/// returns their binaries.
pub const ALL: [Oracle; 3] = [SOURCE_CONTROLLER, KUSTOMIZE_CONTROLLER, HELM_CONTROLLER];

/// The three binaries, in [`ALL`]'s order, each built first when missing (see [`oracles::ensure`]: about 2-4
/// minutes each on 2 cores with warm Go caches, once per machine). `progress` receives each build step,
/// prefixed with the controller's name.
///
/// Errors name the controller's module when Go is missing, the proxy does not serve a module it needs or the
/// build fails.
pub fn ensure_all(progress: &mut dyn FnMut(&str)) -> Result<[PathBuf; 3]> {
    let mut one = |o: &Oracle| oracles::ensure(o, &mut |line: &str| progress(&format!("{}: {line}", o.name)));
    Ok([one(&SOURCE_CONTROLLER)?, one(&KUSTOMIZE_CONTROLLER)?, one(&HELM_CONTROLLER)?])
}
