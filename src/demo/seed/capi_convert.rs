//! What Cluster API v1.14 stores for an object written in its deprecated v1beta1 API: the v1beta2 form its
//! conversion webhook produces (`core/webhooks/conversion/*.go`, `controlplane/kubeadm/webhooks/conversion`,
//! `bootstrap/kubeadm/webhooks/conversion`, over `api/{core,controlplane/kubeadm,bootstrap/kubeadm}/v1beta1/
//! conversion.go`), for the fields the demo writes. No webhook runs next to the demo's API servers (the CRDs'
//! conversion strategy is `None`), so the demo writes the converted form itself; otherwise the API server
//! would keep the v1beta1 shape under a v1beta2 `apiVersion`, prune what the v1beta2 schema lacks, and
//! upstream's own clients could not even decode it.
//!
//! As the conversion does it:
//! - references become `{apiGroup, kind, name}`; the KubeadmControlPlane's infrastructure reference moves
//!   under `spec.machineTemplate.spec`; rollout strategies move to `spec.rollout.strategy` (a
//!   MachineDeployment's `deletePolicy` to `spec.deletion.order`); `extraArgs` / `kubeletExtraArgs` maps
//!   become lists of `{name, value}` sorted by name; `paused: false` is dropped (it cannot tell "false" from
//!   "unset");
//! - the v1beta1 conditions (with severity) and failure fields move to `status.deprecated.v1beta1`, with the
//!   v1beta1 replica counters of MachineSets (`fullyLabeledReplicas`, `readyReplicas`,
//!   `availableReplicas`), MachineDeployments (`updatedReplicas`, `readyReplicas`, `availableReplicas`,
//!   `unavailableReplicas`) and KubeadmControlPlanes (`updatedReplicas`, `readyReplicas`,
//!   `unavailableReplicas`), always written for those (0 when unset), as is `deprecated.v1beta1` itself
//!   for them and KubeadmConfigs;
//! - what `status.v1beta2` held (conditions, replica counters, a Cluster's `controlPlane` / `workers`) moves
//!   up to `status`;
//! - `*Ready` / `initialized` booleans become `status.initialization.*`, kept only when true (a false one
//!   becomes unset); a KubeadmControlPlane's `ready` is dropped;
//! - failure domains become a list sorted by name, each with `controlPlane` set (false when unset);
//! - a Machine's `nodeRef` keeps only its name.
use serde_json::{Map, Value, json};

const V1BETA1_GROUPS: &[&str] = &["cluster.x-k8s.io", "controlplane.cluster.x-k8s.io", "bootstrap.cluster.x-k8s.io"];

/// `obj` as Cluster API v1.14 stores it: converted when its `apiVersion` is `<group>/v1beta1` of a core,
/// kubeadm control plane or kubeadm bootstrap group; any object's owner references to such objects name
/// v1beta2 (the controllers that set them write their current version).
pub(super) fn stored_form(mut obj: Value) -> Value {
    if let Some(owners) = obj.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
        for o in owners {
            if let Some(g) = v1beta1_group(&o["apiVersion"]) {
                o["apiVersion"] = json!(format!("{g}/v1beta2"));
            }
        }
    }
    let Some(group) = v1beta1_group(&obj["apiVersion"]) else {
        return obj;
    };
    obj["apiVersion"] = json!(format!("{group}/v1beta2"));
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    if let Some(spec) = obj.get_mut("spec").and_then(Value::as_object_mut) {
        match kind.as_str() {
            "Cluster" => {
                contract_ref(spec, "infrastructureRef");
                contract_ref(spec, "controlPlaneRef");
                drop_false(spec, "paused");
            }
            "Machine" => machine_spec(spec),
            "MachineSet" => machine_set_spec(spec),
            "MachineDeployment" => machine_deployment_spec(spec),
            "KubeadmControlPlane" => control_plane_spec(spec),
            "KubeadmConfig" => kubeadm_config_spec(spec),
            "MachineHealthCheck" => health_check_spec(spec),
            _ => {}
        }
    }
    if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
        convert_status(status, &kind);
    }
    obj
}

/// The group of a v1beta1 `apiVersion` of one of [`V1BETA1_GROUPS`].
fn v1beta1_group(api_version: &Value) -> Option<&str> {
    api_version.as_str()?.strip_suffix("/v1beta1").filter(|g| V1BETA1_GROUPS.contains(g))
}

