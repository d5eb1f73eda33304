//! Seed data for `fleetdeck demo`: every object of the demo fleet, as `serde_json::Value`s, per kubeconfig
//! context. Pure: no IO, and deterministic for a given [`SeedInput::now`].
//!
//! The fleet has a Cluster API management cluster (`mgmt`) and two workload clusters (`dev-eu`, `prod-us`),
//! each running Flux. The demo's applier creates each object of a context in list order (metadata and spec,
//! or `data` for ConfigMaps and Secrets), then writes its `status` through the status subresource; simulated
//! controllers move statuses later, bumping revisions with [`revision`] and [`plan_id`].
//!
//! What the fleet shows (namespace/name):
//! - Cluster API in `mgmt`: `platform/dev-eu` healthy; `platform/prod-us` with worker Machine whose Node is not
//!   Ready (NodeHealthy False) and a MachineHealthCheck; `platform/sandbox` paused; `platform/old-test` being
//!   deleted (see [`Seed::to_delete`]); `platform/edge-eu` from ClusterClass `platform/quick-start`;
//!   `team-data/staging-eks` (EKS, Provisioning); `team-data/legacy-aws` created from v1beta1
//!   manifests, stored as Cluster API v1.14 converts them (v1beta1 ControlPlaneReady False, severity Warning).
//! - Flux everywhere; `prod-us`: Kustomization `flux-system/infrastructure` BuildFailed and
//!   `flux-system/apps` DependencyNotReady; `dev-eu`: HelmRelease `podinfo/podinfo` suspended; `mgmt`: remote
//!   Kustomization `platform/dev-eu-addons` applying into `dev-eu`.
//! - Terraform in `mgmt` `flux-system`: `network-eu` applied, `rds-orders` plan pending approval, `dns-zones`
//!   plan failing, `iam-eks-addons` drift detected.
//! - Weave GitOps in `mgmt`: templates `default/aws-eks-cluster` and `default/capd-dev`, GitopsClusters.
//! - Crossplane in `mgmt` (see [`crossplane`]): claim `team-a/orders-db` failing on its RDS Instance,
//!   `team-b/analytics-db` paused, XR `team-b/media` creating, `team-b/archive` deleting, an unhealthy Provider.
//!
//! Owner references come without `uid` (it exists only once the owner is created): the applier fills it in
//! from the owner, which always comes earlier in the same list. Namespaces come first in every list.

mod capi_aws;
mod capi_convert;
mod capi_facts;
mod capi_fleet;
mod capi_kubeadm;
mod capi_legacy;
mod capi_machine;
mod capi_status;
pub mod cluster_inventory;
mod core;
pub mod crossplane;
mod edge;
mod flux;
mod flux_fleet;
mod helm_storage;
mod ids;
mod meta;
pub mod real_flux;
pub mod repository;
mod scale;
mod terraform;
mod wge;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

pub use edge::edge;
pub use ids::{plan_id, revision};
pub use scale::scale;

use meta::Clock;

/// Context name of the Cluster API management cluster.
pub const MGMT: &str = "mgmt";
/// Context name (and Cluster name) of the healthy workload cluster.
pub const DEV_EU: &str = "dev-eu";
/// Context name (and Cluster name) of the workload cluster with troubles.
pub const PROD_US: &str = "prod-us";

/// What the seed depends on.
#[derive(Clone, Debug)]
pub struct SeedInput {
    /// "now" for timestamps (lastTransitionTime etc. are now minus plausible offsets; deterministic given now).
    pub now: k8s_openapi::jiff::Timestamp,
    /// kubeconfig YAML text reaching each workload API server, keyed by CAPI cluster name ("dev-eu", "prod-us").
    pub workload_kubeconfigs: BTreeMap<String, String>,
}

