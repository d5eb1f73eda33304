//! Files a change adds that a `kustomization.yaml` above them leaves out of its build.
//!
//! kustomize-controller builds a Kustomization's `spec.path` from the `kustomization.yaml` (`.yml`,
//! `Kustomization`) it finds there, and generates one holding every manifest below the folder only when there
//! is none (fluxcd/pkg `kustomize` generator). A folder whose file lists its `resources` therefore builds only
//! what it lists: a new `platform/team-x.yaml` beside a listed `a.yaml` is fetched, its revision applied, and
//! the object never created. [`unlisted`] finds such files before they are committed, from the base tree.
use std::collections::BTreeMap;

use serde_json::Value;

use super::kustomize_build::{KUSTOMIZATION_FILES, clean_path};

/// Every kustomization file path that could decide whether `added` are built: the kustomization file names
/// in each folder above each added file (nearest first), repository-relative. Read them at the base
/// (`Repo::read_files`) and pass them to [`unlisted`].
pub fn candidates(added: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for path in added {
        for dir in folders_above(path) {
            for name in KUSTOMIZATION_FILES {
                let p = in_folder(&dir, name);
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// One line per added file the nearest kustomization file above it does not list (itself, or a folder
/// holding it), e.g. `clusters/management/clusters/kustomization.yaml lists its resources without
/// platform/team-x.yaml: a Kustomization building clusters/management/clusters will not apply it`.
/// `files` maps [`candidates`] to their content (absent: no such file). A kustomization file without
/// `resources` (or that does not parse) is not judged.
pub fn unlisted(added: &[String], files: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for path in added {
        let path = clean_path(path);
        let Some((dir, file, text)) = folders_above(&path).into_iter().find_map(|dir| {
            KUSTOMIZATION_FILES.iter().find_map(|name| {
                let p = in_folder(&dir, name);
                files.get(&p).map(|text| (dir.clone(), p, text))
            })
        }) else {
            continue;
        };
        let Ok(doc) = serde_saphyr::from_str::<Value>(text) else { continue };
        let Some(resources) = doc["resources"].as_array() else { continue };
        let rel = if dir.is_empty() { path.clone() } else { path[dir.len() + 1..].to_owned() };
        let covered = resources
            .iter()
            .filter_map(Value::as_str)
            .map(clean_path)
            .any(|r| r == rel || rel.starts_with(&format!("{r}/")));
        if !covered {
            let folder = if dir.is_empty() { "the repository root".to_owned() } else { dir.clone() };
            out.push(format!(
                "{file} lists its resources without {rel}: a Kustomization building {folder} will not apply it \
                 (add it to resources)"
            ));
        }
    }
    out
}

/// `name` in the repository-relative folder `dir` (`""`: the root).
fn in_folder(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_owned() } else { format!("{dir}/{name}") }
}

/// The folders above `path`, nearest first, ending with `""` (the root).
fn folders_above(path: &str) -> Vec<String> {
    let path = clean_path(path);
    let mut out = Vec::new();
    let mut cur = path.as_str();
    while let Some((parent, _)) = cur.rsplit_once('/') {
        out.push(parent.to_owned());
        cur = parent;
    }
    out.push(String::new());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect()
    }

    #[test]
    fn a_listed_folder_leaves_a_new_file_out() {
        let added = vec!["clusters/mgmt/platform/team-x.yaml".to_owned()];
        let c = candidates(&added);
        assert_eq!(c[0], "clusters/mgmt/platform/kustomization.yaml");
        assert_eq!(c.last().map(String::as_str), Some("Kustomization"));
        let f = files(&[("clusters/mgmt/kustomization.yaml", "resources:\n  - a.yaml\n")]);
        assert_eq!(
            unlisted(&added, &f),
            ["clusters/mgmt/kustomization.yaml lists its resources without platform/team-x.yaml: a Kustomization \
              building clusters/mgmt will not apply it (add it to resources)"]
        );
    }

    #[test]
    fn listed_files_folders_and_generated_builds_pass() {
        let added = vec!["clusters/mgmt/platform/team-x.yaml".to_owned()];
        for listed in
            ["resources:\n  - platform/team-x.yaml\n", "resources:\n  - ./platform\n", "resources: [platform/]\n"]
        {
            assert!(unlisted(&added, &files(&[("clusters/mgmt/kustomization.yaml", listed)])).is_empty(), "{listed}");
        }
        // No kustomization file: kustomize-controller generates one with every manifest.
        assert!(unlisted(&added, &BTreeMap::new()).is_empty());
        // The nearest one decides: the folder's own lists the file.
        let f = files(&[
            ("clusters/mgmt/platform/kustomization.yaml", "resources: [team-x.yaml]\n"),
            ("clusters/mgmt/kustomization.yaml", "resources: [a.yaml]\n"),
        ]);
        assert!(unlisted(&added, &f).is_empty());
        // No resources (only patches, say) or not YAML: not judged.
        assert!(unlisted(&added, &files(&[("clusters/mgmt/kustomization.yaml", "patches: []\n")])).is_empty());
        assert!(unlisted(&added, &files(&[("clusters/mgmt/kustomization.yaml", ": [")])).is_empty());
    }
}
