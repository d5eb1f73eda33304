//! Colour depth: themes are written with 256-colour palette indexes (and `#rrggbb`), which a 16-colour
//! terminal (the Linux console, `screen`, `TERM=xterm`) draws wrongly or not at all, and true colour is not
//! everywhere either. [`ColorDepth::detect`] reads the terminal's capability the way most terminal programs
//! do (`COLORTERM=truecolor|24bit`, else `*256color*` in `TERM`, else 16), `FLEETDECK_COLORS=16|256|truecolor`
//! overrides it, and [`Theme::for_depth`] maps every colour to the nearest one the terminal has (distance in
//! RGB over the xterm palette).
use ratatui::style::Color;

use super::Theme;

/// The environment variable that overrides the detected depth: `16`, `256` or `truecolor`.
pub const COLORS_ENV: &str = "FLEETDECK_COLORS";

/// How many colours the terminal shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorDepth {
    /// The 16 ANSI colours.
    Ansi16,
    /// The xterm 256-colour palette.
    Indexed256,
    /// 24-bit RGB.
    TrueColor,
}

impl ColorDepth {
    /// From `FLEETDECK_COLORS`, else `COLORTERM`, else `TERM`.
    pub fn detect() -> ColorDepth {
        let var = |k: &str| std::env::var(k).unwrap_or_default().to_ascii_lowercase();
        ColorDepth::from_env(&var(COLORS_ENV), &var("COLORTERM"), &var("TERM"))
    }

    /// The decision of [`detect`](Self::detect) on given values (lowercase).
    pub fn from_env(forced: &str, colorterm: &str, term: &str) -> ColorDepth {
        match forced {
            "16" => return ColorDepth::Ansi16,
            "256" => return ColorDepth::Indexed256,
            "truecolor" | "24bit" => return ColorDepth::TrueColor,
            _ => {}
        }
        if matches!(colorterm, "truecolor" | "24bit") {
            ColorDepth::TrueColor
        } else if term.contains("256color") || term.contains("direct") {
            ColorDepth::Indexed256
        } else {
            ColorDepth::Ansi16
        }
    }
}

/// RGB of the 16 ANSI colours as xterm draws them, in `Color::Indexed(0..16)` order.
const ANSI: [(u8, u8, u8); 16] = [
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
];

/// The named colours, in the same order as [`ANSI`].
const NAMED: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

/// RGB of xterm palette index `i`.
pub fn palette_rgb(i: u8) -> (u8, u8, u8) {
    match i {
        0..=15 => ANSI[i as usize],
        16..=231 => {
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            let n = i - 16;
            (level(n / 36), level((n / 6) % 6), level(n % 6))
        }
        _ => {
            let g = 8 + (i - 232) * 10;
            (g, g, g)
        }
    }
}

fn distance(a: (u8, u8, u8), b: (u8, u8, u8)) -> u32 {
    let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2) as u32;
    d(a.0, b.0) + d(a.1, b.1) + d(a.2, b.2)
}

fn nearest(rgb: (u8, u8, u8), candidates: impl Iterator<Item = (u8, (u8, u8, u8))>) -> u8 {
    candidates.min_by_key(|(_, c)| distance(rgb, *c)).map(|(i, _)| i).unwrap_or(0)
}

/// `color` as the terminal of `depth` can show it: named colours and `reset` stay; palette indexes and RGB
/// go to the nearest colour of the smaller set.
pub fn downgrade(color: Color, depth: ColorDepth) -> Color {
    let rgb = match color {
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) if i >= 16 || depth == ColorDepth::Ansi16 => palette_rgb(i),
        other => return other,
    };
    match (depth, color) {
        (ColorDepth::TrueColor, _) => color,
        (ColorDepth::Indexed256, Color::Indexed(_)) => color,
        (ColorDepth::Indexed256, _) => Color::Indexed(nearest(rgb, (16..=255u8).map(|i| (i, palette_rgb(i))))),
        (ColorDepth::Ansi16, _) => NAMED[nearest(rgb, (0..16u8).map(|i| (i, ANSI[i as usize]))) as usize],
    }
}

impl Theme {
    /// This theme with every colour mapped to what a terminal of `depth` shows ([`downgrade`]).
    pub fn for_depth(&self, depth: ColorDepth) -> Theme {
        let mut t = self.clone();
        for spec in t.roles.iter_mut() {
            spec.fg = spec.fg.map(|c| downgrade(c, depth));
            spec.bg = spec.bg.map(|c| downgrade(c, depth));
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Role;

    #[test]
    fn depth_from_the_environment() {
        assert_eq!(ColorDepth::from_env("", "truecolor", "xterm-256color"), ColorDepth::TrueColor);
        assert_eq!(ColorDepth::from_env("", "", "screen-256color"), ColorDepth::Indexed256);
        assert_eq!(ColorDepth::from_env("", "", "screen"), ColorDepth::Ansi16);
        assert_eq!(ColorDepth::from_env("", "", "linux"), ColorDepth::Ansi16);
        assert_eq!(ColorDepth::from_env("16", "truecolor", "xterm-256color"), ColorDepth::Ansi16);
    }

    #[test]
    fn palette_and_nearest_colours() {
        assert_eq!(palette_rgb(196), (255, 0, 0));
        assert_eq!(palette_rgb(232), (8, 8, 8));
        assert_eq!(downgrade(Color::Indexed(196), ColorDepth::Ansi16), Color::LightRed);
        assert_eq!(downgrade(Color::Indexed(245), ColorDepth::Ansi16), Color::DarkGray);
        assert_eq!(downgrade(Color::Rgb(0, 0, 0), ColorDepth::Indexed256), Color::Indexed(16));
        assert_eq!(downgrade(Color::Indexed(39), ColorDepth::Indexed256), Color::Indexed(39));
        assert_eq!(downgrade(Color::Reset, ColorDepth::Ansi16), Color::Reset);
        assert_eq!(downgrade(Color::Green, ColorDepth::Ansi16), Color::Green);
    }

    #[test]
    fn shipped_themes_keep_distinct_states_in_16_colours() {
        for name in ["default", "light", "high-contrast"] {
            let t = Theme::builtin(name).expect("theme").for_depth(ColorDepth::Ansi16);
            for role in Role::ALL {
                for c in [t.spec(role).fg, t.spec(role).bg].into_iter().flatten() {
                    assert!(!matches!(c, Color::Indexed(_) | Color::Rgb(..)), "{name} {role:?}: {c:?}");
                }
            }
            let fg = |r: Role| t.spec(r).fg;
            assert_ne!(fg(Role::Ok), fg(Role::Error), "{name}: ok and error differ in 16 colours");
            assert_ne!(fg(Role::Error), fg(Role::Progressing), "{name}");
        }
    }
}
