//! The states the demo fleet promises (failing, suspended and waiting Flux objects; pending, failed and
//! drifted Terraform; paused, deleting, unhealthy and provisioning clusters, one created from v1beta1
//! manifests), the references between its objects, and Cluster API objects in their stored v1beta2 form.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use super::super::meta::{group_of, name_of};
use super::super::terraform::pending_plan_message;
use super::super::*;
use super::{all, condition, find, fleet, input, kind, ns};

#[test]
fn references_resolve() {
    let seed = fleet();
    for (context, o) in all(&seed) {
        let resolve = |r: &Value| {
            let name = r["name"].as_str().unwrap_or_default();
            seed.contexts[context].iter().any(|t| {
                let api = t["apiVersion"].as_str().unwrap_or_default();
                let same_group = r.get("apiGroup").map_or_else(|| r["apiVersion"] == api, |g| g == group_of(api));
                kind(t) == r["kind"] && name_of(t) == name && ns(t) == ns(o) && same_group
            })
        };
        match kind(o) {
            "Machine" => {
                assert!(resolve(&o["spec"]["infrastructureRef"]), "infrastructureRef of Machine {}", name_of(o));
                assert!(resolve(&o["spec"]["bootstrap"]["configRef"]), "configRef of Machine {}", name_of(o));
            }
            "Cluster" => {
                assert!(resolve(&o["spec"]["infrastructureRef"]), "infrastructureRef of Cluster {}", name_of(o));
                assert!(resolve(&o["spec"]["controlPlaneRef"]), "controlPlaneRef of Cluster {}", name_of(o));
            }
            "Kustomization" | "Terraform" => {
                let r = &o["spec"]["sourceRef"];
                let source_ns = r["namespace"].as_str().unwrap_or(ns(o));
                assert!(
                    find(
                        &seed,
                        context,
                        r["kind"].as_str().unwrap_or_default(),
                        source_ns,
                        r["name"].as_str().unwrap_or_default()
                    )
                    .is_some()
                );
            }
            "HelmRelease" => {
                let r = &o["spec"]["chart"]["spec"]["sourceRef"];
                let repo = find(
                    &seed,
                    context,
                    "HelmRepository",
                    r["namespace"].as_str().unwrap_or(ns(o)),
                    r["name"].as_str().unwrap_or_default(),
                );
                assert!(repo.is_some(), "HelmRepository of {}", name_of(o));
                let chart = o["status"]["helmChart"].as_str().and_then(|c| c.split_once('/')).expect("helmChart");
                assert!(find(&seed, context, "HelmChart", chart.0, chart.1).is_some(), "HelmChart {chart:?}");
            }
            _ => {}
        }
    }
}

