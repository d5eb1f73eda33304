//! What one connected phase's objects ask to watch: the XRD watch and each XR and claim watch carry an
//! [`Observer`], which reports every object (before it is compacted) to the phase's [`Wanted`]: the kinds
//! it asks for ([`crate::model::crossplane::wanted_by_definition`] /
//! [`crate::model::crossplane::wanted_by_references`]), mirroring the watch's relists so that deleted objects
//! stop asking. [`super::dynamic::Watches`] reads the set and opens or closes the watches.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kube::api::DynamicObject;
use tokio::sync::Notify;

use crate::model::crossplane::{self, Wanted as Want};
use crate::model::kinds::{Dynamic, KindId};

pub use crate::model::crossplane::Reader;

/// What a watch tells [`Wanted`] about its objects, mirroring kube-runtime's watcher events.
#[derive(Debug)]
pub enum Seen<'a> {
    /// A (re)list begins.
    Init,
    /// An object of the (re)list, or added or changed.
    Apply(&'a DynamicObject),
    /// An object was deleted.
    Delete(&'a DynamicObject),
    /// The (re)list is complete.
    InitDone,
}

type ObjectKey = (String, String);

#[derive(Default)]
struct Source {
    live: BTreeMap<ObjectKey, Vec<Want>>,
    relist: Option<BTreeMap<ObjectKey, Vec<Want>>>,
}

/// The kinds the objects of one connected phase ask to watch, by the watch (kind) that saw each object.
/// Shared by the watch tasks (writers) and the connection task (reader).
#[derive(Default)]
pub struct Wanted {
    sources: Mutex<BTreeMap<KindId, Source>>,
    /// What the operator asked for (`FleetOptions::watch_kinds`), always wanted.
    asked: Vec<Want>,
    changed: Notify,
}

fn key(o: &DynamicObject) -> ObjectKey {
    (o.metadata.namespace.clone().unwrap_or_default(), o.metadata.name.clone().unwrap_or_default())
}

impl Wanted {
    /// An empty set, shared.
    pub fn new() -> Arc<Wanted> {
        Arc::new(Wanted::default())
    }

    /// A set that always holds the kinds the operator asked for: each `plural.group` or `Kind.group` of
    /// `asked` (texts without a `.` are ignored). Their version is found through discovery (`""`), and the
    /// name may be the plural: [`super::dynamic`] matches either.
    pub fn with_asked(asked: &[String]) -> Arc<Wanted> {
        let asked = asked
            .iter()
            .filter_map(|t| t.split_once('.'))
            .filter(|(name, group)| !name.is_empty() && !group.is_empty())
            .map(|(name, group)| (group.to_string(), String::new(), name.to_string(), Dynamic::Managed))
            .collect();
        Arc::new(Wanted { asked, ..Wanted::default() })
    }

    /// Records what the watch of `source` saw; wakes [`Wanted::changed`] when the kinds an object asks for
    /// changed (or a relist completed).
    pub fn observe(&self, source: KindId, read: Reader, seen: Seen<'_>) {
        let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        let s = sources.entry(source).or_default();
        let changed = match seen {
            Seen::Init => {
                s.relist = Some(BTreeMap::new());
                false
            }
            // Objects that ask for nothing are not kept (most Machines reference only catalogue kinds).
            Seen::Apply(o) => {
                let wants = read(o);
                match (s.relist.as_mut(), wants.is_empty()) {
                    (Some(_), true) => false,
                    (Some(relist), false) => {
                        relist.insert(key(o), wants);
                        false
                    }
                    (None, true) => s.live.remove(&key(o)).is_some(),
                    (None, false) => s.live.insert(key(o), wants.clone()).is_none_or(|old| old != wants),
                }
            }
            Seen::Delete(o) => s.live.remove(&key(o)).is_some_and(|old| !old.is_empty()),
            Seen::InitDone => {
                s.live = s.relist.take().unwrap_or_default();
                true
            }
        };
        drop(sources);
        if changed {
            self.changed.notify_one();
        }
    }

    /// Forgets what the watch of `source` saw (it stopped).
    pub fn forget(&self, source: KindId) {
        let removed = self.sources.lock().unwrap_or_else(|e| e.into_inner()).remove(&source).is_some();
        if removed {
            self.changed.notify_one();
        }
    }

    /// Every kind asked for, `(group, kind) -> (version, role)`: a kind an XRD defines keeps the XRD's
    /// version and role; otherwise the first reference's version (in kind and object order) wins.
    pub fn snapshot(&self) -> BTreeMap<(String, String), (String, Dynamic)> {
        let sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: BTreeMap<(String, String), (String, Dynamic)> = BTreeMap::new();
        for (group, version, kind, role) in sources.values().flat_map(|s| s.live.values()).flatten().chain(&self.asked)
        {
            let slot = out.entry((group.clone(), kind.clone())).or_insert_with(|| (version.clone(), *role));
            if *role > slot.1 {
                *slot = (version.clone(), *role);
            }
        }
        out
    }

    /// Resolves when the set may have changed since the last call (at once if it changed meanwhile).
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// A watch's link to [`Wanted`]: which objects it reports and how to read what they ask for.
#[derive(Clone)]
pub struct Observer {
    /// The phase's wanted set.
    pub wanted: Arc<Wanted>,
    /// What an object asks for.
    pub read: Reader,
}

impl Observer {
    /// The observer of a watch of `kind`, when its objects ask for kinds ([`crossplane::reader`]: XRDs, XRs
    /// and claims, Cluster API Clusters, Machines and MachinePools); `None` for the others.
    pub fn of(kind: KindId, wanted: &Arc<Wanted>) -> Option<Observer> {
        crossplane::reader(kind).map(|read| Observer { wanted: wanted.clone(), read })
    }

    /// Reports what the watch of `kind` saw.
    pub fn seen(&self, kind: KindId, seen: Seen<'_>) {
        self.wanted.observe(kind, self.read, seen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn xr(name: &str, refs: &[(&str, &str)]) -> DynamicObject {
        let refs: Vec<_> =
            refs.iter().map(|(av, k)| json!({"apiVersion": av, "kind": k, "name": format!("{name}-x")})).collect();
        serde_json::from_value(json!({"apiVersion": "example.org/v1", "kind": "XDb", "metadata": {"name": name},
            "spec": {"resourceRefs": refs}}))
        .expect("object")
    }

    #[test]
    fn the_wanted_set_follows_objects_and_relists() {
        let wanted = Wanted::new();
        let source = KindId::dynamic("example.org", "XDbForTest", "xdbfortests", false, Dynamic::Composite).unwrap();
        let obs = Observer::of(source, &wanted).expect("a composite's watch observes");
        let a = xr("a", &[("rds.aws.upbound.io/v1beta1", "Instance")]);
        let b = xr("b", &[("s3.aws.upbound.io/v1beta1", "Bucket"), ("rds.aws.upbound.io/v1beta1", "Instance")]);
        obs.seen(source, Seen::Init);
        obs.seen(source, Seen::Apply(&a));
        assert!(wanted.snapshot().is_empty(), "nothing counts before the list is complete");
        obs.seen(source, Seen::InitDone);
        assert_eq!(wanted.snapshot().len(), 1);
        obs.seen(source, Seen::Apply(&b));
        let kinds: Vec<_> = wanted.snapshot().into_keys().map(|(_, k)| k).collect();
        assert_eq!(kinds, ["Instance", "Bucket"], "by group: rds.aws... before s3.aws...");
        obs.seen(source, Seen::Delete(&b));
        assert_eq!(wanted.snapshot().len(), 1);
        // A relist without `a`: it stops asking.
        obs.seen(source, Seen::Init);
        obs.seen(source, Seen::InitDone);
        assert!(wanted.snapshot().is_empty());
        obs.seen(source, Seen::Apply(&a));
        wanted.forget(source);
        assert!(wanted.snapshot().is_empty());
    }

    #[test]
    fn a_kind_an_xrd_defines_keeps_its_role_and_version() {
        let wanted = Wanted::new();
        let xrd: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
            "metadata": {"name": "xnets.example.org"},
            "spec": {"group": "example.org", "names": {"kind": "XNet", "plural": "xnets"},
                "versions": [{"name": "v2", "served": true, "referenceable": true}]}}))
        .expect("xrd");
        let parent = xr("p", &[("example.org/v1", "XNet")]);
        Observer::of(KindId::XRD, &wanted).expect("an XRD watch observes").seen(KindId::XRD, Seen::Apply(&xrd));
        let source = KindId::dynamic("example.org", "XDbForTest2", "xdbfortest2s", false, Dynamic::Composite).unwrap();
        Observer::of(source, &wanted).expect("a composite's watch observes").seen(source, Seen::Apply(&parent));
        let snap = wanted.snapshot();
        assert_eq!(snap.get(&("example.org".into(), "XNet".into())), Some(&("v2".to_string(), Dynamic::Composite)));
    }
}
