//! The teardown wizard (the `delete-cluster` key on a Cluster API Cluster): one commit on
//! `fleetdeck/delete-<cluster>` removing the cluster's files ([`crate::gitops::teardown::plan`], Weave
//! GitOps' delete flow), after listing exactly which files and objects go and what Flux and Cluster API
//! then delete, and after the user types the cluster's name. `enter` with the name typed commits and
//! pushes; anything else typed edits the name; `esc` cancels and writes nothing.
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Flow, Step, Task, Wizard};
use crate::config::{Role, Theme};
use crate::gitops::teardown::Teardown;
use crate::model::kinds::KindId;
use crate::model::object_ref::ObjectRef;
use crate::ui::state::State;

/// The cluster being torn down, and the confirmation typed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The Cluster's context (its management cluster).
    pub context: String,
    /// Namespace of the Cluster.
    pub namespace: String,
    /// Name of the Cluster: what must be typed.
    pub name: String,
    /// What has been typed.
    pub typed: String,
    /// The planned removal, once loaded.
    pub teardown: Option<Teardown>,
}

/// Opens the teardown wizard for the selected object, which must be a Cluster API Cluster.
pub fn open(state: &mut State, selected: Option<&ObjectRef>, tasks: &mut Vec<Task>) -> bool {
    let Some(o) = selected.filter(|o| o.kind == KindId::CLUSTER) else {
        state.message = Some("delete cluster: select a Cluster API Cluster (2 Clusters)".into());
        return true;
    };
    let Some(git) = super::flow::git_settings(state, "delete cluster") else { return true };
    let target = Target {
        context: o.context.clone(),
        namespace: o.namespace.clone(),
        name: o.name.clone(),
        typed: String::new(),
        teardown: None,
    };
    let w = Wizard::new(super::next_id(&mut state.gitops), Flow::Teardown(target));
    tasks.push(Task::OpenTeardown { id: w.id, git, namespace: o.namespace.clone(), name: o.name.clone() });
    state.gitops.wizard = Some(w);
    true
}

/// Keys of the Confirm step: typing edits the name; `enter` commits and pushes once it matches.
pub fn key(w: &mut Wizard, ev: &KeyEvent, tasks: &mut Vec<Task>) -> bool {
    let Flow::Teardown(t) = &mut w.flow else { return false };
    match ev.code {
        KeyCode::Enter if t.typed == t.name => {
            let (Some(setup), Some(plan)) = (&w.setup, &w.plan) else { return false };
            tasks.push(Task::Write { id: w.id, repo: setup.repo.clone(), plan: plan.clone(), push: true });
            w.step = Step::Writing;
            w.error = None;
        }
        KeyCode::Enter => {
            w.notice = Some(format!("{:?} is not {:?}: type the cluster's name exactly", t.typed, t.name));
            t.typed.clear();
        }
        KeyCode::Backspace => {
            t.typed.pop();
        }
        KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => t.typed.push(c),
        _ => return false,
    }
    true
}

