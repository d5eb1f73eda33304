//! Flux objects as source-, kustomize- and helm-controller leave them (Flux v2.9 APIs): GitRepository,
//! HelmRepository and HelmChart with their stored artifacts, Kustomizations with inventory and history, and
//! HelmReleases with release history and inventory.
//!
//! Condition reasons and messages are the controllers' own: `stored artifact for revision '<rev>'`,
//! `Applied revision: <rev>`, `Helm upgrade succeeded for release <ns>/<name>.v<n> with chart <chart>@<ver>`,
//! `dependency '<ns>/<name>' is not ready`.

use serde_json::{Value, json};

use super::ids::{self, revision};
use super::meta::{Clock, Conditions, HOUR, MIN, labels, object};

/// `source.toolkit.fluxcd.io/v1`.
pub(super) const SOURCE: &str = "source.toolkit.fluxcd.io/v1";
/// `kustomize.toolkit.fluxcd.io/v1`.
pub(super) const KUSTOMIZE: &str = "kustomize.toolkit.fluxcd.io/v1";
/// `helm.toolkit.fluxcd.io/v2`.
pub(super) const HELM: &str = "helm.toolkit.fluxcd.io/v2";

/// Where source-controller serves artifacts inside the cluster.
const STORAGE: &str = "http://source-controller.flux-system.svc.cluster.local.";

/// Labels kustomize-controller puts on what a Kustomization applies.
pub(super) fn applied_by(obj: &mut Value, kustomization: &str, namespace: &str) {
    labels(
        obj,
        &[("kustomize.toolkit.fluxcd.io/name", kustomization), ("kustomize.toolkit.fluxcd.io/namespace", namespace)],
    );
}

fn artifact(clock: &Clock, path: String, revision: &str, size: u64, updated: i64) -> Value {
    json!({
        "path": path,
        "url": format!("{STORAGE}/{path}"),
        "revision": revision,
        "digest": ids::digest(&format!("artifact/{path}")),
        "lastUpdateTime": clock.ago(updated),
        "size": size,
    })
}

/// A GitRepository on branch `main` at commit number `commit` (see [`revision`]), fetched `updated` seconds ago.
pub(super) fn git_repository(clock: &Clock, ns: &str, name: &str, url: &str, commit: u64, updated: i64) -> Value {
    let rev = revision("main", commit);
    let sha = rev.rsplit(':').next().unwrap_or_default();
    let mut repo = object(SOURCE, "GitRepository", Some(ns), name);
    repo["spec"] = json!({
        "interval": "1m0s",
        "ref": { "branch": "main" },
        "secretRef": { "name": "flux-system" },
        "timeout": "60s",
        "url": url,
    });
    let message = format!("stored artifact for revision '{rev}'");
    repo["status"] = json!({
        "observedGeneration": 1,
        "artifact": artifact(clock, format!("gitrepository/{ns}/{name}/{sha}.tar.gz"), &rev, 48_213 + commit * 97, updated),
        "conditions": Conditions::new(clock, updated)
            .add("Ready", "True", "Succeeded", &message)
            .add("ArtifactInStorage", "True", "Succeeded", &message)
            .build(),
    });
    repo
}

/// A HelmRepository (index type `default`), `annotations` e.g. Weave GitOps' `weave.works/profiles`.
pub(super) fn helm_repository(clock: &Clock, ns: &str, name: &str, url: &str) -> Value {
    let mut repo = object(SOURCE, "HelmRepository", Some(ns), name);
    repo["spec"] = json!({ "interval": "1h0m0s", "url": url, "provider": "generic", "timeout": "60s" });
    let rev = ids::digest(&format!("index/{url}"));
    let hex = rev.trim_start_matches("sha256:");
    let message = format!("stored artifact: revision '{rev}'");
    let updated = 23 * MIN;
    repo["status"] = json!({
        "observedGeneration": 1,
        "url": format!("{STORAGE}/helmrepository/{ns}/{name}/index.yaml"),
        "artifact": artifact(clock, format!("helmrepository/{ns}/{name}/index-{hex}.yaml"), &rev, 2_314_770, updated),
        "conditions": Conditions::new(clock, updated)
            .add("Ready", "True", "Succeeded", &message)
            .add("ArtifactInStorage", "True", "Succeeded", &message)
            .build(),
    });
    repo
}

