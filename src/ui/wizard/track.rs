//! Tracking a pushed change in the live fleet, from the store alone (no IO): the Flux GitRepositories that
//! sync the repository (matched by `spec.url`, see [`crate::gitops::review::same_repository`]), whether
//! their artifact reached the pushed commit (`status.artifact.revision`, `<branch>@sha1:<hex>` per
//! source-controller v1), and whether the Kustomizations built from them whose `spec.path` holds a written
//! file applied that revision (`status.lastAppliedRevision`).
//!
//! A review branch reaches the GitRepository (which follows the base branch) once it is merged; when the
//! merge makes a new commit, the artifact shows that commit instead and this says it is still waiting — it
//! reports only what it can see.
use crate::gitops::review::same_repository;
use crate::gitops::revision::{revision_commit, short};
use crate::model::kinds::KindId;
use crate::model::store::{FleetStore, Origin};

/// A pushed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// The remote's URL.
    pub remote_url: String,
    /// The branch pushed, e.g. `fleetdeck/create-dev-eu`.
    pub branch: String,
    /// The branch it is to be merged into.
    pub base: String,
    /// The pushed commit (full hex).
    pub commit: String,
    /// The files it writes or deletes.
    pub paths: Vec<String>,
}

/// Where a tracked change is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackStatus {
    /// One line for the status bar.
    pub summary: String,
    /// Every GitRepository and affected Kustomization with its state: `(done, line)`.
    pub lines: Vec<(bool, String)>,
    /// A GitRepository reached the commit and every affected Kustomization applied it.
    pub done: bool,
}

fn normalize_path(p: &str) -> String {
    p.trim_start_matches("./").trim_matches('/').to_owned()
}

/// Whether a Kustomization at `ks_path` builds any of `paths` (repository-relative).
fn builds(ks_path: &str, paths: &[String]) -> bool {
    let root = normalize_path(ks_path);
    root.is_empty() || root == "." || paths.iter().any(|p| p.starts_with(&format!("{root}/")))
}

