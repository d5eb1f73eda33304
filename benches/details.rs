//! Bench: the details pane (issue 16 target: any of the new panes drawn <= 2 ms per frame at 200x60, no
//! parsing per frame).
//!
//! The demo seed in a store (no server), the Flux view with the details pane open at 200x60, the cursor on
//! prod-us' HelmRelease `podinfo/podinfo` (three releases, one failed) and then on Kustomization
//! `flux-system/apps` (three snapshots): 500 frames each, nothing changing between them (what the loop draws
//! when an age ticks or a key moves the scroll). Prints p50 / p99 per frame, and the same list without the
//! pane for comparison.
//!
//! Then the lines of the Cluster API panes (a blocked MachineHealthCheck, a MachineDeployment rolling out),
//! 500 times each.
//!
//! Then `model::rollout::machine_deployment` over a store holding one MachineDeployment with 10 MachineSets
//! (revisions 1-10) and 1,000 Machines [<= 5 ms]: the first read (MachineSets parsed from their compact JSON)
//! and the next ones (parsed already), 200 reads.
//!
//! Run: `cargo bench --bench details`.
use std::time::Instant;

use fleetdeck::config::{Keymap, Theme};
use fleetdeck::demo::seed::{self, SeedInput};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object::StoredObject;
use fleetdeck::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};
use fleetdeck::ui::list::{Target, visible};
use fleetdeck::ui::render::{Scene, render};
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::{State, View};
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FRAMES: usize = 500;

fn store(now: Timestamp) -> FleetStore {
    let seed = seed::demo_fleet(&SeedInput { now, workload_kubeconfigs: Default::default() });
    let mut store = FleetStore::new();
    let msg = |context: &str, event| StoreMsg { context: context.into(), generation: 1, event };
    for (ctx, objects) in seed.contexts {
        let server = format!("https://{ctx}.example:6443");
        store.apply(msg(&ctx, StoreEvent::Registered { server, origin: Origin::Kubeconfig }), now);
        store.apply(msg(&ctx, StoreEvent::Ready { server_version: "v1.37.2".into() }), now);
        for o in objects {
            let api_version = o["apiVersion"].as_str().unwrap_or_default().to_string();
            let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
            let Some(kind) = KindId::find(group, o["kind"].as_str().unwrap_or_default()) else { continue };
            let obj: DynamicObject = serde_json::from_value(o).expect("seed object");
            store.apply(msg(&ctx, StoreEvent::Kind(kind, KindEvent::Apply(StoredObject::shared(kind, obj)))), now);
        }
    }
    store
}