/// `{apiVersion, kind, name, namespace}` -> `{apiGroup, kind, name}` at `parent[field]`, if there.
fn contract_ref(parent: &mut Map<String, Value>, field: &str) {
    if let Some(r) = parent.get_mut(field).filter(|r| r.is_object()) {
        *r = to_contract_ref(r);
    }
}

fn to_contract_ref(r: &Value) -> Value {
    let group = r["apiVersion"].as_str().and_then(|v| v.rsplit_once('/')).map_or("", |(g, _)| g);
    json!({ "apiGroup": group, "kind": r["kind"], "name": r["name"] })
}

/// Removes `map[field]` when it is `false`: a v1beta1 bool becomes a v1beta2 `*bool` set only when true.
fn drop_false(map: &mut Map<String, Value>, field: &str) {
    if map.get(field) == Some(&json!(false)) {
        map.remove(field);
    }
}

/// `map[field]` as an object, created empty when missing.
fn child<'a>(map: &'a mut Map<String, Value>, field: &str) -> &'a mut Map<String, Value> {
    let entry = map.entry(field).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("an object")
}

fn machine_spec(spec: &mut Map<String, Value>) {
    if let Some(bootstrap) = spec.get_mut("bootstrap").and_then(Value::as_object_mut) {
        contract_ref(bootstrap, "configRef");
    }
    contract_ref(spec, "infrastructureRef");
}

/// The Machine template of a MachineSet or MachineDeployment; `minReadySeconds` moves into it (a
/// MachineSet's 0 is its unset, a MachineDeployment's is a pointer and stays).
fn machine_template(spec: &mut Map<String, Value>, keep_zero: bool) {
    let min_ready = spec.remove("minReadySeconds").filter(|v| keep_zero || v.as_i64() != Some(0));
    let template = child(child(spec, "template"), "spec");
    machine_spec(template);
    if let Some(v) = min_ready {
        template.insert("minReadySeconds".into(), v);
    }
}

/// v1beta1 `machineNamingStrategy` -> v1beta2 `machineNaming`.
fn machine_naming(spec: &mut Map<String, Value>) {
    if let Some(n) = spec.remove("machineNamingStrategy") {
        spec.insert("machineNaming".into(), n);
    }
}

fn machine_set_spec(spec: &mut Map<String, Value>) {
    machine_template(spec, false);
    if let Some(order) = spec.remove("deletePolicy") {
        child(spec, "deletion").insert("order".into(), order);
    }
    machine_naming(spec);
}

/// A Go duration of whole hours, minutes and seconds (`10m`, `1h30m`, `300s`) in seconds; `None` otherwise.
fn duration_seconds(text: &str) -> Option<i64> {
    let (mut total, mut number) = (0i64, String::new());
    for ch in text.chars() {
        match ch {
            '0'..='9' => number.push(ch),
            'h' | 'm' | 's' => {
                let n: i64 = number.parse().ok()?;
                total += n * match ch {
                    'h' => 3600,
                    'm' => 60,
                    _ => 1,
                };
                number.clear();
            }
            _ => return None,
        }
    }
    number.is_empty().then_some(total)
}

/// MachineHealthCheck v1beta1 -> v1beta2: `maxUnhealthy` / `unhealthyRange` under
/// `remediation.triggerIf` (`unhealthyLessThanOrEqualTo` / `unhealthyInRange`), `remediationTemplate` as
/// `remediation.templateRef`, `nodeStartupTimeout` and `unhealthyConditions` (durations) under `checks` in
/// seconds (`nodeStartupTimeoutSeconds`, `unhealthyNodeConditions[].timeoutSeconds`).
fn health_check_spec(spec: &mut Map<String, Value>) {
    if let Some(max) = spec.remove("maxUnhealthy") {
        child(child(spec, "remediation"), "triggerIf").insert("unhealthyLessThanOrEqualTo".into(), max);
    }
    if let Some(range) = spec.remove("unhealthyRange") {
        child(child(spec, "remediation"), "triggerIf").insert("unhealthyInRange".into(), range);
    }
    if let Some(template) = spec.remove("remediationTemplate") {
        child(spec, "remediation").insert("templateRef".into(), template);
    }
    if let Some(t) = spec.remove("nodeStartupTimeout").and_then(|t| t.as_str().and_then(duration_seconds)) {
        child(spec, "checks").insert("nodeStartupTimeoutSeconds".into(), json!(t));
    }
    if let Some(Value::Array(list)) = spec.remove("unhealthyConditions") {
        let converted: Vec<Value> = list
            .into_iter()
            .map(|mut c| {
                if let Some(t) = c.get("timeout").and_then(Value::as_str).and_then(duration_seconds) {
                    c["timeoutSeconds"] = json!(t);
                }
                if let Some(m) = c.as_object_mut() {
                    m.remove("timeout");
                }
                c
            })
            .collect();
        child(spec, "checks").insert("unhealthyNodeConditions".into(), Value::Array(converted));
    }
}

