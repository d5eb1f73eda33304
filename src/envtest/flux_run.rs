//! Runs the real Flux controllers ([`super::flux_controllers`]) as child processes against an API server, the
//! way a cluster runs them but on the host: each is a [`Proc`] (dies with its owner, killed and reaped on
//! drop), logs to a file, and serves its health and metrics endpoints on loopback ports.
//!
//! What they get, from each controller's `main.go` and `--help` (the Flux v2.9.5 set, checked 2026-12-04):
//! - No `--kubeconfig` flag: controller-runtime registers one on Go's `flag.CommandLine`, which Flux's pflag
//!   set never adds (`unknown flag: --kubeconfig`). The kubeconfig is `KUBECONFIG` (controller-runtime's
//!   `GetConfig` reads it before trying in-cluster config and `~/.kube/config`), and its current context is
//!   the one used, so a context is chosen by writing a kubeconfig holding only it. `HOME` is a folder of
//!   their own and the in-cluster variables are removed, so a user's `~/.kube/config` is never reached.
//! - `--enable-leader-election` defaults to false (given explicitly anyway); source-controller starts its
//!   artifact server once elected, which without leader election is at once.
//! - `--watch-all-namespaces` (default true). `RUNTIME_NAMESPACE` names the namespace they watch when it is
//!   false, and where kustomize-controller finds its `--sops-*` Secret / ConfigMap; nothing else reads it (no
//!   namespace has to exist). Events go to the namespace of the object they are about, as Kubernetes Events
//!   only: `--events-addr` (notification-controller's webhook) stays empty, as nothing runs it here.
//! - Nothing else in the cluster: the CRDs and an admin kubeconfig suffice (no `flux-system` namespace, no
//!   RBAC, and no ExternalArtifact CRD: helm-controller v1.6.4 and kustomize-controller v1.9.5 watch that kind
//!   only behind their `ExternalArtifact` feature gate, off by default, and source-controller v1.9.5 never).
//! - source-controller serves artifacts from `--storage-path` on `--storage-addr` and writes
//!   `http://<--storage-adv-addr>/...` into each artifact's URL; kustomize- and helm-controller fetch those
//!   URLs, with the host rewritten to `SOURCE_CONTROLLER_LOCALHOST` when it is set.
//! - `/readyz` on `--health-addr` answers `200 ok` once the manager runs (Flux's `probes.SetupChecks`: a ping
//!   check); it says nothing of the informers' sync. source-controller's artifact server comes later: its
//!   manager reports itself elected only after starting the caches, the other runnables and its controllers
//!   (controller-runtime v0.24 `manager/internal.go`). Measured here (2026-12-04, 2 busy cores): every
//!   `/readyz` within 0.1-0.2 s of the spawn, the artifact server at 1.2-1.3 s.
//!
//! Remote clusters: kustomize-controller (and helm-controller) apply to another cluster through
//! `spec.kubeConfig.secretRef`, a Secret in the object's namespace whose `value` (or `value.yaml`, or the
//! named `key`) holds a kubeconfig (fluxcd/pkg/runtime `client/impersonator.go`). Its current context is the
//! one used; it must not need `exec` or skip TLS verification unless the controller was started with
//! `--insecure-kubeconfig-exec` / `--insecure-kubeconfig-tls`. The harness's self-contained kubeconfigs
//! (token, CA data, `https://127.0.0.1:<port>`) qualify as they are.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::flux_controllers;
use super::process::{self, Proc};

