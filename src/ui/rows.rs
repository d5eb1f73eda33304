//! Row view-models: what each list view shows, derived from the store (pure; recomputed only when the
//! store's revision changes, never per frame).
use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

use crate::model::kinds::{Family, KindId};
use crate::model::status::{Health, HealthState};
use crate::model::store::FleetStore;
use crate::model::summary::{ContextSummary, summarize_all};

/// An object's place in the fleet: enough to find it again in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// Context name.
    pub context: String,
    /// Catalogue kind.
    pub kind: KindId,
    /// Namespace (`""` for cluster-scoped).
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// One CAPI Cluster, across every management cluster.
#[derive(Debug, Clone)]
pub struct ClusterRow {
    /// Where it is.
    pub obj: ObjectRef,
    /// `status.phase`.
    pub phase: String,
    /// Its health (v1beta2 Available, or v1beta1 Ready).
    pub health: Health,
    /// Control plane `ready/desired` (v1beta2 `status.controlPlane`, else `-`).
    pub control_plane: String,
    /// Workers `ready/desired`.
    pub workers: String,
    /// `spec.topology.version`, else the control plane's reported version, else `-`.
    pub version: String,
    /// `spec.paused`.
    pub paused: bool,
    /// `spec.topology.classRef.name` / `spec.topology.class`, if a topology cluster.
    pub class: Option<String>,
    /// Creation time.
    pub created: Option<Timestamp>,
}

/// One Flux object (source, Kustomization, HelmRelease), fleet-wide.
#[derive(Debug, Clone)]
pub struct FluxRow {
    /// Where it is.
    pub obj: ObjectRef,
    /// Health.
    pub health: Health,
    /// Applied revision, artifact revision or chart version.
    pub revision: String,
    /// `spec.suspend`.
    pub suspended: bool,
}

/// One Terraform object.
#[derive(Debug, Clone)]
pub struct TerraformRow {
    /// Where it is.
    pub obj: ObjectRef,
    /// Health (PlanPending when a plan waits).
    pub health: Health,
    /// The pending plan id, if any.
    pub pending_plan: Option<String>,
    /// Output names (never values).
    pub outputs: Vec<String>,
    /// Last applied revision.
    pub revision: String,
}

/// The state filter of the Flux view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FluxFilter {
    /// Everything.
    #[default]
    All,
    /// Failed only.
    Failing,
    /// Suspended only.
    Suspended,
    /// Progressing (and Unknown) only.
    Progressing,
}

impl FluxFilter {
    /// The next filter in the cycle.
    pub fn next(self) -> FluxFilter {
        match self {
            FluxFilter::All => FluxFilter::Failing,
            FluxFilter::Failing => FluxFilter::Suspended,
            FluxFilter::Suspended => FluxFilter::Progressing,
            FluxFilter::Progressing => FluxFilter::All,
        }
    }
    /// Whether a row with this health passes.
    pub fn admits(self, h: HealthState) -> bool {
        match self {
            FluxFilter::All => true,
            FluxFilter::Failing => h == HealthState::Failed,
            FluxFilter::Suspended => h == HealthState::Suspended,
            FluxFilter::Progressing => matches!(h, HealthState::Progressing | HealthState::Unknown),
        }
    }
    /// Label for the title bar.
    pub fn label(self) -> &'static str {
        match self {
            FluxFilter::All => "all",
            FluxFilter::Failing => "failing",
            FluxFilter::Suspended => "suspended",
            FluxFilter::Progressing => "progressing",
        }
    }
}

