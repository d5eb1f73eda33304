//! `fleetdeck demo --scale N`: extra objects for benchmarks, on top of the demo fleet.
//!
//! N kubeadm clusters in `mgmt` namespace `scale` (`scale-0000`...), each with DockerCluster,
//! KubeadmControlPlane with 3 Machines, one MachineDeployment + MachineSet with 5 Machines (every Machine
//! with DockerMachine and KubeadmConfig) and a MachineHealthCheck: 30 objects a cluster. Plus N units of 10
//! Flux objects (GitRepository, HelmRepository, 3 Kustomizations, 5 HelmReleases) in namespace `scale`,
//! spread round-robin over `mgmt`, `dev-eu` and `prod-us`. Plus N Crossplane claims in `mgmt` namespace
//! `scale` (`scale-0000-db`...), each with its XR, RDS Instance, IAM Role and provider-terraform Workspace.
//!
//! To stay cheap, one cluster and one Flux unit are built with the regular builders and then cloned with
//! their names rewritten: 100 clusters (about 4,000 objects) take a few milliseconds.

use serde_json::{Value, json};

use super::capi_facts::{KubeadmCluster, Lifecycle, Pool};
use super::capi_kubeadm;
use super::capi_machine::NodeFacts;
use super::flux::{self, Ks, Release};
use super::meta::{Clock, DAY, HOUR, inventory_entry, namespace};
use super::{DEV_EU, MGMT, PROD_US, Seed, SeedInput};

/// Namespace of every scale object.
pub(super) const NS: &str = "scale";
/// Name every object of the template cluster and unit contains, replaced by the cluster's or unit's name.
pub(super) const TEMPLATE: &str = "scale-tmpl";

/// Replaces `from` by `to` in every string of `value` (keys included), in place.
pub(super) fn rename(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, from, to)),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains(from)) {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    rename(&mut v, from, to);
                    map.insert(k.replace(from, to), v);
                }
            } else {
                map.values_mut().for_each(|v| rename(v, from, to));
            }
        }
        _ => {}
    }
}

/// The template cluster: its objects contain [`TEMPLATE`] wherever the cluster's name goes; with the Nodes
/// its Machines run.
pub(super) fn template_cluster(clock: &Clock) -> (Vec<Value>, Vec<NodeFacts>) {
    let cluster = KubeadmCluster {
        namespace: NS.to_owned(),
        name: TEMPLATE.to_owned(),
        version: "v1.33.4".to_owned(),
        control_plane: 3,
        pools: vec![Pool { name: "md-0".to_owned(), replicas: 5, unhealthy: None, rolling_from: None }],
        age: 20 * DAY,
        lifecycle: Lifecycle::Running,
        class: None,
        health_check: true,
    };
    let built = capi_kubeadm::build(clock, &cluster);
    (built.objects, built.nodes)
}

/// The template Flux unit: its objects contain [`TEMPLATE`] wherever the unit's name goes.
pub(super) fn template_unit(clock: &Clock) -> Vec<Value> {
    let git = flux::git_repository(clock, NS, TEMPLATE, &format!("https://git.example/acme/{TEMPLATE}"), 7, 4 * HOUR);
    let repo =
        flux::helm_repository(clock, NS, &format!("{TEMPLATE}-charts"), &format!("https://charts.example/{TEMPLATE}"));
    let releases: Vec<Value> = (0..5)
        .map(|i| {
            let r = Release {
                namespace: NS.to_owned(),
                name: format!("{TEMPLATE}-{i}"),
                chart: "podinfo".to_owned(),
                versions: vec![("6.8.0".to_owned(), "6.8.0".to_owned())],
                repo: (NS.to_owned(), format!("{TEMPLATE}-charts")),
                suspend: false,
                inventory: Vec::new(),
                deployed_ago: 3 * DAY,
                values: json!({}),
                failed: None,
            };
            flux::helm_release(clock, &r)
        })
        .collect();
    let kustomizations: Vec<Value> = (0..3)
        .map(|i| {
            let mut k = Ks::new(&format!("{TEMPLATE}-{}", ["a", "b", "c"][i]), &format!("./scale/{TEMPLATE}"), 7);
            k.namespace = NS.to_owned();
            k.source = ("GitRepository".to_owned(), TEMPLATE.to_owned(), NS.to_owned());
            if i > 0 {
                k.depends_on = vec![format!("{TEMPLATE}-{}", ["a", "b"][i - 1])];
            }
            k.inventory = releases.iter().skip(i * 2).take(2).map(inventory_entry).collect();
            flux::kustomization(clock, &k)
        })
        .collect();
    let mut unit = vec![git, repo];
    unit.extend(kustomizations);
    unit.extend(releases);
    unit
}

/// `--scale n`: n more clusters and n × 10 more Flux objects (see the module docs). Names never clash with
/// the demo fleet's.
pub fn scale(n: usize, input: &SeedInput) -> Seed {
    let clock = Clock::new(input.now);
    let contexts = [MGMT, DEV_EU, PROD_US];
    let mut seed = Seed::default();
    for context in contexts {
        seed.contexts.insert(context.to_owned(), vec![namespace(NS)]);
    }
    let (cluster, _) = template_cluster(&clock);
    let unit = template_unit(&clock);
    let claim = super::crossplane::scale_unit(&clock, NS, TEMPLATE);
    for i in 0..n {
        let name = format!("scale-{i:04}");
        if let Some(mgmt) = seed.contexts.get_mut(MGMT) {
            mgmt.extend(cluster.iter().chain(&claim).map(|o| {
                let mut o = o.clone();
                rename(&mut o, TEMPLATE, &name);
                o
            }));
        }
        if let Some(objects) = seed.contexts.get_mut(contexts[i % contexts.len()]) {
            objects.extend(unit.iter().map(|o| {
                let mut o = o.clone();
                rename(&mut o, TEMPLATE, &name);
                o
            }));
        }
    }
    seed
}
