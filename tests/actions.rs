//! Operator actions through the real binary against the demo fleet's simulated controllers: each action
//! changes the real object as specified and its effect is observed; refusals (read-only, production pattern,
//! RBAC, suspended, no pending plan, odd KCP count) change nothing; every attempt is journaled without
//! secrets.
mod common;

use common::git;
use std::path::Path;
use std::process::{Command, Output};

use fleetdeck::demo::{DemoFleet, DemoOptions};
use fleetdeck::ops::journal::{Entry, Journal};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn at<'a>(o: &'a DynamicObject, p: &str) -> &'a Value {
    o.data.pointer(p).unwrap_or(&Value::Null)
}

fn annotation(o: &DynamicObject, key: &str) -> Option<String> {
    o.metadata.annotations.as_ref().and_then(|a| a.get(key)).cloned()
}

/// A GitOps repository: a bare remote and the user's clone (with a local edit and an untracked file).
struct GitRepo {
    remote: std::path::PathBuf,
    work: std::path::PathBuf,
}

impl GitRepo {
    fn new(root: &Path) -> GitRepo {
        let (remote, work) = (root.join("remote.git"), root.join("work"));
        git(root, &["init", "-q", "--bare", "-b", "main", remote.to_str().expect("utf-8")]);
        git(root, &["clone", "-q", remote.to_str().expect("utf-8"), work.to_str().expect("utf-8")]);
        git(&work, &["config", "user.email", "test@example.invalid"]);
        git(&work, &["config", "user.name", "test"]);
        git(&work, &["checkout", "-q", "-b", "main"]);
        std::fs::create_dir_all(work.join("infra")).expect("dir");
        std::fs::write(
            work.join("infra/rds-orders.yaml"),
            "# RDS for the orders service\napiVersion: infra.contrib.fluxcd.io/v1alpha2\nkind: Terraform\n\
             metadata:\n  name: rds-orders\n  namespace: flux-system\nspec:\n  interval: 10m # plan often\n  \
             path: ./rds\n  sourceRef:\n    kind: GitRepository\n    name: infra\n",
        )
        .expect("manifest");
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-qm", "infra"]);
        git(&work, &["push", "-q", "origin", "main"]);
        std::fs::write(work.join("infra/rds-orders.yaml"), "# a local edit, not committed\n").expect("edit");
        std::fs::write(work.join("scratch.txt"), "untracked").expect("untracked");
        GitRepo { remote, work }
    }
    fn status(&self) -> String {
        git(&self.work, &["status", "--porcelain"]) + &git(&self.work, &["rev-parse", "HEAD", "--abbrev-ref", "HEAD"])
    }
    fn remote_commit(&self, branch: &str) -> String {
        git(&self.remote, &["rev-parse", branch])
    }
    fn remote_file(&self, branch: &str, path: &str) -> String {
        git(&self.remote, &["show", &format!("{branch}:{path}")])
    }
}

struct Cli<'a> {
    kubeconfig: &'a Path,
    home: &'a Path,
}

impl Cli<'_> {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_fleetdeck"))
            .args(args)
            .arg("--kubeconfig")
            .arg(self.kubeconfig)
            .env("FLEETDECK_HOME", self.home)
            .env_remove("KUBECONFIG")
            .output()
            .expect("run fleetdeck")
    }
    /// Runs and asserts the exit code; returns stdout + stderr.
    fn expect(&self, code: i32, args: &[&str]) -> String {
        let out = self.run(args);
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(code), "fleetdeck {}:\n{text}", args.join(" "));
        text
    }
}

/// One demo fleet (with its simulated controllers) and a fleetdeck home, per test: nextest runs each test in
/// a process of its own, so a test's fleet is its own and what one test changes no other sees.
struct Demo {
    dir: tempfile::TempDir,
    fleet: DemoFleet,
    home: std::path::PathBuf,
}

