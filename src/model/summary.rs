//! Cluster summaries: one row per context of the fleet, computed from the store (pure).
//!
//! This is what `fleetdeck contexts` prints and the fleet view shows: reachability, server version, nodes
//! Ready/total, CAPI clusters Available/total, Flux ready/failing/suspended, Terraform ready/failing/plans
//! pending, Crossplane composites ready/failing/paused, which kinds are Forbidden or missing, and freshness (age of the last watch event).
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;
use serde::Serialize;

use super::kinds::{Dynamic, Family, KindId, KindSet};
use super::status::HealthState;
use super::store::{ConnState, ContextEntry, FleetStore, InitialList, KindState, Origin};

/// A count of objects of one sort.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    /// All objects.
    pub total: usize,
    /// Healthy (Ready / Available).
    pub ready: usize,
    /// Failed.
    pub failing: usize,
    /// Progressing (including Unknown and Deleting).
    pub progressing: usize,
    /// Suspended (Flux, Terraform) or paused (CAPI).
    pub suspended: usize,
    /// Terraform plans waiting for approval.
    pub plans_pending: usize,
}

impl Tally {
    /// The compact form tables show: `ready/total`, then `N!` failing, `Nz` suspended or paused and, with
    /// `plans`, `Np` plans pending; `-` when there is nothing.
    pub fn compact(&self, plans: bool) -> String {
        if self.total == 0 {
            return "-".into();
        }
        let mut s = format!("{}/{}", self.ready, self.total);
        if self.failing > 0 {
            s.push_str(&format!(" {}!", self.failing));
        }
        if self.suspended > 0 {
            s.push_str(&format!(" {}z", self.suspended));
        }
        if plans && self.plans_pending > 0 {
            s.push_str(&format!(" {}p", self.plans_pending));
        }
        s
    }

    fn add(&mut self, s: HealthState) {
        self.total += 1;
        match s {
            HealthState::Ready => self.ready += 1,
            HealthState::Failed => self.failing += 1,
            HealthState::Suspended | HealthState::Paused => self.suspended += 1,
            HealthState::PlanPending => self.plans_pending += 1,
            HealthState::Progressing | HealthState::Unknown | HealthState::Deleting => self.progressing += 1,
        }
    }
}

/// The state of one kind that is not simply synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KindProblem {
    /// `plural.group` (or the core kind).
    pub kind: String,
    /// Forbidden, CrdMissing, Error or Syncing.
    pub state: KindState,
    /// Why.
    pub reason: String,
}

/// One context's summary. JSON shape documented in the README (`fleetdeck contexts -o json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextSummary {
    /// Context name (derived: `<management>/<namespace>/<cluster>`).
    pub name: String,
    /// Where it came from.
    pub origin: Origin,
    /// API server URL.
    pub server: String,
    /// Connection state.
    pub state: ConnState,
    /// Why (errors), empty when Ready.
    pub reason: String,
    /// When the state began (RFC 3339).
    pub since: String,
    /// kube-apiserver `gitVersion`.
    pub version: Option<String>,
    /// Kinds served and synced / served in all.
    pub kinds_synced: usize,
    /// Kinds served (not CrdMissing, not Forbidden).
    pub kinds_served: usize,
    /// Kinds that are Forbidden, erroring or still syncing (CrdMissing kinds are listed only by count).
    pub problems: Vec<KindProblem>,
    /// Catalogue kinds the cluster does not serve.
    pub kinds_missing: usize,
    /// Nodes (Ready / total).
    pub nodes: Tally,
    /// CAPI Clusters managed here (Available / total).
    pub capi_clusters: Tally,
    /// Flux objects (sources, Kustomizations, HelmReleases).
    pub flux: Tally,
    /// Terraform objects.
    pub terraform: Tally,
    /// Crossplane composite resources (XRs) at the root of their composition (a claim's XR counts once,
    /// for the claim; nested XRs are counted in their root's health, not again).
    pub crossplane: Tally,
    /// When the last watch event arrived (RFC 3339), if any.
    pub last_event: Option<String>,
    /// Seconds since the last watch event.
    pub freshness_seconds: Option<f64>,
    /// How the synced kinds fetched their initial state: `streaming` (WatchList), `list`, or `mixed` while a
    /// server's refusal is being learnt; `None` before any kind listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_list: Option<&'static str>,
    /// The context whose connection this one shares (same cluster and user entries, so the same objects;
    /// see `FleetOptions::share_connections`); its counts are that context's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shares_connection_of: Option<String>,
    /// For a cluster of a hub's inventory (`Origin::Profile`), what its ClusterProfile says:
    /// `ControlPlaneHealthy True (Healthy), v1.34.1, location=eu-west-1` (the condition's status and reason,
    /// `status.version.kubernetes`, `status.properties` as name=value), read from the hub's watched profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

