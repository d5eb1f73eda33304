//! Reading our YAML files: serde-saphyr underneath, errors turned into [`ConfigError::Invalid`] with the
//! file's path, the line and column serde-saphyr reports, and the field at that place.
//!
//! Validation that serde cannot do (colour names, key chords, action names) works on [`Spanned`] values and
//! [`Entries`], which keep the location of every key, so those messages point at the right line too.
use std::{fmt, io, marker::PhantomData, path::Path};

use serde::{
    Deserialize, Deserializer,
    de::{DeserializeOwned, MapAccess, Visitor},
};
use serde_saphyr::{Location, MessageFormatter, Spanned, UserMessageFormatter};

use super::error::ConfigError;

/// Reads a file that must exist (one named on the command line).
pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })
}

/// Reads a file that may be absent (one looked for in the config directory): `Ok(None)` when it is not there.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read { path: path.to_owned(), source }),
    }
}

/// Deserializes `text` (the content of `path`) into `T`. A file with nothing but comments counts as an
/// empty mapping, so a freshly created `config.yaml` means "no changes".
pub(crate) fn parse<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    let text = if is_blank(text) { "{}" } else { text };
    serde_saphyr::from_str(text).map_err(|error| from_saphyr(path, text, &error))
}

/// An [`ConfigError::Invalid`] pointing at `at` in `path`.
pub(crate) fn invalid(path: &Path, at: Location, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { path: path.to_owned(), line: at.line(), column: at.column(), message: message.into() }
}

fn is_blank(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    })
}

fn from_saphyr(path: &Path, text: &str, error: &serde_saphyr::Error) -> ConfigError {
    let mut inner = error;
    while let serde_saphyr::Error::WithSnippet { error, .. } | serde_saphyr::Error::AliasError { error, .. } = inner {
        inner = error;
    }
    // The text can quote the file; keep control characters out of the status bar.
    let mut message: String =
        UserMessageFormatter.format_message(inner).chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let at = error.location().unwrap_or(Location::UNKNOWN);
    if let Some(field) = field_at(text, at.line(), at.column())
        && !message.contains(&format!("`{}`", last_segment(&field)))
    {
        message = format!("field `{field}`: {message}");
    }
    ConfigError::Invalid { path: path.to_owned(), line: at.line(), column: at.column(), message }
}

fn last_segment(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The dotted path of the key whose value sits at `line`:`column` (1-based), e.g. `git.push`: serde's type
/// errors say what was wrong but not where in the structure, and people think in field names. Parents come
/// from less-indented lines above and from flow mappings (`prod: { readonly: x }`) on the line itself.
fn field_at(text: &str, line: u64, column: u64) -> Option<String> {
    let index = usize::try_from(line.checked_sub(1)?).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let current = lines.get(index)?;
    let before: String = current.chars().take(usize::try_from(column.saturating_sub(1)).ok()?).collect();
    let mut path = keys_before(&before);
    if path.is_empty() {
        return None;
    }
    let mut indent = indentation(current);
    for above in lines[..index].iter().rev() {
        if indent == 0 {
            break;
        }
        let content = above.trim_start();
        if content.is_empty() || content.starts_with('#') || indentation(above) >= indent {
            continue;
        }
        indent = indentation(above);
        if let Some((parent, _)) = content.split_once(':')
            && !parent.is_empty()
            && parent.chars().all(is_key_char)
        {
            path.insert(0, parent.to_owned());
        }
    }
    Some(path.join("."))
}

/// The keys open at the end of `before`, outermost first: `a: { b: { c: ` gives `[a, b, c]`, and
/// `a: 1, b: ` inside one flow mapping gives `[b]`.
fn keys_before(before: &str) -> Vec<String> {
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut depth = 0_usize;
    let mut word = String::new();
    let mut chars = before.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                open.retain(|(d, _)| *d <= depth);
            }
            ':' if !word.is_empty() && chars.peek().is_none_or(|next| next.is_whitespace()) => {
                open.retain(|(d, _)| *d < depth);
                open.push((depth, std::mem::take(&mut word)));
                continue;
            }
            c if is_key_char(c) => {
                word.push(c);
                continue;
            }
            _ => {}
        }
        word.clear();
    }
    open.into_iter().map(|(_, key)| key).collect()
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '-']).len()
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A YAML mapping with string keys kept in file order together with each key's location, so validation can
/// say "unknown action `quiet` in mode `global`" and point at that key.
#[derive(Debug)]
pub(crate) struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Entries(entries))
            }

            fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
                // `roles:` with nothing under it is an empty mapping, not a type error.
                Ok(Entries(Vec::new()))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        #[expect(dead_code, reason = "only its type matters: it gives the parser a nested field")]
        git: Option<SampleGit>,
        #[serde(default)]
        map: Entries<Vec<Spanned<String>>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct SampleGit {
        #[expect(dead_code, reason = "only its type matters")]
        push: bool,
    }

    fn error(text: &str) -> ConfigError {
        match parse::<Sample>(Path::new("s.yaml"), text) {
            Ok(sample) => panic!("expected an error, parsed {sample:?}"),
            Err(error) => error,
        }
    }

    #[test]
    fn blank_file_is_an_empty_mapping() {
        let sample: Sample = parse(Path::new("s.yaml"), "# nothing yet\n\n").unwrap();
        assert!(sample.name.is_none());
    }

    #[test]
    fn entries_keep_key_locations_and_order() {
        let sample: Sample = parse(Path::new("s.yaml"), "map:\n  zeta: [a]\n  alpha:\n    - b\n    - 7\n").unwrap();
        let keys: Vec<_> = sample.map.0.iter().map(|(k, _)| (k.value.as_str(), k.referenced.line())).collect();
        assert_eq!(keys, [("zeta", 2), ("alpha", 3)]);
        let alpha = &sample.map.0[1].1;
        assert_eq!(alpha[1].value, "7", "plain scalars read as strings");
        assert_eq!(alpha[1].referenced.line(), 5);
    }

    #[test]
    fn unknown_field_names_line_and_field() {
        let error = error("name: x\nnmae: y\n");
        let text = error.to_string();
        assert!(text.starts_with("s.yaml:2:"), "{text}");
        assert!(text.contains("`nmae`"), "{text}");
    }

    #[test]
    fn type_error_names_the_nested_field() {
        let text = error("name: x\ngit:\n  push: maybe\n").to_string();
        assert!(text.starts_with("s.yaml:3:"), "{text}");
        assert!(text.contains("field `git.push`"), "{text}");
    }

    #[test]
    fn bad_yaml_has_a_line() {
        let error = error("name: [unclosed\nmap: {}\n");
        assert!(error.line().is_some(), "{error}");
    }

    #[test]
    fn field_at_reads_block_structure() {
        let text = "a:\n  b:\n    c: 1\n  d: 2\n";
        assert_eq!(field_at(text, 3, 8).as_deref(), Some("a.b.c"));
        assert_eq!(field_at(text, 4, 6).as_deref(), Some("a.d"));
        assert_eq!(field_at(text, 1, 1), None);
        let text = "contexts:\n  prod: { readonly: nope, alias: x }\n";
        assert_eq!(field_at(text, 2, 21).as_deref(), Some("contexts.prod.readonly"));
        assert_eq!(field_at(text, 2, 34).as_deref(), Some("contexts.prod.alias"));
        assert_eq!(field_at("url: http://x\n", 1, 6).as_deref(), Some("url"));
    }
}
