//! The demo hub's cluster inventory: SIG-Multicluster `ClusterProfile`s (`multicluster.x-k8s.io/v1alpha1`,
//! KEP-4322) that `mgmt` publishes for its workload clusters, as a cluster manager (Open Cluster Management,
//! a GKE fleet) leaves them: `spec.displayName` and `spec.clusterManager`, the label
//! `x-k8s.io/cluster-manager`, and a status with `ControlPlaneHealthy` and `Joined`, the Kubernetes version,
//! properties, and one access provider (KEP-5339) whose cluster carries the `client.authentication.k8s.io/exec`
//! extension its exec plugin reads.
//!
//! Field names and condition types: `sigs.k8s.io/cluster-inventory-api` `apis/v1alpha1` (v0.1.2).
use serde_json::{Value, json};

use super::meta::{self, Clock};

/// The namespace the demo's profiles live in.
pub const NAMESPACE: &str = "fleet-system";

/// The cluster manager the profiles name (`spec.clusterManager.name`, label `x-k8s.io/cluster-manager`).
pub const CLUSTER_MANAGER: &str = "fleetdeck-demo";

/// The access provider every demo profile offers (`status.accessProviders[].name`); the demo's kubeconfig
/// configures its exec plugin.
pub const PROVIDER: &str = "fleetdeck-demo";

/// One workload cluster to publish.
pub struct ProfiledCluster<'a> {
    /// The profile's name, also the kubeconfig context the demo's plugin reads the credential of.
    pub name: &'a str,
    /// `https://127.0.0.1:<port>`.
    pub server: &'a str,
    /// PEM of the CA that signed the server's certificate.
    pub ca_pem: &'a str,
    /// The `location` property (a cloud region).
    pub location: &'a str,
    /// The Kubernetes version the hub reports (`status.version.kubernetes`).
    pub version: &'a str,
}

/// The namespace and one ClusterProfile per cluster, in creation order. Each profile's access provider
/// [`PROVIDER`] gives the cluster's server and CA, and in the exec extension `{"context": <name>}`.
pub fn cluster_profiles(now: k8s_openapi::jiff::Timestamp, clusters: &[ProfiledCluster<'_>]) -> Vec<Value> {
    use base64::Engine as _;
    let clock = Clock::new(now);
    let mut out = vec![meta::namespace(NAMESPACE)];
    for c in clusters {
        let mut p = meta::object("multicluster.x-k8s.io/v1alpha1", "ClusterProfile", Some(NAMESPACE), c.name);
        meta::labels(&mut p, &[("x-k8s.io/cluster-manager", CLUSTER_MANAGER)]);
        p["spec"] = json!({"displayName": c.name, "clusterManager": {"name": CLUSTER_MANAGER}});
        let condition = |kind: &str, reason: &str, message: &str, ago: i64| {
            json!({"type": kind, "status": "True", "reason": reason, "message": message,
                "lastTransitionTime": clock.ago(ago)})
        };
        p["status"] = json!({
            "conditions": [
                condition("Joined", "Joined", "the cluster joined the hub", 86_400 * 12),
                condition("ControlPlaneHealthy", "Healthy", "the API server answers /readyz", 3_600 * 5),
            ],
            "version": {"kubernetes": c.version},
            "properties": [{"name": "location", "value": c.location, "lastObservedTime": clock.ago(60)}],
            "accessProviders": [{"name": PROVIDER, "cluster": {
                "server": c.server,
                "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(c.ca_pem),
                "extensions": [{"name": "client.authentication.k8s.io/exec", "extension": {"context": c.name}}],
            }}],
        });
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cluster_gets_a_profile_reachable_through_the_demo_provider() {
        let now: k8s_openapi::jiff::Timestamp = "2026-12-04T12:00:00Z".parse().expect("time");
        let c = ProfiledCluster {
            name: "dev-eu",
            server: "https://127.0.0.1:6443",
            ca_pem: "PEM",
            location: "eu-west-1",
            version: "v1.37.2",
        };
        let objects = cluster_profiles(now, &[c]);
        assert_eq!(objects[0]["kind"], "Namespace");
        let p = &objects[1];
        assert_eq!(p["metadata"]["namespace"], NAMESPACE);
        let provider = &p["status"]["accessProviders"][0];
        assert_eq!(provider["name"], PROVIDER);
        assert_eq!(provider["cluster"]["certificate-authority-data"], "UEVN");
        assert_eq!(provider["cluster"]["extensions"][0]["extension"]["context"], "dev-eu");
        let healthy = p["status"]["conditions"].as_array().expect("conditions");
        assert!(healthy.iter().any(|c| c["type"] == "ControlPlaneHealthy" && c["status"] == "True"));
    }
}
