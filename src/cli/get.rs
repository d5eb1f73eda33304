//! `fleetdeck get helmrelease|kustomization NS/NAME [-o text|json]`: what the object's controller recorded of
//! its past (`model::flux_history`), read with one GET from the context (`--context`, else the current one).
//! `get machinehealthcheck` reads the check and its Machines (`cli/health_check.rs`).
//!
//! A HelmRelease prints like `helm history` (REVISION, UPDATED, STATUS, CHART, APP VERSION, then ACTION and
//! CONFIG DIGEST), preceded by the last attempted action and the failure counters, and followed by its values:
//! inline `spec.values` as YAML and `valuesFrom` as ConfigMap / Secret names and keys (never their content).
//! A Kustomization prints its reconciliation snapshots (kustomize-controller v1.7+) and its last applied and
//! attempted revisions. `-o json` prints the same as one object (README: "History JSON").
use std::time::Duration;

use anyhow::{Result, anyhow};
use clap::{Args, ValueEnum};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DynamicObject};
use serde_json::json;

use fleetdeck::fleet;
use fleetdeck::model::flux_history::{self, HelmReleaseHistory, KustomizationHistory};
use fleetdeck::model::kinds::KindId;
use fleetdeck::model::object_ref::parse_namespaced;
use fleetdeck::ops::clients::{Clients, served_version};

use super::{GlobalArgs, UsageError};

/// The kinds `get` reads a history of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetKind {
    /// A Flux HelmRelease: its Helm releases, failures, last attempt and values.
    #[value(name = "helmrelease")]
    HelmRelease,
    /// A Flux Kustomization: its reconciliation snapshots and last revisions.
    Kustomization,
    /// A Cluster API MachineHealthCheck: healthy / expected, remediations allowed or blocked, its unhealthy
    /// Machines.
    #[value(name = "machinehealthcheck", alias = "mhc")]
    MachineHealthCheck,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GetOutput {
    Text,
    Json,
}

/// `fleetdeck get` arguments.
#[derive(Debug, Args)]
pub struct GetArgs {
    #[arg(value_enum)]
    pub kind: GetKind,
    /// `NAMESPACE/NAME` of the object.
    pub object: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = GetOutput::Text)]
    pub output: GetOutput,
}

