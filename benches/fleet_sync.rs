//! Bench: the live fleet model against the demo fleet with `--scale` (issue targets in brackets).
//!
//! 1. ~10,000 watched objects across 3 API servers: initial sync to a complete store [<= 3 s] and
//!    steady-state RSS of a process that runs only the fleet and its store, with the binary's allocator
//!    (mimalloc) [<= 120 MB], and the live heap
//!    (bytes counted by a counting global allocator) and what the store alone holds (heap freed by dropping
//!    it);
//! 2. 200 status updates/s: patch sent -> applied in the store (includes the API server's own latency), and
//!    received -> applied [p99 <= 20 ms], "received" being when a bare kube-runtime watcher in the same
//!    process gets the same event;
//! 3. 50 contexts of which 10 unreachable (5 refused, 5 that accept TCP and never answer): all reachable
//!    summaries complete [<= 2 s], unreachable ones marked [<= 4 s]; once with identical contexts sharing a
//!    connection (the default) and once with one connection per context. `FLEETDECK_BENCH_CONTEXTS=N` runs N
//!    contexts instead (the same split: a fifth dead), with the child's RSS and object count when settled
//!    (issue 18's baseline); `FLEETDECK_BENCH_KINDS=summary` watches only the summary kinds (issue 18's
//!    watch plan is measured on its own fleet by `benches/fleet_scale.rs`).
//!
//! The measuring side runs in a child process (this binary re-executed with `--measure ...`) so its RSS is
//! the fleet's alone. Run: `cargo bench --bench fleet_sync` (`FLEETDECK_BENCH_SCALE` sets N, default 260).
//!
//! For repeated runs without re-seeding: `fleet_sync --serve N` starts a demo fleet of scale N (no
//! controllers), prints `KUBECONFIG <path>` and runs until killed; then `FLEETDECK_BENCH_KUBECONFIG=<path>`
//! makes the bench use that fleet for parts 1 and 2 and `FLEETDECK_BENCH_SMALL_KUBECONFIG=<path>` for part
//! 3. `FLEETDECK_BENCH_PARTS=contexts,sync` chooses the parts (default both). `FLEETDECK_BENCH_STREAMING=0`
//! lists the initial state instead of streaming it (the path of servers without WatchList).
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fleetdeck::demo::{DemoFleet, DemoOptions};
use fleetdeck::fleet::{self, Fleet, FleetOptions};
use fleetdeck::model::store::{ConnState, FleetStore, KindEvent, KindState, StoreEvent};
use fleetdeck::model::summary::summarize_all;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{Kubeconfig, NamedCluster, NamedContext};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, PEAK, mb};

#[global_allocator]
static ALLOC: Counting = Counting;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / 1_048_576.0
}

/// User + system CPU seconds this process used so far (`/proc/self/stat` fields 14 and 15, in clock ticks
/// of 1/100 s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = after.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // Fields after the command: state is 3 (not a number), so utime (14) and stime (15) are at 10 and 11 here.
    (f.get(10).copied().unwrap_or(0.0) + f.get(11).copied().unwrap_or(0.0)) / 100.0
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

const STAMP: &str = "fleetdeckBenchSentAtNanos";

/// The value of `"<STAMP>":<n>` in an object's compact JSON text.
fn stamp_of(json: &str) -> Option<i64> {
    let at = json.find(&format!("\"{STAMP}\":"))? + STAMP.len() + 3;
    let digits = json[at..].split(|c: char| !c.is_ascii_digit() && c != '-').next()?;
    digits.parse().ok()
}

