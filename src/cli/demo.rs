//! `fleetdeck demo [up|down|status|serve] [--scale N]`: the local demo fleet on real API servers.
//!
//! `demo` runs the fleet in the foreground until Ctrl-C (or SIGTERM / SIGHUP); `demo up` starts the same
//! thing as a background process (`demo serve`, in its own session) and returns once the fleet is ready,
//! printing `export KUBECONFIG=...`; `demo status` and `demo down` find it through the state file.
use std::io::{BufRead, BufReader, IsTerminal, Seek, SeekFrom, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use fleetdeck::config::Paths;
use fleetdeck::demo::state::{DemoState, demo_dir, pid_alive};
use fleetdeck::demo::{self, DemoFleet, DemoOptions, FluxMode};

use super::GlobalArgs;

/// `fleetdeck demo` arguments.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(subcommand)]
    pub cmd: Option<DemoCmd>,
    /// Also seed N clusters x 8 Machines (with infra and bootstrap objects), N x 10 Flux objects and N
    /// Crossplane claims (claim, XR, 3 composed resources), for
    /// benchmarks (N=100 is about 4,000 objects).
    #[arg(long, default_value_t = 0, global = true)]
    pub scale: usize,
    /// Also present N more contexts (`edge-0001` ...) over two more API servers, each with a user of its own,
    /// every 10th unreachable or hung: a large fleet for benchmarks (e.g. `--contexts 1000`).
    #[arg(long, default_value_t = 0, global = true)]
    pub contexts: usize,
    /// Who plays Flux: `simulated` (fleetdeck's stand-ins, quick) or `real` (the real source-, kustomize-
    /// and helm-controller in mgmt, dev-eu and prod-us, built once from the Go module proxy, reconciling the
    /// fleet repository from a git server on loopback).
    #[arg(long, value_enum, default_value_t = FluxMode::Simulated, global = true)]
    pub flux: FluxMode,
}

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Start the fleet in the background, print `export KUBECONFIG=...`, and return.
    Up,
    /// Show whether the fleet runs, its servers and kubeconfig.
    Status,
    /// Stop the fleet and remove its files.
    Down,
    /// Run the fleet in this process without opening anything (what `up` starts in the background).
    #[command(hide = true)]
    Serve,
    /// The exec credential plugin of the demo hub's access provider: reads the context named by the
    /// cluster's exec extension in `KUBERNETES_EXEC_INFO` from KUBECONFIG and prints an ExecCredential.
    #[command(hide = true)]
    Credential {
        /// The demo's kubeconfig.
        kubeconfig: PathBuf,
    },
}

pub fn run(args: &DemoArgs, global: &GlobalArgs) -> Result<()> {
    if let Some(DemoCmd::Credential { kubeconfig }) = &args.cmd {
        return credential(kubeconfig);
    }
    let paths = Paths::discover()?;
    let dir = demo_dir(&paths.state_dir);
    match args.cmd {
        None => serve(&dir, args, Some(global)),
        Some(DemoCmd::Serve) => serve(&dir, args, None),
        Some(DemoCmd::Up) => up(&dir, args),
        Some(DemoCmd::Status) => status(&dir),
        Some(DemoCmd::Down) => down(&dir),
        Some(DemoCmd::Credential { .. }) => unreachable!("answered above"),
    }
}

