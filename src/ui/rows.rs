//! Row view-models: what each list view shows, derived from the store (pure; brought up to date only when
//! the store's revision changes, never per frame).
//!
//! Incremental: [`Rows::update`] revisits only the (context, kind) pairs whose
//! [`KindEntry::revision`](crate::model::store::KindEntry::revision) moved, and within them rebuilds only
//! the rows of objects that were replaced (the store swaps in a new `Arc<StoredObject>` on every change, so a
//! pointer comparison tells). Each list is kept sorted in a `BTreeSet`, so a change costs `O(log n)` there,
//! and the lists hand out `Arc`ed rows, so refreshing a list of 10,000 rows copies pointers, not strings.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use k8s_openapi::jiff::Timestamp;

use crate::model::columns::Columns;
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::model::status::{Health, HealthState};
use crate::model::store::{ConnState, FleetStore, KindState, StoredObject};
use crate::model::summary::{ContextSummary, SummaryCache};

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
    /// When tofu-controller last planned (`status.lastPlanAt`).
    pub last_plan_at: Option<Timestamp>,
}

/// One Crossplane claim or composite resource (XR), fleet-wide.
#[derive(Debug, Clone)]
pub struct CrossplaneRow {
    /// Where it is (its kind says claim or XR: `obj.kind.dynamic_role()`).
    pub obj: ObjectRef,
    /// Health (Crossplane's `Synced` / `Ready`, paused).
    pub health: Health,
    /// `Synced` status, `-` when absent.
    pub synced: String,
    /// `Ready` status, `-` when absent.
    pub ready: String,
    /// The Composition it uses.
    pub composition: String,
    /// How many resources it references.
    pub resources: usize,
}

/// The state filter of the Flux view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FluxFilter {
    /// Everything.
    #[default]
    All,
    /// Failed only.
    Failing,
    /// Suspended (Flux) or paused (Crossplane) only.
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
            FluxFilter::Suspended => matches!(h, HealthState::Suspended | HealthState::Paused),
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

/// Every list's rows, as of one store revision. Build with [`Rows::derive`], keep current with
/// [`Rows::update`].
#[derive(Debug, Default)]
pub struct Rows {
    /// The store revision these rows were brought up to date at.
    pub revision: u64,
    /// Fleet view.
    pub fleet: Vec<ContextSummary>,
    /// Clusters view, worst first, then by context, namespace and name.
    pub clusters: Vec<Arc<ClusterRow>>,
    /// Flux view (all states; the filter applies when drawing), worst first, then by context, namespace,
    /// name.
    pub flux: Vec<Arc<FluxRow>>,
    /// Terraform view: plans pending first, failing next (the order), then the rest by health.
    pub terraform: Vec<Arc<TerraformRow>>,
    /// Crossplane view (claims, XRs and packages; all states, the state filter applies when drawing), worst
    /// first, then by context, namespace, name.
    pub crossplane: Vec<Arc<CrossplaneRow>>,
    /// Pulse view: the store's pulse lines, newest first.
    pub pulse: Vec<Arc<crate::model::pulse::PulseLine>>,
    pulse_revision: Option<u64>,
    /// `(synced, total)` contexts: how many of the fleet's contexts are Ready with every served kind synced
    /// (or are an alias of one). The fleet-wide lists hold only what the synced ones sent, so the views say
    /// "partial" while `synced < total`.
    pub synced: (usize, usize),
    /// The contexts whose objects the lists show: one per server (contexts reaching the same server see the
    /// same objects), the one with the most kinds synced.
    pub listed: Vec<Arc<str>>,
    /// The Clusters view's MHC column: each Cluster's MachineHealthChecks summed, by the Cluster.
    pub health_checks: HashMap<ObjectRef, crate::model::remediation::ClusterChecks>,
    /// The MachineHealthCheck kind revision per context `health_checks` was built from.
    checks_revisions: Vec<(Arc<str>, u64)>,
    /// The Crossplane view's causes: for a claim or XR, the first object under it that fails
    /// (`model::xp_tree::cause`); its row sorts as Failed and says which object and why.
    pub crossplane_causes: HashMap<ObjectRef, crate::model::xp_tree::Cause>,
    /// A fingerprint per context of the Crossplane kinds `crossplane_causes` was built from.
    causes_revisions: Vec<(Arc<str>, u64)>,
    cache: Cache,
    /// The fleet summaries by context revision (a thousand contexts are not summarised per frame).
    summaries: SummaryCache,
}

/// A row of one of the object lists.
#[derive(Debug, Clone)]
enum Row {
    Cluster(Arc<ClusterRow>),
    Flux(Arc<FluxRow>),
    Terraform(Arc<TerraformRow>),
    Crossplane(Arc<CrossplaneRow>),
}

