//! Issue 16, item 5: `*` pins the selected object in the real cockpit (tmux, demo fleet); the pin is kept in
//! the state directory, so after a restart it is at the top of the Fleet view with its live health, and
//! `fleetdeck contexts -o json` lists it under the context's `pinned`. `*` again unpins it.
mod common;

use std::path::Path;
use std::time::Duration;

use common::{Tmux, with_demo};

fn launch(tmux: &Tmux, home: &Path, kubeconfig: &Path) {
    let script = format!(
        "FLEETDECK_HOME={} KUBECONFIG={} {}; echo EXITED; sleep 600",
        home.display(),
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_fleetdeck")
    );
    // The second launch reuses the pane (`respawn-pane -k` ends the first shell): killing the only session
    // would end the tmux server, racing the next new-session.
    let has = tmux.cmd(&["has-session", "-t", "t"]).status.success();
    let out = if has {
        tmux.cmd(&["respawn-pane", "-k", "-t", "t", "bash", "--norc", "-c", &script])
    } else {
        tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "140", "-y", "40", "bash", "--norc", "-c", &script])
    };
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
    tmux.wait_for("fleet view", Duration::from_secs(20), |s| s.contains("1 Fleet") && s.contains("prod-us"));
}

#[test]
fn a_pin_survives_a_restart_at_the_top_of_the_fleet_view() {
    let home = tempfile::tempdir().expect("tempdir");
    with_demo(home.path(), |kubeconfig| {
        let tmux = Tmux { socket: format!("fleetdeck-pins-{}", std::process::id()) };
        launch(&tmux, home.path(), kubeconfig);
        // Clusters, worst first: the failing prod-us Cluster of mgmt is selected. Pin it.
        tmux.keys(&["2"]);
        tmux.wait_for("clusters view", Duration::from_secs(20), |s| s.contains("Clusters (") && s.contains("prod-us"));
        tmux.keys(&["*"]);
        tmux.wait_for("pinned message", Duration::from_secs(10), |s| {
            s.contains("pinned Cluster platform/prod-us in mgmt")
        });
        tmux.keys(&["q"]);
        tmux.wait_for("exit", Duration::from_secs(10), |s| s.contains("EXITED"));
        let file = home.path().join("state/pins.json");
        let text = std::fs::read_to_string(&file).expect("pins.json written");
        assert!(text.contains("\"mgmt\"") && text.contains("\"Cluster\""), "{text}");

        // A new cockpit: the pin is at the top of the Fleet view, with the Cluster's live health.
        launch(&tmux, home.path(), kubeconfig);
        let s = tmux.wait_for("the pin with its health", Duration::from_secs(20), |s| {
            s.contains("Pinned (1)")
                && s.lines().any(|l| l.contains("★") && l.contains("platform/prod-us") && l.contains("Failed"))
        });
        let pinned_line = s.lines().position(|l| l.contains("Pinned (1)")).expect("block");
        let table_line = s.lines().position(|l| l.contains("CONTEXT") && l.contains("VERSION")).expect("fleet table");
        assert!(pinned_line < table_line, "the pins are above the fleet table:\n{s}");

        let (code, out, err) = common::run(
            Path::new(env!("CARGO_BIN_EXE_fleetdeck")),
            &["contexts", "-o", "json"],
            kubeconfig,
            home.path(),
        );
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        let mgmt = v["contexts"].as_array().expect("contexts").iter().find(|c| c["name"] == "mgmt").expect("mgmt");
        assert_eq!(mgmt["pinned"][0]["kind"], "Cluster");
        assert_eq!(mgmt["pinned"][0]["name"], "prod-us");
        assert_eq!(mgmt["pinned"][0]["state"], "Failed");

        // Unpin: `*` on the same Cluster.
        tmux.keys(&["2"]);
        tmux.wait_for("clusters view", Duration::from_secs(20), |s| s.contains("Clusters ("));
        tmux.keys(&["*"]);
        tmux.wait_for("unpinned message", Duration::from_secs(10), |s| s.contains("unpinned Cluster platform/prod-us"));
        tmux.keys(&["1"]);
        tmux.wait_for("no pins block", Duration::from_secs(10), |s| s.contains("Fleet (") && !s.contains("Pinned ("));
        tmux.keys(&["q"]);
        tmux.wait_for("exit", Duration::from_secs(10), |s| s.contains("EXITED"));
        let text = std::fs::read_to_string(&file).expect("pins.json");
        assert!(!text.contains("prod-us"), "{text}");
    });
}