impl ContextSummary {
    /// Whether this context has reached a state worth printing once (`fleetdeck contexts`): dead, or every
    /// served kind synced, forbidden or missing. A context whose user may read none of the kinds (every one
    /// Forbidden: nothing served, only problems) is settled too; one whose discovery has not answered yet
    /// (no kind known) is not.
    pub fn settled(&self) -> bool {
        match self.state {
            ConnState::Unreachable | ConnState::Unauthorized => true,
            ConnState::Connecting => false,
            ConnState::Ready if self.origin.alias_of().is_some() => true,
            ConnState::Ready => {
                let known = self.kinds_served > 0 || !self.problems.is_empty();
                known && self.kinds_synced == self.kinds_served
            }
        }
    }

    /// A rank for worst-first sorting (lower is worse).
    pub fn rank(&self) -> u8 {
        match self.state {
            ConnState::Unreachable | ConnState::Unauthorized => 0,
            ConnState::Connecting => 2,
            ConnState::Ready if self.capi_clusters.failing + self.flux.failing + self.terraform.failing > 0 => 1,
            ConnState::Ready if !self.problems.is_empty() || self.nodes.ready < self.nodes.total => 3,
            ConnState::Ready => 4,
        }
    }
}

/// The label Crossplane puts on every composed resource and XR: the name of the root XR
/// (crossplane-runtime `pkg/xcrd/schemas.go` `LabelKeyNamePrefixForComposed`).
pub const COMPOSITE: &str = "crossplane.io/composite";

/// The kinds a summary reads (`fleetdeck contexts` watches only these): Cluster API Clusters, Nodes, the
/// Flux kinds, Terraform, and Crossplane's XRDs (from which the XR kinds follow). Kind problems (forbidden,
/// erroring) are reported among these.
pub fn kinds() -> KindSet {
    let families = KindSet::family(Family::Flux).union(KindSet::family(Family::Terraform));
    // ClusterProfile: a hub's inventory becomes derived contexts (`fleet::profiles`), listed in the Fleet view.
    families.with(KindId::CLUSTER).with(KindId::NODE).with(KindId::XRD).with(KindId::CLUSTER_PROFILE)
}

