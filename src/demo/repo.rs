//! The demo fleet's GitOps repository on disk: a bare remote `<demo dir>/fleet.git` and a clone
//! `<demo dir>/fleet` of it, holding the commits of [`super::seed::repository::fleet_repository`] with a
//! fixed author and dates. `fleetdeck diff` reads it (the cockpit opened by `fleetdeck demo` uses it as its
//! `--repo`), and the wizards can write to it like to any GitOps repository.
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::seed::repository::Commit;

/// The repository made.
#[derive(Debug, Clone)]
pub struct FleetRepo {
    /// The clone (`<demo dir>/fleet`).
    pub clone: PathBuf,
    /// The bare remote, `origin` of the clone (`<demo dir>/fleet.git`).
    pub remote: PathBuf,
    /// The commit ids, oldest first.
    pub commits: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.hooksPath=/dev/null", "-c", "commit.gpgSign=false", "-c", "init.defaultBranch=main"])
        .args(args)
        .env("GIT_AUTHOR_NAME", "fleetdeck demo")
        .env("GIT_AUTHOR_EMAIL", "demo@fleetdeck.invalid")
        .env("GIT_COMMITTER_NAME", "fleetdeck demo")
        .env("GIT_COMMITTER_EMAIL", "demo@fleetdeck.invalid")
        .env("GIT_AUTHOR_DATE", "2026-11-30T09:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-30T09:00:00Z")
        .env("LC_ALL", "C")
        .output()
        .with_context(|| format!("running git {args:?} (is git installed?)"))?;
    if !out.status.success() {
        bail!("git {args:?} in {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Writes `commits` (each a whole tree) as a branch `main` of a new clone in `dir/fleet`, pushed to a new bare
/// `dir/fleet.git`. Anything left there by an earlier demo is replaced.
///
/// # Errors
/// git missing or failing, files that cannot be written; each names the step.
pub fn create(dir: &Path, commits: &[Commit]) -> Result<FleetRepo> {
    let (clone, remote) = (dir.join("fleet"), dir.join("fleet.git"));
    for d in [&clone, &remote] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("removing an old {}", d.display()))?;
        }
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    git(&remote, &["init", "-q", "--bare", "-b", "main"])?;
    git(&clone, &["init", "-q", "-b", "main"])?;
    git(&clone, &["remote", "add", "origin", &remote.display().to_string()])?;
    let mut ids = Vec::new();
    for c in commits {
        for entry in std::fs::read_dir(&clone)? {
            let p = entry?.path();
            if p.file_name().is_some_and(|n| n != ".git") {
                if p.is_dir() { std::fs::remove_dir_all(&p)? } else { std::fs::remove_file(&p)? }
            }
        }
        for (path, text) in &c.files {
            let file = clone.join(path);
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&file, text).with_context(|| format!("writing {}", file.display()))?;
        }
        git(&clone, &["add", "-A"])?;
        git(&clone, &["commit", "-q", "-m", &c.message])?;
        ids.push(git(&clone, &["rev-parse", "HEAD"])?);
    }
    git(&clone, &["push", "-q", "-u", "origin", "main"])?;
    Ok(FleetRepo { clone, remote, commits: ids })
}

/// Makes `url` the `origin` of the clone `clone` (`demo --flux real`: the loopback server's URL of the same
/// bare repository, so that the wizards push over HTTP and their tracking matches the GitRepository's URL).
///
/// # Errors
/// git failing.
pub fn set_origin(clone: &Path, url: &str) -> Result<()> {
    git(clone, &["remote", "set-url", "origin", url])?;
    git(clone, &["fetch", "-q", "origin"]).map(drop)
}

/// The URL of the clone's `origin`.
///
/// # Errors
/// git failing.
pub fn origin_url(clone: &Path) -> Result<String> {
    git(clone, &["remote", "get-url", "origin"])
}

/// Someone else pushes to the fleet's `main`: a commit `revision <n>` (a line in `CHANGELOG.md`, no manifest
/// changes) made in a working clone of its own (`<demo dir>/.upstream`, cloned on first use) and pushed to
/// `<demo dir>/fleet.git`. The user's clone `<demo dir>/fleet` does not see it until it fetches (`fleetdeck
/// diff` fetches a commit it lacks). Returns the commit id.
///
/// # Errors
/// git failing, naming the step.
pub fn push_change(dir: &Path, n: u64) -> Result<String> {
    let (work, remote) = (dir.join(".upstream"), dir.join("fleet.git"));
    if !work.join(".git").is_dir() {
        std::fs::create_dir_all(&work)?;
        git(dir, &["clone", "-q", &remote.display().to_string(), &work.display().to_string()])?;
    }
    git(&work, &["pull", "-q", "--ff-only", "origin", "main"])?;
    let log = work.join("CHANGELOG.md");
    let mut text = std::fs::read_to_string(&log).unwrap_or_default();
    text.push_str(&format!("- revision {n}\n"));
    std::fs::write(&log, text).with_context(|| format!("writing {}", log.display()))?;
    git(&work, &["add", "CHANGELOG.md"])?;
    git(&work, &["commit", "-q", "-m", &format!("revision {n}")])?;
    git(&work, &["push", "-q", "origin", "HEAD:main"])?;
    git(&work, &["rev-parse", "HEAD"])
}
