//! Opening the create wizard and applying task results to the wizard they belong to: the parts of the
//! wizards that need the whole cockpit state (read-only mode, the configured repository, the status line,
//! the tracked changes).
use super::{Flow, Step, Task, Wizard, WizardMsg, Written, next_id, track};
use crate::config::GitDefaults;
use crate::ui::state::State;

/// Opens the create wizard (the `new-cluster` key): refused in read-only mode and when no repository is
/// configured (`git.repository` in config.yaml); otherwise opens it and hands back its loading task in `tasks`.
pub fn open(state: &mut State, tasks: &mut Vec<Task>) -> bool {
    let Some(git) = git_settings(state, "new cluster") else { return true };
    let w = Wizard::new(next_id(&mut state.gitops), Flow::Create);
    tasks.push(Task::Open { id: w.id, git });
    state.gitops.wizard = Some(w);
    true
}

/// The GitOps repository settings, or why a wizard cannot open (read-only mode, no repository): the
/// message is set and `None` returned.
pub fn git_settings(state: &mut State, what: &str) -> Option<GitDefaults> {
    if state.settings.readonly {
        state.message = Some(format!("{what} refused: read-only mode (a wizard pushes to the GitOps repository)"));
        return None;
    }
    let git = state.settings.rules.config.as_ref().map(|c| c.git.clone()).filter(|g| g.repository.is_some());
    if git.is_none() {
        state.message = Some(format!(
            "{what}: no GitOps repository; start the cockpit with --repo PATH or set git.repository in config.yaml"
        ));
    }
    git
}

/// Applies a task's result to the wizard it belongs to (results for another wizard are dropped).
pub fn apply(state: &mut State, msg: WizardMsg) {
    let id = match &msg {
        WizardMsg::Opened(id, _)
        | WizardMsg::Planned(id, _)
        | WizardMsg::Written(id, _)
        | WizardMsg::Pushed(id, _)
        | WizardMsg::OpenedTeardown(id, _) => *id,
    };
    let Some(w) = state.gitops.wizard.as_mut().filter(|w| w.id == id) else {
        tracing::debug!("wizard {id}: result dropped (the wizard was closed)");
        return;
    };
    match msg {
        WizardMsg::Opened(_, Ok(setup)) => {
            if let Flow::Claim(target) = &w.flow {
                w.form = Some(super::form::Form::claim(target.form.clone(), &setup.policy));
            }
            w.setup = Some(*setup);
            w.step = match w.flow {
                Flow::Create => Step::Pick,
                _ => w.editing_step(),
            };
            w.error = None;
        }
        WizardMsg::Opened(_, Err(e)) | WizardMsg::OpenedTeardown(_, Err(e)) => w.error = Some(e),
        WizardMsg::OpenedTeardown(_, Ok(opened)) => {
            let (setup, t, plan) = *opened;
            w.setup = Some(setup);
            w.plan = Some(plan);
            if let Flow::Teardown(target) = &mut w.flow {
                target.teardown = Some(t);
            }
            w.step = Step::Confirm;
            w.error = None;
        }
        WizardMsg::Planned(_, Ok(plan)) => {
            w.plan = Some(plan);
            w.scroll = 0;
            w.step = Step::Preview;
            w.error = None;
        }
        WizardMsg::Planned(_, Err(e)) => {
            w.step = w.editing_step();
            w.error = Some(e);
        }
        WizardMsg::Written(_, Ok(written)) => {
            w.step = Step::Done;
            w.error = None;
            let track = track_of(w, &written);
            w.written = Some(written);
            if let Some(t) = track {
                state.gitops.tracks.push(t);
            }
        }
        WizardMsg::Written(_, Err(e)) => {
            w.step = if matches!(w.flow, Flow::Teardown(_)) { Step::Confirm } else { Step::Preview };
            w.error = Some(e);
        }
        WizardMsg::Pushed(_, result) => {
            w.pushing = false;
            match result {
                Ok(pushed) => {
                    w.error = None;
                    if let Some(written) = w.written.as_mut() {
                        written.applied.pushed |= pushed;
                        written.on_remote = true;
                    }
                    let track = w.written.as_ref().and_then(|written| track_of(w, written));
                    if let Some(t) = track {
                        state.gitops.tracks.push(t);
                    }
                }
                Err(e) => w.error = Some(e),
            }
        }
    }
}

/// The change to track once the remote has it (nothing when the base already had every file).
fn track_of(w: &Wizard, written: &Written) -> Option<track::Track> {
    let setup = w.setup.as_ref()?;
    if !written.on_remote || written.applied.already_in_base {
        return None;
    }
    let a = &written.applied;
    Some(track::Track::of_plan(&setup.remote_url, &setup.base.branch, &a.branch, &a.commit, w.plan.as_ref()))
}
