//! Commit ids and Flux source revisions: the one place that shortens a commit for people and finds the
//! commit inside a revision (`main@sha1:<hex>` since Flux v2, legacy `main/<hex>`), for the wizards' tracking,
//! the approval, the drift diff and the CLI.

/// The first 12 characters of a commit id (all of it when shorter).
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// The commit of an artifact revision: what follows `sha1:` (Flux v2 sources) or the last `/` (the legacy
/// form), else the revision itself.
pub fn revision_commit(rev: &str) -> &str {
    rev.rsplit_once("sha1:").map(|(_, h)| h).or_else(|| rev.rsplit_once('/').map(|(_, h)| h)).unwrap_or(rev)
}

/// The git commit of a Flux source revision ([`revision_commit`]) when it is one: at least 7 hex digits.
/// `None` for other forms (an OCI digest `sha256:...`, a Helm chart version).
pub fn commit_of_revision(revision: &str) -> Option<&str> {
    Some(revision_commit(revision)).filter(|h| h.len() >= 7 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_name_their_commit() {
        assert_eq!(revision_commit("main@sha1:abc"), "abc");
        assert_eq!(revision_commit("main/abc"), "abc");
        let sha = "4d2f9caa2019773b427426c432ce80dd9979caa1";
        assert_eq!(commit_of_revision(&format!("main@sha1:{sha}")), Some(sha));
        assert_eq!(commit_of_revision(&format!("refs/heads/feature/x@sha1:{sha}")), Some(sha));
        assert_eq!(commit_of_revision(&format!("sha1:{sha}")), Some(sha));
        assert_eq!(commit_of_revision(&format!("main/{sha}")), Some(sha));
        assert_eq!(commit_of_revision(sha), Some(sha));
        assert_eq!(commit_of_revision("latest@sha256:0123456789abcdef"), None);
        assert_eq!(commit_of_revision("6.5.4"), None);
        assert_eq!(commit_of_revision(""), None);
        assert_eq!(short(sha), "4d2f9caa2019");
        assert_eq!(short("abc"), "abc");
    }
}
