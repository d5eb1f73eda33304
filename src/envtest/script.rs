//! Runs one of the embedded provisioning scripts (`provision-*.sh`) with `bash`, passing each
//! `fleetdeck-provision: <step>` line of its stdout to a progress callback and keeping its stderr for the
//! error message.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use anyhow::{Context, Result};

/// What every provisioning script starts with: strict mode, `step`, `die`, `need_go`, `work_beside`, `download`.
const PRELUDE: &str = include_str!("provision-common.sh");

/// Writes `text`, after the shared prelude, to `path` and runs it with `bash`, `args` and extra environment `env`. Returns the exit
/// status and the whole stderr (the scripts print their reason there).
///
/// Errors when the script cannot be written or bash cannot be started.
pub fn run(
    path: &Path,
    text: &str,
    args: &[&std::ffi::OsStr],
    env: &[(&str, &str)],
    progress: &mut dyn FnMut(&str),
) -> Result<(ExitStatus, String)> {
    std::fs::write(path, format!("{PRELUDE}\n{text}")).with_context(|| format!("writing {}", path.display()))?;
    let mut child = Command::new("bash")
        .arg(path)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running bash {}", path.display()))?;
    let stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(e) = stderr {
            for line in BufReader::new(e).lines().map_while(Result::ok) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    });
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(step) = line.strip_prefix("fleetdeck-provision: ") {
                progress(step);
            }
        }
    }
    let status = child.wait().with_context(|| format!("waiting for {}", path.display()))?;
    Ok((status, err_reader.join().unwrap_or_default()))
}