/// `demo credential`: the demo's access provider plugin (see [`DemoCmd::Credential`]). Errors name what is
/// missing; the token is printed on stdout only, for the caller.
fn credential(kubeconfig: &Path) -> Result<()> {
    let info = std::env::var("KUBERNETES_EXEC_INFO")
        .context("KUBERNETES_EXEC_INFO is not set: the provider needs provideClusterInfo: true")?;
    let info: serde_json::Value = serde_json::from_str(&info).context("KUBERNETES_EXEC_INFO is not JSON")?;
    let context = info
        .pointer("/spec/cluster/config/context")
        .and_then(serde_json::Value::as_str)
        .context("the cluster's client.authentication.k8s.io/exec extension names no \"context\"")?;
    let text = std::fs::read_to_string(kubeconfig)
        .with_context(|| format!("reading the demo kubeconfig {}", kubeconfig.display()))?;
    let kc: serde_json::Value =
        serde_saphyr::from_str(&text).with_context(|| format!("{}: not a kubeconfig", kubeconfig.display()))?;
    let named = |list: &str, name: &str| {
        kc[list].as_array().and_then(|l| l.iter().find(|e| e["name"] == name)).cloned().unwrap_or_default()
    };
    let user = named("contexts", context)["context"]["user"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{}: no context {context}", kubeconfig.display()))?;
    let token = named("users", &user)["user"]["token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("{}: user {user} has no token", kubeconfig.display()))?;
    let credential = serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
        "status": {"token": token}});
    println!("{credential}");
    Ok(())
}

/// What moves the demo's statuses, for the banner and `usage`.
fn moved_by(flux: FluxMode) -> &'static str {
    match flux {
        FluxMode::Simulated => demo::CONTROLLERS_LABEL,
        FluxMode::Real => "real Flux in every cluster, simulated CAPI, Terraform and Crossplane",
    }
}

fn usage(state: &DemoState) -> String {
    let mut out = format!(
        "demo fleet ready: {} API servers (kube-apiserver {}) moved by {}\n",
        state.servers.len(),
        demo::kube_version(),
        moved_by(state.flux)
    );
    for (ctx, url) in &state.servers {
        out.push_str(&format!("  context {ctx:<26} {url}\n"));
    }
    out.push_str(&format!("  context {:<26} RBAC lets it read Flux objects only\n", demo::RESTRICTED));
    out.push_str(&format!("  context {:<26} a closed port\n", demo::UNREACHABLE));
    for p in &state.profiles {
        out.push_str(&format!(
            "  context {p:<26} mgmt's ClusterProfile, reached through the access provider {} \
             (its exec plugin: fleetdeck demo credential)\n",
            demo::seed::cluster_inventory::PROVIDER
        ));
    }
    if state.contexts > 0 {
        out.push_str(&format!(
            "  contexts edge-0001 to {} over {} (a user each; every 10th refused or hung)\n",
            demo::edge::name(state.contexts),
            demo::edge::SERVERS.join(", ")
        ));
    }
    out.push_str(&format!("{}\n", demo::export_line(&state.kubeconfig)));
    out.push_str("then e.g.: kubectl --context mgmt get clusters.cluster.x-k8s.io -A\n");
    if let Some(url) = &state.git_url {
        out.push_str(&format!(
            "real Flux in mgmt, dev-eu and prod-us: source-, kustomize- and helm-controller each (logs in {}), \
             fetching {url}fleet.git and {url}charts\n",
            state.kubeconfig.parent().map(|d| d.join("flux").display().to_string()).unwrap_or_default()
        ));
    }
    if let Some(repo) = &state.repository {
        out.push_str(&format!(
            "the fleet's GitOps repository: {r}\n  fleetdeck --repo {r}   (the cockpit; D diffs a Kustomization against it)\n  fleetdeck diff kustomization flux-system/apps --context prod-us --repo {r}\n",
            r = repo.display()
        ));
    }
    out
}

