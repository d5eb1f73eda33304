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

/// One demo fleet (with its simulated controllers) and a fleetdeck home, per test.
struct Demo {
    dir: tempfile::TempDir,
    fleet: DemoFleet,
    home: std::path::PathBuf,
}

impl Demo {
    async fn start() -> anyhow::Result<Demo> {
        let dir = tempfile::tempdir()?;
        let opts = DemoOptions { dir: dir.path().join("demo"), scale: 0, controllers: true };
        let fleet = DemoFleet::start(&opts, &mut |_| {}).await?;
        let home = dir.path().join("home");
        Ok(Demo { dir, fleet, home })
    }
    fn cli(&self) -> Cli<'_> {
        Cli { kubeconfig: &self.fleet.kubeconfig, home: &self.home }
    }
    /// The journal's (context, verb, result) per line, after checking that no line holds a token or
    /// kubeconfig material, that each names its user and time, and that the file is private (0600).
    fn journal(&self) -> anyhow::Result<Vec<(String, String, String)>> {
        use std::os::unix::fs::PermissionsExt;
        let journal = Journal::in_dir(&self.home.join("state"));
        let entries: Vec<Entry> = journal.read()?;
        assert!(entries.iter().all(|e| !e.user.is_empty() && e.time.contains('T')));
        let text = std::fs::read_to_string(journal.path())?;
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

/// Flux: reconcile (requestedAt handled, Ready evaluated); read-only and the production pattern refuse
/// before sending anything; RBAC refuses the restricted token; a suspended object is refused, then resumed,
/// force-reconciled and suspended again. Every attempt is journaled as it ended.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flux_actions_change_real_objects_and_refusals_change_nothing() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let mgmt = demo.fleet.env.client("mgmt").await?;
    let dev = demo.fleet.env.client("dev-eu").await?;
    let prod = demo.fleet.env.client("prod-us").await?;
    let ks_ar = ar("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations");
    let dev_ks: Api<DynamicObject> = Api::namespaced_with(dev.clone(), "flux-system", &ks_ar);

    // Reconcile: requestedAt written, handled by the controller, Ready evaluated.
    let out = cli.expect(0, &["reconcile", "kustomization", "flux-system/apps", "--context", "dev-eu"]);
    assert!(out.contains("applied revision main@sha1:"), "{out}");
    let apps = dev_ks.get("apps").await?;
    let requested = annotation(&apps, "reconcile.fluxcd.io/requestedAt").expect("requestedAt");
    assert_eq!(at(&apps, "/status/lastHandledReconcileAt").as_str(), Some(requested.as_str()));

    // Read-only (flag) and the production pattern (`*prod*` by default) refuse before sending anything.
    let before = dev_ks.get("apps").await?.metadata.resource_version;
    let out = cli.expect(3, &["--readonly", "reconcile", "ks", "flux-system/apps", "--context", "dev-eu"]);
    assert!(out.contains("read-only"), "{out}");
    assert_eq!(dev_ks.get("apps").await?.metadata.resource_version, before);
    let prod_ks: Api<DynamicObject> = Api::namespaced_with(prod.clone(), "flux-system", &ks_ar);
    let prod_before = prod_ks.get("flux-system").await?.metadata.resource_version;
    let out = cli.expect(3, &["reconcile", "ks", "flux-system/flux-system", "--context", "prod-us"]);
    assert!(out.contains("prod_pattern"), "{out}");
    assert_eq!(prod_ks.get("flux-system").await?.metadata.resource_version, prod_before);

    // RBAC: the restricted token may read Flux objects but not patch them, nor patch Clusters.
    let cluster_ar = ar("cluster.x-k8s.io", "v1beta2", "Cluster", "clusters");
    let clusters: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), "platform", &cluster_ar);
    let sandbox_before = clusters.get("sandbox").await?.metadata.resource_version;
    let out = cli.expect(3, &["pause", "cluster", "platform/sandbox", "--context", "mgmt-restricted"]);
    assert!(out.contains("RBAC: not allowed to patch clusters.cluster.x-k8s.io"), "{out}");
    assert_eq!(clusters.get("sandbox").await?.metadata.resource_version, sandbox_before);
    let out = cli.expect(3, &["reconcile", "ks", "platform/dev-eu-addons", "--context", "mgmt-restricted"]);
    assert!(out.contains("RBAC") && out.contains("kustomizations.kustomize.toolkit.fluxcd.io"), "{out}");

    // Suspended: reconcile refused; resume then reconcile works; suspend sets spec.suspend.
    let hr_ar = ar("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases");
    let hrs: Api<DynamicObject> = Api::namespaced_with(dev.clone(), "podinfo", &hr_ar);
    let out = cli.expect(3, &["reconcile", "helmrelease", "podinfo/podinfo", "--context", "dev-eu"]);
    assert!(out.contains("suspended"), "{out}");
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

    // Usage errors exit 2 and are not attempts: nothing journaled for them.
    cli.expect(2, &["reconcile", "ks", "apps", "--context", "dev-eu"]);
    cli.expect(2, &["suspend", "ks", "flux-system/apps", "--force", "--context", "dev-eu"]);

    // The journal: one line per attempt, in order, results as they were.
    assert_eq!(
        demo.journal()?,
        [
            line("dev-eu", "reconcile", "ok"),
            line("dev-eu", "reconcile", "refused"),
            line("prod-us", "reconcile", "refused"),
            line("mgmt-restricted", "pause", "refused"),
            line("mgmt-restricted", "reconcile", "refused"),
            line("dev-eu", "reconcile", "refused"),
            line("dev-eu", "resume", "ok"),
            line("dev-eu", "reconcile --force", "ok"),
            line("dev-eu", "suspend", "ok"),
        ]
    );
    Ok(())
}