pub fn run(args: &GetArgs, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = parse_namespaced(&args.object).map_err(UsageError)?;
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let context = super::act::context_of(global, &kc)?;
    let kind = match args.kind {
        GetKind::HelmRelease => KindId::HELM_RELEASE,
        GetKind::Kustomization => KindId::KUSTOMIZATION,
        GetKind::MachineHealthCheck => {
            return super::health_check::run(&args.object, matches!(args.output, GetOutput::Json), global);
        }
    };
    let spec = kind.spec();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let clients = Clients::new(kc.config.clone(), global.fleet_options());
    let limit = Duration::from_secs(global.connect_timeout) + Duration::from_secs(10);
    let read = async {
        let client = clients.get(&context).await.map_err(|e| anyhow!("{e}"))?;
        let version = served_version(&client, kind).await.map_err(|e| anyhow!("context {context}: {e}"))?;
        let api: Api<DynamicObject> =
            Api::namespaced_with(client, &namespace, &fleet::watch::api_resource(kind, &version));
        match api.get_opt(&name).await {
            Ok(Some(o)) => Ok(o),
            Ok(None) => Err(anyhow!("{} {namespace}/{name} not found in context {context}", spec.kind)),
            Err(e) => {
                Err(anyhow!("reading {} {namespace}/{name} in context {context}: {}", spec.kind, fleet::describe(&e)))
            }
        }
    };
    let obj = rt
        .block_on(async { tokio::time::timeout(limit, read).await })
        .map_err(|_| anyhow!("context {context}: no answer within {} s", limit.as_secs()))??;
    let object = json!({"context": context, "kind": spec.kind, "namespace": namespace, "name": name});
    match (args.kind, args.output) {
        (GetKind::HelmRelease, GetOutput::Json) => {
            let h = flux_history::helm_release(&obj.data);
            let mut v = serde_json::to_value(&h)?;
            v["object"] = object;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        (GetKind::HelmRelease, GetOutput::Text) => {
            print!("{}", helm_text(&flux_history::helm_release(&obj.data)));
        }
        (GetKind::Kustomization, GetOutput::Json) => {
            let mut v = serde_json::to_value(flux_history::kustomization(&obj.data))?;
            v["object"] = object;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        (GetKind::Kustomization, GetOutput::Text) => {
            print!("{}", kustomization_text(&flux_history::kustomization(&obj.data)));
        }
        (GetKind::MachineHealthCheck, _) => unreachable!("read by cli/health_check.rs"),
    }
    Ok(())
}

fn when(t: Option<Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_else(|| "-".into())
}

/// The text of `get helmrelease`.
pub fn helm_text(h: &HelmReleaseHistory) -> String {
    let mut out = String::new();
    if let Some(a) = &h.last_attempt {
        let action = if a.action.is_empty() { "release" } else { a.action.as_str() };
        let took = if a.duration.is_empty() { String::new() } else { format!(" in {}", a.duration) };
        let reason = if a.reason.is_empty() { String::new() } else { format!(" ({})", a.reason) };
        out.push_str(&format!("last attempt: {action} {}: {}{reason}{took}\n", a.revision, a.result));
        if !a.message.is_empty() {
            out.push_str(&format!("  {}\n", a.message));
        }
        if let Some(r) = &a.remediated {
            out.push_str(&format!("remediated: {r}\n"));
        }
    }
    out.push_str(&format!(
        "failures: {} (install {}, upgrade {})\n\n",
        h.failures, h.install_failures, h.upgrade_failures
    ));
    let mut rows = vec![
        ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "ACTION", "CONFIG DIGEST"].map(String::from).to_vec(),
    ];
    for r in &h.releases {
        rows.push(vec![
            r.revision.to_string(),
            when(r.last_deployed.or(r.first_deployed)),
            r.status.clone(),
            format!("{}-{}", r.chart_name, r.chart_version),
            if r.app_version.is_empty() { "-".into() } else { r.app_version.clone() },
            if r.action.is_empty() { "-".into() } else { r.action.clone() },
            short_digest(&r.config_digest),
        ]);
    }
    out.push_str(&super::table::columns(&rows));
    out.push_str("\nvalues:\n");
    if h.values.is_empty() {
        out.push_str("  (none inline)\n");
    }
    for l in h.values.lines() {
        out.push_str(&format!("  {l}\n"));
    }
    if !h.values_from.is_empty() {
        out.push_str("valuesFrom:\n");
        for v in &h.values_from {
            let target = if v.target_path.is_empty() { String::new() } else { format!(" at {}", v.target_path) };
            let optional = if v.optional { " (optional)" } else { "" };
            out.push_str(&format!("  {} {} key {}{target}{optional}\n", v.kind, v.name, v.key));
        }
    }
    for n in &h.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// `sha256:0123456789ab...` as `sha256:0123456789ab`: enough to tell values apart on a terminal.
fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((algo, hex)) => format!("{algo}:{}", hex.chars().take(12).collect::<String>()),
        None if d.is_empty() => "-".into(),
        None => d.chars().take(19).collect(),
    }
}

/// The text of `get kustomization`.
pub fn kustomization_text(k: &KustomizationHistory) -> String {
    let dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
    let mut out = format!(
        "last applied revision: {}\nlast attempted revision: {}\n",
        dash(&k.last_applied_revision),
        dash(&k.last_attempted_revision)
    );
    if k.snapshots.is_empty() {
        out.push_str("no reconciliation history (status.history: kustomize-controller v1.7+, Flux v2.7+)\n");
    } else {
        out.push('\n');
        let mut rows =
            vec![["LAST RECONCILED", "STATUS", "REVISION", "TOTAL", "DURATION", "DIGEST"].map(String::from).to_vec()];
        for s in &k.snapshots {
            rows.push(vec![
                when(s.last_reconciled),
                s.status.clone(),
                s.revision.clone(),
                s.total.to_string(),
                dash(&s.duration),
                short_digest(&s.digest),
            ]);
        }
        out.push_str(&super::table::columns(&rows));
    }
    for n in &k.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}
