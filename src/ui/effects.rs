//! Running the cockpit's [`Effect`]s as tasks, off the UI task: action jobs ([`crate::ops::run`]),
//! inspections (SelfSubjectAccessReviews + events of the object in the details pane) and kubeconfig
//! writes, the wizards' tasks, and the open tree's inventory reads (one task at a time, aborted when the
//! tree closes). Results come back as [`Msg`]s over a channel the loop selects on. The
//! runner reads the state (rules) and the store (served versions) but never changes either: whatever a
//! started effect means for the state, `update` already wrote.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, ListParams};
use tokio::sync::mpsc;

use super::actions;
use super::inventory::REFRESH;
use super::jobs::{EventLine, Inspection};
use super::msg::{ActionMsg, DiffDone, Effect, InventoryRead, Msg};
use super::state::State;
use crate::model::inventory::Probe;
use crate::model::object_ref::ObjectRef;
use crate::model::store::FleetStore;
use crate::ops::approve::{InGit, approve_in_git};
use crate::ops::{self, Request, Runner, clients::Clients, journal::Journal};

/// How many events the details pane shows.
pub const EVENTS_SHOWN: usize = 20;

/// Runs effects; owned by the loop.
pub struct Effects {
    clients: Arc<Clients>,
    journal: Journal,
    state_dir: PathBuf,
    timeout: Duration,
    tx: mpsc::UnboundedSender<Msg>,
    /// The task reading the open tree's inventory, if any.
    inventory: std::sync::Mutex<Option<tokio::task::AbortHandle>>,
    /// The number of the last pins save asked for, and of the last one written.
    pins_seq: std::sync::atomic::AtomicU64,
    pins_written: Arc<std::sync::Mutex<u64>>,
    /// Where [`Effect::Demand`] publishes (the fleet's demand), if the fleet follows one.
    demand: Option<crate::fleet::demand::Demand>,
}

impl Effects {
    /// Effects using `clients`, journaling to and writing kubeconfigs under `state_dir`; the receiver
    /// gets the results.
    pub fn new(clients: Clients, state_dir: PathBuf) -> (Effects, mpsc::UnboundedReceiver<Msg>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let journal = Journal::in_dir(&state_dir);
        let inventory = Default::default();
        (
            Effects {
                clients: Arc::new(clients),
                journal,
                state_dir,
                timeout: Duration::from_secs(120),
                tx,
                inventory,
                pins_seq: Default::default(),
                pins_written: Default::default(),
                demand: None,
            },
            rx,
        )
    }

    /// Publishes [`Effect::Demand`] to `demand` (the one the fleet was started with).
    pub fn with_demand(mut self, demand: crate::fleet::demand::Demand) -> Effects {
        self.demand = Some(demand);
        self
    }

