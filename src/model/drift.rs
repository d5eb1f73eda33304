//! Drift of a Kustomization from git, object by object, as `flux diff kustomization` judges it
//! (fluxcd/flux2 `internal/build/diff.go`, fluxcd/pkg `ssa`): what the server-side apply dry-run of the
//! built manifest would leave, compared with the live object, both without the fields the server or the
//! controllers own (`metadata.managedFields`, `resourceVersion`, `generation`, `uid`, `creationTimestamp`,
//! `selfLink`, and `status`). Pure: the reads and dry-runs are `ops/diff.rs`'s.
//!
//! Secret values never leave this module unmasked: [`mask_secrets`] replaces every value of a Secret's
//! `data` / `stringData` with `***`, or with `*** (before)` / `*** (after)` where the two sides differ (the
//! masks fluxcd/pkg `ssa` `SanitizeUnstructuredData` uses), before anything is compared as text.
use serde::Serialize;
use serde_json::Value;
use similar::TextDiff;

use super::flux_tree::ObjMetadata;

/// The mask of a Secret value equal on both sides (or present on one side only).
pub const MASK: &str = "***";
/// The mask of a Secret value on the live side when the two sides differ.
pub const MASK_BEFORE: &str = "*** (before)";
/// The mask of a Secret value on the git side when the two sides differ.
pub const MASK_AFTER: &str = "*** (after)";

/// One object of the diff: its identity and what applying git would do to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftEntry {
    /// `apiVersion` of the manifest (of the inventory entry's served version for deletions; `""` if unknown).
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Group, kind, namespace and name.
    #[serde(flatten)]
    pub object: ObjMetadata,
    /// The judgement.
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What applying the Kustomization's manifests would do to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    /// The dry-run leaves the object as it is.
    Unchanged,
    /// The dry-run changes it; `diff` is a unified YAML diff, live (`---`) to git (`+++`), masked.
    Drifted {
        /// The unified diff, lines ending in `\n`.
        diff: String,
    },
    /// The object does not exist; applying would create it.
    Created,
    /// In the Kustomization's inventory but no longer built, and `spec.prune` is on: it would be deleted.
    Deleted,
    /// Not applied by kustomize-controller (`reason` names the annotation).
    Skipped {
        /// e.g. `kustomize.toolkit.fluxcd.io/reconcile: disabled`.
        reason: String,
    },
    /// The object could not be judged (the server refused the dry-run, RBAC, an unknown kind ...).
    Failed {
        /// The server's or client's message.
        error: String,
    },
}

impl DriftEntry {
    /// `Kind/namespace/name`, or `Kind/name` for a cluster-scoped object (as `flux diff` names it).
    pub fn id(&self) -> String {
        let o = &self.object;
        if o.namespace.is_empty() {
            format!("{}/{}", o.kind, o.name)
        } else {
            format!("{}/{}/{}", o.kind, o.namespace, o.name)
        }
    }
}

impl Verdict {
    /// The word `flux diff` prints for it (`created`, `drifted`, `deleted`, `skipped`), or `unchanged` /
    /// `failed`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Unchanged => "unchanged",
            Verdict::Drifted { .. } => "drifted",
            Verdict::Created => "created",
            Verdict::Deleted => "deleted",
            Verdict::Skipped { .. } => "skipped",
            Verdict::Failed { .. } => "failed",
        }
    }

    /// Whether this is drift from git (drifted, created or deleted).
    pub fn is_drift(&self) -> bool {
        matches!(self, Verdict::Drifted { .. } | Verdict::Created | Verdict::Deleted)
    }
}

/// Counts of a diff's verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DriftCounts {
    pub unchanged: usize,
    pub drifted: usize,
    pub created: usize,
    pub deleted: usize,
    pub skipped: usize,
    pub failed: usize,
}

