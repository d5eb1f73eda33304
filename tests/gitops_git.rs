//! The GitOps wizards against real git: a bare remote and a clone with a dirty working tree. Create,
//! bootstrap (both kinds), profile add and delete write exactly the expected files and commits and push
//! them; re-running makes no new commit; an existing branch with other content, a rejected push, a failing
//! hook and a policy violation each lose nothing and say why; the user's tree, index and HEAD stay
//! byte-identical.
mod common;

use common::git;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use fleetdeck::gitops::bootstrap::{self, BootstrapMode, BootstrapRequest};
use fleetdeck::gitops::create::{self, CreateRequest};
use fleetdeck::gitops::profiles::{self, ProfileChoice};
use fleetdeck::gitops::template::{DEFAULT_CAPI_REPOSITORY_PATH, Template, TemplateSource};
use fleetdeck::gitops::{FileChange, Plan, Repo, RepoError, locate, teardown, yaml};
use serde_json::{Value, json};

/// A bare remote, and a clone on `main` with one commit, an uncommitted edit and an untracked file.
struct Fixture {
    _dir: tempfile::TempDir,
    remote: PathBuf,
    work: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let remote = dir.path().join("remote.git");
    let work = dir.path().join("work");
    git(dir.path(), &["init", "-q", "--bare", remote.to_str().expect("utf-8")]);
    git(dir.path(), &["clone", "-q", remote.to_str().expect("utf-8"), work.to_str().expect("utf-8")]);
    git(&work, &["config", "user.email", "test@example.invalid"]);
    git(&work, &["config", "user.name", "test"]);
    git(&work, &["checkout", "-q", "-b", "main"]);
    std::fs::create_dir_all(work.join("clusters")).expect("mkdir");
    std::fs::write(work.join("README.md"), "# fleet\n").expect("write");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "init"]);
    git(&work, &["push", "-q", "origin", "main"]);
    std::fs::write(work.join("README.md"), "# fleet\nlocal edit\n").expect("write");
    std::fs::write(work.join("scratch.txt"), "untracked\n").expect("write");
    git(&work, &["add", "README.md"]);
    std::fs::write(work.join("README.md"), "# fleet\nlocal edit\nunstaged too\n").expect("write");
    Fixture { _dir: dir, remote, work }
}

/// Everything of the user's that must not change: index bytes, HEAD, branch, status, files.
fn user_state(work: &Path) -> Vec<String> {
    let index = std::fs::read(work.join(".git/index")).expect("index");
    vec![
        format!("{index:?}"),
        git(work, &["rev-parse", "HEAD"]),
        git(work, &["symbolic-ref", "HEAD"]),
        git(work, &["status", "--porcelain"]),
        std::fs::read_to_string(work.join("README.md")).expect("readme"),
        std::fs::read_to_string(work.join("scratch.txt")).expect("scratch"),
        git(work, &["worktree", "list", "--porcelain"]),
    ]
}

fn demo_template(kind: &str, name: &str) -> Template {
    let input = fleetdeck::demo::seed::SeedInput {
        now: "2026-11-21T10:00:00Z".parse().expect("time"),
        workload_kubeconfigs: BTreeMap::new(),
    };
    let seed = fleetdeck::demo::seed::demo_fleet(&input);
    let obj = seed.contexts["mgmt"]
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .expect("demo template")
        .clone();
    Template::from_object(&obj, TemplateSource::Cluster { context: "mgmt".into() }).expect("template")
}

fn profile_repo() -> Value {
    json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
        "metadata": {"name": "weaveworks-charts", "namespace": "flux-system", "annotations": {"weave.works/profiles": "true"}},
        "spec": {"url": "https://weaveworks.github.io/weave-gitops-profile-examples/", "interval": "1h0m0s"}})
}

fn files_on(remote: &Path, branch: &str) -> Vec<String> {
    let out = git(remote, &["diff", "--name-only", "main", branch]);
    out.lines().map(str::to_owned).collect()
}

/// The demo's GitOpsTemplate rendered for cluster `check-new` in eu-west-1, with the profile repository.
fn check_new() -> create::Created {
    let template = demo_template("GitOpsTemplate", "aws-eks-cluster");
    let values: BTreeMap<String, String> =
        [("CLUSTER_NAME", "check-new"), ("AWS_REGION", "eu-west-1")].map(|(k, v)| (k.into(), v.into())).into();
    let req = CreateRequest {
        template: &template,
        values,
        capi_path: DEFAULT_CAPI_REPOSITORY_PATH.into(),
        profile_repository: Some(profile_repo()),
        extra_profiles: Vec::new(),
    };
    create::render(&req).expect("render")
}

