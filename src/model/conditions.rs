//! Conditions as fleetdeck reads them, whichever controller wrote them.
//!
//! One view type, [`Condition`], covers `metav1.Condition` (Flux, tofu-controller, Cluster API v1beta2: type,
//! status, reason, message, lastTransitionTime, observedGeneration) and the older Cluster API v1beta1 condition
//! (the same plus `severity` Error|Warning|Info, cluster-api `api/core/v1beta1/condition_types.go`).
//! [`conditions_at`] reads a condition list out of an object's JSON; [`polarity`] and [`is_abnormal`] say when a
//! condition is worth a colour or a row (the rule `clusterctl describe cluster` uses, cluster-api
//! `internal/util/tree/tree.go` `conditionIsZero`).
//!
//! Reading is lenient about what is missing (controllers leave reason or message empty; a missing status is an
//! object nobody has reconciled yet) and strict about wrong types: a list that is a string, an entry that is not
//! an object, a `status` that is a number are reported as [`Malformed`], naming the field, so the UI can say what
//! is wrong instead of guessing. Timestamps are never errors: one that does not parse is just unknown.

use k8s_openapi::jiff::Timestamp;
use serde_json::Value;

/// `status` of a condition. Anything but `"True"` or `"False"` reads as `Unknown` (metav1 validation admits only
/// the three values, so other strings mean a controller bug, not a state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ConditionStatus {
    True,
    False,
    Unknown,
}

impl ConditionStatus {
    /// Reads the wire string (`"True"`, `"False"`, `"Unknown"`), case-sensitively as the API spells it.
    pub fn parse(s: &str) -> Self {
        match s {
            "True" => Self::True,
            "False" => Self::False,
            _ => Self::Unknown,
        }
    }

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }
}

/// Cluster API v1beta1 condition severity (cluster-api `api/core/v1beta1/condition_types.go`): Error needs a
/// human, Warning may resolve itself, Info reports progress. Only set on conditions that are not True.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

/// Which status of a condition is the normal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Polarity {
    /// Normal when True (Ready, Available, InfrastructureReady, ...).
    Positive,
    /// Normal when False, abnormal while True (Paused, Deleting, Reconciling, Stalled, ...).
    Negative,
}

/// One condition of an object, whichever API version wrote it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Condition {
    /// `type`; empty when the entry has none.
    #[serde(rename = "type")]
    pub type_: String,
    pub status: ConditionStatus,
    /// CamelCase reason; empty when unset.
    pub reason: String,
    /// Human message, kept as written: Cluster API v1beta2 summaries span lines (`* Control plane: ...`).
    pub message: String,
    /// `lastTransitionTime`; `None` when missing or not an RFC 3339 timestamp.
    pub last_transition_time: Option<Timestamp>,
    /// v1beta1 Cluster API severity; `None` on metav1 conditions and on True v1beta1 conditions.
    pub severity: Option<Severity>,
    /// `observedGeneration` of the condition (metav1 only): the spec generation the controller judged.
    pub observed_generation: Option<i64>,
}

impl Condition {
    /// Whether `status` is True.
    pub fn is_true(&self) -> bool {
        self.status == ConditionStatus::True
    }

    /// Whether `status` is False.
    pub fn is_false(&self) -> bool {
        self.status == ConditionStatus::False
    }
}

/// A field of an object's JSON has the wrong type, e.g. `status.conditions is a string, expected a list`.
///
/// `path` uses dots for fields and `[i]` for list entries, relative to the object root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path} is {found}, expected {expected}")]
pub struct Malformed {
    /// Where, e.g. `status.conditions[2].status`.
    pub path: String,
    /// What was there, e.g. `a string`.
    pub found: &'static str,
    /// What the API says belongs there, e.g. `a list`.
    pub expected: &'static str,
}

impl Malformed {
    pub(crate) fn new(path: impl Into<String>, value: &Value, expected: &'static str) -> Self {
        Self { path: path.into(), found: json_kind(value), expected }
    }
}

/// How a JSON value is named in [`Malformed`] messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() => "an integer",
        Value::Number(n) if n.is_u64() => "an integer too large for int64",
        Value::Number(_) => "a fractional number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The value at `path` (field names from the object root), `None` when a field on the way is missing or null.
///
/// Errors when something on the way is not an object (`status` a string while looking for `status.phase`).
pub(crate) fn lookup<'a>(data: &'a Value, path: &[&str]) -> Result<Option<&'a Value>, Malformed> {
    let mut cur = data;
    for (i, seg) in path.iter().enumerate() {
        match cur {
            Value::Object(map) => match map.get(*seg) {
                None | Some(Value::Null) => return Ok(None),
                Some(v) => cur = v,
            },
            Value::Null => return Ok(None),
            other => {
                let at = if i == 0 { "object".to_string() } else { path[..i].join(".") };
                return Err(Malformed::new(at, other, "an object"));
            }
        }
    }
    Ok(Some(cur))
}

