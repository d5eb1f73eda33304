//! Whether a client has reached its server: a connector wrapper that records the first completed TCP + TLS
//! handshake (the [`Reached`] signal), so a probe can tell a server that is not there (a hung or
//! blackholed port: no handshake) from one that is there and busy (handshake done, `/version` not yet
//! answered), as client-go does with its separate `TLSHandshakeTimeout` (10 s) and request timeout.
//!
//! On a start-up storm of a thousand contexts the API servers answer `/version` seconds late while their
//! handshakes still complete; without this signal such contexts were marked unreachable for a few seconds.
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use http::Uri;
use tokio::sync::Notify;

/// Set once a connection of one client has completed its handshake (TCP, and TLS for `https`); cheap to
/// clone (one `Arc`). [`Reached::unobserved`] is never set: the transport could not observe it (a proxy).
#[derive(Clone, Debug, Default)]
pub struct Reached(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    done: AtomicBool,
    notify: Notify,
}

impl Reached {
    /// A signal nothing sets (the stock transport of a context behind a proxy).
    pub fn unobserved() -> Reached {
        Reached::default()
    }

    /// Whether a handshake has completed.
    pub fn done(&self) -> bool {
        self.0.done.load(Ordering::Acquire)
    }

    /// Resolves once a handshake has completed (at once if one has).
    pub async fn wait(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.done() {
                return;
            }
            notified.await;
        }
    }

    fn set(&self) {
        if !self.0.done.swap(true, Ordering::AcqRel) {
            self.0.notify.notify_waiters();
        }
    }
}

/// A connector (a `tower::Service<Uri>`, as hyper-util's client takes) that sets `reached` when a connection
/// it made is ready, i.e. after the TLS handshake for `https`.
#[derive(Clone)]
pub struct Signalling<C> {
    /// The connector wrapped (hyper-rustls' `HttpsConnector`).
    pub inner: C,
    /// The signal set on the first connection made.
    pub reached: Reached,
}

impl<C> tower::Service<Uri> for Signalling<C>
where
    C: tower::Service<Uri>,
    C::Future: Send + 'static,
    C::Response: 'static,
    C::Error: 'static,
{
    type Response = C::Response;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<C::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let reached = self.reached.clone();
        Box::pin(async move {
            let connected = connecting.await;
            if connected.is_ok() {
                reached.set();
            }
            connected
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn wait_resolves_when_set_and_at_once_after() {
        let r = Reached::default();
        assert!(!r.done());
        let waiter = tokio::spawn({
            let r = r.clone();
            async move { r.wait().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        r.set();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await.unwrap().unwrap();
        assert!(r.done());
        tokio::time::timeout(std::time::Duration::from_millis(10), r.wait()).await.unwrap();
    }
}
