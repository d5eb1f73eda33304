//! Every cockpit view at 120x40 from a fixed fleet (the demo seed, applied to a store without a server) and
//! a fixed clock: insta snapshots of the text, and buffer assertions that colours follow the theme's roles.
use std::collections::BTreeMap;

use fleetdeck::config::{Keymap, Role, Theme};
use fleetdeck::demo::seed::{self, SeedInput};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::store::{FleetStore, KindEvent, Origin, StoreEvent, StoreMsg};
use fleetdeck::ui::render::{Scene, render};
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::{Overlay, State, View};
use k8s_openapi::jiff::Timestamp;
use kube::api::DynamicObject;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

fn now() -> Timestamp {
    "2026-11-21T10:00:00Z".parse().expect("timestamp")
}

fn msg(context: &str, event: StoreEvent) -> StoreMsg {
    StoreMsg { context: context.into(), generation: 1, event }
}

/// The demo seed in a store, plus a dead context and a derived alias, all at a fixed time.
fn fleet() -> FleetStore {
    let kubeconfigs: BTreeMap<String, String> =
        ["dev-eu", "prod-us"].iter().map(|c| (c.to_string(), format!("kubeconfig of {c}"))).collect();
    let seed = seed::demo_fleet(&SeedInput { now: now(), workload_kubeconfigs: kubeconfigs });
    let mut store = FleetStore::new();
    let t = now();
    // What the demo deletes after creating (finalizers keep them) is Terminating: mark it so here too.
    let deleting: Vec<(String, String, String)> = seed
        .to_delete
        .iter()
        .map(|(c, r)| {
            (c.clone(), r["kind"].as_str().unwrap_or_default().into(), r["name"].as_str().unwrap_or_default().into())
        })
        .collect();
    for (ctx, objects) in seed.contexts {
        let server = format!("https://{ctx}.example:6443");
        store.apply(msg(&ctx, StoreEvent::Registered { server, origin: Origin::Kubeconfig }), t);
        store.apply(msg(&ctx, StoreEvent::Ready { server_version: "v1.20.2".into() }), t);
        for o in objects {
            let api_version = o["apiVersion"].as_str().unwrap_or_default().to_string();
            let group = api_version.split_once('/').map(|(g, _)| g).unwrap_or("");
            let Some(kind) = KindId::find(group, o["kind"].as_str().unwrap_or_default()) else { continue };
            let mut o = o;
            let key = (
                ctx.clone(),
                o["kind"].as_str().unwrap_or_default().to_string(),
                o["metadata"]["name"].as_str().unwrap_or_default().to_string(),
            );
            if deleting.contains(&key) {
                o["metadata"]["deletionTimestamp"] = serde_json::json!("2026-11-21T09:58:00Z");
            }
            let obj: DynamicObject = serde_json::from_value(o).expect("seed object");
            store.apply(
                msg(
                    &ctx,
                    StoreEvent::Kind(kind, KindEvent::Apply(fleetdeck::model::object::StoredObject::shared(kind, obj))),
                ),
                t,
            );
        }
    }
    store.apply(
        msg(
            "broken-unreachable",
            StoreEvent::Registered { server: "https://127.0.0.1:1".into(), origin: Origin::Kubeconfig },
        ),
        t,
    );
    store.apply(
        msg(
            "broken-unreachable",
            StoreEvent::Unreachable("tcp connect error: Connection refused (os error 111)".into()),
        ),
        t,
    );
    let derived = Origin::Derived {
        management: "mgmt".into(),
        namespace: "platform".into(),
        cluster: "dev-eu".into(),
        alias_of: Some("dev-eu".into()),
    };
    store.apply(
        msg(
            "mgmt/platform/dev-eu",
            StoreEvent::Registered { server: "https://dev-eu.example:6443".into(), origin: derived },
        ),
        t,
    );
    store.apply(msg("mgmt/platform/dev-eu", StoreEvent::Ready { server_version: "v1.20.2".into() }), t);
    store
}