#[test]
fn create_writes_the_expected_commit_pushes_it_and_is_idempotent() {
    let f = fixture();
    let before = user_state(&f.work);
    let repo = Repo::open(&f.work, "origin").expect("open");
    let base = repo.fetch_base(None).expect("base");
    assert_eq!(base.branch, "main", "the bare remote's HEAD is dangling: falls back to main");
    let created = check_new();
    let plan = Plan::new(&repo, &base, &created.branch, &created.message, &created.changes()).expect("plan");
    assert!(plan.files.iter().all(|p| p.diff.starts_with("--- /dev/null\n+++ b/")), "diffs against the base");
    let applied = repo.apply(&base, &plan.branch, &plan.message, &plan.changes(), true).expect("apply");
    assert!(applied.pushed && !applied.unchanged);
    assert_eq!(applied.branch, "fleetdeck/create-check-new");
    assert_eq!(git(&f.remote, &["rev-parse", "fleetdeck/create-check-new"]), applied.commit);
    assert_eq!(git(&f.remote, &["log", "-1", "--format=%s", &applied.commit]), "Add cluster check-new");
    assert_eq!(git(&f.remote, &["rev-parse", &format!("{}^", applied.commit)]), base.commit, "one commit on the base");
    assert_eq!(
        files_on(&f.remote, "fleetdeck/create-check-new"),
        [
            "clusters/management/clusters/team-data/check-new-gitopscluster.yaml",
            "clusters/management/clusters/team-data/check-new.yaml",
            "clusters/team-data/check-new/profiles.yaml",
        ]
    );
    let manifest =
        git(&f.remote, &["show", "fleetdeck/create-check-new:clusters/management/clusters/team-data/check-new.yaml"]);
    let docs = yaml::parse_docs(&manifest, "manifest").expect("yaml");
    let pool = docs.iter().find(|d| d["kind"] == "MachinePool").expect("pool");
    assert_eq!(pool["spec"]["replicas"], json!(3), "an integer, not \"3\":\n{manifest}");
    assert_eq!(docs[0]["metadata"]["labels"]["templates.weave.works/template-name"], "aws-eks-cluster");
    let profiles = git(&f.remote, &["show", "fleetdeck/create-check-new:clusters/team-data/check-new/profiles.yaml"]);
    assert!(
        profiles.contains("name: check-new-cert-manager") && !profiles.contains("podinfo"),
        "required charts only:\n{profiles}"
    );
    assert_eq!(user_state(&f.work), before, "the user's tree, index, HEAD and branch are untouched");

    // Again, same input: no new commit, nothing pushed, same branch tip.
    let again = repo.apply(&base, &plan.branch, &plan.message, &plan.changes(), true).expect("again");
    assert!(again.unchanged && !again.pushed, "{again:?}");
    assert_eq!(again.commit, applied.commit);
    assert_eq!(git(&f.remote, &["rev-parse", "fleetdeck/create-check-new"]), applied.commit);

    // Different content on the same branch: refused, naming the branch; nothing moves.
    let mut other = plan.changes();
    other[0].content = Some("# other\n".into());
    let err = repo.apply(&base, &plan.branch, &plan.message, &other, true).expect_err("differs");
    assert!(matches!(err, RepoError::BranchDiffers { .. }), "{err}");
    assert!(
        err.to_string().contains("fleetdeck/create-check-new") && err.to_string().contains("nothing was written"),
        "{err}"
    );
    assert_eq!(git(&f.work, &["rev-parse", "refs/heads/fleetdeck/create-check-new"]), applied.commit);
    assert_eq!(user_state(&f.work), before);
}

