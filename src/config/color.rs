//! Colours as theme files write them: a name (`red`, `lightgreen`, `gray`, `reset`), `#rrggbb`, or an index
//! `0-255` into the terminal's 256-colour palette.
//!
//! Names are the 16 ANSI colours with ratatui's meaning: `gray` is ANSI 7 ("white" in most palettes),
//! `darkgray` ANSI 8, `white` ANSI 15. Case, `-`, `_` and spaces are ignored, and `grey` is `gray`.
//! Indexed colours are the safer choice over `#rrggbb` for people on SSH: not every terminal does true colour.
use ratatui::style::Color;

/// The 16 ANSI colours and `reset`, in the spelling [`color_name`] prints.
const NAMES: [(&str, Color); 17] = [
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("white", Color::White),
];

/// A colour that could not be read; the message lists what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColorError {
    /// Neither a colour name, `#rrggbb` nor a number.
    #[error(
        "unknown colour `{0}`: use a name (reset, black, red, green, yellow, blue, magenta, cyan, gray, \
         darkgray, lightred, lightgreen, lightyellow, lightblue, lightmagenta, lightcyan, white), \
         `#rrggbb` or a palette index 0-255"
    )]
    Unknown(String),
    /// A number outside the 256-colour palette.
    #[error("colour index {0} is out of range: the palette has colours 0-255")]
    OutOfRange(String),
    /// `#` followed by something other than six hex digits.
    #[error("colour `{0}` is not of the form #rrggbb (six hex digits)")]
    BadHex(String),
}

/// Parses a theme colour: a name, `#rrggbb`, or `0-255`.
///
/// # Errors
/// [`ColorError`] naming the text and the accepted forms.
pub fn parse_color(text: &str) -> Result<Color, ColorError> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        return parse_hex(hex).ok_or_else(|| ColorError::BadHex(text.to_owned()));
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse::<u8>().map(Color::Indexed).map_err(|_| ColorError::OutOfRange(text.to_owned()));
    }
    let key: String = text
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .map(|c| c.to_ascii_lowercase())
        .collect::<String>()
        .replace("grey", "gray");
    NAMES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, color)| *color)
        .ok_or_else(|| ColorError::Unknown(text.to_owned()))
}

fn parse_hex(hex: &str) -> Option<Color> {
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |at: usize| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok();
    Some(Color::Rgb(channel(0)?, channel(2)?, channel(4)?))
}

/// The spelling of `color` that [`parse_color`] reads back: a name, `#rrggbb` or an index.
pub fn color_name(color: Color) -> String {
    match color {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(index) => index.to_string(),
        named => NAMES
            .iter()
            .find(|(_, c)| *c == named)
            .map_or_else(|| format!("{named:?}").to_lowercase(), |(name, _)| (*name).to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ignore_case_and_separators() {
        assert_eq!(parse_color("red"), Ok(Color::Red));
        assert_eq!(parse_color("LightGreen"), Ok(Color::LightGreen));
        assert_eq!(parse_color("light-green"), Ok(Color::LightGreen));
        assert_eq!(parse_color("dark_grey"), Ok(Color::DarkGray));
        assert_eq!(parse_color("grey"), Ok(Color::Gray));
        assert_eq!(parse_color("reset"), Ok(Color::Reset));
    }

    #[test]
    fn hex_and_index() {
        assert_eq!(parse_color("#ff8700"), Ok(Color::Rgb(0xff, 0x87, 0x00)));
        assert_eq!(parse_color("#FF8700"), Ok(Color::Rgb(0xff, 0x87, 0x00)));
        assert_eq!(parse_color("0"), Ok(Color::Indexed(0)));
        assert_eq!(parse_color("245"), Ok(Color::Indexed(245)));
    }

    #[test]
    fn bad_colours_say_what_is_accepted() {
        assert_eq!(parse_color("purpl"), Err(ColorError::Unknown("purpl".into())));
        assert!(parse_color("purpl").unwrap_err().to_string().contains("#rrggbb"));
        assert_eq!(parse_color("256"), Err(ColorError::OutOfRange("256".into())));
        assert_eq!(parse_color("#ff87"), Err(ColorError::BadHex("#ff87".into())));
        assert_eq!(parse_color("#gg8700"), Err(ColorError::BadHex("#gg8700".into())));
        assert!(parse_color("").is_err());
    }

    #[test]
    fn names_round_trip() {
        for (_, color) in NAMES {
            assert_eq!(parse_color(&color_name(color)), Ok(color));
        }
        for color in [Color::Rgb(1, 2, 3), Color::Indexed(17)] {
            assert_eq!(parse_color(&color_name(color)), Ok(color));
        }
    }
}