/// Runs the fleet in this process until a signal, writing the state file. In the foreground (`global` given)
/// it opens the cockpit on the fleet when stdout is a terminal (else prints how to use it) and stops the
/// fleet when the cockpit closes.
fn serve(dir: &Path, args: &DemoArgs, global: Option<&GlobalArgs>) -> Result<()> {
    let scale = args.scale;
    if let Some(st) = DemoState::read(dir)?
        && st.owner_alive()
        && st.pid != std::process::id()
    {
        bail!(
            "a demo fleet already runs (pid {}); `fleetdeck demo down` stops it\n{}",
            st.pid,
            demo::export_line(&st.kubeconfig)
        );
    }
    clear_leftovers(dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let mut st = DemoState {
            pid: std::process::id(),
            phase: "starting".into(),
            kubeconfig: dir.join("kubeconfig"),
            started_at: k8s_openapi::jiff::Timestamp::now().to_string(),
            scale,
            servers: Vec::new(),
            child_pids: Vec::new(),
            repository: None,
            contexts: args.contexts,
            flux: args.flux,
            git_url: None,
            flux_controllers: Vec::new(),
            profiles: Vec::new(),
        };
        st.write(dir)?;
        let opts = DemoOptions {
            dir: dir.to_path_buf(),
            scale,
            controllers: true,
            contexts: args.contexts,
            flux: args.flux,
            credential_plugin: std::env::current_exe().ok(),
        };
        let mut progress = |line: &str| {
            println!("demo: {line}");
            let _ = std::io::stdout().flush();
        };
        let started = DemoFleet::start(&opts, &mut progress).await;
        if opts.credential_plugin.is_some() {
            st.profiles = demo::PROFILED
                .iter()
                .map(|(name, _)| {
                    fleetdeck::fleet::profiles::derived_name("mgmt", demo::seed::cluster_inventory::NAMESPACE, name)
                })
                .collect();
        }
        let mut fleet = match started {
            Ok(f) => f,
            Err(e) => {
                let _ = DemoState::remove(dir);
                return Err(e);
            }
        };
        st.phase = "ready".into();
        st.kubeconfig = fleet.kubeconfig.clone();
        st.servers = fleet.env.servers().iter().map(|s| (s.name.clone(), s.url())).collect();
        st.child_pids = fleet.pids();
        st.repository = Some(fleet.repository.clone());
        st.git_url = fleet.real_flux().map(|r| r.server.url(""));
        st.flux_controllers = fleet.real_flux().map(|r| r.processes()).unwrap_or_default();
        st.write(dir)?;
        for (ctx, stats) in &fleet.seeded {
            tracing::info!(target: "demo", "seeded {} objects into {ctx} in {:.2} s", stats.objects, stats.seconds);
        }
        let result = match global {
            Some(g) if std::io::stdout().is_terminal() => {
                let banner = format!("demo fleet: {}", moved_by(st.flux));
                super::cockpit::run_async(g, st.repository.as_deref(), Some(&st.kubeconfig), Some(banner)).await
            }
            Some(_) => {
                print!("{}", usage(&st));
                println!("Ctrl-C stops the fleet.");
                let _ = std::io::stdout().flush();
                wait_for_signal().await
            }
            None => {
                println!("demo: ready");
                let _ = std::io::stdout().flush();
                wait_for_signal().await
            }
        };
        fleet.stop();
        DemoState::remove(dir)?;
        result
    })
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = hup.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

/// Removes the state of a fleet whose owner died, killing any process of it that survived.
fn clear_leftovers(dir: &Path) -> Result<()> {
    if let Some(st) = DemoState::read(dir)?
        && !st.owner_alive()
    {
        for pid in st.child_pids.iter().copied().filter(|p| pid_alive(*p)) {
            kill(pid, libc::SIGKILL);
        }
        DemoState::remove(dir)?;
    }
    Ok(())
}

fn kill(pid: u32, sig: i32) {
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(pid as i32, sig);
    }
}

