//! The demo's git and Helm chart server on loopback: what Flux's source-controller fetches from when the demo
//! runs the real Flux controllers.
//!
//! - `GET/POST /<repo>.git/...`: git's smart HTTP protocol, answered by `git http-backend` (git's own CGI
//!   program, `git --exec-path`/git-http-backend) over the bare repositories in the git root. Pushes are
//!   accepted (`http.receivepack`), so the fleet repository's remote can be this URL; a rejected push is
//!   git's own answer (non-fast-forward, hook), passed through.
//! - `GET /charts/...`: the files of the chart folder as they are (a Helm repository: `index.yaml` and the
//!   packaged charts it lists, see [`super::charts`]).
//!
//! HTTP/1.1 only (go-git, git and Helm all speak it), no TLS and no authentication: it listens on loopback
//! only. Each request body is read whole (at most [`MAX_BODY`]) before the CGI program starts; a git push of
//! the demo repository is a few KB.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The largest request body accepted (a push), in bytes: 64 MiB.
pub const MAX_BODY: usize = 64 << 20;

/// The URL path prefix of the Helm chart repository.
pub const CHARTS_PREFIX: &str = "/charts/";

/// What the server serves.
#[derive(Debug, Clone)]
pub struct Served {
    /// Folder of bare repositories (`<name>.git`), served under `/`.
    pub git_root: PathBuf,
    /// Folder served under [`CHARTS_PREFIX`], if any.
    pub charts: Option<PathBuf>,
}

/// A running server; stops when dropped (connections in flight are cut).
#[derive(Debug)]
pub struct GitServer {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GitServer {
    /// Listens on `addr` (`127.0.0.1:0` picks a free port) and serves `served` from a task of the current
    /// tokio runtime.
    ///
    /// # Errors
    /// The port is taken or cannot be bound (the message names it), or `git http-backend` is not installed.
    pub async fn start(addr: SocketAddr, served: Served) -> Result<GitServer> {
        let backend = http_backend()?;
        let listener = TcpListener::bind(addr).await.with_context(|| {
            format!("the demo's git server cannot listen on {addr} (is the port taken by another program?)")
        })?;
        let addr = listener.local_addr()?;
        let ctx = Arc::new((served, backend));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else { continue };
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| {
                        let ctx = ctx.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(req, peer, &ctx.0, &ctx.1).await) }
                    });
                    let io = hyper_util::rt::TokioIo::new(stream);
                    if let Err(e) = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await {
                        tracing::debug!("git server: connection from {peer}: {e}");
                    }
                });
            }
        });
        Ok(GitServer { addr, task })
    }

    /// The URL of `path` on this server, e.g. `url("fleet.git")` is `http://127.0.0.1:PORT/fleet.git`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }
}

/// `<git --exec-path>/git-http-backend`.
fn http_backend() -> Result<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("--exec-path")
        .output()
        .context("running `git --exec-path` (is git installed?)")?;
    let path = Path::new(String::from_utf8_lossy(&out.stdout).trim()).join("git-http-backend");
    if !path.is_file() {
        bail!("{} is missing: the demo's git server needs git's http-backend (Debian package git)", path.display());
    }
    Ok(path)
}

type Answer = Response<Full<Bytes>>;

fn plain(status: StatusCode, text: impl Into<String>) -> Answer {
    let mut r = Response::new(Full::new(Bytes::from(text.into())));
    *r.status_mut() = status;
    r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

async fn answer(req: Request<hyper::body::Incoming>, peer: SocketAddr, served: &Served, backend: &Path) -> Answer {
    let path = req.uri().path().to_owned();
    if path.split('/').any(|seg| seg == "..") {
        return plain(StatusCode::BAD_REQUEST, "no .. in paths\n");
    }
    if let Some(rel) = path.strip_prefix(CHARTS_PREFIX) {
        return match &served.charts {
            Some(dir) if req.method() == http::Method::GET => file(&dir.join(rel)).await,
            _ => plain(StatusCode::NOT_FOUND, "no chart repository here\n"),
        };
    }
    match cgi(req, peer, served, backend).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("git server: {path}: {e:#}");
            plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}\n"))
        }
    }
}