fn draw(store: &FleetStore, state: &mut State, theme: &Theme) -> Buffer {
    let keymap = Keymap::builtin("default").expect("keymap");
    let rows = Rows::derive(store, now());
    let scene = Scene { store, rows: &rows, theme, keymap: &keymap };
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    terminal.draw(|f| render(f, state, &scene)).expect("draw");
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    (0..area.height)
        .map(|y| (0..area.width).map(|x| buf[(x, y)].symbol()).collect::<String>().trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn state(view: View) -> State {
    let mut s = State::new(now());
    s.nav.view = view;
    s
}

fn find(buf: &Buffer, needle: &str) -> (u16, u16) {
    let t = text(buf);
    for (y, line) in t.lines().enumerate() {
        if let Some(x) = line.find(needle) {
            return (line[..x].chars().count() as u16, y as u16);
        }
    }
    panic!("{needle:?} not on screen:\n{t}");
}

#[test]
fn every_view_at_120x40() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    for (name, view) in
        [("fleet", View::Fleet), ("clusters", View::Clusters), ("flux", View::Flux), ("terraform", View::Terraform)]
    {
        insta::assert_snapshot!(name, text(&draw(&store, &mut state(view), &theme)));
    }
    let mut failing = state(View::Flux);
    failing.nav.flux_filter = fleetdeck::ui::rows::FluxFilter::Failing;
    insta::assert_snapshot!("flux_failing", text(&draw(&store, &mut failing, &theme)));
    let mut details = state(View::Terraform);
    details.nav.details = true;
    insta::assert_snapshot!("terraform_details", text(&draw(&store, &mut details, &theme)));
    let mut help = state(View::Fleet);
    help.nav.overlay = Some(Overlay::Help);
    insta::assert_snapshot!("help", text(&draw(&store, &mut help, &theme)));
    let mut palette = state(View::Fleet);
    palette.nav.overlay = Some(Overlay::Palette { input: "prod".into(), selected: 0 });
    insta::assert_snapshot!("palette", text(&draw(&store, &mut palette, &theme)));
    let mut filtered = state(View::Clusters);
    filtered.nav.filter = "team-data".into();
    insta::assert_snapshot!("clusters_filtered", text(&draw(&store, &mut filtered, &theme)));
}

/// The cockpit's tree of a CAPI Cluster names rows as clusterctl v1.14 does (`Kind ns/name, <version>`, no
/// meta names, siblings in that name's order); a deleting object's `!! DELETED !! ` is drawn once, in the
/// deleting colour.
#[test]
fn capi_trees_name_rows_as_clusterctl_v1_14() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let cluster = |name: &str| {
        View::Tree(fleetdeck::model::object_ref::ObjectRef {
            context: "mgmt".into(),
            kind: KindId::find("cluster.x-k8s.io", "Cluster").expect("watched"),
            namespace: "platform".into(),
            name: name.into(),
        })
    };
    insta::assert_snapshot!("tree_capi_prod_us", text(&draw(&store, &mut state(cluster("prod-us")), &theme)));
    let buf = draw(&store, &mut state(cluster("old-test")), &theme);
    insta::assert_snapshot!("tree_capi_old_test", text(&buf));
    let screen = text(&buf);
    assert_eq!(screen.matches("!! DELETED !! Cluster platform/old-test").count(), 1, "{screen}");
    assert!(!screen.contains("!! DELETED !! !! DELETED !!"), "{screen}");
    let (x, y) = find(&buf, "!! DELETED !! Cluster");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Deleting).fg.expect("fg"), "the prefix in the deleting colour");
}

