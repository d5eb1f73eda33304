//! Following an object after a change until its controller has acted: the object is read every
//! [`POLL_EVERY`] (like `flux reconcile`'s wait loop) and judged by a pure function.
use std::time::{Duration, Instant};

use kube::api::{Api, DynamicObject};

use super::{OpError, Progress};

/// How often the object is read again.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// The verdict of a judge on the object as last read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judge {
    /// Not yet; the text (if any) says what is awaited, shown once per change.
    Wait(Option<String>),
    /// Done: the message for the user.
    Done(String),
    /// The controller acted and reports a failure: the message.
    Failed(String),
}

/// Reads `name` until `judge` says Done or Failed, or `timeout` passes.
///
/// # Errors
/// [`OpError::Failed`] when the judge says so or the object cannot be read; [`OpError::TimedOut`] with the
/// last awaited state after `timeout`.
pub async fn until<F>(
    api: &Api<DynamicObject>,
    name: &str,
    timeout: Duration,
    progress: Progress<'_>,
    judge: F,
) -> Result<String, OpError>
where
    F: Fn(&DynamicObject) -> Judge,
{
    let start = Instant::now();
    let mut last: Option<String> = None;
    loop {
        let obj = api
            .get(name)
            .await
            .map_err(|e| OpError::Failed(format!("reading {name} back: {}", crate::fleet::describe(&e))))?;
        match judge(&obj) {
            Judge::Done(m) => return Ok(m),
            Judge::Failed(m) => return Err(OpError::Failed(m)),
            Judge::Wait(text) => {
                if text.is_some() && text != last {
                    progress(&format!("◎ {}", text.as_deref().unwrap_or_default()));
                    last = text;
                }
            }
        }
        if start.elapsed() >= timeout {
            let awaited = last.map(|l| format!(" ({l})")).unwrap_or_default();
            return Err(OpError::TimedOut(format!(
                "the change was sent, but {name} was not done within {} s{awaited}",
                timeout.as_secs()
            )));
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
