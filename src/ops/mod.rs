//! Operator actions: the mutations an on-call engineer makes from the cockpit or the CLI.
//!
//! Every action goes through the same steps, in [`run`]:
//! 1. **read-only** ([`readonly_reason`]): `--readonly`, the config's `readonly`, a per-context override or the
//!    `prod_pattern` refuse every mutation before anything is sent;
//! 2. **authorization** ([`rbac`]): a SelfSubjectAccessReview for each verb and resource the action needs; a
//!    denial is a refusal with the RBAC reason, before any mutating request;
//! 3. **preflight**: the object is read and the action's preconditions checked (a suspended object is not
//!    reconciled, approving needs a pending plan, a topology-managed MachineDeployment is not scaled...);
//! 4. **execute**: the patch, exactly as upstream's CLIs send it (REFERENCE.md: `flux reconcile|suspend|resume`,
//!    `tfctl approve|replan`, `clusterctl alpha rollout pause`, `kubectl scale`);
//! 5. **follow**: the object is read again until the controller has acted (e.g. `lastHandledReconcileAt`
//!    equals the request and Ready is evaluated), with a timeout;
//! 6. **journal** ([`journal`]): one JSON line per attempt, refused, failed or done.
//!
//! The pure parts (patch bodies, preconditions, "is it done yet") live in [`flux`], [`terraform`] and [`capi`]
//! and are unit-tested; the steps with IO are exercised against real API servers in `tests/actions.rs`.
pub mod approve;
pub mod capi;
pub mod clients;
pub mod crossplane;
pub mod diff;
pub mod flux;
pub mod follow;
pub mod journal;
pub mod rbac;
pub mod terraform;

use std::time::Duration;

use kube::api::{DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use serde::Serialize;
use serde_json::Value;

use crate::config::{Config, glob_matches};
use crate::model::kinds::{Family, KindId};
use crate::model::object_ref::ObjectRef;

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verb", rename_all = "kebab-case")]
pub enum Verb {
    /// Flux / Terraform: `reconcile.fluxcd.io/requestedAt`; HelmRelease `force` / `reset` add `forceAt` /
    /// `resetAt` with the same value.
    Reconcile {
        /// HelmRelease: force a one-off install/upgrade.
        force: bool,
        /// HelmRelease: reset the failure counters.
        reset: bool,
    },
    /// Flux / Terraform: `spec.suspend: true`.
    Suspend,
    /// Flux / Terraform: `spec.suspend: null`.
    Resume,
    /// Terraform: `spec.approvePlan: <pending plan id>` on the live object (`--live`; the GitOps way writes
    /// git instead, see [`terraform::approve_in_repo`]).
    Approve,
    /// Terraform: tfctl's replan (status patch, then `requestedAt`).
    Replan,
    /// Cluster: `spec.paused: true`; MachineDeployment: pause the rollout (`spec.paused: true`); a Crossplane
    /// claim, composite or managed resource: `crossplane.io/paused: "true"`.
    Pause,
    /// Cluster / MachineDeployment: `spec.paused: null`; Crossplane: the annotation removed.
    Unpause,
    /// MachineDeployment / KubeadmControlPlane: the `scale` subresource to `replicas`.
    Scale {
        /// Desired replicas.
        replicas: i64,
    },
    /// MachineDeployment / KubeadmControlPlane: roll out every Machine again, as `clusterctl alpha rollout
    /// restart` does (`spec.rollout.after: <now>`, v1beta1 `spec.rolloutAfter`).
    Restart,
}

impl Verb {
    /// The name used in the journal, messages and the CLI: `reconcile`, `suspend`, `scale`...
    pub fn name(&self) -> &'static str {
        match self {
            Verb::Reconcile { .. } => "reconcile",
            Verb::Suspend => "suspend",
            Verb::Resume => "resume",
            Verb::Approve => "approve",
            Verb::Replan => "replan",
            Verb::Pause => "pause",
            Verb::Unpause => "unpause",
            Verb::Scale { .. } => "scale",
            Verb::Restart => "restart",
        }
    }

    /// Whether the verb applies to `kind`.
    pub fn applies_to(&self, kind: KindId) -> bool {
        let s = kind.spec();
        let reconcilable = matches!(s.family, Family::Flux | Family::Terraform);
        match self {
            Verb::Reconcile { force, reset } => reconcilable && (s.kind == "HelmRelease" || !(*force || *reset)),
            Verb::Suspend | Verb::Resume => reconcilable,
            Verb::Approve | Verb::Replan => s.kind == "Terraform",
            Verb::Pause | Verb::Unpause => {
                (s.family == Family::ClusterApi && matches!(s.kind, "Cluster" | "MachineDeployment"))
                    || (s.family == Family::Crossplane && kind.is_dynamic())
            }
            Verb::Scale { .. } | Verb::Restart => matches!(s.kind, "MachineDeployment" | "KubeadmControlPlane"),
        }
    }

    /// Whether the cockpit asks before doing it: everything that stops, removes capacity, applies
    /// infrastructure or throws away a plan. (Production contexts ask for every verb.)
    pub fn destructive(&self) -> bool {
        matches!(self, Verb::Suspend | Verb::Approve | Verb::Replan | Verb::Pause | Verb::Scale { .. } | Verb::Restart)
    }

    /// The (verb, subresource) pairs the action's requests need, for the SelfSubjectAccessReview.
    pub fn access(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            Verb::Replan => &[("patch", "status"), ("patch", "")],
            Verb::Scale { .. } => &[("patch", "scale")],
            _ => &[("patch", "")],
        }
    }
}

