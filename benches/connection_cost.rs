//! Bench: what one connected context costs in live heap (issue 18's steady-RSS target: a thousand contexts
//! hold a thousand connections before any watch). Connects `FLEETDECK_BENCH_CONNECTIONS` (default 300)
//! reachable contexts of an existing demo fleet (`fleetdeck demo up --contexts 1000`, each context a user of
//! its own, so each is its own TLS + HTTP/2 connection) the way the fleet does (`connection::client_for`,
//! then the `/version` probe), one after another, keeps the clients, and prints the live heap per connection
//! (counting allocator over mimalloc), the live bytes it added by block size, and the mean wall time of
//! building a client and of its first probe (TCP, TLS and HTTP/2 handshakes, `/version`) on an idle runtime.
//!
//! Run: `FLEETDECK_BENCH_KUBECONFIG=<the demo's kubeconfig> cargo bench --bench connection_cost`.
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use fleetdeck::demo::edge::{self, Reach};
use fleetdeck::fleet::connection::{Target, client_for, probe};
use fleetdeck::fleet::{FleetOptions, kubeconfig};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{BY_SIZE, Counting, LIVE};

#[global_allocator]
static ALLOC: Counting = Counting;

fn snapshot() -> Vec<usize> {
    BY_SIZE.iter().map(|c| c.load(Ordering::Relaxed)).collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    let Ok(path) = std::env::var("FLEETDECK_BENCH_KUBECONFIG") else {
        bail!("FLEETDECK_BENCH_KUBECONFIG: the kubeconfig of a running `fleetdeck demo up --contexts N`");
    };
    let n: usize = std::env::var("FLEETDECK_BENCH_CONNECTIONS").map_or(Ok(300), |v| v.parse())?;
    let kc = kubeconfig::load(Some(Path::new(&path)))?;
    let names: Vec<String> = kc
        .config
        .contexts
        .iter()
        .map(|c| c.name.clone())
        .filter(|c| {
            c.strip_prefix("edge-")
                .and_then(|i| i.parse::<usize>().ok())
                .is_some_and(|i| matches!(edge::reach(i), Reach::Server(_)))
        })
        .take(n)
        .collect();
    if names.len() < n {
        bail!("{} reachable edge contexts in {path}, {n} asked", names.len());
    }
    let opts = FleetOptions::default();
    let base = LIVE.load(Ordering::Relaxed);
    let base_sizes = snapshot();
    let mut clients = Vec::with_capacity(n);
    let (mut building, mut probing) = (Duration::ZERO, Duration::ZERO);
    for name in &names {
        let target = Target { name: Arc::from(name.as_str()), kubeconfig: kc.config.clone(), context: name.clone() };
        let t = Instant::now();
        let client = client_for(&target, &opts).await.map_err(|_| anyhow::anyhow!("no client for {name}"))?.client;
        building += t.elapsed();
        let t = Instant::now();
        probe(&client, Duration::from_secs(10)).await.map_err(|_| anyhow::anyhow!("{name} did not answer"))?;
        probing += t.elapsed();
        clients.push(client);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let per = (LIVE.load(Ordering::Relaxed) - base) as f64 / n as f64;
    println!(
        "RESULT connections={n} per_connection_kb={:.1} client_build_ms={:.2} first_probe_ms={:.2}",
        per / 1024.0,
        building.as_secs_f64() * 1e3 / n as f64,
        probing.as_secs_f64() * 1e3 / n as f64
    );
    let sizes = snapshot();
    let by: Vec<String> = sizes
        .iter()
        .zip(&base_sizes)
        .enumerate()
        .filter_map(|(i, (now, before))| {
            let per = now.checked_sub(*before)? as f64 / n as f64 / 1024.0;
            (per >= 0.5).then(|| format!("<={}: {per:.1}", 1usize << i))
        })
        .collect();
    println!("RESULT per_connection_kb_by_block_size {}", by.join(", "));
    drop(clients);
    Ok(())
}
