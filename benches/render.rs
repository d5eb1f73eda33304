//! Bench: the cockpit's frame cost with a 10,000-row list (issue targets in brackets).
//!
//! 1. One frame of the Flux view at 200x60 with 10,000 rows, rows already derived [<= 2 ms];
//! 2. deriving every list's rows from a store of 10,000 objects from scratch (once, at start), and bringing
//!    them up to date after 20 changed objects (what happens on a store change: `Rows::update`);
//! 3. key -> frame while 200 updates/s arrive: one key through `update`, the rows brought up to date (the
//!    store changed) and a frame, p99 [<= 16 ms];
//! 4. key -> frame in a tree view (a Kustomization whose inventory names 2,000 objects), nothing changing:
//!    what the loop does per key (the tree read for the key, again after it for the details pane's
//!    selection, and for the frame).
//!
//! Run: `cargo bench --bench render`.
use std::time::Instant;

/// The binary's allocator (see `src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use fleetdeck::config::{Keymap, Theme};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object::StoredObject;
use fleetdeck::model::object_ref::ObjectRef;
use fleetdeck::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};
use fleetdeck::ui::app::input;
use fleetdeck::ui::render::{Scene, render};
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::{State, View};
use fleetdeck::ui::update;
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

fn kustomization(i: usize, ready: bool) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": format!("app-{i:05}"), "namespace": format!("team-{}", i % 40), "generation": 1},
        "spec": {"interval": "10m", "path": "./apps", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
        "status": {"observedGeneration": 1, "lastAppliedRevision": "main@sha1:0123456789abcdef0123456789abcdef01234567",
            "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"},
                "reason": if ready {"ReconciliationSucceeded"} else {"BuildFailed"},
                "message": "Applied revision: main@sha1:0123456789abcdef0123456789abcdef01234567",
                "lastTransitionTime": "2026-11-21T09:00:00Z", "observedGeneration": 1}]}
    }))
    .expect("object")
}

/// A Kustomization `flux-system/big` whose inventory names `n` Deployments.
fn big_kustomization(n: usize) -> DynamicObject {
    let entries: Vec<_> =
        (0..n).map(|i| json!({"id": format!("team-{}_web-{i:05}_apps_Deployment", i % 40), "v": "v1"})).collect();
    let mut o = kustomization(0, true);
    o.metadata.name = Some("big".into());
    o.metadata.namespace = Some("flux-system".into());
    o.data["status"]["inventory"] = json!({"entries": entries});
    o
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> anyhow::Result<()> {
    let now: Timestamp = "2026-11-21T10:00:00Z".parse()?;
    let ks = KindId::find("kustomize.toolkit.fluxcd.io", "Kustomization").expect("kind");
    let mut store = FleetStore::new();
    let msg = |event| StoreMsg { context: "prod".into(), generation: 1, event };
    store.apply(msg(StoreEvent::Registered { server: "https://prod:6443".into(), origin: Origin::Kubeconfig }), now);
    store.apply(msg(StoreEvent::Ready { server_version: "v1.20.2".into() }), now);
    for i in 0..10_000 {
        store.apply(
            msg(StoreEvent::Kind(ks, KindEvent::Apply(StoredObject::shared(ks, kustomization(i, i % 97 != 0))))),
            now,
        );
    }
    let theme = Theme::builtin("default")?;
    let keymap = Keymap::builtin("default")?;
    let mut terminal = Terminal::new(TestBackend::new(200, 60))?;
    let mut state = State::new(now);
    state.nav.view = View::Flux;

    let t = Instant::now();
    let mut rows = Rows::derive(&store, now);
    let derive_ms = t.elapsed().as_secs_f64() * 1e3;
    let mut frames = Vec::new();
    for _ in 0..300 {
        let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
        let t = Instant::now();
        terminal.draw(|f| render(f, &state, &scene))?;
        frames.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "frame, Flux view 200x60, {} rows: p50 {:.3} ms, p99 {:.3} ms (target <= 2 ms)",
        rows.flux.len(),
        percentile(&mut frames.clone(), 0.5),
        percentile(&mut frames, 0.99)
    );
    println!("derive rows from {} objects from scratch: {derive_ms:.2} ms", store.len());
    let mut inc = Vec::new();
    for k in 0..100 {
        for u in 0..20 {
            let i = (k * 97 + u * 13) % 10_000;
            store.apply(
                msg(StoreEvent::Kind(
                    ks,
                    KindEvent::Apply(StoredObject::shared(ks, kustomization(i, (k + u) % 2 == 0))),
                )),
                now,
            );
        }
        let t = Instant::now();
        rows.update(&store, now);
        inc.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "rows brought up to date after 20 changed objects: p50 {:.2} ms, p99 {:.2} ms",
        percentile(&mut inc.clone(), 0.5),
        percentile(&mut inc, 0.99)
    );

    // Key -> frame while updates arrive: between two keys (an operator types ~10 keys/s) 20 updates land.
    let down = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Char('j'));
    let mut lat = Vec::new();
    for k in 0..300 {
        for u in 0..20 {
            let i = (k * 20 + u) % 10_000;
            store.apply(
                msg(StoreEvent::Kind(
                    ks,
                    KindEvent::Apply(StoredObject::shared(ks, kustomization(i, (k + u) % 3 != 0))),
                )),
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
        "key -> frame with updates arriving (rows update + key + draw): p50 {:.2} ms, p99 {:.2} ms (target <= 16 ms)",
        percentile(&mut lat.clone(), 0.5),
        percentile(&mut lat, 0.99)
    );

    let big = big_kustomization(2_000);
    store.apply(msg(StoreEvent::Kind(ks, KindEvent::Apply(StoredObject::shared(ks, big)))), now);
    rows.update(&store, now);
    state.nav.view = View::Tree(ObjectRef::new("prod", ks, "flux-system", "big"));
    let mut lat = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        let inp = input(&state, &store, &rows);
        update::key(&mut state, &keymap, &down, &inp);
        let after = input(&state, &store, &rows).tree_selected;
        std::hint::black_box(after);
        let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
        terminal.draw(|f| render(f, &state, &scene))?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!(
        "key -> frame in a tree of 2,001 lines (input + key + input + draw): p50 {:.2} ms, p99 {:.2} ms",
        percentile(&mut lat.clone(), 0.5),
        percentile(&mut lat, 0.99)
    );
    Ok(())
}
