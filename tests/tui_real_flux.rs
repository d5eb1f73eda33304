//! The create wizard in the cockpit with the real Flux (issue 14): `demo up --flux real`, the real binary in
//! tmux, `2` `n`, the demo's CAPITemplate, a name, write and push to the loopback git server; the review
//! merged (a fast-forward push of the wizard's branch to `main`, as a merge button does) and the
//! GitRepository reconciled (what an operator does instead of waiting for its 1 m interval); then the
//! tracking line turning to applied from the status the real kustomize-controller wrote, and the Cluster in
//! the management cluster, applied by it.
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Tmux, fleetdeck, git};
use kube::api::{Api, DynamicObject};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};

const BRANCH: &str = "fleetdeck/create-team-x";

fn mgmt_api(kubeconfig: &Path, rt: &tokio::runtime::Runtime, namespace: &str, ar: &ApiResource) -> Api<DynamicObject> {
    rt.block_on(async {
        let kc = Kubeconfig::read_from(kubeconfig).expect("kubeconfig");
        let opts = KubeConfigOptions { context: Some("mgmt".into()), ..Default::default() };
        let config = kube::Config::from_custom_kubeconfig(kc, &opts).await.expect("config");
        Api::namespaced_with(kube::Client::try_from(config).expect("client"), namespace, ar)
    })
}

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

#[test]
fn a_cluster_created_in_the_cockpit_is_applied_by_the_real_flux() {
    let home = tempfile::tempdir().expect("tempdir");
    let t = Instant::now();
    let up = fleetdeck(home.path(), &["demo", "up", "--flux", "real"]);
    assert!(up.status.success(), "demo up --flux real: {}", String::from_utf8_lossy(&up.stderr));
    println!("demo up --flux real in {:.1} s", t.elapsed().as_secs_f64());
    let result = std::panic::catch_unwind(|| drive(home.path()));
    let pids = controller_pids(home.path());
    let crashed = std::panic::catch_unwind(|| a_crashed_controller_is_named(home.path()));
    let down = fleetdeck(home.path(), &["demo", "down"]);
    assert!(down.status.success(), "demo down: {}", String::from_utf8_lossy(&down.stderr));
    if let Err(p) = result.and(crashed) {
        std::panic::resume_unwind(p);
    }
    assert_eq!(pids.len(), 9, "three controllers in each of mgmt, dev-eu and prod-us");
    for pid in pids {
        // SAFETY: kill with signal 0 only checks whether the process exists.
        assert!(unsafe { libc::kill(pid as i32, 0) } != 0, "controller {pid} still runs after demo down");
    }
}

