//! Bench: issue 18's fleet of a thousand contexts (targets in brackets).
//!
//! The demo fleet with `--contexts N` (default 1,000; `FLEETDECK_BENCH_CONTEXTS`): N contexts with a user each
//! over two API servers, a tenth of them dead (half refused, half hung), plus the demo's own five. A child
//! process (this binary re-executed with `--measure`, so its RSS is the fleet's alone, with the binary's
//! allocator) starts the fleet as the cockpit does (a [`Demand`], Warning Events on, lineage on) and
//! reports:
//! - every reachable context's summary complete [<= 10 s] and every dead one marked [<= 5 s];
//! - the heap and RSS along the way, and steady RSS 10 s after [<= 300 MB];
//! - idle CPU over 10 s once settled [~0];
//! - opening one context (the demand asks for all its kinds): its rows complete [<= 1 s];
//! - the watches open, from the store (kinds served per context).
//!
//! `FLEETDECK_BENCH_KUBECONFIG=<path>` measures an existing fleet (e.g. `fleetdeck demo up --contexts
//! 1000`); `FLEETDECK_BENCH_FULL=1` turns the plan off (every context watches every kind: the baseline).
//! Run: `cargo bench --bench fleet_scale`.
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fleetdeck::demo::edge::{self, Reach};
use fleetdeck::demo::{DemoFleet, DemoOptions};
use fleetdeck::fleet::demand::{Demand, Wants};
use fleetdeck::fleet::{self, Fleet, FleetOptions};
use fleetdeck::model::kinds::KindSet;
use fleetdeck::model::store::{ConnState, FleetStore, KindState};
use fleetdeck::model::summary::summarize_all;
use k8s_openapi::jiff::Timestamp;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, mb};

#[global_allocator]
static ALLOC: Counting = Counting;

fn status_kb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0.0)
}

/// User + system CPU seconds of this process (`/proc/self/stat` utime and stime, in 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = after.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    (f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0)) / 100.0
}

/// Whether a context of the demo fleet is dead by construction.
fn dead(name: &str) -> bool {
    name == fleetdeck::demo::UNREACHABLE
        || name
            .strip_prefix("edge-")
            .and_then(|n| n.parse::<usize>().ok())
            .is_some_and(|i| !matches!(edge::reach(i), Reach::Server(_)))
}

fn watched(store: &FleetStore) -> usize {
    store
        .contexts()
        .map(|(_, c)| c.kinds.values().filter(|k| k.state.is_some_and(|s| s != KindState::CrdMissing)).count())
        .sum()
}