#[test]
fn flux_states_are_all_there() {
    let seed = fleet();
    let appliers: Vec<(&str, &Value)> =
        all(&seed).filter(|(_, o)| matches!(kind(o), "Kustomization" | "HelmRelease")).collect();
    let ready = |o: &Value| condition(o, &[], "Ready").cloned().unwrap_or_default();
    let failing = appliers.iter().find(|(_, o)| ready(o)["reason"] == "BuildFailed").expect("a BuildFailed applier");
    let message = ready(failing.1)["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.starts_with("kustomize build failed:") && message.contains("accumulating resources"), "{message}");
    assert!(appliers.iter().any(|(_, o)| o["spec"]["suspend"] == true), "a suspended applier");

    let (context, waiting) =
        appliers.iter().find(|(_, o)| ready(o)["reason"] == "DependencyNotReady").expect("DependencyNotReady");
    let dep = waiting["spec"]["dependsOn"][0]["name"].as_str().expect("dependsOn");
    assert_eq!(ready(waiting)["message"], format!("dependency 'flux-system/{dep}' is not ready"));
    let dependency = find(&seed, context, "Kustomization", "flux-system", dep).expect("dependency exists");
    assert_ne!(ready(dependency)["status"], "True");

    for (_, o) in appliers.iter().filter(|(_, o)| ready(o)["status"] == "True") {
        let condition = ready(o);
        let message = condition["message"].as_str().unwrap_or_default();
        let expected = match kind(o) {
            "Kustomization" => message.starts_with("Applied revision: main@sha1:"),
            _ => {
                message.starts_with("Helm install succeeded for release ")
                    || message.starts_with("Helm upgrade succeeded for release ")
            }
        };
        assert!(expected, "{} {}: {message}", kind(o), name_of(o));
    }
    let remote = find(&seed, MGMT, "Kustomization", "platform", "dev-eu-addons").expect("remote Kustomization");
    assert_eq!(remote["spec"]["kubeConfig"]["secretRef"]["name"], "dev-eu-kubeconfig");
    let secret = find(&seed, MGMT, "Secret", "platform", "dev-eu-kubeconfig").expect("kubeconfig Secret");
    let decoded = STANDARD.decode(secret["data"]["value"].as_str().unwrap_or_default()).expect("base64");
    assert_eq!(
        String::from_utf8(decoded).ok().as_deref(),
        input().workload_kubeconfigs.get(DEV_EU).map(String::as_str)
    );
    assert_eq!(secret["type"], "cluster.x-k8s.io/secret");
}

#[test]
fn terraform_states_are_all_there() {
    let seed = fleet();
    let tfs: Vec<&Value> = seed.contexts[MGMT].iter().filter(|o| kind(o) == "Terraform").collect();
    let ready = |o: &Value| condition(o, &[], "Ready").cloned().unwrap_or_default();

    let pending = tfs.iter().find(|o| !o["status"]["plan"]["pending"].is_null()).expect("pending plan");
    let plan = pending["status"]["plan"]["pending"].as_str().expect("plan id");
    assert_eq!(pending["spec"]["approvePlan"], "");
    assert_eq!(plan, plan_id(pending["status"]["lastPlannedRevision"].as_str().unwrap_or_default()));
    assert_eq!(ready(pending)["status"], "Unknown");
    assert_eq!(ready(pending)["message"], pending_plan_message(plan));
    assert_eq!(ready(pending)["message"], format!("Plan generated: set approvePlan: \"{plan}\" to approve this plan."));
    let plan_condition = condition(pending, &[], "Plan").expect("Plan condition");
    assert_eq!(
        (plan_condition["status"].as_str(), plan_condition["reason"].as_str()),
        (Some("True"), Some("TerraformPlannedWithChanges"))
    );

    let drift = tfs.iter().find(|o| o["status"]["plan"]["isDriftDetectionPlan"] == true).expect("drift");
    assert_eq!(
        (ready(drift)["status"].as_str(), ready(drift)["reason"].as_str()),
        (Some("False"), Some("DriftDetected"))
    );
    let failed = tfs.iter().find(|o| ready(o)["reason"] == "TFExecPlanFailed").expect("failed");
    assert_eq!(ready(failed)["status"], "False");

    let applied = tfs.iter().find(|o| ready(o)["status"] == "True").expect("applied");
    let outputs = &applied["spec"]["writeOutputsToSecret"];
    let secret = find(&seed, MGMT, "Secret", "flux-system", outputs["name"].as_str().unwrap_or_default())
        .expect("outputs Secret");
    let keys: BTreeSet<&str> = secret["data"].as_object().expect("data").keys().map(String::as_str).collect();
    let wanted: BTreeSet<&str> =
        outputs["outputs"].as_array().expect("outputs").iter().filter_map(Value::as_str).collect();
    assert_eq!(keys, wanted);
    assert!(!applied["status"]["availableOutputs"].as_array().expect("availableOutputs").is_empty());
}

#[test]
fn cluster_api_states_are_all_there() {
    let seed = fleet();
    let mgmt = &seed.contexts[MGMT];
    let cluster = |name: &str| mgmt.iter().find(|o| kind(o) == "Cluster" && name_of(o) == name).expect(name);
    let is = |c: Option<&Value>, status: &str| c.is_some_and(|c| c["status"] == status);

    let sandbox = cluster("sandbox");
    assert_eq!(sandbox["spec"]["paused"], true);
    assert!(is(condition(sandbox, &[], "Paused"), "True"));

    let old = cluster("old-test");
    assert_eq!(old["status"]["phase"], "Deleting");
    assert!(is(condition(old, &[], "Deleting"), "True"));
    assert_eq!(old["metadata"]["finalizers"][0], "cluster.cluster.x-k8s.io");
    assert!(seed.to_delete.iter().any(|(c, r)| c == MGMT && r["kind"] == "Cluster" && r["name"] == "old-test"));
    for (context, r) in &seed.to_delete {
        let o = find(
            &seed,
            context,
            r["kind"].as_str().unwrap_or_default(),
            r["namespace"].as_str().unwrap_or_default(),
            r["name"].as_str().unwrap_or_default(),
        )
        .expect("to_delete object");
        assert!(
            o["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty()),
            "{r} needs a finalizer to stay Terminating"
        );
    }

    let sick = mgmt
        .iter()
        .find(|o| kind(o) == "Machine" && is(condition(o, &[], "NodeHealthy"), "False"))
        .expect("NodeHealthy=False Machine");
    let message = condition(sick, &[], "NodeHealthy").and_then(|c| c["message"].as_str()).unwrap_or_default();
    assert!(message.starts_with("* Node.Ready: "), "{message}");
    assert_eq!(sick["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"], PROD_US);
    let node_name = sick["status"]["nodeRef"]["name"].as_str().expect("nodeRef");
    let node = find(&seed, PROD_US, "Node", "", node_name).expect("Node of the sick Machine");
    assert!(!is(node["status"]["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == "Ready")), "True"));
    assert!(is(condition(cluster(PROD_US), &[], "Available"), "False"));

    // Written as v1beta1, stored as Cluster API v1.14 converts it: the v1beta1 conditions under deprecated.
    let legacy = cluster("legacy-aws");
    assert_eq!(legacy["apiVersion"], "cluster.x-k8s.io/v1beta2");
    assert_eq!(legacy["spec"]["infrastructureRef"]["apiGroup"], "infrastructure.cluster.x-k8s.io");
    let cp_ready =
        condition(legacy, &["deprecated", "v1beta1"], "ControlPlaneReady").expect("deprecated ControlPlaneReady");
    assert_eq!((cp_ready["status"].as_str(), cp_ready["severity"].as_str()), (Some("False"), Some("Warning")));
    assert!(is(condition(legacy, &[], "ControlPlaneMachinesReady"), "False"));
    let legacy_objects =
        || mgmt.iter().filter(|o| o["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] == "legacy-aws");
    // The Machine without an instance: infrastructureReady false became unset, not false.
    let failed = legacy_objects()
        .find(|o| kind(o) == "Machine" && o["status"]["phase"] == "Provisioning")
        .expect("the Machine without an instance");
    assert_eq!(failed["status"]["initialization"], serde_json::json!({ "bootstrapDataSecretCreated": true }));
    for config in legacy_objects().filter(|o| kind(o) == "KubeadmConfig") {
        assert!(is(condition(config, &[], "Ready"), "True"), "{config}");
    }

    assert_eq!(cluster("staging-eks")["status"]["phase"], "Provisioning");
    let topology = cluster("edge-eu");
    let class = topology["spec"]["topology"]["classRef"]["name"].as_str().expect("classRef");
    assert!(find(&seed, MGMT, "ClusterClass", "platform", class).is_some());
    assert!(find(&seed, MGMT, "GitOpsTemplate", "default", "aws-eks-cluster").is_some());
    assert!(find(&seed, MGMT, "CAPITemplate", "default", "capd-dev").is_some());
    let profiles = mgmt
        .iter()
        .filter(|o| kind(o) == "HelmRepository" && o["metadata"]["annotations"]["weave.works/profiles"] == "true");
    assert_eq!(profiles.count(), 1);
}

#[test]
fn workload_nodes_match_machines() {
    let seed = fleet();
    for cluster in [DEV_EU, PROD_US] {
        let machines: BTreeMap<&str, &Value> = seed.contexts[MGMT]
            .iter()
            .filter(|o| kind(o) == "Machine" && o["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] == cluster)
            .map(|m| (m["status"]["nodeRef"]["name"].as_str().unwrap_or_default(), m))
            .collect();
        let nodes: Vec<&Value> = seed.contexts[cluster].iter().filter(|o| kind(o) == "Node").collect();
        assert_eq!(nodes.len(), machines.len(), "{cluster}");
        for node in nodes {
            let machine = machines.get(name_of(node)).expect("Machine of Node");
            assert_eq!(node["status"]["nodeInfo"]["kubeletVersion"], machine["spec"]["version"]);
            let control_plane = machine["metadata"]["labels"].get("cluster.x-k8s.io/control-plane").is_some();
            assert_eq!(
                node["metadata"]["labels"].get("node-role.kubernetes.io/control-plane").is_some(),
                control_plane
            );
        }
    }
}

/// Every Cluster API core and kubeadm object is in the form a v1.14 management cluster stores: v1beta2, with
/// none of the v1beta1 fields that the v1beta2 schema would prune or misread.
#[test]
fn cluster_api_objects_have_no_v1beta1_fields() {
    fn check_ref(what: &str, r: &Value) {
        if r.is_object() {
            assert!(
                r.get("apiGroup").is_some() && r.get("apiVersion").is_none() && r.get("namespace").is_none(),
                "{what}: {r}"
            );
        }
    }
    fn check_args(what: &str, v: &Value) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, c)| {
                if k == "extraArgs" || k == "kubeletExtraArgs" {
                    assert!(c.is_array(), "{what}: {k} {c}");
                }
                check_args(what, c);
            }),
            Value::Array(items) => items.iter().for_each(|c| check_args(what, c)),
            _ => {}
        }
    }
    let groups = ["cluster.x-k8s.io", "controlplane.cluster.x-k8s.io", "bootstrap.cluster.x-k8s.io"];
    let mut seeds = vec![fleet()];
    seeds.push(scale(2, &input()));
    for seed in &seeds {
        for (context, o) in all(seed) {
            let api_version = o["apiVersion"].as_str().unwrap_or_default();
            let (k, s, spec) = (kind(o), &o["status"], &o["spec"]);
            let what = format!("{context} {k} {}/{}", ns(o), name_of(o));
            if !groups.contains(&group_of(api_version)) || k == "AWSManagedControlPlane" {
                continue;
            }
            assert!(api_version.ends_with("/v1beta2"), "{what}: {api_version}");
            for field in
                ["v1beta2", "infrastructureReady", "controlPlaneReady", "bootstrapReady", "ready", "initialized"]
            {
                assert!(s.get(field).is_none(), "{what}: status.{field}");
            }
            for field in
                ["failureReason", "failureMessage", "updatedReplicas", "unavailableReplicas", "fullyLabeledReplicas"]
            {
                assert!(s.get(field).is_none(), "{what}: status.{field}");
            }
            let severities = s["conditions"].as_array().into_iter().flatten().filter(|c| c.get("severity").is_some());
            assert_eq!(severities.count(), 0, "{what}: v1beta1 conditions in status.conditions");
            assert!(s.get("failureDomains").is_none_or(Value::is_array), "{what}: failureDomains");
            assert!(s.get("nodeRef").is_none_or(|n| n.as_object().is_some_and(|n| n.len() == 1)), "{what}: nodeRef");
            let allowed: &[&str] = match k {
                "MachineSet" => &[
                    "conditions",
                    "failureReason",
                    "failureMessage",
                    "fullyLabeledReplicas",
                    "readyReplicas",
                    "availableReplicas",
                ],
                "MachineDeployment" => {
                    &["conditions", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas"]
                }
                "KubeadmControlPlane" => &[
                    "conditions",
                    "failureReason",
                    "failureMessage",
                    "updatedReplicas",
                    "readyReplicas",
                    "unavailableReplicas",
                ],
                _ => &["conditions", "failureReason", "failureMessage"],
            };
            for field in s["deprecated"]["v1beta1"].as_object().into_iter().flat_map(|d| d.keys()) {
                assert!(allowed.contains(&field.as_str()), "{what}: status.deprecated.v1beta1.{field}");
            }
            for machine in [spec, &spec["template"]["spec"], &spec["machineTemplate"]["spec"]] {
                check_ref(&what, &machine["infrastructureRef"]);
                check_ref(&what, &machine["bootstrap"]["configRef"]);
            }
            check_ref(&what, &spec["infrastructureRef"]);
            check_ref(&what, &spec["controlPlaneRef"]);
            assert!(
                spec["machineTemplate"].get("infrastructureRef").is_none(),
                "{what}: machineTemplate.infrastructureRef"
            );
            check_args(&what, spec);
        }
    }
}