/// Summarises one context at time `now`.
pub fn summarize(name: &str, c: &ContextEntry, now: Timestamp) -> ContextSummary {
    let mut s = ContextSummary {
        name: name.to_string(),
        origin: c.origin.clone(),
        server: c.server.clone(),
        state: c.state,
        reason: c.reason.clone(),
        since: c.since.to_string(),
        version: c.server_version.clone(),
        kinds_synced: 0,
        kinds_served: 0,
        problems: Vec::new(),
        kinds_missing: 0,
        nodes: Tally::default(),
        capi_clusters: Tally::default(),
        flux: Tally::default(),
        terraform: Tally::default(),
        crossplane: Tally::default(),
        last_event: c.last_event.map(|t| t.to_string()),
        freshness_seconds: c.last_event.map(|t| now.duration_since(t).as_secs_f64().max(0.0)),
        initial_list: None,
        shares_connection_of: None,
        profile: None,
    };
    let (mut streamed, mut listed) = (false, false);
    for (kind, k) in &c.kinds {
        match k.state {
            Some(KindState::CrdMissing) => s.kinds_missing += 1,
            Some(KindState::Synced) => {
                s.kinds_served += 1;
                s.kinds_synced += 1;
            }
            Some(state @ (KindState::Forbidden | KindState::Error | KindState::Syncing)) => {
                if state != KindState::Forbidden {
                    s.kinds_served += 1;
                }
                s.problems.push(KindProblem { kind: kind.to_string(), state, reason: k.reason.clone() });
            }
            None => {}
        }
        match k.initial_list {
            Some(InitialList::Streaming) => streamed = true,
            Some(InitialList::List) => listed = true,
            None => {}
        }
        if kind.dynamic_role() == Some(Dynamic::Composite) {
            // A root XR labels itself `crossplane.io/composite: <its name>`; nested XRs carry the root's.
            let roots = k.objects.values().filter(|o| o.label(COMPOSITE).is_none_or(|root| root == o.name()));
            for o in roots {
                // An XR whose composed resource fails is failing, whatever its own Ready says (`Creating`).
                let failing = o.health.state != HealthState::Ready && composes_a_failure(c, o, 4);
                s.crossplane.add(if failing { HealthState::Failed } else { o.health.state });
            }
            continue;
        }
        let tally = match kind.spec().family {
            _ if *kind == KindId::CLUSTER => &mut s.capi_clusters,
            _ if *kind == KindId::NODE => &mut s.nodes,
            Family::Flux => &mut s.flux,
            Family::Terraform => &mut s.terraform,
            _ => continue,
        };
        for o in k.objects.values() {
            tally.add(o.health.state);
        }
    }
    s.initial_list = match (streamed, listed) {
        (true, false) => Some("streaming"),
        (false, true) => Some("list"),
        (true, true) => Some("mixed"),
        (false, false) => None,
    };
    s
}

/// Whether a resource `xr` references (directly, or through nested XRs down to `depth` levels) is Failed in
/// the store. Reads only objects already parsed or parsed once per version (`StoredObject::obj`).
fn composes_a_failure(c: &ContextEntry, xr: &super::object::StoredObject, depth: usize) -> bool {
    super::crossplane::references(xr.obj()).iter().any(|r| {
        let Some(kind) = KindId::find(r.group(), &r.kind) else { return false };
        let ns = if kind.spec().namespaced { r.namespace.clone() } else { String::new() };
        let Some(o) = c.kinds.get(&kind).and_then(|k| k.objects.get(&(ns, r.name.clone()))) else { return false };
        o.health.state == HealthState::Failed
            || (depth > 0 && kind.dynamic_role() == Some(Dynamic::Composite) && composes_a_failure(c, o, depth - 1))
    })
}

/// Every context's summary, worst first, then by name. A derived alias takes the counts of the context it
/// aliases (it opens no watches of its own), and its state when that context's server does not answer: the
/// alias's own probe (with the Secret's credentials) runs only every lineage rescan, but the server is the
/// same, so an Unreachable source makes the alias Unreachable at once (`via <source>: <reason>`).
pub fn summarize_all(store: &FleetStore, now: Timestamp) -> Vec<ContextSummary> {
    SummaryCache::default().summarize_all(store, now)
}

/// The summaries of [`summarize_all`], each kept with the context's revision
/// ([`ContextEntry::revision`]) and recomputed only when it moved: on a fleet of a thousand contexts, the
/// cockpit's rows update after each batch of messages touches a few contexts, not all of them.
#[derive(Debug, Default)]
pub struct SummaryCache {
    by_name: std::collections::HashMap<String, (u64, ContextSummary)>,
    /// [`ContextSummary::profile`] by context, with the profile object it was read from (a changed profile
    /// is a new `Arc`): its JSON is parsed once per change, not per update.
    profiles: std::collections::HashMap<String, (Arc<crate::model::object::StoredObject>, String)>,
}

