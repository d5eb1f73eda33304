//! `fleetdeck envtest provision|path`: the real API-server binaries the tests, benches and demo run on.
//!
//! Like controller-runtime's `setup-envtest`: `provision` builds etcd + kube-apiserver once into the cache
//! (showing each step), `path` prints the folder for `KUBEBUILDER_ASSETS`.
use anyhow::Result;
use clap::Subcommand;

use fleetdeck::envtest::assets;

/// What `fleetdeck envtest` does.
#[derive(Debug, Subcommand)]
pub enum EnvtestCmd {
    /// Build etcd + kube-apiserver v1.20.2 from Debian packages into the cache, unless present (about 5
    /// minutes, once); honours KUBEBUILDER_ASSETS.
    Provision,
    /// Print the folder holding etcd and kube-apiserver (exit 1 when they are not provisioned yet).
    Path,
}

pub fn run(cmd: &EnvtestCmd) -> Result<()> {
    match cmd {
        EnvtestCmd::Provision => {
            let a = assets::ensure(&mut |line| eprintln!("envtest: {line}"))?;
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
