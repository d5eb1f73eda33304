//! `fleetdeck demo --contexts N`: the small load of the benchmark fleet's servers (`edge-1`, `edge-2`), which
//! many contexts with distinct users reach (see [`crate::demo::edge`]).
//!
//! Each server holds what one edge cluster of a large fleet would: two kubeadm clusters of the Cluster API
//! (`edge/edge-<i>-a`, `edge/edge-<i>-b`, 30 objects each, as `--scale` builds them), two units of 10 Flux
//! objects (GitRepository, HelmRepository, 3 Kustomizations, 5 HelmReleases), one tofu-controller Terraform
//! and three Nodes. Namespaces `edge` and `flux-system`. Server 2's last Kustomization fails to build and its Terraform detected drift, so a
//! large fleet has failing contexts to sort first.

use serde_json::Value;

use super::SeedInput;
use super::core::node;
use super::meta::{Clock, namespace};
use super::scale::{NS, TEMPLATE, rename, template_cluster, template_unit};

/// Namespace of the edge objects (the `--scale` templates' namespace, renamed).
const EDGE_NS: &str = "edge";

/// Moves a template object to [`EDGE_NS`]: every string value equal to the template namespace.
fn into_edge_namespace(value: &mut Value) {
    match value {
        Value::String(s) if s == NS => *s = EDGE_NS.to_owned(),
        Value::Array(items) => items.iter_mut().for_each(into_edge_namespace),
        Value::Object(map) => map.values_mut().for_each(into_edge_namespace),
        _ => {}
    }
}

/// Turns a Ready Kustomization into one whose build fails, as kustomize-controller reports it: `Ready`
/// False with reason `BuildFailed` (the last applied revision stays).
fn fail_build(ks: &mut Value, message: &str) {
    if let Some(conditions) = ks.pointer_mut("/status/conditions").and_then(Value::as_array_mut) {
        for c in conditions.iter_mut().filter(|c| c["type"] == "Ready") {
            c["status"] = "False".into();
            c["reason"] = "BuildFailed".into();
            c["message"] = message.into();
        }
    }
}

/// The objects of edge server `index` (1-based), in creation order, namespaces first.
pub fn edge(index: usize, input: &SeedInput) -> Vec<Value> {
    let clock = Clock::new(input.now);
    let mut objects = vec![namespace(NS)];
    let (cluster, nodes) = template_cluster(&clock);
    for suffix in ["a", "b"] {
        let name = format!("edge-{index}-{suffix}");
        objects.extend(cluster.iter().map(|o| {
            let mut o = o.clone();
            rename(&mut o, TEMPLATE, &name);
            o
        }));
    }
    objects.push(namespace(super::terraform::NS));
    let unit = template_unit(&clock);
    for suffix in ["apps", "infra"] {
        let name = format!("edge-{index}-{suffix}");
        objects.extend(unit.iter().map(|o| {
            let mut o = o.clone();
            rename(&mut o, TEMPLATE, &name);
            o
        }));
    }
    objects.iter_mut().for_each(into_edge_namespace);
    if index == 2
        && let Some(last) = objects.iter_mut().rev().find(|o| o["kind"] == "Kustomization")
    {
        fail_build(last, "kustomization path not found: stat /tmp/kustomization-1/edge: no such file or directory");
    }
    if index == 2 {
        objects.push(super::terraform::drifted(&clock));
    } else {
        objects.extend(super::terraform::network(&clock));
    }
    objects.extend(nodes.iter().take(3).map(|n| {
        let mut n = n.clone();
        n.name = format!("edge-{index}-{}", n.name);
        node(&clock, &n)
    }));
    objects
}