fn machine_deployment_spec(spec: &mut Map<String, Value>) {
    machine_template(spec, true);
    if let Some(Value::Object(mut strategy)) = spec.remove("strategy") {
        let mut rollout_strategy = Map::new();
        if let Some(t) = strategy.remove("type") {
            rollout_strategy.insert("type".into(), t);
        }
        if let Some(Value::Object(mut rolling)) = strategy.remove("rollingUpdate") {
            if let Some(order) = rolling.remove("deletePolicy") {
                child(spec, "deletion").insert("order".into(), order);
            }
            if !rolling.is_empty() {
                rollout_strategy.insert("rollingUpdate".into(), Value::Object(rolling));
            }
        }
        if let Some(max) = strategy.get("remediation").and_then(|r| r.get("maxInFlight")) {
            child(spec, "remediation").insert("maxInFlight".into(), max.clone());
        }
        if !rollout_strategy.is_empty() {
            child(spec, "rollout").insert("strategy".into(), Value::Object(rollout_strategy));
        }
    }
    if let Some(after) = spec.remove("rolloutAfter") {
        child(spec, "rollout").insert("after".into(), after);
    }
    drop_false(spec, "paused");
    machine_naming(spec);
    spec.remove("revisionHistoryLimit");
    spec.remove("progressDeadlineSeconds");
}

fn control_plane_spec(spec: &mut Map<String, Value>) {
    let template = child(spec, "machineTemplate");
    if let Some(r) = template.remove("infrastructureRef") {
        child(template, "spec").insert("infrastructureRef".into(), to_contract_ref(&r));
    }
    if let Some(Value::Object(strategy)) = spec.remove("rolloutStrategy") {
        let mut rollout_strategy = Map::new();
        if let Some(t) = strategy.get("type").filter(|t| t.as_str() != Some("")) {
            rollout_strategy.insert("type".into(), t.clone());
        }
        if let Some(surge) = strategy.get("rollingUpdate").and_then(|r| r.get("maxSurge")) {
            rollout_strategy.insert("rollingUpdate".into(), json!({ "maxSurge": surge }));
        }
        if !rollout_strategy.is_empty() {
            child(spec, "rollout").insert("strategy".into(), Value::Object(rollout_strategy));
        }
    }
    if let Some(after) = spec.remove("rolloutAfter") {
        child(spec, "rollout").insert("after".into(), after);
    }
    if let Some(days) = spec.remove("rolloutBefore").and_then(|b| b.get("certificatesExpiryDays").cloned()) {
        child(child(spec, "rollout"), "before").insert("certificatesExpiryDays".into(), days);
    }
    machine_naming(spec);
    if let Some(kubeadm) = spec.get_mut("kubeadmConfigSpec").and_then(Value::as_object_mut) {
        kubeadm_config_spec(kubeadm);
    }
}

/// A KubeadmConfigSpec: every `extraArgs` / `kubeletExtraArgs` map becomes a list of `{name, value}`
/// (sorted by name, then value, as `ConvertToArgs` writes them); `useExperimentalRetryJoin` is gone.
fn kubeadm_config_spec(spec: &mut Map<String, Value>) {
    spec.remove("useExperimentalRetryJoin");
    for v in spec.values_mut() {
        args_to_lists(v);
    }
}

fn args_to_lists(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match child {
                    Value::Object(args) if k == "extraArgs" || k == "kubeletExtraArgs" => {
                        let mut list: Vec<(&String, &Value)> = args.iter().collect();
                        list.sort_by(|a, b| (a.0, a.1.as_str()).cmp(&(b.0, b.1.as_str())));
                        let list = list.into_iter().map(|(n, v)| json!({ "name": n, "value": v })).collect();
                        *child = Value::Array(list);
                    }
                    _ => args_to_lists(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(args_to_lists),
        _ => {}
    }
}

/// What a kind's status conversion does besides moving conditions and failure fields.
struct StatusRules {
    /// v1beta1 booleans -> `status.initialization.<name>`, kept only when true.
    initialization: &'static [(&'static str, &'static str)],
    /// v1beta1 replica counters kept under `deprecated.v1beta1` (always, 0 when unset).
    deprecated_counters: &'static [&'static str],
    /// Whether `deprecated.v1beta1` is written even when there is nothing to put in it.
    always_deprecated: bool,
    /// v1beta1 fields with no v1beta2 counterpart.
    dropped: &'static [&'static str],
}

