//! Configuration: the user's `config.yaml`, themes and keymaps, laid over the presets built into fleetdeck.
//!
//! Config is data. The shipped defaults are YAML files embedded at build time (`src/config/default-config.yaml`,
//! `themes/*.yaml`, `keymaps/*.yaml`); the user's files under the platform config directory ([`Paths`]) are
//! laid over them. [`load`] does it all and returns the result with the [`Warning`]s to show in the status
//! bar:
//!
//! | what | user file | laid over |
//! |---|---|---|
//! | settings ([`Config`]) | `<config_dir>/config.yaml`, or `--config PATH` | `default-config.yaml`, key by key |
//! | [`Theme`] | `<config_dir>/themes/<name>.yaml`, or `--theme-file PATH` | the preset of that name, role by role |
//! | [`Keymap`] | `<config_dir>/keymaps/<name>.yaml`, or `--keymap-file PATH` | the preset, action by action |
//!
//! A file fleetdeck finds on its own that is broken gives a warning naming file, line and field, and the
//! defaults. A file given on the command line that is broken is a [`ConfigError`] naming the same: the
//! person just typed its name, so stopping is more helpful than carrying on without it.
//!
//! ```no_run
//! use fleetdeck::config::{self, LoadOptions, Paths};
//!
//! let paths = Paths::discover()?;
//! let options = LoadOptions { no_color: config::no_color_requested(), ..LoadOptions::default() };
//! let loaded = config::load(&paths, &options)?;
//! for warning in &loaded.warnings {
//!     eprintln!("warning: {warning}");
//! }
//! # anyhow::Ok(())
//! ```
use std::path::PathBuf;

mod chord;
mod color;
pub mod depth;
mod error;
mod keymap;
mod paths;
pub mod pins;
mod preset;
mod role;
mod settings;
mod theme;
mod yaml;

pub use chord::{ChordError, Key, KeyChord, Modifiers};
pub use color::{ColorError, color_name, parse_color};
pub use depth::ColorDepth;
pub use error::{ConfigError, Warning};
pub use keymap::{Action, Keymap, Mode};
pub use paths::{HOME_ENV, Paths};
pub use preset::{DEFAULT_PRESET, keymap_names, theme_names};
pub use role::Role;
pub use settings::{Config, ContextOverride, DEFAULT_CONFIG_YAML, GitDefaults, glob_matches};
pub use theme::{StyleSpec, Theme, no_color_requested};

use settings::ConfigPatch;

/// What the command line says about configuration; everything here is an explicit choice, so problems with
/// it are errors rather than warnings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--config PATH`: used instead of `<config_dir>/config.yaml`.
    pub config_file: Option<PathBuf>,
    /// `--theme NAME`: beats `theme` in `config.yaml`.
    pub theme: Option<String>,
    /// `--theme-file PATH`: a theme file laid over the preset its `extends:` names (else `default`); beats
    /// `--theme`.
    pub theme_file: Option<PathBuf>,
    /// `--keymap NAME`: beats `keymap` in `config.yaml`.
    pub keymap: Option<String>,
    /// `--keymap-file PATH`: like `theme_file`, for keys.
    pub keymap_file: Option<PathBuf>,
    /// The environment asks for no colour ([`no_color_requested`]): use [`Theme::monochrome`] unless a theme
    /// was chosen on the command line or in `config.yaml`, as <https://no-color.org> asks.
    pub no_color: bool,
}

/// Everything [`load`] produces.
#[derive(Debug)]
pub struct Loaded {
    /// `default-config.yaml` with the user's `config.yaml` (or `--config`) laid over it.
    pub config: Config,
    /// The chosen theme, or [`Theme::monochrome`] under `NO_COLOR`.
    pub theme: Theme,
    /// The chosen keymap.
    pub keymap: Keymap,
    /// Problems in files found in the config directory, each with what was used instead; shown in the
    /// status bar. Empty when all is well.
    pub warnings: Vec<Warning>,
}

/// Loads settings, theme and keymap: the user's files under `paths.config_dir` (or those in `options`) laid
/// over the built-in presets.
///
/// # Errors
/// Only for explicit choices: a `config_file`, `theme_file` or `keymap_file` that cannot be read or is
/// invalid ([`ConfigError::Read`], [`ConfigError::Invalid`] naming file, line and field), or a `theme` or
/// `keymap` name that matches nothing ([`ConfigError::UnknownName`]). Problems in files fleetdeck found on
/// its own are [`Loaded::warnings`] instead.
pub fn load(paths: &Paths, options: &LoadOptions) -> Result<Loaded, ConfigError> {
    let mut warnings = Vec::new();

    let patch = match &options.config_file {
        Some(path) => ConfigPatch::parse(path, &yaml::read(path)?)?,
        None => {
            let path = paths.config_file();
            let found = yaml::read_if_exists(&path)
                .and_then(|text| text.map(|text| ConfigPatch::parse(&path, &text)).transpose());
            found
                .unwrap_or_else(|problem| {
                    warnings.push(Warning::new(problem, "using the built-in settings"));
                    None
                })
                .unwrap_or_default()
        }
    };
    let theme_chosen = options.theme.is_some() || options.theme_file.is_some() || patch.theme.is_some();
    let config = Config::builtin()?.apply(patch);

    let theme = if let Some(path) = &options.theme_file {
        preset::from_file::<Theme>(path)?
    } else if options.no_color && !theme_chosen {
        Theme::monochrome()
    } else {
        let (name, strict) = chosen(options.theme.as_deref(), &config.theme);
        preset::by_name::<Theme>(&paths.config_dir, name, strict, &mut warnings)?
    };

    let keymap = if let Some(path) = &options.keymap_file {
        preset::from_file::<Keymap>(path)?
    } else {
        let (name, strict) = chosen(options.keymap.as_deref(), &config.keymap);
        preset::by_name::<Keymap>(&paths.config_dir, name, strict, &mut warnings)?
    };

    for warning in &warnings {
        tracing::warn!("{warning}");
    }
    Ok(Loaded { config, theme, keymap, warnings })
}

/// The name to use and whether it came from the command line (so that "no such name" is an error).
fn chosen<'a>(command_line: Option<&'a str>, from_config: &'a str) -> (&'a str, bool) {
    match command_line {
        Some(name) => (name, true),
        None => (from_config, false),
    }
}
