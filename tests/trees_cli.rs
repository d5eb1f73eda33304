//! `fleetdeck tree` through the real API servers of the demo fleet: clusterctl's table for a CAPI cluster
//! (v1beta2 and v1beta1 modes, v1.14 and v1.13 row names, show-conditions and its refusal, grouping off, echo;
//! exact NAME columns), flux's tree for Kustomizations, following a remote Kustomization into the workload
//! cluster, a HelmRelease's inventory, Terraform's pending plan, and the JSON form.
use std::path::Path;
use std::process::Command;

fn fleetdeck(home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out =
        Command::new(env!("CARGO_BIN_EXE_fleetdeck")).args(args).env("FLEETDECK_HOME", home).output().expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The NAME column of a clusterctl table (cut where the header's second column starts, trailing spaces
/// trimmed), without the rows that only continue a message (tree pipes and nothing else).
fn names(table: &str) -> Vec<String> {
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    let cut = header.find(if header.contains("REPLICAS") { "REPLICAS" } else { "READY" }).expect("a clusterctl header");
    lines
        .map(|l| l.chars().take(cut).collect::<String>().trim_end().to_string())
        .filter(|name| name.chars().any(char::is_alphanumeric))
        .collect()
}

#[test]
fn trees_from_the_demo_fleet() {
    let home = tempfile::tempdir().expect("tempdir");
    let (code, _, err) = fleetdeck(home.path(), &["demo", "up"]);
    assert_eq!(code, Some(0), "demo up: {err}");
    let kc = home.path().join("state/demo/kubeconfig");
    let kc = kc.to_str().expect("utf-8");
    let result = std::panic::catch_unwind(|| check(home.path(), kc));
    fleetdeck(home.path(), &["demo", "down"]);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

fn check(home: &Path, kc: &str) {
    let tree = |args: &[&str]| {
        let mut all = vec!["--kubeconfig", kc, "--context", "mgmt", "tree"];
        all.extend(args);
        let (code, out, err) = fleetdeck(home, &all);
        assert_eq!(code, Some(0), "tree {args:?}: {err}");
        out
    };

    // CAPI, v1beta2: clusterctl v1.14's columns and row names, grouping, the unhealthy Machine with its
    // NodeHealthy message. (The NAME columns below hold every row naming an object, group or condition; the
    // demo flaps one Machine of prod-us-md-1, which changes no name there.)
    let out = tree(&["cluster", "platform/prod-us"]);
    assert_eq!(
        out.lines().next().map(|h| h.split_whitespace().collect::<Vec<_>>().join(" ")).as_deref(),
        Some("NAME REPLICAS AVAILABLE READY UP TO DATE STATUS REASON SINCE MESSAGE"),
        "{out}"
    );
    assert_eq!(
        names(&out),
        [
            "Cluster platform/prod-us",
            "├─DockerCluster platform/prod-us",
            "├─KubeadmControlPlane platform/prod-us-control-plane, v1.32.8",
            "│ └─3 Machines...",
            "└─Workers",
            "  ├─MachineDeployment platform/prod-us-md-0, v1.32.8",
            "  │ └─3 Machines...",
            "  └─MachineDeployment platform/prod-us-md-1, v1.32.8",
            "    ├─Machine platform/prod-us-md-1-jfrn5-dkdtq, v1.32.8",
            "    └─Machine platform/prod-us-md-1-jfrn5-f94r4, v1.32.8",
        ],
        "{out}"
    );
    let dkdtq = out.lines().find(|l| l.contains("prod-us-md-1-jfrn5-dkdtq")).expect("row");
    assert!(dkdtq.ends_with("  * NodeHealthy:"), "{out}");
    assert!(out.contains("* Node.Ready: PLEG is not healthy"), "{out}");

    // --grouping=false --echo: every Machine with its DockerMachine and KubeadmConfig, in v1.14's order and,
    // with --names v1.13, in v1.13's (`MetaName - Kind/name` sorts BootstrapConfig first).
    let machines = [
        ("│ ", "control-plane-dnnll", "├"),
        ("│ ", "control-plane-t8d7t", "├"),
        ("│ ", "control-plane-wb9jk", "└"),
        ("  │ ", "md-0-8p5gj-2lxsz", "├"),
        ("  │ ", "md-0-8p5gj-frtb4", "├"),
        ("  │ ", "md-0-8p5gj-z95vc", "└"),
        ("    ", "md-1-jfrn5-dkdtq", "├"),
        ("    ", "md-1-jfrn5-f94r4", "└"),
    ];
    let expected = |v1_13: bool| {
        let mut rows: Vec<String> = Vec::new();
        for (i, (indent, m, branch)) in machines.iter().enumerate() {
            match i {
                0 if v1_13 => rows.extend([
                    "Cluster/prod-us".into(),
                    "├─ClusterInfrastructure - DockerCluster/prod-us".into(),
                    "├─ControlPlane - KubeadmControlPlane/prod-us-control-plane".into(),
                ]),
                0 => rows.extend([
                    "Cluster platform/prod-us".into(),
                    "├─DockerCluster platform/prod-us".into(),
                    "├─KubeadmControlPlane platform/prod-us-control-plane, v1.32.8".into(),
                ]),
                3 => rows.push("└─Workers".into()),
                _ => {}
            }
            match (i, v1_13) {
                (3, true) => rows.push("  ├─MachineDeployment/prod-us-md-0".into()),
                (3, false) => rows.push("  ├─MachineDeployment platform/prod-us-md-0, v1.32.8".into()),
                (6, true) => rows.push("  └─MachineDeployment/prod-us-md-1".into()),
                (6, false) => rows.push("  └─MachineDeployment platform/prod-us-md-1, v1.32.8".into()),
                _ => {}
            }
            let under = format!("{indent}{}", if *branch == "└" { "  " } else { "│ " });
            if v1_13 {
                rows.push(format!("{indent}{branch}─Machine/prod-us-{m}"));
                rows.push(format!("{under}├─BootstrapConfig - KubeadmConfig/prod-us-{m}"));
                rows.push(format!("{under}└─MachineInfrastructure - DockerMachine/prod-us-{m}"));
            } else {
                rows.push(format!("{indent}{branch}─Machine platform/prod-us-{m}, v1.32.8"));
                rows.push(format!("{under}├─DockerMachine platform/prod-us-{m}"));
                rows.push(format!("{under}└─KubeadmConfig platform/prod-us-{m}"));
            }
        }
        rows
    };
    let everything = tree(&["cluster", "platform/prod-us", "--grouping=false", "--echo"]);
    assert_eq!(names(&everything), expected(false), "{everything}");
    let old = tree(&["cluster", "platform/prod-us", "--grouping=false", "--echo", "--names", "v1.13"]);
    assert_eq!(names(&old), expected(true), "{old}");

    // --show-conditions as clusterctl v1.14 takes it: Kind/name case-insensitively; the object's own
    // STATUS..MESSAGE blank, its conditions below it.
    let conditions =
        tree(&["cluster", "platform/prod-us", "--show-conditions", "kubeadmcontrolplane/PROD-US-CONTROL-PLANE"]);
    let kcp_conditions = [
        "Available",
        "CertificatesAvailable",
        "ControlPlaneComponentsHealthy",
        "EtcdClusterHealthy",
        "Initialized",
        "MachinesReady",
        "MachinesUpToDate",
        "RollingOut",
        "ScalingUp",
        "ScalingDown",
        "Remediating",
        "Deleting",
        "Paused",
    ];
    let mut want = names(&out);
    let n = kcp_conditions.len();
    let rows = kcp_conditions
        .iter()
        .enumerate()
        .map(|(i, c)| format!("│ │           {}─{c}", if i + 1 == n { "└" } else { "├" }));
    want.splice(3..3, rows);
    assert_eq!(names(&conditions), want, "{conditions}");
    let kcp = conditions.lines().find(|l| l.contains("KubeadmControlPlane platform/")).expect("row");
    assert!(kcp.ends_with("3/3       3          3      3"), "no STATUS..MESSAGE: {kcp:?}");
    // Whitespace around an item: a usage error, the value quoted as clusterctl quotes it.
    let (code, out, err) = fleetdeck(
        home,
        &[
            "--kubeconfig",
            kc,
            "--context",
            "mgmt",
            "tree",
            "cluster",
            "platform/prod-us",
            "--show-conditions",
            "all, Machine",
        ],
    );
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(err, "fleetdeck: invalid --show-conditions value \"all, Machine\": whitespace is not allowed\n");

    // CAPI, the v1beta1 table: legacy-aws's v1beta1 conditions, under status.deprecated.v1beta1, with severities.
    let legacy = tree(&["cluster", "team-data/legacy-aws", "--v1beta1"]);
    assert_eq!(
        legacy.lines().next().map(|h| h.split_whitespace().collect::<Vec<_>>().join(" ")).as_deref(),
        Some("NAME READY SEVERITY REASON SINCE MESSAGE"),
        "{legacy}"
    );
    assert_eq!(
        names(&legacy),
        [
            "Cluster team-data/legacy-aws",
            "├─AWSCluster team-data/legacy-aws",
            "├─KubeadmControlPlane team-data/legacy-aws-control-plane, v1.30.14",
            "│ ├─2 Machines...",
            "│ └─Machine team-data/legacy-aws-control-plane-tx72h, v1.30.14",
            "└─Workers",
            "  └─MachineDeployment team-data/legacy-aws-md-0, v1.30.14",
            "    └─2 Machines...",
        ],
        "{legacy}"
    );
    let tx72h = legacy.lines().find(|l| l.contains("tx72h")).expect("row");
    assert_eq!(tx72h.split_whitespace().skip(4).take(2).collect::<Vec<_>>(), ["False", "Warning"], "{legacy}");

    // Flux: the management cluster's tree, following the remote Kustomization into dev-eu.
    let flux = tree(&["kustomization", "flux-system/flux-system"]);
    assert!(flux.starts_with("Kustomization/flux-system/flux-system\n"), "{flux}");
    assert!(flux.contains("├── Kustomization/flux-system/infrastructure"), "{flux}");
    let remote = tree(&["kustomization", "platform/dev-eu-addons"]);
    assert!(remote.contains("[remote: dev-eu]"), "{remote}");
    let repo = remote.lines().find(|l| l.contains("HelmRepository/monitoring/grafana")).expect("child in dev-eu");
    assert!(!repo.contains("not found") && !repo.contains("not watched"), "found in dev-eu's store: {remote}");

    // The inventory's unwatched objects, read from prod-us: the Deployment whose rollout stalled, the
    // ConfigMap deleted out of band (drift); the rest found healthy. `--no-inventory` reads none of them.
    let apps = |extra: &[&str]| {
        let mut all = vec!["--kubeconfig", kc, "--context", "prod-us", "tree", "kustomization", "flux-system/apps"];
        all.extend(extra);
        let (code, out, err) = fleetdeck(home, &all);
        assert_eq!(code, Some(0), "tree apps {extra:?}: {err}");
        out
    };
    assert_eq!(
        apps(&[]),
        "Kustomization/flux-system/apps  (Progressing: DependencyNotReady)\n\
         ├── Namespace/podinfo\n\
         ├── HelmRepository/flux-system/podinfo\n\
         ├── ConfigMap/podinfo/podinfo-env  (not found)\n\
         └── HelmRelease/podinfo/podinfo\n    \
             ├── Service/podinfo/podinfo\n    \
             └── Deployment/podinfo/podinfo  (Failed: ProgressDeadlineExceeded)\n"
    );
    assert_eq!(apps(&["--no-inventory"]).matches("(not watched)").count(), 4);
    let json: serde_json::Value = serde_json::from_str(&apps(&["-o", "json"])).expect("json");
    let deploy = &json["children"][3]["children"][1];
    assert_eq!(deploy["label"]["kind"], "Deployment");
    assert_eq!(deploy["health"]["state"], "Failed");
    let message = deploy["health"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("ReplicaSet \"podinfo-") && message.ends_with("\" has timed out progressing."),
        "{json}"
    );
    assert_eq!(json["children"][2]["missing"], serde_json::json!({"reason": "notFound"}));

    // A HelmRelease's objects from its inventory; Terraform with its pending plan.
    let hr = tree(&["helmrelease", "ingress-nginx/ingress-nginx"]);
    assert!(hr.contains("Deployment/ingress-nginx/ingress-nginx-controller"), "{hr}");
    let tf = tree(&["terraform", "flux-system/rds-orders"]);
    assert!(tf.contains("plan-main-") && tf.contains("pending approval"), "{tf}");

    // JSON.
    let json: serde_json::Value =
        serde_json::from_str(&tree(&["cluster", "platform/prod-us", "-o", "json"])).expect("json");
    assert_eq!(json["label"]["kind"], "Cluster");
    assert_eq!(json["label"]["name"], "prod-us");
    assert!(json["children"].as_array().is_some_and(|c| !c.is_empty()));

    // Not found: exit 1 with one clear line.
    let (code, _, err) =
        fleetdeck(home, &["--kubeconfig", kc, "--context", "mgmt", "tree", "cluster", "platform/nope"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("platform/nope") && err.contains("not found"), "{err}");
}
