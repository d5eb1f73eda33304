//! The HTTP transport under every context's `kube::Client`: HTTP/2 when the server offers it (ALPN), so a
//! context's watches, probes and reads share **one** TLS connection as streams, as client-go's do.
//!
//! kube 5 builds an HTTP/1.1-only client (kube-rs/kube#1923): one TCP + TLS connection per open watch, each
//! with its own read and TLS buffers (measured ~120 KB each in `benches/pulse.rs`), which is what a fleet
//! of hundreds of contexts with a dozen watches each cannot afford. kube's own caveat for HTTP/2 is
//! connection upgrades (exec, attach, port-forward); fleetdeck makes none (no `ws` feature).
//!
//! A multiplexed connection that silently dies would stall every watch on it, so HTTP/2 PINGs run every
//! 30 s, idle or not, and the connection is dropped when one goes unanswered for 15 s: client-go's
//! defaults (`k8s.io/client-go/transport` `ReadIdleTimeout` 30 s, `PingTimeout` 15 s).
//!
//! The layers above the transport are kube's own, in kube's order: the base URI, the auth layer
//! (tokens, exec credentials, refresh), extra headers, and kube's retry of 429 / 503 / 504. A context
//! behind a proxy (`proxy-url`) keeps kube's stock builder, HTTP/1.1.
use std::time::Duration;

use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kube::client::ConfigExt;
use kube::client::retry::RetryPolicy;
use tower::{BoxError, ServiceBuilder};

use super::reached::{Reached, Signalling};

/// Interval between HTTP/2 PINGs on a connection, idle or not (client-go's `ReadIdleTimeout`).
pub const PING_INTERVAL: Duration = Duration::from_secs(30);

/// How long a PING may go unanswered before the connection and its streams are dropped (client-go's
/// `PingTimeout`).
pub const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// TLS sessions remembered per client, for resumption after a reconnect (one server per client).
const SESSION_CACHE: usize = 4;

/// A client for `config`: HTTP/2 or HTTP/1.1 as the server's ALPN answer decides, one pooled connection per
/// server. Errors: the TLS material in `config` is unreadable, or an auth / header setting kube refuses.
pub fn client(config: kube::Config) -> Result<kube::Client, kube::Error> {
    client_reached(config).map(|(client, _)| client)
}

/// [`client`], and the signal its connector sets once a connection has completed its TCP + TLS handshake
/// ([`super::reached`]); [`Reached::unobserved`] for a context behind a proxy (kube's stock builder).
pub fn client_reached(config: kube::Config) -> Result<(kube::Client, Reached), kube::Error> {
    if config.proxy_url.is_some() {
        return Ok((kube::Client::try_from(config)?, Reached::unobserved()));
    }
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(config.connect_timeout);
    http.set_nodelay(true);
    let mut tls = config.rustls_client_config()?;
    // A client talks to one server, so its TLS session cache needs a few entries, not rustls' default 256
    // (preallocated: ~14 KB per connection, 13 MB over a thousand contexts). Never shared between
    // contexts: a resumed TLS 1.3 session keeps the identity (client certificate) of the one it came from.
    tls.resumption = rustls::client::Resumption::in_memory_sessions(SESSION_CACHE);
    let mut https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
    if let Some(name) = config.tls_server_name.as_ref() {
        let name = rustls::pki_types::ServerName::try_from(name.clone())
            .map_err(|e| kube::Error::Service(format!("tls-server-name {name}: {e}").into()))?;
        https = https.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    let reached = Reached::default();
    let connector =
        Signalling { inner: https.enable_http1().enable_http2().wrap_connector(http), reached: reached.clone() };
    let transport = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .timer(TokioTimer::new())
        .pool_timer(TokioTimer::new())
        .http2_keep_alive_interval(PING_INTERVAL)
        .http2_keep_alive_timeout(PING_TIMEOUT)
        .http2_keep_alive_while_idle(true)
        .build(connector);
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(config.default_retry.then(|| tower::retry::RetryLayer::new(RetryPolicy::server_retry())))
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(transport);
    Ok((kube::Client::new(service, config.default_namespace), reached))
}
