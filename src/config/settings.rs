//! The settings in `config.yaml`: theme and keymap names, read-only rules, per-context overrides, git
//! defaults, timeouts.
//!
//! `src/config/default-config.yaml` is the single source of the defaults: it is embedded at build time and
//! parsed strictly (every field present) into [`Config`]. The user's `config.yaml` is parsed into a patch in
//! which every field is optional, and laid over the defaults field by field: keys the user leaves out keep
//! the default, `contexts` entries are added to (or replace) the default ones, and `git` is merged key by key.
//! Unknown keys are errors in both files, so a typo is reported instead of silently ignored.
use std::{collections::BTreeMap, path::Path, path::PathBuf};

use serde::{Deserialize, Serialize};

use super::{error::ConfigError, yaml};

/// The embedded defaults, as shipped.
pub const DEFAULT_CONFIG_YAML: &str = include_str!("default-config.yaml");

/// All settings, after the user's `config.yaml` has been laid over the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Theme name: a built-in one or `<config_dir>/themes/<name>.yaml`.
    pub theme: String,
    /// Keymap name: a built-in one or `<config_dir>/keymaps/<name>.yaml`.
    pub keymap: String,
    /// Every context read-only, whatever the other rules say (also `--readonly`).
    pub readonly: bool,
    /// Contexts whose name matches are read-only unless `contexts.<name>.readonly` says otherwise; see
    /// [`glob_matches`] for the syntax.
    pub prod_pattern: String,
    /// Per-context settings, keyed by kubeconfig context name.
    pub contexts: BTreeMap<String, ContextOverride>,
    /// Defaults for the commits the wizards write.
    pub git: GitDefaults,
    /// How long to wait for a context's API server before showing it as unreachable, in seconds.
    pub connect_timeout_secs: u64,
    /// Ring the terminal bell when an object turns Failed while the Pulse view is not shown (the status bar
    /// flashes either way).
    pub pulse_bell: bool,
    /// Credential providers for hubs' ClusterProfiles, as KEP-5339's consumer file lists them:
    /// `[{name, execConfig: {apiVersion, command, args, env, provideClusterInfo}}]` (the `execConfig` of a
    /// kubeconfig user). A profile is reached through the first of these it offers in
    /// `status.accessProviders`. Kept as data here; the fleet reads and checks it (`fleet::profiles`).
    #[serde(default)]
    pub cluster_profile_providers: Vec<serde_json::Value>,
}

/// Settings for one kubeconfig context.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextOverride {
    /// `Some(true)` or `Some(false)` overrides `prod_pattern` for this context.
    #[serde(default)]
    pub readonly: Option<bool>,
    /// A shorter name to show instead of the context name.
    #[serde(default)]
    pub alias: Option<String>,
}

/// Defaults for the GitOps repository the wizards commit to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitDefaults {
    /// Local clone of the GitOps repository, when `--repo` is not given.
    pub repository: Option<PathBuf>,
    /// Branch new work starts from; the repository's default branch when `None`.
    pub base_branch: Option<String>,
    /// Remote to push to.
    pub remote: String,
    /// Push after committing, without `--push`.
    pub push: bool,
    /// Commit author; git's own configuration when `None`.
    pub author_name: Option<String>,
    /// Commit author e-mail; git's own configuration when `None`.
    pub author_email: Option<String>,
}

impl Config {
    /// The embedded defaults, `default-config.yaml`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] if the embedded file is broken: a bug, which the tests catch.
    pub fn builtin() -> Result<Config, ConfigError> {
        yaml::parse(Path::new("(built-in)/default-config.yaml"), DEFAULT_CONFIG_YAML)
    }

    /// Whether `context` is read-only: always when `readonly` is set; else as `contexts.<context>.readonly`
    /// says; else when the name matches `prod_pattern`. Erring towards read-only is the point.
    pub fn is_readonly(&self, context: &str) -> bool {
        if self.readonly {
            return true;
        }
        match self.contexts.get(context).and_then(|o| o.readonly) {
            Some(readonly) => readonly,
            None => glob_matches(&self.prod_pattern, context),
        }
    }

    /// The name to show for `context`: its alias, else the context name.
    pub fn display_name<'a>(&'a self, context: &'a str) -> &'a str {
        self.contexts.get(context).and_then(|o| o.alias.as_deref()).unwrap_or(context)
    }

