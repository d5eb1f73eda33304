//! A real Kubernetes control plane for tests, benches and the demo fleet: one `etcd` and N `kube-apiserver`
//! processes on loopback, in the manner of controller-runtime's envtest.
//!
//! Each API server stores under its own `--etcd-prefix`, so one etcd carries a management cluster and its
//! workload clusters. Every server accepts two bearer tokens: an admin (`system:masters`) and a restricted
//! user that RBAC forbids everything but discovery, for the Forbidden paths. No controller runs: tests play
//! the controllers by writing `status` through the status subresource.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let env = fleetdeck::envtest::Envtest::builder().server("mgmt").server("dev-eu").start().await?;
//! env.install_crds("mgmt").await?;
//! let client = env.client("mgmt").await?; // or "mgmt-restricted"
//! # Ok(()) }
//! ```
//! Everything is stopped and the temporary folder removed when the [`Envtest`] is dropped (also when a test
//! panics); children of a killed process die with it (see [`process`]).
pub mod assets;
mod cache;
mod crd_columns;
pub mod crds;
pub mod crossplane;
pub mod flux_controllers;
pub mod flux_run;
pub mod kubeconfig;
pub mod oracles;
pub mod pki;
pub mod process;
mod script;
pub mod upstream_crds;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use self::kubeconfig::TokenContext;
use self::process::Proc;

/// How long an API server may take to report `/readyz` (several start at once on 2 cores).
const READY_TIMEOUT: Duration = Duration::from_secs(90);

/// Chooses the servers of an [`Envtest`]; see [`Envtest::builder`].
#[derive(Debug, Default)]
pub struct EnvtestBuilder {
    servers: Vec<String>,
    extra_args: Vec<(String, Vec<String>)>,
    restricted: Vec<String>,
    root: Option<PathBuf>,
    progress: bool,
    users: Vec<String>,
}

impl EnvtestBuilder {
    /// Adds an API server (and a kubeconfig context) called `name`; its etcd prefix is `/name`.
    pub fn server(mut self, name: &str) -> Self {
        self.servers.push(name.to_string());
        self
    }

    /// Adds an API server `name` like [`EnvtestBuilder::server`], started with these extra kube-apiserver
    /// flags (e.g. `--feature-gates=WatchList=false` for a server without streaming lists).
    pub fn server_with_args(mut self, name: &str, args: &[&str]) -> Self {
        self.servers.push(name.to_string());
        self.extra_args.push((name.to_string(), args.iter().map(|a| a.to_string()).collect()));
        self
    }

    /// Adds a context `<name>-restricted` for server `name` that uses the restricted token. The first
    /// server gets one when none is asked for.
    pub fn restricted_context(mut self, name: &str) -> Self {
        self.restricted.push(name.to_string());
        self
    }

    /// Keeps the kubeconfig, certificates and logs under `dir` (created if needed, never removed) instead of a
    /// temporary folder: for the demo fleet, whose kubeconfig outlives a test. The processes still stop on
    /// drop and die with this process.
    pub fn root_dir(mut self, dir: &Path) -> Self {
        self.root = Some(dir.to_path_buf());
        self
    }

    /// Adds users with a bearer token each, in group `system:masters` (so each is an admin on every server,
    /// as a distinct identity: connections are not shared between them). Their tokens are
    /// [`Envtest::user_token`], in this order. The token file is read once, when the servers start.
    pub fn users(mut self, names: impl IntoIterator<Item = String>) -> Self {
        self.users.extend(names);
        self
    }

    /// Prints build progress to stderr if the binaries must be built first.
    pub fn with_progress(mut self) -> Self {
        self.progress = true;
        self
    }

