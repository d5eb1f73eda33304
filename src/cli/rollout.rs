//! `fleetdeck rollout status|history machinedeployment|kubeadmcontrolplane NS/NAME [-o text|json]`: a Cluster
//! API rollout, headless (`model::rollout`), read from one context (`--context`, else the current one) after
//! the Cluster API kinds synced.
//!
//! `status` says whether the object is rolling out (its `RollingOut` condition and message), with up to date /
//! desired as a bar, ready and available. `history` lists a MachineDeployment's MachineSets newest revision
//! first (REVISION, MACHINESET, VERSION, DESIRED, CURRENT, READY, AVAILABLE, UP-TO-DATE, CREATED), and a
//! KubeadmControlPlane's Machines that are not up to date with the reason. Exit 1 when the object is not found.

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};

use fleetdeck::model::capi_tree;
use fleetdeck::model::object_ref::parse_namespaced;
use fleetdeck::model::rollout::{self, KcpRollout, MdRollout, Replicas, RollingOut, TopologyRollout};

use super::{GlobalArgs, UsageError};

/// What to show of the rollout.
#[derive(Debug, Subcommand)]
pub enum RolloutCmd {
    /// Whether it is rolling out, and how far.
    Status(RolloutArgs),
    /// A MachineDeployment's MachineSets by revision; a KubeadmControlPlane's Machines not up to date.
    History(RolloutArgs),
    /// Replace every Machine (`spec.rollout.after: <now>`, as `clusterctl alpha rollout restart`); refused
    /// when read-only, when RBAC denies it, on a paused object, or when a later restart is already set.
    Restart(super::act::ScaleKindArgs),
}

/// The kinds with a rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolloutKind {
    #[value(name = "machinedeployment", alias = "md")]
    MachineDeployment,
    #[value(name = "kubeadmcontrolplane", alias = "kcp")]
    KubeadmControlPlane,
    /// A Cluster with a managed topology: its version against the control plane and MachineDeployments.
    Cluster,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RolloutOutput {
    Text,
    Json,
}

/// `fleetdeck rollout status|history` arguments.
#[derive(Debug, Args)]
pub struct RolloutArgs {
    #[arg(value_enum)]
    pub kind: RolloutKind,
    /// `NAMESPACE/NAME` of the object.
    pub object: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = RolloutOutput::Text)]
    pub output: RolloutOutput,
}

enum Read {
    Md(MdRollout),
    Kcp(KcpRollout),
    Topology(TopologyRollout),
}

pub fn run(cmd: &RolloutCmd, global: &GlobalArgs) -> Result<()> {
    let (args, history) = match cmd {
        RolloutCmd::Status(a) => (a, false),
        RolloutCmd::History(a) => (a, true),
        RolloutCmd::Restart(a) => return super::act::restart(a, global),
    };
    let (namespace, name) = parse_namespaced(&args.object).map_err(UsageError)?;
    let (context, store) = super::snapshot::sync_context(global, capi_tree::kinds())?;
    let read = match args.kind {
        RolloutKind::MachineDeployment => {
            rollout::machine_deployment(&store, &context, &namespace, &name).map(Read::Md)
        }
        RolloutKind::KubeadmControlPlane => {
            rollout::kubeadm_control_plane(&store, &context, &namespace, &name).map(Read::Kcp)
        }
        RolloutKind::Cluster => rollout::topology(&store, &context, &namespace, &name).map(Read::Topology),
    };
    let kind = match args.kind {
        RolloutKind::MachineDeployment => "MachineDeployment",
        RolloutKind::KubeadmControlPlane => "KubeadmControlPlane",
        RolloutKind::Cluster => "Cluster",
    };
    let Some(read) = read else {
        let why = match store.context(&context) {
            Some(c) if !c.reason.is_empty() => format!(" (context {context} is {:?}: {})", c.state, c.reason),
            _ => String::new(),
        };
        let topology = if args.kind == RolloutKind::Cluster { " with a managed topology" } else { "" };
        bail!("{kind} {namespace}/{name}{topology} not found in context {context}{why}");
    };
    let object = serde_json::json!({"context": context, "kind": kind, "namespace": namespace, "name": name});
    match (read, args.output) {
        (Read::Md(r), RolloutOutput::Json) => json(r, object)?,
        (Read::Kcp(r), RolloutOutput::Json) => json(r, object)?,
        (Read::Topology(r), RolloutOutput::Json) => json(r, object)?,
        (Read::Topology(t), RolloutOutput::Text) => print!("{}", topology_text(&namespace, &name, &t)),
        (Read::Md(r), RolloutOutput::Text) if history => print!("{}", md_history(&r)),
        (Read::Md(r), RolloutOutput::Text) => {
            print!("{}", status(kind, &namespace, &name, &r.replicas, r.rolling_out.as_ref(), r.paused))
        }
        (Read::Kcp(r), RolloutOutput::Text) if history => print!("{}", kcp_history(&r)),
        (Read::Kcp(r), RolloutOutput::Text) => {
            let mut s = status(kind, &namespace, &name, &r.replicas, r.rolling_out.as_ref(), false);
            if r.version != r.status_version && !r.status_version.is_empty() {
                s.push_str(&format!("version: {} -> {}\n", r.status_version, r.version));
            }
            print!("{s}");
        }
    }
    Ok(())
}