async fn measure(kubeconfig: &str) -> Result<()> {
    let kc = fleet::kubeconfig::load(Some(Path::new(kubeconfig)))?;
    let total = kc.config.contexts.len();
    let dead_n = kc.config.contexts.iter().filter(|c| dead(&c.name)).count();
    let demand = Demand::new();
    let full = std::env::var("FLEETDECK_BENCH_FULL").is_ok_and(|v| v == "1");
    let opts =
        FleetOptions { warning_events: true, demand: (!full).then(|| demand.clone()), ..FleetOptions::default() };
    // Experiments: FLEETDECK_BENCH_KINDS=none (connections only) or node (one watch each).
    let mut opts = opts;
    match std::env::var("FLEETDECK_BENCH_KINDS").as_deref() {
        Ok("none") => opts.kinds = KindSet::NONE,
        Ok("node") => opts.kinds = KindSet::NONE.with(fleetdeck::model::kinds::KindId::NODE),
        _ => {}
    }
    if let Ok(n) = std::env::var("FLEETDECK_BENCH_CONNECTING") {
        opts.max_connecting = n.parse().context("FLEETDECK_BENCH_CONNECTING")?;
    }
    if let Ok(n) = std::env::var("FLEETDECK_BENCH_SYNCING") {
        opts.max_syncing = n.parse().context("FLEETDECK_BENCH_SYNCING")?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleet::CHANNEL_CAPACITY);
    let t = Instant::now();
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let (mut reachable_done, mut dead_done) = (None, None);
    let mut next_report = Duration::from_secs(2);
    let limit = Duration::from_secs(120);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(m) = msg else { bail!("the fleet stopped") };
                store.apply(m, Timestamp::now());
                while let Ok(m) = rx.try_recv() {
                    store.apply(m, Timestamp::now());
                }
            }
            _ = tick.tick() => {
                let rows = summarize_all(&store, Timestamp::now());
                let (dead_rows, live_rows): (Vec<_>, Vec<_>) = rows.iter().partition(|r| dead(&r.name));
                let live_ok = live_rows.iter().filter(|r| r.state == ConnState::Ready && r.settled()).count();
                let dead_ok = dead_rows.iter().filter(|r| r.state == ConnState::Unreachable).count();
                // Rows, not kubeconfig contexts: lineage adds the workload clusters of mgmt.
                if reachable_done.is_none() && live_rows.len() >= total - dead_n && live_ok == live_rows.len() {
                    reachable_done = Some(t.elapsed());
                }
                if dead_done.is_none() && dead_rows.len() == dead_n && dead_ok == dead_n {
                    dead_done = Some(t.elapsed());
                }
                if t.elapsed() >= next_report {
                    next_report += Duration::from_secs(2);
                    println!(
                        "  {:>4.0} s: {live_ok}/{} reachable settled, {dead_ok}/{dead_n} dead marked; {} watches, {} \
                         objects; heap {:.0} MB, RSS {:.0} MB, CPU {:.1} s",
                        t.elapsed().as_secs_f64(),
                        live_rows.len(),
                        watched(&store),
                        store.len(),
                        mb(LIVE.load(Ordering::Relaxed)),
                        status_kb("VmRSS:") / 1024.0,
                        cpu_seconds()
                    );
                }
                if reachable_done.is_some() && dead_done.is_some() {
                    break;
                }
                if t.elapsed() > limit {
                    bail!("not settled in {} s", limit.as_secs());
                }
            }
        }
    }
    let (a, b) = (reachable_done.unwrap_or_default(), dead_done.unwrap_or_default());
    println!(
        "{total} contexts ({} reachable, {dead_n} dead; {}): every reachable summary complete in {:.2} s [<= 10 s], \
         dead marked in {:.2} s [<= 5 s]; {} watches, {} objects",
        total - dead_n,
        if full { "every kind everywhere" } else { "summary kinds + demand" },
        a.as_secs_f64(),
        b.as_secs_f64(),
        watched(&store),
        store.len()
    );
    // Steady state: keep applying for 10 s, then idle CPU over 10 s.
    let drain = |store: &mut FleetStore, rx: &mut tokio::sync::mpsc::Receiver<_>| {
        while let Ok(m) = rx.try_recv() {
            store.apply(m, Timestamp::now());
        }
    };
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(m)) = tokio::time::timeout_at(until, rx.recv()).await {
        store.apply(m, Timestamp::now());
    }
    let rss = status_kb("VmRSS:") / 1024.0;
    let heap = mb(LIVE.load(Ordering::Relaxed));
    let cpu0 = cpu_seconds();
    let mut messages = 0usize;
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(m)) = tokio::time::timeout_at(until, rx.recv()).await {
        store.apply(m, Timestamp::now());
        messages += 1;
    }
    println!(
        "steady: RSS {rss:.0} MB [<= 300 MB] (peak {:.0} MB), heap live {heap:.0} MB; idle CPU {:.2} s over 10 s \
         ({messages} messages: probes and reconnections of the dead)",
        status_kb("VmHWM:") / 1024.0,
        cpu_seconds() - cpu0
    );
    println!("steady heap by block size (MB): {}", counting_alloc::by_size());
    drain(&mut store, &mut rx);
    // The objects' JSON as the store keeps it (LZ4-compressed, `model::object`), and what reading it all back
    // costs.
    let objects: Vec<_> =
        store.contexts().flat_map(|(_, c)| c.kinds.values().flat_map(|k| k.objects.values())).collect();
    let (text, kept) = objects.iter().fold((0, 0), |(t, k), o| (t + o.json_len(), k + o.stored_len()));
    let t = Instant::now();
    let read: usize = objects.iter().map(|o| o.json().len()).sum();
    println!(
        "the objects' JSON: {:.1} MB kept in {:.1} MB; all {} read back in {:.0} ms",
        mb(text),
        mb(kept),
        objects.len(),
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert_eq!(read, text, "the JSON read back is as long as the JSON kept");
    // What the cockpit holds on top of the store: every list's rows, built once from the steady store.
    let (live, t) = (LIVE.load(Ordering::Relaxed), Instant::now());
    let rows = fleetdeck::ui::rows::Rows::derive(&store, Timestamp::now());
    let built = t.elapsed();
    println!(
        "the cockpit's rows over it: {:.1} MB more heap, built in {:.0} ms ({} fleet, {} clusters, {} flux, {} \
         terraform, {} crossplane)",
        mb(LIVE.load(Ordering::Relaxed).saturating_sub(live)),
        built.as_secs_f64() * 1000.0,
        rows.fleet.len(),
        rows.clusters.len(),
        rows.flux.len(),
        rows.terraform.len(),
        rows.crossplane.len()
    );
    drop(rows);
    // Opening one context: the demand asks for every kind of it.
    let pick = store
        .contexts()
        .map(|(n, _)| n.to_string())
        .find(|n| n.starts_with("edge-") && !dead(n))
        .context("no live edge context")?;
    let before = store.context(&pick).map_or(0, |c| c.kinds.len());
    let mut w = Wants::default();
    w.contexts.insert(pick.as_str().into(), KindSet::ALL);
    let t = Instant::now();
    demand.publish(w);
    loop {
        let Some(m) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.ok().flatten() else {
            bail!("{pick}: its full view did not complete in 10 s")
        };
        store.apply(m, Timestamp::now());
        drain(&mut store, &mut rx);
        let c = store.context(&pick).context("the picked context vanished")?;
        let served = c.kinds.values().filter(|k| k.state.is_some_and(|s| s != KindState::CrdMissing)).count();
        let synced = c.kinds.values().filter(|k| k.state == Some(KindState::Synced)).count();
        if !full && served > before && synced == served {
            println!(
                "opening {pick}: {synced} kinds synced (from {before}) in {:.0} ms [<= 1 s], {} objects there",
                t.elapsed().as_secs_f64() * 1e3,
                c.kinds.values().map(|k| k.objects.len()).sum::<usize>()
            );
            break;
        }
        if full {
            println!("(every kind is already watched: nothing to open)");
            break;
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        let k = args.get(i + 1).context("--measure KUBECONFIG")?;
        return rt.block_on(measure(k));
    }
    let n: usize = std::env::var("FLEETDECK_BENCH_CONTEXTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let (kubeconfig, _fleet): (PathBuf, Option<(DemoFleet, tempfile::TempDir)>) =
        match std::env::var("FLEETDECK_BENCH_KUBECONFIG") {
            Ok(k) => (PathBuf::from(k), None),
            Err(_) => {
                let dir = tempfile::tempdir()?;
                let opts = DemoOptions {
                    dir: dir.path().to_path_buf(),
                    scale: 0,
                    controllers: false,
                    contexts: n,
                    flux: fleetdeck::demo::FluxMode::Simulated,
                    credential_plugin: None,
                };
                let t = Instant::now();
                let fleet = rt.block_on(DemoFleet::start(&opts, &mut |l| eprintln!("demo: {l}")))?;
                println!("demo fleet with --contexts {n} up in {:.1} s", t.elapsed().as_secs_f64());
                (fleet.kubeconfig.clone(), Some((fleet, dir)))
            }
        };
    let exe = std::env::current_exe()?;
    let status = Command::new(exe).args(["--measure", &kubeconfig.to_string_lossy()]).status()?;
    if !status.success() {
        bail!("the measuring process failed: {status}");
    }
    Ok(())
}
