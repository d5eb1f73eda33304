//! Bench: the real cockpit binary in a real terminal (tmux).
//! - cold start to first frame: `fleetdeck` against a kubeconfig whose contexts never answer (so no
//!   network answer can arrive before the first frame); the figure is the binary's own log line "first frame
//!   drawn X ms after start" (measured from the first instruction of `main`). Target <= 50 ms.
//! - idle redraws: the cockpit over a demo fleet without simulated controllers (nothing changes once
//!   synced); frames drawn during 60 s after a 10 s settle, counted from the per-frame trace line.
//!   Target: what the clock needs and no more: the Fleet view shows each context's FRESH age in seconds for
//!   its first two minutes, so one frame a second (60 per minute) in this window, then one a minute.
//!
//! Run: `cargo bench --bench cockpit` (needs tmux; builds the envtest binaries once if missing).
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use fleetdeck::demo::{DemoFleet, DemoOptions};

const ROUNDS: usize = 10;

fn tmux(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("tmux").args(["-L", socket]).args(args).output().expect("tmux runs")
}

fn log_text(home: &Path) -> String {
    let dir = home.join("state/logs");
    let mut out = String::new();
    for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        out.push_str(&std::fs::read_to_string(e.path()).unwrap_or_default());
    }
    out
}

/// Starts the cockpit in a fresh tmux server with `env`; returns the socket name.
fn launch(home: &Path, kubeconfig: &Path, log: &str, round: usize) -> String {
    let socket = format!("fleetdeck-bench-{}-{round}", std::process::id());
    let script = format!(
        "FLEETDECK_HOME={} FLEETDECK_LOG={log} KUBECONFIG={} {}; sleep 600",
        home.display(),
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_fleetdeck")
    );
    let out =
        tmux(&socket, &["new-session", "-d", "-s", "b", "-x", "200", "-y", "60", "bash", "--norc", "-c", &script]);
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
    socket
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let t = Instant::now();
    while !ok() {
        assert!(t.elapsed() < timeout, "{what} not within {timeout:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn cold_start() -> anyhow::Result<Vec<f64>> {
    let mut figures = Vec::new();
    for round in 0..ROUNDS {
        let home = tempfile::tempdir()?;
        // Ten contexts on a port nothing listens on, and ten on a blackholed address (no answer at all).
        let mut kc = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
        for i in 0..20 {
            let server =
                if i < 10 { "https://127.0.0.1:1".to_string() } else { format!("https://10.255.255.{i}:6443") };
            kc.push_str(&format!("- name: c{i}\n  cluster: {{server: \"{server}\"}}\n"));
        }
        kc.push_str("users:\n- name: u\n  user: {token: t}\ncontexts:\n");
        for i in 0..20 {
            kc.push_str(&format!("- name: ctx-{i}\n  context: {{cluster: c{i}, user: u}}\n"));
        }
        kc.push_str("current-context: ctx-0\n");
        let kubeconfig = home.path().join("kubeconfig");
        std::fs::write(&kubeconfig, kc)?;
        let socket = launch(home.path(), &kubeconfig, "info", round);
        let mut ms = None;
        wait_for("the first-frame log line", Duration::from_secs(10), || {
            let text = log_text(home.path());
            ms = text
                .lines()
                .find_map(|l| l.split("first frame drawn ").nth(1))
                .and_then(|rest| rest.split(" ms").next())
                .and_then(|n| n.trim().parse::<f64>().ok());
            ms.is_some()
        });
        let _ = tmux(&socket, &["kill-server"]);
        let ms = ms.unwrap_or(f64::NAN);
        println!("round {round}: first frame {ms:.1} ms after start (20 contexts, none answering)");
        figures.push(ms);
    }
    Ok(figures)
}

fn idle() -> anyhow::Result<usize> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().join("demo"),
        scale: 0,
        controllers: false,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Simulated,
        credential_plugin: None,
    };
    let fleet = rt.block_on(DemoFleet::start(&opts, &mut |_| {}))?;
    let home = dir.path().join("home");
    let socket = launch(&home, &fleet.kubeconfig, "info,fleetdeck::frames=trace", 99);
    std::thread::sleep(Duration::from_secs(10));
    let count = |text: &str| text.lines().filter(|l| l.contains("frame ") && l.contains(" drawn")).count();
    let settled = count(&log_text(&home));
    println!("idle: {settled} frames while connecting and syncing (first 10 s); now counting for 60 s");
    std::thread::sleep(Duration::from_secs(60));
    let after = count(&log_text(&home));
    let _ = tmux(&socket, &["kill-server"]);
    drop(fleet);
    Ok(after - settled)
}

fn main() -> anyhow::Result<()> {
    let mut cold = cold_start()?;
    cold.sort_by(f64::total_cmp);
    println!(
        "cold start to first frame: min {:.1} ms, median {:.1} ms, max {:.1} ms over {ROUNDS} runs (target <= 50 ms)",
        cold[0],
        cold[cold.len() / 2],
        cold[cold.len() - 1]
    );
    let idle = idle()?;
    println!("idle redraws: {idle} frames in 60 s with nothing changing but the seconds ages on screen (target <= 60)");
    Ok(())
}