fn up(dir: &Path, args: &DemoArgs) -> Result<()> {
    if let Some(st) = DemoState::read(dir)?
        && st.owner_alive()
    {
        if st.phase == "ready" {
            eprintln!("fleetdeck: a demo fleet already runs (pid {}); reusing it", st.pid);
            print!("{}", usage(&st));
            return Ok(());
        }
        bail!("a demo fleet is still starting (pid {}); run `fleetdeck demo status` in a moment", st.pid);
    }
    clear_leftovers(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let log_path = dir.join("serve.log");
    let log = std::fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut cmd = Command::new(std::env::current_exe().context("finding the fleetdeck executable")?);
    let flux = match args.flux {
        FluxMode::Simulated => "simulated",
        FluxMode::Real => "real",
    };
    cmd.args(["demo", "serve", "--scale", &args.scale.to_string(), "--contexts", &args.contexts.to_string()])
        .args(["--flux", flux])
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe. Its own session keeps the terminal's SIGHUP/SIGINT away.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().context("starting `fleetdeck demo serve`")?;
    let mut reader = BufReader::new(std::fs::File::open(&log_path)?);
    let t = Instant::now();
    loop {
        let mut line = String::new();
        while reader.read_line(&mut line)? > 0 {
            if let Some(step) =
                line.trim_end().strip_prefix("demo: ").or_else(|| line.trim_end().strip_prefix("envtest: "))
            {
                eprintln!("{step}");
            }
            line.clear();
        }
        if let Some(st) = DemoState::read(dir)?
            && st.phase == "ready"
            && st.pid == child.id()
        {
            eprintln!("ready in {:.1} s", t.elapsed().as_secs_f64());
            print!("{}", usage(&st));
            println!("`fleetdeck demo down` stops it.");
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            reader.seek(SeekFrom::Start(0))?;
            let text: Vec<String> = reader.lines().map_while(Result::ok).collect();
            let tail = text[text.len().saturating_sub(15)..].join("\n");
            bail!("the demo fleet failed to start ({status}); {}:\n{tail}", log_path.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn status(dir: &Path) -> Result<()> {
    match DemoState::read(dir)? {
        Some(st) if st.owner_alive() => {
            println!("demo fleet {} (pid {}, started {}, --scale {})", st.phase, st.pid, st.started_at, st.scale);
            let flux: Vec<u32> = st.flux_controllers.iter().map(|f| f.pid).collect();
            let servers: Vec<u32> = st.child_pids.iter().copied().filter(|p| !flux.contains(p)).collect();
            let alive = servers.iter().filter(|p| pid_alive(**p)).count();
            println!("  {alive}/{} etcd and kube-apiserver processes alive", servers.len());
            for f in &st.flux_controllers {
                if pid_alive(f.pid) {
                    println!("  flux {:<8} {:<21} pid {:<7} running", f.context, f.name, f.pid);
                } else {
                    println!(
                        "  flux {:<8} {:<21} pid {:<7} EXITED; the rest runs on; last log line: {} (log: {})",
                        f.context,
                        f.name,
                        f.pid,
                        last_line(&f.log),
                        f.log.display()
                    );
                }
            }
            for (ctx, url) in &st.servers {
                println!("  context {ctx:<26} {url}");
            }
            println!("{}", demo::export_line(&st.kubeconfig));
            Ok(())
        }
        Some(st) => bail!("the demo fleet's process {} is gone; `fleetdeck demo down` cleans up", st.pid),
        None => bail!("no demo fleet runs; `fleetdeck demo up` starts one"),
    }
}

/// The last non-empty line of a log file, or why there is none.
fn last_line(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(empty)").to_owned(),
        Err(e) => format!("(unreadable: {e})"),
    }
}

fn down(dir: &Path) -> Result<()> {
    let Some(st) = DemoState::read(dir)? else {
        println!("no demo fleet runs");
        return Ok(());
    };
    if st.owner_alive() {
        kill(st.pid, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while st.owner_alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if st.owner_alive() {
            kill(st.pid, libc::SIGKILL);
        }
    }
    // The API servers die with their owner (PR_SET_PDEATHSIG); make sure, and wait until they are gone.
    let deadline = Instant::now() + Duration::from_secs(10);
    while st.child_pids.iter().any(|p| pid_alive(*p)) && Instant::now() < deadline {
        for pid in st.child_pids.iter().copied().filter(|p| pid_alive(*p)) {
            kill(pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    println!("demo fleet stopped (pid {}), {} removed", st.pid, dir.display());
    Ok(())
}