/// Where `t` is, as the store shows the fleet now.
pub fn status(store: &FleetStore, t: &Track) -> TrackStatus {
    let (git_kind, ks_kind) = (KindId::GIT_REPOSITORY, KindId::KUSTOMIZATION);
    let mut lines = Vec::new();
    let mut reached_any = false;
    let mut all_applied = true;
    let mut repos = 0;
    let mut waiting_on = Vec::new();
    let mut affected = 0;
    for (ctx, entry) in store.contexts() {
        if matches!(&entry.origin, Origin::Derived { alias_of: Some(_), .. }) {
            continue;
        }
        for repo in store.objects(ctx, git_kind) {
            let d = &repo.obj().data;
            if !d["spec"]["url"].as_str().is_some_and(|u| same_repository(u, &t.remote_url)) {
                continue;
            }
            repos += 1;
            let ns = repo.obj().metadata.namespace.clone().unwrap_or_default();
            let name = repo.obj().metadata.name.clone().unwrap_or_default();
            let rev = d["status"]["artifact"]["revision"].as_str().unwrap_or_default();
            let branch = d["spec"]["ref"]["branch"].as_str().unwrap_or("(default)");
            let reached = !rev.is_empty() && revision_commit(rev) == t.commit;
            let at = if rev.is_empty() { "no artifact yet".to_owned() } else { format!("at {rev}") };
            let who = format!("GitRepository {ctx}/{ns}/{name} (branch {branch})");
            if reached {
                reached_any = true;
                lines.push((true, format!("{who} reached {}", short(&t.commit))));
            } else {
                let merge = if branch != t.branch {
                    format!("; merge the review of {} first", t.branch)
                } else {
                    String::new()
                };
                lines.push((false, format!("{who} {at}, waiting for {}{merge}", short(&t.commit))));
                waiting_on.push(format!("{ctx}/{ns}/{name}"));
                continue;
            }
            for ks in store.objects(ctx, ks_kind) {
                let k = &ks.obj().data;
                let kns = ks.obj().metadata.namespace.clone().unwrap_or_default();
                let src = &k["spec"]["sourceRef"];
                let same_source = src["kind"] == "GitRepository"
                    && src["name"].as_str() == Some(name.as_str())
                    && src["namespace"].as_str().unwrap_or(kns.as_str()) == ns;
                if !same_source || !builds(k["spec"]["path"].as_str().unwrap_or(""), &t.paths) {
                    continue;
                }
                let kname = ks.obj().metadata.name.clone().unwrap_or_default();
                let applied = k["status"]["lastAppliedRevision"].as_str().unwrap_or_default();
                let ok = applied == rev;
                all_applied &= ok;
                affected += 1;
                let state = if ok { "applied it".to_owned() } else { format!("last applied {applied:?}") };
                lines.push((ok, format!("Kustomization {ctx}/{kns}/{kname}: {state}")));
            }
        }
    }
    let c = short(&t.commit);
    let summary = if repos == 0 {
        format!("waiting for a GitRepository of {} to reach {c}", t.remote_url)
    } else if !reached_any {
        format!("waiting for GitRepository {} to reach {c} (merge {} into {})", waiting_on.join(", "), t.branch, t.base)
    } else if affected == 0 {
        format!("{c} fetched by Flux; no Kustomization of that GitRepository builds the written files")
    } else if all_applied {
        format!("✔ {c} reached the fleet and is applied")
    } else {
        format!("{c} fetched by Flux; waiting for Kustomizations to apply it")
    };
    TrackStatus { summary, lines, done: reached_any && affected > 0 && all_applied }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{KindEvent, StoreEvent, StoreMsg};
    use serde_json::{Value, json};

    fn put(store: &mut FleetStore, ctx: &str, obj: Value) {
        let now = "2026-11-21T10:00:00Z".parse().expect("time");
        let send = |store: &mut FleetStore, event| {
            store.apply(StoreMsg { context: ctx.into(), generation: 1, event }, now);
        };
        if store.context(ctx).is_none() {
            send(store, StoreEvent::Registered { server: "https://x".into(), origin: Origin::Kubeconfig });
        }
        let (g, k) = (obj["apiVersion"].as_str().unwrap_or_default(), obj["kind"].as_str().unwrap_or_default());
        let kind = KindId::find(g.split('/').next().unwrap_or_default(), k).expect("kind");
        let obj = serde_json::from_value(obj).expect("object");
        send(store, StoreEvent::Kind(kind, KindEvent::Apply(crate::model::object::StoredObject::shared(kind, obj))));
    }

    fn git_repo(url: &str, rev: &str) -> Value {
        json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
            "metadata": {"name": "flux-system", "namespace": "flux-system"},
            "spec": {"url": url, "ref": {"branch": "main"}},
            "status": {"artifact": {"revision": rev}}})
    }

    fn kustomization(name: &str, path: &str, applied: &str) -> Value {
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": name, "namespace": "flux-system"},
            "spec": {"path": path, "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"lastAppliedRevision": applied}})
    }

    fn track() -> Track {
        Track {
            remote_url: "git@github.com:acme/fleet.git".into(),
            branch: "fleetdeck/create-x".into(),
            base: "main".into(),
            commit: "a".repeat(40),
            paths: vec!["clusters/management/clusters/default/x.yaml".into()],
        }
    }

    #[test]
    fn waits_for_a_repository_then_the_commit_then_the_kustomizations() {
        let mut store = FleetStore::new();
        let s = status(&store, &track());
        assert_eq!(
            s.summary,
            format!("waiting for a GitRepository of git@github.com:acme/fleet.git to reach {}", "a".repeat(12))
        );
        assert!(!s.done);

        let old = format!("main@sha1:{}", "b".repeat(40));
        let new = format!("main@sha1:{}", "a".repeat(40));
        put(&mut store, "mgmt", git_repo("ssh://git@github.com/acme/fleet", &old));
        put(&mut store, "mgmt", kustomization("apps", "./apps", &old));
        let s = status(&store, &track());
        assert!(
            s.summary.starts_with("waiting for GitRepository mgmt/flux-system/flux-system to reach"),
            "{}",
            s.summary
        );
        assert!(s.lines[0].1.contains("merge the review of fleetdeck/create-x first"), "{:?}", s.lines);

        put(&mut store, "mgmt", git_repo("ssh://git@github.com/acme/fleet", &new));
        let s = status(&store, &track());
        assert!(s.summary.contains("no Kustomization of that GitRepository builds"), "{}", s.summary);
        assert!(!s.done);
        put(&mut store, "mgmt", kustomization("flux-system", "./clusters/management", &old));
        let s = status(&store, &track());
        assert_eq!(s.summary, format!("{} fetched by Flux; waiting for Kustomizations to apply it", "a".repeat(12)));
        assert_eq!(s.lines.len(), 2, "only the Kustomization whose path holds the file: {:?}", s.lines);

        put(&mut store, "mgmt", kustomization("flux-system", "./clusters/management", &new));
        let s = status(&store, &track());
        assert!(s.done, "{s:?}");
        assert!(s.summary.starts_with("✔"));
    }

    #[test]
    fn revisions_and_paths() {
        assert!(builds("./clusters", &["clusters/a.yaml".into()]));
        assert!(!builds("./clusters/b", &["clusters/a.yaml".into()]));
        assert!(builds("./", &["x.yaml".into()]));
    }
}
