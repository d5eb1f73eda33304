//! `fleetdeck envtest provision|path`: the real API-server binaries the tests, benches and demo run on.
//!
//! Like controller-runtime's `setup-envtest`: `provision` builds etcd + kube-apiserver once into the cache
//! (showing each step), `path` prints the folder for `KUBEBUILDER_ASSETS`.
use anyhow::Result;
use clap::Subcommand;

use fleetdeck::envtest::{assets, flux_controllers, oracles, upstream_crds};

/// What `fleetdeck envtest` does.
#[derive(Debug, Subcommand)]
pub enum EnvtestCmd {
    /// Build etcd + kube-apiserver into the cache unless present (once): the release FLEETDECK_KUBE_VERSION
    /// names (default v1.37.2) from the Go module proxy, about 4-7 minutes; v1.20.2 from Debian packages,
    /// about 5. Honours KUBEBUILDER_ASSETS. Also fetches the upstream CRDs (Go module proxy) the harness
    /// installs in place of fleetdeck's own.
    Provision {
        /// Also build the upstream CLIs the parity tests compare fleetdeck with (flux, clusterctl), from the
        /// Go module proxy (test-time only; a few minutes each, once).
        #[arg(long)]
        oracles: bool,
        /// Also build the real Flux controllers (source-controller v1.9.5, kustomize-controller v1.9.5,
        /// helm-controller v1.6.4) that tests run against envtest, from the Go module proxy (test-time only;
        /// about 2-4 minutes each, once).
        #[arg(long)]
        flux_controllers: bool,
    },
    /// Print the folder holding etcd and kube-apiserver (exit 1 when they are not provisioned yet).
    Path,
}

pub fn run(cmd: &EnvtestCmd) -> Result<()> {
    match cmd {
        EnvtestCmd::Provision { oracles: with_oracles, flux_controllers: with_controllers } => {
            let mut say = |line: &str| eprintln!("envtest: {line}");
            let a = assets::ensure(&mut say)?;
            upstream_crds::ensure(&mut say)?;
            if *with_oracles {
                for o in oracles::ALL {
                    let bin = oracles::ensure(&o, &mut say)?;
                    say(&format!("{} {}: {}", o.name, o.version, bin.display()));
                }
            }
            if *with_controllers {
                let bins = flux_controllers::ensure_all(&mut say)?;
                for (o, bin) in flux_controllers::ALL.iter().zip(&bins) {
                    say(&format!("{} {}: {}", o.name, o.version, bin.display()));
                }
            }
            println!("{}", a.dir.display());
        }
        EnvtestCmd::Path => match assets::find()? {
            Some(a) => println!("{}", a.dir.display()),
            None => anyhow::bail!(
                "the envtest binaries are not provisioned yet (expected in {}); run `fleetdeck envtest provision`",
                assets::cache_dir()?.display()
            ),
        },
    }
    Ok(())
}
