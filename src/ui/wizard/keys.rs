//! Keys while a wizard is open, per step; no IO (work is handed back as [`Task`]s). The wizard takes every key
//! while it is shown, so letters type into fields instead of triggering cockpit actions.
//!
//! Everywhere: `esc` (or ctrl-c) cancels, except while the commit is being written. Pick: `up`/`down`,
//! `enter`. Form: see [`super::form::Form::key`]; `enter` previews. Preview: `up`/`down`/`pgup`/`pgdn`
//! scroll, `w` writes (commits), `p` writes and pushes, `e` goes back to the form. Done: `p` pushes when the
//! remote lacks the branch, `enter` closes.
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::form::{Form, FormKey};
use super::{Step, Task, Wizard};
use crate::ui::state::State;

/// Applies a key to the open wizard; work to start is pushed on `tasks`. Returns whether anything changed
/// (false when no wizard is open).
pub fn key(state: &mut State, ev: &KeyEvent, tasks: &mut Vec<Task>) -> bool {
    if ev.kind != KeyEventKind::Press {
        return false;
    }
    let Some(w) = state.gitops.wizard.as_mut() else { return false };
    w.notice = None;
    let cancel =
        ev.code == KeyCode::Esc || (ev.modifiers.contains(KeyModifiers::CONTROL) && ev.code == KeyCode::Char('c'));
    if cancel {
        if w.step == Step::Writing || w.pushing {
            w.notice =
                Some("the commit is being written; it cannot be stopped halfway (esc works once it is done)".into());
            return true;
        }
        // Closing after the write leaves the status bar to the tracking line.
        if w.written.is_none() {
            state.message = Some("cancelled; nothing was written".into());
        }
        state.gitops.wizard = None;
        return true;
    }
    match w.step {
        Step::Loading | Step::Planning | Step::Writing => false,
        Step::Pick => pick(w, ev),
        Step::Confirm => super::teardown::key(w, ev, tasks),
        Step::Choose => super::bootstrap::key(w, ev, tasks),
        Step::Profile => super::profile::key(w, ev, tasks),
        Step::Form => form(w, ev, tasks),
        Step::Preview => preview(w, ev, state.page.get().max(1), tasks),
        Step::Done => {
            if ev.code == KeyCode::Enter {
                state.gitops.wizard = None;
                return true;
            }
            done(w, ev, tasks)
        }
    }
}

fn pick(w: &mut Wizard, ev: &KeyEvent) -> bool {
    let Some(setup) = &w.setup else { return false };
    let n = setup.templates.len();
    match ev.code {
        KeyCode::Up | KeyCode::Char('k') => w.picked = w.picked.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => w.picked = (w.picked + 1).min(n.saturating_sub(1)),
        KeyCode::Enter => {
            let Some(template) = setup.templates.get(w.picked).cloned() else {
                w.notice = Some("no template to choose".into());
                return true;
            };
            let profiles = profile_repository_for(setup, &template);
            w.form = Some(Form::new(template, profiles, &setup.policy));
            w.step = Step::Form;
            w.error = None;
        }
        _ => return false,
    }
    true
}

/// The profile HelmRepository of the template's context, else the first one in the fleet.
fn profile_repository_for(setup: &super::Setup, t: &crate::gitops::template::Template) -> Option<serde_json::Value> {
    use crate::gitops::template::TemplateSource;
    let ctx = match &t.source {
        TemplateSource::Cluster { context } => Some(context.as_str()),
        _ => None,
    };
    let repos = &setup.profile_repositories;
    repos.iter().find(|(c, _)| Some(c.as_str()) == ctx).or(repos.first()).map(|(_, r)| r.clone())
}

fn form(w: &mut Wizard, ev: &KeyEvent, tasks: &mut Vec<Task>) -> bool {
    let (Some(setup), Some(form)) = (&w.setup, w.form.as_mut()) else { return false };
    if ev.code != KeyCode::Enter {
        return form.key(ev, &setup.policy) == FormKey::Changed;
    }
    let Some(created) = form.created.as_ref().filter(|_| form.errors.is_empty()) else {
        let n = form.errors.len();
        w.notice = Some(match (&form.problem, n) {
            (Some(p), _) => format!("cannot render: {p}"),
            (None, 1) => "fix the field marked ✖ first".into(),
            (None, n) => format!("fix the {n} fields marked ✖ first"),
        });
        return true;
    };
    tasks.push(Task::Plan {
        id: w.id,
        repo: setup.repo.clone(),
        base: setup.base.clone(),
        branch: created.branch.clone(),
        message: created.message.clone(),
        changes: created.changes(),
    });
    w.step = Step::Planning;
    w.error = None;
    true
}

fn preview(w: &mut Wizard, ev: &KeyEvent, page: usize, tasks: &mut Vec<Task>) -> bool {
    match ev.code {
        KeyCode::Up | KeyCode::Char('k') => w.scroll = w.scroll.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => w.scroll += 1,
        KeyCode::PageUp => w.scroll = w.scroll.saturating_sub(page),
        KeyCode::PageDown | KeyCode::Char(' ') => w.scroll += page,
        KeyCode::Home | KeyCode::Char('g') => w.scroll = 0,
        KeyCode::Char('e') => {
            w.step = w.editing_step();
            w.error = None;
        }
        KeyCode::Char(c @ ('w' | 'p')) => {
            let blocked = w.form.as_ref().map_or(0, |f| f.violations.len());
            if blocked > 0 {
                w.notice = Some(format!(
                    "the policy blocks the write ({blocked} violation{}): press e and fix the marked fields",
                    if blocked == 1 { "" } else { "s" }
                ));
                return true;
            }
            let (Some(setup), Some(plan)) = (&w.setup, &w.plan) else { return false };
            if plan.is_noop() {
                w.notice = Some(format!("nothing to write: {} already has these files", plan.base.branch));
                return true;
            }
            tasks.push(Task::Write { id: w.id, repo: setup.repo.clone(), plan: plan.clone(), push: c == 'p' });
            w.step = Step::Writing;
            w.error = None;
        }
        _ => return false,
    }
    if let Some(plan) = &w.plan {
        let violations = w.form.as_ref().map(|f| f.violations.as_slice());
        w.scroll = w.scroll.min(super::preview::line_count(plan, violations).saturating_sub(1));
    }
    true
}