/// Terraform: approve with no pending plan refuses and writes nothing; the readable plan as tfctl shows it;
/// approve the GitOps way (a branch of its own, pushed, the user's working tree untouched, idempotent);
/// replan; approve --live applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terraform_approvals_live_and_in_git() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let mgmt = demo.fleet.env.client("mgmt").await?;
    let tf_ar = ar("infra.contrib.fluxcd.io", "v1alpha2", "Terraform", "terraforms");
    let tfs: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), "flux-system", &tf_ar);
    let net_before = tfs.get("network-eu").await?.metadata.resource_version;
    let out = cli.expect(3, &["approve", "terraform", "flux-system/network-eu", "--live", "--context", "mgmt"]);
    assert!(out.contains("Terraform network-eu has no pending plan to approve"), "{out}");
    assert_eq!(tfs.get("network-eu").await?.metadata.resource_version, net_before);
    let old_plan = at(&tfs.get("rds-orders").await?, "/status/plan/pending").as_str().unwrap_or_default().to_string();
    assert!(old_plan.starts_with("plan-main-"), "seeded pending plan: {old_plan}");

    // The readable plan, as tfctl show plan: printed with the pending id; none stored -> exit 3 saying why.
    let out = cli.expect(0, &["plan", "terraform", "flux-system/rds-orders", "--context", "mgmt"]);
    assert!(out.contains(&format!("# pending plan {old_plan}")) && out.contains("Terraform will perform"), "{out}");
    let out = cli.expect(3, &["plan", "terraform", "flux-system/network-eu", "--context", "mgmt"]);
    assert!(out.contains("storeReadablePlan"), "{out}");

    // Approve the GitOps way (the default): spec.approvePlan committed to the object's manifest on a branch
    // of its own and pushed; the user's working tree untouched; the same approval again makes no commit.
    let approve_before = at(&tfs.get("rds-orders").await?, "/spec/approvePlan").clone();
    let repo = GitRepo::new(demo.dir.path());
    let repo_s = repo.work.to_str().expect("utf-8");
    let before_status = repo.status();
    let out =
        cli.expect(0, &["approve", "tf", "flux-system/rds-orders", "--repo", repo_s, "--push", "--context", "mgmt"]);
    assert!(
        out.contains(&format!("plan {old_plan} approved on branch fleetdeck/approve-rds-orders-{old_plan}")),
        "{out}"
    );
    let branch = format!("fleetdeck/approve-rds-orders-{old_plan}");
    let pushed = repo.remote_file(&branch, "infra/rds-orders.yaml");
    assert!(pushed.contains(&format!("  approvePlan: \"{old_plan}\"\n")), "{pushed}");
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
    // iam-eks-addons has no pending plan (a drift detection plan found changes): refused before git is read.
    let out = cli.expect(3, &["approve", "tf", "flux-system/iam-eks-addons", "--repo", repo_s, "--context", "mgmt"]);
    assert!(out.contains("Terraform iam-eks-addons has no pending plan to approve"), "{out}");
    let out = cli.expect(0, &["replan", "tf", "flux-system/rds-orders", "--context", "mgmt"]);
    assert!(out.contains("is waiting for approval"), "{out}");
    let out = cli.expect(0, &["approve", "tf", "flux-system/rds-orders", "--live", "--context", "mgmt", "-o", "json"]);
    let json: Value = serde_json::from_str(&out)?;
    let plan = json["written"].as_str().expect("plan id").to_string();
    assert_eq!(json["result"], "ok");
    let rds = tfs.get("rds-orders").await?;
    assert_eq!(at(&rds, "/spec/approvePlan").as_str(), Some(plan.as_str()));
    assert_eq!(at(&rds, "/status/plan/lastApplied").as_str(), Some(plan.as_str()));

    // `plan` only reads: not journaled.
    assert_eq!(
        demo.journal()?,
        [
            line("mgmt", "approve", "refused"),
            line("mgmt", "approve", "ok"),
            line("mgmt", "approve", "ok"),
            line("mgmt", "approve", "refused"),
            line("mgmt", "replan", "ok"),
            line("mgmt", "approve", "ok"),
        ]
    );
    Ok(())
}

