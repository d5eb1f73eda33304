//! The demo fleet's state file, `<state dir>/demo/state.json`: which process runs the fleet, where its
//! kubeconfig is, and the processes and ports it started. `demo up` / `status` / `down` read it.
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// What a running demo fleet writes about itself. JSON; times are RFC 3339.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DemoState {
    /// Pid of the process that owns the fleet (the `demo` foreground process or the `demo serve` daemon).
    pub pid: u32,
    /// `starting` while it seeds, `ready` once the kubeconfig works and the controllers run.
    pub phase: String,
    /// The fleet's kubeconfig.
    pub kubeconfig: PathBuf,
    /// When the fleet was started (RFC 3339).
    pub started_at: String,
    /// Extra objects seeded with `--scale N` (0 without it).
    pub scale: usize,
    /// Each server of the fleet: (context, URL).
    pub servers: Vec<(String, String)>,
    /// Pids of etcd and the API servers, so `demo down` can make sure none survives.
    pub child_pids: Vec<u32>,
    /// The fleet's GitOps repository (a clone), once written.
    #[serde(default)]
    pub repository: Option<PathBuf>,
    /// Extra contexts presented with `--contexts N` (0 without it).
    #[serde(default)]
    pub contexts: usize,
    /// Who plays Flux in `mgmt` (`--flux`).
    #[serde(default)]
    pub flux: super::FluxMode,
    /// `--flux real`: the loopback git and chart server's base URL (`http://127.0.0.1:PORT/`).
    #[serde(default)]
    pub git_url: Option<String>,
    /// `--flux real`: each real Flux controller process (also among `child_pids`), for `demo status`.
    #[serde(default)]
    pub flux_controllers: Vec<FluxProcess>,
    /// The contexts derived from `mgmt`'s ClusterProfiles (`mgmt/fleet-system/dev-eu`, ...), for the banner.
    #[serde(default)]
    pub profiles: Vec<String>,
}

/// One real Flux controller process of `--flux real`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FluxProcess {
    /// The context it reconciles, e.g. `dev-eu`.
    pub context: String,
    /// `source-controller`, `kustomize-controller` or `helm-controller`.
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// Its log file (stdout and stderr).
    pub log: PathBuf,
}

/// `<state dir>/demo`: the kubeconfig, certificates, process logs and `state.json` of the demo fleet.
pub fn demo_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("demo")
}

fn file(dir: &Path) -> PathBuf {
    dir.join("state.json")
}

impl DemoState {
    /// Reads `<dir>/state.json`; `Ok(None)` when there is none.
    ///
    /// Errors when the file exists but cannot be read or parsed (the message names it).
    pub fn read(dir: &Path) -> Result<Option<DemoState>> {
        let path = file(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes `<dir>/state.json` atomically (temp file + rename).
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = file(dir);
        let tmp = dir.join("state.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// Removes `<dir>/state.json` if present.
    pub fn remove(dir: &Path) -> Result<()> {
        match std::fs::remove_file(file(dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Whether the owning process is still alive.
    pub fn owner_alive(&self) -> bool {
        pid_alive(self.pid)
    }
}

/// Whether a process with this pid exists and is not a zombie.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 (after the parenthesised command name) is the state; Z is a zombie.
        Ok(stat) => {
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|s| s != "Z")
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reports_absence() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(DemoState::read(dir.path()).expect("read"), None);
        let s = DemoState {
            pid: std::process::id(),
            phase: "ready".into(),
            kubeconfig: dir.path().join("kubeconfig"),
            started_at: "2026-11-21T10:00:00Z".into(),
            scale: 0,
            servers: vec![("mgmt".into(), "https://127.0.0.1:6443".into())],
            child_pids: vec![1],
            repository: Some(dir.path().join("fleet")),
            contexts: 0,
            flux: crate::demo::FluxMode::Real,
            git_url: Some("http://127.0.0.1:8080/".into()),
            flux_controllers: vec![FluxProcess {
                context: "mgmt".into(),
                name: "source-controller".into(),
                pid: 2,
                log: dir.path().join("flux/mgmt/source-controller.log"),
            }],
            profiles: vec!["mgmt/fleet-system/dev-eu".into()],
        };
        s.write(dir.path()).expect("write");
        assert_eq!(DemoState::read(dir.path()).expect("read"), Some(s.clone()));
        assert!(s.owner_alive());
        DemoState::remove(dir.path()).expect("remove");
        assert_eq!(DemoState::read(dir.path()).expect("read"), None);
    }

    #[test]
    fn garbage_state_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("state.json"), "{not json").expect("write");
        let err = DemoState::read(dir.path()).expect_err("garbage");
        assert!(format!("{err:#}").contains("state.json"));
    }
}