/// One action: what, on which object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// The object.
    pub target: ObjectRef,
    /// The verb.
    #[serde(flatten)]
    pub verb: Verb,
}

/// Why an action was refused before any mutating request was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RefusalKind {
    /// Read-only mode.
    ReadOnly,
    /// RBAC denies it.
    Forbidden,
    /// The object's state does not allow it (suspended, no pending plan, wrong kind...).
    Precondition,
    /// The object does not exist.
    NotFound,
}

/// The error of an action. Refusals mean nothing was changed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum OpError {
    /// Refused before any mutating request.
    #[error("refused: {message}")]
    Refused {
        /// Why.
        kind: RefusalKind,
        /// The message shown to the user.
        message: String,
    },
    /// A request failed (network, API error); the message says which.
    #[error("{0}")]
    Failed(String),
    /// The change was sent but the controller did not finish within the timeout.
    #[error("{0}")]
    TimedOut(String),
}

impl OpError {
    /// A refusal of `kind`.
    pub fn refused(kind: RefusalKind, message: impl Into<String>) -> OpError {
        OpError::Refused { kind, message: message.into() }
    }
    /// The journal's `result` word: `refused`, `failed`, `timeout`.
    pub fn result_word(&self) -> &'static str {
        match self {
            OpError::Refused { .. } => "refused",
            OpError::Failed(_) => "failed",
            OpError::TimedOut(_) => "timeout",
        }
    }
}

/// What a finished action reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    /// One line for the user: what happened, e.g. `applied revision main@sha1:...`.
    pub message: String,
    /// The value written, when there is one worth quoting (the `requestedAt` time, the approved plan id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
}

/// Why `context` is read-only, or `None` when mutations are allowed. `cli_readonly` is `--readonly`.
pub fn readonly_reason(config: &Config, cli_readonly: bool, context: &str) -> Option<String> {
    if cli_readonly {
        return Some("read-only mode (--readonly)".into());
    }
    if config.readonly {
        return Some("read-only mode (config: readonly: true)".into());
    }
    match config.contexts.get(context).and_then(|o| o.readonly) {
        Some(true) => Some(format!("context {context} is read-only (config: contexts.{context}.readonly)")),
        Some(false) => None,
        None if glob_matches(&config.prod_pattern, context) => Some(format!(
            "context {context} matches prod_pattern {:?} and is read-only; set contexts.{context}.readonly: false \
             in config.yaml to act on it",
            config.prod_pattern
        )),
        None => None,
    }
}

/// Whether acting on `context` needs the context name typed to confirm: it matches `prod_pattern`.
pub fn is_production(config: &Config, context: &str) -> bool {
    glob_matches(&config.prod_pattern, context)
}