    /// Lays `patch` over `self`, field by field.
    pub(crate) fn apply(mut self, patch: ConfigPatch) -> Config {
        let ConfigPatch {
            theme,
            keymap,
            readonly,
            prod_pattern,
            contexts,
            git,
            connect_timeout_secs,
            pulse_bell,
            cluster_profile_providers,
        } = patch;
        set(&mut self.pulse_bell, pulse_bell);
        set(&mut self.cluster_profile_providers, cluster_profile_providers);
        set(&mut self.theme, theme);
        set(&mut self.keymap, keymap);
        set(&mut self.readonly, readonly);
        set(&mut self.prod_pattern, prod_pattern);
        set(&mut self.connect_timeout_secs, connect_timeout_secs);
        self.contexts.extend(contexts.unwrap_or_default());
        if let Some(git) = git {
            let g = &mut self.git;
            set_some(&mut g.repository, git.repository);
            set_some(&mut g.base_branch, git.base_branch);
            set(&mut g.remote, git.remote);
            set(&mut g.push, git.push);
            set_some(&mut g.author_name, git.author_name);
            set_some(&mut g.author_email, git.author_email);
        }
        self
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

fn set_some<T>(field: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *field = value;
    }
}

/// The user's `config.yaml`: the same fields as [`Config`], all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigPatch {
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub keymap: Option<String>,
    #[serde(default)]
    pub readonly: Option<bool>,
    #[serde(default)]
    pub prod_pattern: Option<String>,
    #[serde(default)]
    pub contexts: Option<BTreeMap<String, ContextOverride>>,
    #[serde(default)]
    pub git: Option<GitPatch>,
    #[serde(default)]
    pub connect_timeout_secs: Option<u64>,
    #[serde(default)]
    pub pulse_bell: Option<bool>,
    #[serde(default)]
    pub cluster_profile_providers: Option<Vec<serde_json::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GitPatch {
    #[serde(default)]
    repository: Option<PathBuf>,
    #[serde(default)]
    base_branch: Option<String>,
    #[serde(default)]
    remote: Option<String>,
    #[serde(default)]
    push: Option<bool>,
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_email: Option<String>,
}

impl ConfigPatch {
    /// Reads the user's `config.yaml` (or the file given with `--config`).
    pub(crate) fn parse(path: &Path, text: &str) -> Result<ConfigPatch, ConfigError> {
        yaml::parse(path, text)
    }
}

/// Whether `name` matches `pattern`: `*` matches any run of characters, `?` any one, `|` separates
/// alternatives (`*prod*|*live*`), and case is ignored. An empty pattern matches nothing.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let name: Vec<char> = name.to_lowercase().chars().collect();
    pattern.split('|').map(str::trim).filter(|alternative| !alternative.is_empty()).any(|alternative| {
        let pattern: Vec<char> = alternative.to_lowercase().chars().collect();
        matches_at(&pattern, &name)
    })
}

/// Classic wildcard matching with one backtrack point for the last `*`: linear for practical patterns.
fn matches_at(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(c) if *c == '?' || *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(text: &str) -> ConfigPatch {
        ConfigPatch::parse(Path::new("config.yaml"), text).unwrap()
    }

    #[test]
    fn embedded_defaults_are_the_documented_ones() {
        let config = Config::builtin().unwrap();
        assert_eq!(config.theme, "default");
        assert_eq!(config.keymap, "default");
        assert!(!config.readonly);
        assert_eq!(config.prod_pattern, "*prod*");
        assert!(config.contexts.is_empty());
        assert_eq!(config.git.remote, "origin");
        assert!(!config.git.push);
        assert_eq!(config.git.repository, None);
        assert_eq!(config.connect_timeout_secs, 3);
    }

    /// Every field of [`Config`] is written out in the embedded file, so it documents them all.
    #[test]
    fn embedded_file_spells_out_every_field() {
        let written: serde_json::Value = serde_saphyr::from_str(DEFAULT_CONFIG_YAML).unwrap();
        let parsed = serde_json::to_value(Config::builtin().unwrap()).unwrap();
        let keys = |value: &serde_json::Value, at: &str| -> Vec<String> {
            let object = if at.is_empty() { value } else { &value[at] };
            let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
            keys.sort();
            keys
        };
        assert_eq!(keys(&written, ""), keys(&parsed, ""));
        assert_eq!(keys(&written, "git"), keys(&parsed, "git"));
    }

    #[test]
    fn an_empty_patch_changes_nothing() {
        let defaults = Config::builtin().unwrap();
        assert_eq!(defaults.clone().apply(patch("# nothing\n")), defaults);
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let defaults = Config::builtin().unwrap();
        let config = defaults
            .clone()
            .apply(patch("theme: light\ngit:\n  push: true\ncontexts:\n  prod-eu: { readonly: false, alias: eu }\n"));
        assert_eq!(config.theme, "light");
        assert!(config.git.push);
        assert_eq!(config.git.remote, defaults.git.remote);
        assert_eq!(config.keymap, defaults.keymap);
        assert_eq!(config.connect_timeout_secs, defaults.connect_timeout_secs);
        assert_eq!(config.display_name("prod-eu"), "eu");
        assert!(!config.is_readonly("prod-eu"), "the context override beats the pattern");
        assert!(config.is_readonly("prod-us"));
        assert!(!config.is_readonly("dev"));
    }

    #[test]
    fn readonly_everywhere_wins() {
        let mut config = Config::builtin().unwrap().apply(patch("contexts:\n  prod: { readonly: false }\n"));
        config.readonly = true;
        assert!(config.is_readonly("prod") && config.is_readonly("dev"));
    }

    #[test]
    fn globs() {
        assert!(glob_matches("*prod*", "eu-prod-1"));
        assert!(glob_matches("*prod*", "PROD"));
        assert!(!glob_matches("*prod*", "staging"));
        assert!(glob_matches("kind-?", "kind-a"));
        assert!(!glob_matches("kind-?", "kind-ab"));
        assert!(glob_matches("*prod*|*live*", "eu-live"));
        assert!(glob_matches("a*b*c", "axxbyybzc"));
        assert!(!glob_matches("a*b*c", "axxbyybz"));
        assert!(!glob_matches("", "anything"));
        assert!(glob_matches("*", "anything"));
    }
}
