//! Profiles: Helm charts from the fleet's profile HelmRepository installed into a cluster, written as
//! `clusters/<namespace>/<cluster>/profiles.yaml` (Weave GitOps' layout, REFERENCE.md section D) with
//! Flux's served APIs: a copy of the HelmRepository (`source.toolkit.fluxcd.io/v1`) and one HelmRelease
//! (`helm.toolkit.fluxcd.io/v2`) per chart — interval 1m, `install/upgrade.crds: CreateReplace`,
//! `dependsOn` the releases of the previous layer — that targets the workload cluster through
//! `spec.kubeConfig.secretRef: <cluster>-kubeconfig`.
//!
//! Deviation from WGE, forced by Flux: `kubeConfig.secretRef` names a Secret in the HelmRelease's own
//! namespace (helm-controller api/v2 `KubeConfigReference`), and Cluster API writes `<cluster>-kubeconfig`
//! into the Cluster's namespace; so the HelmRelease and the HelmRepository copy live in the Cluster's
//! namespace, not `flux-system`, and each HelmRelease is named `<cluster>-<chart>` (with `releaseName:
//! <chart>`) so that two clusters of one namespace do not claim the same object.
use serde_json::{Map, Value, json};

use super::yaml;

/// Annotation marking a HelmRepository as a source of profiles (WGE).
pub const PROFILES_ANNOTATION: &str = "weave.works/profiles";
/// Label keeping a HelmRelease's layer, so `dependsOn` can be recomputed when a profile is added.
pub const LAYER_LABEL: &str = "weave.works/applied-layer";

/// One chart to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileChoice {
    /// Chart name in the HelmRepository.
    pub chart: String,
    /// Version or semver range (`*` for the latest).
    pub version: String,
    /// Namespace in the workload cluster (default: the chart name).
    pub target_namespace: Option<String>,
    /// Layer; layers install in name order.
    pub layer: Option<String>,
    /// Helm values, YAML text (empty: none).
    pub values: String,
}

/// The branch of a profile add, `fleetdeck/profile-<cluster>-<chart>`.
pub fn branch(cluster: &str, chart: &str) -> String {
    format!("fleetdeck/profile-{cluster}-{chart}")
}

/// The commit message of a profile add.
pub fn message(namespace: &str, cluster: &str, chart: &str) -> String {
    format!("Add profile {chart} to cluster {namespace}/{cluster}")
}

/// The new text of a cluster's profiles file with `choice` added (or replacing the release of the same
/// chart): the file's own HelmRepository copy when it has one, else a copy of `fleet_repository`.
///
/// # Errors
/// The existing file is not YAML, no HelmRepository is known, or the values are not a mapping.
pub fn add_to_file(
    namespace: &str,
    cluster: &str,
    existing: Option<&str>,
    fleet_repository: Option<&Value>,
    choice: &ProfileChoice,
) -> Result<String, String> {
    let path = profiles_path(namespace, cluster);
    let docs = match existing {
        Some(t) => yaml::parse_docs(t, &path).map_err(|e| format!("{e:#}"))?,
        None => Vec::new(),
    };
    let repository = match docs.iter().find(|d| d["kind"] == "HelmRepository") {
        Some(r) => r.clone(),
        None => fleet_repository
            .cloned()
            .ok_or_else(|| format!("no profile HelmRepository: none in {path} and none in the fleet"))?,
    };
    let out = profiles_documents(namespace, cluster, &repository, &docs, std::slice::from_ref(choice))?;
    yaml::emit_docs(&out).map_err(|e| format!("{e:#}"))
}

/// Path of a cluster's profiles file.
pub fn profiles_path(namespace: &str, cluster: &str) -> String {
    format!("clusters/{namespace}/{cluster}/profiles.yaml")
}