/// Cluster API: pause / unpause a Cluster; scale a MachineDeployment (Machines follow) and refuse an even
/// KubeadmControlPlane count; pause a rollout; write a workload cluster's kubeconfig (0600, usable, never
/// replaced without --force).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capi_actions_and_the_workload_kubeconfig() -> anyhow::Result<()> {
    let demo = Demo::start().await?;
    let cli = demo.cli();
    let mgmt = demo.fleet.env.client("mgmt").await?;
    let cluster_ar = ar("cluster.x-k8s.io", "v1beta2", "Cluster", "clusters");
    let clusters: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), "platform", &cluster_ar);

    // Pause / unpause a Cluster (the Paused condition follows).
    cli.expect(0, &["pause", "cluster", "platform/dev-eu", "--context", "mgmt"]);
    let c = clusters.get("dev-eu").await?;
    assert_eq!(at(&c, "/spec/paused"), &Value::Bool(true));
    cli.expect(0, &["unpause", "cluster", "platform/dev-eu", "--context", "mgmt"]);
    assert_eq!(at(&clusters.get("dev-eu").await?, "/spec/paused"), &Value::Null);

    // Scale: Machines are created by the controller; an even KCP count is refused.
    let md_ar = ar("cluster.x-k8s.io", "v1beta2", "MachineDeployment", "machinedeployments");
    let mds: Api<DynamicObject> = Api::namespaced_with(mgmt.clone(), "platform", &md_ar);
    let machines: Api<DynamicObject> =
        Api::namespaced_with(mgmt.clone(), "platform", &ar("cluster.x-k8s.io", "v1beta2", "Machine", "machines"));
    let md_machines = ListParams::default().labels("cluster.x-k8s.io/deployment-name=dev-eu-md-0");
    let n = machines.list(&md_machines).await?.items.len() as i64;
    let want = (n + 1).to_string();
    let out = cli
        .expect(0, &["scale", "machinedeployment", "platform/dev-eu-md-0", "--replicas", &want, "--context", "mgmt"]);
    assert!(out.contains(&format!("{want} replicas")), "{out}");
    assert_eq!(machines.list(&md_machines).await?.items.len() as i64, n + 1);
    assert_eq!(at(&mds.get("dev-eu-md-0").await?, "/spec/replicas").as_i64(), Some(n + 1));
    let out = cli.expect(3, &["scale", "kcp", "platform/dev-eu-control-plane", "--replicas", "2", "--context", "mgmt"]);
    assert!(out.contains("odd"), "{out}");
    cli.expect(0, &["pause", "md", "platform/dev-eu-md-0", "--context", "mgmt"]);
    assert_eq!(at(&mds.get("dev-eu-md-0").await?, "/spec/paused"), &Value::Bool(true));

    // A workload cluster's kubeconfig, mode 0600, usable; the file is never replaced without --force.
    let kc = demo.dir.path().join("dev-eu.kubeconfig");
    let kc_s = kc.to_str().expect("utf-8");
    let out = cli.expect(0, &["kubeconfig", "cluster", "platform/dev-eu", "--context", "mgmt", "-f", kc_s]);
    assert!(out.contains("mode 0600") && !out.contains("token"), "{out}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&kc)?.permissions().mode() & 0o777, 0o600);
    let written = kube::config::Kubeconfig::read_from(&kc)?;
    let client = kube::Client::try_from(
        kube::Config::from_custom_kubeconfig(written, &kube::config::KubeConfigOptions::default()).await?,
    )?;
    assert!(client.apiserver_version().await.is_ok(), "the written kubeconfig reaches dev-eu");
    cli.expect(3, &["kubeconfig", "cluster", "platform/dev-eu", "--context", "mgmt", "-f", kc_s]);

    let scaled = format!("scale replicas={want}");
    assert_eq!(
        demo.journal()?,
        [
            line("mgmt", "pause", "ok"),
            line("mgmt", "unpause", "ok"),
            line("mgmt", &scaled, "ok"),
            line("mgmt", "scale replicas=2", "refused"),
            line("mgmt", "pause", "ok"),
        ]
    );
    Ok(())
}
