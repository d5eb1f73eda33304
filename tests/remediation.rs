//! Issue 16, item 3: MachineHealthChecks against a real kube-apiserver with Cluster API's upstream CRDs
//! (v1beta2): a check remediating one Machine (`HealthCheckSucceeded` False, `OwnerRemediated` False), a check
//! blocked at max unhealthy (`RemediationAllowed` False, `TooManyUnhealthy`), read by `fleetdeck get
//! machinehealthcheck` (text and JSON) and shown in `fleetdeck tree cluster --show-health-checks`; without the
//! flag the tree stays clusterctl's (no MachineHealthCheck row, no mark).
mod common;

use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const NS: &str = "mhc";
const WHEN: &str = "2026-12-01T10:00:00Z";
const UNHEALTHY: &str =
    "Condition Ready on Node is reporting status False with reason KubeletNotReady for more than 5m0s";
const BLOCKED: &str = "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 2, unhealthy: 1, maxUnhealthy: 0)";

fn api(client: &kube::Client, kind: &str, plural: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("cluster.x-k8s.io", "v1beta2", kind);
    Api::namespaced_with(client.clone(), NS, &ApiResource::from_gvk_with_plural(&gvk, plural))
}

fn condition(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": WHEN})
}

fn machine(name: &str, pool: &str, conditions: Value) -> (Value, Value) {
    let obj = json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
        "metadata": {"name": name, "namespace": NS, "labels": {"cluster.x-k8s.io/cluster-name": "c1", "pool": pool}},
        "spec": {"clusterName": "c1", "version": "v1.33.4", "bootstrap": {"dataSecretName": "x"},
            "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachine", "name": name}}});
    (obj, json!({"conditions": conditions}))
}

