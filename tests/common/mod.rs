//! Shared by the integration tests: a private tmux server driving the real binary, running it, git, and a
//! fresh API server with the CRDs and objects created with their status.
#![allow(dead_code)]
pub mod flux_world;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server on its own socket, with one session `t`; killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").args(["-L", &self.socket]).args(args).output().expect("tmux runs")
    }
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        assert!(self.cmd(&args).status.success());
    }
    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }
    pub fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let t = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            assert!(t.elapsed() < timeout, "{what}: not on screen within {timeout:?}:\n{s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

pub fn fleetdeck(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fleetdeck")).args(args).env("FLEETDECK_HOME", home).output().expect("runs")
}

/// Starts the demo fleet under `home` (`fleetdeck demo up`), runs `drive` with its kubeconfig, and always
/// stops the fleet (`demo down`) before passing on a failure of `drive`.
pub fn with_demo(home: &Path, drive: impl FnOnce(&Path) + std::panic::UnwindSafe) {
    let up = fleetdeck(home, &["demo", "up"]);
    assert!(up.status.success(), "demo up: {}", String::from_utf8_lossy(&up.stderr));
    let kubeconfig = home.join("state/demo/kubeconfig");
    let result = std::panic::catch_unwind(|| drive(&kubeconfig));
    let down = fleetdeck(home, &["demo", "down"]);
    assert!(down.status.success(), "demo down: {}", String::from_utf8_lossy(&down.stderr));
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}

/// Runs `bin args` with `KUBECONFIG`, `FLEETDECK_HOME` and `NO_COLOR=1`; returns (exit code, stdout, stderr).
pub fn run(bin: &Path, args: &[&str], kubeconfig: &Path, home: &Path) -> (i32, String, String) {
    let out = Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("FLEETDECK_HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

/// Runs `git -C dir args` (C locale, no optional locks) and returns its trimmed stdout; fails the test with
/// git's stderr when git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A fresh API server `a` with fleetdeck's (upstream where cached) CRDs and namespace `ns`: the server and a
/// client of it.
pub async fn server_with_namespace(ns: &str) -> anyhow::Result<(fleetdeck::envtest::Envtest, kube::Client)> {
    let env = fleetdeck::envtest::Envtest::builder().server("a").start().await?;
    env.install_crds("a").await?;
    let client = env.client("a").await?;
    let namespace: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": ns}}))?;
    kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .create(&kube::api::PostParams::default(), &namespace)
        .await?;
    Ok((env, client))
}

/// Creates `obj` then merges `status` into its status subresource (as its controller would have written it).
pub async fn create_with_status(
    api: &kube::Api<kube::api::DynamicObject>,
    obj: serde_json::Value,
    status: serde_json::Value,
) -> anyhow::Result<()> {
    let o: kube::api::DynamicObject = serde_json::from_value(obj)?;
    let name = o.metadata.name.clone().unwrap_or_default();
    api.create(&kube::api::PostParams::default(), &o).await?;
    let patch = serde_json::json!({"status": status});
    api.patch_status(&name, &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&patch)).await?;
    Ok(())
}

/// Applies what the fleet sends to `store` until `done` holds; fails the test, naming `what`, after 30 s.
pub async fn until(
    rx: &mut tokio::sync::mpsc::Receiver<fleetdeck::model::store::StoreMsg>,
    store: &mut fleetdeck::model::store::FleetStore,
    what: &str,
    done: impl Fn(&fleetdeck::model::store::FleetStore) -> bool,
) {
    let t = Instant::now();
    while !done(store) {
        assert!(t.elapsed() < Duration::from_secs(30), "{what}: not within 30 s");
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            store.apply(m, k8s_openapi::jiff::Timestamp::now());
        }
    }
}
