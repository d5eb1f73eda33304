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

fn kind_name<S: serde::Serializer>(k: &KindId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.spec().kind)
}

/// `Kustomization flux-system/apps in dev-eu`.
impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}/{} in {}", self.kind.spec().kind, self.namespace, self.name, self.context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
