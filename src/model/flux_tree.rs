//! The tree `flux tree kustomization` draws, built from the store (pure), and Flux inventory ids.
//!
//! Follows flux2 `cmd/flux/tree_kustomization.go` `treeKustomization`: the root Kustomization's children are
//! its `status.inventory.entries` in order, skipping the entry that is the Kustomization itself; a child
//! Kustomization recurses; a child HelmRelease expands to the objects of the release — here from the
//! HelmRelease's own `status.inventory.entries` (Flux >= 2.8; flux2 older than that decoded the Helm storage
//! Secret) — as leaves. Differences, all because fleetdeck sees the whole fleet:
//! - a Kustomization or HelmRelease with `spec.kubeConfig` applies to another cluster. flux stops there
//!   (it skips the recursion when the *parent* has `spec.kubeConfig`, and skips remote HelmReleases);
//!   fleetdeck marks the node [`RemoteLink`] and, when `resolve_remote` maps the kubeConfig Secret to a
//!   context of the fleet, looks the inventory up in that context and goes on recursing there;
//! - an id that does not parse is a node marked [`Missing::InvalidId`] (flux fails the whole command);
//! - recursion is cycle-safe (a Kustomization already on the path is shown once more, with a note);
//! - each object is looked up in the store: found (with its health), or marked [`Missing`] — `NotFound`
//!   only when its kind is synced in that context; kinds fleetdeck does not watch (ConfigMap, Deployment,
//!   Service, ...) are `NotWatched`, never "not found";
//! - Kustomization and HelmRelease nodes carry their source, revision and `dependsOn`.
use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

use super::kinds::KindId;
use super::store::{FleetStore, StoredObject};
use super::tree::{Label, Lookup, Missing, ObjectLabel, ObjectRef, RemoteLink, StoreView, TreeNode, at};

const KS_GROUP: &str = "kustomize.toolkit.fluxcd.io";
const HR_GROUP: &str = "helm.toolkit.fluxcd.io";

/// Maps a kubeconfig Secret (name, namespace) of a `spec.kubeConfig.secretRef` to a fleet context name.
pub type ResolveRemote<'r> = &'r dyn Fn(&str, &str) -> Option<String>;

/// An object's identity as an inventory id encodes it (cli-utils `pkg/object` `ObjMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ObjMetadata {
    /// Namespace, `""` for cluster-scoped objects.
    pub namespace: String,
    /// Name, with `__` decoded to `:`.
    pub name: String,
    /// API group, `""` for core.
    pub group: String,
    /// Kind.
    pub kind: String,
}

/// An inventory id that does not parse: fewer than four `_`-separated fields. The message is cli-utils' own
/// and quotes, as upstream does, what was left of the id where a separator was missing (`_test-name_apps` ->
/// `test-name`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InventoryIdError {
    /// A separator is missing; the remainder of the id at that point.
    #[error("unable to parse stored object metadata: {0}")]
    Unparsable(String),
}

/// Parses a Flux inventory id `<namespace>_<name>_<group>_<kind>` exactly as fluxcd/cli-utils v1.2.1+
/// `pkg/object/objmetadata.go` `ParseObjMetadata` does (what Flux v2.9 pins): namespace up to the first `_`;
/// kind after the last `_`; group between the next-to-last and the last `_`; the rest is the name, which may
/// hold `_` (`test-namespace_test_name_apps_Deployment` is Deployment `test-namespace/test_name`) and where
/// `__` (a transcoded `:`, as in RBAC names) decodes to `:`, left to right. Examples:
/// `default_podinfo__Service` (core group), `_flux-system__Namespace` (cluster-scoped),
/// `_system__controller__kube-controller-manager_rbac.authorization.k8s.io_ClusterRole` (name
/// `system:controller:kube-controller-manager`). Like upstream, empty kind or name are accepted. (cli-utils
/// up to v1.2.0, Flux up to v2.8, refused a name with `_`.)
///
/// Errors: [`InventoryIdError::Unparsable`] when a separator is missing.
pub fn parse_inventory_id(id: &str) -> Result<ObjMetadata, InventoryIdError> {
    let parts = split_id(id)?;
    Ok(ObjMetadata {
        namespace: parts.namespace.to_string(),
        name: parts.name.into_owned(),
        group: parts.group.to_string(),
        kind: parts.kind.to_string(),
    })
}

/// [`parse_inventory_id`] without allocating (but for a name with `__`).
struct IdParts<'i> {
    namespace: &'i str,
    name: Cow<'i, str>,
    group: &'i str,
    kind: &'i str,
}