fn rollout_store(now: Timestamp) -> FleetStore {
    let mut store = FleetStore::new();
    let msg = |event| StoreMsg { context: "mgmt".into(), generation: 1, event };
    store.apply(msg(StoreEvent::Registered { server: "https://mgmt:6443".into(), origin: Origin::Kubeconfig }), now);
    store.apply(msg(StoreEvent::Ready { server_version: "v1.37.2".into() }), now);
    let rev = "machinedeployment.clusters.x-k8s.io/revision";
    let mut put = |kind: KindId, v: serde_json::Value| {
        let obj: DynamicObject = serde_json::from_value(v).expect("object");
        store.apply(msg(StoreEvent::Kind(kind, KindEvent::Apply(StoredObject::shared(kind, obj)))), now);
    };
    put(
        KindId::MACHINE_DEPLOYMENT,
        serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
        "metadata": {"name": "md", "namespace": "ns", "annotations": {rev: "10"}},
        "spec": {"replicas": 1000}, "status": {"replicas": 1000, "readyReplicas": 990, "upToDateReplicas": 100,
        "conditions": [{"type": "RollingOut", "status": "True", "reason": "RollingOut", "message": "Rolling out 900 not up-to-date replicas"}]}}),
    );
    for r in 1..=10 {
        put(
            KindId::MACHINE_SET,
            serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineSet",
            "metadata": {"name": format!("md-{r}"), "namespace": "ns", "annotations": {rev: r.to_string()},
                "labels": {"cluster.x-k8s.io/deployment-name": "md"}},
            "spec": {"replicas": 100, "template": {"spec": {"version": format!("v1.3{r}.0")}}},
            "status": {"replicas": 100, "readyReplicas": 99, "availableReplicas": 99, "upToDateReplicas": if r == 10 { 100 } else { 0 }}}),
        );
        for m in 0..100 {
            put(
                KindId::MACHINE,
                serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Machine",
                "metadata": {"name": format!("md-{r}-{m}"), "namespace": "ns",
                    "labels": {"cluster.x-k8s.io/deployment-name": "md", "cluster.x-k8s.io/set-name": format!("md-{r}")}},
                "spec": {"version": format!("v1.3{r}.0")}}),
            );
        }
    }
    store
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    let now = Timestamp::now();
    let store = store(now);
    let theme = Theme::builtin("default").expect("theme");
    let keymap = Keymap::builtin("default").expect("keymap");
    let rows = Rows::derive(&store, now);
    let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    for (what, kind, ns, name, pane) in [
        ("HelmRelease podinfo/podinfo, details pane", KindId::HELM_RELEASE, "podinfo", "podinfo", true),
        ("Kustomization flux-system/apps, details pane", KindId::KUSTOMIZATION, "flux-system", "apps", true),
        ("the Flux list alone", KindId::KUSTOMIZATION, "flux-system", "apps", false),
    ] {
        let mut state = State::new(now);
        state.nav.view = View::Flux;
        state.nav.details = pane;
        let at = visible(&state, &rows)
            .iter()
            .position(|(_, t)| {
                matches!(t, Target::Object(o)
                    if o.context == "prod-us" && o.kind == kind && o.namespace == ns && o.name == name)
            })
            .expect("listed");
        state.cursor_mut().selected = at;
        let mut ms = Vec::with_capacity(FRAMES);
        for _ in 0..FRAMES {
            let t = Instant::now();
            terminal.draw(|f| render(f, &state, &scene)).expect("draw");
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        println!(
            "{what}: frame at 200x60 p50 {:.2} ms, p99 {:.2} ms (target <= 2 ms)",
            percentile(&ms, 0.5),
            percentile(&ms, 0.99)
        );
    }
    // The Cluster API panes' lines (what the pane draws, without the frame): legacy-aws' blocked
    // MachineHealthCheck with its unhealthy Machine, and edge-eu's MachineDeployment mid-rollout.
    let state = State::new(now);
    let edge_md = store
        .objects("mgmt", KindId::MACHINE_DEPLOYMENT)
        .find(|m| m.name().starts_with("edge-eu-md-0-"))
        .map(|m| (m.namespace().to_string(), m.name().to_string()))
        .expect("edge-eu's MachineDeployment");
    for (what, kind, ns, name) in [
        (
            "MachineHealthCheck team-data/legacy-aws-control-plane-unhealthy, pane lines",
            KindId::MACHINE_HEALTH_CHECK,
            "team-data",
            "legacy-aws-control-plane-unhealthy".to_string(),
        ),
        ("MachineDeployment edge-eu md-0 (rolling out), pane lines", KindId::MACHINE_DEPLOYMENT, "platform", edge_md.1),
    ] {
        let o = store.get("mgmt", kind, ns, &name).expect("in the demo").clone();
        let obj = fleetdeck::model::object_ref::ObjectRef::new("mgmt", kind, ns, &name);
        let mut ms = Vec::with_capacity(FRAMES);
        for _ in 0..FRAMES {
            let t = Instant::now();
            std::hint::black_box(fleetdeck::ui::views::details::lines(&store, &o, &obj, &state, &theme));
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        ms.sort_by(f64::total_cmp);
        println!("{what}: p50 {:.3} ms, p99 {:.3} ms", percentile(&ms, 0.5), percentile(&ms, 0.99));
    }
    let store = rollout_store(now);
    let t = Instant::now();
    let first = fleetdeck::model::rollout::machine_deployment(&store, "mgmt", "ns", "md").expect("found");
    let cold = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(first.revisions.len(), 10);
    let mut ms = Vec::with_capacity(200);
    for _ in 0..200 {
        let t = Instant::now();
        let r = fleetdeck::model::rollout::machine_deployment(&store, "mgmt", "ns", "md");
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(r);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "rollout history, 10 revisions and 1,000 Machines: first {cold:.2} ms, then p50 {:.3} ms, p99 {:.3} ms (target <= 5 ms)",
        percentile(&ms, 0.5),
        percentile(&ms, 0.99)
    );
}
