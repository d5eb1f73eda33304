//! Crossplane's run-time kinds, read from objects: which composite (XR) and claim kinds an XRD defines
//! ([`definition`]), and which objects a claim or XR references ([`references`]), the way
//! `crossplane beta trace` (v2.1, `cmd/crank/common/resource/xrm/client.go`) and `crossplane resource trace`
//! (CLI v2.3+) find a resource's children. Pure: the fleet's watches call these to decide which kinds to
//! watch, the trace tree to walk. Facts: REFERENCE-2.md section 1.
use kube::api::DynamicObject;
use serde_json::Value;

use super::kinds::{Dynamic, KindId};
use super::store::{ConnState, FleetStore, KindState};

/// An XRD's `spec.scope` (`apiextensions.crossplane.io` v1 default `LegacyCluster`, v2 default
/// `Namespaced`). It decides where an XR keeps its references and whether the XR kind is namespaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Scope {
    /// Every Crossplane 1.x XR: cluster-scoped, fields directly under `spec`, claims possible.
    LegacyCluster,
    /// A Crossplane 2 XR in a namespace: fields under `spec.crossplane`, no claim.
    Namespaced,
    /// A Crossplane 2 cluster-scoped XR: fields under `spec.crossplane`, no claim.
    Cluster,
}

/// A kind one XRD defines, as the watches need it: group, the version composites reference
/// (`referenceable`, else the first served), kind and plural.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Defined {
    /// `spec.group`.
    pub group: String,
    /// The referenceable version (else the first served one).
    pub version: String,
    /// `spec.names.kind` or `spec.claimNames.kind`.
    pub kind: String,
    /// `spec.names.plural` or `spec.claimNames.plural`.
    pub plural: String,
    /// Whether objects of the kind live in a namespace (claims always; XRs when the scope is Namespaced).
    pub namespaced: bool,
}

/// What one XRD defines: its XR kind, its claim kind if it offers one, and its scope.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Definition {
    /// The composite resource kind (`spec.names`).
    pub composite: Defined,
    /// The claim kind (`spec.claimNames`), for a v1 / LegacyCluster XRD that offers one.
    pub claim: Option<Defined>,
    /// `spec.scope`, or the default of the apiVersion it was read through.
    pub scope: Scope,
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// What `xrd` (a `CompositeResourceDefinition` read through `apiextensions.crossplane.io/v1` or `v2`)
/// defines; `None` when it names no group, kind or plural, or no version that is served.
pub fn definition(xrd: &DynamicObject) -> Option<Definition> {
    let d = &xrd.data;
    let group = text(d, "/spec/group");
    let v2 = xrd.types.as_ref().is_some_and(|t| t.api_version.ends_with("/v2"));
    let scope = match text(d, "/spec/scope") {
        "Namespaced" => Scope::Namespaced,
        "Cluster" => Scope::Cluster,
        "LegacyCluster" => Scope::LegacyCluster,
        _ if v2 => Scope::Namespaced,
        _ => Scope::LegacyCluster,
    };
    let versions = d.pointer("/spec/versions").and_then(Value::as_array)?;
    let served = |v: &&Value| v.get("served").and_then(Value::as_bool).unwrap_or(false);
    let version = versions
        .iter()
        .filter(served)
        .find(|v| v.get("referenceable").and_then(Value::as_bool).unwrap_or(false))
        .or_else(|| versions.iter().find(served))
        .and_then(|v| v.get("name"))
        .and_then(Value::as_str)?;
    let defined = |names: &str, namespaced: bool| {
        let kind = text(d, &format!("/spec/{names}/kind"));
        let plural = text(d, &format!("/spec/{names}/plural"));
        (!group.is_empty() && !kind.is_empty() && !plural.is_empty()).then(|| Defined {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
            namespaced,
        })
    };
    let composite = defined("names", scope == Scope::Namespaced)?;
    let claim = if scope == Scope::LegacyCluster { defined("claimNames", true) } else { None };
    Some(Definition { composite, claim, scope })
}

/// One reference from a claim or XR to another object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Reference {
    /// `apiVersion` as written (`group/version`, or `version` for core).
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// `name`.
    pub name: String,
    /// `namespace`; empty for cluster-scoped objects.
    pub namespace: String,
}

impl Reference {
    /// The API group of `api_version` (`""` for core).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }
    /// The version of `api_version`.
    pub fn version(&self) -> &str {
        self.api_version.rsplit_once('/').map_or(self.api_version.as_str(), |(_, v)| v)
    }
}

fn reference(v: &Value) -> Option<Reference> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let r = Reference { api_version: s("apiVersion"), kind: s("kind"), name: s("name"), namespace: s("namespace") };
    (!r.api_version.is_empty() && !r.kind.is_empty() && !r.name.is_empty()).then_some(r)
}