    /// Provisions binaries if needed, starts etcd and every API server, waits for all `/readyz`, and writes
    /// the kubeconfig.
    ///
    /// The upstream CRDs are fetched too when missing ([`upstream_crds::ensure`]); when that fails the
    /// harness falls back to fleetdeck's own CRDs with a warning, except under `CI`, where it is an error.
    ///
    /// Errors name the process that failed, with the tail of its log.
    pub async fn start(self) -> Result<Envtest> {
        let progress = self.progress;
        let assets = tokio::task::spawn_blocking(move || {
            let mut say = |line: &str| {
                if progress {
                    eprintln!("envtest: {line}");
                }
                tracing::info!(target: "envtest", "{line}");
            };
            let assets = assets::ensure(&mut say)?;
            if let Some(why) = upstream_crds::why_not() {
                say(&format!("using fleetdeck's own CRDs ({why})"));
            } else if let Err(e) = upstream_crds::ensure(&mut say) {
                if std::env::var_os("CI").is_some() {
                    return Err(e.context("fetching the upstream CRDs (required when CI is set)"));
                }
                say(&format!("using fleetdeck's own CRDs: {e:#}"));
            }
            Ok::<_, anyhow::Error>(assets)
        })
        .await
        .context("provisioning task panicked")??;
        Envtest::launch(self, assets).await
    }
}

/// One API server of the harness.
#[derive(Debug)]
pub struct ApiServer {
    /// Its name: context name and etcd prefix.
    pub name: String,
    /// The loopback port it serves HTTPS on.
    pub port: u16,
    proc: Option<Proc>,
    args: Vec<String>,
}

impl ApiServer {
    /// `https://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

/// A running etcd + API servers, with a kubeconfig; stopped on drop.
#[derive(Debug)]
pub struct Envtest {
    root: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    assets: assets::Assets,
    ca_pem: String,
    admin_token: String,
    restricted_token: String,
    user_tokens: std::collections::HashMap<String, String>,
    etcd: Option<Proc>,
    servers: Vec<ApiServer>,
    kubeconfig: PathBuf,
}

impl Envtest {
    /// Starts describing a harness: add servers with [`EnvtestBuilder::server`].
    pub fn builder() -> EnvtestBuilder {
        EnvtestBuilder::default()
    }

