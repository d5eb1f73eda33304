//! Bench: how long the envtest harness takes to bring up etcd + 3 API servers (all `/readyz`), and to
//! install fleetdeck's CRDs on one of them, with the binaries already cached. Target: ready <= 20 s.
//!
//! Run: `cargo bench --bench envtest_startup` (prints one line per round and a summary).
use std::time::Instant;

use fleetdeck::envtest::Envtest;

const ROUNDS: usize = 3;

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let (mut ready, mut crds) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        let t = Instant::now();
        let env = rt.block_on(Envtest::builder().server("mgmt").server("dev-eu").server("prod-us").start())?;
        let up = t.elapsed().as_secs_f64();
        let t = Instant::now();
        rt.block_on(env.install_crds("mgmt"))?;
        let c = t.elapsed().as_secs_f64();
        println!(
            "round {round}: etcd + 3 kube-apiservers ready in {up:.2} s; {} CRDs Established in {c:.2} s",
            fleetdeck::envtest::crds::CATALOGUE.len()
        );
        ready.push(up);
        crds.push(c);
        drop(env);
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2], v[v.len() - 1])
    };
    let (lo, med, hi) = stats(&mut ready);
    println!("envtest ready (3 API servers): min {lo:.2} s, median {med:.2} s, max {hi:.2} s (target <= 20 s)");
    let (lo, med, hi) = stats(&mut crds);
    println!("CRD install: min {lo:.2} s, median {med:.2} s, max {hi:.2} s");
    Ok(())
}
