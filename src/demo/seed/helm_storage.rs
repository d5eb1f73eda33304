//! Helm's release storage as helm-controller leaves it: one Secret per release revision,
//! `sh.helm.release.v1.<release>.v<revision>` of type `helm.sh/release.v1` in the HelmRelease's
//! `status.storageNamespace`, labelled `owner=helm`, `name`, `status`, `version`. Its `release` key holds the
//! release record (JSON) gzipped and base64-encoded, as Helm's Secret driver writes it
//! (helm `pkg/storage/driver/util.go` `encodeRelease`), so the Secret's `data.release` is base64 of that
//! base64 text. `flux tree` reads the `manifest` of the newest revision (flux2 `cmd/flux/tree_kustomization.go`
//! `getHelmReleaseInventory`), which is why the demo writes it: upstream's CLI then sees the same objects
//! the HelmRelease's `status.inventory` lists.
use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

use super::flux::Release;
use super::meta::{Clock, labels, object};

/// The storage Secret of `r`'s deployed revision (the newest of `r.versions`), whose manifest is `installed`
/// in order (as YAML documents, without `status`), deployed `r.deployed_ago` seconds ago.
pub(super) fn release_secret(clock: &Clock, r: &Release, installed: &[Value]) -> Value {
    let revision = r.versions.len().max(1);
    let (chart_version, app_version) = r.versions.last().map_or(("", ""), |(c, a)| (c.as_str(), a.as_str()));
    let manifest: String = installed
        .iter()
        .map(|o| {
            let mut o = o.clone();
            if let Some(m) = o.as_object_mut() {
                m.remove("status");
            }
            let kind = o["kind"].as_str().unwrap_or_default().to_lowercase();
            let yaml = serde_saphyr::to_string(&o).unwrap_or_default();
            format!("---\n# Source: {}/templates/{kind}.yaml\n{yaml}", r.chart)
        })
        .collect();
    let deployed = clock.ago(r.deployed_ago);
    let record = json!({
        "name": r.name,
        "info": {
            "first_deployed": deployed,
            "last_deployed": deployed,
            "deleted": "",
            "description": if revision > 1 { "Upgrade complete" } else { "Install complete" },
            "status": "deployed",
        },
        "chart": { "metadata": { "name": r.chart, "version": chart_version, "appVersion": app_version, "apiVersion": "v2" } },
        "config": r.values,
        "manifest": manifest,
        "version": revision,
        "namespace": r.namespace,
    });
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = gz.write_all(record.to_string().as_bytes());
    let helm_text = STANDARD.encode(gz.finish().unwrap_or_default());
    let mut secret = object("v1", "Secret", Some(&r.namespace), &format!("sh.helm.release.v1.{}.v{revision}", r.name));
    labels(
        &mut secret,
        &[("name", &r.name), ("owner", "helm"), ("status", "deployed"), ("version", &revision.to_string())],
    );
    secret["type"] = json!("helm.sh/release.v1");
    secret["data"] = json!({ "release": STANDARD.encode(helm_text) });
    secret
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use flate2::read::GzDecoder;

    use super::*;

    #[test]
    fn the_release_decodes_as_helm_and_flux_decode_it() {
        let clock = Clock::new(k8s_openapi::jiff::Timestamp::UNIX_EPOCH);
        let r = Release {
            namespace: "podinfo".into(),
            name: "podinfo".into(),
            chart: "podinfo".into(),
            versions: vec![("6.7.0".into(), "6.7.0".into()), ("6.8.0".into(), "6.8.0".into())],
            repo: ("flux-system".into(), "podinfo".into()),
            suspend: false,
            inventory: vec![],
            deployed_ago: 60,
            values: json!({"replicaCount": 2}),
            failed: None,
        };
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "podinfo"}, "status": {"x": 1}});
        let s = release_secret(&clock, &r, &[cm]);
        assert_eq!(s["metadata"]["name"], "sh.helm.release.v1.podinfo.v2");
        assert_eq!(s["metadata"]["labels"]["owner"], "helm");
        assert_eq!(s["type"], "helm.sh/release.v1");
        // The API's base64, then Helm's base64, then gzip, then JSON.
        let helm_text = STANDARD.decode(s["data"]["release"].as_str().expect("release")).expect("api base64");
        let gz = STANDARD.decode(helm_text).expect("helm base64");
        assert_eq!(&gz[..3], &[0x1f, 0x8b, 0x08], "gzip magic, as flux2 checks it");
        let mut json_text = String::new();
        GzDecoder::new(&gz[..]).read_to_string(&mut json_text).expect("gunzip");
        let record: Value = serde_json::from_str(&json_text).expect("json");
        assert_eq!(record["version"], 2);
        let manifest = record["manifest"].as_str().expect("manifest");
        assert!(manifest.starts_with("---\n# Source: podinfo/templates/configmap.yaml\n"), "{manifest}");
        assert!(manifest.contains("name: a") && !manifest.contains("status"), "{manifest}");
    }
}
