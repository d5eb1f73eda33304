//! `fleetdeck tree` through the real API servers of the demo fleet: clusterctl's table for a CAPI cluster
//! (v1beta2 and v1beta1 modes, show-conditions, grouping off), flux's tree for Kustomizations, following a
//! remote Kustomization into the workload cluster, a HelmRelease's inventory, Terraform's pending plan, and
//! the JSON form.
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

    // CAPI, v1beta2: clusterctl's columns, grouping, the unhealthy Machine with its NodeHealthy message.
    let out = tree(&["cluster", "platform/prod-us"]);
    assert!(out.starts_with("NAME "), "{out}");
    for want in [
        "REPLICAS",
        "UP TO DATE",
        "Cluster platform/prod-us  ",
        "├─DockerCluster platform/prod-us ",
        "Workers",
        "3 Machines...",
        "NodeHealthy",
        "PLEG",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    let ungrouped = tree(&["cluster", "platform/prod-us", "--grouping=false"]);
    assert!(
        !ungrouped.contains("3 Machines...") && ungrouped.matches("Machine platform/prod-us-md-0-").count() == 3,
        "{ungrouped}"
    );
    let conditions = tree(&["cluster", "platform/prod-us", "--show-conditions", "all"]);
    assert!(
        conditions.lines().count() > out.lines().count() && conditions.contains("InfrastructureReady"),
        "{conditions}"
    );

    // CAPI, the v1beta1 table: legacy-aws's v1beta1 conditions, under status.deprecated.v1beta1, with severities.
    let legacy = tree(&["cluster", "team-data/legacy-aws", "--v1beta1"]);
    assert!(legacy.contains("SEVERITY") && legacy.contains("Warning"), "{legacy}");

    // Flux: the management cluster's tree, following the remote Kustomization into dev-eu.
    let flux = tree(&["kustomization", "flux-system/flux-system"]);
    assert!(flux.starts_with("Kustomization/flux-system/flux-system\n"), "{flux}");
    assert!(flux.contains("├── Kustomization/flux-system/infrastructure"), "{flux}");
    let remote = tree(&["kustomization", "platform/dev-eu-addons"]);
    assert!(remote.contains("[remote: dev-eu]"), "{remote}");
    let repo = remote.lines().find(|l| l.contains("HelmRepository/monitoring/grafana")).expect("child in dev-eu");
    assert!(!repo.contains("not found") && !repo.contains("not watched"), "found in dev-eu's store: {remote}");

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
