//! The claim wizard's core, without IO: a form built from an XRD's schema, values checked field by field as
//! typed, and the manifest rendered into the file to commit on a branch of its own.
//!
//! What is created (REFERENCE-2.md section 1): for a v1 / `LegacyCluster` XRD that offers a claim, the claim
//! (`spec.claimNames`, namespaced); for a `Namespaced` XRD (Crossplane 2), the composite resource itself in a
//! namespace; for a cluster-scoped XR (`Cluster`, or `LegacyCluster` without a claim), the XR without a
//! namespace. The apiVersion is the XRD's referenceable version (else its first served one).
//!
//! The form's fields are the leaves of the chosen version's `openAPIV3Schema.properties.spec`, by dotted
//! path (`parameters.storageGB`): strings, integers, numbers and booleans, enums as pickers, with their
//! defaults, descriptions (the help), bounds, lengths and patterns. A field required by its parent is required
//! when every ancestor is. What a form cannot render (arrays, maps, `x-kubernetes-preserve-unknown-fields`,
//! `oneOf` / `anyOf`, int-or-string) becomes a raw YAML field with the reason: the value is parsed as YAML and
//! written as given. The Composition is chosen with `spec.compositionRef.name` (claims, LegacyCluster) or
//! `spec.crossplane.compositionRef.name` (Crossplane 2 XRs). Only values the user gave are written: defaults
//! are the API server's to apply.
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::repo::FileChange;
use super::template::{FieldError, is_dns_label};
use super::yaml;
use crate::model::crossplane::{Scope, definition};

/// The default folder of claim manifests in the GitOps repository.
pub const DEFAULT_CLAIMS_PATH: &str = "crossplane/claims";

/// How a field is entered.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FieldKind {
    /// Free text.
    String,
    /// A whole number.
    Integer,
    /// A number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// One of the listed values (a picker).
    Enum {
        /// The allowed values, as the schema lists them.
        options: Vec<String>,
    },
    /// YAML text, for what a form cannot render; `why` names what it is.
    Raw {
        /// Why the field is raw, e.g. `an array`.
        why: String,
    },
}

/// One field of the form.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Field {
    /// Dotted path under `spec`, e.g. `parameters.storageGB`.
    pub path: String,
    /// How it is entered.
    pub kind: FieldKind,
    /// Whether a value must be given.
    pub required: bool,
    /// The schema's default, as text.
    pub default: Option<String>,
    /// The schema's description (the help line).
    pub description: String,
    /// `minimum` / `maximum` (numbers), `minLength` / `maxLength` (strings).
    pub min: Option<f64>,
    /// See `min`.
    pub max: Option<f64>,
    /// `pattern` (strings), as the API server checks it.
    pub pattern: Option<String>,
}

/// The form an XRD gives.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClaimForm {
    /// The XRD's name.
    pub xrd: String,
    /// `group/version` of what is created.
    pub api_version: String,
    /// Its kind (the claim kind, or the XR kind).
    pub kind: String,
    /// Whether it lives in a namespace (then the form asks for one).
    pub namespaced: bool,
    /// Whether it is a claim (else a composite resource).
    pub claim: bool,
    /// The XRD's scope.
    pub scope: Scope,
    /// The fields under `spec`, in schema order.
    pub fields: Vec<Field>,
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Why a schema node cannot be a plain form field, if it cannot.
fn raw_reason(node: &Value) -> Option<String> {
    let flag = |k: &str| node.get(k).and_then(Value::as_bool) == Some(true);
    if flag("x-kubernetes-preserve-unknown-fields") {
        return Some("free-form (x-kubernetes-preserve-unknown-fields)".into());
    }
    if flag("x-kubernetes-int-or-string") {
        return Some("an integer or a string".into());
    }
    for k in ["oneOf", "anyOf", "allOf", "not"] {
        if node.get(k).is_some() {
            return Some(format!("a {k} schema"));
        }
    }
    match node.get("type").and_then(Value::as_str) {
        Some("array") => Some("an array".into()),
        Some("object") if node.get("properties").is_none() => Some("a map".into()),
        None if node.get("properties").is_none() => Some("a value of no declared type".into()),
        _ => None,
    }
}

