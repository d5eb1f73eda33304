//! A watcher with kube-runtime's semantics (`kube::runtime::watcher` plus `default_backoff()`) that holds
//! no read buffer while a watch is idle.
//!
//! kube-client frames every watch response with a `FramedRead` + `LinesCodec`: an 8 KB buffer from the
//! first byte, grown to the largest object the watch has seen and never shrunk, and a `String` per line.
//! A fleet of a thousand contexts keeps ~11,000 watches open, nearly all idle, so that buffer was most of
//! what a watch cost (`benches/watch_cost.rs`: 14-15 KB per empty watch on an HTTP/2 connection, of which
//! the stream itself is ~2.3 KB). Here a line is parsed straight from the HTTP/2 data frame that holds
//! it; only a line split across frames is copied, into a buffer dropped as soon as the line is complete.
//!
//! The states and events are kube-runtime's (kube-runtime 5 `watcher::step_trampolined`), so callers
//! match the same [`watcher::Event`]s and [`watcher::Error`]s:
//! - **streaming lists** (`InitialListStrategy::StreamingList`, KEP-3157): a watch with
//!   `sendInitialEvents=true`, `resourceVersionMatch=NotOlderThan` from resourceVersion `0`: `Init`, an
//!   `InitApply` per object, `InitDone` at the bookmark annotated `k8s.io/initial-events-end`;
//! - **list then watch** otherwise: one list (`watcher::Config::page_size` honoured), then a watch from
//!   the list's resourceVersion;
//! - bookmarks move the resourceVersion; an ended or broken stream is resumed from it; an ERROR event
//!   410 Gone (or a 410 answer) starts over with `Init`; no event for `timeout` + 5 s ends the stream.
//! - After each error the next request waits: 0.8 s doubling to 30 s, with jitter, reset once 120 s
//!   passed without an error (kube-runtime's `DefaultBackoff`).
use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use http_body_util::BodyExt;
use kube::ResourceExt;
use kube::api::{Api, ListParams, VersionMatch, WatchParams};
use kube::core::{Status, WatchEvent};
use kube::runtime::watcher::{self, Event, InitialListStrategy, ListSemantic};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::decode::FromWatch;

/// Extra idle time past the server's watch timeout before a silent stream is given up (kube-runtime's
/// `WATCH_IDLE_TIMEOUT_MARGIN`).
const IDLE_MARGIN: Duration = Duration::from_secs(5);

/// The watch timeout when the config names none (kube-runtime's default, seconds).
const DEFAULT_TIMEOUT: u32 = 290;

/// Watches what `api` addresses as `config` says, as kube-runtime's `watcher(api, config).default_backoff()`
/// does: see the module docs. The stream never ends by itself; drop it to stop.
pub fn watch<K>(api: Api<K>, config: watcher::Config) -> impl Stream<Item = watcher::Result<Event<K>>> + Send
where
    K: kube::Resource + Clone + DeserializeOwned + FromWatch + std::fmt::Debug + Send + 'static,
{
    let w = Watcher { api, config, state: State::Empty, backoff: Backoff::default(), wait: None };
    futures::stream::unfold(w, |mut w| async move {
        let item = w.next().await;
        Some((item, w))
    })
}

enum State<K> {
    Empty,
    /// Listed, objects still to hand out, then watch from `version`.
    Listed {
        objects: VecDeque<K>,
        version: String,
    },
    InitialWatch(Lines),
    /// Watch (again) from `version`.
    Resume {
        version: String,
    },
    Watching {
        version: String,
        lines: Lines,
    },
}

struct Watcher<K> {
    api: Api<K>,
    config: watcher::Config,
    state: State<K>,
    backoff: Backoff,
    /// Set after an error: the next request waits until then.
    wait: Option<Instant>,
}