fn health_check(name: &str, pool: &str, trigger: &str, status: Value) -> (Value, Value) {
    let obj = json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineHealthCheck",
        "metadata": {"name": name, "namespace": NS},
        "spec": {"clusterName": "c1", "selector": {"matchLabels": {"pool": pool}},
            "checks": {"unhealthyNodeConditions": [{"type": "Ready", "status": "False", "timeoutSeconds": 300}]},
            "remediation": {"triggerIf": {"unhealthyLessThanOrEqualTo": trigger}}}});
    (obj, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_remediating_and_blocked() -> anyhow::Result<()> {
    let (env, client) = common::server_with_namespace(NS).await?;
    let clusters = api(&client, "Cluster", "clusters");
    let machines = api(&client, "Machine", "machines");
    let checks = api(&client, "MachineHealthCheck", "machinehealthchecks");

    common::create_with_status(
        &clusters,
        json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": {"name": "c1", "namespace": NS},
            "spec": {"controlPlaneRef": {"apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": "c1"}}}),
        json!({"conditions": [condition("Available", "True", "Available", "")]}),
    )
    .await?;
    let healthy = json!([
        condition("Available", "True", "Available", ""),
        condition("Ready", "True", "Ready", ""),
        condition("UpToDate", "True", "UpToDate", ""),
        condition("HealthCheckSucceeded", "True", "HealthCheckSucceeded", ""),
    ]);
    let sick = |owner: Option<&str>| {
        let mut c = vec![
            condition("Available", "False", "NotReady", ""),
            condition("Ready", "False", "NotReady", "* NodeHealthy: Node not ready"),
            condition("UpToDate", "True", "UpToDate", ""),
            condition(
                "HealthCheckSucceeded",
                "False",
                "UnhealthyNode",
                &format!("Health check failed:\n  * {UNHEALTHY}"),
            ),
        ];
        if let Some(reason) = owner {
            c.push(condition("OwnerRemediated", "False", reason, "Waiting for remediation"));
        }
        Value::Array(c)
    };
    for (name, pool, conditions) in [
        ("a-1", "a", healthy.clone()),
        ("a-2", "a", healthy.clone()),
        ("a-3", "a", sick(Some("WaitingForRemediation"))),
        ("b-1", "b", healthy.clone()),
        ("b-2", "b", sick(None)),
    ] {
        let (o, s) = machine(name, pool, conditions);
        common::create_with_status(&machines, o, s).await?;
    }
    let (o, s) = health_check(
        "pool-a",
        "a",
        "40%",
        json!({"expectedMachines": 3, "currentHealthy": 2, "remediationsAllowed": 0, "targets": ["a-1", "a-2", "a-3"],
            "conditions": [condition("RemediationAllowed", "True", "RemediationAllowed", "")]}),
    );
    common::create_with_status(&checks, o, s).await?;
    let (o, s) = health_check(
        "pool-b",
        "b",
        "0",
        json!({"expectedMachines": 2, "currentHealthy": 1, "remediationsAllowed": 0, "targets": ["b-1", "b-2", "b-gone"],
            "conditions": [condition("RemediationAllowed", "False", "TooManyUnhealthy", BLOCKED)]}),
    );
    common::create_with_status(&checks, o, s).await?;

    let home = tempfile::tempdir()?;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_fleetdeck"));
    let kc = env.kubeconfig_path();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(&["--context", "a"]);
        common::run(bin, &all, kc, home.path())
    };

    let (code, text, err) = run(&["get", "machinehealthcheck", "mhc/pool-a"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "MachineHealthCheck mhc/pool-a (cluster c1)",
            "healthy 2/3, 0 remediations allowed",
            "remediates when unhealthyLessThanOrEqualTo 40%"
        ]
    );
    assert_eq!(lines[4].split_whitespace().collect::<Vec<_>>(), ["MACHINE", "CHECK", "REMEDIATION", "MESSAGE"]);
    let cells = |l: &str| l.split_whitespace().take(4).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cells(lines[5]), ["a-3", "UnhealthyNode", "WaitingForRemediation", "Condition"], "{text}");
    assert!(lines[5].ends_with(UNHEALTHY), "{text}");
    assert_eq!(lines.len(), 6, "only the unhealthy Machine is listed: {text}");

    let (code, text, err) = run(&["get", "mhc", "mhc/pool-b"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("healthy 1/2, remediation blocked: too many unhealthy (unhealthyLessThanOrEqualTo 0)\n"),
        "{text}"
    );
    assert!(text.contains(&format!("remediation blocked (TooManyUnhealthy): {BLOCKED}\n")), "{text}");
    let b2 = text.lines().find(|l| l.starts_with("b-2 ")).expect("b-2 listed");
    assert_eq!(
        b2.split_whitespace().take(3).collect::<Vec<_>>(),
        ["b-2", "UnhealthyNode", "-"],
        "not remediated: {text}"
    );
    assert!(text.ends_with("targets not found: b-gone\n"), "{text}");

    let (code, out, err) = run(&["get", "mhc", "mhc/pool-b", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out)?;
    assert_eq!(
        v["object"],
        json!({"context": "a", "kind": "MachineHealthCheck", "namespace": "mhc", "name": "pool-b"})
    );
    assert_eq!(v["remediation"], json!({"state": "blocked", "reason": "TooManyUnhealthy", "message": BLOCKED}));
    assert_eq!((v["expected"].clone(), v["currentHealthy"].clone()), (json!(2), json!(1)));
    assert_eq!(v["unhealthy"][0]["name"], "b-2");
    assert_eq!(v["unhealthy"][0]["health"]["check"]["reason"], "UnhealthyNode");
    assert_eq!(v["targetsNotFound"], json!(["b-gone"]));

    let (code, _, err) = run(&["get", "mhc", "mhc/nope"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("MachineHealthCheck mhc/nope not found in context a"), "{err}");

    // The tree: with the flag, the checks after the Cluster's parts and the failing Machines marked; without
    // it, clusterctl's tree.
    let (code, out, err) = run(&["tree", "cluster", "mhc/c1", "--show-health-checks", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let tree: Value = serde_json::from_str(&out)?;
    let children = tree["children"].as_array().expect("children");
    let names: Vec<&str> = children.iter().filter_map(|c| c["label"]["name"].as_str()).collect();
    assert_eq!(names[names.len() - 2..], ["pool-a", "pool-b"], "{out}");
    assert_eq!(
        children[children.len() - 1]["note"],
        "healthy 1/2, remediation blocked: too many unhealthy (unhealthyLessThanOrEqualTo 0)"
    );
    let (code, text, err) = run(&["tree", "cluster", "mhc/c1", "--show-health-checks"]);
    assert_eq!(code, 0, "{err}");
    let marked = text.lines().find(|l| l.contains("Machine mhc/a-3")).expect("a-3 in the tree");
    assert!(
        marked.contains(&format!(
            "[health check failed (UnhealthyNode): {UNHEALTHY}; remediation: WaitingForRemediation]"
        )),
        "{text}"
    );
    assert!(text.contains("└─MachineHealthCheck mhc/pool-b  [healthy 1/2, remediation blocked"), "{text}");
    let (code, plain, err) = run(&["tree", "cluster", "mhc/c1"]);
    assert_eq!(code, 0, "{err}");
    assert!(!plain.contains("MachineHealthCheck") && !plain.contains("health check failed"), "{plain}");
    Ok(())
}
