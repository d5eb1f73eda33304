//! The GitOps repository: the base branch fetched from the remote, files read at a commit, and changes
//! committed on a branch of their own and pushed — without ever touching the user's working tree, index,
//! HEAD or checked-out branch.
//!
//! How a change is written: `git worktree add --detach` of the base commit in a temporary folder (outside
//! the repository, removed afterwards even on error), the files written there, `git add`, `git commit` (so
//! the user's hooks run and `commit.gpgSign` / `gpg.format` sign the commit exactly as their own commits),
//! then `git update-ref refs/heads/<branch> <commit> ""`, which creates the branch only if it does not
//! exist yet. (Plumbing with a temporary `GIT_INDEX_FILE` and `commit-tree` would avoid the checkout, but
//! runs no hooks.) See [`super::git`] for why the system `git`.
//!
//! Idempotence: when the branch exists and already holds every planned file (and lacks every deleted
//! one), nothing is committed and the existing commit is reported (`unchanged`); a push then happens only
//! if the remote lacks that commit. When the branch exists with other content, the write is refused
//! naming the branch and the files that differ — a commit on top would silently mix two wizard runs into
//! one review; the user deletes or renames the branch instead. Pushes never force; a rejected push keeps
//! the local branch and reports git's reason.
use std::path::{Path, PathBuf};

use super::git::{self, GitFailed};

/// One file change: write `content`, or delete the file when `None`. `path` is relative to the
/// repository root, `/`-separated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileChange {
    /// Repository-relative path.
    pub path: String,
    /// New content; `None` deletes the file.
    pub content: Option<String>,
}

/// The base branch a change starts from, as fetched from the remote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Base {
    /// Branch name, e.g. `main`.
    pub branch: String,
    /// Its commit on the remote (full hex id).
    pub commit: String,
}

/// What [`Repo::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// The branch holding the change.
    pub branch: String,
    /// The commit holding the change: the new one, the branch's existing one, or the base commit when the
    /// base already has every file as planned (then no branch is created).
    pub commit: String,
    /// Whether this call pushed the branch (false: not asked, or the remote already had the commit).
    pub pushed: bool,
    /// No new commit was made (the branch or the base already had the change).
    pub unchanged: bool,
    /// The base branch has the change already: nothing to review, no branch.
    pub already_in_base: bool,
}

/// Errors of the repository operations that callers handle differently.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// `--repo` is not a git working tree.
    #[error("{path} is not a git repository (with a working tree): {reason}")]
    NotARepository { path: PathBuf, reason: String },
    /// The remote has no usable base branch.
    #[error("remote {remote} has no branch {tried}; give the base branch with --base")]
    NoBase { remote: String, tried: String },
    /// A path that would escape the repository or write into `.git`.
    #[error("refusing path {0:?}: paths must be relative, inside the repository and not under .git")]
    BadPath(String),
    /// The branch exists with other content; nothing was changed.
    #[error(
        "branch {branch} already exists with different content ({}); nothing was written. \
         Delete it (git branch -D {branch}) or merge it, then run again",
        .paths.join(", ")
    )]
    BranchDiffers { branch: String, paths: Vec<String> },
    /// The remote refused the push; the local branch is kept.
    #[error("push of {branch} to {remote} was rejected: {reason}. The local branch {branch} ({commit}) is kept")]
    PushRejected { branch: String, remote: String, commit: String, reason: String },
    /// Any other git failure.
    #[error(transparent)]
    Git(#[from] GitFailed),
    /// Local file IO in the temporary worktree.
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
}

/// A local clone of the GitOps repository and the remote to work against.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The top of the working tree.
    pub root: PathBuf,
    /// The remote name (`origin` by default).
    pub remote: String,
    /// Author and committer to use instead of git's configuration (`name`, `email`).
    pub author: Option<(String, String)>,
}

fn is_safe_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with('/')
        && !p.contains('\\')
        && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
        && p.split('/').next() != Some(".git")
}

impl Repo {
    /// Opens the repository containing `path`, to work against `remote`.
    ///
    /// # Errors
    /// [`RepoError::NotARepository`] when `path` is not inside a working tree.
    pub fn open(path: &Path, remote: &str) -> Result<Repo, RepoError> {
        let top = git::text(path, ["rev-parse", "--show-toplevel"])
            .map_err(|e| RepoError::NotARepository { path: path.to_owned(), reason: e.stderr })?;
        Ok(Repo { root: PathBuf::from(top), remote: remote.to_owned(), author: None })
    }

