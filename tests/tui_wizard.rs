//! The create wizard end to end in tmux: the real binary against the demo fleet, a real clone with a bare
//! remote (and a dirty working tree the wizard must not touch). From the cockpit: `n`, the demo's
//! GitOpsTemplate from the management cluster, the form (typed name, picked region), a policy violation
//! shown at its field and blocking the write, the fix, the preview with diffs, write and push; then the
//! remote branch, its files and commit, the untouched user tree, the tracking line, `esc` writing nothing,
//! and a second run making no new commit; after the review is merged, the status bar following the
//! GitRepository of the remote to the commit and a Kustomization applying it. Then the teardown of the demo's dev-eu Cluster, confirmed by
//! typing its name, its bootstrap synced from the management cluster, and a profile added to it.
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Tmux, fleetdeck, git};

/// The demo's dev-eu Cluster as the repository has it (what the teardown removes).
const DEV_EU: &str = "clusters/management/clusters/platform/dev-eu.yaml";
const DEV_EU_YAML: &str = "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: dev-eu\n  namespace: platform\n---\napiVersion: gitops.weave.works/v1alpha1\nkind: GitopsCluster\nmetadata:\n  name: dev-eu\n  namespace: platform\nspec:\n  capiClusterRef:\n    name: dev-eu\n";

/// The clone's `origin` URL: an `ssh://` URL, since Flux's GitRepository (upstream CRD) accepts only
/// `http`, `https` and `ssh` URLs and the tracking matches the GitRepository's URL with the remote's. git
/// reaches it through `core.sshCommand`, a stand-in for ssh that runs git's remote command on this machine.
fn remote_url(remote: &Path) -> String {
    format!("ssh://git@fleet.test{}", remote.display())
}