impl Demo {
    async fn start() -> anyhow::Result<Demo> {
        let dir = tempfile::tempdir()?;
        let opts = DemoOptions {
            dir: dir.path().join("demo"),
            scale: 0,
            controllers: true,
            contexts: 0,
            flux: fleetdeck::demo::FluxMode::Simulated,
            credential_plugin: None,
        };
        let fleet = DemoFleet::start(&opts, &mut |_| {}).await?;
        let home = dir.path().join("home");
        Ok(Demo { dir, fleet, home })
    }
    fn cli(&self) -> Cli<'_> {
        Cli { kubeconfig: &self.fleet.kubeconfig, home: &self.home }
    }
    /// `namespace`'s objects of a kind on `context`, as the admin.
    async fn api(&self, context: &str, namespace: &str, ar: &ApiResource) -> anyhow::Result<Api<DynamicObject>> {
        Ok(Api::namespaced_with(self.fleet.env.client(context).await?, namespace, ar))
    }
    /// The journal's (context, verb, result) per line, after checking that no line holds a token or
    /// kubeconfig material, that each names its user and time, and that the file is private (0600). No
    /// file: no line.
    fn journal(&self) -> anyhow::Result<Vec<(String, String, String)>> {
        use std::os::unix::fs::PermissionsExt;
        let journal = Journal::in_dir(&self.home.join("state"));
        if !journal.path().exists() {
            return Ok(Vec::new());
        }
        let entries: Vec<Entry> = journal.read()?;
        assert!(entries.iter().all(|e| !e.user.is_empty() && e.time.contains('T')));
        let text = std::fs::read_to_string(journal.path())?;
        assert_eq!(text.lines().count(), entries.len(), "every line is an entry:\n{text}");
        for secret in
            [self.fleet.env.admin_token(), self.fleet.env.restricted_token(), "token", "certificate-authority-data"]
        {
            assert!(!text.contains(secret), "the journal holds {secret:?}");
        }
        assert_eq!(std::fs::metadata(journal.path())?.permissions().mode() & 0o777, 0o600);
        Ok(entries.into_iter().map(|e| (e.context, e.verb, e.result)).collect())
    }
}

fn line(context: &str, verb: &str, result: &str) -> (String, String, String) {
    (context.into(), verb.into(), result.into())
}

fn kustomizations() -> ApiResource {
    ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations")
}

fn helmreleases() -> ApiResource {
    ar("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases")
}

fn terraforms() -> ApiResource {
    ar("infra.contrib.fluxcd.io", "v1alpha2", "Terraform", "terraforms")
}

fn capi(kind: &str, plural: &str) -> ApiResource {
    ar("cluster.x-k8s.io", "v1beta2", kind, plural)
}

// Flux.

/// Reconcile: requestedAt written, handled by the controller, Ready evaluated; journaled as ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_is_handled_by_the_controller() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let dev_ks = demo.api("dev-eu", "flux-system", &kustomizations()).await?;
    let out = demo.cli().expect(0, &["reconcile", "kustomization", "flux-system/apps", "--context", "dev-eu"]);
    assert!(out.contains("applied revision main@sha1:"), "{out}");
    let apps = dev_ks.get("apps").await?;
    let requested = annotation(&apps, "reconcile.fluxcd.io/requestedAt").expect("requestedAt");
    assert_eq!(at(&apps, "/status/lastHandledReconcileAt").as_str(), Some(requested.as_str()));
    assert_eq!(demo.journal()?, [line("dev-eu", "reconcile", "ok")]);
    Ok(())
}

