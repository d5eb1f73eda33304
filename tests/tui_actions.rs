//! Actions from the cockpit, end to end in tmux against the demo fleet: pause a Cluster through the
//! confirmation to the visible result (the row turns Paused, the job line says so, the journal has it);
//! a production context asks for its name to be typed; `--readonly` refuses and says so in the header.
mod common;

use std::path::Path;
use std::time::Duration;

use common::{Tmux, with_demo};
use fleetdeck::ops::journal::Journal;

#[test]
fn an_action_from_the_cockpit_through_confirmation_to_the_visible_result() {
    let home = tempfile::tempdir().expect("tempdir");
    // prod-us matches the default prod_pattern: let it be acted on, behind a typed confirmation.
    std::fs::create_dir_all(home.path().join("config")).expect("config dir");
    std::fs::write(home.path().join("config/config.yaml"), "contexts:\n  prod-us: { readonly: false }\n")
        .expect("config");
    with_demo(home.path(), |kubeconfig| drive(home.path(), kubeconfig));
}

fn launch(tmux: &Tmux, home: &Path, kubeconfig: &Path, extra: &str) {
    let script = format!(
        "FLEETDECK_HOME={} KUBECONFIG={} {} {extra}; echo EXITED; sleep 600",
        home.display(),
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_fleetdeck")
    );
    let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "150", "-y", "40", "bash", "--norc", "-c", &script]);
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
    tmux.wait_for("fleet view", Duration::from_secs(20), |s| s.contains("1 Fleet") && s.contains("Ready"));
}