impl<K> Watcher<K>
where
    K: kube::Resource + Clone + DeserializeOwned + FromWatch + std::fmt::Debug + Send + 'static,
{
    async fn next(&mut self) -> watcher::Result<Event<K>> {
        loop {
            if let Some(at) = self.wait.take() {
                tokio::time::sleep_until(at).await;
            }
            if let Some(item) = self.step().await {
                match &item {
                    Err(_) => {
                        let now = Instant::now();
                        self.wait = Some(now + self.backoff.next(now));
                    }
                    Ok(_) => self.backoff.ok(Instant::now()),
                }
                return item;
            }
        }
    }

    fn streaming(&self) -> bool {
        self.config.initial_list_strategy == InitialListStrategy::StreamingList
    }

    fn watch_params(&self, initial: bool) -> WatchParams {
        WatchParams {
            label_selector: self.config.label_selector.clone(),
            field_selector: self.config.field_selector.clone(),
            timeout: self.config.timeout,
            bookmarks: self.config.bookmarks,
            send_initial_events: initial && self.streaming(),
        }
    }

    fn idle_limit(&self) -> Option<Duration> {
        match self.config.timeout {
            Some(0) => None,
            t => Some(Duration::from_secs(u64::from(t.unwrap_or(DEFAULT_TIMEOUT))) + IDLE_MARGIN),
        }
    }

    /// One step of the state machine: an item to hand out, or `None` to step again.
    async fn step(&mut self) -> Option<watcher::Result<Event<K>>> {
        match std::mem::replace(&mut self.state, State::Empty) {
            State::Empty if self.streaming() => match Box::pin(open(&self.api, &self.watch_params(true), "0")).await {
                Ok(lines) => {
                    self.state = State::InitialWatch(lines);
                    Some(Ok(Event::Init))
                }
                Err(e) => Some(Err(watcher::Error::WatchStartFailed(e))),
            },
            State::Empty => {
                let (resource_version, version_match) = match self.config.list_semantic {
                    ListSemantic::Any => (Some("0".to_string()), Some(VersionMatch::NotOlderThan)),
                    ListSemantic::MostRecent => (None, None),
                };
                let mut lp = ListParams {
                    label_selector: self.config.label_selector.clone(),
                    field_selector: self.config.field_selector.clone(),
                    resource_version,
                    version_match,
                    limit: self.config.page_size,
                    ..ListParams::default()
                };
                let mut objects = VecDeque::new();
                let version = loop {
                    match Box::pin(self.api.list(&lp)).await {
                        Ok(list) => {
                            objects.extend(list.items);
                            match list.metadata.continue_.filter(|c| !c.is_empty()) {
                                Some(token) => lp.continue_token = Some(token),
                                None => break list.metadata.resource_version.filter(|v| !v.is_empty()),
                            }
                        }
                        Err(e) => return Some(Err(watcher::Error::InitialListFailed(e))),
                    }
                };
                let Some(version) = version else { return Some(Err(watcher::Error::NoResourceVersion)) };
                self.state = State::Listed { objects, version };
                Some(Ok(Event::Init))
            }
            State::Listed { mut objects, version } => match objects.pop_front() {
                Some(o) => {
                    self.state = State::Listed { objects, version };
                    Some(Ok(Event::InitApply(o)))
                }
                None => {
                    self.state = State::Resume { version };
                    Some(Ok(Event::InitDone))
                }
            },
            State::InitialWatch(mut lines) => match lines.next(self.idle_limit()).await {
                Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                    self.state = State::InitialWatch(lines);
                    Some(Ok(Event::InitApply(o)))
                }
                // "impossible" during the initial events (Kubernetes' streaming-lists docs); skipped.
                Some(Ok(WatchEvent::Deleted(_))) => {
                    self.state = State::InitialWatch(lines);
                    None
                }
                Some(Ok(WatchEvent::Bookmark(b))) => {
                    if b.metadata.annotations.contains_key("k8s.io/initial-events-end") {
                        self.state = State::Watching { version: b.metadata.resource_version, lines };
                        Some(Ok(Event::InitDone))
                    } else {
                        self.state = State::InitialWatch(lines);
                        None
                    }
                }
                Some(Ok(WatchEvent::Error(s))) => {
                    if s.code != 410 {
                        self.state = State::InitialWatch(lines);
                    }
                    Some(Err(watcher::Error::WatchError(s)))
                }
                Some(Err(e)) => {
                    self.state = State::InitialWatch(lines);
                    Some(Err(watcher::Error::WatchFailed(e)))
                }
                // Ended before the initial state did: start over.
                None => None,
            },
            State::Resume { version } => match Box::pin(open(&self.api, &self.watch_params(false), &version)).await {
                Ok(lines) => {
                    self.state = State::Watching { version, lines };
                    None
                }
                Err(e) => {
                    let gone = matches!(&e, kube::Error::Api(s) if s.code == 410);
                    if !gone {
                        self.state = State::Resume { version };
                    }
                    Some(Err(watcher::Error::WatchStartFailed(e)))
                }
            },
            State::Watching { version, mut lines } => match lines.next::<K>(self.idle_limit()).await {
                Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                    let Some(version) = o.resource_version().filter(|v| !v.is_empty()) else {
                        return Some(Err(watcher::Error::NoResourceVersion));
                    };
                    self.state = State::Watching { version, lines };
                    Some(Ok(Event::Apply(o)))
                }
                Some(Ok(WatchEvent::Deleted(o))) => {
                    let Some(version) = o.resource_version().filter(|v| !v.is_empty()) else {
                        return Some(Err(watcher::Error::NoResourceVersion));
                    };
                    self.state = State::Watching { version, lines };
                    Some(Ok(Event::Delete(o)))
                }
                Some(Ok(WatchEvent::Bookmark(b))) => {
                    self.state = State::Watching { version: b.metadata.resource_version, lines };
                    None
                }
                Some(Ok(WatchEvent::Error(s))) => {
                    if s.code != 410 {
                        self.state = State::Watching { version, lines };
                    }
                    Some(Err(watcher::Error::WatchError(s)))
                }
                Some(Err(e)) => {
                    self.state = State::Watching { version, lines };
                    Some(Err(watcher::Error::WatchFailed(e)))
                }
                None => {
                    self.state = State::Resume { version };
                    None
                }
            },
        }
    }
}

