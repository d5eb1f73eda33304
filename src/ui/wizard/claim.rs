//! The claim wizard (`n` in the Crossplane view): a new claim (or namespaced XR) of the selected object's
//! kind, from the schema of the XRD that defines it, written to git like the cluster wizards. The form is
//! [`super::form::Form::claim`]; the rest (preview, commit, push, tracking) is the create wizard's.
use super::{Flow, Task, Wizard, next_id};
use crate::gitops::claim::ClaimForm;
use crate::model::crossplane::definition;
use crate::model::kinds::{Dynamic, KindId};
use crate::model::object_ref::ObjectRef;
use crate::model::store::FleetStore;
use crate::ui::state::State;

/// What the claim wizard creates.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The context whose XRD gave the form.
    pub context: String,
    /// The form the XRD gives.
    pub form: ClaimForm,
}

/// The XRD in `context` that defines `kind` (as its claim or composite kind), as JSON.
pub fn xrd_of(store: &FleetStore, context: &str, kind: KindId) -> Option<serde_json::Value> {
    let spec = kind.spec();
    store.objects(context, KindId::XRD).find_map(|o| {
        let def = definition(o.obj())?;
        let defines = |d: &crate::model::crossplane::Defined| d.group == spec.group && d.kind == spec.kind;
        (defines(&def.composite) || def.claim.as_ref().is_some_and(defines))
            .then(|| serde_json::to_value(o.obj()).ok())?
    })
}