fn walk(node: &Value, prefix: &str, required: bool, out: &mut Vec<Field>) {
    let Some(props) = node.get("properties").and_then(Value::as_object) else { return };
    let needed: Vec<&str> =
        node.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    for (name, child) in props {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        let req = required && needed.contains(&name.as_str());
        let is_object =
            child.get("type").and_then(Value::as_str) == Some("object") && child.get("properties").is_some();
        if is_object && raw_reason(child).is_none() {
            walk(child, &path, req, out);
            continue;
        }
        let num = |k: &str| child.get(k).and_then(Value::as_f64);
        let kind = match (raw_reason(child), child.get("type").and_then(Value::as_str)) {
            (Some(why), _) => FieldKind::Raw { why },
            (None, _) if child.get("enum").is_some() => FieldKind::Enum {
                options: child["enum"].as_array().into_iter().flatten().filter_map(text_of).collect(),
            },
            (None, Some("integer")) => FieldKind::Integer,
            (None, Some("number")) => FieldKind::Number,
            (None, Some("boolean")) => FieldKind::Boolean,
            (None, _) => FieldKind::String,
        };
        let (min, max) = match kind {
            FieldKind::String => (num("minLength"), num("maxLength")),
            _ => (num("minimum"), num("maximum")),
        };
        out.push(Field {
            path,
            kind,
            required: req,
            default: child.get("default").and_then(text_of),
            description: child.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_string(),
            min,
            max,
            pattern: child.get("pattern").and_then(Value::as_str).map(String::from),
        });
    }
}

