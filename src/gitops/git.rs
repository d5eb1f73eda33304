//! Running the system `git`: one place that sets the environment every call needs.
//!
//! Why the system `git` and not a library: gitoxide cannot push, libgit2 (git2) does not run hooks, does
//! not sign commits the way the user's configuration says (`commit.gpgSign`, `gpg.format ssh`) and has its
//! own credential and SSH story. The `git` binary does all of that exactly as the user's own commits and
//! pushes do, and every fleetdeck user with a GitOps repository has it.
//!
//! Every call runs with `LC_ALL=C` (messages we can match), `GIT_TERMINAL_PROMPT=0` and stdin closed (a
//! credential prompt fails instead of hanging), `GIT_OPTIONAL_LOCKS=0` (`git status` does not refresh the
//! user's index), and without inherited `GIT_DIR` / `GIT_WORK_TREE` / `GIT_INDEX_FILE` (set when fleetdeck
//! runs from a hook), so the repository is the one named by `-C`.
use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// A failed `git` invocation: the arguments and git's own message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("git {args} failed: {stderr}")]
pub struct GitFailed {
    /// The arguments, space-joined.
    pub args: String,
    /// git's stderr (or stdout when stderr is empty), trimmed.
    pub stderr: String,
    /// The exit code, if git exited.
    pub code: Option<i32>,
}

/// A `git` command in directory `dir` with fleetdeck's environment.
pub fn command<I, S>(dir: &Path, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(dir).args(args);
    cmd.env("LC_ALL", "C").env("GIT_TERMINAL_PROMPT", "0").env("GIT_OPTIONAL_LOCKS", "0");
    for var in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR"] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn describe_args(cmd: &Command) -> String {
    cmd.get_args().skip(2).map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
}

/// Runs `cmd`, feeding `input` on stdin if given; the output whatever the exit status.
///
/// # Errors
/// Only when `git` cannot be started (not installed).
pub fn output(cmd: &mut Command, input: Option<&[u8]>) -> Result<Output, GitFailed> {
    let args = describe_args(cmd);
    let spawn_err = |e: std::io::Error| GitFailed {
        args: args.clone(),
        stderr: format!("cannot run git: {e} (is git installed and on PATH?)"),
        code: None,
    };
    match input {
        None => cmd.output().map_err(spawn_err),
        Some(bytes) => {
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = cmd.spawn().map_err(spawn_err)?;
            if let Some(mut stdin) = child.stdin.take() {
                // A write error means git exited early; its status and stderr say why.
                let _ = stdin.write_all(bytes);
            }
            child.wait_with_output().map_err(|e| GitFailed {
                args: args.clone(),
                stderr: format!("waiting for git: {e}"),
                code: None,
            })
        }
    }
}

/// Runs `cmd` and returns its stdout.
///
/// # Errors
/// [`GitFailed`] when git cannot start or exits non-zero.
pub fn run(mut cmd: Command) -> Result<Vec<u8>, GitFailed> {
    run_with_input(&mut cmd, None)
}

/// Runs `cmd` with `input` on stdin and returns its stdout.
///
/// # Errors
/// [`GitFailed`] when git cannot start or exits non-zero.
pub fn run_with_input(cmd: &mut Command, input: Option<&[u8]>) -> Result<Vec<u8>, GitFailed> {
    let out = output(cmd, input)?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let mut stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    if stderr.is_empty() {
        stderr = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    }
    Err(GitFailed { args: describe_args(cmd), stderr, code: out.status.code() })
}

/// Runs `git -C dir args...` and returns stdout as trimmed text.
///
/// # Errors
/// [`GitFailed`].
pub fn text<I, S>(dir: &Path, args: I) -> Result<String, GitFailed>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Ok(String::from_utf8_lossy(&run(command(dir, args))?).trim().to_owned())
}
