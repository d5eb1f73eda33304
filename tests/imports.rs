//! The layering of `src/`: no two files import each other (issue 12: "no two modules of `src/` import each
//! other anywhere").
//!
//! Every `crate::…` and `super::…` path in a file's code (comments skipped, `use` lists expanded) is resolved
//! to the file of the module it names; a pair of files that name each other is a circle. A parent module
//! (`mod.rs`, or `x.rs` beside `x/`) and its own children are one unit and may name each other; test-only
//! files (`*_tests.rs`, `*tests/`) are children of what they test and are skipped.
//!
//! The circles left from before are listed in [`KNOWN`]; removing one there is progress, adding one fails.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Circles that existed when this check was written, still to be removed (issue 12). None is left: the
/// cockpit's state, actions and wizard (items 1 and 2) and the fleet's connection and lineage tasks (item 7,
/// now started by `fleet/supervisor.rs`) no longer import each other.
const KNOWN: &[(&str, &str)] = &[];

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/ui/wizard/mod.rs` -> `["ui", "wizard"]`, `src/lib.rs` -> `[]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Every path after `crate::` or `super::` in `code`, expanded over `{…}` lists, as segment lists.
fn paths(code: &str) -> Vec<(bool, Vec<String>)> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let rest = &code[i..];
        let root = if rest.starts_with("crate::") {
            Some((true, 7))
        } else if rest.starts_with("super::") {
            Some((false, 7))
        } else {
            None
        };
        let word_before = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        match root {
            Some((is_crate, len)) if !word_before => {
                let mut prefix = Vec::new();
                // `super::super::x`
                let mut j = i + len;
                let mut supers = 1;
                while code[j..].starts_with("super::") {
                    supers += 1;
                    j += 7;
                }
                if !is_crate {
                    prefix.push(format!("super*{supers}"));
                }
                let end = expand(code, j, prefix, &mut |p| out.push((is_crate, p)));
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    out
}

/// Parses a path tail at `at` (`a::b::{c, d::e}`), calling `emit` with each full path; returns where it ended.
fn expand(code: &str, at: usize, prefix: Vec<String>, emit: &mut dyn FnMut(Vec<String>)) -> usize {
    let bytes = code.as_bytes();
    let mut i = at;
    let mut path = prefix;
    loop {
        if i < bytes.len() && bytes[i] == b'{' {
            // A list: split at top-level commas.
            let mut depth = 0;
            let mut start = i + 1;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    b',' if depth == 1 => {
                        let item = code[start..j].trim_start();
                        let offset = j - item.len();
                        expand(code, offset, path.clone(), emit);
                        start = j + 1;
                    }
                    _ => {}
                }
                j += 1;
            }
            let item = code[start..j.min(bytes.len())].trim_start();
            if !item.trim().is_empty() {
                let offset = j - item.len();
                expand(code, offset, path.clone(), emit);
            }
            return j + 1;
        }
        let len = code[i..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        if len == 0 {
            emit(path);
            return i;
        }
        path.push(code[i..i + len].to_string());
        i += len;
        if code[i..].starts_with("::") {
            i += 2;
        } else {
            emit(path);
            return i;
        }
    }
}

/// The code of a file without `//` comments (doc comments included) and string contents are left as is.
fn code_of(text: &str) -> String {
    text.lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn no_two_files_of_src_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    rs_files(&src, &mut all);
    let rel = |p: &Path| p.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
    let is_test_file = |r: &str| r.ends_with("_tests.rs") || r.split('/').any(|d| d.ends_with("tests"));
    // The binary's modules (`src/cli`, `main.rs`) live in another crate root than the library's.
    let crate_of = |r: &str| if r == "main.rs" || r.starts_with("cli/") { "bin" } else { "lib" };
    let mut files: BTreeMap<(&str, Vec<String>), String> = BTreeMap::new();
    for p in &all {
        let r = rel(p);
        if !is_test_file(&r) {
            files.insert((crate_of(&r), module_of(Path::new(&r))), r);
        }
    }
    // Per crate root: module path -> file.
    let by_module = |krate: &str| -> BTreeMap<Vec<String>, String> {
        files.iter().filter(|((k, _), _)| *k == krate).map(|((_, m), f)| (m.clone(), f.clone())).collect()
    };
    let crates: BTreeMap<&str, BTreeMap<Vec<String>, String>> =
        ["lib", "bin"].into_iter().map(|k| (k, by_module(k))).collect();
    let module_of_file: BTreeMap<&String, &Vec<String>> = files.iter().map(|((_, m), f)| (f, m)).collect();
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    for ((krate, module), file) in &files {
        let by_module = &crates[krate];
        let text = std::fs::read_to_string(src.join(file)).expect("readable");
        // `super` of `a/b.rs` (module a::b) is `a`; of `a/b/mod.rs` (module a::b) also `a`.
        for (is_crate, segs) in paths(&code_of(&text)) {
            let mut target: Vec<String> = if is_crate {
                Vec::new()
            } else {
                let n: usize = segs[0].trim_start_matches("super*").parse().unwrap_or(1);
                module[..module.len().saturating_sub(n)].to_vec()
            };
            let tail = if is_crate { &segs[..] } else { &segs[1..] };
            // The deepest module file the path names.
            let mut found = by_module.get(&target).cloned();
            for s in tail {
                target.push(s.clone());
                match by_module.get(&target).cloned() {
                    Some(f) => found = Some(f),
                    None => break,
                }
            }
            let Some(to) = found else { continue };
            let to_module = module_of_file.get(&to).map(|m| m.to_vec()).unwrap_or_default();
            // A module and its ancestors are one unit (a child naming its parent, a parent its child).
            let related = to_module.starts_with(module) || module.starts_with(&to_module);
            if !related {
                edges.insert((file.clone(), to));
            }
        }
    }
    let mut circles: Vec<(String, String)> =
        edges.iter().filter(|(a, b)| a < b && edges.contains(&(b.clone(), a.clone()))).cloned().collect();
    circles.sort();
    let known: BTreeSet<(String, String)> = KNOWN.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    let new: Vec<_> = circles.iter().filter(|c| !known.contains(*c)).collect();
    assert!(new.is_empty(), "files of src/ that import each other (move what both need below both): {new:?}");
    let gone: Vec<_> = known.iter().filter(|c| !circles.contains(c)).collect();
    assert!(gone.is_empty(), "these circles are gone: take them out of KNOWN in tests/imports.rs: {gone:?}");
}

#[test]
fn the_parser_finds_paths_in_use_lists_and_code() {
    let code = "use super::{a, b::{c, d}, e::F};\nlet x = crate::model::kinds::KindId::find(y);\nfoo_super::x;";
    let got: Vec<String> =
        paths(code).into_iter().map(|(c, p)| format!("{}{}", if c { "crate:" } else { "" }, p.join("::"))).collect();
    assert_eq!(
        got,
        ["super*1::a", "super*1::b::c", "super*1::b::d", "super*1::e::F", "crate:model::kinds::KindId::find"]
    );
}