/// The state a Kustomization is in.
#[derive(Clone, Debug)]
pub(super) enum KsState {
    /// Applied the current revision.
    Ready,
    /// `kustomize build` fails on the current revision; the previous one stays applied.
    BuildFailed(String),
    /// Waits for this dependency (`<ns>/<name>`); the previous revision stays applied.
    DependencyNotReady(String),
}

/// What a Kustomization is.
#[derive(Clone, Debug)]
pub(super) struct Ks {
    pub namespace: String,
    pub name: String,
    pub path: String,
    /// `(kind, name, namespace)` of the source.
    pub source: (String, String, String),
    pub depends_on: Vec<String>,
    /// Secret with the kubeconfig of a remote cluster.
    pub kube_config: Option<String>,
    pub suspend: bool,
    pub state: KsState,
    /// Inventory entries (see [`super::meta::inventory_entry`]).
    pub inventory: Vec<Value>,
    /// Commit number of the source's current revision.
    pub commit: u64,
    pub interval: String,
}

impl Ks {
    /// A Kustomization of `flux-system`'s GitRepository in `flux-system`, Ready, with a 10m interval.
    pub(super) fn new(name: &str, path: &str, commit: u64) -> Self {
        Self {
            namespace: "flux-system".to_owned(),
            name: name.to_owned(),
            path: path.to_owned(),
            source: ("GitRepository".to_owned(), "flux-system".to_owned(), "flux-system".to_owned()),
            depends_on: Vec::new(),
            kube_config: None,
            suspend: false,
            state: KsState::Ready,
            inventory: Vec::new(),
            commit,
            interval: "10m0s".to_owned(),
        }
    }
}

/// Builds a Kustomization with its status.
pub(super) fn kustomization(clock: &Clock, k: &Ks) -> Value {
    let mut ks = object(KUSTOMIZE, "Kustomization", Some(&k.namespace), &k.name);
    let (kind, name, ns) = &k.source;
    let mut source = json!({ "kind": kind, "name": name });
    if ns != &k.namespace {
        source["namespace"] = json!(ns);
    }
    ks["spec"] = json!({
        "interval": k.interval,
        "path": k.path,
        "prune": true,
        "sourceRef": source,
        "timeout": "5m0s",
        "wait": false,
    });
    if !k.depends_on.is_empty() {
        let deps: Vec<Value> = k.depends_on.iter().map(|d| json!({ "name": d })).collect();
        ks["spec"]["dependsOn"] = json!(deps);
    }
    if let Some(secret) = &k.kube_config {
        ks["spec"]["kubeConfig"] = json!({ "secretRef": { "name": secret, "key": "value" } });
    }
    // Written out either way, as many GitOps repositories do (`suspend: false`).
    ks["spec"]["suspend"] = json!(k.suspend);
    if k.suspend {
        ks["spec"]["suspend"] = json!(true);
    }
    let current = revision("main", k.commit);
    let previous = revision("main", k.commit.saturating_sub(1));
    let (applied, attempted, conditions) = match &k.state {
        KsState::Ready => {
            let message = format!("Applied revision: {current}");
            let c = Conditions::new(clock, 6 * MIN).add("Ready", "True", "ReconciliationSucceeded", &message);
            (current.clone(), current, c)
        }
        KsState::BuildFailed(message) => {
            let c = Conditions::new(clock, 41 * MIN).add("Ready", "False", "BuildFailed", message);
            (previous, current, c)
        }
        KsState::DependencyNotReady(dep) => {
            let message = format!("dependency '{dep}' is not ready");
            let c = Conditions::new(clock, 40 * MIN).add("Ready", "False", "DependencyNotReady", &message);
            (previous.clone(), previous, c)
        }
    };
    // A Kustomization that stopped applying last reconciled its snapshot before it started failing.
    let last = if matches!(k.state, KsState::Ready) { 6 * MIN } else { 46 * MIN };
    let history = kustomization_history(clock, k, &applied, last);
    ks["status"] = json!({
        "observedGeneration": 1,
        "conditions": conditions.build(),
        "lastAppliedRevision": applied,
        "lastAttemptedRevision": attempted,
        "inventory": { "entries": k.inventory },
        "history": history,
    });
    ks
}