    /// Starts `effect` as a task; its results arrive on the receiver.
    pub fn run(&self, effect: Effect, state: &State, store: &FleetStore) {
        match effect {
            Effect::Run(id, requests) => self.job(id, state, store, requests),
            Effect::Inspect(key) => self.inspect(state, store, key),
            Effect::Kubeconfig(id, key) => self.kubeconfig(id, key),
            Effect::Wizard(task) => {
                let contexts = super::wizard::tasks::template_contexts(store);
                super::wizard::tasks::spawn(*task, contexts, self.clients.clone(), self.tx.clone());
            }
            Effect::ReadInventory { tree, probes } => self.read_inventory(tree, probes),
            Effect::ReadPlan { obj, plan } => self.read_plan(store, obj, plan),
            // A watch channel's send: no IO, nothing awaited.
            Effect::Demand(wants) => {
                if let Some(d) = &self.demand {
                    d.publish(wants);
                }
            }
            Effect::Diff { target, run } => self.diff(state, target, run),
            Effect::SavePins(pins) => {
                let path = self.state_dir.join(crate::config::pins::FILE);
                let tx = self.tx.clone();
                // Saves run on blocking threads in any order: the newest pins win, an older save is skipped.
                let seq = self.pins_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                let written = self.pins_written.clone();
                tokio::task::spawn_blocking(move || {
                    let mut last = written.lock().unwrap_or_else(|e| e.into_inner());
                    if *last > seq {
                        return;
                    }
                    *last = seq;
                    if let Err(e) = crate::config::pins::save(&path, &pins) {
                        let _ = tx.send(Msg::PinsNotSaved(e));
                    }
                });
            }
            Effect::Bell => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = out.write_all(b"\x07").and_then(|()| out.flush());
            }
            Effect::StopInventory => {
                if let Some(task) = self.inventory.lock().unwrap_or_else(|e| e.into_inner()).take() {
                    task.abort();
                }
            }
        }
    }

    /// Reads `probes` now and every [`REFRESH`] until stopped or replaced (the previous reading is
    /// aborted first: one tree is open at a time).
    fn read_inventory(&self, tree: String, probes: Arc<Vec<Probe>>) {
        let (clients, tx) = (self.clients.clone(), self.tx.clone());
        let task = tokio::spawn(async move {
            loop {
                let started = std::time::Instant::now();
                let contexts = clients.for_contexts(probes.iter().map(|p| p.context.clone()).collect()).await;
                let overlay = crate::fleet::inventory::read_probes(&contexts, &probes).await;
                let took = started.elapsed();
                let read = InventoryRead { tree: tree.clone(), probes: probes.clone(), overlay, took };
                if tx.send(Msg::Inventory(read)).is_err() {
                    break;
                }
                tokio::time::sleep(REFRESH).await;
            }
        });
        let old = self.inventory.lock().unwrap_or_else(|e| e.into_inner()).replace(task.abort_handle());
        if let Some(old) = old {
            old.abort();
        }
    }

    /// Runs the drift diff of Kustomization `target` against config.yaml's repository (the cockpit's
    /// `--repo`) at its applied revision, with the kustomize found on `PATH`.
    fn diff(&self, state: &State, target: ObjectRef, run: u64) {
        let git = state.settings.rules.config.as_ref().map(|c| c.git.clone());
        let (clients, tx) = (self.clients.clone(), self.tx.clone());
        tokio::spawn(async move {
            let result = match git.as_ref().and_then(|g| g.repository.clone().map(|r| (r, g.remote.clone()))) {
                None => Err("no GitOps repository: start fleetdeck with --repo PATH, or set git.repository in \
                             config.yaml (fleetdeck diff kustomization --path DIR works without one)"
                    .to_owned()),
                Some((path, remote)) => {
                    let req = ops::diff::DiffRequest {
                        namespace: target.namespace.clone(),
                        name: target.name.clone(),
                        source: ops::diff::DiffSource::Repo { path, remote, revision: None },
                        kustomize: None,
                    };
                    ops::diff::run(&clients, &target.context, &req).await.map_err(|e| e.to_string())
                }
            };
            let _ = tx.send(Msg::Diff(DiffDone { target, run, result }));
        });
    }

    fn job(&self, id: u64, state: &State, store: &FleetStore, requests: Vec<Request>) {
        // config.yaml names a repository: the approve key approves in git, as `fleetdeck approve` does.
        let in_git = state.settings.rules.config.as_ref().filter(|c| c.git.repository.is_some()).map(|c| InGit {
            git: c.git.clone(),
            repo: None,
            base: None,
            push: false,
        });
        let jobs: Vec<(Request, Option<String>, Option<String>)> = requests
            .into_iter()
            .map(|r| {
                let version = version_of(store, &r.target);
                let readonly = state.settings.rules.readonly_reason(&r.target.context);
                (r, version, readonly)
            })
            .collect();
        let (clients, journal, tx, timeout) =
            (self.clients.clone(), self.journal.clone(), self.tx.clone(), self.timeout);
        tokio::spawn(async move {
            let total = jobs.len();
            let (mut failures, mut warnings) = (Vec::new(), Vec::new());
            let mut last = String::new();
            for (req, version, readonly) in jobs {
                let in_git = in_git.as_ref().filter(|_| req.verb == ops::Verb::Approve);
                let result = async {
                    let client = clients.get(&req.target.context).await?;
                    match in_git {
                        Some(place) => approve_in_git(&client, &req, readonly, version, place).await,
                        None => {
                            let runner = Runner { client, readonly, version, timeout };
                            let progress_tx = tx.clone();
                            let mut progress = move |line: &str| {
                                let _ = progress_tx.send(Msg::Action(ActionMsg::Progress(id, line.to_string())));
                            };
                            ops::run(&runner, &req, &mut progress).await
                        }
                    }
                }
                .await;
                warnings.extend(journal.record(&req, &result, if in_git.is_some() { "in git: " } else { "" }));
                let who = format!("{}/{}", req.target.namespace, req.target.name);
                match result {
                    Ok(done) => last = format!("{who}: {}", done.message),
                    Err(e) => failures.push(format!("{who}: {e}")),
                }
            }
            let mut result = match (total, failures.len()) {
                (1, 0) => Ok(last),
                (_, 0) => Ok(format!("all {total} done")),
                (1, _) => Err(failures.join("; ")),
                (_, n) => Err(format!("{n} of {total} not done: {}", failures.join("; "))),
            };
            if let Some(w) = warnings.first() {
                match &mut result {
                    Ok(line) | Err(line) => line.push_str(&format!("; {w}")),
                }
            }
            let _ = tx.send(Msg::Action(ActionMsg::Finished(id, result)));
        });
    }

    fn inspect(&self, state: &State, store: &FleetStore, key: ObjectRef) {
        let readonly = state.settings.rules.readonly_reason(&key.context);
        let version = version_of(store, &key);
        let (clients, tx) = (self.clients.clone(), self.tx.clone());
        tokio::spawn(async move {
            let inspection = match clients.get(&key.context).await {
                Ok(client) => inspect(&client, &key, readonly, version).await,
                Err(e) => Inspection { events: Some(Err(e.to_string())), ..Default::default() },
            };
            let _ = tx.send(Msg::Action(ActionMsg::Inspected(key, inspection)));
        });
    }

    /// Reads Terraform `obj`'s readable plan (its object as stored: workspace, `storeReadablePlan`) and counts
    /// its changes for the PLAN column.
    fn read_plan(&self, store: &FleetStore, obj: ObjectRef, plan: String) {
        let Some(stored) = store.get(&obj.context, obj.kind, &obj.namespace, &obj.name) else { return };
        let object = stored.obj().clone();
        let (clients, tx) = (self.clients.clone(), self.tx.clone());
        tokio::spawn(async move {
            let counts = async {
                let client = clients.get(&obj.context).await.map_err(|e| e.to_string())?;
                let text = ops::terraform::readable_plan(&client, &object).await??;
                let s = crate::model::plan_summary::summarize(&text);
                if s.resources.is_empty() && !s.notes.is_empty() {
                    // Not a readable plan: no counts (the cell keeps the plan id; the details pane says why).
                    return Err(s.notes.join("; "));
                }
                let destroys = s.count(crate::model::plan_summary::Change::Destroy) > 0
                    || s.count(crate::model::plan_summary::Change::Replace) > 0;
                Ok((s.counts_text(), destroys))
            }
            .await;
            let _ = tx.send(Msg::Plan(super::msg::PlanRead { obj, plan, counts }));
        });
    }

    fn kubeconfig(&self, id: u64, key: ObjectRef) {
        let file = ops::capi::default_kubeconfig_path(&self.state_dir.join("kubeconfigs"), &key.name);
        let (clients, tx) = (self.clients.clone(), self.tx.clone());
        tokio::spawn(async move {
            let result = async {
                if let Some(dir) = file.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
                }
                let client = clients.get(&key.context).await.map_err(|e| e.to_string())?;
                let contexts = ops::capi::write_kubeconfig(&client, &key.namespace, &key.name, &file, true)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(format!(
                    "wrote {} (mode 0600, context {}); use it: export KUBECONFIG={}",
                    file.display(),
                    contexts.join(", "),
                    file.display()
                ))
            }
            .await;
            let _ = tx.send(Msg::Action(ActionMsg::Finished(id, result)));
        });
    }
}

