//! Variable substitution as `clusterctl` does it (its processor is drone/envsubst, which Weave GitOps'
//! `renderType: envsubst` uses too): `${VAR}`, `$VAR`, `${VAR:-default}` / `${VAR:=default}` (default when
//! unset or empty), `${VAR-default}` / `${VAR=default}` (default when unset), and `$$` for a literal `$`.
//! A default may itself hold `${OTHER}` references.
//!
//! Unlike bash, nothing is read from the process environment: values come only from the caller. Shell
//! operators drone/envsubst also knows (`${#VAR}`, `${VAR^^}`, `${VAR/a/b}`, `${VAR:1:2}`) are refused with
//! an error naming them, rather than rendered differently from clusterctl. As in clusterctl, a variable
//! without value and without default is an error listing every such variable.
//!
//! [`substitute_value`] works on a JSON tree (a `resourcetemplates[].content[]` item): a string that is one
//! whole placeholder takes the YAML type of its value, so `"replicas": "${NODE_COUNT}"` becomes the integer
//! `3` — what Weave GitOps gets by marshalling the object to YAML (the placeholder unquoted) and substituting
//! the text.
use std::collections::BTreeSet;

use serde_json::Value;

/// Why a text could not be substituted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvsubstError {
    /// `${` without its closing `}`; `at` is the byte offset of the `$`.
    #[error("unclosed \"${{\" at byte {at}")]
    Unclosed { at: usize },
    /// `${}` or a name that is not `[A-Za-z_][A-Za-z0-9_]*`.
    #[error("bad variable name {name:?} at byte {at}")]
    BadName { name: String, at: usize },
    /// A shell operator clusterctl's processor does not share with fleetdeck.
    #[error(
        "unsupported expression \"${{{expr}}}\" (fleetdeck substitutes ${{VAR}}, ${{VAR:-default}}, ${{VAR:=default}} and $$)"
    )]
    Unsupported { expr: String },
    /// Variables with neither a value nor a default, in order of first use.
    #[error("value for variables [{}] is not set", .0.join(", "))]
    Missing(Vec<String>),
}

/// One use of a variable in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarUse {
    /// The variable's name.
    pub name: String,
    /// Its inline default (the text after `:-`, `:=`, `-` or `=`, unsubstituted), if any.
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Var { name: String, default: Option<Default> },
}

#[derive(Debug, Clone, PartialEq)]
struct Default {
    /// `:-` / `:=`: also when the value is empty.
    if_empty: bool,
    raw: String,
    parts: Vec<Segment>,
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Parses `text` (starting at byte `base` of the whole input, for messages) into segments.
fn parse(text: &str, base: usize) -> Result<Vec<Segment>, EnvsubstError> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c != '$' {
            lit.push(c);
            i += c.len_utf8();
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => {
                lit.push('$');
                i += 2;
            }
            Some(b'{') => {
                let close = matching_brace(text, i + 2).ok_or(EnvsubstError::Unclosed { at: base + i })?;
                let inner = &text[i + 2..close];
                flush(&mut out, &mut lit);
                out.push(parse_braced(inner, base + i + 2)?);
                i = close + 1;
            }
            Some(&b) if is_name_start(b as char) => {
                let end = rest[1..].find(|ch: char| !is_name_char(ch)).map_or(text.len(), |n| i + 1 + n);
                flush(&mut out, &mut lit);
                out.push(Segment::Var { name: text[i + 1..end].to_owned(), default: None });
                i = end;
            }
            _ => {
                lit.push('$');
                i += 1;
            }
        }
    }
    flush(&mut out, &mut lit);
    Ok(out)
}

fn flush(out: &mut Vec<Segment>, lit: &mut String) {
    if !lit.is_empty() {
        out.push(Segment::Text(std::mem::take(lit)));
    }
}

