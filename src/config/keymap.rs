//! Keymaps: which key chords trigger which [`Action`] in which [`Mode`].
//!
//! A keymap file looks like this (`keymaps/default.yaml` is the complete example):
//! ```yaml
//! name: vim-ish           # optional, shown in the help screen; the file name is the keymap's name otherwise
//! extends: default        # optional: the built-in keymap laid under this file
//! bindings:
//!   global: { quit: [q, ctrl-c], help: ["?"] }
//!   list:
//!     top: [g, home]
//!     refresh: []         # an empty list unbinds
//! ```
//! An action the file lists replaces that action's chords in that mode; everything else keeps the underlying
//! keymap's bindings. A chord may be bound to one action per mode; a mode's own bindings win over `global`.
use std::{
    collections::{BTreeMap, HashMap},
    path::Path,
};

use crossterm::event::{KeyEvent, KeyEventKind};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use super::{
    chord::KeyChord,
    error::ConfigError,
    preset::{self, Layered},
    yaml::{self, Entries},
};

/// What a key does. Names in keymap files are the kebab-case spelling, e.g. `page-down`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
    Help,
    Palette,
    Filter,
    Back,
    Open,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    Refresh,
    Details,
    Expand,
    Collapse,
    ShowConditions,
    CycleFilter,
    Lineage,
    ViewFleet,
    ViewClusters,
    ViewFlux,
    ViewTerraform,
    ViewPulse,
    ViewCrossplane,
    Reconcile,
    Suspend,
    Approve,
    Replan,
    Pause,
    ScaleUp,
    ScaleDown,
    Restart,
    Mark,
    Kubeconfig,
    NewCluster,
    BootstrapCluster,
    AddProfile,
    DeleteCluster,
    Diff,
    Pin,
}

impl Action {
    /// Every action, in declaration order (the order of the help screen).
    pub const ALL: [Action; 43] = [
        Action::Quit,
        Action::Help,
        Action::Palette,
        Action::Filter,
        Action::Back,
        Action::Open,
        Action::Up,
        Action::Down,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::NextPane,
        Action::PrevPane,
        Action::Refresh,
        Action::Details,
        Action::Expand,
        Action::Collapse,
        Action::ShowConditions,
        Action::CycleFilter,
        Action::Lineage,
        Action::ViewFleet,
        Action::ViewClusters,
        Action::ViewFlux,
        Action::ViewTerraform,
        Action::ViewPulse,
        Action::ViewCrossplane,
        Action::Reconcile,
        Action::Suspend,
        Action::Approve,
        Action::Replan,
        Action::Pause,
        Action::ScaleUp,
        Action::ScaleDown,
        Action::Restart,
        Action::Mark,
        Action::Kubeconfig,
        Action::NewCluster,
        Action::BootstrapCluster,
        Action::AddProfile,
        Action::DeleteCluster,
        Action::Diff,
        Action::Pin,
    ];