/// Starts a watch request. Errors: the request could not be sent, or the server answered with an error
/// status (its `Status` body, or one made from the code and text as kube-client does).
async fn open<K: kube::Resource + Clone>(api: &Api<K>, wp: &WatchParams, version: &str) -> Result<Lines, kube::Error> {
    let request = kube::core::Request::new(api.resource_url());
    let mut req = request.watch(wp, version).map_err(kube::Error::BuildRequest)?;
    // kube-client opts watch streams out of compression (kube-rs: multi-member gzip); so do we.
    req.headers_mut().insert(http::header::ACCEPT_ENCODING, http::HeaderValue::from_static("identity"));
    let client = api.clone().into_client();
    let res = client.send(req.map(kube::client::Body::from)).await?;
    let code = res.status();
    if code.is_client_error() || code.is_server_error() {
        let body = res.into_body().collect().await?.to_bytes();
        let status = serde_json::from_slice::<Status>(&body).unwrap_or_else(|_| {
            Status::failure(String::from_utf8_lossy(&body).trim(), "Failed to parse error data")
                .with_code(code.as_u16())
        });
        return Err(kube::Error::Api(status.boxed()));
    }
    Ok(Lines { body: res.into_body(), chunk: Bytes::new(), partial: Vec::new() })
}

/// A watch response, read a line (one JSON watch event) at a time.
struct Lines {
    body: kube::client::Body,
    /// The rest of the last data frame: lines not handed out yet.
    chunk: Bytes,
    /// The start of a line split across frames; empty (and unallocated) otherwise.
    partial: Vec<u8>,
}

impl Lines {
    /// The next event; `None` when the stream ended (an incomplete last line is dropped), broke (the watch
    /// resumes from its resourceVersion, as kube-client treats an unexpected EOF), or stayed silent past
    /// `idle`.
    async fn next<K: FromWatch>(&mut self, idle: Option<Duration>) -> Option<Result<WatchEvent<K>, kube::Error>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.chunk) {
                let line = self.chunk.split_to(i + 1);
                let line = &line[..i];
                let event = if self.partial.is_empty() {
                    parse(line)
                } else {
                    self.partial.extend_from_slice(line);
                    parse(&std::mem::take(&mut self.partial))
                };
                match event {
                    Some(e) => return Some(e),
                    None => continue,
                }
            }
            if !self.chunk.is_empty() {
                self.partial.extend_from_slice(&self.chunk);
                self.chunk = Bytes::new();
            }
            let frame = match idle {
                Some(d) => tokio::time::timeout(d, self.body.frame()).await.ok()?,
                None => self.body.frame().await,
            };
            match frame {
                Some(Ok(f)) => {
                    if let Ok(data) = f.into_data() {
                        self.chunk = data;
                    }
                }
                Some(Err(e)) => {
                    tracing::debug!(target: "fleet", "watch stream broke, resuming: {e}");
                    return None;
                }
                // The end. An incomplete last line (the server went away mid-event) is dropped, as
                // kube-client drops it: the watch resumes and the event comes again.
                None => {
                    let rest = std::mem::take(&mut self.partial);
                    return match parse::<K>(&rest) {
                        Some(Err(kube::Error::SerdeError(e))) if e.is_eof() => None,
                        last => last,
                    };
                }
            }
        }
    }
}

