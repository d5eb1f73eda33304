//! The Cluster API provider kinds a Cluster, Machine or MachinePool references that the catalogue does not
//! name (an infrastructure provider such as CAPV's `VSphereCluster`): read from the objects, so that the fleet
//! watches them at run time (`fleet::dynamic`) and the CAPI tree can show them. Pure.
use serde_json::Value;

use super::kinds::{Dynamic, KindId, Wanted};
use super::tree::at;

/// The provider kinds a Cluster, Machine or MachinePool references that the catalogue does not name
/// (`spec.infrastructureRef`, `spec.controlPlaneRef`, `spec.bootstrap.configRef`, and a MachinePool's template
/// refs): the kinds the fleet should watch at run time so the tree can show them (`fleet::dynamic`). The
/// version is the reference's (v1beta1 `apiVersion`), or `""` for a v1beta2 `apiGroup` reference (the server's
/// preferred version is then watched).
pub fn wanted_by_references(obj: &kube::api::DynamicObject) -> Vec<Wanted> {
    let d = &obj.data;
    let mut out: Vec<Wanted> = [
        "/spec/infrastructureRef",
        "/spec/controlPlaneRef",
        "/spec/bootstrap/configRef",
        "/spec/template/spec/infrastructureRef",
        "/spec/template/spec/bootstrap/configRef",
    ]
    .iter()
    .filter_map(|p| {
        let r = at(d, p)?;
        let kind = r.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty())?;
        let (group, version) =
            match (r.get("apiGroup").and_then(Value::as_str), r.get("apiVersion").and_then(Value::as_str)) {
                (Some(g), _) => (g.to_string(), String::new()),
                (None, Some(av)) => {
                    let (g, v) = av.split_once('/')?;
                    (g.to_string(), v.to_string())
                }
                _ => return None,
            };
        let catalogued = KindId::find(&group, kind).is_some_and(|k| !k.is_dynamic());
        (!catalogued && !group.is_empty()).then(|| (group, version, kind.to_string(), Dynamic::Managed))
    })
    .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_kinds_the_catalogue_does_not_name_are_wanted() {
        let cluster: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": {"name": "vs"},
            "spec": {"infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "VSphereCluster", "name": "vs"},
                     "controlPlaneRef": {"apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": "vs"}}
        }))
        .expect("object");
        let w = wanted_by_references(&cluster);
        assert_eq!(
            w,
            [(
                "infrastructure.cluster.x-k8s.io".to_string(),
                String::new(),
                "VSphereCluster".to_string(),
                Dynamic::Managed
            )]
        );
        let machine: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine", "metadata": {"name": "m"},
            "spec": {"infrastructureRef": {"apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1", "kind": "VSphereMachine", "name": "m"},
                     "bootstrap": {"configRef": {"apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfig", "name": "m"}}}
        }))
        .expect("object");
        assert_eq!(
            wanted_by_references(&machine).iter().map(|w| (w.1.as_str(), w.2.as_str())).collect::<Vec<_>>(),
            [("v1beta1", "VSphereMachine")]
        );
    }
}