/// Child: sync, report, then measure update latency until told the updates are over.
async fn measure(kubeconfig: &str) -> Result<()> {
    let kc = fleet::kubeconfig::load(Some(Path::new(kubeconfig)))?;
    let only: Vec<String> = ["mgmt", "dev-eu", "prod-us"].map(String::from).to_vec();
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleet::CHANNEL_CAPACITY);
    let t = Instant::now();
    // FLEETDECK_BENCH_STREAMING=0 measures the list path (servers without WatchList) on the same servers.
    let streaming_lists = std::env::var("FLEETDECK_BENCH_STREAMING").map_or(true, |v| v != "0");
    let opts = FleetOptions { lineage: false, streaming_lists, ..FleetOptions::default() };
    let mut fleet = Fleet::start(&kc, &only, opts, tx).await?;
    let mut store = FleetStore::new();
    let mut synced = false;
    let mut timeline: Vec<(Duration, String)> = Vec::new();
    let mut served = Vec::new();
    let mut latencies = Vec::new();
    // (stamp, when applied) here and (stamp, when received) by a bare watcher on the same server: their
    // difference is fleetdeck's own received -> applied time.
    let mut applied: Vec<(i64, Instant)> = Vec::new();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, Instant)>::new()));
    let mut reference: Option<tokio::task::JoinHandle<()>> = None;
    let mut steady_deadline = None;
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut done = tokio::io::BufReader::new(tokio::io::stdin());
    let mut line = String::new();
    let mut waiting_for_done = false;
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                let sent = match &msg.event {
                    // Read from the compact text, so the bench does not parse (and keep) the object.
                    StoreEvent::Kind(_, KindEvent::Apply(o)) => stamp_of(&o.json()),
                    _ => None,
                };
                if !synced {
                    match &msg.event {
                        StoreEvent::Ready { .. } => timeline.push((t.elapsed(), format!("{} Ready", msg.context))),
                        StoreEvent::Kind(k, KindEvent::Served { .. }) if !served.contains(&msg.context) => {
                            served.push(msg.context.clone());
                            timeline.push((t.elapsed(), format!("{} first watch ({k})", msg.context)));
                        }
                        StoreEvent::Kind(k, KindEvent::InitDone) => {
                            timeline.push((t.elapsed(), format!("{}/{k} listed", msg.context)))
                        }
                        _ => {}
                    }
                }
                store.apply(msg, Timestamp::now());
                if let Some(sent) = sent {
                    let now = Timestamp::now().as_nanosecond() as i64;
                    latencies.push((now - sent) as f64 / 1e6);
                    applied.push((sent, Instant::now()));
                }
            }
            _ = tick.tick() => {
                if !synced
                    && summarize_all(&store, Timestamp::now()).iter().all(|s| s.settled() && s.state == ConnState::Ready)
                {
                    synced = true;
                    let sync = t.elapsed();
                    println!(
                        "synced {} objects in {:.2} s; RSS {:.1} MB, heap live {:.1} MB (peak {:.1} MB)",
                        store.len(),
                        sync.as_secs_f64(),
                        rss_mb(),
                        mb(LIVE.load(Ordering::Relaxed)),
                        mb(PEAK.load(Ordering::Relaxed))
                    );
                    steady_deadline = Some(Instant::now() + Duration::from_secs(10));
                    let firsts: Vec<_> = timeline.iter().filter(|(_, e)| !e.ends_with("listed")).collect();
                    let mut lists: Vec<_> = timeline.iter().filter(|(_, e)| e.ends_with("listed")).collect();
                    lists.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
                    let show = |v: &[&(Duration, String)]| {
                        v.iter().map(|(d, e)| format!("{e} {:.2} s", d.as_secs_f64())).collect::<Vec<_>>().join(", ")
                    };
                    println!("  timeline: {}", show(&firsts));
                    println!("  last lists done: {}", show(&lists[..lists.len().min(5)]));
                    println!("  {} lists done (of {} watched kinds)", lists.len(), served_kinds(&store));
                }
                if steady_deadline.is_some_and(|d| Instant::now() > d) {
                    steady_deadline = None;
                    println!(
                        "steady-state RSS after 10 s: {:.1} MB, heap live {:.1} MB ({} objects)",
                        rss_mb(),
                        mb(LIVE.load(Ordering::Relaxed)),
                        store.len()
                    );
                    reference = Some(tokio::spawn(reference_watcher(kubeconfig.to_string(), received.clone())));
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    println!("READY");
                    std::io::stdout().flush()?;
                    waiting_for_done = true;
                }
            }
            n = tokio::io::AsyncBufReadExt::read_line(&mut done, &mut line), if waiting_for_done => {
                // The parent closes stdin when its updates are over; drain what is still queued, then report.
                let _ = n;
                while let Ok(msg) = rx.try_recv() {
                    store.apply(msg, Timestamp::now());
                }
                let mut l = latencies.clone();
                if !l.is_empty() {
                    println!(
                        "LAT n={} p50={:.2} p99={:.2} max={:.2}",
                        l.len(),
                        percentile(&mut l, 0.5),
                        percentile(&mut l, 0.99),
                        percentile(&mut l, 1.0)
                    );
                }
                if let Some(r) = reference.take() {
                    r.abort();
                }
                let got: std::collections::HashMap<i64, Instant> =
                    received.lock().map(|r| r.iter().copied().collect()).unwrap_or_default();
                let mut own: Vec<f64> = applied
                    .iter()
                    .filter_map(|(stamp, at)| {
                        let r = got.get(stamp)?;
                        Some(at.checked_duration_since(*r).map_or_else(
                            || -(r.duration_since(*at).as_secs_f64()),
                            |d| d.as_secs_f64(),
                        ) * 1e3)
                    })
                    .collect();
                if !own.is_empty() {
                    println!(
                        "LAT2 n={} p50={:.2} p99={:.2} max={:.2}",
                        own.len(),
                        percentile(&mut own, 0.5),
                        percentile(&mut own.clone(), 0.99),
                        percentile(&mut own, 1.0)
                    );
                }
                let objects = store.len();
                let before = LIVE.load(Ordering::Relaxed);
                drop(store);
                let after_store = LIVE.load(Ordering::Relaxed);
                fleet.stop();
                drop(rx);
                tokio::time::sleep(Duration::from_millis(500)).await;
                let after_fleet = LIVE.load(Ordering::Relaxed);
                println!(
                    "heap held by the store: {:.1} MB for {objects} objects ({:.0} bytes each); by the watch tasks \
                     and clients: {:.1} MB; rest: {:.1} MB",
                    mb(before - after_store),
                    (before - after_store) as f64 / objects.max(1) as f64,
                    mb(after_store.saturating_sub(after_fleet)),
                    mb(after_fleet)
                );
                return Ok(());
            }
        }
    }
    Ok(())
}