/// `demo status`'s lines of the real Flux controllers.
fn flux_lines(home: &Path) -> Vec<String> {
    let out = fleetdeck(home, &["demo", "status"]);
    assert!(out.status.success(), "demo status: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("  flux ")).map(str::to_owned).collect()
}

fn controller_pids(home: &Path) -> Vec<u32> {
    flux_lines(home)
        .iter()
        .filter_map(|l| l.split_once(" pid ").and_then(|(_, r)| r.split_whitespace().next()?.parse().ok()))
        .collect()
}

/// A controller killed mid-demo: `demo status` names it, with its log's last line; the others run on.
fn a_crashed_controller_is_named(home: &Path) {
    let lines = flux_lines(home);
    assert!(lines.iter().all(|l| l.ends_with(" running")), "{lines:#?}");
    let victim = lines.iter().find(|l| l.contains("dev-eu") && l.contains("helm-controller")).expect("dev-eu's");
    let pid: i32 =
        victim.split_once(" pid ").and_then(|(_, r)| r.split_whitespace().next()?.parse().ok()).expect("pid");
    // SAFETY: a plain kill of a child process this test's demo started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let t = Instant::now();
    loop {
        let lines = flux_lines(home);
        let exited: Vec<&String> = lines.iter().filter(|l| l.contains(" EXITED; ")).collect();
        if exited.len() == 1 {
            assert!(exited[0].contains("dev-eu") && exited[0].contains("helm-controller"), "{lines:#?}");
            assert!(exited[0].contains("last log line: ") && exited[0].contains("(log: "), "{lines:#?}");
            assert_eq!(lines.iter().filter(|l| l.ends_with(" running")).count(), 8, "{lines:#?}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{lines:#?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn drive(home: &Path) {
    let kubeconfig = home.join("state/demo/kubeconfig");
    let repo = home.join("state/demo/fleet");
    let tmux = Tmux { socket: format!("fleetdeck-real-flux-{}", std::process::id()) };
    let script = format!(
        "FLEETDECK_HOME={} KUBECONFIG={} {} --repo {}; echo EXITED; sleep 600",
        home.display(),
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_fleetdeck"),
        repo.display()
    );
    let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "140", "-y", "40", "bash", "--norc", "-c", &script]);
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
    tmux.wait_for("fleet view", Duration::from_secs(20), |s| s.contains("1 Fleet") && s.contains("mgmt"));

    // The Clusters view, `n`: the templates once the store has synced them.
    tmux.keys(&["2"]);
    let origin = git(&repo, &["remote", "get-url", "origin"]);
    assert!(origin.starts_with("http://127.0.0.1:"), "the clone's origin is the loopback server: {origin}");
    let mut listed = false;
    for _ in 0..30 {
        tmux.keys(&["n"]);
        let s = tmux.wait_for("the template list", Duration::from_secs(20), |s| s.contains("1/4 template"));
        if s.contains("CAPITemplate    default/capd-dev") {
            assert!(s.contains(&format!("origin → {origin}")), "{s}");
            listed = true;
            break;
        }
        tmux.keys(&["Escape"]);
        std::thread::sleep(Duration::from_secs(1));
    }
    assert!(listed, "the demo's templates never showed up:\n{}", tmux.screen());
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("the form", Duration::from_secs(20), |s| s.contains("2/4 parameters") && s.contains("capd-dev"));
    tmux.keys(&["-l", "team-x"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the preview", Duration::from_secs(20), |s| s.contains("policy  ✔ no violations"));
    tmux.keys(&["p"]);
    let s = tmux.wait_for("the push", Duration::from_secs(20), |s| s.contains("committed and pushed"));
    let remote = git(&repo, &["ls-remote", "origin", &format!("refs/heads/{BRANCH}")]);
    let commit = remote.split_whitespace().next().expect("the branch is on the server").to_owned();
    assert!(s.contains(&format!("commit  {commit}")), "{s}");
    let short = &commit[..12];
    tmux.wait_for("tracking waits for the merge", Duration::from_secs(20), |s| {
        // The summary wraps at the pane's width: read the pane's lines joined.
        let lines: Vec<&str> = s.lines().map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace())).collect();
        let joined = lines.join(" ");
        joined.contains("mgmt/flux-system/flux-system")
            && joined.contains(&format!("to reach {short} (merge {BRANCH} into main)"))
    });

    // The review merged: main fast-forwarded to the wizard's commit on the server.
    git(&repo, &["push", "-q", "origin", &format!("{BRANCH}:main")]);
    let reconcile = Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
        .args(["--context", "mgmt", "reconcile", "gitrepository", "flux-system/flux-system"])
        .env("KUBECONFIG", &kubeconfig)
        .env("FLEETDECK_HOME", home)
        .output()
        .expect("fleetdeck runs");
    assert!(reconcile.status.success(), "reconcile: {}", String::from_utf8_lossy(&reconcile.stderr));

    // kustomize-controller applies it (read from the API server every 100 ms), and the screen says so.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let kustomizations = mgmt_api(
        &kubeconfig,
        &rt,
        "flux-system",
        &ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"),
    );
    let wanted = format!("main@sha1:{commit}");
    let t = Instant::now();
    let (mut applied_at, mut shown_at) = (None, None);
    while applied_at.is_none() || shown_at.is_none() {
        assert!(t.elapsed() < Duration::from_secs(90), "not applied and shown within 90 s:\n{}", tmux.screen());
        if applied_at.is_none() {
            let ks = rt.block_on(kustomizations.get("clusters")).expect("Kustomization flux-system/clusters");
            if ks.data["status"]["lastAppliedRevision"].as_str() == Some(wanted.as_str()) {
                applied_at = Some(Instant::now());
            }
        }
        if shown_at.is_none() && tmux.screen().contains(&format!("✔ {short} reached the fleet and is applied")) {
            shown_at = Some(Instant::now());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (applied_at, shown_at) = (applied_at.expect("applied"), shown_at.expect("shown"));
    let lag = shown_at.saturating_duration_since(applied_at);
    println!(
        "applied {:.2} s after the reconcile request; on screen {:.2} s after that",
        (applied_at - t).as_secs_f64(),
        lag.as_secs_f64()
    );
    assert!(lag <= Duration::from_secs(5), "the screen said applied {lag:?} after kustomize-controller applied it");
    let s = tmux.screen();
    assert!(s.contains("✔ Kustomization mgmt/flux-system/clusters: applied it"), "{s}");

    // The Cluster is in mgmt, applied by the real kustomize-controller.
    let clusters = mgmt_api(&kubeconfig, &rt, "platform", &ar("cluster.x-k8s.io", "v1beta2", "Cluster", "clusters"));
    let cluster = rt.block_on(clusters.get("team-x")).expect("Cluster platform/team-x");
    let managers: Vec<String> =
        cluster.metadata.managed_fields.iter().flatten().filter_map(|f| f.manager.clone()).collect();
    assert!(managers.iter().any(|m| m == "kustomize-controller"), "{managers:?}");

    tmux.keys(&["Enter", "q"]);
    tmux.wait_for("the cockpit quits", Duration::from_secs(20), |s| s.contains("EXITED"));
}