/// The objects `obj` (a claim or an XR) references, in trace's order: a claim's `spec.resourceRef` (its XR)
/// alone; otherwise an XR's `spec.crossplane.resourceRefs` (Namespaced / Cluster scope), then
/// `spec.resourceRefs` (LegacyCluster). A reference without a namespace takes `obj`'s (a Namespaced XR's
/// references carry none), except a claim's, whose XR is cluster-scoped in Crossplane 1.x. Entries without
/// apiVersion, kind or name are skipped.
pub fn references(obj: &DynamicObject) -> Vec<Reference> {
    let d = &obj.data;
    if let Some(r) = d.pointer("/spec/resourceRef").and_then(reference) {
        return vec![r];
    }
    let mut refs: Vec<Reference> = ["/spec/crossplane/resourceRefs", "/spec/resourceRefs"]
        .iter()
        .filter_map(|p| d.pointer(p).and_then(Value::as_array))
        .flatten()
        .filter_map(reference)
        .collect();
    if let Some(ns) = obj.metadata.namespace.as_deref().filter(|n| !n.is_empty()) {
        for r in refs.iter_mut().filter(|r| r.namespace.is_empty()) {
            r.namespace = ns.to_string();
        }
    }
    refs
}

pub use super::kinds::Wanted;

/// The kinds an XRD asks to watch: its XR kind and its claim kind.
pub fn wanted_by_definition(xrd: &DynamicObject) -> Vec<Wanted> {
    let Some(def) = definition(xrd) else { return Vec::new() };
    let mut out = vec![(def.composite.group, def.composite.version, def.composite.kind, Dynamic::Composite)];
    if let Some(c) = def.claim {
        out.push((c.group, c.version, c.kind, Dynamic::Claim));
    }
    out
}

