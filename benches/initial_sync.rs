//! Bench: the initial sync's time and memory, streaming (WatchList) versus listing, on the demo fleet with
//! `--scale N` (issue "stream the lists"; targets in brackets).
//!
//! For each path (`FLEETDECK_STREAMING_LISTS` unset, then `=0`):
//! 1. a process that runs only the fleet and its store (this binary re-executed with `--child`), every kind
//!    and context of the kubeconfig, lineage on (as the cockpit): time to a complete store (every context
//!    settled), peak RSS at that moment (`VmHWM`), steady RSS 10 s later, live heap (a counting allocator
//!    over mimalloc, as the binary uses);
//! 2. `fleetdeck contexts -o json`, three runs: wall time [<= 2.5 s on the current server] and peak RSS
//!    (its `VmHWM`, polled) [<= 1.3x the steady RSS of the same command's store: a `--child --summary`
//!    run that watches the same kinds];
//! 3. the real cockpit (`fleetdeck` in tmux): peak RSS (`VmHWM`) and steady RSS 30 s after start
//!    [peak <= 1.3x steady].
//!
//! The API server is the envtest default (kube-apiserver v1.37.2); `FLEETDECK_KUBE_VERSION=v1.20.2` runs the
//! same on the Debian-built v1.20.2, which has no WatchList (both paths list there). Run:
//! `cargo bench --bench initial_sync` (`FLEETDECK_BENCH_SCALE`, default 300; `FLEETDECK_BENCH_KUBECONFIG`
//! reuses a running fleet, e.g. one from `fleet_sync --serve N`; `FLEETDECK_BENCH_PATHS=list` runs one path; `FLEETDECK_BENCH_BIN` runs parts 2 and 3
//! with another `fleetdeck` binary, e.g. an earlier build, for before/after figures). Needs tmux.
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fleetdeck::demo::{DemoFleet, DemoOptions};
use fleetdeck::fleet::{self, Fleet, FleetOptions};
use fleetdeck::model::kinds::KindSet;
use fleetdeck::model::store::FleetStore;
use fleetdeck::model::summary::{self, summarize_all};
use k8s_openapi::jiff::Timestamp;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, PEAK, mb};

#[global_allocator]
static ALLOC: Counting = Counting;

/// A `kB` line of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in MB.
fn status_mb(pid: &str, field: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// `--child KUBECONFIG [--summary]`: sync the fleet into a store, report, wait 10 s, report again.
async fn child(kubeconfig: &str, summary_only: bool) -> Result<()> {
    let kc = fleet::kubeconfig::load(Some(Path::new(kubeconfig)))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleet::CHANNEL_CAPACITY);
    let kinds = if summary_only { summary::kinds() } else { KindSet::ALL };
    // FleetOptions::default() reads nothing from the environment: the path is chosen here.
    let streaming_lists = std::env::var("FLEETDECK_STREAMING_LISTS").map_or(true, |v| v != "0");
    let opts = FleetOptions { kinds, streaming_lists, ..FleetOptions::default() };
    let t = Instant::now();
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let synced = loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(m) = msg else { bail!("the fleet stopped") };
                store.apply(m, Timestamp::now());
            }
            _ = tick.tick() => {
                let rows = summarize_all(&store, Timestamp::now());
                if !rows.is_empty() && rows.iter().all(|r| r.settled()) {
                    break t.elapsed();
                }
                if t.elapsed() > Duration::from_secs(120) {
                    bail!("the fleet did not settle in 120 s");
                }
            }
        }
    };
    let lists: Vec<_> = summarize_all(&store, Timestamp::now()).iter().filter_map(|r| r.initial_list).collect();
    println!(
        "RESULT complete={:.2} objects={} peak_rss={:.1} heap_peak={:.1} heap_live={:.1} lists={}",
        synced.as_secs_f64(),
        store.len(),
        status_mb("self", "VmHWM:").unwrap_or(f64::NAN),
        mb(PEAK.load(Ordering::Relaxed)),
        mb(LIVE.load(Ordering::Relaxed)),
        lists.join("/")
    );
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        tokio::select! {
            msg = rx.recv() => { if let Some(m) = msg { store.apply(m, Timestamp::now()); } }
            _ = tokio::time::sleep_until(until) => break,
        }
    }
    println!(
        "STEADY rss={:.1} heap_live={:.1} objects={}",
        status_mb("self", "VmRSS:").unwrap_or(f64::NAN),
        mb(LIVE.load(Ordering::Relaxed)),
        store.len()
    );
    Ok(())
}

