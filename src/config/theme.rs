//! Themes: a style for each semantic role of the UI (`selected`, `warning`, `cluster_down`, …), never raw
//! colours in view code.
//!
//! A theme file looks like this (`themes/default.yaml` is the complete example):
//! ```yaml
//! name: my-theme          # optional, shown in the help screen; the file name is the theme's name otherwise
//! extends: default        # optional: the built-in theme laid under this file
//! roles:
//!   selected: { fg: black, bg: 75, bold: true }
//!   error: { fg: "#ff5f5f" }
//! ```
//! A role the file gives replaces the role of the theme underneath as a whole; roles it leaves out keep the
//! underlying value. Colours are read by [`parse_color`]; modifiers are `bold`, `dim`, `italic`,
//! `underline` and `reversed`, all `false` unless given. Built-in themes must give every role.
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{
    color::parse_color,
    error::ConfigError,
    preset::{self, Layered},
    role::Role,
    yaml::{self, Entries},
};

/// How one role looks: colours (`None` leaves the terminal's, or the underlying widget's, colour) and
/// modifiers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StyleSpec {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reversed: bool,
}

impl From<StyleSpec> for Style {
    fn from(spec: StyleSpec) -> Style {
        let mut style = Style::default();
        if let Some(fg) = spec.fg {
            style = style.fg(fg);
        }
        if let Some(bg) = spec.bg {
            style = style.bg(bg);
        }
        for (on, modifier) in [
            (spec.bold, Modifier::BOLD),
            (spec.dim, Modifier::DIM),
            (spec.italic, Modifier::ITALIC),
            (spec.underline, Modifier::UNDERLINED),
            (spec.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(modifier);
            }
        }
        style
    }
}

/// A complete theme: a [`StyleSpec`] for every [`Role`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    name: String,
    pub(super) roles: [StyleSpec; Role::ALL.len()],
}

impl Theme {
    /// The built-in theme `name` (`themes/<name>.yaml` in the source tree), without user files.
    ///
    /// # Errors
    /// [`ConfigError::UnknownName`] when there is no such built-in theme.
    pub fn builtin(name: &str) -> Result<Theme, ConfigError> {
        preset::builtin(name)
    }

    /// The theme for `NO_COLOR` (see [`no_color_requested`]): no colours at all, only bold, reversed and
    /// underline, so that the selection and failures still stand out.
    pub fn monochrome() -> Theme {
        let plain = StyleSpec::default();
        let bold = StyleSpec { bold: true, ..plain };
        let reversed = StyleSpec { reversed: true, ..plain };
        let underline = StyleSpec { underline: true, ..plain };
        let roles = Role::ALL.map(|role| match role {
            Role::Accent | Role::BorderFocused | Role::Title | Role::Warning | Role::Error | Role::KeyHint => bold,
            Role::Header => StyleSpec { underline: true, ..bold },
            Role::ClusterDown => StyleSpec { reversed: true, ..bold },
            Role::Selected | Role::Readonly | Role::StatusBar => reversed,
            Role::Deleting => underline,
            _ => plain,
        });
        Theme { name: "monochrome".to_owned(), roles }
    }

    /// The theme's name: its `name` field, else the name it was loaded by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The ratatui style for `role`.
    pub fn style(&self, role: Role) -> Style {
        self.spec(role).into()
    }

    /// The spec `role` was built from.
    pub fn spec(&self, role: Role) -> StyleSpec {
        self.roles[role as usize]
    }
}

/// `true` when the environment asks for no colour: `NO_COLOR` set to anything but the empty string
/// (<https://no-color.org>). The caller passes it to [`load`](super::load) as `LoadOptions::no_color`.
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// A theme file as written, before its colours are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    roles: Entries<RoleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    #[serde(default)]
    fg: Option<Spanned<String>>,
    #[serde(default)]
    bg: Option<Spanned<String>>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

/// A checked theme file: the roles it gives, nothing more.
#[derive(Debug)]
pub(crate) struct ThemeLayer {
    name: Option<String>,
    extends: Option<Spanned<String>>,
    roles: Vec<(Role, StyleSpec)>,
}

impl Layered for Theme {
    type Layer = ThemeLayer;
    const KIND: &'static str = "theme";
    const DIR: &'static str = "themes";

