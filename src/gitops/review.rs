//! After a push: how to open the review of a branch (a web address for GitHub and GitLab remotes, else a
//! sentence), and whether two git URLs name the same repository (to find the Flux GitRepository that syncs
//! the repository a wizard pushed to).
//!
//! URL forms follow git's own (`git help clone`, "GIT URLS"): `ssh://[user@]host[:port]/path`, the scp-like
//! `[user@]host:path`, `https://host/path`, `file:///path` and plain paths; a trailing `.git` or `/` does not
//! make another repository.

/// A web address to open a review of `branch` against `base`, for GitHub and GitLab remotes; else a
/// sentence saying what to open. `pushed_or_there`: the remote has the branch (else the hint says to push).
pub fn review_hint(url: &str, base: &str, branch: &str, pushed_or_there: bool) -> String {
    let web = url
        .strip_prefix("git@")
        .map(|rest| format!("https://{}", rest.replacen(':', "/", 1)))
        .or_else(|| url.strip_prefix("ssh://git@").map(|r| format!("https://{r}")))
        .unwrap_or_else(|| url.to_owned());
    let web = web.trim_end_matches('/').trim_end_matches(".git").to_owned();
    if !pushed_or_there {
        return format!(
            "not pushed: run again with --push (or: git push <remote> {branch}), then open a review of {branch} against {base}"
        );
    }
    if web.starts_with("https://github.com/") {
        format!("{web}/compare/{base}...{branch}?expand=1")
    } else if web.contains("gitlab") {
        format!(
            "{web}/-/merge_requests/new?merge_request%5Bsource_branch%5D={branch}&merge_request%5Btarget_branch%5D={base}"
        )
    } else {
        format!("open a review (pull request) of {branch} against {base} on {url}")
    }
}

/// Whether the remote of `repo` has `branch` at exactly `commit` (`git ls-remote`); false when the remote
/// cannot be asked.
pub fn remote_has(repo: &super::Repo, branch: &str, commit: &str) -> bool {
    super::git::text(&repo.root, ["ls-remote", &repo.remote, &format!("refs/heads/{branch}")])
        .is_ok_and(|out| out.lines().any(|l| l.split('\t').next() == Some(commit)))
}

/// A git URL reduced to `host/path` (lowercase host, no user, port, scheme, trailing `.git` or `/`), or the
/// path alone for local repositories, so that the forms a remote and a GitRepository's `spec.url` may use
/// compare equal.
pub fn normalize_url(url: &str) -> String {
    let url = url.trim();
    let (host, path) = if let Some((scheme, rest)) = url.split_once("://") {
        if scheme == "file" {
            (String::new(), rest.to_owned())
        } else {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            let host = host.split(':').next().unwrap_or(host);
            (host.to_lowercase(), path.to_owned())
        }
    } else if let Some((authority, path)) = url.split_once(':').filter(|(a, _)| !a.contains('/')) {
        let host = authority.rsplit('@').next().unwrap_or(authority);
        (host.to_lowercase(), path.to_owned())
    } else {
        (String::new(), url.to_owned())
    };
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path).trim_end_matches('/');
    if host.is_empty() { path.to_owned() } else { format!("{host}/{}", path.trim_start_matches('/')) }
}

/// Whether two git URLs name the same repository ([`normalize_url`]).
pub fn same_repository(a: &str, b: &str) -> bool {
    normalize_url(a) == normalize_url(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_of_one_repository_compare_equal() {
        let forms = [
            "ssh://git@github.com/acme/fleet-infra",
            "ssh://git@github.com:22/acme/fleet-infra.git",
            "git@github.com:acme/fleet-infra.git",
            "https://github.com/acme/fleet-infra/",
            "https://GitHub.com/acme/fleet-infra.git",
        ];
        for f in forms {
            assert_eq!(normalize_url(f), "github.com/acme/fleet-infra", "{f}");
        }
        assert!(same_repository("/tmp/x/remote.git", "file:///tmp/x/remote.git"));
        assert!(same_repository("/tmp/x/remote.git/", "/tmp/x/remote"));
        assert!(!same_repository("git@github.com:acme/fleet-infra", "git@github.com:acme/other"));
        assert!(!same_repository("git@github.com:acme/x", "git@gitlab.com:acme/x"));
    }

    #[test]
    fn review_hints_by_host() {
        let gh = review_hint("git@github.com:acme/fleet.git", "main", "fleetdeck/create-a", true);
        assert_eq!(gh, "https://github.com/acme/fleet/compare/main...fleetdeck/create-a?expand=1");
        let gl = review_hint("https://gitlab.example/acme/fleet", "main", "b", true);
        assert!(gl.contains("/-/merge_requests/new?") && gl.contains("source_branch%5D=b"), "{gl}");
        let other = review_hint("/tmp/remote.git", "main", "b", true);
        assert_eq!(other, "open a review (pull request) of b against main on /tmp/remote.git");
        assert!(review_hint("/tmp/remote.git", "main", "b", false).starts_with("not pushed"));
    }
}
