//! Bench: the fleet pulse (issue 15, item 3; targets: over 50 contexts, the Events watches add <= 10 MB of
//! steady RSS at 1,000 Warning events per context; under a flood of 1,000 Events/s, key -> frame p99 <= 16 ms
//! with bounded memory).
//!
//! 1. **Memory, real API server.** One envtest API server holds 1,000 Warning Events about 100
//!    Kustomizations (10 reasons each, so none fold: the worst case for the pulse). A kubeconfig names it
//!    through 50 contexts, connections not shared (`share_connections: false`), so 50 watches each list the
//!    1,000 Events. The fleet (Kustomizations only) runs twice: without and with the Events watches, each
//!    until every context synced (and listed its Events) plus 3 s; the figures are the process RSS
//!    (`/proc/self/status` VmRSS) and the live heap (counting allocator), each run's own steady state against
//!    the same baseline taken before either.
//! 2. **Flood, in process.** A store of 50 contexts; between two keys (an operator types ~10 keys/s) 100
//!    Warning Events arrive (1,000/s), spread over the contexts; key -> frame (rows brought up to date, the
//!    key through `update`, a 200x60 frame) on the Pulse view and on the Flux view, 300 keys each; then the
//!    live heap the pulse holds after 50,000 Events.
//!
//! Run: `cargo bench --bench pulse` (`FLEETDECK_STREAMING_LISTS=0` lists the initial Events instead of
//! streaming them, for comparison).
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[allow(dead_code)] // `PEAK`
#[path = "support/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::{Counting, LIVE, mb};

#[global_allocator]
static GLOBAL: Counting = Counting;

use fleetdeck::config::{Keymap, Theme};
use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::{KindId, KindSet};
use fleetdeck::model::object_ref::ObjectRef;
use fleetdeck::model::pulse::WarningEvent;
use fleetdeck::model::store::{FleetStore, Origin, StoreEvent, StoreMsg};
use fleetdeck::ui::app::input;
use fleetdeck::ui::render::{Scene, render};
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::{State, View};
use fleetdeck::ui::update;
use k8s_openapi::api::core::v1::{Event, Namespace};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, PostParams};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

const CONTEXTS: usize = 50;
const EVENTS: usize = 1_000;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs the fleet until every context synced (and, with Events, listed them), then 3 s more; returns the
/// steady RSS and live heap while it still runs.
async fn steady(
    kc: &fleetdeck::fleet::kubeconfig::LoadedKubeconfig,
    warning_events: bool,
) -> anyhow::Result<(f64, usize, usize)> {
    let opts = FleetOptions {
        kinds: KindSet::NONE.with(KindId::KUSTOMIZATION),
        share_connections: false,
        lineage: false,
        warning_events,
        streaming_lists: std::env::var("FLEETDECK_STREAMING_LISTS").map_or(true, |v| v != "0"),
        ..FleetOptions::default()
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let fleet = Fleet::start(kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    let t = Instant::now();
    let done = |s: &FleetStore| {
        s.contexts().count() == CONTEXTS
            && s.contexts().all(|(name, c)| {
                c.kinds.get(&KindId::KUSTOMIZATION).is_some_and(|k| !k.objects.is_empty())
                    && (!warning_events || s.pulse().is_listed(name))
            })
    };
    while !done(&store) {
        anyhow::ensure!(t.elapsed() < Duration::from_secs(120), "the fleet did not settle in 120 s");
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            store.apply(m, Timestamp::now());
        }
    }
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(m)) = tokio::time::timeout_at(until, rx.recv()).await {
        store.apply(m, Timestamp::now());
    }
    let figures = (rss_mb(), LIVE.load(Ordering::Relaxed), store.pulse().warning_lines());
    drop(fleet);
    drop(store);
    Ok(figures)
}

