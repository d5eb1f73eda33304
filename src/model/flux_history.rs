//! What a Flux object's controller recorded of its past: a HelmRelease's Helm releases, failure counters, last
//! attempted action and the values it is given; a Kustomization's reconciliation snapshots or, before
//! kustomize-controller v1.7 (Flux v2.7), its last applied / attempted revisions.
//!
//! Upstream: helm-controller `api/v2/snapshot_types.go` (`status.history[]`, newest first, kept down to the
//! previous deployed / superseded release) and `api/v2/helmrelease_types.go` (counters `failures`,
//! `installFailures`, `upgradeFailures`; `lastAttemptedReleaseAction` install|upgrade and its duration;
//! `spec.values`, `spec.valuesFrom[]`); kustomize-controller `api/v1/kustomization_types.go` with fluxcd/pkg
//! `apis/meta` `Snapshot` (`status.history[]`, newest first, at most 5).
//!
//! Reading is lenient about what is missing (an object nobody reconciled has no status) and says what is
//! wrong instead of guessing: a field of the wrong type becomes a note naming it, never a panic. Secret
//! content is never read: `valuesFrom` gives kinds, names and keys only.
use k8s_openapi::jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;

use super::conditions::{self, ConditionStatus};

/// One Helm release revision as helm-controller records it in `status.history[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmRevision {
    /// Helm's release revision (`version`), 1 for the first install.
    pub revision: i64,
    /// Helm's release status: `deployed`, `superseded`, `failed`, `uninstalled`, `pending-upgrade`, ...
    pub status: String,
    /// `install|upgrade|rollback|uninstall|uninstall-remediation` (helm-controller v1.5+), else empty.
    pub action: String,
    pub chart_name: String,
    pub chart_version: String,
    pub app_version: String,
    /// The digest of the values this revision was rendered with (`<algo>:<hex>`).
    pub config_digest: String,
    pub first_deployed: Option<Timestamp>,
    pub last_deployed: Option<Timestamp>,
    pub deleted: Option<Timestamp>,
}

/// The release action helm-controller attempted last and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastAttempt {
    /// `install` or `upgrade` (`status.lastAttemptedReleaseAction`; empty when not recorded).
    pub action: String,
    /// The chart version attempted (`status.lastAttemptedRevision`).
    pub revision: String,
    /// How long it took, as the controller wrote it (`lastAttemptedReleaseActionDuration`, e.g. `1m2.5s`).
    pub duration: String,
    /// `succeeded` or `failed` from the `Released` condition, `unknown` without one.
    pub result: String,
    /// The `Released` condition's reason (`InstallSucceeded`, `UpgradeFailed`, ...).
    pub reason: String,
    /// The `Released` condition's message.
    pub message: String,
    /// The `Remediated` condition when it is True (`RollbackSucceeded`, `UninstallSucceeded`): what
    /// helm-controller did after the failure.
    pub remediated: Option<String>,
}

/// Where a HelmRelease's values come from. Only names and keys: never the content of a ConfigMap or Secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ValuesFrom {
    /// `ConfigMap` or `Secret`.
    pub kind: String,
    pub name: String,
    /// The key read (`valuesKey`, default `values.yaml`).
    pub key: String,
    /// Where in the values it is merged (`targetPath`), empty for the root.
    pub target_path: String,
    pub optional: bool,
}

/// A HelmRelease's history and inputs, read from the object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmReleaseHistory {
    /// Newest first, as stored.
    pub releases: Vec<HelmRevision>,
    /// `status.failures`: failed reconciliations since the last success.
    pub failures: i64,
    /// `status.installFailures`: failed installs since the last success.
    pub install_failures: i64,
    /// `status.upgradeFailures`: failed upgrades since the last success.
    pub upgrade_failures: i64,
    pub last_attempt: Option<LastAttempt>,
    /// `spec.values` as YAML, empty when there are none.
    pub values: String,
    pub values_from: Vec<ValuesFrom>,
    /// What is missing or malformed, one sentence each, naming the field.
    pub notes: Vec<String>,
}

