//! What can go wrong while loading configuration, and the warnings a bad user file turns into.
//!
//! A file the user named on the command line (`--config`, `--theme-file`, `--keymap-file`) that cannot be used
//! is a [`ConfigError`]: the caller prints it and exits with status 2. A file fleetdeck found on its own under
//! the config directory that cannot be used becomes a [`Warning`]: the built-in default is used instead and the
//! UI shows the warning in the status bar. Both render as `path:line:column: message`, the shape editors and
//! terminals turn into a link.
use std::{fmt, io, path::Path, path::PathBuf};

/// A configuration, theme or keymap file that cannot be used, or a name that matches nothing.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists (or was named on the command line) but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file fleetdeck tried to read.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The file was read but its content cannot be used: bad YAML, an unknown field, a value of the wrong
    /// type, an unknown colour, key or action, a key bound twice. `line` and `column` are 1-based and point at
    /// the offending value; both are 0 when the problem concerns the file as a whole.
    #[error("{}", located(path, *line, *column, message))]
    Invalid {
        /// The file holding the problem; built-in files show as `(built-in)/themes/default.yaml`.
        path: PathBuf,
        /// 1-based line, or 0 when unknown.
        line: u64,
        /// 1-based column, or 0 when unknown.
        column: u64,
        /// What is wrong, naming the field, written for the person who edits the file.
        message: String,
    },
    /// A theme or keymap name that is neither built in nor a file in the user's config directory.
    #[error("{}", unknown_name(kind, name, known, user_file.as_deref()))]
    UnknownName {
        /// `"theme"` or `"keymap"`.
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The built-in names, comma-separated.
        known: String,
        /// Where a user file of that name was looked for, when one was.
        user_file: Option<PathBuf>,
    },
}

impl ConfigError {
    /// The file this error is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            ConfigError::Read { path, .. } | ConfigError::Invalid { path, .. } => Some(path),
            ConfigError::UnknownName { .. } => None,
        }
    }

    /// The 1-based line the error points at, when known.
    pub fn line(&self) -> Option<u64> {
        match self {
            ConfigError::Invalid { line, .. } if *line > 0 => Some(*line),
            _ => None,
        }
    }
}

fn unknown_name(kind: &str, name: &str, known: &str, user_file: Option<&Path>) -> String {
    let mut message = format!("there is no {kind} named `{name}` (the built-in ones are {known}");
    if let Some(file) = user_file {
        message.push_str(&format!(", and there is no file {}", file.display()));
    }
    message.push(')');
    message
}

/// Renders `path:line:column: message`, dropping the parts that are unknown (0).
fn located(path: &Path, line: u64, column: u64, message: &str) -> String {
    match (line, column) {
        (0, _) => format!("{}: {message}", path.display()),
        (line, 0) => format!("{}:{line}: {message}", path.display()),
        (line, column) => format!("{}:{line}:{column}: {message}", path.display()),
    }
}

/// A problem in a file fleetdeck found on its own, and what it did instead; shown in the status bar.
///
/// Displays as `<problem>; <fallback>`, e.g.
/// `~/.config/fleetdeck/themes/default.yaml:4:9: role `selected`, field `fg`: unknown colour `purpl` (…);
/// using the built-in theme `default``.
#[derive(Debug)]
pub struct Warning {
    /// What is wrong, with the file, line and field.
    pub problem: ConfigError,
    /// What fleetdeck used instead, e.g. "using the built-in theme `default`".
    pub fallback: String,
}

impl Warning {
    /// A warning for `problem`, worked around as `fallback` says.
    pub fn new(problem: ConfigError, fallback: impl Into<String>) -> Self {
        Warning { problem, fallback: fallback.into() }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.problem, self.fallback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_renders_like_a_compiler_diagnostic() {
        let error = ConfigError::Invalid {
            path: "/home/me/.config/fleetdeck/config.yaml".into(),
            line: 3,
            column: 7,
            message: "unknown field `thme`".into(),
        };
        assert_eq!(error.to_string(), "/home/me/.config/fleetdeck/config.yaml:3:7: unknown field `thme`");
        assert_eq!(error.line(), Some(3));
    }

    #[test]
    fn unknown_location_is_left_out() {
        let error =
            ConfigError::Invalid { path: "t.yaml".into(), line: 0, column: 0, message: "roles missing: ok".into() };
        assert_eq!(error.to_string(), "t.yaml: roles missing: ok");
        assert_eq!(error.line(), None);
    }

    #[test]
    fn warning_says_what_was_used_instead() {
        let warning = Warning::new(
            ConfigError::Invalid { path: "t.yaml".into(), line: 1, column: 1, message: "bad".into() },
            "using the built-in theme `default`",
        );
        assert_eq!(warning.to_string(), "t.yaml:1:1: bad; using the built-in theme `default`");
    }
}