    async fn launch(b: EnvtestBuilder, assets: assets::Assets) -> Result<Envtest> {
        if b.servers.is_empty() {
            bail!("an envtest needs at least one API server");
        }
        let (root, tmp) = match b.root {
            Some(dir) => {
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                (dir, None)
            }
            None => {
                let t = tempfile::Builder::new().prefix("fleetdeck-envtest-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let pki = pki::Pki::generate()?;
        let admin_token = pki::token();
        let restricted_token = pki::token();
        let files = [
            ("ca.crt", pki.ca_pem.as_str()),
            ("serving.crt", pki.serving_cert_pem.as_str()),
            ("serving.key", pki.serving_key_pem.as_str()),
            ("sa.key", pki.service_account_key_pem.as_str()),
            ("sa.pub", pki.service_account_pub_pem.as_str()),
        ];
        for (name, text) in files {
            std::fs::write(root.join(name), text).with_context(|| format!("writing {name}"))?;
        }
        let user_tokens: std::collections::HashMap<String, String> =
            b.users.iter().map(|u| (u.clone(), pki::token())).collect();
        let mut tokens =
            format!("{admin_token},admin,admin,system:masters\n{restricted_token},restricted,restricted\n");
        for (user, token) in &user_tokens {
            tokens.push_str(&format!("{token},{user},{user},system:masters\n"));
        }
        std::fs::write(root.join("tokens.csv"), tokens)?;
        let mut env = Envtest {
            root,
            _tmp: tmp,
            assets,
            ca_pem: pki.ca_pem,
            admin_token,
            restricted_token,
            user_tokens,
            etcd: None,
            servers: Vec::new(),
            kubeconfig: PathBuf::new(),
        };
        let etcd_url = env.start_etcd().await?;
        let ports = process::free_ports(b.servers.len())?;
        for (name, port) in b.servers.iter().zip(ports) {
            let mut args = env.apiserver_args(name, port, &etcd_url);
            args.extend(b.extra_args.iter().filter(|(n, _)| n == name).flat_map(|(_, a)| a.iter().cloned()));
            env.servers.push(ApiServer { name: name.clone(), port, proc: None, args });
        }
        for i in 0..env.servers.len() {
            env.spawn_server(i)?;
        }
        for i in 0..env.servers.len() {
            env.listening(i)?;
        }
        let mut restricted = b.restricted;
        if restricted.is_empty() {
            restricted.push(b.servers[0].clone());
        }
        env.write_kubeconfig(&restricted)?;
        let waits: Vec<_> = env.servers.iter().map(|s| env.wait_ready(&s.name)).collect();
        for r in futures::future::join_all(waits).await {
            r?;
        }
        Ok(env)
    }

    async fn start_etcd(&mut self) -> Result<String> {
        // etcd fsyncs every write; a tmpfs data dir makes that free (the data is thrown away anyway).
        sweep_stale_etcd_dirs(Path::new("/dev/shm"), Duration::from_secs(60));
        let data = match tempfile::Builder::new().prefix(ETCD_DIR_PREFIX).tempdir_in("/dev/shm") {
            Ok(t) => t.keep(),
            Err(_) => self.root.join("etcd-data"),
        };
        std::fs::write(self.root.join("etcd-data-dir"), data.to_string_lossy().as_bytes())?;
        let mut last_err = None;
        for _ in 0..3 {
            let ports = process::free_ports(2)?;
            let (client, peer) = (ports[0], ports[1]);
            let url = format!("http://127.0.0.1:{client}");
            let mut cmd = Command::new(self.assets.etcd());
            cmd.arg("--data-dir")
                .arg(&data)
                .args(["--listen-client-urls", &url, "--advertise-client-urls", &url])
                .args(["--listen-peer-urls", &format!("http://127.0.0.1:{peer}")])
                .args(["--log-level", "warn", "--logger", "zap"]);
            let mut proc = Proc::spawn("etcd", cmd, &self.root.join("etcd.log"))?;
            match process::wait_for_port(&mut proc, client, Duration::from_secs(30)) {
                Ok(()) => {
                    self.etcd = Some(proc);
                    return Ok(url);
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("etcd did not start")))
    }

    fn apiserver_args(&self, name: &str, port: u16, etcd_url: &str) -> Vec<String> {
        let p = |f: &str| self.root.join(f).to_string_lossy().into_owned();
        let cert_dir = p(&format!("certs-{name}"));
        vec![
            format!("--etcd-servers={etcd_url}"),
            format!("--etcd-prefix=/{name}"),
            format!("--cert-dir={cert_dir}"),
            format!("--tls-cert-file={}", p("serving.crt")),
            format!("--tls-private-key-file={}", p("serving.key")),
            format!("--secure-port={port}"),
            "--bind-address=127.0.0.1".into(),
            "--advertise-address=127.0.0.1".into(),
            "--endpoint-reconciler-type=none".into(),
            "--service-cluster-ip-range=10.0.0.0/24".into(),
            format!("--token-auth-file={}", p("tokens.csv")),
            format!("--service-account-key-file={}", p("sa.pub")),
            format!("--service-account-signing-key-file={}", p("sa.key")),
            "--service-account-issuer=https://kubernetes.default.svc".into(),
            "--authorization-mode=RBAC".into(),
            "--profiling=false".into(),
        ]
    }

    /// Waits until server `i` listens on its port. When it could not bind it (another process took the port
    /// between [`process::free_port`] and the bind: parallel test processes start many servers), it starts
    /// again on a new port, up to 3 times in all.
    fn listening(&mut self, i: usize) -> Result<()> {
        for attempt in 1..=3 {
            let port = self.servers[i].port;
            let proc = self.servers[i].proc.as_mut().context("the API server was not started")?;
            match process::wait_for_port(proc, port, READY_TIMEOUT) {
                Ok(()) => return Ok(()),
                Err(e)
                    if attempt < 3
                        && proc.exited().is_some()
                        && proc.log_tail(20).contains("address already in use") =>
                {
                    tracing::debug!(
                        "kube-apiserver {}: port {port} taken, starting again: {e:#}",
                        self.servers[i].name
                    );
                    let port = process::free_port()?;
                    let s = &mut self.servers[i];
                    s.port = port;
                    for a in s.args.iter_mut().filter(|a| a.starts_with("--secure-port=")) {
                        *a = format!("--secure-port={port}");
                    }
                    self.spawn_server(i)?;
                }
                Err(e) => return Err(e),
            }
        }
        bail!("kube-apiserver {}: no free port after 3 tries", self.servers[i].name)
    }

    fn spawn_server(&mut self, i: usize) -> Result<()> {
        let s = &self.servers[i];
        let mut cmd = Command::new(self.assets.kube_apiserver());
        cmd.args(&s.args);
        let log = self.root.join(format!("kube-apiserver-{}.log", s.name));
        let proc = Proc::spawn(format!("kube-apiserver {}", s.name), cmd, &log)?;
        self.servers[i].proc = Some(proc);
        Ok(())
    }

    fn write_kubeconfig(&mut self, restricted: &[String]) -> Result<()> {
        let mut ctxs: Vec<TokenContext> = self
            .servers
            .iter()
            .map(|s| self.token_context(&s.name, &s.name, &self.admin_token))
            .collect::<Result<_>>()?;
        for name in restricted {
            ctxs.push(self.token_context(&format!("{name}-restricted"), name, &self.restricted_token)?);
        }
        let path = self.root.join("kubeconfig");
        std::fs::write(&path, kubeconfig::render(&ctxs, &self.servers[0].name))
            .with_context(|| format!("writing {}", path.display()))?;
        self.kubeconfig = path;
        Ok(())
    }

    /// A context named `context` reaching server `server` with `token` (admin or restricted), for writing
    /// kubeconfigs of one's own (the demo's `<cluster>-kubeconfig` Secrets).
    ///
    /// Errors when no server is called `server`.
    pub fn token_context(&self, context: &str, server: &str, token: &str) -> Result<TokenContext> {
        let s = self.server(server)?;
        Ok(TokenContext { name: context.into(), server: s.url(), ca_pem: self.ca_pem.clone(), token: token.into() })
    }

    async fn wait_ready(&self, name: &str) -> Result<()> {
        let client = self.client(name).await?;
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last;
        loop {
            let req = http::Request::get("/readyz").body(Vec::new())?;
            match client.request_text(req).await {
                Ok(body) if body.trim() == "ok" => return Ok(()),
                Ok(body) => last = body,
                Err(e) => last = e.to_string(),
            }
            let s = self.server(name)?;
            if let Some(p) = &s.proc
                && std::fs::metadata(format!("/proc/{}", p.pid())).is_err()
            {
                bail!("{} exited before it was ready:\n{}", p.label, p.log_tail(20));
            }
            if Instant::now() > deadline {
                let tail = s.proc.as_ref().map(|p| p.log_tail(20)).unwrap_or_default();
                bail!("kube-apiserver {name} not ready within {READY_TIMEOUT:?} ({last}):\n{tail}");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    fn server(&self, name: &str) -> Result<&ApiServer> {
        self.servers.iter().find(|s| s.name == name).with_context(|| format!("no envtest API server named {name}"))
    }

    /// The kubeconfig file: one admin context per server, named after it, plus `<name>-restricted`
    /// contexts; the first server is the current context.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig
    }

    /// The folder holding the kubeconfig, certificates, tokens and process logs.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The API servers, in the order they were added.
    pub fn servers(&self) -> &[ApiServer] {
        &self.servers
    }

    /// The admin bearer token (`system:masters`).
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The restricted bearer token (authenticated, but RBAC grants it nothing beyond discovery).
    pub fn restricted_token(&self) -> &str {
        &self.restricted_token
    }

    /// The bearer token of user `name` added with [`EnvtestBuilder::users`].
    pub fn user_token(&self, name: &str) -> Option<&str> {
        self.user_tokens.get(name).map(String::as_str)
    }

    /// Process ids of etcd and every running API server.
    pub fn pids(&self) -> Vec<u32> {
        self.etcd.iter().chain(self.servers.iter().filter_map(|s| s.proc.as_ref())).map(Proc::pid).collect()
    }

    /// A kube client for a context of [`Self::kubeconfig_path`].
    pub async fn client(&self, context: &str) -> Result<kube::Client> {
        let kc = Kubeconfig::read_from(&self.kubeconfig)
            .with_context(|| format!("reading {}", self.kubeconfig.display()))?;
        let opts = KubeConfigOptions { context: Some(context.to_string()), ..Default::default() };
        let config = kube::Config::from_custom_kubeconfig(kc, &opts)
            .await
            .with_context(|| format!("context {context} of the envtest kubeconfig"))?;
        Ok(kube::Client::try_from(config)?)
    }

    /// Creates fleetdeck's CRDs (see [`crds`]) on server `context` and waits until each is Established.
    pub async fn install_crds(&self, context: &str) -> Result<()> {
        install_crds(&self.client(context).await?).await
    }

    /// Installs fleetdeck's own CRDs (open `spec` / `status`) on server `context`; see [`install_own_crds`].
    pub async fn install_own_crds(&self, context: &str) -> Result<()> {
        install_own_crds(&self.client(context).await?).await
    }

    /// Stops API server `name` (SIGKILL), keeping its port and arguments for [`Self::restart_server`]: for
    /// fault tests.
    pub fn stop_server(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        if let Some(mut p) = self.servers[i].proc.take() {
            p.kill();
        }
        Ok(())
    }

    /// Starts a stopped API server again on the same port and waits until it is ready.
    pub async fn restart_server(&mut self, name: &str) -> Result<()> {
        let i = self.index(name)?;
        if self.servers[i].proc.is_none() {
            self.spawn_server(i)?;
        }
        self.wait_ready(name).await
    }

    fn index(&self, name: &str) -> Result<usize> {
        self.servers.iter().position(|s| s.name == name).with_context(|| format!("no envtest API server named {name}"))
    }

    /// Stops every process (API servers first, then etcd) and removes etcd's data. Idempotent; also run on
    /// drop.
    pub fn stop(&mut self) {
        for s in &mut self.servers {
            if let Some(mut p) = s.proc.take() {
                p.kill();
            }
        }
        if let Some(mut e) = self.etcd.take() {
            e.kill();
        }
        if let Ok(d) = std::fs::read_to_string(self.root.join("etcd-data-dir")) {
            let _ = std::fs::remove_dir_all(d.trim());
        }
    }
}

/// The prefix of etcd's data directories in `/dev/shm`.
const ETCD_DIR_PREFIX: &str = "fleetdeck-etcd-";

/// Removes the etcd data directories under `root` (`fleetdeck-etcd-*`) that no running process names on its
/// command line and that are older than `grace` (one being created is not yet on an etcd command line).
///
/// [`Envtest::stop`] removes its own directory, but nothing runs when the owner cannot clean up: a static
/// server shared by a test binary is never dropped, and a process killed by a signal takes its etcd with it
/// (`PR_SET_PDEATHSIG`) and leaves the directory behind, in RAM. Errors are ignored: another owner may sweep
/// the same directory at the same time. Returns how many directories were removed.
pub fn sweep_stale_etcd_dirs(root: &Path, grace: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else { return 0 };
    let candidates: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(ETCD_DIR_PREFIX))
        .filter(|e| e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age >= grace)))
        .map(|e| e.path())
        .collect();
    if candidates.is_empty() {
        return 0;
    }
    let command_lines: Vec<String> = std::fs::read_dir("/proc")
        .map(|procs| {
            procs
                .flatten()
                .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
                .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
                .collect()
        })
        .unwrap_or_default();
    let mut removed = 0;
    for dir in candidates {
        let text = dir.to_string_lossy();
        if !command_lines.iter().any(|c| c.contains(text.as_ref())) && std::fs::remove_dir_all(&dir).is_ok() {
            removed += 1;
        }
    }
    removed
}

impl Drop for Envtest {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The CRDs [`install_crds`] creates: fleetdeck's catalogue ([`crds::all`]), each replaced by the upstream
/// CRD of the same name when the upstream CRDs are cached ([`upstream_crds::find`]; read once per process).
/// The second value says whether upstream CRDs were used.
///
/// Errors when a cached upstream file does not parse.
pub fn crds_to_install() -> Result<(Vec<CustomResourceDefinition>, bool)> {
    let mut all = crds::all();
    if !upstream_crds::wanted() {
        return Ok((all, false));
    }
    // Parsed once per process: tests and the demo install them on every server they start.
    static UPSTREAM: std::sync::OnceLock<Vec<CustomResourceDefinition>> = std::sync::OnceLock::new();
    let upstream = match UPSTREAM.get() {
        Some(u) => u,
        None => {
            let Some(files) = upstream_crds::find()? else {
                return Ok((all, false));
            };
            let parsed = upstream_crds::load(&files)?;
            UPSTREAM.get_or_init(|| parsed)
        }
    };
    for crd in &mut all {
        if let Some(up) = upstream.iter().find(|u| u.metadata.name == crd.metadata.name) {
            *crd = up.clone();
        }
    }
    Ok((all, true))
}

/// Creates every CRD of [`crds_to_install`] through `client` (existing ones are left as they are) and waits
/// until all report `Established=True` (30 s at most).
pub async fn install_crds(client: &kube::Client) -> Result<()> {
    create_established(client, crds_to_install()?.0).await
}

/// Like [`install_crds`] but always fleetdeck's own CRDs ([`crds::all`]), whose `spec` and `status` are open:
/// for tests of what a strict upstream schema never lets through (a garbage status written under an old or
/// loose CRD).
pub async fn install_own_crds(client: &kube::Client) -> Result<()> {
    create_established(client, crds::all()).await
}

/// Creates `crds` through `client` (existing ones are left as they are) and waits until all report
/// `Established=True` (30 s at most): CRDs of the demo's own (its Crossplane's XR, claim and MR kinds).
///
/// # Errors
/// When a CRD cannot be created or is not established in time.
pub async fn create_crds(client: &kube::Client, crds: Vec<CustomResourceDefinition>) -> Result<()> {
    create_established(client, crds).await
}

async fn create_established(client: &kube::Client, all: Vec<CustomResourceDefinition>) -> Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    for crd in &all {
        match api.create(&PostParams::default(), crd).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => {
                let name = crd.metadata.name.clone().unwrap_or_default();
                return Err(e).with_context(|| format!("creating CRD {name}"));
            }
        }
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    for crd in &all {
        let name = crd.metadata.name.clone().unwrap_or_default();
        loop {
            let got = api.get(&name).await.with_context(|| format!("reading CRD {name}"))?;
            let established = got
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                break;
            }
            if Instant::now() > deadline {
                bail!("CRD {name} not Established within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn stale_etcd_dirs_go_and_those_in_use_stay() {
        let root = tempfile::tempdir().expect("tempdir");
        let stale = root.path().join(format!("{ETCD_DIR_PREFIX}stale"));
        let used = root.path().join(format!("{ETCD_DIR_PREFIX}used"));
        let other = root.path().join("someone-else");
        for d in [&stale, &used, &other] {
            std::fs::create_dir_all(d.join("member")).expect("mkdir");
        }
        // A process naming a path in `used` on its command line, as etcd names its --data-dir.
        let log = used.join("member/log");
        std::fs::write(&log, "").expect("write");
        let mut holder = Command::new("tail").arg("-f").arg(&log).spawn().expect("tail");
        // Until it has exec'd, the child's command line is still this test's.
        let cmdline = format!("/proc/{}/cmdline", holder.id());
        let deadline = Instant::now() + Duration::from_secs(5);
        while !std::fs::read(&cmdline).is_ok_and(|c| String::from_utf8_lossy(&c).contains(used.to_str().unwrap_or("")))
        {
            assert!(Instant::now() < deadline, "tail never showed its command line");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(sweep_stale_etcd_dirs(root.path(), Duration::from_secs(3600)), 0, "younger than the grace");
        assert_eq!(sweep_stale_etcd_dirs(root.path(), Duration::ZERO), 1);
        let _ = holder.kill();
        let _ = holder.wait();
        assert!(!stale.exists() && used.exists() && other.exists());
    }
}
