//! Cluster API: pause / unpause, MachineDeployment rollout pause, scale, and a workload cluster's
//! kubeconfig written to a file.
//!
//! Facts from REFERENCE.md section A: `Cluster.spec.paused: true` pauses a cluster and everything in it;
//! clusterctl unpauses with `{"spec":{"paused":null}}`; a MachineDeployment's rollout pause is its own
//! `spec.paused`; v1beta2 objects report a `Paused` condition. Scaling goes through the `scale` subresource
//! (as `kubectl scale`). A workload cluster's kubeconfig is Secret `<cluster>-kubeconfig`, data key `value`.
use std::io::Write;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DynamicObject};
use serde_json::{Value, json};

use super::follow::Judge;
use super::{OpError, RefusalKind};

/// Label on the MachineDeployments a Cluster's managed topology (ClusterClass) owns.
pub const TOPOLOGY_OWNED: &str = "topology.cluster.x-k8s.io/owned";

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn kind(obj: &DynamicObject) -> &str {
    obj.types.as_ref().map(|t| t.kind.as_str()).unwrap_or("")
}

/// The merge patch of pause (`true`) or unpause (`null`), for Clusters and MachineDeployments alike.
pub fn paused_patch(pause: bool) -> Value {
    json!({ "spec": { "paused": if pause { json!(true) } else { Value::Null } } })
}

/// The merge patch of `clusterctl alpha rollout restart` (cluster-api `cmd/clusterctl/client/alpha/
/// machinedeployment.go`, `kubeadmcontrolplane.go`): `spec.rollout.after` in v1beta2, `spec.rolloutAfter` in
/// v1beta1 (`api_version` is the served version the object was read at), `at` an RFC 3339 time.
pub fn restart_patch(api_version: &str, at: &str) -> Value {
    if api_version == "v1beta1" {
        json!({ "spec": { "rolloutAfter": at } })
    } else {
        json!({ "spec": { "rollout": { "after": at } } })
    }
}

/// Restart's preconditions, as clusterctl checks them: not paused (a MachineDeployment's `spec.paused`, a
/// KubeadmControlPlane's `cluster.x-k8s.io/paused` annotation), and no restart already set for later than
/// `now` (it would be moved earlier).
pub fn check_restart(obj: &DynamicObject, now: k8s_openapi::jiff::Timestamp) -> Result<(), String> {
    let name = obj.metadata.name.as_deref().unwrap_or("");
    let what = format!("{} {name}", kind(obj));
    let paused = obj.data.pointer("/spec/paused").and_then(Value::as_bool) == Some(true)
        || obj.metadata.annotations.as_ref().is_some_and(|a| a.get("cluster.x-k8s.io/paused").is_some());
    if paused {
        return Err(format!("{what} is paused: resume it before restarting its rollout"));
    }
    let after = obj.data.pointer("/spec/rollout/after").or_else(|| obj.data.pointer("/spec/rolloutAfter"));
    if let Some(t) = after.and_then(Value::as_str).and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok())
        && t > now
    {
        return Err(format!("{what} already has a rollout set for {t}, in the future"));
    }
    Ok(())
}

/// Scale's preconditions: replicas >= 0; a KubeadmControlPlane's count odd (stacked etcd needs a quorum,
/// the KCP webhook rejects even counts); a MachineDeployment owned by a managed topology is scaled through
/// its Cluster's `spec.topology`, not directly (the topology controller would revert it).
pub fn check_scale(obj: &DynamicObject, replicas: i64) -> Result<(), String> {
    let name = obj.metadata.name.as_deref().unwrap_or("");
    if replicas < 0 {
        return Err(format!("replicas must be 0 or more, not {replicas}"));
    }
    if kind(obj) == "KubeadmControlPlane" && replicas % 2 == 0 {
        return Err(format!(
            "KubeadmControlPlane {name}: replicas must be an odd number (stacked etcd needs a quorum), not {replicas}"
        ));
    }
    if obj.metadata.labels.as_ref().is_some_and(|l| l.contains_key(TOPOLOGY_OWNED)) {
        let cluster = obj
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("cluster.x-k8s.io/cluster-name"))
            .map(String::as_str)
            .unwrap_or("its Cluster");
        return Err(format!(
            "MachineDeployment {name} is managed by the topology of Cluster {cluster} (ClusterClass): change \
             spec.topology.workers.machineDeployments[].replicas there, in git"
        ));
    }
    Ok(())
}

