//! Logging: `tracing` events to a daily-rolling file `<state dir>/logs/fleetdeck.log.<date>`, written by a
//! non-blocking background writer; never to the terminal (the cockpit draws there).
//!
//! The level comes from `FLEETDECK_LOG` (an `EnvFilter` directive such as `debug` or
//! `fleetdeck=debug,kube=info`); the default is `info`. Tokens and Secret data are never logged.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter.
pub const LOG_ENV: &str = "FLEETDECK_LOG";

/// Keeps the background log writer alive; dropping it flushes what is buffered. Hold it for the whole run.
pub struct LogGuard {
    _guard: WorkerGuard,
    /// The folder the log files go to.
    pub dir: PathBuf,
}

/// Installs the global subscriber writing to `<state_dir>/logs/`.
///
/// Errors when the folder cannot be created or a global subscriber is already set. A malformed
/// `FLEETDECK_LOG` falls back to `info` (and says so in the log) rather than failing the program.
pub fn init(state_dir: &Path) -> Result<LogGuard> {
    let dir = state_dir.join("logs");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating log folder {}", dir.display()))?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("fleetdeck.log")
        .max_log_files(7)
        .build(&dir)
        .with_context(|| format!("opening a log file in {}", dir.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let raw = std::env::var(LOG_ENV).unwrap_or_default();
    let (filter, bad) = match EnvFilter::try_new(if raw.is_empty() { "info" } else { &raw }) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e)),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))?;
    if let Some(e) = bad {
        tracing::warn!("{LOG_ENV}={raw:?} is not a valid filter ({e}); logging at info");
    }
    Ok(LogGuard { _guard: guard, dir })
}
