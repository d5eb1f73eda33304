//! Child processes of the harness: spawned so that they die with the process that owns them, logged to a
//! file, and killed (and reaped) on drop.
//!
//! Children get `PR_SET_PDEATHSIG = SIGKILL` so that an owner killed by a signal (a test timeout, `kill -9`)
//! cannot leave `etcd` or `kube-apiserver` behind. The kernel sends that signal when the *thread* that forked
//! the child exits, so every child is forked from one long-lived spawner thread rather than from whatever
//! (possibly short-lived) thread asked for it.
use std::fs::File;
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

type SpawnRequest = (Command, mpsc::Sender<io::Result<Child>>);

/// A running child process; killed with SIGKILL and reaped when dropped.
#[derive(Debug)]
pub struct Proc {
    /// What the process is, for messages (e.g. `kube-apiserver mgmt`).
    pub label: String,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    child: Child,
}

impl Proc {
    /// Spawns `cmd` with stdout/stderr appended to `log`; the kernel kills the child when this process
    /// exits (see the module docs).
    pub fn spawn(label: impl Into<String>, mut cmd: Command, log: &Path) -> Result<Proc> {
        let label = label.into();
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening log file {}", log.display()))?;
        let err = out.try_clone()?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = spawn_tied(cmd).with_context(|| format!("starting {label}"))?;
        Ok(Proc { label, log: log.to_path_buf(), child })
    }

    /// The operating-system process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `Some(status)` when the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last `n` lines of the process log, for error messages.
    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Kills the process (SIGKILL) and waits for it. Idempotent.
    pub fn kill(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn_tied(cmd: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<SpawnRequest>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<SpawnRequest>();
        std::thread::Builder::new()
            .name("fleetdeck-envtest-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    // SAFETY: prctl and getppid are async-signal-safe; nothing is allocated after fork.
                    unsafe {
                        let parent = libc::getpid();
                        cmd.pre_exec(move || {
                            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                                return Err(io::Error::last_os_error());
                            }
                            // The owner may have died between fork and prctl.
                            if libc::getppid() != parent {
                                libc::_exit(1);
                            }
                            Ok(())
                        });
                    }
                    let _ = reply.send(cmd.spawn());
                }
            })
            .map(|_| ())
            .ok();
        Mutex::new(tx)
    });
    let (tx, rx) = mpsc::channel();
    spawner
        .lock()
        .map_err(|_| io::Error::other("spawner lock poisoned"))?
        .send((cmd, tx))
        .map_err(|_| io::Error::other("spawner thread is gone"))?;
    rx.recv().map_err(|_| io::Error::other("spawner thread is gone"))?
}

/// A loopback TCP port that was free a moment ago (bind to port 0, read it, release it). Callers retry on
/// the rare race with another process.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(l.local_addr()?.port())
}

/// Waits until something accepts TCP connections on `127.0.0.1:port`, failing early if `proc` exits.
pub fn wait_for_port(proc: &mut Proc, port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = proc.exited() {
            bail!("{} exited ({status}) before listening on port {port}:\n{}", proc.label, proc.log_tail(15));
        }
        if Instant::now() > deadline {
            bail!("{} did not listen on port {port} within {timeout:?}:\n{}", proc.label, proc.log_tail(15));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