/// Whether the pause state has been observed: a v1beta2 Cluster's `Paused` condition follows `spec.paused`;
/// objects without one (v1beta1, MachineDeployments) are done once the patch is in.
pub fn pause_observed(obj: &DynamicObject, pause: bool) -> Judge {
    let word = if pause { "paused" } else { "unpaused" };
    let condition = obj
        .data
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| text(c, "/type") == "Paused"));
    match condition {
        Some(c) if kind(obj) == "Cluster" => {
            let want = if pause { "True" } else { "False" };
            if text(c, "/status") == want {
                Judge::Done(format!("{word}; Paused={want}"))
            } else {
                Judge::Wait(Some(format!("waiting for the Paused condition to become {want}")))
            }
        }
        _ => Judge::Done(word.to_string()),
    }
}

/// Whether the object reports `replicas` in `status.replicas` (v1beta2 and v1beta1 alike). A paused Cluster
/// or MachineDeployment is done at once: nothing moves until it is unpaused.
pub fn scaled(obj: &DynamicObject, replicas: i64) -> Judge {
    if obj.data.pointer("/spec/paused").and_then(Value::as_bool) == Some(true) {
        return Judge::Done(format!("spec.replicas is {replicas}; the rollout is paused, so nothing moves yet"));
    }
    let now = obj.data.pointer("/status/replicas").and_then(Value::as_i64);
    let ready = obj.data.pointer("/status/readyReplicas").and_then(Value::as_i64);
    match now {
        Some(n) if n == replicas => {
            Judge::Done(format!("{n} replicas{}", ready.map(|r| format!(", {r} ready")).unwrap_or_default()))
        }
        Some(n) => Judge::Wait(Some(format!("{n} of {replicas} replicas"))),
        None => Judge::Wait(Some("waiting for status.replicas".into())),
    }
}

/// Writes the kubeconfig of workload cluster `namespace/cluster` (Secret `<cluster>-kubeconfig`, key
/// `value`) to `path` with mode 0600, refusing to replace an existing file unless `overwrite`. Returns the
/// context names the file holds. The content is never printed or logged.
///
/// # Errors
/// [`OpError::Refused`] when the Secret is missing, holds no kubeconfig, or the file exists;
/// [`OpError::Failed`] on API or file errors.
pub async fn write_kubeconfig(
    client: &kube::Client,
    namespace: &str,
    cluster: &str,
    path: &Path,
    overwrite: bool,
) -> Result<Vec<String>, OpError> {
    let secret_name = format!("{cluster}-kubeconfig");
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let secret = match api.get_opt(&secret_name).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(OpError::refused(
                RefusalKind::NotFound,
                format!("Secret {namespace}/{secret_name} not found: is {cluster} a provisioned CAPI cluster?"),
            ));
        }
        Err(kube::Error::Api(s)) if s.code == 403 => {
            return Err(OpError::refused(
                RefusalKind::Forbidden,
                format!("RBAC forbids reading Secret {namespace}/{secret_name}: {}", s.message),
            ));
        }
        Err(e) => return Err(OpError::Failed(format!("reading {secret_name}: {}", crate::fleet::describe(&e)))),
    };
    let bytes = secret.data.as_ref().and_then(|d| d.get("value")).map(|b| b.0.clone()).unwrap_or_default();
    let kubeconfig = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|t| kube::config::Kubeconfig::from_yaml(t).ok())
        .filter(|k| !k.contexts.is_empty())
        .ok_or_else(|| {
            OpError::refused(
                RefusalKind::Precondition,
                format!("Secret {namespace}/{secret_name} holds no kubeconfig under the key `value`"),
            )
        })?;
    write_private(path, &bytes, overwrite)?;
    Ok(kubeconfig.contexts.iter().map(|c| c.name.clone()).collect())
}