#[test]
fn colours_follow_the_theme_roles() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    // The cursor on the second row, so the dead context's row shows its own colours.
    let mut fleet_state = state(View::Fleet);
    fleet_state.cursor_mut().selected = 1;
    let buf = draw(&store, &mut fleet_state, &theme);
    let (x, y) = find(&buf, "Unreachable");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::ClusterDown).fg.expect("fg"), "a dead context uses cluster_down");
    assert_eq!(buf[(x, y)].bg, theme.style(Role::ClusterDown).bg.expect("bg"));
    let buf = draw(&store, &mut state(View::Clusters), &theme);
    let (x, y) = find(&buf, "Paused");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Paused).fg.expect("fg"), "paused cluster");
    // The STATE column's cell (the PHASE column also says Deleting, in plain text).
    let (x, y) = find(&buf, "Deleting    1/1");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Deleting).fg.expect("fg"), "deleting cluster");
    // The selected row (first, worst) uses the selected role in every cell, its state included.
    let (x, y) = find(&buf, "prod-us");
    assert_eq!(buf[(x, y)].bg, theme.style(Role::Selected).bg.expect("bg"));
    let (x, y) = find(&buf, "Failed");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Selected).fg.expect("fg"), "selected row is one readable colour");
    let mut tf_state = state(View::Terraform);
    tf_state.cursor_mut().selected = 3;
    let buf = draw(&store, &mut tf_state, &theme);
    let (x, y) = find(&buf, "PlanPending");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Warning).fg.expect("fg"), "a pending plan uses the warning role");

    // NO_COLOR: the monochrome theme draws no colour at all.
    let mono = Theme::monochrome();
    let buf = draw(&store, &mut state(View::Fleet), &mono);
    let coloured = buf
        .content
        .iter()
        .filter(|c| c.fg != ratatui::style::Color::Reset || c.bg != ratatui::style::Color::Reset)
        .count();
    assert_eq!(coloured, 0, "monochrome theme uses no colour");
}

#[test]
fn small_terminals_degrade_gracefully() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let keymap = Keymap::builtin("default").expect("keymap");
    let rows = Rows::derive(&store, now());
    let scene = Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap };
    let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    t.draw(|f| render(f, &state(View::Fleet), &scene)).expect("draw");
    insta::assert_snapshot!("fleet_80x24", text(t.backend().buffer()));
    let mut t = Terminal::new(TestBackend::new(60, 20)).expect("terminal");
    t.draw(|f| render(f, &state(View::Fleet), &scene)).expect("draw");
    assert!(text(t.backend().buffer()).contains("fleetdeck needs 80x24 (now 60x20)"));
}

/// The frame at 120x40 as text, drawn by the library's `render_to_string` (what `fleetdeck snapshot`
/// prints).
fn frame(store: &FleetStore, state: &State, theme: &Theme) -> String {
    let keymap = Keymap::builtin("default").expect("keymap");
    let rows = Rows::derive(store, now());
    let scene = Scene { store, rows: &rows, theme, keymap: &keymap };
    fleetdeck::ui::render_to_string(state, &scene, 120, 40).expect("render")
}

/// Presses `keys` (single characters, or `Enter`) through `update`, as the loop does, and returns the
/// effects they started.
fn press(state: &mut State, store: &FleetStore, keys: &[&str]) -> Vec<fleetdeck::ui::msg::Effect> {
    use crossterm::event::{KeyCode, KeyEvent};
    let keymap = Keymap::builtin("default").expect("keymap");
    let rows = Rows::derive(store, now());
    let mut fx = Vec::new();
    for k in keys {
        let code = match *k {
            "Enter" => KeyCode::Enter,
            c => KeyCode::Char(c.chars().next().expect("a key")),
        };
        let input = fleetdeck::ui::app::input(state, store, &rows);
        fx.extend(fleetdeck::ui::update::key(state, &keymap, &KeyEvent::from(code), &input));
    }
    fx
}

/// Puts the Flux view's cursor on Kustomization `flux-system/name` of `context`.
fn select(state: &mut State, store: &FleetStore, context: &str, name: &str) {
    let rows = Rows::derive(store, now());
    let at = fleetdeck::ui::list::visible(state, &rows)
        .iter()
        .position(|(_, t)| {
            matches!(t, fleetdeck::ui::list::Target::Object(o)
                if o.context == context && o.kind == KindId::KUSTOMIZATION && o.name == name)
        })
        .expect("the Kustomization is listed");
    state.cursor_mut().selected = at;
}

