//! The audit journal: one JSON line per action attempt in `<state dir>/journal.jsonl` — time (RFC 3339),
//! local user, context, verb, object, result (`ok`, `refused`, `failed`, `timeout`) and the message.
//!
//! Only what fleetdeck composes goes in: never request bodies, Secret values, tokens or kubeconfig content.
//! Lines are appended with `O_APPEND` (atomic for lines under `PIPE_BUF` on local filesystems), so several
//! fleetdeck processes can share the file; the file is created with mode 0600.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use super::Request;

/// File name of the journal inside the state directory.
pub const FILE_NAME: &str = "journal.jsonl";

/// One journal line.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// When, RFC 3339.
    pub time: String,
    /// The local user (`$USER`, else `uid:<n>`).
    pub user: String,
    /// The context acted on.
    pub context: String,
    /// The verb (`reconcile`, `approve`, ...), with its arguments when it has some (`scale replicas=3`).
    pub verb: String,
    /// `Kind namespace/name`.
    pub object: String,
    /// `ok`, `refused`, `failed` or `timeout`.
    pub result: String,
    /// What happened, in one line.
    pub message: String,
}

/// An append-only journal file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal in `state_dir` (created on the first append).
    pub fn in_dir(state_dir: &Path) -> Journal {
        Journal { path: state_dir.join(FILE_NAME) }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the outcome of one attempt of `req`: the one journal writer of the CLI and the cockpit.
    /// `via` is said before the message (`"in git: "` for an approval committed in git, else `""`).
    /// Returns `None` once written, else the failure as one line for the caller to show the user (the
    /// action itself stands: a journal that cannot be written never undoes or fails it). The failure is
    /// also logged.
    pub fn record(&self, req: &Request, result: &Result<super::Done, super::OpError>, via: &str) -> Option<String> {
        let (word, message) = match result {
            Ok(d) => ("ok", d.message.clone()),
            Err(e) => (e.result_word(), e.to_string()),
        };
        let e = self.append(req, word, &format!("{via}{message}")).err()?;
        tracing::warn!("journal: {e:#}");
        Some(format!("the journal was not written: {e:#}"))
    }

    /// Appends one line for `req` (callers record outcomes through [`Journal::record`]).
    ///
    /// # Errors
    /// When the state directory or the file cannot be written (the action itself is not undone).
    pub fn append(&self, req: &Request, result: &str, message: &str) -> Result<()> {
        let verb = match &req.verb {
            super::Verb::Scale { replicas } => format!("scale replicas={replicas}"),
            super::Verb::Reconcile { force: true, .. } => "reconcile --force".into(),
            super::Verb::Reconcile { reset: true, .. } => "reconcile --reset".into(),
            v => v.name().to_string(),
        };
        let t = &req.target;
        self.write(&Entry {
            time: k8s_openapi::jiff::Timestamp::now().to_string(),
            user: local_user(),
            context: t.context.clone(),
            verb,
            object: match t.namespace.as_str() {
                "" => format!("{} {}", t.kind.spec().kind, t.name),
                ns => format!("{} {ns}/{}", t.kind.spec().kind, t.name),
            },
            result: result.to_string(),
            message: message.replace('\n', " "),
        })
    }

    /// Appends `entry` as one line.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, entry: &Entry) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)
            .with_context(|| format!("opening the journal {}", self.path.display()))?;
        f.write_all(line.as_bytes()).with_context(|| format!("writing the journal {}", self.path.display()))
    }

    /// Every entry, oldest first (lines that do not parse are skipped).
    ///
    /// # Errors
    /// When the file exists but cannot be read.
    pub fn read(&self) -> Result<Vec<Entry>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.path.display())),
        };
        Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
    }
}

/// The local user name: `$USER`, else `$LOGNAME`, else the password database's name for the uid, else
/// `uid:<n>`.
pub fn local_user() -> String {
    if let Some(u) = ["USER", "LOGNAME"].iter().filter_map(|v| std::env::var(v).ok()).find(|u| !u.is_empty()) {
        return u;
    }
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: a zeroed passwd is a valid out-parameter for getpwuid_r.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and `buf` outlives the use of `pwd`'s fields below.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut found) };
    if rc == 0 && !found.is_null() && !pwd.pw_name.is_null() {
        // SAFETY: pw_name points into `buf`, NUL-terminated by getpwuid_r.
        let name = unsafe { std::ffi::CStr::from_ptr(pwd.pw_name) };
        if let Ok(n) = name.to_str() {
            return n.to_string();
        }
    }
    format!("uid:{uid}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kinds::KindId;
    use crate::model::object_ref::ObjectRef;
    use crate::ops::Verb;

    fn request() -> Request {
        Request {
            target: ObjectRef::new("dev-eu", KindId::KUSTOMIZATION, "flux-system", "apps"),
            verb: Verb::Reconcile { force: false, reset: false },
        }
    }

    #[test]
    fn lines_are_appended_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let j = Journal::in_dir(&dir.path().join("state"));
        let req = request();
        j.append(&req, "ok", "applied revision main@sha1:abc").expect("append");
        j.append(&req, "refused", "read-only\nmode").expect("append");
        let all = j.read().expect("read");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].verb, "reconcile");
        assert_eq!(all[0].object, "Kustomization flux-system/apps");
        assert_eq!(all[1].message, "read-only mode");
        let text = std::fs::read_to_string(j.path()).expect("text");
        assert_eq!(text.lines().count(), 2);
    }

    #[test]
    fn record_writes_one_line_per_outcome_and_hands_back_a_failure_to_show() {
        let dir = tempfile::tempdir().expect("dir");
        let j = Journal::in_dir(dir.path());
        let done = Ok(crate::ops::Done { message: "approved".into(), written: Some("plan-1".into()) });
        assert_eq!(j.record(&request(), &done, "in git: "), None);
        let refused = Err(crate::ops::OpError::refused(crate::ops::RefusalKind::ReadOnly, "read-only mode"));
        assert_eq!(j.record(&request(), &refused, ""), None);
        let all = j.read().expect("read");
        let lines: Vec<(&str, &str)> = all.iter().map(|e| (e.result.as_str(), e.message.as_str())).collect();
        assert_eq!(lines, [("ok", "in git: approved"), ("refused", "refused: read-only mode")]);

        // A journal that cannot be written (its path is a directory): the failure comes back, said once.
        let blocked = tempfile::tempdir().expect("dir");
        std::fs::create_dir(blocked.path().join(FILE_NAME)).expect("dir in the way");
        let warning = Journal::in_dir(blocked.path()).record(&request(), &done, "");
        let w = warning.expect("reported");
        assert!(w.starts_with("the journal was not written: opening the journal "), "{w}");
    }
}
