//! What Cluster API v1.14 stores for an object written in its deprecated v1beta1 API: the v1beta2 form its
//! conversion webhook produces (cluster-api `api/core/v1beta1/conversion.go`,
//! `api/controlplane/kubeadm/v1beta1/conversion.go`, `api/bootstrap/kubeadm/v1beta1/conversion.go`), for the
//! fields the demo writes. No webhook runs next to the demo's API servers (the CRDs' conversion strategy is
//! `None`), so the demo writes the converted form itself; otherwise the API server would keep the v1beta1
//! shape under a v1beta2 `apiVersion`, which upstream's own clients cannot even decode.
//!
//! Per kind: references become `{apiGroup, kind, name}`; the v1beta1 conditions (with severity), failure
//! fields and v1beta1 replica counters move to `status.deprecated.v1beta1`; the conditions and counters
//! nested under `status.v1beta2` move up; `*Ready` booleans become `status.initialization.*`; failure
//! domains become a list; a Machine's `nodeRef` keeps only its name; `extraArgs` maps become lists of
//! `{name, value}`; rollout strategies move under `spec.rollout.strategy`; the KubeadmControlPlane's
//! infrastructure reference moves under `spec.machineTemplate.spec`.
use serde_json::{Map, Value, json};

const V1BETA1_GROUPS: &[&str] = &["cluster.x-k8s.io", "controlplane.cluster.x-k8s.io", "bootstrap.cluster.x-k8s.io"];

/// `obj` as Cluster API v1.14 stores it: converted when its `apiVersion` is `<group>/v1beta1` of a core,
/// kubeadm control plane or kubeadm bootstrap group; any object's owner references to such objects name
/// v1beta2 (the controllers that set them write their current version).
pub(super) fn stored_form(mut obj: Value) -> Value {
    if let Some(owners) = obj.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
        for o in owners {
            let group = o["apiVersion"].as_str().and_then(|v| v.strip_suffix("/v1beta1")).map(str::to_string);
            if let Some(g) = group.filter(|g| V1BETA1_GROUPS.contains(&g.as_str())) {
                o["apiVersion"] = json!(format!("{g}/v1beta2"));
            }
        }
    }
    let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
    let Some(group) = api_version.strip_suffix("/v1beta1").filter(|g| V1BETA1_GROUPS.contains(g)) else {
        return obj;
    };
    obj["apiVersion"] = json!(format!("{group}/v1beta2"));
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    let spec = &mut obj["spec"];
    match kind.as_str() {
        "Cluster" => {
            contract_ref(spec, "infrastructureRef");
            contract_ref(spec, "controlPlaneRef");
        }
        "Machine" => {
            contract_ref(&mut spec["bootstrap"], "configRef");
            contract_ref(spec, "infrastructureRef");
        }
        "MachineSet" | "MachineDeployment" => {
            let template = &mut spec["template"]["spec"];
            contract_ref(&mut template["bootstrap"], "configRef");
            contract_ref(template, "infrastructureRef");
            move_to_rollout(spec, "strategy");
        }
        "KubeadmControlPlane" => {
            if let Some(r) = spec["machineTemplate"].as_object_mut().and_then(|m| m.remove("infrastructureRef")) {
                spec["machineTemplate"]["spec"]["infrastructureRef"] = to_contract_ref(&r);
            }
            move_to_rollout(spec, "rolloutStrategy");
            args_to_lists(&mut spec["kubeadmConfigSpec"]);
        }
        "KubeadmConfig" => args_to_lists(spec),
        _ => {}
    }
    convert_status(&mut obj, &kind);
    obj
}

/// `{apiVersion, kind, name, namespace}` -> `{apiGroup, kind, name}` at `parent[field]`, if there.
fn contract_ref(parent: &mut Value, field: &str) {
    if let Some(r) = parent.get(field).filter(|r| r.is_object()).cloned() {
        parent[field] = to_contract_ref(&r);
    }
}

