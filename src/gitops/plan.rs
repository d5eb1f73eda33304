//! A plan: the file changes a wizard will commit, each with a unified diff against the base branch, ready
//! for a preview screen or `--dry-run` output before anything is written.
use serde::Serialize;
use similar::TextDiff;

use super::repo::{Base, FileChange, Repo, RepoError};

/// What happens to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FileAction {
    /// The base branch does not have it.
    Add,
    /// The base branch has other content.
    Modify,
    /// The file is removed.
    Delete,
    /// The base branch already has exactly this (or, for a delete, does not have the file).
    Unchanged,
}

/// One file of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedFile {
    /// Repository-relative path.
    pub path: String,
    /// What happens to it.
    pub action: FileAction,
    /// New content (`None` for a delete).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Unified diff against the base branch (`a/<path>` -> `b/<path>`), empty when unchanged.
    pub diff: String,
}

/// The changes of one wizard run: branch, commit message and files, against a base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The base branch and commit the diffs are against.
    pub base: Base,
    /// The branch the commit goes on, e.g. `fleetdeck/create-dev-eu`.
    pub branch: String,
    /// The commit message, e.g. `Add cluster dev-eu`.
    pub message: String,
    /// Every file, in the order written.
    pub files: Vec<PlannedFile>,
    /// What the reviewer should know before writing, e.g. an added file that a `kustomization.yaml` listing
    /// its resources leaves out of the build ([`super::unlisted`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Plan {
    /// Builds the plan of `changes`, reading the base contents from `repo` at `base`.
    ///
    /// # Errors
    /// git failures reading the base.
    pub fn new(
        repo: &Repo,
        base: &Base,
        branch: &str,
        message: &str,
        changes: &[FileChange],
    ) -> Result<Plan, RepoError> {
        let paths: Vec<String> = changes.iter().map(|c| c.path.clone()).collect();
        let old = repo.read_files(&base.commit, &paths)?;
        let files: Vec<PlannedFile> = changes.iter().zip(old).map(|(c, old)| planned(c, old.as_deref())).collect();
        // Added files the nearest kustomization file above them (the base's, or this plan's own) leaves out.
        let added: Vec<String> = files.iter().filter(|f| f.action == FileAction::Add).map(|f| f.path.clone()).collect();
        let candidates = super::unlisted::candidates(&added);
        let mut kustomizations: std::collections::BTreeMap<String, String> = candidates
            .iter()
            .cloned()
            .zip(repo.read_files(&base.commit, &candidates)?)
            .filter_map(|(p, text)| Some((p, text?)))
            .collect();
        for f in &files {
            match &f.content {
                Some(c) if candidates.contains(&f.path) => kustomizations.insert(f.path.clone(), c.clone()),
                None => kustomizations.remove(&f.path),
                _ => None,
            };
        }
        let warnings = super::unlisted::unlisted(&added, &kustomizations);
        Ok(Plan { base: base.clone(), branch: branch.to_owned(), message: message.to_owned(), files, warnings })
    }

    /// The changes to hand to [`Repo::apply`].
    pub fn changes(&self) -> Vec<FileChange> {
        self.files.iter().map(|f| FileChange { path: f.path.clone(), content: f.content.clone() }).collect()
    }

    /// Whether the base already has everything (nothing to commit).
    pub fn is_noop(&self) -> bool {
        self.files.iter().all(|f| f.action == FileAction::Unchanged)
    }
}

/// The plan entry of one change given the base content `old`.
pub fn planned(change: &FileChange, old: Option<&str>) -> PlannedFile {
    let action = match (old, change.content.as_deref()) {
        (None, None) => FileAction::Unchanged,
        (Some(_), None) => FileAction::Delete,
        (None, Some(_)) => FileAction::Add,
        (Some(a), Some(b)) if a == b => FileAction::Unchanged,
        (Some(_), Some(_)) => FileAction::Modify,
    };
    let diff = if action == FileAction::Unchanged {
        String::new()
    } else {
        unified_diff(&change.path, old, change.content.as_deref())
    };
    PlannedFile { path: change.path.clone(), action, content: change.content.clone(), diff }
}

/// `git diff`-style unified diff of one file (`/dev/null` for a missing side), 3 lines of context.
pub fn unified_diff(path: &str, old: Option<&str>, new: Option<&str>) -> String {
    let a = if old.is_some() { format!("a/{path}") } else { "/dev/null".into() };
    let b = if new.is_some() { format!("b/{path}") } else { "/dev/null".into() };
    let (old, new) = (old.unwrap_or_default(), new.unwrap_or_default());
    TextDiff::from_lines(old, new).unified_diff().context_radius(3).header(&a, &b).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_diffs() {
        let add = planned(&FileChange { path: "x.yaml".into(), content: Some("a: 1\n".into()) }, None);
        assert_eq!(add.action, FileAction::Add);
        assert!(add.diff.starts_with("--- /dev/null\n+++ b/x.yaml\n@@ -0,0 +1 @@\n+a: 1\n"), "{}", add.diff);
        let modify = planned(&FileChange { path: "x.yaml".into(), content: Some("a: 2\n".into()) }, Some("a: 1\n"));
        assert_eq!(modify.action, FileAction::Modify);
        assert!(modify.diff.contains("-a: 1\n+a: 2\n"), "{}", modify.diff);
        let delete = planned(&FileChange { path: "x.yaml".into(), content: None }, Some("a: 1\n"));
        assert_eq!(delete.action, FileAction::Delete);
        assert!(delete.diff.contains("+++ /dev/null"), "{}", delete.diff);
        let same = planned(&FileChange { path: "x.yaml".into(), content: Some("a: 1\n".into()) }, Some("a: 1\n"));
        assert_eq!((same.action, same.diff.as_str()), (FileAction::Unchanged, ""));
        let gone = planned(&FileChange { path: "x.yaml".into(), content: None }, None);
        assert_eq!(gone.action, FileAction::Unchanged);
    }
}