/// The version the store watches `key`'s kind at.
fn version_of(store: &FleetStore, key: &ObjectRef) -> Option<String> {
    let v = &store.context(&key.context)?.kinds.get(&key.kind)?.version;
    (!v.is_empty()).then(|| v.clone())
}

/// What the details pane shows about `key`: each applicable verb allowed or not, and recent events.
async fn inspect(
    client: &kube::Client,
    key: &ObjectRef,
    readonly: Option<String>,
    version: Option<String>,
) -> Inspection {
    let mut verbs = Vec::new();
    let version = match version {
        Some(v) => Some(v),
        None => ops::clients::served_version(client, key.kind).await.ok(),
    };
    let ar = version.as_ref().map(|v| crate::fleet::watch::api_resource(key.kind, v));
    let obj = match &ar {
        Some(ar) => {
            let api: Api<kube::api::DynamicObject> = Api::namespaced_with(client.clone(), &key.namespace, ar);
            api.get(&key.name).await.ok()
        }
        None => None,
    };
    for verb in actions::verbs_for_object(key.kind, obj.as_ref()) {
        let precondition = obj.as_ref().and_then(|o| ops::preflight(&verb, o).err());
        let denial = match (&readonly, &ar, precondition) {
            (Some(why), _, _) => Some(why.clone()),
            (None, None, _) => Some("the server does not serve this kind".into()),
            (None, Some(_), Some(why)) => Some(why),
            (None, Some(ar), None) => {
                let mut denial = None;
                for (verb_name, sub) in verb.access() {
                    match ops::rbac::review(client, ar, key, verb_name, sub).await {
                        Ok(None) => {}
                        Ok(Some(d)) => {
                            denial = Some(d);
                            break;
                        }
                        Err(e) => tracing::debug!("access review for {key}: {}", crate::fleet::describe(&e)),
                    }
                }
                denial
            }
        };
        let label = match verb {
            ops::Verb::Scale { replicas } => format!("scale to {replicas}"),
            _ => verb.name().to_string(),
        };
        verbs.push((label, denial));
    }
    let plan = match (key.kind.spec().kind, &obj) {
        ("Terraform", Some(obj)) => Some(ops::terraform::readable_plan(client, obj).await.unwrap_or_else(Err)),
        _ => None,
    };
    let plan_summary =
        plan.as_ref().and_then(|p| p.as_ref().ok()).map(|t| Box::new(crate::model::plan_summary::summarize(t)));
    Inspection { verbs, events: Some(events(client, key).await), plan, plan_summary }
}