impl DriftCounts {
    /// Counts `entries`.
    pub fn of(entries: &[DriftEntry]) -> DriftCounts {
        let mut c = DriftCounts::default();
        for e in entries {
            *match e.verdict {
                Verdict::Unchanged => &mut c.unchanged,
                Verdict::Drifted { .. } => &mut c.drifted,
                Verdict::Created => &mut c.created,
                Verdict::Deleted => &mut c.deleted,
                Verdict::Skipped { .. } => &mut c.skipped,
                Verdict::Failed { .. } => &mut c.failed,
            } += 1;
        }
        c
    }

    /// Objects drifted, created or deleted.
    pub fn drift(&self) -> usize {
        self.drifted + self.created + self.deleted
    }

    /// `3 unchanged, 1 drifted, 1 created, 1 deleted` (zero counts but `unchanged` left out).
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("{} unchanged", self.unchanged)];
        for (n, w) in [
            (self.drifted, "drifted"),
            (self.created, "created"),
            (self.deleted, "deleted"),
            (self.skipped, "skipped"),
            (self.failed, "failed"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {w}"));
            }
        }
        parts.join(", ")
    }
}

/// The metadata fields the server sets, left out of every comparison.
const SERVER_METADATA: [&str; 6] =
    ["managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink"];

/// `obj` without `status` and the server-set metadata ([`SERVER_METADATA`]); an emptied `metadata.annotations`
/// map is dropped too.
pub fn normalize(obj: &Value) -> Value {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("status");
        if let Some(meta) = m.get_mut("metadata").and_then(Value::as_object_mut) {
            for f in SERVER_METADATA {
                meta.remove(f);
            }
            if meta.get("annotations").and_then(Value::as_object).is_some_and(|a| a.is_empty()) {
                meta.remove("annotations");
            }
        }
    }
    v
}

/// Whether a manifest is a core/v1 Secret.
pub fn is_secret(obj: &Value) -> bool {
    obj["kind"] == "Secret" && obj["apiVersion"] == "v1"
}

/// Masks the values of both Secrets' `data` and `stringData`: a key whose values are equal on both sides (or
/// that one side lacks) becomes [`MASK`]; a key whose values differ becomes [`MASK_BEFORE`] on `live` and
/// [`MASK_AFTER`] on `git`. Either side may be `None` (a Secret to be created).
pub fn mask_secrets(mut live: Option<&mut Value>, mut git: Option<&mut Value>) {
    let empty = serde_json::Map::new();
    for field in ["data", "stringData"] {
        let before = live.as_deref().and_then(|l| l[field].as_object()).unwrap_or(&empty);
        let after = git.as_deref().and_then(|g| g[field].as_object()).unwrap_or(&empty);
        let mask = |side: &serde_json::Map<String, Value>, other: &serde_json::Map<String, Value>, differ: &str| {
            side.iter()
                .map(|(k, v)| {
                    let m = match other.get(k) {
                        Some(o) if o != v => differ,
                        _ => MASK,
                    };
                    (k.clone(), Value::String(m.to_owned()))
                })
                .collect::<serde_json::Map<_, _>>()
        };
        let masked_before = mask(before, after, MASK_BEFORE);
        let masked_after = mask(after, before, MASK_AFTER);
        if let Some(l) = live.as_deref_mut()
            && l.get(field).is_some_and(Value::is_object)
        {
            l[field] = Value::Object(masked_before);
        }
        if let Some(g) = git.as_deref_mut()
            && g.get(field).is_some_and(Value::is_object)
        {
            g[field] = Value::Object(masked_after);
        }
    }
}

/// Judges one object from its live state (`None`: not found) and the dry-run's answer: unchanged, drifted
/// with a unified YAML diff (`--- live`, `+++ <git_label>`), or created. Secrets are masked first.
///
/// # Errors
/// None; a value YAML cannot express is shown as JSON.
pub fn judge(live: Option<&Value>, dry_run: &Value, git_label: &str) -> Verdict {
    let Some(live) = live else {
        return Verdict::Created;
    };
    let mut before = normalize(live);
    let mut after = normalize(dry_run);
    if is_secret(&after) || is_secret(&before) {
        mask_secrets(Some(&mut before), Some(&mut after));
    }
    if before == after {
        return Verdict::Unchanged;
    }
    let (a, b) = (to_yaml(&before), to_yaml(&after));
    let diff = TextDiff::from_lines(&a, &b).unified_diff().context_radius(3).header("live", git_label).to_string();
    Verdict::Drifted { diff }
}