/// The Flux tree of a Kustomization in the cockpit (dependencies, its inventory with `(not watched)` entries,
/// health and revisions), and the same tree with a node collapsed through the keys.
#[test]
fn tree_of_a_kustomization_and_a_collapsed_node() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let root =
        fleetdeck::model::object_ref::ObjectRef::new("dev-eu", KindId::KUSTOMIZATION, "flux-system", "flux-system");
    let mut s = state(View::Tree(root));
    insta::assert_snapshot!("tree_flux_dev_eu", frame(&store, &s, &theme));
    // Down to the infrastructure Kustomization (the fourth child), then collapse it (`h`): its subtree folds
    // into its one line, marked `▸`.
    assert!(press(&mut s, &store, &["j", "j", "j", "j", "h"]).is_empty(), "moving and collapsing start nothing");
    let screen = frame(&store, &s, &theme);
    assert_eq!(screen.matches('▸').count(), 1, "{screen}");
    insta::assert_snapshot!("tree_flux_dev_eu_collapsed", screen);
}

/// The confirmation overlay, reached through the keys: a destructive action (suspend) asks `y`/`n`; on a
/// production context (prod-us, made writable) even a reconcile asks for the context's name to be typed.
/// Nothing starts until it is confirmed.
#[test]
fn confirmation_overlays_for_a_destructive_action_and_a_production_context() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let mut config = fleetdeck::config::Config::builtin().expect("config");
    config.contexts.insert("prod-us".into(), fleetdeck::config::ContextOverride { readonly: Some(false), alias: None });
    let rules = fleetdeck::ui::jobs::Rules { config: Some(config), cli_readonly: false };

    let mut s = state(View::Flux);
    s.settings.rules = rules.clone();
    select(&mut s, &store, "dev-eu", "apps");
    assert!(press(&mut s, &store, &["s"]).is_empty(), "a suspend asks first");
    assert!(matches!(s.nav.overlay, Some(Overlay::Confirm(_))), "{:?}", s.nav.overlay);
    insta::assert_snapshot!("confirm_suspend", frame(&store, &s, &theme));
    let fx = press(&mut s, &store, &["y"]);
    assert!(matches!(fx.as_slice(), [fleetdeck::ui::msg::Effect::Run(_, r)] if r.len() == 1), "{fx:?}");

    let mut s = state(View::Flux);
    s.settings.rules = rules;
    select(&mut s, &store, "prod-us", "flux-system");
    assert!(press(&mut s, &store, &["r", "p", "r", "o"]).is_empty(), "typing the name starts nothing");
    insta::assert_snapshot!("confirm_production", frame(&store, &s, &theme));
    let fx = press(&mut s, &store, &["d", "-", "u", "s", "Enter"]);
    assert!(matches!(fx.as_slice(), [fleetdeck::ui::msg::Effect::Run(_, r)] if r[0].target.context == "prod-us"));
}

