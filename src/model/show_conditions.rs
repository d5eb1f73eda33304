//! `clusterctl describe cluster --show-conditions`: which objects of a CAPI tree list their conditions, and
//! which of them. The flag as clusterctl v1.14 takes it: parsed and refused as `validateShowConditions`
//! (cluster-api `cmd/clusterctl/cmd/describe_cluster.go`) does, matched as `showConditions`
//! (`cmd/clusterctl/client/tree/tree.go`) does. [`super::capi_tree`] asks [`ShowConditions::filter`] for each
//! object it adds; the cockpit's `c` toggle is [`ShowConditions::all_non_zero`].

/// Which objects show their conditions as child rows, and which of them: a comma-separated list of `all`,
/// `Kind` or `Kind/name`, tried in order, the first match deciding. Kinds and names compare as Go's
/// `strings.EqualFold` compares (Unicode simple case folding); a trailing `+` (`ShowNonZeroConditionsSuffix`)
/// asks for the NonZero filter; an item with two or more `/` is taken as a plain `Kind` (its first part); empty
/// items are skipped. Holds the items as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShowConditions {
    items: Vec<String>,
}

/// Which conditions a selected object shows (cluster-api `ConditionFilterType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionFilter {
    /// Every condition (`ShowAllConditions`).
    All,
    /// Available, Ready and the conditions that are not zero (`ShowNonZeroConditions`).
    NonZero,
}

/// The suffix that asks for [`ConditionFilter::NonZero`] (cluster-api `ShowNonZeroConditionsSuffix`).
const NON_ZERO_SUFFIX: char = '+';

impl ShowConditions {
    /// No object (the flag's default, `""`).
    pub fn none() -> ShowConditions {
        ShowConditions::default()
    }

    /// Every object, every condition (`all`).
    pub fn all() -> ShowConditions {
        ShowConditions { items: vec!["all".into()] }
    }

    /// Every object, Available, Ready and the non-zero conditions (`all+`): the cockpit's `c` toggle.
    pub fn all_non_zero() -> ShowConditions {
        ShowConditions { items: vec!["all+".into()] }
    }

    /// Parses the flag's value. Errors, as clusterctl v1.14 does (`validateShowConditions`), when an item has
    /// whitespace (Unicode White_Space, as Go's `strings.TrimSpace` trims) at either end:
    /// `invalid --show-conditions value "<value>": whitespace is not allowed`, the whole value quoted as Go's
    /// `%q` quotes it.
    pub fn parse(flag: &str) -> Result<ShowConditions, String> {
        if flag.split(',').any(|i| i.trim() != i) {
            return Err(format!("invalid --show-conditions value {}: whitespace is not allowed", go_quote(flag)));
        }
        let items = flag.split(',').filter(|i| !i.is_empty()).map(str::to_string).collect();
        Ok(ShowConditions { items })
    }

    /// Whether the object of `kind` and `name` shows its conditions, and which; `None` when no item matches.
    pub fn filter(&self, kind: &str, name: &str) -> Option<ConditionFilter> {
        self.items.iter().find_map(|item| item_filter(item, kind, name))
    }
}

/// One item of the list against one object, as the loop body of `showConditions`: `None` to try the next.
fn item_filter(item: &str, kind: &str, name: &str) -> Option<ConditionFilter> {
    let matches = |pattern: &str, value: &str| match pattern.strip_suffix(NON_ZERO_SUFFIX) {
        Some(p) => equal_fold(p, value).then_some(ConditionFilter::NonZero),
        None => equal_fold(pattern, value).then_some(ConditionFilter::All),
    };
    if let Some(filter) = matches(item, "all") {
        return Some(filter);
    }
    let parts: Vec<&str> = item.split('/').collect();
    match parts[..] {
        [k, n] if equal_fold(k, kind) => matches(n, name),
        [_, _] => None,
        _ => matches(parts[0], kind),
    }
}

