//! `fleetdeck snapshot`: renders one real frame of the cockpit as text, after the initial sync (for bots,
//! CI and the README).
use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};
use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc;

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet::{self, Fleet, FleetOptions};
use fleetdeck::model::kinds::{Dynamic, KindId, KindSet};
use fleetdeck::model::object_ref::ObjectRef;
use fleetdeck::model::store::FleetStore;
use fleetdeck::model::summary::{ContextSummary, summarize_all};
use fleetdeck::ui::render::Scene;
use fleetdeck::ui::rows::Rows;
use fleetdeck::ui::state::{State, View};

use super::{GlobalArgs, UsageError};

/// Which view to draw.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ViewArg {
    /// Every context with its summary.
    Fleet,
    /// Cluster API clusters.
    Clusters,
    /// Flux objects.
    Flux,
    /// Terraform objects.
    Terraform,
    /// Crossplane claims and composite resources.
    Crossplane,
    /// The pulse: Warning Events (no health transition can be seen in one snapshot).
    Pulse,
    /// The tree of `--object` (needs `--context`).
    Tree,
}

/// `fleetdeck snapshot` arguments.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The view to draw.
    #[arg(long, value_enum, default_value_t = ViewArg::Fleet)]
    pub view: ViewArg,
    /// For `--view tree`: `cluster|kustomization|helmrelease|terraform/NAMESPACE/NAME`.
    #[arg(long, value_name = "KIND/NS/NAME")]
    pub object: Option<String>,
    /// Open the details pane on the selected row.
    #[arg(long)]
    pub details: bool,
    /// Columns.
    #[arg(long, default_value_t = 120)]
    pub width: u16,
    /// Rows.
    #[arg(long, default_value_t = 40)]
    pub height: u16,
}

/// Parses `cluster/ns/name` (kind names as `fleetdeck tree` spells them).
pub fn parse_object(context: &str, text: &str) -> Result<ObjectRef, UsageError> {
    let parts: Vec<&str> = text.splitn(3, '/').collect();
    let [kind, namespace, name] = parts[..] else {
        return Err(UsageError(format!("--object {text:?}: expected KIND/NAMESPACE/NAME")));
    };
    let (group, k) = match kind.to_lowercase().as_str() {
        "cluster" => ("cluster.x-k8s.io", "Cluster"),
        "kustomization" => ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        "helmrelease" => ("helm.toolkit.fluxcd.io", "HelmRelease"),
        "terraform" => ("infra.contrib.fluxcd.io", "Terraform"),
        other => {
            return Err(UsageError(format!(
                "--object: unknown kind {other:?} (cluster, kustomization, helmrelease, terraform)"
            )));
        }
    };
    let kind = KindId::find(group, k).ok_or_else(|| UsageError(format!("{k} is not in the catalogue")))?;
    Ok(ObjectRef { context: context.into(), kind, namespace: namespace.into(), name: name.into() })
}

/// One context's store, synced for `kinds`: the context is `--context`, else the current one; errors are
/// usage errors for a kubeconfig that does not load or a context it does not have (what `rollout` and `get
/// machinehealthcheck` read).
pub fn sync_context(global: &GlobalArgs, kinds: KindSet) -> Result<(String, FleetStore)> {
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = super::act::context_of(global, &kc)?;
    kc.context_names(std::slice::from_ref(&context)).map_err(|e| UsageError(format!("{e:#}")))?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let opts = FleetOptions { kinds, ..global.fleet_options() };
    let deadline = Duration::from_secs(global.connect_timeout) + Duration::from_secs(12);
    let store = rt.block_on(sync(&kc, std::slice::from_ref(&context), opts, deadline))?;
    Ok((context, store))
}

/// Connects to the fleet and applies messages until every context settled (dead, or all kinds synced) or
/// `deadline` passes; a short grace lets late lineage registrations in.
pub async fn sync(
    kc: &fleet::kubeconfig::LoadedKubeconfig,
    only: &[String],
    opts: FleetOptions,
    deadline: Duration,
) -> Result<FleetStore> {
    sync_then(kc, only, opts, deadline, &|_| true, Duration::ZERO).await
}