/// Read-only (the flag) and the production pattern (`*prod*` by default) refuse before sending anything,
/// each saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_the_production_pattern_refuse_before_sending() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let dev_ks = demo.api("dev-eu", "flux-system", &kustomizations()).await?;
    let before = dev_ks.get("apps").await?.metadata.resource_version;
    let out = cli.expect(3, &["--readonly", "reconcile", "ks", "flux-system/apps", "--context", "dev-eu"]);
    assert!(out.contains("read-only mode (--readonly)"), "{out}");
    assert_eq!(dev_ks.get("apps").await?.metadata.resource_version, before);

    let prod_ks = demo.api("prod-us", "flux-system", &kustomizations()).await?;
    let prod_before = prod_ks.get("flux-system").await?.metadata.resource_version;
    let out = cli.expect(3, &["reconcile", "ks", "flux-system/flux-system", "--context", "prod-us"]);
    assert!(
        out.contains(
            "context prod-us matches prod_pattern \"*prod*\" and is read-only; set contexts.prod-us.readonly: false \
             in config.yaml to act on it"
        ),
        "{out}"
    );
    assert_eq!(prod_ks.get("flux-system").await?.metadata.resource_version, prod_before);
    assert_eq!(demo.journal()?, [line("dev-eu", "reconcile", "refused"), line("prod-us", "reconcile", "refused")]);
    Ok(())
}

/// RBAC: the restricted token may read Flux objects but not patch them, nor patch Clusters; refused with
/// the verb, resource and object, and nothing changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_refuses_what_the_token_may_not_patch() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let clusters = demo.api("mgmt", "platform", &capi("Cluster", "clusters")).await?;
    let sandbox_before = clusters.get("sandbox").await?.metadata.resource_version;
    let out = cli.expect(3, &["pause", "cluster", "platform/sandbox", "--context", "mgmt-restricted"]);
    assert!(
        out.contains(
            "RBAC: not allowed to patch clusters.cluster.x-k8s.io \"sandbox\" in namespace platform \
             (context mgmt-restricted)"
        ),
        "{out}"
    );
    assert_eq!(clusters.get("sandbox").await?.metadata.resource_version, sandbox_before);
    let mgmt_ks = demo.api("mgmt", "platform", &kustomizations()).await?;
    let addons_before = mgmt_ks.get("dev-eu-addons").await?.metadata.resource_version;
    let out = cli.expect(3, &["reconcile", "ks", "platform/dev-eu-addons", "--context", "mgmt-restricted"]);
    assert!(
        out.contains(
            "RBAC: not allowed to patch kustomizations.kustomize.toolkit.fluxcd.io \"dev-eu-addons\" in namespace \
             platform (context mgmt-restricted)"
        ),
        "{out}"
    );
    assert_eq!(mgmt_ks.get("dev-eu-addons").await?.metadata.resource_version, addons_before);
    assert_eq!(
        demo.journal()?,
        [line("mgmt-restricted", "pause", "refused"), line("mgmt-restricted", "reconcile", "refused")]
    );
    Ok(())
}

/// A suspended HelmRelease: reconcile refused (nothing requested); resume clears spec.suspend; a forced
/// reconcile is handled (forceAt = requestedAt = lastHandledForceAt); suspend sets spec.suspend again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_release_is_refused_then_resumed_forced_and_suspended() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let hrs = demo.api("dev-eu", "podinfo", &helmreleases()).await?;
    let out = cli.expect(3, &["reconcile", "helmrelease", "podinfo/podinfo", "--context", "dev-eu"]);
    assert!(out.contains("podinfo is suspended: resume it first"), "{out}");
    assert_eq!(annotation(&hrs.get("podinfo").await?, "reconcile.fluxcd.io/requestedAt"), None);
    cli.expect(0, &["resume", "hr", "podinfo/podinfo", "--context", "dev-eu"]);
    assert_eq!(at(&hrs.get("podinfo").await?, "/spec/suspend"), &Value::Null);
    let out = cli.expect(0, &["reconcile", "hr", "podinfo/podinfo", "--force", "--context", "dev-eu"]);
    assert!(out.contains('✔'), "{out}");
    let podinfo = hrs.get("podinfo").await?;
    assert_eq!(
        annotation(&podinfo, "reconcile.fluxcd.io/forceAt"),
        annotation(&podinfo, "reconcile.fluxcd.io/requestedAt")
    );
    assert_eq!(
        at(&podinfo, "/status/lastHandledForceAt").as_str(),
        annotation(&podinfo, "reconcile.fluxcd.io/forceAt").as_deref()
    );
    cli.expect(0, &["suspend", "hr", "podinfo/podinfo", "--context", "dev-eu"]);
    assert_eq!(at(&hrs.get("podinfo").await?, "/spec/suspend"), &Value::Bool(true));
    assert_eq!(
        demo.journal()?,
        [
            line("dev-eu", "reconcile", "refused"),
            line("dev-eu", "resume", "ok"),
            line("dev-eu", "reconcile --force", "ok"),
            line("dev-eu", "suspend", "ok"),
        ]
    );
    Ok(())
}

