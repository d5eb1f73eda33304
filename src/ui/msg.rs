//! The cockpit's messages and effects, data only, at the bottom of `ui/`: what `update` asks the loop to
//! run off the UI task ([`Effect`]), and what comes back ([`Msg`]), routed by `update::message` straight
//! to its owner (action jobs and inspections to `actions.rs`, wizard results to `wizard/flow.rs`, inventory reads to `inventory.rs`,
//! plan counts to `plans.rs`).
use std::sync::Arc;
use std::time::Duration;

use super::jobs::Inspection;
use super::wizard::{Task, WizardMsg};
use crate::model::inventory::{Overlay, Probe};
use crate::model::object_ref::ObjectRef;
use crate::ops::Request;

/// Work for the loop to run off the UI task ([`super::effects::Effects::run`]). Produced by `update`, and
/// by `actions::inspection` for the details pane's selection; whatever state it needs (a job's entry, an
/// inspection's placeholder) is written when it is produced, so running it changes no state.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Run these requests, one after the other, as job `.0` (already listed in the state's jobs).
    Run(u64, Vec<Request>),
    /// Fetch what the details pane shows about an object: allowed verbs, recent events, a pending plan.
    Inspect(ObjectRef),
    /// Write the kubeconfig of CAPI Cluster `.1` (in its management context) as job `.0`.
    Kubeconfig(u64, ObjectRef),
    /// Run a GitOps wizard's task (git and cluster reads, off the UI task).
    Wizard(Box<Task>),
    /// Read the unwatched inventory entries of the open tree `tree` (a view key), now and every
    /// `inventory::REFRESH` until stopped; replaces any earlier reading.
    ReadInventory {
        /// The view key of the tree.
        tree: String,
        /// What to read.
        probes: Arc<Vec<Probe>>,
    },
    /// Stop reading inventory entries (the tree closed).
    StopInventory,
    /// Ask the fleet to watch these kinds beyond the summaries (a large fleet: `demand.rs`).
    Demand(crate::fleet::demand::Wants),
    /// Read Terraform `obj`'s readable plan for pending plan `plan` and count its changes (`plans.rs`).
    ReadPlan {
        /// The Terraform object.
        obj: ObjectRef,
        /// Its pending plan id.
        plan: String,
    },
    /// Write the pins to `pins.json` in the state directory (a pin changed).
    SavePins(crate::model::pins::Pins),
    /// Ring the terminal bell (an object turned Failed while another view was shown; `pulse_bell`).
    Bell,
    /// Diff Kustomization `target` against git (`ops::diff::run`, with config.yaml's repository), as run
    /// number `run` of the diff view.
    Diff {
        /// The Kustomization.
        target: ObjectRef,
        /// The run's number (`diff::DiffView::run`).
        run: u64,
    },
}

/// What comes back from an effect's task, by owner.
#[derive(Debug, Clone)]
pub enum Msg {
    /// For the action jobs and the details pane (`actions::apply`).
    Action(ActionMsg),
    /// For the wizard whose id it carries (`wizard::flow::apply`).
    Wizard(WizardMsg),
    /// For the open tree's inventory (`inventory::apply`).
    Inventory(InventoryRead),
    /// For the diff view (`diff::apply`).
    Diff(DiffDone),
    /// Saving the pins failed: why, for the status bar.
    PinsNotSaved(String),
    /// For the Terraform view's plan counts (`plans::apply`).
    Plan(PlanRead),
}

/// A pending plan's counts, read for the Terraform view.
#[derive(Debug, Clone)]
pub struct PlanRead {
    /// The Terraform object.
    pub obj: ObjectRef,
    /// The plan id it was read for.
    pub plan: String,
    /// `~1 -1 -/+1` and whether it destroys anything, or why the plan could not be read.
    pub counts: Result<(String, bool), String>,
}

/// A finished diff run.
#[derive(Debug, Clone)]
pub struct DiffDone {
    /// The Kustomization.
    pub target: ObjectRef,
    /// The run's number.
    pub run: u64,
    /// The report, or why there is none (no repository configured, kustomize missing, ...).
    pub result: Result<crate::ops::diff::DiffReport, String>,
}

/// An inventory read's answer: for tree `tree`, from the reads of `probes`.
#[derive(Debug, Clone)]
pub struct InventoryRead {
    /// The view key of the tree.
    pub tree: String,
    /// The probes it read (an answer for another list is dropped).
    pub probes: Arc<Vec<Probe>>,
    /// What was found.
    pub overlay: Overlay,
    /// How long the reads took.
    pub took: Duration,
}

/// A result of an action job or an inspection.
#[derive(Debug, Clone)]
pub enum ActionMsg {
    /// A progress line of job `.0`.
    Progress(u64, String),
    /// Job `.0` finished: its result line, or why it failed.
    Finished(u64, Result<String, String>),
    /// An inspection arrived.
    Inspected(ObjectRef, Inspection),
}
