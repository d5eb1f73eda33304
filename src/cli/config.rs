//! `fleetdeck config paths|check`: where fleetdeck keeps its files, and whether the user's configuration,
//! theme and keymap load cleanly.
use anyhow::Result;
use clap::Subcommand;

use fleetdeck::config::{self, LoadOptions, Paths};

use super::GlobalArgs;

/// What `fleetdeck config` does.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the config, state and cache directories (FLEETDECK_HOME moves all three).
    Paths,
    /// Load config.yaml, the theme and the keymap as the cockpit would, and report every problem with its
    /// file, line and field. Exits 1 when a file in the config directory has a problem, 2 when a file given
    /// on the command line does.
    Check,
}

/// Builds the loader's options from the global flags (and `NO_COLOR`).
pub fn load_options(g: &GlobalArgs) -> LoadOptions {
    LoadOptions {
        config_file: g.config.clone(),
        theme: g.theme.clone(),
        theme_file: g.theme_file.clone(),
        keymap: g.keymap.clone(),
        keymap_file: g.keymap_file.clone(),
        no_color: config::no_color_requested(),
    }
}

pub fn run(cmd: &ConfigCmd, global: &GlobalArgs) -> Result<()> {
    let paths = Paths::discover()?;
    match cmd {
        ConfigCmd::Paths => {
            println!("config  {}", paths.config_dir.display());
            println!("state   {}", paths.state_dir.display());
            println!("cache   {}", paths.cache_dir.display());
            println!("logs    {}", paths.state_dir.join("logs").display());
        }
        ConfigCmd::Check => {
            let loaded = config::load(&paths, &load_options(global))?;
            println!("config  {}", global.config.as_ref().unwrap_or(&paths.config_file()).display());
            println!("theme   {}", loaded.theme.name());
            println!("keymap  {}", loaded.keymap.name());
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            if !loaded.warnings.is_empty() {
                anyhow::bail!(
                    "{} problem(s) in the configuration; fleetdeck would use the defaults for them",
                    loaded.warnings.len()
                );
            }
        }
    }
    Ok(())
}
