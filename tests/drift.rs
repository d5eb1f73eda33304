//! The drift diff (issue 15, item 2) on a real kube-apiserver, from a real git repository, built by a real
//! kustomize, with `flux diff kustomization --path` (the upstream CLI) as the oracle for which objects drifted.
//!
//! The fleet: Kustomization `flux-system/web` (path `./apps/web`, `targetNamespace: apps`, prune on, a
//! `postBuild.substitute` variable) applied earlier by "kustomize-controller" (server-side apply as that field
//! manager), then changed by hand: a ConfigMap edited, a Secret's value replaced, a ConfigMap deleted, and a
//! ConfigMap left in the inventory that git no longer has.
mod common;

use std::path::Path;

use common::{git, run};
use fleetdeck::envtest::Envtest;
use fleetdeck::envtest::oracles;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

const LIVE_SECRET: &str = "live-s3cr3t-value";
const GIT_SECRET: &str = "git-s3cr3t-value";

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The GitOps repository: `apps/web` as plain manifests (kustomize-controller generates its
/// kustomization.yaml), `apps/broken` with its own kustomization.yaml and a kind the server does not serve.
fn repository(root: &Path) -> String {
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.email", "t@example.com"]);
    git(root, &["config", "user.name", "t"]);
    let cm =
        |name: &str, data: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n{data}");
    write(root, "apps/web/settings.yaml", &cm("settings", "  mode: git\n  replicas: \"3\"\n"));
    write(root, "apps/web/greeting.yaml", &cm("greeting", "  text: ${GREETING}\n  shell: echo $HOME\n"));
    write(root, "apps/web/config/recreate.yaml", &cm("recreate", "  a: \"1\"\n"));
    write(
        root,
        "apps/web/paused.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: paused\n  annotations:\n    kustomize.toolkit.fluxcd.io/reconcile: disabled\ndata:\n  a: \"1\"\n",
    );
    write(
        root,
        "apps/web/token.yaml",
        &format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: token\ntype: Opaque\nstringData:\n  token: {GIT_SECRET}\n"
        ),
    );
    write(
        root,
        "apps/web/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n    - name: http\n      port: 80\n",
    );
    write(root, "apps/web/README.md", "not a manifest\n");
    write(root, "apps/values/values.yaml", "replicas: 3\n");
    write(root, "apps/missing/kustomization.yaml", "resources:\n  - ./cert-manager\n");
    write(root, "apps/broken/kustomization.yaml", "resources:\n  - ok.yaml\n  - widget.yaml\n");
    write(root, "apps/broken/ok.yaml", &cm("ok", "  a: \"1\"\n"));
    write(root, "apps/broken/widget.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "apps"]);
    git(root, &["rev-parse", "HEAD"])
}

fn labels() -> Value {
    json!({"kustomize.toolkit.fluxcd.io/name": "web", "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
}

/// What kustomize-controller applied for `apps/web` (before the hand edits).
fn applied() -> Vec<Value> {
    let cm = |name: &str, data: Value| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "apps", "labels": labels()}, "data": data})
    };
    vec![
        cm("settings", json!({"mode": "git", "replicas": "3"})),
        cm("greeting", json!({"text": "hello", "shell": "echo $HOME"})),
        cm("recreate", json!({"a": "1"})),
        cm("leftover", json!({"a": "1"})),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "token", "namespace": "apps", "labels": labels()},
            "stringData": {"token": LIVE_SECRET}}),
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "apps", "labels": labels()},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80}]}}),
    ]
}

fn dynamic(client: &kube::Client, api_version: &str, kind: &str, ns: &str) -> Api<DynamicObject> {
    let (g, v) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    Api::namespaced_with(client.clone(), ns, &ApiResource::from_gvk(&GroupVersionKind::gvk(g, v, kind)))
}

async fn kustomization(
    client: &kube::Client,
    name: &str,
    path: &str,
    commit: &str,
    inventory: &[&str],
) -> anyhow::Result<()> {
    let api = dynamic(client, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system");
    let ks = json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
        "metadata": {"name": name, "namespace": "flux-system"},
        "spec": {"interval": "10m", "path": path, "prune": true, "targetNamespace": "apps",
            "sourceRef": {"kind": "GitRepository", "name": "fleet"},
            "postBuild": {"substitute": {"GREETING": "hello"}}}});
    api.create(&PostParams::default(), &serde_json::from_value(ks)?).await?;
    let entries: Vec<Value> = inventory.iter().map(|id| json!({"id": id, "v": "v1"})).collect();
    let status = json!({"status": {"lastAppliedRevision": format!("main@sha1:{commit}"),
        "inventory": {"entries": entries},
        "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded", "message": "Applied",
            "lastTransitionTime": "2026-12-01T00:00:00Z"}]}});
    api.patch_status(name, &PatchParams::default(), &Patch::Merge(status)).await?;
    Ok(())
}