/// `key=value` of a `RESULT`/`STEADY` line.
fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Runs this binary as a `--child`; returns (complete s, peak RSS MB, steady RSS MB) and prints its lines.
fn run_child(exe: &Path, kubeconfig: &Path, streaming: bool, summary_only: bool) -> Result<(f64, f64, f64)> {
    let mut cmd = Command::new(exe);
    cmd.arg("--child").arg(kubeconfig).env("FLEETDECK_STREAMING_LISTS", if streaming { "1" } else { "0" });
    if summary_only {
        cmd.arg("--summary");
    }
    let out = cmd.stderr(Stdio::inherit()).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!("child failed: {text}");
    }
    let result = text.lines().find(|l| l.starts_with("RESULT")).context("no RESULT")?;
    let steady = text.lines().find(|l| l.starts_with("STEADY")).context("no STEADY")?;
    println!("    {result}\n    {steady}");
    Ok((field(result, "complete"), field(result, "peak_rss"), field(steady, "rss")))
}

/// One `fleetdeck contexts -o json`: (wall s, peak RSS MB, the contexts it printed before they settled,
/// i.e. its deadline cut their sync short: `""` when none).
fn run_contexts(kubeconfig: &Path, streaming: bool, home: &Path) -> Result<(f64, f64, String)> {
    std::fs::create_dir_all(home)?;
    let out_path = home.join("contexts.json");
    let t = Instant::now();
    let mut child = Command::new(fleetdeck_bin())
        .args(["contexts", "-o", "json", "--kubeconfig"])
        .arg(kubeconfig)
        .env("FLEETDECK_HOME", home)
        .env("FLEETDECK_STREAMING_LISTS", if streaming { "1" } else { "0" })
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(Stdio::inherit())
        .spawn()?;
    // The peak is the child's own VmHWM, read every 5 ms while it runs. (Not `ru_maxrss` from wait4: Linux
    // copies the parent's high-water mark into a vforked child at exec, so that figure is never below the
    // bench's own peak.)
    let pid = child.id().to_string();
    let mut peak = 0.0f64;
    let status = loop {
        if let Some(hwm) = status_mb(&pid, "VmHWM:") {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = t.elapsed().as_secs_f64();
    if !status.success() {
        bail!("fleetdeck contexts failed ({status})");
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path)?)?;
    let rows = json["contexts"].as_array().context("contexts")?;
    // Every context settled: dead (the demo's broken-* contexts), or Ready with every watched kind synced.
    let unsettled: Vec<_> = rows
        .iter()
        .filter(|r| {
            r["state"] == "Connecting"
                || (r["state"] == "Ready" && r["origin"]["aliasOf"].is_null() && r["kindsSynced"] != r["kindsServed"])
        })
        .map(|r| r["name"].clone())
        .collect();
    if !rows.iter().any(|r| r["state"] == "Ready") {
        bail!("no context Ready");
    }
    let unsettled = unsettled.iter().filter_map(|n| n.as_str()).collect::<Vec<_>>().join(", ");
    Ok((wall, peak, unsettled))
}

/// The `fleetdeck` binary parts 2 and 3 run: `FLEETDECK_BENCH_BIN`, else this build's.
fn fleetdeck_bin() -> String {
    std::env::var("FLEETDECK_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_fleetdeck").to_string())
}

