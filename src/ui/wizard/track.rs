//! Tracking a pushed change in the live fleet, from the store alone (no IO): the Flux GitRepositories that
//! sync the repository (matched by `spec.url`, see [`crate::gitops::review::same_repository`]), whether
//! their artifact reached the pushed commit (`status.artifact.revision`, `<branch>@sha1:<hex>` per
//! source-controller v1), and whether the Kustomizations built from them whose `spec.path` holds a written
//! file applied that revision (`status.lastAppliedRevision`) and, when it keeps an inventory
//! (`status.inventory.entries[].id`, `<namespace>_<name>_<group>_<Kind>` as kustomize-controller's
//! `ssa.ObjMetadata` writes it), lists the objects the change writes under its path. A revision applied
//! without them means the files are not part of the build (a `kustomization.yaml` that does not list them),
//! and this says so instead of "applied".
//!
//! A review branch reaches the GitRepository (which follows the base branch) once it is merged; when the
//! merge makes a new commit, the artifact shows that commit instead and this says it is still waiting — it
//! reports only what it can see.
use crate::gitops::review::same_repository;
use crate::gitops::revision::{revision_commit, short};
use crate::model::kinds::KindId;
use crate::model::store::FleetStore;

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
    /// The objects it writes, with their file ([`written_objects`]); empty: the revision alone decides.
    pub written: Vec<WrittenObject>,
}

impl Track {
    /// The change a wizard's `plan` made, pushed to `remote_url` as `commit` on `branch`, for `base`: every
    /// planned path, and the objects of the files it writes.
    pub fn of_plan(
        remote_url: &str,
        base: &str,
        branch: &str,
        commit: &str,
        plan: Option<&crate::gitops::Plan>,
    ) -> Track {
        let files = plan.into_iter().flat_map(|p| p.files.iter());
        Track {
            remote_url: remote_url.to_owned(),
            branch: branch.to_owned(),
            base: base.to_owned(),
            commit: commit.to_owned(),
            paths: files.clone().map(|f| f.path.clone()).collect(),
            written: written_objects(files.map(|f| (f.path.as_str(), f.content.as_deref()))),
        }
    }
}

/// One object a change writes: its file and identity as a Flux inventory names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenObject {
    /// Repository-relative path of the file that holds it.
    pub path: String,
    /// `metadata.namespace`, `None` when the manifest has none (the Kustomization may set it).
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
    /// API group, `""` for core.
    pub group: String,
    /// Kind.
    pub kind: String,
}

impl WrittenObject {
    /// Whether the inventory id `<namespace>_<name>_<group>_<Kind>` names this object (any namespace when
    /// the manifest has none).
    fn is(&self, id: &str) -> bool {
        let mut parts = id.splitn(4, '_');
        let (Some(ns), Some(name), Some(group), Some(kind)) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        name == self.name
            && group == self.group
            && kind == self.kind
            && self.namespace.as_deref().is_none_or(|n| n == ns)
    }
}

