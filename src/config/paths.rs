//! Where fleetdeck keeps its files: configuration, state (logs, journal) and cache (API-server builds).
//!
//! The platform's directories come from `directories::ProjectDirs` (`dev.fleetdeck.fleetdeck`), e.g. on Linux
//! `~/.config/fleetdeck`, `~/.local/state/fleetdeck` and `~/.cache/fleetdeck`. Setting `FLEETDECK_HOME` puts
//! everything under one folder instead (`$FLEETDECK_HOME/{config,state,cache}`): tests, demos and people who
//! keep several setups side by side use it.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The environment variable that puts every fleetdeck directory under one folder.
pub const HOME_ENV: &str = "FLEETDECK_HOME";

/// The three directories fleetdeck reads and writes. Nothing here creates them; writers create what they need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    /// `config.yaml`, `themes/`, `keymaps/`.
    pub config_dir: PathBuf,
    /// Logs and the operations journal: things worth keeping but not configuration.
    pub state_dir: PathBuf,
    /// Things that can be rebuilt, such as envtest's API-server binaries.
    pub cache_dir: PathBuf,
}

impl Paths {
    /// `$FLEETDECK_HOME/{config,state,cache}` when `FLEETDECK_HOME` is set and not empty, else the platform's
    /// directories. Where the platform has no state directory (macOS, Windows) the local data directory is
    /// used.
    ///
    /// # Errors
    /// When `FLEETDECK_HOME` is unset and no home directory can be found.
    pub fn discover() -> Result<Paths> {
        if let Some(root) = std::env::var_os(HOME_ENV).filter(|root| !root.is_empty()) {
            return Ok(Paths::under(root));
        }
        let dirs = directories::ProjectDirs::from("dev", "fleetdeck", "fleetdeck").with_context(|| {
            format!("cannot find a home directory for fleetdeck's files; set {HOME_ENV} to a folder to use")
        })?;
        Ok(Paths {
            config_dir: dirs.config_dir().to_owned(),
            state_dir: dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).to_owned(),
            cache_dir: dirs.cache_dir().to_owned(),
        })
    }

    /// Everything under `root`: `root/config`, `root/state`, `root/cache`.
    pub fn under(root: impl AsRef<Path>) -> Paths {
        let root = root.as_ref();
        Paths { config_dir: root.join("config"), state_dir: root.join("state"), cache_dir: root.join("cache") }
    }

    /// The user's settings file, `<config_dir>/config.yaml`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.yaml")
    }

    /// The folder of the user's themes, `<config_dir>/themes`.
    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    /// The folder of the user's keymaps, `<config_dir>/keymaps`.
    pub fn keymaps_dir(&self) -> PathBuf {
        self.config_dir.join("keymaps")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_puts_everything_below_the_root() {
        let paths = Paths::under("/tmp/fd");
        assert_eq!(paths.config_dir, Path::new("/tmp/fd/config"));
        assert_eq!(paths.state_dir, Path::new("/tmp/fd/state"));
        assert_eq!(paths.cache_dir, Path::new("/tmp/fd/cache"));
        assert_eq!(paths.config_file(), Path::new("/tmp/fd/config/config.yaml"));
        assert_eq!(paths.themes_dir(), Path::new("/tmp/fd/config/themes"));
    }
}
