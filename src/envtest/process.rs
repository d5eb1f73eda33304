//! Child processes of the harness: spawned so that they die with the process that owns them, logged to a
//! file, and killed (and reaped) on drop.
//!
//! Children get `PR_SET_PDEATHSIG = SIGKILL` so that an owner killed by a signal (a test timeout, `kill -9`)
//! cannot leave `etcd` or `kube-apiserver` behind. The kernel sends that signal when the *thread* that forked
//! the child exits, so every child is forked from one long-lived spawner thread rather than from whatever
//! (possibly short-lived) thread asked for it.
use std::fs::File;
use std::io;
use std::net::TcpListener;
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
    Ok(free_ports(1)?[0])
}

/// `n` distinct loopback TCP ports that were free a moment ago: all `n` are bound at once before any is
/// released (ports taken one at a time can repeat: the kernel may hand a just-released port out again).
pub fn free_ports(n: usize) -> Result<Vec<u16>> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").context("finding a free loopback port"))
        .collect::<Result<_>>()?;
    listeners.iter().map(|l| Ok(l.local_addr()?.port())).collect()
}

/// Whether process `pid` holds a socket listening on `127.0.0.1:port` (or on every IPv4 address at that
/// port): the `LISTEN` rows of `/proc/net/tcp` for the port, matched against the socket inodes of
/// `/proc/<pid>/fd`. A connection that succeeds says only that *some* process listens there.
pub fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else { return false };
    let wanted = [format!("0100007F:{port:04X}"), format!("00000000:{port:04X}")];
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl, local_address, rem_address, st (0A: LISTEN), tx:rx, tr:when, retrnsmt, uid, timeout, inode
            (f.len() > 9 && f[3] == "0A" && wanted.iter().any(|w| w == f[1])).then(|| format!("socket:[{}]", f[9]))
        })
        .collect();
    if inodes.is_empty() {
        return false;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else { return false };
    fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
    })
}

/// Waits until `proc` itself listens on `127.0.0.1:port` ([`listens_on`]: another process listening there,
/// e.g. an API server of a parallel test that took the port first, does not count), failing early if `proc`
/// exits.
pub fn wait_for_port(proc: &mut Proc, port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if listens_on(proc.pid(), port) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The port's listener is found in this process and not in another one, though a connection to it
    /// succeeds from anywhere.
    #[test]
    fn a_port_is_listened_on_by_its_owner_only() {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        assert!(listens_on(std::process::id(), port));
        let mut other = Command::new("sleep").arg("5").spawn().expect("sleep runs");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        assert!(!listens_on(other.id(), port));
        other.kill().expect("kill");
        other.wait().expect("wait");
        drop(l);
        assert!(!listens_on(std::process::id(), port), "released");
    }
}