/// The kinds a claim or XR asks to watch: those of its references (core kinds excepted: a reference to a
/// Secret or ConfigMap is not a composed resource fleetdeck follows), sorted and without repeats.
pub fn wanted_by_references(obj: &DynamicObject) -> Vec<Wanted> {
    let mut out: Vec<Wanted> = references(obj)
        .into_iter()
        .filter(|r| !r.group().is_empty())
        .map(|r| (r.group().to_string(), r.version().to_string(), r.kind.clone(), Dynamic::Managed))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Reads the kinds one object asks to watch.
pub type Reader = fn(&DynamicObject) -> Vec<Wanted>;

/// What an object of `kind` asks the fleet to watch, if its kind asks anything: an XRD its XR and claim
/// kinds ([`wanted_by_definition`]); a claim or XR the kinds it references ([`wanted_by_references`]); a
/// Cluster API Cluster, Machine or MachinePool the provider kinds it references that the catalogue does not
/// name ([`super::provider_refs::wanted_by_references`]). The one place that says which watches feed the
/// kinds found at run time (`fleet::wanted`) and what the headless commands wait for ([`settled`]).
pub fn reader(kind: KindId) -> Option<Reader> {
    match kind {
        KindId::XRD => Some(wanted_by_definition),
        KindId::CLUSTER | KindId::MACHINE | KindId::MACHINE_POOL => Some(super::provider_refs::wanted_by_references),
        _ if matches!(kind.dynamic_role(), Some(Dynamic::Composite | Dynamic::Claim)) => Some(wanted_by_references),
        _ => None,
    }
}

/// Whether every kind the XRDs and composites of `store` ask for (and the provider kinds Cluster API objects
/// reference that the catalogue does not name) has been answered in their context:
/// watched and synced (or forbidden, missing, failing), or reported unserved. Contexts that are not Ready
/// count as settled (the connection's own state says why). The headless commands wait for this before they
/// answer, since these kinds appear one step after another (XRDs, then XRs and claims, then what they
/// reference).
pub fn settled(store: &FleetStore) -> bool {
    store.contexts().all(|(_, ctx)| {
        if ctx.state != ConnState::Ready {
            return true;
        }
        let answered = |wanted: Vec<Wanted>| {
            wanted.iter().all(|(group, _, kind, _)| {
                ctx.unserved.contains_key(&(group.clone(), kind.clone()))
                    || KindId::find(group, kind)
                        .and_then(|id| ctx.kinds.get(&id))
                        .is_some_and(|e| e.state.is_some_and(|s| s != KindState::Syncing))
            })
        };
        ctx.kinds.iter().all(|(id, entry)| {
            let Some(read) = reader(*id) else { return true };
            entry.state != Some(KindState::Synced) || entry.objects.values().all(|o| answered(read(o.obj())))
        })
    })
}

/// The claim or composite kind `text` names in `context`: its kind or plural, either alone or followed by
/// `.group` (case-insensitive), among the kinds the context's XRDs define (those watched there), as
/// `crossplane resource trace` takes a TYPE.
///
/// # Errors
/// A sentence naming the kinds the XRDs do define, or saying that none is.
pub fn defined_kind(store: &FleetStore, context: &str, text: &str, role: Dynamic) -> Result<KindId, String> {
    let what = if role == Dynamic::Claim { "claim" } else { "composite resource" };
    let Some(ctx) = store.context(context) else { return Err(format!("context {context} is not in the fleet")) };
    let defined: Vec<KindId> = ctx.kinds.keys().copied().filter(|k| k.dynamic_role() == Some(role)).collect();
    let found = defined.iter().copied().find(|k| {
        let s = k.spec();
        super::object_ref::names_type(text, s.kind, s.plural, s.group)
    });
    found.ok_or_else(|| {
        let mut names: Vec<String> = defined.iter().map(|k| k.spec().kind.to_string()).collect();
        names.sort();
        match names.is_empty() {
            true => format!("no {what} kind is defined in context {context} (no XRD, or Crossplane is not installed)"),
            false => format!(
                "no {what} kind {:?} in context {context}; its XRDs define: {}",
                text.to_ascii_lowercase(),
                names.join(", ")
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> DynamicObject {
        serde_json::from_value(v).expect("object")
    }

    #[test]
    fn a_v1_xrd_defines_a_cluster_scoped_xr_and_its_claim() {
        let xrd = obj(json!({
            "apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xpostgresqlinstances.database.example.org"},
            "spec": {"group": "database.example.org",
                "names": {"kind": "XPostgreSQLInstance", "plural": "xpostgresqlinstances"},
                "claimNames": {"kind": "PostgreSQLInstance", "plural": "postgresqlinstances"},
                "versions": [{"name": "v1alpha1", "served": true, "referenceable": false},
                             {"name": "v1", "served": true, "referenceable": true}]}
        }));
        let d = definition(&xrd).expect("definition");
        assert_eq!(d.scope, Scope::LegacyCluster);
        assert_eq!(
            (d.composite.kind.as_str(), d.composite.version.as_str(), d.composite.namespaced),
            ("XPostgreSQLInstance", "v1", false)
        );
        let claim = d.claim.expect("claim");
        assert_eq!(
            (claim.kind.as_str(), claim.plural.as_str(), claim.namespaced),
            ("PostgreSQLInstance", "postgresqlinstances", true)
        );
        assert_eq!(wanted_by_definition(&xrd).len(), 2);
    }

    #[test]
    fn a_v2_xrd_defaults_to_namespaced_and_offers_no_claim() {
        let xrd = obj(json!({
            "apiVersion": "apiextensions.crossplane.io/v2", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xbuckets.storage.example.org"},
            "spec": {"group": "storage.example.org", "names": {"kind": "XBucket", "plural": "xbuckets"},
                "claimNames": {"kind": "Bucket", "plural": "buckets"},
                "versions": [{"name": "v1", "served": true}]}
        }));
        let d = definition(&xrd).expect("definition");
        assert_eq!((d.scope, d.composite.namespaced, d.claim), (Scope::Namespaced, true, None));
        // Nothing served, or no names: no definition.
        let none = obj(json!({"apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "x"}, "spec": {"group": "g", "names": {"kind": "X", "plural": "xs"},
            "versions": [{"name": "v1", "served": false}]}}));
        assert_eq!(definition(&none), None);
        let garbage =
            obj(json!({"apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "x"}, "spec": "nope"}));
        assert_eq!(definition(&garbage), None);
    }

    #[test]
    fn references_follow_trace_order_and_take_the_parent_namespace() {
        let claim = obj(json!({"apiVersion": "database.example.org/v1", "kind": "PostgreSQLInstance",
            "metadata": {"name": "db", "namespace": "team-a"},
            "spec": {"resourceRef": {"apiVersion": "database.example.org/v1", "kind": "XPostgreSQLInstance", "name": "db-x7k2p"}}}));
        let r = references(&claim);
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].kind.as_str(), r[0].namespace.as_str()), ("XPostgreSQLInstance", ""));
        let modern = obj(json!({"apiVersion": "storage.example.org/v1", "kind": "XBucket",
            "metadata": {"name": "b", "namespace": "team-a"},
            "spec": {"crossplane": {"resourceRefs": [
                {"apiVersion": "s3.aws.m.upbound.io/v1beta1", "kind": "Bucket", "name": "b-1"},
                {"apiVersion": "iam.aws.m.upbound.io/v1beta1", "kind": "Role", "name": "b-2", "namespace": "other"},
                {"kind": "Broken"}]}}}));
        let r = references(&modern);
        assert_eq!(
            r.iter().map(|r| (r.kind.as_str(), r.namespace.as_str())).collect::<Vec<_>>(),
            [("Bucket", "team-a"), ("Role", "other")]
        );
        assert_eq!((r[0].group(), r[0].version()), ("s3.aws.m.upbound.io", "v1beta1"));
        let legacy = obj(json!({"apiVersion": "database.example.org/v1", "kind": "XPostgreSQLInstance",
            "metadata": {"name": "db-x7k2p"},
            "spec": {"resourceRefs": [{"apiVersion": "rds.aws.upbound.io/v1beta1", "kind": "Instance", "name": "db-x7k2p-abc"},
                                      {"apiVersion": "v1", "kind": "Secret", "name": "s"}]}}));
        assert_eq!(references(&legacy).len(), 2);
        let w = wanted_by_references(&legacy);
        assert_eq!(
            w,
            [("rds.aws.upbound.io".to_string(), "v1beta1".to_string(), "Instance".to_string(), Dynamic::Managed)]
        );
        assert!(
            references(&obj(json!({"apiVersion": "a/v1", "kind": "X", "metadata": {"name": "x"}, "spec": 3})))
                .is_empty()
        );
    }
}
