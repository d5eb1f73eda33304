//! Key chords as keymap files write them (`j`, `G`, `?`, `ctrl-c`, `shift-tab`, `pgdn`, `f1`) and as
//! crossterm reports them.
//!
//! A chord is written as modifiers (`ctrl-`, `alt-`, `shift-`, in any order) followed by a key: one character,
//! or a name (`enter`, `esc`, `tab`, `space`, `backspace`, `delete`, `insert`, `home`, `end`, `pgup`, `pgdn`,
//! `up`, `down`, `left`, `right`, `f1`-`f24`). Names are case-insensitive; characters are not (`g` and `G`
//! differ).
//!
//! Both sides are normalised the same way, because terminals report the same keystroke in several ways:
//! a character carries its shift in itself (`G`, `?`), so `shift-g` means `G` and crossterm's SHIFT flag on a
//! character is dropped; `backtab` is `shift-tab`; with `ctrl` a letter is lower-case (a terminal cannot tell
//! `ctrl-C` from `ctrl-c`).
use std::{fmt, str::FromStr};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key without modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Key {
    /// A printable character, including `' '` (written `space`).
    Char(char),
    Enter,
    Esc,
    Tab,
    Backspace,
    Delete,
    Insert,
    Home,
    End,
    PageUp,
    PageDown,
    Up,
    Down,
    Left,
    Right,
    /// A function key, `F(1)` to `F(24)`.
    F(u8),
}

/// The names [`Key`] is written with; the first spelling of each is the one [`KeyChord`] prints.
const NAMED: [(&str, Key); 22] = [
    ("space", Key::Char(' ')),
    ("enter", Key::Enter),
    ("return", Key::Enter),
    ("esc", Key::Esc),
    ("escape", Key::Esc),
    ("tab", Key::Tab),
    ("backspace", Key::Backspace),
    ("delete", Key::Delete),
    ("del", Key::Delete),
    ("insert", Key::Insert),
    ("home", Key::Home),
    ("end", Key::End),
    ("pgup", Key::PageUp),
    ("pageup", Key::PageUp),
    ("page-up", Key::PageUp),
    ("pgdn", Key::PageDown),
    ("pagedown", Key::PageDown),
    ("page-down", Key::PageDown),
    ("up", Key::Up),
    ("down", Key::Down),
    ("left", Key::Left),
    ("right", Key::Right),
];

/// The modifiers a chord needs held. Terminals report `super`, `hyper` and `meta` only with the kitty
/// protocol; events carrying them match no chord.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// One keystroke: a key and the modifiers held with it; parsed from and printed as `ctrl-c`, `G`, `shift-tab`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyChord {
    pub code: Key,
    pub modifiers: Modifiers,
}

/// Why a chord string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChordError {
    #[error("an empty key chord binds nothing")]
    Empty,
    #[error(
        "unknown key `{0}`: use one character or one of enter, esc, tab, space, backspace, delete, insert, \
         home, end, pgup, pgdn, up, down, left, right, f1-f24, after modifiers ctrl-, alt-, shift-"
    )]
    UnknownKey(String),
    #[error("`{0}` names the same modifier twice")]
    RepeatedModifier(String),
    #[error("`{chord}`: write the shifted character itself (e.g. `?` rather than `shift-/`)")]
    ShiftedSymbol { chord: String },
}

impl KeyChord {
    /// A chord of `code` with no modifiers.
    pub const fn plain(code: Key) -> Self {
        KeyChord { code, modifiers: Modifiers { ctrl: false, alt: false, shift: false } }
    }

    /// The chord crossterm's `event` stands for, normalised; `None` for keys a keymap cannot name (media
    /// keys, caps lock, …) and for chords with `super`, `hyper` or `meta`.
    pub fn from_key_event(event: &KeyEvent) -> Option<Self> {
        let m = event.modifiers;
        if m.intersects(KeyModifiers::SUPER | KeyModifiers::HYPER | KeyModifiers::META) {
            return None;
        }
        let mut modifiers = Modifiers {
            ctrl: m.contains(KeyModifiers::CONTROL),
            alt: m.contains(KeyModifiers::ALT),
            shift: m.contains(KeyModifiers::SHIFT),
        };
        let code = match event.code {
            KeyCode::Char(c) => Key::Char(c),
            KeyCode::BackTab => {
                modifiers.shift = true;
                Key::Tab
            }
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Esc,
            KeyCode::Tab => Key::Tab,
            KeyCode::Backspace => Key::Backspace,
            KeyCode::Delete => Key::Delete,
            KeyCode::Insert => Key::Insert,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::Left => Key::Left,
            KeyCode::Right => Key::Right,
            KeyCode::F(n) => Key::F(n),
            _ => return None,
        };
        Some(KeyChord { code, modifiers }.normalised())
    }