impl ClaimForm {
    /// The form `xrd` (a `CompositeResourceDefinition` as JSON, v1 or v2) gives.
    ///
    /// # Errors
    /// A sentence naming what the XRD lacks (group, names, a served version, a schema for `spec`).
    pub fn from_xrd(xrd: &Value) -> Result<ClaimForm, String> {
        let name = xrd["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let obj: kube::api::DynamicObject =
            serde_json::from_value(xrd.clone()).map_err(|e| format!("XRD {name}: not an object ({e})"))?;
        let def = definition(&obj).ok_or_else(|| format!("XRD {name}: no group, names or served version"))?;
        let (target, claim) = match &def.claim {
            Some(c) => (c.clone(), true),
            None => (def.composite.clone(), false),
        };
        let version = xrd["spec"]["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["name"] == target.version.as_str())
            .ok_or_else(|| format!("XRD {name}: version {} not listed", target.version))?;
        let spec = version.pointer("/schema/openAPIV3Schema/properties/spec").cloned().unwrap_or(Value::Null);
        let mut fields = Vec::new();
        let root_required = true;
        walk(&spec, "", root_required, &mut fields);
        Ok(ClaimForm {
            xrd: name,
            api_version: format!("{}/{}", target.group, target.version),
            kind: target.kind,
            namespaced: target.namespaced,
            claim,
            scope: def.scope,
            fields,
        })
    }

    /// One problem per field of `values` (dotted paths under `spec`), checked as the API server would:
    /// required, type, enum, bounds, lengths, pattern, YAML of raw fields; `name` as a DNS subdomain and
    /// `namespace` as a label (when namespaced); and no value for a field the form does not have.
    pub fn validate(&self, name: &str, namespace: &str, values: &BTreeMap<String, String>) -> Vec<FieldError> {
        let mut out = Vec::new();
        let mut err = |param: &str, message: String| out.push(FieldError { param: param.to_string(), message });
        if !is_subdomain(name) {
            err("name", format!("{name:?} is not a valid name (lowercase letters, digits, '-' and '.')"));
        }
        if self.namespaced && !is_dns_label(namespace) {
            err("namespace", format!("{namespace:?} is not a valid namespace name"));
        }
        for (k, _) in values.iter().filter(|(k, _)| !self.fields.iter().any(|f| &f.path == *k)) {
            err(k, format!("{} has no field spec.{k}", self.kind));
        }
        for f in &self.fields {
            let Some(v) = values.get(&f.path).filter(|v| !v.is_empty()) else {
                if f.required && f.default.is_none() {
                    err(&f.path, "required".into());
                }
                continue;
            };
            if let Err(m) = f.check(v) {
                err(&f.path, m);
            }
        }
        out
    }

    /// The manifest for `name` (in `namespace` when namespaced) with `values` (only those given, typed) and
    /// the Composition `composition` if one is chosen.
    ///
    /// # Errors
    /// The per-field problems of [`ClaimForm::validate`].
    pub fn render(
        &self,
        name: &str,
        namespace: &str,
        values: &BTreeMap<String, String>,
        composition: Option<&str>,
    ) -> Result<Value, Vec<FieldError>> {
        let problems = self.validate(name, namespace, values);
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut spec = Map::new();
        for f in &self.fields {
            if let Some(v) = values.get(&f.path).filter(|v| !v.is_empty()) {
                let typed = f.check(v).unwrap_or(Value::Null);
                set_path(&mut spec, &f.path, typed);
            }
        }
        if let Some(c) = composition.filter(|c| !c.is_empty()) {
            let at = if !self.claim && self.scope != Scope::LegacyCluster {
                "crossplane.compositionRef.name"
            } else {
                "compositionRef.name"
            };
            set_path(&mut spec, at, json!(c));
        }
        let mut metadata = json!({ "name": name });
        if self.namespaced {
            metadata["namespace"] = json!(namespace);
        }
        Ok(json!({ "apiVersion": self.api_version, "kind": self.kind, "metadata": metadata, "spec": spec }))
    }
}

impl Field {
    /// `value` typed for this field, or why it is not acceptable.
    ///
    /// # Errors
    /// The problem, for people (`not an integer`, `must be one of 15, 16`, `at least 20`).
    pub fn check(&self, value: &str) -> Result<Value, String> {
        let bounds = |n: f64, what: &str| -> Result<(), String> {
            if let Some(min) = self.min.filter(|m| n < *m) {
                return Err(format!("{what} at least {min}"));
            }
            if let Some(max) = self.max.filter(|m| n > *m) {
                return Err(format!("{what} at most {max}"));
            }
            Ok(())
        };
        match &self.kind {
            FieldKind::Integer => {
                let n: i64 = value.trim().parse().map_err(|_| format!("{value:?} is not an integer"))?;
                bounds(n as f64, "must be")?;
                Ok(json!(n))
            }
            FieldKind::Number => {
                let n: f64 = value.trim().parse().map_err(|_| format!("{value:?} is not a number"))?;
                bounds(n, "must be")?;
                Ok(json!(n))
            }
            FieldKind::Boolean => match value.trim() {
                "true" => Ok(json!(true)),
                "false" => Ok(json!(false)),
                _ => Err(format!("{value:?} is not true or false")),
            },
            FieldKind::Enum { options } => {
                if options.iter().any(|o| o == value) {
                    Ok(json!(value))
                } else {
                    Err(format!("{value:?} must be one of {}", options.join(", ")))
                }
            }
            FieldKind::String => {
                bounds(value.chars().count() as f64, "length must be")?;
                if let Some(p) = &self.pattern
                    && let Ok(re) = regex::Regex::new(p)
                    && !re.is_match(value)
                {
                    return Err(format!("{value:?} does not match the pattern {p:?}"));
                }
                Ok(json!(value))
            }
            FieldKind::Raw { .. } => serde_saphyr::from_str::<Value>(value).map_err(|e| format!("not YAML: {e}")),
        }
    }
}

fn set_path(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            map.insert(path.to_string(), value);
        }
        Some((head, rest)) => {
            let child = map.entry(head.to_string()).or_insert_with(|| json!({}));
            if !child.is_object() {
                *child = json!({});
            }
            if let Some(m) = child.as_object_mut() {
                set_path(m, rest, value);
            }
        }
    }
}