/// How to run the controllers; [`FluxOptions::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct FluxOptions {
    /// The kubeconfig file the controllers use.
    pub kubeconfig: PathBuf,
    /// The context of [`Self::kubeconfig`] to use; `None`: the file's `current-context`.
    pub context: Option<String>,
    /// Where each controller logs (`<name>.log`), source-controller's artifacts (`storage/`), the controllers'
    /// `HOME` (`home/`) and the one-context kubeconfig (`kubeconfig.json`) go; created if needed, never
    /// removed.
    pub dir: PathBuf,
    /// The binaries of source-, kustomize- and helm-controller, in [`flux_controllers::ALL`]'s order (what
    /// [`flux_controllers::ensure_all`] returns).
    pub binaries: [PathBuf; 3],
    /// `--log-level`: `trace`, `debug`, `info` or `error`. Default `info`.
    pub log_level: String,
    /// `--concurrent`: reconciles at once per kind. Default 2 (their own defaults are 2 and 4).
    pub concurrent: u32,
    /// `--requeue-dependency`: how soon an object waiting for a dependency (a source without an artifact,
    /// `dependsOn`) is looked at again. Default 5 s (theirs: 30 s).
    pub requeue_dependency: Duration,
    /// `--max-retry-delay`: the longest back-off after failed reconciles. Default 30 s (theirs: 15 min).
    pub max_retry_delay: Duration,
    /// `RUNTIME_NAMESPACE`. Default `flux-system`.
    pub runtime_namespace: String,
    /// How long all three may take to answer `/readyz` (and source-controller to serve artifacts). Default
    /// 60 s.
    pub ready_timeout: Duration,
}

impl FluxOptions {
    /// The defaults (see each field) for `binaries` run against `kubeconfig`, with their files in `dir`.
    pub fn new(kubeconfig: &Path, dir: &Path, binaries: [PathBuf; 3]) -> FluxOptions {
        FluxOptions {
            kubeconfig: kubeconfig.to_path_buf(),
            context: None,
            dir: dir.to_path_buf(),
            binaries,
            log_level: "info".into(),
            concurrent: 2,
            requeue_dependency: Duration::from_secs(5),
            max_retry_delay: Duration::from_secs(30),
            runtime_namespace: "flux-system".into(),
            ready_timeout: Duration::from_secs(60),
        }
    }
}

/// The loopback ports of one start.
#[derive(Debug, Clone, Copy)]
struct Ports {
    /// Per controller, in [`flux_controllers::ALL`]'s order: (health, metrics).
    probes: [(u16, u16); 3],
    /// source-controller's artifact server.
    storage: u16,
}

impl Ports {
    fn pick() -> Result<Ports> {
        let p = process::free_ports(7)?;
        Ok(Ports { probes: [(p[0], p[1]), (p[2], p[3]), (p[4], p[5])], storage: p[6] })
    }
}