/// One reconciliation snapshot of a Kustomization (`status.history[]`, fluxcd/pkg `apis/meta.Snapshot`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationSnapshot {
    /// The source revision applied (`metadata.revision`).
    pub revision: String,
    /// `ReconciliationSucceeded|ReconciliationFailed|HealthCheckFailed|PruneFailed`.
    pub status: String,
    /// How many reconciliations ended with this digest and status.
    pub total: i64,
    pub first_reconciled: Option<Timestamp>,
    pub last_reconciled: Option<Timestamp>,
    /// As the controller wrote it (`lastReconciledDuration`, e.g. `2.1s`).
    pub duration: String,
    /// The sha256 of the built manifests.
    pub digest: String,
}

/// A Kustomization's history: the snapshots where the API has them, and the last revisions always.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KustomizationHistory {
    /// Newest first; empty before kustomize-controller v1.7 (Flux v2.7).
    pub snapshots: Vec<KustomizationSnapshot>,
    pub last_applied_revision: String,
    pub last_attempted_revision: String,
    pub notes: Vec<String>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn time(v: &Value, key: &str) -> Option<Timestamp> {
    v.get(key).and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// An integer field; a value of another type is a note.
fn count(status: &Value, key: &str, notes: &mut Vec<String>) -> i64 {
    match status.get(key) {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().unwrap_or_else(|| {
            notes.push(format!("status.{key} is not a number: {v}"));
            0
        }),
    }
}

/// The array at `status.history`, or a note saying why there is none.
fn history<'a>(status: &'a Value, notes: &mut Vec<String>) -> &'a [Value] {
    match status.get("history") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(a)) => a,
        Some(other) => {
            notes.push(format!("status.history is not a list: {}", short(other)));
            &[]
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 { format!("{}...", s.chars().take(60).collect::<String>()) } else { s }
}

/// Reads a HelmRelease's history, counters, last attempt and values from its JSON (`DynamicObject::data`:
/// `spec` and `status` at the top).
pub fn helm_release(data: &Value) -> HelmReleaseHistory {
    let mut notes = Vec::new();
    let status = data.get("status").unwrap_or(&Value::Null);
    let mut releases = Vec::new();
    for (i, e) in history(status, &mut notes).iter().enumerate() {
        if !e.is_object() {
            notes.push(format!("status.history[{i}] is not an object: {}", short(e)));
            continue;
        }
        let Some(revision) = e.get("version").and_then(Value::as_i64) else {
            notes.push(format!("status.history[{i}] has no revision (version)"));
            continue;
        };
        releases.push(HelmRevision {
            revision,
            status: text(e, "status"),
            action: text(e, "action"),
            chart_name: text(e, "chartName"),
            chart_version: text(e, "chartVersion"),
            app_version: text(e, "appVersion"),
            config_digest: text(e, "configDigest"),
            first_deployed: time(e, "firstDeployed"),
            last_deployed: time(e, "lastDeployed"),
            deleted: time(e, "deleted"),
        });
    }
    if status.is_object() && status.get("history").is_none() {
        notes.push("no release history (status.history): nothing was installed yet".into());
    }
    let failures = count(status, "failures", &mut notes);
    let install_failures = count(status, "installFailures", &mut notes);
    let upgrade_failures = count(status, "upgradeFailures", &mut notes);
    let last_attempt = last_attempt(data, status, &mut notes);
    let spec = data.get("spec").unwrap_or(&Value::Null);
    let values = match spec.get("values") {
        None | Some(Value::Null) => String::new(),
        Some(v @ Value::Object(m)) if !m.is_empty() => {
            serde_saphyr::to_string(v).unwrap_or_else(|e| format!("(cannot render: {e})"))
        }
        Some(Value::Object(_)) => String::new(),
        Some(other) => {
            notes.push(format!("spec.values is not a map: {}", short(other)));
            String::new()
        }
    };
    let mut values_from = Vec::new();
    match spec.get("valuesFrom") {
        None | Some(Value::Null) => {}
        Some(Value::Array(refs)) => {
            for (i, r) in refs.iter().enumerate() {
                let (kind, name) = (text(r, "kind"), text(r, "name"));
                if kind.is_empty() || name.is_empty() {
                    notes.push(format!("spec.valuesFrom[{i}] names no kind and name: {}", short(r)));
                    continue;
                }
                let key = Some(text(r, "valuesKey")).filter(|k| !k.is_empty()).unwrap_or_else(|| "values.yaml".into());
                values_from.push(ValuesFrom {
                    kind,
                    name,
                    key,
                    target_path: text(r, "targetPath"),
                    optional: r.get("optional").and_then(Value::as_bool).unwrap_or(false),
                });
            }
        }
        Some(other) => notes.push(format!("spec.valuesFrom is not a list: {}", short(other))),
    }
    HelmReleaseHistory {
        releases,
        failures,
        install_failures,
        upgrade_failures,
        last_attempt,
        values,
        values_from,
        notes,
    }
}