/// Usage errors (a target without its namespace, a flag the verb does not take) exit 2 before anything is
/// read and are not attempts: nothing journaled. No fleet needed: the kubeconfig named does not exist.
#[test]
fn usage_errors_exit_2_and_are_not_journaled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let cli = Cli { kubeconfig: &dir.path().join("no-such-kubeconfig"), home: &home };
    cli.expect(2, &["reconcile", "ks", "apps", "--context", "dev-eu"]);
    cli.expect(2, &["suspend", "ks", "flux-system/apps", "--force", "--context", "dev-eu"]);
    let journal = Journal::in_dir(&home.join("state"));
    assert!(!journal.path().exists(), "nothing journaled: {:?}", journal.read());
}

// Terraform.

/// Approve with no pending plan refuses, live (nothing patched) and in git (before the repository is read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_without_a_pending_plan_is_refused() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let tfs = demo.api("mgmt", "flux-system", &terraforms()).await?;
    let net_before = tfs.get("network-eu").await?.metadata.resource_version;
    let out = cli.expect(3, &["approve", "terraform", "flux-system/network-eu", "--live", "--context", "mgmt"]);
    assert!(out.contains("Terraform network-eu has no pending plan to approve"), "{out}");
    assert_eq!(tfs.get("network-eu").await?.metadata.resource_version, net_before);
    // iam-eks-addons has no pending plan (a drift detection plan found changes): refused before git is read,
    // so a repository without its manifest is never looked at.
    let repo = GitRepo::new(demo.dir.path());
    let before_status = repo.status();
    let repo_s = repo.work.to_str().expect("utf-8");
    let out = cli.expect(3, &["approve", "tf", "flux-system/iam-eks-addons", "--repo", repo_s, "--context", "mgmt"]);
    assert!(out.contains("Terraform iam-eks-addons has no pending plan to approve"), "{out}");
    assert_eq!(repo.status(), before_status);
    assert_eq!(demo.journal()?, [line("mgmt", "approve", "refused"), line("mgmt", "approve", "refused")]);
    Ok(())
}

/// The readable plan, as tfctl show plan: printed with the pending id; none stored -> exit 3 saying why.
/// Reading is not an attempt: nothing journaled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_prints_the_readable_plan() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let tfs = demo.api("mgmt", "flux-system", &terraforms()).await?;
    let pending = at(&tfs.get("rds-orders").await?, "/status/plan/pending").as_str().unwrap_or_default().to_string();
    assert!(pending.starts_with("plan-main-"), "seeded pending plan: {pending}");
    let out = cli.expect(0, &["plan", "terraform", "flux-system/rds-orders", "--context", "mgmt"]);
    assert!(out.contains(&format!("# pending plan {pending}")) && out.contains("Terraform will perform"), "{out}");
    assert!(
        out.contains(
            "# summary: ~1 -1 -/+1\n#   - aws_db_option_group.orders_legacy\n# -/+ aws_db_parameter_group.orders\n#   ~ aws_db_instance.orders\n"
        ),
        "the per-resource summary, destroys first: {out}"
    );
    let out = cli.expect(3, &["plan", "terraform", "flux-system/network-eu", "--context", "mgmt"]);
    assert!(out.contains("storeReadablePlan"), "{out}");
    assert_eq!(demo.journal()?, []);
    Ok(())
}