fn json(r: impl serde::Serialize, object: serde_json::Value) -> Result<()> {
    let mut v = serde_json::to_value(r)?;
    v["object"] = object;
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

/// `rollout status` text.
fn status(kind: &str, ns: &str, name: &str, r: &Replicas, ro: Option<&RollingOut>, paused: bool) -> String {
    let mut out = match ro {
        Some(c) if c.rolling_out => format!("{kind} {ns}/{name} is rolling out ({})\n", c.reason),
        Some(_) => format!("{kind} {ns}/{name} is rolled out\n"),
        None => format!("{kind} {ns}/{name}: no RollingOut condition (not reconciled by a v1.11+ controller)\n"),
    };
    if paused {
        out.push_str("paused: the rollout does not progress until resumed\n");
    }
    if let Some(c) = ro.filter(|c| c.rolling_out) {
        for l in c.message.lines() {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out.push_str(&format!(
        "up to date {}/{} {}  ready {}/{}  available {}/{}\n",
        r.up_to_date,
        r.desired,
        rollout::bar(r.progress(), 20),
        r.ready,
        r.desired,
        r.available,
        r.desired
    ));
    out
}

/// `rollout history machinedeployment` text.
fn md_history(r: &MdRollout) -> String {
    let mut rows = vec![
        ["REVISION", "MACHINESET", "VERSION", "DESIRED", "CURRENT", "READY", "AVAILABLE", "UP-TO-DATE", "CREATED"]
            .map(String::from)
            .to_vec(),
    ];
    for v in &r.revisions {
        let rev = match v.revision {
            Some(n) if v.current => format!("{n} (current)"),
            Some(n) => n.to_string(),
            None => "?".into(),
        };
        let p = &v.replicas;
        rows.push(vec![
            rev,
            v.machine_set.clone(),
            if v.version.is_empty() { "-".into() } else { v.version.clone() },
            p.desired.to_string(),
            p.current.to_string(),
            p.ready.to_string(),
            p.available.to_string(),
            p.up_to_date.to_string(),
            v.created.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| "-".into()),
        ]);
    }
    let mut out = super::table::columns(&rows);
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// `rollout status|history cluster` text: the topology's version and where each part is.
fn topology_text(ns: &str, name: &str, t: &TopologyRollout) -> String {
    let mut out = if t.upgrading {
        format!("Cluster {ns}/{name} is upgrading to {}\n", t.version)
    } else {
        format!("Cluster {ns}/{name} is at {}\n", t.version)
    };
    let mut rows = vec![["PART", "VERSION", "AT"].map(String::from).to_vec()];
    if let Some((spec, status)) = &t.control_plane {
        rows.push(vec!["control plane".into(), spec.clone(), status.clone()]);
    }
    for w in &t.workers {
        let at = format!("{}/{} up to date", w.replicas.up_to_date, w.replicas.desired);
        rows.push(vec![format!("MachineDeployment {}", w.name), w.version.clone(), at]);
    }
    out.push_str(&super::table::columns(&rows));
    out
}

/// `rollout history kubeadmcontrolplane` text.
fn kcp_history(r: &KcpRollout) -> String {
    let mut out = format!(
        "version: {}{}\n",
        r.version,
        if r.status_version.is_empty() || r.status_version == r.version {
            String::new()
        } else {
            format!(" (Machines at {} and up)", r.status_version)
        }
    );
    if r.stale.is_empty() {
        out.push_str("every Machine is up to date\n");
        return out;
    }
    let mut rows = vec![["MACHINE", "VERSION", "NOT UP TO DATE BECAUSE"].map(String::from).to_vec()];
    for m in &r.stale {
        rows.push(vec![m.name.clone(), m.version.clone(), m.message.lines().collect::<Vec<_>>().join("; ")]);
    }
    out.push_str(&super::table::columns(&rows));
    out
}