/// Go's `strings.EqualFold`: the same number of characters, each pair equal under Unicode simple case
/// folding. A pair folds together here when the characters are equal or have the same one-character lower
/// or upper case (`K` and the Kelvin sign `K`, `s` and `ſ`); exact for ASCII and for every character whose
/// case mappings are single characters.
fn equal_fold(a: &str, b: &str) -> bool {
    fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
        let c = it.next()?;
        it.next().is_none().then_some(c)
    }
    let fold = |x: char, y: char| {
        x == y
            || single(x.to_lowercase()).is_some_and(|l| Some(l) == single(y.to_lowercase()))
            || single(x.to_uppercase()).is_some_and(|u| Some(u) == single(y.to_uppercase()))
    };
    a.chars().count() == b.chars().count() && a.chars().zip(b.chars()).all(|(x, y)| fold(x, y))
}

/// A string quoted as Go's `%q` (`strconv.Quote`) quotes it: `"` and `\` escaped, `\a \b \f \n \r \t \v`,
/// other control characters as `\xHH`, characters Go does not print (space characters other than U+0020,
/// format characters such as U+200B or U+FEFF, private use) as `\uHHHH` / `\UHHHHHHHH`, lower-case hex.
/// (Unassigned code points, which Go escapes too, are kept as they are.)
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if c < ' ' || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Go's `unicode.IsPrint` but for unassigned code points: letters, marks, numbers, punctuation, symbols and
/// U+0020; not controls, other spaces, format characters (category Cf) or private use.
fn go_printable(c: char) -> bool {
    let format = matches!(c as u32,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2 | 0x180e | 0x200b..=0x200f
        | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0x110bd | 0x110cd
        | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f);
    let private = matches!(c as u32, 0xe000..=0xf8ff | 0xf0000..=0x10ffff);
    c == ' ' || !(c.is_control() || c.is_whitespace() || format || private)
}

#[cfg(test)]
mod tests {
    use super::ConditionFilter::{All, NonZero};
    use super::*;

    /// cluster-api `cmd/clusterctl/client/tree/tree_test.go` `Test_showConditions`: a Machine `my-machine`,
    /// every row of the table; then what the code those rows test does beyond them.
    #[test]
    fn filter_as_clusterctl_matches_it() {
        let upstream = [
            ("", None),
            ("all", Some(All)),
            ("Machine", Some(All)),
            ("AnotherKind", None),
            ("Machine/my-machine", Some(All)),
            ("Cluster/another-cluster", None),
            ("all+", Some(NonZero)),
            ("Machine+", Some(NonZero)),
            ("Machine/my-machine+", Some(NonZero)),
        ];
        let beyond = [
            // EqualFold: kinds, names and `all` in any case; the same length.
            ("ALL", Some(All)),
            ("aLl+", Some(NonZero)),
            ("machine/MY-MACHINE", Some(All)),
            ("MACHINE+", Some(NonZero)),
            ("Machine/my-machine-2", None),
            ("Machine/my-machin", None),
            ("Machine/my-machine\u{17f}", None),
            ("MACHINE/MY-MACHINE+", Some(NonZero)),
            // The first item that matches decides; items that do not match are passed over.
            ("Cluster,Machine/my-machine+,all", Some(NonZero)),
            ("Machine,all+", Some(All)),
            ("all+,Machine", Some(NonZero)),
            ("Cluster/x,AnotherKind", None),
            ("Cluster/x,AnotherKind,machine+", Some(NonZero)),
            // Empty items are skipped.
            (",,Machine", Some(All)),
            ("Machine/my-machine,", Some(All)),
            (",", None),
            // Two or more `/`: the first part is the Kind; a `+` counts only on it.
            ("Machine/a/b", Some(All)),
            ("Machine+/a/b", Some(NonZero)),
            ("Machine/a/b+", Some(All)),
            ("Cluster/my-machine/x", None),
            // `Kind/name` needs both; a `+` on the kind of a `Kind/name` is part of the kind.
            ("Machine+/my-machine", None),
            ("/my-machine", None),
            ("all/my-machine", None),
            // One `+` is the suffix; a second is part of the text.
            ("all++", None),
            ("Machine++", None),
            ("+", None),
        ];
        for (flag, want) in upstream.into_iter().chain(beyond) {
            let parsed = ShowConditions::parse(flag).unwrap_or_else(|e| panic!("{flag:?}: {e}"));
            assert_eq!(parsed.filter("Machine", "my-machine"), want, "{flag:?}");
        }
        let kelvin = ShowConditions::parse("\u{212a}ubeadmControlPlane/cp-\u{17f}").expect("valid");
        assert_eq!(kelvin.filter("KubeadmControlPlane", "cp-s"), Some(All), "Go folds K with K and ſ with s");
        assert_eq!(kelvin.filter("KubeadmControlPlane", "cp-S"), Some(All));
        assert_eq!(ShowConditions::none().filter("Machine", "my-machine"), None);
        assert_eq!(ShowConditions::all().filter("Cluster", "c"), Some(All));
        assert_eq!(ShowConditions::all_non_zero().filter("Cluster", "c"), Some(NonZero));
    }

