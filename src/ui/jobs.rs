//! The data of operator actions in the cockpit: what decides read-only and production contexts
//! ([`Rules`]), a confirmation being asked ([`Confirm`]), action jobs and what they last reported ([`Job`]),
//! what the details pane knows about an object's verbs, events and plan ([`Inspection`]), and the state's
//! part that holds them ([`Jobs`]). Data only:
//! the logic is in `actions.rs` (keys to requests) and `effects.rs` (running them).
use std::collections::HashMap;

use crate::config::Config;
use crate::model::object_ref::ObjectRef;
use crate::ops::{self, Request};

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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inspection {
    /// Each applicable verb name with `None` (allowed) or the reason it is disabled.
    pub verbs: Vec<(String, Option<String>)>,
    /// Recent events, newest first, or why they could not be read.
    pub events: Option<Result<Vec<EventLine>, String>>,
    /// Terraform: the human-readable plan, or why there is none to show.
    pub plan: Option<Result<String, String>>,
    /// Terraform: the plan's per-resource summary, read once when the plan arrives (never per frame).
    pub plan_summary: Option<Box<crate::model::plan_summary::PlanSummary>>,
}

/// Inspections by object.
pub type Inspections = HashMap<ObjectRef, Inspection>;

/// The action jobs' part of the cockpit state: jobs run and running, the rows marked for a bulk action,
/// and what is known about objects' verbs and events.
#[derive(Debug, Default)]
pub struct Jobs {
    /// Action jobs, oldest first (the newest 50; the last one is shown in the status bar).
    pub list: Vec<Job>,
    /// The id of the last finished job the user has seen (a key was pressed after it finished).
    pub seen: u64,
    /// Rows marked for a bulk action.
    pub marks: std::collections::HashSet<ObjectRef>,
    /// What the details pane knows about objects' actions and events.
    pub inspections: Inspections,
}