/// [`sync`], settled only once `also` holds too, then still applying what arrives for `linger` (the pulse
/// waits for every Events watch's initial list, and `--watch` collects health transitions).
pub async fn sync_then(
    kc: &fleet::kubeconfig::LoadedKubeconfig,
    only: &[String],
    opts: FleetOptions,
    deadline: Duration,
    also: &dyn Fn(&FleetStore) -> bool,
    linger: Duration,
) -> Result<FleetStore> {
    let (tx, mut rx) = mpsc::channel(fleet::CHANNEL_CAPACITY);
    let mut store = FleetStore::new();
    let mut fleet = Fleet::start(kc, only, opts, tx).await.map_err(|e| UsageError(format!("{e:#}")))?;
    let stop = tokio::time::Instant::now() + deadline;
    let mut settled_at: Option<tokio::time::Instant> = None;
    let mut tick = tokio::time::interval(Duration::from_millis(25));
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let Some(m) = msg else { break };
                store.apply(m, Timestamp::now());
            }
            _ = tick.tick() => {
                let all = summarize_all(&store, Timestamp::now()).iter().all(ContextSummary::settled)
                    && fleetdeck::model::crossplane::settled(&store)
                    && also(&store);
                settled_at = if all { settled_at.or(Some(tokio::time::Instant::now())) } else { None };
                if settled_at.is_some_and(|t| t.elapsed() >= Duration::from_millis(300)) {
                    break;
                }
            }
            _ = tokio::time::sleep_until(stop) => break,
        }
    }
    let until = tokio::time::Instant::now() + linger;
    while let Ok(Some(m)) = tokio::time::timeout_at(until, rx.recv()).await {
        store.apply(m, Timestamp::now());
    }
    fleet.stop();
    Ok(store)
}

pub fn run(args: &SnapshotArgs, global: &GlobalArgs) -> Result<()> {
    let paths = Paths::discover()?;
    let mut options = super::config::load_options(global);
    options.no_color = true;
    let loaded = config::load(&paths, &options)?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let view = match args.view {
        ViewArg::Fleet => View::Fleet,
        ViewArg::Clusters => View::Clusters,
        ViewArg::Flux => View::Flux,
        ViewArg::Terraform => View::Terraform,
        ViewArg::Crossplane => View::Crossplane,
        ViewArg::Pulse => View::Pulse,
        ViewArg::Tree => {
            let ctx = global.context.first().ok_or_else(|| UsageError("--view tree needs --context".into()))?;
            let obj =
                args.object.as_deref().ok_or_else(|| UsageError("--view tree needs --object KIND/NS/NAME".into()))?;
            match parse_object(ctx, obj) {
                Ok(o) => View::Tree(o),
                // A Crossplane claim or XR (`TYPE/[NS/]NAME`): its kind is known once the context is synced.
                Err(e) => match fleetdeck::model::object_ref::parse_typed(obj) {
                    Ok(_) => View::Crossplane,
                    Err(_) => return Err(e.into()),
                },
            }
        }
    };
    let crossplane_object = matches!(args.view, ViewArg::Tree) && view == View::Crossplane;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let connect = Duration::from_secs(global.connect_timeout);
    let only = if matches!(view, View::Tree(_)) { Vec::new() } else { global.context.clone() };
    // The fleet view reads the summaries (and its pinned objects) only; the others read rows and details of
    // every family.
    let (pins, pins_error) = match config::pins::load(&config::pins::path(&paths)) {
        Ok(p) => (p, None),
        Err(e) => (Default::default(), Some(e)),
    };
    let kinds =
        if matches!(view, View::Fleet) { fleetdeck::model::summary::kinds().union(pins.kinds()) } else { KindSet::ALL };
    let opts = FleetOptions { kinds, warning_events: matches!(view, View::Pulse), ..global.fleet_options() };
    let store = rt.block_on(sync(&kc, &only, opts, connect + Duration::from_secs(12)))?;
    let view = match (crossplane_object, global.context.first(), args.object.as_deref()) {
        (true, Some(ctx), Some(obj)) => {
            let (type_, namespace, name) = fleetdeck::model::object_ref::parse_typed(obj).map_err(UsageError)?;
            let kind = fleetdeck::model::crossplane::defined_kind(&store, ctx, &type_, Dynamic::Claim)
                .or_else(|_| fleetdeck::model::crossplane::defined_kind(&store, ctx, &type_, Dynamic::Composite))
                .map_err(UsageError)?;
            View::Tree(ObjectRef { context: ctx.clone(), kind, namespace, name })
        }
        _ => view,
    };
    let now = Timestamp::now();
    let rows = Rows::derive(&store, now);
    let mut state = State::new(now);
    state.nav.view = view;
    state.nav.details = args.details;
    (state.pins, state.pins_error) = (pins, pins_error);
    let scene = Scene { store: &store, rows: &rows, theme: &loaded.theme, keymap: &loaded.keymap };
    print!("{}", fleetdeck::ui::render_to_string(&state, &scene, args.width, args.height)?);
    Ok(())
}
