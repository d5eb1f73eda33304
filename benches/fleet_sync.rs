//! Bench: the live fleet model against the demo fleet with `--scale` (issue targets in brackets).
//!
//! 1. ~10,000 watched objects across 3 API servers: initial sync to a complete store [<= 3 s] and
//!    steady-state RSS of a process that runs only the fleet and its store [<= 120 MB];
//! 2. 200 status updates/s: patch sent -> applied in the store, p50 / p99 [p99 <= 20 ms for received ->
//!    applied; this measures more: it includes the API server's own latency];
//! 3. 50 contexts of which 10 unreachable (5 refused, 5 that accept TCP and never answer): all reachable
//!    summaries complete [<= 2 s], unreachable ones marked [<= 4 s].
//!
//! The measuring side runs in a child process (this binary re-executed with `--measure ...`) so its RSS is
//! the fleet's alone. Run: `cargo bench --bench fleet_sync` (`FLEETDECK_BENCH_SCALE` sets N, default 260).
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fleetdeck::demo::{DemoFleet, DemoOptions};
use fleetdeck::fleet::{self, Fleet, FleetOptions};
use fleetdeck::model::store::{ConnState, FleetStore, StoreEvent};
use fleetdeck::model::summary::summarize_all;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / 1_048_576.0
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

const STAMP: &str = "fleetdeckBenchSentAtNanos";