/// The Confirm screen.
pub fn draw(f: &mut Frame, area: Rect, w: &Wizard, theme: &Theme) {
    let (Flow::Teardown(t), Some(plan)) = (&w.flow, &w.plan) else { return };
    let Some(td) = &t.teardown else { return };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(" Cluster ", theme.style(Role::Muted)),
            Span::styled(format!("{}/{}", t.namespace, t.name), theme.style(Role::Accent)),
            Span::styled(format!(" (in {})", t.context), theme.style(Role::Muted)),
            Span::raw(format!(
                ": one commit on {} from {} at {} removes",
                plan.branch,
                plan.base.branch,
                crate::gitops::revision::short(&plan.base.commit)
            )),
        ]),
        Line::raw(""),
    ];
    for file in &td.removed {
        lines.push(Line::styled(format!("   delete {}", file.path), theme.style(Role::Error)));
        for o in &file.objects {
            lines.push(Line::styled(format!("            {o}"), theme.style(Role::Muted)));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(" once merged:", theme.style(Role::Warning)));
    let width = area.width.saturating_sub(1) as usize;
    for c in &td.consequences {
        let text = crate::model::tree_text::format_paragraph(&format!("     {c}"), width);
        for (i, l) in text.lines().enumerate() {
            let l = if i == 0 { format!("   •{}", l.get(4..).unwrap_or_default()) } else { l.to_owned() };
            lines.push(Line::raw(l));
        }
    }
    for l in &td.left_alone {
        lines.push(Line::styled(format!("   note: {l}"), theme.style(Role::Muted)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(" type the cluster's name ({}) and press enter to commit and push the removal (esc cancels)", t.name),
        theme.style(Role::Warning),
    ));
    lines.push(Line::from(vec![
        Span::styled(" > ", theme.style(Role::KeyHint)),
        Span::raw(t.typed.clone()),
        Span::raw("▏"),
    ]));
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::teardown::RemovedFile;
    use crate::gitops::{FileChange, Plan, plan::planned};
    use crate::model::kinds::KindId;

    #[test]
    fn only_a_cluster_opens_it_and_only_its_name_confirms() {
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let mut config = crate::config::Config::builtin().expect("config");
        config.git.repository = Some("/nonexistent".into());
        s.settings.rules.config = Some(config);
        let mut tasks = Vec::new();
        let mut o = ObjectRef::new("mgmt", KindId::KUSTOMIZATION, "platform", "dev-eu");
        open(&mut s, Some(&o), &mut tasks);
        assert!(s.gitops.wizard.is_none() && s.message.as_deref().is_some_and(|m| m.contains("select a Cluster")));
        assert!(tasks.is_empty());
        o.kind = KindId::CLUSTER;
        open(&mut s, Some(&o), &mut tasks);
        let w = s.gitops.wizard.as_mut().expect("open");
        assert!(matches!(tasks.as_slice(), [Task::OpenTeardown { name, .. }] if name == "dev-eu"));
        tasks.clear();
        let base = crate::gitops::Base { branch: "main".into(), commit: "0".repeat(40) };
        let change = FileChange { path: "clusters/management/clusters/platform/dev-eu.yaml".into(), content: None };
        w.plan = Some(Plan {
            base: base.clone(),
            branch: "fleetdeck/delete-dev-eu".into(),
            message: "Delete cluster platform/dev-eu".into(),
            files: vec![planned(&change, Some("kind: Cluster\n"))],
            warnings: Vec::new(),
        });
        w.setup = Some(super::super::Setup {
            repo: crate::gitops::Repo { root: "/nonexistent".into(), remote: "origin".into(), author: None },
            base,
            remote_url: "/srv/fleet.git".into(),
            templates: Vec::new(),
            profile_repositories: Vec::new(),
            policy: Default::default(),
            problems: Vec::new(),
        });
        if let Flow::Teardown(t) = &mut w.flow {
            t.teardown = Some(Teardown {
                removed: vec![RemovedFile {
                    path: change.path.clone(),
                    objects: vec!["Cluster/platform/dev-eu".into()],
                }],
                consequences: Vec::new(),
                left_alone: Vec::new(),
            });
        }
        w.step = Step::Confirm;
        let ev = |c| KeyEvent::new(c, KeyModifiers::NONE);
        for c in "dev-e".chars() {
            key(w, &ev(KeyCode::Char(c)), &mut tasks);
        }
        key(w, &ev(KeyCode::Enter), &mut tasks);
        assert!(tasks.is_empty() && w.notice.as_deref().is_some_and(|n| n.contains("exactly")));
        for c in "dev-eu".chars() {
            key(w, &ev(KeyCode::Char(c)), &mut tasks);
        }
        key(w, &ev(KeyCode::Enter), &mut tasks);
        assert_eq!(w.step, Step::Writing);
        assert!(matches!(tasks.as_slice(), [Task::Write { push: true, .. }]));
    }
}