/// A bare remote and a clone on `main` whose base has a policy allowing two regions; the clone has a
/// staged edit, an unstaged one and an untracked file; its `origin` is [`remote_url`].
fn repository(dir: &Path) -> (PathBuf, PathBuf) {
    let remote = dir.join("remote.git");
    let work = dir.join("work");
    git(dir, &["init", "-q", "--bare", remote.to_str().expect("utf-8")]);
    git(dir, &["clone", "-q", remote.to_str().expect("utf-8"), work.to_str().expect("utf-8")]);
    git(&work, &["config", "user.email", "test@example.invalid"]);
    git(&work, &["config", "user.name", "test"]);
    git(&work, &["checkout", "-q", "-b", "main"]);
    std::fs::create_dir_all(work.join(".fleetdeck")).expect("mkdir");
    std::fs::write(work.join(".fleetdeck/policy.yaml"), "regions: [eu-central-1, us-east-1]\n").expect("write");
    std::fs::write(work.join("README.md"), "# fleet\n").expect("write");
    std::fs::create_dir_all(work.join("clusters/management/clusters/platform")).expect("mkdir");
    std::fs::write(work.join(DEV_EU), DEV_EU_YAML).expect("write");
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-qm", "init"]);
    let ssh = dir.join("local-ssh");
    // git runs `<ssh> [options] <host> <command>`: run the command (git-receive-pack '<path>') here.
    std::fs::write(&ssh, "#!/bin/sh\nwhile [ $# -gt 1 ]; do shift; done\nexec sh -c \"$1\"\n").expect("write");
    std::fs::set_permissions(&ssh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    git(&work, &["config", "core.sshCommand", ssh.to_str().expect("utf-8")]);
    git(&work, &["remote", "set-url", "origin", &remote_url(&remote)]);
    git(&work, &["push", "-q", "origin", "main"]);
    std::fs::write(work.join("README.md"), "# fleet\nstaged edit\n").expect("write");
    git(&work, &["add", "README.md"]);
    std::fs::write(work.join("README.md"), "# fleet\nstaged edit\nunstaged too\n").expect("write");
    std::fs::write(work.join("scratch.txt"), "untracked\n").expect("write");
    (remote, work)
}

/// Everything of the user's that must not change: index bytes, HEAD, branch, status, files, worktrees.
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

#[test]
fn the_create_wizard_from_the_cockpit_to_the_pushed_commit() {
    let home = tempfile::tempdir().expect("tempdir");
    let repos = tempfile::tempdir().expect("tempdir");
    let (remote, work) = repository(repos.path());
    std::fs::create_dir_all(home.path().join("config")).expect("config dir");
    std::fs::write(home.path().join("config/config.yaml"), format!("git:\n  repository: {}\n", work.display()))
        .expect("config");
    let up = fleetdeck(home.path(), &["demo", "up"]);
    assert!(up.status.success(), "demo up: {}", String::from_utf8_lossy(&up.stderr));
    let kubeconfig = home.path().join("state/demo/kubeconfig");
    let result = std::panic::catch_unwind(|| drive(home.path(), &kubeconfig, &remote, &work));
    let down = fleetdeck(home.path(), &["demo", "down"]);
    assert!(down.status.success());
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

/// Opens the wizard until the management cluster's templates are listed (the store syncs them first).
fn open_wizard(tmux: &Tmux) -> String {
    for _ in 0..30 {
        tmux.keys(&["n"]);
        let s = tmux.wait_for("the template list or its loading", Duration::from_secs(20), |s| {
            s.contains("1/4 template") || s.contains("could not open")
        });
        if s.contains("GitOpsTemplate  default/aws-eks-cluster") {
            return s;
        }
        assert!(!s.contains("could not open"), "{s}");
        tmux.keys(&["Escape"]);
        std::thread::sleep(Duration::from_secs(1));
    }
    panic!("the demo's templates never showed up:\n{}", tmux.screen());
}

fn kubectl(kubeconfig: &Path, args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = Command::new("kubectl")
        .args(["--context", "mgmt"])
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write");
    let out = child.wait_with_output().expect("kubectl");
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn git_repository(url: &str) -> String {
    format!(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: fleet-wizard\n  namespace: flux-system\nspec:\n  interval: 1m0s\n  url: {url}\n  ref:\n    branch: main\n"
    )
}

const KUSTOMIZATION: &str = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: fleet-wizard-clusters\n  namespace: flux-system\nspec:\n  interval: 10m0s\n  path: ./clusters/management\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: fleet-wizard\n";

fn line_with<'a>(screen: &'a str, what: &str) -> &'a str {
    screen.lines().find(|l| l.contains(what)).unwrap_or_else(|| panic!("no line with {what:?}:\n{screen}"))
}

fn drive(home: &Path, kubeconfig: &Path, remote: &Path, work: &Path) {
    let before = user_state(work);
    let tmux = Tmux { socket: format!("fleetdeck-wizard-{}", std::process::id()) };
    let script = format!(
        "FLEETDECK_HOME={} KUBECONFIG={} {}; echo EXITED; sleep 600",
        home.display(),
        kubeconfig.display(),
        env!("CARGO_BIN_EXE_fleetdeck")
    );
    let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "120", "-y", "40", "bash", "--norc", "-c", &script]);
    assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
    tmux.wait_for("fleet view", Duration::from_secs(20), |s| s.contains("1 Fleet") && s.contains("mgmt"));

    // Esc on the template list writes nothing.
    let s = open_wizard(&tmux);
    assert!(s.contains(&format!("origin → {}", remote_url(remote))), "{s}");
    assert!(s.contains("policy: 1 rule source(s)"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("cancelled", Duration::from_secs(20), |s| s.contains("cancelled; nothing was written"));

    // The form: the name typed, the region picked; the policy refuses eu-west-1 at its field.
    open_wizard(&tmux);
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the form", Duration::from_secs(20), |s| s.contains("2/4 parameters"));
    assert!(line_with(&s, "CLUSTER_NAME*").contains("✖ required"), "{s}");
    tmux.keys(&["-l", "tui-new"]);
    tmux.keys(&["Tab", "Tab", "Right"]);
    let s = tmux.wait_for("the violation at its field", Duration::from_secs(20), |s| {
        s.contains("eu-west-1 ▶") && s.contains("region eu-west-1 is not allowed")
    });
    assert!(line_with(&s, "AWS_REGION*").contains("✖ policy: region eu-west-1 is not allowed"), "{s}");
    assert!(line_with(&s, "CLUSTER_NAME*").contains('✔'), "{s}");
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the preview", Duration::from_secs(20), |s| s.contains("policy  ✖"));
    assert!(s.contains("1 violation(s) block the write"), "{s}");
    tmux.keys(&["p"]);
    tmux.wait_for("the refusal", Duration::from_secs(20), |s| s.contains("the policy blocks the write"));
    assert_eq!(git(work, &["branch", "--list", "fleetdeck/*"]), "", "nothing written while the policy refuses");

    // Back to the form, the next region, then the preview with every file's diff against main.
    tmux.keys(&["e"]);
    tmux.wait_for("the form again", Duration::from_secs(20), |s| s.contains("2/4 parameters"));
    tmux.keys(&["Right"]);
    let s = tmux.wait_for("a region the policy allows", Duration::from_secs(20), |s| s.contains("eu-central-1 ▶"));
    assert!(line_with(&s, "AWS_REGION*").contains('✔'), "{s}");
    for path in [
        "clusters/management/clusters/team-data/tui-new.yaml",
        "clusters/management/clusters/team-data/tui-new-gitopscluster.yaml",
        "clusters/team-data/tui-new/profiles.yaml",
    ] {
        assert!(s.contains(path), "{path} listed under the form:\n{s}");
    }
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the preview", Duration::from_secs(20), |s| s.contains("policy  ✔ no violations"));
    assert!(s.contains("branch  fleetdeck/create-tui-new  from main at"), "{s}");
    assert!(s.contains("+++ b/clusters/management/clusters/team-data/tui-new.yaml"), "{s}");
    for l in ["+kind: Cluster", "+  name: tui-new", "+  namespace: team-data"] {
        assert!(s.lines().any(|x| x.trim_matches(|c: char| c == '│' || c.is_whitespace()) == l), "{l}:\n{s}");
    }
    // The region chosen in the form is in the AWSManagedControlPlane, further down: a page down shows it.
    tmux.keys(&["NPage"]);
    tmux.wait_for("the region in the preview", Duration::from_secs(20), |s| s.contains("+  region: eu-central-1"));

    // Write and push.
    tmux.keys(&["p"]);
    let s = tmux.wait_for("the commit", Duration::from_secs(20), |s| s.contains("committed and pushed"));
    let commit = git(remote, &["rev-parse", "refs/heads/fleetdeck/create-tui-new"]);
    assert!(line_with(&s, "commit  ").contains(&commit), "the screen shows the pushed commit {commit}:\n{s}");
    // The review hint wraps at the pane's width; read the pane's lines joined.
    let joined: Vec<&str> = s.lines().map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace())).collect();
    assert!(
        joined.join(" ").contains(&format!(
            "open a review (pull request) of fleetdeck/create-tui-new against main on {}",
            remote_url(remote)
        )),
        "{s}"
    );
    let waiting = format!("waiting for a GitRepository of {} to reach {}", remote_url(remote), &commit[..12]);
    // Read again until the frame is whole (a capture can land while a busy machine is still drawing it).
    tmux.wait_for("the demo syncs nothing from this remote, and says so", Duration::from_secs(20), |s| {
        s.contains(&waiting)
    });
    assert_eq!(git(remote, &["log", "-1", "--format=%s", &commit]), "Add cluster tui-new");
    assert_eq!(git(remote, &["rev-parse", &format!("{commit}^")]), git(remote, &["rev-parse", "main"]));
    let files = git(remote, &["diff", "--name-only", "main", &commit]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            "clusters/management/clusters/team-data/tui-new-gitopscluster.yaml",
            "clusters/management/clusters/team-data/tui-new.yaml",
            "clusters/team-data/tui-new/profiles.yaml",
        ]
    );
    let cluster = git(remote, &["show", &format!("{commit}:clusters/management/clusters/team-data/tui-new.yaml")]);
    assert!(cluster.contains("region: eu-central-1") && cluster.contains("replicas: 3\n"), "{cluster}");
    assert_eq!(user_state(work), before, "the user's tree, index and HEAD are untouched");

    // Closed, the status bar keeps tracking the change.
    tmux.keys(&["Enter"]);
    tmux.wait_for("tracking in the status bar", Duration::from_secs(20), |s| {
        s.lines().last().is_some_and(|l| l.contains("fleetdeck/create-tui-new: waiting for a GitRepository of"))
    });

    // The same input again: no new commit.
    open_wizard(&tmux);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the form", Duration::from_secs(20), |s| s.contains("2/4 parameters"));
    tmux.keys(&["-l", "tui-new"]);
    tmux.keys(&["Tab", "Tab", "Right", "Right", "Enter"]);
    tmux.wait_for("the preview", Duration::from_secs(20), |s| s.contains("policy  ✔ no violations"));
    tmux.keys(&["p"]);
    tmux.wait_for("no new commit", Duration::from_secs(20), |s| s.contains("already had this change (no new commit)"));
    assert_eq!(git(remote, &["rev-parse", "refs/heads/fleetdeck/create-tui-new"]), commit);
    assert_eq!(user_state(work), before);
    tmux.keys(&["Enter"]);
    tmux.wait_for("closed", Duration::from_secs(20), |s| !s.contains("New cluster"));

    // The review is merged (fast-forward) and Flux in mgmt syncs the remote: the test plays
    // source-controller (a GitRepository of the remote at the merged commit, status written as the
    // controller would), and the demo's kustomize-controller applies it to a Kustomization building
    // clusters/management. The status bar follows, from the live store.
    git(remote, &["update-ref", "refs/heads/main", &commit]);
    let url = remote_url(remote);
    kubectl(kubeconfig, &["apply", "--validate=false", "-f", "-"], &git_repository(&url));
    let revision = format!("main@sha1:{commit}");
    let status = format!(
        r#"{{"status":{{"artifact":{{"revision":"{revision}","digest":"sha256:{digest}","path":"gitrepository/flux-system/fleet-wizard/{commit}.tar.gz","url":"http://source-controller.flux-system.svc.cluster.local./gitrepository/flux-system/fleet-wizard/{commit}.tar.gz","lastUpdateTime":"2026-01-01T00:00:00Z"}}}}}}"#,
        digest = "0".repeat(64)
    );
    kubectl(
        kubeconfig,
        &[
            "patch",
            "gitrepository",
            "fleet-wizard",
            "-n",
            "flux-system",
            "--subresource=status",
            "--type=merge",
            "-p",
            &status,
        ],
        "",
    );
    tmux.wait_for("the GitRepository reached the commit", Duration::from_secs(20), |s| {
        s.lines().last().is_some_and(|l| l.contains("no Kustomization of that GitRepository builds"))
    });
    kubectl(kubeconfig, &["apply", "--validate=false", "-f", "-"], KUSTOMIZATION);
    tmux.wait_for("applied", Duration::from_secs(30), |s| {
        s.lines().last().is_some_and(|l| l.contains(&format!("✔ {} reached the fleet and is applied", &commit[..12])))
    });

    // Bootstrap of dev-eu, synced from the management cluster: both modes explained, the second chosen.
    tmux.keys(&["2", "/"]);
    tmux.keys(&["-l", "dev-eu"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("dev-eu row", Duration::from_secs(20), |s| {
        s.contains("filter: dev-eu") && s.lines().any(|l| l.contains("platform") && l.contains("dev-eu"))
    });
    tmux.keys(&["B"]);
    let s = tmux.wait_for("the modes", Duration::from_secs(20), |s| s.contains("(•) Flux in the cluster"));
    assert!(s.contains("( ) Synced from the management cluster") && s.contains("dev-eu-kubeconfig Secret"), "{s}");
    tmux.keys(&["Down", "Enter"]);
    // The diffs arrive from a task: wait for them, not only for the screen's title.
    let s = tmux.wait_for("the bootstrap preview", Duration::from_secs(20), |s| {
        s.contains("2/3 preview") && s.contains("+++ b/")
    });
    assert!(s.contains("+++ b/clusters/management/clusters/platform/dev-eu-sync.yaml"), "{s}");
    tmux.keys(&["p"]);
    tmux.wait_for("the bootstrap commit", Duration::from_secs(20), |s| s.contains("committed and pushed"));
    let sync =
        git(remote, &["show", "fleetdeck/bootstrap-dev-eu:clusters/management/clusters/platform/dev-eu-sync.yaml"]);
    assert!(
        sync.contains("name: dev-eu-kubeconfig") && !sync.contains("GitopsCluster"),
        "the repository has one already: {sync}"
    );
    tmux.keys(&["Enter"]);
    tmux.wait_for("closed", Duration::from_secs(20), |s| !s.contains("Bootstrap cluster"));

    // A profile for dev-eu: a chart the demo's templates offer, values edited in the editor.
    tmux.keys(&["P"]);
    let s = tmux.wait_for("the profile form", Duration::from_secs(20), |s| s.contains("1/3 chart"));
    assert!(s.contains("charts from HelmRepository/flux-system/weaveworks-charts in mgmt"), "{s}");
    tmux.keys(&["Right"]);
    tmux.wait_for("a chart filled in", Duration::from_secs(20), |s| s.contains("cert-manager") && s.contains("1.16.1"));
    tmux.keys(&["Tab", "Tab", "Tab", "Tab", "C-End", "Enter"]);
    tmux.keys(&["-l", "installCRDs: false"]);
    tmux.keys(&["C-s"]);
    let s = tmux.wait_for("the profile preview", Duration::from_secs(20), |s| {
        s.contains("2/3 preview") && s.contains("+++ b/")
    });
    assert!(s.contains("+++ b/clusters/platform/dev-eu/profiles.yaml"), "{s}");
    tmux.keys(&["p"]);
    tmux.wait_for("the profile commit", Duration::from_secs(20), |s| s.contains("committed and pushed"));
    let file = git(remote, &["show", "fleetdeck/profile-dev-eu-cert-manager:clusters/platform/dev-eu/profiles.yaml"]);
    assert!(file.contains("name: dev-eu-cert-manager") && file.contains("installCRDs: false"), "{file}");
    assert!(file.contains("kind: HelmRepository") && file.contains("name: dev-eu-kubeconfig"), "{file}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("closed", Duration::from_secs(20), |s| !s.contains("Add profile"));

    // Teardown of the demo's dev-eu Cluster: what goes, the name typed, one commit removing its file.
    tmux.keys(&["X"]);
    let s = tmux.wait_for("the teardown", Duration::from_secs(20), |s| s.contains("type the cluster's name (dev-eu)"));
    assert!(s.contains(&format!("delete {DEV_EU}")) && s.contains("GitopsCluster/platform/dev-eu"), "{s}");
    assert!(s.contains("Flux prunes Cluster/platform/dev-eu; Cluster API then deletes"), "{s}");
    tmux.keys(&["-l", "dev-e"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("a wrong name", Duration::from_secs(20), |s| s.contains("type the cluster's name exactly"));
    tmux.keys(&["-l", "dev-eu"]);
    tmux.keys(&["Enter"]);
    let s = tmux.wait_for("the removal", Duration::from_secs(20), |s| s.contains("committed and pushed"));
    assert!(s.contains("fleetdeck/delete-dev-eu"), "{s}");
    let removal = git(remote, &["rev-parse", "refs/heads/fleetdeck/delete-dev-eu"]);
    assert_eq!(git(remote, &["log", "-1", "--format=%s", &removal]), "Delete cluster platform/dev-eu");
    assert_eq!(git(remote, &["diff", "--name-status", "main", &removal]), format!("D\t{DEV_EU}"));
    assert_eq!(user_state(work), before);
    tmux.keys(&["Enter"]);
    tmux.wait_for("closed", Duration::from_secs(20), |s| !s.contains("Delete cluster"));
    tmux.keys(&["q"]);
    tmux.wait_for("exit", Duration::from_secs(20), |s| s.contains("EXITED"));
}
