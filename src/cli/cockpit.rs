//! `fleetdeck` with no subcommand: the cockpit over every context of the kubeconfig.
use std::io::IsTerminal;
use std::path::Path;

use anyhow::Result;
use k8s_openapi::jiff::Timestamp;
use tokio::sync::mpsc;

use fleetdeck::config::{self, Paths};
use fleetdeck::fleet::{self, Fleet, FleetOptions};
use fleetdeck::ui;

use super::{GlobalArgs, UsageError};

/// Opens the cockpit. `repo` overrides `git.repository` for the wizards; `kubeconfig` overrides
/// `--kubeconfig` (the demo passes its own); `banner` is shown in the header.
pub fn run(global: &GlobalArgs, repo: Option<&Path>, kubeconfig: Option<&Path>, banner: Option<String>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(below_the_ui)
        .enable_all()
        .build()?;
    rt.block_on(run_with_repo(global, repo, kubeconfig, banner))
}

/// How much lower than the UI the runtime's threads run (Linux nice, 0..19).
const WORKER_NICE: libc::c_int = 10;

/// Lowers the calling thread (a worker or blocking thread of the cockpit's runtime) to [`WORKER_NICE`].
///
/// The UI runs on the main thread (`block_on`); the fleet's watches, probes and decoding on the workers.
/// On 2 cores during a thousand contexts' start-up storm the workers kept the UI thread off the CPU for
/// 50-300 ms at a time (a key's frame waited that long with under 1 ms of work in it). At nice 10 a worker
/// weighs about a tenth of the UI thread, so the UI thread runs when it has work; the workers still get
/// every cycle it leaves. Only the calling thread changes (on Linux `setpriority` with a thread id); a
/// failure is ignored (the thread keeps its priority).
fn below_the_ui() {
    // SAFETY: gettid and setpriority take no pointers; they only read and set the calling thread's priority.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, WORKER_NICE);
    }
}

/// [`run`] inside an existing runtime (the foreground demo opens the cockpit on the fleet it runs, with the
/// fleet's repository as `repo`).
///
/// Errors before the terminal is touched when stdout is not a terminal, the configuration named on the
/// command line is malformed, or the kubeconfig is.
pub async fn run_async(
    global: &GlobalArgs,
    repo: Option<&Path>,
    kubeconfig: Option<&Path>,
    banner: Option<String>,
) -> Result<()> {
    run_with_repo(global, repo, kubeconfig, banner).await
}

/// [`run_async`] with the wizards' repository given on the command line.
async fn run_with_repo(
    global: &GlobalArgs,
    repo: Option<&Path>,
    kubeconfig: Option<&Path>,
    banner: Option<String>,
) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        return Err(UsageError(
            "the cockpit needs a terminal; `fleetdeck contexts` and `fleetdeck snapshot` print without one".into(),
        )
        .into());
    }
    let paths = Paths::discover()?;
    let mut loaded = config::load(&paths, &super::config::load_options(global))?;
    if let Some(repo) = repo {
        loaded.config.git.repository = Some(repo.to_path_buf());
    }
    let t = std::time::Instant::now();
    let kc = fleet::kubeconfig::load(kubeconfig.or(global.kubeconfig.as_deref()))
        .map_err(|e| UsageError(format!("{e:#}")))?;
    tracing::debug!(
        "kubeconfig: {} contexts read in {:.1} ms ({:.1} ms after start)",
        kc.config.contexts.len(),
        t.elapsed().as_secs_f64() * 1e3,
        ui::app::since_start_ms()
    );
    let (tx, rx) = mpsc::channel(fleet::CHANNEL_CAPACITY);
    // On a large fleet, each context watches its summary kinds and what the cockpit asks for (`ui::demand`).
    let demand = fleet::demand::Demand::new();
    let opts = FleetOptions { warning_events: true, demand: Some(demand.clone()), ..global.fleet_options() };
    // A context named on the command line must exist (checked before the terminal is touched); the fleet
    // then starts beside the first frame (registering a thousand contexts takes tens of milliseconds).
    kc.context_names(&global.context).map_err(|e| UsageError(format!("{e:#}")))?;
    let clients = fleetdeck::ops::clients::Clients::new(kc.config.clone(), global.fleet_options());
    let only = global.context.clone();
    let starting = tokio::spawn(async move {
        let t = std::time::Instant::now();
        let fleet = Fleet::start(&kc, &only, opts, tx).await;
        tracing::debug!("fleet started in {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
        fleet
    });
    let mut state = ui::state::State::new(Timestamp::now());
    state.settings.warnings = loaded.warnings;
    state.settings.banner = banner;
    state.settings.readonly = global.readonly || loaded.config.readonly;
    state.settings.rules = ui::jobs::Rules { config: Some(loaded.config.clone()), cli_readonly: global.readonly };
    match config::pins::load(&config::pins::path(&paths)) {
        Ok(pins) => state.pins = pins,
        Err(e) => state.pins_error = Some(e),
    }
    let (effects, results) = ui::effects::Effects::new(clients, paths.state_dir.clone());
    let effects = effects.with_demand(demand);
    let theme = loaded.theme.for_depth(config::ColorDepth::detect());
    tracing::debug!("cockpit loop starts {:.1} ms after start", ui::app::since_start_ms());
    let r = ui::app::run(rx, state, theme, loaded.keymap, effects, results).await;
    // Stops the fleet whether it finished starting (its tasks end with it) or not.
    starting.abort();
    if let Ok(Ok(mut fleet)) = starting.await {
        fleet.stop();
    }
    r
}