/// A bare kube-runtime watcher on mgmt's Kustomizations recording when each stamped update arrives.
async fn reference_watcher(kubeconfig: String, received: std::sync::Arc<std::sync::Mutex<Vec<(i64, Instant)>>>) {
    use futures::StreamExt;
    let Ok(kc) = Kubeconfig::read_from(&kubeconfig) else { return };
    let opts = kube::config::KubeConfigOptions { context: Some("mgmt".into()), ..Default::default() };
    let Ok(config) = kube::Config::from_custom_kubeconfig(kc, &opts).await else { return };
    let Ok(client) = kube::Client::try_from(config) else { return };
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
        "kustomizations",
    );
    let api: Api<DynamicObject> = Api::all_with(client, &ar);
    let mut config = kube::runtime::watcher::Config::default().any_semantic();
    config.page_size = None;
    let mut stream = std::pin::pin!(kube::runtime::watcher(api, config));
    while let Some(ev) = stream.next().await {
        if let Ok(kube::runtime::watcher::Event::Apply(o)) = ev
            && let Some(stamp) = o.data.pointer(&format!("/status/{STAMP}")).and_then(|v| v.as_i64())
            && let Ok(mut r) = received.lock()
        {
            r.push((stamp, Instant::now()));
        }
    }
}

fn served_kinds(store: &FleetStore) -> usize {
    store
        .contexts()
        .map(|(_, c)| c.kinds.values().filter(|k| k.state.is_some_and(|s| s != KindState::CrdMissing)).count())
        .sum()
}

/// Child: N contexts, time to settled / unreachable, and the process's RSS then. The summaries are computed
/// once the channel is drained (as the cockpit does before a frame), not per message.
async fn measure_contexts(kubeconfig: &str, share: bool) -> Result<()> {
    let kc = fleet::kubeconfig::load(Some(Path::new(kubeconfig)))?;
    let total = kc.config.contexts.len();
    let dead_n = kc.config.contexts.iter().filter(|c| c.name.starts_with("dead-")).count();
    let live_n = total - dead_n;
    let limit = Duration::from_secs(30 + total as u64 / 10);
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleet::CHANNEL_CAPACITY);
    let t = Instant::now();
    let mut opts = FleetOptions { lineage: false, share_connections: share, ..FleetOptions::default() };
    if std::env::var("FLEETDECK_BENCH_KINDS").is_ok_and(|k| k == "summary") {
        opts.kinds = fleetdeck::model::summary::kinds();
    }
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let (mut reachable_done, mut unreachable_done) = (None, None);
    while let Some(msg) = rx.recv().await {
        store.apply(msg, Timestamp::now());
        while let Ok(msg) = rx.try_recv() {
            store.apply(msg, Timestamp::now());
        }
        let rows = summarize_all(&store, Timestamp::now());
        let reach: Vec<_> = rows.iter().filter(|r| !r.name.starts_with("dead-")).collect();
        let dead: Vec<_> = rows.iter().filter(|r| r.name.starts_with("dead-")).collect();
        if reachable_done.is_none()
            && reach.len() == live_n
            && reach.iter().all(|r| r.settled() && r.state == ConnState::Ready)
        {
            reachable_done = Some(t.elapsed());
        }
        if unreachable_done.is_none() && dead.len() == dead_n && dead.iter().all(|r| r.state == ConnState::Unreachable)
        {
            unreachable_done = Some(t.elapsed());
        }
        if let (Some(a), Some(b)) = (reachable_done, unreachable_done) {
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
                })
                .unwrap_or_default();
            println!(
                "{total} contexts ({} reachable, {} unreachable; {}): reachable summaries complete in {:.2} s (target \
                 <= 2 s at 50), unreachable marked in {:.2} s (target <= 4 s at 50); RSS {rss} kB, heap live {:.1} MB, \
                 {} objects; CPU {:.1} s",
                reach.len(),
                dead.len(),
                if share { "identical contexts share a connection" } else { "one connection per context" },
                a.as_secs_f64(),
                b.as_secs_f64(),
                mb(LIVE.load(Ordering::Relaxed)),
                store.len(),
                cpu_seconds()
            );
            return Ok(());
        }
        if t.elapsed() > limit {
            bail!("{total} contexts did not settle in {} s", limit.as_secs());
        }
    }
    Ok(())
}