fn tmux(socket: &str, args: &[&str]) -> Result<String> {
    let out = Command::new("tmux").args(["-L", socket]).args(args).output().context("tmux")?;
    if !out.status.success() {
        bail!("tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The cockpit in tmux for 30 s: (peak RSS MB, steady RSS MB at 30 s).
fn run_cockpit(kubeconfig: &Path, streaming: bool, home: &Path) -> Result<(f64, f64)> {
    std::fs::create_dir_all(home)?;
    let socket = format!("fleetdeck-initial-sync-{}", std::process::id());
    let script = format!(
        "exec env FLEETDECK_HOME={} FLEETDECK_STREAMING_LISTS={} {} --kubeconfig {}",
        home.display(),
        if streaming { "1" } else { "0" },
        fleetdeck_bin(),
        kubeconfig.display()
    );
    tmux(&socket, &["new-session", "-d", "-s", "b", "-x", "200", "-y", "60", "bash", "--norc", "-c", &script])?;
    let pid = tmux(&socket, &["display", "-p", "-t", "b", "#{pane_pid}"])?;
    std::thread::sleep(Duration::from_secs(30));
    let peak = status_mb(&pid, "VmHWM:");
    let steady = status_mb(&pid, "VmRSS:");
    let screen = tmux(&socket, &["capture-pane", "-p", "-t", "b"]).unwrap_or_default();
    let _ = tmux(&socket, &["kill-server"]);
    match (peak, steady) {
        (Some(p), Some(s)) => Ok((p, s)),
        _ => bail!("the cockpit was not running after 30 s; its screen:\n{screen}"),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let kubeconfig = args.get(i + 1).context("--child KUBECONFIG")?;
        return rt.block_on(child(kubeconfig, args.iter().any(|a| a == "--summary")));
    }
    let scale: usize = std::env::var("FLEETDECK_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let dir = tempfile::tempdir()?;
    let (_demo, kubeconfig) = match std::env::var("FLEETDECK_BENCH_KUBECONFIG") {
        Ok(k) => (None, std::path::PathBuf::from(k)),
        Err(_) => {
            let opts = DemoOptions {
                dir: dir.path().join("demo"),
                scale,
                controllers: false,
                contexts: 0,
                flux: fleetdeck::demo::FluxMode::Simulated,
                credential_plugin: None,
            };
            let demo = rt.block_on(DemoFleet::start(&opts, &mut |l| eprintln!("demo: {l}")))?;
            let k = demo.kubeconfig.clone();
            (Some(demo), k)
        }
    };
    let kc = fleet::kubeconfig::load(Some(&kubeconfig))?;
    let version = rt.block_on(async {
        let client = kube::Client::try_from(
            kube::Config::from_custom_kubeconfig((*kc.config).clone(), &Default::default()).await?,
        )?;
        anyhow::Ok(client.apiserver_version().await?.git_version)
    })?;
    println!("demo fleet: scale {scale}, kube-apiserver {version}; fleetdeck binary {}", fleetdeck_bin());
    let exe = std::env::current_exe()?;
    let mut table = Vec::new();
    let paths = std::env::var("FLEETDECK_BENCH_PATHS").unwrap_or_else(|_| "streaming,list".into());
    for streaming in [true, false] {
        let path = if streaming { "streaming" } else { "list" };
        if !paths.split(',').any(|p| p == path) {
            continue;
        }
        println!("== {path} path");
        println!("  store only, every kind (as the cockpit):");
        let (complete, peak, steady) = run_child(&exe, &kubeconfig, streaming, false)?;
        println!("  store only, the summary's kinds (as `contexts`):");
        let (_, _, summary_steady) = run_child(&exe, &kubeconfig, streaming, true)?;
        let mut walls = Vec::new();
        let mut peaks = Vec::new();
        let mut cut_short = 0;
        for run in 0..3 {
            let home = dir.path().join(format!("contexts-{path}-{run}"));
            let (wall, rss, unsettled) = run_contexts(&kubeconfig, streaming, &home)?;
            let note = if unsettled.is_empty() { String::new() } else { format!(" (not synced yet: {unsettled})") };
            println!("  contexts -o json run {run}: {wall:.2} s wall, peak RSS {rss:.1} MB{note}");
            cut_short += usize::from(!unsettled.is_empty());
            walls.push(wall);
            peaks.push(rss);
        }
        let (cockpit_peak, cockpit_steady) =
            run_cockpit(&kubeconfig, streaming, &dir.path().join(format!("cockpit-{path}")))?;
        println!("  cockpit: peak RSS {cockpit_peak:.1} MB, steady {cockpit_steady:.1} MB");
        let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
        let min = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::min);
        table.push(format!(
            "{path:<9}  store: complete {complete:.2} s, peak {peak:.1} / steady {steady:.1} MB ({:.2}x)  \
             contexts: {:.2}-{:.2} s, peak {:.1}-{:.1} MB ({:.2}x of its store's steady {summary_steady:.1}), \
             {cut_short}/3 cut short  \
             cockpit: peak {cockpit_peak:.1} / steady {cockpit_steady:.1} MB ({:.2}x)",
            peak / steady,
            min(&walls),
            max(&walls),
            min(&peaks),
            max(&peaks),
            max(&peaks) / summary_steady,
            cockpit_peak / cockpit_steady,
        ));
    }
    println!("\nsummary (scale {scale}, {version}):");
    for line in table {
        println!("  {line}");
    }
    Ok(())
}