/// Approve the GitOps way (the default): spec.approvePlan committed to the object's manifest (comments kept)
/// on a branch of its own and pushed; the user's working tree untouched; nothing patched live; the same
/// approval again makes no commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_in_git_commits_on_a_branch_of_its_own() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let tfs = demo.api("mgmt", "flux-system", &terraforms()).await?;
    let rds = tfs.get("rds-orders").await?;
    let pending = at(&rds, "/status/plan/pending").as_str().unwrap_or_default().to_string();
    assert!(pending.starts_with("plan-main-"), "seeded pending plan: {pending}");
    let approve_before = at(&rds, "/spec/approvePlan").clone();
    let repo = GitRepo::new(demo.dir.path());
    let repo_s = repo.work.to_str().expect("utf-8");
    let before_status = repo.status();
    let out =
        cli.expect(0, &["approve", "tf", "flux-system/rds-orders", "--repo", repo_s, "--push", "--context", "mgmt"]);
    let branch = format!("fleetdeck/approve-rds-orders-{pending}");
    assert!(out.contains(&format!("plan {pending} approved on branch {branch}")), "{out}");
    let pushed = repo.remote_file(&branch, "infra/rds-orders.yaml");
    assert!(pushed.contains(&format!("  approvePlan: \"{pending}\"\n")), "{pushed}");
    assert!(pushed.starts_with("# RDS for the orders service\n"), "comments kept: {pushed}");
    let first = repo.remote_commit(&branch);
    cli.expect(0, &["approve", "tf", "flux-system/rds-orders", "--repo", repo_s, "--push", "--context", "mgmt"]);
    assert_eq!(repo.remote_commit(&branch), first, "the same approval again makes no new commit");
    assert_eq!(repo.status(), before_status, "the user's working tree, index and branch are untouched");
    assert_eq!(
        at(&tfs.get("rds-orders").await?, "/spec/approvePlan"),
        &approve_before,
        "git approval patches nothing live"
    );
    assert_eq!(demo.journal()?, [line("mgmt", "approve", "ok"), line("mgmt", "approve", "ok")]);
    Ok(())
}

/// Replan: a new plan waits for approval; approve --live then writes spec.approvePlan and the controller
/// applies that plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replan_then_approve_live_applies() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let tfs = demo.api("mgmt", "flux-system", &terraforms()).await?;
    let out = cli.expect(0, &["replan", "tf", "flux-system/rds-orders", "--context", "mgmt"]);
    assert!(out.contains("is waiting for approval"), "{out}");
    let out = cli.expect(0, &["approve", "tf", "flux-system/rds-orders", "--live", "--context", "mgmt", "-o", "json"]);
    let json: Value = serde_json::from_str(&out)?;
    let plan = json["written"].as_str().expect("plan id").to_string();
    assert_eq!(json["result"], "ok");
    let rds = tfs.get("rds-orders").await?;
    assert_eq!(at(&rds, "/spec/approvePlan").as_str(), Some(plan.as_str()));
    assert_eq!(at(&rds, "/status/plan/lastApplied").as_str(), Some(plan.as_str()));
    assert_eq!(demo.journal()?, [line("mgmt", "replan", "ok"), line("mgmt", "approve", "ok")]);
    Ok(())
}

// Cluster API.

/// Pause / unpause a Cluster (spec.paused set, then removed); pause a MachineDeployment's rollout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_unpause_a_cluster_and_pause_a_rollout() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let clusters = demo.api("mgmt", "platform", &capi("Cluster", "clusters")).await?;
    cli.expect(0, &["pause", "cluster", "platform/dev-eu", "--context", "mgmt"]);
    assert_eq!(at(&clusters.get("dev-eu").await?, "/spec/paused"), &Value::Bool(true));
    cli.expect(0, &["unpause", "cluster", "platform/dev-eu", "--context", "mgmt"]);
    assert_eq!(at(&clusters.get("dev-eu").await?, "/spec/paused"), &Value::Null);
    let mds = demo.api("mgmt", "platform", &capi("MachineDeployment", "machinedeployments")).await?;
    cli.expect(0, &["pause", "md", "platform/dev-eu-md-0", "--context", "mgmt"]);
    assert_eq!(at(&mds.get("dev-eu-md-0").await?, "/spec/paused"), &Value::Bool(true));
    assert_eq!(
        demo.journal()?,
        [line("mgmt", "pause", "ok"), line("mgmt", "unpause", "ok"), line("mgmt", "pause", "ok")]
    );
    Ok(())
}

