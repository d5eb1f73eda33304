//! Operator actions in the cockpit, the pure part: a key (reconcile, suspend/resume, approve, replan,
//! pause/unpause, scale up/down, write kubeconfig) on the selected object, or on the marked rows, becomes
//! [`Request`]s; read-only contexts refuse at once; destructive verbs and production contexts ask first
//! (production: type the context name); confirmed requests become an [`Effect`] the loop runs as a task
//! (`effects.rs`), whose progress and result come back as [`ActionMsg`]s into [`State::jobs`].
//!
//! What the details pane shows about actions comes from an [`crate::ui::jobs::Inspection`]: the verbs the
//! object allows, each either available or disabled with the reason (read-only, or the
//! SelfSubjectAccessReview's denial), and the object's recent events.
use serde_json::Value;

use super::jobs::{Confirm, Job};
use super::msg::{ActionMsg, Effect};
use super::state::{Overlay, State};
use crate::config::Action;
use crate::model::kinds::{Family, KindId};
use crate::model::object_ref::ObjectRef;
use crate::model::store::FleetStore;
use crate::ops::{Request, Verb};

/// The object keys an action applies to: the marked rows, else the object under the cursor.
pub fn targets(state: &State, selected: Option<&ObjectRef>) -> Vec<ObjectRef> {
    if !state.jobs.marks.is_empty() {
        let mut v: Vec<ObjectRef> = state.jobs.marks.iter().cloned().collect();
        v.sort_by(|a, b| (&a.context, &a.namespace, &a.name).cmp(&(&b.context, &b.namespace, &b.name)));
        return v;
    }
    selected.cloned().into_iter().collect()
}

fn spec<'a>(store: &'a FleetStore, k: &ObjectRef, pointer: &str) -> Option<&'a Value> {
    store.get(&k.context, k.kind, &k.namespace, &k.name)?.obj().data.pointer(pointer)
}

/// The verb an action key means for object `k` as the store has it (toggles read the current state).
pub fn verb_for(action: Action, store: &FleetStore, k: &ObjectRef) -> Option<Verb> {
    let flag = |p: &str| match p {
        "/spec/paused" if k.kind.spec().family == Family::Crossplane => store
            .get(&k.context, k.kind, &k.namespace, &k.name)
            .is_some_and(|o| crate::model::status::crossplane_paused(o.obj())),
        _ => spec(store, k, p).and_then(Value::as_bool).unwrap_or(false),
    };
    let replicas = spec(store, k, "/spec/replicas").and_then(Value::as_i64);
    let verb = match action {
        Action::Reconcile => Verb::Reconcile { force: false, reset: false },
        Action::Suspend => {
            if flag("/spec/suspend") {
                Verb::Resume
            } else {
                Verb::Suspend
            }
        }
        Action::Approve => Verb::Approve,
        Action::Replan => Verb::Replan,
        Action::Pause => {
            if flag("/spec/paused") {
                Verb::Unpause
            } else {
                Verb::Pause
            }
        }
        Action::ScaleUp => Verb::Scale { replicas: replicas? + k.kind.scale_step() },
        Action::ScaleDown => Verb::Scale { replicas: (replicas? - k.kind.scale_step()).max(0) },
        Action::Restart => Verb::Restart,
        _ => return None,
    };
    verb.applies_to(k.kind).then_some(verb)
}