/// Everything an action needs besides the request.
pub struct Runner {
    /// A client for the target's context.
    pub client: kube::Client,
    /// Why the context is read-only, if it is ([`readonly_reason`]).
    pub readonly: Option<String>,
    /// The version to address the kind with; discovered when `None`.
    pub version: Option<String>,
    /// How long to follow the controller after the change.
    pub timeout: Duration,
}

/// Progress lines while an action runs (`► annotating ...`, `◎ waiting ...`).
pub type Progress<'p> = &'p mut (dyn FnMut(&str) + Send);

/// Checks whether `req` may run, without changing anything: read-only, RBAC, the object's preconditions.
/// Returns the object as read.
///
/// # Errors
/// [`OpError::Refused`] with the reason, or [`OpError::Failed`] when the server cannot be asked.
pub async fn check(runner: &Runner, req: &Request) -> Result<(ApiResource, DynamicObject), OpError> {
    if !req.verb.applies_to(req.target.kind) {
        return Err(OpError::refused(
            RefusalKind::Precondition,
            format!("{} does not apply to {}", req.verb.name(), req.target.kind.spec().kind),
        ));
    }
    if let Some(why) = &runner.readonly {
        return Err(OpError::refused(RefusalKind::ReadOnly, format!("{why}: {} not sent", req.verb.name())));
    }
    let version = match &runner.version {
        Some(v) => v.clone(),
        None => clients::served_version(&runner.client, req.target.kind).await?,
    };
    let ar = crate::fleet::watch::api_resource(req.target.kind, &version);
    rbac::authorize(&runner.client, &ar, &req.target, req.verb.access()).await?;
    let api = crate::fleet::served::api(&runner.client, &ar, req.target.kind.spec().namespaced, &req.target.namespace);
    let obj = match api.get_opt(&req.target.name).await {
        Ok(Some(o)) => o,
        Ok(None) => return Err(OpError::refused(RefusalKind::NotFound, format!("{} not found", req.target))),
        Err(e) => return Err(OpError::Failed(format!("reading {}: {}", req.target, crate::fleet::describe(&e)))),
    };
    preflight(&req.verb, &obj).map_err(|m| OpError::refused(RefusalKind::Precondition, m))?;
    Ok((ar, obj))
}

/// The verb's preconditions on the object as read; `Err` is the refusal message.
pub fn preflight(verb: &Verb, obj: &DynamicObject) -> Result<(), String> {
    match verb {
        Verb::Reconcile { .. } => flux::check_reconcile(obj),
        Verb::Approve => terraform::pending_plan(obj).map(|_| ()),
        Verb::Replan => Ok(()),
        Verb::Scale { replicas } => capi::check_scale(obj, *replicas),
        Verb::Restart => capi::check_restart(obj, k8s_openapi::jiff::Timestamp::now()),
        _ => Ok(()),
    }
}

