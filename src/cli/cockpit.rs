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
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(run_with_repo(global, repo, kubeconfig, banner))
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
    let kc = fleet::kubeconfig::load(kubeconfig.or(global.kubeconfig.as_deref()))
        .map_err(|e| UsageError(format!("{e:#}")))?;
    let (tx, rx) = mpsc::channel(fleet::CHANNEL_CAPACITY);
    // On a large fleet, each context watches its summary kinds and what the cockpit asks for (`ui::demand`).
    let demand = fleet::demand::Demand::new();
    let opts = FleetOptions { warning_events: true, demand: Some(demand.clone()), ..global.fleet_options() };
    let mut fleet = Fleet::start(&kc, &global.context, opts, tx).await.map_err(|e| UsageError(format!("{e:#}")))?;
    let mut state = ui::state::State::new(Timestamp::now());
    state.settings.warnings = loaded.warnings;
    state.settings.banner = banner;
    state.settings.readonly = global.readonly || loaded.config.readonly;
    state.settings.rules = ui::jobs::Rules { config: Some(loaded.config.clone()), cli_readonly: global.readonly };
    match config::pins::load(&config::pins::path(&paths)) {
        Ok(pins) => state.pins = pins,
        Err(e) => state.pins_error = Some(e),
    }
    let clients = fleetdeck::ops::clients::Clients::new(kc.config.clone(), global.fleet_options());
    let (effects, results) = ui::effects::Effects::new(clients, paths.state_dir.clone());
    let effects = effects.with_demand(demand);
    let theme = loaded.theme.for_depth(config::ColorDepth::detect());
    let r = ui::app::run(rx, state, theme, loaded.keymap, effects, results).await;
    fleet.stop();
    r
}
