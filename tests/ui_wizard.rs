//! The wizard's screens at 120x40 from fixed inputs (the demo's GitOpsTemplate, a policy, a fixed base
//! commit, an empty fleet): insta snapshots of the text, and a check that a policy violation is drawn in
//! the theme's error role at its field.
use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use fleetdeck::config::{Keymap, Role, Theme};
use fleetdeck::gitops::plan::planned;
use fleetdeck::gitops::policy::Policy;
use fleetdeck::gitops::teardown::{RemovedFile, Teardown};
use fleetdeck::gitops::template::{Template, TemplateSource};
use fleetdeck::gitops::{Applied, Base, FileChange, Plan, Repo};
use fleetdeck::model::store::FleetStore;
use fleetdeck::ui::render::{Scene, render};
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::State;
use fleetdeck::ui::wizard::form::Form;
use fleetdeck::ui::wizard::teardown::Target;
use fleetdeck::ui::wizard::{Flow, Setup, Step, Wizard, Written};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

fn demo_template(name: &str) -> Template {
    let input = fleetdeck::demo::seed::SeedInput {
        now: "2026-11-21T10:00:00Z".parse().expect("time"),
        workload_kubeconfigs: BTreeMap::new(),
    };
    let seed = fleetdeck::demo::seed::demo_fleet(&input);
    let obj = seed.contexts["mgmt"].iter().find(|o| o["metadata"]["name"] == name).expect("template");
    Template::from_object(obj, TemplateSource::Cluster { context: "mgmt".into() }).expect("parses")
}

fn base() -> Base {
    Base { branch: "main".into(), commit: "4b9af6b85496c0ffee0000000000000000000000".into() }
}

fn policy() -> Policy {
    Policy::default().with(".fleetdeck/policy.yaml", Policy::parse("p", "regions: [eu-central-1]\n").expect("policy"))
}

fn setup() -> Setup {
    Setup {
        repo: Repo { root: "/home/ops/fleet-infra".into(), remote: "origin".into(), author: None },
        base: base(),
        remote_url: "git@github.com:acme/fleet-infra.git".into(),
        templates: vec![demo_template("aws-eks-cluster"), demo_template("capd-dev")],
        profile_repositories: Vec::new(),
        policy: policy(),
        problems: vec!["context prod-us: listing gitopstemplates: 403 forbidden".into()],
    }
}

/// A form with the name typed and the region picked (eu-west-1, which the policy refuses).
fn filled_form() -> Form {
    let p = policy();
    let mut form = Form::new(demo_template("aws-eks-cluster"), None, &p);
    for c in "tui-new".chars() {
        form.key(&KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), &p);
    }
    for code in [KeyCode::Tab, KeyCode::Tab, KeyCode::Right] {
        form.key(&KeyEvent::new(code, KeyModifiers::NONE), &p);
    }
    form
}

fn wizard(step: Step) -> Wizard {
    let mut w = Wizard::new(1, Flow::Create);
    w.setup = Some(setup());
    w.step = step;
    w
}

fn draw(w: Wizard) -> Buffer {
    let store = FleetStore::new();
    let rows = Rows::default();
    let theme = Theme::builtin("default").expect("theme");
    let keymap = Keymap::builtin("default").expect("keymap");
    let mut state = State::new("2026-11-21T10:00:00Z".parse().expect("time"));
    state.gitops.wizard = Some(w);
    let mut t = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    t.draw(|f| render(f, &state, &Scene { store: &store, rows: &rows, theme: &theme, keymap: &keymap })).expect("draw");
    t.backend().buffer().clone()
}