fn status_rules(kind: &str) -> StatusRules {
    let none = StatusRules { initialization: &[], deprecated_counters: &[], always_deprecated: false, dropped: &[] };
    match kind {
        "Cluster" => StatusRules {
            initialization: &[
                ("infrastructureReady", "infrastructureProvisioned"),
                ("controlPlaneReady", "controlPlaneInitialized"),
            ],
            ..none
        },
        "Machine" => StatusRules {
            initialization: &[
                ("bootstrapReady", "bootstrapDataSecretCreated"),
                ("infrastructureReady", "infrastructureProvisioned"),
            ],
            ..none
        },
        "MachineSet" => StatusRules {
            deprecated_counters: &["fullyLabeledReplicas", "readyReplicas", "availableReplicas"],
            always_deprecated: true,
            ..none
        },
        "MachineDeployment" => StatusRules {
            deprecated_counters: &["updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"],
            always_deprecated: true,
            ..none
        },
        "KubeadmControlPlane" => StatusRules {
            initialization: &[("initialized", "controlPlaneInitialized")],
            deprecated_counters: &["updatedReplicas", "readyReplicas", "unavailableReplicas"],
            always_deprecated: true,
            dropped: &["ready"],
        },
        "KubeadmConfig" => {
            StatusRules { initialization: &[("ready", "dataSecretCreated")], always_deprecated: true, ..none }
        }
        _ => none,
    }
}

fn convert_status(status: &mut Map<String, Value>, kind: &str) {
    let rules = status_rules(kind);
    let mut deprecated = Map::new();
    for field in ["conditions", "failureReason", "failureMessage"] {
        // An empty list is left out, as `omitempty` writes it.
        if let Some(v) = status.remove(field).filter(|v| !is_empty(v)) {
            deprecated.insert(field.into(), v);
        }
    }
    for field in rules.deprecated_counters {
        let v = status.remove(*field).unwrap_or(json!(0));
        deprecated.insert((*field).into(), v);
    }
    for field in rules.dropped {
        status.remove(*field);
    }
    if let Some(Value::Object(nested)) = status.remove("v1beta2") {
        status.extend(nested.into_iter().filter(|(_, v)| !is_empty(v)));
    }
    let mut initialization = Map::new();
    for (from, to) in rules.initialization {
        if status.remove(*from) == Some(json!(true)) {
            initialization.insert((*to).into(), json!(true));
        }
    }
    if !initialization.is_empty() {
        status.insert("initialization".into(), Value::Object(initialization));
    }
    if let Some(Value::Object(domains)) = status.remove("failureDomains") {
        let mut names: Vec<&String> = domains.keys().collect();
        names.sort();
        let list = names
            .into_iter()
            .map(|name| {
                let d = &domains[name];
                let mut entry =
                    json!({ "name": name, "controlPlane": d.get("controlPlane").cloned().unwrap_or(json!(false)) });
                if let Some(a) = d.get("attributes") {
                    entry["attributes"] = a.clone();
                }
                entry
            })
            .collect();
        status.insert("failureDomains".into(), Value::Array(list));
    }
    if let Some(node) = status.remove("nodeRef")
        && let Some(name) = node.get("name").filter(|n| n.as_str().is_some_and(|n| !n.is_empty()))
    {
        status.insert("nodeRef".into(), json!({ "name": name }));
    }
    if rules.always_deprecated || !deprecated.is_empty() {
        status.insert("deprecated".into(), json!({ "v1beta1": deprecated }));
    }
}