fn last_attempt(data: &Value, status: &Value, notes: &mut Vec<String>) -> Option<LastAttempt> {
    let action = text(status, "lastAttemptedReleaseAction");
    let revision = text(status, "lastAttemptedRevision");
    let conds = match conditions::conditions_at(data, "/status/conditions") {
        Ok(c) => c,
        Err(m) => {
            notes.push(format!("status.conditions: {m}"));
            Vec::new()
        }
    };
    let released = conditions::find(&conds, "Released");
    if action.is_empty() && revision.is_empty() && released.is_none() {
        return None;
    }
    let result = match released.map(|c| c.status) {
        Some(ConditionStatus::True) => "succeeded",
        Some(ConditionStatus::False) => "failed",
        _ => "unknown",
    };
    let remediated =
        conditions::find(&conds, "Remediated").filter(|c| c.status == ConditionStatus::True).map(|c| c.reason.clone());
    Some(LastAttempt {
        action,
        revision,
        duration: text(status, "lastAttemptedReleaseActionDuration"),
        result: result.into(),
        reason: released.map(|c| c.reason.clone()).unwrap_or_default(),
        message: released.map(|c| c.message.clone()).unwrap_or_default(),
        remediated,
    })
}

/// Reads a Kustomization's snapshots and last revisions from its JSON (`DynamicObject::data`).
pub fn kustomization(data: &Value) -> KustomizationHistory {
    let mut notes = Vec::new();
    let status = data.get("status").unwrap_or(&Value::Null);
    let mut snapshots = Vec::new();
    for (i, e) in history(status, &mut notes).iter().enumerate() {
        if !e.is_object() {
            notes.push(format!("status.history[{i}] is not an object: {}", short(e)));
            continue;
        }
        let meta = e.get("metadata").unwrap_or(&Value::Null);
        snapshots.push(KustomizationSnapshot {
            revision: text(meta, "revision"),
            status: text(e, "lastReconciledStatus"),
            total: e.get("totalReconciliations").and_then(Value::as_i64).unwrap_or(0),
            first_reconciled: time(e, "firstReconciled"),
            last_reconciled: time(e, "lastReconciled"),
            duration: text(e, "lastReconciledDuration"),
            digest: text(e, "digest"),
        });
    }
    KustomizationHistory {
        snapshots,
        last_applied_revision: text(status, "lastAppliedRevision"),
        last_attempted_revision: text(status, "lastAttemptedRevision"),
        notes,
    }
}

