//! Issue 16, item 1: `fleetdeck get helmrelease|kustomization` against a real kube-apiserver with Flux's
//! upstream CRDs (which validate the history the test writes, as helm-controller's would be): the Helm
//! releases newest first with a failed upgrade, the last attempt and its remediation, the failure counters,
//! inline values, `valuesFrom` names without the Secret's content; a Kustomization's snapshots; a missing
//! object named.
mod common;

use fleetdeck::envtest::Envtest;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::json;

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn release(version: i64, status: &str, action: &str, chart: &str, deployed: &str) -> serde_json::Value {
    json!({"name": "web", "namespace": "apps", "version": version, "status": status, "action": action,
        "chartName": "podinfo", "chartVersion": chart, "appVersion": chart,
        "configDigest": format!("sha256:{}", "c".repeat(64)), "digest": format!("sha256:{}", "d".repeat(64)),
        "firstDeployed": "2026-11-01T10:00:00Z", "lastDeployed": deployed})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_prints_release_history_values_and_snapshots() -> anyhow::Result<()> {
    let env = Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    let pp = PostParams::default();
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": "apps"}}))?;
    Api::<Namespace>::all(client.clone()).create(&pp, &ns).await?;
    let secret: Secret = serde_json::from_value(
        json!({"metadata": {"name": "web-auth"}, "stringData": {"auth.yaml": "password: s3cr3t"}}),
    )?;
    Api::<Secret>::namespaced(client.clone(), "apps").create(&pp, &secret).await?;

    let hr_api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "apps",
        &resource("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases"),
    );
    let hr: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {"name": "web", "namespace": "apps"},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": "podinfo", "sourceRef": {"kind": "HelmRepository", "name": "podinfo"}}},
            "values": {"replicaCount": 2},
            "valuesFrom": [{"kind": "Secret", "name": "web-auth", "valuesKey": "auth.yaml", "targetPath": "auth"}]}}))?;
    hr_api.create(&pp, &hr).await?;
    let status = json!({"status": {
        "history": [release(3, "deployed", "upgrade", "6.8.0", "2026-12-01T10:00:00Z"),
                    release(2, "failed", "upgrade", "6.7.1", "2026-11-20T10:00:00Z"),
                    release(1, "superseded", "install", "6.7.0", "2026-11-01T10:00:00Z")],
        "failures": 1, "upgradeFailures": 1,
        "lastAttemptedReleaseAction": "upgrade", "lastAttemptedRevision": "6.9.0",
        "lastAttemptedReleaseActionDuration": "5m0.2s",
        "conditions": [
            {"type": "Ready", "status": "False", "reason": "UpgradeFailed", "message": "m",
             "lastTransitionTime": "2026-12-01T11:00:00Z", "observedGeneration": 1},
            {"type": "Released", "status": "False", "reason": "UpgradeFailed",
             "message": "Helm upgrade failed for release apps/web with chart podinfo@6.9.0: context deadline exceeded",
             "lastTransitionTime": "2026-12-01T11:00:00Z", "observedGeneration": 1},
            {"type": "Remediated", "status": "True", "reason": "RollbackSucceeded", "message": "Helm rollback to previous release apps/web.v3 succeeded",
             "lastTransitionTime": "2026-12-01T11:00:05Z", "observedGeneration": 1}]}});
    hr_api.patch_status("web", &PatchParams::default(), &Patch::Merge(&status)).await?;

    let ks_api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "apps",
        &resource("kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations"),
    );
    let ks: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": {"name": "apps", "namespace": "apps"},
        "spec": {"interval": "10m", "path": "./", "prune": true, "sourceRef": {"kind": "GitRepository", "name": "fleet"}}}))?;
    ks_api.create(&pp, &ks).await?;
    let snapshot = json!({"digest": format!("sha256:{}", "e".repeat(64)), "firstReconciled": "2026-12-01T10:00:00Z",
        "lastReconciled": "2026-12-01T11:00:00Z", "lastReconciledDuration": "2.1s",
        "lastReconciledStatus": "HealthCheckFailed", "totalReconciliations": 7,
        "metadata": {"revision": "main@sha1:0123456789abcdef0123456789abcdef01234567"}});
    ks_api
        .patch_status(
            "apps",
            &PatchParams::default(),
            &Patch::Merge(&json!({"status": {"history": [snapshot],
            "lastAppliedRevision": "main@sha1:0123456789abcdef0123456789abcdef01234567",
            "lastAttemptedRevision": "main@sha1:0123456789abcdef0123456789abcdef01234567"}})),
        )
        .await?;

    let home = tempfile::tempdir()?;
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_fleetdeck"));
    let kc = env.kubeconfig_path();
    let (code, out, err) =
        common::run(bin, &["get", "helmrelease", "apps/web", "--context", "a", "-o", "json"], kc, home.path());
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out)?;
    let revisions: Vec<(i64, &str)> = v["releases"]
        .as_array()
        .expect("releases")
        .iter()
        .map(|r| (r["revision"].as_i64().unwrap_or(0), r["status"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(revisions, [(3, "deployed"), (2, "failed"), (1, "superseded")]);
    assert_eq!(v["lastAttempt"]["result"], "failed");
    assert_eq!(v["lastAttempt"]["remediated"], "RollbackSucceeded");
    assert_eq!((v["failures"].as_i64(), v["upgradeFailures"].as_i64()), (Some(1), Some(1)));
    assert_eq!(
        v["valuesFrom"][0],
        json!({"kind": "Secret", "name": "web-auth", "key": "auth.yaml",
        "targetPath": "auth", "optional": false})
    );
    assert_eq!(v["object"], json!({"context": "a", "kind": "HelmRelease", "namespace": "apps", "name": "web"}));

    let (code, text, err) = common::run(bin, &["get", "helmrelease", "apps/web", "--context", "a"], kc, home.path());
    assert_eq!(code, 0, "{err}");
    assert!(!text.contains("s3cr3t") && !out.contains("s3cr3t"), "never the Secret's content:\n{text}");
    let expected = "\
last attempt: upgrade 6.9.0: failed (UpgradeFailed) in 5m0.2s
  Helm upgrade failed for release apps/web with chart podinfo@6.9.0: context deadline exceeded
remediated: RollbackSucceeded
failures: 1 (install 0, upgrade 1)

REVISION  UPDATED               STATUS      CHART          APP VERSION  ACTION   CONFIG DIGEST
3         2026-12-01T10:00:00Z  deployed    podinfo-6.8.0  6.8.0        upgrade  sha256:cccccccccccc
2         2026-11-20T10:00:00Z  failed      podinfo-6.7.1  6.7.1        upgrade  sha256:cccccccccccc
1         2026-11-01T10:00:00Z  superseded  podinfo-6.7.0  6.7.0        install  sha256:cccccccccccc

values:
  replicaCount: 2
valuesFrom:
  Secret web-auth key auth.yaml at auth
";
    assert_eq!(text, expected);

    let (code, text, err) = common::run(bin, &["get", "kustomization", "apps/apps", "--context", "a"], kc, home.path());
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("2026-12-01T11:00:00Z  HealthCheckFailed  main@sha1:0123456789abcdef0123456789abcdef01234567  7      2.1s      sha256:eeeeeeeeeeee"),
        "{text}"
    );

    let (code, _, err) = common::run(bin, &["get", "helmrelease", "apps/gone", "--context", "a"], kc, home.path());
    assert_ne!(code, 0);
    assert!(err.contains("HelmRelease apps/gone not found in context a"), "{err}");
    Ok(())
}