/// A boolean field; `None` when missing or null.
pub(crate) fn get_bool(data: &Value, path: &[&str]) -> Result<Option<bool>, Malformed> {
    match lookup(data, path)? {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Malformed::new(path.join("."), other, "a boolean")),
    }
}

/// An integer field; `None` when missing or null.
pub(crate) fn get_i64(data: &Value, path: &[&str]) -> Result<Option<i64>, Malformed> {
    match lookup(data, path)? {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| Malformed::new(path.join("."), v, "an integer")),
    }
}

/// A string field; `None` when missing or null.
pub(crate) fn get_str<'a>(data: &'a Value, path: &[&str]) -> Result<Option<&'a str>, Malformed> {
    match lookup(data, path)? {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Malformed::new(path.join("."), other, "a string")),
    }
}

/// Parses an RFC 3339 timestamp as the API server writes it; anything else is `None`.
pub(crate) fn timestamp(value: Option<&Value>) -> Option<Timestamp> {
    value.and_then(Value::as_str).and_then(|s| s.parse().ok())
}

/// Reads the condition list at the JSON `pointer` (e.g. `/status/conditions`, `/status/v1beta2/conditions`)
/// of `obj_data` (a `DynamicObject`'s `data`, or a whole object).
///
/// A missing or null list is empty. Missing fields of an entry read as empty strings / `Unknown` / `None`; an
/// unknown severity string reads as `None`. Errors, naming the field: the list is not a list, an entry is not an
/// object, `type`/`status`/`reason`/`message`/`severity` is not a string, `observedGeneration` is not an integer,
/// or a parent on the way is not an object.
pub fn conditions_at(obj_data: &Value, pointer: &str) -> Result<Vec<Condition>, Malformed> {
    let segments: Vec<String> =
        pointer.split('/').filter(|s| !s.is_empty()).map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    let path: Vec<&str> = segments.iter().map(String::as_str).collect();
    let at = path.join(".");
    let Some(list) = lookup(obj_data, &path)? else {
        return Ok(Vec::new());
    };
    let Value::Array(entries) = list else {
        return Err(Malformed::new(at, list, "a list"));
    };
    entries.iter().enumerate().map(|(i, entry)| condition(entry, &format!("{at}[{i}]"))).collect()
}

fn condition(entry: &Value, at: &str) -> Result<Condition, Malformed> {
    if !entry.is_object() {
        return Err(Malformed::new(at, entry, "an object"));
    }
    let text = |field: &str| -> Result<String, Malformed> {
        get_str(entry, &[field])
            .map(|s| s.unwrap_or_default().to_string())
            .map_err(|e| Malformed { path: format!("{at}.{field}"), ..e })
    };
    let severity = match text("severity")?.as_str() {
        "Error" => Some(Severity::Error),
        "Warning" => Some(Severity::Warning),
        "Info" => Some(Severity::Info),
        _ => None,
    };
    let observed_generation = get_i64(entry, &["observedGeneration"])
        .map_err(|e| Malformed { path: format!("{at}.observedGeneration"), ..e })?;
    Ok(Condition {
        type_: text("type")?,
        status: ConditionStatus::parse(&text("status")?),
        reason: text("reason")?,
        message: text("message")?,
        last_transition_time: timestamp(entry.get("lastTransitionTime")),
        severity,
        observed_generation,
    })
}

/// Field `field` (`status`, `reason`, `message`) of the first condition of `type_` in `status.conditions`, as
/// written: `None` when the condition, the field or the list is absent or of another shape. For readers that
/// show conditions verbatim, as the upstream CLIs print them (`crossplane resource trace`, printer columns);
/// health goes through [`conditions_at`], which reports malformed entries.
pub fn raw_field<'a>(obj_data: &'a Value, type_: &str, field: &str) -> Option<&'a str> {
    obj_data
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
        .and_then(|c| c.get(field))
        .and_then(Value::as_str)
}

/// The first condition of `type_` (kstatus and `meta.FindStatusCondition` both take the first).
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Condition types that are abnormal while True, by the upstream that defines them:
/// - Cluster API v1beta2 (cluster-api `internal/util/tree/tree.go` `negativePolarityConditions`): Paused, Deleting,
///   RollingOut, ScalingUp, ScalingDown, Updating, Remediating;
/// - kstatus / Flux (cli-utils `pkg/kstatus/README.md`, fluxcd/pkg `apis/meta`): Reconciling, Stalled;
/// - Flux source-controller (`api/v1/condition_types.go`, "abnormal-true"): FetchFailed, BuildFailed,
///   StorageOperationFailed, ArtifactOutdated;
/// - helm-controller (`api/v2/condition_types.go`): Remediated (True after a failed release was rolled back or
///   uninstalled);
/// - tofu-controller (`api/v1alpha2/terraform_types.go` `TerraformStateLocked`): StateLocked (True with reason
///   LockHeld while another process holds the state lock; False only while force-unlocking);
/// - core/v1 Node: MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable; apps/v1: ReplicaFailure.
const NEGATIVE: &[&str] = &[
    "Paused",
    "Deleting",
    "RollingOut",
    "ScalingUp",
    "ScalingDown",
    "Updating",
    "Remediating",
    "Reconciling",
    "Stalled",
    "FetchFailed",
    "BuildFailed",
    "StorageOperationFailed",
    "ArtifactOutdated",
    "Remediated",
    "StateLocked",
    "MemoryPressure",
    "DiskPressure",
    "PIDPressure",
    "NetworkUnavailable",
    "ReplicaFailure",
];

