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
use std::io::{Seek, Write};
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
/// `input` reaches git through an unlinked temporary file, not a pipe: fleetdeck dies quietly on a closed
/// pipe (`SIGPIPE` at its default, see `main.rs`), so a write to a git that exited before reading its stdin
/// would kill the cockpit with the terminal still raw; and git answering on stdout while fleetdeck was still
/// writing its stdin (`cat-file --batch` over many paths) could block both on full pipes.
///
/// # Errors
/// Only when `git` cannot be started (not installed), or the temporary file for `input` cannot be written.
pub fn output(cmd: &mut Command, input: Option<&[u8]>) -> Result<Output, GitFailed> {
    let args = describe_args(cmd);
    let failed =
        |what: &str, e: std::io::Error| GitFailed { args: args.clone(), stderr: format!("{what}: {e}"), code: None };
    if let Some(bytes) = input {
        let mut file = tempfile::tempfile().map_err(|e| failed("a temporary file for git's input", e))?;
        file.write_all(bytes)
            .and_then(|()| file.seek(std::io::SeekFrom::Start(0)))
            .map_err(|e| failed("writing git's input to a temporary file", e))?;
        cmd.stdin(Stdio::from(file));
    }
    cmd.output().map_err(|e| GitFailed {
        args: args.clone(),
        stderr: format!("cannot run git: {e} (is git installed and on PATH?)"),
        code: None,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A git that exits before reading its input (not a repository) fails with its own message, and the
    /// process feeding it survives with `SIGPIPE` at its default, as fleetdeck's `main` sets it. (nextest runs
    /// each test in its own process, so the disposition set here reaches no other test.)
    #[test]
    fn input_to_a_git_that_exits_early_is_not_a_broken_pipe() {
        // SAFETY: setting a signal disposition to its default has no preconditions.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
        let dir = tempfile::tempdir().expect("tempdir");
        // Far more than a pipe holds (64 KiB on Linux): a pipe's writer would still be writing when git exits.
        let input = "HEAD:README.md\n".repeat(100_000);
        let mut cmd = command(dir.path(), ["cat-file", "--batch"]);
        let err = run_with_input(&mut cmd, Some(input.as_bytes())).expect_err("not a repository");
        assert!(err.stderr.contains("not a git repository"), "{err}");
        assert_eq!(err.args, "cat-file --batch");
    }
}