/// One line: an event, a `Status` the server sent instead, or a parse error; `None` for a blank line.
fn parse<K: FromWatch>(line: &[u8]) -> Option<Result<WatchEvent<K>, kube::Error>> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match K::watch_event(line) {
        Ok(e) => Ok(e),
        Err(e) => match serde_json::from_slice::<Status>(line) {
            Ok(s) if s.code != 0 || !s.message.is_empty() => Err(kube::Error::Api(s.boxed())),
            _ => Err(kube::Error::SerdeError(e)),
        },
    })
}

/// kube-runtime's `DefaultBackoff`: 800 ms doubling to 30 s with jitter, reset after 120 s without error.
#[derive(Default)]
struct Backoff {
    /// The last delay handed out, and when.
    last: Option<(Duration, Instant)>,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(800);
    const MAX: Duration = Duration::from_secs(30);
    const RESET_AFTER: Duration = Duration::from_secs(120);

    /// The delay before the next request, after an error at `now`.
    fn next(&mut self, now: Instant) -> Duration {
        let base = match self.last {
            Some((d, at)) if now.duration_since(at) < Self::RESET_AFTER => (d * 2).min(Self::MAX),
            _ => Self::FIRST,
        };
        self.last = Some((base, now));
        // Full jitter over the upper half, so that a server's watches do not come back in step.
        base.mul_f64(0.5 + rand::random::<f64>() * 0.5)
    }

    /// A success: the delays start over once [`Self::RESET_AFTER`] has passed since the last error.
    fn ok(&mut self, now: Instant) {
        if self.last.is_some_and(|(_, at)| now.duration_since(at) >= Self::RESET_AFTER) {
            self.last = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::DynamicObject;

    #[test]
    fn a_line_is_an_event_a_status_or_an_error() {
        let ev = parse::<DynamicObject>(br#"{"type":"ADDED","object":{"apiVersion":"v1","kind":"Node","metadata":{"name":"a","resourceVersion":"7"}}}"#);
        assert!(matches!(ev, Some(Ok(WatchEvent::Added(o))) if o.metadata.name.as_deref() == Some("a")));
        let gone = parse::<DynamicObject>(
            br#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#,
        );
        assert!(matches!(gone, Some(Ok(WatchEvent::Error(s))) if s.code == 410 && s.reason == "Expired"));
        let status = parse::<DynamicObject>(br#"{"kind":"Status","status":"Failure","message":"no","code":500}"#);
        assert!(matches!(status, Some(Err(kube::Error::Api(s))) if s.code == 500));
        assert!(matches!(parse::<DynamicObject>(b"{garbage"), Some(Err(kube::Error::SerdeError(_)))));
        assert!(parse::<DynamicObject>(b"  \r").is_none());
        // A line cut short by the end of the stream is an EOF error, which `Lines::next` drops.
        assert!(
            matches!(parse::<DynamicObject>(br#"{"type":"ADDED","object":{"apiVer"#), Some(Err(kube::Error::SerdeError(e))) if e.is_eof())
        );
    }

    #[test]
    fn backoff_doubles_to_thirty_seconds_and_resets_after_two_quiet_minutes() {
        let mut b = Backoff::default();
        let mut now = Instant::now();
        let mut bases = Vec::new();
        for _ in 0..8 {
            let d = b.next(now);
            let base = b.last.expect("set").0;
            assert!(d >= base / 2 && d <= base, "{d:?} is not within the upper half of {base:?}");
            bases.push(base.as_secs_f64());
            now += d;
        }
        assert_eq!(bases, [0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]);
        let last_error = b.last.expect("set").1;
        now = last_error + Duration::from_secs(119);
        b.ok(now);
        b.next(now);
        assert_eq!(b.last.expect("set").0, Duration::from_secs(30), "within two minutes the delay stays");
        now += Duration::from_secs(120);
        b.ok(now);
        b.next(now);
        assert_eq!(b.last.expect("set").0, Backoff::FIRST);
    }
}