/// Every list's rows, derived at one store revision.
#[derive(Debug, Default)]
pub struct Rows {
    /// The store revision these rows were computed at.
    pub revision: u64,
    /// Fleet view.
    pub fleet: Vec<ContextSummary>,
    /// Clusters view.
    pub clusters: Vec<ClusterRow>,
    /// Flux view (all states; the filter applies when drawing).
    pub flux: Vec<FluxRow>,
    /// Terraform view.
    pub terraform: Vec<TerraformRow>,
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn counter(v: &Value, p: &str) -> Option<i64> {
    v.pointer(p).and_then(Value::as_i64)
}

fn ready_of(v: &Value, base: &str) -> String {
    match (counter(v, &format!("{base}/readyReplicas")), counter(v, &format!("{base}/desiredReplicas"))) {
        (r, Some(d)) => format!("{}/{d}", r.unwrap_or(0)),
        _ => "-".into(),
    }
}

impl Rows {
    /// Derives every list from `store`. Sorted worst first, then by context, namespace and name.
    pub fn derive(store: &FleetStore, now: Timestamp) -> Rows {
        let mut rows = Rows { revision: store.revision(), fleet: summarize_all(store, now), ..Rows::default() };
        let cluster = KindId::find("cluster.x-k8s.io", "Cluster");
        // Several contexts may reach one server (another user, a derived alias): list its objects once, from
        // the context that sees the most (fewest Forbidden kinds), so fleet-wide lists hold no duplicates.
        let mut best: std::collections::HashMap<&str, (&str, usize)> = std::collections::HashMap::new();
        for (ctx, entry) in store.contexts() {
            let seen = entry.kinds.values().filter(|k| k.state == Some(crate::model::store::KindState::Synced)).count();
            let slot = best.entry(entry.server.as_str()).or_insert((ctx, seen));
            if seen > slot.1 {
                *slot = (ctx, seen);
            }
        }
        for (ctx, entry) in store.contexts() {
            if best.get(entry.server.as_str()).is_some_and(|(c, _)| *c != ctx) {
                continue;
            }
            for (kind, k) in &entry.kinds {
                let family = kind.spec().family;
                for o in k.objects.values() {
                    let obj = ObjectRef {
                        context: ctx.to_string(),
                        kind: *kind,
                        namespace: o.obj.metadata.namespace.clone().unwrap_or_default(),
                        name: o.obj.metadata.name.clone().unwrap_or_default(),
                    };
                    let d = &o.obj.data;
                    if Some(*kind) == cluster {
                        let class = match s(d, "/spec/topology/classRef/name") {
                            "" => Some(s(d, "/spec/topology/class")).filter(|c| !c.is_empty()).map(String::from),
                            c => Some(c.to_string()),
                        };
                        rows.clusters.push(ClusterRow {
                            obj,
                            phase: s(d, "/status/phase").to_string(),
                            health: o.health.clone(),
                            control_plane: ready_of(d, "/status/controlPlane"),
                            workers: ready_of(d, "/status/workers"),
                            version: match s(d, "/spec/topology/version") {
                                "" => "-".into(),
                                v => v.to_string(),
                            },
                            paused: d.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false),
                            class,
                            created: o.obj.metadata.creation_timestamp.as_ref().map(|t| t.0),
                        });
                    } else if family == Family::Flux {
                        let revision = [
                            "/status/lastAppliedRevision",
                            "/status/artifact/revision",
                            "/status/history/0/chartVersion",
                            "/status/lastAttemptedRevision",
                        ]
                        .iter()
                        .map(|p| s(d, p))
                        .find(|r| !r.is_empty())
                        .unwrap_or("")
                        .to_string();
                        rows.flux.push(FluxRow {
                            obj,
                            health: o.health.clone(),
                            revision,
                            suspended: d.pointer("/spec/suspend").and_then(Value::as_bool).unwrap_or(false),
                        });
                    } else if family == Family::Terraform {
                        let outputs = d
                            .pointer("/status/availableOutputs")
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
                            .unwrap_or_default();
                        rows.terraform.push(TerraformRow {
                            obj,
                            health: o.health.clone(),
                            pending_plan: Some(s(d, "/status/plan/pending").to_string()).filter(|p| !p.is_empty()),
                            outputs,
                            revision: s(d, "/status/lastAppliedRevision").to_string(),
                        });
                    }
                }
            }
        }
        // Compare by reference: cloning names per comparison would dominate the derive on big fleets.
        fn by_name(a: &ObjectRef, b: &ObjectRef) -> std::cmp::Ordering {
            a.context.cmp(&b.context).then_with(|| a.namespace.cmp(&b.namespace)).then_with(|| a.name.cmp(&b.name))
        }
        rows.clusters.sort_by(|a, b| a.health.state.cmp(&b.health.state).then_with(|| by_name(&a.obj, &b.obj)));
        rows.flux.sort_by(|a, b| a.health.state.cmp(&b.health.state).then_with(|| by_name(&a.obj, &b.obj)));
        // Terraform: plans pending first, failing next (the order), then the rest.
        let tf_rank = |h: HealthState| match h {
            HealthState::PlanPending => 0,
            HealthState::Failed => 1,
            other => 2 + other as u8,
        };
        rows.terraform.sort_by(|a, b| {
            tf_rank(a.health.state).cmp(&tf_rank(b.health.state)).then_with(|| by_name(&a.obj, &b.obj))
        });
        rows
    }
}