fn split_id(id: &str) -> Result<IdParts<'_>, InventoryIdError> {
    let bad = |left: &str| InventoryIdError::Unparsable(left.to_string());
    let (namespace, rest) = id.split_once('_').ok_or_else(|| bad(id))?;
    let (rest, kind) = rest.rsplit_once('_').ok_or_else(|| bad(rest))?;
    let (name, group) = rest.rsplit_once('_').ok_or_else(|| bad(rest))?;
    // `contains("__")` sets up a substring searcher; a byte scan is cheaper on names this short.
    let name = if name.as_bytes().windows(2).any(|w| w == b"__") {
        Cow::Owned(name.replace("__", ":"))
    } else {
        Cow::Borrowed(name)
    };
    Ok(IdParts { namespace, name, group, kind })
}

/// The tree of Kustomization `namespace/name` in `context`; `None` when the store does not have it.
pub fn kustomization_tree(
    store: &FleetStore,
    context: &str,
    namespace: &str,
    name: &str,
    resolve_remote: ResolveRemote<'_>,
) -> Option<TreeNode> {
    kustomization_tree_with(&StoreView::new(store), context, namespace, name, resolve_remote)
}

/// [`kustomization_tree`] through a [`StoreView`] (for [`super::tree::TreeCache`]).
pub fn kustomization_tree_with(
    view: &StoreView<'_>,
    context: &str,
    namespace: &str,
    name: &str,
    resolve_remote: ResolveRemote<'_>,
) -> Option<TreeNode> {
    let Lookup::Found(ks) = view.lookup(context, KS_GROUP, "Kustomization", namespace, name) else {
        return None;
    };
    let mut walk = Walk { view, resolve: resolve_remote, path: Vec::new() };
    Some(walk.kustomization(context, ks))
}

/// The tree of HelmRelease `namespace/name` in `context`: the release's objects from its
/// `status.inventory.entries`; `None` when the store does not have it.
pub fn helmrelease_tree(
    store: &FleetStore,
    context: &str,
    namespace: &str,
    name: &str,
    resolve_remote: ResolveRemote<'_>,
) -> Option<TreeNode> {
    helmrelease_tree_with(&StoreView::new(store), context, namespace, name, resolve_remote)
}

/// [`helmrelease_tree`] through a [`StoreView`].
pub fn helmrelease_tree_with(
    view: &StoreView<'_>,
    context: &str,
    namespace: &str,
    name: &str,
    resolve_remote: ResolveRemote<'_>,
) -> Option<TreeNode> {
    let Lookup::Found(hr) = view.lookup(context, HR_GROUP, "HelmRelease", namespace, name) else {
        return None;
    };
    let mut walk = Walk { view, resolve: resolve_remote, path: Vec::new() };
    Some(walk.helmrelease(context, hr))
}

struct Walk<'v, 'a> {
    view: &'v StoreView<'a>,
    resolve: ResolveRemote<'v>,
    /// Kustomizations being expanded: (context, namespace, name).
    path: Vec<(String, String, String)>,
}

impl Walk<'_, '_> {
    fn kustomization(&mut self, ctx: &str, o: &StoredObject) -> TreeNode {
        let (mut node, target) = self.object_node(ctx, KS_GROUP, "Kustomization", o);
        let data = &o.obj().data;
        node.source = source_ref(at(data, "/spec/sourceRef"), namespace(o)).map(Box::new);
        node.revision = text(data, "/status/lastAppliedRevision");
        let own = (ctx.to_string(), namespace(o).to_string(), name(o).to_string());
        self.path.push(own);
        node.children.reserve(at(data, "/status/inventory/entries").and_then(Value::as_array).map_or(0, Vec::len));
        for id in inventory(data) {
            let parsed = split_id(id);
            let is_self = parsed.as_ref().is_ok_and(|m| {
                m.group == KS_GROUP && m.kind == "Kustomization" && m.namespace == namespace(o) && m.name == name(o)
            });
            if !is_self {
                let child = self.entry(&node.id, target.as_deref(), id, parsed, true);
                node.children.push(child);
            }
        }
        self.path.pop();
        node
    }

    fn helmrelease(&mut self, ctx: &str, o: &StoredObject) -> TreeNode {
        let (mut node, target) = self.object_node(ctx, HR_GROUP, "HelmRelease", o);
        let data = &o.obj().data;
        let chart_source = at(data, "/spec/chart/spec/sourceRef").or_else(|| at(data, "/spec/chartRef"));
        node.source = source_ref(chart_source, namespace(o)).map(Box::new);
        node.revision =
            text(data, "/status/history/0/chartVersion").or_else(|| text(data, "/status/lastAttemptedRevision"));
        for id in inventory(data) {
            let child = self.entry(&node.id, target.as_deref(), id, split_id(id), false);
            node.children.push(child);
        }
        node
    }