/// Runs `req` through every step (see the module docs). The caller records the outcome in the journal
/// ([`journal::Journal::record`]).
///
/// # Errors
/// [`OpError::Refused`] (nothing changed), [`OpError::Failed`], [`OpError::TimedOut`] (sent, not finished).
pub async fn run(runner: &Runner, req: &Request, progress: Progress<'_>) -> Result<Done, OpError> {
    let (ar, obj) = check(runner, req).await?;
    let api = crate::fleet::served::api(&runner.client, &ar, req.target.kind.spec().namespaced, &req.target.namespace);
    let name = &req.target.name;
    let what = match req.target.namespace.as_str() {
        "" => format!("{} {name}", req.target.kind.spec().kind),
        ns => format!("{} {ns}/{name}", req.target.kind.spec().kind),
    };
    let failed =
        |e: kube::Error| OpError::Failed(format!("{} {what}: {}", req.verb.name(), crate::fleet::describe(&e)));
    let api_ref = &api;
    let merge = |body: Value| async move { api_ref.patch(name, &PatchParams::default(), &Patch::Merge(body)).await };
    match &req.verb {
        Verb::Reconcile { force, reset } => {
            let at = flux::now_rfc3339_nano();
            progress(&format!("► annotating {what} in {}", req.target.context));
            merge(flux::reconcile_patch(&at, *force, *reset)).await.map_err(failed)?;
            progress(&format!("◎ waiting for {what} reconciliation"));
            follow::until(&api, name, runner.timeout, progress, |o| flux::reconciled(o, &at))
                .await
                .map(|m| Done { message: m, written: Some(at.clone()) })
        }
        Verb::Suspend | Verb::Resume => {
            let suspend = req.verb == Verb::Suspend;
            progress(&format!("► {} {what}", if suspend { "suspending" } else { "resuming" }));
            let after = merge(flux::suspend_patch(suspend)).await.map_err(failed)?;
            if suspend {
                return Ok(Done { message: "suspended".into(), written: None });
            }
            let generation = after.metadata.generation.unwrap_or(0);
            progress(&format!("◎ waiting for {what} reconciliation"));
            follow::until(&api, name, runner.timeout, progress, |o| flux::resumed(o, generation))
                .await
                .map(|m| Done { message: m, written: None })
        }
        Verb::Approve => {
            let plan = terraform::pending_plan(&obj).map_err(|m| OpError::refused(RefusalKind::Precondition, m))?;
            progress(&format!("► approving plan {plan} of {what} (live patch)"));
            merge(terraform::approve_patch(&plan)).await.map_err(failed)?;
            progress(&format!("◎ waiting for {what} to apply {plan}"));
            follow::until(&api, name, runner.timeout, progress, |o| terraform::applied(o, &plan))
                .await
                .map(|m| Done { message: m, written: Some(plan.clone()) })
        }
        Verb::Replan => {
            progress(&format!("► requesting a new plan for {what}"));
            let status = terraform::replan_status_patch(&obj, &flux::now_rfc3339());
            api.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await.map_err(failed)?;
            let at = flux::now_rfc3339_nano();
            merge(flux::reconcile_patch(&at, false, false)).await.map_err(failed)?;
            progress(&format!("◎ waiting for {what} to plan again"));
            follow::until(&api, name, runner.timeout, progress, |o| terraform::replanned(o, &at))
                .await
                .map(|m| Done { message: m, written: Some(at.clone()) })
        }
        Verb::Pause | Verb::Unpause if req.target.kind.spec().family == Family::Crossplane => {
            let pause = req.verb == Verb::Pause;
            let how = if pause { "pausing (crossplane.io/paused: \"true\")" } else { "resuming" };
            progress(&format!("► {how} {what}"));
            merge(crossplane::paused_patch(pause)).await.map_err(failed)?;
            follow::until(&api, name, runner.timeout, progress, |o| crossplane::pause_observed(o, pause))
                .await
                .map(|m| Done { message: m, written: None })
        }
        Verb::Pause | Verb::Unpause => {
            let pause = req.verb == Verb::Pause;
            progress(&format!("► {} {what}", if pause { "pausing" } else { "unpausing" }));
            merge(capi::paused_patch(pause)).await.map_err(failed)?;
            follow::until(&api, name, runner.timeout, progress, |o| capi::pause_observed(o, pause))
                .await
                .map(|m| Done { message: m, written: None })
        }
        Verb::Scale { replicas } => {
            let from = obj.data.pointer("/spec/replicas").and_then(Value::as_i64);
            progress(&format!("► scaling {what} from {} to {replicas}", from.map_or("?".into(), |f| f.to_string())));
            let body = serde_json::json!({ "spec": { "replicas": replicas } });
            api.patch_scale(name, &PatchParams::default(), &Patch::Merge(body)).await.map_err(failed)?;
            progress(&format!("◎ waiting for {what} to reach {replicas} replicas"));
            follow::until(&api, name, runner.timeout, progress, |o| capi::scaled(o, *replicas))
                .await
                .map(|m| Done { message: m, written: Some(replicas.to_string()) })
        }
        Verb::Restart => {
            let at = flux::now_rfc3339();
            progress(&format!("► restarting the rollout of {what}: every Machine created before {at} is replaced"));
            merge(capi::restart_patch(&ar.version, &at)).await.map_err(failed)?;
            Ok(Done {
                message: format!("rollout after {at} requested; `fleetdeck rollout status` follows it"),
                written: Some(at),
            })
        }
    }
}