/// Byte index of the `}` closing a `${` whose content starts at `from`, counting nested `${`.
fn matching_brace(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 1;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 2;
                continue;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn parse_braced(inner: &str, at: usize) -> Result<Segment, EnvsubstError> {
    let name_end = inner.find(|c: char| !is_name_char(c)).unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() || !name.starts_with(is_name_start) {
        if inner.starts_with('#') {
            return Err(EnvsubstError::Unsupported { expr: inner.to_owned() });
        }
        return Err(EnvsubstError::BadName { name: inner.to_owned(), at });
    }
    let op = &inner[name_end..];
    let (if_empty, raw) = if let Some(d) = op.strip_prefix(":-").or_else(|| op.strip_prefix(":=")) {
        (true, d)
    } else if let Some(d) = op.strip_prefix('-').or_else(|| op.strip_prefix('=')) {
        (false, d)
    } else if op.is_empty() {
        return Ok(Segment::Var { name: name.to_owned(), default: None });
    } else {
        return Err(EnvsubstError::Unsupported { expr: inner.to_owned() });
    };
    let parts = parse(raw, at + inner.len() - raw.len())?;
    Ok(Segment::Var { name: name.to_owned(), default: Some(Default { if_empty, raw: raw.to_owned(), parts }) })
}

/// The variables `text` uses, in order of first use, each once (the first use's default is kept; a later
/// use with a default fills in one the first lacked). Variables used only inside defaults are listed too.
///
/// # Errors
/// A malformed or unsupported expression.
pub fn variables(text: &str) -> Result<Vec<VarUse>, EnvsubstError> {
    let mut out: Vec<VarUse> = Vec::new();
    collect(&parse(text, 0)?, &mut out);
    Ok(out)
}

fn collect(segments: &[Segment], out: &mut Vec<VarUse>) {
    for s in segments {
        if let Segment::Var { name, default } = s {
            let d = default.as_ref().map(|d| d.raw.clone());
            match out.iter_mut().find(|u| &u.name == name) {
                Some(u) if u.default.is_none() => u.default = d,
                Some(_) => {}
                None => out.push(VarUse { name: name.clone(), default: d }),
            }
            if let Some(d) = default {
                collect(&d.parts, out);
            }
        }
    }
}

/// Substitutes `text` with values from `lookup` (`None`: the variable is unset).
///
/// # Errors
/// A malformed or unsupported expression, or [`EnvsubstError::Missing`] naming every variable with neither
/// value nor default.
pub fn substitute(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, EnvsubstError> {
    let segments = parse(text, 0)?;
    let mut missing = BTreeSet::new();
    let mut order = Vec::new();
    let out = render(&segments, lookup, &mut missing, &mut order);
    if order.is_empty() { Ok(out) } else { Err(EnvsubstError::Missing(order)) }
}

fn render(
    segments: &[Segment],
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut BTreeSet<String>,
    order: &mut Vec<String>,
) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Text(t) => out.push_str(t),
            Segment::Var { name, default } => {
                let value = lookup(name);
                let use_default = match (&value, default) {
                    (None, Some(_)) => true,
                    (Some(v), Some(d)) => d.if_empty && v.is_empty(),
                    _ => false,
                };
                match (value, default) {
                    (_, Some(d)) if use_default => out.push_str(&render(&d.parts, lookup, missing, order)),
                    (Some(v), _) => out.push_str(&v),
                    (None, _) => {
                        if missing.insert(name.clone()) {
                            order.push(name.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

/// Whether `text` is exactly one `${...}` placeholder (nothing before or after it).
pub fn is_single_placeholder(text: &str) -> bool {
    matches!(parse(text, 0).as_deref(), Ok([Segment::Var { .. }])) && text.starts_with("${")
}

/// Substitutes every string (keys included) of a JSON tree. A string that is one whole placeholder takes
/// the YAML type of its value (`"3"` -> `3`, `"true"` -> `true`, `"v1.32"` stays a string; an empty value
/// stays `""`), the rest stay strings.
///
/// # Errors
/// As [`substitute`]; [`EnvsubstError::Missing`] lists the variables missing anywhere in the tree.
pub fn substitute_value(value: &Value, lookup: &dyn Fn(&str) -> Option<String>) -> Result<Value, EnvsubstError> {
    let mut missing = Vec::new();
    let out = walk(value, lookup, &mut missing)?;
    if missing.is_empty() { Ok(out) } else { Err(EnvsubstError::Missing(missing)) }
}

fn walk(
    value: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> Result<Value, EnvsubstError> {
    Ok(match value {
        Value::String(s) if s.contains('$') => {
            let out = subst_collecting(s, lookup, missing)?;
            if is_single_placeholder(s) { typed_scalar(out) } else { Value::String(out) }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, lookup, missing)).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (k, v) in map {
                let key = if k.contains('$') { subst_collecting(k, lookup, missing)? } else { k.clone() };
                out.insert(key, walk(v, lookup, missing)?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

/// [`substitute`], adding missing variables to `missing` instead of failing.
fn subst_collecting(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> Result<String, EnvsubstError> {
    match substitute(s, lookup) {
        Err(EnvsubstError::Missing(names)) => {
            for n in names {
                if !missing.contains(&n) {
                    missing.push(n);
                }
            }
            Ok(String::new())
        }
        other => other,
    }
}

/// The YAML 1.2 core-schema type of a plain scalar: integers, floats, booleans and null; anything else (and
/// anything that would parse as a collection) is a string.
fn typed_scalar(s: String) -> Value {
    if s.is_empty() || s.contains('\n') {
        return Value::String(s);
    }
    match serde_saphyr::from_str::<Value>(&s) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
        _ => Value::String(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn forms_like_clusterctl() {
        let v = vars(&[("A", "x"), ("E", "")]);
        assert_eq!(substitute("${A}-$A-${A:-d}", &v).unwrap(), "x-x-x");
        assert_eq!(substitute("${B:=dflt} ${B:-d2} ${B-d3} ${B=d4}", &v).unwrap(), "dflt d2 d3 d4");
        assert_eq!(substitute("[${E:-empty}] [${E-unset}]", &v).unwrap(), "[empty] []");
        assert_eq!(substitute("$$HOME $${A} cost: 5$", &v).unwrap(), "$HOME ${A} cost: 5$");
        assert_eq!(substitute("${B:-${A}-nested}", &v).unwrap(), "x-nested");
        assert_eq!(substitute("ünï ${A} ✓", &v).unwrap(), "ünï x ✓");
    }

    #[test]
    fn missing_and_malformed_are_errors() {
        let v = vars(&[]);
        assert_eq!(
            substitute("${X} ${Y} ${X} $Z", &v),
            Err(EnvsubstError::Missing(vec!["X".into(), "Y".into(), "Z".into()]))
        );
        assert_eq!(substitute("a ${X", &v), Err(EnvsubstError::Unclosed { at: 2 }));
        assert!(matches!(substitute("${1A}", &v), Err(EnvsubstError::BadName { .. })));
        assert!(matches!(substitute("${}", &v), Err(EnvsubstError::BadName { .. })));
        for expr in ["${A^^}", "${#A}", "${A/a/b}", "${A:1:2}"] {
            let err = substitute(expr, &v).unwrap_err();
            assert!(matches!(err, EnvsubstError::Unsupported { .. }), "{expr}: {err:?}");
            assert!(err.to_string().contains("unsupported"), "{err}");
        }
    }

    #[test]
    fn variables_in_order_with_defaults() {
        let found = variables("${B} ${A:=1} $C ${A} ${D:-${E}}").unwrap();
        let names: Vec<_> = found.iter().map(|u| (u.name.as_str(), u.default.as_deref())).collect();
        assert_eq!(names, [("B", None), ("A", Some("1")), ("C", None), ("D", Some("${E}")), ("E", None)]);
    }

    #[test]
    fn json_placeholders_take_their_yaml_type() {
        let v = vars(&[("N", "3"), ("V", "v1.32"), ("T", "true"), ("NAME", "dev")]);
        let tree = json!({"replicas": "${N}", "version": "${V}", "on": "${T}", "name": "${NAME}-pool",
            "${NAME}-key": ["${N}x", "${MISSING:=7}", "${EMPTY:=}"]});
        let out = substitute_value(&tree, &v).unwrap();
        assert_eq!(
            out,
            json!({"replicas": 3, "version": "v1.32", "on": true, "name": "dev-pool",
            "dev-key": ["3x", 7, ""]})
        );
        let err = substitute_value(&json!({"a": "${X}", "b": ["${Y}", "${X}"]}), &v).unwrap_err();
        assert_eq!(err, EnvsubstError::Missing(vec!["X".into(), "Y".into()]));
    }
}