/// A Flux tree's unwatched inventory entries in the cockpit: once the tree is on screen the loop asks to
/// read them (those and only those, once), the answer shows each entry's health, `not found` in the error
/// colour and a count in the title; leaving the tree stops the reads and forgets the answer.
#[test]
fn inventory_health_is_read_while_a_flux_tree_is_open() {
    use fleetdeck::model::inventory::{EntryState, Overlay};
    use fleetdeck::model::status::{Health, HealthState};
    use fleetdeck::ui::app::follow_inventory;
    use fleetdeck::ui::msg::{Effect, InventoryRead, Msg};

    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let root = fleetdeck::model::object_ref::ObjectRef::new("prod-us", KindId::KUSTOMIZATION, "flux-system", "apps");
    let mut s = state(View::Tree(root));
    let before = frame(&store, &s, &theme);
    assert!(before.contains("ConfigMap/podinfo/podinfo-env  (not watched)"), "{before}");
    let fx = follow_inventory(&mut s, &store);
    let [Effect::ReadInventory { tree, probes }] = fx.as_slice() else { panic!("one read: {fx:?}") };
    let nodes: Vec<&str> = probes.iter().map(|p| p.node.as_str()).collect();
    assert_eq!(
        nodes,
        [
            "prod-us//Namespace//podinfo",
            "prod-us//ConfigMap/podinfo/podinfo-env",
            "prod-us//Service/podinfo/podinfo",
            "prod-us/apps/Deployment/podinfo/podinfo",
        ]
    );
    assert!(follow_inventory(&mut s, &store).is_empty(), "the same tree is not read twice");
    assert!(frame(&store, &s, &theme).contains(" · reading 4 inventory objects "), "before the answer");

    // The answer the demo's prod-us gives (fleet::inventory::read against a real server: tests/inventory.rs).
    let ready = |m: &str| EntryState::Found(Health::new(HealthState::Ready, "", m));
    let stuck = Health::new(
        HealthState::Failed,
        "ProgressDeadlineExceeded",
        "ReplicaSet \"podinfo-x\" has timed out progressing.",
    );
    let states = [ready(""), EntryState::NotFound, ready("Service is ready"), EntryState::Found(stuck)];
    let overlay = Overlay { states: nodes.iter().map(|n| n.to_string()).zip(states).collect() };
    let read = InventoryRead {
        tree: tree.clone(),
        probes: probes.clone(),
        overlay,
        took: std::time::Duration::from_millis(30),
    };
    assert!(fleetdeck::ui::update::message(&mut s, Msg::Inventory(read)).is_empty());
    let buf = draw(&store, &mut s, &theme);
    let screen = text(&buf);
    let line =
        |needle: &str| screen.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("{needle}: {screen}"));
    assert!(
        line("ConfigMap/podinfo/podinfo-env")
            .trim_end_matches('│')
            .trim_end()
            .ends_with("ConfigMap/podinfo/podinfo-env  (not found)"),
        "{screen}"
    );
    let (x, y) = find(&buf, "(not found)");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("fg"), "drift in the error colour");
    assert!(
        line("Deployment/podinfo/podinfo")
            .contains("Deployment/podinfo/podinfo  Failed  ProgressDeadlineExceeded  ReplicaSet"),
        "{screen}"
    );
    assert!(line("Service/podinfo/podinfo").contains("Service/podinfo/podinfo  Ready  Service is ready"), "{screen}");
    assert!(screen.contains(" · inventory: 2 ready, 1 not ready, 1 not found "), "{screen}");

    // Leaving the tree stops the reads and drops what was read.
    s.nav.view = View::Flux;
    let fx = follow_inventory(&mut s, &store);
    assert!(matches!(fx.as_slice(), [Effect::StopInventory]), "{fx:?}");
    assert!(s.inventory.is_none());
    assert!(follow_inventory(&mut s, &store).is_empty(), "stopped once");
}

/// Issue 16: the details pane of a HelmRelease shows its Helm releases newest first (prod-us' podinfo: the
/// failed upgrade to 6.7.1 in red between two good releases), the last attempt, the failure counters and the
/// values; a Kustomization's pane its reconciliation snapshots.
#[test]
fn release_history_in_the_details_pane() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let rows = Rows::derive(&store, now());
    let mut s = state(View::Flux);
    s.nav.details = true;
    let at = |s: &State, kind: KindId, ns: &str, name: &str| {
        fleetdeck::ui::list::visible(s, &rows)
            .iter()
            .position(|(_, t)| {
                matches!(t, fleetdeck::ui::list::Target::Object(o)
                    if o.context == "prod-us" && o.kind == kind && o.namespace == ns && o.name == name)
            })
            .expect("listed")
    };
    s.cursor_mut().selected = at(&s, KindId::HELM_RELEASE, "podinfo", "podinfo");
    let buf = draw(&store, &mut s, &theme);
    let (x, y) = find(&buf, "failed     podinfo-6.7.1");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("error colour"), "a failed release is red");
    insta::assert_snapshot!("details_helmrelease_history", text(&buf));
    s.cursor_mut().selected = at(&s, KindId::KUSTOMIZATION, "flux-system", "apps");
    insta::assert_snapshot!("details_kustomization_history", text(&draw(&store, &mut s, &theme)));
}