fn is_empty(v: &Value) -> bool {
    v.as_array().is_some_and(Vec::is_empty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v1beta1_ref(api_version: &str, kind: &str, name: &str) -> Value {
        json!({ "apiVersion": api_version, "kind": kind, "name": name, "namespace": "n" })
    }

    #[test]
    fn a_v1beta1_cluster_in_its_stored_v1beta2_form() {
        let written = json!({
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Cluster",
            "metadata": { "name": "c", "namespace": "n" },
            "spec": {
                "paused": false,
                "infrastructureRef": v1beta1_ref("infrastructure.cluster.x-k8s.io/v1beta2", "AWSCluster", "c"),
            },
            "status": {
                "phase": "Provisioned", "infrastructureReady": true, "controlPlaneReady": false,
                "failureDomains": { "b": {}, "a": { "controlPlane": true, "attributes": { "k": "v" } } },
                "conditions": [{ "type": "Ready", "status": "False", "severity": "Warning", "reason": "R" }],
                "v1beta2": { "conditions": [{ "type": "Available", "status": "True", "reason": "Available" }], "workers": { "replicas": 2 } },
            },
        });
        let stored = stored_form(written);
        assert_eq!(stored["apiVersion"], "cluster.x-k8s.io/v1beta2");
        assert_eq!(
            stored["spec"],
            json!({ "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSCluster", "name": "c" } })
        );
        let s = &stored["status"];
        assert_eq!(s["conditions"][0]["type"], "Available");
        assert_eq!(s["deprecated"]["v1beta1"]["conditions"][0]["severity"], "Warning");
        assert_eq!(s["workers"]["replicas"], 2);
        // A false v1beta1 bool becomes unset.
        assert_eq!(s["initialization"], json!({ "infrastructureProvisioned": true }));
        assert_eq!(
            s["failureDomains"],
            json!([{ "name": "a", "controlPlane": true, "attributes": { "k": "v" } }, { "name": "b", "controlPlane": false }])
        );
        for gone in ["v1beta2", "infrastructureReady", "controlPlaneReady"] {
            assert!(s.get(gone).is_none(), "{gone}");
        }
    }

    #[test]
    fn machines_keep_their_node_name_and_true_initialization_only() {
        let written = json!({
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "Machine",
            "metadata": { "name": "m", "namespace": "n", "ownerReferences": [
                { "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane", "name": "cp" },
            ] },
            "spec": {
                "bootstrap": { "configRef": v1beta1_ref("bootstrap.cluster.x-k8s.io/v1beta1", "KubeadmConfig", "m"), "dataSecretName": "m" },
                "infrastructureRef": v1beta1_ref("infrastructure.cluster.x-k8s.io/v1beta2", "AWSMachine", "m"),
            },
            "status": {
                "bootstrapReady": true, "infrastructureReady": false, "phase": "Provisioning",
                "nodeRef": { "apiVersion": "v1", "kind": "Node", "name": "node-1" },
                "conditions": [{ "type": "Ready", "status": "True" }],
            },
        });
        let stored = stored_form(written);
        assert_eq!(stored["metadata"]["ownerReferences"][0]["apiVersion"], "controlplane.cluster.x-k8s.io/v1beta2");
        assert_eq!(
            stored["spec"]["bootstrap"],
            json!({ "configRef": { "apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfig", "name": "m" }, "dataSecretName": "m" })
        );
        let s = &stored["status"];
        assert_eq!(s["initialization"], json!({ "bootstrapDataSecretCreated": true }));
        assert_eq!(s["nodeRef"], json!({ "name": "node-1" }));
        assert_eq!(s["phase"], "Provisioning");
        assert_eq!(s["deprecated"]["v1beta1"]["conditions"][0]["type"], "Ready");
    }

    #[test]
    fn replica_counters_per_kind() {
        let converted = |kind: &str, status: Value| {
            let o = json!({ "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": kind, "status": status });
            stored_form(o)["status"].clone()
        };
        let new_counters = json!({ "readyReplicas": 1, "availableReplicas": 1, "upToDateReplicas": 2 });
        let ms = converted(
            "MachineSet",
            json!({ "replicas": 2, "readyReplicas": 2, "availableReplicas": 2, "fullyLabeledReplicas": 2, "v1beta2": new_counters }),
        );
        assert_eq!(
            ms["deprecated"],
            json!({ "v1beta1": { "fullyLabeledReplicas": 2, "readyReplicas": 2, "availableReplicas": 2 } })
        );
        assert_eq!((&ms["replicas"], &ms["readyReplicas"], &ms["upToDateReplicas"]), (&json!(2), &json!(1), &json!(2)));
        // The v1beta1 counters a kind has are always written, 0 when unset.
        let md = converted("MachineDeployment", json!({ "replicas": 2, "readyReplicas": 2, "conditions": [] }));
        assert_eq!(
            md["deprecated"],
            json!({ "v1beta1": { "updatedReplicas": 0, "readyReplicas": 2, "availableReplicas": 0, "unavailableReplicas": 0 } })
        );
        assert!(md.get("readyReplicas").is_none(), "no v1beta2 counter without status.v1beta2");
    }

    #[test]
    fn a_control_plane_and_its_kubeadm_spec() {
        let written = json!({
            "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1", "kind": "KubeadmControlPlane",
            "spec": {
                "machineTemplate": { "infrastructureRef": v1beta1_ref("infrastructure.cluster.x-k8s.io/v1beta2", "AWSMachineTemplate", "t") },
                "rolloutStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1 } },
                "kubeadmConfigSpec": {
                    "clusterConfiguration": { "apiServer": { "extraArgs": { "b": "2", "a": "1" } } },
                    "joinConfiguration": { "nodeRegistration": { "kubeletExtraArgs": { "cloud-provider": "external" } } },
                },
            },
            "status": { "ready": true, "initialized": true, "readyReplicas": 2, "conditions": [{ "type": "Ready" }] },
        });
        let stored = stored_form(written);
        let spec = &stored["spec"];
        assert_eq!(
            spec["machineTemplate"],
            json!({ "spec": { "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSMachineTemplate", "name": "t" } } })
        );
        assert_eq!(
            spec["rollout"],
            json!({ "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1 } } })
        );
        let kubeadm = &spec["kubeadmConfigSpec"];
        assert_eq!(
            kubeadm["clusterConfiguration"]["apiServer"]["extraArgs"],
            json!([{ "name": "a", "value": "1" }, { "name": "b", "value": "2" }])
        );
        assert_eq!(
            kubeadm["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"],
            json!([{ "name": "cloud-provider", "value": "external" }])
        );
        let s = &stored["status"];
        assert_eq!(s["initialization"], json!({ "controlPlaneInitialized": true }));
        assert!(s.get("ready").is_none());
        assert_eq!(
            s["deprecated"]["v1beta1"],
            json!({ "conditions": [{ "type": "Ready" }], "updatedReplicas": 0, "readyReplicas": 2, "unavailableReplicas": 0 })
        );
    }

    #[test]
    fn a_machine_deployment_rollout() {
        let written = json!({
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineDeployment",
            "spec": {
                "paused": false, "minReadySeconds": 30, "revisionHistoryLimit": 1,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0, "deletePolicy": "Oldest" },
                    "remediation": { "maxInFlight": 2 },
                },
                "template": { "spec": { "infrastructureRef": v1beta1_ref("infrastructure.cluster.x-k8s.io/v1beta2", "AWSMachineTemplate", "t") } },
            },
        });
        let spec = stored_form(written)["spec"].clone();
        assert_eq!(
            spec,
            json!({
                "template": { "spec": {
                    "infrastructureRef": { "apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "AWSMachineTemplate", "name": "t" },
                    "minReadySeconds": 30,
                } },
                "deletion": { "order": "Oldest" },
                "remediation": { "maxInFlight": 2 },
                "rollout": { "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxSurge": 1, "maxUnavailable": 0 } } },
            })
        );
    }

    #[test]
    fn kubeadm_configs_and_other_groups() {
        let written = json!({
            "apiVersion": "bootstrap.cluster.x-k8s.io/v1beta1", "kind": "KubeadmConfig",
            "spec": { "joinConfiguration": { "nodeRegistration": { "kubeletExtraArgs": { "b": "2", "a": "1" } } } },
            "status": { "ready": true, "dataSecretName": "d", "v1beta2": { "conditions": [{ "type": "Ready" }] } },
        });
        let stored = stored_form(written);
        assert_eq!(
            stored["spec"]["joinConfiguration"]["nodeRegistration"]["kubeletExtraArgs"],
            json!([{ "name": "a", "value": "1" }, { "name": "b", "value": "2" }])
        );
        assert_eq!(
            stored["status"],
            json!({
                "dataSecretName": "d", "conditions": [{ "type": "Ready" }],
                "initialization": { "dataSecretCreated": true }, "deprecated": { "v1beta1": {} },
            })
        );
        let aws = json!({ "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta2", "kind": "AWSMachine", "status": { "ready": true } });
        assert_eq!(stored_form(aws.clone()), aws);
    }
}