/// Up to 5 snapshots, newest first: one per distinct set of applied objects (digest), with how often and
/// when it was reconciled.
fn kustomization_history(clock: &Clock, k: &Ks, applied: &str, last_reconciled: i64) -> Value {
    let applied_commit = if applied == revision("main", k.commit) { k.commit } else { k.commit.saturating_sub(1) };
    let key = format!("{}/{}", k.namespace, k.name);
    let entries: Vec<Value> = (0..3u64)
        .filter(|i| applied_commit > *i)
        .map(|i| {
            let commit = applied_commit - i;
            let first = (i as i64 + 1) * 26 * HOUR + 3 * HOUR;
            let last = if i == 0 { last_reconciled } else { i as i64 * 26 * HOUR + 3 * HOUR + 10 * MIN };
            let runs = (first - last) / (10 * MIN) + 1;
            json!({
                "digest": ids::digest(&format!("history/{key}/{commit}")),
                "firstReconciled": clock.ago(first),
                "lastReconciled": clock.ago(last),
                "lastReconciledDuration": format!("{}.{:03}s", 1 + ids::number(&key, 3), ids::number(&format!("{key}/{commit}"), 1000)),
                "lastReconciledStatus": "ReconciliationSucceeded",
                "totalReconciliations": runs,
                "metadata": { "revision": revision("main", commit) },
            })
        })
        .collect();
    json!(entries)
}

/// A HelmChart as helm-controller creates it for a HelmRelease: `<release ns>-<release name>` in the
/// HelmRepository's namespace, artifact revision = chart version.
pub(super) fn helm_chart(clock: &Clock, r: &Release, repo: &Value) -> Value {
    let name = r.chart_object_name();
    let ns = &r.repo.0;
    let (chart_version, _) = r.current();
    let mut chart = object(SOURCE, "HelmChart", Some(ns), &name);
    chart["spec"] = json!({
        "chart": r.chart,
        "version": chart_version,
        "sourceRef": { "kind": "HelmRepository", "name": r.repo.1 },
        "interval": "12h0m0s",
        "reconcileStrategy": "ChartVersion",
    });
    let message = format!("pulled '{}' chart with version '{chart_version}'", r.chart);
    chart["status"] = json!({
        "observedGeneration": 1,
        "observedChartName": r.chart,
        "observedSourceArtifactRevision": repo["status"]["artifact"]["revision"],
        "url": format!("{STORAGE}/helmchart/{ns}/{name}/latest.tar.gz"),
        "artifact": artifact(clock, format!("helmchart/{ns}/{name}/{}-{chart_version}.tgz", r.chart), chart_version, 14_532, r.deployed_ago),
        "conditions": Conditions::new(clock, r.deployed_ago)
            .add("Ready", "True", "ChartPullSucceeded", &message)
            .add("ArtifactInStorage", "True", "ChartPullSucceeded", &message)
            .build(),
    });
    chart
}