/// Scale a MachineDeployment: spec.replicas written and the controller's Machines follow before it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_a_machinedeployment_and_its_machines_follow() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let mds = demo.api("mgmt", "platform", &capi("MachineDeployment", "machinedeployments")).await?;
    let machines = demo.api("mgmt", "platform", &capi("Machine", "machines")).await?;
    let md_machines = ListParams::default().labels("cluster.x-k8s.io/deployment-name=dev-eu-md-0");
    let n = machines.list(&md_machines).await?.items.len() as i64;
    let want = (n + 1).to_string();
    let out = demo
        .cli()
        .expect(0, &["scale", "machinedeployment", "platform/dev-eu-md-0", "--replicas", &want, "--context", "mgmt"]);
    assert!(out.contains(&format!("{want} replicas")), "{out}");
    assert_eq!(machines.list(&md_machines).await?.items.len() as i64, n + 1);
    assert_eq!(at(&mds.get("dev-eu-md-0").await?, "/spec/replicas").as_i64(), Some(n + 1));
    assert_eq!(demo.journal()?, [line("mgmt", &format!("scale replicas={want}"), "ok")]);
    Ok(())
}

/// An even KubeadmControlPlane count is refused (stacked etcd needs a quorum) and nothing is patched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_even_control_plane_count_is_refused() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let kcps = demo
        .api(
            "mgmt",
            "platform",
            &ar("controlplane.cluster.x-k8s.io", "v1beta2", "KubeadmControlPlane", "kubeadmcontrolplanes"),
        )
        .await?;
    let before = kcps.get("dev-eu-control-plane").await?.metadata.resource_version;
    let out = demo
        .cli()
        .expect(3, &["scale", "kcp", "platform/dev-eu-control-plane", "--replicas", "2", "--context", "mgmt"]);
    assert!(
        out.contains(
            "KubeadmControlPlane dev-eu-control-plane: replicas must be an odd number (stacked etcd needs a quorum), \
             not 2"
        ),
        "{out}"
    );
    assert_eq!(kcps.get("dev-eu-control-plane").await?.metadata.resource_version, before);
    assert_eq!(demo.journal()?, [line("mgmt", "scale replicas=2", "refused")]);
    Ok(())
}

/// A workload cluster's kubeconfig: written with mode 0600, no token printed, usable against the workload
/// cluster; an existing file is never replaced without --force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workload_kubeconfig_is_private_usable_and_not_overwritten() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let kc = demo.dir.path().join("dev-eu.kubeconfig");
    let kc_s = kc.to_str().expect("utf-8");
    let out = cli.expect(0, &["kubeconfig", "cluster", "platform/dev-eu", "--context", "mgmt", "-f", kc_s]);
    assert!(out.contains("mode 0600") && !out.contains("token"), "{out}");
    assert_eq!(std::fs::metadata(&kc)?.permissions().mode() & 0o777, 0o600);
    let written = std::fs::read(&kc)?;
    let config = kube::config::Kubeconfig::read_from(&kc)?;
    let client = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(config, &kube::config::KubeConfigOptions::default()).await?,
    )?;
    assert!(client.apiserver_version().await.is_ok(), "the written kubeconfig reaches dev-eu");
    cli.expect(3, &["kubeconfig", "cluster", "platform/dev-eu", "--context", "mgmt", "-f", kc_s]);
    assert_eq!(std::fs::read(&kc)?, written, "the file is left as it was");
    // Reading credentials changes nothing: not journaled.
    assert_eq!(demo.journal()?, []);
    Ok(())
}