/// Writes `bytes` to `path` with mode 0600 (created so; an overwritten file is set to 0600 first).
fn write_private(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), OpError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let shown = path.display();
    if path.exists() && !overwrite {
        return Err(OpError::refused(RefusalKind::Precondition, format!("{shown} exists; pass --force to replace it")));
    }
    let fail = |e: std::io::Error| OpError::Failed(format!("writing {shown}: {e}"));
    if path.exists() {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(fail)?;
    }
    let mut f =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(fail)?;
    f.write_all(bytes).map_err(fail)?;
    f.sync_all().map_err(fail)
}

/// The default file for a workload cluster's kubeconfig: `<dir>/<cluster>.kubeconfig`.
pub fn default_kubeconfig_path(dir: &Path, cluster: &str) -> PathBuf {
    dir.join(format!("{cluster}.kubeconfig"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(kind: &str, labels: Value, spec: Value, status: Value) -> DynamicObject {
        serde_json::from_value(json!({"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": kind,
            "metadata": {"name": "md-0", "namespace": "platform", "labels": labels},
            "spec": spec, "status": status}))
        .expect("object")
    }

    #[test]
    fn scale_preconditions() {
        let md = obj("MachineDeployment", json!({}), json!({"replicas": 2}), json!({}));
        assert!(check_scale(&md, 3).is_ok());
        assert!(check_scale(&md, -1).is_err());
        let kcp = obj("KubeadmControlPlane", json!({}), json!({"replicas": 1}), json!({}));
        assert!(check_scale(&kcp, 2).unwrap_err().contains("odd"));
        assert!(check_scale(&kcp, 3).is_ok());
        let owned = obj(
            "MachineDeployment",
            json!({TOPOLOGY_OWNED: "", "cluster.x-k8s.io/cluster-name": "edge-eu"}),
            json!({}),
            json!({}),
        );
        assert!(check_scale(&owned, 3).unwrap_err().contains("topology of Cluster edge-eu"));
    }

    #[test]
    fn follow_judges() {
        assert_eq!(paused_patch(false), json!({"spec": {"paused": null}}));
        let c = obj(
            "Cluster",
            json!({}),
            json!({"paused": true}),
            json!({"conditions": [{"type": "Paused", "status": "False"}]}),
        );
        assert!(matches!(pause_observed(&c, true), Judge::Wait(_)));
        let c = obj(
            "Cluster",
            json!({}),
            json!({"paused": true}),
            json!({"conditions": [{"type": "Paused", "status": "True"}]}),
        );
        assert!(matches!(pause_observed(&c, true), Judge::Done(_)));
        let v1beta1 = obj("Cluster", json!({}), json!({"paused": true}), json!({"conditions": "garbage"}));
        assert!(matches!(pause_observed(&v1beta1, true), Judge::Done(_)));
        let md = obj("MachineDeployment", json!({}), json!({"replicas": 3}), json!({"replicas": 2}));
        assert_eq!(scaled(&md, 3), Judge::Wait(Some("2 of 3 replicas".into())));
        let md =
            obj("MachineDeployment", json!({}), json!({"replicas": 3}), json!({"replicas": 3, "readyReplicas": 3}));
        assert_eq!(scaled(&md, 3), Judge::Done("3 replicas, 3 ready".into()));
    }

    #[test]
    fn private_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let p = default_kubeconfig_path(dir.path(), "dev-eu");
        write_private(&p, b"x", false).expect("write");
        assert_eq!(std::fs::metadata(&p).expect("meta").permissions().mode() & 0o777, 0o600);
        assert!(matches!(write_private(&p, b"y", false), Err(OpError::Refused { .. })));
        assert_eq!(std::fs::read(&p).expect("read"), b"x");
        write_private(&p, b"y", true).expect("overwrite");
        assert_eq!(std::fs::read(&p).expect("read"), b"y");
    }
}