/// `(object, verdict)` of every `► ...` line saying drifted, created or deleted (flux's and fleetdeck's
/// text share that form).
fn drift_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("► "))
        .filter(|l| [" drifted", " created", " deleted"].iter().any(|w| l.ends_with(w)))
        .map(str::to_owned)
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_diff_reports_each_object_masks_secrets_and_agrees_with_flux() -> anyhow::Result<()> {
    let kustomize = oracles::ensure(&oracles::KUSTOMIZE, &mut |l| eprintln!("kustomize: {l}"))?;
    let flux = oracles::ensure(&oracles::FLUX, &mut |l| eprintln!("flux: {l}"))?;
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    let tmp = tempfile::tempdir()?;
    let (repo, home) = (tmp.path().join("fleet"), tmp.path().join("home"));
    std::fs::create_dir_all(&repo)?;
    let commit = repository(&repo);

    let pp = PostParams::default();
    for ns in ["apps", "flux-system"] {
        let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}}))?;
        Api::<Namespace>::all(client.clone()).create(&pp, &ns).await?;
    }
    let ssa = PatchParams::apply("kustomize-controller").force();
    for obj in applied() {
        let api = dynamic(&client, obj["apiVersion"].as_str().unwrap(), obj["kind"].as_str().unwrap(), "apps");
        api.patch(obj["metadata"]["name"].as_str().unwrap(), &ssa, &Patch::Apply(&obj)).await?;
    }
    // By hand, out of band.
    let cms = Api::<ConfigMap>::namespaced(client.clone(), "apps");
    cms.patch("settings", &PatchParams::default(), &Patch::Merge(json!({"data": {"mode": "edited-by-hand"}}))).await?;
    cms.delete("recreate", &Default::default()).await?;
    let inventory = [
        "apps_settings__ConfigMap",
        "apps_greeting__ConfigMap",
        "apps_recreate__ConfigMap",
        "apps_leftover__ConfigMap",
        "apps_token__Secret",
        "apps_web__Service",
    ];
    kustomization(&client, "web", "./apps/web", &commit, &inventory).await?;
    kustomization(&client, "broken", "./apps/broken", &commit, &[]).await?;
    kustomization(&client, "values", "./apps/values", &commit, &[]).await?;
    kustomization(&client, "missing", "./apps/missing", &commit, &[]).await?;

    let fd = Path::new(env!("CARGO_BIN_EXE_fleetdeck"));
    let kc = env.kubeconfig_path().to_owned();
    let repo_arg = repo.display().to_string();
    let kz = kustomize.display().to_string();
    let base = ["diff", "kustomization", "--context", "a", "--repo", &repo_arg, "--kustomize", &kz];

    // The text report, exit 1 for drift.
    let mut args = base.to_vec();
    args.push("flux-system/web");
    let (code, out, err) = run(fd, &args, &kc, &home);
    assert_eq!(code, 1, "drift exits 1: {err}\n{out}");
    let short = &commit[..12];
    let built_with = format!("{} build", kustomize.file_name().unwrap().to_string_lossy());
    let expected = format!(
        "► ConfigMap/apps/greeting unchanged
► ConfigMap/apps/paused skipped (kustomize.toolkit.fluxcd.io/reconcile: disabled)
► ConfigMap/apps/recreate created
► ConfigMap/apps/settings drifted
    --- live
    +++ git main@sha1:{commit}
    @@ -7,5 +7,5 @@
         kustomize.toolkit.fluxcd.io/namespace: flux-system
       namespace: apps
     data:
    -  mode: edited-by-hand
    +  mode: git
       replicas: \"3\"
► Secret/apps/token drifted
    --- live
    +++ git main@sha1:{commit}
    @@ -7,5 +7,5 @@
         kustomize.toolkit.fluxcd.io/namespace: flux-system
       namespace: apps
     data:
    -  token: \"*** (before)\"
    +  token: \"*** (after)\"
     type: Opaque
► Service/apps/web unchanged
► ConfigMap/apps/leftover deleted
Kustomization flux-system/web against {} at {short} ({built_with}): 2 unchanged, 2 drifted, 1 created, 1 deleted, 1 skipped
",
        repo.canonicalize()?.display(),
    );
    assert_eq!(out, expected);
    assert!(err.contains("drift: 2 unchanged, 2 drifted, 1 created, 1 deleted, 1 skipped"), "{err}");
    for secret in [LIVE_SECRET, GIT_SECRET] {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret);
        assert!(!out.contains(secret) && !out.contains(&b64), "a Secret value leaked:\n{out}");
    }

    // The upstream CLI finds the same objects drifted, created and deleted.
    let web = repo.join("apps/web").display().to_string();
    let (flux_code, flux_out, flux_err) =
        run(&flux, &["diff", "kustomization", "web", "-n", "flux-system", "--path", &web], &kc, &home);
    assert_eq!(flux_code, 1, "flux diff exits 1 on drift: {flux_err}\n{flux_out}");
    assert_eq!(drift_lines(&out), drift_lines(&flux_out), "flux said:\n{flux_out}");
    assert_eq!(drift_lines(&out).len(), 4);

    // JSON: every object with its verdict; the same masks.
    let mut args = base.to_vec();
    args.extend(["flux-system/web", "-o", "json"]);
    let (code, out, _) = run(fd, &args, &kc, &home);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out)?;
    let verdicts: Vec<(String, String)> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e["verdict"].as_str().unwrap().to_owned()))
        .collect();
    let expect = [
        ("greeting", "unchanged"),
        ("paused", "skipped"),
        ("recreate", "created"),
        ("settings", "drifted"),
        ("token", "drifted"),
        ("web", "unchanged"),
        ("leftover", "deleted"),
    ];
    assert_eq!(verdicts, expect.map(|(a, b)| (a.to_owned(), b.to_owned())));
    assert_eq!(report["revision"], format!("main@sha1:{commit}"));
    assert_eq!(report["counts"]["drifted"], 2);
    assert!(!out.contains(LIVE_SECRET) && !out.contains(GIT_SECRET));

    // `--path`: the same verdicts from a local folder.
    let (code, out, err) = run(
        fd,
        &["diff", "kustomization", "--context", "a", "--path", &web, "--kustomize", &kz, "flux-system/web"],
        &kc,
        &home,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(drift_lines(&out), drift_lines(&flux_out));

    // An object the server refuses is named with why; the rest is still shown; exit 2.
    let mut args = base.to_vec();
    args.push("flux-system/broken");
    let (code, out, err) = run(fd, &args, &kc, &home);
    assert_eq!(code, 2, "{err}\n{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{err}\n{out}");
    assert_eq!(lines[0], "► ConfigMap/apps/ok created");
    assert!(lines[1].starts_with("✗ Widget/apps/w failed: example.com/v1 Widget is not served"), "{out}");
    assert!(err.contains("1 object(s) could not be judged"), "{err}");

    // A file kustomize-controller's generator refuses: the build fails naming it, exit 2, nothing printed.
    let mut args = base.to_vec();
    args.push("flux-system/values");
    let (code, out, err) = run(fd, &args, &kc, &home);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("apps/values/values.yaml is not a Kubernetes manifest"), "{err}");
    assert!(out.is_empty());

    // kustomize fails: its own message, the folder named, exit 2.
    let mut args = base.to_vec();
    args.push("flux-system/missing");
    let (code, out, err) = run(fd, &args, &kc, &home);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("build failed on \"apps/missing\"") && err.contains("cert-manager"), "{err}");

    // No kustomize where one is named; no repository where one is named: one message each, exit 2.
    let (code, _, err) = run(
        fd,
        &[
            "diff",
            "kustomization",
            "--context",
            "a",
            "--repo",
            &repo_arg,
            "--kustomize",
            "/nonexistent/kustomize",
            "flux-system/web",
        ],
        &kc,
        &home,
    );
    assert_eq!(code, 2);
    assert!(err.contains("--kustomize /nonexistent/kustomize: no such file"), "{err}");
    let not_a_repo = tmp.path().join("home");
    let (code, _, err) = run(
        fd,
        &[
            "diff",
            "kustomization",
            "--context",
            "a",
            "--repo",
            &not_a_repo.display().to_string(),
            "--kustomize",
            &kz,
            "flux-system/web",
        ],
        &kc,
        &home,
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not a git repository"), "{err}");

    // A revision the clone lacks: one message naming it, exit 2.
    let mut args = base.to_vec();
    args.extend(["--revision", "main@sha1:0123456789abcdef0123456789abcdef01234567", "flux-system/web"]);
    let (code, out, err) = run(fd, &args, &kc, &home);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("does not have commit 0123456789abcdef0123456789abcdef01234567")
            && err.contains("git fetch origin"),
        "{err}"
    );
    assert!(out.is_empty());

    // A commit pushed elsewhere since the clone last fetched: the diff fetches it (remote-tracking refs only).
    let remote = tmp.path().join("fleet.git");
    let remote_arg = remote.display().to_string();
    git(tmp.path(), &["init", "-q", "--bare", "-b", "main", &remote_arg]);
    git(&repo, &["remote", "add", "origin", &remote_arg]);
    git(&repo, &["push", "-q", "origin", "main"]);
    let other = tmp.path().join("other");
    git(tmp.path(), &["clone", "-q", &remote_arg, &other.display().to_string()]);
    write(&other, "README.md", "pushed elsewhere\n");
    git(&other, &["add", "README.md"]);
    git(&other, &["-c", "user.email=o@example.com", "-c", "user.name=o", "commit", "-q", "-m", "readme"]);
    git(&other, &["push", "-q", "origin", "main"]);
    let pushed = git(&other, &["rev-parse", "HEAD"]);
    let api = dynamic(&client, "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system");
    let status = json!({"status": {"lastAppliedRevision": format!("main@sha1:{pushed}")}});
    api.patch_status("web", &PatchParams::default(), &Patch::Merge(status)).await?;
    let mut args = base.to_vec();
    args.push("flux-system/web");
    let (code, out, err) = run(fd, &args, &kc, &home);
    assert_eq!(code, 1, "{err}\n{out}");
    assert!(out.contains(&format!("at {} (", &pushed[..12])), "{out}");
    assert_eq!(drift_lines(&out), drift_lines(&flux_out));

    // The user's repository is as it was: clean, on main, at the same commit.
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
    assert_eq!(git(&repo, &["rev-parse", "HEAD"]), commit);
    Ok(())
}