    /// cluster-api `cmd/clusterctl/cmd/describe_cluster_test.go` `TestValidateShowConditions`, every row, with
    /// the message `validateShowConditions` gives; then other whitespace, quoted as Go's `%q` quotes it.
    #[test]
    fn whitespace_around_an_item_is_refused_as_clusterctl_v1_14_refuses_it() {
        assert_eq!(
            ShowConditions::parse("Cluster,Machine/my-machine").map(|s| s.filter("Cluster", "c")),
            Ok(Some(All))
        );
        let refused = |value: &str| format!("invalid --show-conditions value {value}: whitespace is not allowed");
        let cases = [
            ("Cluster, Machine/my-machine", r#""Cluster, Machine/my-machine""#),
            ("Cluster,Machine/my-machine ", r#""Cluster,Machine/my-machine ""#),
            (" all", r#"" all""#),
            ("all+ ", r#""all+ ""#),
            ("Machine,\tall", r#""Machine,\tall""#),
            ("all\n", r#""all\n""#),
            ("all\r\n", r#""all\r\n""#),
            ("\x0ball", r#""\vall""#),
            ("\x0call", r#""\fall""#),
            ("all\u{a0}", r#""all\u00a0""#),
            ("all\u{85}", r#""all\u0085""#),
            ("\u{3000}Machine", r#""\u3000Machine""#),
            ("all\u{2028}", r#""all\u2028""#),
            ("\"Machine\" ", r#""\"Machine\" ""#),
            ("a\\b ", r#""a\\b ""#),
            ("\u{200b}all ", r#""\u200ball ""#),
            ("Maschine/m\u{e4}r ", "\"Maschine/m\u{e4}r \""),
        ];
        for (value, quoted) in cases {
            assert_eq!(ShowConditions::parse(value), Err(refused(quoted)), "{value:?}");
        }
        // Inside an item whitespace is no error (and matches nothing); a zero-width space is no whitespace.
        let inner = ShowConditions::parse("Machine/my machine,Clus ter").expect("inner spaces pass");
        assert_eq!(inner.filter("Machine", "my machine"), Some(All));
        assert_eq!(inner.filter("Cluster", "c"), None);
        assert!(ShowConditions::parse("\u{200b}all").is_ok());
        assert_eq!(ShowConditions::parse(""), Ok(ShowConditions::none()));
    }

    #[test]
    fn go_quote_escapes_what_go_escapes() {
        assert_eq!(go_quote(""), r#""""#);
        assert_eq!(go_quote("\x00\x1b\x7f\x07\x08"), r#""\x00\x1b\x7f\a\b""#);
        assert_eq!(go_quote("\u{ad}\u{feff}\u{e000}\u{f0000}"), r#""\u00ad\ufeff\ue000\U000f0000""#);
        assert_eq!(go_quote("été ☸ 𝔸"), "\"été ☸ 𝔸\"");
    }
}