/// Issue 16, item 2: the details pane of a MachineDeployment shows its rollout (rolled out, up to date of
/// desired as a bar) and its MachineSets by revision (the demo's: revision 1 each).
#[test]
fn rollout_section_of_a_machine_deployment() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let md = store.objects("mgmt", KindId::MACHINE_DEPLOYMENT).next().expect("a MachineDeployment").clone();
    let obj =
        fleetdeck::model::object_ref::ObjectRef::new("mgmt", KindId::MACHINE_DEPLOYMENT, md.namespace(), md.name());
    let lines = fleetdeck::ui::views::details::lines(&store, &md, &obj, &state(View::Clusters), &theme);
    let text: Vec<String> = lines.iter().map(|l| l.to_string().trim_end().to_string()).collect();
    let at = text.iter().position(|l| l.starts_with("rollout: ")).expect("a rollout section");
    insta::assert_snapshot!(
        "details_machinedeployment_rollout",
        text[at..].iter().take_while(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join("\n")
    );
}

/// Issue 16, item 4: with a Terraform object's readable plan inspected, the details pane leads with the
/// plan's per-resource summary: counts, then each resource, destroys first and in red.
#[test]
fn plan_summary_in_the_details_pane() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let mut s = state(View::Terraform);
    s.nav.details = true;
    let rows = Rows::derive(&store, now());
    let obj = match fleetdeck::ui::list::visible(&s, &rows).first().map(|(_, t)| t.clone()) {
        Some(fleetdeck::ui::list::Target::Object(o)) => o,
        other => panic!("a Terraform row is selected: {other:?}"),
    };
    let plan = "Terraform will perform the following actions:\n\n  # aws_s3_bucket.logs will be destroyed\n  - resource \"aws_s3_bucket\" \"logs\" {\n    }\n\n  # aws_db_instance.orders must be replaced\n-/+ resource \"aws_db_instance\" \"orders\" {\n    }\n\n  # aws_iam_role.app will be created\n  + resource \"aws_iam_role\" \"app\" {\n    }\n\nPlan: 2 to add, 0 to change, 2 to destroy.\n";
    let inspection = fleetdeck::ui::jobs::Inspection {
        plan: Some(Ok(plan.to_string())),
        plan_summary: Some(Box::new(fleetdeck::model::plan_summary::summarize(plan))),
        ..Default::default()
    };
    s.jobs.inspections.insert(obj, inspection);
    let buf = draw(&store, &mut s, &theme);
    let screen = text(&buf);
    assert!(screen.contains("plan summary: +1 -1 -/+1  (Plan: 2 to add, 0 to change, 2 to destroy)"), "{screen}");
    let (x, y) = find(&buf, "- aws_s3_bucket.logs");
    let (_, y2) = find(&buf, "-/+ aws_db_instance.orders");
    assert!(y < y2, "destroys first, then replacements (creates follow, below the pane's fold):\n{screen}");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("error colour"), "a destroy is red");
}

/// Issue 16, items 2 and 6: a topology Cluster's details pane says its version and where its control plane and
/// MachineDeployments are: the demo's edge-eu is upgrading to v1.34.1, its control plane there, its
/// MachineDeployment's template too but one Machine of two still to replace.
#[test]
fn topology_section_of_a_cluster() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let c = store
        .objects("mgmt", KindId::CLUSTER)
        .find(|c| c.obj().data.pointer("/spec/topology/version").is_some())
        .expect("a topology Cluster in the demo")
        .clone();
    let version = c.obj().data.pointer("/spec/topology/version").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let obj = fleetdeck::model::object_ref::ObjectRef::new("mgmt", KindId::CLUSTER, c.namespace(), c.name());
    let lines = fleetdeck::ui::views::details::lines(&store, &c, &obj, &state(View::Clusters), &theme);
    let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let at = text.iter().position(|l| l.starts_with("topology: ")).expect("a topology section");
    assert_eq!(version, "v1.34.1");
    assert_eq!(text[at], format!("topology: upgrading {version}"));
    assert!(text[at + 1].starts_with(&format!("  control plane {version} (Machines at {version})")), "{text:#?}");
    assert!(text[at + 2].ends_with(&format!("{version}  (rolling out: 1/2 up to date)")), "{text:#?}");
}

