//! The real binary in a real terminal (tmux) against the demo fleet: launch, reach the unhealthy Machine's
//! NodeHealthy message in the `prod-us` cluster tree in at most 3 keystrokes, filter, help, and a terminal
//! restored after `kill -HUP` (an SSH session dropping).
mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Tmux, with_demo};

#[test]
fn cockpit_in_tmux_reaches_the_failing_condition_filters_helps_and_restores_the_terminal_on_hup() {
    let home = tempfile::tempdir().expect("tempdir");
    with_demo(home.path(), |kubeconfig| drive(home.path(), kubeconfig));
}

fn drive(home: &Path, kubeconfig: &Path) {
    let tmux = Tmux { socket: format!("fleetdeck-test-{}", std::process::id()) };
    let script = format!(
        "FLEETDECK_HOME={} KUBECONFIG={} {}; echo \"EXITED $?\"; echo \"MODE $(stty -a | grep -o -E -- '-?icanon') $(stty -a | grep -o -E -- '-?echo\\b' | head -1)\"; sleep 600",
        home.display(),
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_fleetdeck")
    );
    let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "140", "-y", "40", "bash", "--norc", "-c", &script]);
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));

    // Launch: the fleet view with every context, the unreachable one shown as such.
    let s = tmux.wait_for("fleet view", Duration::from_secs(20), |s| {
        s.contains("1 Fleet") && s.contains("prod-us") && s.contains("Unreachable") && s.contains("dev-eu")
    });
    assert!(s.contains("broken-unreachable"), "{s}");

    // At most 3 keystrokes to the unhealthy Machine's NodeHealthy message in prod-us's tree: `2` (Clusters,
    // worst first, so prod-us is selected), `enter` (its tree).
    tmux.keys(&["2"]);
    tmux.wait_for("clusters view", Duration::from_secs(20), |s| s.contains("Clusters (") && s.contains("prod-us"));
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("prod-us tree with the NodeHealthy message", Duration::from_secs(20), |s| {
        s.contains("Cluster platform/prod-us") && s.contains("NodeHealthy")
    });
    assert!(s.contains("PLEG"), "the kubelet's message is shown: {s}");

    // The Terraform view: rds-orders' pending plan read from its readable plan and counted (one update, one
    // destroy, one replacement) in the PLAN column.
    // (Escape alone: followed at once by a key, the terminal reads the pair as Alt+key.)
    tmux.keys(&["Escape"]);
    tmux.wait_for("back to the clusters", Duration::from_secs(20), |s| s.contains("Clusters ("));
    tmux.keys(&["4"]);
    let s = tmux.wait_for("plan counts", Duration::from_secs(20), |s| s.contains("~1 -1 -/+1"));
    assert!(s.lines().any(|l| l.contains("rds-orders") && l.contains("~1 -1 -/+1")), "{s}");

    // Crossplane: one key to the view, where the failing claim and XR come first and say which composed
    // resource fails; enter traces it, with the provider's message (trace's cut keeps its end).
    tmux.keys(&["6"]);
    let s = tmux.wait_for("the Crossplane view", Duration::from_secs(20), |s| {
        s.contains("Crossplane [all]") && s.contains("Instance/orders-db-x7k2p-rds")
    });
    let first = s.lines().find(|l| l.contains("Instance/orders-db-x7k2p-rds")).unwrap_or_default();
    assert!(first.contains("Failed"), "the failing composite sorts first, Failed: {s}");
    // The unhealthy Provider comes first (its own health is Failed); the XR next: `j`, then enter traces it
    // (3 keys from launch: 6, j, enter).
    assert!(s.lines().any(|l| l.contains("Provider") && l.contains("Failed")), "{s}");
    tmux.keys(&["j", "Enter"]);
    let s = tmux.wait_for("the trace", Duration::from_secs(20), |s| s.contains("─ Instance/orders-db-x7k2p-rds"));
    let rds = s.lines().find(|l| l.contains("─ Instance/orders-db-x7k2p-rds")).unwrap_or_default();
    assert!(rds.contains("Failed") && rds.contains("ReconcileError: ...") && rds.contains("16.1 for postgres"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("back to the Crossplane view", Duration::from_secs(20), |s| s.contains("Crossplane [all]"));

    // Back to the fleet, filter it. (Escape alone: an ESC byte followed at once by `1` reads as Alt-1.)
    tmux.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys(&["1", "/", "dev", "Enter"]);
    let s = tmux.wait_for("filtered fleet", Duration::from_secs(20), |s| s.contains("filter: dev"));
    assert!(!s.contains("broken-unreachable"), "filter hides other contexts: {s}");

    // Help, generated from the keymap.
    tmux.keys(&["?"]);
    // Waits for the whole overlay: a capture can land mid-draw, with only its first lines on screen.
    tmux.wait_for("help with its quit and filter keys", Duration::from_secs(20), |s| {
        s.contains("Keys:") && s.contains("quit fleetdeck") && s.contains("filter the rows")
    });
    tmux.keys(&["Escape"]);

    // The session drops: SIGHUP ends fleetdeck and the terminal is back in cooked mode on the main screen.
    // This session's fleetdeck: the child of the pane's shell (other tests run cockpits of the same binary).
    let shell =
        String::from_utf8_lossy(&tmux.cmd(&["display", "-p", "-t", "t", "#{pane_pid}"]).stdout).trim().to_string();
    let pid = Command::new("pgrep").args(["-P", &shell, "-x", "fleetdeck"]).output().expect("pgrep");
    let pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    assert!(!pid.is_empty(), "fleetdeck runs");
    assert!(Command::new("kill").args(["-HUP", &pid]).status().expect("kill").success());
    let s = tmux.wait_for("exit after SIGHUP", Duration::from_secs(20), |s| s.contains("EXITED") && s.contains("MODE"));
    assert!(s.contains("EXITED 0"), "clean exit: {s}");
    assert!(s.contains("MODE icanon echo"), "terminal back in cooked mode: {s}");
    assert!(!s.contains("1 Fleet"), "alternate screen left: {s}");
}

/// The FRESH column of the Fleet view, in seconds, of the row of `context` (`None` when it is not in seconds).
fn fresh_seconds(screen: &str, context: &str) -> Option<u64> {
    let header = screen.lines().find(|l| l.contains("FRESH"))?;
    let col = header[..header.find("FRESH")?].chars().count();
    let row = screen.lines().find(|l| l.trim_start_matches(['│', ' ']).starts_with(&format!("{context} ")))?;
    let cell: String = row.chars().skip(col).take_while(|c| !c.is_whitespace()).collect();
    cell.strip_suffix('s')?.parse().ok()
}

/// A context whose API server hangs sends no more watch events: the idle Fleet view must still advance its
/// FRESH age (the cockpit's clock redraws when a visible age changes its text), and not stay at what it
/// showed when the last event came.
#[test]
fn an_idle_fleet_view_advances_a_hung_contexts_fresh_age() {
    let home = tempfile::tempdir().expect("tempdir");
    with_demo(home.path(), |kubeconfig| {
        let tmux = Tmux { socket: format!("fleetdeck-clock-{}", std::process::id()) };
        let script = format!(
            "FLEETDECK_HOME={} KUBECONFIG={} {} --context prod-us; sleep 600",
            home.path().display(),
            kubeconfig.display(),
            env!("CARGO_BIN_EXE_fleetdeck")
        );
        let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "140", "-y", "30", "bash", "--norc", "-c", &script]);
        assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
        tmux.wait_for("prod-us synced", Duration::from_secs(20), |s| fresh_seconds(s, "prod-us").is_some());
        // Freeze prod-us's API server (this demo's: its certificates live under this test's home).
        let pattern = format!("kube-apiserver.*--etcd-prefix=/prod-us .*{}", home.path().display());
        let pids = Command::new("pgrep").args(["-f", &pattern]).output().expect("pgrep");
        let pid = String::from_utf8_lossy(&pids.stdout).lines().next().map(str::to_string).expect("prod-us server pid");
        assert!(Command::new("kill").args(["-STOP", &pid]).status().expect("kill").success());
        let result = std::panic::catch_unwind(|| {
            // Once it is marked Unreachable nothing arrives any more; the age must keep moving.
            let s = tmux.wait_for("prod-us unreachable", Duration::from_secs(20), |s| s.contains("Unreachable"));
            let first = fresh_seconds(&s, "prod-us").unwrap_or_else(|| panic!("FRESH in seconds:\n{s}"));
            std::thread::sleep(Duration::from_secs(3));
            let later = tmux.screen();
            let second = fresh_seconds(&later, "prod-us").unwrap_or_else(|| panic!("FRESH in seconds:\n{later}"));
            assert!(second >= first + 2, "FRESH went from {first}s to {second}s in 3 s of an idle screen:\n{later}");
        });
        Command::new("kill").args(["-CONT", &pid]).status().expect("kill -CONT");
        tmux.cmd(&["kill-server"]);
        if let Err(p) = result {
            std::panic::resume_unwind(p);
        }
    });
}