    /// The name keymap files use: `quit`, `page-down`.
    pub const fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Palette => "palette",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::Open => "open",
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page-up",
            Action::PageDown => "page-down",
            Action::NextPane => "next-pane",
            Action::PrevPane => "prev-pane",
            Action::Refresh => "refresh",
            Action::Details => "details",
            Action::Expand => "expand",
            Action::Collapse => "collapse",
            Action::ShowConditions => "show-conditions",
            Action::CycleFilter => "cycle-filter",
            Action::Lineage => "lineage",
            Action::ViewFleet => "view-fleet",
            Action::ViewClusters => "view-clusters",
            Action::ViewFlux => "view-flux",
            Action::ViewTerraform => "view-terraform",
            Action::ViewCrossplane => "view-crossplane",
            Action::ViewPulse => "view-pulse",
            Action::Reconcile => "reconcile",
            Action::Suspend => "suspend",
            Action::Approve => "approve",
            Action::Replan => "replan",
            Action::Pause => "pause",
            Action::ScaleUp => "scale-up",
            Action::ScaleDown => "scale-down",
            Action::Restart => "restart",
            Action::Mark => "mark",
            Action::Kubeconfig => "kubeconfig",
            Action::NewCluster => "new-cluster",
            Action::BootstrapCluster => "bootstrap-cluster",
            Action::AddProfile => "add-profile",
            Action::DeleteCluster => "delete-cluster",
            Action::Diff => "diff",
            Action::Pin => "pin",
        }
    }

    /// One line for the help screen.
    pub const fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit fleetdeck",
            Action::Help => "show the keys of this view",
            Action::Palette => "open the command palette",
            Action::Filter => "filter the rows",
            Action::Back => "go back, close, or cancel",
            Action::Open => "open the item under the cursor",
            Action::Up => "move up",
            Action::Down => "move down",
            Action::Top => "go to the first row",
            Action::Bottom => "go to the last row",
            Action::PageUp => "move one page up",
            Action::PageDown => "move one page down",
            Action::NextPane => "focus the next pane",
            Action::PrevPane => "focus the previous pane",
            Action::Refresh => "redraw and re-read what is shown",
            Action::Details => "show or hide the details pane",
            Action::Expand => "expand the tree node",
            Action::Collapse => "collapse the tree node",
            Action::ShowConditions => "show or hide conditions in the tree",
            Action::CycleFilter => "cycle the state filter (all, failing, suspended, progressing)",
            Action::Lineage => "jump between a CAPI cluster and its workload cluster's Flux tree",
            Action::ViewFleet => "show the fleet",
            Action::ViewClusters => "show the Cluster API clusters",
            Action::ViewFlux => "show the Flux objects",
            Action::ViewTerraform => "show the Terraform objects",
            Action::ViewCrossplane => "show the Crossplane claims and composite resources",
            Action::ViewPulse => "show the pulse (what just went wrong)",
            Action::Reconcile => "reconcile the object now (Flux, Terraform)",
            Action::Suspend => "suspend or resume reconciliation (Flux, Terraform)",
            Action::Approve => "approve the pending Terraform plan",
            Action::Replan => "discard the Terraform plan and plan again",
            Action::Pause => "pause or unpause (CAPI Cluster, MachineDeployment; Crossplane: crossplane.io/paused)",
            Action::ScaleUp => "scale up (MachineDeployment +1, KubeadmControlPlane +2)",
            Action::ScaleDown => "scale down (MachineDeployment -1, KubeadmControlPlane -2)",
            Action::Restart => {
                "restart the rollout of a MachineDeployment or KubeadmControlPlane (every Machine is replaced)"
            }
            Action::Mark => "mark or unmark the row for a bulk action",
            Action::Kubeconfig => "write a CAPI Cluster's kubeconfig to a file",
            Action::NewCluster => "create a cluster from a template, as a commit in git",
            Action::BootstrapCluster => "bootstrap the CAPI Cluster's GitOps, as a commit in git",
            Action::AddProfile => "add a Helm chart profile to the CAPI Cluster, in git",
            Action::DeleteCluster => "delete the CAPI Cluster's files, as a commit in git",
            Action::Diff => "diff a Kustomization against git (what applying it changes)",
            Action::Pin => "pin or unpin the selected object (kept at the top of the Fleet view)",
        }
    }

    /// The action a keymap file calls `name`.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.name() == name)
    }
}

/// Where the keys are pressed: each view has a mode, and `global` applies in all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Everywhere, unless the current mode binds the same chord.
    Global,
    /// Tables: the fleet overview, lists of objects.
    List,
    /// Reconciliation trees (Cluster API, Flux, Terraform).
    Tree,
    /// A single object's YAML, conditions or events.
    Detail,
}

impl Mode {
    /// Every mode, in declaration order.
    pub const ALL: [Mode; 4] = [Mode::Global, Mode::List, Mode::Tree, Mode::Detail];

    /// The name keymap files use.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Global => "global",
            Mode::List => "list",
            Mode::Tree => "tree",
            Mode::Detail => "detail",
        }
    }

    /// The mode a keymap file calls `name`.
    pub fn from_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|mode| mode.name() == name)
    }
}

/// A complete keymap: for each mode, the chords of each action, and the reverse index for key presses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    name: String,
    bindings: BTreeMap<Mode, BTreeMap<Action, Vec<KeyChord>>>,
    index: HashMap<(Mode, KeyChord), Action>,
}

impl Keymap {
    /// The built-in keymap `name` (`keymaps/<name>.yaml` in the source tree), without user files.
    ///
    /// # Errors
    /// [`ConfigError::UnknownName`] when there is no such built-in keymap.
    pub fn builtin(name: &str) -> Result<Keymap, ConfigError> {
        preset::builtin(name)
    }

    /// The keymap's name: its `name` field, else the name it was loaded by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The action `event` triggers in `mode`: the mode's own binding, else the `global` one. Key releases
    /// match nothing; presses and auto-repeats do.
    pub fn lookup(&self, mode: Mode, event: &KeyEvent) -> Option<Action> {
        if event.kind == KeyEventKind::Release {
            return None;
        }
        self.action_for(mode, KeyChord::from_key_event(event)?)
    }

    /// The action `chord` triggers in `mode`, falling back to `global` as [`Keymap::lookup`] does.
    pub fn action_for(&self, mode: Mode, chord: KeyChord) -> Option<Action> {
        self.index.get(&(mode, chord)).or_else(|| self.index.get(&(Mode::Global, chord))).copied()
    }

    /// The bindings of `mode` alone (not `global`), in [`Action::ALL`] order, for the help screen; actions with
    /// no chord are left out.
    pub fn bindings(&self, mode: Mode) -> impl Iterator<Item = (Action, &[KeyChord])> {
        self.bindings
            .get(&mode)
            .into_iter()
            .flatten()
            .filter(|(_, chords)| !chords.is_empty())
            .map(|(action, chords)| (*action, chords.as_slice()))
    }