/// The details pane's lines of `kind` `namespace/name` in mgmt, from the section starting with `heading` to
/// the next empty line.
fn section(store: &FleetStore, kind: KindId, namespace: &str, name: &str, heading: &str) -> String {
    let theme = Theme::builtin("default").expect("theme");
    let o =
        store.get("mgmt", kind, namespace, name).unwrap_or_else(|| panic!("{namespace}/{name} in the demo")).clone();
    let obj = fleetdeck::model::object_ref::ObjectRef::new("mgmt", kind, namespace, name);
    let lines = fleetdeck::ui::views::details::lines(store, &o, &obj, &state(View::Clusters), &theme);
    let text: Vec<String> = lines.iter().map(|l| l.to_string().trim_end().to_string()).collect();
    let at = text.iter().position(|l| l.starts_with(heading)).unwrap_or_else(|| panic!("no {heading:?}: {text:#?}"));
    text[at..].iter().take_while(|l| !l.is_empty()).cloned().collect::<Vec<_>>().join("\n")
}

/// Issue 16, item 3: the demo's two MachineHealthChecks in the details pane: prod-us's remediating its
/// NotReady worker (4/5 healthy, the Machine waiting for its MachineSet), legacy-aws's blocked at
/// maxUnhealthy 33% with cluster-api's message; and the unhealthy Machine's own pane.
#[test]
fn health_check_sections_of_the_demo_checks_and_machine() {
    let store = fleet();
    let remediating =
        section(&store, KindId::MACHINE_HEALTH_CHECK, "platform", "prod-us-workers-unhealthy-5m", "health check: ");
    insta::assert_snapshot!("details_machinehealthcheck_remediating", remediating);
    let blocked = section(
        &store,
        KindId::MACHINE_HEALTH_CHECK,
        "team-data",
        "legacy-aws-control-plane-unhealthy",
        "health check: ",
    );
    insta::assert_snapshot!("details_machinehealthcheck_blocked", blocked);
    let machine = store
        .objects("mgmt", KindId::MACHINE)
        .find(|m| {
            m.name().starts_with("prod-us-md-1-") && fleetdeck::model::remediation::MachineHealth::of(m).failing()
        })
        .expect("prod-us's unhealthy worker")
        .clone();
    let pane = section(&store, KindId::MACHINE, "platform", machine.name(), "health check:");
    assert!(pane.contains(": health check failed (UnhealthyNode)"), "{pane}");
    assert!(pane.contains("remediation (owner): WaitingForRemediation: Waiting for remediation"), "{pane}");
}

/// Issue 16, item 3: the cockpit's CAPI tree ends with the Cluster's MachineHealthChecks, and the Machine
/// failing its check is shown alone (not grouped), marked `[health check failed]` right after its name in the
/// error colour (the check's message ends the line); the blocked check says so (the screen is 120 columns wide: the lines are cut there).
#[test]
fn capi_tree_marks_health_checks_and_failing_machines() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let mut s = state(View::Clusters);
    let rows = Rows::derive(&store, now());
    let legacy = fleetdeck::ui::list::visible(&s, &rows)
        .iter()
        .position(|(_, t)| matches!(t, fleetdeck::ui::list::Target::Object(o) if o.name == "legacy-aws"))
        .expect("legacy-aws listed");
    s.cursor_mut().selected = legacy;
    press(&mut s, &store, &["Enter"]);
    let buf = draw(&store, &mut s, &theme);
    let screen = text(&buf);
    assert!(
        screen.contains(
            "└─ MachineHealthCheck team-data/legacy-aws-control-plane-unhealthy  [healthy 2/3, remediation blocked"
        ),
        "{screen}"
    );
    let (x, y) = find(&buf, "Machine team-data/legacy-aws-control-plane-tx72h, v1.30.14  [health check failed]");
    let x = x + "Machine team-data/legacy-aws-control-plane-tx72h, v1.30.14  [".chars().count() as u16;
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("error colour"), "a failed check is red");
    assert!(screen.contains("2 Machines..."), "the healthy control-plane Machines stay grouped: {screen}");
}

