//! Unit tests of chord parsing, printing and the crossterm conversions.
use super::*;

fn chord(text: &str) -> KeyChord {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn event(code: KeyCode, modifiers: KeyModifiers) -> KeyChord {
    KeyChord::from_key_event(&KeyEvent::new(code, modifiers)).unwrap()
}

#[test]
fn parses_the_usual_chords() {
    assert_eq!(chord("j"), KeyChord::plain(Key::Char('j')));
    assert_eq!(chord("G"), KeyChord::plain(Key::Char('G')));
    assert_eq!(chord("?"), KeyChord::plain(Key::Char('?')));
    assert_eq!(chord("-"), KeyChord::plain(Key::Char('-')));
    assert_eq!(chord("pgdn"), KeyChord::plain(Key::PageDown));
    assert_eq!(chord("Page-Down"), KeyChord::plain(Key::PageDown));
    assert_eq!(chord("f1"), KeyChord::plain(Key::F(1)));
    assert_eq!(chord("space"), KeyChord::plain(Key::Char(' ')));
    let ctrl_c = chord("ctrl-c");
    assert_eq!(ctrl_c.code, Key::Char('c'));
    assert!(ctrl_c.modifiers.ctrl && !ctrl_c.modifiers.shift);
    assert_eq!(chord("ctrl--").code, Key::Char('-'));
}

#[test]
fn spellings_of_one_keystroke_agree() {
    assert_eq!(chord("shift-g"), chord("G"));
    assert_eq!(chord("backtab"), chord("shift-tab"));
    assert_eq!(chord("ctrl-C"), chord("ctrl-c"));
    assert_eq!(chord("Alt-Ctrl-x"), chord("ctrl-alt-x"));
    assert_eq!(chord("ESC"), chord("escape"));
}

#[test]
fn rejects_what_no_keyboard_sends() {
    assert_eq!("".parse::<KeyChord>(), Err(ChordError::Empty));
    assert_eq!("ctrl-foo".parse::<KeyChord>(), Err(ChordError::UnknownKey("ctrl-foo".into())));
    assert!(matches!("f25".parse::<KeyChord>(), Err(ChordError::UnknownKey(_))));
    assert!(matches!("ctrl-".parse::<KeyChord>(), Err(ChordError::UnknownKey(_))));
    assert!(matches!("ctrl-ctrl-c".parse::<KeyChord>(), Err(ChordError::RepeatedModifier(_))));
    assert!(matches!("shift-/".parse::<KeyChord>(), Err(ChordError::ShiftedSymbol { .. })));
}

#[test]
fn prints_what_it_parses() {
    for text in ["j", "G", "?", "ctrl-c", "ctrl-alt-x", "shift-tab", "pgdn", "pgup", "f12", "space", "esc"] {
        assert_eq!(chord(text).to_string(), text);
    }
}

#[test]
fn crossterm_events_match_parsed_chords() {
    assert_eq!(event(KeyCode::Char('G'), KeyModifiers::SHIFT), chord("G"));
    assert_eq!(event(KeyCode::Char('?'), KeyModifiers::SHIFT), chord("?"));
    assert_eq!(event(KeyCode::Char('c'), KeyModifiers::CONTROL), chord("ctrl-c"));
    assert_eq!(event(KeyCode::BackTab, KeyModifiers::SHIFT), chord("shift-tab"));
    assert_eq!(event(KeyCode::BackTab, KeyModifiers::NONE), chord("shift-tab"));
    assert_eq!(event(KeyCode::PageDown, KeyModifiers::NONE), chord("pgdn"));
    let caps = KeyEvent::new(KeyCode::CapsLock, KeyModifiers::NONE);
    assert_eq!(KeyChord::from_key_event(&caps), None);
    let super_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::SUPER);
    assert_eq!(KeyChord::from_key_event(&super_q), None);
}

#[test]
fn chords_survive_a_trip_through_crossterm() {
    for text in ["j", "G", "ctrl-c", "alt-x", "shift-tab", "tab", "enter", "f5", "space", "shift-up"] {
        let original = chord(text);
        assert_eq!(KeyChord::from_key_event(&KeyEvent::from(original)), Some(original), "{text}");
    }
}