fn text(b: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        let line: String = (0..b.area.width).map(|x| b[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn plan_of(form: &Form) -> Plan {
    let created = form.created.as_ref().expect("rendered");
    let files = created.changes().iter().map(|c| planned(c, None)).collect();
    Plan { base: base(), branch: created.branch.clone(), message: created.message.clone(), files, warnings: Vec::new() }
}

#[test]
fn every_wizard_screen_at_120x40() {
    insta::assert_snapshot!("wizard_pick", text(&draw(wizard(Step::Pick))));

    let mut w = wizard(Step::Form);
    w.form = Some(filled_form());
    let buf = draw(w);
    insta::assert_snapshot!("wizard_form_violation", text(&buf));
    // The violation is drawn in the error role, on the AWS_REGION row.
    let theme = Theme::builtin("default").expect("theme");
    let y = (0..40).find(|&y| (0..120).map(|x| buf[(x, y)].symbol()).collect::<String>().contains("AWS_REGION*"));
    let y = y.expect("AWS_REGION row");
    let row: String = (0..120).map(|x| buf[(x, y)].symbol()).collect();
    let x = row.chars().position(|c| c == '✖').expect("a mark on the row") as u16;
    assert_eq!(buf[(x, y)].fg, theme.style(Role::Error).fg.expect("error colour"));

    let mut w = wizard(Step::Preview);
    let form = filled_form();
    let plan = plan_of(&form);
    for v in [None, Some(form.violations.as_slice()), Some(&[][..])] {
        let counted = fleetdeck::ui::wizard::preview::line_count(&plan, v);
        assert_eq!(counted, fleetdeck::ui::wizard::preview::lines(&plan, v, &theme).len());
    }
    w.plan = Some(plan);
    w.form = Some(form);
    insta::assert_snapshot!("wizard_preview", text(&draw(w)));

    let mut w = wizard(Step::Done);
    let mut form = filled_form();
    form.key(&KeyEvent::new(KeyCode::Right, KeyModifiers::NONE), &policy());
    w.plan = Some(plan_of(&form));
    w.form = Some(form);
    w.written = Some(Written {
        applied: Applied {
            branch: "fleetdeck/create-tui-new".into(),
            commit: "ff07d51d6eb4be06cb0cddfba5c0dc6acd4ad2a8".into(),
            pushed: true,
            unchanged: false,
            already_in_base: false,
        },
        on_remote: true,
        notes: vec!["your working tree has uncommitted changes: left exactly as they are".into()],
    });
    insta::assert_snapshot!("wizard_done", text(&draw(w)));
}

#[test]
fn the_teardown_confirmation() {
    let change = FileChange { path: "clusters/management/clusters/platform/dev-eu.yaml".into(), content: None };
    let mut w = Wizard::new(
        2,
        Flow::Teardown(Target {
            context: "mgmt".into(),
            namespace: "platform".into(),
            name: "dev-eu".into(),
            typed: "dev-".into(),
            teardown: Some(Teardown {
                removed: vec![RemovedFile {
                    path: change.path.clone(),
                    objects: vec!["Cluster/platform/dev-eu".into(), "GitopsCluster/platform/dev-eu".into()],
                }],
                consequences: vec![
                    "Flux prunes Cluster/platform/dev-eu; Cluster API then deletes everything it owns".into(),
                ],
                left_alone: Vec::new(),
            }),
        }),
    );
    w.setup = Some(setup());
    w.plan = Some(Plan {
        base: base(),
        branch: "fleetdeck/delete-dev-eu".into(),
        message: "Delete cluster platform/dev-eu".into(),
        files: vec![planned(&change, Some("kind: Cluster\n"))],
        warnings: Vec::new(),
    });
    w.step = Step::Confirm;
    insta::assert_snapshot!("wizard_teardown", text(&draw(w)));
}

#[test]
fn the_bootstrap_choice() {
    let cluster = fleetdeck::model::kinds::KindId::find("cluster.x-k8s.io", "Cluster").expect("kind");
    let o = fleetdeck::model::object_ref::ObjectRef {
        context: "mgmt".into(),
        kind: cluster,
        namespace: "platform".into(),
        name: "dev-eu".into(),
    };
    let mut state = State::new("2026-11-21T10:00:00Z".parse().expect("time"));
    let mut config = fleetdeck::config::Config::builtin().expect("config");
    config.git.repository = Some("/home/ops/fleet-infra".into());
    state.settings.rules.config = Some(config);
    let mut tasks = Vec::new();
    fleetdeck::ui::wizard::bootstrap::open(&mut state, Some(&o), &mut tasks);
    assert!(matches!(tasks.as_slice(), [fleetdeck::ui::wizard::Task::OpenBase { .. }]), "{tasks:?}");
    let mut w = state.gitops.wizard.take().expect("open");
    w.setup = Some(setup());
    w.step = Step::Choose;
    insta::assert_snapshot!("wizard_bootstrap", text(&draw(w)));
}