#[test]
fn bootstrap_both_kinds_and_profile_add_and_delete() {
    let f = fixture();
    let before = user_state(&f.work);
    let repo = Repo::open(&f.work, "origin").expect("open");
    let base = repo.fetch_base(Some("main")).expect("base");
    let mut req = BootstrapRequest {
        cluster: "dev".into(),
        namespace: "team".into(),
        mode: BootstrapMode::Flux,
        url: "ssh://git@example.invalid/fleet".into(),
        branch: "main".into(),
        path: None,
        components: Some("# flux install --export\n".into()),
        capi_path: DEFAULT_CAPI_REPOSITORY_PATH.into(),
        has_gitops_cluster: false,
    };
    let changes: Vec<FileChange> = bootstrap::files(&req).expect("files").into_iter().map(|(c, _)| c).collect();
    let flux = repo.apply(&base, &bootstrap::branch("dev"), &bootstrap::message(&req), &changes, true).expect("flux");
    assert_eq!(
        files_on(&f.remote, &flux.branch),
        [
            "clusters/dev/flux-system/gotk-components.yaml",
            "clusters/dev/flux-system/gotk-sync.yaml",
            "clusters/dev/flux-system/kustomization.yaml"
        ]
    );
    let sync = git(&f.remote, &["show", &format!("{}:clusters/dev/flux-system/gotk-sync.yaml", flux.branch)]);
    let docs = yaml::parse_docs(&sync, "gotk-sync").expect("yaml");
    assert_eq!(docs[0]["spec"]["ref"]["branch"], "main");
    assert_eq!(docs[1]["spec"]["path"], "./clusters/dev");
    let k = git(&f.remote, &["show", &format!("{}:clusters/dev/flux-system/kustomization.yaml", flux.branch)]);
    assert_eq!(
        k,
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- gotk-components.yaml\n- gotk-sync.yaml"
    );

    // Management mode on its own branch name would clash with the Flux one: a different cluster.
    req.cluster = "prod".into();
    req.mode = BootstrapMode::Management;
    let changes: Vec<FileChange> = bootstrap::files(&req).expect("files").into_iter().map(|(c, _)| c).collect();
    let mgmt = repo.apply(&base, &bootstrap::branch("prod"), &bootstrap::message(&req), &changes, true).expect("mgmt");
    assert_eq!(files_on(&f.remote, &mgmt.branch), ["clusters/management/clusters/team/prod-sync.yaml"]);
    assert_eq!(
        git(&f.remote, &["log", "-1", "--format=%s", &mgmt.branch]),
        "Sync cluster prod from the management cluster"
    );
    let text = git(&f.remote, &["show", &format!("{}:clusters/management/clusters/team/prod-sync.yaml", mgmt.branch)]);
    let docs = yaml::parse_docs(&text, "sync").expect("yaml");
    assert_eq!(docs[0]["spec"]["kubeConfig"]["secretRef"]["name"], "prod-kubeconfig");
    assert_eq!(docs[1]["kind"], "GitopsCluster");

    // Merge a created cluster into main (as a reviewer would), then add a profile and delete it.
    let template = demo_template("CAPITemplate", "capd-dev");
    let values: BTreeMap<String, String> = [("CLUSTER_NAME".to_owned(), "dev".to_owned())].into();
    let created = create::render(&CreateRequest {
        template: &template,
        values,
        capi_path: DEFAULT_CAPI_REPOSITORY_PATH.into(),
        profile_repository: Some(profile_repo()),
        extra_profiles: Vec::new(),
    })
    .expect("render");
    let c = repo.apply(&base, &created.branch, &created.message, &created.changes(), true).expect("create");
    git(&f.remote, &["update-ref", "refs/heads/main", &c.commit]);
    let base = repo.fetch_base(None).expect("base after merge");
    assert_eq!(base.commit, c.commit);

    let path = profiles::profiles_path("platform", "dev");
    let existing_text =
        repo.read_files(&base.commit, std::slice::from_ref(&path)).expect("read").remove(0).expect("profiles.yaml");
    let existing = yaml::parse_docs(&existing_text, &path).expect("yaml");
    let choice = ProfileChoice {
        chart: "podinfo".into(),
        version: "6.8.0".into(),
        target_namespace: None,
        layer: Some("layer-1".into()),
        values: "replicaCount: 2\n".into(),
    };
    let docs = profiles::profiles_documents("platform", "dev", &profile_repo(), &existing, &[choice]).expect("docs");
    let change = FileChange { path: path.clone(), content: Some(yaml::emit_docs(&docs).expect("emit")) };
    let p = repo
        .apply(&base, "fleetdeck/profile-dev-podinfo", "Add profile podinfo to cluster platform/dev", &[change], true)
        .expect("profile");
    assert_eq!(files_on(&f.remote, &p.branch), [path.as_str()]);
    let diff = git(&f.remote, &["diff", "main", &p.branch]);
    assert!(
        diff.contains("+  name: dev-podinfo") && !diff.lines().any(|l| l.starts_with('-') && !l.starts_with("---")),
        "only additions:\n{diff}"
    );
    let added = yaml::parse_docs(&git(&f.remote, &["show", &format!("{}:{path}", p.branch)]), &path).expect("yaml");
    let podinfo = added.iter().find(|d| d["metadata"]["name"] == "dev-podinfo").expect("podinfo release");
    assert_eq!(podinfo["spec"]["dependsOn"], json!([{"name": "dev-cert-manager"}]));

    let files = locate::yaml_files(&repo, &base.commit, "").expect("files");
    let t = teardown::plan(&files, &[], DEFAULT_CAPI_REPOSITORY_PATH, "platform", "dev").expect("teardown");
    let d = repo
        .apply(&base, &teardown::branch("dev"), &teardown::message("platform", "dev"), &t.changes(), true)
        .expect("delete");
    assert_eq!(
        files_on(&f.remote, &d.branch),
        ["clusters/management/clusters/platform/dev.yaml", "clusters/platform/dev/profiles.yaml"]
    );
    assert_eq!(git(&f.remote, &["ls-tree", "-r", "--name-only", &d.branch]), "README.md", "nothing else goes");
    assert_eq!(user_state(&f.work), before);
}