/// The objects of the files a wizard writes: `(path, content)` pairs, each content a multi-document YAML;
/// files that do not parse, and documents without `kind` or `metadata.name`, give none.
pub fn written_objects<'a>(files: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Vec<WrittenObject> {
    let mut out = Vec::new();
    for (path, content) in files {
        let Some(docs) = content.and_then(|c| crate::gitops::yaml::parse_docs(c, path).ok()) else { continue };
        for d in docs {
            let (Some(kind), Some(name)) = (d["kind"].as_str(), d["metadata"]["name"].as_str()) else { continue };
            let api_version = d["apiVersion"].as_str().unwrap_or_default();
            out.push(WrittenObject {
                path: path.to_owned(),
                namespace: d["metadata"]["namespace"].as_str().map(str::to_owned),
                name: name.to_owned(),
                group: api_version.rsplit_once('/').map_or("", |(g, _)| g).to_owned(),
                kind: kind.to_owned(),
            });
        }
    }
    out
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
    let mut not_built = false;
    for (ctx, entry) in store.contexts() {
        if entry.origin.alias_of().is_some() {
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
                let root = normalize_path(k["spec"]["path"].as_str().unwrap_or(""));
                let missing: Vec<String> = match k["status"]["inventory"]["entries"].as_array() {
                    Some(entries) if applied == rev => t
                        .written
                        .iter()
                        .filter(|o| builds(&root, std::slice::from_ref(&o.path)))
                        .filter(|o| !entries.iter().any(|e| e["id"].as_str().is_some_and(|id| o.is(id))))
                        .map(|o| match &o.namespace {
                            Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
                            None => format!("{} {}", o.kind, o.name),
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                let ok = applied == rev && missing.is_empty();
                all_applied &= ok;
                not_built |= !missing.is_empty();
                affected += 1;
                let state = if ok {
                    "applied it".to_owned()
                } else if !missing.is_empty() {
                    format!(
                        "applied it, but its inventory lacks {}: is the file in its kustomization.yaml's resources?",
                        missing.join(", ")
                    )
                } else {
                    format!("last applied {applied:?}")
                };
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
    } else if not_built {
        format!("{c} applied, but a Kustomization's inventory lacks objects it writes (not in the build?)")
    } else {
        format!("{c} fetched by Flux; waiting for Kustomizations to apply it")
    };
    TrackStatus { summary, lines, done: reached_any && affected > 0 && all_applied }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::{KindEvent, Origin, StoreEvent, StoreMsg};
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
            written: written_objects([(
                "clusters/management/clusters/default/x.yaml",
                Some(
                    "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: x\n  namespace: default\n",
                ),
            )]),
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

    /// A revision applied whose build left the written file out (a `kustomization.yaml` listing its
    /// resources, without the new file) is not "applied": the inventory says what is missing.
    #[test]
    fn an_applied_revision_without_the_written_objects_in_the_inventory_is_not_applied() {
        let mut store = FleetStore::new();
        let new = format!("main@sha1:{}", "a".repeat(40));
        put(&mut store, "mgmt", git_repo("ssh://git@github.com/acme/fleet", &new));
        let mut ks = kustomization("flux-system", "./clusters/management", &new);
        ks["status"]["inventory"] = json!({"entries": [{"id": "default_y_cluster.x-k8s.io_Cluster", "v": "v1beta2"}]});
        put(&mut store, "mgmt", ks.clone());
        let s = status(&store, &track());
        assert!(!s.done, "{s:?}");
        assert_eq!(
            s.summary,
            format!(
                "{} applied, but a Kustomization's inventory lacks objects it writes (not in the build?)",
                "a".repeat(12)
            )
        );
        assert!(
            s.lines[1]
                .1
                .ends_with("inventory lacks Cluster default/x: is the file in its kustomization.yaml's resources?"),
            "{:?}",
            s.lines
        );

        ks["status"]["inventory"]["entries"]
            .as_array_mut()
            .expect("entries")
            .push(json!({"id": "default_x_cluster.x-k8s.io_Cluster", "v": "v1beta2"}));
        put(&mut store, "mgmt", ks);
        let s = status(&store, &track());
        assert!(s.done, "{s:?}");
    }

    #[test]
    fn written_objects_read_every_document() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n---\napiVersion: x.io/v1\nkind: Widget\nmetadata:\n  name: web\n  namespace: team\n";
        let objs = written_objects([("a.yaml", Some(yaml)), ("gone.yaml", None), ("bad.yaml", Some(": ["))]);
        assert_eq!(objs.len(), 2, "{objs:?}");
        assert!(objs[0].is("_team__Namespace"), "{objs:?}");
        assert!(objs[1].is("team_web_x.io_Widget") && !objs[1].is("other_web_x.io_Widget"), "{objs:?}");
    }

    #[test]
    fn revisions_and_paths() {
        assert!(builds("./clusters", &["clusters/a.yaml".into()]));
        assert!(!builds("./clusters/b", &["clusters/a.yaml".into()]));
        assert!(builds("./", &["x.yaml".into()]));
    }
}