/// The copy of a HelmRepository written next to the releases: name, labels, annotations and spec of the
/// original, in `namespace`; status and server-set metadata dropped.
pub fn helm_repository_copy(original: &Value, namespace: &str) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), original["metadata"]["name"].clone());
    meta.insert("namespace".into(), json!(namespace));
    for key in ["labels", "annotations"] {
        if let Some(m) = original["metadata"][key].as_object() {
            let kept: Map<String, Value> = m
                .iter()
                .filter(|(k, _)| {
                    !k.starts_with("kustomize.toolkit.fluxcd.io/")
                        && *k != "kubectl.kubernetes.io/last-applied-configuration"
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                meta.insert(key.into(), Value::Object(kept));
            }
        }
    }
    json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": meta,
        "spec": original["spec"].clone(),
    })
}

/// The HelmRelease of one chart for cluster `namespace/cluster` from HelmRepository `repository` (in the
/// same namespace). `dependsOn` is filled in by [`profiles_documents`].
///
/// # Errors
/// Values that are not a YAML mapping.
pub fn helm_release(namespace: &str, cluster: &str, repository: &str, p: &ProfileChoice) -> Result<Value, String> {
    let target = p.target_namespace.clone().unwrap_or_else(|| p.chart.clone());
    let mut hr = json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": { "name": format!("{cluster}-{}", p.chart), "namespace": namespace },
        "spec": {
            "interval": "1m",
            "releaseName": p.chart,
            "chart": { "spec": {
                "chart": p.chart,
                "version": p.version,
                "sourceRef": { "kind": "HelmRepository", "name": repository, "namespace": namespace },
            } },
            "kubeConfig": { "secretRef": { "name": format!("{cluster}-kubeconfig") } },
            "targetNamespace": target,
            "storageNamespace": target,
            "install": { "crds": "CreateReplace", "createNamespace": true },
            "upgrade": { "crds": "CreateReplace" },
        },
    });
    if let Some(layer) = &p.layer {
        hr["metadata"]["labels"] = json!({ LAYER_LABEL: layer });
    }
    if !p.values.trim().is_empty() {
        let docs = yaml::parse_docs(&p.values, &format!("values of {}", p.chart)).map_err(|e| format!("{e:#}"))?;
        match docs.as_slice() {
            [v @ Value::Object(_)] => hr["spec"]["values"] = v.clone(),
            [] => {}
            _ => return Err(format!("values of {} must be one YAML mapping", p.chart)),
        }
    }
    Ok(hr)
}

/// Sets `spec.dependsOn` of every release: the releases of the previous layer (layers sorted by name);
/// releases without a layer depend on nothing and nothing depends on them.
pub fn link_layers(releases: &mut [Value]) {
    let layer_of = |r: &Value| r["metadata"]["labels"][LAYER_LABEL].as_str().map(str::to_owned);
    let mut layers: Vec<String> = releases.iter().filter_map(layer_of).collect();
    layers.sort();
    layers.dedup();
    let names_in = |layer: &str, rs: &[Value]| -> Vec<Value> {
        rs.iter()
            .filter(|r| layer_of(r).as_deref() == Some(layer))
            .map(|r| json!({ "name": r["metadata"]["name"] }))
            .collect()
    };
    let deps: Vec<Vec<Value>> = releases
        .iter()
        .map(|r| match layer_of(r).and_then(|l| layers.iter().position(|x| *x == l)) {
            Some(i) if i > 0 => names_in(&layers[i - 1], releases),
            _ => Vec::new(),
        })
        .collect();
    for (r, d) in releases.iter_mut().zip(deps) {
        if let Some(spec) = r["spec"].as_object_mut() {
            if d.is_empty() {
                spec.remove("dependsOn");
            } else {
                spec.insert("dependsOn".into(), Value::Array(d));
            }
        }
    }
}