fn done(w: &mut Wizard, ev: &KeyEvent, tasks: &mut Vec<Task>) -> bool {
    if ev.code != KeyCode::Char('p') {
        return false;
    }
    let (Some(setup), Some(written)) = (&w.setup, &w.written) else { return false };
    if written.on_remote || written.applied.already_in_base {
        w.notice = Some("the remote already has this branch".into());
        return true;
    }
    tasks.push(Task::Push {
        id: w.id,
        repo: setup.repo.clone(),
        branch: written.applied.branch.clone(),
        commit: written.applied.commit.clone(),
    });
    w.pushing = true;
    w.error = None;
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::gitops::policy::Policy;
    use crate::gitops::template::{Template, TemplateSource};
    use crate::gitops::{Base, Repo};
    use crate::ui::wizard::{Setup, WizardMsg};

    fn press(state: &mut State, code: KeyCode, tasks: &mut Vec<Task>) -> bool {
        key(state, &KeyEvent::new(code, KeyModifiers::NONE), tasks)
    }

    fn template() -> Template {
        let input = crate::demo::seed::SeedInput {
            now: "2026-11-21T10:00:00Z".parse().expect("time"),
            workload_kubeconfigs: Default::default(),
        };
        let seed = crate::demo::seed::demo_fleet(&input);
        let obj = seed.contexts["mgmt"].iter().find(|o| o["metadata"]["name"] == "capd-dev").expect("template");
        Template::from_object(obj, TemplateSource::Cluster { context: "mgmt".into() }).expect("parses")
    }

    fn setup() -> Setup {
        Setup {
            repo: Repo { root: "/nonexistent".into(), remote: "origin".into(), author: None },
            base: Base { branch: "main".into(), commit: "0".repeat(40) },
            remote_url: "/srv/fleet.git".into(),
            templates: vec![template()],
            profile_repositories: Vec::new(),
            policy: Policy::default(),
            problems: Vec::new(),
        }
    }

    fn state_with_repo() -> State {
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let mut config = Config::builtin().expect("config");
        config.git.repository = Some("/nonexistent".into());
        s.settings.rules.config = Some(config);
        s
    }

    #[test]
    fn open_refuses_without_a_repository_or_in_read_only_mode() {
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let mut tasks = Vec::new();
        s.settings.rules.config = Some(Config::builtin().expect("config"));
        crate::ui::wizard::flow::open(&mut s, &mut tasks);
        assert!(s.gitops.wizard.is_none());
        assert!(s.message.as_deref().is_some_and(|m| m.contains("git.repository")), "{:?}", s.message);
        let mut s = state_with_repo();
        s.settings.readonly = true;
        crate::ui::wizard::flow::open(&mut s, &mut tasks);
        assert!(s.gitops.wizard.is_none() && s.message.as_deref().is_some_and(|m| m.contains("read-only")));
        assert!(tasks.is_empty(), "nothing is started: {tasks:?}");
    }

    #[test]
    fn keys_walk_the_steps_queue_the_work_and_esc_writes_nothing() {
        let mut s = state_with_repo();
        let mut tasks = Vec::new();
        crate::ui::wizard::flow::open(&mut s, &mut tasks);
        let id = s.gitops.wizard.as_ref().map(|w| w.id).expect("open");
        assert!(matches!(tasks.as_slice(), [Task::Open { .. }]));
        tasks.clear();
        assert!(!press(&mut s, KeyCode::Enter, &mut tasks), "nothing to choose while loading");
        crate::ui::wizard::flow::apply(&mut s, WizardMsg::Opened(id + 1, Err("stale".into())));
        assert!(s.gitops.wizard.as_ref().is_some_and(|w| w.error.is_none()), "a stale result is dropped");
        crate::ui::wizard::flow::apply(&mut s, WizardMsg::Opened(id, Ok(Box::new(setup()))));
        press(&mut s, KeyCode::Enter, &mut tasks);
        let w = s.gitops.wizard.as_mut().expect("open");
        assert_eq!(w.step, Step::Form);
        assert!(tasks.is_empty(), "choosing a template starts nothing: {tasks:?}");
        press(&mut s, KeyCode::Enter, &mut tasks);
        let w = s.gitops.wizard.as_ref().expect("open");
        assert_eq!((w.step, w.notice.as_deref()), (Step::Form, Some("fix the field marked ✖ first")));
        for c in "dev-x".chars() {
            press(&mut s, KeyCode::Char(c), &mut tasks);
        }
        press(&mut s, KeyCode::Enter, &mut tasks);
        let w = s.gitops.wizard.as_ref().expect("open");
        assert_eq!(w.step, Step::Planning);
        assert!(matches!(tasks.as_slice(), [Task::Plan { branch, .. }] if branch == "fleetdeck/create-dev-x"));
        press(&mut s, KeyCode::Esc, &mut tasks);
        assert!(s.gitops.wizard.is_none());
        assert_eq!(s.message.as_deref(), Some("cancelled; nothing was written"));
    }
}