/// Handles an action key on `targets`: refuses (message), asks (confirmation overlay) or starts the job
/// (its entry in the state's jobs, and an [`Effect`] in `fx`). Returns whether the state changed.
pub fn request(
    state: &mut State,
    action: Action,
    store: &FleetStore,
    targets: Vec<ObjectRef>,
    fx: &mut Vec<Effect>,
) -> bool {
    if targets.is_empty() {
        state.message = Some("select an object first (or mark rows with space)".into());
        return true;
    }
    if action == Action::Kubeconfig {
        let k = &targets[0];
        if k.kind != KindId::CLUSTER {
            state.message = Some("kubeconfig: select a CAPI Cluster".into());
        } else {
            let title = format!("kubeconfig of Cluster {}/{}", k.namespace, k.name);
            let id = push_job(state, title, "reading the Secret");
            fx.push(Effect::Kubeconfig(id, k.clone()));
        }
        return true;
    }
    let mut requests = Vec::new();
    for k in targets {
        let Some(verb) = verb_for(action, store, &k) else {
            state.message = Some(format!("{} does not apply to {} {}", action.name(), k.kind.spec().kind, k.name));
            return true;
        };
        if let Some(why) = state.settings.rules.readonly_reason(&k.context) {
            state.message = Some(format!("{} refused: {why}", verb.name()));
            return true;
        }
        if let Some(Some(denied)) = state
            .jobs
            .inspections
            .get(&k)
            .and_then(|i| i.verbs.iter().find(|(v, _)| v == verb.name()).map(|(_, d)| d.clone()))
        {
            state.message = Some(format!("{} refused: {denied}", verb.name()));
            return true;
        }
        requests.push(Request { target: k, verb });
    }
    let production = requests.iter().map(|r| r.target.context.clone()).find(|c| state.settings.rules.production(c));
    if production.is_some() || requests.iter().any(|r| r.verb.destructive()) || requests.len() > 1 {
        state.nav.overlay = Some(Overlay::Confirm(Confirm { requests, must_type: production, typed: String::new() }));
    } else {
        fx.push(start(state, requests));
    }
    true
}

/// Starts a job for `requests`: lists it in the state's jobs, clears the marks, and returns the effect
/// that runs it.
fn start(state: &mut State, requests: Vec<Request>) -> Effect {
    let id = start_job(state, &requests);
    Effect::Run(id, requests)
}

/// Keys while a confirmation is shown: `y` / `enter` confirm (production: enter once the context name is
/// typed), `esc` / `n` cancel, typing edits the name. A confirmed run is started ([`Effect::Run`] in `fx`).
pub fn confirm_key(state: &mut State, ev: &crossterm::event::KeyEvent, fx: &mut Vec<Effect>) -> bool {
    use crossterm::event::KeyCode;
    let Some(Overlay::Confirm(c)) = state.nav.overlay.as_mut() else { return false };
    match (ev.code, c.must_type.is_some()) {
        (KeyCode::Esc, _) | (KeyCode::Char('n'), false) => {
            state.nav.overlay = None;
            state.message = Some("cancelled; nothing was sent".into());
        }
        (KeyCode::Enter, true) if c.must_type.as_deref() == Some(c.typed.as_str()) => {
            let requests = std::mem::take(&mut c.requests);
            state.nav.overlay = None;
            fx.push(start(state, requests));
        }
        (KeyCode::Enter, true) => c.typed.clear(),
        (KeyCode::Char('y') | KeyCode::Enter, false) => {
            let requests = std::mem::take(&mut c.requests);
            state.nav.overlay = None;
            fx.push(start(state, requests));
        }
        (KeyCode::Backspace, true) => {
            c.typed.pop();
        }
        (KeyCode::Char(ch), true) => c.typed.push(ch),
        _ => return false,
    }
    true
}

/// The title of a job running `requests`.
pub fn job_title(requests: &[Request]) -> String {
    match requests {
        [one] => {
            let t = &one.target;
            let extra = match one.verb {
                Verb::Scale { replicas } => format!(" to {replicas}"),
                _ => String::new(),
            };
            format!("{} {} {}/{}{extra} in {}", one.verb.name(), t.kind.spec().kind, t.namespace, t.name, t.context)
        }
        many => format!("{} on {} objects", many.first().map(|r| r.verb.name()).unwrap_or(""), many.len()),
    }
}

/// Applies a result of an action job or an inspection.
pub fn apply(state: &mut State, msg: ActionMsg) {
    match msg {
        ActionMsg::Progress(id, line) => {
            if let Some(j) = state.jobs.list.iter_mut().find(|j| j.id == id) {
                j.line = line;
            }
        }
        ActionMsg::Finished(id, result) => {
            if let Some(j) = state.jobs.list.iter_mut().find(|j| j.id == id) {
                j.ok = Some(result.is_ok());
                j.line = match result {
                    Ok(m) => format!("✔ {m}"),
                    Err(m) => format!("✖ {m}"),
                };
            }
            // Permissions and events may have changed: read them again when next shown.
            state.jobs.inspections.clear();
        }
        ActionMsg::Inspected(key, inspection) => {
            state.jobs.inspections.insert(key, inspection);
        }
    }
}