/// The rows of one (context, kind), in the store's (namespace, name) order, with the object each was built
/// from.
#[derive(Debug)]
struct KindRows {
    revision: u64,
    entries: Vec<(Arc<StoredObject>, Option<Row>)>,
}

#[derive(Debug, Default)]
struct Cache {
    kinds: HashMap<Arc<str>, BTreeMap<KindId, KindRows>>,
    sets: Sets,
}

/// The three lists in display order, and which changed since they were last copied out.
#[derive(Debug, Default)]
struct Sets {
    clusters: BTreeSet<Sorted<ClusterRow>>,
    flux: BTreeSet<Sorted<FluxRow>>,
    terraform: BTreeSet<Sorted<TerraformRow>>,
    crossplane: BTreeSet<Sorted<CrossplaneRow>>,
    changed: [bool; 4],
}

impl Sets {
    fn insert(&mut self, row: &Row) {
        match row {
            Row::Cluster(r) => self.changed[0] |= self.clusters.insert(Sorted(r.clone())),
            Row::Flux(r) => self.changed[1] |= self.flux.insert(Sorted(r.clone())),
            Row::Terraform(r) => self.changed[2] |= self.terraform.insert(Sorted(r.clone())),
            Row::Crossplane(r) => self.changed[3] |= self.crossplane.insert(Sorted(r.clone())),
        }
    }
    fn remove(&mut self, row: &Row) {
        match row {
            Row::Cluster(r) => self.changed[0] |= self.clusters.remove(&Sorted(r.clone())),
            Row::Flux(r) => self.changed[1] |= self.flux.remove(&Sorted(r.clone())),
            Row::Terraform(r) => self.changed[2] |= self.terraform.remove(&Sorted(r.clone())),
            Row::Crossplane(r) => self.changed[3] |= self.crossplane.remove(&Sorted(r.clone())),
        }
    }
}

/// Where a row sorts: a rank from its health, then context, namespace, name and kind.
trait Ranked {
    fn rank(&self) -> u8;
    fn obj(&self) -> &ObjectRef;
}

impl Ranked for ClusterRow {
    fn rank(&self) -> u8 {
        self.health.state as u8
    }
    fn obj(&self) -> &ObjectRef {
        &self.obj
    }
}

impl Ranked for FluxRow {
    fn rank(&self) -> u8 {
        self.health.state as u8
    }
    fn obj(&self) -> &ObjectRef {
        &self.obj
    }
}

impl Ranked for TerraformRow {
    /// Plans pending first, failing next, then the rest by health.
    fn rank(&self) -> u8 {
        match self.health.state {
            HealthState::PlanPending => 0,
            HealthState::Failed => 1,
            other => 2 + other as u8,
        }
    }
    fn obj(&self) -> &ObjectRef {
        &self.obj
    }
}

impl Ranked for CrossplaneRow {
    fn rank(&self) -> u8 {
        self.health.state as u8
    }
    fn obj(&self) -> &ObjectRef {
        &self.obj
    }
}

/// A row ordered for display (see [`Ranked`]); (context, kind, namespace, name) is unique, so the order is
/// total.
#[derive(Debug)]
struct Sorted<R>(Arc<R>);

impl<R: Ranked> Ord for Sorted<R> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (self.0.obj(), other.0.obj());
        self.0
            .rank()
            .cmp(&other.0.rank())
            .then_with(|| a.context.cmp(&b.context))
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.kind.cmp(&b.kind))
    }
}

impl<R: Ranked> PartialOrd for Sorted<R> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<R: Ranked> PartialEq for Sorted<R> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl<R: Ranked> Eq for Sorted<R> {}

/// The row of `o`, from the columns read when it arrived (`None` for kinds no list shows).
fn row(context: &str, kind: KindId, o: &StoredObject) -> Option<Row> {
    let obj = ObjectRef {
        context: context.to_string(),
        kind,
        namespace: o.namespace().to_string(),
        name: o.name().to_string(),
    };
    let health = o.health.clone();
    Some(match &o.columns {
        Columns::Cluster(c) => Row::Cluster(Arc::new(ClusterRow {
            obj,
            phase: c.phase.clone(),
            health,
            control_plane: c.control_plane.clone(),
            workers: c.workers.clone(),
            version: c.version.clone(),
            paused: c.paused,
            class: c.class.clone(),
            created: c.created,
        })),
        Columns::Flux(c) => {
            Row::Flux(Arc::new(FluxRow { obj, health, revision: c.revision.clone(), suspended: c.suspended }))
        }
        Columns::Terraform(c) => Row::Terraform(Arc::new(TerraformRow {
            obj,
            health,
            pending_plan: c.pending_plan.clone(),
            outputs: c.outputs.clone(),
            revision: c.revision.clone(),
            last_plan_at: c.last_plan_at,
        })),
        Columns::Crossplane(c) => Row::Crossplane(Arc::new(CrossplaneRow {
            obj,
            health,
            synced: c.synced.clone(),
            ready: c.ready.clone(),
            composition: c.composition.clone(),
            resources: c.resources,
        })),
        Columns::None => return None,
    })
}