/// The three controllers, running; killed (SIGKILL) and reaped on drop or [`FluxControllers::stop`].
#[derive(Debug)]
pub struct FluxControllers {
    procs: Vec<Proc>,
    names: [&'static str; 3],
    ports: Ports,
    kubeconfig: PathBuf,
}

impl FluxControllers {
    /// Starts source-, kustomize- and helm-controller against `opts.kubeconfig` and waits (blocking the thread,
    /// up to `opts.ready_timeout`) until each listens on its own health and metrics ports and answers `200`
    /// on `/readyz`, and source-controller listens on its artifact server's port ([`process::listens_on`]:
    /// another test's controller on a port taken first answers `/readyz` too). A controller that could not
    /// bind its port (another process took it between choosing and binding) is started again with all three
    /// on new ports, 3 times in all.
    ///
    /// Errors: a missing binary, or a controller that exits before it is ready, in one line naming the
    /// controller and its log (with the log's last line); not ready in time: the controller, its log and the
    /// log's last lines. Nothing is left running on error.
    pub fn start(opts: &FluxOptions) -> Result<FluxControllers> {
        let names = flux_controllers::ALL.map(|o| o.name);
        for (name, bin) in names.iter().zip(&opts.binaries) {
            if !bin.is_file() {
                bail!(
                    "{name}: no binary at {} (build it with `fleetdeck envtest provision --flux-controllers`)",
                    bin.display()
                );
            }
        }
        std::fs::create_dir_all(opts.dir.join("storage"))
            .and_then(|()| std::fs::create_dir_all(opts.dir.join("home")))
            .with_context(|| format!("creating {}", opts.dir.display()))?;
        let kubeconfig = match &opts.context {
            Some(ctx) => one_context_kubeconfig(&opts.kubeconfig, ctx, &opts.dir.join("kubeconfig.json"))?,
            None => opts.kubeconfig.clone(),
        };
        let mut attempt = 1;
        loop {
            let ports = Ports::pick()?;
            let mut me = FluxControllers { procs: Vec::new(), names, ports, kubeconfig: kubeconfig.clone() };
            for (i, name) in names.iter().enumerate() {
                let cmd = me.command(opts, i);
                me.procs.push(Proc::spawn(*name, cmd, &opts.dir.join(format!("{name}.log")))?);
            }
            match me.wait_ready(opts.ready_timeout) {
                Ok(()) => return Ok(me),
                Err(e) if attempt < 3 && me.port_taken() => {
                    tracing::debug!("flux controllers: a port was taken, starting again: {e:#}");
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn command(&self, opts: &FluxOptions, i: usize) -> Command {
        let (health, metrics) = self.ports.probes[i];
        let storage = format!("127.0.0.1:{}", self.ports.storage);
        let mut cmd = Command::new(&opts.binaries[i]);
        // client-go's default User-Agent, from which the API server names the field manager of every write
        // without one of its own (status patches, Events), starts with the base name of argv[0]: the cached
        // binary's name carries its version, a cluster's does not.
        cmd.arg0(self.names[i]);
        cmd.env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", opts.dir.join("home"))
            .env("RUNTIME_NAMESPACE", &opts.runtime_namespace)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .args(["--enable-leader-election=false", "--watch-all-namespaces=true"])
            .arg(format!("--health-addr=127.0.0.1:{health}"))
            .arg(format!("--metrics-addr=127.0.0.1:{metrics}"))
            .arg(format!("--log-level={}", opts.log_level))
            .arg(format!("--concurrent={}", opts.concurrent))
            .arg(format!("--requeue-dependency={}ms", opts.requeue_dependency.as_millis()))
            .arg(format!("--max-retry-delay={}ms", opts.max_retry_delay.as_millis()));
        if i == 0 {
            cmd.arg(format!("--storage-path={}", opts.dir.join("storage").display()))
                .arg(format!("--storage-addr={storage}"))
                .arg(format!("--storage-adv-addr={storage}"));
        } else {
            cmd.env("SOURCE_CONTROLLER_LOCALHOST", &storage);
        }
        cmd
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut ready = [false; 3];
        let mut storage = false;
        while !(ready.iter().all(|r| *r) && storage) {
            for ((p, ready), (health, metrics)) in self.procs.iter_mut().zip(&mut ready).zip(self.ports.probes) {
                if let Some(status) = p.exited() {
                    let last = p.log_tail(1);
                    bail!(
                        "{} exited ({status}) before it was ready (log: {}): {}",
                        p.label,
                        p.log.display(),
                        last.trim()
                    );
                }
                // Its own ports: a controller of a parallel test that took one answers `/readyz` too.
                *ready = *ready
                    || (process::listens_on(p.pid(), health)
                        && process::listens_on(p.pid(), metrics)
                        && readyz(health));
            }
            storage = storage || process::listens_on(self.procs[0].pid(), self.ports.storage);
            if Instant::now() > deadline {
                let i = (0..3).find(|i| !ready[*i]).unwrap_or(0);
                let p = &self.procs[i];
                let what = if ready[i] { "serving artifacts" } else { "ready (/readyz)" };
                bail!(
                    "{} not {what} within {timeout:?} (log: {}); its last lines:\n{}",
                    p.label,
                    p.log.display(),
                    p.log_tail(15)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// Whether a controller died because its port was taken.
    fn port_taken(&mut self) -> bool {
        self.procs.iter_mut().any(|p| p.exited().is_some() && p.log_tail(5).contains("address already in use"))
    }

    /// Process ids of source-, kustomize- and helm-controller (in that order), while running.
    pub fn pids(&self) -> Vec<u32> {
        self.procs.iter().map(Proc::pid).collect()
    }

    /// Each controller's name and log file, in [`flux_controllers::ALL`]'s order.
    pub fn logs(&self) -> Vec<(&'static str, &Path)> {
        self.names.iter().copied().zip(self.procs.iter().map(|p| p.log.as_path())).collect()
    }

    /// The log file of controller `name` (`source-controller`, ...), if it is one of them.
    pub fn log(&self, name: &str) -> Option<&Path> {
        self.logs().into_iter().find(|(n, _)| *n == name).map(|(_, p)| p)
    }

    /// The last `n` lines of controller `name`'s log (empty if it is not one of them or has not logged).
    pub fn log_tail(&self, name: &str, n: usize) -> String {
        let i = self.names.iter().position(|c| *c == name);
        i.map(|i| self.procs[i].log_tail(n)).unwrap_or_default()
    }

    /// Where source-controller serves artifacts: `127.0.0.1:<port>` (also the host of their URLs).
    pub fn storage_addr(&self) -> String {
        format!("127.0.0.1:{}", self.ports.storage)
    }

    /// The kubeconfig file the controllers were given (the one-context copy when a context was chosen).
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Kills every controller (SIGKILL) and waits for it. Idempotent; also run on drop.
    pub fn stop(&mut self) {
        for p in &mut self.procs {
            p.kill();
        }
    }
}

impl Drop for FluxControllers {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether `GET http://127.0.0.1:<port>/readyz` answers `200` within 200 ms. The manager binds the port
/// before it serves it, so a request may sit unread for a while: ask again rather than wait long.
fn readyz(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    if s.write_all(b"GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.") && &head[8..] == b" 200"
}

/// Writes to `out` (JSON, which kubeconfig readers take as YAML) the kubeconfig at `from` cut down to context
/// `context`, its cluster and its user, with `context` current; returns `out`.
///
/// Errors when `from` cannot be read or has no such context.
fn one_context_kubeconfig(from: &Path, context: &str, out: &Path) -> Result<PathBuf> {
    let mut kc = kube::config::Kubeconfig::read_from(from).with_context(|| format!("reading {}", from.display()))?;
    let ctx = kc
        .contexts
        .iter()
        .find(|c| c.name == context)
        .with_context(|| format!("{} has no context {context}", from.display()))?
        .clone();
    let (cluster, user) = ctx.context.as_ref().map(|c| (c.cluster.clone(), c.user.clone())).unwrap_or_default();
    kc.contexts = vec![ctx];
    kc.clusters.retain(|c| c.name == cluster);
    kc.auth_infos.retain(|a| Some(&a.name) == user.as_ref());
    kc.current_context = Some(context.to_string());
    let text = serde_json::to_string(&kc).context("writing the kubeconfig as JSON")?;
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    Ok(out.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_is_chosen_by_a_kubeconfig_holding_only_it() {
        let ctx = |n: &str, port: u16| super::super::kubeconfig::TokenContext {
            name: n.into(),
            server: format!("https://127.0.0.1:{port}"),
            ca_pem: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
            token: format!("token-{n}"),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let from = dir.path().join("kubeconfig");
        let text = super::super::kubeconfig::render(&[ctx("a", 1), ctx("b", 2), ctx("c", 3)], "a");
        std::fs::write(&from, text).expect("write");
        let out = one_context_kubeconfig(&from, "b", &dir.path().join("one.json")).expect("cut");
        let kc = kube::config::Kubeconfig::read_from(&out).expect("kube reads it");
        assert_eq!(kc.current_context.as_deref(), Some("b"));
        assert_eq!(kc.contexts.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(kc.clusters.len(), 1);
        let cluster = kc.clusters[0].cluster.as_ref().expect("cluster");
        assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:2"));
        assert!(cluster.certificate_authority_data.is_some());
        let raw = std::fs::read_to_string(&out).expect("read");
        assert!(raw.contains("token-b") && !raw.contains("token-a"), "{raw}");
        let err = one_context_kubeconfig(&from, "nope", &dir.path().join("x.json")).expect_err("no such context");
        assert!(format!("{err:#}").contains("has no context nope"), "{err:#}");
    }

    #[test]
    fn a_missing_binary_is_one_line_naming_the_controller() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("none");
        let opts = FluxOptions::new(&dir.path().join("kubeconfig"), dir.path(), [0, 1, 2].map(|_| missing.clone()));
        let err = format!("{:#}", FluxControllers::start(&opts).expect_err("no binaries"));
        assert!(err.starts_with("source-controller: no binary at ") && !err.contains('\n'), "{err}");
    }
}
