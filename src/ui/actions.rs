//! Operator actions in the cockpit, the pure part: a key (reconcile, suspend/resume, approve, replan,
//! pause/unpause, scale up/down, write kubeconfig) on the selected object, or on the marked rows, becomes
//! [`Request`]s; read-only contexts refuse at once; destructive verbs and production contexts ask first
//! (production: type the context name); confirmed requests become an [`Effect`] the loop runs as a task
//! (`effects.rs`), whose progress and result come back as [`OpMsg`]s into [`State::jobs`].
//!
//! What the details pane shows about actions comes from an [`Inspection`]: the verbs the object allows,
//! each either available or disabled with the reason (read-only, or the SelfSubjectAccessReview's denial),
//! and the object's recent events.
use std::collections::HashMap;

use serde_json::Value;

use super::rows::ObjectRef;
use super::state::{Overlay, State};
use crate::config::{Action, Config};
use crate::model::store::FleetStore;
use crate::ops::{self, ObjectKey, Request, Verb};

/// What decides read-only and production contexts: the configuration and `--readonly`.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// The loaded configuration (`None`: nothing is read-only, nothing is production).
    pub config: Option<Config>,
    /// `--readonly`.
    pub cli_readonly: bool,
}

impl Rules {
    /// Why `context` is read-only ([`ops::readonly_reason`]), or `None`.
    pub fn readonly_reason(&self, context: &str) -> Option<String> {
        match &self.config {
            Some(c) => ops::readonly_reason(c, self.cli_readonly, context),
            None if self.cli_readonly => Some("read-only mode (--readonly)".into()),
            None => None,
        }
    }
    /// Whether `context` matches the production pattern (confirmation by typing its name).
    pub fn production(&self, context: &str) -> bool {
        self.config.as_ref().is_some_and(|c| ops::is_production(c, context))
    }
}

/// Work for the loop to run off the UI task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run these requests, one after the other, as one job.
    Run(Vec<Request>),
    /// Fetch what the details pane shows about an object: allowed verbs and recent events.
    Inspect(ObjectKey),
    /// Write the kubeconfig of CAPI Cluster `namespace/name` (in management context `context`).
    Kubeconfig(ObjectKey),
}

/// A confirmation being asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// What runs when confirmed.
    pub requests: Vec<Request>,
    /// The context name to type (production contexts), if any.
    pub must_type: Option<String>,
    /// What has been typed.
    pub typed: String,
}

/// One action job (a request, or a bulk of them) and what it last reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job number.
    pub id: u64,
    /// What it does, e.g. `reconcile Kustomization flux-system/apps`.
    pub title: String,
    /// The last progress line, then the result.
    pub line: String,
    /// `None` while running; then whether it succeeded.
    pub ok: Option<bool>,
}

/// One event of the details pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// `lastTimestamp`, else `eventTime`, else `firstTimestamp`.
    pub time: Option<k8s_openapi::jiff::Timestamp>,
    /// `Normal` or `Warning`.
    pub type_: String,
    /// Reason.
    pub reason: String,
    /// Message (first line).
    pub message: String,
    /// Count (series count when present).
    pub count: i32,
}

/// What the details pane knows about an object's actions and events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inspection {
    /// Each applicable verb name with `None` (allowed) or the reason it is disabled.
    pub verbs: Vec<(String, Option<String>)>,
    /// Recent events, newest first, or why they could not be read.
    pub events: Option<Result<Vec<EventLine>, String>>,
    /// Terraform: the human-readable plan, or why there is none to show.
    pub plan: Option<Result<String, String>>,
}

/// A message from an action task to the UI.
#[derive(Debug, Clone)]
pub enum OpMsg {
    /// A progress line of job `id`.
    Progress(u64, String),
    /// Job `id` finished.
    Finished(u64, Result<String, String>),
    /// An inspection arrived.
    Inspected(ObjectKey, Inspection),
    /// A GitOps wizard task finished.
    Wizard(super::wizard::WizardMsg),
}