/// The object's events (field selector on `involvedObject`), newest first, at most [`EVENTS_SHOWN`].
pub async fn events(client: &kube::Client, key: &ObjectRef) -> Result<Vec<EventLine>, String> {
    let api: Api<Event> = if key.namespace.is_empty() {
        Api::all(client.clone())
    } else {
        Api::namespaced(client.clone(), &key.namespace)
    };
    let mut selector = format!("involvedObject.kind={},involvedObject.name={}", key.kind.spec().kind, key.name);
    if !key.namespace.is_empty() {
        selector.push_str(&format!(",involvedObject.namespace={}", key.namespace));
    }
    let list = api.list(&ListParams::default().fields(&selector)).await.map_err(|e| match e {
        kube::Error::Api(s) if s.code == 403 => format!("events are forbidden: {}", s.message),
        e => format!("events: {}", crate::fleet::describe(&e)),
    })?;
    let mut out: Vec<EventLine> = list
        .items
        .into_iter()
        .map(|e| EventLine {
            time: e.last_timestamp.map(|t| t.0).or(e.event_time.map(|t| t.0)).or(e.first_timestamp.map(|t| t.0)),
            type_: e.type_.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
            message: e.message.unwrap_or_default().lines().next().unwrap_or_default().to_string(),
            count: e.series.and_then(|s| s.count).or(e.count).unwrap_or(1),
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.time));
    out.truncate(EVENTS_SHOWN);
    Ok(out)
}