fn drive(home: &Path, kubeconfig: &Path) {
    let tmux = Tmux { socket: format!("fleetdeck-actions-{}", std::process::id()) };
    launch(&tmux, home, kubeconfig, "");

    // Clusters view, the dev-eu Cluster, `p`: a destructive action asks first.
    tmux.keys(&["2", "/", "dev-eu", "Enter"]);
    let s = tmux.wait_for("dev-eu row", Duration::from_secs(20), |s| {
        s.contains("filter: dev-eu") && s.lines().any(|l| l.contains("platform") && l.contains("dev-eu"))
    });
    // The demo seeds dev-eu Provisioned, with every condition True: its STATE is Ready.
    let row = s.lines().find(|l| l.contains("platform") && l.contains("dev-eu")).expect("the dev-eu row");
    assert!(
        row.contains("Provisioned") && row.contains("Ready") && !row.contains("Paused"),
        "dev-eu starts healthy: {s}"
    );
    tmux.keys(&["p"]);
    let s = tmux.wait_for("confirmation", Duration::from_secs(20), |s| s.contains("Confirm"));
    assert!(s.contains("pause Cluster platform/dev-eu") && s.contains("y / enter: confirm"), "{s}");
    tmux.keys(&["y"]);
    let s = tmux.wait_for("the result", Duration::from_secs(20), |s| s.contains("✔") && s.contains("Paused=True"));
    assert!(s.contains("pause Cluster platform/dev-eu in mgmt"), "{s}");
    tmux.wait_for("the row turns Paused", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.contains("dev-eu") && l.contains("Paused"))
    });

    // Unpause through the same key (a toggle). It is not destructive: it runs at once, without a confirmation
    // (a `y` pressed now would mark the finished job as seen and hide its line).
    tmux.keys(&["p"]);
    let s = tmux.wait_for("unpaused", Duration::from_secs(20), |s| s.contains("✔") && s.contains("Paused=False"));
    assert!(s.contains("unpause Cluster platform/dev-eu in mgmt"), "{s}");
    assert!(!s.contains("y / enter: confirm"), "no confirmation for an unpause: {s}");

    // A production context: type its name.
    tmux.keys(&["3", "/", "prod-us", "Enter"]);
    tmux.wait_for("prod-us Flux objects", Duration::from_secs(20), |s| {
        s.contains("filter: prod-us") && s.lines().any(|l| l.contains("prod-us") && l.contains("Kustomization"))
    });
    tmux.keys(&["r"]);
    let s = tmux.wait_for("typed confirmation", Duration::from_secs(20), |s| s.contains("type its name"));
    assert!(s.contains("prod-us is a production context"), "{s}");
    // The worst row is first, so under the cursor: prod-us's infrastructure, whose build fails in the demo.
    assert!(s.contains("reconcile Kustomization flux-system/infrastructure"), "{s}");
    tmux.keys(&["prod-u", "Enter"]);
    let s = tmux.wait_for("a wrong name clears the field", Duration::from_secs(20), |s| s.contains("type its name"));
    assert!(!s.contains("✔"), "nothing ran: {s}");
    tmux.keys(&["prod-us", "Enter"]);
    // The request is handled and the controller's verdict on the failing build reported: not Ready, with
    // its reason.
    let s = tmux.wait_for("the reconcile ran", Duration::from_secs(20), |s| s.contains("in prod-us: ✖"));
    assert!(
        s.contains(
            "reconcile Kustomization flux-system/infrastructure in prod-us: ✖ flux-system/infrastructure: \
             Ready=False BuildFailed: kustomize build failed"
        ),
        "{s}"
    );
    assert!(!s.contains("✔"), "{s}");
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(20), |s| s.contains("EXITED"));
    let _ = tmux.cmd(&["kill-session", "-t", "t"]);
    std::thread::sleep(Duration::from_millis(300));

    // Read-only: the header says so and an action is refused with the reason.
    launch(&tmux, home, kubeconfig, "--readonly");
    let s = tmux.screen();
    assert!(s.contains("READ-ONLY"), "{s}");
    tmux.keys(&["3", "/", "dev-eu", "Enter"]);
    tmux.wait_for("dev-eu Flux objects", Duration::from_secs(20), |s| {
        s.contains("filter: dev-eu") && s.lines().any(|l| l.contains("dev-eu") && l.contains("Kustomization"))
    });
    tmux.keys(&["r"]);
    tmux.wait_for("refusal", Duration::from_secs(20), |s| s.contains("refused: read-only mode (--readonly)"));
    tmux.keys(&["q"]);

    // The details pane says which actions the credentials allow: the restricted token reads Flux objects but
    // may not patch them (SelfSubjectAccessReview); the object's events are listed.
    let _ = tmux.cmd(&["kill-session", "-t", "t"]);
    std::thread::sleep(Duration::from_millis(300));
    launch(&tmux, home, kubeconfig, "--context mgmt-restricted");
    tmux.keys(&["3"]);
    tmux.wait_for("restricted Flux objects", Duration::from_secs(20), |s| {
        s.lines().any(|l| l.contains("mgmt-restric") && l.contains("Kustomization"))
    });
    tmux.keys(&["/", "Kustomization", "Enter", "d"]);
    let s = tmux.wait_for("disabled actions", Duration::from_secs(20), |s| s.contains("disabled: RBAC"));
    assert!(s.contains("actions:") && s.contains("events"), "{s}");
    tmux.keys(&["r"]);
    tmux.wait_for("refused with the reason", Duration::from_secs(20), |s| s.contains("reconcile refused: RBAC"));
    tmux.keys(&["q"]);

    // Every attempt that was sent went to the journal, as it ended: the reconcile of the failing build
    // failed. (The cockpit's refusals at the key, read-only and RBAC known to deny, send nothing and are
    // not journaled.)
    let entries = Journal::in_dir(&home.join("state")).read().expect("journal");
    let seen: Vec<(&str, &str, &str)> =
        entries.iter().map(|e| (e.context.as_str(), e.verb.as_str(), e.result.as_str())).collect();
    assert_eq!(seen, [("mgmt", "pause", "ok"), ("mgmt", "unpause", "ok"), ("prod-us", "reconcile", "failed")]);
}