/// `--serve N`: a demo fleet of scale N until killed.
fn serve(rt: &tokio::runtime::Runtime, scale: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().to_path_buf(),
        scale,
        controllers: false,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Simulated,
        credential_plugin: None,
    };
    let fleet = rt.block_on(DemoFleet::start(&opts, &mut |l| eprintln!("demo: {l}")))?;
    println!("KUBECONFIG {}", fleet.kubeconfig.display());
    std::io::stdout().flush()?;
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let arg = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if let Some(k) = arg("--measure") {
        return rt.block_on(measure(&k));
    }
    if let Some(k) = arg("--measure-contexts") {
        return rt.block_on(measure_contexts(&k, !args.iter().any(|a| a == "--no-share")));
    }
    if let Some(n) = arg("--serve") {
        return serve(&rt, n.parse().context("--serve N")?);
    }
    let scale: usize = std::env::var("FLEETDECK_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(260);
    let parts = std::env::var("FLEETDECK_BENCH_PARTS").unwrap_or_else(|_| "contexts,sync".into());
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;

    // 3 first, on the plain demo fleet (the target is about connections, not object counts).
    if parts.contains("contexts") {
        let (kubeconfig, _fleet) = fleet_for("FLEETDECK_BENCH_SMALL_KUBECONFIG", 0, &rt)?;
        fifty_contexts(&kubeconfig, &exe, dir.path())?;
    }
    if parts.contains("sync") {
        let (kubeconfig, _fleet) = fleet_for("FLEETDECK_BENCH_KUBECONFIG", scale, &rt)?;
        sync_and_updates(&kubeconfig, &exe, &rt)?;
    }
    Ok(())
}

/// The kubeconfig named by `env`, else a new demo fleet of `scale` (kept alive by the returned value).
fn fleet_for(
    env: &str,
    scale: usize,
    rt: &tokio::runtime::Runtime,
) -> Result<(PathBuf, Option<(DemoFleet, tempfile::TempDir)>)> {
    if let Ok(k) = std::env::var(env) {
        return Ok((PathBuf::from(k), None));
    }
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().to_path_buf(),
        scale,
        controllers: false,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Simulated,
        credential_plugin: None,
    };
    let fleet = rt.block_on(DemoFleet::start(&opts, &mut |l| eprintln!("demo: {l}")))?;
    Ok((fleet.kubeconfig.clone(), Some((fleet, dir))))
}