fn memory() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let env = Envtest::builder().server("a").start().await?;
        env.install_crds("a").await?;
        let client = env.client("a").await?;
        let pp = PostParams::default();
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "flux-system"}}))?;
        Api::<Namespace>::all(client.clone()).create(&pp, &ns).await?;
        let ar = kube::core::ApiResource::from_gvk(&kube::core::GroupVersionKind::gvk(
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "Kustomization",
        ));
        let ks_api: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), "flux-system", &ar);
        for i in 0..100 {
            let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                "metadata": {"name": format!("app-{i}"), "namespace": "flux-system"},
                "spec": {"interval": "10m", "path": "./", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "fleet"}}});
            ks_api.create(&pp, &serde_json::from_value(ks)?).await?;
        }
        let events = Api::<Event>::namespaced(client.clone(), "flux-system");
        let now = Timestamp::now();
        let creates: Vec<_> = (0..EVENTS)
            .map(|i| {
                let at = now.checked_sub(SignedDuration::from_secs(i as i64)).unwrap().to_string();
                let e: Event = serde_json::from_value(json!({
                    "metadata": {"name": format!("app-{}.{i}", i % 100), "namespace": "flux-system"},
                    "involvedObject": {"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                        "namespace": "flux-system", "name": format!("app-{}", i % 100)},
                    "type": "Warning", "reason": format!("Reason{}", i / 100), "count": 1,
                    "message": format!("health check failed after 5m0s: timeout waiting for: [Deployment/apps/web-{i} status: 'InProgress']"),
                    "firstTimestamp": at, "lastTimestamp": at, "source": {"component": "kustomize-controller"},
                }))
                .unwrap();
                let events = events.clone();
                let pp = pp.clone();
                async move { events.create(&pp, &e).await.map(|_| ()) }
            })
            .collect();
        use futures::StreamExt;
        let results: Vec<_> = futures::stream::iter(creates).buffer_unordered(16).collect().await;
        results.into_iter().collect::<Result<Vec<_>, _>>()?;

        // 50 contexts on the one server.
        let mut kc = kube::config::Kubeconfig::read_from(env.kubeconfig_path())?;
        let template = kc.contexts.iter().find(|c| c.name == "a").cloned().expect("context a");
        kc.contexts = (0..CONTEXTS).map(|i| kube::config::NamedContext { name: format!("c{i:02}"), ..template.clone() }).collect();
        kc.current_context = Some("c00".into());
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, serde_json::to_string(&kc)?)?;
        let kc = fleetdeck::fleet::kubeconfig::load(Some(&path))?;

        let (rss0, live0) = (rss_mb(), LIVE.load(Ordering::Relaxed));
        let (rss_without, live_without, _) = steady(&kc, false).await?;
        let (rss_with, live_with, lines) = steady(&kc, true).await?;
        println!("pulse over {CONTEXTS} contexts, {EVENTS} Warning Events each (one API server, connections not shared):");
        println!(
            "  steady RSS: {rss0:.1} MB before, {rss_without:.1} MB with the fleet, {rss_with:.1} MB with the fleet and its Events watches: the watches add {:.1} MB (target <= 10 MB)",
            rss_with - rss_without
        );
        println!(
            "  live heap over the baseline: {:.1} MB without, {:.1} MB with the Events watches ({} folded lines kept, {} per context)",
            mb(live_without.saturating_sub(live0)),
            mb(live_with.saturating_sub(live0)),
            lines,
            lines / CONTEXTS
        );
        anyhow::Ok(())
    })
}

fn flood() -> anyhow::Result<()> {
    let now = Timestamp::now();
    let mut store = FleetStore::new();
    for c in 0..CONTEXTS {
        let context = format!("c{c:02}");
        store.apply(
            StoreMsg {
                context: context.as_str().into(),
                generation: 1,
                event: StoreEvent::Registered { server: format!("https://c{c}"), origin: Origin::Kubeconfig },
            },
            now,
        );
    }
    let live0 = LIVE.load(Ordering::Relaxed);
    let theme = Theme::builtin("default")?;
    let keymap = Keymap::builtin("default")?;
    let mut terminal = Terminal::new(TestBackend::new(200, 60))?;
    let mut rows = Rows::derive(&store, now);
    let down = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('j'));
    let mut n = 0usize;
    println!("flood of 1,000 Warning Events/s over {CONTEXTS} contexts (100 between two keys), 200x60:");
    for view in [View::Pulse, View::Flux] {
        let mut state = State::new(now);
        state.nav.view = view.clone();
        let mut lat = Vec::new();
        for _ in 0..300 {
            for _ in 0..100 {
                n += 1;
                let context = format!("c{:02}", n % CONTEXTS);
                let at = now.checked_add(SignedDuration::from_millis(n as i64)).unwrap();
                let e = WarningEvent {
                    object: ObjectRef::new(&context, KindId::KUSTOMIZATION, "flux-system", format!("app-{}", n % 500)),
                    reason: format!("Reason{}", n % 7),
                    message: format!("health check failed: Deployment/apps/web-{n} InProgress"),
                    count: 1,
                    first: at,
                    last: at,
                    source: "kustomize-controller".into(),
                    event: format!("flux-system/e{n}"),
                };
                store.apply(
                    StoreMsg { context: context.as_str().into(), generation: 1, event: StoreEvent::Warning(e) },
                    now,
                );
            }
            let t = Instant::now();
            rows.update(&store, now);
            let inp = input(&state, &store, &rows);
            update::key(&mut state, &keymap, &down, &inp);
            let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
            terminal.draw(|f| render(f, &state, &scene))?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "  key -> frame on the {} view: p50 {:.2} ms, p99 {:.2} ms (target <= 16 ms)",
            view.title(),
            percentile(&mut lat.clone(), 0.5),
            percentile(&mut lat, 0.99)
        );
    }
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(live0);
    println!(
        "  after {n} Events: {} folded lines kept, {:.1} MB live (store, rows and terminal)",
        store.pulse().warning_lines(),
        mb(held)
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    flood()?;
    memory()
}
