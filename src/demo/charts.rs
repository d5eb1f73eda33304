//! The demo's Helm chart repository: small charts of fleetdeck's own, packaged as Helm packages them and
//! listed in an `index.yaml`, for the real helm-controller to install from the loopback server
//! ([`super::git_server`], under `/charts/`).
//!
//! The charts carry the names and versions of the profiles the demo's templates offer (`cert-manager`
//! 1.16.1, `podinfo` 6.8.0, [`super::seed`]'s WGE charts; `ingress-nginx` 4.12.1, the management cluster's
//! release) but are stand-ins: ConfigMaps and ServiceAccounts
//! only, which are ready the moment they exist, since no kubelet or controller-manager runs here. Their
//! `Chart.yaml` says so. `broken-template` fails to render on purpose (`fail`), for the health fixtures.
//!
//! Layout (Helm's, `helm package` and `helm repo index`): `<name>-<version>.tgz` holding
//! `<name>/Chart.yaml`, `<name>/values.yaml`, `<name>/templates/*`; `index.yaml` with `apiVersion: v1`,
//! `entries.<name>[]` (the chart's metadata, `digest`: the package's SHA-256, `urls`: the package file name,
//! relative to the repository URL) and `generated`.
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One chart of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Chart name.
    pub name: &'static str,
    /// SemVer version.
    pub version: &'static str,
    /// `Chart.yaml` description.
    pub description: &'static str,
    /// `values.yaml`.
    pub values: &'static str,
    /// Files of `templates/`: (file name, Go template text).
    pub templates: &'static [(&'static str, &'static str)],
}

/// When the index says it and its entries were made (fixed, so the repository is the same on every run).
pub const CREATED: &str = "2026-11-30T09:00:00Z";

const INFO_CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Chart.Name }}-info
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/version: {{ .Chart.Version | quote }}
data:
  chart: {{ .Chart.Name }}-{{ .Chart.Version }}
  note: {{ .Values.note | quote }}
"#;

const SERVICE_ACCOUNT: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Chart.Name }}
  namespace: {{ .Release.Namespace }}
"#;

const REPLICAS_CONFIGMAP: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Chart.Name }}-settings
  namespace: {{ .Release.Namespace }}
data:
  replicaCount: {{ .Values.replicaCount | quote }}
"#;

const FAILING: &str = r#"{{ fail "broken-template: this chart fails to render on purpose (fleetdeck demo)" }}
"#;

/// The demo repository's charts.
pub const CHARTS: &[Chart] = &[
    Chart {
        name: "cert-manager",
        version: "1.16.1",
        description: "fleetdeck demo stand-in for cert-manager: a ConfigMap and a ServiceAccount (no CRDs, no pods)",
        values: "note: stand-in\ncrds:\n  enabled: false\n",
        templates: &[("info.yaml", INFO_CONFIGMAP), ("serviceaccount.yaml", SERVICE_ACCOUNT)],
    },
    Chart {
        name: "podinfo",
        version: "6.8.0",
        description: "fleetdeck demo stand-in for podinfo: ConfigMaps and a ServiceAccount (no pods)",
        values: "note: stand-in\nreplicaCount: 1\n",
        templates: &[
            ("info.yaml", INFO_CONFIGMAP),
            ("settings.yaml", REPLICAS_CONFIGMAP),
            ("serviceaccount.yaml", SERVICE_ACCOUNT),
        ],
    },
    Chart {
        name: "ingress-nginx",
        version: "4.12.1",
        description: "fleetdeck demo stand-in for ingress-nginx: a ConfigMap and a ServiceAccount (no controller)",
        values: "note: stand-in\n",
        templates: &[("info.yaml", INFO_CONFIGMAP), ("serviceaccount.yaml", SERVICE_ACCOUNT)],
    },
    Chart {
        name: "broken-template",
        version: "0.1.0",
        description: "fleetdeck demo: a chart whose template fails on purpose",
        values: "{}\n",
        templates: &[("fail.yaml", FAILING)],
    },
];