    /// The chords bound to `action` in `mode` (not `global`), for key hints; empty when there are none.
    pub fn chords(&self, mode: Mode, action: Action) -> &[KeyChord] {
        self.bindings.get(&mode).and_then(|actions| actions.get(&action)).map_or(&[], Vec::as_slice)
    }
}

/// A keymap file as written, before names and chords are checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    extends: Option<Spanned<String>>,
    #[serde(default)]
    bindings: Entries<Entries<Vec<Spanned<String>>>>,
}

/// Chords with where each was written (`Location::UNKNOWN` for chords of the underlying keymap).
type PlacedChords = Vec<(KeyChord, Location)>;

/// A checked keymap file: the bindings it gives, with the location of every chord for conflict messages.
#[derive(Debug)]
pub(crate) struct KeymapLayer {
    name: Option<String>,
    extends: Option<Spanned<String>>,
    bindings: Vec<(Mode, Action, PlacedChords)>,
}

impl Layered for Keymap {
    type Layer = KeymapLayer;
    const KIND: &'static str = "keymap";
    const DIR: &'static str = "keymaps";

    fn presets() -> &'static [preset::Embedded] {
        preset::KEYMAPS
    }

    fn parse_layer(path: &Path, text: &str) -> Result<KeymapLayer, ConfigError> {
        let file: KeymapFile = yaml::parse(path, text)?;
        let mut bindings = Vec::new();
        for (mode_key, actions) in file.bindings.0 {
            let mode = Mode::from_name(&mode_key.value).ok_or_else(|| {
                let known: Vec<_> = Mode::ALL.iter().map(|m| m.name()).collect();
                let message = format!("unknown mode `{}`: the modes are {}", mode_key.value, known.join(", "));
                yaml::invalid(path, mode_key.referenced, message)
            })?;
            for (action_key, chords) in actions.0 {
                let action = Action::from_name(&action_key.value).ok_or_else(|| {
                    let known: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
                    let message = format!(
                        "unknown action `{}` in mode `{}`: the actions are {}",
                        action_key.value,
                        mode.name(),
                        known.join(", ")
                    );
                    yaml::invalid(path, action_key.referenced, message)
                })?;
                let chords = chords
                    .into_iter()
                    .map(|chord| match chord.value.parse::<KeyChord>() {
                        Ok(parsed) => Ok((parsed, chord.referenced)),
                        Err(error) => {
                            let message = format!("mode `{}`, action `{}`: {error}", mode.name(), action.name());
                            Err(yaml::invalid(path, chord.referenced, message))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                bindings.push((mode, action, chords));
            }
        }
        Ok(KeymapLayer { name: file.name, extends: file.extends, bindings })
    }

    fn extends(layer: &KeymapLayer) -> Option<&Spanned<String>> {
        layer.extends.as_ref()
    }

    fn build(name: &str, base: Option<Keymap>, layer: KeymapLayer, path: &Path) -> Result<Keymap, ConfigError> {
        // Chords from the base have no location in this file; conflicts are reported at the layer's chord.
        let mut merged: BTreeMap<Mode, BTreeMap<Action, PlacedChords>> = BTreeMap::new();
        for (mode, actions) in base.map(|base| base.bindings).unwrap_or_default() {
            for (action, chords) in actions {
                let chords = chords.into_iter().map(|chord| (chord, Location::UNKNOWN)).collect();
                merged.entry(mode).or_default().insert(action, chords);
            }
        }
        for (mode, action, chords) in layer.bindings {
            merged.entry(mode).or_default().insert(action, chords);
        }

        let mut index: HashMap<(Mode, KeyChord), (Action, Location)> = HashMap::new();
        for (mode, actions) in &merged {
            for (action, chords) in actions {
                for (chord, at) in chords {
                    let Some((other, other_at)) = index.insert((*mode, *chord), (*action, *at)) else {
                        continue;
                    };
                    if other == *action {
                        continue;
                    }
                    let message = format!(
                        "`{chord}` in mode `{}` is bound to both `{}` and `{}`: remove it from one of them \
                         (`{}: []` unbinds an action)",
                        mode.name(),
                        other.name(),
                        action.name(),
                        other.name(),
                    );
                    let at = if *at == Location::UNKNOWN { other_at } else { *at };
                    return Err(yaml::invalid(path, at, message));
                }
            }
        }
        Ok(Keymap {
            name: layer.name.unwrap_or_else(|| name.to_owned()),
            bindings: merged
                .into_iter()
                .map(|(mode, actions)| {
                    let actions = actions
                        .into_iter()
                        .map(|(action, chords)| (action, dedup(chords.into_iter().map(|(chord, _)| chord))))
                        .collect();
                    (mode, actions)
                })
                .collect(),
            index: index.into_iter().map(|(key, (action, _))| (key, action)).collect(),
        })
    }
}

/// The chords in order, each once (`[j, j]` is harmless but would print twice in the help screen).
fn dedup(chords: impl Iterator<Item = KeyChord>) -> Vec<KeyChord> {
    let mut unique = Vec::new();
    for chord in chords {
        if !unique.contains(&chord) {
            unique.push(chord);
        }
    }
    unique
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
