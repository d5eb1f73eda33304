//! An object's identity in the fleet: context, catalogue kind, namespace and name. The one identity the
//! store lookups, the trees' links, the cockpit's rows and the operator actions share.
use serde::Serialize;

use super::kinds::KindId;

/// Where an object lives in the fleet: enough to find it again in the store and to address it on its API
/// server. Serialised (journal, `-o json`) with the kind as its upstream name, e.g.
/// `{"context":"dev-eu","kind":"Kustomization","namespace":"flux-system","name":"apps"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectRef {
    /// Context name (a kubeconfig context, or a derived `<management>/<namespace>/<cluster>` one).
    pub context: String,
    /// Catalogue kind.
    #[serde(serialize_with = "kind_name")]
    pub kind: KindId,
    /// Namespace (`""` for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectRef {
    /// `namespace/name`, or `name` for a cluster-scoped object (a Crossplane XR or MR).
    pub fn namespaced_name(&self) -> String {
        if self.namespace.is_empty() { self.name.clone() } else { format!("{}/{}", self.namespace, self.name) }
    }

    /// An object reference from its parts.
    pub fn new(
        context: impl Into<String>,
        kind: KindId,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        ObjectRef { context: context.into(), kind, namespace: namespace.into(), name: name.into() }
    }
}

/// Parses `NAMESPACE/NAME` as the CLI takes an object: both parts non-empty, no second `/` (a Kubernetes
/// name has none). The one parser of the commands that take an object.
///
/// # Errors
/// `"\"x\": expected NAMESPACE/NAME"` (the text quoted as given) for anything else.
pub fn parse_namespaced(text: &str) -> Result<(String, String), String> {
    text.split_once('/')
        .filter(|(n, m)| !n.is_empty() && !m.is_empty() && !m.contains('/'))
        .map(|(n, m)| (n.to_string(), m.to_string()))
        .ok_or_else(|| format!("{text:?}: expected NAMESPACE/NAME"))
}

/// Parses `TYPE/NAMESPACE/NAME` or `TYPE/NAME` (a cluster-scoped object), as the Crossplane commands take
/// an object whose kind is found at run time: (type, namespace or `""`, name).
///
/// # Errors
/// `"\"x\": expected TYPE/NAMESPACE/NAME or TYPE/NAME ..."` for anything else.
pub fn parse_typed(text: &str) -> Result<(String, String, String), String> {
    let parts: Vec<&str> = text.split('/').collect();
    match parts.as_slice() {
        [t, ns, n] if !t.is_empty() && !ns.is_empty() && !n.is_empty() => {
            Ok((t.to_string(), ns.to_string(), n.to_string()))
        }
        [t, n] if !t.is_empty() && !n.is_empty() => Ok((t.to_string(), String::new(), n.to_string())),
        _ => Err(format!(
            "{text:?}: expected TYPE/NAMESPACE/NAME or TYPE/NAME (e.g. postgresqlinstance/team-a/orders-db)"
        )),
    }
}

/// Whether `text` names a kind as `crossplane resource trace` (and kubectl) take a TYPE: its kind or its
/// plural, alone or followed by `.group`, case-insensitive.
pub fn names_type(text: &str, kind: &str, plural: &str, group: &str) -> bool {
    let (text, kind, plural) = (text.to_ascii_lowercase(), kind.to_ascii_lowercase(), plural.to_ascii_lowercase());
    let qualified = |name: &str| text.strip_prefix(name).and_then(|rest| rest.strip_prefix('.')) == Some(group);
    text == kind || text == plural || qualified(&kind) || qualified(&plural)
}

fn kind_name<S: serde::Serializer>(k: &KindId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.spec().kind)
}

/// `Kustomization flux-system/apps in dev-eu`; `Instance orders-db-rds in mgmt` when cluster-scoped.
impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.namespace.as_str() {
            "" => write!(f, "{} {} in {}", self.kind.spec().kind, self.name, self.context),
            ns => write!(f, "{} {ns}/{} in {}", self.kind.spec().kind, self.name, self.context),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_is_a_kind_or_plural_with_or_without_its_group() {
        let n = |t: &str| names_type(t, "PostgreSQLInstance", "postgresqlinstances", "database.example.org");
        for yes in [
            "postgresqlinstance",
            "PostgreSQLInstance",
            "postgresqlinstances",
            "postgresqlinstances.database.example.org",
            "PostgreSQLInstance.database.example.org",
        ] {
            assert!(n(yes), "{yes}");
        }
        for no in ["postgresql", "postgresqlinstances.example.org", "postgresqlinstances.", ""] {
            assert!(!n(no), "{no}");
        }
    }

    #[test]
    fn typed_objects_name_their_type() {
        assert_eq!(parse_typed("xr/a/b"), Ok(("xr".into(), "a".into(), "b".into())));
        assert_eq!(parse_typed("xr/b"), Ok(("xr".into(), String::new(), "b".into())));
        for bad in ["xr", "xr//b", "/a/b", "xr/a/b/c", ""] {
            assert!(parse_typed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serialises_the_kind_by_its_upstream_name_and_displays_for_people() {
        let o = ObjectRef::new("dev-eu", KindId::KUSTOMIZATION, "flux-system", "apps");
        assert_eq!(
            serde_json::to_string(&o).expect("json"),
            r#"{"context":"dev-eu","kind":"Kustomization","namespace":"flux-system","name":"apps"}"#
        );
        assert_eq!(o.to_string(), "Kustomization flux-system/apps in dev-eu");
    }

    #[test]
    fn namespace_slash_name_and_nothing_else() {
        assert_eq!(parse_namespaced("flux-system/apps"), Ok(("flux-system".into(), "apps".into())));
        for bad in ["apps", "/apps", "flux-system/", "a/b/c", ""] {
            assert_eq!(parse_namespaced(bad), Err(format!("{bad:?}: expected NAMESPACE/NAME")), "{bad}");
        }
    }
}