/// The object keys an action applies to: the marked rows, else the object under the cursor.
pub fn targets(state: &State, selected: Option<&ObjectRef>) -> Vec<ObjectKey> {
    if !state.marks.is_empty() {
        let mut v: Vec<ObjectKey> = state.marks.iter().cloned().collect();
        v.sort_by(|a, b| (&a.context, &a.namespace, &a.name).cmp(&(&b.context, &b.namespace, &b.name)));
        return v;
    }
    selected.map(key_of).into_iter().collect()
}

/// The ops key of a UI object reference.
pub fn key_of(o: &ObjectRef) -> ObjectKey {
    ObjectKey { context: o.context.clone(), kind: o.kind, namespace: o.namespace.clone(), name: o.name.clone() }
}

fn spec<'a>(store: &'a FleetStore, k: &ObjectKey, pointer: &str) -> Option<&'a Value> {
    store.get(&k.context, k.kind, &k.namespace, &k.name)?.obj().data.pointer(pointer)
}

/// The verb an action key means for object `k` as the store has it (toggles read the current state).
pub fn verb_for(action: Action, store: &FleetStore, k: &ObjectKey) -> Option<Verb> {
    let flag = |p: &str| spec(store, k, p).and_then(Value::as_bool).unwrap_or(false);
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
        Action::ScaleUp => {
            let step = if k.kind.spec().kind == "KubeadmControlPlane" { 2 } else { 1 };
            Verb::Scale { replicas: replicas? + step }
        }
        Action::ScaleDown => {
            let step = if k.kind.spec().kind == "KubeadmControlPlane" { 2 } else { 1 };
            Verb::Scale { replicas: (replicas? - step).max(0) }
        }
        _ => return None,
    };
    verb.applies_to(k.kind).then_some(verb)
}

/// Handles an action key on `targets`: refuses (message), asks (confirmation overlay) or queues the run.
/// Returns whether the state changed.
pub fn request(state: &mut State, action: Action, store: &FleetStore, targets: Vec<ObjectKey>) -> bool {
    if targets.is_empty() {
        state.message = Some("select an object first (or mark rows with space)".into());
        return true;
    }
    if action == Action::Kubeconfig {
        let k = &targets[0];
        if k.kind.spec().kind != "Cluster" {
            state.message = Some("kubeconfig: select a CAPI Cluster".into());
        } else {
            state.effects.push(Effect::Kubeconfig(k.clone()));
        }
        return true;
    }
    let mut requests = Vec::new();
    for k in targets {
        let Some(verb) = verb_for(action, store, &k) else {
            state.message = Some(format!("{} does not apply to {} {}", action.name(), k.kind.spec().kind, k.name));
            return true;
        };
        if let Some(why) = state.rules.readonly_reason(&k.context) {
            state.message = Some(format!("{} refused: {why}", verb.name()));
            return true;
        }
        if let Some(Some(denied)) = state
            .inspections
            .get(&k)
            .and_then(|i| i.verbs.iter().find(|(v, _)| v == verb.name()).map(|(_, d)| d.clone()))
        {
            state.message = Some(format!("{} refused: {denied}", verb.name()));
            return true;
        }
        requests.push(Request { target: k, verb });
    }
    let production = requests.iter().map(|r| r.target.context.clone()).find(|c| state.rules.production(c));
    if production.is_some() || requests.iter().any(|r| r.verb.destructive()) || requests.len() > 1 {
        state.overlay = Some(Overlay::Confirm(Confirm { requests, must_type: production, typed: String::new() }));
    } else {
        state.effects.push(Effect::Run(requests));
    }
    true
}

