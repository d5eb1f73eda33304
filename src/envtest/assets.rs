//! Where the harness gets `etcd` and `kube-apiserver`.
//!
//! 1. `$KUBEBUILDER_ASSETS` (controller-runtime's envtest convention): a folder holding both binaries.
//! 2. Otherwise `<user cache dir>/envtest/v1.20.2/`, built once from Debian packages by the embedded
//!    `provision.sh` (the recipe in DESIGN.md: kube-apiserver v1.20.2 from the Debian source package with the
//!    reflect2 v1.0.2 fix; etcd from `etcd-server`). Builds are guarded by an exclusive file lock, so parallel
//!    test processes build once and the others wait for it.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// The Kubernetes version the provisioned kube-apiserver serves.
pub const KUBE_VERSION: &str = "v1.20.2";

const PROVISION_SH: &str = include_str!("provision.sh");

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

/// The cache folder the provisioned binaries live in: `<cache dir>/envtest/v1.20.2`.
///
/// Errors when the platform has no home directory.
pub fn cache_dir() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("dev", "fleetdeck", "fleetdeck")
        .context("no home directory: cannot choose a cache directory for the envtest binaries")?;
    Ok(dirs.cache_dir().join("envtest").join(KUBE_VERSION))
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

/// Finds the binaries, building them first when needed (about 5 minutes on 2 cores, once per machine).
///
/// `progress` receives one line per build step ("compiling kube-apiserver ..."), and a line when this
/// process waits for another one's build. Errors carry the failing step's output.
pub fn ensure(progress: &mut dyn FnMut(&str)) -> Result<Assets> {
    if let Some(a) = find()? {
        return Ok(a);
    }
    let dest = cache_dir()?;
    let parent = dest.parent().context("cache dir has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let lock_path = parent.join(format!("{KUBE_VERSION}.lock"));
    let lock = std::fs::File::create(&lock_path).with_context(|| format!("creating {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        progress("another process is building the envtest binaries; waiting for it");
        lock.lock().with_context(|| format!("locking {}", lock_path.display()))?;
    }
    if Assets::complete(&dest) {
        return Ok(Assets { dir: dest });
    }
    progress(&format!("building etcd + kube-apiserver {KUBE_VERSION} into {} (once; about 5 minutes)", dest.display()));
    let script = parent.join("provision.sh");
    std::fs::write(&script, PROVISION_SH).with_context(|| format!("writing {}", script.display()))?;
    let mut child = Command::new("bash")
        .arg(&script)
        .arg(&dest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running bash for the envtest provisioning script")?;
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr {
            for line in BufReader::new(e).lines().map_while(Result::ok) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    });
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(step) = line.strip_prefix("fleetdeck-provision: ") {
                progress(step);
            }
        }
    }
    let status = child.wait().context("waiting for the provisioning script")?;
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        bail!("building the envtest binaries failed ({status}):\n{}", stderr.trim_end());
    }
    if !Assets::complete(&dest) {
        bail!("the provisioning script finished but {} lacks etcd or kube-apiserver", dest.display());
    }
    Ok(Assets { dir: dest })
}
