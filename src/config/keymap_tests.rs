//! Unit tests of keymap parsing, layering and lookup.
use crossterm::event::{KeyCode, KeyEventState, KeyModifiers};

use super::*;

fn layer(text: &str) -> Result<KeymapLayer, ConfigError> {
    Keymap::parse_layer(Path::new("k.yaml"), text)
}

fn keymap(base: Option<Keymap>, text: &str) -> Result<Keymap, ConfigError> {
    Keymap::build("test", base, layer(text)?, Path::new("k.yaml"))
}

fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

const SMALL: &str = "
bindings:
  global:
    quit: [q, ctrl-c]
    help: ['?']
  list:
    up: [k, up]
    down: [j, down]
    bottom: [G]
    quit: [x]
";

#[test]
fn names_agree_with_serde() {
    for action in Action::ALL {
        let yaml = serde_saphyr::to_string(&action).unwrap();
        assert_eq!(yaml.trim(), action.name());
        assert_eq!(Action::from_name(action.name()), Some(action));
        assert!(!action.description().is_empty());
    }
    for mode in Mode::ALL {
        assert_eq!(serde_saphyr::to_string(&mode).unwrap().trim(), mode.name());
        assert_eq!(Mode::from_name(mode.name()), Some(mode));
    }
}

#[test]
fn lookup_prefers_the_mode_then_global() {
    let keymap = keymap(None, SMALL).unwrap();
    let lookup = |mode, code, modifiers| keymap.lookup(mode, &press(code, modifiers));
    assert_eq!(lookup(Mode::List, KeyCode::Char('j'), KeyModifiers::NONE), Some(Action::Down));
    assert_eq!(lookup(Mode::List, KeyCode::Char('G'), KeyModifiers::SHIFT), Some(Action::Bottom));
    assert_eq!(lookup(Mode::List, KeyCode::Char('c'), KeyModifiers::CONTROL), Some(Action::Quit));
    assert_eq!(lookup(Mode::Tree, KeyCode::Char('?'), KeyModifiers::SHIFT), Some(Action::Help));
    assert_eq!(lookup(Mode::Tree, KeyCode::Char('j'), KeyModifiers::NONE), None, "list keys stay in list");
    assert_eq!(lookup(Mode::List, KeyCode::Char('x'), KeyModifiers::NONE), Some(Action::Quit));
}

#[test]
fn releases_do_nothing() {
    let keymap = keymap(None, SMALL).unwrap();
    let release = KeyEvent::new_with_kind_and_state(
        KeyCode::Char('q'),
        KeyModifiers::NONE,
        KeyEventKind::Release,
        KeyEventState::NONE,
    );
    assert_eq!(keymap.lookup(Mode::List, &release), None);
}

#[test]
fn bindings_list_a_mode_in_action_order() {
    let keymap = keymap(None, SMALL).unwrap();
    let list: Vec<String> = keymap
        .bindings(Mode::List)
        .map(|(action, chords)| {
            let chords: Vec<String> = chords.iter().map(ToString::to_string).collect();
            format!("{}={}", action.name(), chords.join(","))
        })
        .collect();
    assert_eq!(list, ["quit=x", "up=k,up", "down=j,down", "bottom=G"]);
    assert_eq!(keymap.chords(Mode::Global, Action::Quit).len(), 2);
    assert!(keymap.chords(Mode::Detail, Action::Quit).is_empty());
}

#[test]
fn a_user_layer_replaces_actions_it_names() {
    let base = keymap(None, SMALL).unwrap();
    let user = keymap(Some(base), "bindings:\n  list:\n    down: [n]\n    up: []\n").unwrap();
    let lookup = |code| user.lookup(Mode::List, &press(code, KeyModifiers::NONE));
    assert_eq!(lookup(KeyCode::Char('n')), Some(Action::Down));
    assert_eq!(lookup(KeyCode::Char('j')), None, "the old chord is gone");
    assert_eq!(lookup(KeyCode::Char('k')), None, "an empty list unbinds");
    assert_eq!(lookup(KeyCode::Char('G')), Some(Action::Bottom), "unnamed actions keep the base");
}

#[test]
fn a_chord_bound_twice_in_a_mode_is_an_error() {
    let error = keymap(None, "bindings:\n  list:\n    up: [k]\n    down: [j, k]\n").unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("k.yaml:4:15: `k` in mode `list` is bound to both `up` and `down`"), "{text}");
}

#[test]
fn a_user_chord_clashing_with_the_base_points_at_the_user_file() {
    let base = keymap(None, SMALL).unwrap();
    let error = keymap(Some(base), "bindings:\n  list:\n    top: [j]\n").unwrap_err().to_string();
    assert!(error.starts_with("k.yaml:3:11:"), "{error}");
    assert!(error.contains("`j` in mode `list`") && error.contains("`down`"), "{error}");
}

#[test]
fn bad_names_are_reported_with_mode_and_line() {
    let error = layer("bindings:\n  global:\n    quiet: [q]\n").unwrap_err().to_string();
    assert!(error.starts_with("k.yaml:3:5: unknown action `quiet` in mode `global`"), "{error}");
    let error = layer("bindings:\n  lst:\n    up: [k]\n").unwrap_err().to_string();
    assert!(error.starts_with("k.yaml:2:3: unknown mode `lst`"), "{error}");
    let error = layer("bindings:\n  list:\n    up: [k, ctrl-foo]\n").unwrap_err().to_string();
    assert!(error.starts_with("k.yaml:3:13: mode `list`, action `up`: unknown key `ctrl-foo`"), "{error}");
}

#[test]
fn duplicate_chords_for_one_action_print_once() {
    let keymap = keymap(None, "bindings:\n  list:\n    up: [k, k, up]\n").unwrap();
    assert_eq!(keymap.chords(Mode::List, Action::Up).len(), 2);
}