    /// One canonical form per keystroke, so that a parsed chord and a reported one compare equal.
    fn normalised(mut self) -> Self {
        if let Key::Char(c) = self.code {
            self.modifiers.shift = false;
            if self.modifiers.ctrl {
                self.code = Key::Char(c.to_ascii_lowercase());
            }
        }
        self
    }
}

impl From<KeyChord> for KeyEvent {
    /// The key press crossterm would report for `chord`: `shift-tab` becomes `BackTab`, and an upper-case
    /// letter carries SHIFT as terminals send it.
    fn from(chord: KeyChord) -> Self {
        let mut modifiers = KeyModifiers::NONE;
        let m = chord.modifiers;
        modifiers.set(KeyModifiers::CONTROL, m.ctrl);
        modifiers.set(KeyModifiers::ALT, m.alt);
        modifiers.set(KeyModifiers::SHIFT, m.shift);
        let code = match chord.code {
            Key::Char(c) => {
                modifiers.set(KeyModifiers::SHIFT, c.is_uppercase());
                KeyCode::Char(c)
            }
            Key::Tab if m.shift => KeyCode::BackTab,
            Key::Tab => KeyCode::Tab,
            Key::Enter => KeyCode::Enter,
            Key::Esc => KeyCode::Esc,
            Key::Backspace => KeyCode::Backspace,
            Key::Delete => KeyCode::Delete,
            Key::Insert => KeyCode::Insert,
            Key::Home => KeyCode::Home,
            Key::End => KeyCode::End,
            Key::PageUp => KeyCode::PageUp,
            Key::PageDown => KeyCode::PageDown,
            Key::Up => KeyCode::Up,
            Key::Down => KeyCode::Down,
            Key::Left => KeyCode::Left,
            Key::Right => KeyCode::Right,
            Key::F(n) => KeyCode::F(n),
        };
        KeyEvent::new(code, modifiers)
    }
}

impl FromStr for KeyChord {
    type Err = ChordError;

    /// Reads `ctrl-c`, `G`, `shift-tab`, `pgdn`, `f1`, `?`, `-`, `ctrl--`; see the module docs.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(ChordError::Empty);
        }
        let mut modifiers = Modifiers::default();
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let Some((flag, len)) = [("ctrl-", 5), ("alt-", 4), ("shift-", 6)]
                .into_iter()
                .find(|(prefix, len)| lower.starts_with(prefix) && rest.len() > *len)
            else {
                break;
            };
            let held = match flag {
                "ctrl-" => &mut modifiers.ctrl,
                "alt-" => &mut modifiers.alt,
                _ => &mut modifiers.shift,
            };
            if *held {
                return Err(ChordError::RepeatedModifier(text.to_owned()));
            }
            *held = true;
            rest = &rest[len..];
        }
        let code = parse_key(rest, &mut modifiers).ok_or_else(|| ChordError::UnknownKey(text.to_owned()))?;
        if let Key::Char(c) = code
            && modifiers.shift
        {
            if !c.is_ascii_alphabetic() {
                return Err(ChordError::ShiftedSymbol { chord: text.to_owned() });
            }
            // `shift-g` is how some people write `G`.
            let code = Key::Char(c.to_ascii_uppercase());
            return Ok(KeyChord { code, modifiers }.normalised());
        }
        Ok(KeyChord { code, modifiers }.normalised())
    }
}

fn parse_key(name: &str, modifiers: &mut Modifiers) -> Option<Key> {
    let mut chars = name.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return (!c.is_whitespace() && !c.is_control()).then_some(Key::Char(c));
    }
    let lower = name.to_ascii_lowercase();
    if lower == "backtab" {
        modifiers.shift = true;
        return Some(Key::Tab);
    }
    if let Some(number) = lower.strip_prefix('f')
        && let Ok(n) = number.parse::<u8>()
    {
        return (1..=24).contains(&n).then_some(Key::F(n));
    }
    NAMED.iter().find(|(n, _)| *n == lower).map(|(_, key)| *key)
}

impl fmt::Display for KeyChord {
    /// The canonical spelling, which [`KeyChord::from_str`] reads back: `ctrl-alt-x`, `shift-tab`, `G`, `pgdn`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.modifiers;
        for (held, prefix) in [(m.ctrl, "ctrl-"), (m.alt, "alt-"), (m.shift, "shift-")] {
            if held {
                f.write_str(prefix)?;
            }
        }
        match self.code {
            Key::Char(' ') => f.write_str("space"),
            Key::Char(c) => write!(f, "{c}"),
            Key::F(n) => write!(f, "f{n}"),
            key => {
                let name = NAMED.iter().find(|(_, k)| *k == key).map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

#[cfg(test)]
#[path = "chord_tests.rs"]
mod tests;