/// Keys while a confirmation is shown: `y` / `enter` confirm (production: enter once the context name is
/// typed), `esc` / `n` cancel, typing edits the name.
pub fn confirm_key(state: &mut State, ev: &crossterm::event::KeyEvent) -> bool {
    use crossterm::event::KeyCode;
    let Some(Overlay::Confirm(c)) = state.overlay.as_mut() else { return false };
    match (ev.code, c.must_type.is_some()) {
        (KeyCode::Esc, _) | (KeyCode::Char('n'), false) => {
            state.overlay = None;
            state.message = Some("cancelled; nothing was sent".into());
        }
        (KeyCode::Enter, true) if c.must_type.as_deref() == Some(c.typed.as_str()) => {
            let requests = std::mem::take(&mut c.requests);
            state.overlay = None;
            state.effects.push(Effect::Run(requests));
        }
        (KeyCode::Enter, true) => c.typed.clear(),
        (KeyCode::Char('y') | KeyCode::Enter, false) => {
            let requests = std::mem::take(&mut c.requests);
            state.overlay = None;
            state.effects.push(Effect::Run(requests));
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

/// Applies a message from an action task.
pub fn apply(state: &mut State, msg: OpMsg) {
    match msg {
        OpMsg::Progress(id, line) => {
            if let Some(j) = state.jobs.iter_mut().find(|j| j.id == id) {
                j.line = line;
            }
        }
        OpMsg::Finished(id, result) => {
            if let Some(j) = state.jobs.iter_mut().find(|j| j.id == id) {
                j.ok = Some(result.is_ok());
                j.line = match result {
                    Ok(m) => format!("✔ {m}"),
                    Err(m) => format!("✖ {m}"),
                };
            }
            // Permissions and events may have changed: read them again when next shown.
            state.inspections.clear();
        }
        OpMsg::Inspected(key, inspection) => {
            state.inspections.insert(key, inspection);
        }
        OpMsg::Wizard(m) => super::wizard::apply(state, m),
    }
}

/// Starts a job for `requests`: records it and returns its id.
pub fn start_job(state: &mut State, requests: &[Request]) -> u64 {
    let id = state.jobs.last().map_or(1, |j| j.id + 1);
    state.jobs.push(Job { id, title: job_title(requests), line: "starting".into(), ok: None });
    if state.jobs.len() > 50 {
        state.jobs.remove(0);
    }
    state.marks.clear();
    id
}

/// Verbs the details pane lists for a kind, in key order.
pub fn verbs_for_kind(kind: crate::model::kinds::KindId) -> Vec<Verb> {
    [
        Verb::Reconcile { force: false, reset: false },
        Verb::Suspend,
        Verb::Resume,
        Verb::Approve,
        Verb::Replan,
        Verb::Pause,
        Verb::Unpause,
        Verb::Scale { replicas: 0 },
    ]
    .into_iter()
    .filter(|v| v.applies_to(kind))
    .collect()
}

/// The verbs the details pane offers for an object as it is now: suspend or resume and pause or unpause
/// (whichever applies), scale up and down around the current replicas.
pub fn verbs_for_object(kind: crate::model::kinds::KindId, obj: Option<&kube::api::DynamicObject>) -> Vec<Verb> {
    let flag = |p: &str| obj.and_then(|o| o.data.pointer(p)).and_then(Value::as_bool).unwrap_or(false);
    let replicas = obj.and_then(|o| o.data.pointer("/spec/replicas")).and_then(Value::as_i64);
    let step = if kind.spec().kind == "KubeadmControlPlane" { 2 } else { 1 };
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

/// Inspections by object.
pub type Inspections = HashMap<ObjectKey, Inspection>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::KindId;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn ks(context: &str) -> ObjectKey {
        let kind = KindId::find("kustomize.toolkit.fluxcd.io", "Kustomization").expect("kind");
        ObjectKey { context: context.into(), kind, namespace: "flux-system".into(), name: "apps".into() }
    }

    fn state() -> State {
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        s.rules = Rules { config: Some(Config::builtin().expect("config")), cli_readonly: false };
        s
    }

    fn key(state: &mut State, code: KeyCode) {
        confirm_key(state, &KeyEvent::new(code, KeyModifiers::NONE));
    }

    #[test]
    fn plain_actions_run_destructive_ones_ask_and_production_needs_the_name() {
        let store = FleetStore::new();
        let mut s = state();
        request(&mut s, Action::Reconcile, &store, vec![ks("dev-eu")]);
        assert!(matches!(s.effects.as_slice(), [Effect::Run(r)] if r[0].verb.name() == "reconcile"));
        assert!(s.overlay.is_none());

        let mut s = state();
        request(&mut s, Action::Suspend, &store, vec![ks("dev-eu")]);
        assert!(s.effects.is_empty(), "a suspend asks first");
        key(&mut s, KeyCode::Char('n'));
        assert!(s.effects.is_empty() && s.overlay.is_none(), "cancelled");
        request(&mut s, Action::Suspend, &store, vec![ks("dev-eu")]);
        key(&mut s, KeyCode::Char('y'));
        assert!(matches!(s.effects.as_slice(), [Effect::Run(r)] if r[0].verb == Verb::Suspend));

        // prod-us matches `*prod*`: read-only by default; once allowed, the name must be typed.
        let mut s = state();
        request(&mut s, Action::Reconcile, &store, vec![ks("prod-us")]);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("read-only")), "{:?}", s.message);
        assert!(s.effects.is_empty() && s.overlay.is_none());
        if let Some(c) = s.rules.config.as_mut() {
            c.contexts.insert("prod-us".into(), crate::config::ContextOverride { readonly: Some(false), alias: None });
        }
        request(&mut s, Action::Reconcile, &store, vec![ks("prod-us")]);
        key(&mut s, KeyCode::Char('y'));
        key(&mut s, KeyCode::Enter);
        assert!(s.effects.is_empty(), "`y` is not the context name");
        for c in "prod-us".chars() {
            key(&mut s, KeyCode::Char(c));
        }
        key(&mut s, KeyCode::Enter);
        assert!(matches!(s.effects.as_slice(), [Effect::Run(r)] if r[0].target.context == "prod-us"));
    }

    #[test]
    fn the_details_pane_offers_what_applies_now() {
        let obj = |v: serde_json::Value| -> kube::api::DynamicObject { serde_json::from_value(v).expect("object") };
        let suspended =
            obj(serde_json::json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps"}, "spec": {"suspend": true}}));
        let names: Vec<&str> = verbs_for_object(ks("dev-eu").kind, Some(&suspended)).iter().map(|v| v.name()).collect();
        assert_eq!(names, ["reconcile", "resume"]);
        let md_kind = crate::model::kinds::KindId::find("cluster.x-k8s.io", "MachineDeployment").expect("kind");
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
        s.rules.cli_readonly = true;
        request(&mut s, Action::Reconcile, &store, vec![ks("dev-eu")]);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("--readonly")));
        assert!(s.effects.is_empty());
        let mut s = state();
        request(&mut s, Action::Approve, &store, vec![ks("dev-eu")]);
        assert!(s.message.as_deref().is_some_and(|m| m.contains("does not apply")));
        request(&mut s, Action::Reconcile, &store, Vec::new());
        assert!(s.message.as_deref().is_some_and(|m| m.contains("select an object")));
    }

    #[test]
    fn bulk_actions_ask_and_report_per_object() {
        let store = FleetStore::new();
        let mut s = state();
        let mut other = ks("dev-eu");
        other.name = "infrastructure".into();
        s.marks.insert(ks("dev-eu"));
        s.marks.insert(other);
        let t = targets(&s, None);
        assert_eq!(t.len(), 2);
        request(&mut s, Action::Reconcile, &store, t);
        assert!(matches!(&s.overlay, Some(Overlay::Confirm(c)) if c.requests.len() == 2));
        key(&mut s, KeyCode::Enter);
        let Some(Effect::Run(reqs)) = s.effects.pop() else { panic!("queued") };
        let id = start_job(&mut s, &reqs);
        assert!(s.marks.is_empty(), "marks are cleared once a bulk action starts");
        assert_eq!(s.jobs[0].title, "reconcile on 2 objects");
        apply(&mut s, OpMsg::Finished(id, Err("1 of 2 not done: refused".into())));
        assert_eq!(s.jobs[0].ok, Some(false));
    }
}
