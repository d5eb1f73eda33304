//! Loading configuration end to end: real files in a temporary `FLEETDECK_HOME`-style folder, the embedded
//! presets, and the bad files under `tests/fixtures/config/` (one problem each, like bottom's
//! `tests/invalid_configs`).
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdeck::config::{self, Action, Config, ConfigError, Keymap, LoadOptions, Loaded, Mode, Paths, Role, Theme};
use ratatui::style::{Color, Style};
use tempfile::TempDir;

const FIXTURES: &str = "tests/fixtures/config";

/// A fresh config home with `files` (relative path, content) written under its config directory.
fn home(files: &[(&str, &str)]) -> (TempDir, Paths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    for (name, text) in files {
        let path = paths.config_dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    (dir, paths)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

fn load(paths: &Paths) -> Loaded {
    config::load(paths, &LoadOptions::default()).unwrap()
}

fn warnings(loaded: &Loaded) -> Vec<String> {
    loaded.warnings.iter().map(ToString::to_string).collect()
}

#[test]
fn every_shipped_preset_parses() {
    let themes: Vec<_> = config::theme_names().collect();
    let keymaps: Vec<_> = config::keymap_names().collect();
    assert!(themes.contains(&"default") && keymaps.contains(&"default"));
    for name in themes {
        let theme = Theme::builtin(name).unwrap_or_else(|e| panic!("theme {name}: {e}"));
        assert_ne!(theme.style(Role::Selected), Style::default(), "theme {name}: the cursor must show");
    }
    for name in keymaps {
        let keymap = Keymap::builtin(name).unwrap_or_else(|e| panic!("keymap {name}: {e}"));
        for action in [Action::Quit, Action::Help, Action::Back] {
            assert!(!keymap.chords(Mode::Global, action).is_empty(), "keymap {name}: {action:?} unbound");
        }
    }
    Config::builtin().unwrap();
}

#[test]
fn an_empty_home_gives_the_defaults_without_warnings() {
    let (_dir, paths) = home(&[]);
    let loaded = load(&paths);
    assert!(loaded.warnings.is_empty(), "{:?}", warnings(&loaded));
    assert_eq!(loaded.config, Config::builtin().unwrap());
    assert_eq!(loaded.theme, Theme::builtin("default").unwrap());
    assert_eq!(loaded.keymap, Keymap::builtin("default").unwrap());
}

#[test]
fn the_default_keymap_is_k9s_like() {
    let keymap = Keymap::builtin("default").unwrap();
    let key = |code, modifiers| KeyEvent::new(code, modifiers);
    let list = |event| keymap.lookup(Mode::List, &event);
    assert_eq!(list(key(KeyCode::Char('j'), KeyModifiers::NONE)), Some(Action::Down));
    assert_eq!(list(key(KeyCode::Char('G'), KeyModifiers::SHIFT)), Some(Action::Bottom));
    assert_eq!(list(key(KeyCode::Char(':'), KeyModifiers::NONE)), Some(Action::Palette));
    assert_eq!(list(key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
    assert_eq!(list(key(KeyCode::BackTab, KeyModifiers::SHIFT)), Some(Action::PrevPane));
    assert_eq!(list(key(KeyCode::Esc, KeyModifiers::NONE)), Some(Action::Back));
}

#[test]
fn a_user_config_overriding_one_field_keeps_every_other_default() {
    let (_dir, paths) = home(&[("config.yaml", "# mine\nconnect_timeout_secs: 10\n")]);
    let loaded = load(&paths);
    assert!(loaded.warnings.is_empty(), "{:?}", warnings(&loaded));
    let expected = Config { connect_timeout_secs: 10, ..Config::builtin().unwrap() };
    assert_eq!(loaded.config, expected);
}

#[test]
fn nested_settings_merge_key_by_key() {
    let (_dir, paths) = home(&[("config.yaml", "git:\n  push: true\ncontexts:\n  kind-prod: { readonly: false }\n")]);
    let config = load(&paths).config;
    assert!(config.git.push);
    assert_eq!(config.git.remote, "origin", "keys the user leaves out keep the default");
    assert!(!config.is_readonly("kind-prod"));
    assert!(config.is_readonly("gke-prod-eu"), "prod_pattern still applies to the others");
}

#[test]
fn an_unknown_field_in_config_yaml_is_reported_with_its_line() {
    let (_dir, paths) = home(&[("config.yaml", &fixture("config-unknown-field.yaml"))]);
    let loaded = load(&paths);
    let config_file = paths.config_file().display().to_string();
    assert_eq!(warnings(&loaded).len(), 1);
    let warning = &warnings(&loaded)[0];
    assert!(warning.starts_with(&format!("{config_file}:3:1: unknown field `thme`")), "{warning}");
    assert!(warning.ends_with("using the built-in settings"), "{warning}");
    assert_eq!(loaded.config, Config::builtin().unwrap());
    assert_eq!(loaded.warnings[0].problem.line(), Some(3));
}

#[test]
fn a_malformed_user_theme_warns_and_falls_back_to_the_default_theme() {
    for fixture_name in ["theme-bad-yaml.yaml", "theme-unknown-colour.yaml"] {
        let (_dir, paths) = home(&[("themes/default.yaml", &fixture(fixture_name))]);
        let loaded = load(&paths);
        let warnings = warnings(&loaded);
        assert_eq!(warnings.len(), 1, "{fixture_name}: {warnings:?}");
        let theme_file = paths.themes_dir().join("default.yaml").display().to_string();
        assert!(warnings[0].starts_with(&format!("{theme_file}:")), "{}", warnings[0]);
        assert!(warnings[0].ends_with("using the built-in theme `default`"), "{}", warnings[0]);
        assert!(loaded.warnings[0].problem.line().is_some(), "{}", warnings[0]);
        assert_eq!(loaded.theme, Theme::builtin("default").unwrap());
    }
}

#[test]
fn an_unknown_colour_is_named_with_role_field_and_line() {
    let (_dir, paths) =
        home(&[("config.yaml", "theme: mine\n"), ("themes/mine.yaml", &fixture("theme-unknown-colour.yaml"))]);
    let loaded = load(&paths);
    let theme_file = paths.themes_dir().join("mine.yaml").display().to_string();
    let warning = &warnings(&loaded)[0];
    let expected = format!("{theme_file}:4:30: role `selected`, field `bg`: unknown colour `purpl`");
    assert!(warning.starts_with(&expected), "{warning}");
    assert_eq!(loaded.theme, Theme::builtin("default").unwrap());
}

#[test]
fn a_user_theme_is_laid_over_the_preset_role_by_role() {
    let (_dir, paths) = home(&[("themes/default.yaml", "roles:\n  error: { fg: \"#ff0000\" }\n")]);
    let loaded = load(&paths);
    assert!(loaded.warnings.is_empty(), "{:?}", warnings(&loaded));
    let preset = Theme::builtin("default").unwrap();
    assert_eq!(loaded.theme.style(Role::Error), Style::new().fg(Color::Rgb(255, 0, 0)));
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Error) {
        assert_eq!(loaded.theme.style(role), preset.style(role), "{role:?}");
    }
}

#[test]
fn an_unknown_theme_name_warns_in_config_and_fails_on_the_command_line() {
    let (_dir, paths) = home(&[("config.yaml", "theme: solarized\nkeymap: emacs\n")]);
    let loaded = load(&paths);
    let warnings = warnings(&loaded);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("there is no theme named `solarized`"), "{}", warnings[0]);
    assert!(warnings[1].starts_with("there is no keymap named `emacs`"), "{}", warnings[1]);
    assert_eq!(loaded.theme, Theme::builtin("default").unwrap());

    let options = LoadOptions { theme: Some("solarized".into()), ..LoadOptions::default() };
    let error = config::load(&paths, &options).unwrap_err();
    assert!(matches!(error, ConfigError::UnknownName { kind: "theme", .. }), "{error}");
}

#[test]
fn a_broken_user_keymap_warns_naming_the_key_and_mode() {
    let (_dir, paths) = home(&[("keymaps/default.yaml", &fixture("keymap-unknown-key.yaml"))]);
    let loaded = load(&paths);
    let warning = &warnings(&loaded)[0];
    assert!(warning.contains(":4:25: mode `list`, action `page-down`: unknown key `pgdown`"), "{warning}");
    assert!(warning.ends_with("using the built-in keymap `default`"), "{warning}");
    assert_eq!(loaded.keymap, Keymap::builtin("default").unwrap());
}

#[test]
fn no_color_gives_the_monochrome_theme_unless_a_theme_was_chosen() {
    let no_color = LoadOptions { no_color: true, ..LoadOptions::default() };
    let (_dir, paths) = home(&[]);
    assert_eq!(config::load(&paths, &no_color).unwrap().theme, Theme::monochrome());

    let (_dir, paths) = home(&[("config.yaml", "theme: default\n")]);
    assert_eq!(config::load(&paths, &no_color).unwrap().theme, Theme::builtin("default").unwrap());
}

/// Every fixture is broken; given on the command line each is an error naming the file and the line.
#[test]
fn malformed_files_given_explicitly_are_errors_naming_file_and_line() {
    let mut messages = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(FIXTURES).unwrap().map(|entry| entry.unwrap().path()).collect();
    names.sort();
    let (_dir, paths) = home(&[]);
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut options = LoadOptions::default();
        match name.split('-').next() {
            Some("config") => options.config_file = Some(path.clone()),
            Some("theme") => options.theme_file = Some(path.clone()),
            Some("keymap") => options.keymap_file = Some(path.clone()),
            _ => panic!("fixture {name} should start with config-, theme- or keymap-"),
        }
        let error = match config::load(&paths, &options) {
            Ok(_) => panic!("{name} loaded without error"),
            Err(error) => error,
        };
        let line = error.line().unwrap_or_else(|| panic!("{name}: no line in `{error}`"));
        let text = error.to_string();
        assert!(text.starts_with(&format!("{}:{line}:", path.display())), "{text}");
        messages.push(text);
    }
    insta::assert_snapshot!(messages.join("\n"), @r"
    tests/fixtures/config/config-bad-yaml.yaml:4:1: invalid indentation in multiline quoted scalar
    tests/fixtures/config/config-unknown-field.yaml:3:1: unknown field `thme`, expected one of theme, keymap, readonly, prod_pattern, contexts, git, connect_timeout_secs, pulse_bell, cluster_profile_providers
    tests/fixtures/config/config-wrong-type.yaml:4:23: field `connect_timeout_secs`: invalid u64
    tests/fixtures/config/keymap-conflict.yaml:4:15: `g` in mode `list` is bound to both `top` and `refresh`: remove it from one of them (`top: []` unbinds an action)
    tests/fixtures/config/keymap-unknown-action.yaml:4:5: unknown action `quiet` in mode `global`: the actions are quit, help, palette, filter, back, open, up, down, top, bottom, page-up, page-down, next-pane, prev-pane, refresh, details, expand, collapse, show-conditions, cycle-filter, lineage, view-fleet, view-clusters, view-flux, view-terraform, view-pulse, view-crossplane, reconcile, suspend, approve, replan, pause, scale-up, scale-down, restart, mark, kubeconfig, new-cluster, bootstrap-cluster, add-profile, delete-cluster, diff, pin
    tests/fixtures/config/keymap-unknown-key.yaml:4:25: mode `list`, action `page-down`: unknown key `pgdown`: use one character or one of enter, esc, tab, space, backspace, delete, insert, home, end, pgup, pgdn, up, down, left, right, f1-f24, after modifiers ctrl-, alt-, shift-
    tests/fixtures/config/keymap-unknown-mode.yaml:3:3: unknown mode `table`: the modes are global, list, tree, detail
    tests/fixtures/config/theme-bad-yaml.yaml:4:8: while parsing a flow mapping, did not find expected ',' or '}'
    tests/fixtures/config/theme-unknown-colour.yaml:4:30: role `selected`, field `bg`: unknown colour `purpl`: use a name (reset, black, red, green, yellow, blue, magenta, cyan, gray, darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, white), `#rrggbb` or a palette index 0-255
    tests/fixtures/config/theme-unknown-extends.yaml:2:10: field `extends`: there is no built-in theme named `solarized`; the built-in ones are default, high-contrast, light
    tests/fixtures/config/theme-unknown-role.yaml:3:3: unknown theme role `selcted`: the roles are base, muted, accent, border, border_focused, title, header, selected, ok, progressing, warning, error, suspended, paused, deleting, unknown, cluster_down, readonly, status_bar, key_hint
    ");
}

#[test]
fn a_missing_explicit_file_is_an_error() {
    let (dir, paths) = home(&[]);
    let missing = dir.path().join("nope.yaml");
    let options = LoadOptions { config_file: Some(missing.clone()), ..LoadOptions::default() };
    let error = config::load(&paths, &options).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }), "{error}");
    assert!(error.to_string().contains(&missing.display().to_string()), "{error}");
}