/// The polarity of a condition type: [`Polarity::Negative`] for the abnormal-true types listed on `NEGATIVE`
/// (Cluster API v1beta2, kstatus/Flux, source-controller, helm-controller, tofu-controller, core), positive for
/// every other type.
pub fn polarity(type_: &str) -> Polarity {
    if NEGATIVE.contains(&type_) { Polarity::Negative } else { Polarity::Positive }
}

/// Whether the condition is off its normal status: False for positive types, True for negative ones, and
/// Unknown for both (clusterctl never treats Unknown as zero, cluster-api `internal/util/tree/tree.go`
/// `conditionIsZero`). The UI colours abnormal conditions; clusterctl's NonZero filter keeps them.
pub fn is_abnormal(condition: &Condition) -> bool {
    match (polarity(&condition.type_), condition.status) {
        (_, ConditionStatus::Unknown) => true,
        (Polarity::Positive, status) => status == ConditionStatus::False,
        (Polarity::Negative, status) => status == ConditionStatus::True,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_metav1_and_v1beta1_conditions() {
        let data = json!({"status": {"conditions": [
            {"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "kustomize build failed",
             "lastTransitionTime": "2025-03-01T10:00:00Z", "observedGeneration": 4},
            {"type": "InfrastructureReady", "status": "False", "severity": "Warning", "reason": "Waiting",
             "lastTransitionTime": "yesterday"},
            {"type": "Odd"}
        ]}});
        let got = conditions_at(&data, "/status/conditions").unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].status, ConditionStatus::False);
        assert_eq!(got[0].observed_generation, Some(4));
        assert_eq!(got[0].last_transition_time.unwrap().to_string(), "2025-03-01T10:00:00Z");
        assert_eq!(got[1].severity, Some(Severity::Warning));
        assert_eq!(got[1].last_transition_time, None);
        assert_eq!(got[2].status, ConditionStatus::Unknown);
        assert_eq!(got[2].reason, "");
        assert!(conditions_at(&data, "/status/v1beta2/conditions").unwrap().is_empty());
        assert!(conditions_at(&json!({}), "/status/conditions").unwrap().is_empty());
    }

    #[test]
    fn reports_wrong_types_with_their_place() {
        let cases = [
            (json!({"status": {"conditions": "Ready"}}), "status.conditions is a string, expected a list"),
            (json!({"status": {"conditions": [7]}}), "status.conditions[0] is an integer, expected an object"),
            (
                json!({"status": {"conditions": [{"type": "Ready", "status": true}]}}),
                "status.conditions[0].status is a boolean, expected a string",
            ),
            (
                json!({"status": {"conditions": [{"type": "Ready", "observedGeneration": "3"}]}}),
                "status.conditions[0].observedGeneration is a string, expected an integer",
            ),
            (json!({"status": "ok"}), "status is a string, expected an object"),
            (json!({"status": {"conditions": {"Ready": "True"}}}), "status.conditions is an object, expected a list"),
            (
                json!({"status": {"conditions": [{"observedGeneration": u64::MAX}]}}),
                "status.conditions[0].observedGeneration is an integer too large for int64, expected an integer",
            ),
        ];
        for (data, want) in cases {
            let err = conditions_at(&data, "/status/conditions").unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn polarity_decides_what_is_abnormal() {
        let c = |type_: &str, status: &str| Condition {
            type_: type_.into(),
            status: ConditionStatus::parse(status),
            reason: String::new(),
            message: String::new(),
            last_transition_time: None,
            severity: None,
            observed_generation: None,
        };
        let table = [
            ("Ready", "True", false),
            ("Ready", "False", true),
            ("Available", "Unknown", true),
            ("Paused", "False", false),
            ("Paused", "True", true),
            ("RollingOut", "True", true),
            ("Reconciling", "True", true),
            ("Stalled", "False", false),
            ("StateLocked", "True", true),
            ("Deleting", "Unknown", true),
        ];
        for (type_, status, abnormal) in table {
            assert_eq!(is_abnormal(&c(type_, status)), abnormal, "{type_}={status}");
        }
        assert_eq!(polarity("Remediating"), Polarity::Negative);
        assert_eq!(polarity("InfrastructureReady"), Polarity::Positive);
    }
}
