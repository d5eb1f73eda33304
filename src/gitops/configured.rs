//! Opening the GitOps repository the way config.yaml's `git` section describes it (remote, commit
//! author, base branch): the one place the wizards, the CLI's git commands and the cockpit's approval in
//! git open it.
use std::path::Path;

use super::repo::{Base, Repo, RepoError};
use crate::config::GitDefaults;

/// Opens the clone at `path` with `git`'s remote and commit author (git's own configuration when the
/// author is unset), and fetches the base branch: `base` when given (the CLI's `--base`), else
/// `git.base_branch`, else the remote's default branch. Returns the repository and the base as fetched.
///
/// # Errors
/// [`RepoError::NotARepository`] / [`RepoError::BadPath`] for a wrong path, [`RepoError::NoBase`] when the
/// remote has no such branch, other [`RepoError`]s for git failures (an unreachable remote).
pub fn open_configured(path: &Path, git: &GitDefaults, base: Option<&str>) -> Result<(Repo, Base), RepoError> {
    let mut repo = Repo::open(path, &git.remote)?;
    if let (Some(name), Some(email)) = (&git.author_name, &git.author_email) {
        repo.author = Some((name.clone(), email.clone()));
    }
    let base = repo.fetch_base(base.or(git.base_branch.as_deref()))?;
    Ok((repo, base))
}