impl SummaryCache {
    /// [`summarize_all`], reusing the summaries of contexts that did not change (their freshness is
    /// recomputed for `now`).
    pub fn summarize_all(&mut self, store: &FleetStore, now: Timestamp) -> Vec<ContextSummary> {
        let mut seen = std::collections::HashSet::new();
        let mut rows: Vec<ContextSummary> = store
            .contexts()
            .map(|(n, c)| {
                seen.insert(n);
                let mut s = match self.by_name.get(n) {
                    Some((rev, s)) if *rev == c.revision => ContextSummary {
                        last_event: c.last_event.map(|t| t.to_string()),
                        freshness_seconds: c.last_event.map(|t| now.duration_since(t).as_secs_f64().max(0.0)),
                        ..s.clone()
                    },
                    _ => {
                        let s = summarize(n, c, now);
                        self.by_name.insert(n.to_string(), (c.revision, s.clone()));
                        s
                    }
                };
                s.shares_connection_of = store.shares_with(n).map(String::from);
                s
            })
            .collect();
        self.by_name.retain(|n, _| seen.contains(n.as_str()));
        alias_follows_source(&mut rows);
        for r in &mut rows {
            if let Origin::Profile { hub, namespace, name, .. } = &r.origin {
                r.profile = store.get(hub, KindId::CLUSTER_PROFILE, namespace, name).map(|o| {
                    match self.profiles.get(&r.name) {
                        Some((read, text)) if Arc::ptr_eq(read, o) => text.clone(),
                        _ => {
                            let text = profile_text(o);
                            self.profiles.insert(r.name.clone(), (o.clone(), text.clone()));
                            text
                        }
                    }
                });
            }
        }
        self.profiles.retain(|n, _| seen.contains(n.as_str()));
        rows.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.name.cmp(&b.name)));
        rows
    }
}

/// What a ClusterProfile says of its cluster (see [`ContextSummary::profile`]).
fn profile_text(o: &crate::model::object::StoredObject) -> String {
    let v: serde_json::Value = serde_json::from_str(&o.json()).unwrap_or_default();
    let condition = v
        .pointer("/status/conditions")
        .and_then(serde_json::Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "ControlPlaneHealthy"));
    let mut parts = vec![match condition {
        Some(c) => format!(
            "ControlPlaneHealthy {} ({})",
            c["status"].as_str().unwrap_or("?"),
            c["reason"].as_str().unwrap_or("")
        ),
        None => "no ControlPlaneHealthy condition".to_string(),
    }];
    if let Some(version) = v.pointer("/status/version/kubernetes").and_then(serde_json::Value::as_str) {
        parts.push(version.to_string());
    }
    for p in v.pointer("/status/properties").and_then(serde_json::Value::as_array).into_iter().flatten() {
        if let (Some(n), Some(val)) = (p["name"].as_str(), p["value"].as_str()) {
            parts.push(format!("{n}={val}"));
        }
    }
    parts.join(", ")
}

