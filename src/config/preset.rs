//! The layering of themes and keymaps: built-in presets embedded at build time, user files laid over them.
//!
//! - Built-in presets are `themes/<name>.yaml` and `keymaps/<name>.yaml` in the source tree, embedded with
//!   `include_str!`; the name is the file stem. A new file there must be added to [`THEMES`] or [`KEYMAPS`]
//!   (a test fails until it is).
//! - A user file `<config_dir>/themes/<name>.yaml` (or `keymaps/`) is laid over the built-in preset of the same
//!   name, or over the one its `extends:` names, or over `default`.
//! - A name asked for on the command line that matches nothing is an error; one from `config.yaml` is a
//!   warning and the default. A user file found in the config directory that is broken is a warning and the
//!   built-in preset; a file named on the command line that is broken is an error ([`from_file`]).
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use super::{
    error::{ConfigError, Warning},
    yaml,
};

/// The name of the theme and the keymap used when nothing else is asked for, or what was asked for is broken.
pub const DEFAULT_PRESET: &str = "default";

/// One embedded preset file.
#[derive(Debug)]
pub(crate) struct Embedded {
    /// File stem, the name users ask for.
    pub name: &'static str,
    /// Path in the source tree, for messages.
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! embed {
    ($dir:literal: $($name:literal),+ $(,)?) => {
        &[$(Embedded {
            name: $name,
            path: concat!($dir, "/", $name, ".yaml"),
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", $name, ".yaml")),
        }),+]
    };
}

/// The built-in themes, `themes/*.yaml`.
pub(crate) const THEMES: &[Embedded] = embed!("themes": "default", "high-contrast", "light");
/// The built-in keymaps, `keymaps/*.yaml`.
pub(crate) const KEYMAPS: &[Embedded] = embed!("keymaps": "default", "vim");

/// Names of the built-in themes, `default` first.
pub fn theme_names() -> impl Iterator<Item = &'static str> {
    THEMES.iter().map(|preset| preset.name)
}

/// Names of the built-in keymaps, `default` first.
pub fn keymap_names() -> impl Iterator<Item = &'static str> {
    KEYMAPS.iter().map(|preset| preset.name)
}

/// A kind of file that comes as built-in presets with user files laid over them.
pub(crate) trait Layered: Sized {
    /// One file's content, checked but not yet laid over anything.
    type Layer;
    /// `"theme"` or `"keymap"`, for messages.
    const KIND: &'static str;
    /// The folder, in the source tree and in the config directory.
    const DIR: &'static str;

    fn presets() -> &'static [Embedded];
    fn parse_layer(path: &Path, text: &str) -> Result<Self::Layer, ConfigError>;
    fn extends(layer: &Self::Layer) -> Option<&Spanned<String>>;
    /// Lays `layer` over `base`; `None` for a built-in preset, which must then be complete.
    fn build(name: &str, base: Option<Self>, layer: Self::Layer, path: &Path) -> Result<Self, ConfigError>;
}

fn find<T: Layered>(name: &str) -> Option<&'static Embedded> {
    T::presets().iter().find(|preset| preset.name == name)
}

fn known<T: Layered>() -> String {
    let names: Vec<_> = T::presets().iter().map(|preset| preset.name).collect();
    names.join(", ")
}

fn unknown<T: Layered>(name: &str, user_file: Option<PathBuf>) -> ConfigError {
    ConfigError::UnknownName { kind: T::KIND, name: name.to_owned(), known: known::<T>(), user_file }
}

/// The built-in preset `name`, with no user file.
///
/// # Errors
/// [`ConfigError::UnknownName`] when there is none; [`ConfigError::Invalid`] when the embedded file is broken,
/// which is a bug the tests catch.
pub(crate) fn builtin<T: Layered>(name: &str) -> Result<T, ConfigError> {
    let preset = find::<T>(name).ok_or_else(|| unknown::<T>(name, None))?;
    let path = PathBuf::from(format!("(built-in)/{}", preset.path));
    let layer = T::parse_layer(&path, preset.text)?;
    if let Some(extends) = T::extends(&layer) {
        let message = "built-in files give every value and do not use `extends`";
        return Err(yaml::invalid(&path, extends.referenced, message));
    }
    T::build(name, None, layer, &path)
}

/// The theme or keymap called `name`: the user's file of that name over its base, else the built-in preset.
///
/// `strict` is for a name given on the command line: when nothing has that name, that is an error rather than
/// a warning and the default. A broken user file is always a warning, and the built-in preset of that name
/// (or `default`) is used instead.
pub(crate) fn by_name<T: Layered>(
    config_dir: &Path,
    name: &str,
    strict: bool,
    warnings: &mut Vec<Warning>,
) -> Result<T, ConfigError> {
    let user_file = config_dir.join(T::DIR).join(format!("{name}.yaml"));
    let loaded = yaml::read_if_exists(&user_file)
        .and_then(|text| text.map(|text| over_base::<T>(name, &user_file, &text)).transpose());
    let fallback = if find::<T>(name).is_some() { name } else { DEFAULT_PRESET };
    match loaded {
        Ok(Some(value)) => return Ok(value),
        Ok(None) => {}
        Err(problem) => {
            warnings.push(Warning::new(problem, format!("using the built-in {} `{fallback}`", T::KIND)));
            return builtin(fallback);
        }
    }
    if find::<T>(name).is_some() {
        return builtin(name);
    }
    let problem = unknown::<T>(name, Some(user_file));
    if strict {
        return Err(problem);
    }
    warnings.push(Warning::new(problem, format!("using the built-in {} `{DEFAULT_PRESET}`", T::KIND)));
    builtin(DEFAULT_PRESET)
}

/// A theme or keymap file named on the command line, laid over its base; every problem is an error.
pub(crate) fn from_file<T: Layered>(path: &Path) -> Result<T, ConfigError> {
    let text = yaml::read(path)?;
    let name = path.file_stem().map_or_else(|| DEFAULT_PRESET.to_owned(), |stem| stem.to_string_lossy().into_owned());
    over_base(&name, path, &text)
}

/// Lays the user file `path` over the preset its `extends:` names, else the preset called `name`, else
/// `default`.
fn over_base<T: Layered>(name: &str, path: &Path, text: &str) -> Result<T, ConfigError> {
    let layer = T::parse_layer(path, text)?;
    let base = match T::extends(&layer) {
        Some(extends) if find::<T>(&extends.value).is_none() => {
            let message = format!(
                "field `extends`: there is no built-in {} named `{}`; the built-in ones are {}",
                T::KIND,
                extends.value,
                known::<T>()
            );
            return Err(yaml::invalid(path, extends.referenced, message));
        }
        Some(extends) => extends.value.clone(),
        None if find::<T>(name).is_some() => name.to_owned(),
        None => DEFAULT_PRESET.to_owned(),
    };
    T::build(name, Some(builtin(&base)?), layer, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `*.yaml` in `dir` must be embedded, under its file stem.
    fn assert_all_embedded(dir: &str, embedded: &[Embedded]) {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut listed: Vec<String> = embedded.iter().map(|preset| preset.name.to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "add new files in {dir}/ to the embed! list in preset.rs");
        assert_eq!(embedded[0].name, DEFAULT_PRESET);
    }

    #[test]
    fn every_preset_file_is_embedded() {
        assert_all_embedded("themes", THEMES);
        assert_all_embedded("keymaps", KEYMAPS);
    }
}