async fn file(path: &Path) -> Answer {
    match tokio::fs::read(path).await {
        Ok(bytes) => {
            let kind = if path.extension().is_some_and(|e| e == "yaml") { "text/yaml" } else { "application/gzip" };
            let mut r = Response::new(Full::new(Bytes::from(bytes)));
            r.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(kind));
            r
        }
        Err(_) => plain(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// Runs `git http-backend` for one request (RFC 3875 meta-variables plus git's `GIT_PROJECT_ROOT`,
/// `GIT_HTTP_EXPORT_ALL`, `GIT_PROTOCOL`) and turns its CGI answer into a response.
async fn cgi(req: Request<hyper::body::Incoming>, peer: SocketAddr, served: &Served, backend: &Path) -> Result<Answer> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return Ok(plain(StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}\n"))),
    };
    let header = |name: http::header::HeaderName| {
        parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let mut cmd = tokio::process::Command::new(backend);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", &served.git_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        // Pushes without authentication: loopback only, the demo's own repository.
        .env("GIT_CONFIG_COUNT", "1")
        .env("GIT_CONFIG_KEY_0", "http.receivepack")
        .env("GIT_CONFIG_VALUE_0", "true")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("PATH_INFO", parts.uri.path())
        .env("QUERY_STRING", parts.uri.query().unwrap_or_default())
        .env("CONTENT_TYPE", header(http::header::CONTENT_TYPE))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("HTTP_CONTENT_ENCODING", header(http::header::CONTENT_ENCODING))
        .env("REMOTE_ADDR", peer.ip().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(p) = parts.headers.get("git-protocol").and_then(|v| v.to_str().ok()) {
        cmd.env("GIT_PROTOCOL", p);
    }
    let mut child = cmd.spawn().with_context(|| format!("starting {}", backend.display()))?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    let writer = tokio::spawn(async move {
        // The backend may answer (an error) without reading its input: a broken pipe is not an error here.
        let _ = stdin.write_all(&body).await;
    });
    let mut stdout = child.stdout.take().context("no stdout")?;
    let mut stderr = child.stderr.take().context("no stderr")?;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let (r1, r2) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
    r1.context("reading git http-backend's answer")?;
    r2.ok();
    let _ = writer.await;
    let status = child.wait().await?;
    if !err.is_empty() {
        tracing::debug!("git http-backend {}: {}", parts.uri.path(), String::from_utf8_lossy(&err).trim());
    }
    if out.is_empty() && !status.success() {
        bail!("git http-backend failed ({status}): {}", String::from_utf8_lossy(&err).trim());
    }
    parse_cgi(&out)
}

/// Splits a CGI answer (RFC 3875 section 6: header lines, an empty line, the body) into a response; the
/// `Status:` header sets the status (200 without it).
///
/// # Errors
/// No empty line ends the header, or a header line is not `Name: value`.
pub fn parse_cgi(out: &[u8]) -> Result<Response<Full<Bytes>>> {
    let (head, body) = match memchr::memmem::find(out, b"\r\n\r\n") {
        Some(i) => (&out[..i], &out[i + 4..]),
        None => match memchr::memmem::find(out, b"\n\n") {
            Some(i) => (&out[..i], &out[i + 2..]),
            None => bail!("the CGI answer has no end of header"),
        },
    };
    let mut r = Response::new(Full::new(Bytes::copy_from_slice(body)));
    for line in String::from_utf8_lossy(head).lines() {
        let (name, value) = line.split_once(':').with_context(|| format!("a CGI header line without ':': {line:?}"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or_default();
            *r.status_mut() =
                StatusCode::from_bytes(code.as_bytes()).with_context(|| format!("CGI status {value:?}"))?;
        } else {
            let name = http::HeaderName::from_bytes(name.trim().as_bytes())?;
            r.headers_mut().append(name, http::HeaderValue::from_str(value)?);
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cgi_answer_with_a_status_and_headers() {
        let r = parse_cgi(b"Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nno such repo\n").expect("parses");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()["content-type"], "text/plain");
    }

    #[test]
    fn a_cgi_answer_without_status_is_200_and_keeps_its_binary_body() {
        let r = parse_cgi(b"Content-Type: application/x-git-upload-pack-result\n\n\x00\x01PACK").expect("parses");
        assert_eq!(r.status(), StatusCode::OK);
        let body = futures::executor::block_on(r.into_body().collect()).expect("body").to_bytes();
        assert_eq!(&body[..], b"\x00\x01PACK");
    }

    #[test]
    fn a_cgi_answer_without_an_end_of_header_is_an_error() {
        let e = parse_cgi(b"Content-Type: text/plain\r\n").expect_err("no body separator");
        assert!(e.to_string().contains("no end of header"), "{e}");
    }
}