/// Helm release statuses worth a warning colour: `failed`, and the `pending-*` ones an interrupted action leaves.
pub fn is_failed_status(status: &str) -> bool {
    matches!(status, "failed" | "pending-install" | "pending-upgrade" | "pending-rollback")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hr() -> Value {
        json!({
            "spec": {
                "values": {"replicaCount": 2, "ingress": {"enabled": true}},
                "valuesFrom": [
                    {"kind": "ConfigMap", "name": "podinfo-values"},
                    {"kind": "Secret", "name": "podinfo-auth", "valuesKey": "auth.yaml", "targetPath": "auth", "optional": true},
                ],
            },
            "status": {
                "history": [
                    {"version": 4, "status": "failed", "action": "upgrade", "chartName": "podinfo", "chartVersion": "6.9.0",
                     "appVersion": "6.9.0", "configDigest": "sha256:aa", "firstDeployed": "2026-11-01T10:00:00Z",
                     "lastDeployed": "2026-12-01T10:00:00Z", "digest": "sha256:d4", "name": "podinfo", "namespace": "podinfo"},
                    {"version": 3, "status": "deployed", "chartName": "podinfo", "chartVersion": "6.8.0",
                     "configDigest": "sha256:aa", "lastDeployed": "2026-11-20T10:00:00Z"},
                ],
                "failures": 2, "upgradeFailures": 2,
                "lastAttemptedReleaseAction": "upgrade",
                "lastAttemptedRevision": "6.9.0",
                "lastAttemptedReleaseActionDuration": "5m0.2s",
                "conditions": [
                    {"type": "Ready", "status": "False", "reason": "UpgradeFailed", "message": "m",
                     "lastTransitionTime": "2026-12-01T10:05:00Z"},
                    {"type": "Released", "status": "False", "reason": "UpgradeFailed",
                     "message": "Helm upgrade failed for release podinfo/podinfo with chart podinfo@6.9.0: context deadline exceeded",
                     "lastTransitionTime": "2026-12-01T10:05:00Z"},
                    {"type": "Remediated", "status": "True", "reason": "RollbackSucceeded", "message": "rolled back",
                     "lastTransitionTime": "2026-12-01T10:05:10Z"},
                ],
            },
        })
    }

    #[test]
    fn a_failed_upgrade_with_its_rollback_counters_and_values() {
        let h = helm_release(&hr());
        assert_eq!(
            h.releases.iter().map(|r| (r.revision, r.status.as_str())).collect::<Vec<_>>(),
            [(4, "failed"), (3, "deployed")]
        );
        assert_eq!(h.releases[0].action, "upgrade");
        assert_eq!(h.releases[1].first_deployed, None, "missing is unknown, not an error");
        assert_eq!((h.failures, h.install_failures, h.upgrade_failures), (2, 0, 2));
        let a = h.last_attempt.expect("attempt");
        assert_eq!((a.action.as_str(), a.revision.as_str(), a.result.as_str()), ("upgrade", "6.9.0", "failed"));
        assert_eq!(a.reason, "UpgradeFailed");
        assert!(a.message.ends_with("context deadline exceeded"), "{}", a.message);
        assert_eq!(a.remediated.as_deref(), Some("RollbackSucceeded"));
        assert_eq!(a.duration, "5m0.2s");
        assert_eq!(h.values, "replicaCount: 2\ningress:\n  enabled: true\n");
        assert_eq!(h.values_from[0].key, "values.yaml", "the default key");
        assert_eq!(
            (h.values_from[1].kind.as_str(), h.values_from[1].key.as_str(), h.values_from[1].target_path.as_str()),
            ("Secret", "auth.yaml", "auth")
        );
        assert!(h.values_from[1].optional);
        assert!(h.notes.is_empty(), "{:?}", h.notes);
    }

    #[test]
    fn garbage_history_and_counters_become_notes() {
        let mut v = hr();
        v["status"]["history"] = json!([{"version": 2, "status": "deployed"}, "oops", {"status": "failed"}]);
        v["status"]["failures"] = json!("many");
        v["spec"]["valuesFrom"] = json!({"kind": "ConfigMap"});
        let h = helm_release(&v);
        assert_eq!(h.releases.len(), 1);
        assert_eq!(
            h.notes,
            [
                "status.history[1] is not an object: \"oops\"",
                "status.history[2] has no revision (version)",
                "status.failures is not a number: \"many\"",
                "spec.valuesFrom is not a list: {\"kind\":\"ConfigMap\"}",
            ]
        );
        let none = helm_release(&json!({"spec": {}, "status": {"conditions": []}}));
        assert_eq!(none.notes, ["no release history (status.history): nothing was installed yet"]);
        assert_eq!(none.last_attempt, None);
        let not_a_list = helm_release(&json!({"status": {"history": {"a": 1}}}));
        assert_eq!(not_a_list.notes[0], "status.history is not a list: {\"a\":1}");
    }

    #[test]
    fn kustomization_snapshots_or_the_last_revisions() {
        let k = kustomization(&json!({"status": {
            "lastAppliedRevision": "main@sha1:abc", "lastAttemptedRevision": "main@sha1:def",
            "history": [{"digest": "sha256:1", "firstReconciled": "2026-12-01T10:00:00Z",
                "lastReconciled": "2026-12-01T11:00:00Z", "lastReconciledDuration": "2.1s",
                "lastReconciledStatus": "HealthCheckFailed", "totalReconciliations": 7,
                "metadata": {"revision": "main@sha1:def"}}]}}));
        assert_eq!(k.snapshots.len(), 1);
        assert_eq!(
            (k.snapshots[0].revision.as_str(), k.snapshots[0].status.as_str(), k.snapshots[0].total),
            ("main@sha1:def", "HealthCheckFailed", 7)
        );
        assert_eq!(k.last_applied_revision, "main@sha1:abc");
        let old = kustomization(&json!({"status": {"lastAppliedRevision": "main@sha1:abc"}}));
        assert!(old.snapshots.is_empty() && old.notes.is_empty());
    }
}