    /// The node of one inventory entry, looked up in `target` (the context the parent applies to).
    fn entry(
        &mut self,
        parent_id: &str,
        target: Option<&str>,
        id: &str,
        parsed: Result<IdParts<'_>, InventoryIdError>,
        recurse: bool,
    ) -> TreeNode {
        let m = match parsed {
            Ok(m) => m,
            Err(e) => {
                let mut node = TreeNode::new(format!("{parent_id}>{id}"), Label::Virtual { name: id.to_string() });
                node.missing = Some(Missing::InvalidId { error: e.to_string() });
                return node;
            }
        };
        let ctx = target.unwrap_or_default();
        let kind = KindId::find(m.group, m.kind);
        let lookup = match target {
            Some(ctx) => self.view.lookup_kind(ctx, kind, m.namespace, &m.name),
            None => Lookup::Missing(Missing::NoContext),
        };
        let flux = match (m.group, m.kind) {
            (KS_GROUP, "Kustomization") => Some(true),
            (HR_GROUP, "HelmRelease") => Some(false),
            _ => None,
        };
        let found = match lookup {
            Lookup::Found(o) if recurse && flux.is_some() => o,
            found => {
                let label = ObjectLabel::with_kind(ctx, kind, m.group, m.kind, m.namespace, &m.name);
                let (o, missing) = match found {
                    Lookup::Found(o) => (Some(o.as_ref()), None),
                    Lookup::Missing(missing) => (None, Some(missing)),
                };
                let mut node = TreeNode::object(label, o);
                node.missing = missing;
                return node;
            }
        };
        let on_path = self.path.iter().any(|(c, ns, n)| c == ctx && ns == m.namespace && *n == m.name);
        match flux {
            Some(true) if !on_path => self.kustomization(ctx, found),
            Some(true) => {
                let mut node = self.object_node(ctx, KS_GROUP, "Kustomization", found).0;
                node.note = Some("cycle: this Kustomization is already expanded above".into());
                node
            }
            _ => self.helmrelease(ctx, found),
        }
    }

    /// The node of a Kustomization or HelmRelease with `dependsOn` and its remote link, and the context its
    /// inventory lives in (`None`: a remote cluster the fleet does not know).
    fn object_node(&self, ctx: &str, group: &str, kind: &str, o: &StoredObject) -> (TreeNode, Option<String>) {
        let ns = namespace(o);
        let mut node = TreeNode::object(ObjectLabel::new(ctx, group, kind, ns, name(o)), Some(o));
        let data = &o.obj().data;
        node.depends_on = depends_on(data, ns);
        let Some(kube_config) = at(data, "/spec/kubeConfig") else {
            return (node, Some(ctx.to_string()));
        };
        let secret = at(kube_config, "/secretRef/name").and_then(Value::as_str);
        let context = secret.and_then(|s| (self.resolve)(s, ns));
        let found = context.as_deref().is_some_and(|c| self.view.has_context(c));
        node.remote = Some(Box::new(RemoteLink {
            secret_ref: secret.map(|s| format!("{ns}/{s}")),
            context: context.clone(),
            found,
        }));
        (node, context)
    }
}

fn name(o: &StoredObject) -> &str {
    o.name()
}

fn namespace(o: &StoredObject) -> &str {
    o.namespace()
}

fn text(data: &Value, pointer: &str) -> Option<String> {
    at(data, pointer)?.as_str().map(str::to_string)
}

/// The ids of `status.inventory.entries`, in order (entries without a string `id` are skipped).
fn inventory(data: &Value) -> impl Iterator<Item = &str> {
    at(data, "/status/inventory/entries")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("id")?.as_str())
}

/// A `{kind, name, namespace?}` reference; the namespace defaults to the referring object's.
pub(crate) fn source_ref(r: Option<&Value>, default_ns: &str) -> Option<ObjectRef> {
    let r = r?;
    let field = |k: &str| r.get(k).and_then(Value::as_str);
    Some(ObjectRef {
        kind: field("kind")?.to_string(),
        namespace: field("namespace").unwrap_or(default_ns).to_string(),
        name: field("name")?.to_string(),
    })
}

/// `spec.dependsOn` of a Flux or Terraform object as `namespace/name` (the namespace defaults to the object's,
/// as in kustomize-controller's and tofu-controller's `dependsOn` resolution).
pub(super) fn depends_on(data: &Value, ns: &str) -> Vec<String> {
    at(data, "/spec/dependsOn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|d| {
            let name = d.get("name")?.as_str()?;
            let dep_ns = d.get("namespace").and_then(Value::as_str).unwrap_or(ns);
            Some(format!("{dep_ns}/{name}"))
        })
        .collect()
}
