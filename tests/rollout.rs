//! Issue 16, item 2: `fleetdeck rollout status|history` against a real kube-apiserver with Cluster API's
//! upstream CRDs (v1beta2): a MachineDeployment mid-rollout across two MachineSets (revisions 2 and 3), a
//! MachineSet with an unknown revision annotation (a note), another deployment's MachineSet left out; a
//! KubeadmControlPlane moving from v1.31.0 to v1.32.0 with one Machine not up to date.
mod common;

use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const CAPI: &str = "cluster.x-k8s.io";

fn resource(group: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, "v1beta2", kind), plural)
}

fn template(version: &str) -> Value {
    json!({"metadata": {"labels": {"app": "md-0"}}, "spec": {"clusterName": "c1", "version": version,
        "bootstrap": {"configRef": {"apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "KubeadmConfigTemplate", "name": "md-0"}},
        "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": "md-0"}}})
}

fn set(name: &str, deployment: &str, revision: &str, version: &str, counts: [i64; 4]) -> (Value, Value) {
    let obj = json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineSet",
        "metadata": {"name": name, "namespace": "capi", "annotations": {"machinedeployment.clusters.x-k8s.io/revision": revision},
            "labels": {"cluster.x-k8s.io/deployment-name": deployment}},
        "spec": {"clusterName": "c1", "replicas": counts[0], "selector": {"matchLabels": {"app": "md-0"}}, "template": template(version)}});
    let status = json!({"replicas": counts[0], "readyReplicas": counts[1], "availableReplicas": counts[2], "upToDateReplicas": counts[3]});
    (obj, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_status_and_history_of_a_machine_deployment_and_a_control_plane() -> anyhow::Result<()> {
    let (env, client) = common::server_with_namespace("capi").await?;
    let mds: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "capi", &resource(CAPI, "MachineDeployment", "machinedeployments"));
    let sets: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "capi", &resource(CAPI, "MachineSet", "machinesets"));
    let machines: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "capi", &resource(CAPI, "Machine", "machines"));
    let kcps: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "capi",
        &resource("controlplane.cluster.x-k8s.io", "KubeadmControlPlane", "kubeadmcontrolplanes"),
    );

    let rolling = "Rolling out 2 not up-to-date replicas\n* Version v1.31.0, v1.32.0 required";
    common::create_with_status(&mds, json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
        "metadata": {"name": "md-0", "namespace": "capi", "annotations": {"machinedeployment.clusters.x-k8s.io/revision": "3"}},
        "spec": {"clusterName": "c1", "replicas": 3, "selector": {"matchLabels": {"app": "md-0"}}, "template": template("v1.32.0")}}),
        json!({"replicas": 4, "readyReplicas": 4, "availableReplicas": 3, "upToDateReplicas": 1,
            "conditions": [{"type": "RollingOut", "status": "True", "reason": "RollingOut", "message": rolling,
                "lastTransitionTime": "2026-12-01T10:00:00Z"}]})).await?;
    for (name, deployment, revision, version, counts) in [
        ("md-0-old", "md-0", "2", "v1.31.0", [2, 2, 2, 0]),
        ("md-0-new", "md-0", "3", "v1.32.0", [2, 2, 1, 1]),
        ("md-0-odd", "md-0", "three", "v1.32.0", [0, 0, 0, 0]),
        ("md-1-a", "md-1", "9", "v1.32.0", [1, 1, 1, 1]),
    ] {
        let (o, s) = set(name, deployment, revision, version, counts);
        common::create_with_status(&sets, o, s).await?;
    }
    common::create_with_status(
        &kcps,
        json!({"apiVersion": "controlplane.cluster.x-k8s.io/v1beta2", "kind": "KubeadmControlPlane",
        "metadata": {"name": "cp", "namespace": "capi"},
        "spec": {"replicas": 3, "version": "v1.32.0", "machineTemplate": {"spec": {"infrastructureRef":
            {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachineTemplate", "name": "cp"}}}}}),
        json!({"replicas": 3, "readyReplicas": 3, "availableReplicas": 3, "upToDateReplicas": 2, "version": "v1.31.0",
            "conditions": [{"type": "RollingOut", "status": "True", "reason": "RollingOut",
                "message": "Rolling out 1 not up-to-date replicas\n* Version v1.31.0, v1.32.0 required",
                "lastTransitionTime": "2026-12-01T10:00:00Z"}]}),
    )
    .await?;
    for (name, version, up_to_date) in [("cp-a", "v1.31.0", false), ("cp-b", "v1.32.0", true)] {
        let (status, reason, message) = if up_to_date {
            ("True", "UpToDate", "")
        } else {
            ("False", "NotUpToDate", "* Version v1.31.0, v1.32.0 required")
        };
        common::create_with_status(&machines, json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
            "metadata": {"name": name, "namespace": "capi", "labels": {"cluster.x-k8s.io/control-plane-name": "cp"}},
            "spec": {"clusterName": "c1", "version": version, "bootstrap": {"dataSecretName": "x"},
                "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "DockerMachine", "name": name}}}),
            json!({"conditions": [{"type": "UpToDate", "status": status, "reason": reason, "message": message,
                "lastTransitionTime": "2026-12-01T10:00:00Z"}]})).await?;
    }

    let home = tempfile::tempdir()?;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_fleetdeck"));
    let kc = env.kubeconfig_path();
    let run = |args: &[&str]| {
        let mut all = vec!["rollout"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--context", "a"]);
        common::run(bin, &all, kc, home.path())
    };
    let (code, text, err) = run(&["history", "machinedeployment", "capi/md-0"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["REVISION", "MACHINESET", "VERSION", "DESIRED", "CURRENT", "READY", "AVAILABLE", "UP-TO-DATE", "CREATED"]
    );
    let cells = |l: &str| l.split_whitespace().take(9).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cells(lines[1])[..8], ["3", "(current)", "md-0-new", "v1.32.0", "2", "2", "2", "1"]);
    assert_eq!(cells(lines[2])[..8], ["2", "md-0-old", "v1.31.0", "2", "2", "2", "2", "0"]);
    assert_eq!(cells(lines[3])[..2], ["?", "md-0-odd"]);
    assert!(!text.contains("md-1-a"), "another deployment's MachineSet: {text}");
    assert!(text.contains("note: MachineSet md-0-odd: unknown revision annotation \"three\""), "{text}");

    let (code, text, err) = run(&["status", "md", "capi/md-0"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        text,
        "MachineDeployment capi/md-0 is rolling out (RollingOut)\n  Rolling out 2 not up-to-date replicas\n  \
         * Version v1.31.0, v1.32.0 required\nup to date 1/3 [=======             ]  ready 4/3  available 3/3\n"
    );
    let (code, out, err) = run(&["status", "md", "capi/md-0", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out)?;
    assert_eq!(v["replicas"], json!({"desired": 3, "current": 4, "ready": 4, "available": 3, "upToDate": 1}));
    assert_eq!(v["rollingOut"]["rollingOut"], true);
    assert_eq!(v["revisions"][0]["machineSet"], "md-0-new");

    let (code, text, err) = run(&["history", "kcp", "capi/cp"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("version: v1.32.0 (Machines at v1.31.0 and up)\n"), "{text}");
    assert!(text.contains("cp-a     v1.31.0  * Version v1.31.0, v1.32.0 required"), "{text}");
    assert!(!text.contains("cp-b"), "{text}");
    let (code, text, err) = run(&["status", "kcp", "capi/cp"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.ends_with("version: v1.31.0 -> v1.32.0\n"), "{text}");

    // A topology Cluster asking for v1.32.0: its control plane (cp, Machines at v1.31.0) is still moving.
    let clusters: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "capi", &resource(CAPI, "Cluster", "clusters"));
    let c1: DynamicObject = serde_json::from_value(
        json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
        "metadata": {"name": "c1", "namespace": "capi"},
        "spec": {"topology": {"classRef": {"name": "quick-start"}, "version": "v1.32.0"},
            "controlPlaneRef": {"apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane", "name": "cp"}}}),
    )?;
    clusters.create(&PostParams::default(), &c1).await?;
    mds.patch(
        "md-0",
        &PatchParams::default(),
        &Patch::Merge(&json!({"metadata": {"labels": {"cluster.x-k8s.io/cluster-name": "c1"}}})),
    )
    .await?;
    let (code, text, err) = run(&["status", "cluster", "capi/c1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        text,
        "Cluster capi/c1 is upgrading to v1.32.0\nPART                    VERSION  AT\ncontrol plane           v1.32.0  v1.31.0\n\
         MachineDeployment md-0  v1.32.0  1/3 up to date\n"
    );

    // Restart: read-only refuses and changes nothing; then spec.rollout.after is set (v1beta2), once; a
    // paused MachineDeployment is refused.
    let (code, _, err) = run(&["restart", "md", "capi/md-0", "--readonly"]);
    assert_eq!(code, 3, "{err}");
    assert!(mds.get("md-0").await?.data.pointer("/spec/rollout/after").is_none(), "nothing sent when read-only");
    let before = k8s_openapi::jiff::Timestamp::now();
    let (code, out, err) = run(&["restart", "md", "capi/md-0"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("rollout after"), "{out}");
    let after: k8s_openapi::jiff::Timestamp = mds
        .get("md-0")
        .await?
        .data
        .pointer("/spec/rollout/after")
        .and_then(Value::as_str)
        .expect("spec.rollout.after")
        .parse()?;
    assert!(after >= before - k8s_openapi::jiff::SignedDuration::from_secs(1), "{after} vs {before}");
    mds.patch("md-0", &PatchParams::default(), &Patch::Merge(&json!({"spec": {"paused": true}}))).await?;
    let (code, _, err) = run(&["restart", "md", "capi/md-0"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("is paused"), "{err}");
    let journal = std::fs::read_to_string(home.path().join("state/journal.jsonl")).unwrap_or_default();
    assert_eq!(journal.lines().filter(|l| l.contains("\"restart\"")).count(), 3, "each attempt journaled: {journal}");

    let (code, _, err) = run(&["status", "md", "capi/gone"]);
    assert_ne!(code, 0);
    assert!(err.contains("MachineDeployment capi/gone not found in context a"), "{err}");
    Ok(())
}