/// Issue 16, item 4: the Terraform view's PLAN column shows a pending plan's counts once read, in the error
/// colour when it destroys or replaces something (its id before), with the plan's age.
#[test]
fn plan_counts_in_the_terraform_view() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    let mut s = state(View::Terraform);
    let rows = Rows::derive(&store, now());
    let rds = rows.terraform.iter().find(|r| r.obj.name == "rds-orders").expect("rds-orders").clone();
    let plan = rds.pending_plan.clone().expect("a pending plan");
    let before = text(&draw(&store, &mut s, &theme));
    let line = before.lines().find(|l| l.contains("rds-orders")).expect("listed").to_string();
    assert!(line.contains(&plan), "the id until the plan is read: {line}");
    fleetdeck::ui::plans::apply(
        &mut s.plans,
        fleetdeck::ui::msg::PlanRead {
            obj: rds.obj.clone(),
            plan: plan.clone(),
            counts: Ok(("~1 -1 -/+1".into(), true)),
        },
    );
    // Not asked for: an answer for a plan nobody asked about is dropped.
    assert!(!text(&draw(&store, &mut s, &theme)).contains("~1 -1 -/+1"));
    fleetdeck::ui::plans::follow(&mut s.plans, true, &rows);
    fleetdeck::ui::plans::apply(
        &mut s.plans,
        fleetdeck::ui::msg::PlanRead { obj: rds.obj.clone(), plan, counts: Ok(("~1 -1 -/+1".into(), true)) },
    );
    let buf = draw(&store, &mut s, &theme);
    let after = text(&buf);
    let line = after.lines().find(|l| l.contains("rds-orders")).expect("listed").to_string();
    assert!(line.contains("~1 -1 -/+1  "), "counts then the plan's age: {line}");
    let (x, y) = find(&buf, "~1 -1 -/+1");
    // The row is selected (first, pending plans first): colours show on the other rows only; select another.
    let _ = (x, y);
    s.cursor_mut().selected = 1;
    let buf = draw(&store, &mut s, &theme);
    let (x, y) = find(&buf, "~1 -1 -/+1");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("error colour"), "it destroys: red");
}

/// Issue 16, item 3: the Clusters view's MHC column sums each Cluster's MachineHealthChecks: prod-us 4/5 (its
/// worker waiting for remediation), legacy-aws `blocked 2/3` in the error colour, `-` without a check.
#[test]
fn clusters_view_sums_health_checks() {
    let store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    // The cursor on the first row (prod-us, worst first): the colours show on the others.
    let mut s = state(View::Clusters);
    let buf = draw(&store, &mut s, &theme);
    let screen = text(&buf);
    // The MHC cell of a row: the characters under the header's MHC, up to the VERSION column.
    let header: Vec<char> = screen.lines().find(|l| l.contains("MHC")).expect("header").chars().collect();
    let at = |word: &str| {
        let w: Vec<char> = word.chars().collect();
        header.windows(w.len()).position(|x| x == w.as_slice()).expect("column")
    };
    let (from, to) = (at("MHC"), at("VERSION"));
    let cell = |name: &str| {
        let line: Vec<char> = screen.lines().find(|l| l.contains(&format!(" {name} "))).expect("row").chars().collect();
        line[from..to].iter().collect::<String>().trim().to_string()
    };
    assert_eq!((cell("prod-us"), cell("legacy-aws"), cell("dev-eu")), ("4/5".into(), "blocked 2/3".into(), "-".into()));
    let (x, y) = find(&buf, "blocked 2/3");
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("error colour"), "a blocked check is red");
}

/// Issue 18, item 1: a fleet-wide list says it is partial while a context is not synced (here the
/// unreachable one) instead of showing a silent subset; the Fleet view, which lists the contexts themselves,
/// does not; once every context is synced the note goes.
#[test]
fn fleet_wide_lists_say_when_they_are_partial() {
    let mut store = fleet();
    let theme = Theme::builtin("default").expect("theme");
    for view in [View::Clusters, View::Flux, View::Terraform, View::Pulse] {
        let screen = text(&draw(&store, &mut state(view.clone()), &theme));
        assert!(screen.lines().nth(1).is_some_and(|l| l.contains("partial: 4 of 5 contexts synced")), "{screen}");
    }
    assert!(!text(&draw(&store, &mut state(View::Fleet), &theme)).contains("partial:"));
    store.apply(msg("broken-unreachable", StoreEvent::Removed), now());
    let screen = text(&draw(&store, &mut state(View::Clusters), &theme));
    assert!(!screen.contains("partial:"), "{screen}");
}