/// The documents of a profiles file: the HelmRepository copy, then the releases of `existing` (the file's
/// current documents, if any) with `choices` added or replacing the release of the same chart, linked by
/// layer.
///
/// # Errors
/// Values that are not a YAML mapping.
pub fn profiles_documents(
    namespace: &str,
    cluster: &str,
    repository: &Value,
    existing: &[Value],
    choices: &[ProfileChoice],
) -> Result<Vec<Value>, String> {
    let repo_name = repository["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let repo_doc = existing
        .iter()
        .find(|d| d["kind"] == "HelmRepository")
        .cloned()
        .unwrap_or_else(|| helm_repository_copy(repository, namespace));
    let mut releases: Vec<Value> = existing.iter().filter(|d| d["kind"] == "HelmRelease").cloned().collect();
    let mut others: Vec<Value> =
        existing.iter().filter(|d| d["kind"] != "HelmRelease" && d["kind"] != "HelmRepository").cloned().collect();
    let source = repo_doc["metadata"]["name"].as_str().map_or(repo_name, str::to_owned);
    for p in choices {
        let hr = helm_release(namespace, cluster, &source, p)?;
        match releases.iter_mut().find(|r| r["metadata"]["name"] == hr["metadata"]["name"]) {
            Some(slot) => *slot = hr,
            None => releases.push(hr),
        }
    }
    link_layers(&mut releases);
    let mut docs = vec![repo_doc];
    docs.append(&mut releases);
    docs.append(&mut others);
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(chart: &str, layer: Option<&str>) -> ProfileChoice {
        ProfileChoice {
            chart: chart.into(),
            version: "1.0.0".into(),
            target_namespace: None,
            layer: layer.map(str::to_owned),
            values: String::new(),
        }
    }

    #[test]
    fn releases_depend_on_the_previous_layer_and_target_the_workload() {
        let repo = json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
            "metadata": {"name": "charts", "namespace": "flux-system", "uid": "x", "resourceVersion": "9",
                "annotations": {"weave.works/profiles": "true"}, "labels": {"kustomize.toolkit.fluxcd.io/name": "infra"}},
            "spec": {"url": "https://example.invalid/charts", "interval": "1h"}, "status": {"artifact": {}}});
        let mut c = choice("podinfo", Some("layer-1"));
        c.values = "replicaCount: 2\n".into();
        let docs =
            profiles_documents("team", "dev", &repo, &[], &[choice("cert-manager", Some("layer-0")), c]).unwrap();
        assert_eq!(
            docs[0],
            json!({"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "HelmRepository",
            "metadata": {"name": "charts", "namespace": "team", "annotations": {"weave.works/profiles": "true"}},
            "spec": {"url": "https://example.invalid/charts", "interval": "1h"}})
        );
        assert_eq!(docs[1]["metadata"]["name"], "dev-cert-manager");
        assert!(docs[1]["spec"].get("dependsOn").is_none());
        assert_eq!(docs[2]["spec"]["dependsOn"], json!([{"name": "dev-cert-manager"}]));
        assert_eq!(docs[2]["spec"]["values"], json!({"replicaCount": 2}));
        assert_eq!(docs[2]["spec"]["kubeConfig"]["secretRef"]["name"], "dev-kubeconfig");
        assert_eq!(
            docs[2]["spec"]["chart"]["spec"]["sourceRef"],
            json!({"kind": "HelmRepository", "name": "charts", "namespace": "team"})
        );

        // Adding a layer-0 chart later: the layer-1 release now depends on both.
        let more = profiles_documents("team", "dev", &repo, &docs, &[choice("external-dns", Some("layer-0"))]).unwrap();
        assert_eq!(more.len(), 4);
        assert_eq!(more[2]["spec"]["dependsOn"], json!([{"name": "dev-cert-manager"}, {"name": "dev-external-dns"}]));
        // A file's own HelmRepository wins over the fleet's; without either there is nothing to source from.
        let text = yaml::emit_docs(&docs).unwrap();
        let other = json!({"kind": "HelmRepository", "metadata": {"name": "other"}});
        let added = add_to_file("team", "dev", Some(&text), Some(&other), &choice("x", None)).unwrap();
        assert!(!added.contains("name: other") && added.contains("name: dev-x"), "{added}");
        assert!(add_to_file("team", "dev", None, None, &choice("x", None)).unwrap_err().contains("no profile"));
        let mut bad = choice("x", None);
        bad.values = "- a\n".into();
        assert!(helm_release("team", "dev", "charts", &bad).unwrap_err().contains("mapping"));
    }
}