#[test]
fn rejected_push_and_failing_hook_lose_nothing_and_say_why() {
    let f = fixture();
    let before = user_state(&f.work);
    let repo = Repo::open(&f.work, "origin").expect("open");
    let base = repo.fetch_base(None).expect("base");
    // Someone else pushed other work to the same branch name.
    let other = tempfile::tempdir().expect("tempdir");
    git(other.path(), &["clone", "-q", f.remote.to_str().expect("utf-8"), "c"]);
    let c = other.path().join("c");
    git(&c, &["checkout", "-q", "-b", "fleetdeck/create-x", "origin/main"]);
    std::fs::write(c.join("other.txt"), "theirs\n").expect("write");
    git(&c, &["add", "-A"]);
    git(&c, &["-c", "user.name=o", "-c", "user.email=o@e.invalid", "commit", "-qm", "theirs"]);
    git(&c, &["push", "-q", "origin", "fleetdeck/create-x"]);
    let theirs = git(&c, &["rev-parse", "HEAD"]);

    let change = [FileChange { path: "clusters/x.yaml".into(), content: Some("a: 1\n".into()) }];
    let err = repo.apply(&base, "fleetdeck/create-x", "Add cluster x", &change, true).expect_err("rejected");
    let RepoError::PushRejected { reason, commit, .. } = &err else { panic!("{err}") };
    assert!(
        reason.contains("rejected") || reason.contains("fetch first") || reason.contains("non-fast-forward"),
        "{reason}"
    );
    assert!(err.to_string().contains("is kept"), "{err}");
    assert_eq!(&git(&f.work, &["rev-parse", "refs/heads/fleetdeck/create-x"]), commit, "the local branch stays");
    assert_eq!(git(&f.remote, &["rev-parse", "fleetdeck/create-x"]), theirs, "never forced");

    // A pre-commit hook of the user's runs, and when it fails nothing is left behind.
    let hook = f.work.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'policy hook says no' >&2\nexit 1\n").expect("hook");
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let change = [FileChange { path: "clusters/y.yaml".into(), content: Some("a: 1\n".into()) }];
    let err = repo.apply(&base, "fleetdeck/create-y", "Add cluster y", &change, false).expect_err("hook");
    assert!(err.to_string().contains("policy hook says no"), "{err}");
    assert!(repo.branch_commit("fleetdeck/create-y").expect("rev-parse").is_none());
    std::fs::remove_file(&hook).expect("rm hook");
    assert_eq!(user_state(&f.work), before, "no worktree left, nothing of the user's changed");

    for bad in ["../escape.yaml", ".git/config", "/abs.yaml"] {
        let change = [FileChange { path: bad.into(), content: Some("x".into()) }];
        assert!(matches!(repo.apply(&base, "fleetdeck/bad", "m", &change, false), Err(RepoError::BadPath(_))), "{bad}");
    }
}

fn fleetdeck(work: &Path, args: &[&str]) -> std::process::Output {
    let home = work.parent().expect("parent").join("home");
    Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
        .args(args)
        .env("FLEETDECK_HOME", &home)
        .env("KUBECONFIG", work.join("no-kubeconfig"))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("fleetdeck runs")
}