/// Objects per context name ("mgmt", "dev-eu", "prod-us"), each list in creation order
/// (Namespaces first, owners before what they own).
#[derive(Clone, Debug, Default)]
pub struct Seed {
    /// The objects of each context, in creation order.
    pub contexts: BTreeMap<String, Vec<Value>>,
    /// Objects to delete right after creating them (and writing their status), in this order:
    /// `(context, {apiVersion, kind, namespace, name})`. Finalizers keep them, Terminating, with a
    /// deletionTimestamp (which a create cannot set).
    pub to_delete: Vec<(String, Value)>,
    /// CRDs to install in each context before its objects (the demo's Crossplane: the XR and claim CRDs its
    /// XRDs define, and the providers' MR CRDs).
    pub crds: BTreeMap<String, Vec<Value>>,
    /// Changes made by hand after Flux applied everything (drift that `fleetdeck diff` shows), made last, in
    /// this order: `(context, change)`.
    pub out_of_band: Vec<(String, OutOfBand)>,
}

/// A change made by hand to an object Flux applied.
#[derive(Clone, Debug, PartialEq)]
pub enum OutOfBand {
    /// Deleted (`{apiVersion, kind, namespace, name}`).
    Delete(Value),
    /// Edited: the reference and a JSON merge patch.
    Edit(Value, Value),
}

impl Seed {
    /// Number of objects over all contexts.
    pub fn len(&self) -> usize {
        self.contexts.values().map(Vec::len).sum()
    }

    /// True when no context has any object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `{apiVersion, kind, namespace, name}` of an object.
fn object_ref(obj: &Value) -> Value {
    json!({
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "namespace": obj["metadata"]["namespace"],
        "name": obj["metadata"]["name"],
    })
}

/// Moves Namespaces to the front, keeping the order of everything else (a stable sort).
fn namespaces_first(mut objects: Vec<Value>) -> Vec<Value> {
    objects.sort_by_key(|o| o["kind"] != "Namespace");
    objects
}

/// The demo fleet.
pub fn demo_fleet(input: &SeedInput) -> Seed {
    let clock = Clock::new(input.now);
    let capi = capi_fleet::capi_fleet(&clock, &input.workload_kubeconfigs);
    let mut capi_objects = capi.objects;
    wge::mark_rendered(&mut capi_objects);
    let mut wge_objects = wge::wge(&clock);
    let mut terraform_objects = terraform::terraform_objects(&clock);

    // Flux pruned the Clusters deleted from git: they are not in the `clusters` inventory any more.
    let deleted: BTreeSet<(String, String)> =
        capi.deleted.iter().map(|o| (o["kind"].to_string(), meta::name_of(o).to_owned())).collect();
    let mut clusters = flux_fleet::adopt(&mut capi_objects, "clusters", |o| {
        let key = (o["kind"].to_string(), meta::name_of(o).to_owned());
        (o["kind"] == "Cluster" || o["kind"] == "ClusterClass") && !deleted.contains(&key)
    });
    clusters.extend(flux_fleet::adopt(&mut wge_objects, "clusters", |_| true));
    let terraform = flux_fleet::adopt(&mut terraform_objects, "terraform", |o| {
        o["kind"] == "Terraform" || o["kind"] == "GitRepository"
    });
    let addons = flux_fleet::dev_eu_addons(&clock);
    let inventories = flux_fleet::MgmtInventories { clusters, terraform, addons: &addons };

    let mut mgmt = flux_fleet::management(&clock, inventories);
    mgmt.extend(capi_objects);
    mgmt.extend(wge_objects);
    mgmt.extend(terraform_objects);
    mgmt.extend(crossplane::objects(&clock));

    let mut seed = Seed::default();
    seed.contexts.insert(MGMT.to_owned(), namespaces_first(mgmt));
    for cluster in [DEV_EU, PROD_US] {
        let mut objects = flux_fleet::workload(&clock, cluster);
        if cluster == DEV_EU {
            objects.extend(addons.iter().cloned());
        }
        if let Some(nodes) = capi.nodes.get(cluster) {
            objects.extend(nodes.iter().map(|n| core::node(&clock, n)));
        }
        seed.contexts.insert(cluster.to_owned(), namespaces_first(objects));
    }
    seed.to_delete = capi.deleted.iter().map(|o| (MGMT.to_owned(), object_ref(o))).collect();
    seed.to_delete.extend(crossplane::to_delete().into_iter().map(|r| (MGMT.to_owned(), r)));
    seed.crds.insert(MGMT.to_owned(), crossplane::crds());
    seed.out_of_band = flux_fleet::out_of_band(&seed.contexts);
    seed
}
