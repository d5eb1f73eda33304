//! The fleet pulse (issue 15, item 3) on a real kube-apiserver: Warning Events about shown kinds, folded as
//! `kubectl get events` shows them (two Event objects of one reason and message add up), Events about other
//! kinds and Normal Events left out, a health transition seen live, newest first; `enter` on a line opens
//! the object's tree; `fleetdeck pulse -o json` prints the same Warning lines.
mod common;

use common::until;
use fleetdeck::envtest::Envtest;
use fleetdeck::fleet::{Fleet, FleetOptions};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object_ref::ObjectRef;
use fleetdeck::model::pulse::PulseWhat;
use fleetdeck::model::status::HealthState;
use fleetdeck::model::store::FleetStore;
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::{State, View};
use k8s_openapi::api::core::v1::{Event, Namespace};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

fn ks_api(client: &kube::Client) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("kustomize.toolkit.fluxcd.io", "v1", "Kustomization"));
    Api::namespaced_with(client.clone(), "flux-system", &ar)
}

fn ready(status: &str, reason: &str, message: &str) -> Value {
    json!({"status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": status, "reason": reason,
        "message": message, "lastTransitionTime": "2026-12-01T00:00:00Z"}]}})
}

#[allow(clippy::too_many_arguments)]
fn event(
    name: &str,
    kind: &str,
    api_version: &str,
    object: &str,
    type_: &str,
    reason: &str,
    count: i32,
    (first, last): (i64, i64),
) -> Event {
    let t = |ago: i64| Timestamp::now().checked_sub(SignedDuration::from_secs(ago)).unwrap();
    serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": "flux-system"},
        "involvedObject": {"apiVersion": api_version, "kind": kind, "namespace": "flux-system", "name": object},
        "type": type_, "reason": reason, "message": format!("{reason}: it failed"), "count": count,
        "firstTimestamp": t(first).to_string(), "lastTimestamp": t(last).to_string(),
        "source": {"component": "kustomize-controller"}, "reportingComponent": "kustomize-controller",
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulse_orders_folds_and_jumps() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    let pp = PostParams::default();
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "flux-system"}}))?;
    Api::<Namespace>::all(client.clone()).create(&pp, &ns).await?;
    for name in ["apps", "infra"] {
        let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"interval": "10m", "path": "./", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "fleet"}}});
        ks_api(&client).create(&pp, &serde_json::from_value(ks)?).await?;
        ks_api(&client)
            .patch_status(
                name,
                &PatchParams::default(),
                &Patch::Merge(ready("True", "ReconciliationSucceeded", "Applied")),
            )
            .await?;
    }
    let ks = ("Kustomization", "kustomize.toolkit.fluxcd.io/v1");
    let events = Api::<Event>::namespaced(client.clone(), "flux-system");
    for e in [
        event("infra.1", ks.0, ks.1, "infra", "Warning", "BuildFailed", 3, (300, 120)),
        event("infra.2", ks.0, ks.1, "infra", "Warning", "BuildFailed", 2, (200, 60)),
        event("apps.1", ks.0, ks.1, "apps", "Warning", "HealthCheckFailed", 1, (30, 30)),
        event("web.1", "Deployment", "apps/v1", "web", "Warning", "FailedCreate", 9, (20, 10)),
        event("apps.2", ks.0, ks.1, "apps", "Normal", "ReconciliationSucceeded", 1, (5, 5)),
    ] {
        events.create(&pp, &e).await?;
    }

    // The CLI: the Warning lines about shown kinds, newest first, folded.
    let home = tempfile::tempdir()?;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
        .args(["pulse", "-o", "json"])
        .env("KUBECONFIG", env.kubeconfig_path())
        .env("FLEETDECK_HOME", home.path())
        .output()?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<Value> = serde_json::from_slice(&out.stdout)?;
    let summary: Vec<(String, String, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["object"]["name"].as_str().unwrap().to_owned(),
                l["reason"].as_str().unwrap().to_owned(),
                l["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [("apps".to_owned(), "HealthCheckFailed".to_owned(), 1), ("infra".to_owned(), "BuildFailed".to_owned(), 5)],
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(lines[1]["type"], "warning");
    assert_eq!(lines[1]["source"], "kustomize-controller");

    // The store, live: the Events, then a health transition as it happens.
    let kc = fleetdeck::fleet::kubeconfig::load(Some(env.kubeconfig_path()))?;
    let (tx, mut rx) = tokio::sync::mpsc::channel(fleetdeck::fleet::CHANNEL_CAPACITY);
    let opts = FleetOptions { warning_events: true, lineage: false, ..FleetOptions::default() };
    let fleet = Fleet::start(&kc, &[], opts, tx).await?;
    let mut store = FleetStore::new();
    until(&mut rx, &mut store, "Events listed and Kustomizations synced", |s| {
        s.pulse().is_listed("a") && s.objects("a", KindId::KUSTOMIZATION).count() == 2
    })
    .await;
    assert!(store.pulse().lines().iter().all(|l| matches!(l.what, PulseWhat::Warning { .. })), "no transition yet");
    ks_api(&client)
        .patch_status(
            "apps",
            &PatchParams::default(),
            &Patch::Merge(ready("False", "HealthCheckFailed", "web not ready")),
        )
        .await?;
    until(&mut rx, &mut store, "the transition", |s| s.pulse().failures() == 1).await;
    drop(fleet);
    let lines = store.pulse().lines();
    let apps = ObjectRef::new("a", KindId::KUSTOMIZATION, "flux-system", "apps");
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0].object, apps);
    assert!(
        matches!(&lines[0].what, PulseWhat::Transition { from: HealthState::Ready, to: HealthState::Failed, reason } if reason == "HealthCheckFailed"),
        "{:?}",
        lines[0]
    );
    assert_eq!(lines[0].message, "web not ready");
    assert!(matches!(&lines[1].what, PulseWhat::Warning { reason, count: 1, .. } if reason == "HealthCheckFailed"));
    assert!(matches!(&lines[2].what, PulseWhat::Warning { reason, count: 5, .. } if reason == "BuildFailed"));

    // Looking at another view: the status bar flashes the failure, and the bell rings when configured.
    let mut elsewhere = State::new(Timestamp::now());
    elsewhere.nav.view = View::Flux;
    let (flashed, fx) = fleetdeck::ui::pulse::follow(&mut elsewhere, &store, true);
    assert!(flashed && matches!(fx.as_slice(), [fleetdeck::ui::msg::Effect::Bell]));
    assert_eq!(
        elsewhere.message.as_deref(),
        Some("⚠ a Kustomization flux-system/apps turned Failed: HealthCheckFailed · 5 pulse")
    );
    assert!(!fleetdeck::ui::pulse::follow(&mut elsewhere, &store, true).0, "told once");
    let mut watching = State::new(Timestamp::now());
    watching.nav.view = View::Pulse;
    let (flashed, fx) = fleetdeck::ui::pulse::follow(&mut watching, &store, true);
    assert!(!flashed && fx.is_empty() && watching.message.is_none(), "no flash on the Pulse view itself");

    // `enter` on the newest line opens the object's tree.
    let mut state = State::new(Timestamp::now());
    state.nav.view = View::Pulse;
    let rows = Rows::derive(&store, Timestamp::now());
    let keymap = fleetdeck::config::Keymap::builtin("default")?;
    let input = fleetdeck::ui::app::input(&state, &store, &rows);
    let enter = crossterm::event::KeyEvent::from(crossterm::event::KeyCode::Enter);
    fleetdeck::ui::update::key(&mut state, &keymap, &enter, &input);
    assert_eq!(state.nav.view, View::Tree(apps));
    Ok(())
}
