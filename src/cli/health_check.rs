//! `fleetdeck get machinehealthcheck NS/NAME [-o text|json]` (alias `mhc`): a MachineHealthCheck's remediation,
//! headless (`model::remediation`), read from one context (`--context`, else the current one) after the
//! Cluster API kinds synced, so its target Machines are read too.
//!
//! Text: the check's healthy / expected Machines and remediations allowed, its trigger, "remediation blocked"
//! with the controller's message when `RemediationAllowed` is False, then its unhealthy Machines (MACHINE,
//! CHECK, REMEDIATION, MESSAGE). `-o json` prints the same as one object (README: "Health check JSON"). Exit 1
//! when the check is not found.

use anyhow::{Result, bail};

use fleetdeck::model::capi_tree;
use fleetdeck::model::object_ref::parse_namespaced;
use fleetdeck::model::remediation::{self, HealthCheckReport, Remediation};

use super::{GlobalArgs, UsageError};

/// Reads MachineHealthCheck `object` (`NAMESPACE/NAME`) and prints it as text, or as JSON when `json`.
pub fn run(object: &str, json: bool, global: &GlobalArgs) -> Result<()> {
    let (namespace, name) = parse_namespaced(object).map_err(UsageError)?;
    let (context, store) = super::snapshot::sync_context(global, capi_tree::kinds())?;
    let Some(report) = remediation::health_check(&store, &context, &namespace, &name) else {
        let why = match store.context(&context) {
            Some(c) if !c.reason.is_empty() => format!(" (context {context} is {:?}: {})", c.state, c.reason),
            _ => String::new(),
        };
        bail!("MachineHealthCheck {namespace}/{name} not found in context {context}{why}");
    };
    if json {
        let mut v = serde_json::to_value(&report)?;
        v["object"] = serde_json::json!({
            "context": context, "kind": "MachineHealthCheck", "namespace": namespace, "name": name,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", text(&namespace, &report));
    }
    Ok(())
}

/// The text of `get machinehealthcheck`.
pub fn text(namespace: &str, r: &HealthCheckReport) -> String {
    let c = &r.check;
    let cluster = if c.cluster.is_empty() { String::new() } else { format!(" (cluster {})", c.cluster) };
    let mut out = format!("MachineHealthCheck {namespace}/{}{cluster}\n{}\n", c.name, c.summary());
    out.push_str(&format!("remediates when {}\n", c.trigger));
    match &c.remediation {
        Remediation::Blocked { reason, message } => {
            out.push_str(&format!("remediation blocked ({reason}): {}\n", message.replace('\n', "; ")));
        }
        Remediation::Unknown => out.push_str("remediation: unknown (no RemediationAllowed condition yet)\n"),
        Remediation::Allowed => {}
    }
    if r.unhealthy.is_empty() {
        out.push_str("no Machine failed its health check\n");
    } else {
        out.push('\n');
        let mut rows = vec![["MACHINE", "CHECK", "REMEDIATION", "MESSAGE"].map(String::from).to_vec()];
        for m in &r.unhealthy {
            let h = &m.health;
            let mut remediation = h.remediation().map_or("-".to_string(), |(_, f)| f.reason.clone());
            if h.skip_remediation {
                remediation.push_str(" (skip-remediation)");
            }
            rows.push(vec![
                m.name.clone(),
                h.check.as_ref().map_or(String::new(), |f| f.reason.clone()),
                remediation,
                h.check.as_ref().map_or(String::new(), |f| f.short_message()),
            ]);
        }
        out.push_str(&super::table::columns(&rows));
    }
    if !r.targets_not_found.is_empty() {
        out.push_str(&format!("targets not found: {}\n", r.targets_not_found.join(", ")));
    }
    out
}