fn to_contract_ref(r: &Value) -> Value {
    let api_version = r["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    json!({ "apiGroup": group, "kind": r["kind"], "name": r["name"] })
}

/// v1beta1 `spec.<field>` (a rollout strategy) -> v1beta2 `spec.rollout.strategy`.
fn move_to_rollout(spec: &mut Value, field: &str) {
    if let Some(strategy) = spec.as_object_mut().and_then(|s| s.remove(field)) {
        spec["rollout"]["strategy"] = strategy;
    }
}

/// Every `extraArgs` / `kubeletExtraArgs` map under `v` -> a list of `{name, value}` (sorted by name, as
/// the conversion writes them).
fn args_to_lists(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                if (k == "extraArgs" || k == "kubeletExtraArgs") && child.is_object() {
                    let mut list: Vec<(String, Value)> =
                        child.as_object().into_iter().flatten().map(|(n, v)| (n.clone(), v.clone())).collect();
                    list.sort_by(|a, b| a.0.cmp(&b.0));
                    *child = Value::Array(list.into_iter().map(|(n, v)| json!({ "name": n, "value": v })).collect());
                } else {
                    args_to_lists(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(args_to_lists),
        _ => {}
    }
}

fn convert_status(obj: &mut Value, kind: &str) {
    let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) else {
        return;
    };
    let mut deprecated = Map::new();
    for field in ["conditions", "failureReason", "failureMessage"] {
        if let Some(v) = status.remove(field) {
            deprecated.insert(field.into(), v);
        }
    }
    if matches!(kind, "MachineSet" | "MachineDeployment" | "KubeadmControlPlane") {
        for field in ["readyReplicas", "availableReplicas", "updatedReplicas", "unavailableReplicas"] {
            if let Some(v) = status.remove(field) {
                deprecated.insert(field.into(), v);
            }
        }
    }
    if let Some(Value::Object(nested)) = status.remove("v1beta2") {
        status.extend(nested);
    }
    let mut initialization = Map::new();
    let moves: &[(&str, &str)] = match kind {
        "Cluster" => {
            &[("infrastructureReady", "infrastructureProvisioned"), ("controlPlaneReady", "controlPlaneInitialized")]
        }
        "Machine" => {
            &[("bootstrapReady", "bootstrapDataSecretCreated"), ("infrastructureReady", "infrastructureProvisioned")]
        }
        "KubeadmControlPlane" => &[("initialized", "controlPlaneInitialized")],
        "KubeadmConfig" => &[("ready", "dataSecretCreated")],
        _ => &[],
    };
    for (from, to) in moves {
        if let Some(v) = status.remove(*from) {
            initialization.insert((*to).into(), v);
        }
    }
    if kind == "KubeadmControlPlane" {
        status.remove("ready");
    }
    if !initialization.is_empty() {
        status.insert("initialization".into(), Value::Object(initialization));
    }
    if let Some(Value::Object(domains)) = status.remove("failureDomains") {
        let list: Vec<Value> = domains
            .into_iter()
            .map(|(name, d)| {
                let mut entry = json!({ "name": name });
                if let Some(cp) = d.get("controlPlane") {
                    entry["controlPlane"] = cp.clone();
                }
                if let Some(a) = d.get("attributes") {
                    entry["attributes"] = a.clone();
                }
                entry
            })
            .collect();
        status.insert("failureDomains".into(), Value::Array(list));
    }
    if let Some(node) = status.get("nodeRef").and_then(|n| n.get("name")).cloned() {
        status.insert("nodeRef".into(), json!({ "name": node }));
    }
    if !deprecated.is_empty() {
        status.insert("deprecated".into(), json!({ "v1beta1": deprecated }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1beta1_cluster_in_its_stored_v1beta2_form() {
        let written = json!({
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
            "metadata": { "name": "c", "namespace": "n" },
            "spec": { "infrastructureRef": { "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "AWSCluster", "name": "c", "namespace": "n" } },
            "status": {
                "phase": "Provisioned", "infrastructureReady": true, "controlPlaneReady": true,
                "failureDomains": { "a": { "controlPlane": true } },
                "conditions": [{ "type": "Ready", "status": "False", "severity": "Warning", "reason": "R" }],
                "v1beta2": { "conditions": [{ "type": "Available", "status": "True", "reason": "Available" }], "workers": { "replicas": 2 } },
            },
        });
        let stored = stored_form(written);
        assert_eq!(stored["apiVersion"], "cluster.x-k8s.io/v1beta2");
        assert_eq!(
            stored["spec"]["infrastructureRef"],
            json!({ "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSCluster", "name": "c" })
        );
        let s = &stored["status"];
        assert_eq!(s["conditions"][0]["type"], "Available");
        assert_eq!(s["deprecated"]["v1beta1"]["conditions"][0]["severity"], "Warning");
        assert_eq!(s["workers"]["replicas"], 2);
        assert_eq!(s["initialization"], json!({ "infrastructureProvisioned": true, "controlPlaneInitialized": true }));
        assert_eq!(s["failureDomains"], json!([{ "name": "a", "controlPlane": true }]));
        assert!(s.get("v1beta2").is_none() && s.get("infrastructureReady").is_none());
    }

    #[test]
    fn extra_args_become_lists_and_other_groups_stay() {
        let mut spec =
            json!({ "joinConfiguration": { "nodeRegistration": { "kubeletExtraArgs": { "b": "2", "a": "1" } } } });
        args_to_lists(&mut spec);
        assert_eq!(
            spec["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"],
            json!([{ "name": "a", "value": "1" }, { "name": "b", "value": "2" }])
        );
        let aws = json!({ "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "AWSMachine", "status": { "ready": true } });
        assert_eq!(stored_form(aws.clone()), aws);
    }
}