    fn git(&self) -> impl Fn(&[&str]) -> Result<String, GitFailed> + '_ {
        move |args: &[&str]| git::text(&self.root, args)
    }

    /// The remote's URL (`git remote get-url`).
    ///
    /// # Errors
    /// When the remote does not exist.
    pub fn remote_url(&self) -> Result<String, RepoError> {
        Ok(self.git()(&["remote", "get-url", &self.remote])?)
    }

    /// The remote's default branch: what its `HEAD` points to, else `main` or `master` if the remote has it.
    ///
    /// # Errors
    /// When the remote cannot be reached or has neither.
    pub fn remote_default_branch(&self) -> Result<String, RepoError> {
        let symref = self.git()(&["ls-remote", "--symref", &self.remote, "HEAD"])?;
        let heads = self.git()(&["ls-remote", "--heads", &self.remote])?;
        let has = |b: &str| heads.lines().any(|l| l.ends_with(&format!("\trefs/heads/{b}")));
        for line in symref.lines() {
            if let Some(target) = line.strip_prefix("ref: refs/heads/").and_then(|r| r.strip_suffix("\tHEAD"))
                && has(target)
            {
                return Ok(target.to_owned());
            }
        }
        ["main", "master"]
            .into_iter()
            .find(|b| has(b))
            .map(str::to_owned)
            .ok_or_else(|| RepoError::NoBase { remote: self.remote.clone(), tried: "HEAD, main or master".into() })
    }

    /// Fetches the base branch (`base`, else the remote's default) and returns its commit. Updates only the
    /// remote-tracking ref `refs/remotes/<remote>/<base>`, as `git fetch` does.
    ///
    /// # Errors
    /// The remote is unreachable or lacks the branch.
    pub fn fetch_base(&self, base: Option<&str>) -> Result<Base, RepoError> {
        let branch = match base {
            Some(b) => b.to_owned(),
            None => self.remote_default_branch()?,
        };
        let tracking = format!("refs/remotes/{}/{branch}", self.remote);
        let refspec = format!("+refs/heads/{branch}:{tracking}");
        if let Err(e) = self.git()(&["fetch", "--quiet", "--no-tags", &self.remote, &refspec]) {
            if e.stderr.contains("couldn't find remote ref") {
                return Err(RepoError::NoBase { remote: self.remote.clone(), tried: branch });
            }
            return Err(e.into());
        }
        let commit = self.git()(&["rev-parse", "--verify", &format!("{tracking}^{{commit}}")])?;
        Ok(Base { branch, commit })
    }

    /// Contents of `paths` at `rev` (a commit or branch), `None` for paths that are not files there. One
    /// `git cat-file --batch` for all of them.
    ///
    /// # Errors
    /// git failures (an unknown `rev` gives `None` for every path).
    pub fn read_files(&self, rev: &str, paths: &[String]) -> Result<Vec<Option<String>>, RepoError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let input: String = paths.iter().map(|p| format!("{rev}:{p}\n")).collect();
        let mut cmd = git::command(&self.root, ["cat-file", "--batch"]);
        let out = git::run_with_input(&mut cmd, Some(input.as_bytes()))?;
        let mut rest: &[u8] = &out;
        let mut result = Vec::with_capacity(paths.len());
        for _ in paths {
            let nl = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
            let header = String::from_utf8_lossy(&rest[..nl]).into_owned();
            rest = rest.get(nl + 1..).unwrap_or_default();
            let fields: Vec<&str> = header.split(' ').collect();
            match fields.as_slice() {
                [_, "blob", size] => {
                    let size: usize = size.parse().unwrap_or(0);
                    let body = rest.get(..size).unwrap_or(rest);
                    result.push(Some(String::from_utf8_lossy(body).into_owned()));
                    rest = rest.get(size + 1..).unwrap_or_default();
                }
                [_, _, size] => {
                    // A tree or other object: not a file.
                    let size: usize = size.parse().unwrap_or(0);
                    rest = rest.get(size + 1..).unwrap_or_default();
                    result.push(None);
                }
                _ => result.push(None),
            }
        }
        Ok(result)
    }

    /// Every file under `dir` (`""`: the whole tree) at `rev`, repository-relative.
    ///
    /// # Errors
    /// git failures.
    pub fn list_files(&self, rev: &str, dir: &str) -> Result<Vec<String>, RepoError> {
        let mut args = vec!["ls-tree", "-r", "-z", "--name-only", rev];
        if !dir.is_empty() {
            args.extend(["--", dir]);
        }
        let out = git::run(git::command(&self.root, &args))?;
        Ok(out.split(|b| *b == 0).filter(|s| !s.is_empty()).map(|s| String::from_utf8_lossy(s).into_owned()).collect())
    }

    /// Whether the clone has `commit` (a full or abbreviated hex id) as a commit object.
    ///
    /// # Errors
    /// git failures other than "no such object".
    pub fn has_commit(&self, commit: &str) -> Result<bool, RepoError> {
        let mut cmd = git::command(&self.root, ["cat-file", "-e"]);
        cmd.arg(format!("{commit}^{{commit}}"));
        Ok(git::output(&mut cmd, None)?.status.success())
    }

    /// Fetches every branch of the remote into its remote-tracking refs (`git fetch --no-tags <remote>`, the
    /// remote's default refspec); the working tree, index and local branches stay as they are.
    ///
    /// # Errors
    /// The remote is unreachable or refuses.
    pub fn fetch_all(&self) -> Result<(), RepoError> {
        self.git()(&["fetch", "--quiet", "--no-tags", &self.remote])?;
        Ok(())
    }

    /// The repository's top-level folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The commit a local branch points to, if it exists.
    ///
    /// # Errors
    /// git failures other than "no such branch".
    pub fn branch_commit(&self, branch: &str) -> Result<Option<String>, RepoError> {
        let mut cmd = git::command(&self.root, ["rev-parse", "--verify", "--quiet"]);
        cmd.arg(format!("refs/heads/{branch}^{{commit}}"));
        let out = git::output(&mut cmd, None)?;
        Ok(out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned()))
    }

    /// Whether the user's working tree has uncommitted changes or untracked files (read-only: does not
    /// refresh the index).
    ///
    /// # Errors
    /// git failures.
    pub fn is_dirty(&self) -> Result<bool, RepoError> {
        Ok(!self.git()(&["status", "--porcelain", "--untracked-files=normal"])?.is_empty())
    }

    /// Commits `changes` on a new branch `branch` from `base` with `message`, and pushes it if `push`.
    /// The general entry point of the wizards and of Terraform approvals in git.
    ///
    /// # Errors
    /// [`RepoError`]: a bad path, the branch existing with other content, a failing hook, a rejected push.
    /// Nothing of the user's is changed in any case; a branch already created is kept.
    pub fn apply(
        &self,
        base: &Base,
        branch: &str,
        message: &str,
        changes: &[FileChange],
        push: bool,
    ) -> Result<Applied, RepoError> {
        for c in changes {
            if !is_safe_path(&c.path) {
                return Err(RepoError::BadPath(c.path.clone()));
            }
        }
        git::text(&self.root, ["check-ref-format", "--branch", branch])?;
        let paths: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
        if let Some(existing) = self.branch_commit(branch)? {
            let have = self.read_files(&existing, &paths)?;
            let differ: Vec<String> =
                changes.iter().zip(have).filter(|(c, h)| &c.content != h).map(|(c, _)| c.path.clone()).collect();
            if !differ.is_empty() {
                return Err(RepoError::BranchDiffers { branch: branch.to_owned(), paths: differ });
            }
            let pushed = if push { self.push(branch, &existing)? } else { false };
            return Ok(Applied {
                branch: branch.to_owned(),
                commit: existing,
                pushed,
                unchanged: true,
                already_in_base: false,
            });
        }
        let in_base = self.read_files(&base.commit, &paths)?;
        if changes.iter().zip(&in_base).all(|(c, h)| &c.content == h) {
            return Ok(Applied {
                branch: branch.to_owned(),
                commit: base.commit.clone(),
                pushed: false,
                unchanged: true,
                already_in_base: true,
            });
        }
        let commit = self.commit_in_worktree(base, message, changes)?;
        git::text(
            &self.root,
            ["update-ref", "-m", "fleetdeck: create branch", &format!("refs/heads/{branch}"), &commit, ""],
        )?;
        let pushed = if push { self.push(branch, &commit)? } else { false };
        Ok(Applied { branch: branch.to_owned(), commit, pushed, unchanged: false, already_in_base: false })
    }

    fn commit_in_worktree(&self, base: &Base, message: &str, changes: &[FileChange]) -> Result<String, RepoError> {
        let tmp = tempfile::Builder::new()
            .prefix("fleetdeck-worktree-")
            .tempdir()
            .map_err(|source| RepoError::Io { what: "creating a temporary folder".into(), source })?;
        let wt = tmp.path().join("wt");
        let mut add = git::command(&self.root, ["worktree", "add", "--detach", "--quiet"]);
        add.arg(&wt).arg(&base.commit);
        git::run(add)?;
        let guard = WorktreeGuard { repo: self.root.clone(), path: wt.clone() };
        let io = |what: String| move |source| RepoError::Io { what, source };
        for c in changes {
            let file = wt.join(&c.path);
            match &c.content {
                Some(text) => {
                    if let Some(dir) = file.parent() {
                        std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
                    }
                    std::fs::write(&file, text).map_err(io(format!("writing {}", c.path)))?;
                }
                None => match std::fs::remove_file(&file) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io(format!("removing {}", c.path))(e));
                    }
                    _ => {}
                },
            }
        }
        let mut add = git::command(&wt, ["add", "--all", "--"]);
        add.args(changes.iter().map(|c| &c.path));
        git::run(add)?;
        let mut commit = git::command(&wt, ["commit", "--quiet", "--message", message]);
        if let Some((name, email)) = &self.author {
            for (k, v) in [
                ("GIT_AUTHOR_NAME", name),
                ("GIT_AUTHOR_EMAIL", email),
                ("GIT_COMMITTER_NAME", name),
                ("GIT_COMMITTER_EMAIL", email),
            ] {
                commit.env(k, v);
            }
        }
        git::run(commit)?;
        let sha = git::text(&wt, ["rev-parse", "HEAD"])?;
        drop(guard);
        Ok(sha)
    }

    /// Pushes local branch `branch` (at `commit`) to the same name on the remote, never forcing. Returns
    /// false when the remote already has exactly that commit.
    ///
    /// # Errors
    /// [`RepoError::PushRejected`] with git's reason (e.g. the remote branch has other commits).
    pub fn push(&self, branch: &str, commit: &str) -> Result<bool, RepoError> {
        let remote_ref = format!("refs/heads/{branch}");
        let listed = self.git()(&["ls-remote", &self.remote, &remote_ref])?;
        if listed.lines().any(|l| l.split('\t').next() == Some(commit)) {
            return Ok(false);
        }
        let mut cmd = git::command(&self.root, ["push", "--porcelain", &self.remote]);
        cmd.arg(format!("refs/heads/{branch}:{remote_ref}"));
        let out = git::output(&mut cmd, None)?;
        if out.status.success() {
            return Ok(true);
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Porcelain: `!\t<from>:<to>\t[rejected] (<reason>)`; hooks and the remote add `remote:` lines.
        let mut reasons: Vec<String> = stdout
            .lines()
            .filter(|l| l.starts_with('!'))
            .filter_map(|l| l.split('\t').nth(2))
            .map(str::to_owned)
            .collect();
        reasons
            .extend(stderr.lines().filter(|l| l.starts_with("remote:") || l.starts_with("error:")).map(str::to_owned));
        if reasons.is_empty() {
            reasons.push(stderr.trim().to_owned());
        }
        Err(RepoError::PushRejected {
            branch: branch.to_owned(),
            remote: self.remote.clone(),
            commit: commit.to_owned(),
            reason: reasons.join("; "),
        })
    }
}

/// Removes the temporary worktree (files and `.git/worktrees` entry), also on error paths.
struct WorktreeGuard {
    repo: PathBuf,
    path: PathBuf,
}

impl Drop for WorktreeGuard {
    fn drop(&mut self) {
        let mut cmd = git::command(&self.repo, ["worktree", "remove", "--force"]);
        cmd.arg(&self.path);
        if git::run(cmd).is_err() {
            let _ = std::fs::remove_dir_all(&self.path);
            let _ = git::run(git::command(&self.repo, ["worktree", "prune"]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_safe_path;

    #[test]
    fn paths_stay_inside_the_repository() {
        for ok in ["a.yaml", "clusters/ns/x/profiles.yaml", ".fleetdeck/policy.yaml"] {
            assert!(is_safe_path(ok), "{ok}");
        }
        for bad in ["", "/etc/passwd", "../x", "a/../../x", "a//b", ".git/config", "./a", "a\\b"] {
            assert!(!is_safe_path(bad), "{bad}");
        }
    }
}