/// The contexts whose objects are listed. Several contexts may reach one server (another user, a derived
/// alias): its objects are listed once, from the context that sees the most (most Synced kinds), so
/// fleet-wide lists hold no duplicates.
fn listed_contexts(store: &FleetStore) -> Vec<&str> {
    let mut best: HashMap<&str, (&str, usize)> = HashMap::new();
    for (ctx, entry) in store.contexts() {
        let seen = entry.kinds.values().filter(|k| k.state == Some(KindState::Synced)).count();
        let slot = best.entry(entry.server.as_str()).or_insert((ctx, seen));
        if seen > slot.1 {
            *slot = (ctx, seen);
        }
    }
    store
        .contexts()
        .filter(|(ctx, e)| best.get(e.server.as_str()).is_some_and(|(c, _)| c == ctx))
        .map(|(ctx, _)| ctx)
        .collect()
}

/// Brings `rows` of `kind` in `context` in line with `objects` (both in (namespace, name) order): rows of
/// objects still stored as the same `Arc` are kept, the others rebuilt, added or removed.
fn merge(
    context: &str,
    kind: KindId,
    rows: Vec<(Arc<StoredObject>, Option<Row>)>,
    objects: impl ExactSizeIterator<Item = Arc<StoredObject>>,
    sets: &mut Sets,
) -> Vec<(Arc<StoredObject>, Option<Row>)> {
    let mut old = rows.into_iter().peekable();
    let mut out = Vec::with_capacity(objects.len());
    'objects: for o in objects {
        while let Some((prev, _)) = old.peek() {
            if Arc::ptr_eq(prev, &o) {
                out.extend(old.next());
                continue 'objects;
            }
            match (prev.namespace(), prev.name()).cmp(&(o.namespace(), o.name())) {
                std::cmp::Ordering::Less => {
                    if let Some((_, Some(r))) = old.next() {
                        sets.remove(&r);
                    }
                }
                std::cmp::Ordering::Equal => {
                    if let Some((_, Some(r))) = old.next() {
                        sets.remove(&r);
                    }
                    break;
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        let r = row(context, kind, &o);
        if let Some(r) = &r {
            sets.insert(r);
        }
        out.push((o, r));
    }
    for (_, r) in old {
        if let Some(r) = r {
            sets.remove(&r);
        }
    }
    out
}

impl Rows {
    /// Derives every list from `store`. Sorted worst first, then by context, namespace and name.
    pub fn derive(store: &FleetStore, now: Timestamp) -> Rows {
        let mut rows = Rows::default();
        rows.update(store, now);
        rows
    }

    /// Brings every list up to date with `store`, revisiting only what changed (see the module docs); the
    /// fleet summaries are recomputed (they hold times relative to `now`).
    pub fn update(&mut self, store: &FleetStore, now: Timestamp) {
        self.revision = store.revision();
        self.fleet = self.summaries.summarize_all(store, now);
        let synced = self.fleet.iter().filter(|c| c.state == ConnState::Ready && c.settled()).count();
        self.synced = (synced, self.fleet.len());
        if self.pulse_revision != Some(store.pulse().revision()) {
            self.pulse_revision = Some(store.pulse().revision());
            self.pulse = store.pulse().lines();
        }
        let listed = listed_contexts(store);
        if listed.len() != self.listed.len() || listed.iter().zip(&self.listed).any(|(a, b)| *a != b.as_ref()) {
            self.listed = listed.iter().map(|c| Arc::from(*c)).collect();
        }
        self.update_health_checks(store, &listed);
        let Cache { kinds, sets } = &mut self.cache;
        // Forget contexts and kinds that are gone or no longer listed.
        kinds.retain(|ctx, by_kind| {
            let entry = store.context(ctx).filter(|_| listed.contains(&ctx.as_ref()));
            by_kind.retain(|kind, kr| {
                let keep = entry.is_some_and(|e| e.kinds.contains_key(kind));
                if !keep {
                    kr.entries.iter().filter_map(|(_, r)| r.as_ref()).for_each(|r| sets.remove(r));
                }
                keep
            });
            entry.is_some()
        });
        for ctx in listed.iter().copied() {
            let Some(entry) = store.context(ctx) else { continue };
            for (kind, k) in &entry.kinds {
                if !Columns::listed(*kind) {
                    continue;
                }
                let by_kind = match kinds.get_mut(ctx) {
                    Some(m) => m,
                    None => kinds.entry(Arc::from(ctx)).or_default(),
                };
                let kr = by_kind.entry(*kind).or_insert(KindRows { revision: u64::MAX, entries: Vec::new() });
                if kr.revision == k.revision {
                    continue;
                }
                kr.revision = k.revision;
                let old = std::mem::take(&mut kr.entries);
                kr.entries = merge(ctx, *kind, old, k.objects.values().cloned(), sets);
            }
        }
        let [c, f, t, x] = std::mem::take(&mut sets.changed);
        if c {
            self.clusters = sets.clusters.iter().map(|s| s.0.clone()).collect();
        }
        if f {
            self.flux = sets.flux.iter().map(|s| s.0.clone()).collect();
        }
        if t {
            self.terraform = sets.terraform.iter().map(|s| s.0.clone()).collect();
        }
        if x {
            self.crossplane = sets.crossplane.iter().map(|s| s.0.clone()).collect();
        }
        if self.update_causes(store, &listed) || x {
            // Worst first, with a claim or XR whose composed resource fails counted as Failed (stable: the
            // rest keeps the sets' order).
            let causes = &self.crossplane_causes;
            self.crossplane.sort_by_key(|r| crossplane_state(causes, r));
        }
    }
}

/// A Crossplane row's state as the view shows and sorts it: Failed when one of its composed resources fails
/// (it has a cause), else its own.
fn crossplane_state(causes: &HashMap<ObjectRef, crate::model::xp_tree::Cause>, r: &CrossplaneRow) -> HealthState {
    if causes.contains_key(&r.obj) { HealthState::Failed } else { r.health.state }
}

impl Rows {
    /// A Crossplane view row's state: Failed when one of its composed resources fails, else its own (what the
    /// view shows, sorts and filters by).
    pub fn crossplane_state(&self, r: &CrossplaneRow) -> HealthState {
        crossplane_state(&self.crossplane_causes, r)
    }

    /// Rebuilds [`Rows::crossplane_causes`] when a Crossplane kind of a listed context changed (the sum of
    /// their revisions, unique and increasing, and of the context's kinds revision); returns whether it did.
    fn update_causes(&mut self, store: &FleetStore, listed: &[&str]) -> bool {
        let revisions: Vec<(&str, u64)> = listed
            .iter()
            .filter_map(|ctx| {
                let entry = store.context(ctx)?;
                let sum = entry.kinds.iter().filter(|(k, _)| k.is_dynamic()).map(|(_, e)| e.revision).sum::<u64>();
                (sum > 0).then_some((*ctx, sum + entry.kinds_revision))
            })
            .collect();
        if revisions.iter().copied().eq(self.causes_revisions.iter().map(|(c, r)| (c.as_ref(), *r))) {
            return false;
        }
        self.crossplane_causes.clear();
        for r in &self.crossplane {
            if r.health.state == HealthState::Ready {
                continue;
            }
            let o = &r.obj;
            if let Some(c) = crate::model::xp_tree::cause(store, &o.context, o.kind, &o.namespace, &o.name) {
                self.crossplane_causes.insert(o.clone(), c);
            }
        }
        self.causes_revisions = revisions.into_iter().map(|(c, r)| (Arc::from(c), r)).collect();
        true
    }

    /// Rebuilds [`Rows::health_checks`] when a listed context's MachineHealthChecks changed (they are few: a
    /// handful per management cluster) or the listed contexts did.
    fn update_health_checks(&mut self, store: &FleetStore, listed: &[&str]) {
        let revisions: Vec<(&str, u64)> = listed
            .iter()
            .filter_map(|ctx| Some((*ctx, store.context(ctx)?.kinds.get(&KindId::MACHINE_HEALTH_CHECK)?.revision)))
            .collect();
        // Compared without allocating: this runs on every store change.
        if revisions.iter().copied().eq(self.checks_revisions.iter().map(|(c, r)| (c.as_ref(), *r))) {
            return;
        }
        self.health_checks.clear();
        for (ctx, _) in &revisions {
            for ((namespace, cluster), sum) in crate::model::remediation::checks_by_cluster(store, ctx) {
                self.health_checks.insert(ObjectRef::new(*ctx, KindId::CLUSTER, namespace, cluster), sum);
            }
        }
        self.checks_revisions = revisions.into_iter().map(|(c, r)| (Arc::from(c), r)).collect();
    }
}

#[cfg(test)]
#[path = "rows_tests.rs"]
mod tests;