/// From launch to the drifted object's diff in 3 keys, on the demo fleet and its repository: `3` (Flux view,
/// failing objects first), `j` (prod-us `apps`), `D` (diff; the first drifted object is selected: the
/// podinfo HelmRelease someone scaled by hand).
#[test]
fn cockpit_shows_the_drifted_object_s_diff_three_keys_after_launch() {
    let kustomize = oracles::ensure(&oracles::KUSTOMIZE, &mut |l| eprintln!("kustomize: {l}")).expect("kustomize");
    let home = tempfile::tempdir().expect("tempdir");
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(&kustomize, bin.join("kustomize")).unwrap();
    common::with_demo(home.path(), |kubeconfig| {
        let repo = home.path().join("state/demo/fleet");
        assert!(repo.join(".git").is_dir(), "the demo wrote its repository");
        let tmux = common::Tmux { socket: format!("fleetdeck-drift-{}", std::process::id()) };
        let script = format!(
            "PATH={}:$PATH FLEETDECK_HOME={} KUBECONFIG={} {} --repo {}; echo EXITED; sleep 600",
            bin.display(),
            home.path().display(),
            kubeconfig.display(),
            env!("CARGO_BIN_EXE_fleetdeck"),
            repo.display()
        );
        let out = tmux.cmd(&["new-session", "-d", "-s", "t", "-x", "120", "-y", "35", "bash", "--norc", "-c", &script]);
        assert!(out.status.success(), "tmux: {}", String::from_utf8_lossy(&out.stderr));
        tmux.wait_for("fleet view", std::time::Duration::from_secs(20), |s| {
            s.contains("1 Fleet") && s.contains("prod-us")
        });
        tmux.keys(&["3"]);
        let s = tmux.wait_for("Flux view, prod-us apps second", std::time::Duration::from_secs(20), |s| {
            s.lines().nth(4).is_some_and(|l| l.contains("prod-us") && l.contains(" apps "))
        });
        assert!(s.lines().nth(3).is_some_and(|l| l.contains("infrastructure") && l.contains("Failed")), "{s}");
        tmux.keys(&["j"]);
        tmux.keys(&["D"]);
        let s = tmux.wait_for("the drifted HelmRelease's diff", std::time::Duration::from_secs(30), |s| {
            s.contains("-    replicaCount: 3") && s.contains("+    replicaCount: 2")
        });
        assert!(
            s.contains("Diff Kustomization flux-system/apps in prod-us · 2 unchanged, 1 drifted, 1 created"),
            "{s}"
        );
        assert!(s.contains("▸ drifted   HelmRelease/podinfo/podinfo"), "{s}");
        assert!(s.contains("  created   ConfigMap/podinfo/podinfo-env"), "{s}");
        // The next object: the ConfigMap deleted by hand would be created again.
        tmux.keys(&["k"]);
        tmux.wait_for("the deleted ConfigMap", std::time::Duration::from_secs(10), |s| {
            s.contains("not in the cluster: applying git would create it")
        });
        // Esc closes the diff and leaves the Flux view as it was.
        tmux.keys(&["Escape"]);
        tmux.wait_for("back to the Flux view", std::time::Duration::from_secs(10), |s| {
            !s.contains("Diff Kustomization") && s.contains("Flux [all]")
        });
    });
}
