//! Manifests as text: multi-document YAML read into JSON trees and written back, through serde-saphyr (the
//! project's YAML library). Written files are `---`-separated documents, keys in the order they were built,
//! strings quoted wherever YAML would otherwise read them as another type.
use anyhow::{Context, Result};
use serde_json::Value;

/// Reads every document of a YAML text (empty documents are skipped).
///
/// # Errors
/// Malformed YAML, with serde-saphyr's line and column; `what` (e.g. a file path) prefixes the message.
pub fn parse_docs(text: &str, what: &str) -> Result<Vec<Value>> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(text).with_context(|| format!("{what} is not valid YAML"))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Writes `docs` as one YAML text: documents separated by `---`, ending with a newline.
///
/// # Errors
/// Only if serde-saphyr cannot serialize a JSON value (not expected for JSON trees).
pub fn emit_docs(docs: &[Value]) -> Result<String> {
    let mut out = String::new();
    for (i, d) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let text = serde_saphyr::to_string(d).context("writing YAML")?;
        out.push_str(&text);
        if !text.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// `(group, kind, namespace, name)` of a manifest; group is `""` for the core API, namespace `""` when the
/// manifest has none.
pub fn object_key(doc: &Value) -> (String, String, String, String) {
    let api_version = doc["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    (group.to_owned(), s(&doc["kind"]), s(&doc["metadata"]["namespace"]), s(&doc["metadata"]["name"]))
}

/// `Kind/namespace/name` (or `Kind/name` without namespace), for messages.
pub fn describe(doc: &Value) -> String {
    let (_, kind, ns, name) = object_key(doc);
    if ns.is_empty() { format!("{kind}/{name}") } else { format!("{kind}/{ns}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_keeps_types_and_order() {
        let docs = vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"},
                "data": {"version": "1.30", "count": "3", "flag": "true", "empty": "", "multi": "a\nb\n"}}),
            json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment", "spec": {"replicas": 3}}),
        ];
        let text = emit_docs(&docs).unwrap();
        assert!(text.contains("---\n"), "{text}");
        assert!(text.find("apiVersion").unwrap() < text.find("kind").unwrap());
        let back = parse_docs(&text, "test").unwrap();
        assert_eq!(back, docs, "{text}");
        assert_eq!(object_key(&back[1]).0, "cluster.x-k8s.io");
        assert_eq!(object_key(&back[0]).0, "");
        assert_eq!(describe(&back[0]), "ConfigMap/a");
    }

    #[test]
    fn bad_yaml_names_the_file() {
        let err = format!("{:#}", parse_docs("a: [1,\n", "templates/x.yaml").unwrap_err());
        assert!(err.contains("templates/x.yaml"), "{err}");
    }
}