    fn presets() -> &'static [preset::Embedded] {
        preset::THEMES
    }

    fn parse_layer(path: &Path, text: &str) -> Result<ThemeLayer, ConfigError> {
        let file: ThemeFile = yaml::parse(path, text)?;
        let mut roles: Vec<(Role, StyleSpec)> = Vec::new();
        for (key, raw) in file.roles.0 {
            let role = Role::from_name(&key.value).ok_or_else(|| {
                let known: Vec<_> = Role::ALL.iter().map(|r| r.name()).collect();
                let message = format!("unknown theme role `{}`: the roles are {}", key.value, known.join(", "));
                yaml::invalid(path, key.referenced, message)
            })?;
            let color = |field: &str, value: Option<Spanned<String>>| {
                value
                    .map(|value| {
                        parse_color(&value.value).map_err(|error| {
                            let message = format!("role `{}`, field `{field}`: {error}", role.name());
                            yaml::invalid(path, value.referenced, message)
                        })
                    })
                    .transpose()
            };
            let spec = StyleSpec {
                fg: color("fg", raw.fg)?,
                bg: color("bg", raw.bg)?,
                bold: raw.bold,
                dim: raw.dim,
                italic: raw.italic,
                underline: raw.underline,
                reversed: raw.reversed,
            };
            roles.push((role, spec));
        }
        Ok(ThemeLayer { name: file.name, extends: file.extends, roles })
    }

    fn extends(layer: &ThemeLayer) -> Option<&Spanned<String>> {
        layer.extends.as_ref()
    }

    fn build(name: &str, base: Option<Theme>, layer: ThemeLayer, path: &Path) -> Result<Theme, ConfigError> {
        let mut roles: [Option<StyleSpec>; Role::ALL.len()] = match &base {
            Some(base) => base.roles.map(Some),
            None => [None; Role::ALL.len()],
        };
        for (role, spec) in layer.roles {
            roles[role as usize] = Some(spec);
        }
        let missing: Vec<&str> =
            Role::ALL.iter().filter(|role| roles[**role as usize].is_none()).map(|role| role.name()).collect();
        if !missing.is_empty() {
            let message = format!("a built-in theme must give every role; missing: {}", missing.join(", "));
            return Err(ConfigError::Invalid { path: path.to_owned(), line: 0, column: 0, message });
        }
        Ok(Theme { name: layer.name.unwrap_or_else(|| name.to_owned()), roles: roles.map(Option::unwrap_or_default) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(text: &str) -> Result<ThemeLayer, ConfigError> {
        Theme::parse_layer(Path::new("t.yaml"), text)
    }

    #[test]
    fn spec_becomes_a_ratatui_style() {
        let spec = StyleSpec {
            fg: Some(Color::Black),
            bg: Some(Color::Indexed(75)),
            bold: true,
            reversed: true,
            ..StyleSpec::default()
        };
        let style = Style::from(spec);
        assert_eq!(style, Style::new().fg(Color::Black).bg(Color::Indexed(75)).bold().reversed());
        assert_eq!(Style::from(StyleSpec::default()), Style::default());
    }

    #[test]
    fn user_roles_replace_the_base_role_by_role() {
        let base = Theme::monochrome();
        let layer = layer("roles:\n  selected: { fg: red }\n  ok:\n    fg: \"#00ff00\"\n    bold: true\n").unwrap();
        let theme = Theme::build("mine", Some(base.clone()), layer, Path::new("t.yaml")).unwrap();
        assert_eq!(theme.name(), "mine");
        assert_eq!(theme.spec(Role::Selected), StyleSpec { fg: Some(Color::Red), ..StyleSpec::default() });
        assert_eq!(theme.style(Role::Ok), Style::new().fg(Color::Rgb(0, 255, 0)).bold());
        assert_eq!(theme.spec(Role::Error), base.spec(Role::Error), "untouched roles keep the base");
    }

    #[test]
    fn a_theme_without_base_must_be_complete() {
        let error =
            Theme::build("x", None, layer("roles:\n  ok: {}\n").unwrap(), Path::new("t.yaml")).unwrap_err().to_string();
        assert!(error.contains("missing: base, muted"), "{error}");
    }

    #[test]
    fn bad_colour_names_role_field_and_line() {
        let error = layer("roles:\n  base: {}\n  selected:\n    fg: purpl\n").unwrap_err().to_string();
        assert!(error.starts_with("t.yaml:4:"), "{error}");
        assert!(error.contains("role `selected`, field `fg`: unknown colour `purpl`"), "{error}");
    }

    #[test]
    fn unknown_role_and_field_are_reported() {
        let error = layer("roles:\n  selcted: {}\n").unwrap_err().to_string();
        assert!(error.starts_with("t.yaml:2:3: unknown theme role `selcted`"), "{error}");
        let error = layer("roles:\n  ok: { fg: red, blink: true }\n").unwrap_err().to_string();
        assert!(error.starts_with("t.yaml:2:") && error.contains("`blink`"), "{error}");
    }

    #[test]
    fn indexed_colours_may_be_written_as_numbers() {
        let layer = layer("roles:\n  muted: { fg: 245 }\n").unwrap();
        assert_eq!(layer.roles[0].1.fg, Some(Color::Indexed(245)));
    }

    #[test]
    fn monochrome_has_no_colour() {
        let theme = Theme::monochrome();
        for role in Role::ALL {
            let spec = theme.spec(role);
            assert_eq!((spec.fg, spec.bg, spec.dim, spec.italic), (None, None, false, false), "{role:?}");
        }
        assert!(theme.spec(Role::Selected).reversed);
    }
}