/// Child: sync, report, then measure update latency until stdin closes.
async fn measure(kubeconfig: &str) -> Result<()> {
    let kc = fleet::kubeconfig::load(Some(std::path::Path::new(kubeconfig)))?;
    let only: Vec<String> = ["mgmt", "dev-eu", "prod-us"].map(String::from).to_vec();
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleet::CHANNEL_CAPACITY);
    let t = Instant::now();
    let opts = FleetOptions { lineage: false, ..FleetOptions::default() };
    let _fleet = Fleet::start(&kc, &only, opts, tx).await?;
    let mut store = FleetStore::new();
    let mut synced_at = None;
    let mut latencies = Vec::new();
    let mut steady_deadline = None;
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut finish_at: Option<Instant> = None;
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { break };
                let sent = match &msg.event {
                    StoreEvent::Kind(_, fleetdeck::model::store::KindEvent::Apply(o)) => {
                        o.data.pointer(&format!("/status/{STAMP}")).and_then(|v| v.as_i64())
                    }
                    _ => None,
                };
                store.apply(msg, Timestamp::now());
                if let Some(sent) = sent {
                    let now = Timestamp::now().as_nanosecond() as i64;
                    latencies.push((now - sent) as f64 / 1e6);
                }
            }
            _ = tick.tick() => {
                if synced_at.is_none()
                    && summarize_all(&store, Timestamp::now()).iter().all(|s| s.settled() && s.state == ConnState::Ready)
                {
                    let sync = t.elapsed();
                    synced_at = Some(sync);
                    println!("synced {} objects in {:.2} s; RSS {:.1} MB", store.len(), sync.as_secs_f64(), rss_mb());
                    steady_deadline = Some(Instant::now() + Duration::from_secs(10));
                }
                if steady_deadline.is_some_and(|d| Instant::now() > d) {
                    steady_deadline = None;
                    println!("steady-state RSS after 10 s: {:.1} MB ({} objects)", rss_mb(), store.len());
                    // SAFETY: malloc_trim only returns free heap pages to the OS.
                    unsafe { libc::malloc_trim(0) };
                    println!("after malloc_trim: {:.1} MB", rss_mb());
                    println!("READY");
                    std::io::stdout().flush()?;
                    finish_at = Some(Instant::now() + Duration::from_secs(18));
                }
                if finish_at.is_some_and(|f| Instant::now() > f) {
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
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Child: 50 contexts, time to settled / unreachable.
async fn measure_contexts(kubeconfig: &str) -> Result<()> {
    let kc = fleet::kubeconfig::load(Some(std::path::Path::new(kubeconfig)))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleet::CHANNEL_CAPACITY);
    let t = Instant::now();
    let opts = FleetOptions { lineage: false, ..FleetOptions::default() };
    let _fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let (mut reachable_done, mut unreachable_done) = (None, None);
    while let Some(msg) = rx.recv().await {
        store.apply(msg, Timestamp::now());
        let rows = summarize_all(&store, Timestamp::now());
        let reach: Vec<_> = rows.iter().filter(|r| !r.name.starts_with("dead-")).collect();
        let dead: Vec<_> = rows.iter().filter(|r| r.name.starts_with("dead-")).collect();
        if reachable_done.is_none()
            && reach.len() == 40
            && reach.iter().all(|r| r.settled() && r.state == ConnState::Ready)
        {
            reachable_done = Some(t.elapsed());
        }
        if unreachable_done.is_none() && dead.len() == 10 && dead.iter().all(|r| r.state == ConnState::Unreachable) {
            unreachable_done = Some(t.elapsed());
        }
        if let (Some(a), Some(b)) = (reachable_done, unreachable_done) {
            println!(
                "50 contexts ({} reachable, {} unreachable): reachable summaries complete in {:.2} s (target <= 2 s), unreachable marked in {:.2} s (target <= 4 s)",
                reach.len(),
                dead.len(),
                a.as_secs_f64(),
                b.as_secs_f64()
            );
            return Ok(());
        }
        if t.elapsed() > Duration::from_secs(30) {
            bail!("50 contexts did not settle in 30 s");
        }
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        return rt.block_on(measure(&args[i + 1]));
    }
    if let Some(i) = args.iter().position(|a| a == "--measure-contexts") {
        return rt.block_on(measure_contexts(&args[i + 1]));
    }
    let scale: usize = std::env::var("FLEETDECK_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(260);
    let dir = tempfile::tempdir()?;
    let exe = std::env::current_exe()?;

    // 3 first, on the plain demo fleet (the target is about connections, not object counts).
    {
        let small = tempfile::tempdir()?;
        let opts = DemoOptions { dir: small.path().to_path_buf(), scale: 0, controllers: false };
        let fleet = rt.block_on(DemoFleet::start(&opts, &mut |l| eprintln!("demo: {l}")))?;
        fifty_contexts(&fleet, &exe, small.path())?;
    }

    let opts = DemoOptions { dir: dir.path().to_path_buf(), scale, controllers: false };
    let fleet = rt.block_on(DemoFleet::start(&opts, &mut |l| eprintln!("demo: {l}")))?;
    let kubeconfig = fleet.kubeconfig.to_string_lossy().into_owned();

    // 1 + 2: sync, RSS, update latency.
    let mut child =
        Command::new(&exe).args(["--measure", &kubeconfig]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
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
    let last = rt.block_on(async {
        let client = fleet.env.client("mgmt").await?;
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
    let mut last_line = String::new();
    drop(child.stdin.take());
    // The child prints its final latency line and exits on its own.
    for line in lines.by_ref() {
        let line = line?;
        if line.starts_with("LAT") {
            last_line = line;
        }
    }
    let _ = child.wait();
    println!("status updates at {last:.0}/s, patch sent -> applied in the store (ms): {last_line}");

    drop(fleet);
    Ok(())
}

/// 3: 50 contexts (40 live, 5 refused, 5 that never answer), measured in a child process.
fn fifty_contexts(fleet: &DemoFleet, exe: &std::path::Path, dir: &std::path::Path) -> Result<()> {
    let hung = TcpListener::bind("127.0.0.1:0")?;
    let hung_port = hung.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hung.incoming().flatten() {
            held.push(s); // accept and never answer
        }
    });
    let mut ctxs = Vec::new();
    for i in 0..40 {
        let server = ["mgmt", "dev-eu", "prod-us"][i % 3];
        ctxs.push(fleet.env.token_context(&format!("live-{i:02}"), server, fleet.env.admin_token())?);
    }
    for i in 0..10 {
        let mut c = fleet.env.token_context(&format!("dead-{i:02}"), "mgmt", fleet.env.admin_token())?;
        c.server = if i < 5 { "https://127.0.0.1:1".into() } else { format!("https://127.0.0.1:{hung_port}") };
        ctxs.push(c);
    }
    let kc50 = dir.join("kubeconfig-50");
    std::fs::write(&kc50, fleetdeck::envtest::kubeconfig::render(&ctxs, "live-00"))?;
    let out = Command::new(exe).args(["--measure-contexts", &kc50.to_string_lossy()]).output()?;
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}
