//! `fleetdeck pulse`: what just went wrong across every context, newest first (`model::pulse`): the
//! `Warning` Events about objects fleetdeck shows, folded, and with `--watch SECONDS` the health transitions
//! seen while watching. `-o json` prints the lines (README: "The fleet pulse").
use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};
use k8s_openapi::jiff::Timestamp;

use fleetdeck::fleet::{self, FleetOptions};
use fleetdeck::model::pulse::{PulseLine, PulseWhat};
use fleetdeck::model::store::{ConnState, FleetStore};

use super::{GlobalArgs, UsageError};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PulseOutput {
    /// A table, newest first.
    Text,
    /// The lines as a JSON array.
    Json,
}

/// `fleetdeck pulse` arguments.
#[derive(Debug, Args)]
pub struct PulseArgs {
    /// Keep watching this many seconds after the initial sync, to catch health transitions too.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub watch: u64,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = PulseOutput::Text)]
    pub output: PulseOutput,
}

/// Every reachable context with a connection of its own (not sharing one, not an alias) had its Events
/// watch deliver its initial list (or be refused by RBAC).
fn events_listed(store: &FleetStore) -> bool {
    store
        .contexts()
        .filter(|(name, c)| {
            c.state == ConnState::Ready && store.shares_with(name).is_none() && c.origin.alias_of().is_none()
        })
        .all(|(name, _)| store.pulse().is_listed(name))
}

pub fn run(args: &PulseArgs, global: &GlobalArgs) -> Result<()> {
    let kc = fleet::kubeconfig::load(global.kubeconfig.as_deref()).map_err(|e| UsageError(format!("{e:#}")))?;
    let opts = FleetOptions { warning_events: true, ..global.fleet_options() };
    let deadline = Duration::from_secs(global.connect_timeout) + Duration::from_secs(12);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let linger = Duration::from_secs(args.watch);
    let store =
        rt.block_on(super::snapshot::sync_then(&kc, &global.context, opts, deadline, &events_listed, linger))?;
    let lines = store.pulse().lines();
    match args.output {
        PulseOutput::Json => {
            let lines: Vec<&PulseLine> = lines.iter().map(|l| &**l).collect();
            println!("{}", serde_json::to_string_pretty(&lines)?)
        }
        PulseOutput::Text => print!("{}", text(&lines, Timestamp::now())),
    }
    Ok(())
}

/// `AGE CONTEXT KIND NAMESPACE/NAME WHAT MESSAGE`, one line each.
fn text(lines: &[std::sync::Arc<PulseLine>], now: Timestamp) -> String {
    if lines.is_empty() {
        return "nothing went wrong: no Warning Event about an object fleetdeck shows\n".into();
    }
    let rows: Vec<[String; 6]> = lines
        .iter()
        .map(|l| {
            let what = match &l.what {
                PulseWhat::Transition { from, to, reason } => {
                    format!("{from:?} -> {to:?} {reason}").trim_end().to_owned()
                }
                PulseWhat::Warning { reason, count, .. } if *count > 1 => format!("Warning {reason} x{count}"),
                PulseWhat::Warning { reason, .. } => format!("Warning {reason}"),
            };
            let o = &l.object;
            let at = fleetdeck::ui::format::age(l.at, now);
            let message = l.message.lines().next().unwrap_or_default().to_owned();
            [at, o.context.clone(), o.kind.spec().kind.to_owned(), format!("{}/{}", o.namespace, o.name), what, message]
        })
        .collect();
    let header = ["AGE", "CONTEXT", "KIND", "NAMESPACE/NAME", "WHAT", "MESSAGE"].map(str::to_owned);
    let width = |i: usize| rows.iter().chain([&header]).map(|r| r[i].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..5).map(width).collect();
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:<w$}  ", r[i]));
        }
        out.push_str(&r[5]);
        out.push('\n');
    }
    out
}