/// What a HelmRelease is.
#[derive(Clone, Debug)]
pub(super) struct Release {
    pub namespace: String,
    pub name: String,
    pub chart: String,
    /// `(chart version, app version)` of each Helm release revision, oldest first; the last is deployed.
    pub versions: Vec<(String, String)>,
    /// `(namespace, name)` of the HelmRepository.
    pub repo: (String, String),
    pub suspend: bool,
    pub inventory: Vec<Value>,
    /// Seconds since the deployed revision was installed or upgraded.
    pub deployed_ago: i64,
    pub values: Value,
    /// Index in `versions` of an upgrade that failed (Helm status `failed`) and was followed by a successful
    /// one: helm-controller keeps it in the history down to the previous successful release.
    pub failed: Option<usize>,
}

impl Release {
    /// Name of the HelmChart helm-controller creates for it.
    pub(super) fn chart_object_name(&self) -> String {
        format!("{}-{}", self.namespace, self.name)
    }

    fn current(&self) -> (&str, &str) {
        self.versions.last().map_or(("", ""), |(c, a)| (c.as_str(), a.as_str()))
    }
}

/// Builds a HelmRelease with its status.
pub(super) fn helm_release(clock: &Clock, r: &Release) -> Value {
    let mut hr = object(HELM, "HelmRelease", Some(&r.namespace), &r.name);
    let (chart_version, _) = r.current();
    hr["spec"] = json!({
        "interval": "30m0s",
        "chart": { "spec": {
            "chart": r.chart,
            "version": chart_version,
            "sourceRef": { "kind": "HelmRepository", "name": r.repo.1, "namespace": r.repo.0 },
            "interval": "12h0m0s",
        } },
        "install": { "crds": "CreateReplace", "remediation": { "retries": 3 } },
        "upgrade": { "crds": "CreateReplace", "remediation": { "retries": 3 } },
        "values": r.values,
    });
    hr["spec"]["suspend"] = json!(r.suspend);
    if r.suspend {
        hr["spec"]["suspend"] = json!(true);
    }
    let n = r.versions.len();
    let key = format!("{}/{}", r.namespace, r.name);
    let config_digest = ids::digest(&format!("values/{key}"));
    let history: Vec<Value> = r
        .versions
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (chart_version, app_version))| {
            let deployed = r.deployed_ago + (n - 1 - i) as i64 * 9 * 24 * HOUR;
            json!({
                "name": r.name,
                "namespace": r.namespace,
                "version": i + 1,
                "chartName": r.chart,
                "chartVersion": chart_version,
                "appVersion": app_version,
                "configDigest": config_digest,
                "digest": ids::digest(&format!("release/{key}/{}", i + 1)),
                "firstDeployed": clock.ago(r.deployed_ago + (n - 1) as i64 * 9 * 24 * HOUR),
                "lastDeployed": clock.ago(deployed),
                "status": if i + 1 == n { "deployed" } else if r.failed == Some(i) { "failed" } else { "superseded" },
                "action": if i == 0 { "install" } else { "upgrade" },
            })
        })
        .collect();
    let (action, reason) = if n > 1 { ("upgrade", "UpgradeSucceeded") } else { ("install", "InstallSucceeded") };
    let message = format!(
        "Helm {action} succeeded for release {}/{}.v{n} with chart {}@{chart_version}",
        r.namespace, r.name, r.chart
    );
    hr["status"] = json!({
        "observedGeneration": 1,
        "conditions": Conditions::new(clock, r.deployed_ago)
            .add("Ready", "True", reason, &message)
            .add("Released", "True", reason, &message)
            .build(),
        "helmChart": format!("{}/{}", r.repo.0, r.chart_object_name()),
        "history": history,
        "inventory": { "entries": r.inventory },
        "lastAttemptedGeneration": 1,
        "lastAttemptedReleaseAction": action,
        "lastAttemptedRevision": chart_version,
        "lastAttemptedRevisionDigest": ids::digest(&format!("chart/{key}/{chart_version}")),
        "lastAttemptedConfigDigest": config_digest,
        "lastReleaseRevision": n,
        "storageNamespace": r.namespace,
    });
    hr
}