/// 1 + 2: sync, RSS, update latency, measured in a child process.
fn sync_and_updates(kubeconfig: &Path, exe: &Path, rt: &tokio::runtime::Runtime) -> Result<()> {
    let kubeconfig = kubeconfig.to_string_lossy().into_owned();
    let mut child =
        Command::new(exe).args(["--measure", &kubeconfig]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let out = child.stdout.take().context("child stdout")?;
    let mut lines = BufReader::new(out).lines();
    for line in lines.by_ref() {
        let line = line?;
        if line == "READY" {
            break;
        }
        println!("{line}");
    }
    let ks_ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"),
        "kustomizations",
    );
    let achieved = rt.block_on(async {
        let kc = Kubeconfig::read_from(&kubeconfig)?;
        let opts = kube::config::KubeConfigOptions { context: Some("mgmt".into()), ..Default::default() };
        let client = kube::Client::try_from(kube::Config::from_custom_kubeconfig(kc, &opts).await?)?;
        let api: Api<DynamicObject> = Api::all_with(client.clone(), &ks_ar);
        let targets: Vec<(String, String)> = api
            .list(&ListParams::default())
            .await?
            .items
            .into_iter()
            .filter_map(|o| Some((o.metadata.namespace?, o.metadata.name?)))
            .collect();
        let rate = 200u64;
        let total = rate * 10;
        let start = tokio::time::Instant::now();
        let mut sends = Vec::new();
        for i in 0..total {
            tokio::time::sleep_until(start + Duration::from_micros(i * 1_000_000 / rate)).await;
            let (ns, name) = &targets[i as usize % targets.len()];
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ks_ar);
            let name = name.clone();
            sends.push(tokio::spawn(async move {
                let stamp = Timestamp::now().as_nanosecond() as i64;
                api.patch_status(&name, &PatchParams::default(), &Patch::Merge(json!({"status": {STAMP: stamp}})))
                    .await
                    .map(|_| ())
            }));
        }
        for s in sends {
            s.await??;
        }
        let achieved = total as f64 / start.elapsed().as_secs_f64();
        tokio::time::sleep(Duration::from_secs(2)).await;
        Ok::<_, anyhow::Error>(achieved)
    })?;
    drop(child.stdin.take());
    // The child prints its latency line and what the heap holds, then exits.
    for line in lines.by_ref() {
        let line = line?;
        if let Some(l) = line.strip_prefix("LAT ") {
            println!("status updates at {achieved:.0}/s, patch sent -> applied in the store (ms): {l}");
        } else if let Some(l) = line.strip_prefix("LAT2 ") {
            println!(
                "  received -> applied (ms; received = when a bare watcher in the same process got it): {l} \
                 (target p99 <= 20 ms)"
            );
        } else {
            println!("{line}");
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("the measuring process failed: {status}");
    }
    Ok(())
}

/// 3: 50 contexts (40 live over the fleet's three servers, 5 refused, 5 that never answer), written from
/// the fleet's kubeconfig and measured in a child process.
fn fifty_contexts(kubeconfig: &Path, exe: &Path, dir: &Path) -> Result<()> {
    let hung = TcpListener::bind("127.0.0.1:0")?;
    let hung_port = hung.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hung.incoming().flatten() {
            held.push(s); // accept and never answer
        }
    });
    let mut kc = Kubeconfig::read_from(kubeconfig)?;
    let base: Vec<NamedContext> = ["mgmt", "dev-eu", "prod-us"]
        .iter()
        .map(|n| kc.contexts.iter().find(|c| c.name == *n).cloned().with_context(|| format!("no context {n}")))
        .collect::<Result<_>>()?;
    let mgmt_cluster = kc.clusters.iter().find(|c| c.name == "mgmt").cloned().context("no cluster mgmt")?;
    // FLEETDECK_BENCH_CONTEXTS=N (default 50): four fifths live, one fifth dead (half refused, half hung).
    let n: usize = std::env::var("FLEETDECK_BENCH_CONTEXTS").ok().and_then(|s| s.parse().ok()).unwrap_or(50);
    let dead_n = n / 5;
    let mut contexts = Vec::new();
    for i in 0..n - dead_n {
        contexts.push(NamedContext { name: format!("live-{i:02}"), ..base[i % 3].clone() });
    }
    for i in 0..dead_n {
        let name = format!("dead-{i:02}");
        let mut cluster = NamedCluster { name: name.clone(), ..mgmt_cluster.clone() };
        if let Some(c) = cluster.cluster.as_mut() {
            c.server = Some(if i < dead_n / 2 {
                "https://127.0.0.1:1".into()
            } else {
                format!("https://127.0.0.1:{hung_port}")
            });
        }
        kc.clusters.push(cluster);
        let mut ctx = NamedContext { name, ..base[0].clone() };
        if let Some(c) = ctx.context.as_mut() {
            c.cluster = ctx.name.clone();
        }
        contexts.push(ctx);
    }
    kc.contexts = contexts;
    kc.current_context = Some("live-00".into());
    let kc50 = dir.join("kubeconfig-50");
    std::fs::write(&kc50, serde_json::to_string(&kc)?)?;
    // 40 live contexts over 3 servers with one admin user: shared connections (the default) make it 3
    // connections; `--no-share` measures 40, as 40 distinct users would need.
    for extra in [None, Some("--no-share")] {
        let out = Command::new(exe).args(["--measure-contexts", &kc50.to_string_lossy()]).args(extra).output()?;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            bail!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    Ok(())
}