#[test]
fn cli_policy_violation_blocks_the_write_at_its_field_and_delete_needs_confirmation() {
    let f = fixture();
    let repo_arg = f.work.to_str().expect("utf-8");
    let tpl = f.work.parent().expect("parent").join("cluster-template.yaml");
    std::fs::write(
        &tpl,
        "apiVersion: cluster.x-k8s.io/v1beta2\nkind: MachineDeployment\nmetadata:\n  name: ${CLUSTER_NAME}-md-0\n  namespace: default\n\
         spec:\n  clusterName: ${CLUSTER_NAME}\n  replicas: ${WORKER_MACHINE_COUNT:=2}\n",
    )
    .expect("template");
    // The policy lives in the repository at the base branch.
    let other = tempfile::tempdir().expect("tempdir");
    git(other.path(), &["clone", "-q", "-b", "main", f.remote.to_str().expect("utf-8"), "c"]);
    let c = other.path().join("c");
    std::fs::create_dir_all(c.join(".fleetdeck")).expect("mkdir");
    std::fs::write(
        c.join(".fleetdeck/policy.yaml"),
        "replicas: {min: 1, max: 5}\nclusterNamePattern: \"[a-z]+-[a-z]+\"\n",
    )
    .expect("policy");
    git(&c, &["add", "-A"]);
    git(&c, &["-c", "user.name=o", "-c", "user.email=o@e.invalid", "commit", "-qm", "policy"]);
    git(&c, &["push", "-q", "origin", "HEAD:main"]);

    let tpl_arg = tpl.to_str().expect("utf-8");
    let args = [
        "cluster",
        "create",
        "--template",
        tpl_arg,
        "--param",
        "CLUSTER_NAME=solo",
        "--param",
        "WORKER_MACHINE_COUNT=9",
        "--repo",
        repo_arg,
    ];
    let out = fleetdeck(&f.work, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CLUSTER_NAME: cluster name \"solo\" does not match"), "{stderr}");
    assert!(stderr.contains("WORKER_MACHINE_COUNT: replicas 9 outside the allowed range 1..5"), "{stderr}");
    assert!(git(&f.work, &["branch", "--list", "fleetdeck/*"]).is_empty(), "nothing written");

    let ok = [
        "cluster",
        "create",
        "--template",
        tpl_arg,
        "--param",
        "CLUSTER_NAME=dev-eu",
        "--repo",
        repo_arg,
        "--push",
        "-o",
        "json",
    ];
    let out = fleetdeck(&f.work, &ok);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["branch"], "fleetdeck/create-dev-eu");
    assert_eq!(json["pushed"], true);
    assert_eq!(json["files"], json!([{"path": "clusters/management/clusters/default/dev-eu.yaml", "action": "add"}]));
    assert!(json["notes"][0].as_str().expect("note").contains("uncommitted changes"), "{json}");

    // Delete without a terminal and without --yes: exit 2, nothing written.
    let out = fleetdeck(&f.work, &["cluster", "delete", "default/dev-eu", "--repo", repo_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("pass --yes"));
    let out = fleetdeck(&f.work, &["cluster", "delete", "default/nope", "--repo", repo_arg, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no files of cluster default/nope"));
}

/// A base whose cluster folder has a `kustomization.yaml` listing its resources: the plan warns, per added
/// file it leaves out, that a Kustomization building that folder will not apply it; files elsewhere pass.
#[test]
fn a_plan_warns_of_files_a_listed_kustomization_leaves_out() {
    let f = fixture();
    let other = tempfile::tempdir().expect("tempdir");
    git(other.path(), &["clone", "-q", "-b", "main", f.remote.to_str().expect("utf-8"), "c"]);
    let c = other.path().join("c");
    let dir = c.join(DEFAULT_CAPI_REPOSITORY_PATH);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("kustomization.yaml"), "resources:\n  - a.yaml\n").expect("write");
    std::fs::write(dir.join("a.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n").expect("write");
    git(&c, &["add", "-A"]);
    git(&c, &["-c", "user.name=o", "-c", "user.email=o@e.invalid", "commit", "-qm", "listed"]);
    git(&c, &["push", "-q", "origin", "HEAD:main"]);

    let repo = Repo::open(&f.work, "origin").expect("open");
    let base = repo.fetch_base(None).expect("base");
    let created = check_new();
    let plan = Plan::new(&repo, &base, &created.branch, &created.message, &created.changes()).expect("plan");
    let k = format!("{DEFAULT_CAPI_REPOSITORY_PATH}/kustomization.yaml");
    let tail =
        format!("a Kustomization building {DEFAULT_CAPI_REPOSITORY_PATH} will not apply it (add it to resources)");
    assert_eq!(
        plan.warnings,
        [
            format!("{k} lists its resources without team-data/check-new.yaml: {tail}"),
            format!("{k} lists its resources without team-data/check-new-gitopscluster.yaml: {tail}"),
        ]
    );
}
