//! Bench: how fast `fleetdeck demo --scale N` seeds its extra objects into the real API servers.
//! Target: 10,000 objects in <= 60 s. Run: `cargo bench --bench demo_seed` (N from `FLEETDECK_BENCH_SCALE`,
//! default 100; the line per context gives objects and seconds).
use std::time::Instant;

use fleetdeck::demo::{DemoFleet, DemoOptions, seed};

fn main() -> anyhow::Result<()> {
    let scale: usize = std::env::var("FLEETDECK_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let t = Instant::now();
    let generated = seed::scale(
        scale,
        &seed::SeedInput { now: k8s_openapi::jiff::Timestamp::now(), workload_kubeconfigs: Default::default() },
    );
    let n: usize = generated.contexts.values().map(Vec::len).sum();
    println!("--scale {scale}: generated {n} objects in {:.1} ms", t.elapsed().as_secs_f64() * 1000.0);
    let bytes: usize =
        generated.contexts.values().flatten().map(|o| serde_json::to_vec(o).map(|v| v.len()).unwrap_or(0)).sum();
    println!("  average object: {} bytes of JSON", bytes / n.max(1));
    if std::env::var_os("FLEETDECK_BENCH_SIZES_ONLY").is_some() {
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let dir = tempfile::tempdir()?;
    let opts = DemoOptions {
        dir: dir.path().to_path_buf(),
        scale,
        controllers: false,
        contexts: 0,
        flux: fleetdeck::demo::FluxMode::Simulated,
        credential_plugin: None,
    };
    let fleet = rt.block_on(DemoFleet::start(&opts, &mut |l| println!("demo: {l}")))?;
    let (mut objects, mut wall) = (0, 0.0f64);
    for (ctx, s) in &fleet.seeded {
        println!("  {ctx}: {} objects in {:.2} s", s.objects, s.seconds);
        if ctx.ends_with("(scale)") {
            objects += s.objects;
            wall = wall.max(s.seconds);
        }
    }
    println!(
        "--scale {scale}: {objects} objects seeded in {wall:.1} s ({:.0} objects/s; 10,000 objects would take {:.0} s, target <= 60 s)",
        objects as f64 / wall,
        10_000.0 * wall / objects as f64
    );
    Ok(())
}
