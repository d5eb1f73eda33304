//! Loading kubeconfig files the way kubectl does: `--kubeconfig PATH`, else every file of the
//! `KUBECONFIG` list merged in order (the first file to set a value wins), else `~/.kube/config`.
//!
//! A file that cannot be read or parsed is an error naming it; nothing is written back.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use kube::config::Kubeconfig;

/// The merged kubeconfig and the files it came from.
#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    /// The merged configuration, shared: the fleet's connections and the cockpit's action clients read this
    /// one copy (a thousand contexts are a megabyte of kubeconfig).
    pub config: Arc<Kubeconfig>,
    /// The files read, in merge order.
    pub files: Vec<PathBuf>,
}

impl LoadedKubeconfig {
    /// Context names in file order, optionally filtered to `only` (repeatable `--context`; an unknown name
    /// is an error).
    pub fn context_names(&self, only: &[String]) -> Result<Vec<String>> {
        let all: Vec<String> = self.config.contexts.iter().map(|c| c.name.clone()).collect();
        if only.is_empty() {
            return Ok(all);
        }
        for want in only {
            if !all.contains(want) {
                bail!("no context named {want:?} in {}", self.describe_files());
            }
        }
        Ok(all.into_iter().filter(|c| only.contains(c)).collect())
    }

    /// The server URL of a context (`None` when its cluster entry is missing).
    pub fn server_of(&self, context: &str) -> Option<String> {
        let ctx = self.config.contexts.iter().find(|c| c.name == context)?.context.as_ref()?;
        let cluster = self.config.clusters.iter().find(|c| c.name == ctx.cluster)?;
        cluster.cluster.as_ref()?.server.clone()
    }

    fn describe_files(&self) -> String {
        self.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
    }
}

/// Reads one file; errors name it.
fn read_one(path: &Path) -> Result<Kubeconfig> {
    if !path.exists() {
        bail!("kubeconfig {} does not exist", path.display());
    }
    Kubeconfig::read_from(path).with_context(|| format!("kubeconfig {} is not a valid kubeconfig", path.display()))
}

/// Loads the kubeconfig: `explicit` (from `--kubeconfig`) if given, else `KUBECONFIG` (a `:`-separated list;
/// missing entries are skipped as kubectl does, but at least one must exist), else `~/.kube/config`.
///
/// Errors name the file that is missing or malformed.
pub fn load(explicit: Option<&Path>) -> Result<LoadedKubeconfig> {
    let files: Vec<PathBuf> = match explicit {
        Some(p) => vec![p.to_path_buf()],
        None => match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
            Some(list) => {
                let listed: Vec<PathBuf> = std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect();
                let existing: Vec<PathBuf> = listed.iter().filter(|p| p.exists()).cloned().collect();
                if existing.is_empty() {
                    bail!("none of the KUBECONFIG files exists: {}", list.to_string_lossy());
                }
                existing
            }
            None => {
                let home = directories::BaseDirs::new().context("no home directory to find ~/.kube/config in")?;
                vec![home.home_dir().join(".kube").join("config")]
            }
        },
    };
    let mut merged: Option<Kubeconfig> = None;
    for f in &files {
        let next = read_one(f)?;
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).with_context(|| format!("merging kubeconfig {}", f.display()))?,
        });
    }
    let config = merged.context("no kubeconfig file")?;
    Ok(LoadedKubeconfig { config: Arc::new(config), files })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    server: https://a:6443\nusers:\n- name: a\n  user:\n    token: t\ncontexts:\n- name: a\n  context:\n    cluster: a\n    user: a\ncurrent-context: a\n";

    #[test]
    fn merges_and_filters_and_names_bad_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.yaml");
        let b = dir.path().join("b.yaml");
        std::fs::write(&a, A).expect("write");
        std::fs::write(
            &b,
            A.replace("name: a", "name: b")
                .replace("cluster: a", "cluster: b")
                .replace("user: a", "user: b")
                .replace("https://a", "https://b"),
        )
        .expect("write");
        let mut merged = read_one(&a).expect("a");
        merged = merged.merge(read_one(&b).expect("b")).expect("merge");
        let loaded = LoadedKubeconfig { config: Arc::new(merged), files: vec![a.clone(), b] };
        assert_eq!(loaded.context_names(&[]).expect("names"), ["a", "b"]);
        assert_eq!(loaded.context_names(&["b".into()]).expect("names"), ["b"]);
        assert!(loaded.context_names(&["zzz".into()]).is_err());
        assert_eq!(loaded.server_of("b").as_deref(), Some("https://b:6443"));

        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "clusters: [ {name: x, cluster: \n").expect("write");
        let err = format!("{:#}", load(Some(&bad)).expect_err("bad file"));
        assert!(err.contains("bad.yaml"), "{err}");
        let err = format!("{:#}", load(Some(&dir.path().join("nope.yaml"))).expect_err("missing file"));
        assert!(err.contains("nope.yaml") && err.contains("does not exist"), "{err}");
    }
}