/// Starts a job for `requests`: lists it, clears the marks, and returns its id.
pub fn start_job(state: &mut State, requests: &[Request]) -> u64 {
    let id = push_job(state, job_title(requests), "starting");
    state.jobs.marks.clear();
    id
}

/// Lists a new running job (the newest 50 are kept) and returns its id.
fn push_job(state: &mut State, title: String, line: &str) -> u64 {
    let id = state.jobs.list.last().map_or(1, |j| j.id + 1);
    state.jobs.list.push(Job { id, title, line: line.into(), ok: None });
    if state.jobs.list.len() > 50 {
        state.jobs.list.remove(0);
    }
    id
}

/// The inspection the details pane needs, if it is shown for `selected` and nothing is known or asked
/// about that object yet: a placeholder is recorded (so it is asked once) and the effect returned.
pub fn inspection(state: &mut State, selected: Option<&ObjectRef>) -> Option<Effect> {
    let o = selected.filter(|o| state.nav.details && !state.jobs.inspections.contains_key(*o))?;
    state.jobs.inspections.insert(o.clone(), Default::default());
    Some(Effect::Inspect(o.clone()))
}

/// Verbs the details pane lists for a kind, in key order.
pub fn verbs_for_kind(kind: KindId) -> Vec<Verb> {
    [
        Verb::Reconcile { force: false, reset: false },
        Verb::Suspend,
        Verb::Resume,
        Verb::Approve,
        Verb::Replan,
        Verb::Pause,
        Verb::Unpause,
        Verb::Scale { replicas: 0 },
        Verb::Restart,
    ]
    .into_iter()
    .filter(|v| v.applies_to(kind))
    .collect()
}