impl Chart {
    /// `<name>-<version>.tgz`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    /// The chart's `Chart.yaml` as JSON (Helm's `apiVersion: v2` metadata).
    fn metadata(&self) -> Value {
        json!({
            "apiVersion": "v2",
            "name": self.name,
            "version": self.version,
            "appVersion": self.version,
            "description": self.description,
            "type": "application",
        })
    }

    /// The package: a gzip'd tar of `<name>/...`, every entry mode 0644 and dated [`CREATED`], so equal
    /// charts give equal bytes.
    ///
    /// # Errors
    /// Only when writing to memory fails (YAML of the metadata).
    pub fn package(&self) -> Result<Vec<u8>> {
        let mtime = CREATED.parse::<k8s_openapi::jiff::Timestamp>().map_or(0, |t| t.as_second().max(0) as u64);
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        let chart_yaml = serde_saphyr::to_string(&self.metadata()).context("writing Chart.yaml")?;
        let mut files = vec![("Chart.yaml".to_owned(), chart_yaml), ("values.yaml".to_owned(), self.values.to_owned())];
        files.extend(self.templates.iter().map(|(f, t)| (format!("templates/{f}"), (*t).to_owned())));
        for (path, text) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(text.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, format!("{}/{path}", self.name), text.as_bytes())
                .with_context(|| format!("packaging {}/{path}", self.name))?;
        }
        let gz = tar.into_inner().context("finishing the tar")?;
        gz.finish().context("finishing the gzip")
    }
}

/// Writes the packages of `charts` and their `index.yaml` into `dir` (created if missing; files of the same
/// names replaced).
///
/// # Errors
/// The folder or a file cannot be written (the message names it).
pub fn write_repository(dir: &Path, charts: &[Chart]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut entries = serde_json::Map::new();
    for c in charts {
        let package = c.package()?;
        let path = dir.join(c.file_name());
        std::fs::write(&path, &package).with_context(|| format!("writing {}", path.display()))?;
        let mut entry = c.metadata();
        entry["digest"] = json!(hex(&Sha256::digest(&package)));
        entry["created"] = json!(CREATED);
        entry["urls"] = json!([c.file_name()]);
        match entries.get_mut(c.name).and_then(Value::as_array_mut) {
            Some(versions) => versions.push(entry),
            None => {
                entries.insert(c.name.to_owned(), json!([entry]));
            }
        }
    }
    let index = json!({ "apiVersion": "v1", "entries": entries, "generated": CREATED });
    let path = dir.join("index.yaml");
    std::fs::write(&path, serde_saphyr::to_string(&index).context("writing index.yaml")?)
        .with_context(|| format!("writing {}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_holds_the_chart_under_its_name_and_is_the_same_every_time() {
        let c = &CHARTS[1];
        let bytes = c.package().expect("packages");
        assert_eq!(bytes, c.package().expect("packages again"), "deterministic");
        let mut names = Vec::new();
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
        for e in archive.entries().expect("entries") {
            names.push(e.expect("entry").path().expect("path").display().to_string());
        }
        assert_eq!(
            names,
            [
                "podinfo/Chart.yaml",
                "podinfo/values.yaml",
                "podinfo/templates/info.yaml",
                "podinfo/templates/settings.yaml",
                "podinfo/templates/serviceaccount.yaml"
            ]
        );
    }

    #[test]
    fn the_index_lists_every_chart_with_its_package_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_repository(dir.path(), CHARTS).expect("writes");
        let text = std::fs::read_to_string(dir.path().join("index.yaml")).expect("index");
        let index: Value = serde_saphyr::from_str(&text).expect("index parses");
        assert_eq!(index["apiVersion"], "v1");
        for c in CHARTS {
            let e = &index["entries"][c.name][0];
            assert_eq!(e["version"], c.version);
            assert_eq!(e["urls"][0], c.file_name());
            let package = std::fs::read(dir.path().join(c.file_name())).expect("package");
            assert_eq!(e["digest"], hex(&Sha256::digest(&package)));
        }
    }
}
