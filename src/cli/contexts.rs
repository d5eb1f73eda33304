//! `fleetdeck contexts [-o table|json]`: the fleet summary, without a terminal UI.
//!
//! Connects to every context at once and watches only the kinds the summary reads (Cluster API Clusters,
//! Nodes, the Flux kinds, Terraform: [`fleetdeck::model::summary::kinds`]), waits until each context is
//! synced or known dead, but never longer than the connect timeout + 1 s (+ 1 s per 200 contexts: a fleet
//! of a thousand settles in about 6 s), then prints one row per context (worst first). A context still
//! connecting then is printed as `Connecting`, one still syncing as `Syncing n/m`.
use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};
use k8s_openapi::jiff::Timestamp;

use fleetdeck::fleet::{self, FleetOptions};
use fleetdeck::model::pins::{self, Pins};
use fleetdeck::model::store::{ConnState, KindState};
use fleetdeck::model::summary::{ContextSummary, summarize_all};

use super::GlobalArgs;

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// `{"contexts": [...]}`, the shape documented in the README.
    Json,
}

/// `fleetdeck contexts` arguments.
#[derive(Debug, Args)]
pub struct ContextsArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

pub fn run(args: &ContextsArgs, global: &GlobalArgs) -> Result<()> {
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| super::UsageError(format!("{e:#}")))?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let pins = match fleetdeck::config::Paths::discover()
        .map(|p| fleetdeck::config::pins::load(&fleetdeck::config::pins::path(&p)))
    {
        Ok(Ok(pins)) => pins,
        Ok(Err(e)) => {
            eprintln!("warning: pins not read: {e}");
            Pins::default()
        }
        Err(_) => Pins::default(),
    };
    // Only what the summary reads: Clusters, Nodes, Flux, Terraform (summary::kinds), and the pinned kinds.
    let kinds = fleetdeck::model::summary::kinds().union(pins.kinds());
    let opts = FleetOptions { kinds, ..global.fleet_options() };
    let deadline = opts.connect_timeout + Duration::from_secs(1 + kc.config.contexts.len() as u64 / 200);
    let store = rt.block_on(super::snapshot::sync(&kc, &global.context, opts, deadline))?;
    let rows = summarize_all(&store, Timestamp::now());
    match args.output {
        Output::Json => {
            let pinned = pins::statuses(&pins, &store);
            let mut contexts = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut v = serde_json::to_value(r)?;
                let mine: Vec<&pins::PinStatus> = pinned.iter().filter(|p| p.context == r.name).collect();
                v["pinned"] = serde_json::to_value(mine)?;
                contexts.push(v);
            }
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "contexts": contexts }))?)
        }
        Output::Table => print!("{}", table(&rows)),
    }
    Ok(())
}

fn state_text(r: &ContextSummary) -> String {
    match r.state {
        ConnState::Ready if !r.settled() => {
            format!("Syncing {}/{}", r.kinds_synced, r.kinds_served)
        }
        ConnState::Ready => "Ready".into(),
        s => format!("{s:?}"),
    }
}

/// The table: ready/total per column, `N!` failing, `Nz` suspended or paused, `Np` plans pending.
fn table(rows: &[ContextSummary]) -> String {
    let mut lines = vec![
        ["CONTEXT", "STATE", "VERSION", "NODES", "CAPI", "FLUX", "TERRAFORM", "CROSSPLANE", "FRESH", "NOTES"]
            .map(String::from),
    ];
    for r in rows {
        let mut notes: Vec<String> = Vec::new();
        if !r.reason.is_empty() {
            notes.push(r.reason.clone());
        }
        notes.extend(r.origin.note());
        if let Some(p) = &r.profile {
            notes.push(p.clone());
        }
        if let Some(with) = &r.shares_connection_of {
            notes.push(format!("shares the connection of {with}"));
        }
        let forbidden: Vec<&str> = r
            .problems
            .iter()
            .filter(|p| p.state == KindState::Forbidden)
            .map(|p| p.kind.split('.').next().unwrap_or(&p.kind))
            .collect();
        if !forbidden.is_empty() {
            let shown = forbidden.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            let more = forbidden.len().saturating_sub(3);
            notes.push(if more > 0 {
                format!("Forbidden: {shown} and {more} more kinds")
            } else {
                format!("Forbidden: {shown}")
            });
        }
        lines.push([
            r.name.clone(),
            state_text(r),
            r.version.clone().unwrap_or_else(|| "-".into()),
            r.nodes.compact(false),
            r.capi_clusters.compact(false),
            r.flux.compact(false),
            r.terraform.compact(true),
            r.crossplane.compact(false),
            r.freshness_seconds.map(|s| format!("{s:.0}s")).unwrap_or_else(|| "-".into()),
            notes.join("; "),
        ]);
    }
    let widths: Vec<usize> = (0..10).map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for l in &lines {
        let row: Vec<String> = l
            .iter()
            .enumerate()
            .map(|(i, c)| if i == 9 { c.clone() } else { format!("{c:<w$}", w = widths[i]) })
            .collect();
        out.push_str(row.join("  ").trim_end());
        out.push('\n');
    }
    out
}