/// The verbs the details pane offers for an object as it is now: suspend or resume and pause or unpause
/// (whichever applies), scale up and down around the current replicas.
pub fn verbs_for_object(kind: KindId, obj: Option<&kube::api::DynamicObject>) -> Vec<Verb> {
    let flag = |p: &str| match p {
        "/spec/paused" if kind.spec().family == Family::Crossplane => {
            obj.is_some_and(crate::model::status::crossplane_paused)
        }
        _ => obj.and_then(|o| o.data.pointer(p)).and_then(Value::as_bool).unwrap_or(false),
    };
    let replicas = obj.and_then(|o| o.data.pointer("/spec/replicas")).and_then(Value::as_i64);
    let step = kind.scale_step();
    verbs_for_kind(kind)
        .into_iter()
        .filter(|v| match v {
            Verb::Suspend => !flag("/spec/suspend"),
            Verb::Resume => flag("/spec/suspend"),
            Verb::Pause => !flag("/spec/paused"),
            Verb::Unpause => flag("/spec/paused"),
            _ => true,
        })
        .flat_map(|v| match (v, replicas) {
            (Verb::Scale { .. }, Some(n)) => {
                vec![Verb::Scale { replicas: n + step }, Verb::Scale { replicas: (n - step).max(0) }]
            }
            (v, _) => vec![v],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::ui::jobs::Rules;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn ks(context: &str) -> ObjectRef {
        ObjectRef::new(context, KindId::KUSTOMIZATION, "flux-system", "apps")
    }

    fn state() -> State {
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        s.settings.rules = Rules { config: Some(Config::builtin().expect("config")), cli_readonly: false };
        s
    }

    fn key(state: &mut State, code: KeyCode, fx: &mut Vec<Effect>) {
        confirm_key(state, &KeyEvent::new(code, KeyModifiers::NONE), fx);
    }

    #[test]
    fn plain_actions_run_destructive_ones_ask_and_production_needs_the_name() {
        let store = FleetStore::new();
        let mut s = state();
        let mut fx = Vec::new();
        request(&mut s, Action::Reconcile, &store, vec![ks("dev-eu")], &mut fx);
        assert!(matches!(fx.as_slice(), [Effect::Run(_, r)] if r[0].verb.name() == "reconcile"));
        assert!(s.nav.overlay.is_none());

        let mut s = state();
        let mut fx = Vec::new();
        request(&mut s, Action::Suspend, &store, vec![ks("dev-eu")], &mut fx);
        assert!(fx.is_empty(), "a suspend asks first");
        key(&mut s, KeyCode::Char('n'), &mut fx);
        assert!(fx.is_empty() && s.nav.overlay.is_none(), "cancelled");
        request(&mut s, Action::Suspend, &store, vec![ks("dev-eu")], &mut fx);
        key(&mut s, KeyCode::Char('y'), &mut fx);
        assert!(matches!(fx.as_slice(), [Effect::Run(_, r)] if r[0].verb == Verb::Suspend));

        // prod-us matches `*prod*`: read-only by default; once allowed, the name must be typed.
        let mut s = state();
        let mut fx = Vec::new();
        request(&mut s, Action::Reconcile, &store, vec![ks("prod-us")], &mut fx);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("read-only")), "{:?}", s.message);
        assert!(fx.is_empty() && s.nav.overlay.is_none());
        if let Some(c) = s.settings.rules.config.as_mut() {
            c.contexts.insert("prod-us".into(), crate::config::ContextOverride { readonly: Some(false), alias: None });
        }
        request(&mut s, Action::Reconcile, &store, vec![ks("prod-us")], &mut fx);
        key(&mut s, KeyCode::Char('y'), &mut fx);
        key(&mut s, KeyCode::Enter, &mut fx);
        assert!(fx.is_empty(), "`y` is not the context name");
        for c in "prod-us".chars() {
            key(&mut s, KeyCode::Char(c), &mut fx);
        }
        key(&mut s, KeyCode::Enter, &mut fx);
        assert!(matches!(fx.as_slice(), [Effect::Run(_, r)] if r[0].target.context == "prod-us"));
    }

    #[test]
    fn the_details_pane_offers_what_applies_now() {
        let obj = |v: serde_json::Value| -> kube::api::DynamicObject { serde_json::from_value(v).expect("object") };
        let suspended =
            obj(serde_json::json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps"}, "spec": {"suspend": true}}));
        let names: Vec<&str> = verbs_for_object(ks("dev-eu").kind, Some(&suspended)).iter().map(|v| v.name()).collect();
        assert_eq!(names, ["reconcile", "resume"]);
        let md_kind = KindId::MACHINE_DEPLOYMENT;
        let md = obj(serde_json::json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "MachineDeployment",
            "metadata": {"name": "md-0"}, "spec": {"replicas": 3}}));
        let verbs = verbs_for_object(md_kind, Some(&md));
        assert!(verbs.contains(&Verb::Pause) && !verbs.contains(&Verb::Unpause));
        assert!(verbs.contains(&Verb::Scale { replicas: 4 }) && verbs.contains(&Verb::Scale { replicas: 2 }));
    }

    #[test]
    fn read_only_refuses_and_wrong_kinds_say_so() {
        let store = FleetStore::new();
        let mut s = state();
        let mut fx = Vec::new();
        s.settings.rules.cli_readonly = true;
        request(&mut s, Action::Reconcile, &store, vec![ks("dev-eu")], &mut fx);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("--readonly")));
        assert!(fx.is_empty());
        let mut s = state();
        let mut fx = Vec::new();
        request(&mut s, Action::Approve, &store, vec![ks("dev-eu")], &mut fx);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("does not apply")));
        request(&mut s, Action::Reconcile, &store, Vec::new(), &mut fx);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("select an object")));
    }

    #[test]
    fn bulk_actions_ask_and_report_per_object() {
        let store = FleetStore::new();
        let mut s = state();
        let mut fx = Vec::new();
        let mut other = ks("dev-eu");
        other.name = "infrastructure".into();
        s.jobs.marks.insert(ks("dev-eu"));
        s.jobs.marks.insert(other);
        let t = targets(&s, None);
        assert_eq!(t.len(), 2);
        request(&mut s, Action::Reconcile, &store, t, &mut fx);
        assert!(matches!(&s.nav.overlay, Some(Overlay::Confirm(c)) if c.requests.len() == 2));
        key(&mut s, KeyCode::Enter, &mut fx);
        let Some(Effect::Run(id, _)) = fx.pop() else { panic!("queued") };
        assert!(s.jobs.marks.is_empty(), "marks are cleared once a bulk action starts");
        assert_eq!(s.jobs.list[0].title, "reconcile on 2 objects");
        apply(&mut s, ActionMsg::Finished(id, Err("1 of 2 not done: refused".into())));
        assert_eq!(s.jobs.list[0].ok, Some(false));
    }
}