fn to_yaml(v: &Value) -> String {
    serde_saphyr::to_string(v).unwrap_or_else(|_| serde_json::to_string_pretty(v).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live_cm(value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "u-1", "resourceVersion": "42",
                "creationTimestamp": "2026-12-01T00:00:00Z", "annotations": {},
                "managedFields": [{"manager": "kustomize-controller"}]},
            "data": {"k": value}})
    }

    #[test]
    fn server_set_fields_do_not_count_as_drift() {
        let mut dry = live_cm("v");
        dry["metadata"]["resourceVersion"] = json!("43");
        dry["metadata"]["managedFields"] = json!([{"manager": "other"}]);
        assert_eq!(judge(Some(&live_cm("v")), &dry, "git"), Verdict::Unchanged);
    }

    #[test]
    fn a_changed_field_is_a_unified_yaml_diff() {
        let Verdict::Drifted { diff } = judge(Some(&live_cm("old")), &live_cm("new"), "git main@sha1:abc") else {
            panic!("expected drift");
        };
        assert_eq!(
            diff,
            "--- live\n+++ git main@sha1:abc\n@@ -4,4 +4,4 @@\n   name: c\n   namespace: \"n\"\n data:\n-  k: old\n+  k: new\n"
        );
    }

    #[test]
    fn a_missing_object_would_be_created() {
        assert_eq!(judge(None, &live_cm("v"), "git"), Verdict::Created);
    }

    #[test]
    fn secret_values_never_appear_in_a_diff() {
        let secret = |token: &str, extra: Option<&str>| {
            let mut s = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"},
                "type": "Opaque", "data": {"token": token, "same": "c2FtZQ=="}});
            if let Some(e) = extra {
                s["data"]["added"] = json!(e);
            }
            s
        };
        let live = secret("b2xkLXRva2Vu", None);
        let git = secret("bmV3LXRva2Vu", Some("YWRkZWQ="));
        let Verdict::Drifted { diff } = judge(Some(&live), &git, "git") else { panic!("expected drift") };
        for value in ["b2xkLXRva2Vu", "bmV3LXRva2Vu", "YWRkZWQ=", "c2FtZQ=="] {
            assert!(!diff.contains(value), "{value} leaked into\n{diff}");
        }
        assert!(diff.contains("-  token: \"*** (before)\""), "{diff}");
        assert!(diff.contains("+  added: \"***\""), "{diff}");
        // Equal values are masked alike and so do not show as changed.
        assert!(!diff.contains("-  same"), "{diff}");
        // The same Secret with equal values is unchanged.
        assert_eq!(judge(Some(&live), &live.clone(), "git"), Verdict::Unchanged);
    }

    #[test]
    fn counts_and_summary() {
        let entry = |verdict| DriftEntry {
            api_version: "v1".into(),
            object: ObjMetadata {
                namespace: "n".into(),
                name: "x".into(),
                group: String::new(),
                kind: "ConfigMap".into(),
            },
            verdict,
        };
        let entries = vec![
            entry(Verdict::Unchanged),
            entry(Verdict::Created),
            entry(Verdict::Deleted),
            entry(Verdict::Unchanged),
        ];
        let c = DriftCounts::of(&entries);
        assert_eq!(c.drift(), 2);
        assert_eq!(c.summary(), "2 unchanged, 1 created, 1 deleted");
        let json = serde_json::to_value(&entries[1]).unwrap();
        assert_eq!(
            json,
            json!({"apiVersion": "v1", "namespace": "n", "name": "x", "group": "", "kind": "ConfigMap", "verdict": "created"})
        );
    }
}
