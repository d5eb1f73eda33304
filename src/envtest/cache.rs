//! Where the harness keeps what it provisions: `<user cache dir>/envtest/` (kube-apiserver builds per
//! version, the upstream CRDs, the oracles), and the file locks that let parallel test processes build each
//! of them once while the others wait.
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// `<user cache dir>/envtest` (`~/.cache/fleetdeck/envtest` on Linux, `XDG_CACHE_HOME` honoured).
///
/// Errors when the platform has no home directory.
pub fn root() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("dev", "fleetdeck", "fleetdeck")
        .context("no home directory: cannot choose a cache directory for the envtest harness")?;
    Ok(dirs.cache_dir().join("envtest"))
}

/// Takes the exclusive lock at `path` (created if needed; its folder must exist), held until the returned
/// file is dropped. When another process holds it, says so through `progress` ("another process is building
/// `what`; waiting for it") and waits.
///
/// Errors when the lock file cannot be created or locked.
pub fn lock(path: &Path, what: &str, progress: &mut dyn FnMut(&str)) -> Result<File> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    if file.try_lock().is_err() {
        progress(&format!("another process is building {what}; waiting for it"));
        file.lock().with_context(|| format!("locking {}", path.display()))?;
    }
    Ok(file)
}