/// Opens the claim wizard for the kind of `selected` (a claim or XR): refused in read-only mode, without a
/// repository, without a selected claim or XR, or when its XRD is not in the store or gives no form (the
/// message says which). Hands back the loading task in `tasks`.
pub fn open(state: &mut State, store: &FleetStore, selected: Option<&ObjectRef>, tasks: &mut Vec<Task>) -> bool {
    let Some(obj) = selected.filter(|o| matches!(o.kind.dynamic_role(), Some(Dynamic::Claim | Dynamic::Composite)))
    else {
        state.message = Some("new claim: select a claim or composite resource (its XRD gives the form)".into());
        return true;
    };
    let Some(xrd) = xrd_of(store, &obj.context, obj.kind) else {
        state.message = Some(format!("new claim: no XRD defining {} in {}", obj.kind.spec().kind, obj.context));
        return true;
    };
    let form = match ClaimForm::from_xrd(&xrd) {
        Ok(f) => f,
        Err(e) => {
            state.message = Some(format!("new claim: {e}"));
            return true;
        }
    };
    let Some(git) = super::flow::git_settings(state, "new claim") else { return true };
    let w =
        Wizard::new(next_id(&mut state.gitops), Flow::Claim(Box::new(Target { context: obj.context.clone(), form })));
    tasks.push(Task::OpenClaim { id: w.id, git });
    state.gitops.wizard = Some(w);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::gitops::policy::{Policy, PolicyRules};
    use crate::gitops::{Base, Repo};
    use crate::model::object::StoredObject;
    use crate::model::store::{KindEvent, Origin, StoreEvent, StoreMsg};
    use crate::ui::wizard::{Setup, Step, WizardMsg};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn store() -> (FleetStore, KindId) {
        let mut s = FleetStore::new();
        let t = k8s_openapi::jiff::Timestamp::UNIX_EPOCH;
        let msg = |event| StoreMsg { context: "mgmt".into(), generation: 1, event };
        s.apply(msg(StoreEvent::Registered { server: "https://m".into(), origin: Origin::Kubeconfig }), t);
        let input = crate::demo::seed::SeedInput { now: t, workload_kubeconfigs: Default::default() };
        let seed = crate::demo::seed::demo_fleet(&input);
        let xrd = seed.contexts["mgmt"]
            .iter()
            .find(|o| o["metadata"]["name"] == "xpostgresqlinstances.database.example.org")
            .expect("the demo's XRD");
        let obj = serde_json::from_value(xrd.clone()).expect("object");
        s.apply(msg(StoreEvent::Kind(KindId::XRD, KindEvent::Apply(StoredObject::shared(KindId::XRD, obj)))), t);
        let claim =
            KindId::dynamic("database.example.org", "PostgreSQLInstance", "postgresqlinstances", true, Dynamic::Claim)
                .expect("id");
        (s, claim)
    }

    fn press(state: &mut State, code: KeyCode, tasks: &mut Vec<Task>) {
        crate::ui::wizard::keys::key(state, &KeyEvent::new(code, KeyModifiers::NONE), tasks);
    }

    #[test]
    fn the_xrd_of_the_selected_claim_gives_the_form_and_its_values_make_the_commit() {
        let (store, claim) = store();
        let mut s = State::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let mut config = Config::builtin().expect("config");
        config.git.repository = Some("/nonexistent".into());
        s.settings.rules.config = Some(config);
        let mut tasks = Vec::new();
        // Nothing selected, or not a claim: refused with a message, nothing started.
        open(&mut s, &store, None, &mut tasks);
        assert!(s.gitops.wizard.is_none() && tasks.is_empty());
        let selected = ObjectRef::new("mgmt", claim, "team-a", "orders-db");
        open(&mut s, &store, Some(&selected), &mut tasks);
        let id = s.gitops.wizard.as_ref().map(|w| w.id).expect("open");
        assert!(matches!(tasks.as_slice(), [Task::OpenClaim { .. }]));
        let rules = PolicyRules { regions: vec!["eu-west-1".into()], ..Default::default() };
        let setup = Setup {
            policy: Policy::default().with("policy.yaml", rules),
            ..Setup::bare(
                Repo { root: "/nonexistent".into(), remote: "origin".into(), author: None },
                Base { branch: "main".into(), commit: "0".repeat(40) },
                "/srv/fleet.git".into(),
            )
        };
        crate::ui::wizard::flow::apply(&mut s, WizardMsg::Opened(id, Ok(Box::new(setup))));
        let w = s.gitops.wizard.as_ref().expect("open");
        assert_eq!(w.step, Step::Form);
        let form = w.form.as_ref().expect("form");
        let names: Vec<&str> = form.fields.iter().map(|f| f.spec.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "metadata.name",
                "metadata.namespace",
                "composition",
                "spec.parameters.storageGB",
                "spec.parameters.engineVersion",
                "spec.parameters.region"
            ]
        );
        // Type the name, then a storage below the schema's minimum: the field says so.
        tasks.clear();
        for c in "reports-db".chars() {
            press(&mut s, KeyCode::Char(c), &mut tasks);
        }
        for _ in 0..3 {
            press(&mut s, KeyCode::Tab, &mut tasks);
        }
        for c in "10".chars() {
            press(&mut s, KeyCode::Char(c), &mut tasks);
        }
        let form = s.gitops.wizard.as_ref().and_then(|w| w.form.as_ref()).expect("form");
        assert_eq!(form.problems_of("spec.parameters.storageGB"), ["must be at least 20"]);
        press(&mut s, KeyCode::Char('0'), &mut tasks);
        // A region the policy refuses, at its field.
        press(&mut s, KeyCode::Tab, &mut tasks);
        press(&mut s, KeyCode::Tab, &mut tasks);
        for c in "us-east-1".chars() {
            press(&mut s, KeyCode::Char(c), &mut tasks);
        }
        let form = s.gitops.wizard.as_ref().and_then(|w| w.form.as_ref()).expect("form");
        assert!(
            form.problems_of("spec.parameters.region").iter().any(|p| p.contains("us-east-1")),
            "{:?}",
            form.violations
        );
        for _ in 0.."us-east-1".len() {
            press(&mut s, KeyCode::Backspace, &mut tasks);
        }
        for c in "eu-west-1".chars() {
            press(&mut s, KeyCode::Char(c), &mut tasks);
        }
        press(&mut s, KeyCode::Enter, &mut tasks);
        let w = s.gitops.wizard.as_ref().expect("open");
        assert_eq!(w.step, Step::Planning, "{:?}", w.notice);
        let [Task::Plan { branch, message, changes, .. }] = tasks.as_slice() else { panic!("{tasks:?}") };
        assert_eq!(
            (branch.as_str(), message.as_str()),
            ("fleetdeck/claim-default-reports-db", "Add PostgreSQLInstance default/reports-db")
        );
        assert_eq!(changes[0].path, "crossplane/claims/default/reports-db.yaml");
        let text = changes[0].content.as_deref().unwrap_or_default();
        assert!(text.contains("storageGB: 100") && text.contains("region: eu-west-1"), "{text}");
    }
}