/// An alias (a derived context reaching a server another context watches) shows its source's counts, and
/// its Unreachable.
fn alias_follows_source(rows: &mut [ContextSummary]) {
    let sources: std::collections::HashMap<String, ContextSummary> = rows
        .iter()
        .filter_map(|r| r.origin.alias_of().map(str::to_owned))
        .filter_map(|a| Some((a.clone(), rows.iter().find(|x| x.name == a)?.clone())))
        .collect();
    for r in rows.iter_mut() {
        if let Some(a) = r.origin.alias_of()
            && let Some(src) = sources.get(a)
        {
            r.nodes = src.nodes;
            r.capi_clusters = src.capi_clusters;
            r.flux = src.flux;
            r.terraform = src.terraform;
            r.crossplane = src.crossplane;
            r.kinds_served = src.kinds_served;
            r.kinds_synced = src.kinds_synced;
            r.kinds_missing = src.kinds_missing;
            if src.state == ConnState::Unreachable && r.state != ConnState::Unreachable {
                r.state = ConnState::Unreachable;
                r.reason = format!("via {}: {}", src.name, src.reason);
                r.since = src.since.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{KindEvent, StoreEvent, StoreMsg};

    fn msg(context: &str, event: StoreEvent) -> StoreMsg {
        StoreMsg { context: context.into(), generation: 1, event }
    }

    /// A context whose user is forbidden every kind is settled once each kind has said so (commands that sync
    /// the whole fleet, e.g. `fleetdeck tree kustomization`, waited their full deadline for it).
    #[test]
    fn a_context_forbidden_every_kind_is_settled() {
        let t = Timestamp::UNIX_EPOCH;
        let mut store = FleetStore::new();
        store.apply(msg("r", StoreEvent::Registered { server: "https://x".into(), origin: Origin::Kubeconfig }), t);
        store.apply(msg("r", StoreEvent::Ready { server_version: "v1.37.2".into() }), t);
        let settled = |store: &FleetStore| summarize_all(store, t).iter().find(|r| r.name == "r").expect("r").settled();
        assert!(!settled(&store), "nothing known yet");
        for kind in [KindId::NODE, KindId::KUSTOMIZATION] {
            store.apply(msg("r", StoreEvent::Kind(kind, KindEvent::Served { version: "v1".into() })), t);
        }
        assert!(!settled(&store), "syncing");
        store.apply(msg("r", StoreEvent::Kind(KindId::NODE, KindEvent::Forbidden("nodes is forbidden".into()))), t);
        assert!(!settled(&store), "one kind still syncing");
        let forbidden = KindEvent::Forbidden("kustomizations is forbidden".into());
        store.apply(msg("r", StoreEvent::Kind(KindId::KUSTOMIZATION, forbidden)), t);
        assert!(settled(&store), "every kind forbidden");
    }

    /// An alias follows its source's Unreachable at once, whatever its own (30 s) probe last said.
    #[test]
    fn an_alias_is_unreachable_as_soon_as_its_shared_server_is() {
        let t = Timestamp::UNIX_EPOCH;
        let mut store = FleetStore::new();
        let alias = Origin::Derived {
            management: "mgmt".into(),
            namespace: "platform".into(),
            cluster: "dev-eu".into(),
            alias_of: Some("dev-eu".into()),
        };
        store
            .apply(msg("dev-eu", StoreEvent::Registered { server: "https://x".into(), origin: Origin::Kubeconfig }), t);
        store.apply(
            msg("mgmt/platform/dev-eu", StoreEvent::Registered { server: "https://x".into(), origin: alias }),
            t,
        );
        for ctx in ["dev-eu", "mgmt/platform/dev-eu"] {
            store.apply(msg(ctx, StoreEvent::Ready { server_version: "v1.37.2".into() }), t);
        }
        let row = |rows: &[ContextSummary], n: &str| rows.iter().find(|r| r.name == n).cloned().expect("row");
        let rows = summarize_all(&store, t);
        assert_eq!(row(&rows, "mgmt/platform/dev-eu").state, ConnState::Ready);

        store.apply(msg("dev-eu", StoreEvent::Unreachable("no answer within 3 s".into())), t);
        let rows = summarize_all(&store, t);
        let alias_row = row(&rows, "mgmt/platform/dev-eu");
        assert_eq!(alias_row.state, ConnState::Unreachable);
        assert_eq!(alias_row.reason, "via dev-eu: no answer within 3 s");
        assert!(alias_row.settled());

        // The source back: the alias shows its own probe's state again.
        store.apply(msg("dev-eu", StoreEvent::Ready { server_version: "v1.37.2".into() }), t);
        assert_eq!(row(&summarize_all(&store, t), "mgmt/platform/dev-eu").state, ConnState::Ready);
    }
}