/// RFC 1123 subdomain: dot-separated labels ([`is_dns_label`]), 253 characters at most: what Kubernetes
/// requires of most object names.
fn is_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_dns_label)
}

/// The commit of one claim: the file, its branch and message.
#[derive(Debug, Clone)]
pub struct ClaimCommit {
    /// The manifest.
    pub object: Value,
    /// The file: `<dir>/<namespace>/<name>.yaml` (`<dir>/<name>.yaml` for a cluster-scoped XR).
    pub file: FileChange,
    /// `fleetdeck/claim-<namespace>-<name>` (`fleetdeck/claim-<name>`).
    pub branch: String,
    /// `Add <Kind> <namespace>/<name>`.
    pub message: String,
}

/// The commit that adds `object` (a rendered claim or XR) under `dir`.
///
/// # Errors
/// When the object cannot be written as YAML.
pub fn commit(object: Value, dir: &str) -> Result<ClaimCommit, String> {
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let ns = object["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
    let kind = object["kind"].as_str().unwrap_or_default().to_string();
    let dir = dir.trim_matches('/');
    let (path, branch, at) = match ns.as_str() {
        "" => (format!("{dir}/{name}.yaml"), format!("fleetdeck/claim-{name}"), name.clone()),
        ns => (format!("{dir}/{ns}/{name}.yaml"), format!("fleetdeck/claim-{ns}-{name}"), format!("{ns}/{name}")),
    };
    let text = yaml::emit_docs(std::slice::from_ref(&object)).map_err(|e| format!("{e:#}"))?;
    Ok(ClaimCommit {
        object,
        file: FileChange { path, content: Some(text) },
        branch,
        message: format!("Add {kind} {at}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xrd() -> Value {
        json!({
            "apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xpostgresqlinstances.database.example.org"},
            "spec": {"group": "database.example.org",
                "names": {"kind": "XPostgreSQLInstance", "plural": "xpostgresqlinstances"},
                "claimNames": {"kind": "PostgreSQLInstance", "plural": "postgresqlinstances"},
                "versions": [{"name": "v1alpha1", "served": true, "referenceable": true, "schema": {"openAPIV3Schema": {
                    "type": "object", "properties": {"spec": {"type": "object", "required": ["parameters"], "properties": {
                        "parameters": {"type": "object", "required": ["storageGB"], "properties": {
                            "storageGB": {"type": "integer", "minimum": 20, "description": "Storage size, in GB."},
                            "engineVersion": {"type": "string", "enum": ["15", "16"], "default": "16"},
                            "tags": {"type": "array", "items": {"type": "string"}},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "owner": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 12},
                            "public": {"type": "boolean"}}},
                        "backup": {"type": "object", "required": ["window"], "properties": {
                            "window": {"type": "string"}}}}}}}}}]}
        })
    }

    #[test]
    fn the_form_follows_the_schema() {
        let form = ClaimForm::from_xrd(&xrd()).expect("form");
        assert_eq!(
            (form.kind.as_str(), form.api_version.as_str(), form.namespaced, form.claim),
            ("PostgreSQLInstance", "database.example.org/v1alpha1", true, true)
        );
        let f = |p: &str| form.fields.iter().find(|f| f.path == p).unwrap_or_else(|| panic!("{p}"));
        assert_eq!(
            (f("parameters.storageGB").kind.clone(), f("parameters.storageGB").required),
            (FieldKind::Integer, true)
        );
        assert_eq!(f("parameters.storageGB").description, "Storage size, in GB.");
        assert_eq!(f("parameters.engineVersion").kind, FieldKind::Enum { options: vec!["15".into(), "16".into()] });
        assert_eq!(f("parameters.engineVersion").default.as_deref(), Some("16"));
        assert_eq!(f("parameters.tags").kind, FieldKind::Raw { why: "an array".into() });
        assert_eq!(f("parameters.labels").kind, FieldKind::Raw { why: "a map".into() });
        // Required inside an optional object: not required.
        assert!(!f("backup.window").required);
    }

    #[test]
    fn values_are_checked_as_typed_and_rendered_typed() {
        let form = ClaimForm::from_xrd(&xrd()).expect("form");
        let v = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>()
        };
        let problems = form.validate(
            "Orders",
            "team-a",
            &v(&[
                ("parameters.storageGB", "10"),
                ("parameters.engineVersion", "14"),
                ("parameters.owner", "Bob"),
                ("parameters.tags", "[a, b"),
                ("nope", "1"),
            ]),
        );
        let by: BTreeMap<_, _> = problems.iter().map(|e| (e.param.as_str(), e.message.as_str())).collect();
        assert_eq!(by["parameters.storageGB"], "must be at least 20");
        assert_eq!(by["parameters.engineVersion"], "\"14\" must be one of 15, 16");
        assert!(by["parameters.owner"].contains("pattern"));
        assert!(by["parameters.tags"].starts_with("not YAML"));
        assert_eq!(by["nope"], "PostgreSQLInstance has no field spec.nope");
        assert!(by["name"].contains("not a valid name"));
        assert_eq!(form.validate("orders-db", "team-a", &v(&[]))[0].param, "parameters.storageGB");
        let obj = form
            .render(
                "orders-db",
                "team-a",
                &v(&[("parameters.storageGB", "50"), ("parameters.tags", "[a, b]"), ("parameters.public", "false")]),
                Some("aws"),
            )
            .expect("renders");
        assert_eq!(
            obj,
            json!({"apiVersion": "database.example.org/v1alpha1", "kind": "PostgreSQLInstance",
            "metadata": {"name": "orders-db", "namespace": "team-a"},
            "spec": {"parameters": {"storageGB": 50, "tags": ["a", "b"], "public": false}, "compositionRef": {"name": "aws"}}})
        );
        let c = commit(obj, "crossplane/claims/").expect("commit");
        assert_eq!(
            (c.file.path.as_str(), c.branch.as_str(), c.message.as_str()),
            (
                "crossplane/claims/team-a/orders-db.yaml",
                "fleetdeck/claim-team-a-orders-db",
                "Add PostgreSQLInstance team-a/orders-db"
            )
        );
    }

    #[test]
    fn a_v2_namespaced_xr_is_created_itself_with_its_composition_under_spec_crossplane() {
        let xrd = json!({"apiVersion": "apiextensions.crossplane.io/v2", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xbucketstacks.storage.example.org"},
            "spec": {"group": "storage.example.org", "scope": "Namespaced", "names": {"kind": "XBucketStack", "plural": "xbucketstacks"},
                "versions": [{"name": "v1", "served": true, "referenceable": true, "schema": {"openAPIV3Schema": {"type": "object",
                    "properties": {"spec": {"type": "object", "properties": {"region": {"type": "string"}}}}}}}]}});
        let form = ClaimForm::from_xrd(&xrd).expect("form");
        assert_eq!((form.kind.as_str(), form.namespaced, form.claim), ("XBucketStack", true, false));
        let values = BTreeMap::from([("region".to_string(), "eu-west-1".to_string())]);
        let obj = form.render("media", "team-b", &values, Some("xbucketstacks.aws")).expect("renders");
        assert_eq!(
            obj["spec"],
            json!({"region": "eu-west-1", "crossplane": {"compositionRef": {"name": "xbucketstacks.aws"}}})
        );
    }
}
