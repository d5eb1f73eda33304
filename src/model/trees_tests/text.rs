//! The renderers' building blocks, checked against upstream's behaviour.
use crate::model::tree_text::{format_paragraph, human_duration};

#[test]
fn human_duration_matches_apimachinery() {
    let cases = [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (200, "3m20s"),
        (600, "10m"),
        (179 * 60, "179m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 5 * 60, "3h5m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (50 * 3600, "2d2h"),
        (8 * 86400, "8d"),
        (729 * 86400, "729d"),
        (730 * 86400, "2y"),
        (740 * 86400, "2y10d"),
        (9 * 365 * 86400, "9y"),
    ];
    for (seconds, want) in cases {
        assert_eq!(human_duration(seconds), want, "{seconds}s");
    }
}

#[test]
fn format_paragraph_wraps_and_keeps_bullets_indented() {
    let long = "* Machine m1: ".to_string() + &"word ".repeat(30);
    let got = format_paragraph(long.trim_end(), 40);
    let lines: Vec<_> = got.split('\n').collect();
    assert!(lines.len() > 3);
    assert!(lines[0].starts_with("* Machine m1: word"));
    assert!(lines[1..].iter().all(|l| l.starts_with("  word")), "{got}");
    assert!(lines.iter().all(|l| l.len() < 40));
    assert_eq!(format_paragraph("a\n  * b c", 100), "a\n  * b c");
    assert_eq!(format_paragraph("", 100), "");
}
